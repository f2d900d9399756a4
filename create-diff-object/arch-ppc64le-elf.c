// SPDX-License-Identifier: GPL-2.0
/* ppc64le for the ELF model: relocation field widths (the ELFv2 psABI's). */
#include "kelf.h"

#define R_PPC64_REL24_NOTOC	116	/* newer than some elf.h */
#define R_PPC64_ENTRY		118

static unsigned int ppc64le_reloc_width(unsigned int type)
{
	switch (type) {
	case R_PPC64_NONE:
	case R_PPC64_TLS: case R_PPC64_TLSGD: case R_PPC64_TLSLD:
	case R_PPC64_TOCSAVE: case R_PPC64_ENTRY:
		return 0;	/* markers: they name an instruction, they fill nothing */
	/* halfword fields: the immediates of D/DS-form instructions */
	case R_PPC64_ADDR16: case R_PPC64_ADDR16_LO: case R_PPC64_ADDR16_HI:
	case R_PPC64_ADDR16_HA: case R_PPC64_ADDR16_HIGHER: case R_PPC64_ADDR16_HIGHERA:
	case R_PPC64_ADDR16_HIGHEST: case R_PPC64_ADDR16_HIGHESTA:
	case R_PPC64_ADDR16_DS: case R_PPC64_ADDR16_LO_DS:
	case R_PPC64_ADDR16_HIGH: case R_PPC64_ADDR16_HIGHA:
	case R_PPC64_UADDR16:
	case R_PPC64_TOC16: case R_PPC64_TOC16_LO: case R_PPC64_TOC16_HI:
	case R_PPC64_TOC16_HA: case R_PPC64_TOC16_DS: case R_PPC64_TOC16_LO_DS:
	case R_PPC64_REL16: case R_PPC64_REL16_LO: case R_PPC64_REL16_HI:
	case R_PPC64_REL16_HA:
	case R_PPC64_GOT16: case R_PPC64_GOT16_LO: case R_PPC64_GOT16_HI:
	case R_PPC64_GOT16_HA: case R_PPC64_GOT16_DS: case R_PPC64_GOT16_LO_DS:
	case R_PPC64_SECTOFF: case R_PPC64_SECTOFF_LO: case R_PPC64_SECTOFF_HI:
	case R_PPC64_SECTOFF_HA: case R_PPC64_SECTOFF_DS: case R_PPC64_SECTOFF_LO_DS:
	case R_PPC64_TPREL16: case R_PPC64_TPREL16_LO: case R_PPC64_TPREL16_HI:
	case R_PPC64_TPREL16_HA: case R_PPC64_TPREL16_DS: case R_PPC64_TPREL16_LO_DS:
	case R_PPC64_DTPREL16: case R_PPC64_DTPREL16_LO: case R_PPC64_DTPREL16_HI:
	case R_PPC64_DTPREL16_HA: case R_PPC64_DTPREL16_DS: case R_PPC64_DTPREL16_LO_DS:
	case R_PPC64_GOT_TLSGD16: case R_PPC64_GOT_TLSGD16_LO:
	case R_PPC64_GOT_TLSGD16_HI: case R_PPC64_GOT_TLSGD16_HA:
	case R_PPC64_GOT_TLSLD16: case R_PPC64_GOT_TLSLD16_LO:
	case R_PPC64_GOT_TLSLD16_HI: case R_PPC64_GOT_TLSLD16_HA:
	case R_PPC64_GOT_TPREL16_DS: case R_PPC64_GOT_TPREL16_LO_DS:
	case R_PPC64_GOT_TPREL16_HI: case R_PPC64_GOT_TPREL16_HA:
	case R_PPC64_GOT_DTPREL16_DS: case R_PPC64_GOT_DTPREL16_LO_DS:
	case R_PPC64_GOT_DTPREL16_HI: case R_PPC64_GOT_DTPREL16_HA:
		return 2;
	case R_PPC64_ADDR64: case R_PPC64_UADDR64: case R_PPC64_REL64:
	case R_PPC64_PLT64: case R_PPC64_PLTREL64: case R_PPC64_TOC:
	case R_PPC64_DTPMOD64: case R_PPC64_TPREL64: case R_PPC64_DTPREL64:
	case R_PPC64_GLOB_DAT: case R_PPC64_JMP_SLOT: case R_PPC64_RELATIVE:
	case R_PPC64_IRELATIVE: case R_PPC64_JMP_IREL:
		return 8;
	default:
		return 4;	/* branches (REL24, REL14...) and 32-bit words */
	}
}

static const struct kelf_machine ppc64le_machine = {
	.machine = EM_PPC64,
	.name = "ppc64le",
	.reloc_width = ppc64le_reloc_width,
};

KELF_MACHINE(ppc64le_machine);
