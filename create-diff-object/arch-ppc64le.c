// SPDX-License-Identifier: GPL-2.0
/*
 * ppc64le (ELFv2) specifics: the -mprofile-kernel ftrace call site
 * ("mflr r0; bl _mcount" at the local entry point), the TOC pointer word
 * that -mcmodel=large puts in front of a function, the .toc table through
 * which code reaches addresses (compared, carried and rebuilt entry by
 * entry), calls that cannot go through a module loader stub (their static
 * targets are carried along, anything else is refused), the __LINE__
 * heuristic, and the special sections of powerpc kernels.
 */
#include <stdlib.h>
#include <string.h>

#include "cdo.h"
#include "util.h"

#define R_PPC64_REL24_NOTOC	116	/* newer than some elf.h */
#define R_PPC64_ENTRY		118

#define PPC_INSN_LEN	4
#define PPC_MFLR_R0	0x7c0802a6u	/* mflr r0 */
#define PPC_STD_R0_16	0xf8010010u	/* std r0,16(r1): older -mprofile-kernel */
#define PPC_BL		0x48000001u	/* bl with a zero displacement */
#define PPC_NOP		0x60000000u

/* Bytes from a function's global entry point to its local entry point. */
static uint64_t local_entry_offset(const struct symbol *func)
{
	unsigned int bits = (func->sym.st_other >> 5) & 7;	/* STO_PPC64_LOCAL_MASK */

	return ((uint64_t)1 << bits >> 2) << 2;	/* 0 and 1: no separate local entry */
}

static uint32_t insn_at(const struct section *sec, uint64_t offset)
{
	return elf_get_u32(sec->elf, sec->data + offset);
}

static bool is_mcount_call(const struct rela *rela, uint64_t offset)
{
	return rela && rela->offset == offset && rela->type == R_PPC64_REL24 && rela->sym &&
	       !strcmp(rela->sym->name, "_mcount");
}

/*
 * -mprofile-kernel: right after the local entry point, "mflr r0" and
 * "bl _mcount" (gcc before 6 put "std r0,16(r1)" between them). The site
 * is the bl, which ftrace turns into a nop and back.
 */
static bool ppc64le_find_fentry(struct section *sec, struct symbol *func,
				uint64_t *site, struct rela **relap)
{
	uint64_t entry = func->sym.st_value + local_entry_offset(func), bl;

	if (!sec->data || entry + 3 * PPC_INSN_LEN > sec->size ||
	    insn_at(sec, entry) != PPC_MFLR_R0)
		return false;
	bl = entry + PPC_INSN_LEN;
	if (insn_at(sec, bl) == PPC_STD_R0_16)
		bl += PPC_INSN_LEN;
	if (insn_at(sec, bl) != PPC_BL || !is_mcount_call(elf_rela_at(sec, bl), bl))
		return false;
	*site = bl;
	*relap = elf_rela_at(sec, bl);
	return true;
}

#define EF_PPC64_ABI_MASK	3	/* e_flags: 1 ELFv1, 2 ELFv2, 0 unsaid */

/* Big-endian ppc64 kernels use ELFv1: function descriptors, .opd, dot symbols. */
static const char *ppc64le_unsupported_object(const GElf_Ehdr *ehdr)
{
	if (ehdr->e_ident[EI_DATA] != ELFDATA2LSB)
		return "a big-endian ppc64 object: only ppc64le (ELFv2) kernels are supported";
	if ((ehdr->e_flags & EF_PPC64_ABI_MASK) == 1)
		return "an ELFv1 ppc64 object (function descriptors): only ppc64le (ELFv2) kernels are supported";
	return NULL;
}

/* The ftrace hook, and the TOC base the module loader defines itself. */
static bool ppc64le_is_kernel_helper(const char *name)
{
	return !strcmp(name, "_mcount") || !strcmp(name, ".TOC.");
}

/* ELFv2 relocations hold their target exactly: no instruction bias. */
static int64_t ppc64le_rela_target_offset(struct rela *rela)
{
	return rela->addend;
}

static bool ppc64le_rela_is_address(struct rela *rela)
{
	switch (rela->type) {
	case R_PPC64_REL24: case R_PPC64_REL24_NOTOC: case R_PPC64_REL14:
	case R_PPC64_REL14_BRTAKEN: case R_PPC64_REL14_BRNTAKEN:
	case R_PPC64_ENTRY: case R_PPC64_NONE:
		return false;	/* branches, and markers */
	default:
		return true;
	}
}

/*
 * -mcmodel=large functions start 8 bytes into their section: a
 * doubleword holding .TOC. minus its own address, which the global entry
 * point ("ld r2,-8(r12); add r2,r2,r12") reads.
 */
static bool ppc64le_is_padding(const struct section *sec, uint64_t len)
{
	struct rela *rela = elf_rela_at(sec, 0);

	return len == 8 && sec->size >= 8 && rela && rela->type == R_PPC64_REL64 &&
	       rela->sym && !strcmp(rela->sym->name, ".TOC.");
}

/* ---- the TOC ---- */

#define TOC_ENTRY_SIZE	8

static bool is_toc(const struct section *sec)
{
	return sec && !strcmp(sec->name, ".toc");
}

/*
 * Code reaches addresses (and 64-bit constants) through the .toc: a
 * TOC16 relocation names ".toc + entry", and the entry holds the address
 * through a relocation of its own. gcc numbers the entries in the order it
 * needs them, so a change anywhere moves every later one: references are
 * judged by what their entry holds.
 */
static bool ppc64le_table_reference(struct rela *rela, struct rela **entry, uint64_t *constant)
{
	struct section *toc = rela->sym ? rela->sym->sec : NULL;
	int64_t at;
	uint64_t start;

	if (!is_toc(toc) || rela->sec->base == toc || !toc->data)
		return false;
	at = (int64_t)rela->sym->sym.st_value + rela->addend;
	if (at < 0 || (uint64_t)at >= toc->size)
		return false;
	start = (uint64_t)at & ~(uint64_t)(TOC_ENTRY_SIZE - 1);
	*entry = elf_rela_at(toc, start);
	*constant = start + TOC_ENTRY_SIZE <= toc->size ? elf_get_u64(toc->elf, toc->data + start) : 0;
	return true;
}

/* Entries of the .toc in use: one flag per 8 bytes. */
static bool *used_toc_entries(struct elf *elf, struct section *toc, size_t n)
{
	bool *used = xcalloc(n ? n : 1, sizeof(*used));

	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *rs = elf->sections[i];

		if (!is_rela_section(rs) || rs->deleted || !rs->base->include || rs->base == toc)
			continue;
		for (size_t j = 0; j < rs->nr_relas; j++) {
			struct rela *entry;
			uint64_t constant;
			int64_t at;

			if (!ppc64le_table_reference(&rs->relas[j], &entry, &constant))
				continue;
			at = (int64_t)rs->relas[j].sym->sym.st_value + rs->relas[j].addend;
			used[(uint64_t)at / TOC_ENTRY_SIZE] = true;
		}
	}
	return used;
}

/*
 * The output's .toc: the entries its code uses, in their order, each
 * with its relocation; the references are pointed at the new places.
 */
static void rebuild_toc(struct elf *elf, struct section *toc)
{
	size_t n = (toc->size + TOC_ENTRY_SIZE - 1) / TOC_ENTRY_SIZE, kept = 0;
	bool *used = used_toc_entries(elf, toc, n);
	uint64_t *new_start = xcalloc(n ? n : 1, sizeof(*new_start));
	unsigned char *data = xcalloc(toc->size ? toc->size : 1, 1);
	struct section *rs = toc->rela;

	for (size_t e = 0; e < n; e++) {
		uint64_t len = toc->size - e * TOC_ENTRY_SIZE;

		if (!used[e])
			continue;
		if (len > TOC_ENTRY_SIZE)
			len = TOC_ENTRY_SIZE;
		new_start[e] = kept * TOC_ENTRY_SIZE;
		memcpy(data + new_start[e], toc->data + e * TOC_ENTRY_SIZE, len);
		kept++;
	}
	if (rs) {
		size_t nr = 0;

		for (size_t j = 0; j < rs->nr_relas; j++) {
			struct rela r = rs->relas[j];
			size_t e = r.offset / TOC_ENTRY_SIZE;

			if (e >= n || !used[e])
				continue;
			r.offset = new_start[e] + r.offset % TOC_ENTRY_SIZE;
			rs->relas[nr++] = r;
		}
		rs->nr_relas = nr;
		rs->include = nr > 0;
	}
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *s = elf->sections[i];

		if (!is_rela_section(s) || s->deleted || !s->base->include || s == rs)
			continue;
		for (size_t j = 0; j < s->nr_relas; j++) {
			struct rela *r = &s->relas[j], *entry;
			uint64_t constant, at;

			if (!ppc64le_table_reference(r, &entry, &constant))
				continue;
			at = r->sym->sym.st_value + (uint64_t)r->addend;
			r->addend = (int64_t)(new_start[at / TOC_ENTRY_SIZE] + at % TOC_ENTRY_SIZE) -
				    (int64_t)r->sym->sym.st_value;
		}
	}
	free(toc->data);
	toc->data = data;
	toc->size = toc->sh.sh_size = kept * TOC_ENTRY_SIZE;
	free(used);
	free(new_start);
}

/* ---- calls that leave the new code ---- */

#define PPC_OPCODE(insn)	((insn) >> 26)
#define PPC_OP_B		18	/* b, bl, ba, bla */
#define PPC_OP_ADDI		14	/* li rT,imm is addi rT,0,imm */
#define PPC_RT(insn)		((insn) >> 21 & 31)
#define PPC_RA(insn)		((insn) >> 16 & 31)
#define PPC_LD_R2_24_R1		0xe8410018u	/* ld r2,24(r1): the restore itself */

/*
 * A branch from a function (not from .fixup and the like, which jump back
 * into functions) that cannot go through a module loader stub: a sibling
 * call (b), or a bl with no nop after it for the stub's TOC restore.
 */
static bool branch_needs_target_nearby(struct rela *r, bool *sibling)
{
	struct section *sec = r->sec->base;
	struct symbol *func;
	uint32_t insn, next;

	if ((r->type != R_PPC64_REL24 && r->type != R_PPC64_REL24_NOTOC) || !sec->data ||
	    r->offset + PPC_INSN_LEN > sec->size || !r->sym ||
	    ppc64le_is_kernel_helper(r->sym->name))
		return false;
	func = elf_symbol_containing(sec, r->offset);
	insn = insn_at(sec, r->offset);
	if (!func || !is_func(func) || PPC_OPCODE(insn) != PPC_OP_B || (insn & 2))
		return false;
	*sibling = !(insn & 1);
	if (*sibling)
		return true;
	if (r->offset + 2 * PPC_INSN_LEN > sec->size)
		return true;
	next = insn_at(sec, r->offset + PPC_INSN_LEN);
	return next != PPC_NOP && next != PPC_LD_R2_24_R1;
}

/* Calls of the new code to static functions: they go with it. */
static bool ppc64le_carry_target(struct rela *rela)
{
	bool sibling;

	return branch_needs_target_nearby(rela, &sibling);
}

/* Does the call at rela reach something the output does not carry? */
static bool leaves_output(const struct rela *rela)
{
	const struct symbol *sym = rela->sym;

	if (!sym || (sym->type == STT_SECTION && sym->sec && sym->sec->include))
		return false;
	return !(sym->sec && sym->sec->include);
}

/*
 * A call from the module to the kernel goes through a stub of the module
 * loader's, which saves the caller's TOC pointer and relies on the
 * instruction after the bl (a nop the compiler leaves for calls that may
 * leave the object) to get it back; a sibling call (b) never comes back
 * to restore it. Static functions called so are carried along
 * (carry_target); whatever still leaves the output so is refused.
 */
static void check_calls(struct cdo_ctx *ctx, struct section *sec)
{
	struct section *rs = sec->rela;

	for (size_t j = 0; rs && j < rs->nr_relas; j++) {
		struct rela *r = &rs->relas[j];
		struct symbol *func;
		bool sibling;

		if (!leaves_output(r) || !branch_needs_target_nearby(r, &sibling))
			continue;
		func = elf_symbol_containing(sec, r->offset);
		if (sibling)
			result_add_refusal(ctx, R_ARCH_UNSUPPORTED,
				"%s+0x%lx: sibling call to %s, which stays in the kernel: it would return with the module's TOC pointer; add __attribute__((optimize(\"-fno-optimize-sibling-calls\"))) to %s",
				func->name, (unsigned long)(r->offset - func->sym.st_value),
				r->sym->name, func->name);
		else
			result_add_refusal(ctx, R_ARCH_UNSUPPORTED,
				"%s+0x%lx: call to %s, which stays in the kernel, has no nop after it for the module loader to restore the TOC pointer in",
				func->name, (unsigned long)(r->offset - func->sym.st_value),
				r->sym->name);
	}
}

/*
 * The module loader applies speculation barrier fixups to a module's
 * section of the name vmlinux's linker script gives them
 * (module_finalize: "__spec_barrier_fixup"), not to the one the compiler
 * writes: under its own name, a carried barrier_nospec() would stay the
 * nop it is compiled as, whatever the kernel's setting.
 */
#define NOSPEC_FIXUP		"__barrier_nospec_fixup"
#define NOSPEC_FIXUP_LOADER	"__spec_barrier_fixup"

static void name_nospec_fixups_for_loader(struct elf *elf)
{
	struct section *sec = elf_find_section(elf, NOSPEC_FIXUP);

	if (!sec || !sec->include)
		return;
	elf_rename_section(elf, sec, NOSPEC_FIXUP_LOADER);
	if (sec->rela)
		elf_rename_section(elf, sec->rela, ".rela" NOSPEC_FIXUP_LOADER);
}

/* ---- TOC-relative access to data that stays in the kernel ---- */

/*
 * -mcmodel=medium reaches data the compiler knows to be near (statics,
 * the object's own globals, string literals) TOC-relative:
 *	addis rX,r2,sym@toc@ha		(R_PPC64_TOC16_HA)
 *	addi  rY,rX,sym@toc@l		(R_PPC64_TOC16_LO), or a load/store
 *	lwz   rY,sym@toc@l(rX)		with the low part as displacement
 * The module's TOC cannot reach data that stays in vmlinux, so such an
 * access goes through a .toc entry holding sym's address (ADDR64, a klp
 * relocation later), each instruction in its own place:
 *	ld    rX,entry@toc(r2)		(R_PPC64_TOC16_DS): rX = &sym
 *	addi  rY,rX,0  /  lwz rY,0(rX)	(no relocation)
 * Every high and low part of one sym + addend is rewritten, so any low
 * part meets a register holding that address, whichever high part
 * reached it: the compiler pairs them only by that same expression.
 * Anything else is refused.
 */
#define PPC_OP_ADDIS		15
#define PPC_OP_LD		58	/* DS-form: ld, ldu, lwa by the low two bits */
#define PPC_OP_STD		62	/* DS-form: std, stdu */
#define PPC_TOC_REG		2
#define PPC_DS_XO(insn)		((insn) & 3)

enum toc_part { TOC_HIGH, TOC_LOW };

struct toc_access {
	struct rela *rela;
	enum toc_part part;
};

static bool is_toc_relative(unsigned int type)
{
	switch (type) {
	case R_PPC64_TOC16: case R_PPC64_TOC16_LO: case R_PPC64_TOC16_HI:
	case R_PPC64_TOC16_HA: case R_PPC64_TOC16_DS: case R_PPC64_TOC16_LO_DS:
		return true;
	default:
		return false;
	}
}

/* D-form instructions whose 16-bit field is a plain displacement (or addi's immediate) */
static bool is_d_form_access(unsigned int opcode)
{
	switch (opcode) {
	case PPC_OP_ADDI:
	case 32: case 34: case 36: case 38:	/* lwz lbz stw stb */
	case 40: case 42: case 44:		/* lhz lha sth */
	case 48: case 50: case 52: case 54:	/* lfs lfd stfs stfd */
		return true;
	default:
		return false;
	}
}

/* ld, lwa, std: DS-form, no update */
static bool is_ds_form_access(uint32_t insn)
{
	return (PPC_OPCODE(insn) == PPC_OP_LD && (PPC_DS_XO(insn) == 0 || PPC_DS_XO(insn) == 2)) ||
	       (PPC_OPCODE(insn) == PPC_OP_STD && PPC_DS_XO(insn) == 0);
}

/* Why the instruction under r cannot be rewritten, or NULL. */
static const char *toc_access_problem(const struct rela *r, uint32_t insn, enum toc_part *part)
{
	switch (r->type) {
	case R_PPC64_TOC16_HA:
		*part = TOC_HIGH;
		if (PPC_OPCODE(insn) != PPC_OP_ADDIS || PPC_RA(insn) != PPC_TOC_REG)
			return "its high part is not \"addis rX,r2,sym@toc@ha\"";
		return NULL;
	case R_PPC64_TOC16_LO:
		*part = TOC_LOW;
		if (!is_d_form_access(PPC_OPCODE(insn)))
			return "its low part is on an instruction other than addi or a D-form load/store without update";
		break;
	case R_PPC64_TOC16_LO_DS:
		*part = TOC_LOW;
		if (!is_ds_form_access(insn))
			return "its low part is on an instruction other than ld, lwa or std";
		break;
	default:
		return "it is not a @toc@ha/@toc@l pair (-mcmodel=medium), the only form rewritten";
	}
	if (PPC_RA(insn) == PPC_TOC_REG || PPC_RA(insn) == 0)
		return "its low part adds to r2 (or 0) directly, with no addis before it";
	return NULL;
}

static int compare_toc_access(const void *a, const void *b)
{
	const struct toc_access *x = a, *y = b;

	if (x->rela->sym->index != y->rela->sym->index)
		return x->rela->sym->index < y->rela->sym->index ? -1 : 1;
	if (x->rela->addend != y->rela->addend)
		return x->rela->addend < y->rela->addend ? -1 : 1;
	if (x->part != y->part)
		return x->part < y->part ? -1 : 1;
	if (x->rela->sec != y->rela->sec)
		return x->rela->sec->index < y->rela->sec->index ? -1 : 1;
	return x->rela->offset < y->rela->offset ? -1 : x->rela->offset > y->rela->offset;
}

static bool same_toc_key(const struct toc_access *a, const struct toc_access *b)
{
	return a->rela->sym == b->rela->sym && a->rela->addend == b->rela->addend;
}

static void refuse_toc_access(struct cdo_ctx *ctx, const struct rela *r, const char *why)
{
	struct section *sec = r->sec->base;
	struct symbol *func = elf_symbol_containing(sec, r->offset);

	result_add_func_refusal(ctx, R_ARCH_UNSUPPORTED, func ? func->name : NULL,
		"%s+0x%lx: reaches %s%+ld TOC-relative (relocation type %u), which stays in the kernel and which the module's TOC cannot reach, but %s: the differ does not rewrite it through a .toc entry",
		func ? func->name : sec->name,
		(unsigned long)(r->offset - (func ? func->sym.st_value : 0)),
		r->sym->name, (long)r->addend, r->type, why);
}

/* TOC-relative references of the carried code to data it does not carry. */
static size_t collect_toc_accesses(struct cdo_ctx *ctx, struct toc_access **out)
{
	struct elf *elf = ctx->patched;
	struct toc_access *list = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *rs = elf->sections[i];

		if (!is_rela_section(rs) || rs->deleted || !rs->base->include ||
		    !is_text_section(rs->base) || !rs->base->data)
			continue;
		for (size_t j = 0; j < rs->nr_relas; j++) {
			struct rela *r = &rs->relas[j], *entry;
			uint64_t constant;
			const char *why;
			enum toc_part part;

			if (!is_toc_relative(r->type) || !r->sym || !leaves_output(r) ||
			    ppc64le_table_reference(r, &entry, &constant))
				continue;
			if (r->offset + PPC_INSN_LEN > rs->base->size) {
				refuse_toc_access(ctx, r, "its field lies outside the section");
				continue;
			}
			why = toc_access_problem(r, insn_at(rs->base, r->offset), &part);
			if (why) {
				refuse_toc_access(ctx, r, why);
				continue;
			}
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				list = xrealloc(list, cap * sizeof(*list));
			}
			list[n++] = (struct toc_access){ r, part };
		}
	}
	*out = list;
	return n;
}

/* The .toc the entries go into, included, with its relocation section. */
static struct section *output_toc(struct elf *elf)
{
	struct section *toc = elf_find_section(elf, ".toc");

	if (!toc) {
		toc = elf_add_section(elf, ".toc", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE,
				      TOC_ENTRY_SIZE, 0, NULL, 0);
		elf_add_symbol(elf, ".toc", STB_LOCAL, STT_SECTION, toc, 0, 0)->include = true;
	} else if (!toc->include) {
		/* only the entries added here are used: rebuild_toc drops the rest */
		toc->status = STATUS_CHANGED;
	}
	toc->include = true;
	if (toc->secsym)
		toc->secsym->include = true;
	elf_rela_section_for(elf, toc)->include = true;
	return toc;
}

static void rewrite_high_part(struct rela *r, struct symbol *toc_sym, uint64_t entry)
{
	struct section *sec = r->sec->base;
	uint32_t insn = insn_at(sec, r->offset);

	/* addis rX,r2,sym@toc@ha -> ld rX,entry@toc(r2) */
	elf_put_u32(sec->elf, sec->data + r->offset,
		    (uint32_t)PPC_OP_LD << 26 | PPC_RT(insn) << 21 | PPC_TOC_REG << 16);
	r->type = R_PPC64_TOC16_DS;
	r->sym = toc_sym;
	r->addend = (int64_t)entry;
}

/* The low part adds nothing to the address the register now holds. */
static char rewritten_low_part;

static void rewrite_low_part(struct rela *r)
{
	struct section *sec = r->sec->base;
	uint32_t insn = insn_at(sec, r->offset);
	uint32_t keep = r->type == R_PPC64_TOC16_LO_DS ? ~0xfffcu : ~0xffffu;

	elf_put_u32(sec->elf, sec->data + r->offset, insn & keep);
	r->priv = &rewritten_low_part;	/* dropped by drop_rewritten_relas */
}

static void drop_rewritten_relas(struct elf *elf)
{
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *rs = elf->sections[i];
		size_t nr = 0;

		if (!is_rela_section(rs) || rs->deleted || !rs->base->include ||
		    !is_text_section(rs->base))
			continue;
		for (size_t j = 0; j < rs->nr_relas; j++)
			if (rs->relas[j].priv != &rewritten_low_part)
				rs->relas[nr++] = rs->relas[j];
		rs->nr_relas = nr;
	}
}

/*
 * Each sym + addend gets one .toc entry; all its high parts load the
 * entry, all its low parts lose their relocation. A low part with no
 * high part in the carried code is refused: the register it adds to
 * comes from somewhere the differ does not see.
 */
static void reach_kernel_data_through_toc(struct cdo_ctx *ctx)
{
	struct elf *elf = ctx->patched;
	struct toc_access *list;
	size_t n = collect_toc_accesses(ctx, &list), refusals = ctx->result.nr_refusals;
	struct section *toc = NULL, *trs = NULL;
	bool any = false;

	if (!n)
		return;
	qsort(list, n, sizeof(*list), compare_toc_access);
	for (size_t g = 0; g < n;) {
		size_t end = g;

		while (end < n && same_toc_key(&list[g], &list[end]))
			end++;
		/* sorted: the high parts of a key come first */
		if (list[g].part != TOC_HIGH)
			refuse_toc_access(ctx, list[g].rela,
					  "its low part has no high part (addis) in the carried code");
		g = end;
	}
	if (ctx->result.nr_refusals > refusals) {
		free(list);
		return;
	}
	for (size_t g = 0; g < n;) {
		size_t end = g;
		uint64_t entry;
		unsigned char zero[TOC_ENTRY_SIZE] = { 0 };

		if (!toc) {
			toc = output_toc(elf);
			trs = toc->rela;
		}
		entry = elf_append_data(toc, zero, sizeof(zero), TOC_ENTRY_SIZE);
		toc->sh.sh_size = toc->size;
		elf_add_rela(trs, list[g].rela->sym, entry, list[g].rela->addend, R_PPC64_ADDR64);
		for (; end < n && same_toc_key(&list[g], &list[end]); end++) {
			if (list[end].part == TOC_HIGH)
				rewrite_high_part(list[end].rela, toc->secsym, entry);
			else
				rewrite_low_part(list[end].rela);
		}
		g = end;
		any = true;
	}
	if (any)
		drop_rewritten_relas(elf);
	free(list);
}

/* ---- __ftr_alt_*: only the alternatives of the kept feature fixups ---- */

/*
 * struct fixup_entry (arch/powerpc/include/asm/feature-fixups.h): mask,
 * value, then four offsets from the entry itself: the code's start and end,
 * and its alternative's start and end in a __ftr_alt_<n> section. The
 * special-section table keeps the changed functions' entries; their
 * alternatives come out of the shared __ftr_alt_<n> sections here.
 */
#define FIXUP_ALT_START	32
#define FIXUP_ALT_END	40

static bool is_feature_fixup(const struct section *sec)
{
	return !strcmp(sec->name, "__ftr_fixup") || !strcmp(sec->name, "__mmu_ftr_fixup") ||
	       !strcmp(sec->name, "__fw_ftr_fixup");
}

/* One alternative, [start, end) of its __ftr_alt_ section, and where it goes. */
struct alt_piece {
	uint64_t start, end, new_start;
};

static int cmp_piece(const void *a, const void *b)
{
	const struct alt_piece *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The piece of the sorted, merged pieces[0..n) that holds off (or ends at it). */
static const struct alt_piece *piece_at(const struct alt_piece *pieces, size_t n, uint64_t off)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {	/* the last piece starting at or before off */
		size_t mid = lo + (hi - lo) / 2;

		if (pieces[mid].start <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && off <= pieces[lo - 1].end ? &pieces[lo - 1] : NULL;
}

/* A start and end field pair of one entry, pointing into alt; else NULL. */
static struct rela *alt_field_pair(struct section *rs, size_t j, const struct section *alt)
{
	struct rela *r = &rs->relas[j], *next = j + 1 < rs->nr_relas ? &rs->relas[j + 1] : NULL;

	if (!next || r->type != R_PPC64_REL64 || next->type != R_PPC64_REL64 ||
	    r->sym->type != STT_SECTION || next->sym != r->sym || next->offset != r->offset + 8 ||
	    r->addend < FIXUP_ALT_START || next->addend < FIXUP_ALT_END ||
	    (uint64_t)(r->addend - FIXUP_ALT_START) > (uint64_t)(next->addend - FIXUP_ALT_END) ||
	    (uint64_t)(next->addend - FIXUP_ALT_END) > alt->size)
		return NULL;
	return next;
}

/*
 * The pieces of alt the kept entries use, sorted and merged; false when
 * something else points into alt (alt itself included), or a reference is
 * not an entry's pair of alternative offsets, or a symbol is defined in it:
 * then it stays whole.
 */
static bool find_alt_pieces(struct elf *elf, struct section *alt, struct alt_piece **out,
			    size_t *nr_out)
{
	struct alt_piece *pieces = NULL;
	size_t n = 0, merged = 0;

	for (size_t i = 0; i < alt->nr_syms; i++)
		if (alt->syms[i]->type != STT_SECTION)
			return false;
	/* a reference of alt to itself would not follow the move */
	for (size_t j = 0; alt->rela && j < alt->rela->nr_relas; j++)
		if (alt->rela->relas[j].sym && alt->rela->relas[j].sym->sec == alt)
			return false;
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *rs = elf->sections[i];

		if (!is_rela_section(rs) || rs->deleted || !rs->base->include || rs->base == alt)
			continue;
		for (size_t j = 0; j < rs->nr_relas; j++) {
			struct rela *r = &rs->relas[j], *end;

			if (!r->sym || r->sym->sec != alt)
				continue;
			if (!is_feature_fixup(rs->base) || !(end = alt_field_pair(rs, j, alt))) {
				free(pieces);
				return false;
			}
			pieces = xrealloc(pieces, (n + 1) * sizeof(*pieces));
			pieces[n].start = (uint64_t)(r->addend - FIXUP_ALT_START);
			pieces[n++].end = (uint64_t)(end->addend - FIXUP_ALT_END);
			j++;
		}
	}
	if (n)
		qsort(pieces, n, sizeof(*pieces), cmp_piece);
	for (size_t i = 0; i < n; i++) {
		if (merged && pieces[i].start <= pieces[merged - 1].end) {
			if (pieces[i].end > pieces[merged - 1].end)
				pieces[merged - 1].end = pieces[i].end;
			continue;
		}
		pieces[merged++] = pieces[i];
	}
	*out = pieces;
	*nr_out = merged;
	return true;
}

/* Keep of alt only the pieces, moved together (each stays 4-byte aligned). */
static void trim_alt_section(struct elf *elf, struct section *alt)
{
	struct alt_piece *pieces;
	unsigned char *data;
	uint64_t out = 0;
	size_t n, kept = 0;

	if (!alt->data || !find_alt_pieces(elf, alt, &pieces, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		pieces[i].new_start = out;
		out += (pieces[i].end - pieces[i].start + 3) & ~(uint64_t)3;
	}
	if (out >= alt->size) {
		free(pieces);
		return;
	}
	data = xcalloc(1, out ? out : 1);
	for (size_t i = 0; i < n; i++)
		memcpy(data + pieces[i].new_start, alt->data + pieces[i].start,
		       pieces[i].end - pieces[i].start);
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *rs = elf->sections[i];

		if (!is_rela_section(rs) || rs->deleted || !rs->base->include || rs->base == alt)
			continue;
		for (size_t j = 0; j < rs->nr_relas; j++) {
			struct rela *r = &rs->relas[j];
			const struct alt_piece *p;

			if (!r->sym || r->sym->sec != alt)
				continue;
			p = piece_at(pieces, n, (uint64_t)(r->addend - FIXUP_ALT_START));
			r->addend = (int64_t)(p->new_start + (uint64_t)r->addend - p->start);
			r[1].addend = (int64_t)(p->new_start + (uint64_t)r[1].addend - p->start);
			j++;
		}
	}
	if (alt->rela) {
		for (size_t j = 0; j < alt->rela->nr_relas; j++) {
			struct rela r = alt->rela->relas[j];
			const struct alt_piece *p = piece_at(pieces, n, r.offset);

			if (!p || r.offset >= p->end)
				continue;	/* the code of a dropped alternative */
			r.offset = r.offset - p->start + p->new_start;
			alt->rela->relas[kept++] = r;
		}
		alt->rela->nr_relas = kept;
	}
	free(alt->data);
	alt->data = data;
	alt->size = alt->sh.sh_size = out;
	free(pieces);
}

static void trim_feature_alternatives(struct elf *elf)
{
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];

		if (sec->include && !sec->deleted && !strncmp(sec->name, "__ftr_alt_", 10))
			trim_alt_section(elf, sec);
	}
}

static int ppc64le_finish_inclusion(struct cdo_ctx *ctx)
{
	struct elf *elf = ctx->patched;
	struct section *toc = elf_find_section(elf, ".toc");
	size_t before = ctx->result.nr_refusals;

	name_nospec_fixups_for_loader(elf);
	trim_feature_alternatives(elf);
	reach_kernel_data_through_toc(ctx);
	if (ctx->result.nr_refusals > before)
		return -1;
	toc = elf_find_section(elf, ".toc");

	if (toc && toc->include) {
		rebuild_toc(elf, toc);
	} else if (toc) {
		/* no carried code uses it: nothing of it is a change to carry */
		toc->status = STATUS_SAME;
		if (toc->rela) {
			toc->rela->include = false;
			toc->rela->status = STATUS_SAME;
		}
	}
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];

		if (sec->include && !sec->deleted && is_text_section(sec))
			check_calls(ctx, sec);
	}
	return ctx->result.nr_refusals > before ? -1 : 0;
}

/* ---- the __LINE__ heuristic ---- */

#define PPC_OP_X		31
#define PPC_XO_OR		444
/* Arguments go in r3, r4, r5, ... */
#define ARG_REG(arg)		((arg) + 2)

/* li rT,imm: the way gcc passes __LINE__ (lines past 32767 take two instructions). */
static bool load_immediate(uint32_t insn, unsigned int *reg, int64_t *imm)
{
	if (PPC_OPCODE(insn) != PPC_OP_ADDI || PPC_RA(insn) != 0)
		return false;
	*reg = PPC_RT(insn);
	*imm = (int16_t)(insn & 0xffff);
	return true;
}

static bool is_toc_low(unsigned int type)
{
	return type == R_PPC64_TOC16_LO_DS || type == R_PPC64_TOC16_LO ||
	       type == R_PPC64_TOC16_DS || type == R_PPC64_TOC16;
}

/* mr rA,rS: or rA,rS,rS */
static bool is_move(uint32_t insn, unsigned int *to, unsigned int *from)
{
	if (PPC_OPCODE(insn) != PPC_OP_X || (insn >> 1 & 0x3ff) != PPC_XO_OR || (insn & 1) ||
	    PPC_RT(insn) != (insn >> 11 & 31))
		return false;
	*to = PPC_RA(insn);
	*from = PPC_RT(insn);	/* rS sits where rT would */
	return true;
}

/*
 * The string whose address is in argument arg's register at the call:
 * going back from the call, the low half of a TOC-relative load or add
 * into it ("ld rN,.toc+x@l(rM)" through a .toc entry, "addi rN,rM,.LC@toc@l"
 * straight at the literal), following register moves ("mr r4,r30": gcc
 * keeps __FILE__ in a saved register for several calls).
 */
static const char *ppc64le_string_argument(struct section *sec, uint64_t from, uint64_t call,
					   unsigned int arg)
{
	unsigned int reg = ARG_REG(arg);

	for (uint64_t at = call & ~(uint64_t)(PPC_INSN_LEN - 1); at >= from + PPC_INSN_LEN;) {
		uint32_t insn;
		unsigned int to, src;
		struct rela *rela, *target, *entry;
		uint64_t constant;

		at -= PPC_INSN_LEN;
		insn = insn_at(sec, at);
		if (is_move(insn, &to, &src)) {
			if (to == reg)
				reg = src;
			continue;
		}
		rela = elf_rela_at_or_after(sec, at);
		if (!rela || rela->offset >= at + PPC_INSN_LEN || !is_toc_low(rela->type) ||
		    PPC_RT(insn) != reg)
			continue;
		target = ppc64le_table_reference(rela, &entry, &constant) ? entry : rela;
		return target ? line_rela_string(target, target->addend) : NULL;
	}
	return NULL;
}

/*
 * WARN(), might_sleep(), printk("... line %d", __LINE__) and friends pass
 * the line number as an immediate: code moved up or down a file differs
 * only there. Accepted as no change when every differing instruction is a
 * "li" into the register of an argument its callee takes as a line
 * number, all moved by the same nonzero number of lines (the function's
 * own shift when the DWARF gives it). Anything else is a change.
 */
static bool ppc64le_line_macro_change_only(struct section *orig, uint64_t ostart,
					   struct section *patched, uint64_t pstart,
					   uint64_t len, const int64_t *line_delta,
					   uint64_t *first_diff)
{
	int64_t delta = line_delta ? *line_delta : 0;
	bool any = false;
	uint64_t off;

	*first_diff = 0;
	if (!orig->data || !patched->data || ostart + len > orig->size ||
	    pstart + len > patched->size || !patched->rela || len % PPC_INSN_LEN)
		goto real_change;
	for (off = 0; off < len; off += PPC_INSN_LEN) {
		uint32_t o = insn_at(orig, ostart + off), p = insn_at(patched, pstart + off);
		unsigned int oreg, preg;
		int64_t oimm, pimm;

		if (o == p)
			continue;
		*first_diff = off;
		if (!load_immediate(o, &oreg, &oimm) || !load_immediate(p, &preg, &pimm) ||
		    oreg != preg || (oreg != ARG_REG(2) && oreg != ARG_REG(3)) || oimm <= 0 ||
		    ((any || line_delta) && pimm - oimm != delta) ||
		    !line_argument_is_line(patched, pstart, pstart + off + PPC_INSN_LEN,
					   pstart + len, oreg - 2, ppc64le_string_argument))
			goto real_change;
		delta = pimm - oimm;
		any = true;
	}
	return any;

real_change:
	if (!*first_diff && orig->data && patched->data) {
		while (*first_diff < len && ostart + *first_diff < orig->size &&
		       pstart + *first_diff < patched->size &&
		       orig->data[ostart + *first_diff] == patched->data[pstart + *first_diff])
			(*first_diff)++;
	}
	return false;
}

/*
 * Fixups the kernel applies to vmlinux only (security flushes and
 * barriers patched at boot and on mitigation changes, interrupt restart
 * and soft-mask tables): a module's copy of such code would never be
 * patched. Refused, naming the function.
 */
static enum keep_verdict vmlinux_only_fixup(struct cdo_ctx *ctx, struct section *sec,
					    struct rela *first, struct rela *end)
{
	struct symbol *sym = first->sym, *func = sym;

	/* the first field is the code's address (or its offset from the entry) */
	if (sym && sym->type == STT_SECTION)
		func = sym->sec && first->addend >= 0 ?
		       elf_symbol_containing(sym->sec, (uint64_t)first->addend) : NULL;
	result_add_func_refusal(ctx, R_ARCH_UNSUPPORTED, func ? func->name : NULL,
		"%s has an entry in %s, which the kernel applies to vmlinux only: a livepatch module's copy of that code would never be patched; keep the patch out of %s",
		func ? func->name : sec->name, sec->name, func ? func->name : "that code");
	return REFUSE;
}

static const struct special_section ppc64le_special[] = {
	{ "__bug_table", SZ_BUG, 0, NULL },
	{ "__ex_table", SZ_EX, 0, NULL },
	{ "__jump_table", SZ_JUMP, 0, special_jump_label_filter },
	{ ".printk_index", SZ_COUNT, 8, NULL },
	/* CPU, MMU and firmware feature fixups: struct fixup_entry, whose
	 * mask and value come before the code offsets */
	{ "__ftr_fixup", SZ_FIXUP, 0, NULL },
	{ "__mmu_ftr_fixup", SZ_FIXUP, 0, NULL },
	{ "__fw_ftr_fixup", SZ_FIXUP, 0, NULL },
	/* one 64-bit self-relative offset of an instruction to patch */
	{ "__lwsync_fixup", SZ_COUNT, 8, NULL },
	{ NOSPEC_FIXUP, SZ_COUNT, 8, NULL },
	{ "__stf_entry_barrier_fixup", SZ_COUNT, 8, vmlinux_only_fixup },
	{ "__stf_exit_barrier_fixup", SZ_COUNT, 8, vmlinux_only_fixup },
	{ "__rfi_flush_fixup", SZ_COUNT, 8, vmlinux_only_fixup },
	{ "__entry_flush_fixup", SZ_COUNT, 8, vmlinux_only_fixup },
	{ "__scv_entry_flush_fixup", SZ_COUNT, 8, vmlinux_only_fixup },
	{ "__uaccess_flush_fixup", SZ_COUNT, 8, vmlinux_only_fixup },
	{ "__btb_flush_fixup", SZ_COUNT, 16, vmlinux_only_fixup },
	{ "__restart_table", SZ_COUNT, 24, vmlinux_only_fixup },
	{ "__soft_mask_table", SZ_COUNT, 16, vmlinux_only_fixup },
	{ NULL, SZ_COUNT, 0, NULL }
};

static const struct cdo_arch ppc64le_arch = {
	.name = "ppc64le",
	.machine = EM_PPC64,
	.abs64 = R_PPC64_ADDR64,
	.unsupported_object = ppc64le_unsupported_object,
	.special_sections = ppc64le_special,
	.find_fentry = ppc64le_find_fentry,
	.is_kernel_helper = ppc64le_is_kernel_helper,
	.rela_target_offset = ppc64le_rela_target_offset,
	.rela_is_address = ppc64le_rela_is_address,
	.line_macro_change_only = ppc64le_line_macro_change_only,
	.is_padding = ppc64le_is_padding,
	.table_reference = ppc64le_table_reference,
	.carry_target = ppc64le_carry_target,
	.finish_inclusion = ppc64le_finish_inclusion,
};

CDO_ARCH(ppc64le_arch);
