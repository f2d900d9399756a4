/* SPDX-License-Identifier: GPL-2.0 */
/* x86-64 static branches keyed by a module (arch-x86-static-branch.c). */
#ifndef KPATCH_ARCH_X86_STATIC_BRANCH_H
#define KPATCH_ARCH_X86_STATIC_BRANCH_H

#include "cdo.h"

bool x86_static_branch_test_key(struct cdo_ctx *ctx, const struct static_branch *sb,
				char *why, size_t whylen);
bool x86_static_branch_disable(struct cdo_ctx *ctx, const struct static_branch *sb,
			       char *why, size_t whylen);

#endif
