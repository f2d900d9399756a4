/*
 * x86-insn-test: tests for the x86-64 instruction decoder.
 *
 * 1. Hand-written cases for the tricky encodings (field offsets checked).
 * 2. Every executable section of every object in the x86_64 corpus is
 *    disassembled with `objdump -d -z -w` and each instruction boundary
 *    objdump reports is compared with x86_decode().  For RIP-relative
 *    operands the target objdump prints ("# 0x...") is compared with
 *    insn_end + disp32, which checks the displacement position and the
 *    end-of-instruction bias used for PC32 relocations.
 *
 * Usage: x86-insn-test [-v] [corpus-dir | object.o ...]
 * Without arguments the corpus is taken from $X86_INSN_CORPUS, then
 * ../shared/corpus/kpatch-unit/x86_64, then
 * /work/shared/corpus/kpatch-unit/x86_64.
 *
 * Prints one line per failure and ends with "N passed, M failed".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch-x86-insn.h"

#define MAX_REPORT 10

static int passed, failed, verbose;
static unsigned long total_insns, total_riprel, walk_insns;
static unsigned int skipped_secs, skipped_walked;

#define FAIL(...) do { printf("FAIL: " __VA_ARGS__); putchar('\n'); } while (0)

static size_t parse_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned int v;
	int len;

	while (n < max && sscanf(s, " %2x%n", &v, &len) == 1) {
		out[n++] = v;
		s += len;
	}
	return n;
}

static void hexdump(char *dst, size_t dstlen, const uint8_t *p, size_t n)
{
	size_t i, off = 0;

	dst[0] = 0;
	for (i = 0; i < n && off + 4 < dstlen; i++)
		off += snprintf(dst + off, dstlen - off, "%s%02x", i ? " " : "", p[i]);
}

/* ------------------------------------------------------------------ */
/* hand-written cases                                                  */

struct hand_case {
	const char *desc;
	const char *hex;
	int ret;		/* expected return */
	int len, opc, modrm, disp_off, disp_size, imm_off, imm_size, rip;
};

#define BAD(d, h) { d, h, -1, 0, 0, 0, 0, 0, 0, 0, 0 }
#define D32 "11 22 33 44"

static const struct hand_case hand_cases[] = {
	/* desc, bytes, ret, len, opc, modrm, disp_off, disp_size, imm_off, imm_size, rip */
	/* RIP-relative displacement followed by an immediate (PC32 bias) */
	{ "cmpl $5,x(%rip)", "83 3d " D32 " 05", 0, 7, 0, 1, 2, 4, 6, 1, 1 },
	{ "movl $imm32,x(%rip)", "c7 05 " D32 " 01 00 00 00", 0, 10, 0, 1, 2, 4, 6, 4, 1 },
	{ "movq $imm32,x(%rip)", "48 c7 05 " D32 " 01 00 00 00", 0, 11, 1, 2, 3, 4, 7, 4, 1 },
	{ "movw $imm16,x(%rip)", "66 c7 05 " D32 " 01 00", 0, 9, 1, 2, 3, 4, 7, 2, 1 },
	{ "movb $1,x(%rip)", "c6 05 " D32 " 01", 0, 7, 0, 1, 2, 4, 6, 1, 1 },
	{ "testb $1,x(%rip)", "f6 05 " D32 " 01", 0, 7, 0, 1, 2, 4, 6, 1, 1 },
	{ "testl $imm32,x(%rip)", "f7 05 " D32 " 00 01 00 00", 0, 10, 0, 1, 2, 4, 6, 4, 1 },
	{ "testw $imm16,x(%rip)", "66 f7 05 " D32 " 00 01", 0, 9, 1, 2, 3, 4, 7, 2, 1 },
	{ "test alias f6 /1", "f6 c8 01", 0, 3, 0, 1, 0, 0, 2, 1, 0 },
	{ "negl x(%rip) (f7 /3 no imm)", "f7 1d " D32, 0, 6, 0, 1, 2, 4, 0, 0, 1 },
	{ "neg %al (f6 /3)", "f6 d8", 0, 2, 0, 1, 0, 0, 0, 0, 0 },
	{ "notl (%rax) (f7 /2)", "f7 10", 0, 2, 0, 1, 0, 0, 0, 0, 0 },
	{ "idivl %ecx (f7 /7)", "f7 f9", 0, 2, 0, 1, 0, 0, 0, 0, 0 },
	{ "addl $1,x(%rip)", "83 05 " D32 " 01", 0, 7, 0, 1, 2, 4, 6, 1, 1 },
	{ "andq $imm32,x(%rip)", "48 81 25 " D32 " 00 ff ff ff", 0, 11, 1, 2, 3, 4, 7, 4, 1 },
	{ "cmpb $1,x(%rip)", "80 3d " D32 " 01", 0, 7, 0, 1, 2, 4, 6, 1, 1 },
	{ "shll $3,x(%rip)", "c1 25 " D32 " 03", 0, 7, 0, 1, 2, 4, 6, 1, 1 },
	{ "imul $imm32,x(%rip),%eax", "69 05 " D32 " 10 00 00 00", 0, 10, 0, 1, 2, 4, 6, 4, 1 },
	{ "imul $imm8,x(%rip),%eax", "6b 05 " D32 " 10", 0, 7, 0, 1, 2, 4, 6, 1, 1 },
	{ "btl $3,x(%rip)", "0f ba 25 " D32 " 03", 0, 8, 0, 2, 3, 4, 7, 1, 1 },
	{ "lea x(%rip),%rdi", "48 8d 3d " D32, 0, 7, 1, 2, 3, 4, 0, 0, 1 },
	{ "pclmulqdq $0,x(%rip),%xmm0", "66 0f 3a 44 05 " D32 " 00", 0, 10, 1, 4, 5, 4, 9, 1, 1 },
	{ "addr32 lea x(%eip)", "67 48 8d 05 " D32, 0, 8, 2, 3, 4, 4, 0, 0, 1 },
	/* mov $imm32 to esi / edx and friends */
	{ "mov $imm32,%esi", "be 34 12 00 00", 0, 5, 0, 0, 0, 0, 1, 4, 0 },
	{ "mov $imm32,%edx", "ba 34 12 00 00", 0, 5, 0, 0, 0, 0, 1, 4, 0 },
	{ "mov $imm32,%r14d", "41 be 34 12 00 00", 0, 6, 1, 0, 0, 0, 2, 4, 0 },
	{ "movabs $imm64,%rsi", "48 be 01 02 03 04 05 06 07 08", 0, 10, 1, 0, 0, 0, 2, 8, 0 },
	{ "movabs $imm64,%r8", "49 b8 01 02 03 04 05 06 07 08", 0, 10, 1, 0, 0, 0, 2, 8, 0 },
	{ "mov $imm16,%ax", "66 b8 34 12", 0, 4, 1, 0, 0, 0, 2, 2, 0 },
	{ "mov $imm8,%al", "b0 12", 0, 2, 0, 0, 0, 0, 1, 1, 0 },
	{ "mov $imm8,%sil", "40 b6 12", 0, 3, 1, 0, 0, 0, 2, 1, 0 },
	{ "REX before 66 is ignored", "48 66 b8 34 12", 0, 5, 2, 0, 0, 0, 3, 2, 0 },
	{ "REX.W overrides 66", "66 48 b8 01 02 03 04 05 06 07 08", 0, 11, 2, 0, 0, 0, 3, 8, 0 },
	/* moffs */
	{ "movabs 0xaddr,%eax", "a1 01 02 03 04 05 06 07 08", 0, 9, 0, 0, 0, 0, 1, 8, 0 },
	{ "movabs %rax,0xaddr", "48 a3 01 02 03 04 05 06 07 08", 0, 10, 1, 0, 0, 0, 2, 8, 0 },
	{ "movabs 0xaddr,%al", "a0 01 02 03 04 05 06 07 08", 0, 9, 0, 0, 0, 0, 1, 8, 0 },
	{ "addr32 mov 0xaddr,%eax", "67 a1 01 02 03 04", 0, 6, 1, 0, 0, 0, 2, 4, 0 },
	/* operand size */
	{ "add $imm16,%ax", "66 05 34 12", 0, 4, 1, 0, 0, 0, 2, 2, 0 },
	{ "add $imm16,%cx", "66 81 c1 34 12", 0, 5, 1, 2, 0, 0, 3, 2, 0 },
	{ "add $imm32,%rcx 66+REX.W", "66 48 81 c1 01 00 00 00", 0, 8, 2, 3, 0, 0, 4, 4, 0 },
	{ "pushw $imm16", "66 68 34 12", 0, 4, 1, 0, 0, 0, 2, 2, 0 },
	{ "push $imm32", "68 01 02 03 04", 0, 5, 0, 0, 0, 0, 1, 4, 0 },
	{ "push $imm8", "6a 01", 0, 2, 0, 0, 0, 0, 1, 1, 0 },
	{ "test $imm32,%eax", "a9 01 02 03 04", 0, 5, 0, 0, 0, 0, 1, 4, 0 },
	{ "test $imm8,%al", "a8 01", 0, 2, 0, 0, 0, 0, 1, 1, 0 },
	/* enter / ret / far */
	{ "enter $16,$0", "c8 10 00 00", 0, 4, 0, 0, 0, 0, 1, 3, 0 },
	{ "ret $8", "c2 08 00", 0, 3, 0, 0, 0, 0, 1, 2, 0 },
	{ "ret", "c3", 0, 1, 0, 0, 0, 0, 0, 0, 0 },
	{ "repz ret", "f3 c3", 0, 2, 1, 0, 0, 0, 0, 0, 0 },
	{ "lret $8", "ca 08 00", 0, 3, 0, 0, 0, 0, 1, 2, 0 },
	{ "lret", "cb", 0, 1, 0, 0, 0, 0, 0, 0, 0 },
	{ "iretq", "48 cf", 0, 2, 1, 0, 0, 0, 0, 0, 0 },
	{ "lcall *(%rsp)", "ff 1c 24", 0, 3, 0, 1, 0, 0, 0, 0, 0 },
	{ "ljmp *x(%rip)", "ff 2d " D32, 0, 6, 0, 1, 2, 4, 0, 0, 1 },
	{ "rex.W ljmp *(%rax)", "48 ff 28", 0, 3, 1, 2, 0, 0, 0, 0, 0 },
	/* branches */
	{ "je rel8", "74 05", 0, 2, 0, 0, 0, 0, 1, 1, 0 },
	{ "je rel32", "0f 84 " D32, 0, 6, 0, 0, 0, 0, 2, 4, 0 },
	{ "call rel32", "e8 " D32, 0, 5, 0, 0, 0, 0, 1, 4, 0 },
	{ "jmp rel32", "e9 " D32, 0, 5, 0, 0, 0, 0, 1, 4, 0 },
	{ "jmp rel8", "eb fe", 0, 2, 0, 0, 0, 0, 1, 1, 0 },
	{ "cs call rel32", "2e e8 " D32, 0, 6, 1, 0, 0, 0, 2, 4, 0 },
	{ "bnd jmp rel32", "f2 e9 " D32, 0, 6, 1, 0, 0, 0, 2, 4, 0 },
	{ "notrack jmp *%rax", "3e ff e0", 0, 3, 1, 2, 0, 0, 0, 0, 0 },
	{ "call *%r11", "41 ff d3", 0, 3, 1, 2, 0, 0, 0, 0, 0 },
	{ "jmp *x(,%rax,8)", "ff 24 c5 " D32, 0, 7, 0, 1, 3, 4, 0, 0, 0 },
	{ "jrcxz", "e3 fe", 0, 2, 0, 0, 0, 0, 1, 1, 0 },
	{ "loop", "e2 fe", 0, 2, 0, 0, 0, 0, 1, 1, 0 },
	{ "xbegin rel32", "c7 f8 " D32, 0, 6, 0, 1, 0, 0, 2, 4, 0 },
	{ "xabort $1", "c6 f8 01", 0, 3, 0, 1, 0, 0, 2, 1, 0 },
	/* ModRM / SIB */
	{ "mov 0x0(,%rax,8),%eax", "8b 04 c5 " D32, 0, 7, 0, 1, 3, 4, 0, 0, 0 },
	{ "mov 0x0 (SIB no base)", "8b 04 25 " D32, 0, 7, 0, 1, 3, 4, 0, 0, 0 },
	{ "mov 8(%rsp),%eax", "8b 44 24 08", 0, 4, 0, 1, 3, 1, 0, 0, 0 },
	{ "mov disp32(%rsp),%eax", "8b 84 24 " D32, 0, 7, 0, 1, 3, 4, 0, 0, 0 },
	{ "mov 8(%rbp),%eax", "8b 45 08", 0, 3, 0, 1, 2, 1, 0, 0, 0 },
	{ "mov (%r13,%rax),%eax SIB base 5 mod 1", "41 8b 44 05 00", 0, 5, 1, 2, 4, 1, 0, 0, 0 },
	{ "mov (%rax),%eax", "8b 00", 0, 2, 0, 1, 0, 0, 0, 0, 0 },
	{ "movslq %edi,%rax", "48 63 c7", 0, 3, 1, 2, 0, 0, 0, 0, 0 },
	{ "mov %gs:0x0,%rax", "65 48 8b 04 25 " D32, 0, 9, 2, 3, 5, 4, 0, 0, 0 },
	{ "mov %gs:x(%rip),%rax", "65 48 8b 05 " D32, 0, 8, 2, 3, 4, 4, 0, 0, 1 },
	{ "pop %rax (8f /0)", "8f c0", 0, 2, 0, 1, 0, 0, 0, 0, 0 },
	/* 0f map */
	{ "xstore-rng (padlock)", "0f a7 c0", 0, 3, 0, 2, 0, 0, 0, 0, 0 },
	{ "rep xcryptcbc (padlock)", "f3 0f a7 d0", 0, 4, 1, 3, 0, 0, 0, 0, 0 },
	{ "rep xsha256 (padlock)", "f3 0f a6 d0", 0, 4, 1, 3, 0, 0, 0, 0, 0 },
	{ "fwait is its own instruction", "9b dd 30", 0, 1, 0, 0, 0, 0, 0, 0, 0 },
	{ "ud2", "0f 0b", 0, 2, 0, 0, 0, 0, 0, 0, 0 },
	{ "ud1", "0f b9 40 00", 0, 4, 0, 2, 3, 1, 0, 0, 0 },
	{ "nopl (%rax)", "0f 1f 00", 0, 3, 0, 2, 0, 0, 0, 0, 0 },
	{ "nopl 0(%rax,%rax,1)", "0f 1f 44 00 00", 0, 5, 0, 2, 4, 1, 0, 0, 0 },
	{ "nopw 0(%rax,%rax,1)", "66 0f 1f 44 00 00", 0, 6, 1, 3, 5, 1, 0, 0, 0 },
	{ "nopl 0L(%rax)", "0f 1f 80 00 00 00 00", 0, 7, 0, 2, 3, 4, 0, 0, 0 },
	{ "nopl 0L(%rax,%rax,1)", "0f 1f 84 00 00 00 00 00", 0, 8, 0, 2, 4, 4, 0, 0, 0 },
	{ "cs nopw 0L(%rax,%rax,1)", "66 2e 0f 1f 84 00 00 00 00 00", 0, 10, 2, 4, 6, 4, 0, 0, 0 },
	{ "data16 x5 cs nopw", "66 66 66 66 66 2e 0f 1f 84 00 00 00 00 00", 0, 14, 6, 8, 10, 4, 0, 0, 0 },
	{ "xchg %ax,%ax", "66 90", 0, 2, 1, 0, 0, 0, 0, 0, 0 },
	{ "endbr64", "f3 0f 1e fa", 0, 4, 1, 3, 0, 0, 0, 0, 0 },
	{ "clac", "0f 01 ca", 0, 3, 0, 2, 0, 0, 0, 0, 0 },
	{ "stac", "0f 01 cb", 0, 3, 0, 2, 0, 0, 0, 0, 0 },
	{ "swapgs", "0f 01 f8", 0, 3, 0, 2, 0, 0, 0, 0, 0 },
	{ "xgetbv", "0f 01 d0", 0, 3, 0, 2, 0, 0, 0, 0, 0 },
	{ "lgdt x(%rip)", "0f 01 15 " D32, 0, 7, 0, 2, 3, 4, 0, 0, 1 },
	{ "invlpg (%rax)", "0f 01 38", 0, 3, 0, 2, 0, 0, 0, 0, 0 },
	{ "sldt (%rax)", "0f 00 00", 0, 3, 0, 2, 0, 0, 0, 0, 0 },
	{ "syscall", "0f 05", 0, 2, 0, 0, 0, 0, 0, 0, 0 },
	{ "sysretq", "48 0f 07", 0, 3, 1, 0, 0, 0, 0, 0, 0 },
	{ "cpuid", "0f a2", 0, 2, 0, 0, 0, 0, 0, 0, 0 },
	{ "rdtsc", "0f 31", 0, 2, 0, 0, 0, 0, 0, 0, 0 },
	{ "wrmsr", "0f 30", 0, 2, 0, 0, 0, 0, 0, 0, 0 },
	{ "lfence", "0f ae e8", 0, 3, 0, 2, 0, 0, 0, 0, 0 },
	{ "clflushopt (%rax)", "66 0f ae 38", 0, 4, 1, 3, 0, 0, 0, 0, 0 },
	{ "wrgsbase %rax", "f3 48 0f ae d8", 0, 5, 2, 4, 0, 0, 0, 0, 0 },
	{ "rdpid %rax", "f3 0f c7 f8", 0, 4, 1, 3, 0, 0, 0, 0, 0 },
	{ "cmpxchg16b (%rdi)", "f0 48 0f c7 0f", 0, 5, 2, 4, 0, 0, 0, 0, 0 },
	{ "lock cmpxchg %edx,x(%rip)", "f0 0f b1 15 " D32, 0, 8, 1, 3, 4, 4, 0, 0, 1 },
	{ "lock xadd %rax,(%rdi)", "f0 48 0f c1 07", 0, 5, 2, 4, 0, 0, 0, 0, 0 },
	{ "bt $3,%eax", "0f ba e0 03", 0, 4, 0, 2, 0, 0, 3, 1, 0 },
	{ "shld $4,%eax,%edx", "0f a4 c2 04", 0, 4, 0, 2, 0, 0, 3, 1, 0 },
	{ "shrd %cl,%eax,%edx", "0f ad c2", 0, 3, 0, 2, 0, 0, 0, 0, 0 },
	{ "movzbl (%rdi),%eax", "0f b6 07", 0, 3, 0, 2, 0, 0, 0, 0, 0 },
	{ "popcnt %rdi,%rax", "f3 48 0f b8 c7", 0, 5, 2, 4, 0, 0, 0, 0, 0 },
	{ "tzcnt", "f3 0f bc c7", 0, 4, 1, 3, 0, 0, 0, 0, 0 },
	{ "cmove", "48 0f 44 c7", 0, 4, 1, 3, 0, 0, 0, 0, 0 },
	{ "sete %al", "0f 94 c0", 0, 3, 0, 2, 0, 0, 0, 0, 0 },
	{ "bswap %eax", "0f c8", 0, 2, 0, 0, 0, 0, 0, 0, 0 },
	{ "pshufd $0x1b", "66 0f 70 c1 1b", 0, 5, 1, 3, 0, 0, 4, 1, 0 },
	{ "psrldq $4", "66 0f 73 d8 04", 0, 5, 1, 3, 0, 0, 4, 1, 0 },
	{ "shufps", "0f c6 c1 1b", 0, 4, 0, 2, 0, 0, 3, 1, 0 },
	{ "pinsrw", "66 0f c4 c0 01", 0, 5, 1, 3, 0, 0, 4, 1, 0 },
	{ "cmpps", "0f c2 c1 01", 0, 4, 0, 2, 0, 0, 3, 1, 0 },
	{ "movdqu x(%rip),%xmm0", "f3 0f 6f 05 " D32, 0, 8, 1, 3, 4, 4, 0, 0, 1 },
	{ "mov %cr3,%rax", "0f 20 d8", 0, 3, 0, 2, 0, 0, 0, 0, 0 },
	{ "mov %rax,%cr3", "0f 22 d8", 0, 3, 0, 2, 0, 0, 0, 0, 0 },
	{ "mov %cr0,%rax (mod ignored)", "0f 20 80", 0, 3, 0, 2, 0, 0, 0, 0, 0 },
	{ "mov %cr0,%rbp (mod 0 rm 5 ignored)", "0f 20 05", 0, 3, 0, 2, 0, 0, 0, 0, 0 },
	{ "mov %rax,%db7", "0f 23 f8", 0, 3, 0, 2, 0, 0, 0, 0, 0 },
	{ "vmread", "0f 78 c8", 0, 3, 0, 2, 0, 0, 0, 0, 0 },
	{ "extrq $4,$8,%xmm0", "66 0f 78 c0 04 08", 0, 6, 1, 3, 0, 0, 4, 2, 0 },
	{ "insertq $4,$8", "f2 0f 78 c1 04 08", 0, 6, 1, 3, 0, 0, 4, 2, 0 },
	{ "3DNow pfmul", "0f 0f c1 b4", 0, 4, 0, 2, 0, 0, 3, 1, 0 },
	{ "ud0 (kernel: 2 bytes, no ModRM)", "0f ff 48 8d 0f", 0, 2, 0, 0, 0, 0, 0, 0, 0 },
	/* 0f 38 / 0f 3a */
	{ "pshufb", "66 0f 38 00 c1", 0, 5, 1, 4, 0, 0, 0, 0, 0 },
	{ "movbe (%rdi),%eax", "0f 38 f0 07", 0, 4, 0, 3, 0, 0, 0, 0, 0 },
	{ "crc32q %rcx,%rax", "f2 48 0f 38 f1 c1", 0, 6, 2, 5, 0, 0, 0, 0, 0 },
	{ "aesenc x(%rip)", "66 0f 38 dc 05 " D32, 0, 9, 1, 4, 5, 4, 0, 0, 1 },
	{ "palignr $8", "66 0f 3a 0f c1 08", 0, 6, 1, 4, 0, 0, 5, 1, 0 },
	{ "pextrd $1", "66 0f 3a 16 c0 01", 0, 6, 1, 4, 0, 0, 5, 1, 0 },
	/* VEX / EVEX */
	{ "vzeroupper", "c5 f8 77", 0, 3, 2, 0, 0, 0, 0, 0, 0 },
	{ "vmovdqa x(%rip),%ymm0", "c5 fd 6f 05 " D32, 0, 8, 2, 3, 4, 4, 0, 0, 1 },
	{ "vpxor", "c5 f9 ef c0", 0, 4, 2, 3, 0, 0, 0, 0, 0 },
	{ "vpshufd $0x1b (vex 0f 70)", "c5 f9 70 c1 1b", 0, 5, 2, 3, 0, 0, 4, 1, 0 },
	{ "vextracti128", "c4 e3 7d 39 c1 01", 0, 6, 3, 4, 0, 0, 5, 1, 0 },
	{ "vbroadcastss x(%rip)", "c4 e2 79 18 05 " D32, 0, 9, 3, 4, 5, 4, 0, 0, 1 },
	{ "vpclmulqdq", "c4 e3 79 44 c1 00", 0, 6, 3, 4, 0, 0, 5, 1, 0 },
	{ "andn (bmi, vex 0f38)", "c4 e2 78 f2 c1", 0, 5, 3, 4, 0, 0, 0, 0, 0 },
	{ "rorx (vex 0f3a)", "c4 e3 7b f0 c1 05", 0, 6, 3, 4, 0, 0, 5, 1, 0 },
	{ "vmovdqa32 0x40(%rsp),%zmm0", "62 f1 7d 48 6f 44 24 01", 0, 8, 4, 5, 7, 1, 0, 0, 0 },
	{ "vextracti32x8", "62 f3 7d 48 3b c1 01", 0, 7, 4, 5, 0, 0, 6, 1, 0 },
	{ "vpternlogd x(%rip)", "62 f3 75 48 25 05 " D32 " ff", 0, 11, 4, 5, 6, 4, 10, 1, 1 },
	{ "vzeroupper-like EVEX 77 has modrm", "62 f1 7c 48 77 c0", 0, 6, 4, 5, 0, 0, 0, 0, 0 },
	{ "fs segment prefix + vex", "64 c5 f9 ef 00", 0, 5, 3, 4, 0, 0, 0, 0, 0 },
	/* misc one-byte */
	{ "int3", "cc", 0, 1, 0, 0, 0, 0, 0, 0, 0 },
	{ "int $0x80", "cd 80", 0, 2, 0, 0, 0, 0, 1, 1, 0 },
	{ "shl $4,%eax", "c1 e0 04", 0, 3, 0, 1, 0, 0, 2, 1, 0 },
	{ "shl %eax", "d1 e0", 0, 2, 0, 1, 0, 0, 0, 0, 0 },
	{ "fxch", "d9 c9", 0, 2, 0, 1, 0, 0, 0, 0, 0 },
	{ "fldl x(%rip)", "dd 05 " D32, 0, 6, 0, 1, 2, 4, 0, 0, 1 },
	{ "rep movsb", "f3 a4", 0, 2, 1, 0, 0, 0, 0, 0, 0 },
	{ "rep stos %rax", "f3 48 ab", 0, 3, 2, 0, 0, 0, 0, 0, 0 },
	{ "in $0x60,%al", "e4 60", 0, 2, 0, 0, 0, 0, 1, 1, 0 },
	{ "out %al,(%dx)", "ee", 0, 1, 0, 0, 0, 0, 0, 0, 0 },
	{ "pushfq", "9c", 0, 1, 0, 0, 0, 0, 0, 0, 0 },
	{ "push %r12", "41 54", 0, 2, 1, 0, 0, 0, 0, 0, 0 },
	{ "hlt", "f4", 0, 1, 0, 0, 0, 0, 0, 0, 0 },
	{ "icebp", "f1", 0, 1, 0, 0, 0, 0, 0, 0, 0 },
	{ "15 bytes max", "66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", 0, 15, 14, 0, 0, 0, 0, 0, 0 },
	/* invalid / truncated */
	BAD("push %es (invalid in 64-bit)", "06"),
	BAD("aaa", "37"),
	BAD("bound/EVEX with P1 bit 2 clear", "62 f1 79 48 6f c0"),
	BAD("into", "ce"),
	BAD("aam", "d4 0a"),
	BAD("0f 04", "0f 04"),
	BAD("VEX map 0", "c4 e0 7d 39 c1"),
	BAD("REX before VEX", "48 c5 f8 77"),
	BAD("66 before VEX", "66 c5 f8 77"),
	BAD("XOP (8f /1)", "8f e8 78 c0 c1 01"),
	BAD("c6 /1", "c6 08 01"),
	BAD("c7 /7 not xbegin", "c7 38 01 00 00 00"),
	BAD("fe /2", "fe 10"),
	BAD("ff /7", "ff 38"),
	BAD("ljmp to register", "ff e8"),
	BAD("lea with register operand", "8d c0"),
	BAD("truncated call", "e8 00 00"),
	BAD("lone 0f", "0f"),
	BAD("lone 0f 38", "0f 38"),
	BAD("lone REX", "48"),
	BAD("lone prefix", "66"),
	BAD("truncated SIB", "8b 04"),
	BAD("truncated disp8", "8b 44 24"),
	BAD("truncated imm", "83 3d " D32),
	BAD("truncated movabs", "48 b8 01 02 03 04 05 06 07"),
	BAD("truncated VEX", "c4 e3 7d"),
	BAD("truncated EVEX", "62 f1 7d 48"),
	BAD("16 bytes", "66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90"),
	BAD("too long with imm", "66 66 66 66 66 66 66 66 66 66 48 b8 01 02 03 04 05 06 07 08"),
	BAD("empty", ""),
};

static void check_field(const struct hand_case *c, const char *name,
			unsigned int got, int want, int *ok)
{
	if ((int)got != want) {
		FAIL("hand case \"%s\" [%s]: %s = %u, expected %d",
		     c->desc, c->hex, name, got, want);
		*ok = 0;
	}
}

static void run_hand_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(hand_cases) / sizeof(hand_cases[0]); i++) {
		const struct hand_case *c = &hand_cases[i];
		uint8_t buf[32];
		size_t n = parse_hex(c->hex, buf, sizeof(buf));
		struct x86_insn insn;
		int ret, ok = 1;

		ret = x86_decode(buf, n, &insn);
		if (ret != c->ret) {
			FAIL("hand case \"%s\" [%s]: returned %d, expected %d (len %u)",
			     c->desc, c->hex, ret, c->ret, insn.length);
			failed++;
			continue;
		}
		if (ret == 0) {
			check_field(c, "length", insn.length, c->len, &ok);
			check_field(c, "opcode_offset", insn.opcode_offset, c->opc, &ok);
			check_field(c, "modrm_offset", insn.modrm_offset, c->modrm, &ok);
			check_field(c, "disp_offset", insn.disp_offset, c->disp_off, &ok);
			check_field(c, "disp_size", insn.disp_size, c->disp_size, &ok);
			check_field(c, "imm_offset", insn.imm_offset, c->imm_off, &ok);
			check_field(c, "imm_size", insn.imm_size, c->imm_size, &ok);
			check_field(c, "rip_relative", insn.rip_relative, c->rip, &ok);
			/* the decoder must not depend on bytes past the insn */
			if (ok) {
				struct x86_insn again;

				if (x86_decode(buf, insn.length, &again) ||
				    memcmp(&again, &insn, sizeof(insn))) {
					FAIL("hand case \"%s\": decode with exact avail differs", c->desc);
					ok = 0;
				}
				if (insn.length > 1 &&
				    x86_decode(buf, insn.length - 1, &again) != -1) {
					FAIL("hand case \"%s\": truncated copy decoded", c->desc);
					ok = 0;
				}
			}
		}
		if (ok)
			passed++;
		else
			failed++;
	}
}

/* checks of the opcode[] bytes and helper functions */
static void expect(int cond, const char *what)
{
	if (cond) {
		passed++;
	} else {
		FAIL("%s", what);
		failed++;
	}
}

static int decode_hex(const char *hex, uint8_t *buf, struct x86_insn *insn)
{
	size_t n = parse_hex(hex, buf, 32);

	return x86_decode(buf, n, insn);
}

/* old kernels' .text..refcount stubs: lea ...,%rcx; ud0 (0f ff) repeated */
static void run_walk_cases(void)
{
	static const char *hex =
		"48 8d 0f 0f ff 48 8d 0f 0f ff 48 8d 8f e4 00 00 00 0f ff "
		"48 8d 8b e4 00 00 00 0f ff";
	static const unsigned int lens[] = { 3, 2, 3, 2, 7, 2, 7, 2 };
	uint8_t buf[64];
	size_t n = parse_hex(hex, buf, sizeof(buf)), off = 0, i = 0;
	struct x86_insn in;
	int ok = 1;

	while (off < n && ok) {
		if (x86_decode(buf + off, n - off, &in) || i >= 8 || in.length != lens[i])
			ok = 0;
		off += in.length;
		i++;
	}
	expect(ok && off == n && i == 8, "refcount stub walk (lea/ud0)");
}

/*
 * Random bytes placed right before an inaccessible page: the decoder must
 * never read past avail, and whatever it accepts must be self-consistent.
 */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void run_fuzz(void)
{
	static const uint8_t interesting[] = {
		0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x64, 0x65,
		0x48, 0x41, 0x0f, 0x0f, 0x38, 0x3a, 0xc4, 0xc5, 0x62, 0xf6,
		0xf7, 0xc8, 0xa1, 0xb8, 0x05, 0x04, 0x24, 0x25, 0x84, 0x44,
	};
	long pagesz = sysconf(_SC_PAGESIZE);
	unsigned long iter, accepted = 0, errors = 0;
	uint8_t *map, *end;

	map = mmap(NULL, 2 * pagesz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || mprotect(map + pagesz, pagesz, PROT_NONE)) {
		FAIL("fuzz: mmap guard page: %s", strerror(errno));
		failed++;
		return;
	}
	end = map + pagesz;

	for (iter = 0; iter < 300000; iter++) {
		size_t avail = 1 + rng() % 16, i;
		uint8_t *buf = end - avail;
		struct x86_insn insn, again;

		for (i = 0; i < avail; i++) {
			uint64_t r = rng();

			buf[i] = (r & 3) ? (uint8_t)(r >> 8) :
				 interesting[(r >> 8) % sizeof(interesting)];
		}
		if (x86_decode(buf, avail, &insn))
			continue;
		accepted++;
		if (insn.length < 1 || insn.length > 15 || insn.length > avail ||
		    insn.opcode_offset >= insn.length ||
		    insn.opcode_len < 1 || insn.opcode_len > 3 ||
		    (insn.modrm_offset && (insn.modrm_offset <= insn.opcode_offset ||
					   insn.modrm_offset >= insn.length)) ||
		    (insn.imm_size && insn.imm_offset + insn.imm_size != insn.length) ||
		    (insn.disp_size && (!insn.modrm_offset ||
					insn.disp_offset <= insn.modrm_offset ||
					insn.disp_offset + insn.disp_size >
					(insn.imm_size ? insn.imm_offset : insn.length))) ||
		    (insn.rip_relative && insn.disp_size != 4) ||
		    x86_decode(buf, insn.length, &again) ||
		    memcmp(&insn, &again, sizeof(insn)) ||
		    !x86_decode(buf, insn.length - 1, &again)) {
			char hex[64];

			hexdump(hex, sizeof(hex), buf, avail);
			if (++errors <= MAX_REPORT)
				FAIL("fuzz: inconsistent decode of [%s]: len %u", hex, insn.length);
		}
	}
	munmap(map, 2 * pagesz);
	if (verbose)
		printf("fuzz: %lu random buffers, %lu decoded\n", iter, accepted);
	expect(!errors, "fuzz: decoder consistent and within bounds");
}

static void run_opcode_cases(void)
{
	uint8_t buf[32];
	struct x86_insn in;

	expect(!decode_hex("be 34 12 00 00", buf, &in) &&
	       x86_insn_is_mov_imm32(buf, &in, 6) &&
	       !x86_insn_is_mov_imm32(buf, &in, 2) &&
	       in.opcode_len == 1 && in.opcode[0] == 0xbe &&
	       buf[in.imm_offset] == 0x34,
	       "mov $imm32,%esi classification");
	expect(!decode_hex("ba 34 12 00 00", buf, &in) &&
	       x86_insn_is_mov_imm32(buf, &in, 2) &&
	       !x86_insn_is_mov_imm32(buf, &in, 6),
	       "mov $imm32,%edx classification");
	expect(!decode_hex("41 be 34 12 00 00", buf, &in) &&
	       !x86_insn_is_mov_imm32(buf, &in, 6),
	       "mov $imm32,%r14d is not %esi");
	expect(!decode_hex("48 be 01 02 03 04 05 06 07 08", buf, &in) &&
	       !x86_insn_is_mov_imm32(buf, &in, 6),
	       "movabs $imm64,%rsi is not mov $imm32,%esi");
	expect(!decode_hex("66 be 34 12", buf, &in) &&
	       !x86_insn_is_mov_imm32(buf, &in, 6),
	       "mov $imm16,%si is not mov $imm32,%esi");
	expect(!decode_hex("83 3d " D32 " 05", buf, &in) &&
	       x86_insn_pcrel_bias(&in, in.disp_offset) == 5,
	       "cmpl $5,x(%rip): PC32 bias 5");
	expect(!decode_hex("c7 05 " D32 " 01 00 00 00", buf, &in) &&
	       x86_insn_pcrel_bias(&in, in.disp_offset) == 8,
	       "movl $imm32,x(%rip): PC32 bias 8");
	expect(!decode_hex("e8 " D32, buf, &in) &&
	       x86_insn_pcrel_bias(&in, in.imm_offset) == 4 &&
	       x86_insn_pcrel_bias(&in, 5) == 0,
	       "call rel32: PC32 bias 4");
	expect(!decode_hex("f3 0f 1e fa", buf, &in) &&
	       in.opcode_len == 2 && in.opcode[0] == 0x0f && in.opcode[1] == 0x1e &&
	       buf[in.modrm_offset] == 0xfa,
	       "endbr64 opcode bytes");
	expect(!decode_hex("66 0f 3a 0f c1 08", buf, &in) &&
	       in.opcode_len == 3 && in.opcode[0] == 0x0f && in.opcode[1] == 0x3a &&
	       in.opcode[2] == 0x0f,
	       "0f 3a opcode bytes");
	expect(!decode_hex("c4 e2 79 18 05 " D32, buf, &in) &&
	       in.opcode_len == 3 && in.opcode[0] == 0x0f && in.opcode[1] == 0x38 &&
	       in.opcode[2] == 0x18,
	       "VEX 0f38 opcode bytes");
	expect(!decode_hex("c5 f8 77", buf, &in) &&
	       in.opcode_len == 2 && in.opcode[0] == 0x0f && in.opcode[1] == 0x77,
	       "VEX vzeroupper opcode bytes");
	expect(!decode_hex("0f 0b", buf, &in) &&
	       in.opcode_len == 2 && in.opcode[0] == 0x0f && in.opcode[1] == 0x0b,
	       "ud2 opcode bytes");
}

/* ------------------------------------------------------------------ */
/* corpus vs objdump                                                   */

struct dis_insn {
	unsigned long off;
	unsigned int len;
	int has_target;		/* "(%rip) ... # target" seen */
	int riprel;		/* "(%rip)" or "(%eip)" in the operands */
	unsigned long target;
	uint8_t bytes[16];
};

struct dis_sec {
	char *name;
	int bad;		/* objdump printed (bad) or ud0 (see below) */
	int used;
	struct dis_insn *insns;
	size_t nr, alloc;
};

struct dis_obj {
	struct dis_sec *secs;
	size_t nr, alloc;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		perror("realloc");
		exit(2);
	}
	return p;
}

/* parse "  1a:\t66 0f 1f ... \tmnemonic operands" */
static int parse_insn_line(const char *line, struct dis_insn *di, int *bad,
			   int *continuation)
{
	const char *p = line, *tab;
	char *end;
	unsigned int v;
	int len;

	while (*p == ' ')
		p++;
	di->off = strtoul(p, &end, 16);
	if (end == p || end[0] != ':' || end[1] != '\t')
		return 0;
	p = end + 2;
	di->len = 0;
	while (sscanf(p, "%2x%n", &v, &len) == 1 && len == 2 &&
	       (p[2] == ' ' || p[2] == '\t' || p[2] == '\n' || p[2] == 0)) {
		if (di->len < sizeof(di->bytes))
			di->bytes[di->len] = v;
		di->len++;
		p += 2;
		while (*p == ' ')
			p++;
	}
	if (!di->len)
		return 0;
	tab = strchr(p, '\t');
	*continuation = !tab && (*p == '\n' || *p == 0);
	if (tab)
		p = tab + 1;
	/*
	 * objdump gives 0f ff (ud0) a ModRM; the decoder follows the kernel
	 * (two bytes), so such listings are not a usable reference either.
	 */
	*bad = strstr(p, "(bad)") != NULL || !strncmp(p, "ud0", 3);
	di->riprel = strstr(p, "(%rip)") || strstr(p, "(%eip)");
	di->has_target = 0;
	if (di->riprel) {
		const char *h = strstr(p, "# ");

		if (h) {
			h += 2;
			if (!strncmp(h, "0x", 2))
				h += 2;
			di->target = strtoul(h, &end, 16);
			di->has_target = end != h;
		}
	}
	return 1;
}

static int run_objdump(const char *path, struct dis_obj *obj)
{
	char cmd[4096], line[8192];
	struct dis_sec *sec = NULL;
	FILE *f;
	int status;

	snprintf(cmd, sizeof(cmd), "objdump -d -z -w '%s' 2>/dev/null", path);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	memset(obj, 0, sizeof(*obj));
	while (fgets(line, sizeof(line), f)) {
		struct dis_insn di;
		int bad = 0, cont = 0;

		if (!strncmp(line, "Disassembly of section ", 23)) {
			char *name = line + 23, *e = strrchr(name, ':');

			if (e)
				*e = 0;
			if (obj->nr == obj->alloc) {
				obj->alloc = obj->alloc ? obj->alloc * 2 : 16;
				obj->secs = xrealloc(obj->secs, obj->alloc * sizeof(*obj->secs));
			}
			sec = &obj->secs[obj->nr++];
			memset(sec, 0, sizeof(*sec));
			sec->name = strdup(name);
			continue;
		}
		if (!sec || !parse_insn_line(line, &di, &bad, &cont))
			continue;
		if (bad)
			sec->bad = 1;
		if (cont && sec->nr) {
			/* bytes continued from the previous line */
			struct dis_insn *prev = &sec->insns[sec->nr - 1];
			unsigned int i;

			for (i = 0; i < di.len && i < sizeof(di.bytes); i++)
				if (prev->len + i < sizeof(prev->bytes))
					prev->bytes[prev->len + i] = di.bytes[i];
			prev->len += di.len;
			continue;
		}
		if (sec->nr == sec->alloc) {
			sec->alloc = sec->alloc ? sec->alloc * 2 : 1024;
			sec->insns = xrealloc(sec->insns, sec->alloc * sizeof(*sec->insns));
		}
		sec->insns[sec->nr++] = di;
	}
	status = pclose(f);
	return status == 0 ? 0 : -1;
}

static void free_obj(struct dis_obj *obj)
{
	size_t i;

	for (i = 0; i < obj->nr; i++) {
		free(obj->secs[i].name);
		free(obj->secs[i].insns);
	}
	free(obj->secs);
}

static struct dis_sec *find_dis_sec(struct dis_obj *obj, const char *name)
{
	size_t i;

	for (i = 0; i < obj->nr; i++) {
		if (!obj->secs[i].used && !strcmp(obj->secs[i].name, name)) {
			obj->secs[i].used = 1;
			return &obj->secs[i];
		}
	}
	return NULL;
}

/* returns number of mismatching instructions */
static unsigned long check_section(const char *path, const char *name,
				   const uint8_t *data, size_t size,
				   struct dis_sec *ds)
{
	unsigned long errors = 0, expect_off = 0;
	char hex[64];
	size_t i;

	/* 1. every boundary objdump reports */
	for (i = 0; i < ds->nr; i++) {
		struct dis_insn *di = &ds->insns[i];
		struct x86_insn insn;
		const char *why = NULL;
		unsigned long base;
		unsigned int len;
		int ret;

		if (di->off != expect_off || di->off + di->len > size) {
			FAIL("%s %s: objdump listing not contiguous at 0x%lx",
			     path, name, di->off);
			return errors + 1;
		}
		expect_off = di->off + di->len;
		if (di->len <= sizeof(di->bytes) &&
		    memcmp(di->bytes, data + di->off, di->len)) {
			FAIL("%s %s+0x%lx: objdump bytes differ from section data",
			     path, name, di->off);
			return errors + 1;
		}
		total_insns++;

		base = di->off;
		len = di->len;
		ret = x86_decode(data + base, size - base, &insn);
		/*
		 * objdump shows fwait (9b) and a following x87 insn as one
		 * ("fsave" = 9b dd /6); the CPU and the decoder see two.
		 */
		while (!ret && insn.length == 1 && data[base] == 0x9b && len > 1) {
			base++;
			len--;
			ret = x86_decode(data + base, size - base, &insn);
		}
		if (ret)
			why = "decode failed";
		else if (insn.length != len)
			why = "length mismatch";
		else if (insn.rip_relative != di->riprel)
			why = "rip_relative mismatch";
		else if ((insn.imm_size && insn.imm_offset + insn.imm_size != insn.length) ||
			 (insn.disp_size && insn.disp_offset + insn.disp_size >
			  (insn.imm_size ? insn.imm_offset : insn.length)) ||
			 insn.opcode_offset >= insn.length ||
			 (insn.modrm_offset && insn.modrm_offset <= insn.opcode_offset))
			why = "inconsistent field offsets";
		else if (insn.rip_relative && di->has_target) {
			int32_t disp;
			unsigned long target;

			memcpy(&disp, data + base + insn.disp_offset, 4);
			target = base + insn.length + (long)disp;
			total_riprel++;
			if (insn.disp_size != 4 || target != di->target)
				why = "rip-relative target mismatch";
		}
		if (why) {
			errors++;
			if (errors <= MAX_REPORT) {
				hexdump(hex, sizeof(hex), data + di->off,
					di->len > 15 ? 15 : di->len);
				FAIL("%s %s+0x%lx: %s: [%s] objdump len %u, decoder ret %d len %u",
				     path, name, di->off, why, hex, di->len, ret,
				     ret ? 0 : insn.length);
			}
		}
	}
	if (expect_off != size) {
		FAIL("%s %s: objdump listing ends at 0x%lx, section size 0x%zx",
		     path, name, expect_off, size);
		errors++;
	}

	/* 2. a sequential walk must reach the end exactly */
	if (!errors) {
		size_t off = 0;
		struct x86_insn insn;

		while (off < size) {
			if (x86_decode(data + off, size - off, &insn)) {
				FAIL("%s %s+0x%zx: sequential walk failed", path, name, off);
				errors++;
				break;
			}
			off += insn.length;
		}
	}
	return errors;
}

static void check_object(const char *path)
{
	struct dis_obj obj;
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int fd, nsecs = 0;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		FAIL("%s: %s", path, strerror(errno));
		failed++;
		return;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx)) {
		FAIL("%s: %s", path, elf_errmsg(-1));
		failed++;
		close(fd);
		return;
	}
	if (run_objdump(path, &obj)) {
		FAIL("%s: objdump failed", path);
		failed++;
		elf_end(elf);
		close(fd);
		return;
	}

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *name;
		struct dis_sec *ds;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_EXECINSTR) ||
		    sh.sh_type != SHT_PROGBITS || !sh.sh_size)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		d = elf_getdata(scn, NULL);
		if (!name || !d || d->d_size != sh.sh_size) {
			FAIL("%s: cannot read section %zu", path, elf_ndxscn(scn));
			failed++;
			continue;
		}
		nsecs++;
		ds = find_dis_sec(&obj, name);
		if (!ds) {
			FAIL("%s %s: no objdump disassembly", path, name);
			failed++;
			continue;
		}
		if (ds->bad) {
			/*
			 * Data or ud0 in the section: objdump is no reference.
			 * Just note whether a sequential walk gets through.
			 */
			size_t off = 0;
			unsigned long n = 0;
			struct x86_insn insn;

			while (off < d->d_size &&
			       !x86_decode((uint8_t *)d->d_buf + off, d->d_size - off, &insn)) {
				off += insn.length;
				n++;
			}
			skipped_secs++;
			if (off == d->d_size) {
				skipped_walked++;
				walk_insns += n;
			}
			if (verbose || off != d->d_size)
				printf("note: %s %s: objdump reports (bad)/ud0, not compared; "
				       "decoder walk %s (%lu instructions)\n", path, name,
				       off == d->d_size ? "reaches the end" : "stops early", n);
			continue;
		}
		if (check_section(path, name, d->d_buf, d->d_size, ds)) {
			failed++;
		} else {
			passed++;
			if (verbose)
				printf("ok: %s %s: %zu instructions\n", path, name, ds->nr);
		}
	}
	if (!nsecs) {
		FAIL("%s: no executable sections", path);
		failed++;
	}
	free_obj(&obj);
	elf_end(elf);
	close(fd);
}

static int is_dir(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

static void check_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t nr = 0, alloc = 0, i;

	if (!d) {
		FAIL("corpus %s: %s", dir, strerror(errno));
		failed++;
		return;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char *p;

		if (l < 3 || strcmp(de->d_name + l - 2, ".o"))
			continue;
		if (nr == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			names = xrealloc(names, alloc * sizeof(*names));
		}
		p = xrealloc(NULL, strlen(dir) + l + 2);
		sprintf(p, "%s/%s", dir, de->d_name);
		names[nr++] = p;
	}
	closedir(d);
	if (!nr) {
		FAIL("corpus %s: no objects", dir);
		failed++;
	}
	qsort(names, nr, sizeof(*names), cmp_str);
	for (i = 0; i < nr; i++) {
		check_object(names[i]);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	static const char *defaults[] = {
		"../shared/corpus/kpatch-unit/x86_64",
		"/work/shared/corpus/kpatch-unit/x86_64",
	};
	int i, nargs = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (elf_version(EV_CURRENT) == EV_NONE) {
		fprintf(stderr, "libelf init failed\n");
		return 2;
	}

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-v"))
			verbose = 1;

	run_hand_cases();
	run_opcode_cases();
	run_walk_cases();
	run_fuzz();

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			continue;
		nargs++;
		if (is_dir(argv[i]))
			check_dir(argv[i]);
		else
			check_object(argv[i]);
	}
	if (!nargs) {
		const char *env = getenv("X86_INSN_CORPUS");
		const char *dir = NULL;
		size_t j;

		if (env && *env)
			dir = env;
		for (j = 0; !dir && j < sizeof(defaults) / sizeof(defaults[0]); j++)
			if (is_dir(defaults[j]))
				dir = defaults[j];
		if (dir) {
			check_dir(dir);
		} else {
			FAIL("x86_64 corpus not found (set X86_INSN_CORPUS)");
			failed++;
		}
	}

	printf("corpus: %lu instructions checked against objdump, %lu rip-relative targets; "
	       "%u sections not comparable ((bad)/ud0), %u of them walked cleanly (%lu instructions)\n",
	       total_insns, total_riprel, skipped_secs, skipped_walked, walk_insns);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
