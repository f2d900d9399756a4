// SPDX-License-Identifier: GPL-2.0
/*
 * Functions that share a text section (__sched puts them all in
 * .sched.text, `ld -r` merges same-named sections of several files) are
 * cut into one section per function, as -ffunction-sections would have
 * made them. Everything after this step (bundling, comparison, the
 * __LINE__ heuristic, inclusion) then works per function, and a changed
 * function is carried without its unchanged neighbours, their relocations
 * and their special-section entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdo.h"
#include "util.h"

/* Sections whose bytes are not plain functions, or are never patched. */
static bool splittable(const struct section *sec)
{
	static const char *const keep[] = {
		".altinstr_replacement", ".altinstr_aux", ".fixup", ".text..refcount",
		".entry.text", ".head.text", ".noinstr.text", NULL
	};

	if (!is_text_section(sec) || sec->deleted || !sec->data || sec->nr_syms < 2)
		return false;
	for (const char *const *k = keep; *k; k++)
		if (!strcmp(sec->name, *k))
			return false;
	return true;
}

static bool starts_piece(const struct symbol *sym)
{
	return sym->type == STT_FUNC && !sym->is_pfx && sym->sym.st_size;
}

struct piece {
	uint64_t start, end;
	struct section *sec;
	struct symbol *func;
};

/*
 * Piece boundaries: each function, with the alignment and padding before
 * it. The values come from the file: pieces stay in order and inside the
 * section whatever the alignment and the symbols' extents claim.
 */
static size_t plan_pieces(const struct section *sec, struct piece *pieces)
{
	uint64_t align = sec->sh.sh_addralign, prev_end = 0;
	size_t n = 0;

	if (align < 2 || (align & (align - 1)))
		align = 1;
	for (size_t i = 0; i < sec->nr_syms; i++) {
		struct symbol *sym = sec->syms[i];
		uint64_t start = 0;

		if (!starts_piece(sym) || sym->sym.st_value > sec->size ||
		    sym->sym.st_size > sec->size - sym->sym.st_value)
			continue;
		if (n && sym->sym.st_value < prev_end)
			continue;	/* an alias or overlap: stays with the piece it is in */
		/* the first piece starts at 0: it owns whatever comes before it */
		if (n) {
			start = prev_end;
			if (prev_end <= UINT64_MAX - (align - 1))
				start = (prev_end + align - 1) & ~(align - 1);
			if (sym->pfx && sym->pfx->sym.st_value < sym->sym.st_value)
				start = sym->pfx->sym.st_value;
			if (start > sym->sym.st_value)
				start = sym->sym.st_value;
			if (start < prev_end)
				start = prev_end;
			pieces[n - 1].end = start;
		}
		pieces[n].start = start;
		pieces[n].end = sec->size;
		pieces[n].func = sym;
		n++;
		prev_end = sym->sym.st_value + sym->sym.st_size;
	}
	return n;
}

static struct piece *piece_for(struct piece *pieces, size_t n, uint64_t offset)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pieces[mid].start <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &pieces[lo - 1] : NULL;
}

/* One section cut into pieces, kept until the references are redirected. */
struct split {
	struct section *sec;
	struct piece *pieces;
	size_t n;
};

/*
 * Redirect "sec + offset" references made elsewhere to the piece holding
 * that offset: one pass over every relocation for all split sections.
 */
static void redirect_section_references(struct cdo_ctx *ctx, struct elf *elf,
					struct split *splits, size_t nsplits)
{
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *rs = elf->sections[i];

		if (!is_rela_section(rs) || rs->deleted)
			continue;
		for (size_t j = 0; j < rs->nr_relas; j++) {
			struct rela *r = &rs->relas[j];
			struct split *sp = NULL;
			struct piece *p;
			int64_t target;

			if (!r->sym || r->sym->type != STT_SECTION || !r->sym->sec ||
			    !r->sym->sec->deleted)
				continue;
			for (size_t k = 0; k < nsplits && !sp; k++)	/* a handful */
				if (splits[k].sec == r->sym->sec)
					sp = &splits[k];
			if (!sp)
				continue;
			target = ctx->arch->rela_target_offset(r);
			p = piece_for(sp->pieces, sp->n, target < 0 ? 0 : (uint64_t)target);
			if (!p || !p->sec->secsym)
				continue;
			r->sym = p->sec->secsym;
			r->addend -= (int64_t)p->start;
		}
	}
}

/* Cut sec; returns its pieces (n set), or NULL when it stays whole. */
static struct piece *split_section(struct cdo_ctx *ctx, struct elf *elf, struct section *sec,
				   size_t *np)
{
	struct piece *pieces = xcalloc(sec->nr_syms, sizeof(*pieces));
	size_t n = plan_pieces(sec, pieces);

	if (n < 2) {
		free(pieces);
		return NULL;
	}
	/* branches between the functions must survive the cut */
	for (size_t i = 0; i < n; i++) {
		if (!ctx->arch->relocate_outward_branches ||
		    !ctx->arch->relocate_outward_branches(elf, sec, pieces[i].start, pieces[i].end)) {
			cdo_debug(ctx, "%s: %s not split: a branch between its functions cannot be relocated",
				  elf->path, sec->name);
			free(pieces);
			return NULL;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct piece *p = &pieces[i];
		char *name = xasprintf("%s.%s", sec->name, p->func->name);

		p->sec = elf_add_section(elf, name, sec->sh.sh_type, sec->sh.sh_flags,
					 sec->sh.sh_addralign, sec->sh.sh_entsize,
					 sec->data + p->start, p->end - p->start);
		elf_add_symbol(elf, name, STB_LOCAL, STT_SECTION, p->sec, 0, 0);
		p->sec->bundled = p->func;
		p->sec->grouped = sec->grouped;
		free(name);
	}
	/* symbols move with their bytes */
	for (size_t i = 0; i < sec->nr_syms; i++) {
		struct symbol *sym = sec->syms[i];
		struct piece *p = piece_for(pieces, n, sym->sym.st_value);

		sym->sec = p->sec;
		sym->sym.st_value -= p->start;
	}
	/* so do the relocations inside them */
	if (sec->rela) {
		for (size_t j = 0; j < sec->rela->nr_relas; j++) {
			struct rela *r = &sec->rela->relas[j];
			struct piece *p = piece_for(pieces, n, r->offset);

			elf_add_rela(elf_rela_section_for(elf, p->sec), r->sym, r->offset - p->start,
				     r->addend, r->type);
		}
		sec->rela->nr_relas = 0;
		sec->rela->deleted = true;
	}
	cdo_debug(ctx, "%s: %s split into %zu functions", elf->path, sec->name, n);
	sec->size = sec->sh.sh_size = 0;
	sec->deleted = true;
	if (sec->secsym)
		sec->secsym->deleted = true;
	*np = n;
	return pieces;
}

int split_shared_sections(struct cdo_ctx *ctx, struct elf *elf)
{
	size_t nr = elf->nr_sections;	/* the pieces are appended after */
	struct split *splits = NULL;
	size_t nsplits = 0;

	for (size_t i = 1; i < nr; i++) {
		struct section *sec = elf->sections[i];
		struct piece *pieces;
		size_t n;

		if (!splittable(sec) || !(pieces = split_section(ctx, elf, sec, &n)))
			continue;
		splits = xrealloc(splits, (nsplits + 1) * sizeof(*splits));
		splits[nsplits++] = (struct split){ sec, pieces, n };
	}
	if (nsplits) {
		redirect_section_references(ctx, elf, splits, nsplits);
		elf_index_symbols(elf);
	}
	for (size_t i = 0; i < nsplits; i++)
		free(splits[i].pieces);
	free(splits);
	return 0;
}
