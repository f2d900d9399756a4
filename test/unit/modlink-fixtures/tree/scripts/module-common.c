#include <linux/module.h>
MODULE_INFO(retpoline, "Y");
