extern int printk(const char *fmt, ...);
/* include/asm-generic/bug.h's WARN_ON_ONCE (DO_ONCE_LITE_IF): one flag per
 * call site, all of a file's in the one section .data..once */
#define warn_on_once(cond) ({ static _Bool __already_done __attribute__((section(".data..once"))); \
	int __c = !!(cond); \
	if (__c && !__already_done) { __already_done = 1; printk("WARNING at %s\n", __func__); } \
	__c; })
/* OTHER_DATA */
int join_fn(int x) { warn_on_once(x < 0); return x * 3; }
int drop_fn(int x) { warn_on_once(x > 100); return x + 1; }
int close_fn(int x) { warn_on_once(x == 7); return x - 1; }
