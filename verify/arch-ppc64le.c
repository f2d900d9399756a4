// SPDX-License-Identifier: GPL-2.0
/*
 * ppc64le (ELFv2) for kpatch-verify (see arch.h): fixed 4-byte
 * little-endian instructions; a function with a TOC pointer starts with
 * the global entry "addis r2,r12,.TOC.-f@ha; addi r2,r2,.TOC.-f@l" (8
 * bytes), then the -mprofile-kernel ftrace site "mflr r0; bl _mcount"
 * (gcc before 6: "mflr r0; std r0,16(r1); bl _mcount"). Relocations hold
 * their target exactly (no bias). Code reaches addresses through the .toc,
 * a table of 8-byte entries each filled by a relocation, which the
 * comparison follows (is_address_table). From the ELFv2 psABI and
 * arch/powerpc of 6.12, not from the differ.
 */
#include <string.h>

#include "arch.h"
#include "verify.h"

#define INSN_LEN		4
#define OPCODE(insn)		((insn) >> 26)
#define OP_ADDI			14	/* li rT,imm is addi rT,0,imm */
#define OP_ADDIS		15
#define OP_B			18	/* b, bl, ba, bla */
#define INSN_RT(insn)		((insn) >> 21 & 31)
#define INSN_RA(insn)		((insn) >> 16 & 31)
#define B_AA			2u
#define B_LK			1u
#define B_LI_MASK		0x03fffffcu

#define MFLR_R0			0x7c0802a6u
#define STD_R0_16_R1		0xf8010010u
#define NOP			0x60000000u

static uint32_t word(const struct elf *elf, const unsigned char *p)
{
	return elf_get_u32(elf, p);
}

/* "addis r2,r12,x; addi r2,r2,y": the global entry of a function with a TOC pointer */
static bool is_global_entry(const struct elf *elf, const unsigned char *code, uint64_t size)
{
	uint32_t a, b;

	if (size < 2 * INSN_LEN)
		return false;
	a = word(elf, code);
	b = word(elf, code + INSN_LEN);
	return OPCODE(a) == OP_ADDIS && INSN_RT(a) == 2 && INSN_RA(a) == 12 &&
	       OPCODE(b) == OP_ADDI && INSN_RT(b) == 2 && INSN_RA(b) == 2;
}

static bool is_mcount_rela(const struct rela *r)
{
	return r && r->type == R_PPC64_REL24 && r->sym && !strcmp(r->sym->name, "_mcount");
}

/* the bl _mcount (or the nop ftrace leaves in its place) after mflr r0 */
static int ppc64le_ftrace_site(const struct elf *elf, const unsigned char *code, uint64_t size,
			       uint64_t base, struct rela **relas, size_t n, bool *is_call)
{
	uint64_t at = is_global_entry(elf, code, size) ? 2 * INSN_LEN : 0;
	uint32_t insn;

	if (at + 2 * INSN_LEN > size || word(elf, code + at) != MFLR_R0)
		return -1;
	at += INSN_LEN;
	if (word(elf, code + at) == STD_R0_16_R1) {
		at += INSN_LEN;
		if (at + INSN_LEN > size)
			return -1;
	}
	insn = word(elf, code + at);
	*is_call = OPCODE(insn) == OP_B && (insn & (B_AA | B_LK)) == B_LK &&
		   is_mcount_rela(rela_at_offset(relas, n, base + at));
	return *is_call || insn == NOP ? (int)at : -1;
}

#ifndef R_PPC64_REL24_NOTOC	/* older elf.h */
#define R_PPC64_REL24_NOTOC	116
#endif
#ifndef R_PPC64_ENTRY
#define R_PPC64_ENTRY		118
#endif

static unsigned int ppc64le_rela_width(unsigned int type)
{
	switch (type) {
	case R_PPC64_ADDR64: case R_PPC64_REL64: case R_PPC64_TOC: case R_PPC64_UADDR64:
		return 8;
	case R_PPC64_ADDR32: case R_PPC64_REL32: case R_PPC64_UADDR32:
	case R_PPC64_REL24: case R_PPC64_REL24_NOTOC: case R_PPC64_REL14:
	case R_PPC64_REL14_BRTAKEN: case R_PPC64_REL14_BRNTAKEN:
		return 4;
	case R_PPC64_NONE: case R_PPC64_TOCSAVE: case R_PPC64_ENTRY:
		return 0;
	default:
		/* the 16-bit fields: TOC16*, REL16*, ADDR16* (the low halfword of the word) */
		return 2;
	}
}

static bool ppc64le_is_pcrel(unsigned int type)
{
	switch (type) {
	case R_PPC64_REL24: case R_PPC64_REL24_NOTOC: case R_PPC64_REL14:
	case R_PPC64_REL14_BRTAKEN: case R_PPC64_REL14_BRNTAKEN:
	case R_PPC64_REL32: case R_PPC64_REL64:
	case R_PPC64_REL16: case R_PPC64_REL16_LO: case R_PPC64_REL16_HI: case R_PPC64_REL16_HA:
		return true;
	default:
		return false;
	}
}

/* the addend is the offset from the target itself */
static int64_t ppc64le_code_bias(unsigned int type)
{
	return 0;
}

static const int64_t ppc64le_section_biases[] = { 0 };

static bool ppc64le_same_rela_type(unsigned int a, unsigned int b)
{
	return a == b;
}

/* li rT,imm (addi rT,0,imm) */
static bool load_immediate(uint32_t insn, unsigned int *reg, int32_t *imm)
{
	if (OPCODE(insn) != OP_ADDI || INSN_RA(insn) != 0)
		return false;
	*reg = INSN_RT(insn);
	*imm = (int16_t)(insn & 0xffff);
	return true;
}

/* a bl within 64 bytes after the word at off (base: the function's place) */
static bool call_follows(const struct elf *elf, const unsigned char *b, uint64_t size,
			 uint64_t off, uint64_t base, struct rela **relas, size_t n)
{
	for (uint64_t at = off + INSN_LEN; at <= off + 64 && at + INSN_LEN <= size; at += INSN_LEN) {
		uint32_t insn = word(elf, b + at);

		if (OPCODE(insn) == OP_B && (insn & B_LK) && rela_at_offset(relas, n, base + at))
			return true;
	}
	return false;
}

/*
 * Byte i differs inside "li r4,imm" or "li r5,imm" (the second or third
 * argument) that a call within the next 64 bytes consumes: how WARN(),
 * might_sleep() and friends pass __LINE__ (lines below 32768).
 */
static bool ppc64le_line_immediate(const struct elf *elf, const unsigned char *a,
				   const unsigned char *b, uint64_t size, uint64_t i, uint64_t base,
				   struct rela **relas, size_t n, struct line_site *site)
{
	uint64_t off = i & ~(uint64_t)(INSN_LEN - 1);
	unsigned int ra, rb;
	int32_t was, now;

	if (off + INSN_LEN > size ||
	    !load_immediate(word(elf, a + off), &ra, &was) ||
	    !load_immediate(word(elf, b + off), &rb, &now) ||
	    ra != rb || (ra != 4 && ra != 5) || was <= 0 || now <= 0 ||
	    !call_follows(elf, b, size, off, base, relas, n))
		return false;
	site->start = off;
	site->end = off + INSN_LEN - 1;
	site->was = was;
	site->now = now;
	return true;
}

/* the displacement of a relative b/bl word, from the word itself */
static int64_t branch_displacement(uint32_t insn)
{
	int64_t li = insn & B_LI_MASK;

	return li & 0x02000000 ? li - 0x04000000 : li;
}

static bool is_relative_branch(uint32_t insn)
{
	return OPCODE(insn) == OP_B && !(insn & B_AA);
}

/* a b or bl covering byte i that reaches the same place in both */
static int64_t ppc64le_same_local_branch(const struct elf *elf, const struct symbol *sa,
					 const unsigned char *ca, const struct symbol *sb,
					 const unsigned char *cb, const unsigned char *mask,
					 uint64_t size, uint64_t i)
{
	uint64_t off = i & ~(uint64_t)(INSN_LEN - 1);
	uint32_t ia, ib;

	if (off + INSN_LEN > size || mask[off])
		return -1;
	ia = word(elf, ca + off);
	ib = word(elf, cb + off);
	if (!is_relative_branch(ia) || !is_relative_branch(ib) || (ia & B_LK) != (ib & B_LK))
		return -1;
	if (!same_branch_target(sa, (int64_t)off + branch_displacement(ia),
				sb, (int64_t)off + branch_displacement(ib)))
		return -1;
	return (int64_t)(off + INSN_LEN - 1);
}

/* a b/bl the assembler resolved: target = place + displacement */
static bool ppc64le_resolved_field(const struct elf *elf, const unsigned char *code, uint64_t size,
				   uint64_t rel, unsigned int type, int64_t *from_field)
{
	uint32_t insn;

	if (type != R_PPC64_REL24 || rel + INSN_LEN > size)
		return false;
	insn = word(elf, code + rel);
	if (!is_relative_branch(insn))
		return false;
	*from_field = branch_displacement(insn);
	return true;
}

/* b or bl to func's start (the linker adds the local entry offset) */
static bool ppc64le_is_direct_branch_to(const struct rela *r, const struct symbol *func)
{
	const struct section *s = r->sec->base;

	if (r->type != R_PPC64_REL24 || !rela_reaches_entry(r, func, 0))
		return false;
	return is_relative_branch(word(s->elf, s->data + r->offset));
}

/* a relocated b/bl: the opcode, AA and LK bits are the instruction's own */
static bool ppc64le_same_bits_under(const struct elf *elf, const unsigned char *a,
				    const unsigned char *b, unsigned int type)
{
	if (type != R_PPC64_REL24 && type != R_PPC64_REL24_NOTOC)
		return true;
	return ((word(elf, a) ^ word(elf, b)) & ~B_LI_MASK) == 0;
}

#define LD_R2_24_R1		0xe8410018u	/* the TOC restore after a call */

/*
 * What arch/powerpc/kernel/module_64.c (6.12) does with a relocation to a
 * symbol of another object, which lives far away in the vmalloc area or
 * in vmlinux: only whole addresses reach it, and calls through the
 * module's stub, which changes r2 and relies on the nop after the bl to
 * get it back (the loader writes "ld r2,24(r1)" there, or refuses the
 * module when something else is).
 */
static const char *ppc64le_klp_reloc_problem(const struct rela *r, const struct section *base)
{
	uint32_t insn, next;

	switch (r->type) {
	case R_PPC64_ADDR64:
	case R_PPC64_REL64:
		return NULL;
	case R_PPC64_REL24:
		break;
	default:
		return "cannot reach another object from a ppc64 module (only ADDR64, REL64 and calls do)";
	}
	if (!base->data || r->offset + 2 * INSN_LEN > base->size)
		return "is no call followed by an instruction";
	insn = word(base->elf, base->data + r->offset);
	next = word(base->elf, base->data + r->offset + INSN_LEN);
	if (!is_relative_branch(insn))
		return "is not on a relative branch";
	if (!(insn & B_LK))
		return "is a sibling call through the loader's stub: the callee returns with its own TOC pointer";
	if (next != NOP && next != LD_R2_24_R1)
		return "is a call with no nop after it for the TOC restore (the loader refuses the module)";
	return NULL;
}

/*
 * -mcmodel=medium data access, "addis rX,r2,sym@toc@ha" then an addi or
 * D/DS-form load/store "sym@toc@l(rX)": for data that stays in vmlinux the
 * module holds "ld rX,entry@toc(r2)" (TOC16_DS, the entry filled with
 * sym's address) in place of the addis, and the low part's instruction
 * with its displacement 0 and no relocation.
 */
#define OP_LD			58
#define OP_STD			62
#define TOC_REG			2
#define D_FIELD			0xffffu
#define DS_FIELD		0xfffcu

static bool is_ds_form(uint32_t insn)
{
	return OPCODE(insn) == OP_LD || OPCODE(insn) == OP_STD;
}

static enum table_access ppc64le_through_table(const struct elf *elf, const unsigned char *p,
					       const unsigned char *m, uint64_t rel,
					       const struct rela *pr, const struct rela *mr,
					       uint64_t *len)
{
	uint32_t pi = word(elf, p + rel), mi = word(elf, m + rel), field;

	*len = INSN_LEN;
	switch (pr->type) {
	case R_PPC64_TOC16_HA:
		/* addis rX,r2,0 -> ld rX,0(r2), the entry in the relocation */
		if (!mr || mr->type != R_PPC64_TOC16_DS || mr->offset != pr->offset ||
		    OPCODE(pi) != OP_ADDIS || INSN_RA(pi) != TOC_REG)
			return TABLE_NOT;
		return (mi & ~DS_FIELD) == ((uint32_t)OP_LD << 26 | INSN_RT(pi) << 21 | TOC_REG << 16) ?
		       TABLE_LOAD : TABLE_NOT;
	case R_PPC64_TOC16_LO:
	case R_PPC64_TOC16_LO_DS:
		if (mr || INSN_RA(pi) == TOC_REG || INSN_RA(pi) == 0)
			return TABLE_NOT;
		field = pr->type == R_PPC64_TOC16_LO_DS || is_ds_form(pi) ? DS_FIELD : D_FIELD;
		if (pr->type == R_PPC64_TOC16_LO_DS && !is_ds_form(pi))
			return TABLE_NOT;
		return (mi & field) == 0 && (mi & ~field) == (pi & ~field) ?
		       TABLE_ADDS_NOTHING : TABLE_NOT;
	default:
		return TABLE_NOT;
	}
}

/* the .toc: code's TOC16 references name an entry, whose relocation is the address */
static bool ppc64le_is_address_table(const struct section *sec)
{
	return !strcmp(sec->name, ".toc");
}

/*
 * module_finalize() applies a module's speculation barrier fixups only
 * from a section named as vmlinux's linker script names them.
 */
static const char *ppc64le_module_special_name(const char *name)
{
	return !strcmp(name, "__barrier_nospec_fixup") ? "__spec_barrier_fixup" : NULL;
}

/* 6.12's layouts: relative bug, exception and jump entries */
static const struct special ppc64le_specials[] = {
	{ "__bug_table", "bug_entry", "BUG_STRUCT_SIZE", 12, 1, true },
	{ "__ex_table", "exception_table_entry", "EX_STRUCT_SIZE", 8, 2, true },
	{ "__jump_table", "jump_entry", "JUMP_STRUCT_SIZE", 16, 3, true },
	/* pointers to the pi_entry records */
	{ ".printk_index", NULL, NULL, 8, 0, false },
	/* struct fixup_entry: mask and value, then offsets of the code to patch */
	{ "__ftr_fixup", "fixup_entry", "FIXUP_STRUCT_SIZE", 48, 0, false },
	{ "__mmu_ftr_fixup", "fixup_entry", "FIXUP_STRUCT_SIZE", 48, 0, false },
	{ "__fw_ftr_fixup", "fixup_entry", "FIXUP_STRUCT_SIZE", 48, 0, false },
	/* one self-relative offset of the instruction to patch */
	{ "__lwsync_fixup", NULL, NULL, 8, 1, true },
	{ "__barrier_nospec_fixup", NULL, NULL, 8, 1, true },
	{ NULL, NULL, NULL, 0, 0, false }
};

static const char *const ppc64le_code_only[] = { NULL };

/* A fixup_entry's last two fields: its alternative's start and end. */
static bool ppc64le_block_pair_special(const char *name)
{
	return !strcmp(name, "__ftr_fixup") || !strcmp(name, "__mmu_ftr_fixup") ||
	       !strcmp(name, "__fw_ftr_fixup");
}

static const struct verify_arch ppc64le_verify = {
	.machine = EM_PPC64,
	.name = "ppc64le",
	.ftrace_len = INSN_LEN,
	.ftrace_site = ppc64le_ftrace_site,
	.rela_width = ppc64le_rela_width,
	.is_pcrel = ppc64le_is_pcrel,
	.code_bias = ppc64le_code_bias,
	.section_biases = ppc64le_section_biases,
	.nr_section_biases = sizeof(ppc64le_section_biases) / sizeof(ppc64le_section_biases[0]),
	.same_rela_type = ppc64le_same_rela_type,
	.line_immediate = ppc64le_line_immediate,
	.same_local_branch = ppc64le_same_local_branch,
	.resolved_field = ppc64le_resolved_field,
	.is_direct_branch_to = ppc64le_is_direct_branch_to,
	.same_bits_under = ppc64le_same_bits_under,
	.klp_reloc_problem = ppc64le_klp_reloc_problem,
	.through_table = ppc64le_through_table,
	.is_address_table = ppc64le_is_address_table,
	.module_special_name = ppc64le_module_special_name,
	.block_pair_special = ppc64le_block_pair_special,
	.loader_symbol = ".TOC.",
	.specials = ppc64le_specials,
	.code_only_sections = ppc64le_code_only,
};

VERIFY_ARCH(ppc64le_verify);
