// SPDX-License-Identifier: GPL-2.0
/*
 * The checks, in order: which functions of PATCHED.o changed (against
 * ORIG.o), which PATCHED.o function each module function is a copy of, the
 * klp_func records, completeness, klp relocations, imports and their CRCs,
 * special-section entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpatch-format.h"
#include "structsize.h"
#include "util.h"
#include "arch.h"
#include "verify.h"

/* ---- indexes ---------------------------------------------------------- */

struct func_index {
	struct vfunc **f;
	size_t n;
};

static int cmp_by_norm(const void *x, const void *y)
{
	const struct vfunc *a = *(struct vfunc *const *)x, *b = *(struct vfunc *const *)y;
	int c = strcmp(a->norm, b->norm);

	if (!c)
		c = strcmp(a->file, b->file);
	if (!c)
		c = a->ordinal - b->ordinal;
	return c;
}

static void index_by_norm(const struct vobj *o, struct func_index *ix)
{
	ix->n = o->nr_funcs;
	ix->f = xcalloc(ix->n + 1, sizeof(*ix->f));
	for (size_t i = 0; i < ix->n; i++)
		ix->f[i] = &o->funcs[i];
	qsort(ix->f, ix->n, sizeof(*ix->f), cmp_by_norm);
}

/* The range of functions named norm: [*first, return). */
static size_t find_norm(const struct func_index *ix, const char *norm, size_t *first)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(ix->f[mid]->norm, norm) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (hi < ix->n && !strcmp(ix->f[hi]->norm, norm))
		hi++;
	return hi;
}

static const char *section_of(const struct vfunc *f)
{
	return f->sym->sec ? f->sym->sec->name : NULL;
}

/* ---- ORIG vs PATCHED -------------------------------------------------- */

static void pair_orig_patched(struct verify *v, struct func_index *orig_ix)
{
	for (size_t i = 0; i < v->patched.nr_funcs; i++) {
		struct vfunc *p = &v->patched.funcs[i];
		size_t first, end = find_norm(orig_ix, p->norm, &first);
		struct cmp_result res;

		for (size_t k = first; k < end; k++) {
			struct vfunc *o = orig_ix->f[k];

			if (!strcmp(o->file, p->file) && o->ordinal == p->ordinal && !o->patched) {
				p->orig = o;
				o->patched = p;
				break;
			}
		}
		if (!p->orig)
			continue;
		compare_funcs(v, CMP_ORIG, &v->orig, p->orig, &v->patched, p, &res);
		p->changed = !res.same && !res.line_only;
		p->line_only = res.line_only;
		if (!res.same)
			p->why = xstrdup(res.why);
	}
}

/* ---- module vs PATCHED ------------------------------------------------ */

static void pair_module_patched(struct verify *v, struct func_index *patched_ix, bool report)
{
	for (size_t i = 0; i < v->module.nr_funcs; i++) {
		struct vfunc *m = &v->module.funcs[i], *best = NULL;
		size_t first, end = find_norm(patched_ix, m->norm, &first);
		struct cmp_result res, best_res = { 0 };

		if (first == end)
			continue;	/* not from PATCHED.o: the template's or another object's */
		/*
		 * A .ko's init_module/cleanup_module are its own entry points:
		 * the livepatch template's, never a copy of the patched
		 * module's aliases of the same names (init code is not patched).
		 */
		if (!strcmp(m->sym->name, "init_module") || !strcmp(m->sym->name, "cleanup_module"))
			continue;
		m->from_patched = true;
		if (report && (!m->patched || m->unsound))
			continue;	/* reported in the first pass */
		if (report) {
			compare_funcs(v, CMP_MODULE, &v->patched, m->patched, &v->module, m, &res);
			v->functions_checked++;
			if (!res.same)
				add_finding(v, "soundness", m->sym->name, section_of(m), true, res.at,
					    "the module's %s is not the patched object's code: %s",
					    m->sym->name, res.why);
			continue;
		}
		m->patched = NULL;
		for (size_t k = first; k < end; k++) {
			struct vfunc *p = patched_ix->f[k];

			compare_funcs(v, CMP_MODULE, &v->patched, p, &v->module, m, &res);
			if (res.same) {
				m->patched = p;
				/* identical copies: prefer the one of the same file */
				if (!strcmp(p->file, m->file))
					break;
			} else if (!best) {
				best = p;
				best_res = res;
			}
		}
		if (!m->patched && best) {
			/*
			 * Not a faithful copy: reported here. Records and
			 * completeness still see it as the copy of its
			 * namesake, so the one fault is reported once.
			 */
			m->patched = best;
			m->unsound = true;
			v->functions_checked++;
			add_finding(v, "soundness", m->sym->name, section_of(m), true, best_res.at,
				    "the module's %s is not the patched object's code: %s",
				    m->sym->name, best_res.why);
		}
	}
}

/* ---- klp_func records ------------------------------------------------- */

static char *string_at(const struct rela *r)
{
	struct target t;
	char *s = NULL;

	resolve_rela(r, &t);
	if ((t.kind == T_ANON || t.kind == T_STR) && t.sec->data && t.off >= 0 &&
	    (uint64_t)t.off < t.sec->size &&
	    memchr(t.sec->data + t.off, 0, t.sec->size - t.off))
		s = xstrdup((const char *)t.sec->data + t.off);
	target_free(&t);
	return s;
}

static void parse_records(struct verify *v)
{
	struct section *sec = elf_find_section(v->module.elf, KPATCH_FUNCS_SECTION);
	const size_t size = sizeof(struct kpatch_func_record);

	if (!sec)
		return;
	if (sec->size % size || !sec->data) {
		add_finding(v, "klp-func", NULL, sec->name, false, 0,
			    "%s is 0x%lx bytes, not a whole number of 0x%zx-byte records", sec->name,
			    (unsigned long)sec->size, size);
		return;
	}
	v->records = xcalloc(sec->size / size + 1, sizeof(*v->records));
	for (uint64_t off = 0; off < sec->size; off += size) {
		struct record *rec = &v->records[v->nr_records++];
		struct rela **relas;
		size_t n = relas_in(&v->module, sec, off, off + size, &relas);
		uint64_t sympos;

		rec->offset = off;
		sympos = elf_get_u64(v->module.elf,
				     sec->data + off + offsetof(struct kpatch_func_record, sympos));
		rec->sympos = sympos;
		for (size_t i = 0; i < n; i++) {
			uint64_t field = relas[i]->offset - off;
			struct target t;

			if (field == offsetof(struct kpatch_func_record, new_func)) {
				resolve_rela(relas[i], &t);
				if (t.kind == T_SYM && t.delta == 0) {
					rec->new_func = t.sym;
					rec->func = vobj_func_of(&v->module, t.sym);
				}
				target_free(&t);
			} else if (field == offsetof(struct kpatch_func_record, old_name)) {
				rec->old_name = string_at(relas[i]);
			} else if (field == offsetof(struct kpatch_func_record, objname)) {
				rec->objname = string_at(relas[i]);
			}
		}
		free(relas);
		if (!rec->old_name || !rec->objname)
			add_finding(v, "klp-func", rec->old_name, sec->name, true, off,
				    "record has no %s string", rec->old_name ? "object name" : "function name");
	}
}

static int cmp_record(const void *x, const void *y)
{
	const struct record *a = *(struct record *const *)x, *b = *(struct record *const *)y;
	int c = strcmp(a->objname, b->objname);

	if (!c)
		c = strcmp(a->old_name, b->old_name);
	if (!c)
		c = (a->sympos > b->sympos) - (a->sympos < b->sympos);
	return c;
}

static void check_duplicate_records(struct verify *v)
{
	struct record **sorted = xcalloc(v->nr_records + 1, sizeof(*sorted));
	size_t n = 0;

	for (size_t i = 0; i < v->nr_records; i++)
		if (v->records[i].old_name && v->records[i].objname)
			sorted[n++] = &v->records[i];
	qsort(sorted, n, sizeof(*sorted), cmp_record);
	for (size_t i = 1; i < n; i++)
		if (!cmp_record(&sorted[i - 1], &sorted[i]))
			add_finding(v, "klp-func", sorted[i]->old_name, KPATCH_FUNCS_SECTION, true,
				    sorted[i]->offset, "%s,%lu of %s is patched twice", sorted[i]->old_name,
				    sorted[i]->sympos, sorted[i]->objname);
	free(sorted);
}

static void check_record(struct verify *v, struct record *rec)
{
	struct lookup_result res;
	struct vfunc *p, *o;
	char why[1024];

	if (!rec->old_name || !rec->objname)
		return;
	if (!rec->func) {
		add_finding(v, "klp-func", rec->old_name, KPATCH_FUNCS_SECTION, true, rec->offset,
			    "the record for %s does not point at the start of a function of the module",
			    rec->old_name);
		return;
	}
	rec->func->recorded = true;
	if (strcmp(rec->objname, v->parent)) {
		add_note(v, "record for %s of %s not checked: the parent given is %s", rec->old_name,
			 rec->objname, v->parent);
		return;
	}
	p = rec->func->patched;
	if (!p && !rec->func->from_patched) {
		add_note(v, "record for %s: %s is not from %s (another object of the module)",
			 rec->old_name, rec->new_func->name, v->patched_path);
		return;
	}
	if (!p) {
		add_finding(v, "klp-func", rec->old_name, KPATCH_FUNCS_SECTION, true, rec->offset,
			    "the replacement %s is not a copy of a function of the patched object",
			    rec->new_func->name);
		return;
	}
	o = p->orig;
	if (!o) {
		add_finding(v, "klp-func", rec->old_name, KPATCH_FUNCS_SECTION, true, rec->offset,
			    "replaces %s with %s, a function the original object does not have",
			    rec->old_name, p->sym->name);
		return;
	}
	p->replaced = true;
	if (strcmp(rec->old_name, o->sym->name)) {
		add_finding(v, "klp-func", rec->old_name, KPATCH_FUNCS_SECTION, true, rec->offset,
			    "replaces %s with a copy of %s", rec->old_name, o->sym->name);
		return;
	}
	if (parent_resolve(v, o->sym, &res, why, sizeof(why))) {
		add_finding(v, "klp-func", rec->old_name, KPATCH_FUNCS_SECTION, true, rec->offset,
			    "%s,%lu cannot be found in %s: %s", rec->old_name, rec->sympos, v->parent, why);
	} else if (res.sympos != rec->sympos || strcmp(res.objname, rec->objname)) {
		add_finding(v, "klp-func", rec->old_name, KPATCH_FUNCS_SECTION, true, rec->offset,
			    "record says %s,%lu of %s, but the function the module replaces is %s,%lu of %s",
			    rec->old_name, rec->sympos, rec->objname, o->sym->name, res.sympos,
			    res.objname);
	} else if (res.addr && res.size != o->sym->sym.st_size) {
		add_finding(v, "klp-func", rec->old_name, KPATCH_FUNCS_SECTION, true, rec->offset,
			    "%s,%lu of %s is 0x%lx bytes, the original object's %s 0x%lx",
			    rec->old_name, rec->sympos, v->parent, res.size, o->sym->name,
			    (unsigned long)o->sym->sym.st_size);
	}
	else if (p->line_only)
		add_note(v, "%s is patched though only __LINE__ immediates differ", rec->old_name);
}

/*
 * foo.cold / foo.part.N: a part of foo the compiler split off. Whether
 * foo (same object) is replaced by a record; part_too: .part.N as well.
 */
static bool is_part_of_replaced(const struct vobj *o, const struct vfunc *f, bool part_too)
{
	const char *cut = strstr(f->sym->name, ".cold");
	char *parent;
	bool found = false;

	if (!cut && part_too)
		cut = strstr(f->sym->name, ".part.");
	if (!cut)
		return false;
	parent = xasprintf("%.*s", (int)(cut - f->sym->name), f->sym->name);
	for (struct symbol *s = elf_find_symbol(o->elf, parent); s && !found;
	     s = elf_find_symbol_next(o->elf, s)) {
		struct vfunc *pf = vobj_func_of(o, s);

		found = pf && (pf->recorded || pf->replaced);
	}
	free(parent);
	return found;
}

/* ---- functions entered only through replaced callers ------------------- */

/*
 * A changed local function without an ftrace call site cannot be replaced;
 * the differ may carry its new copy and replace its callers instead. That
 * is sound only if the running kernel has no other way into the old copy:
 * every reference to it, in the original object and in the patched one, is
 * a direct call or jump from a function the module replaces (or one entered
 * the same way, a few levels up), and no module code calls the kernel's old
 * copy. Worked out here from the objects alone.
 */
#define MAX_CALLER_CHAIN 4

static bool describes_code_only(const struct verify *v, const struct section *s)
{
	static const char *const names[] = {
		"__mcount_loc", "__patchable_function_entries", "__bug_table", "__ex_table",
		".altinstructions", "__jump_table", ".printk_index", NULL
	};

	if (s->sh.sh_flags & SHF_EXECINSTR)
		return false;
	if (!strncmp(s->name, ".debug", 6) || !strncmp(s->name, ".discard", 8) ||
	    !strncmp(s->name, ".kpatch.", 8))
		return true;
	for (const char *const *n = names; *n; n++)
		if (!strcmp(s->name, *n))
			return true;
	for (const char *const *n = v->arch->code_only_sections; *n; n++)
		if (!strcmp(s->name, *n))
			return true;
	return false;
}

static bool entered_only_by_replaced(struct verify *v, const struct vfunc *p, int depth,
				     char *why, size_t whylen);

/* May the PATCHED function caller call p in the running kernel after patching? */
static bool caller_is_covered(struct verify *v, const struct vfunc *caller, const struct vfunc *p,
			      int depth, char *why, size_t whylen)
{
	if (caller == p || !caller->orig || caller->replaced ||
	    is_part_of_replaced(&v->patched, caller, false))
		return true;	/* itself, new code, or replaced */
	if (depth < MAX_CALLER_CHAIN && caller->sym->bind == STB_LOCAL)
		return entered_only_by_replaced(v, caller, depth + 1, why, whylen);
	snprintf(why, whylen, "its caller %s is not replaced by the module", caller->sym->name);
	return false;
}

/* Every reference of object o to func (its copy of p) is a covered call. */
static bool references_covered(struct verify *v, const struct vobj *o, const struct vfunc *func,
			       const struct vfunc *p, int depth, char *why, size_t whylen)
{
	const char *side = o == &v->orig ? "original" : "patched";

	for (size_t i = 1; i < o->elf->nr_sections; i++) {
		struct section *rs = o->elf->sections[i];

		if (!is_rela_section(rs) || !rs->base || describes_code_only(v, rs->base))
			continue;
		for (size_t k = 0; k < rs->nr_relas; k++) {
			struct rela *r = &rs->relas[k];
			struct symbol *at;
			struct vfunc *caller;

			if (!r->sym || r->sym->sec != func->sym->sec)
				continue;
			if (!(rs->base->sh.sh_flags & SHF_EXECINSTR) || !v->arch->is_direct_branch_to(r, func->sym)) {
				snprintf(why, whylen, "the %s object refers to %s other than by a direct call (%s+0x%lx)",
					 side, func->sym->name, rs->base->name, (unsigned long)r->offset);
				return false;
			}
			at = symbol_at(rs->base, (int64_t)r->offset, true);
			caller = at ? vobj_func_of(o, at) : NULL;
			if (caller && o == &v->orig)
				caller = caller == func ? (struct vfunc *)p : caller->patched;
			if (!caller) {
				snprintf(why, whylen, "the %s object calls %s from %s+0x%lx, which is no function %s",
					 side, func->sym->name, rs->base->name, (unsigned long)r->offset,
					 o == &v->orig ? "the patched object has" : "");
				return false;
			}
			if (!caller_is_covered(v, caller, p, depth, why, whylen))
				return false;
		}
	}
	return true;
}

static const struct vfunc *module_copy_of(const struct verify *v, const struct vfunc *p)
{
	for (size_t i = 0; i < v->module.nr_funcs; i++)
		if (v->module.funcs[i].patched == p)
			return &v->module.funcs[i];
	return NULL;
}

/* No module code refers to the running kernel's old copy of p. */
static bool module_avoids_old_copy(struct verify *v, const struct vfunc *p, char *why, size_t whylen)
{
	const struct elf *elf = v->module.elf;

	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *rs = elf->sections[i];

		if (!is_rela_section(rs) || !rs->base)
			continue;
		for (size_t k = 0; k < rs->nr_relas; k++) {
			struct target t;
			bool old;

			resolve_rela(&rs->relas[k], &t);
			old = (t.kind == T_KLP || t.kind == T_UNDEF) && !strcmp(t.name, p->orig->sym->name);
			target_free(&t);
			if (old) {
				snprintf(why, whylen, "module code (%s) refers to the running kernel's old %s",
					 rs->base->name, p->orig->sym->name);
				return false;
			}
		}
	}
	return true;
}

static bool entered_only_by_replaced(struct verify *v, const struct vfunc *p, int depth,
				     char *why, size_t whylen)
{
	if (p->sym->bind != STB_LOCAL || !p->orig || p->replaced) {
		snprintf(why, whylen, "%s is %s", p->sym->name,
			 p->replaced ? "replaced" : p->orig ? "global" : "new");
		return false;
	}
	if (!module_copy_of(v, p)) {
		snprintf(why, whylen, "the module carries no copy of %s", p->sym->name);
		return false;
	}
	return references_covered(v, &v->orig, p->orig, p, depth, why, whylen) &&
	       references_covered(v, &v->patched, p, p, depth, why, whylen) &&
	       module_avoids_old_copy(v, p, why, whylen);
}

/*
 * An unchanged function is replaced because it calls a changed function
 * entered only through its callers: its new copy calls the new code.
 */
static bool calls_function_entered_by_callers(struct verify *v, const struct vfunc *p, int depth)
{
	struct rela **relas;
	size_t n = relas_in(&v->patched, p->sym->sec, p->sym->sym.st_value,
			    p->sym->sym.st_value + p->sym->sym.st_size, &relas);
	bool found = false;
	char why[512];

	for (size_t i = 0; i < n && !found; i++) {
		struct symbol *t = relas[i]->sym;
		struct vfunc *q;

		if (t && t->type == STT_SECTION && t->sec)
			t = symbol_at(t->sec, relas[i]->addend + 4, true);
		q = t ? vobj_func_of(&v->patched, t) : NULL;
		/* q changed, or calls such a function itself (a chain) */
		found = q && q != p && !q->replaced && v->arch->is_direct_branch_to(relas[i], q->sym) &&
			(q->changed || (depth < MAX_CALLER_CHAIN &&
					calls_function_entered_by_callers(v, q, depth + 1))) &&
			entered_only_by_replaced(v, q, 0, why, sizeof(why));
	}
	free(relas);
	return found;
}

/* After every record is known: nothing unchanged is replaced without cause. */
static void check_unchanged_replaced(struct verify *v)
{
	for (size_t i = 0; i < v->nr_records; i++) {
		struct record *rec = &v->records[i];
		struct vfunc *p = rec->func ? rec->func->patched : NULL;

		if (!p || !p->replaced || !rec->old_name || p->changed || p->line_only ||
		    calls_function_entered_by_callers(v, p, 0))
			continue;
		add_finding(v, "klp-func", rec->old_name, KPATCH_FUNCS_SECTION, true, rec->offset,
			    "%s is patched but its code is the same as the original's", rec->old_name);
	}
}

static void check_carried(struct verify *v)
{
	char why[512];

	for (size_t i = 0; i < v->module.nr_funcs; i++) {
		struct vfunc *m = &v->module.funcs[i];

		if (!m->patched || m->recorded || !m->patched->orig)
			continue;
		if (is_part_of_replaced(&v->module, m, true))
			continue;
		/*
		 * A local copy of an unchanged function that new code calls
		 * (a branch the differ could not relocate) is harmless; a
		 * global one, or one whose code changed, is not.
		 */
		if (m->sym->bind == STB_LOCAL && !m->patched->changed)
			continue;
		if (entered_only_by_replaced(v, m->patched, 0, why, sizeof(why)))
			continue;	/* check_completeness notes it */
		add_finding(v, "klp-func", m->sym->name, section_of(m), false, 0,
			    "the module carries a %s copy of %s, which the original object has, without patching it%s",
			    m->sym->bind == STB_LOCAL ? "local" : "global", m->sym->name,
			    m->patched->changed ? " (it changed: the kernel keeps running the old code)" :
			    " (it did not change)");
	}
}

static bool is_ignored(struct verify *v, const char *name)
{
	for (size_t i = 0; i < v->nr_ignored; i++)
		if (!strcmp(v->ignored[i], name))
			return true;
	for (size_t i = 0; i < v->nr_allow_line_only; i++)
		if (!strcmp(v->allow_line_only[i], name))
			return true;
	return false;
}

static void check_completeness(struct verify *v)
{
	char why[512];

	for (size_t i = 0; i < v->patched.nr_funcs; i++) {
		struct vfunc *p = &v->patched.funcs[i];

		if (p->line_only && !p->replaced)
			add_note(v, "%s: only __LINE__ immediates differ; not replaced", p->sym->name);
		if (!p->changed || p->replaced || is_ignored(v, p->sym->name) ||
		    is_part_of_replaced(&v->patched, p, false))
			continue;
		if (!strncmp(section_of(p), ".init.", 6) || !strncmp(section_of(p), ".exit.", 6)) {
			/* ran at boot (or runs at unload): nothing to replace */
			add_note(v, "%s (%s) changed (%s); it is not patchable", p->sym->name,
				 section_of(p), p->why);
			continue;
		}
		if (entered_only_by_replaced(v, p, 0, why, sizeof(why))) {
			add_note(v, "%s changed (%s); not replaced: the module carries its new copy and replaces every caller",
				 p->sym->name, p->why);
			continue;
		}
		add_finding(v, "completeness", p->sym->name, section_of(p), false, 0,
			    "%s%s%s changed (%s) but the module does not replace it%s%s%s",
			    p->sym->name, p->file[0] ? " of " : "", p->file, p->why,
			    why[0] ? " (nor covers it through its callers: " : "", why, why[0] ? ")" : "");
	}
}

static void read_ignored(struct verify *v)
{
	struct section *sec = elf_find_section(v->patched.elf, KPATCH_IGNORE_FUNCTIONS_SECTION);
	struct rela **relas;
	size_t n;

	if (!sec)
		return;
	n = relas_in(&v->patched, sec, 0, sec->size, &relas);
	v->ignored = xcalloc(n + 1, sizeof(*v->ignored));
	for (size_t i = 0; i < n; i++) {
		struct target t;

		resolve_rela(relas[i], &t);
		if (t.kind == T_SYM)
			v->ignored[v->nr_ignored++] = xstrdup(t.sym->name);
		target_free(&t);
	}
	free(relas);
}

/* ---- klp relocations, imports, CRCs ----------------------------------- */

static bool registered_object(struct verify *v, const char *obj)
{
	if (!strcmp(obj, "vmlinux"))
		return true;	/* applied by the module loader itself */
	for (size_t i = 0; i < v->nr_records; i++)
		if (v->records[i].objname && !strcmp(v->records[i].objname, obj))
			return true;
	return false;
}

/* The module function a relocation site is in, for messages. */
static const char *function_at(struct verify *v, struct section *sec, uint64_t off)
{
	for (size_t i = 0; i < sec->nr_syms; i++) {
		struct symbol *s = sec->syms[i];

		if (s->type == STT_FUNC && off >= s->sym.st_value && off < s->sym.st_value + s->sym.st_size)
			return s->name;
	}
	(void)v;
	return NULL;
}

static void check_klp_relocations(struct verify *v)
{
	struct elf *elf = v->module.elf;
	size_t plen = strlen(KLP_RELA_PREFIX);

	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *rs = elf->sections[i];
		bool klp_sec = !strncmp(rs->name, KLP_RELA_PREFIX, plen);
		char secobj[64] = "";

		if (!is_rela_section(rs) || !rs->base)
			continue;
		if (klp_sec) {
			const char *obj = rs->name + plen, *dot = strchr(obj, '.');

			if (dot && (size_t)(dot - obj) < sizeof(secobj))
				snprintf(secobj, sizeof(secobj), "%.*s", (int)(dot - obj), obj);
			if (!(rs->sh.sh_flags & KPATCH_SHF_RELA_LIVEPATCH))
				add_finding(v, "klp-reloc", NULL, rs->name, false, 0,
					    "%s lacks SHF_RELA_LIVEPATCH: the loader applies it as an ordinary relocation section",
					    rs->name);
			if (!registered_object(v, secobj))
				add_finding(v, "klp-reloc", function_at(v, rs->base, rs->nr_relas ? rs->relas[0].offset : 0),
					    rs->name, false, 0,
					    "%s is for %s, which the patch does not register as a klp object: the kernel never applies it",
					    rs->name, secobj);
		}
		for (size_t j = 0; j < rs->nr_relas; j++) {
			struct rela *r = &rs->relas[j];
			struct target t;
			const char *fn = function_at(v, rs->base, r->offset), *why;

			if (!r->sym || strncmp(r->sym->name, KLP_SYM_PREFIX, strlen(KLP_SYM_PREFIX)))
				continue;
			resolve_rela(r, &t);
			if (v->module_is_ko && !klp_sec)
				add_finding(v, "klp-reloc", fn, rs->base->name, true, r->offset,
					    "relocation to %s left in %s: the module loader cannot resolve it",
					    r->sym->name, rs->name);
			else if (klp_sec && strcmp(t.obj, secobj))
				add_finding(v, "klp-reloc", fn, rs->base->name, true, r->offset,
					    "%s in %s: another object's symbol", r->sym->name, rs->name);
			else if (!klp_sec && !registered_object(v, t.obj))
				add_finding(v, "klp-reloc", fn, rs->base->name, true, r->offset,
					    "relocation to %s, of %s, which the patch does not register as a klp object: the kernel never applies it",
					    r->sym->name, t.obj);
			if (v->module_is_ko && r->sym->sym.st_shndx != KPATCH_SHN_LIVEPATCH)
				add_finding(v, "klp-reloc", fn, rs->base->name, true, r->offset,
					    "%s is not marked SHN_LIVEPATCH", r->sym->name);
			if (t.pos == ~0UL)
				add_finding(v, "klp-reloc", fn, rs->base->name, true, r->offset,
					    "malformed klp symbol name %s", r->sym->name);
			why = v->arch->klp_reloc_problem ? v->arch->klp_reloc_problem(r, rs->base) : NULL;
			if (why)
				add_finding(v, "klp-reloc", fn, rs->base->name, true, r->offset,
					    "relocation type %u to %s %s", r->type, r->sym->name, why);
			target_free(&t);
		}
	}
}

static void check_imports(struct verify *v)
{
	struct elf *elf = v->module.elf;

	if (!v->have_symvers) {
		add_note(v, "imports and CRCs not checked: no --symvers");
		return;
	}
	for (size_t i = 1; i < elf->nr_symbols; i++) {
		struct symbol *s = elf->symbols[i];
		const char *exporter;

		if (s->sec || s->sym.st_shndx != SHN_UNDEF || !s->name[0] || s->type == STT_FILE ||
		    !strncmp(s->name, KLP_SYM_PREFIX, strlen(KLP_SYM_PREFIX)) ||
		    !strcmp(s->name, "_GLOBAL_OFFSET_TABLE_") ||
		    (v->arch->loader_symbol && !strcmp(s->name, v->arch->loader_symbol)))
			continue;
		if (!lookup_exported(v->lookup, s->name, &exporter))
			add_finding(v, "import", s->name, NULL, false, 0,
				    "the module imports %s, which neither the kernel nor a module exports",
				    s->name);
	}
}

/*
 * .static_call_sites entries are {s32 site, s32 key}; objtool writes them
 * at the module's link, naming the key where the object has its symbol and
 * the trampoline otherwise. The kernel finds a key from a trampoline only
 * for calls exported without their key (EXPORT_STATIC_CALL_TRAMP): a site
 * naming the trampoline of an exported key fails insmod.
 */
static void check_static_call_keys(struct verify *v)
{
	static const char tramp[] = "__SCT__";
	struct section *sec = elf_find_section(v->module.elf, ".static_call_sites");
	struct section *rs = sec ? sec->rela : NULL;

	if (!rs || !v->have_symvers)
		return;
	for (size_t k = 0; k < rs->nr_relas; k++) {
		struct rela *r = &rs->relas[k];
		const char *name = r->sym ? r->sym->name : "", *exporter, *dot;
		char *key;

		if (r->offset % 8 != 4)
			continue;	/* the site field */
		/* .klp.sym.OBJ.NAME,POS: the name after the object's */
		if (!strncmp(name, KLP_SYM_PREFIX, strlen(KLP_SYM_PREFIX)) &&
		    (dot = strchr(name + strlen(KLP_SYM_PREFIX), '.')))
			name = dot + 1;
		if (strncmp(name, tramp, strlen(tramp)))
			continue;
		key = xasprintf("__SCK__%.*s", (int)strcspn(name + strlen(tramp), ","),
				name + strlen(tramp));
		if (lookup_exported(v->lookup, key, &exporter))
			add_finding(v, "special", NULL, ".static_call_sites", true, r->offset - 4,
				    "the static call site names trampoline %.*s, but its key %s is exported (by %s): the kernel looks a key up from a trampoline only for calls exported without their key, so insmod fails; the site must name %s",
				    (int)strcspn(name, ","), name, key, exporter, key);
		free(key);
	}
}

struct crc_entry {
	char *name;
	unsigned long crc;
};

static int cmp_crc_entry(const void *x, const void *y)
{
	return strcmp(((const struct crc_entry *)x)->name, ((const struct crc_entry *)y)->name);
}

/* Module.symvers: "0xCRC<tab>symbol<tab>module<tab>EXPORT...", sorted by symbol. */
static struct crc_entry *read_crcs(const char *path, size_t *count)
{
	FILE *f = fopen(path, "r");
	struct crc_entry *list = NULL;
	size_t n = 0, cap = 0;
	char line[1024];

	*count = 0;
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t'), *end;

		if (!tab || !(end = strchr(tab + 1, '\t')))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			list = xrealloc(list, cap * sizeof(*list));
		}
		list[n].crc = strtoul(line, NULL, 16);
		list[n++].name = xasprintf("%.*s", (int)(end - tab - 1), tab + 1);
	}
	fclose(f);
	qsort(list, n, sizeof(*list), cmp_crc_entry);
	*count = n;
	return list;
}

static void check_crcs(struct verify *v)
{
	struct section *sec = elf_find_section(v->module.elf, "__versions");
	const size_t entry = 64;	/* struct modversion_info: unsigned long crc; char name[56] */

	struct crc_entry *crcs, key, *found;
	size_t n;

	if (!sec || !v->have_symvers || !sec->data)
		return;
	crcs = read_crcs(v->symvers_path, &n);
	for (uint64_t off = 0; off + entry <= sec->size; off += entry) {
		uint64_t crc;
		char name[57];

		crc = elf_get_u64(v->module.elf, sec->data + off);
		memcpy(name, sec->data + off + 8, 56);
		name[56] = '\0';
		key.name = name;
		found = n ? bsearch(&key, crcs, n, sizeof(*crcs), cmp_crc_entry) : NULL;
		if (!found)
			add_finding(v, "crc", name, "__versions", true, off,
				    "the module records a CRC for %s, which %s does not list", name,
				    v->symvers_path);
		else if ((uint32_t)crc != (uint32_t)found->crc)
			add_finding(v, "crc", name, "__versions", true, off,
				    "the module was built against %s with CRC 0x%08x; the kernel's is 0x%08lx",
				    name, (uint32_t)crc, found->crc);
	}
	for (size_t i = 0; i < n; i++)
		free(crcs[i].name);
	free(crcs);
}

/* ---- exports ------------------------------------------------------------ */

/*
 * An export is a symbol __export_symbol_NAME in .export_symbol (6.5+; the
 * record starts with the license string) or __ksymtab_NAME in
 * ___ksymtab+NAME / ___ksymtab_gpl+NAME (before). NAME and its license
 * ("GPL"/"gpl" or "") go to name/license; false if SYM is no export.
 */
static bool export_record(const struct symbol *sym, const char **name, char *license,
			  size_t license_len)
{
	static const char rec[] = "__export_symbol_", tab[] = "__ksymtab_";
	const struct section *sec = sym->sec;

	license[0] = '\0';
	if (!sec || sym->type == STT_SECTION)
		return false;
	if (!strcmp(sec->name, ".export_symbol") && !strncmp(sym->name, rec, sizeof(rec) - 1)) {
		*name = sym->name + sizeof(rec) - 1;
		if (sec->data && sym->sym.st_value < sec->size)
			snprintf(license, license_len, "%.*s",
				 (int)strnlen((const char *)sec->data + sym->sym.st_value,
					      sec->size - sym->sym.st_value),
				 (const char *)sec->data + sym->sym.st_value);
		return true;
	}
	if (!strncmp(sec->name, "___ksymtab", 10) && !strncmp(sym->name, tab, sizeof(tab) - 1)) {
		*name = sym->name + sizeof(tab) - 1;
		snprintf(license, license_len, "%s", strstr(sec->name, "_gpl+") ? "gpl" : "");
		return true;
	}
	return false;
}

/* An export of NAME in O's object and its license, or false (by the
 * model's name index: both record symbol names are tried). */
static bool exported_by(const struct vobj *o, const char *name, char *license, size_t license_len)
{
	static const char *const prefixes[] = { "__export_symbol_", "__ksymtab_" };

	for (size_t k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]); k++) {
		char sym_name[512];
		const char *n;

		if ((size_t)snprintf(sym_name, sizeof(sym_name), "%s%s", prefixes[k], name) >=
		    sizeof(sym_name))
			continue;
		for (struct symbol *s = elf_find_symbol(o->elf, sym_name); s;
		     s = elf_find_symbol_next(o->elf, s))
			if (export_record(s, &n, license, license_len))
				return true;
	}
	return false;
}

/* Each export FROM has and TO lacks, or has with another license. */
static void compare_export_tables(struct verify *v, const struct vobj *from, const struct vobj *to,
				  const char *what)
{
	for (size_t i = 1; i < from->elf->nr_symbols; i++) {
		char license[64], other[64];
		const char *name;

		if (!export_record(from->elf->symbols[i], &name, license, sizeof(license)))
			continue;
		if (!exported_by(to, name, other, sizeof(other)))
			add_finding(v, "export", name, NULL, false, 0,
				    "the patched object %s the export of %s: the running kernel's export table stays as it is, so a livepatch cannot deliver that",
				    what, name);
		else if (from == &v->patched && strcmp(license, other))
			add_finding(v, "export", name, NULL, false, 0,
				    "the patched object exports %s with license \"%s\", the original with \"%s\": a livepatch cannot change an export",
				    name, license, other);
	}
}

/* The patch must leave the exports as they are. */
static void check_exports(struct verify *v)
{
	compare_export_tables(v, &v->patched, &v->orig, "adds");
	compare_export_tables(v, &v->orig, &v->patched, "removes");
}

/* ---- special sections -------------------------------------------------- */

/* Every entry of size bytes starts with a relocation to code. */
static bool entries_start_with_code(const struct vobj *o, struct section *sec, uint64_t size)
{
	bool ok = size && sec->size % size == 0;

	for (uint64_t off = 0; ok && off < sec->size; off += size) {
		struct rela **r;
		size_t n = relas_in(o, sec, off, off + 1, &r);

		ok = n && r[0]->sym && r[0]->sym->sec && (r[0]->sym->sec->sh.sh_flags & SHF_EXECINSTR);
		free(r);
	}
	return ok;
}

/*
 * The entry size of a special section of a compiled object, independent
 * of any size the differ was told: the smallest size that divides the
 * section, repeats the same relocated fields (at least min_relocs) in
 * every entry and starts every entry with a code address; 0 when no size
 * does (entries whose fields are not all relocated).
 */
static uint64_t infer_entry_size(const struct vobj *o, struct section *sec, size_t min_relocs)
{
	struct rela **relas;
	size_t n = relas_in(o, sec, 0, sec->size, &relas);
	uint64_t found = 0;

	for (uint64_t d = 4; n && d <= sec->size && !found; d++) {
		size_t per = 0, k = 0;
		bool ok;

		if (sec->size % d)
			continue;
		while (per < n && relas[per]->offset < d)
			per++;
		ok = per >= min_relocs && n % per == 0 && n / per == sec->size / d;
		for (k = per; ok && k < n; k++)
			ok = relas[k]->offset - (k / per) * d == relas[k % per]->offset;
		if (ok && entries_start_with_code(o, sec, d))
			found = d;
	}
	free(relas);
	return found;
}

/* Sizes from the DWARF, by the arch's specials[] index; 0: none. */
#define MAX_SPECIALS 32
static unsigned long dwarf_sizes[MAX_SPECIALS];

/*
 * The size the target kernel's DWARF (--struct-sizes-from), the
 * environment (as for create-diff-object) or the arch's default gives,
 * unless the patched object's own layout shows it
 * wrong: a multiple of the real size, or entries not starting with code.
 */
static uint64_t entry_size(struct verify *v, const struct special *sp, struct section *ps)
{
	const char *env = sp->size_env ? getenv(sp->size_env) : NULL;
	uint64_t size = dwarf_sizes[sp - v->arch->specials], inferred;

	if (!size && env && *env)
		size = strtoull(env, NULL, 0);
	if (!size)
		size = sp->size;
	if (!ps || !sp->min_relocs)
		return size;
	inferred = infer_entry_size(&v->patched, ps, sp->min_relocs);
	if (inferred && inferred != size &&
	    ((inferred < size && size % inferred == 0) ||
	     !entries_start_with_code(&v->patched, ps, size))) {
		static bool noted[MAX_SPECIALS];

		if (noted[sp - v->arch->specials])
			return inferred;
		noted[sp - v->arch->specials] = true;
		add_note(v, "%s: entries of the patched object are 0x%lx bytes (relocation layout), not 0x%lx",
			 sp->name, (unsigned long)inferred, (unsigned long)size);
		return inferred;
	}
	return size;
}

/*
 * pr[0..1] and mr[0..1]: an entry's pair of offsets (from the entry at
 * poff, moff) to the start and the end of an anonymous block, *tp and *tm
 * the first ones' targets. True when both entries point at such a block
 * and the two blocks have the same length and bytes, wherever they are.
 */
static bool anon_block_pair(struct rela **pr, uint64_t poff, struct rela **mr, uint64_t moff,
			    const struct target *tp, const struct target *tm)
{
	struct target pe, me, pb = *tp, mb = *tm;
	int64_t plen, mlen;
	bool same;

	if (tp->kind != T_ANON || tm->kind != T_ANON || pr[1]->offset != mr[1]->offset - moff + poff)
		return false;
	resolve_rela(pr[1], &pe);
	resolve_rela(mr[1], &me);
	same = pe.kind == T_ANON && me.kind == T_ANON && pe.sec == tp->sec && me.sec == tm->sec;
	/* each offset counts from the entry, not from its own field */
	pb.off -= (int64_t)(pr[0]->offset - poff);
	mb.off -= (int64_t)(mr[0]->offset - moff);
	plen = pe.off - (int64_t)(pr[1]->offset - poff) - pb.off;
	mlen = me.off - (int64_t)(mr[1]->offset - moff) - mb.off;
	same = same && plen >= 0 && plen == mlen && same_anon_block(&pb, &mb, plen);
	target_free(&pe);
	target_free(&me);
	return same;
}

static bool same_entry(struct verify *v, const struct special *sp, struct section *ps,
		       uint64_t poff, struct section *ms, uint64_t moff, uint64_t size, char *why,
		       size_t whylen)
{
	struct rela **pr, **mr;
	size_t np = relas_in(&v->patched, ps, poff, poff + size, &pr);
	size_t nm = relas_in(&v->module, ms, moff, moff + size, &mr);
	unsigned char *mask = xcalloc(size, 1);
	uint64_t len_at = v->arch->block_len_offset ? v->arch->block_len_offset(size) :
			  v->arch->block_len_at;
	bool same = np == nm;

	if (!same)
		snprintf(why, whylen, "%zu relocations, the patched entry %zu", nm, np);
	for (size_t i = 0; same && i < np; i++) {
		struct target tp, tm;

		if (pr[i]->offset - poff != mr[i]->offset - moff || pr[i]->type != mr[i]->type) {
			snprintf(why, whylen, "relocation at +0x%lx differs",
				 (unsigned long)(mr[i]->offset - moff));
			same = false;
			break;
		}
		resolve_rela(pr[i], &tp);
		resolve_rela(mr[i], &tm);
		if (v->arch->block_pair_special && v->arch->block_pair_special(sp->name) &&
		    i + 1 < np && anon_block_pair(pr + i, poff, mr + i, moff, &tp, &tm)) {
			/* the start and end of one block, both checked */
			for (int k = 0; k < 2; k++)
				if (pr[i + k]->offset - poff + v->arch->rela_width(pr[i + k]->type) <= size)
					memset(mask + pr[i + k]->offset - poff, 1,
					       v->arch->rela_width(pr[i + k]->type));
			target_free(&tp);
			target_free(&tm);
			i++;
			continue;
		}
		if (tp.kind == T_ANON && tm.kind == T_ANON && v->arch->sized_block_special &&
		    !strcmp(sp->name, v->arch->sized_block_special) && len_at < size && ps->data) {
			/* an alternative's replacement, as long as the entry says */
			same = same_anon_block(&tp, &tm, ps->data[poff + len_at]);
			if (!same)
				snprintf(why, whylen, "the block at +0x%lx differs",
					 (unsigned long)(mr[i]->offset - moff));
		} else {
			same = same_target(v, CMP_MODULE, &tp, &tm, 0, why, whylen);
		}
		if (pr[i]->offset - poff + v->arch->rela_width(pr[i]->type) <= size)
			memset(mask + pr[i]->offset - poff, 1, v->arch->rela_width(pr[i]->type));
		target_free(&tp);
		target_free(&tm);
	}
	for (uint64_t i = 0; same && i < size; i++)
		if (!mask[i] && ps->data && ms->data && ps->data[poff + i] != ms->data[moff + i]) {
			snprintf(why, whylen, "byte +0x%lx differs", (unsigned long)i);
			same = false;
		}
	free(mask);
	free(pr);
	free(mr);
	return same;
}

/* Which function of the module an entry belongs to; NULL when none. */
static struct vfunc *entry_owner(struct verify *v, struct section *ms, uint64_t moff,
				 char *what, size_t whatlen)
{
	struct rela **mr;
	size_t n = relas_in(&v->module, ms, moff, moff + 1, &mr);
	struct vfunc *f = NULL;
	struct target t;

	snprintf(what, whatlen, "nothing");
	if (n) {
		resolve_rela(mr[0], &t);
		describe_target(&t, what, whatlen);
		if (t.kind == T_SYM)
			f = vobj_func_of(&v->module, t.sym);
		target_free(&t);
	}
	free(mr);
	return f;
}

static void check_special(struct verify *v, const struct special *sp)
{
	const char *mname = v->arch->module_special_name ?
			    v->arch->module_special_name(sp->name) : NULL;
	struct section *ms, *ps = elf_find_section(v->patched.elf, sp->name);
	uint64_t size;
	char why[1024], what[300];

	if (mname) {
		/* under the object's name, the loader never applies it */
		ms = elf_find_section(v->module.elf, sp->name);
		if (ms && ms->size)
			add_finding(v, "special", NULL, sp->name, false, 0,
				    "the module loader does not apply %s in a module: its entries belong in %s",
				    sp->name, mname);
	} else {
		mname = sp->name;
	}
	ms = elf_find_section(v->module.elf, mname);
	if (!ms || !ms->size)
		return;
	size = entry_size(v, sp, ps);
	if (ms->size % size) {
		add_finding(v, "special", NULL, mname, false, 0,
			    "%s is 0x%lx bytes, not a whole number of 0x%lx-byte entries", mname,
			    (unsigned long)ms->size, (unsigned long)size);
		return;
	}
	for (uint64_t moff = 0; moff < ms->size; moff += size) {
		struct vfunc *owner = NULL;
		bool mirrored = false;

		v->entries_checked++;
		if (sp->code_first) {
			owner = entry_owner(v, ms, moff, what, sizeof(what));
			if (!owner) {
				add_finding(v, "special", NULL, mname, true, moff,
					    "entry refers to %s, not to a function of the module", what);
				continue;
			}
			if (!owner->patched)
				continue;	/* the module template's own entry */
			/*
			 * The patched object has no such table, so the differ
			 * cannot have copied this entry: objtool made it when
			 * the module was linked (IBT kernels defer objtool to
			 * the final link), from the module's own code.
			 */
			if (!ps || !ps->size)
				continue;
		}
		snprintf(why, sizeof(why), "the patched object has no %s", sp->name);
		for (uint64_t poff = 0; ps && poff + size <= ps->size && !mirrored; poff += size)
			mirrored = same_entry(v, sp, ps, poff, ms, moff, size, why, sizeof(why));
		if (!mirrored)
			add_finding(v, "special", owner ? owner->sym->name : NULL, mname, true, moff,
				    "entry mirrors no entry of the patched object (closest: %s)", why);
	}
}

/* ---- static branches ---------------------------------------------------- */

static int cmp_jump_site(const void *x, const void *y)
{
	const struct jump_site *a = x, *b = y;

	if (a->secidx != b->secidx)
		return a->secidx < b->secidx ? -1 : 1;
	return (a->off > b->off) - (a->off < b->off);
}

/* The code field (the first) of every __jump_table entry of PATCHED.o. */
static void collect_jump_sites(struct verify *v)
{
	struct section *sec = elf_find_section(v->patched.elf, "__jump_table");
	const struct special *sp = v->arch->specials;
	uint64_t size;
	struct rela **relas;
	size_t n;

	while (sp->name && strcmp(sp->name, "__jump_table"))
		sp++;
	if (!sec || !sp->name)
		return;
	size = entry_size(v, sp, sec);
	n = relas_in(&v->patched, sec, 0, sec->size, &relas);
	v->jump_sites = xcalloc(n + 1, sizeof(*v->jump_sites));
	for (size_t i = 0; i < n; i++) {
		struct symbol *s = relas[i]->sym;

		if (relas[i]->offset % size || !s || !s->sec)
			continue;
		v->jump_sites[v->nr_jump_sites].secidx = s->sec->index;
		v->jump_sites[v->nr_jump_sites].off =
			(s->type == STT_SECTION ? 0 : s->sym.st_value) + relas[i]->addend;
		/* the kernel's jump_entry: code, target (4 bytes on), key (8 on) */
		v->jump_sites[v->nr_jump_sites].target =
			rela_at_offset(relas, n, relas[i]->offset + 4);
		v->jump_sites[v->nr_jump_sites++].key = rela_at_offset(relas, n, relas[i]->offset + 8);
	}
	free(relas);
	qsort(v->jump_sites, v->nr_jump_sites, sizeof(*v->jump_sites), cmp_jump_site);
}

const struct jump_site *jump_site_at(const struct verify *v, const struct section *sec,
				     uint64_t off)
{
	struct jump_site key = { sec->index, off, NULL, NULL };

	return v->nr_jump_sites ?
	       bsearch(&key, v->jump_sites, v->nr_jump_sites, sizeof(key), cmp_jump_site) : NULL;
}

bool is_jump_site(const struct verify *v, const struct section *sec, uint64_t off)
{
	return jump_site_at(v, sec, off) != NULL;
}

bool is_inert_key(const struct rela *key)
{
	const char *name = key && key->sym ? key->sym->name : "";

	return !strncmp(name, "__tracepoint_", 13) || strstr(name, "__UNIQUE_ID_ddebug") ||
	       !strcmp(name, "__dyndbg");
}

/*
 * Every static branch site a module function copied from the patched
 * object is still a static branch: the module has its __jump_table entry,
 * or the site reads its key (the arch's static_branch_stub), or, for an
 * inert key whose entry the differ drops, the site is what the disabled
 * key means. Otherwise the branch stays as compiled, whatever the key.
 */
struct module_site {
	const struct symbol *func;
	int64_t off;
};

static int cmp_module_site(const void *x, const void *y)
{
	const struct module_site *a = x, *b = y;

	if (a->func != b->func)
		return a->func->index < b->func->index ? -1 : 1;
	return (a->off > b->off) - (a->off < b->off);
}

/* The module's __jump_table code addresses, as function + offset, sorted. */
static size_t module_jump_sites(struct verify *v, struct module_site **out)
{
	struct section *ms = elf_find_section(v->module.elf, "__jump_table");
	struct section *ps = elf_find_section(v->patched.elf, "__jump_table");
	const struct special *sp = v->arch->specials;
	struct rela **relas;
	uint64_t size;
	size_t n, nr = 0;

	*out = NULL;
	while (sp->name && strcmp(sp->name, "__jump_table"))
		sp++;
	if (!ms || !ps || !sp->name)
		return 0;
	size = entry_size(v, sp, ps);
	n = relas_in(&v->module, ms, 0, ms->size, &relas);
	*out = xcalloc(n + 1, sizeof(**out));
	for (size_t i = 0; i < n; i++) {
		struct target t;

		if (relas[i]->offset % size)
			continue;
		resolve_rela(relas[i], &t);
		if (t.kind == T_SYM && t.sym->type == STT_FUNC) {
			(*out)[nr].func = t.sym;
			(*out)[nr++].off = t.delta;
		}
		target_free(&t);
	}
	free(relas);
	qsort(*out, nr, sizeof(**out), cmp_module_site);
	return nr;
}

static void check_site(struct verify *v, const struct vfunc *m, const struct jump_site *js,
		       const struct module_site *sites, size_t nsites)
{
	const struct symbol *pf = m->patched->sym, *mf = m->sym;
	uint64_t site = js->off - pf->sym.st_value, msize = mf->sym.st_size;
	struct module_site key = { mf, (int64_t)site };
	const unsigned char *code = mf->sec->data + mf->sym.st_value;
	struct stub_match match;
	struct rela **mr;
	size_t mn;
	char why[512] = "";
	bool ok;

	if (nsites && bsearch(&key, sites, nsites, sizeof(key), cmp_module_site))
		return;
	if (site >= msize || mf->sym.st_value + msize > mf->sec->size)
		return;		/* the comparison reports it */
	mn = relas_in(&v->module, mf->sec, mf->sym.st_value + pf->sym.st_size,
		      mf->sym.st_value + msize, &mr);
	ok = v->arch->static_branch_stub(v, js, pf, mf, code, pf->sym.st_size, msize, site, mr, mn,
					 &match, why, sizeof(why)) ||
	     (!why[0] && is_inert_key(js->key) && v->arch->static_branch_off(js, code, msize, site));
	free(mr);
	if (!ok)
		add_finding(v, "special", mf->name, section_of(m), true, site,
			    "the static branch at +0x%lx (key %s) has no __jump_table entry in the module%s%s: it stays as compiled, whatever its key says",
			    (unsigned long)site, js->key && js->key->sym ? js->key->sym->name : "unknown",
			    why[0] ? " and " : "", why);
}

static void check_static_branch_sites(struct verify *v)
{
	struct module_site *sites;
	size_t nsites;

	if (!v->arch->static_branch_stub || !v->arch->static_branch_off || !v->nr_jump_sites)
		return;
	nsites = module_jump_sites(v, &sites);
	for (size_t i = 0; i < v->module.nr_funcs; i++) {
		const struct vfunc *m = &v->module.funcs[i];
		const struct symbol *pf;

		if (!m->patched || m->unsound || !m->sym->sec || !m->sym->sec->data)
			continue;
		pf = m->patched->sym;
		for (size_t k = 0; k < v->nr_jump_sites; k++) {
			const struct jump_site *js = &v->jump_sites[k];

			if (js->secidx == pf->sec->index && js->off >= pf->sym.st_value &&
			    js->off < pf->sym.st_value + pf->sym.st_size)
				check_site(v, m, js, sites, nsites);
		}
	}
	free(sites);
}

/*
 * runtime_const_ptr() sites: each entry of a runtime_ptr_<var> section of
 * PATCHED.o points at the imm64 of a "movabs" the kernel patches at boot.
 */
static void collect_runtime_sites(struct verify *v)
{
	struct elf *elf = v->patched.elf;

	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];
		struct rela **relas;
		size_t n;

		if (strncmp(sec->name, "runtime_ptr_", 12) || is_rela_section(sec))
			continue;
		n = relas_in(&v->patched, sec, 0, sec->size, &relas);
		v->runtime_sites = xrealloc(v->runtime_sites,
					    (v->nr_runtime_sites + n + 1) * sizeof(*v->runtime_sites));
		for (size_t k = 0; k < n; k++) {
			struct symbol *s = relas[k]->sym;

			if (!s || !s->sec)
				continue;
			v->runtime_sites[v->nr_runtime_sites].secidx = s->sec->index;
			v->runtime_sites[v->nr_runtime_sites].off =
				(s->type == STT_SECTION ? 0 : s->sym.st_value) + relas[k]->addend;
			v->runtime_sites[v->nr_runtime_sites++].var = sec->name + 12;
		}
		free(relas);
	}
}

const char *runtime_site(const struct verify *v, const struct section *sec, uint64_t off)
{
	for (size_t i = 0; i < v->nr_runtime_sites; i++)
		if (v->runtime_sites[i].secidx == sec->index && v->runtime_sites[i].off == off)
			return v->runtime_sites[i].var;
	return NULL;
}

/* ---- all -------------------------------------------------------------- */

int read_struct_sizes(struct verify *v, char *err, size_t errlen)
{
	const struct special *specials = v->arch->specials;
	const char *types[MAX_SPECIALS];
	unsigned long sizes[MAX_SPECIALS];
	size_t nr_types = 0, at[MAX_SPECIALS];
	bool needed = false;

	/* reading the DWARF of vmlinux takes longer than all the checks */
	for (size_t i = 0; specials[i].name && !needed; i++)
		needed = elf_find_section(v->module.elf, specials[i].name) != NULL;
	if (!v->struct_sizes_from || !needed)
		return 0;
	for (size_t i = 0; specials[i].name && i < MAX_SPECIALS; i++) {
		if (!specials[i].type)
			continue;
		at[nr_types] = i;
		types[nr_types++] = specials[i].type;
	}
	if (dwarf_struct_sizes(v->struct_sizes_from, types, nr_types, sizes, err, errlen))
		return -1;
	for (size_t k = 0; k < nr_types; k++)
		dwarf_sizes[at[k]] = sizes[k];
	return 0;
}

void run_checks(struct verify *v)
{
	struct func_index orig_ix, patched_ix;

	index_by_norm(&v->orig, &orig_ix);
	index_by_norm(&v->patched, &patched_ix);
	read_ignored(v);
	collect_jump_sites(v);
	collect_runtime_sites(v);
	pair_orig_patched(v, &orig_ix);
	pair_module_patched(v, &patched_ix, false);
	pair_module_patched(v, &patched_ix, true);
	for (size_t i = 0; i < v->nr_records; i++)
		check_record(v, &v->records[i]);
	check_duplicate_records(v);
	check_unchanged_replaced(v);
	check_carried(v);
	check_completeness(v);
	check_static_branch_sites(v);
	check_klp_relocations(v);
	check_imports(v);
	check_static_call_keys(v);
	check_crcs(v);
	check_exports(v);
	for (const struct special *sp = v->arch->specials; sp->name; sp++)
		check_special(v, sp);
	free(orig_ix.f);
	free(patched_ix.f);
}

void load_records(struct verify *v)
{
	parse_records(v);
}
