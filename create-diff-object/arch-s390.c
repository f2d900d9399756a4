// SPDX-License-Identifier: GPL-2.0
/*
 * s390x specifics: the ftrace call site (a 6-byte nop, brcl 0,0, that
 * -mnop-mcount -mrecord-mcount put at function entry, or brasl %r0,__fentry__
 * without -mnop-mcount), where a halfword-scaled PC-relative reference
 * really points, expoline thunks, and the special sections of s390 kernels.
 * Code is big-endian: every field is read through the model's byte-order
 * helpers.
 */
#include <string.h>

#include "cdo.h"

#define R_390_PC12DBL	62	/* newer than some elf.h */
#define R_390_PLT12DBL	63
#define R_390_PC24DBL	64
#define R_390_PLT24DBL	65

#define FENTRY_SITE_LEN	6	/* brcl 0,0 / brasl %r0,__fentry__ */

static bool is_fentry_name(const char *name)
{
	return !strcmp(name, "__fentry__") || !strcmp(name, "_mcount");
}

static bool s390_find_fentry(struct section *sec, struct symbol *func,
			     uint64_t *site, struct rela **relap)
{
	uint64_t start = func->sym.st_value;
	const unsigned char *p;
	struct rela *rela;

	if (!sec->data || start + FENTRY_SITE_LEN > sec->size)
		return false;
	p = sec->data + start;
	rela = elf_rela_at(sec, start + 2);
	if (p[0] != 0xc0)
		return false;
	if (p[1] == 0x04 && !rela && !memcmp(p + 2, "\0\0\0\0", 4)) {
		*site = start;		/* brcl 0,0: __mcount_loc records it */
		*relap = NULL;
		return true;
	}
	if (p[1] == 0x05 && rela && rela->sym && is_fentry_name(rela->sym->name) &&
	    (rela->type == R_390_PLT32DBL || rela->type == R_390_PC32DBL)) {
		*site = start;		/* brasl %r0,__fentry__ */
		*relap = rela;
		return true;
	}
	return false;
}

/* Expoline thunks and the ftrace hook: the kernel exports them to modules. */
static bool s390_is_kernel_helper(const char *name)
{
	return is_fentry_name(name) || !strncmp(name, "__s390_indirect_jump_", 21);
}

/*
 * Bytes from an instruction's start to the field a halfword-scaled
 * (DBL) relocation fills, 0 for other relocations: RI/RIL branches, larl,
 * the relative-long loads and stores and GOTENT have it at +2, bprp its
 * 12-bit field at +1 and its 24-bit one at +3.
 */
static int64_t dbl_field_offset(unsigned int type)
{
	switch (type) {
	case R_390_PC16DBL: case R_390_PLT16DBL: case R_390_PC32DBL:
	case R_390_PLT32DBL: case R_390_GOTENT: case R_390_GOTPCDBL:
	case R_390_GOTPLTENT: case R_390_TLS_IEENT:
		return 2;
	case R_390_PC12DBL: case R_390_PLT12DBL:
		return 1;
	case R_390_PC24DBL: case R_390_PLT24DBL:
		return 3;
	default:
		return 0;
	}
}

static int64_t s390_rela_target_offset(struct rela *rela)
{
	/* DBL: relative to the instruction, not to the field */
	if (!is_text_section(rela->sec->base))
		return rela->addend;	/* data: the reader adds the entry's own address */
	return rela->addend - dbl_field_offset(rela->type);
}

/* Does this relocation load an address rather than branch to it? */
static bool s390_rela_is_address(struct rela *rela)
{
	struct section *base = rela->sec->base;
	int64_t field = dbl_field_offset(rela->type);
	const unsigned char *insn;

	switch (rela->type) {
	case R_390_64: case R_390_32: case R_390_PC32: case R_390_PC64:
	case R_390_GOTENT:	/* lgrl from the GOT: a pointer to the target */
		return true;
	case R_390_PC32DBL: case R_390_PC16DBL:
	case R_390_PLT32DBL: case R_390_PLT16DBL:	/* larl of a function is PLT32DBL too */
		break;
	default:
		return false;	/* GOT offsets, TLS: not code addresses */
	}
	if (!is_text_section(base) || !base->data || rela->offset < (uint64_t)field)
		return true;
	insn = base->data + rela->offset - field;
	switch (insn[0]) {
	case 0xc0:	/* larl (0) loads the address; brcl (4), brasl (5) branch */
		return (insn[1] & 0x0f) != 0x04 && (insn[1] & 0x0f) != 0x05;
	case 0xa7:	/* brc, bras, brct, brctg */
	case 0x84: case 0x85:	/* brxh, brxle */
	case 0xec:	/* compare and branch relative */
	case 0xcc:	/* brcth */
		return false;
	default:
		return true;	/* relative-long loads and stores use the target's address */
	}
}

static bool s390_is_padding(const struct section *sec, uint64_t len)
{
	/* bcr 0,%r7 (07 07): the nop gcc aligns functions with */
	if (!sec->data || len > 64 || len > sec->size || len % 2)
		return false;
	for (uint64_t i = 0; i < len; i += 2)
		if (sec->data[i] != 0x07 || sec->data[i + 1] != 0x07)
			return false;
	return true;
}

/* s390 instruction lengths: the first two bits of the opcode tell. */
static unsigned int insn_length(unsigned char first)
{
	switch (first >> 6) {
	case 0:
		return 2;
	case 3:
		return 6;
	default:
		return 4;
	}
}

/*
 * A load of an immediate into a register, the ways gcc passes __LINE__:
 * lhi/lghi (a7 r8/r9, signed 16 bits), llill (a5 rf, unsigned 16 bits),
 * lgfi (c0 r1, signed 32 bits), llilf (c0 rf, unsigned 32 bits).
 */
static bool load_immediate(const struct elf *elf, const unsigned char *p, unsigned int len,
			   unsigned int *reg, int64_t *imm)
{
	unsigned int op = p[1] & 0x0f;

	if (len == 4 && p[0] == 0xa7 && (op == 0x08 || op == 0x09))
		*imm = (int16_t)elf_get_u16(elf, p + 2);
	else if (len == 4 && p[0] == 0xa5 && op == 0x0f)
		*imm = elf_get_u16(elf, p + 2);
	else if (len == 6 && p[0] == 0xc0 && op == 0x01)
		*imm = (int32_t)elf_get_u32(elf, p + 2);
	else if (len == 6 && p[0] == 0xc0 && op == 0x0f)
		*imm = elf_get_u32(elf, p + 2);
	else
		return false;
	*reg = p[1] >> 4;
	return true;
}

/* Arguments go in %r2, %r3, %r4, ... */
#define ARG_REG(arg)	((arg) + 1)

/*
 * The string whose address is loaded into argument arg's register between
 * 'from' and the call: larl %rN,str or lgrl %rN,str@GOTENT.
 */
static const char *s390_string_argument(struct section *sec, uint64_t from, uint64_t call,
					unsigned int arg)
{
	const char *found = NULL;

	for (struct rela *rela = elf_rela_at_or_after(sec, from);
	     rela && rela < sec->rela->relas + sec->rela->nr_relas && rela->offset < call; rela++) {
		const unsigned char *p;

		if (rela->offset < 2 || dbl_field_offset(rela->type) != 2)
			continue;
		p = sec->data + rela->offset - 2;
		if (p[1] >> 4 != ARG_REG(arg) ||
		    !((p[0] == 0xc0 && (p[1] & 0x0f) == 0x00) || (p[0] == 0xc4 && (p[1] & 0x0f) == 0x08)))
			continue;
		/* the last load before the call wins */
		found = line_rela_string(rela, s390_rela_target_offset(rela));
	}
	return found;
}

/*
 * WARN(), might_sleep(), btrfs_abort_transaction() and printk("... line
 * %d", __LINE__) pass the line number as an immediate: code moved up or
 * down a file differs only there. Accepted as no change when every
 * differing instruction loads an immediate into the register of an
 * argument its callee takes as a line number, all moved by the same
 * nonzero number of lines (the function's own shift when the DWARF gives
 * it). Anything else is a change.
 */
static bool s390_line_macro_change_only(struct section *orig, uint64_t ostart,
					struct section *patched, uint64_t pstart,
					uint64_t len, const int64_t *line_delta,
					uint64_t *first_diff)
{
	const struct elf *elf = patched->elf;
	const unsigned char *o = orig->data + ostart, *p = patched->data + pstart;
	int64_t delta = line_delta ? *line_delta : 0;
	bool any = false;
	uint64_t off = 0;

	*first_diff = 0;
	if (!o || !p || ostart + len > orig->size || pstart + len > patched->size || !patched->rela)
		goto real_change;
	while (off < len) {
		unsigned int ilen = insn_length(o[off]), oreg, preg;
		int64_t oimm, pimm;

		if (off + ilen > len || insn_length(p[off]) != ilen)
			goto real_change;
		if (!memcmp(o + off, p + off, ilen)) {
			off += ilen;
			continue;
		}
		*first_diff = off;
		if (!load_immediate(elf, o + off, ilen, &oreg, &oimm) ||
		    !load_immediate(elf, p + off, ilen, &preg, &pimm) || oreg != preg ||
		    (oreg != ARG_REG(2) && oreg != ARG_REG(3)) || oimm <= 0 ||
		    ((any || line_delta) && pimm - oimm != delta) ||
		    !line_argument_is_line(patched, pstart, pstart + off + ilen, pstart + len,
					   oreg - 1, s390_string_argument))
			goto real_change;
		delta = pimm - oimm;
		any = true;
		off += ilen;
	}
	return any;

real_change:
	if (!*first_diff) {
		while (*first_diff < len && o && p && o[*first_diff] == p[*first_diff])
			(*first_diff)++;
	}
	return false;
}

static const struct special_section s390_special[] = {
	{ "__bug_table", SZ_BUG, 0, NULL },
	{ "__ex_table", SZ_EX, 0, NULL },
	{ "__jump_table", SZ_JUMP, 0, special_jump_label_filter },
	{ ".altinstructions", SZ_ALT, 0, NULL },
	{ ".printk_index", SZ_COUNT, 8, NULL },
	/* expoline patch sites: a 32-bit PC-relative pointer to an instruction */
	{ ".s390_indirect_call", SZ_COUNT, 4, NULL },
	{ ".s390_indirect_branches", SZ_COUNT, 4, NULL },
	{ ".s390_indirect_jump", SZ_COUNT, 4, NULL },
	{ ".s390_return_mem", SZ_COUNT, 4, NULL },
	{ ".s390_return_reg", SZ_COUNT, 4, NULL },
	{ NULL, SZ_COUNT, 0, NULL }
};

static const struct cdo_arch s390x_arch = {
	.name = "s390x",
	.machine = EM_S390,
	.abs64 = R_390_64,
	.special_sections = s390_special,
	.find_fentry = s390_find_fentry,
	.is_kernel_helper = s390_is_kernel_helper,
	.rela_target_offset = s390_rela_target_offset,
	.rela_is_address = s390_rela_is_address,
	.line_macro_change_only = s390_line_macro_change_only,
	.is_padding = s390_is_padding,
};

CDO_ARCH(s390x_arch);
