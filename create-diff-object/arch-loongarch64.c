// SPDX-License-Identifier: GPL-2.0
/*
 * LoongArch64 specifics. Every instruction is one little-endian 32-bit
 * word. ftrace call sites are -fpatchable-function-entry=2 nops at the
 * function's entry, each recorded in __patchable_function_entries.
 * Relocations are RELA without a PC bias (a reference means symbol +
 * addend); an address is built by a PCALA_HI20/LO12 or GOT_PC_HI20/LO12
 * pair whose halves carry the same symbol and addend, and label
 * differences by ADD/SUB pairs at one place.
 */
#include <string.h>

#include "arch-loongarch64.h"
#include "cdo.h"
#include "util.h"

#define LOONGARCH_NOP	0x03400000u	/* andi $zero, $zero, 0 */

static bool nops_at(const struct section *sec, uint64_t off, uint64_t n)
{
	return insn32_repeats(sec, off, n, LOONGARCH_NOP);
}

/*
 * The assembler keeps local labels (.L*, and its own "L0\001" ones) and
 * relocates against them: against the pfe records' .LPFE labels, string
 * literals' .LC labels, code labels. Their numbers differ between two
 * builds for the same place, so a reference is rewritten to its section
 * (as other assemblers write it), and the labels go.
 */
static bool is_assembler_label(const struct symbol *sym)
{
	return sym->type == STT_NOTYPE && sym->bind == STB_LOCAL && sym->sec &&
	       (!strncmp(sym->name, ".L", 2) || strchr(sym->name, '\001'));
}

static void labels_to_sections(struct elf *elf)
{
	bool any = false;

	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *rs = elf->sections[i];

		if (!is_rela_section(rs) || !rs->base || is_debug_section(rs))
			continue;
		for (size_t j = 0; j < rs->nr_relas; j++) {
			struct rela *r = &rs->relas[j];
			struct section *target;

			if (!r->sym || !is_assembler_label(r->sym))
				continue;
			target = r->sym->sec;
			if (!target->secsym)
				elf_add_symbol(elf, target->name, STB_LOCAL, STT_SECTION, target, 0, 0);
			r->addend += (int64_t)r->sym->sym.st_value;
			r->sym = target->secsym;
		}
	}
	for (size_t i = 1; i < elf->nr_symbols; i++) {
		struct symbol *sym = elf->symbols[i];

		if (is_assembler_label(sym) && !is_debug_section(sym->sec)) {
			sym->deleted = true;
			any = true;
		}
	}
	if (any)
		elf_index_symbols(elf);
}

static void loongarch64_prepare_object(struct elf *elf)
{
	labels_to_sections(elf);
	pfe_index(elf);
}

static bool loongarch64_find_fentry(struct section *sec, struct symbol *func,
				    uint64_t *site, struct rela **rela)
{
	uint64_t start = func->sym.st_value;

	if (!pfe_site_in(sec, start, start, site) || !nops_at(sec, *site, 2))
		return false;
	*rela = NULL;
	return true;
}

static bool loongarch64_is_kernel_helper(const char *name)
{
	return false;	/* no ftrace hook call, no thunks: nothing every function calls */
}

static int64_t loongarch64_rela_target_offset(struct rela *rela)
{
	return rela->addend;
}

static bool is_branch(unsigned int type)
{
	return type == R_LARCH_B16 || type == R_LARCH_B21 || type == R_LARCH_B26 ||
	       type == R_LARCH_CALL36;
}

/* ADD/SUB pairs (and their ULEB128 kind) at one place: a label difference. */
static bool is_label_difference(unsigned int type)
{
	return (type >= R_LARCH_ADD8 && type <= R_LARCH_SUB64) ||
	       (type >= R_LARCH_ADD6 && type <= R_LARCH_SUB_ULEB128);
}

/*
 * A label difference is a distance inside one copy of the code, never the
 * address of the kernel's copy of a function.
 */
static bool loongarch64_rela_is_address(struct rela *rela)
{
	return rela->type != R_LARCH_NONE && !is_branch(rela->type) &&
	       !is_label_difference(rela->type);
}

static bool loongarch64_is_padding(const struct section *sec, uint64_t len)
{
	return len <= 64 && len % 4 == 0 && nops_at(sec, 0, len / 4);
}

/* Where a branch the assembler resolved points; *relocatable: B26 can say so. */
static bool branch_target(uint32_t insn, uint64_t at, int64_t *target, bool *relocatable)
{
	uint32_t op6 = insn >> 26;
	uint32_t lo16 = (insn >> 10) & 0xffffu;

	*relocatable = false;
	if (op6 == 0x14 || op6 == 0x15) {		/* B, BL: offs[15:0] | offs[25:16] */
		*target = (int64_t)at + 4 * insn32_sign_extend((insn & 0x3ffu) << 16 | lo16, 26);
		*relocatable = true;
	} else if (op6 >= 0x10 && op6 <= 0x12) {	/* BEQZ, BNEZ, BCEQZ/BCNEZ */
		*target = (int64_t)at + 4 * insn32_sign_extend((insn & 0x1fu) << 16 | lo16, 21);
	} else if (op6 >= 0x16 && op6 <= 0x1b) {	/* BEQ .. BGEU */
		*target = (int64_t)at + 4 * insn32_sign_extend(lo16, 16);
	} else {
		return false;
	}
	return true;
}

/*
 * Branches the assembler resolved between functions of one section: B and
 * BL (+-128 MiB) take a B26 relocation; a conditional branch leaving the
 * range keeps the section whole.
 */
static bool loongarch64_relocate_outward_branches(struct elf *elf, struct section *sec,
						  uint64_t start, uint64_t end)
{
	for (uint64_t at = start & ~3ull; at + 4 <= end && at + 4 <= sec->size; at += 4) {
		uint32_t insn = insn32_at(sec, at);
		int64_t target;
		bool relocatable;

		if (elf_rela_at(sec, at) || !branch_target(insn, at, &target, &relocatable))
			continue;
		if (target >= (int64_t)start && target < (int64_t)end)
			continue;	/* stays inside */
		if (!relocatable ||
		    !insn32_relocate_branch(elf, sec, at, target, R_LARCH_B26, 0xfc000000u))
			return false;
	}
	return true;
}

static const struct special_section loongarch64_special[] = {
	{ "__bug_table", SZ_BUG, 0, NULL },
	{ "__ex_table", SZ_EX, 0, NULL },
	{ "__jump_table", SZ_JUMP, 0, special_jump_label_filter },
	{ ".altinstructions", SZ_ALT, 0, NULL },
	{ NULL, SZ_COUNT, 0, NULL }
};

static const struct cdo_arch loongarch64_arch = {
	.name = "loongarch64",
	.machine = EM_LOONGARCH,
	.abs64 = R_LARCH_64,
	.special_sections = loongarch64_special,
	.find_fentry = loongarch64_find_fentry,
	.prepare_object = loongarch64_prepare_object,
	.ftrace_sites_pfe = true,
	.is_kernel_helper = loongarch64_is_kernel_helper,
	.rela_target_offset = loongarch64_rela_target_offset,
	.rela_is_address = loongarch64_rela_is_address,
	.is_padding = loongarch64_is_padding,
	.relocate_outward_branches = loongarch64_relocate_outward_branches,
};

CDO_ARCH(loongarch64_arch);
