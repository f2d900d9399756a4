// SPDX-License-Identifier: GPL-2.0
/*
 * s390x for create-klp-module: what arch/s390/kernel/module.c (6.12)
 * applies to a livepatch symbol.
 *
 * The loader sizes the module's GOT and PLT before loading, counting the
 * relocations of every SHT_RELA section: .klp.rela.* sections are SHT_RELA,
 * so their GOT and PLT slots are there when livepatch applies them later
 * (a livepatch module keeps its per-symbol slot table after init for
 * that). It fills a symbol's GOT or PLT slot the first time a relocation
 * uses it and never again, and s390 has no clear_relocate_add(): for a
 * symbol of a module, the slot would keep the module's old address once
 * the module is unloaded and loaded again. vmlinux never moves, so there
 * every type is fine; for modules only relocations that write the address
 * itself are, and PLT32DBL, which the loader resolves directly when the
 * target is within +-4 GiB, as every module is of every other.
 */
#include "klp-arch.h"

#ifndef R_390_20	/* older elf.h */
#define R_390_20	57
#define R_390_GOT20	58
#define R_390_GOTPLT20	59
#endif

static const char *s390_reloc_problem(const struct rela *r, const struct section *base,
				      bool vmlinux)
{
	switch (r->type) {
	case R_390_8: case R_390_12: case R_390_16: case R_390_20:
	case R_390_32: case R_390_64:
	case R_390_PC16: case R_390_PC16DBL: case R_390_PC32DBL:
	case R_390_PC32: case R_390_PC64:
	case R_390_PLT32DBL:
		return NULL;
	case R_390_GOT12: case R_390_GOT16: case R_390_GOT20: case R_390_GOT32:
	case R_390_GOT64: case R_390_GOTENT:
	case R_390_GOTPLT12: case R_390_GOTPLT16: case R_390_GOTPLT20:
	case R_390_GOTPLT32: case R_390_GOTPLT64: case R_390_GOTPLTENT:
	case R_390_PLT16DBL: case R_390_PLT32: case R_390_PLT64:
	case R_390_PLTOFF16: case R_390_PLTOFF32: case R_390_PLTOFF64:
		return vmlinux ? NULL :
		       "goes through a GOT or PLT slot, which the s390 module loader fills "
		       "once: it would keep the module's old address after the module is "
		       "reloaded (only vmlinux symbols are supported that way)";
	default:
		return "is not supported by the s390 module loader";
	}
}

/*
 * A halfword-scaled PC-relative field (brasl, larl, lgrl @GOTENT) sits 2
 * bytes into its instruction, so the start of a function is addend 2;
 * every other type takes the address as it is.
 */
static bool s390_points_inside(const struct rela *r)
{
	switch (r->type) {
	case R_390_PC16DBL: case R_390_PC32DBL: case R_390_PLT16DBL:
	case R_390_PLT32DBL: case R_390_GOTENT: case R_390_GOTPLTENT:
		return r->addend != 2;
	default:
		return r->addend != 0;
	}
}

static const struct klp_arch s390x_klp = {
	.machine = EM_S390,
	.name = "s390x",
	.reloc_problem = s390_reloc_problem,
	.points_inside = s390_points_inside,
};

KLP_ARCH(s390x_klp);
