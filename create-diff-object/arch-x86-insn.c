/*
 * arch-x86-insn.c - minimal x86-64 instruction length decoder.
 *
 * The opcode tables below are written from the Intel SDM opcode maps
 * (Volume 2, Appendix A) for 64-bit mode.  Each opcode gets one byte of
 * attributes: whether a ModRM byte follows and what kind of immediate
 * follows the ModRM/SIB/displacement bytes.
 *
 * One deliberate deviation from the SDM: 0f ff (UD0) is decoded as a
 * two-byte instruction without ModRM, as AMD CPUs and the kernel's own
 * decoder do.  Kernels used the bare "0f ff" as a trap (e.g. the
 * .text..refcount exception stubs), so only this reading walks such code
 * correctly.  (binutils decodes a ModRM, Intel-style.)
 */
#include <string.h>

#include "arch-x86-insn.h"

/* immediate kinds (low 4 bits) */
enum {
	I_NONE = 0,
	I_B,		/* imm8 / rel8 */
	I_W,		/* imm16 (ret/retf imm16) */
	I_Z,		/* imm16 with 66 (and no REX.W), else imm32 (also rel32) */
	I_V,		/* b8+r: imm16/imm32/imm64 by operand size */
	I_WB,		/* enter: imm16 + imm8 */
	I_MOFFS,	/* a0-a3: 64-bit address, 32-bit with 67 */
	I_GRP3B,	/* f6: imm8 only for ModRM.reg 0/1 (test) */
	I_GRP3Z,	/* f7: immz only for ModRM.reg 0/1 (test) */
	I_MASK = 0x0f,
};

#define A_MODRM		0x10	/* a ModRM byte follows the opcode */
#define A_MODREG	0x20	/* ModRM whose mod field is ignored (mov cr/dr) */
#define A_BAD		0x40	/* invalid in 64-bit mode */
#define A_SPECIAL	0x80	/* prefix or escape, handled by the decoder */

/* short names to keep the tables square */
#define __ I_NONE
#define _B I_B
#define _W I_W
#define _Z I_Z
#define _V I_V
#define WB I_WB
#define MO I_MOFFS
#define M_ A_MODRM
#define MB (A_MODRM | I_B)
#define MZ (A_MODRM | I_Z)
#define G3 (A_MODRM | I_GRP3B)
#define G7 (A_MODRM | I_GRP3Z)
#define MR A_MODREG
#define XX A_BAD
#define SP A_SPECIAL

/* one-byte opcode map, 64-bit mode */
static const uint8_t map1[256] = {
/*        0   1   2   3   4   5   6   7   8   9   a   b   c   d   e   f */
/* 0 */  M_, M_, M_, M_, _B, _Z, XX, XX, M_, M_, M_, M_, _B, _Z, XX, SP,
/* 1 */  M_, M_, M_, M_, _B, _Z, XX, XX, M_, M_, M_, M_, _B, _Z, XX, XX,
/* 2 */  M_, M_, M_, M_, _B, _Z, SP, XX, M_, M_, M_, M_, _B, _Z, SP, XX,
/* 3 */  M_, M_, M_, M_, _B, _Z, SP, XX, M_, M_, M_, M_, _B, _Z, SP, XX,
/* 4 */  SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP,
/* 5 */  __, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
/* 6 */  XX, XX, SP, M_, SP, SP, SP, SP, _Z, MZ, _B, MB, __, __, __, __,
/* 7 */  _B, _B, _B, _B, _B, _B, _B, _B, _B, _B, _B, _B, _B, _B, _B, _B,
/* 8 */  MB, MZ, XX, MB, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
/* 9 */  __, __, __, __, __, __, __, __, __, __, XX, __, __, __, __, __,
/* a */  MO, MO, MO, MO, __, __, __, __, _B, _Z, __, __, __, __, __, __,
/* b */  _B, _B, _B, _B, _B, _B, _B, _B, _V, _V, _V, _V, _V, _V, _V, _V,
/* c */  MB, MB, _W, __, SP, SP, MB, MZ, WB, __, _W, __, __, _B, XX, __,
/* d */  M_, M_, M_, M_, XX, XX, XX, __, M_, M_, M_, M_, M_, M_, M_, M_,
/* e */  _B, _B, _B, _B, _B, _B, _B, _B, _Z, _Z, XX, _B, __, __, __, __,
/* f */  SP, __, SP, SP, __, __, G3, G7, __, __, __, __, __, __, M_, M_,
};

/* two-byte opcode map (0f xx), 64-bit mode */
static const uint8_t map2[256] = {
/*        0   1   2   3   4   5   6   7   8   9   a   b   c   d   e   f */
/* 0 */  M_, M_, M_, M_, XX, __, __, __, __, __, XX, __, XX, M_, __, MB,
/* 1 */  M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
/* 2 */  MR, MR, MR, MR, XX, XX, XX, XX, M_, M_, M_, M_, M_, M_, M_, M_,
/* 3 */  __, __, __, __, __, __, XX, __, SP, XX, SP, XX, XX, XX, XX, XX,
/* 4 */  M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
/* 5 */  M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
/* 6 */  M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
/* 7 */  MB, MB, MB, MB, M_, M_, M_, __, M_, M_, XX, XX, M_, M_, M_, M_,
/* 8 */  _Z, _Z, _Z, _Z, _Z, _Z, _Z, _Z, _Z, _Z, _Z, _Z, _Z, _Z, _Z, _Z,
/* 9 */  M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
/* a */  __, __, __, M_, MB, M_, M_, M_, __, __, __, M_, MB, M_, M_, M_,
/* b */  M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, MB, M_, M_, M_, M_, M_,
/* c */  M_, M_, MB, M_, MB, MB, MB, M_, __, __, __, __, __, __, __, __,
/* d */  M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
/* e */  M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
/* f */  M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, __,
};

#undef __
#undef _B
#undef _W
#undef _Z
#undef _V
#undef WB
#undef MO
#undef M_
#undef MB
#undef MZ
#undef G3
#undef G7
#undef MR
#undef XX
#undef SP

/*
 * Maps 0f 38 and 0f 3a (legacy or VEX/EVEX encoded) are uniform for length
 * purposes: every opcode has a ModRM byte; 0f 3a ones also an imm8.
 */

/* prefix state */
#define P_66	0x01
#define P_67	0x02
#define P_REP	0x04	/* f2 or f3 */
#define P_F2	0x08
#define P_LOCK	0x10

#define MAX_INSN_LEN 15

/*
 * Decode ModRM (+SIB +displacement) at buf[pos].  Returns the position
 * after the displacement or -1 if truncated.
 */
static int decode_modrm(const uint8_t *buf, size_t avail, unsigned int pos,
			int modreg, struct x86_insn *insn)
{
	uint8_t modrm, mod, rm;
	unsigned int disp = 0;

	if (pos >= avail)
		return -1;
	modrm = buf[pos];
	insn->modrm_offset = pos;
	pos++;

	mod = modrm >> 6;
	rm = modrm & 7;
	if (modreg || mod == 3)
		return pos;

	if (rm == 4) {
		/* SIB */
		if (pos >= avail)
			return -1;
		if (mod == 0 && (buf[pos] & 7) == 5)
			disp = 4;
		pos++;
	} else if (mod == 0 && rm == 5) {
		insn->rip_relative = 1;
		disp = 4;
	}
	if (mod == 1)
		disp = 1;
	else if (mod == 2)
		disp = 4;

	if (disp) {
		insn->disp_offset = pos;
		insn->disp_size = disp;
		pos += disp;
	}
	return pos;
}

/*
 * ModRM.reg (and mod) values that are undefined for one-byte group
 * opcodes: rejecting them helps callers notice data in code sections.
 */
static int invalid_group(uint8_t op, uint8_t modrm)
{
	unsigned int reg = (modrm >> 3) & 7, mod = modrm >> 6;

	switch (op) {
	case 0x8d:		/* lea needs a memory operand */
		return mod == 3;
	case 0x8f:		/* pop Ev; /1-7 is AMD XOP (unsupported) */
		return reg != 0;
	case 0xc6:		/* mov Eb,Ib; xabort = c6 f8 ib */
	case 0xc7:		/* mov Ev,Iz; xbegin = c7 f8 rel */
		return reg != 0 && modrm != 0xf8;
	case 0xfe:		/* inc/dec Eb */
		return reg > 1;
	case 0xff:		/* /3 /5 far call/jmp need memory; /7 undefined */
		return reg == 7 || ((reg == 3 || reg == 5) && mod == 3);
	default:
		return 0;
	}
}

/* VEX/EVEX map 1 (0f) immediate: imm8 for 70-73 and c2, c4-c6 */
static int vex_map1_imm8(uint8_t op)
{
	return (op >= 0x70 && op <= 0x73) || op == 0xc2 ||
	       (op >= 0xc4 && op <= 0xc6);
}

static void set_opcode(struct x86_insn *insn, unsigned int map, uint8_t op)
{
	switch (map) {
	case 0:
		insn->opcode[0] = op;
		insn->opcode_len = 1;
		break;
	case 1:
		insn->opcode[0] = 0x0f;
		insn->opcode[1] = op;
		insn->opcode_len = 2;
		break;
	default:
		insn->opcode[0] = 0x0f;
		insn->opcode[1] = map == 2 ? 0x38 : map == 3 ? 0x3a : map;
		insn->opcode[2] = op;
		insn->opcode_len = 3;
		break;
	}
}

/*
 * VEX (c4/c5) and EVEX (62) encoded instructions; pos is the offset of the
 * c4/c5/62 byte.  Returns the position after the immediate or -1.
 */
static int decode_vex(const uint8_t *buf, size_t avail, unsigned int pos,
		      unsigned int prefixes, int rex, struct x86_insn *insn)
{
	uint8_t esc = buf[pos];
	unsigned int map, imm = 0;
	uint8_t op;
	int modrm = 1;

	/* 66/f2/f3/lock/REX before VEX/EVEX raise #UD */
	if (rex || (prefixes & (P_66 | P_REP | P_LOCK)))
		return -1;

	if (esc == 0xc5) {
		if (pos + 1 >= avail)
			return -1;
		map = 1;
		pos += 2;
	} else if (esc == 0xc4) {
		if (pos + 2 >= avail)
			return -1;
		map = buf[pos + 1] & 0x1f;
		if (map < 1 || map > 3)
			return -1;
		pos += 3;
	} else {
		/* EVEX: 62 P0 P1 P2 */
		if (pos + 3 >= avail)
			return -1;
		if (!(buf[pos + 2] & 0x04))	/* P1 bit 2 must be set */
			return -1;
		map = buf[pos + 1] & 0x07;
		if (map != 1 && map != 2 && map != 3 && map != 5 && map != 6)
			return -1;
		pos += 4;
	}

	if (pos >= avail)
		return -1;
	op = buf[pos];
	insn->opcode_offset = pos;
	set_opcode(insn, map, op);
	pos++;

	switch (map) {
	case 1:
		if (op == 0x77 && esc != 0x62)	/* vzeroupper/vzeroall */
			modrm = 0;
		else if (vex_map1_imm8(op))
			imm = 1;
		break;
	case 3:
		imm = 1;
		break;
	default:
		break;
	}

	if (modrm) {
		int r = decode_modrm(buf, avail, pos, 0, insn);

		if (r < 0)
			return -1;
		pos = r;
	}
	if (imm) {
		insn->imm_offset = pos;
		insn->imm_size = imm;
		pos += imm;
	}
	return pos;
}

int x86_decode(const uint8_t *buf, size_t avail, struct x86_insn *insn)
{
	unsigned int pos = 0, prefixes = 0, map = 0, imm = 0;
	unsigned int kind;
	int rex = 0, r;
	uint8_t op, attr;

	memset(insn, 0, sizeof(*insn));
	if (avail > MAX_INSN_LEN)
		avail = MAX_INSN_LEN;

	/* legacy prefixes and REX */
	for (;; pos++) {
		if (pos >= avail)
			return -1;
		op = buf[pos];
		switch (op) {
		case 0x66:
			prefixes |= P_66;
			break;
		case 0x67:
			prefixes |= P_67;
			break;
		case 0xf0:
			prefixes |= P_LOCK;
			break;
		case 0xf2:
			prefixes |= P_REP | P_F2;
			break;
		case 0xf3:
			prefixes = (prefixes | P_REP) & ~P_F2;
			break;
		case 0x26: case 0x2e: case 0x36: case 0x3e:
		case 0x64: case 0x65:
			break;
		default:
			if ((op & 0xf0) == 0x40) {
				rex = op;
				continue;
			}
			goto opcode;
		}
		/* a REX byte only counts right before the opcode */
		rex = 0;
	}

opcode:
	if (op == 0xc4 || op == 0xc5 || op == 0x62) {
		r = decode_vex(buf, avail, pos, prefixes, rex, insn);
		if (r < 0 || (unsigned int)r > avail)
			return -1;
		insn->length = r;
		return 0;
	}

	insn->opcode_offset = pos;
	attr = map1[op];
	if (op == 0x0f) {
		if (++pos >= avail)
			return -1;
		op = buf[pos];
		attr = map2[op];
		map = 1;
		if (op == 0x38 || op == 0x3a) {
			map = op == 0x38 ? 2 : 3;
			if (++pos >= avail)
				return -1;
			op = buf[pos];
			attr = map == 2 ? A_MODRM : (A_MODRM | I_B);
		}
	}
	set_opcode(insn, map, op);
	pos++;

	/* 0f 78: vmread, but extrq/insertq (66/f2) with imm8, imm8 */
	if (map == 1 && op == 0x78 && (prefixes & (P_66 | P_F2)))
		imm = 2;

	if (attr & (A_BAD | A_SPECIAL))
		return -1;

	if (attr & (A_MODRM | A_MODREG)) {
		r = decode_modrm(buf, avail, pos, attr & A_MODREG, insn);
		if (r < 0)
			return -1;
		pos = r;
	}

	kind = attr & I_MASK;
	switch (kind) {
	case I_NONE:
		break;
	case I_B:
		imm = 1;
		break;
	case I_W:
		imm = 2;
		break;
	case I_Z:
		imm = (prefixes & P_66) && !(rex & 8) ? 2 : 4;
		break;
	case I_V:
		imm = (rex & 8) ? 8 : (prefixes & P_66) ? 2 : 4;
		break;
	case I_WB:
		imm = 3;
		break;
	case I_MOFFS:
		imm = (prefixes & P_67) ? 4 : 8;
		break;
	case I_GRP3B:
	case I_GRP3Z:
		if ((buf[insn->modrm_offset] & 0x38) > 0x08)
			break;
		if (kind == I_GRP3B)
			imm = 1;
		else
			imm = (prefixes & P_66) && !(rex & 8) ? 2 : 4;
		break;
	}

	if (map == 0 && invalid_group(op, buf[insn->modrm_offset]))
		return -1;

	if (imm) {
		insn->imm_offset = pos;
		insn->imm_size = imm;
		pos += imm;
	}

	if (pos > avail)
		return -1;
	insn->length = pos;
	return 0;
}
