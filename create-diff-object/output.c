// SPDX-License-Identifier: GPL-2.0
/*
 * The output object: the included sections and symbols of the patched
 * object, plus the records the livepatch module needs (.kpatch.funcs,
 * .kpatch.strings, callback object names), fresh ftrace call-site records
 * and the carried-over namespace imports.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdo.h"
#include "ftrace-extent.h"
#include "kpatch-format.h"
#include "util.h"

struct output {
	struct cdo_ctx *ctx;
	struct elf *out;
	struct section **secmap;	/* patched section index -> output section */
	struct symbol **symmap;		/* patched symbol index -> output symbol */
	struct section *strings;
	uint64_t objname_off;		/* where ctx->objname is in .kpatch.strings */
	bool have_objname;
	struct ftrace_extent *ftrace_extent;	/* the parent's, read at the first record */
	bool ftrace_extent_read;
};

static bool dropped_section(const struct cdo_ctx *ctx, const struct section *sec)
{
	/* regenerated here, or meaningless in a livepatch module */
	return !strcmp(sec->name, "__mcount_loc") ||
	       !strcmp(sec->name, "__patchable_function_entries") ||
	       is_metadata_section(ctx, sec) ||
	       sec->sh.sh_type == SHT_GROUP || is_debug_section(sec);
}

/* Appended without a search: a name repeats only for same-named statics. */
static uint64_t add_string(struct output *o, const char *s)
{
	return elf_append_data(o->strings, s, strlen(s) + 1, 1);
}

static uint64_t objname_string(struct output *o)
{
	if (!o->have_objname) {
		o->objname_off = add_string(o, o->ctx->objname);
		o->have_objname = true;
	}
	return o->objname_off;
}

static void copy_sections(struct output *o)
{
	struct elf *p = o->ctx->patched;

	for (size_t i = 1; i < p->nr_sections; i++) {
		struct section *s = p->sections[i], *n;

		if (is_rela_section(s) || !s->include || s->deleted || dropped_section(o->ctx, s))
			continue;
		n = elf_add_section(o->out, s->name, s->sh.sh_type,
				    s->sh.sh_flags & ~(GElf_Xword)SHF_GROUP,
				    s->sh.sh_addralign, s->sh.sh_entsize,
				    s->sh.sh_type == SHT_NOBITS ? NULL : s->data, s->size);
		n->status = s->status;
		o->secmap[i] = n;
	}
	for (size_t i = 1; i < p->nr_sections; i++) {
		struct section *s = p->sections[i];

		if (!o->secmap[i])
			continue;
		if (s->link && o->secmap[s->link->index])
			o->secmap[i]->link = o->secmap[s->link->index];
		if (s->info_link && o->secmap[s->info_link->index])
			o->secmap[i]->info_link = o->secmap[s->info_link->index];
	}
}

static bool converts_to_local(const struct symbol *sym)
{
	/*
	 * A changed global keeps its name; made local, it cannot capture
	 * references from other objects of the patch module, which must go
	 * to the kernel's copy (redirected by livepatch) instead. So does an
	 * unchanged one the arch carries along (cdo_arch.carry_target).
	 */
	return sym->type == STT_FUNC && sym->bind != STB_LOCAL &&
	       (sym->status == STATUS_CHANGED || sym->status == STATUS_SAME);
}

static void copy_symbols(struct output *o)
{
	struct elf *p = o->ctx->patched;

	o->symmap[0] = o->out->symbols[0];
	for (size_t i = 1; i < p->nr_symbols; i++) {
		struct symbol *s = p->symbols[i], *n;
		struct section *sec = s->sec ? o->secmap[s->sec->index] : NULL;
		unsigned char bind = s->bind;

		if (!s->include || s->deleted)
			continue;
		if (s->type == STT_SECTION) {
			if (!sec)
				continue;
			n = sec->secsym ? sec->secsym :
			    elf_add_symbol(o->out, sec->name, STB_LOCAL, STT_SECTION, sec, 0, 0);
		} else if (s->type == STT_FILE) {
			n = elf_add_symbol(o->out, s->name, STB_LOCAL, STT_FILE, NULL, 0, 0);
			n->sym.st_shndx = SHN_ABS;
		} else if (sec) {
			if (converts_to_local(s))
				bind = STB_LOCAL;
			n = elf_add_symbol(o->out, s->name, bind, s->type, sec,
					   s->sym.st_value, s->sym.st_size);
			n->sym.st_other = s->sym.st_other;
			n->has_fentry = s->has_fentry;
			n->fentry_offset = s->fentry_offset;
			n->is_pfx = s->is_pfx;
			n->status = s->status;
		} else {
			continue;	/* undefined: created when a relocation uses it */
		}
		o->symmap[i] = n;
	}
}

/*
 * Referenced, not carried: an undefined global. Created on first use so a
 * symbol whose references all became klp relocations does not linger as
 * an unresolvable import of the module.
 */
static struct symbol *undefined_symbol(struct output *o, struct symbol *s)
{
	struct symbol *n = o->symmap[s->index];
	unsigned char bind = s->bind == STB_LOCAL ? STB_GLOBAL : s->bind;

	if (n)
		return n;
	n = elf_add_symbol(o->out, s->name, bind, s->type == STT_SECTION ? STT_NOTYPE : s->type,
			   NULL, 0, 0);
	if (s->sym.st_shndx == SHN_ABS) {
		n->sym.st_shndx = SHN_ABS;
		n->sym.st_value = s->sym.st_value;
	}
	o->symmap[s->index] = n;
	return n;
}

static int copy_relocations(struct output *o)
{
	struct elf *p = o->ctx->patched;

	for (size_t i = 1; i < p->nr_sections; i++) {
		struct section *rs = p->sections[i], *base, *nrs;

		if (!is_rela_section(rs) || !rs->base || !o->secmap[rs->base->index])
			continue;
		base = o->secmap[rs->base->index];
		nrs = elf_rela_section_for(o->out, base);
		for (size_t j = 0; j < rs->nr_relas; j++) {
			struct rela *r = &rs->relas[j];
			struct symbol *sym = r->sym ? o->symmap[r->sym->index] : o->out->symbols[0];

			if (!sym && r->sym->type != STT_SECTION && (!r->sym->sec || !r->sym->sec->include))
				sym = undefined_symbol(o, r->sym);
			if (!sym) {
				/* a section symbol of a section left behind */
				cdo_error(o->ctx, "%s: %s+0x%lx refers to %s, which was not carried into the output",
					  o->ctx->childobj, rs->base->name, (unsigned long)r->offset,
					  r->sym->name);
				return -1;
			}
			elf_add_rela(nrs, sym, r->offset, r->addend, r->type);
		}
	}
	return 0;
}

/*
 * A static call site names its key when the object has the key's symbol
 * and its trampoline otherwise: that is objtool's rule when it writes
 * .static_call_sites at the module's link. The kernel accepts a trampoline
 * only for calls exported without their key (EXPORT_STATIC_CALL_TRAMP);
 * for an exported key, a site naming the trampoline makes insmod fail
 * ("Failed to fixup __raw_static_call() usage"). So wherever the patched
 * object had an exported key's symbol (tracepoints' __ADDRESSABLE() puts
 * it there) and the output calls its trampoline, the output keeps the
 * key's symbol too, as an import.
 */
static void add_static_call_keys(struct output *o)
{
	static const char tramp[] = "__SCT__", key[] = "__SCK__";
	struct elf *p = o->ctx->patched;

	for (size_t i = 1; i < p->nr_symbols; i++) {
		struct symbol *t = p->symbols[i], *n = o->symmap[i], *k;
		struct lookup_result res;
		char *name;

		if (!n || n->sec || strncmp(t->name, tramp, sizeof(tramp) - 1))
			continue;	/* not an imported trampoline of the output */
		name = xasprintf("%s%s", key, t->name + sizeof(tramp) - 1);
		k = elf_find_symbol(p, name);
		if (k && !k->sec && !o->symmap[k->index] &&
		    lookup_global(o->ctx->lookup, name, &res) && res.exported)
			undefined_symbol(o, k);
		free(name);
	}
}

static struct symbol *section_symbol(struct output *o, struct section *sec)
{
	if (!sec->secsym)
		elf_add_symbol(o->out, sec->name, STB_LOCAL, STT_SECTION, sec, 0, 0);
	return sec->secsym;
}

/*
 * The kernel's livepatch core could attach to an ftrace site that is not
 * this function's (ftrace-extent.c): refuse it. True when refused.
 */
static bool refuse_foreign_ftrace_site(struct output *o, const struct func_result *f,
				       const struct lookup_result *res)
{
	struct cdo_ctx *ctx = o->ctx;
	uint64_t site;

	/* patchable-entry sites sit before a function, in the one before's extent */
	if (ctx->arch->ftrace_sites_pfe)
		return false;
	if (!o->ftrace_extent_read) {
		o->ftrace_extent = ftrace_extent_open(ctx->parent_path);
		o->ftrace_extent_read = true;
	}
	site = ftrace_extent_foreign_site(o->ftrace_extent, res->addr, res->size);
	if (!site)
		return false;
	result_add_func_refusal(ctx, R_FTRACE_SITE_SHARED, f->name,
				"cannot replace changed function %s: in %s it is 0x%lx bytes at 0x%lx, but code without a symbol of its own follows it (an overridden weak function, usually), so kallsyms counts that code into %s, ftrace call site 0x%" PRIx64 " included; the livepatch core looks the function's site up across that whole extent and may attach to the dead code's site, and the patch would then load without taking effect; patch the callers of %s to call a renamed copy instead",
				f->name, ctx->objname, res->size, res->addr, f->name, site, f->name);
	return true;
}

static int add_func_records(struct output *o)
{
	struct cdo_ctx *ctx = o->ctx;
	struct section *funcs = NULL, *rs = NULL;
	struct symbol *strsym = section_symbol(o, o->strings);
	uint64_t objname = objname_string(o);

	for (size_t i = 0; i < ctx->result.nr_funcs; i++) {
		struct func_result *f = &ctx->result.funcs[i];
		struct kpatch_func_record rec = { 0 };
		struct symbol *func = NULL, *p = f->sym;
		struct lookup_result res;
		char why[1024];
		uint64_t off;
		int rc;

		if (!f->patched)
			continue;
		if (p->type == STT_FUNC && p->sec && p->include)
			func = o->symmap[p->index];
		if (!func) {
			cdo_error(ctx, "%s: changed function %s is missing from the output",
				  ctx->childobj, f->name);
			return -1;
		}
		rc = resolve_symbol(ctx, p, &res, why, sizeof(why));
		if (rc == RESOLVE_AMBIGUOUS) {
			result_add_func_refusal(ctx, R_SYMBOL_AMBIGUOUS, f->name,
						"cannot replace changed function %s: %s", f->name, why);
			return -1;
		}
		if (rc || strcmp(res.objname, ctx->objname)) {
			cdo_error(ctx, "%s: changed function %s is not in the symbol table of %s, so livepatch could not find it to replace; was that kernel built from this source and configuration?",
				  ctx->childobj, f->name, ctx->objname);
			return -1;
		}
		if (refuse_foreign_ftrace_site(o, f, &res))
			continue;
		f->objname = xstrdup(ctx->objname);
		f->sympos = res.sympos;
		if (!funcs) {
			funcs = elf_add_section(o->out, KPATCH_FUNCS_SECTION, SHT_PROGBITS,
						SHF_ALLOC, 8, sizeof(rec), NULL, 0);
			rs = elf_rela_section_for(o->out, funcs);
			section_symbol(o, funcs);
		}
		rec.sympos = res.sympos;
		off = elf_append_data(funcs, &rec, sizeof(rec), 8);
		elf_add_rela(rs, func, off + offsetof(struct kpatch_func_record, new_func), 0,
			     ctx->arch->abs64);
		if (ctx->arch->mark_redirect_target)
			ctx->arch->mark_redirect_target(o->out, func);
		elf_add_rela(rs, strsym, off + offsetof(struct kpatch_func_record, old_name),
			     (int64_t)add_string(o, f->name), ctx->arch->abs64);
		elf_add_rela(rs, strsym, off + offsetof(struct kpatch_func_record, objname),
			     (int64_t)objname, ctx->arch->abs64);
	}
	return ctx->result.nr_refusals ? -1 : 0;
}

/* Callback records leave the patch source with objname NULL: fill it. */
static void fill_callback_objnames(struct output *o)
{
	struct symbol *strsym = section_symbol(o, o->strings);
	uint64_t objname = objname_string(o);

	for (size_t i = 1; i < o->out->nr_sections; i++) {
		struct section *sec = o->out->sections[i], *rs;

		if (strncmp(sec->name, ".kpatch.callbacks.", 18) || is_rela_section(sec))
			continue;
		rs = elf_rela_section_for(o->out, sec);
		for (uint64_t off = 0; off + sizeof(struct kpatch_callback_record) <= sec->size;
		     off += sizeof(struct kpatch_callback_record))
			elf_add_rela(rs, strsym,
				     off + offsetof(struct kpatch_callback_record, objname),
				     (int64_t)objname, o->ctx->arch->abs64);
		elf_sort_relas(rs);
	}
}

static void add_mcount_records(struct output *o)
{
	struct elf *out = o->out;
	struct section *mcount = NULL, *rs = NULL;
	size_t n = out->nr_symbols;

	for (size_t i = 1; i < n; i++) {
		struct symbol *sym = out->symbols[i];
		struct rela *site;
		uint64_t at, off;

		if (sym->type != STT_FUNC || !sym->sec || sym->is_pfx || !sym->has_fentry)
			continue;
		if (o->ctx->arch->ftrace_sites_pfe) {
			pfe_add_record(out, sym, sym->fentry_offset, o->ctx->arch->abs64);
			continue;
		}
		if (!o->ctx->arch->find_fentry(sym->sec, sym, &at, &site))
			continue;
		if (o->ctx->arch->fixup_fentry_site)
			o->ctx->arch->fixup_fentry_site(sym->sec, site);
		if (!mcount) {
			mcount = elf_add_section(out, "__mcount_loc", SHT_PROGBITS, SHF_ALLOC, 8, 8,
						 NULL, 0);
			rs = elf_rela_section_for(out, mcount);
		}
		off = elf_append_data(mcount, NULL, 8, 8);
		elf_add_rela(rs, sym, off, (int64_t)(at - sym->sym.st_value), o->ctx->arch->abs64);
	}
}

/* Add "import_ns=ns" to the list unless it is there. */
static void add_import(struct cdo_ctx *ctx, const char *ns)
{
	char *tag = xasprintf("import_ns=%s", ns);

	for (size_t i = 0; i < ctx->nr_modinfo_ns; i++) {
		if (!strcmp(ctx->modinfo_ns[i], tag)) {
			free(tag);
			return;
		}
	}
	ctx->modinfo_ns = xrealloc(ctx->modinfo_ns, (ctx->nr_modinfo_ns + 1) * sizeof(char *));
	ctx->modinfo_ns[ctx->nr_modinfo_ns++] = tag;
}

/*
 * The patched object's own namespace imports, and those of every
 * namespaced export the output uses: built-in code needs no import (the
 * check is for modules), the livepatch module does.
 */
static void add_modinfo(struct output *o)
{
	struct section *mi;

	for (size_t i = 1; i < o->out->nr_symbols; i++) {
		const struct symbol *sym = o->out->symbols[i];
		const char *ns;

		if (sym->sec || sym->bind == STB_LOCAL || sym->type == STT_SECTION ||
		    sym->type == STT_FILE || !strncmp(sym->name, KLP_SYM_PREFIX, strlen(KLP_SYM_PREFIX)))
			continue;
		if ((ns = lookup_export_namespace(o->ctx->lookup, sym->name)))
			add_import(o->ctx, ns);
	}
	if (!o->ctx->nr_modinfo_ns)
		return;
	mi = elf_add_section(o->out, ".modinfo", SHT_PROGBITS, SHF_ALLOC, 1, 0, NULL, 0);
	for (size_t i = 0; i < o->ctx->nr_modinfo_ns; i++)
		elf_append_data(mi, o->ctx->modinfo_ns[i], strlen(o->ctx->modinfo_ns[i]) + 1, 1);
}

int write_output(struct cdo_ctx *ctx)
{
	struct output o = { .ctx = ctx };
	char err[1024];
	int ret = -1;

	o.out = elf_create_like(ctx->patched, ctx->output_path);
	o.secmap = xcalloc(ctx->patched->nr_sections, sizeof(*o.secmap));
	o.symmap = xcalloc(ctx->patched->nr_symbols, sizeof(*o.symmap));
	copy_sections(&o);
	copy_symbols(&o);
	if (copy_relocations(&o))
		goto out;
	add_static_call_keys(&o);
	o.strings = elf_add_section(o.out, KPATCH_STRINGS_SECTION, SHT_PROGBITS, SHF_ALLOC,
				    1, 0, NULL, 0);
	if (add_func_records(&o))
		goto out;
	fill_callback_objnames(&o);
	elf_index_symbols(o.out);
	add_mcount_records(&o);
	add_modinfo(&o);
	/* no executable stack: say so, or the linker warns */
	elf_add_section(o.out, ".note.GNU-stack", SHT_PROGBITS, 0, 1, 0, NULL, 0);
	for (size_t i = 1; i < o.out->nr_sections; i++)
		if (is_rela_section(o.out->sections[i]))
			elf_sort_relas(o.out->sections[i]);
	if (elf_write(o.out, ctx->output_path, err, sizeof(err))) {
		cdo_error(ctx, "%s", err);
		goto out;
	}
	for (size_t i = 1; i < o.out->nr_symbols; i++) {
		struct symbol *s = o.out->symbols[i];

		if (s->sec && (s->type == STT_FUNC || s->type == STT_OBJECT)) {
			ctx->result.included = xrealloc(ctx->result.included,
				(ctx->result.nr_included + 1) * sizeof(char *));
			ctx->result.included[ctx->result.nr_included++] = xstrdup(s->name);
		}
	}
	ret = 0;
out:
	elf_free(o.out);
	free(o.secmap);
	free(o.symmap);
	ftrace_extent_close(o.ftrace_extent);
	return ret;
}
