/*
 * arch-x86-insn.h - minimal x86-64 instruction length decoder.
 *
 * Decodes 64-bit mode instructions only (what gcc/clang emit for the
 * x86-64 Linux kernel): legacy prefixes, REX, the one-byte map, the 0f,
 * 0f 38 and 0f 3a maps, 3DNow! (0f 0f), VEX (c4/c5) and EVEX (62).  The
 * decoder finds the instruction's boundaries and the position of its
 * ModRM, displacement and immediate fields; it does not decode operands.
 *
 * Decoding is table driven, allocation free and never reads past
 * buf[avail - 1].
 */
#ifndef ARCH_X86_INSN_H
#define ARCH_X86_INSN_H

#include <stddef.h>
#include <stdint.h>

struct x86_insn {
	unsigned int length;       /* total bytes, 1..15 */
	unsigned int opcode_offset;/* offset of the first opcode byte (after prefixes/REX/VEX) */
	unsigned int modrm_offset; /* 0 if none */
	unsigned int disp_offset, disp_size;   /* displacement (size 0 if none) */
	unsigned int imm_offset, imm_size;     /* immediate(s) (size 0 if none; enter/extrq total) */
	uint8_t opcode[3];         /* opcode bytes (escape bytes included: 0f, 0f 38, 0f 3a) */
	unsigned int opcode_len;
	int rip_relative;          /* ModRM mod=00 rm=101 in 64-bit mode */
};

/*
 * Notes on the fields:
 *  - For VEX/EVEX encoded instructions opcode[] holds the escape bytes the
 *    map field implies (0f / 0f 38 / 0f 3a) followed by the opcode byte, as
 *    if the instruction were legacy encoded, and opcode_offset is the offset
 *    of the single opcode byte that follows the VEX/EVEX prefix.  EVEX maps
 *    5 and 6 (AVX512-FP16) have no legacy escape: opcode[] is then
 *    {0x0f, 0x05 or 0x06, opcode} -- never confuse them with real opcodes,
 *    check buf[opcode_offset - 4] == 0x62 if it matters.
 *  - Branch displacements (jcc/jmp/call rel8/rel32, xbegin) are reported as
 *    immediates (imm_offset/imm_size), like the SDM's "cb"/"cd" encoding.
 *  - A 66 prefix on a near branch is decoded the AMD / binutils way (rel16);
 *    compilers never emit that form.
 *  - 0f ff (UD0) is two bytes, without ModRM, as the kernel uses it (the
 *    kernel's decoder and AMD agree; binutils decodes a ModRM).
 *  - For 0f 20..23 (mov to/from control/debug registers) the ModRM mod field
 *    is ignored by the CPU: no displacement is decoded and rip_relative is 0.
 */

/*
 * Decode one instruction at buf[0..avail).  Returns 0 on success, -1 if
 * the bytes are not a valid/complete instruction.
 */
int x86_decode(const uint8_t *buf, size_t avail, struct x86_insn *insn);

/*
 * Helpers built on x86_decode() results (additions; the struct and
 * x86_decode() above are the stable API).
 */

/*
 * True if the instruction is a bare "mov $imm32, %reg32" (b8+reg, with no
 * prefix or REX byte at all), e.g. reg 6 = %esi (be), reg 2 = %edx (ba).
 * The immediate is then at buf[insn->imm_offset], 4 bytes little endian.
 */
static inline int x86_insn_is_mov_imm32(const uint8_t *buf,
					const struct x86_insn *insn,
					unsigned int reg)
{
	return insn->opcode_offset == 0 && insn->opcode_len == 1 &&
	       buf[0] == 0xb8 + reg && insn->imm_size == 4;
}

/*
 * For a PC-relative relocation at byte offset reloc_off (relative to the
 * start of the instruction), the number of bytes from the relocated field
 * to the end of the instruction: the CPU adds the address of the next
 * instruction, so "sym + addend" really targets
 * "sym + addend + x86_insn_pcrel_bias()".  Returns 0 if reloc_off is not
 * inside the instruction.
 */
static inline unsigned int x86_insn_pcrel_bias(const struct x86_insn *insn,
					       unsigned int reloc_off)
{
	return reloc_off < insn->length ? insn->length - reloc_off : 0;
}

#endif /* ARCH_X86_INSN_H */
