// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the architectures whose instructions are all one
 * little-endian 32-bit word (AArch64, LoongArch64).
 */
#include "cdo.h"

/* Little-endian whatever the data's byte order: AArch64 big-endian (BE8)
 * keeps its instructions little-endian. */
uint32_t insn32_at(const struct section *sec, uint64_t off)
{
	const uint8_t *p = sec->data + off;

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void insn32_put(struct section *sec, uint64_t off, uint32_t insn)
{
	for (int i = 0; i < 4; i++)
		sec->data[off + (uint64_t)i] = (uint8_t)(insn >> (8 * i));
}

bool insn32_repeats(const struct section *sec, uint64_t off, uint64_t n, uint32_t insn)
{
	if (!sec->data || off > sec->size || sec->size - off < 4 * n)
		return false;
	for (uint64_t i = 0; i < n; i++)
		if (insn32_at(sec, off + 4 * i) != insn)
			return false;
	return true;
}

int64_t insn32_sign_extend(uint32_t v, unsigned int bits)
{
	return (int64_t)((uint64_t)v << (64 - bits)) >> (64 - bits);
}

bool insn32_relocate_branch(struct elf *elf, struct section *sec, uint64_t at,
			    int64_t target, unsigned int type, uint32_t opcode_mask)
{
	struct symbol *sym = target < 0 ? NULL : elf_symbol_containing(sec, (uint64_t)target);

	if (!sym || sym->type != STT_FUNC)
		return false;
	elf_add_rela(elf_rela_section_for(elf, sec), sym, at, target - (int64_t)sym->sym.st_value,
		     type);
	/* RELA: the addend says it all */
	insn32_put(sec, at, insn32_at(sec, at) & opcode_mask);
	/* keep the relocations sorted: the lookups rely on it */
	elf_sort_relas(sec->rela);
	return true;
}
