// SPDX-License-Identifier: GPL-2.0
/* The architectures kpatch-verify knows: see arch.h. */
#include "arch.h"

/* Weak: a build with no architecture links, and then supports none. */
extern const struct verify_arch *const __start_verify_arches[] __attribute__((weak));
extern const struct verify_arch *const __stop_verify_arches[] __attribute__((weak));

const struct verify_arch *verify_arch_for(unsigned int machine)
{
	for (const struct verify_arch *const *a = __start_verify_arches; a < __stop_verify_arches; a++)
		if ((*a)->machine == machine)
			return *a;
	return NULL;
}
