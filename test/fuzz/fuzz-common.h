/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the libFuzzer targets: the programs under test read files, so
 * each input is written to a scratch directory first.
 */
#ifndef KPATCH_FUZZ_COMMON_H
#define KPATCH_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* The per-process scratch directory (created on first use). */
const char *fuzz_dir(void);
/* fuzz_dir()/name, in a static buffer per slot (0..3). */
const char *fuzz_path(int slot, const char *name);
/* Write size bytes to path; aborts on an I/O error (not the input's fault). */
void fuzz_write_file(const char *path, const uint8_t *data, size_t size);
/* Silence the programs' own stdio messages; sanitizer reports still go to fd 2. */
void fuzz_quiet(void);

#endif
