// SPDX-License-Identifier: GPL-2.0
/*
 * livepatch-main.c: the generic half of every kpatch-build livepatch module.
 *
 * The other half, output.o, is create-diff-object's output: the replacement
 * functions plus one struct kpatch_func_record per patched function in
 * .kpatch.funcs and the patch author's callbacks in .kpatch.callbacks.*.
 * livepatch.lds (passed to the composite-object link) brackets each of
 * those sections with a start and an end symbol; this file turns the
 * records into the klp_patch / klp_object / klp_func arrays the livepatch
 * core wants and enables the patch.
 */
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kpatch-format.h"

/*
 * Messages take the module's name from THIS_MODULE at run time, not from
 * KBUILD_MODNAME (through pr_fmt, or pr_debug's dynamic debug record): the
 * object then does not depend on the name, and build-module compiles it
 * once for modules of every name (lib-modlink.sh proves that first).
 */
#define lp_err(fmt, ...) pr_err("%s: " fmt, THIS_MODULE->name, ##__VA_ARGS__)

/* Atomic replace of earlier cumulative patches; build-module --no-replace sets 0. */
#ifndef KPATCH_REPLACE
#define KPATCH_REPLACE 1
#endif

/*
 * Make sure every bracketed section exists in this object, with SHF_ALLOC,
 * even when the patch has no records of that kind: the linker then always
 * emits an allocated (possibly empty) output section for the start/end
 * symbols to live in.
 */
#define KPATCH_DECLARE_SECTION(name)					\
	asm(".pushsection " name ", \"a\", @progbits\n\t"		\
	    ".balign 8\n\t"						\
	    ".popsection")

KPATCH_DECLARE_SECTION(KPATCH_FUNCS_SECTION);
KPATCH_DECLARE_SECTION(KPATCH_CALLBACK_PRE_PATCH);
KPATCH_DECLARE_SECTION(KPATCH_CALLBACK_POST_PATCH);
KPATCH_DECLARE_SECTION(KPATCH_CALLBACK_PRE_UNPATCH);
KPATCH_DECLARE_SECTION(KPATCH_CALLBACK_POST_UNPATCH);

/* Defined by livepatch.lds. */
extern const struct kpatch_func_record __kpatch_funcs[], __kpatch_funcs_end[];
extern const struct kpatch_callback_record
	__kpatch_callbacks_pre_patch[], __kpatch_callbacks_pre_patch_end[],
	__kpatch_callbacks_post_patch[], __kpatch_callbacks_post_patch_end[],
	__kpatch_callbacks_pre_unpatch[], __kpatch_callbacks_pre_unpatch_end[],
	__kpatch_callbacks_post_unpatch[], __kpatch_callbacks_post_unpatch_end[];

enum kpatch_cb_kind { CB_PRE_PATCH, CB_POST_PATCH, CB_PRE_UNPATCH, CB_POST_UNPATCH, CB_KINDS };

static const struct {
	const char *what;
	const struct kpatch_callback_record *start, *end;
} kpatch_cb_sections[CB_KINDS] = {
	[CB_PRE_PATCH]    = { "pre-patch",    __kpatch_callbacks_pre_patch,    __kpatch_callbacks_pre_patch_end },
	[CB_POST_PATCH]   = { "post-patch",   __kpatch_callbacks_post_patch,   __kpatch_callbacks_post_patch_end },
	[CB_PRE_UNPATCH]  = { "pre-unpatch",  __kpatch_callbacks_pre_unpatch,  __kpatch_callbacks_pre_unpatch_end },
	[CB_POST_UNPATCH] = { "post-unpatch", __kpatch_callbacks_post_unpatch, __kpatch_callbacks_post_unpatch_end },
};

static struct klp_patch kpatch_patch;

/* A NULL or "vmlinux" objname means the kernel proper: klp_object.name NULL. */
static const char *kpatch_klp_objname(const char *objname)
{
	return objname && strcmp(objname, "vmlinux") ? objname : NULL;
}

static bool kpatch_same_object(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static const char *kpatch_object_desc(const char *name)
{
	return name ? name : "vmlinux";
}

static void kpatch_free_objects(struct klp_object *objs)
{
	struct klp_object *obj;

	if (!objs)
		return;
	for (obj = objs; obj->funcs; obj++)
		kfree(obj->funcs);
	kfree(objs);
}

/* Index of the object named objname in objs[0..nr), or nr if absent. */
static size_t kpatch_find_object(struct klp_object *objs, size_t nr,
				 const char *objname)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (kpatch_same_object(objs[i].name, objname))
			break;
	return i;
}

static int kpatch_set_callback(struct klp_object *obj, enum kpatch_cb_kind kind,
			       void *fn)
{
	struct klp_callbacks *cb = &obj->callbacks;
	bool taken;

	switch (kind) {
	case CB_PRE_PATCH:
		taken = cb->pre_patch;
		cb->pre_patch = (int (*)(struct klp_object *))fn;
		break;
	case CB_POST_PATCH:
		taken = cb->post_patch;
		cb->post_patch = (void (*)(struct klp_object *))fn;
		break;
	case CB_PRE_UNPATCH:
		taken = cb->pre_unpatch;
		cb->pre_unpatch = (void (*)(struct klp_object *))fn;
		break;
	default:
		taken = cb->post_unpatch;
		cb->post_unpatch = (void (*)(struct klp_object *))fn;
		break;
	}
	if (taken) {
		lp_err("more than one %s callback for object %s\n",
		       kpatch_cb_sections[kind].what, kpatch_object_desc(obj->name));
		return -EINVAL;
	}
	return 0;
}

static struct klp_object *kpatch_build_objects(void)
{
	size_t nr_funcs = __kpatch_funcs_end - __kpatch_funcs;
	size_t nr_cbs = 0, nr_objs = 0, i, k;
	const struct kpatch_func_record *f;
	const struct kpatch_callback_record *cb;
	struct klp_object *objs;
	size_t *counts;
	int ret = -EINVAL;

	for (k = 0; k < CB_KINDS; k++)
		nr_cbs += kpatch_cb_sections[k].end - kpatch_cb_sections[k].start;
	if (!nr_funcs && !nr_cbs) {
		lp_err("no patched functions and no callbacks: nothing to do\n");
		return ERR_PTR(-EINVAL);
	}

	/* At most one object per record, plus the terminator. */
	objs = kcalloc(nr_funcs + nr_cbs + 1, sizeof(*objs), GFP_KERNEL);
	counts = kcalloc(nr_funcs + nr_cbs + 1, sizeof(*counts), GFP_KERNEL);
	if (!objs || !counts) {
		ret = -ENOMEM;
		goto err;
	}

	/* Objects in first-seen order: function records, then callbacks. */
	for (f = __kpatch_funcs; f < __kpatch_funcs_end; f++) {
		const char *name;

		if (!f->objname || !f->old_name || !f->new_func) {
			lp_err("malformed function record %zu (objname %s, old_name %s, new_func %s)\n",
			       (size_t)(f - __kpatch_funcs), f->objname ? "set" : "NULL",
			       f->old_name ? f->old_name : "NULL", f->new_func ? "set" : "NULL");
			goto err;
		}
		name = kpatch_klp_objname(f->objname);
		i = kpatch_find_object(objs, nr_objs, name);
		if (i == nr_objs)
			objs[nr_objs++].name = name;
		counts[i]++;
	}
	for (k = 0; k < CB_KINDS; k++) {
		for (cb = kpatch_cb_sections[k].start; cb < kpatch_cb_sections[k].end; cb++) {
			const char *name = kpatch_klp_objname(cb->objname);

			if (!cb->fn) {
				lp_err("malformed %s callback record for object %s\n",
				       kpatch_cb_sections[k].what, kpatch_object_desc(name));
				goto err;
			}
			i = kpatch_find_object(objs, nr_objs, name);
			if (i == nr_objs)
				objs[nr_objs++].name = name;
		}
	}

	/* Function arrays, each with a zeroed terminator. */
	for (i = 0; i < nr_objs; i++) {
		objs[i].funcs = kcalloc(counts[i] + 1, sizeof(struct klp_func), GFP_KERNEL);
		if (!objs[i].funcs) {
			ret = -ENOMEM;
			goto err;
		}
		counts[i] = 0;
	}
	for (f = __kpatch_funcs; f < __kpatch_funcs_end; f++) {
		struct klp_func *func;

		i = kpatch_find_object(objs, nr_objs, kpatch_klp_objname(f->objname));
		func = &objs[i].funcs[counts[i]++];
		func->old_name = f->old_name;
		func->new_func = (void *)f->new_func;
		func->old_sympos = f->sympos;
	}
	for (k = 0; k < CB_KINDS; k++) {
		for (cb = kpatch_cb_sections[k].start; cb < kpatch_cb_sections[k].end; cb++) {
			i = kpatch_find_object(objs, nr_objs, kpatch_klp_objname(cb->objname));
			ret = kpatch_set_callback(&objs[i], k, cb->fn);
			if (ret)
				goto err;
		}
	}

	kfree(counts);
	return objs;

err:
	kfree(counts);
	kpatch_free_objects(objs);
	return ERR_PTR(ret);
}

static int __init kpatch_livepatch_init(void)
{
	struct klp_object *objs;
	int ret;

	objs = kpatch_build_objects();
	if (IS_ERR(objs))
		return PTR_ERR(objs);

	kpatch_patch.mod = THIS_MODULE;
	kpatch_patch.objs = objs;
	kpatch_patch.replace = KPATCH_REPLACE;

	ret = klp_enable_patch(&kpatch_patch);
	if (ret) {
		kpatch_free_objects(objs);
		kpatch_patch.objs = NULL;
	}
	return ret;
}

/*
 * Only reachable once the livepatch core has disabled and released the
 * patch (it holds a module reference until then), so nothing still uses
 * the arrays.
 */
static void __exit kpatch_livepatch_exit(void)
{
	kpatch_free_objects(kpatch_patch.objs);
	kpatch_patch.objs = NULL;
}

module_init(kpatch_livepatch_init);
module_exit(kpatch_livepatch_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch module built by kpatch-build");
MODULE_INFO(livepatch, "Y");
