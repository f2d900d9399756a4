// SPDX-License-Identifier: GPL-2.0
/*
 * Where each function is declared (DW_AT_decl_line), from an object's own
 * DWARF: the line shift of a function between the original and the
 * patched object, which the __LINE__ heuristic then demands exactly.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdlib.h>
#include <string.h>

#include "cdo.h"
#include "structsize.h"
#include "util.h"

struct decl_line {
	char *name;
	long line;		/* 0: several definitions disagree */
	char *file;		/* NULL: unknown, or several disagree */
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct decl_line *)a)->name, ((const struct decl_line *)b)->name);
}

static void add_function(struct decl_lines *dl, size_t *cap, Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Word line;
	const char *name;

	if (dwarf_hasattr(die, DW_AT_declaration))
		return;
	name = dwarf_diename(die);
	if (!name || !dwarf_attr(die, DW_AT_decl_line, &attr) ||
	    dwarf_formudata(&attr, &line))
		return;
	if (dl->n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		dl->entries = xrealloc(dl->entries, *cap * sizeof(dl->entries[0]));
	}
	dl->entries[dl->n].name = xstrdup(name);
	dl->entries[dl->n].line = (long)line;
	dl->entries[dl->n].file = dwarf_decl_file(die) ? xstrdup(dwarf_decl_file(die)) : NULL;
	dl->n++;
}

int decl_lines_read(const char *path, struct decl_lines *dl, char *err, size_t errlen)
{
	Dwarf_CU *unit = NULL;
	Dwarf_Die unit_die, child;
	Dwarf *dwarf;
	Dwfl *dwfl;
	size_t cap = 0, out = 0;

	memset(dl, 0, sizeof(*dl));
	dwarf = dwarf_open_relocated(path, &dwfl, err, errlen);
	if (!dwarf)
		return -1;
	while (dwarf_get_units(dwarf, unit, &unit, NULL, NULL, &unit_die, NULL) == 0) {
		/* C functions are children of their unit */
		int status = dwarf_child(&unit_die, &child);

		while (status == 0) {
			if (dwarf_tag(&child) == DW_TAG_subprogram)
				add_function(dl, &cap, &child);
			status = dwarf_siblingof(&child, &child);
		}
	}
	dwfl_end(dwfl);
	if (!dl->n)
		return 0;
	qsort(dl->entries, dl->n, sizeof(dl->entries[0]), by_name);
	/* one entry per name; a name defined at two lines is unknown */
	for (size_t i = 0; i < dl->n; i++) {
		if (out && !strcmp(dl->entries[out - 1].name, dl->entries[i].name)) {
			struct decl_line *kept = &dl->entries[out - 1];

			if (kept->line != dl->entries[i].line)
				kept->line = 0;
			if (kept->file && (!dl->entries[i].file || strcmp(kept->file, dl->entries[i].file))) {
				free(kept->file);
				kept->file = NULL;
			}
			free(dl->entries[i].file);
			free(dl->entries[i].name);
			continue;
		}
		dl->entries[out++] = dl->entries[i];
	}
	dl->n = out;
	return 0;
}

/* The entry of a function symbol ("foo.isra.0" is foo's), or NULL. */
static const struct decl_line *decl_of(const struct decl_lines *dl, const char *symbol)
{
	struct decl_line key, *found;
	char *name;

	if (!dl->n)
		return NULL;
	name = xstrdup(symbol);
	name[strcspn(name, ".")] = '\0';
	key.name = name;
	found = bsearch(&key, dl->entries, dl->n, sizeof(dl->entries[0]), by_name);
	free(name);
	return found;
}

/* The declaration line of a function symbol, or 0. */
long decl_line_of(const struct decl_lines *dl, const char *symbol)
{
	const struct decl_line *found = decl_of(dl, symbol);

	return found ? found->line : 0;
}

/* The file (DW_AT_decl_file) of a function symbol, or NULL. */
const char *decl_file_of(const struct decl_lines *dl, const char *symbol)
{
	const struct decl_line *found = decl_of(dl, symbol);

	return found ? found->file : NULL;
}

void decl_lines_free(struct decl_lines *dl)
{
	for (size_t i = 0; i < dl->n; i++) {
		free(dl->entries[i].name);
		free(dl->entries[i].file);
	}
	free(dl->entries);
	memset(dl, 0, sizeof(*dl));
}
