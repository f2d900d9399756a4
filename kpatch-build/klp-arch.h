/* SPDX-License-Identifier: GPL-2.0 */
/*
 * create-klp-module's per-architecture knowledge: which relocations the
 * arch's module loader applies to a livepatch symbol, and how a reference
 * to the start of a function looks. Each klp-arch-<name>.c registers its
 * ops with KLP_ARCH(); the linker gathers them (section klp_arches), so
 * adding an architecture adds a file.
 */
#ifndef KLP_ARCH_H
#define KLP_ARCH_H

#include <stdbool.h>

#include "kelf.h"

struct klp_arch {
	unsigned int machine;		/* e_machine */
	const char *name;
	/*
	 * NULL when the arch's loader applies r, at its place in base, to a
	 * livepatch symbol of vmlinux (or of a module) every time livepatch
	 * writes it; else why not, for the error message that follows the
	 * relocation's place and symbol.
	 */
	const char *(*reloc_problem)(const struct rela *r, const struct section *base,
				     bool vmlinux);
	/* Does r, against a function, point inside it rather than at its start? */
	bool (*points_inside)(const struct rela *r);
	/* Optional: why the object is not one of this arch's the kernel loads, or NULL */
	const char *(*object_problem)(const struct elf *elf);
	/* Optional: why name (a livepatch symbol's name in its object) cannot
	 * be one, or NULL */
	const char *(*symbol_problem)(const char *name);
};

#define KLP_ARCH(ops)							\
	static const struct klp_arch *const klp_arch_entry_##ops	\
	__attribute__((used, section("klp_arches"), aligned(sizeof(void *)))) = &(ops)

const struct klp_arch *klp_arch_for_machine(unsigned int machine);

#endif
