// SPDX-License-Identifier: GPL-2.0
/* x86_64 for create-klp-module: what arch/x86/kernel/module.c applies. */
#include <string.h>

#include "klp-arch.h"

/* Size in bytes a relocation writes, or 0 if the x86 module loader can't do it. */
static unsigned int x86_reloc_size(unsigned int type)
{
	switch (type) {
	case R_X86_64_64:
	case R_X86_64_PC64:
		return 8;
	case R_X86_64_32:
	case R_X86_64_32S:
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
		return 4;
	default:
		return 0;
	}
}

static const char *x86_reloc_problem(const struct rela *r, const struct section *base,
				     bool vmlinux)
{
	static const char zeros[8];
	unsigned int size = x86_reloc_size(r->type);

	if (!size)
		return "is not supported by the x86 module loader";
	/* apply_relocate_add() only writes over zeros */
	if (base->sh.sh_type != SHT_NOBITS &&
	    (r->offset + size > base->size || memcmp(base->data + r->offset, zeros, size)))
		return "has bytes under it that are not zero (the kernel refuses to apply it)";
	return NULL;
}

/*
 * Code references to a function's start have addend 0 (absolute) or -4
 * give or take an immediate (PC-relative).
 */
static bool x86_points_inside(const struct rela *r)
{
	switch (r->type) {
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_PC64:
		return r->addend > -4 || r->addend < -8;
	default:
		return r->addend != 0;
	}
}

static const struct klp_arch x86_64_klp = {
	.machine = EM_X86_64,
	.name = "x86_64",
	.reloc_problem = x86_reloc_problem,
	.points_inside = x86_points_inside,
};

KLP_ARCH(x86_64_klp);
