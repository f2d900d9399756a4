// SPDX-License-Identifier: GPL-2.0
/*
 * A changed function without an ftrace call site cannot be redirected by
 * livepatch. When it is local to the object, every call to it is in this
 * object: if each of its callers, in the running kernel's object (ORIG)
 * and in the patched one, can be patched, the callers are replaced
 * instead and their new copies call the function's new copy, which the
 * output carries without a klp_func entry. That covers every way the
 * running kernel enters it only if nothing holds its address, so any
 * reference other than a direct call or jump (a function pointer, a data
 * table, a call from code that is no function) keeps the refusal.
 * Callers without an ftrace call site are covered the same way, a few
 * levels up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdo.h"
#include "util.h"

#define MAX_CALLER_DEPTH 4

/* One reference to a text section: who refers, from where. */
struct text_ref {
	struct section *target;
	struct rela *rela;
};

struct ref_index {
	struct text_ref *refs;		/* sorted by target */
	size_t n;
};

static int ref_cmp(const void *a, const void *b)
{
	const struct text_ref *x = a, *y = b;

	if (x->target != y->target)
		return x->target < y->target ? -1 : 1;
	/* within a target, the object's own order, not the heap's: messages
	 * and the callers chosen must not depend on where malloc put things */
	if (x->rela->sec->index != y->rela->sec->index)
		return x->rela->sec->index < y->rela->sec->index ? -1 : 1;
	if (x->rela->offset != y->rela->offset)
		return x->rela->offset < y->rela->offset ? -1 : 1;
	return x->rela < y->rela ? -1 : x->rela > y->rela;
}

/* Every relocation of elf that points into a text section, by target. */
static void index_text_refs(struct elf *elf, struct ref_index *ix)
{
	size_t cap = 0;

	ix->refs = NULL;
	ix->n = 0;
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *rs = elf->sections[i];

		if (!is_rela_section(rs) || !rs->base || rs->deleted)
			continue;
		for (size_t k = 0; k < rs->nr_relas; k++) {
			struct rela *rela = &rs->relas[k];
			struct section *t = rela->sym ? rela->sym->sec : NULL;

			if (!t || !is_text_section(t))
				continue;
			if (ix->n == cap) {
				cap = cap ? 2 * cap : 256;
				ix->refs = xrealloc(ix->refs, cap * sizeof(*ix->refs));
			}
			ix->refs[ix->n].target = t;
			ix->refs[ix->n].rela = rela;
			ix->n++;
		}
	}
	if (ix->n)
		qsort(ix->refs, ix->n, sizeof(*ix->refs), ref_cmp);
}

static const struct text_ref *first_ref(const struct ref_index *ix, const struct section *t)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ix->refs[mid].target < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ix->n && ix->refs[lo].target == t ? &ix->refs[lo] : NULL;
}

/* Where code is, not who calls it: unwind tables, fixups, debug info. */
static bool is_bookkeeping(const struct cdo_ctx *ctx, const struct section *sec)
{
	if (is_text_section(sec))
		return false;
	return is_special_section(ctx, sec) || is_debug_section(sec) ||
	       !strncmp(sec->name, ".discard", 8) || !strncmp(sec->name, ".kpatch.", 8) ||
	       !strcmp(sec->name, "__patchable_function_entries") ||
	       !strcmp(sec->name, ".ibt_endbr_seal");
}

static struct symbol *whole_function(struct symbol *f)
{
	while (f && f->parent)
		f = f->parent;
	return f;
}

struct caller_cover {
	struct cdo_ctx *ctx;
	struct ref_index orig_refs, patched_refs;
	struct symbol **covered;	/* untraceable functions reached through callers */
	size_t nr_covered;
	struct symbol **callers;	/* patched callers to replace */
	size_t nr_callers;
	char why[512];			/* why not, when it fails */
};

static bool listed(struct symbol **arr, size_t n, const struct symbol *sym)
{
	for (size_t i = 0; i < n; i++)
		if (arr[i] == sym)
			return true;
	return false;
}

static void add_sym(struct symbol ***arr, size_t *n, struct symbol *sym)
{
	if (listed(*arr, *n, sym))
		return;
	*arr = xrealloc(*arr, (*n + 1) * sizeof(**arr));
	(*arr)[(*n)++] = sym;
}

static bool cover_function(struct caller_cover *c, struct symbol *func, int depth);

/* caller (a PATCHED function) calls func: can it be replaced instead? */
static bool take_caller(struct caller_cover *c, struct symbol *func, struct symbol *caller, int depth)
{
	if (caller == func || listed(c->covered, c->nr_covered, caller))
		return true;
	if (caller->status == STATUS_NEW)
		return true;	/* new code: carried, calls the new copy */
	if (!caller->sec) {
		/* a malformed object: a function symbol outside any section */
		snprintf(c->why, sizeof(c->why), "its caller %s has no section", caller->name);
		return false;
	}
	if (caller->sec->ignore) {
		snprintf(c->why, sizeof(c->why), "its caller %s is ignored (KPATCH_IGNORE)", caller->name);
		return false;
	}
	if (is_init_section(caller->sec->name)) {
		snprintf(c->why, sizeof(c->why), "its caller %s is init code", caller->name);
		return false;
	}
	if (caller->has_fentry && caller->twin && caller->twin->has_fentry) {
		add_sym(&c->callers, &c->nr_callers, caller);
		return true;
	}
	if (is_local(caller) && caller->twin && depth < MAX_CALLER_DEPTH)
		return cover_function(c, caller, depth + 1);
	snprintf(c->why, sizeof(c->why), "its caller %s has no ftrace call site either%s", caller->name,
		 is_local(caller) ? " (and too many such callers in a row)" : " and is global");
	return false;
}

/*
 * Every reference elf has to sec (func's section in that object): a direct
 * branch from a function, whose PATCHED version take_caller accepts.
 */
static bool callers_in(struct caller_cover *c, const struct ref_index *ix, struct section *sec,
		       struct symbol *func, bool orig_side, int depth)
{
	const struct text_ref *r = first_ref(ix, sec);

	for (; r && r < ix->refs + ix->n && r->target == sec; r++) {
		struct section *from = r->rela->sec->base;
		struct symbol *caller;

		if (is_bookkeeping(c->ctx, from))
			continue;
		if (!is_text_section(from) || c->ctx->arch->rela_is_address(r->rela)) {
			snprintf(c->why, sizeof(c->why), "its address is taken (in %s of the %s object)",
				 from->name, orig_side ? "original" : "patched");
			return false;
		}
		caller = whole_function(section_function(from));
		if (!caller) {
			snprintf(c->why, sizeof(c->why), "it is called from %s, which is no function",
				 from->name);
			return false;
		}
		if (orig_side) {
			if (caller == func->twin)
				continue;
			if (!caller->twin) {
				snprintf(c->why, sizeof(c->why), "its caller %s is gone from the patched object",
					 caller->name);
				return false;
			}
			caller = caller->twin;
		}
		if (!take_caller(c, func, caller, depth))
			return false;
	}
	return true;
}

static bool cover_function(struct caller_cover *c, struct symbol *func, int depth)
{
	if (listed(c->covered, c->nr_covered, func))
		return true;
	if (!is_local(func) || !func->twin || !func->sec || !func->twin->sec) {
		snprintf(c->why, sizeof(c->why), "%s", is_local(func) ?
			 "it has no original to compare with" :
			 "it is global, so code outside this object may call it");
		return false;
	}
	add_sym(&c->covered, &c->nr_covered, func);
	return callers_in(c, &c->orig_refs, func->twin->sec, func, true, depth) &&
	       callers_in(c, &c->patched_refs, func->sec, func, false, depth);
}

static void join_names(char *buf, size_t len, struct symbol **syms, size_t n)
{
	size_t used = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", syms[i]->name);
}

struct caller_cover *caller_cover_new(struct cdo_ctx *ctx)
{
	struct caller_cover *c = xcalloc(1, sizeof(*c));

	c->ctx = ctx;
	index_text_refs(ctx->orig, &c->orig_refs);
	index_text_refs(ctx->patched, &c->patched_refs);
	return c;
}

void caller_cover_free(struct caller_cover *c)
{
	if (!c)
		return;
	free(c->orig_refs.refs);
	free(c->patched_refs.refs);
	free(c->covered);
	free(c->callers);
	free(c);
}

/*
 * Cover func (a changed function without an ftrace call site) through its
 * callers. On success they are marked changed, func (and any untraceable
 * caller between) is carried without a klp_func entry, and a note says so;
 * otherwise why says what stood in the way and nothing is marked.
 */
bool patch_callers_instead(struct caller_cover *c, struct symbol *func, char *why, size_t whylen)
{
	struct cdo_ctx *ctx = c->ctx;
	char names[1024];

	c->nr_covered = c->nr_callers = 0;
	c->why[0] = 0;
	if (!cover_function(c, func, 0)) {
		snprintf(why, whylen, "%s", c->why);
		return false;
	}
	if (!c->nr_callers) {
		snprintf(why, whylen, "it has no callers to patch instead");
		return false;
	}
	for (size_t i = 0; i < c->nr_covered; i++) {
		c->covered[i]->via_callers = true;
		c->covered[i]->status = STATUS_CHANGED;
	}
	for (size_t i = 0; i < c->nr_callers; i++) {
		struct symbol *caller = c->callers[i];

		caller->status = STATUS_CHANGED;
		func_add_reason(result_func(ctx, caller, FUNC_CHANGED),
				"calls %s, which changed and has no ftrace call site", func->name);
	}
	join_names(names, sizeof(names), c->callers, c->nr_callers);
	result_add_note(ctx, "function %s has no ftrace call site: its callers %s are patched instead and call its new copy",
			func->name, names);
	return true;
}
