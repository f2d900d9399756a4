// SPDX-License-Identifier: GPL-2.0
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "structsize.h"

struct size_search {
	const char *const *names;
	unsigned long *sizes;
	bool *found;
	size_t n;
	size_t remaining;
};

static void consider_struct(Dwarf_Die *die, struct size_search *search)
{
	const char *name;
	int size;
	size_t i;

	/* A forward declaration has no size; keep looking for the body. */
	if (dwarf_hasattr(die, DW_AT_declaration))
		return;
	name = dwarf_diename(die);
	if (!name)
		return;
	for (i = 0; i < search->n; i++) {
		if (search->found[i] || name[0] != search->names[i][0] ||
		    strcmp(name, search->names[i]))
			continue;
		size = dwarf_bytesize(die);
		if (size < 0)
			return;
		search->sizes[i] = size;
		search->found[i] = true;
		search->remaining--;
	}
}

/*
 * Named structs are children of the unit (C) or of a namespace (C++);
 * never descend into anything else, which is what keeps this fast on a
 * vmlinux with hundreds of MB of DWARF.
 */
static int walk_children(Dwarf_Die *parent, struct size_search *search)
{
	Dwarf_Die child;
	int status = dwarf_child(parent, &child);

	while (status == 0 && search->remaining) {
		int tag = dwarf_tag(&child);

		if (tag == DW_TAG_structure_type)
			consider_struct(&child, search);
		else if (tag == DW_TAG_namespace && walk_children(&child, search))
			return -1;
		status = dwarf_siblingof(&child, &child);
	}
	return status < 0 ? -1 : 0;
}

/* Only the file's own DWARF: never go looking for separate debuginfo. */
static int no_separate_debuginfo(Dwfl_Module *module, void **userdata,
				 const char *modname, Dwarf_Addr base,
				 const char *file_name,
				 const char *debuglink_file,
				 GElf_Word debuglink_crc, char **debuginfo_file)
{
	return -1;
}

static const Dwfl_Callbacks offline_callbacks = {
	.find_debuginfo = no_separate_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/*
 * Go through libdwfl rather than dwarf_begin(): in relocatable files (.o,
 * .ko) DWARF string and DIE offsets are only right after applying the
 * .rela.debug_* relocations, which libdwfl does and plain libdw does not.
 */
Dwarf *dwarf_open_relocated(const char *elf_path, Dwfl **dwflp, char *err, size_t errlen)
{
	Dwfl_Module *module;
	Dwarf_Addr bias;
	Dwarf *dwarf;
	Dwfl *dwfl;
	int fd;

	/* Checked here only for a plain errno message; libdwfl reopens it. */
	fd = open(elf_path, O_RDONLY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", elf_path, strerror(errno));
		return NULL;
	}
	close(fd);

	dwfl = dwfl_begin(&offline_callbacks);
	if (!dwfl) {
		snprintf(err, errlen, "%s: %s", elf_path, dwfl_errmsg(-1));
		return NULL;
	}
	module = dwfl_report_offline(dwfl, elf_path, elf_path, -1);
	if (!module || dwfl_report_end(dwfl, NULL, NULL)) {
		snprintf(err, errlen, "%s: cannot read as ELF: %s", elf_path,
			 dwfl_errmsg(-1));
		dwfl_end(dwfl);
		return NULL;
	}
	dwarf = dwfl_module_getdwarf(module, &bias);
	if (!dwarf) {
		snprintf(err, errlen, "%s: no DWARF debug info: %s", elf_path,
			 dwfl_errmsg(-1));
		dwfl_end(dwfl);
		return NULL;
	}
	*dwflp = dwfl;
	return dwarf;
}

/*
 * A vmlinux has hundreds of MB of DWARF, and a struct a kernel does not
 * define (another arch's entry type) costs a walk of every unit: about
 * 0.6 s, paid by each differ and verifier run of a fix. With
 * KPATCH_STRUCT_SIZES_CACHE=DIR, the sizes found for a file are kept in
 * DIR, one small text file per file identity (device, inode, size,
 * modification time), "NAME SIZE" per line, 0 for a struct the file does
 * not define. A replaced or rewritten file has a new identity, so a kept
 * answer is never used for other contents. The cache only saves time:
 * any problem with it means the DWARF is read.
 */
#define SIZE_CACHE_MAX 64
#define SIZE_CACHE_NAME 128

struct size_cache {
	char path[4096];
	size_t count;
	char names[SIZE_CACHE_MAX][SIZE_CACHE_NAME];
	unsigned long sizes[SIZE_CACHE_MAX];
};

static bool size_cache_open(struct size_cache *cache, const char *elf_path)
{
	const char *dir = getenv("KPATCH_STRUCT_SIZES_CACHE");
	char name[SIZE_CACHE_NAME], line[256];
	unsigned long size;
	struct stat st;
	int len;
	FILE *f;

	cache->count = 0;
	if (!dir || !*dir || stat(elf_path, &st))
		return false;
	len = snprintf(cache->path, sizeof(cache->path),
		       "%s/%" PRIx64 "-%" PRIx64 "-%" PRIx64 "-%" PRIx64 ".%09ld.sizes", dir,
		       (uint64_t)st.st_dev, (uint64_t)st.st_ino, (uint64_t)st.st_size,
		       (uint64_t)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
	if (len < 0 || (size_t)len >= sizeof(cache->path))
		return false;
	f = fopen(cache->path, "r");
	if (!f)
		return true;
	while (cache->count < SIZE_CACHE_MAX && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lu", name, &size) != 2)
			continue;
		strcpy(cache->names[cache->count], name);
		cache->sizes[cache->count++] = size;
	}
	fclose(f);
	return true;
}

static int size_cache_find(const struct size_cache *cache, const char *name)
{
	for (size_t i = 0; i < cache->count; i++)
		if (!strcmp(cache->names[i], name))
			return (int)i;
	return -1;
}

/* All of names[] known: sizes[] filled from the cache. */
static bool size_cache_lookup(const struct size_cache *cache, const char *const *names,
			      size_t n, unsigned long *sizes)
{
	for (size_t i = 0; i < n; i++) {
		int at = size_cache_find(cache, names[i]);

		if (at < 0)
			return false;
		sizes[i] = cache->sizes[at];
	}
	return true;
}

/* Keep what was read, with what the cache had; written whole, then renamed. */
static void size_cache_store(struct size_cache *cache, const char *const *names,
			     size_t n, const unsigned long *sizes)
{
	char tmp[sizeof(cache->path) + 32];
	FILE *f;

	for (size_t i = 0; i < n; i++) {
		int at = size_cache_find(cache, names[i]);

		if (at >= 0) {
			cache->sizes[at] = sizes[i];
		} else if (strlen(names[i]) < SIZE_CACHE_NAME && cache->count < SIZE_CACHE_MAX) {
			strcpy(cache->names[cache->count], names[i]);
			cache->sizes[cache->count++] = sizes[i];
		}
	}
	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", cache->path, (long)getpid()) >= (int)sizeof(tmp))
		return;
	f = fopen(tmp, "w");
	if (!f)
		return;
	for (size_t i = 0; i < cache->count; i++)
		fprintf(f, "%s %lu\n", cache->names[i], cache->sizes[i]);
	if (fclose(f) || rename(tmp, cache->path))
		unlink(tmp);
}

static int dwarf_struct_sizes_read(const char *elf_path, const char *const *names,
				   size_t n, unsigned long *sizes, char *err, size_t errlen);

int dwarf_struct_sizes(const char *elf_path, const char *const *names,
		       size_t n, unsigned long *sizes, char *err, size_t errlen)
{
	struct size_cache *cache = malloc(sizeof(*cache));
	bool cached = cache && size_cache_open(cache, elf_path);
	int rc;

	if (cached && size_cache_lookup(cache, names, n, sizes)) {
		free(cache);
		return 0;
	}
	rc = dwarf_struct_sizes_read(elf_path, names, n, sizes, err, errlen);
	if (rc == 0 && cached)
		size_cache_store(cache, names, n, sizes);
	free(cache);
	return rc;
}

static int dwarf_struct_sizes_read(const char *elf_path, const char *const *names,
				   size_t n, unsigned long *sizes, char *err, size_t errlen)
{
	bool found[n ? n : 1];
	struct size_search search = { names, sizes, found, n, n };
	Dwarf_CU *unit = NULL;
	Dwarf_Die unit_die;
	Dwarf *dwarf;
	Dwfl *dwfl;
	int result = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		sizes[i] = 0;
		found[i] = false;
	}
	dwarf = dwarf_open_relocated(elf_path, &dwfl, err, errlen);
	if (!dwarf)
		return -1;
	while (search.remaining) {
		int status = dwarf_get_units(dwarf, unit, &unit, NULL, NULL,
					     &unit_die, NULL);

		if (status > 0)
			break;
		if (status < 0 || walk_children(&unit_die, &search)) {
			snprintf(err, errlen, "%s: bad DWARF: %s", elf_path,
				 dwarf_errmsg(-1));
			result = -1;
			break;
		}
	}
	dwfl_end(dwfl);
	return result;
}
