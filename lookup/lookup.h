/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lookup: resolve symbol names of a patched object against its parent
 * (vmlinux or a module), the way the kernel's livepatch core will resolve
 * them at load time: local symbols by file block and sympos, globals by
 * name, exported symbols through Module.symvers.
 */
#ifndef KPATCH_LOOKUP_H
#define KPATCH_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>

struct lookup_table;
/* One STT_FILE block of the parent's symbol table. */
struct lookup_file;

struct lookup_result {
	const char *objname;	/* "vmlinux" or the module name (- as _) */
	unsigned long addr;	/* 0 when only known from Module.symvers */
	unsigned long size;
	unsigned long sympos;	/* 0: unique name; N: Nth same-named local */
	bool global;
	bool exported;
};

/*
 * Open the parent's symbol table. symtab_path is either the text of
 * `readelf -s --wide PARENT` or the parent ELF file itself (vmlinux, .ko).
 * symvers_path may name an empty file. objname is "vmlinux" or the module
 * name. On failure returns NULL and writes one line (no newline) naming the
 * file and the problem into err.
 */
struct lookup_table *lookup_open(const char *symtab_path, const char *objname,
				 const char *symvers_path,
				 char *err, size_t errlen);
void lookup_close(struct lookup_table *table);

/* Name of the parent this table describes ("vmlinux" or a module name). */
const char *lookup_objname(const struct lookup_table *table);

/*
 * Find the parent's file block for one STT_FILE of the patched object:
 * same file name, and the same set of local FUNC/OBJECT names both ways
 * (names the linker may discard are ignored). locals may hold duplicates.
 * A parent without STT_FILE symbols has one anonymous block, matched when
 * it contains all of the object's local names (see
 * lookup_file_is_anonymous).
 * Returns 0 and sets *out; -1 with err filled when there is no match or
 * more than one.
 */
int lookup_match_file(struct lookup_table *table, const char *file,
		      const char *const *locals, size_t nlocals,
		      const struct lookup_file **out,
		      char *err, size_t errlen);

/*
 * A local symbol inside a matched file block. Fails for a name defined
 * more than once in the block: which one is meant cannot be known.
 */
bool lookup_local(const struct lookup_table *table,
		  const struct lookup_file *file, const char *name,
		  struct lookup_result *result);

/*
 * Whether file is the one anonymous block of a parent whose symbol table
 * has no STT_FILE symbol (a module stripped by its distribution). Such a
 * block holds the locals of every source file of the parent, and
 * lookup_match_file matches it when the object's locals are a subset.
 */
bool lookup_file_is_anonymous(const struct lookup_file *file);

/* Whether lookup_local fails for name because the block defines it twice. */
bool lookup_local_is_ambiguous(const struct lookup_table *table,
			       const struct lookup_file *file,
			       const char *name);

/*
 * A global (GLOBAL or WEAK, defined) symbol of the parent, else a symbol
 * exported by any object in Module.symvers (then objname is the exporter).
 */
bool lookup_global(const struct lookup_table *table, const char *name,
		   struct lookup_result *result);

/* The symbol namespace Module.symvers gives name's export, or NULL. */
const char *lookup_export_namespace(const struct lookup_table *table, const char *name);

/* Whether Module.symvers lists name; *objname is then the exporter. */
bool lookup_exported(const struct lookup_table *table, const char *name,
		     const char **objname);

#endif
