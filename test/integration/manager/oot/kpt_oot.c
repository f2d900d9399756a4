// SPDX-License-Identifier: GPL-2.0
/*
 * A module built outside the kernel tree (make -C KERNEL M=DIR) for the
 * --oot-module case of the manager suite: /proc/kpt_oot says which
 * version of kpt_oot_show() runs; oot.patch changes its text.
 */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

static struct proc_dir_entry *kpt_oot_entry;

static int kpt_oot_show(struct seq_file *m, void *v)
{
	seq_puts(m, "kpt_oot: original\n");
	return 0;
}

static int __init kpt_oot_init(void)
{
	kpt_oot_entry = proc_create_single("kpt_oot", 0444, NULL, kpt_oot_show);
	return kpt_oot_entry ? 0 : -ENOMEM;
}

static void __exit kpt_oot_exit(void)
{
	proc_remove(kpt_oot_entry);
}

module_init(kpt_oot_init);
module_exit(kpt_oot_exit);
MODULE_DESCRIPTION("out-of-tree target module of the kpatch-build manager suite");
MODULE_LICENSE("GPL");
