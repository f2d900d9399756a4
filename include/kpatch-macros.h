/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpatch-macros.h: markers a patch author can put into a kernel source patch
 * for kpatch-build. The macro names follow dynup/kpatch's, so patches
 * written for it keep building; the implementation is kpatch-build's own.
 *
 * Every marker is static data in a section create-diff-object recognises by
 * name (kpatch-format.h); the differ consumes it and does not copy it into
 * the livepatch module as it is. None of them adds code to the functions
 * around it except KPATCH_PRINTK, which is built not to move anything.
 *
 *   KPATCH_PRE_PATCH_CALLBACK(fn)     int  fn(struct klp_object *obj)
 *   KPATCH_POST_PATCH_CALLBACK(fn)    void fn(struct klp_object *obj)
 *   KPATCH_PRE_UNPATCH_CALLBACK(fn)   void fn(struct klp_object *obj)
 *   KPATCH_POST_UNPATCH_CALLBACK(fn)  void fn(struct klp_object *obj)
 *	Run fn around (un)patching of the object (vmlinux or module) whose
 *	source file contains the macro; see Documentation/livepatch/
 *	callbacks.rst. A failing pre-patch callback (nonzero) stops the
 *	object from being patched. At most one callback of each kind per
 *	object.
 *
 *   KPATCH_IGNORE_SECTION("name")     do not diff or include that section
 *   KPATCH_IGNORE_FUNCTION(fn)        fn's changes are not patched
 *   KPATCH_FORCE_UNSAFE(fn)           patch fn even though the differ
 *                                     considers it unsafe (you checked)
 *   KPATCH_PRINTK(fmt, ...)           printk() for debugging a patch
 *   KPATCH_STATIC_CALL(name)(args)    call a static call through its key
 *                                     (an ordinary indirect call): use it
 *                                     where the differ says a static_call()
 *                                     site can't be patched, e.g. because
 *                                     the key lives in a module
 */
#ifndef KPATCH_MACROS_H
#define KPATCH_MACROS_H

#include <linux/compiler.h>
#include <linux/jiffies.h>
#include <linux/printk.h>
#include <linux/static_call.h>

#include "kpatch-format.h"

struct klp_object;

/*
 * A callback record. The type check is a compile-time assertion only, so
 * it emits nothing; objname stays NULL and the differ fills it in.
 */
#define __KPATCH_CALLBACK(section, kind, _fn, ret)				\
	_Static_assert(__builtin_types_compatible_p(typeof(&_fn),		\
						    ret (*)(struct klp_object *)),\
		       #kind " callback " #_fn " must be declared as "		\
		       #ret " " #_fn "(struct klp_object *)");			\
	static const struct kpatch_callback_record				\
	__kpatch_callback_##kind##_##_fn __used __aligned(8)			\
	__section(section) = {							\
		.fn = (void *)(_fn),						\
		.objname = NULL,						\
	}

#define KPATCH_PRE_PATCH_CALLBACK(_fn)						\
	__KPATCH_CALLBACK(KPATCH_CALLBACK_PRE_PATCH, pre_patch, _fn, int)
#define KPATCH_POST_PATCH_CALLBACK(_fn)						\
	__KPATCH_CALLBACK(KPATCH_CALLBACK_POST_PATCH, post_patch, _fn, void)
#define KPATCH_PRE_UNPATCH_CALLBACK(_fn)					\
	__KPATCH_CALLBACK(KPATCH_CALLBACK_PRE_UNPATCH, pre_unpatch, _fn, void)
#define KPATCH_POST_UNPATCH_CALLBACK(_fn)					\
	__KPATCH_CALLBACK(KPATCH_CALLBACK_POST_UNPATCH, post_unpatch, _fn, void)

/* A pointer to the section's name: one relocation to a string. */
#define KPATCH_IGNORE_SECTION(_sec)						\
	static const char *const __UNIQUE_ID(__kpatch_ignore_section_)	\
	__used __aligned(8) __section(KPATCH_IGNORE_SECTIONS_SECTION) = (_sec)

/* A pointer to the function: one relocation to fn. */
#define KPATCH_IGNORE_FUNCTION(_fn)						\
	static void *const __kpatch_ignore_function_##_fn			\
	__used __aligned(8) __section(KPATCH_IGNORE_FUNCTIONS_SECTION) =	\
		(void *)(_fn)

#define KPATCH_FORCE_UNSAFE(_fn)						\
	static void *const __kpatch_force_unsafe_##_fn				\
	__used __aligned(8) __section(KPATCH_FORCE_SECTION) = (void *)(_fn)

/*
 * printk() is __cold: a plain call would let gcc move the surrounding code
 * into a .cold part or reorder blocks, changing far more of the function
 * than the one line. Behind a condition the compiler cannot evaluate
 * (jiffies is volatile) and cannot assume to be unlikely, the call is an
 * ordinary branch and the rest of the function keeps its layout.
 */
#define KPATCH_PRINTK(_fmt, ...)						\
do {										\
	if (jiffies)								\
		printk(_fmt, ##__VA_ARGS__);					\
} while (0)

/*
 * static_call(name)(args) emits a .static_call_sites entry the kernel would
 * process at module load, before livepatch can resolve a key that lives in
 * a module. This reads the key's current target instead and calls it
 * indirectly.
 */
#define KPATCH_STATIC_CALL(name)						\
	((typeof(&STATIC_CALL_TRAMP(name)))static_call_query(name))

#endif /* KPATCH_MACROS_H */
