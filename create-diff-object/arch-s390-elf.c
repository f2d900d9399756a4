// SPDX-License-Identifier: GPL-2.0
/* s390x for the ELF model: relocation field widths (the s390x psABI's). */
#include "kelf.h"

/* Newer than some elf.h */
#define R_390_PC12DBL	62
#define R_390_PLT12DBL	63
#define R_390_PC24DBL	64
#define R_390_PLT24DBL	65

static unsigned int s390x_reloc_width(unsigned int type)
{
	switch (type) {
	case R_390_NONE:
	case R_390_TLS_LOAD: case R_390_TLS_GDCALL: case R_390_TLS_LDCALL:
		return 0;	/* markers */
	case R_390_8:
		return 1;
	/* 12- and 16-bit fields, and 12-bit displacements, in two bytes */
	case R_390_12: case R_390_16: case R_390_GOT12: case R_390_GOT16:
	case R_390_PC16: case R_390_PC16DBL: case R_390_PLT16DBL:
	case R_390_GOTOFF16: case R_390_GOTPLT12: case R_390_GOTPLT16:
	case R_390_PLTOFF16: case R_390_TLS_GOTIE12:
	case R_390_PC12DBL: case R_390_PLT12DBL:
		return 2;
	case R_390_PC24DBL: case R_390_PLT24DBL:
		return 3;
	case R_390_64: case R_390_PC64: case R_390_GOT64: case R_390_PLT64:
	case R_390_GOTOFF64: case R_390_GOTPLT64: case R_390_PLTOFF64:
	case R_390_TLS_GD64: case R_390_TLS_GOTIE64: case R_390_TLS_LDM64:
	case R_390_TLS_IE64: case R_390_TLS_LE64: case R_390_TLS_LDO64:
	case R_390_TLS_DTPMOD: case R_390_TLS_DTPOFF: case R_390_TLS_TPOFF:
	case R_390_COPY: case R_390_GLOB_DAT: case R_390_JMP_SLOT:
	case R_390_RELATIVE: case R_390_IRELATIVE:
		return 8;
	default:
		return 4;	/* 32-bit fields, and 20-bit displacements spread over four bytes */
	}
}

static const struct kelf_machine s390x_machine = {
	.machine = EM_S390,
	.name = "s390x",
	.reloc_width = s390x_reloc_width,
};

KELF_MACHINE(s390x_machine);
