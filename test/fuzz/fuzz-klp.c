// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: create-klp-module on one linked module (the input).
 * Its main() is compiled as cklp_main() for this.
 */
#include <getopt.h>
#include <string.h>

#include "fuzz-common.h"

int cklp_main(int argc, char **argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[512], out[512];
	char *argv[4];

	strcpy(in, fuzz_path(0, "in.ko"));
	strcpy(out, fuzz_path(1, "out.ko"));
	fuzz_write_file(in, data, size);
	argv[0] = "create-klp-module";
	argv[1] = in;
	argv[2] = out;
	argv[3] = NULL;
	optind = 0;
	cklp_main(3, argv);
	return 0;
}
