/* SPDX-License-Identifier: GPL-2.0 */
/*
 * structsize: sizes of named structs from a file's DWARF, used to learn
 * the entry size of special sections (__bug_table, .altinstructions, ...)
 * for the exact kernel that was built.
 */
#ifndef KPATCH_LOOKUP_STRUCTSIZE_H
#define KPATCH_LOOKUP_STRUCTSIZE_H

#include <stddef.h>
#include <elfutils/libdwfl.h>

/*
 * The DWARF of an ELF file (relocations applied, for .o and .ko files),
 * never from separate debuginfo. Free with dwfl_end(*dwfl). NULL, with err
 * naming the file, if it can't be opened or has no DWARF.
 */
Dwarf *dwarf_open_relocated(const char *elf_path, Dwfl **dwfl, char *err, size_t errlen);

/*
 * For each names[i], sizes[i] = DW_AT_byte_size of the first complete
 * (non-declaration) struct of that name, or 0 if none. Returns 0, or -1
 * with err naming the file when it can't be opened or has no DWARF.
 * With KPATCH_STRUCT_SIZES_CACHE=DIR in the environment, answers are kept
 * in DIR per file identity and reused (structsize.c says how).
 */
int dwarf_struct_sizes(const char *elf_path, const char *const *names,
		       size_t n, unsigned long *sizes, char *err, size_t errlen);

#endif
