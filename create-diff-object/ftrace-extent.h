/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parent's ftrace sites against the extent kallsyms gives each of its
 * symbols: see ftrace-extent.c.
 */
#ifndef KPATCH_FTRACE_EXTENT_H
#define KPATCH_FTRACE_EXTENT_H

#include <stdint.h>

struct ftrace_extent;

/*
 * NULL when PATH is not a linked 64-bit ELF with a symbol table that has
 * __start_mcount_loc and __stop_mcount_loc.
 */
struct ftrace_extent *ftrace_extent_open(const char *path);
void ftrace_extent_close(struct ftrace_extent *ext);

/*
 * For the function at ADDR of SIZE bytes: an ftrace site past its end but
 * before the next symbol, which the kernel's search from ADDR may pick
 * instead of the function's own; 0 when there is none, or when a site is
 * at ADDR itself (found exactly, before any search).
 */
uint64_t ftrace_extent_foreign_site(const struct ftrace_extent *ext, uint64_t addr,
				    uint64_t size);

#endif
