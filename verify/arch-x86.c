// SPDX-License-Identifier: GPL-2.0
/* x86_64 for kpatch-verify (see arch.h). */
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "verify.h"

#define FENTRY_CALL_LEN	5
static const unsigned char nop5[FENTRY_CALL_LEN] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
static const unsigned char endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };

/* The call to __fentry__ or its 5-byte nop, after an ENDBR if any. */
static int x86_ftrace_site(const struct elf *elf, const unsigned char *code, uint64_t size,
			   uint64_t base, struct rela **relas, size_t n, bool *is_call)
{
	uint64_t at = size >= 4 && !memcmp(code, endbr64, 4) ? 4 : 0;

	if (at + FENTRY_CALL_LEN > size)
		return -1;
	*is_call = code[at] == 0xe8 && is_fentry_rela(rela_at_offset(relas, n, base + at + 1));
	if (*is_call)
		return (int)at;
	if (!memcmp(code + at, nop5, FENTRY_CALL_LEN))
		return (int)at;
	return -1;
}

static unsigned int x86_rela_width(unsigned int type)
{
	switch (type) {
	case R_X86_64_64:
	case R_X86_64_PC64:
		return 8;
	case R_X86_64_NONE:
		return 0;
	default:
		return 4;
	}
}

static bool x86_is_pcrel(unsigned int type)
{
	return type == R_X86_64_PC32 || type == R_X86_64_PLT32 || type == R_X86_64_PC64 ||
	       type == R_X86_64_GOTPCREL || type == R_X86_64_GOTPCRELX ||
	       type == R_X86_64_REX_GOTPCRELX;
}

/* a pc-relative reference from code points 4 bytes before its target */
static int64_t x86_code_bias(unsigned int type)
{
	return x86_is_pcrel(type) ? 4 : 0;
}

/* the immediate's size is not known without decoding: 4 to 8 bytes */
static const int64_t x86_section_biases[] = { 4, 5, 6, 8 };

static bool x86_same_rela_type(unsigned int a, unsigned int b)
{
	/* gas picks PLT32 or PC32 for the same call */
	if (a == R_X86_64_PLT32)
		a = R_X86_64_PC32;
	if (b == R_X86_64_PLT32)
		b = R_X86_64_PC32;
	return a == b;
}

static bool plausible_line(const unsigned char *imm)
{
	int32_t line;

	memcpy(&line, imm, 4);
	return line > 0 && line < 0x100000;
}

/*
 * Byte i differs inside the immediate of "mov $imm32, %esi/%edx" (be/ba)
 * that a call within the next 64 bytes consumes: how WARN(),
 * might_sleep() and friends pass __LINE__.
 */
static bool x86_line_immediate(const struct elf *elf, const unsigned char *a,
			       const unsigned char *b, uint64_t size, uint64_t i, uint64_t base,
			       struct rela **relas, size_t n, struct line_site *site)
{
	for (uint64_t j = i; j-- > (i >= 4 ? i - 4 : 0);) {
		if (a[j] != b[j] || (a[j] != 0xbe && a[j] != 0xba) || j + 5 > size ||
		    !plausible_line(a + j + 1) || !plausible_line(b + j + 1))
			continue;
		for (size_t k = 0; k < n; k++) {
			struct rela *r = relas[k];

			if (!r || r->offset < base + j + 5 || r->offset > base + j + 5 + 64)
				continue;
			/* a call, or a tail call */
			if ((r->type == R_X86_64_PLT32 || r->type == R_X86_64_PC32) &&
			    r->offset >= base + 1 &&
			    (b[r->offset - base - 1] == 0xe8 || b[r->offset - base - 1] == 0xe9)) {
				site->start = j;
				site->end = j + 4;
				memcpy(&site->was, a + j + 1, 4);
				memcpy(&site->now, b + j + 1, 4);
				return true;
			}
		}
	}
	return false;
}

/*
 * A rel32 call, jmp or jcc covering byte i whose two targets are the same
 * function at the same offset.
 */
static int64_t x86_same_local_branch(const struct elf *elf, const struct symbol *sa,
				     const unsigned char *ca, const struct symbol *sb,
				     const unsigned char *cb, const unsigned char *mask,
				     uint64_t size, uint64_t i)
{
	for (uint64_t p = i >= 5 ? i - 5 : 0; p < i; p++) {
		uint64_t field;
		int32_t da, db;

		if (ca[p] != cb[p])
			continue;
		if (ca[p] == 0xe8 || ca[p] == 0xe9)
			field = p + 1;
		else if (ca[p] == 0x0f && p + 1 < size && ca[p + 1] == cb[p + 1] &&
			 (ca[p + 1] & 0xf0) == 0x80)
			field = p + 2;
		else
			continue;
		if (field + 4 > size || i < field || mask[field] || mask[field + 3])
			continue;
		memcpy(&da, ca + field, 4);
		memcpy(&db, cb + field, 4);
		/* relative to the end of the instruction */
		if (same_branch_target(sa, (int64_t)(field + 4) + da, sb, (int64_t)(field + 4) + db))
			return (int64_t)field + 3;
	}
	return -1;
}

/* rel32: the place + addend is the field + its displacement */
static bool x86_resolved_field(const struct elf *elf, const unsigned char *code, uint64_t size,
			       uint64_t rel, unsigned int type, int64_t *from_field)
{
	int32_t disp;

	if (!x86_is_pcrel(type) || x86_rela_width(type) != 4 || rel + 4 > size)
		return false;
	memcpy(&disp, code + rel, 4);
	*from_field = disp;
	return true;
}

/* call/jmp rel32 (e8/e9) or jcc rel32 (0f 8x) whose field is at r */
static bool x86_is_direct_branch_to(const struct rela *r, const struct symbol *func)
{
	const struct section *s = r->sec->base;

	if ((r->type != R_X86_64_PC32 && r->type != R_X86_64_PLT32) || !rela_reaches_entry(r, func, 4))
		return false;
	return s->data[r->offset - 1] == 0xe8 || s->data[r->offset - 1] == 0xe9 ||
	       (s->data[r->offset - 2] == 0x0f && (s->data[r->offset - 1] & 0xf0) == 0x80);
}

/*
 * A static branch the compiler emitted as a jump ("objtool NOPs this")
 * and objtool, run when the module was linked, turned into a nop of the
 * same length: the kernel patches it from __jump_table either way.
 */
static int64_t x86_static_branch_nop(const struct verify *v, const struct section *psec,
				     uint64_t base, const unsigned char *p, const unsigned char *m,
				     uint64_t size, uint64_t i)
{
	static const unsigned char nop2[2] = { 0x66, 0x90 };

	for (uint64_t s = i >= 4 ? i - 4 : 0; s <= i; s++) {
		if (!is_jump_site(v, psec, base + s))
			continue;
		if (p[s] == 0xeb && s + 2 <= size && i < s + 2 && !memcmp(m + s, nop2, 2))
			return (int64_t)s + 1;
		if (p[s] == 0xe9 && s + 5 <= size && !memcmp(m + s, nop5, 5))
			return (int64_t)s + 4;
	}
	return -1;
}

/*
 * A site of a module's key, which the differ rewrites (its __jump_table
 * entry could not be applied): "jmp stub" in place of the site's jump or
 * nop, and after the function
 *	stub:	cmpl $0, key(%rip)	83 3d rel32 00
 *		jg   target		0f 8f rel32 (jle, 0f 8e, for branch bit 1)
 *		jmp  site + 5		e9 rel32
 * The kernel jumps to target when the key is enabled XOR the branch bit;
 * enabled means a count above zero (static_key_enabled()).
 */
#define STUB_LEN 18

static bool stub_reloc_means(struct verify *v, const struct rela *patched, int64_t pmask,
			     const struct rela *module, int64_t bias, char *why, size_t whylen)
{
	struct rela p = *patched, m = *module;
	struct target tp, tm;
	bool same;

	p.addend &= pmask;
	m.addend += bias;
	resolve_rela(&p, &tp);
	resolve_rela(&m, &tm);
	same = same_target(v, CMP_MODULE, &tp, &tm, 0, why, whylen);
	target_free(&tp);
	target_free(&tm);
	return same;
}

static int64_t rel32_dest(const unsigned char *m, uint64_t field)
{
	int32_t disp;

	memcpy(&disp, m + field, 4);
	return (int64_t)field + 4 + disp;
}

static bool x86_static_branch_stub(struct verify *v, const struct jump_site *js,
				   const struct symbol *pf, const struct symbol *mf,
				   const unsigned char *m, uint64_t psize, uint64_t msize,
				   uint64_t site, struct rela **mr, size_t mn,
				   struct stub_match *match, char *why, size_t whylen)
{
	uint64_t mbase = mf->sym.st_value;
	bool branch = js->key && (js->key->addend & 1);
	int64_t t, dest, want;
	struct rela *r;
	char sub[400];

	if (site + 5 > psize || m[site] != 0xe9)
		return false;
	t = rel32_dest(m, site + 1);
	if (t < (int64_t)psize || t >= (int64_t)msize)
		return false;	/* not a jump past the patched code */
	if (!js->key || !js->target) {
		snprintf(why, whylen, "its __jump_table entry names no target or key");
		return false;
	}
	if ((uint64_t)t + STUB_LEN > msize || m[t] != 0x83 || m[t + 1] != 0x3d || m[t + 6] ||
	    m[t + 7] != 0x0f || m[t + 8] != (branch ? 0x8e : 0x8f) || m[t + 13] != 0xe9) {
		snprintf(why, whylen, "the site jumps to +0x%lx, which is not \"cmpl $0, key(%%rip); %s target; jmp back\"",
			 (unsigned long)t, branch ? "jle" : "jg");
		return false;
	}
	r = rela_at_offset(mr, mn, mbase + t + 2);
	if (!r || r->type != R_X86_64_PC32 ||
	    !stub_reloc_means(v, js->key, ~(int64_t)3, r, 5, sub, sizeof(sub))) {
		snprintf(why, whylen, "the code at +0x%lx does not read the entry's key: %s",
			 (unsigned long)t, r ? sub : "no relocation for the key");
		return false;
	}
	r = rela_at_offset(mr, mn, mbase + t + 9);
	if (r) {
		if (!x86_is_pcrel(r->type) ||
		    !stub_reloc_means(v, js->target, ~(int64_t)0, r, 4, sub, sizeof(sub))) {
			snprintf(why, whylen, "the branch at +0x%lx does not go to the entry's target: %s",
				 (unsigned long)(t + 7), sub);
			return false;
		}
	} else {
		dest = rel32_dest(m, t + 9);
		want = (js->target->sym->type == STT_SECTION ? 0 : (int64_t)js->target->sym->sym.st_value) +
		       js->target->addend - (int64_t)pf->sym.st_value;
		if (js->target->sym->sec != pf->sec || dest != want || want < 0 || want > (int64_t)psize) {
			snprintf(why, whylen, "the branch at +0x%lx goes to +0x%lx, not to the entry's target",
				 (unsigned long)(t + 7), (unsigned long)dest);
			return false;
		}
	}
	if (rela_at_offset(mr, mn, mbase + t + 14) || rel32_dest(m, t + 14) != (int64_t)site + 5) {
		snprintf(why, whylen, "the code at +0x%lx does not go back to the site's next instruction",
			 (unsigned long)t);
		return false;
	}
	match->stub = (uint64_t)t;
	match->len = STUB_LEN;
	match->site_len = 5;
	return true;
}

/* With its key disabled the site jumps only when the branch bit is set. */
static bool x86_static_branch_off(const struct jump_site *js, const unsigned char *m,
				  uint64_t msize, uint64_t site)
{
	static const unsigned char nop2[2] = { 0x66, 0x90 };

	if (js->key && (js->key->addend & 1))
		return (site + 5 <= msize && m[site] == 0xe9) || (site + 2 <= msize && m[site] == 0xeb);
	return (site + 5 <= msize && !memcmp(m + site, nop5, 5)) ||
	       (site + 2 <= msize && !memcmp(m + site, nop2, 2));
}

/*
 * runtime_const_ptr(): the patched object's "movabs $imm64, %reg" with an
 * R_X86_64_64 to runtime_ptr_<var> becomes, in a module (nothing patches
 * the immediate there), "mov <var>(%rip), %reg" in the same bytes.
 */
static bool x86_runtime_const_load(const unsigned char *mcode, uint64_t size, uint64_t rel,
				   const struct rela *pr, struct rela **mrelas, size_t mn,
				   uint64_t mbase, uint64_t *mrel_off, uint64_t *from, uint64_t *len)
{
	const char *var;
	struct rela *mr;

	if (pr->type != R_X86_64_64 || !pr->sym || strncmp(pr->sym->name, "runtime_ptr_", 12) ||
	    rel < 2 || rel + 8 > size)
		return false;
	var = pr->sym->name + 12;
	mr = rela_at_offset(mrelas, mn, mbase + rel + 1);
	if (!mr || !x86_is_pcrel(mr->type) || !mr->sym || (mcode[rel - 2] & 0xf8) != 0x48 ||
	    mcode[rel - 1] != 0x8b)
		return false;
	*mrel_off = mbase + rel + 1;
	*from = rel - 2;
	*len = 10;
	if (!strcmp(mr->sym->name, var))
		return true;
	/* or a klp symbol for it */
	return !strncmp(mr->sym->name, ".klp.sym.", 9) && strstr(mr->sym->name, var) &&
	       strchr(mr->sym->name, ',') == strstr(mr->sym->name, var) + strlen(var);
}

/*
 * The same for kernels that mark the immediate from a runtime_ptr_<var>
 * section instead of relocating it: the module's "mov <var>(%rip), %reg"
 * (relocation at rel) replaces the movabs whose imm64 is at rel - 1.
 */
static bool x86_runtime_load_of(const struct verify *v, const struct section *psec, uint64_t pbase,
				const unsigned char *mcode, uint64_t size, uint64_t rel,
				const struct rela *mr, uint64_t *from, uint64_t *len)
{
	const char *var, *name;
	size_t vlen;

	if (rel < 3 || rel + 7 > size || !x86_is_pcrel(mr->type) || !mr->sym ||
	    !(var = runtime_site(v, psec, pbase + rel - 1)))
		return false;
	if ((mcode[rel - 3] & 0xf8) != 0x48 || mcode[rel - 2] != 0x8b)
		return false;
	*from = rel - 3;
	*len = 10;
	name = mr->sym->name;
	vlen = strlen(var);
	if (!strcmp(name, var))
		return true;
	/* or the klp symbol of it: .klp.sym.<obj>.<var>,<pos> */
	return !strncmp(name, ".klp.sym.", 9) && strchr(name + 9, '.') &&
	       !strncmp(strchr(name + 9, '.') + 1, var, vlen) && strchr(name + 9, '.')[1 + vlen] == ',';
}

static const struct special x86_specials[] = {
	{ "__bug_table", "bug_entry", "BUG_STRUCT_SIZE", 12, 1, true },
	{ "__ex_table", "exception_table_entry", "EX_STRUCT_SIZE", 12, 2, true },
	{ "__jump_table", "jump_entry", "JUMP_STRUCT_SIZE", 16, 3, true },
	{ ".altinstructions", "alt_instr", "ALT_STRUCT_SIZE", 14, 2, true },
	{ ".static_call_sites", "static_call_site", "STATIC_CALL_STRUCT_SIZE", 8, 2, true },
	{ ".printk_index", "pi_entry", "PRINTK_INDEX_STRUCT_SIZE", 44, 0, false },
	{ NULL, NULL, NULL, 0, 0, false }
};

static const char *const x86_code_only[] = {
	".orc_unwind_ip", ".static_call_sites", ".call_sites",
	".return_sites", ".retpoline_sites", ".ibt_endbr_seal", ".parainstructions",
	".smp_locks", NULL
};

/*
 * alt_instr's replacementlen: its last byte since the kernel dropped padlen
 * (12 bytes, and 14 since ft_flags); before, padlen followed it (13 bytes).
 * A replacement is compared over that length only: replacements are packed
 * back to back, and the bytes after one belong to the next alternative.
 */
static uint64_t x86_alt_replacement_len_at(uint64_t entry_size)
{
	return entry_size == 13 ? 11 : entry_size - 1;
}

static const struct verify_arch x86_64_verify = {
	.machine = EM_X86_64,
	.name = "x86_64",
	.ftrace_len = FENTRY_CALL_LEN,
	.ftrace_site = x86_ftrace_site,
	.rela_width = x86_rela_width,
	.is_pcrel = x86_is_pcrel,
	.code_bias = x86_code_bias,
	.section_biases = x86_section_biases,
	.nr_section_biases = sizeof(x86_section_biases) / sizeof(x86_section_biases[0]),
	.same_rela_type = x86_same_rela_type,
	.sized_block_special = ".altinstructions",
	.block_len_offset = x86_alt_replacement_len_at,
	.line_immediate = x86_line_immediate,
	.same_local_branch = x86_same_local_branch,
	.resolved_field = x86_resolved_field,
	.is_direct_branch_to = x86_is_direct_branch_to,
	.static_branch_nop = x86_static_branch_nop,
	.static_branch_stub = x86_static_branch_stub,
	.static_branch_off = x86_static_branch_off,
	.runtime_const_load = x86_runtime_const_load,
	.runtime_load_of = x86_runtime_load_of,
	.specials = x86_specials,
	.code_only_sections = x86_code_only,
};

VERIFY_ARCH(x86_64_verify);
