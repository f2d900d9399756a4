extern int printk(const char *fmt, ...);
/* dev_warn_once(): a call-site flag in the section __read_mostly names,
 * which the file's other __read_mostly variables share */
#define warn_once(x) ({ static _Bool __print_once __attribute__((section(".data..read_mostly"))); \
	if (!__print_once) { __print_once = 1; printk("once %d\n", x); } })
static int tunable __attribute__((section(".data..read_mostly"))) = 5;
int once_fn(int x) { warn_once(x); return x * 3; }
int tune_fn(int x) { warn_once(x); return x + tunable; }
