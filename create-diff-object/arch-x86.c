// SPDX-License-Identifier: GPL-2.0
/*
 * x86-64 specifics: ftrace call sites, where a PC-relative reference
 * really points, and the __LINE__ heuristic.
 */
#include <stdlib.h>
#include <string.h>

#include "arch-x86-insn.h"
#include "arch-x86-static-branch.h"
#include "cdo.h"
#include "util.h"

#define R_X86_64_NONE	0
#define R_X86_64_64	1
#define R_X86_64_PC32	2
#define R_X86_64_PLT32	4
#define R_X86_64_32	10
#define R_X86_64_32S	11
#define R_X86_64_PC64	24

/* Instruction boundaries of one text section, decoded once. */
struct insn_map {
	size_t n;
	uint32_t starts[];	/* one block, so the model can free it */
};

static struct insn_map *insn_map(struct section *sec)
{
	struct insn_map *map = sec->priv;
	size_t cap = 64;
	uint64_t off = 0;

	if (map)
		return map;
	map = xcalloc(1, sizeof(*map) + cap * sizeof(map->starts[0]));
	while (off < sec->size) {
		struct x86_insn insn;

		if (map->n == cap) {
			cap *= 2;
			map = xrealloc(map, sizeof(*map) + cap * sizeof(map->starts[0]));
		}
		map->starts[map->n++] = (uint32_t)off;
		if (x86_decode(sec->data + off, sec->size - off, &insn) || !insn.length)
			break;	/* data or padding: stop mapping here */
		off += insn.length;
	}
	sec->priv = map;
	return map;
}

/* The instruction containing offset, or false if it can't be decoded. */
static bool insn_at(struct section *sec, uint64_t offset, uint64_t *start,
		    struct x86_insn *insn)
{
	struct insn_map *map;
	size_t lo = 0, hi;

	if (!sec->data || offset >= sec->size)
		return false;
	map = insn_map(sec);
	hi = map->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (map->starts[mid] <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return false;
	*start = map->starts[lo - 1];
	if (x86_decode(sec->data + *start, sec->size - *start, insn))
		return false;
	return offset < *start + insn->length;
}

static bool x86_find_fentry(struct section *sec, struct symbol *func,
			    uint64_t *site, struct rela **relap)
{
	uint64_t start = func->sym.st_value;
	/* endbr64 may come first; nothing else may */
	struct rela *rela = elf_rela_at_or_after(sec, start);

	if (!rela || rela->offset > start + 4 + 1)
		return false;
	if (!rela->sym || strcmp(rela->sym->name, "__fentry__"))
		return false;
	if (rela->type != R_X86_64_NONE && rela->type != R_X86_64_PC32 &&
	    rela->type != R_X86_64_PLT32)
		return false;
	*site = rela->offset - 1;
	*relap = rela;
	return true;
}

static bool is_pcrel(unsigned int type)
{
	return type == R_X86_64_PC32 || type == R_X86_64_PLT32;
}

static int64_t x86_rela_target_offset(struct rela *rela)
{
	struct section *base = rela->sec->base;
	struct x86_insn insn;
	uint64_t start;

	if (!is_pcrel(rela->type) || !is_text_section(base))
		return rela->addend;	/* data: the reader adds the entry's own address */
	if (!insn_at(base, rela->offset, &start, &insn))
		return rela->addend + 4;	/* most often the last field of the instruction */
	return rela->addend + (int64_t)x86_insn_pcrel_bias(&insn, (unsigned int)(rela->offset - start));
}

/* Does this relocation load an address rather than branch to it? */
static bool x86_rela_is_address(struct rela *rela)
{
	struct section *base = rela->sec->base;
	struct x86_insn insn;
	uint64_t start;

	switch (rela->type) {
	case R_X86_64_64:
	case R_X86_64_32:
	case R_X86_64_32S:
		return true;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
		if (!is_text_section(base))
			return true;
		if (!insn_at(base, rela->offset, &start, &insn))
			return false;
		/* call, jmp and jcc take the branch; anything else (lea, mov) an address */
		if (insn.opcode_len == 1 && (insn.opcode[0] == 0xe8 || insn.opcode[0] == 0xe9))
			return false;
		if (insn.opcode_len == 2 && insn.opcode[0] == 0x0f &&
		    (insn.opcode[1] & 0xf0) == 0x80)
			return false;
		return true;
	default:
		return false;
	}
}

/*
 * The string loaded into a 64-bit argument register (arg 1 %rdi, 2 %rsi)
 * between 'from' and the call at 'call': mov $str,%e?i / mov $str,%r?i /
 * lea str(%rip),%r?i.
 */
static const char *x86_string_argument(struct section *sec, uint64_t from, uint64_t call,
				       unsigned int arg)
{
	unsigned int reg = arg == 1 ? 7 : 6;
	const char *found = NULL;

	for (struct rela *rela = elf_rela_at_or_after(sec, from);
	     rela && rela < sec->rela->relas + sec->rela->nr_relas && rela->offset < call; rela++) {
		struct x86_insn insn;
		uint64_t start;
		const uint8_t *b;

		if (!insn_at(sec, rela->offset, &start, &insn))
			continue;
		b = sec->data + start;
		if (!((b[0] == 0xb8 + reg && insn.length == 5) ||
		      (insn.length == 7 && b[0] == 0x48 &&
		       ((b[1] == 0xc7 && b[2] == (0xc0 | reg)) ||
			(b[1] == 0x8d && b[2] == (0x05 | reg << 3))))))
			continue;
		/* the last load before the call wins */
		found = line_rela_string(rela, x86_rela_target_offset(rela));
	}
	return found;
}

/*
 * WARN(), might_sleep(), printk("... line %d", __LINE__) and friends pass
 * the line number as an immediate: moving code up or down a file changes
 * only those. Accepted as no change: every differing instruction loads an
 * immediate into a register that really carries a line number to its
 * callee, and all of them moved by the same nonzero number of lines: the
 * function's own shift when the DWARF gives it.
 * Anything else, such as a changed printk("limit %d", 5) argument, is a
 * change.
 */
static bool x86_line_macro_change_only(struct section *orig, uint64_t ostart,
				       struct section *patched, uint64_t pstart,
				       uint64_t len, const int64_t *line_delta,
				       uint64_t *first_diff)
{
	const uint8_t *o = orig->data + ostart, *p = patched->data + pstart;
	uint64_t off = 0;
	int64_t delta = line_delta ? *line_delta : 0;
	bool any = false;

	*first_diff = 0;
	if (ostart + len > orig->size || pstart + len > patched->size || !patched->rela)
		goto real_change;
	while (off < len) {
		struct x86_insn a, b;
		unsigned int reg;
		int64_t shift;

		if (x86_decode(o + off, len - off, &a) || x86_decode(p + off, len - off, &b))
			goto real_change;
		if (a.length != b.length)
			goto real_change;
		if (memcmp(o + off, p + off, a.length)) {
			*first_diff = off;
			if (x86_insn_is_mov_imm32(o + off, &a, 6) && x86_insn_is_mov_imm32(p + off, &b, 6))
				reg = 6;
			else if (x86_insn_is_mov_imm32(o + off, &a, 2) && x86_insn_is_mov_imm32(p + off, &b, 2))
				reg = 2;
			else
				goto real_change;
			shift = (int64_t)(int32_t)elf_get_u32(patched->elf, p + off + b.imm_offset) -
				(int64_t)(int32_t)elf_get_u32(orig->elf, o + off + a.imm_offset);
			if (((any || line_delta) && shift != delta) ||
			    (int32_t)elf_get_u32(orig->elf, o + off + a.imm_offset) <= 0 ||
			    !line_argument_is_line(patched, pstart, pstart + off + b.length, pstart + len,
						   reg == 6 ? 2 : 3, x86_string_argument))
				goto real_change;
			delta = shift;
			any = true;
		}
		off += a.length;
	}
	return any;

real_change:
	if (!*first_diff) {
		while (*first_diff < len && ostart + *first_diff < orig->size &&
		       pstart + *first_diff < patched->size && o[*first_diff] == p[*first_diff])
			(*first_diff)++;
	}
	return false;
}

static void x86_fixup_fentry_site(struct section *sec, struct rela *rela)
{
	/* -mrecord-mcount -mnop-mcount leaves a 5-byte nop; ftrace wants a call */
	if (rela->type != R_X86_64_NONE || rela->offset < 1 || rela->offset + 4 > sec->size)
		return;
	sec->data[rela->offset - 1] = 0xe8;
	memset(sec->data + rela->offset, 0, 4);
	rela->type = R_X86_64_PC32;
	rela->addend = -4;
}

static bool x86_is_padding(const struct section *sec, uint64_t len)
{
	/* -fpatchable-function-entry=N,N emits single-byte nops; objtool
	 * may later turn them into int3 (0xcc) padding */
	if (!sec->data || len > 64 || len > sec->size)
		return false;
	for (uint64_t i = 0; i < len; i++)
		if (sec->data[i] != 0x90 && sec->data[i] != 0xcc)
			return false;
	return true;
}

/*
 * Alignment fill: int3, nop, and the multi-byte nops gas emits for
 * .p2align in code (0f 1f /0 and 66 90, with 66/2e prefixes).
 */
static bool x86_is_padding_range(const uint8_t *code, uint64_t len)
{
	uint64_t at = 0;

	while (at < len) {
		struct x86_insn insn;
		const uint8_t *op;

		if (x86_decode(code + at, len - at, &insn))
			return false;
		op = code + at + insn.opcode_offset;
		for (unsigned int i = 0; i < insn.opcode_offset; i++)
			if (code[at + i] != 0x66 && code[at + i] != 0x2e)
				return false;
		if (insn.opcode_len == 1 && (op[0] == 0x90 || op[0] == 0xcc))
			;	/* nop (xchg %ax,%ax with 66), int3 */
		else if (insn.opcode_len == 2 && op[0] == 0x0f && op[1] == 0x1f &&
			 insn.modrm_offset && ((code[at + insn.modrm_offset] >> 3) & 7) == 0)
			;	/* nopw/nopl with any memory operand */
		else
			return false;
		at += insn.length;
	}
	return true;
}

/*
 * runtime_const_ptr(): "movabs $0x0123456789abcdef, %reg", the immediate
 * patched once at boot for vmlinux. Nothing patches it in a module, so the
 * new code loads the variable instead, in the same ten bytes:
 * "mov var(%rip), %reg; nopl (%rax)".
 */
static bool x86_runtime_const_to_load(struct elf *elf, struct section *text,
				      uint64_t offset, struct symbol *var)
{
	struct x86_insn insn;
	struct rela *existing;
	uint64_t start;
	unsigned char *p;
	unsigned int reg;

	if (!insn_at(text, offset, &start, &insn) || insn.length != 10 ||
	    insn.imm_size != 8 || start + insn.imm_offset != offset)
		return false;
	p = text->data + start;
	existing = elf_rela_at_or_after(text, start);
	if ((p[0] & 0xfe) != 0x48 || (p[1] & 0xf8) != 0xb8 ||
	    (existing && existing->offset < start + 10))
		return false;
	reg = (p[1] & 7u) | ((p[0] & 1u) << 3);
	p[0] = (unsigned char)(0x48 | (reg & 8 ? 0x04 : 0));	/* REX.W, REX.R */
	p[1] = 0x8b;
	p[2] = (unsigned char)(0x05 | (reg & 7) << 3);		/* disp32(%rip) */
	memset(p + 3, 0, 4);
	p[7] = 0x0f;
	p[8] = 0x1f;
	p[9] = 0x00;
	elf_add_rela(elf_rela_section_for(elf, text), var, start + 3, -4, R_X86_64_PC32);
	elf_sort_relas(text->rela);
	free(text->priv);	/* the instruction boundaries moved */
	text->priv = NULL;
	return true;
}

static bool x86_relocate_outward_branches(struct elf *elf, struct section *sec,
					  uint64_t start, uint64_t end)
{
	struct insn_map *map = insn_map(sec);

	for (size_t i = 0; i < map->n; i++) {
		uint64_t at = map->starts[i], insn_end, imm_at;
		struct x86_insn insn;
		struct rela *r;
		struct symbol *sym;
		int64_t disp, target;
		const uint8_t *op;

		if (at < start || at >= end)
			continue;
		if (x86_decode(sec->data + at, sec->size - at, &insn))
			continue;
		op = insn.opcode;
		/* call/jmp rel32, jcc rel32; jmp/jcc/loop/jrcxz rel8 */
		if (!((insn.opcode_len == 1 && (op[0] == 0xe8 || op[0] == 0xe9 || op[0] == 0xeb ||
						(op[0] >= 0x70 && op[0] <= 0x7f) ||
						(op[0] >= 0xe0 && op[0] <= 0xe3))) ||
		      (insn.opcode_len == 2 && op[0] == 0x0f && (op[1] & 0xf0) == 0x80)))
			continue;
		insn_end = at + insn.length;
		imm_at = at + insn.imm_offset;
		r = elf_rela_at_or_after(sec, at);
		if (r && r->offset < insn_end)
			continue;	/* it has a relocation already */
		if (insn.imm_size == 4)
			disp = (int32_t)elf_get_u32(sec->elf, sec->data + imm_at);
		else if (insn.imm_size == 1)
			disp = (int8_t)sec->data[imm_at];
		else
			continue;
		target = (int64_t)insn_end + disp;
		if (target >= (int64_t)start && target < (int64_t)end)
			continue;	/* stays inside */
		if (insn.imm_size != 4 || target < 0)
			return false;
		sym = elf_symbol_containing(sec, (uint64_t)target);
		if (!sym || sym->type != STT_FUNC)
			return false;
		elf_add_rela(elf_rela_section_for(elf, sec), sym, imm_at,
			     target - (int64_t)sym->sym.st_value - (int64_t)(insn_end - imm_at),
			     R_X86_64_PLT32);
		memset(sec->data + imm_at, 0, 4);	/* RELA: the addend says it all */
		/* keep the relocations sorted: the lookups above rely on it */
		elf_sort_relas(sec->rela);
	}
	return true;
}

/*
 * ftrace hands over to the new function with PUSH; RET, which IBT does not
 * check, so a function the compiler gave no ENDBR (static, never
 * address-taken) is fine. objtool, run at the module link on IBT kernels,
 * sees .kpatch.funcs point at it and would warn: annotate it as the kernel's
 * ANNOTATE_NOENDBR does. The module link discards .discard.* afterwards.
 */
static void x86_mark_redirect_target(struct elf *out, struct symbol *func)
{
	static const unsigned char endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	struct section *sec = func->sec, *ann;
	uint64_t off;

	if (!sec || !sec->data || func->sym.st_value + 4 > sec->size ||
	    !memcmp(sec->data + func->sym.st_value, endbr64, 4))
		return;
	ann = elf_find_section(out, ".discard.noendbr");
	if (!ann)
		ann = elf_add_section(out, ".discard.noendbr", SHT_PROGBITS, 0, 1, 0, NULL, 0);
	off = elf_append_data(ann, NULL, 4, 1);
	elf_add_rela(elf_rela_section_for(out, ann), func, off, 0, R_X86_64_PC32);
}

static bool x86_is_prefix_symbol(const char *name)
{
	return !strncmp(name, "__pfx_", 6) || !strncmp(name, "__cfi_", 6);
}

static bool x86_is_kernel_helper(const char *name)
{
	return !strcmp(name, "__fentry__") || !strcmp(name, "__x86_return_thunk") ||
	       !strncmp(name, "__x86_indirect_thunk_", 21);
}

static const struct special_section x86_special[] = {
	{ "__bug_table", SZ_BUG, 0, NULL },
	{ "__ex_table", SZ_EX, 0, NULL },
	{ "__jump_table", SZ_JUMP, 0, special_jump_label_filter },
	{ ".altinstructions", SZ_ALT, 0, NULL },
	{ ".parainstructions", SZ_PARA, 0, NULL },
	{ ".static_call_sites", SZ_STATIC_CALL, 0, special_static_call_filter },
	{ ".smp_locks", SZ_COUNT, 4, NULL },
	{ ".call_sites", SZ_COUNT, 4, NULL },
	{ ".retpoline_sites", SZ_COUNT, 4, NULL },
	{ ".return_sites", SZ_COUNT, 4, NULL },
	{ ".ibt_endbr_seal", SZ_COUNT, 4, NULL },
	{ ".printk_index", SZ_COUNT, 8, NULL },
	{ ".kcfi_traps", SZ_COUNT, 4, NULL },
	/*
	 * objtool's annotations. Where objtool runs when the livepatch
	 * module is linked (CONFIG_X86_KERNEL_IBT), it needs them for the
	 * patched code as for the original: without .discard.reachable the
	 * code after a WARN's ud2 is "unreachable" and gets no ORC, without
	 * .discard.retpoline_safe a paravirt call is an "indirect call".
	 * The module link discards them.
	 */
	{ ".discard.reachable", SZ_COUNT, 4, NULL },
	{ ".discard.unreachable", SZ_COUNT, 4, NULL },
	{ ".discard.retpoline_safe", SZ_COUNT, 4, NULL },
	{ ".discard.instr_begin", SZ_COUNT, 4, NULL },
	{ ".discard.instr_end", SZ_COUNT, 4, NULL },
	{ ".discard.intra_function_calls", SZ_COUNT, 4, NULL },
	{ ".discard.noendbr", SZ_COUNT, 4, NULL },
	{ ".discard.validate_unret", SZ_COUNT, 4, NULL },
	{ ".discard.unwind_hints", SZ_COUNT, 12, NULL },
	{ ".discard.ibt_endbr_noseal", SZ_COUNT, 8, NULL },
	{ ".discard.func_stack_frame_non_standard", SZ_COUNT, 8, NULL },
	{ ".discard.annotate_insn", SZ_COUNT, 8, NULL },
	{ NULL, SZ_COUNT, 0, NULL }
};

static const struct cdo_arch x86_64_arch = {
	.name = "x86_64",
	.machine = EM_X86_64,
	.abs64 = R_X86_64_64,
	.special_sections = x86_special,
	.find_fentry = x86_find_fentry,
	.is_kernel_helper = x86_is_kernel_helper,
	.rela_target_offset = x86_rela_target_offset,
	.rela_is_address = x86_rela_is_address,
	.line_macro_change_only = x86_line_macro_change_only,
	.fixup_fentry_site = x86_fixup_fentry_site,
	.is_padding = x86_is_padding,
	.is_padding_range = x86_is_padding_range,
	.runtime_const_to_load = x86_runtime_const_to_load,
	.relocate_outward_branches = x86_relocate_outward_branches,
	.mark_redirect_target = x86_mark_redirect_target,
	.is_prefix_symbol = x86_is_prefix_symbol,
	.static_branch_test_key = x86_static_branch_test_key,
	.static_branch_disable = x86_static_branch_disable,
};

CDO_ARCH(x86_64_arch);
