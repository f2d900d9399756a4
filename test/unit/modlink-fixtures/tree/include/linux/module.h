#ifndef _TOY_MODULE_H
#define _TOY_MODULE_H
struct module {
	char name[56];
};
extern struct module __this_module;
#define THIS_MODULE (&__this_module)
#define __MODINFO_ID(a, b) a##b
#define __MODINFO_NAME(line) __MODINFO_ID(__modinfo_, line)
#define MODULE_INFO(tag, info) \
	static const char __MODINFO_NAME(__LINE__)[] \
	__attribute__((section(".modinfo"), used, aligned(1))) = #tag "=" info
#define MODULE_LICENSE(l) MODULE_INFO(license, l)
#define MODULE_DESCRIPTION(d) MODULE_INFO(description, d)
#define module_init(fn) int init_module(void) __attribute__((alias(#fn)))
#define module_exit(fn) void cleanup_module(void) __attribute__((alias(#fn)))
#endif
