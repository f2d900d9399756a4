/* The toy tree's stand-ins for the kernel headers livepatch-main.c uses. */
#ifndef _TOY_KERNEL_H
#define _TOY_KERNEL_H
typedef unsigned long size_t;
typedef _Bool bool;
#define NULL ((void *)0)
#define EINVAL 22
#define ENOMEM 12
#define GFP_KERNEL 0
#define __init
#define __exit
#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif
int printk(const char *fmt, ...);
#define pr_err(fmt, ...) printk(pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...) do { if (0) printk(pr_fmt(fmt), ##__VA_ARGS__); } while (0)
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return (unsigned long)ptr >= (unsigned long)-4095; }
#endif
