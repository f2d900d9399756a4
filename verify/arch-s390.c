// SPDX-License-Identifier: GPL-2.0
/*
 * s390x for kpatch-verify (see arch.h): big-endian code; the ftrace site
 * is the 6-byte "brcl 0,0" of -mnop-mcount or "brasl %r0,__fentry__" at a
 * function's start; branches and address loads are relative-long
 * instructions (RIL: opcode c0, a 32-bit halfword count at +2, relative
 * to the instruction's start), so a reference to T relocated at the field
 * names T + 2.
 */
#include <string.h>

#include "arch.h"
#include "verify.h"

#define FTRACE_LEN	6
static const unsigned char brcl_0_0[FTRACE_LEN] = { 0xc0, 0x04, 0x00, 0x00, 0x00, 0x00 };

#define RIL_LARL	0x0	/* second opcode nibble of the c0 instructions */
#define RIL_BRCL	0x4
#define RIL_BRASL	0x5

static int s390_ftrace_site(const struct elf *elf, const unsigned char *code, uint64_t size,
			    uint64_t base, struct rela **relas, size_t n, bool *is_call)
{
	if (size < FTRACE_LEN)
		return -1;
	/* brasl %r0: c0 05 */
	*is_call = code[0] == 0xc0 && code[1] == 0x05 &&
		   is_fentry_rela(rela_at_offset(relas, n, base + 2));
	return *is_call || !memcmp(code, brcl_0_0, FTRACE_LEN) ? 0 : -1;
}

static unsigned int s390_rela_width(unsigned int type)
{
	/* the psABI's field widths, from the ELF model's machine table */
	const struct kelf_machine *m = elf_machine(EM_S390);

	return m ? m->reloc_width(type) : 4;
}

static bool s390_is_halfword_rel(unsigned int type)
{
	switch (type) {
	case R_390_PC16DBL: case R_390_PC32DBL: case R_390_PLT16DBL: case R_390_PLT32DBL:
	case R_390_GOTENT: case R_390_GOTPLTENT: case R_390_GOTPCDBL:
		return true;
	default:
		return false;
	}
}

static bool s390_is_pcrel(unsigned int type)
{
	switch (type) {
	case R_390_PC16: case R_390_PC32: case R_390_PC64:
	case R_390_PLT32: case R_390_PLT64: case R_390_GOTPC:
		return true;
	default:
		return s390_is_halfword_rel(type);
	}
}

/* the field of a halfword-scaled reference is 2 bytes into its instruction */
static int64_t s390_code_bias(unsigned int type)
{
	return s390_is_halfword_rel(type) ? -2 : 0;
}

static const int64_t s390_section_biases[] = { -2 };

static bool s390_same_rela_type(unsigned int a, unsigned int b)
{
	/* gas writes PLT32DBL for "brasl sym@PLT", PC32DBL without @PLT */
	if (a == R_390_PLT32DBL)
		a = R_390_PC32DBL;
	if (b == R_390_PLT32DBL)
		b = R_390_PC32DBL;
	if (a == R_390_PLT16DBL)
		a = R_390_PC16DBL;
	if (b == R_390_PLT16DBL)
		b = R_390_PC16DBL;
	return a == b;
}

static int32_t be32(const unsigned char *p)
{
	return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

/*
 * An immediate load of a line number into the second or third argument
 * register (%r3, %r4): lhi/lghi (a7 r8/r9, 16 bits), llill (a5 rf, 16
 * bits), lgfi/llilf (c0 r1/rf, 32 bits). Its length, 0 if none.
 */
static unsigned int line_load(const unsigned char *c, uint64_t at, uint64_t size, int32_t *line)
{
	unsigned int reg = c[at + 1] >> 4, op = c[at + 1] & 0xf, len;

	if (reg != 3 && reg != 4)
		return 0;
	if ((c[at] == 0xa7 && (op == 8 || op == 9)) || (c[at] == 0xa5 && op == 0xf))
		len = 4;
	else if (c[at] == 0xc0 && (op == 1 || op == 0xf))
		len = 6;
	else
		return 0;
	if (at + len > size)
		return 0;
	if (len == 4)
		*line = c[at] == 0xa7 ? (int16_t)(c[at + 2] << 8 | c[at + 3]) :
			(int32_t)(c[at + 2] << 8 | c[at + 3]);
	else
		*line = be32(c + at + 2);
	return *line > 0 && *line < 0x100000 ? len : 0;
}

/* a call (brasl) or tail call (brcl 15) whose relocation is r */
static bool is_call_rela(const struct rela *r, const unsigned char *code, uint64_t base)
{
	const unsigned char *insn;

	if ((r->type != R_390_PLT32DBL && r->type != R_390_PC32DBL) || r->offset < base + 2)
		return false;
	insn = code + (r->offset - base - 2);
	return insn[0] == 0xc0 && ((insn[1] & 0xf) == RIL_BRASL || insn[1] == 0xf4);
}

static bool s390_line_immediate(const struct elf *elf, const unsigned char *a,
				const unsigned char *b, uint64_t size, uint64_t i, uint64_t base,
				struct rela **relas, size_t n, struct line_site *site)
{
	for (uint64_t j = i; j-- > (i >= 6 ? i - 6 : 0);) {
		int32_t was, now;
		unsigned int len;

		/* the same instruction, differing only in its immediate */
		if (a[j] != b[j] || a[j + 1] != b[j + 1] || i < j + 2 ||
		    !(len = line_load(a, j, size, &was)) || line_load(b, j, size, &now) != len ||
		    i >= j + len)
			continue;
		for (size_t k = 0; k < n; k++) {
			struct rela *r = relas[k];

			if (!r || r->offset < base + j + len || r->offset > base + j + len + 64 ||
			    !is_call_rela(r, b, base))
				continue;
			site->start = j;
			site->end = j + len - 1;
			site->was = was;
			site->now = now;
			return true;
		}
	}
	return false;
}

/* larl, brcl or brasl covering byte i that reach the same place */
static int64_t s390_same_local_branch(const struct elf *elf, const struct symbol *sa,
				      const unsigned char *ca, const struct symbol *sb,
				      const unsigned char *cb, const unsigned char *mask,
				      uint64_t size, uint64_t i)
{
	for (uint64_t p = i >= 5 ? i - 5 : 0; p < i; p++) {
		uint64_t field = p + 2;
		unsigned int op = ca[p + 1] & 0xf;

		if (ca[p] != 0xc0 || cb[p] != 0xc0 || ca[p + 1] != cb[p + 1] ||
		    (op != RIL_LARL && op != RIL_BRCL && op != RIL_BRASL))
			continue;
		if (field + 4 > size || i < field || mask[field] || mask[field + 3])
			continue;
		/* relative to the instruction's start, in halfwords */
		if (same_branch_target(sa, (int64_t)p + 2 * (int64_t)be32(ca + field),
				       sb, (int64_t)p + 2 * (int64_t)be32(cb + field)))
			return (int64_t)field + 3;
	}
	return -1;
}

/* T + 2 for a field at rel: rel + 2 * the halfword count */
static bool s390_resolved_field(const struct elf *elf, const unsigned char *code, uint64_t size,
				uint64_t rel, unsigned int type, int64_t *from_field)
{
	if (!s390_is_halfword_rel(type) || s390_rela_width(type) != 4 || rel + 4 > size)
		return false;
	*from_field = 2 * (int64_t)be32(code + rel);
	return true;
}

/* brasl or brcl whose field is at r, to func's start */
static bool s390_is_direct_branch_to(const struct rela *r, const struct symbol *func)
{
	const struct section *s = r->sec->base;

	if ((r->type != R_390_PC32DBL && r->type != R_390_PLT32DBL) || !rela_reaches_entry(r, func, -2))
		return false;
	return s->data[r->offset - 2] == 0xc0 &&
	       ((s->data[r->offset - 1] & 0xf) == RIL_BRASL || (s->data[r->offset - 1] & 0xf) == RIL_BRCL);
}

/* 6.12's layouts: relative pointers (int) throughout */
static const struct special s390_specials[] = {
	{ "__bug_table", "bug_entry", "BUG_STRUCT_SIZE", 12, 1, true },
	{ "__ex_table", "exception_table_entry", "EX_STRUCT_SIZE", 12, 2, true },
	{ "__jump_table", "jump_entry", "JUMP_STRUCT_SIZE", 16, 3, true },
	{ ".altinstructions", "alt_instr", "ALT_STRUCT_SIZE", 13, 2, true },
	/* pointers to the pi_entry records */
	{ ".printk_index", NULL, NULL, 8, 0, false },
	/* expoline patch sites: .long site - . */
	{ ".s390_indirect_call", NULL, NULL, 4, 1, true },
	{ ".s390_indirect_branches", NULL, NULL, 4, 1, true },
	{ ".s390_indirect_jump", NULL, NULL, 4, 1, true },
	{ ".s390_return_mem", NULL, NULL, 4, 1, true },
	{ ".s390_return_reg", NULL, NULL, 4, 1, true },
	{ NULL, NULL, NULL, 0, 0, false }
};

static const char *const s390_code_only[] = {
	".s390_indirect_call", ".s390_indirect_branches", ".s390_indirect_jump",
	".s390_return_mem", ".s390_return_reg", NULL
};

static const struct verify_arch s390x_verify = {
	.machine = EM_S390,
	.name = "s390x",
	.ftrace_len = FTRACE_LEN,
	.ftrace_site = s390_ftrace_site,
	.rela_width = s390_rela_width,
	.is_pcrel = s390_is_pcrel,
	.code_bias = s390_code_bias,
	.section_biases = s390_section_biases,
	.nr_section_biases = sizeof(s390_section_biases) / sizeof(s390_section_biases[0]),
	.same_rela_type = s390_same_rela_type,
	/* alt_instr's instrlen, its last byte: the replacement is as long */
	.sized_block_special = ".altinstructions",
	.block_len_at = 12,
	.line_immediate = s390_line_immediate,
	.same_local_branch = s390_same_local_branch,
	.resolved_field = s390_resolved_field,
	.is_direct_branch_to = s390_is_direct_branch_to,
	.specials = s390_specials,
	.code_only_sections = s390_code_only,
};

VERIFY_ARCH(s390x_verify);
