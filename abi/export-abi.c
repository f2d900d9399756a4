// SPDX-License-Identifier: GPL-2.0
/*
 * export-abi ORIG.o PATCHED.o SYMBOL...: whether each exported SYMBOL has
 * the same ABI in both objects, from their DWARF. kpatch-build asks it
 * about the exports whose modversions CRC a patch changes. One line per
 * symbol, in the order given, tab-separated:
 *	SYMBOL	same
 *	SYMBOL	differs	WHERE: WHAT
 *	SYMBOL	unknown	WHY		(no DWARF definition on a side)
 * Exit 0 if every symbol is the same, 1 if one differs or is unknown,
 * 2 on bad usage or an unreadable object (message on stderr).
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi-compare.h"
#include "structsize.h"

struct wanted {
	const char *name;
	Dwarf_Die die;
	bool found;
};

static int wanted_cmp(const void *a, const void *b)
{
	return strcmp(((const struct wanted *)a)->name, ((const struct wanted *)b)->name);
}

static int name_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct wanted *)elem)->name);
}

/*
 * The definitions of the wanted symbols (sorted by name): functions and
 * variables are children of their unit, so one pass over each unit's
 * top level finds them all.
 */
static int find_definitions(Dwarf *dwarf, struct wanted *wanted, size_t n)
{
	Dwarf_Off offset = 0, next;
	size_t header_size;

	while (dwarf_nextcu(dwarf, offset, &next, &header_size, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, child;
		int status;

		if (!dwarf_offdie(dwarf, offset + header_size, &cu))
			return -1;
		for (status = dwarf_child(&cu, &child); status == 0;
		     status = dwarf_siblingof(&child, &child)) {
			int tag = dwarf_tag(&child);
			Dwarf_Attribute attr;
			struct wanted *hit;
			const char *name;

			if ((tag != DW_TAG_subprogram && tag != DW_TAG_variable) ||
			    dwarf_hasattr(&child, DW_AT_declaration))
				continue;
			name = dwarf_formstring(dwarf_attr_integrate(&child, DW_AT_name, &attr));
			if (!name)
				continue;
			hit = bsearch(name, wanted, n, sizeof(*wanted), name_cmp);
			if (hit && !hit->found) {
				hit->die = child;
				hit->found = true;
			}
		}
		if (status < 0)
			return -1;
		offset = next;
	}
	return 0;
}

struct object {
	const char *path;
	Dwfl *dwfl;
	struct wanted *wanted;
};

static int open_object(struct object *obj, char **names, size_t n)
{
	char err[512];
	Dwarf *dwarf = dwarf_open_relocated(obj->path, &obj->dwfl, err, sizeof(err));

	if (!dwarf) {
		fprintf(stderr, "export-abi: %s\n", err);
		return -1;
	}
	obj->wanted = calloc(n, sizeof(*obj->wanted));
	if (!obj->wanted) {
		fprintf(stderr, "export-abi: out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		obj->wanted[i].name = names[i];
	qsort(obj->wanted, n, sizeof(*obj->wanted), wanted_cmp);
	if (find_definitions(dwarf, obj->wanted, n)) {
		fprintf(stderr, "export-abi: %s: cannot read its DWARF: %s\n", obj->path, dwarf_errmsg(-1));
		return -1;
	}
	return 0;
}

static struct wanted *lookup(struct object *obj, const char *name, size_t n)
{
	return bsearch(name, obj->wanted, n, sizeof(*obj->wanted), name_cmp);
}

int main(int argc, char **argv)
{
	struct object orig = { 0 }, patched = { 0 };
	size_t n = argc > 3 ? (size_t)argc - 3 : 0;
	int status = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: export-abi ORIG.o PATCHED.o SYMBOL...\n");
		return 2;
	}
	orig.path = argv[1];
	patched.path = argv[2];
	if (open_object(&orig, argv + 3, n) || open_object(&patched, argv + 3, n))
		status = 2;
	for (size_t i = 0; status != 2 && i < n; i++) {
		struct wanted *a = lookup(&orig, argv[3 + i], n);
		struct wanted *b = lookup(&patched, argv[3 + i], n);
		char why[4096];

		if (!a->found || !b->found) {
			printf("%s\tunknown\tno DWARF definition in %s\n", a->name,
			       a->found ? patched.path : orig.path);
			status = 1;
		} else if (abi_same(&a->die, &b->die, why, sizeof(why))) {
			printf("%s\tsame\n", a->name);
		} else {
			printf("%s\tdiffers\t%s\n", a->name, why);
			status = 1;
		}
	}
	free(orig.wanted);
	free(patched.wanted);
	if (orig.dwfl)
		dwfl_end(orig.dwfl);
	if (patched.dwfl)
		dwfl_end(patched.dwfl);
	if (fflush(stdout)) {
		perror("export-abi: stdout");
		return 2;
	}
	return status;
}
