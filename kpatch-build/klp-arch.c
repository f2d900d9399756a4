// SPDX-License-Identifier: GPL-2.0
/* The architectures create-klp-module knows: see klp-arch.h. */
#include "klp-arch.h"

/* Weak: a build with no architecture links, and then supports none. */
extern const struct klp_arch *const __start_klp_arches[] __attribute__((weak));
extern const struct klp_arch *const __stop_klp_arches[] __attribute__((weak));

const struct klp_arch *klp_arch_for_machine(unsigned int machine)
{
	for (const struct klp_arch *const *a = __start_klp_arches; a < __stop_klp_arches; a++)
		if ((*a)->machine == machine)
			return *a;
	return NULL;
}

