// SPDX-License-Identifier: GPL-2.0
/*
 * -fpatchable-function-entry: the compiler leaves nops at function entries
 * and records each such site in a __patchable_function_entries section (one
 * per function section, SHF_LINK_ORDER to it). On architectures whose
 * kernels take their ftrace call sites from these records, a function has
 * an ftrace site exactly when it has a record, and the record says where
 * the site starts (before the function's symbol with pre-function nops).
 */
#include <stdlib.h>
#include <string.h>

#include "cdo.h"
#include "util.h"

#define PFE_SECTION "__patchable_function_entries"

/* The record sites of one text section, sorted; kept in its priv. */
struct pfe_sites {
	size_t n, cap;
	uint64_t at[];
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void add_site(struct section *text, uint64_t at)
{
	struct pfe_sites *s = text->priv;

	if (!s || s->n == s->cap) {
		size_t cap = s ? 2 * s->cap : 4;

		s = xrealloc(s, sizeof(*s) + cap * sizeof(s->at[0]));
		if (!text->priv)
			s->n = 0;
		s->cap = cap;
		text->priv = s;
	}
	s->at[s->n++] = at;
}

void pfe_index(struct elf *elf)
{
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *rs = elf->sections[i];

		if (!is_rela_section(rs) || !rs->base || strcmp(rs->base->name, PFE_SECTION))
			continue;
		for (size_t j = 0; j < rs->nr_relas; j++) {
			struct rela *r = &rs->relas[j];
			int64_t at;

			if (!r->sym || !r->sym->sec || !is_text_section(r->sym->sec))
				continue;
			at = (int64_t)r->sym->sym.st_value + r->addend;
			if (at >= 0 && (uint64_t)at < r->sym->sec->size)
				add_site(r->sym->sec, (uint64_t)at);
		}
	}
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];
		struct pfe_sites *s = sec->priv;

		if (s && is_text_section(sec))
			qsort(s->at, s->n, sizeof(s->at[0]), cmp_u64);
	}
}

bool pfe_site_in(const struct section *sec, uint64_t lo, uint64_t hi, uint64_t *site)
{
	const struct pfe_sites *s = sec->priv;
	size_t a = 0, b;

	if (!s)
		return false;
	b = s->n;
	while (a < b) {		/* the first site >= lo */
		size_t mid = a + (b - a) / 2;

		if (s->at[mid] < lo)
			a = mid + 1;
		else
			b = mid;
	}
	if (a == s->n || s->at[a] > hi)
		return false;
	*site = s->at[a];
	return true;
}

/*
 * The module loader of these kernels reads __patchable_function_entries;
 * one section per function, linked to its text like the compiler's, so
 * that `ld -r` can merge it with the module's other (ordered) records.
 */
void pfe_add_record(struct elf *out, struct symbol *func, int64_t offset, unsigned int abs64)
{
	struct section *rec = elf_add_section(out, PFE_SECTION, SHT_PROGBITS,
					      SHF_ALLOC | SHF_WRITE | SHF_LINK_ORDER, 8, 0, NULL, 0);

	rec->link = func->sec;
	elf_append_data(rec, NULL, 8, 8);
	elf_add_rela(elf_rela_section_for(out, rec), func, 0, offset, abs64);
}
