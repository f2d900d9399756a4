// SPDX-License-Identifier: GPL-2.0
/*
 * References the module loader cannot resolve become klp relocations:
 * locals of the parent, its unexported globals, and anything exported by a
 * module (which may be loaded after the patch). Each is rewritten to refer
 * to an undefined weak symbol ".klp.sym.<objname>.<name>,<sympos>" that
 * create-klp-module later turns into the kernel's livepatch format.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdo.h"
#include "kpatch-format.h"
#include "util.h"

/* Match every FILE block of the original object against the parent once. */
struct file_match {
	const struct lookup_file *block;
	bool failed;
	char error[1024];	/* one block, so the model can free it */
};

static struct file_match *match_file(struct cdo_ctx *ctx, struct symbol *file)
{
	struct elf *orig = ctx->orig;
	struct file_match *m = file->priv;
	const char **locals;
	size_t n = 0;
	char err[1024];

	if (m)
		return m;
	m = xcalloc(1, sizeof(*m));
	locals = xcalloc(orig->nr_symbols, sizeof(*locals));
	for (size_t i = file->index + 1; i < orig->nr_symbols; i++) {
		struct symbol *s = orig->symbols[i];

		if (s->type == STT_FILE)
			break;
		if (s->bind == STB_LOCAL && (s->type == STT_FUNC || s->type == STT_OBJECT))
			locals[n++] = s->name;
	}
	if (lookup_match_file(ctx->lookup, file->name, locals, n, &m->block, err, sizeof(err))) {
		m->failed = true;
		snprintf(m->error, sizeof(m->error), "%s", err);
	}
	free(locals);
	file->priv = m;
	return m;
}

/* The orig FILE symbol a patched local belongs to. */
static struct symbol *orig_file_of(struct cdo_ctx *ctx, struct symbol *sym)
{
	if (sym->twin && sym->twin->file)
		return sym->twin->file;
	if (sym->file && sym->file->twin)
		return sym->file->twin;
	/* objects with a single FILE: use it (after the section symbols,
	 * which are tens of thousands in a big object: look once) */
	if (!ctx->orig_first_file_known) {
		for (size_t i = 1; i < ctx->orig->nr_symbols && !ctx->orig_first_file; i++)
			if (ctx->orig->symbols[i]->type == STT_FILE)
				ctx->orig_first_file = ctx->orig->symbols[i];
		ctx->orig_first_file_known = true;
	}
	return ctx->orig_first_file;
}

/*
 * Resolve a symbol of the patched object against the parent. Returns 0 and
 * fills res, or -1 when it cannot be found (global: not an error, another
 * object of the patch module may define it; local: an error).
 */
int resolve_symbol(struct cdo_ctx *ctx, struct symbol *sym, struct lookup_result *res,
		   char *why, size_t whylen)
{
	if (sym->bind == STB_LOCAL) {
		struct symbol *file = orig_file_of(ctx, sym);
		struct file_match *m;

		if (!file) {
			snprintf(why, whylen, "%s has no STT_FILE symbol to find local %s by",
				 ctx->childobj, sym->name);
			return -1;
		}
		m = match_file(ctx, file);
		if (m->failed) {
			snprintf(why, whylen, "%s", m->error);
			return -1;
		}
		if (lookup_local(ctx->lookup, m->block, sym->name, res))
			return 0;
		if (lookup_local_is_ambiguous(ctx->lookup, m->block, sym->name) &&
		    lookup_file_is_anonymous(m->block)) {
			/* The FILE symbols that told the copies apart were stripped. */
			snprintf(why, whylen,
				 "local symbol %s of %s is ambiguous: %s's symbol table has no FILE symbols (a stripped module) and several locals named %s, so which one is meant cannot be told; give the unstripped module instead (Debian: from the linux-image-*-dbg package)",
				 sym->name, file->name, ctx->objname, sym->name);
			return RESOLVE_AMBIGUOUS;
		}
		if (lookup_local_is_ambiguous(ctx->lookup, m->block, sym->name)) {
			snprintf(why, whylen,
				 "local symbol %s of %s is ambiguous: %s has several locals named %s in that file",
				 sym->name, file->name, ctx->objname, sym->name);
			return RESOLVE_AMBIGUOUS;
		}
		snprintf(why, whylen, "cannot find local symbol %s of %s in the symbol table of %s",
			 sym->name, file->name, ctx->objname);
		return -1;
	}
	if (lookup_global(ctx->lookup, sym->name, res))
		return 0;
	snprintf(why, whylen, "%s is not in the symbol table of %s or Module.symvers",
		 sym->name, ctx->objname);
	return -1;
}

static struct symbol *klp_symbol(struct cdo_ctx *ctx, struct symbol *target,
				 const struct lookup_result *res)
{
	char *name = xasprintf("%s%s.%s,%lu", KLP_SYM_PREFIX, res->objname, target->name,
			       res->sympos);
	struct symbol *sym = elf_find_symbol(ctx->patched, name);

	if (!sym)
		sym = elf_add_symbol(ctx->patched, name, STB_WEAK,
				     target->type == STT_SECTION ? STT_NOTYPE : target->type,
				     NULL, 0, 0);
	sym->include = true;
	sym->status = STATUS_SAME;
	free(name);
	return sym;
}

static bool never_klp(const struct cdo_ctx *ctx, const struct symbol *sym)
{
	/* the ftrace hook and thunks every function calls are exported */
	return ctx->arch->is_kernel_helper(sym->name) ||
	       !strncmp(sym->name, KLP_SYM_PREFIX, strlen(KLP_SYM_PREFIX));
}

static void record(struct cdo_ctx *ctx, struct rela *rela, struct symbol *target,
		   const struct lookup_result *res)
{
	struct cdo_result *r = &ctx->result;
	struct klp_reloc_result *k;

	r->klp_relocs = xrealloc(r->klp_relocs, (r->nr_klp_relocs + 1) * sizeof(*k));
	k = &r->klp_relocs[r->nr_klp_relocs++];
	k->section = xstrdup(rela->sec->base->name);
	k->offset = rela->offset;
	k->type = rela->type;
	k->addend = rela->addend;
	k->symbol = xstrdup(target->name);
	k->objname = xstrdup(res->objname);
	k->sympos = res->sympos;
}

int create_klp_relocations(struct cdo_ctx *ctx)
{
	struct elf *elf = ctx->patched;
	size_t before = ctx->result.nr_refusals;
	bool parent_is_module = strcmp(ctx->objname, "vmlinux") != 0;

	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *rs = elf->sections[i];

		if (!is_rela_section(rs) || !rs->include || !rs->base->include ||
		    is_debug_section(rs) || !strncmp(rs->base->name, ".kpatch.", 8))
			continue;
		for (size_t j = 0; j < rs->nr_relas; j++) {
			struct rela *rela = &rs->relas[j];
			struct symbol *sym = rela->sym;
			struct lookup_result res;
			char why[1024];
			bool defined;
			int rc;

			if (!sym || !sym->index || sym->type == STT_SECTION || never_klp(ctx, sym))
				continue;
			defined = sym->sec && sym->sec->include;
			if (defined) {
				/*
				 * Taking the address of an existing function: point at
				 * the kernel's copy, which stays valid (and is redirected
				 * here by ftrace) even after this module is gone. Only
				 * its start: an address inside it (a switch jump table,
				 * _THIS_IP_) is a label of the new code.
				 */
				if (!(sym->type == STT_FUNC && sym->status != STATUS_NEW &&
				      !sym->parent && !sym->is_pfx && !is_special_section(ctx, rs->base) &&
				      ctx->arch->rela_is_address(rela) &&
				      ctx->arch->rela_target_offset(rela) == 0))
					continue;	/* a call, or a label inside the new copy */
			} else if (sym->bind != STB_LOCAL && !sym->twin && sym->sec &&
				   sym->status == STATUS_NEW) {
				continue;	/* new global not carried: defined elsewhere */
			}
			rc = resolve_symbol(ctx, sym, &res, why, sizeof(why));
			if (rc == RESOLVE_AMBIGUOUS) {
				/* the right parent, but it cannot name this symbol */
				result_add_refusal(ctx, R_SYMBOL_AMBIGUOUS, "%s", why);
				continue;
			}
			if (rc) {
				if (sym->bind != STB_LOCAL && !sym->sec)
					continue;	/* another object of the patch may define it */
				/* the parent is not what this object was built into */
				cdo_error(ctx, "%s: %s; is %s the build this object belongs to?",
					  ctx->childobj, why, ctx->objname);
				return -1;	/* every other symbol would say the same */
			}
			/*
			 * The loader resolves exports of vmlinux and of other
			 * modules (modpost makes the patch depend on those);
			 * klp relocations are applied only while patching their
			 * object, and the patch patches only the parent.
			 */
			if (res.exported && !defined &&
			    (!strcmp(res.objname, "vmlinux") || strcmp(res.objname, ctx->objname)))
				continue;
			if (strcmp(res.objname, "vmlinux") && strcmp(res.objname, ctx->objname)) {
				struct symbol *user = elf_symbol_containing(rs->base, rela->offset);

				result_add_func_refusal(ctx, R_OTHER_MODULE_LOCAL, user ? user->name : NULL,
					"%s uses %s of module %s, which that module does not export: a livepatch of %s can only reach %s's symbols, and a klp relocation for %s would never be applied; export it or patch %s too",
					user ? user->name : rs->base->name, sym->name, res.objname,
					ctx->objname, ctx->objname, res.objname, res.objname);
				continue;
			}
			if (parent_is_module && strcmp(res.objname, "vmlinux") &&
			    is_special_section(ctx, rs->base)) {
				result_add_refusal(ctx, R_KLP_IN_MODULE_SPECIAL,
					"%s refers to %s of module %s; the module loader processes %s before livepatch can resolve that reference",
					rs->base->name, sym->name, res.objname, rs->base->name);
				continue;
			}
			record(ctx, rela, sym, &res);
			rela->sym = klp_symbol(ctx, sym, &res);
		}
	}
	return ctx->result.nr_refusals > before ? -1 : 0;
}
