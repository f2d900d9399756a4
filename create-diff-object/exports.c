// SPDX-License-Identifier: GPL-2.0
/*
 * Exports: a livepatch replaces functions; it cannot change what the
 * kernel exports. Modules link against the running kernel's export table
 * (its .export_symbol records, before 6.5 its __ksymtab entries), which
 * the livepatch leaves as it is. So an export the patch adds, removes or
 * moves to another license or namespace is refused, naming the symbol,
 * with its own code; the export sections' other differences are only
 * layout (an added record shifts the next ones) and need nothing.
 */
#include <stdio.h>
#include <string.h>

#include "cdo.h"

#define EXPORT_RECORD_PREFIX "__export_symbol_"	/* 6.5+: in .export_symbol */
#define KSYMTAB_PREFIX "__ksymtab_"		/* before: in ___ksymtab[_gpl]+NAME */

struct export {
	const char *name;	/* the exported symbol */
	char license[64];	/* "GPL" or "" (6.5+); "gpl" or "" (before) */
	char ns[128];		/* its namespace (6.5+ only) */
};

/* The export SYM describes, or false if it describes none. */
static bool export_of(const struct symbol *sym, struct export *e)
{
	memset(e, 0, sizeof(*e));
	if (!sym->sec || sym->type == STT_SECTION)
		return false;
	if (!strncmp(sym->name, EXPORT_RECORD_PREFIX, strlen(EXPORT_RECORD_PREFIX)) &&
	    !strcmp(sym->sec->name, ".export_symbol")) {
		const struct section *sec = sym->sec;
		uint64_t off = sym->sym.st_value;
		size_t len;

		e->name = sym->name + strlen(EXPORT_RECORD_PREFIX);
		/* the record: the license string, then the namespace string */
		if (!sec->data || off >= sec->size)
			return true;
		len = strnlen((const char *)sec->data + off, sec->size - off);
		if (len < sizeof(e->license))
			memcpy(e->license, sec->data + off, len);
		off += len + 1;
		if (off < sec->size) {
			len = strnlen((const char *)sec->data + off, sec->size - off);
			if (len < sizeof(e->ns))
				memcpy(e->ns, sec->data + off, len);
		}
		return true;
	}
	if (!strncmp(sym->name, KSYMTAB_PREFIX, strlen(KSYMTAB_PREFIX)) &&
	    !strncmp(sym->sec->name, "___ksymtab", strlen("___ksymtab"))) {
		e->name = sym->name + strlen(KSYMTAB_PREFIX);
		if (!strncmp(sym->sec->name, "___ksymtab_gpl+", strlen("___ksymtab_gpl+")))
			strcpy(e->license, "gpl");
		return true;
	}
	return false;
}

/* The export of NAME in ELF, found through the symbol PREFIX NAME. */
static bool find_export(const struct elf *elf, const char *prefix, const char *name,
			struct export *e)
{
	char sym_name[512];

	if ((size_t)snprintf(sym_name, sizeof(sym_name), "%s%s", prefix, name) >= sizeof(sym_name))
		return false;
	for (struct symbol *s = elf_find_symbol(elf, sym_name); s; s = elf_find_symbol_next(elf, s))
		if (export_of(s, e))
			return true;
	return false;
}

static const char *license_word(const struct export *e)
{
	return e->license[0] ? "_GPL" : "";
}

/* Refuse each export in FROM that TO lacks (added when FROM is the patched
 * object) or describes differently (only checked when added is true, so
 * that a change is reported once). */
static void compare_exports(struct cdo_ctx *ctx, const struct elf *from, const struct elf *to,
			    bool added)
{
	for (size_t i = 1; i < from->nr_symbols; i++) {
		const struct symbol *sym = from->symbols[i];
		struct export e, other;
		const char *prefix;

		if (!export_of(sym, &e))
			continue;
		prefix = strncmp(sym->name, EXPORT_RECORD_PREFIX, strlen(EXPORT_RECORD_PREFIX)) ?
				 KSYMTAB_PREFIX : EXPORT_RECORD_PREFIX;
		if (!find_export(to, prefix, e.name, &other)) {
			if (added)
				result_add_func_refusal(ctx, R_EXPORT_ADDED, e.name,
					"the patch adds EXPORT_SYMBOL%s(%s): a livepatch cannot add an export (modules link against the running kernel's export table, which it does not change); if only the patch's own code calls %s, leave the EXPORT_SYMBOL line out of the patch you livepatch; a module that needs the new export needs a kernel update",
					license_word(&e), e.name, e.name);
			else
				result_add_func_refusal(ctx, R_EXPORT_REMOVED, e.name,
					"the patch removes EXPORT_SYMBOL%s(%s): a livepatch cannot take an export away (modules can still link to the running kernel's); keep the EXPORT_SYMBOL line in the patch you livepatch",
					license_word(&e), e.name);
		} else if (added && (strcmp(e.license, other.license) || strcmp(e.ns, other.ns))) {
			result_add_func_refusal(ctx, R_EXPORT_CHANGED, e.name,
				"the patch changes the export of %s (license \"%s\" -> \"%s\", namespace \"%s\" -> \"%s\"): a livepatch cannot change an export; keep the EXPORT_SYMBOL line as it was in the patch you livepatch",
				e.name, other.license, e.license, other.ns, e.ns);
		}
	}
}

void check_exports(struct cdo_ctx *ctx)
{
	compare_exports(ctx, ctx->patched, ctx->orig, true);
	compare_exports(ctx, ctx->orig, ctx->patched, false);
}

bool is_export_section(const struct section *sec)
{
	return !strcmp(sec->name, ".export_symbol") || !strncmp(sec->name, "__ksymtab", 9) ||
	       !strncmp(sec->name, "___ksymtab", 10) || !strncmp(sec->name, "__kcrctab", 9) ||
	       !strncmp(sec->name, "___kcrctab", 10);
}
