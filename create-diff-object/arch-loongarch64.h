/* SPDX-License-Identifier: GPL-2.0 */
/* LoongArch relocation types newer than the C library's elf.h (the psABI's numbers). */
#ifndef KPATCH_ARCH_LOONGARCH64_H
#define KPATCH_ARCH_LOONGARCH64_H

#include <elf.h>

#ifndef R_LARCH_B16
#define R_LARCH_B16	64
#endif
#ifndef R_LARCH_B21
#define R_LARCH_B21	65
#endif
#ifndef R_LARCH_B26
#define R_LARCH_B26	66
#endif
#ifndef R_LARCH_ABS_HI20
#define R_LARCH_ABS_HI20	67
#endif
#ifndef R_LARCH_ABS_LO12
#define R_LARCH_ABS_LO12	68
#endif
#ifndef R_LARCH_ABS64_LO20
#define R_LARCH_ABS64_LO20	69
#endif
#ifndef R_LARCH_ABS64_HI12
#define R_LARCH_ABS64_HI12	70
#endif
#ifndef R_LARCH_PCALA_HI20
#define R_LARCH_PCALA_HI20	71
#endif
#ifndef R_LARCH_PCALA_LO12
#define R_LARCH_PCALA_LO12	72
#endif
#ifndef R_LARCH_PCALA64_LO20
#define R_LARCH_PCALA64_LO20	73
#endif
#ifndef R_LARCH_PCALA64_HI12
#define R_LARCH_PCALA64_HI12	74
#endif
#ifndef R_LARCH_GOT_PC_HI20
#define R_LARCH_GOT_PC_HI20	75
#endif
#ifndef R_LARCH_GOT_PC_LO12
#define R_LARCH_GOT_PC_LO12	76
#endif
#ifndef R_LARCH_GOT64_PC_LO20
#define R_LARCH_GOT64_PC_LO20	77
#endif
#ifndef R_LARCH_GOT64_PC_HI12
#define R_LARCH_GOT64_PC_HI12	78
#endif
#ifndef R_LARCH_GOT_HI20
#define R_LARCH_GOT_HI20	79
#endif
#ifndef R_LARCH_GOT_LO12
#define R_LARCH_GOT_LO12	80
#endif
#ifndef R_LARCH_GOT64_LO20
#define R_LARCH_GOT64_LO20	81
#endif
#ifndef R_LARCH_GOT64_HI12
#define R_LARCH_GOT64_HI12	82
#endif
#ifndef R_LARCH_TLS_LE_HI20
#define R_LARCH_TLS_LE_HI20	83
#endif
#ifndef R_LARCH_TLS_LE_LO12
#define R_LARCH_TLS_LE_LO12	84
#endif
#ifndef R_LARCH_TLS_LE64_LO20
#define R_LARCH_TLS_LE64_LO20	85
#endif
#ifndef R_LARCH_TLS_LE64_HI12
#define R_LARCH_TLS_LE64_HI12	86
#endif
#ifndef R_LARCH_TLS_IE_PC_HI20
#define R_LARCH_TLS_IE_PC_HI20	87
#endif
#ifndef R_LARCH_TLS_IE_PC_LO12
#define R_LARCH_TLS_IE_PC_LO12	88
#endif
#ifndef R_LARCH_TLS_IE64_PC_LO20
#define R_LARCH_TLS_IE64_PC_LO20	89
#endif
#ifndef R_LARCH_TLS_IE64_PC_HI12
#define R_LARCH_TLS_IE64_PC_HI12	90
#endif
#ifndef R_LARCH_TLS_IE_HI20
#define R_LARCH_TLS_IE_HI20	91
#endif
#ifndef R_LARCH_TLS_IE_LO12
#define R_LARCH_TLS_IE_LO12	92
#endif
#ifndef R_LARCH_TLS_IE64_LO20
#define R_LARCH_TLS_IE64_LO20	93
#endif
#ifndef R_LARCH_TLS_IE64_HI12
#define R_LARCH_TLS_IE64_HI12	94
#endif
#ifndef R_LARCH_TLS_LD_PC_HI20
#define R_LARCH_TLS_LD_PC_HI20	95
#endif
#ifndef R_LARCH_TLS_LD_HI20
#define R_LARCH_TLS_LD_HI20	96
#endif
#ifndef R_LARCH_TLS_GD_PC_HI20
#define R_LARCH_TLS_GD_PC_HI20	97
#endif
#ifndef R_LARCH_TLS_GD_HI20
#define R_LARCH_TLS_GD_HI20	98
#endif
#ifndef R_LARCH_32_PCREL
#define R_LARCH_32_PCREL	99
#endif
#ifndef R_LARCH_RELAX
#define R_LARCH_RELAX	100
#endif
#ifndef R_LARCH_DELETE
#define R_LARCH_DELETE	101
#endif
#ifndef R_LARCH_ALIGN
#define R_LARCH_ALIGN	102
#endif
#ifndef R_LARCH_PCREL20_S2
#define R_LARCH_PCREL20_S2	103
#endif
#ifndef R_LARCH_CFA
#define R_LARCH_CFA	104
#endif
#ifndef R_LARCH_ADD6
#define R_LARCH_ADD6	105
#endif
#ifndef R_LARCH_SUB6
#define R_LARCH_SUB6	106
#endif
#ifndef R_LARCH_ADD_ULEB128
#define R_LARCH_ADD_ULEB128	107
#endif
#ifndef R_LARCH_SUB_ULEB128
#define R_LARCH_SUB_ULEB128	108
#endif
#ifndef R_LARCH_64_PCREL
#define R_LARCH_64_PCREL	109
#endif
#ifndef R_LARCH_CALL36
#define R_LARCH_CALL36	110
#endif
#ifndef R_LARCH_TLS_DESC_CALL
#define R_LARCH_TLS_DESC_CALL	120
#endif
#ifndef R_LARCH_TLS_LE_ADD_R
#define R_LARCH_TLS_LE_ADD_R	122
#endif

#endif
