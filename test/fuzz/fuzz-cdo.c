// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: create-diff-object end to end on a pair of objects.
 *
 * Input: a 4-byte little-endian length N, then N bytes of the original
 * object, then the patched object (the rest). The original also stands in
 * for the parent's symbol table, as in the corpus harness; Module.symvers
 * is empty. The differ's main() is compiled as cdo_main() for this.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz-common.h"

int cdo_main(int argc, char **argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* the corpus' x86_64 special-section entry sizes */
	static const char *const sizes[][2] = {
		{ "PARA_STRUCT_SIZE", "16" }, { "EX_STRUCT_SIZE", "12" },
		{ "BUG_STRUCT_SIZE", "12" }, { "ALT_STRUCT_SIZE", "13" },
		{ "JUMP_STRUCT_SIZE", "24" }, { "ORC_STRUCT_SIZE", "6" },
		{ "STATIC_CALL_STRUCT_SIZE", "8" }, { "PRINTK_INDEX_STRUCT_SIZE", "44" },
	};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		setenv(sizes[i][0], sizes[i][1], 1);
	fuzz_write_file(fuzz_path(0, "symvers"), NULL, 0);
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char orig[512], patched[512], symvers[512], out[512];
	char *argv[9];
	uint32_t n;

	if (size < 4)
		return 0;
	n = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
	    (uint32_t)data[3] << 24;
	if (n > size - 4)
		return 0;
	strcpy(orig, fuzz_path(0, "orig.o"));
	strcpy(patched, fuzz_path(1, "patched.o"));
	strcpy(symvers, fuzz_path(2, "symvers"));
	strcpy(out, fuzz_path(3, "out.o"));
	fuzz_write_file(orig, data + 4, n);
	fuzz_write_file(patched, data + 4 + n, size - 4 - n);

	argv[0] = "create-diff-object";
	argv[1] = orig;
	argv[2] = patched;
	argv[3] = "vmlinux";
	argv[4] = orig;
	argv[5] = symvers;
	argv[6] = "fuzz";
	argv[7] = out;
	argv[8] = NULL;
	optind = 0;	/* getopt starts afresh for every run */
	cdo_main(8, argv);
	return 0;
}
