// SPDX-License-Identifier: GPL-2.0
/* AArch64 for the ELF model: relocation field widths (the AAELF64 ABI's). */
#include "kelf.h"

#define R_AARCH64_NONE_ALT	256	/* the ABI's other number for "none" */
#define R_AARCH64_PLT32		314

static unsigned int aarch64_reloc_width(unsigned int type)
{
	switch (type) {
	case R_AARCH64_NONE: case R_AARCH64_NONE_ALT: case R_AARCH64_TLSDESC_CALL:
		return 0;	/* markers */
	case R_AARCH64_ABS16: case R_AARCH64_PREL16:
		return 2;
	case R_AARCH64_ABS64: case R_AARCH64_PREL64: case R_AARCH64_GLOB_DAT:
	case R_AARCH64_JUMP_SLOT: case R_AARCH64_RELATIVE: case R_AARCH64_TLS_DTPMOD:
	case R_AARCH64_TLS_DTPREL: case R_AARCH64_TLS_TPREL: case R_AARCH64_IRELATIVE:
	case R_AARCH64_GOTREL64:
		return 8;
	case R_AARCH64_TLSDESC:
		return 16;
	default:
		return 4;	/* data words (ABS32, PREL32, PLT32) and every instruction */
	}
}

static const struct kelf_machine aarch64_machine = {
	.machine = EM_AARCH64,
	.name = "aarch64",
	.reloc_width = aarch64_reloc_width,
};

KELF_MACHINE(aarch64_machine);
