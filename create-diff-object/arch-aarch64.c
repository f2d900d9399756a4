// SPDX-License-Identifier: GPL-2.0
/*
 * AArch64 specifics. Every instruction is one little-endian 32-bit word.
 * ftrace call sites are -fpatchable-function-entry=2 nops (=4,2 with
 * CALL_OPS: two more in front of the function), after a BTI landing pad
 * where there is one, each recorded in __patchable_function_entries.
 * Relocations are RELA without a PC bias: a reference means symbol +
 * addend, and both halves of an ADRP + ADD/LDR address pair carry the same
 * symbol and addend, so they compare and turn into klp relocations alike.
 */
#include <string.h>

#include "cdo.h"
#include "util.h"

#define AARCH64_NOP		0xd503201fu
#define AARCH64_BTI_C		0xd503245fu
#define AARCH64_BTI_JC		0xd50324dfu
#define CALL_OPS_PADDING	8	/* two nops in front of the function */

static bool nops_at(const struct section *sec, uint64_t off, uint64_t n)
{
	return insn32_repeats(sec, off, n, AARCH64_NOP);
}

/*
 * The record is the site: the function's first two nops, or with CALL_OPS
 * the two nops in front of it (the kernel finds the entry nops from there,
 * past a BTI). A record without those nops is not one ftrace can use.
 */
static bool aarch64_find_fentry(struct section *sec, struct symbol *func,
				uint64_t *site, struct rela **rela)
{
	uint64_t start = func->sym.st_value, entry = start;
	uint64_t lo = start >= CALL_OPS_PADDING ? start - CALL_OPS_PADDING : 0;

	if (!pfe_site_in(sec, lo, start + 4, site))
		return false;
	if (entry + 4 <= sec->size && sec->data &&
	    (insn32_at(sec, entry) == AARCH64_BTI_C || insn32_at(sec, entry) == AARCH64_BTI_JC))
		entry += 4;
	if (!nops_at(sec, entry, 2) || (*site < start && !nops_at(sec, *site, 2)))
		return false;
	*rela = NULL;
	return true;
}

static bool aarch64_is_kernel_helper(const char *name)
{
	return false;	/* no ftrace hook call, no thunks: nothing every function calls */
}

static int64_t aarch64_rela_target_offset(struct rela *rela)
{
	return rela->addend;
}

static bool is_branch(unsigned int type)
{
	return type == R_AARCH64_CALL26 || type == R_AARCH64_JUMP26 ||
	       type == R_AARCH64_CONDBR19 || type == R_AARCH64_TSTBR14;
}

static bool aarch64_rela_is_address(struct rela *rela)
{
	return rela->type != R_AARCH64_NONE && !is_branch(rela->type);
}

static bool aarch64_is_padding(const struct section *sec, uint64_t len)
{
	return len <= 64 && len % 4 == 0 && nops_at(sec, 0, len / 4);
}

/*
 * Where a PC-relative instruction the assembler resolved points, and the
 * relocation that could say so instead (0: none that reaches a module).
 */
static bool pcrel_target(uint32_t insn, uint64_t at, int64_t *target, unsigned int *type)
{
	int64_t pc = (int64_t)at;

	*type = 0;
	if ((insn & 0x7c000000u) == 0x14000000u) {		/* B, BL */
		*target = pc + 4 * insn32_sign_extend(insn & 0x03ffffffu, 26);
		*type = insn & 0x80000000u ? R_AARCH64_CALL26 : R_AARCH64_JUMP26;
	} else if ((insn & 0xff000010u) == 0x54000000u ||	/* B.cond */
		   (insn & 0x7e000000u) == 0x34000000u ||	/* CBZ, CBNZ */
		   (insn & 0x3b000000u) == 0x18000000u) {	/* LDR literal */
		*target = pc + 4 * insn32_sign_extend((insn >> 5) & 0x7ffffu, 19);
	} else if ((insn & 0x7e000000u) == 0x36000000u) {	/* TBZ, TBNZ */
		*target = pc + 4 * insn32_sign_extend((insn >> 5) & 0x3fffu, 14);
	} else if ((insn & 0x9f000000u) == 0x10000000u) {	/* ADR */
		*target = pc + insn32_sign_extend(((insn >> 5) & 0x7ffffu) << 2 | ((insn >> 29) & 3u), 21);
	} else {
		return false;
	}
	return true;
}

/*
 * arm64 assembles alternative replacements into the same section, after
 * all its functions: cut into functions, they would land in the last one.
 */
static bool holds_replacements(struct elf *elf, struct section *sec)
{
	struct section *alt = elf_find_section(elf, ".altinstructions");

	for (size_t i = 0; alt && alt->rela && i < alt->rela->nr_relas; i++) {
		struct rela *r = &alt->rela->relas[i];
		struct symbol *func;

		if (!r->sym || r->sym->sec != sec)
			continue;
		func = elf_symbol_containing(sec, r->sym->sym.st_value + (uint64_t)r->addend);
		if (!func || func->type != STT_FUNC)
			return true;
	}
	return false;
}

/*
 * Branches the assembler resolved between functions of one section. B and
 * BL (26 bits, +-128 MiB) take a JUMP26/CALL26 relocation; a conditional
 * branch, CBZ, TBZ, ADR or a literal load that leaves the range cannot
 * reach a module's copy reliably, so the section stays whole.
 */
static bool aarch64_relocate_outward_branches(struct elf *elf, struct section *sec,
					      uint64_t start, uint64_t end)
{
	size_t next_sym = 0;
	bool data = false;

	if (start == 0 && holds_replacements(elf, sec))
		return false;	/* asked first for the piece at 0 */

	for (uint64_t at = start & ~3ull; at + 4 <= end && at + 4 <= sec->size; at += 4) {
		uint32_t insn = insn32_at(sec, at);
		int64_t target;
		unsigned int type;

		/* the symbols are sorted by offset: follow the mapping symbols */
		for (; next_sym < sec->nr_syms && sec->syms[next_sym]->sym.st_value <= at; next_sym++)
			if (is_mapping_symbol(sec->syms[next_sym]))
				data = sec->syms[next_sym]->name[1] == 'd';
		if (data || elf_rela_at(sec, at) || !pcrel_target(insn, at, &target, &type))
			continue;
		if (target >= (int64_t)start && target < (int64_t)end)
			continue;	/* stays inside */
		if (!type || !insn32_relocate_branch(elf, sec, at, target, type, 0xfc000000u))
			return false;
	}
	return true;
}

/* Arguments go in x0/w0, x1/w1, ...: argument arg (1-based) in register arg - 1. */
#define ARG_REG(arg)	((arg) - 1)

/* "mov wN, #imm16" / "mov xN, #imm16" (MOVZ, no shift): sets *reg and *imm. */
static bool mov_immediate(uint32_t insn, unsigned int *reg, int64_t *imm)
{
	if ((insn & 0x7fe00000u) != 0x52800000u)
		return false;
	*reg = insn & 0x1fu;
	*imm = (insn >> 5) & 0xffffu;
	return true;
}

/*
 * The string whose address goes into argument arg's register between
 * 'from' and the call: adrp xT, str; add xN, xT, :lo12:str.
 */
static const char *aarch64_string_argument(struct section *sec, uint64_t from, uint64_t call,
					   unsigned int arg)
{
	const char *found = NULL;

	for (struct rela *rela = elf_rela_at_or_after(sec, from);
	     rela && rela < sec->rela->relas + sec->rela->nr_relas && rela->offset < call; rela++) {
		if (rela->type != R_AARCH64_ADD_ABS_LO12_NC || rela->offset + 4 > sec->size ||
		    (insn32_at(sec, rela->offset) & 0x1fu) != ARG_REG(arg))
			continue;
		/* the last load before the call wins */
		found = line_rela_string(rela, rela->addend);
	}
	return found;
}

/*
 * WARN(), might_sleep(), btrfs_abort_transaction() and printk("... line
 * %d", __LINE__) pass the line number as an immediate: code moved up or
 * down a file differs only there. Accepted as no change when every
 * differing instruction is a mov of an immediate into the register of an
 * argument its callee takes as a line number, all moved by the same
 * nonzero number of lines (the function's own shift when the DWARF gives
 * it). Anything else is a change.
 */
static bool aarch64_line_macro_change_only(struct section *orig, uint64_t ostart,
					   struct section *patched, uint64_t pstart,
					   uint64_t len, const int64_t *line_delta,
					   uint64_t *first_diff)
{
	int64_t delta = line_delta ? *line_delta : 0;
	bool any = false;
	uint64_t off = 0;

	*first_diff = 0;
	if (!orig->data || !patched->data || ostart + len > orig->size ||
	    pstart + len > patched->size || !patched->rela || len % 4)
		goto real_change;
	for (; off < len; off += 4) {
		uint32_t o = insn32_at(orig, ostart + off), p = insn32_at(patched, pstart + off);
		unsigned int oreg, preg;
		int64_t oimm, pimm;

		if (o == p)
			continue;
		*first_diff = off;
		if (!mov_immediate(o, &oreg, &oimm) || !mov_immediate(p, &preg, &pimm) ||
		    oreg != preg || (oreg != ARG_REG(2) && oreg != ARG_REG(3)) || oimm <= 0 ||
		    ((any || line_delta) && pimm - oimm != delta) ||
		    !line_argument_is_line(patched, pstart, pstart + off + 4, pstart + len,
					   oreg + 1, aarch64_string_argument))
			goto real_change;
		delta = pimm - oimm;
		any = true;
	}
	return any;

real_change:
	if (!*first_diff) {
		while (*first_diff < len && ostart + *first_diff < orig->size &&
		       pstart + *first_diff < patched->size &&
		       orig->data[ostart + *first_diff] == patched->data[pstart + *first_diff])
			(*first_diff)++;
	}
	return false;
}

static const struct special_section aarch64_special[] = {
	{ "__bug_table", SZ_BUG, 0, NULL },
	{ "__ex_table", SZ_EX, 0, NULL },
	{ "__jump_table", SZ_JUMP, 0, special_jump_label_filter },
	{ ".altinstructions", SZ_ALT, 0, NULL },
	{ ".printk_index", SZ_COUNT, 8, NULL },
	{ NULL, SZ_COUNT, 0, NULL }
};

static const struct cdo_arch aarch64_arch = {
	.name = "aarch64",
	.machine = EM_AARCH64,
	.abs64 = R_AARCH64_ABS64,
	.special_sections = aarch64_special,
	.find_fentry = aarch64_find_fentry,
	.prepare_object = pfe_index,
	.ftrace_sites_pfe = true,
	.is_kernel_helper = aarch64_is_kernel_helper,
	.rela_target_offset = aarch64_rela_target_offset,
	.rela_is_address = aarch64_rela_is_address,
	.line_macro_change_only = aarch64_line_macro_change_only,
	.is_padding = aarch64_is_padding,
	.relocate_outward_branches = aarch64_relocate_outward_branches,
};

CDO_ARCH(aarch64_arch);
