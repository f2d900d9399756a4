// SPDX-License-Identifier: GPL-2.0
/*
 * ppc64le (ELFv2) for create-klp-module: what apply_relocate_add() in
 * arch/powerpc/kernel/module_64.c (6.12, a kernel without PCREL) does
 * with a relocation against a livepatch symbol (SHN_LIVEPATCH).
 *
 * Modules live in the vmalloc area, far from vmlinux and from each other,
 * so only fields that hold a whole address (ADDR64, REL64) or a call
 * through a stub of the module's (REL24) reach a symbol of another object. The stub loads the target's address
 * from the module's TOC and saves r2 (our TOC pointer) on the stack; the
 * loader then turns the nop after the bl into "ld r2,24(r1)" to get it
 * back, and refuses the module (-ENOEXEC) if anything else is there. A
 * sibling call (b) through the stub never comes back to restore r2, and
 * the loader does not object to it: the caller would carry on with the
 * callee's TOC pointer. Everything TOC- or 16/32-bit pc-relative
 * (TOC16*, REL16*, REL32) is computed against this module's own TOC or
 * place and would be truncated or out of range.
 */
#include <string.h>

#include "klp-arch.h"

#define PPC_INSN_LEN		4
#define PPC_OPCODE(insn)	((insn) >> 26)
#define PPC_OP_B		18		/* b, bl, ba, bla */
#define PPC_B_AA		2u		/* absolute address */
#define PPC_B_LK		1u		/* link: a call, not a jump */
#define PPC_NOP			0x60000000u
#define PPC_LD_R2_24_R1		0xe8410018u	/* the TOC restore the loader writes */

static uint32_t insn_at(const struct section *base, uint64_t offset)
{
	return elf_get_u32(base->elf, base->data + offset);
}

/*
 * A bl through the module's stub: the instruction must be a relative
 * branch and link, with the nop the loader rewrites right after it.
 */
static const char *stub_call_problem(const struct rela *r, const struct section *base)
{
	uint32_t insn, next;

	if (base->sh.sh_type == SHT_NOBITS || !base->data || r->offset + PPC_INSN_LEN > base->size)
		return "is not on an instruction (the loader patches a branch there)";
	insn = insn_at(base, r->offset);
	if (PPC_OPCODE(insn) != PPC_OP_B || (insn & PPC_B_AA))
		return "is not on a relative branch (b/bl), which is all the loader patches";
	if (!(insn & PPC_B_LK))
		return "is a sibling call (b, not bl) through the module loader's stub: the "
		       "callee returns straight to our caller with its own TOC pointer in r2; "
		       "add __attribute__((optimize(\"-fno-optimize-sibling-calls\"))) to the function";
	if (r->offset + 2 * PPC_INSN_LEN > base->size)
		return "is a call at the end of its section, with no nop after it for the loader's "
		       "TOC restore";
	next = insn_at(base, r->offset + PPC_INSN_LEN);
	if (next != PPC_NOP && next != PPC_LD_R2_24_R1)
		return "is a call with no nop after it: the loader needs one to restore the TOC "
		       "pointer after the stub (it would refuse the module); was the callee local "
		       "to the object when it was compiled?";
	return NULL;
}

static const char *ppc64le_reloc_problem(const struct rela *r, const struct section *base,
					 bool vmlinux)
{
	switch (r->type) {
	case R_PPC64_ADDR64:
	case R_PPC64_REL64:
		return NULL;
	case R_PPC64_ADDR32:
		/* kernel and module addresses are 0xc000..., not 32-bit */
		return "writes 32 bits of an address that needs 64 (the loader would truncate it)";
	case R_PPC64_REL24:
		return stub_call_problem(r, base);
	case R_PPC64_TOC16: case R_PPC64_TOC16_LO: case R_PPC64_TOC16_HI:
	case R_PPC64_TOC16_HA: case R_PPC64_TOC16_DS: case R_PPC64_TOC16_LO_DS:
	case R_PPC64_TOC:
		return "is relative to the module's own TOC, which reaches only the module's data "
		       "(address other objects' symbols through a .toc entry, ADDR64)";
	case R_PPC64_REL32: case R_PPC64_REL16: case R_PPC64_REL16_LO:
	case R_PPC64_REL16_HI: case R_PPC64_REL16_HA:
		return "is a 16/32-bit pc-relative field, which cannot reach another object from "
		       "a module on ppc64 (the loader would fail or truncate it)";
	default:
		return "is not supported for symbols of other objects by the ppc64 module loader";
	}
}

#define EF_PPC64_ABI_MASK	3	/* e_flags: 1 ELFv1, 2 ELFv2, 0 unsaid */

/* Big-endian ppc64 kernels are ELFv1: function descriptors, another loader path. */
static const char *ppc64le_object_problem(const struct elf *elf)
{
	if (elf->ehdr.e_ident[EI_DATA] != ELFDATA2LSB)
		return "a big-endian ppc64 module: only ppc64le (ELFv2) kernels are supported";
	if ((elf->ehdr.e_flags & EF_PPC64_ABI_MASK) == 1)
		return "an ELFv1 ppc64 module (function descriptors): only ppc64le (ELFv2) kernels are supported";
	return NULL;
}

/* ELFv2 relocations hold their target in the addend: a function's start is 0. */
static bool ppc64le_points_inside(const struct rela *r)
{
	return r->addend != 0;
}

/*
 * .TOC. is the module's own TOC base, which the loader defines when it
 * applies the module's first relocation section: a livepatch symbol of
 * that name would resolve to vmlinux's TOC instead.
 */
static const char *ppc64le_symbol_problem(const char *name)
{
	if (!strcmp(name, ".TOC.") || !strcmp(name, "TOC."))
		return "is the TOC base, which the module loader sets to the module's own TOC: "
		       "it must stay an ordinary undefined symbol";
	return NULL;
}

static const struct klp_arch ppc64le_klp = {
	.machine = EM_PPC64,
	.name = "ppc64le",
	.reloc_problem = ppc64le_reloc_problem,
	.points_inside = ppc64le_points_inside,
	.object_problem = ppc64le_object_problem,
	.symbol_problem = ppc64le_symbol_problem,
};

KLP_ARCH(ppc64le_klp);
