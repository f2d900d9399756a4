// SPDX-License-Identifier: GPL-2.0
/*
 * The architectures this build supports: every arch-<name>.c registers its
 * struct cdo_arch with CDO_ARCH(), and the linker collects the pointers in
 * section cdo_arches, so the differ's core names no architecture.
 */
#include <stdio.h>
#include <string.h>

#include "cdo.h"
#include "util.h"

/* Weak: a build with no architecture links, and then supports none. */
extern const struct cdo_arch *const __start_cdo_arches[] __attribute__((weak));
extern const struct cdo_arch *const __stop_cdo_arches[] __attribute__((weak));

const struct cdo_arch *arch_for_machine(unsigned int machine)
{
	for (const struct cdo_arch *const *a = __start_cdo_arches; a < __stop_cdo_arches; a++)
		if ((*a)->machine == machine)
			return *a;
	return NULL;
}

const char *arch_names(void)
{
	static char names[256];
	size_t len = 0;

	if (names[0])
		return names;
	for (const struct cdo_arch *const *a = __start_cdo_arches; a < __stop_cdo_arches; a++) {
		int n = snprintf(names + len, sizeof(names) - len, "%s%s", len ? ", " : "",
				 (*a)->name);

		if (n < 0 || (size_t)n >= sizeof(names) - len)
			break;
		len += (size_t)n;
	}
	return names[0] ? names : "none";
}
