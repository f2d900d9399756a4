// SPDX-License-Identifier: GPL-2.0
/* LoongArch64 for the ELF model: relocation field widths (its psABI's). */
#include "kelf.h"
#include "arch-loongarch64.h"

static unsigned int loongarch64_reloc_width(unsigned int type)
{
	switch (type) {
	case R_LARCH_NONE: case R_LARCH_MARK_LA: case R_LARCH_MARK_PCREL:
	case R_LARCH_GNU_VTINHERIT: case R_LARCH_GNU_VTENTRY:
	case R_LARCH_RELAX: case R_LARCH_DELETE: case R_LARCH_ALIGN: case R_LARCH_CFA:
	case R_LARCH_TLS_DESC_CALL: case R_LARCH_TLS_LE_ADD_R:
		return 0;	/* markers */
	case R_LARCH_ADD8: case R_LARCH_SUB8: case R_LARCH_ADD6: case R_LARCH_SUB6:
	case R_LARCH_ADD_ULEB128: case R_LARCH_SUB_ULEB128:	/* at least one byte */
		return 1;
	case R_LARCH_ADD16: case R_LARCH_SUB16:
		return 2;
	case R_LARCH_ADD24: case R_LARCH_SUB24:
		return 3;
	case R_LARCH_64: case R_LARCH_RELATIVE: case R_LARCH_JUMP_SLOT:
	case R_LARCH_TLS_DTPMOD64: case R_LARCH_TLS_DTPREL64: case R_LARCH_TLS_TPREL64:
	case R_LARCH_IRELATIVE: case R_LARCH_ADD64: case R_LARCH_SUB64:
	case R_LARCH_64_PCREL: case R_LARCH_CALL36:	/* pcaddu18i + jirl */
		return 8;
	default:
		if (type >= R_LARCH_SOP_PUSH_PCREL && type <= R_LARCH_SOP_IF_ELSE)
			return 0;	/* stack-machine operations write nothing */
		return 4;	/* 32-bit words and every instruction */
	}
}

static const struct kelf_machine loongarch64_machine = {
	.machine = EM_LOONGARCH,
	.name = "loongarch64",
	.reloc_width = loongarch64_reloc_width,
};

KELF_MACHINE(loongarch64_machine);
