// SPDX-License-Identifier: GPL-2.0
/* x86-64 for the ELF model: relocation field widths (the psABI's). */
#include "kelf.h"

static unsigned int x86_64_reloc_width(unsigned int type)
{
	switch (type) {
	case R_X86_64_NONE:
	case R_X86_64_TLSDESC_CALL:
		return 0;
	case R_X86_64_8: case R_X86_64_PC8:
		return 1;
	case R_X86_64_16: case R_X86_64_PC16:
		return 2;
	case R_X86_64_64: case R_X86_64_PC64: case R_X86_64_GLOB_DAT:
	case R_X86_64_JUMP_SLOT: case R_X86_64_RELATIVE: case R_X86_64_DTPMOD64:
	case R_X86_64_DTPOFF64: case R_X86_64_TPOFF64: case R_X86_64_GOTOFF64:
	case R_X86_64_GOT64: case R_X86_64_GOTPCREL64: case R_X86_64_GOTPC64:
	case R_X86_64_GOTPLT64: case R_X86_64_PLTOFF64: case R_X86_64_SIZE64:
	case R_X86_64_IRELATIVE: case R_X86_64_RELATIVE64:
		return 8;
	case R_X86_64_TLSDESC:
		return 16;
	default:
		return 4;	/* every other x86_64 type is a 32-bit field */
	}
}

static const struct kelf_machine x86_64_machine = {
	.machine = EM_X86_64,
	.name = "x86_64",
	.reloc_width = x86_64_reloc_width,
};

KELF_MACHINE(x86_64_machine);
