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
		break;
	default:
		return false;	/* PLT: a call; GOT offsets, TLS: not code addresses */
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
	.is_padding = s390_is_padding,
};

CDO_ARCH(s390x_arch);
