/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpatch-syscall.h: KPATCH_SYSCALL_DEFINE0..6, drop-in replacements for
 * SYSCALL_DEFINE0..6 in a patch that changes a system call (x86-64, Linux
 * 5.7 and later, checked against 6.1 and 6.12; s390x and ppc64 with the
 * pt_regs wrappers, checked against 6.12).
 *
 * Why: on x86-64, SYSCALL_DEFINEn(name, ...) with n >= 1 expands to
 *
 *	__x64_sys_name(regs)       the entry in the syscall table
 *	  -> __se_sys_name(long...)  sign-extends the arguments
 *	       -> __do_sys_name(...)   the body you wrote, "static inline"
 *
 * plus __ia32_sys_name with CONFIG_IA32_EMULATION (on s390x:
 * __s390x_sys_name(regs), and __s390_sys_name with CONFIG_COMPAT, over a
 * static inline __se_sys_name; on powerpc: sys_name(regs) over a static
 * __se_sys_name). The kernel's "inline"
 * implies notrace: if gcc does not inline __do_sys_name, the function the
 * patch changes has no ftrace call site and livepatch cannot redirect it.
 * Here the body gets a different name, __kpatch_do_sys_name. The wrappers
 * (real functions with an ftrace call site) now call or inline a function
 * the original kernel does not have, so the differ sees them as changed and
 * patches them, and it includes the body as a new function, which needs no
 * call site of its own.
 *
 * SYSCALL_DEFINE0 bodies are not inline (the stubs are aliases of them), so
 * they already have a call site; KPATCH_SYSCALL_DEFINE0 expands to exactly
 * what SYSCALL_DEFINE0 does and exists for symmetry.
 *
 * The syscall metadata (CONFIG_FTRACE_SYSCALLS) is generated as by
 * SYSCALL_DEFINEn, so it stays identical to the original's. x32 only has
 * separate entry points for COMPAT_SYSCALL_DEFINE, which is not covered.
 *
 * Include it after <linux/syscalls.h> in the patched file, or let it
 * include that itself:
 *
 *	-SYSCALL_DEFINE3(foo, int, a, ...)
 *	+#include "kpatch-syscall.h"
 *	+KPATCH_SYSCALL_DEFINE3(foo, int, a, ...)
 */
#ifndef KPATCH_SYSCALL_H
#define KPATCH_SYSCALL_H

#include <linux/syscalls.h>

#if defined(CONFIG_X86_64)
# if !defined(CONFIG_ARCH_HAS_SYSCALL_WRAPPER)
#  error "kpatch-syscall.h: this kernel has no pt_regs syscall wrappers (CONFIG_ARCH_HAS_SYSCALL_WRAPPER)"
# elif !defined(__X64_SYS_STUBx) || !defined(__IA32_SYS_STUBx) || !defined(__SYS_STUB0)
#  error "kpatch-syscall.h: unsupported asm/syscall_wrapper.h layout (needs Linux 5.7 or later)"
# endif
#elif defined(CONFIG_S390)
# if !defined(CONFIG_ARCH_HAS_SYSCALL_WRAPPER) || !defined(SC_S390_REGS_TO_ARGS)
#  error "kpatch-syscall.h: unsupported s390 asm/syscall_wrapper.h layout (needs the pt_regs wrappers)"
# endif
#elif defined(CONFIG_PPC64)
/* without the wrappers (CONFIG_COMPAT, SPU_BASE) sys_name is an alias */
# if !defined(CONFIG_ARCH_HAS_SYSCALL_WRAPPER) || !defined(SC_POWERPC_REGS_TO_ARGS)
#  error "kpatch-syscall.h: unsupported powerpc asm/syscall_wrapper.h layout (needs the pt_regs wrappers)"
# endif
#else
# error "kpatch-syscall.h: KPATCH_SYSCALL_DEFINEn is only implemented for x86-64, s390x and ppc64"
#endif

#define KPATCH_SYSCALL_DEFINE0(sname)	SYSCALL_DEFINE0(sname)

#define KPATCH_SYSCALL_DEFINE1(name, ...) KPATCH_SYSCALL_DEFINEx(1, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE2(name, ...) KPATCH_SYSCALL_DEFINEx(2, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE3(name, ...) KPATCH_SYSCALL_DEFINEx(3, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE4(name, ...) KPATCH_SYSCALL_DEFINEx(4, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE5(name, ...) KPATCH_SYSCALL_DEFINEx(5, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE6(name, ...) KPATCH_SYSCALL_DEFINEx(6, _##name, __VA_ARGS__)

#define KPATCH_SYSCALL_DEFINEx(x, sname, ...)					\
	SYSCALL_METADATA(sname, x, __VA_ARGS__)					\
	__KPATCH_SYSCALL_DEFINEx(x, sname, __VA_ARGS__)

/*
 * x86-64's and powerpc's static __se_sys<name>, which casts the arguments
 * and calls the renamed body, and the body's declaration; as the kernel's,
 * it is declared before the entry points that call it and defined after
 * them.
 */
#define __KPATCH_SE_SYS_DECL(x, name, ...)					\
	static long __se_sys##name(__MAP(x, __SC_LONG, __VA_ARGS__));		\
	static inline long							\
	__kpatch_do_sys##name(__MAP(x, __SC_DECL, __VA_ARGS__));
#define __KPATCH_SE_SYS_BODY(x, name, ...)					\
	static long __se_sys##name(__MAP(x, __SC_LONG, __VA_ARGS__))		\
	{									\
		long ret = __kpatch_do_sys##name(__MAP(x, __SC_CAST, __VA_ARGS__));\
										\
		__MAP(x, __SC_TEST, __VA_ARGS__);				\
		__PROTECT(x, ret, __MAP(x, __SC_ARGS, __VA_ARGS__));		\
		return ret;							\
	}

#if defined(CONFIG_X86_64)
/*
 * The stubs come from the kernel's own helpers (__X64_SYS_STUBx,
 * __IA32_SYS_STUBx), which call __se_sys<name>; only the innermost
 * function's name differs from the kernel's __SYSCALL_DEFINEx.
 */
#define __KPATCH_SYSCALL_DEFINEx(x, name, ...)					\
	__KPATCH_SE_SYS_DECL(x, name, __VA_ARGS__)				\
	__X64_SYS_STUBx(x, name, __VA_ARGS__)					\
	__IA32_SYS_STUBx(x, name, __VA_ARGS__)					\
	__KPATCH_SE_SYS_BODY(x, name, __VA_ARGS__)				\
	static inline long							\
	__kpatch_do_sys##name(__MAP(x, __SC_DECL, __VA_ARGS__))
#elif defined(CONFIG_PPC64)
/*
 * powerpc's __SYSCALL_DEFINEx (asm/syscall_wrapper.h) has no stub helper:
 * its one entry point, sys<name>(regs), is spelled out here as there.
 */
#define __KPATCH_SYSCALL_DEFINEx(x, name, ...)					\
	long sys##name(const struct pt_regs *regs);				\
	ALLOW_ERROR_INJECTION(sys##name, ERRNO);				\
	__KPATCH_SE_SYS_DECL(x, name, __VA_ARGS__)				\
	long sys##name(const struct pt_regs *regs)				\
	{									\
		return __se_sys##name(SC_POWERPC_REGS_TO_ARGS(x, __VA_ARGS__));	\
	}									\
	__KPATCH_SE_SYS_BODY(x, name, __VA_ARGS__)				\
	static inline long							\
	__kpatch_do_sys##name(__MAP(x, __SC_DECL, __VA_ARGS__))
#else
/*
 * s390's __SYSCALL_DEFINEx and __S390_SYS_STUBx (asm/syscall_wrapper.h)
 * call __do_sys<name> by name, so both are spelled out here, as there,
 * with only the innermost function renamed. One entry point: the traced
 * wrapper##name(regs) over a static inline se##name that casts each
 * argument with cast.
 */
#define __KPATCH_S390_ENTRY(x, wrapper, se, cast, name, ...)			\
	long wrapper##name(struct pt_regs *regs);				\
	ALLOW_ERROR_INJECTION(wrapper##name, ERRNO);				\
	static inline long se##name(__MAP(x, __SC_LONG, __VA_ARGS__));		\
	long wrapper##name(struct pt_regs *regs)				\
	{									\
		return se##name(SC_S390_REGS_TO_ARGS(x, __VA_ARGS__));		\
	}									\
	static inline long se##name(__MAP(x, __SC_LONG, __VA_ARGS__))		\
	{									\
		__MAP(x, __SC_TEST, __VA_ARGS__);				\
		return __kpatch_do_sys##name(__MAP(x, cast, __VA_ARGS__));	\
	}

# ifdef CONFIG_COMPAT
/* the 31-bit entry point */
#  define __KPATCH_S390_SYS_STUBx(x, name, ...)					\
	__KPATCH_S390_ENTRY(x, __s390_sys, ___se_sys, __SC_COMPAT_CAST, name, __VA_ARGS__)
# else
#  define __KPATCH_S390_SYS_STUBx(x, name, ...)
# endif

#define __KPATCH_SYSCALL_DEFINEx(x, name, ...)					\
	static inline long							\
	__kpatch_do_sys##name(__MAP(x, __SC_DECL, __VA_ARGS__));		\
	__KPATCH_S390_SYS_STUBx(x, name, __VA_ARGS__)				\
	__KPATCH_S390_ENTRY(x, __s390x_sys, __se_sys, __SC_CAST, name, __VA_ARGS__) \
	static inline long							\
	__kpatch_do_sys##name(__MAP(x, __SC_DECL, __VA_ARGS__))
#endif

#endif /* KPATCH_SYSCALL_H */
