// SPDX-License-Identifier: GPL-2.0
#include "fuzz-common.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void remove_dir(void)
{
	nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_dir(void)
{
	if (!dir[0]) {
		const char *base = getenv("TMPDIR");

		/* /dev/shm keeps the per-input file writes off the disk */
		if (!base)
			base = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
		snprintf(dir, sizeof(dir), "%s/kpatch-fuzz.XXXXXX", base);
		if (!mkdtemp(dir)) {
			perror("kpatch fuzz: mkdtemp");
			abort();
		}
		atexit(remove_dir);
	}
	return dir;
}

const char *fuzz_path(int slot, const char *name)
{
	static char paths[4][512];

	snprintf(paths[slot], sizeof(paths[slot]), "%s/%s", fuzz_dir(), name);
	return paths[slot];
}

void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) {
		perror(path);
		abort();
	}
}

void fuzz_quiet(void)
{
	FILE *null;

	if (getenv("KPATCH_FUZZ_VERBOSE"))
		return;
	/*
	 * Only the stdio stream is replaced: error messages of rejected
	 * inputs would drown the fuzzer's output, while the sanitizers and
	 * libFuzzer write their reports to file descriptor 2 directly.
	 */
	null = fopen("/dev/null", "w");
	if (null) {
		stderr = null;
		stdout = null;
	}
}
