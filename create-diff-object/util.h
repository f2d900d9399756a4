/* SPDX-License-Identifier: GPL-2.0 */
/* Allocation helpers that never return NULL: running out of memory while
 * diffing is not recoverable, so report it once and exit. */
#ifndef KPATCH_UTIL_H
#define KPATCH_UTIL_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
