/* SPDX-License-Identifier: GPL-2.0 */
/*
 * abi-compare: whether an exported function or variable has the same ABI
 * in two objects, from their DWARF (libdw). Used when a patch changes an
 * export's modversions CRC: genksyms hashes the declarations it sees, so
 * a new #include that completes a structure reached only through a
 * pointer changes the CRC although no caller could tell the difference.
 */
#ifndef KPATCH_ABI_COMPARE_H
#define KPATCH_ABI_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <elfutils/libdw.h>

/*
 * Compare the definitions orig and patched (DW_TAG_subprogram: return
 * and parameter types; DW_TAG_variable: its type), recursively through
 * every type they reach. True if the ABI is the same; otherwise false,
 * with why saying where the first difference is (the parameter or member
 * path and both sides).
 */
bool abi_same(Dwarf_Die *orig, Dwarf_Die *patched, char *why, size_t whylen);

#endif
