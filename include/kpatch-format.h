/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The records create-diff-object writes and the livepatch module reads.
 * Shared by the differ (user space), create-klp-module (user space) and the
 * generated module's init code (kernel space), so only plain C types.
 *
 * Every pointer field is filled by an absolute 64-bit relocation, so the
 * records survive `ld -r` and the kbuild module link unchanged.
 */
#ifndef KPATCH_FORMAT_H
#define KPATCH_FORMAT_H

/*
 * One patched function: the kernel's struct klp_func, flattened.
 * .kpatch.funcs and .kpatch.callbacks.* must be SHF_ALLOC PROGBITS of
 * whole, 8-aligned records: the module template's livepatch.lds brackets
 * each section with __kpatch_<name> / __kpatch_<name>_end symbols and
 * livepatch-main.c walks the records between them at module init.
 * A record's objname is "vmlinux" or the module name as the kernel knows
 * it ('_', not '-'); all records of one objname form one klp_object.
 */
#define KPATCH_FUNCS_SECTION	".kpatch.funcs"
struct kpatch_func_record {
	unsigned long new_func;		/* address of the replacement */
	unsigned long sympos;		/* 0: unique name in objname */
	const char *old_name;		/* in .kpatch.strings */
	const char *objname;		/* "vmlinux" or the module name */
};

/* Strings the records point at (NUL-separated, de-duplicated). */
#define KPATCH_STRINGS_SECTION	".kpatch.strings"

/*
 * Callbacks declared with KPATCH_*_CALLBACK() in kpatch-macros.h. The patch
 * source leaves objname NULL; create-diff-object fills it with the parent.
 */
#define KPATCH_CALLBACK_PRE_PATCH	".kpatch.callbacks.pre_patch"
#define KPATCH_CALLBACK_POST_PATCH	".kpatch.callbacks.post_patch"
#define KPATCH_CALLBACK_PRE_UNPATCH	".kpatch.callbacks.pre_unpatch"
#define KPATCH_CALLBACK_POST_UNPATCH	".kpatch.callbacks.post_unpatch"
struct kpatch_callback_record {
	void *fn;			/* int (*)(struct klp_object *) or void (*)(...) */
	const char *objname;
};

/* Markers from kpatch-macros.h, consumed by create-diff-object. */
#define KPATCH_IGNORE_SECTIONS_SECTION	".kpatch.ignore.sections"
#define KPATCH_IGNORE_FUNCTIONS_SECTION	".kpatch.ignore.functions"
#define KPATCH_FORCE_SECTION		".kpatch.force"

/*
 * A reference the module loader cannot resolve is left in the differ's
 * output as an ordinary relocation against an undefined weak symbol named
 *   .klp.sym.<objname>.<symbol>,<sympos>
 * (weak, so modpost does not complain). create-klp-module, run on the
 * linked .ko, moves each such relocation into a .klp.rela.<objname>.<section>
 * section (SHF_RELA_LIVEPATCH) and marks the symbol SHN_LIVEPATCH: the
 * kernel's livepatch ELF format (Documentation/livepatch/module-elf-format.rst).
 */
#define KLP_SYM_PREFIX		".klp.sym."
#define KLP_RELA_PREFIX		".klp.rela."
#define KPATCH_SHF_RELA_LIVEPATCH	0x00100000
#define KPATCH_SHN_LIVEPATCH		0xff20

#endif
