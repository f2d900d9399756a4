extern int printk(const char *fmt, ...);
/* include/linux/module.h's MODULE_ALIAS: a .modinfo string named with
 * __COUNTER__, so a patch that uses the counter earlier in the file
 * (rcu_dereference_check's __UNIQUE_ID(rcu)) renames every later one */
#define ___PASTE(a, b) a##b
#define __PASTE(a, b) ___PASTE(a, b)
#define __UNIQUE_ID(prefix) __PASTE(__PASTE(__UNIQUE_ID_, prefix), __COUNTER__)
#define MODULE_INFO(tag, info) static const char __UNIQUE_ID(tag)[] \
	__attribute__((used, section(SECTION), aligned(1))) = #tag "=" info
#define MODULE_ALIAS(_alias) MODULE_INFO(alias, _alias)
#ifndef SECTION
#define SECTION ".modinfo"
#endif
/* COUNTER_USE */
int lookup_fn(int x) { return x * 3; }
MODULE_ALIAS("nfnetlink-subsys-1");
MODULE_ALIAS("nfnetlink-subsys-100");
MODULE_INFO(description, "conntrack netlink");
