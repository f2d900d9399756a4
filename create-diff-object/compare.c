// SPDX-License-Identifier: GPL-2.0
/*
 * Change detection: every correlated pair of sections is compared byte by
 * byte and relocation by relocation (by what a relocation refers to, not
 * by symbol index), every correlated pair of symbols by kind and size.
 * The outcome is a status per section and symbol, and for each changed
 * function the reasons it changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdo.h"
#include "util.h"

static struct symbol *bundle_of(struct symbol *sym)
{
	if (sym && sym->type == STT_SECTION && sym->sec && sym->sec->bundled)
		return sym->sec->bundled;
	return sym;
}

bool symbols_equivalent(const struct symbol *p, const struct symbol *o)
{
	if (!p || !o)
		return p == o;
	if (p->twin || o->twin)
		return p->twin == o;
	if (p->type != o->type)
		return false;
	if (p->type == STT_SECTION && p->sec && o->sec)
		return names_equivalent(p->sec->name, o->sec->name);
	/* uncorrelated: undefined globals, fresh per-call-site statics */
	return names_equivalent(p->name, o->name);
}

static const char *string_at(const struct section *sec, int64_t offset)
{
	if (!sec->data || offset < 0 || (uint64_t)offset >= sec->size)
		return NULL;
	if (!memchr(sec->data + offset, 0, sec->size - (uint64_t)offset))
		return NULL;
	return (const char *)sec->data + offset;
}

/* A constant of a mergeable section (.rodata.cstN): its N bytes, or NULL. */
static const unsigned char *constant_at(const struct section *sec, int64_t offset)
{
	uint64_t n = sec->sh.sh_entsize;

	if (!(sec->sh.sh_flags & SHF_MERGE) || (sec->sh.sh_flags & SHF_STRINGS) || !n ||
	    !sec->data || offset < 0 || (uint64_t)offset + n > sec->size)
		return NULL;
	return sec->data + offset;
}

/* Relocations at the same place relative to pbase and obase, meaning the same. */
static bool relas_equal_at(struct cdo_ctx *ctx, struct rela *p, struct rela *o,
			   uint64_t pbase, uint64_t obase)
{
	struct symbol *ps = p->sym, *os = o->sym;

	if (p->type != o->type || p->offset - pbase != o->offset - obase)
		return false;
	if (ctx->arch->table_reference) {
		struct rela *pe, *oe;
		uint64_t pc, oc;
		bool pt = ctx->arch->table_reference(p, &pe, &pc);
		bool ot = ctx->arch->table_reference(o, &oe, &oc);

		/* what the table entries hold, wherever the tables have them */
		if (pt || ot)
			return pt == ot && !pe == !oe &&
			       (pe ? relas_equal_at(ctx, pe, oe, pe->offset, oe->offset) : pc == oc);
	}
	if (ps && os && ps->sec && os->sec && is_string_section(ps->sec) &&
	    is_string_section(os->sec)) {
		/*
		 * A literal moved inside its section is still the same literal,
		 * reached by the same instruction (addend less target offset:
		 * the PC bias), whatever label (.LCn on s390x) names it.
		 */
		int64_t pt = ctx->arch->rela_target_offset(p), ot = ctx->arch->rela_target_offset(o);
		const char *a = string_at(ps->sec, pt + (int64_t)ps->sym.st_value);
		const char *b = string_at(os->sec, ot + (int64_t)os->sym.st_value);

		if (a && b)
			return !strcmp(a, b) && p->addend - pt == o->addend - ot;
	}
	if (ps && os && ps->sec && os->sec) {
		/* the same for a constant the assembler merges (its .LCn renumbered) */
		int64_t pt = ctx->arch->rela_target_offset(p), ot = ctx->arch->rela_target_offset(o);
		const unsigned char *a = constant_at(ps->sec, pt + (int64_t)ps->sym.st_value);
		const unsigned char *b = constant_at(os->sec, ot + (int64_t)os->sym.st_value);

		if (a && b)
			return ps->sec->sh.sh_entsize == os->sec->sh.sh_entsize &&
			       !memcmp(a, b, ps->sec->sh.sh_entsize) && p->addend - pt == o->addend - ot;
	}
	/* objtool's .altinstr_aux targets move with unrelated code */
	if (ps && os && ps->sec && os->sec && !strcmp(ps->sec->name, ".altinstr_aux") &&
	    !strcmp(os->sec->name, ".altinstr_aux"))
		return true;
	if (p->addend != o->addend)
		return false;
	return symbols_equivalent(bundle_of(ps), bundle_of(os));
}

static bool relas_equal(struct cdo_ctx *ctx, struct rela *p, struct rela *o)
{
	return relas_equal_at(ctx, p, o, 0, 0);
}

static void add_reason(struct cdo_ctx *ctx, struct section *sec, const char *fmt,
		       const char *detail)
{
	struct symbol *func = section_function(sec);
	struct func_result *f;

	if (!func)
		return;
	f = result_func(ctx, func, FUNC_CHANGED);
	func_add_reason(f, fmt, detail);
}

static bool compare_relas(struct cdo_ctx *ctx, struct section *p, struct section *o,
			  char *why, size_t whylen)
{
	size_t n = p->nr_relas < o->nr_relas ? p->nr_relas : o->nr_relas;

	for (size_t i = 0; i < n; i++) {
		struct rela *pr = &p->relas[i], *or = &o->relas[i];

		if (!relas_equal(ctx, pr, or)) {
			const struct symbol *ps = pr->sym, *os = or->sym;

			if (ps && os && ps->sec && os->sec && is_string_section(ps->sec) &&
			    is_string_section(os->sec)) {
				const char *a = string_at(ps->sec, ctx->arch->rela_target_offset(pr) +
							  (int64_t)ps->sym.st_value);
				const char *b = string_at(os->sec, ctx->arch->rela_target_offset(or) +
							  (int64_t)os->sym.st_value);

				snprintf(why, whylen, "string used at +0x%lx changed: \"%.60s\" (was \"%.60s\")",
					 (unsigned long)pr->offset, a ? a : "?", b ? b : "?");
				return false;
			}
			snprintf(why, whylen, "relocation at +0x%lx refers to %s%+ld (was %s%+ld)",
				 (unsigned long)pr->offset, pr->sym ? pr->sym->name : "?",
				 (long)pr->addend, or->sym ? or->sym->name : "?", (long)or->addend);
			return false;
		}
	}
	if (p->nr_relas != o->nr_relas) {
		snprintf(why, whylen, "%zu relocations (was %zu)", p->nr_relas, o->nr_relas);
		return false;
	}
	return true;
}

static bool regenerated_section(const struct section *sec)
{
	return !strcmp(sec->name, "__mcount_loc") ||
	       !strcmp(sec->name, "__patchable_function_entries") ||
	       !strcmp(sec->name, ".sframe");
}

/* Off when kpatch-build kept the line numbers in the source (#line). */
static bool line_heuristic(const struct cdo_ctx *ctx)
{
	return ctx->arch->line_macro_change_only && !ctx->no_line_heuristic;
}

/* How far the function moved in its file, if both objects' DWARF say. */
static const int64_t *line_delta_of(const struct cdo_ctx *ctx, const struct symbol *p,
				    const struct symbol *o, int64_t *delta)
{
	long pl, ol;

	if (!p || !o)
		return NULL;
	pl = decl_line_of(&ctx->patched_decl, p->name);
	ol = decl_line_of(&ctx->orig_decl, o->name);
	if (!pl || !ol)
		return NULL;
	*delta = pl - ol;
	return delta;
}

/*
 * A function split out of a shared section (.sched.text, .noinstr.text)
 * owns the alignment padding after it up to the next function, and the
 * compiler pads the same function differently when a neighbour moves.
 * Same function code and padding-only tails on both sides is the same
 * function.
 */
static bool same_but_tail_padding(const struct cdo_ctx *ctx, struct section *p,
				  struct section *o)
{
	struct symbol *pf = section_function(p), *of = section_function(o);
	uint64_t end;

	if (!ctx->arch->is_padding_range || !pf || !of || !p->data || !o->data ||
	    pf->sym.st_value != of->sym.st_value || pf->sym.st_size != of->sym.st_size)
		return false;
	end = pf->sym.st_value + pf->sym.st_size;
	if (end > p->size || end > o->size || memcmp(p->data, o->data, end))
		return false;
	return ctx->arch->is_padding_range(p->data + end, p->size - end) &&
	       ctx->arch->is_padding_range(o->data + end, o->size - end);
}

static void compare_section(struct cdo_ctx *ctx, struct section *p, struct section *o)
{
	char why[512] = "";
	bool data_same, relas_same = true;

	if (p->sh.sh_type != o->sh.sh_type ||
	    (p->sh.sh_flags & ~(GElf_Xword)SHF_GROUP) != (o->sh.sh_flags & ~(GElf_Xword)SHF_GROUP) ||
	    p->sh.sh_entsize != o->sh.sh_entsize ||
	    (!is_text_section(p) && p->sh.sh_addralign != o->sh.sh_addralign)) {
		if (o->bundled && o->bundled->type == STT_OBJECT &&
		    (p->sh.sh_type == SHT_NOBITS) != (o->sh.sh_type == SHT_NOBITS))
			/* a variable gained or lost its initial value: .bss <-> .data */
			result_add_refusal(ctx, R_DATA_CHANGED,
				"changed data %s: its initial value changed (now in %s); a livepatch replaces functions, not data; change the code that uses it, use a shadow variable or a callback",
				o->bundled->name, p->sh.sh_type == SHT_NOBITS ? ".bss" : ".data");
		else
			result_add_refusal(ctx, R_SECTION_HEADER_CHANGED,
				"section %s: its type, flags, entry size or alignment changed",
				p->name);
		p->status = STATUS_CHANGED;
		return;
	}
	if (regenerated_section(p)) {
		p->status = STATUS_SAME;
		if (p->rela)
			p->rela->status = STATUS_SAME;
		return;
	}
	if (p->sh.sh_type == SHT_NOBITS)
		data_same = p->size == o->size;
	else
		data_same = p->size == o->size && (!p->size || !memcmp(p->data, o->data, p->size));
	if (!data_same && p->size != o->size && is_text_section(p) &&
	    same_but_tail_padding(ctx, p, o)) {
		cdo_debug(ctx, "%s: only the alignment padding after the function differs", p->name);
		data_same = true;
	}
	if (!data_same) {
		if (p->size != o->size) {
			snprintf(why, sizeof(why), "size 0x%lx (was 0x%lx)",
				 (unsigned long)p->size, (unsigned long)o->size);
		} else {
			uint64_t at = 0;

			while (at < p->size && p->data[at] == o->data[at])
				at++;
			snprintf(why, sizeof(why), "bytes differ at +0x%lx", (unsigned long)at);
		}
	}
	if (!p->rela != !o->rela) {
		relas_same = false;
		if (data_same)
			snprintf(why, sizeof(why), "relocations %s", p->rela ? "added" : "removed");
	} else if (p->rela) {
		char rwhy[512];

		relas_same = compare_relas(ctx, p->rela, o->rela, rwhy, sizeof(rwhy));
		if (!relas_same && data_same)
			snprintf(why, sizeof(why), "%s", rwhy);
	}
	if (!data_same && relas_same && p->size == o->size && is_text_section(p) &&
	    line_heuristic(ctx)) {
		uint64_t first = 0;
		struct symbol *pf = section_function(p);
		int64_t delta;

		if (ctx->arch->line_macro_change_only(o, 0, p, 0, p->size,
						      line_delta_of(ctx, pf, pf ? pf->twin : NULL, &delta),
						      &first)) {
			cdo_debug(ctx, "%s: only __LINE__ immediates changed", p->name);
			data_same = true;
		} else {
			snprintf(why, sizeof(why), "instructions differ at +0x%lx", (unsigned long)first);
		}
	}
	p->status = data_same && relas_same ? STATUS_SAME : STATUS_CHANGED;
	if (p->rela)
		p->rela->status = relas_same ? STATUS_SAME : STATUS_CHANGED;
	if (p->status == STATUS_CHANGED)
		add_reason(ctx, p, "%s", why);
}

static void add_function_reason(struct cdo_ctx *ctx, struct symbol *func, const char *why)
{
	func_add_reason(result_func(ctx, func, FUNC_CHANGED), "%s", why);
}

/*
 * Compare one function of a section that holds several: its bytes and the
 * relocations inside it, at offsets relative to its start (a neighbour
 * growing moves it without changing it).
 */
static bool function_relas_equal(struct cdo_ctx *ctx, struct symbol *p, struct symbol *o,
				 char *why, size_t whylen);

static bool function_range_equal(struct cdo_ctx *ctx, struct symbol *p, struct symbol *o,
				 char *why, size_t whylen)
{
	uint64_t ps = p->sym.st_value, os = o->sym.st_value, size = p->sym.st_size;

	if (size != o->sym.st_size) {
		snprintf(why, whylen, "size 0x%lx (was 0x%lx)", (unsigned long)size,
			 (unsigned long)o->sym.st_size);
		return false;
	}
	if (ps + size > p->sec->size || os + size > o->sec->size)
		return false;
	if (!function_relas_equal(ctx, p, o, why, whylen))
		return false;
	if (p->sec->data && o->sec->data && memcmp(p->sec->data + ps, o->sec->data + os, size)) {
		uint64_t at = 0;
		int64_t delta;

		if (line_heuristic(ctx) &&
		    ctx->arch->line_macro_change_only(o->sec, os, p->sec, ps, size,
						      line_delta_of(ctx, p, o, &delta), &at))
			return true;	/* only __LINE__ immediates moved */
		snprintf(why, whylen, "bytes differ at +0x%lx", (unsigned long)at);
		return false;
	}
	return true;
}

static bool function_relas_equal(struct cdo_ctx *ctx, struct symbol *p, struct symbol *o,
				 char *why, size_t whylen)
{
	uint64_t ps = p->sym.st_value, os = o->sym.st_value, size = p->sym.st_size;
	struct rela *pr, *or, *pend, *oend;

	pr = elf_rela_at_or_after(p->sec, ps);
	or = elf_rela_at_or_after(o->sec, os);
	pend = p->sec->rela ? p->sec->rela->relas + p->sec->rela->nr_relas : NULL;
	oend = o->sec->rela ? o->sec->rela->relas + o->sec->rela->nr_relas : NULL;
	for (;;) {
		bool pin = pr && pr < pend && pr->offset < ps + size;
		bool oin = or && or < oend && or->offset < os + size;
		if (!pin || !oin) {
			if (pin != oin)
				snprintf(why, whylen, "relocations %s", pin ? "added" : "removed");
			return pin == oin;
		}
		if (!relas_equal_at(ctx, pr, or, ps, os)) {
			snprintf(why, whylen, "relocation at +0x%lx refers to %s%+ld (was %s%+ld)",
				 (unsigned long)(pr->offset - ps), pr->sym ? pr->sym->name : "?",
				 (long)pr->addend, or->sym ? or->sym->name : "?", (long)or->addend);
			return false;
		}
		pr++;
		or++;
	}
}

static bool moved_within_function_family(const struct section *p, const struct section *o)
{
	/* .text.foo -> .text.unlikely.foo (or .hot.): same function, new home */
	static const char *const homes[] = { ".text.unlikely.", ".text.hot.", ".text.", NULL };
	const char *pn = p->name, *on = o->name;

	for (const char *const *h = homes; *h; h++)
		if (!strncmp(pn, *h, strlen(*h))) {
			pn += strlen(*h);
			break;
		}
	for (const char *const *h = homes; *h; h++)
		if (!strncmp(on, *h, strlen(*h))) {
			on += strlen(*h);
			break;
		}
	return pn != p->name && on != o->name && names_equivalent(pn, on);
}

static void compare_symbol(struct cdo_ctx *ctx, struct symbol *p)
{
	struct symbol *o = p->twin;

	if (!o) {
		p->status = STATUS_NEW;
		return;
	}
	if (p->type == STT_FILE || p->type == STT_SECTION) {
		p->status = p->sec ? p->sec->status : STATUS_SAME;
		return;
	}
	if (p->sec && o->sec && is_metadata_section(ctx, p->sec) &&
	    is_metadata_section(ctx, o->sec)) {
		/* MODULE_ALIAS strings renumbered by __COUNTER__ swap sizes */
		p->status = STATUS_SAME;
		return;
	}
	if (p->sym.st_info != o->sym.st_info || !p->sec != !o->sec) {
		result_add_refusal(ctx, R_SYMBOL_INFO_CHANGED,
				   "symbol %s changed its binding, type or definedness", o->name);
		p->status = STATUS_CHANGED;
		return;
	}
	if (!p->sec) {
		p->status = STATUS_SAME;	/* undefined or absolute */
		return;
	}
	if (p->sec->twin != o->sec) {
		if (p->sec->ignore || o->sec->ignore ||
		    (!p->sec->twin && moved_within_function_family(p->sec, o->sec))) {
			p->status = STATUS_CHANGED;
			add_reason(ctx, p->sec, "moved to section %s", p->sec->name);
			return;
		}
		result_add_refusal(ctx, R_SYMBOL_MOVED, "symbol %s moved from section %s to %s",
				   o->name, o->sec->name, p->sec->name);
		p->status = STATUS_CHANGED;
		return;
	}
	if (p->type == STT_OBJECT && p->sym.st_size != o->sym.st_size) {
		result_add_refusal(ctx, R_OBJECT_SIZE_CHANGED,
				   "object size mismatch: %s is %lu bytes, was %lu; livepatches cannot change data layout (use a shadow variable)",
				   o->name, (unsigned long)p->sym.st_size, (unsigned long)o->sym.st_size);
	}
	if (p->type == STT_FUNC && p->sec->bundled != p && p->sec->status != STATUS_SAME) {
		/* one of several functions in a section (__sched, .ref.text...) */
		char why[512];

		p->status = function_range_equal(ctx, p, o, why, sizeof(why)) ?
			    STATUS_SAME : STATUS_CHANGED;
		if (p->status == STATUS_CHANGED)
			add_function_reason(ctx, p, why);
	} else if (p->sec->bundled == p || p->type == STT_FUNC) {
		p->status = p->sec->status;
		if (p->sec->rela && p->sec->rela->status == STATUS_CHANGED)
			p->status = STATUS_CHANGED;
	} else {
		p->status = STATUS_SAME;
	}
}

/* A part without its own ftrace call site can only change with its parent. */
static void propagate_children(struct cdo_ctx *ctx)
{
	struct elf *elf = ctx->patched;

	for (size_t i = 1; i < elf->nr_symbols; i++) {
		struct symbol *child = elf->symbols[i], *parent = child->parent;

		if (!parent || child->status == STATUS_SAME || child->has_fentry)
			continue;
		while (parent->parent && !parent->has_fentry)
			parent = parent->parent;
		if (parent->status == STATUS_SAME) {
			parent->status = STATUS_CHANGED;
			if (parent->sec)
				parent->sec->status = STATUS_CHANGED;
			func_add_reason(result_func(ctx, parent, FUNC_CHANGED),
					"its part %s changed", child->name);
		}
	}
}

int compare(struct cdo_ctx *ctx)
{
	struct elf *elf = ctx->patched;

	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *p = elf->sections[i];

		if (is_rela_section(p) || p->deleted)
			continue;
		if (p->sh.sh_type == SHT_SYMTAB || p->sh.sh_type == SHT_STRTAB ||
		    p->sh.sh_type == SHT_SYMTAB_SHNDX) {
			p->status = STATUS_SAME;	/* regenerated on output */
			continue;
		}
		if (p->twin)
			compare_section(ctx, p, p->twin);
		else
			p->status = STATUS_NEW;
		if (p->rela && !p->twin)
			p->rela->status = STATUS_NEW;
	}
	for (size_t i = 1; i < elf->nr_symbols; i++)
		compare_symbol(ctx, elf->symbols[i]);
	propagate_children(ctx);
	return 0;
}
