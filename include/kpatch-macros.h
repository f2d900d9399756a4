/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpatch-macros.h: markers a patch author can put into a kernel source patch
 * for kpatch-build. The names, types and meanings follow dynup/kpatch's
 * header of the same name, so patches written for kpatch build unchanged;
 * the implementation is kpatch-build's own.
 *
 * Every marker is static data in a section create-diff-object recognises by
 * name (kpatch-format.h); the differ consumes it and does not copy it into
 * the livepatch module as it is. None of them adds code to the functions
 * around it except KPATCH_PRINTK, which is built not to move anything.
 * Each marker may be written with or without a trailing semicolon.
 *
 *   KPATCH_PRE_PATCH_CALLBACK(fn)     int  fn(patch_object *obj)
 *   KPATCH_POST_PATCH_CALLBACK(fn)    void fn(patch_object *obj)
 *   KPATCH_PRE_UNPATCH_CALLBACK(fn)   void fn(patch_object *obj)
 *   KPATCH_POST_UNPATCH_CALLBACK(fn)  void fn(patch_object *obj)
 *	Run fn around (un)patching of the object (vmlinux or module) whose
 *	source file contains the macro; see Documentation/livepatch/
 *	callbacks.rst. patch_object is struct klp_object. A failing
 *	pre-patch callback (nonzero) stops the object from being patched.
 *	At most one callback of each kind per object.
 *
 *   KPATCH_IGNORE_SECTION("name")     do not diff or include that section
 *   KPATCH_IGNORE_FUNCTION(fn)        fn's changes are not patched
 *   KPATCH_FORCE_UNSAFE(fn)           accepted; no effect with the kernel's
 *                                     livepatch consistency model (as in
 *                                     kpatch), the differ says so
 *   KPATCH_PRINTK(fmt, ...)           printk() for debugging a patch
 *   KPATCH_PRINTK_DEFERRED(fmt, ...)  printk_deferred(), likewise: for code
 *                                     that runs under the runqueue lock
 *   KPATCH_STATIC_CALL(name)(args)    call a static call through its key
 *                                     (an ordinary indirect call): use it
 *                                     where the differ says a static_call()
 *                                     site can't be patched, e.g. because
 *                                     the key lives in a module
 *
 * Like kpatch's, this header brings in <linux/livepatch.h> (shadow
 * variables: klp_shadow_alloc() and friends), <linux/version.h> and
 * kpatch-syscall.h (KPATCH_SYSCALL_DEFINEn).
 */
#ifndef KPATCH_MACROS_H
#define KPATCH_MACROS_H

#include <linux/compiler.h>
#ifdef __GENKSYMS__
/*
 * genksyms (CONFIG_MODVERSIONS) computes the CRCs of a unit's exports from
 * the types it sees; kpatch-build refuses a patch that changes one. Seen
 * from genksyms, this header therefore defines no kernel type.
 */
struct klp_object;
# ifdef _LINUX_SYSCALLS_H
#  include "kpatch-syscall.h"
# endif
#else
# include <linux/jiffies.h>
# include <linux/livepatch.h>
# include <linux/printk.h>
# include <linux/static_call.h>
# include <linux/version.h>
# include "kpatch-syscall.h"
#endif

#include "kpatch-format.h"

/* kpatch's spelling of __section() that works on every kernel version. */
#define __kpatch_section(section) __section(#section)

typedef struct klp_object patch_object;

typedef int (*kpatch_pre_patch_call_t)(patch_object *obj);
typedef void (*kpatch_post_patch_call_t)(patch_object *obj);
typedef void (*kpatch_pre_unpatch_call_t)(patch_object *obj);
typedef void (*kpatch_post_unpatch_call_t)(patch_object *obj);

/* One record per callback: struct kpatch_callback_record with a typed fn. */
struct kpatch_pre_patch_callback {
	kpatch_pre_patch_call_t fn;
	const char *objname;		/* filled in by create-diff-object */
};
struct kpatch_post_patch_callback {
	kpatch_post_patch_call_t fn;
	const char *objname;
};
struct kpatch_pre_unpatch_callback {
	kpatch_pre_unpatch_call_t fn;
	const char *objname;
};
struct kpatch_post_unpatch_callback {
	kpatch_post_unpatch_call_t fn;
	const char *objname;
};
#ifndef __GENKSYMS__
_Static_assert(sizeof(struct kpatch_pre_patch_callback) == sizeof(struct kpatch_callback_record),
	       "callback records must have the layout of kpatch-format.h's");
#endif

/*
 * A callback record. The type check is a compile-time assertion only, so
 * it emits nothing; objname stays NULL and the differ fills it in.
 * Like kpatch's, every marker ends with its own semicolon: the author's
 * own one after it is an empty declaration, which gcc accepts.
 */
#ifdef __GENKSYMS__
#define __KPATCH_CALLBACK_TYPE_CHECK(kind, _fn, ret)
#else
#define __KPATCH_CALLBACK_TYPE_CHECK(kind, _fn, ret)				\
	_Static_assert(__builtin_types_compatible_p(typeof(&*(_fn)),		\
						    ret (*)(patch_object *)),	\
		       #kind " callback " #_fn " must be declared as "		\
		       #ret " " #_fn "(patch_object *obj)");
#endif

#define __KPATCH_CALLBACK(section, kind, _fn, ret)				\
	__KPATCH_CALLBACK_TYPE_CHECK(kind, _fn, ret)				\
	static const struct kpatch_##kind##_callback				\
	__UNIQUE_ID(__kpatch_callback_##kind##_) __used __aligned(8)		\
	__section(section) = {							\
		.fn = (_fn),							\
		.objname = NULL,						\
	};

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
	__used __aligned(8) __section(KPATCH_IGNORE_SECTIONS_SECTION) = (_sec);

/* A pointer to the function: one relocation to fn. */
#define KPATCH_IGNORE_FUNCTION(_fn)						\
	static void *const __UNIQUE_ID(__kpatch_ignore_function_)		\
	__used __aligned(8) __section(KPATCH_IGNORE_FUNCTIONS_SECTION) =	\
		(void *)(_fn);

#define KPATCH_FORCE_UNSAFE(_fn)						\
	static void *const __UNIQUE_ID(__kpatch_force_unsafe_)			\
	__used __aligned(8) __section(KPATCH_FORCE_SECTION) = (void *)(_fn);

/*
 * printk() is __cold: a plain call would let gcc move the surrounding code
 * into a .cold part or reorder blocks, changing far more of the function
 * than the one line. Behind a condition the compiler cannot evaluate
 * (jiffies is volatile) and cannot assume to be unlikely, the call is an
 * ordinary branch and the rest of the function keeps its layout. A
 * statement expression, as kpatch's, so it fits wherever that one did.
 */
#define KPATCH_PRINTK(_fmt, ...)						\
({										\
	if (jiffies)								\
		printk(_fmt, ##__VA_ARGS__);					\
})

/* printk_deferred() only queues the message: safe under the runqueue lock. */
#define KPATCH_PRINTK_DEFERRED(_fmt, ...)					\
({										\
	if (jiffies)								\
		printk_deferred(_fmt, ##__VA_ARGS__);				\
})

/*
 * static_call(name)(args) emits a .static_call_sites entry the kernel would
 * process at module load, before livepatch can resolve a key that lives in
 * a module. This reads the key's current target instead and calls it
 * indirectly.
 */
#define KPATCH_STATIC_CALL(name)						\
	((typeof(&STATIC_CALL_TRAMP(name)))static_call_query(name))

#endif /* KPATCH_MACROS_H */
