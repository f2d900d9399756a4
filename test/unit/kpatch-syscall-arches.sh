#!/usr/bin/env bash
# include/kpatch-syscall.h on each architecture it supports: a
# KPATCH_SYSCALL_DEFINE2 compiles (-Werror) against small stand-ins for the
# kernel's syscall macros, defines the entry point the architecture's
# syscall table calls (x86-64 __x64_sys_<name>, s390x __s390x_sys_<name>,
# powerpc sys_<name>, each declared by the test with the kernel's prototype
# first, so a different signature fails), and no __do_sys_<name> (the body
# is renamed, so the differ sees the entry as changed). On x86-64 the entry
# is also run: it must pass the register arguments to the body. An
# unsupported layout or architecture is an #error naming the header. The
# real kernels' expansion is what the integration suites' `syscall` patch
# checks in booted guests.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=check-helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/check-helpers.sh"

# Stand-ins for include/linux/syscalls.h and the architectures'
# asm/syscall_wrapper.h helpers, reduced to what the header uses; the
# CONFIG_ symbols come from the compiler's command line.
mkdir -p stub/linux
cat >stub/linux/syscalls.h <<'H'
#ifndef _LINUX_SYSCALLS_H
#define _LINUX_SYSCALLS_H
struct pt_regs { unsigned long gpr[9]; unsigned long di, si, dx, orig_gpr2; };
#define __MAP1(m, t, a, ...) m(t, a)
#define __MAP2(m, t, a, ...) m(t, a), __MAP1(m, __VA_ARGS__)
#define __MAP(n, ...) __MAP##n(__VA_ARGS__)
#define __SC_DECL(t, a) t a
#define __SC_LONG(t, a) long a
#define __SC_CAST(t, a) (t)a
#define __SC_COMPAT_CAST(t, a) (t)(unsigned int)a
#define __SC_ARGS(t, a) a
#define __SC_TEST(t, a) (void)0
#define __PROTECT(...)
#define SYSCALL_METADATA(sname, nb, ...)
#define ALLOW_ERROR_INJECTION(fname, etype)
#define SYSCALL_DEFINE0(sname) long sys_##sname(void)
#ifdef CONFIG_X86_64
# define SC_X86_64_REGS_TO_ARGS(x, ...) __MAP(x, __SC_ARGS, , regs->di, , regs->si)
# define __X64_SYS_STUBx(x, name, ...)					\
	long __x64_sys##name(const struct pt_regs *regs)		\
	{								\
		return __se_sys##name(SC_X86_64_REGS_TO_ARGS(x, __VA_ARGS__)); \
	}
# define __IA32_SYS_STUBx(x, name, ...)
# define __SYS_STUB0(as, name)
#endif
#ifdef CONFIG_S390
# define SC_S390_REGS_TO_ARGS(x, ...) __MAP(x, __SC_ARGS, , regs->orig_gpr2, , regs->gpr[3])
#endif
#if defined(CONFIG_PPC64) && !defined(NO_PPC_WRAPPER)
# define SC_POWERPC_REGS_TO_ARGS(x, ...) __MAP(x, __SC_ARGS, , regs->gpr[3], , regs->gpr[4])
#endif
#endif
H

# The entry point's prototype as each kernel declares it.
entry_decl() {
	case $1 in
	x86_64) echo 'long __x64_sys_addmul(const struct pt_regs *regs);' ;;
	s390x) echo 'long __s390x_sys_addmul(struct pt_regs *regs);' ;;
	ppc64le) echo 'long sys_addmul(const struct pt_regs *regs);' ;;
	esac
}
entry_name() {
	case $1 in
	x86_64) echo __x64_sys_addmul ;;
	s390x) echo __s390x_sys_addmul ;;
	ppc64le) echo sys_addmul ;;
	esac
}
# compiler and CONFIG_ flags per architecture
arch_cc() {
	case $1 in
	x86_64) echo "gcc -DCONFIG_X86_64" ;;
	s390x) echo "s390x-linux-gnu-gcc -DCONFIG_S390" ;;
	ppc64le) echo "powerpc64le-linux-gnu-gcc -DCONFIG_PPC64" ;;
	esac
}

# write_source ARCH FILE: a system call of two arguments in kpatch's style
write_source() {
	cat >"$2" <<C
#include <linux/syscalls.h>
$(entry_decl "$1")
#include "kpatch-syscall.h"

KPATCH_SYSCALL_DEFINE2(addmul, int, a, long, b)
{
	return a * 10 + b;
}
C
}

# compile ARCH SRC OBJ [EXTRA-FLAGS...]: errors to OBJ.err
compile() {
	local arch=$1 src=$2 obj=$3 cc
	shift 3
	read -ra cc <<<"$(arch_cc "$arch")"
	"${cc[@]}" -DCONFIG_ARCH_HAS_SYSCALL_WRAPPER "$@" -O2 -c -Wall -Werror \
		-I"$work/stub" -I"$repo/include" -o "$obj" "$src" 2>"$obj.err"
}

# symbols OBJ ARCH: "TYPE NAME" lines of the object's symbol table
symbols() {
	local nm=nm
	[[ $2 == x86_64 ]] || nm=${2/ppc64le/powerpc64le}-linux-gnu-nm
	"$nm" "$1" | awk '{ print $(NF - 1), $NF }'
}

for arch in x86_64 s390x ppc64le; do
	read -r cc _ <<<"$(arch_cc "$arch")"
	if ! command -v "$cc" >/dev/null; then
		fail "$arch: compiler $cc not installed"
		continue
	fi
	write_source "$arch" "$arch.c"
	if ! compile "$arch" "$arch.c" "$arch.o"; then
		fail "$arch: KPATCH_SYSCALL_DEFINE2 does not compile: $(cat "$arch.o.err")"
		continue
	fi
	pass
	entry=$(entry_name "$arch")
	check "$arch: $entry is not a global function" grep -qx "T $entry" <(symbols "$arch.o" "$arch")
	check "$arch: the kernel's __do_sys_addmul is still there" \
		fails grep -q ' __do_sys_addmul$' <(symbols "$arch.o" "$arch")
done

# x86-64 runs here: the entry passes di and si to the body
cat >run.c <<'C'
#include <stdio.h>
struct pt_regs { unsigned long gpr[9]; unsigned long di, si, dx, orig_gpr2; };
long __x64_sys_addmul(const struct pt_regs *regs);
int main(void)
{
	struct pt_regs regs = { .di = 4, .si = 2 };

	printf("%ld\n", __x64_sys_addmul(&regs));
	return 0;
}
C
if gcc -o run run.c x86_64.o 2>run.err; then
	check "x86_64: the entry returned '$(./run)', not 42" test "$(./run)" = 42
else
	fail "x86_64: the test program does not link: $(cat run.err)"
fi

# refused: powerpc without the pt_regs wrappers, an architecture without support
write_source ppc64le nowrap.c
check "ppc64le without the wrappers compiled" fails compile ppc64le nowrap.c nowrap.o -DNO_PPC_WRAPPER
check "ppc64le without the wrappers: no #error naming the layout" \
	grep -q 'kpatch-syscall.h: unsupported powerpc asm/syscall_wrapper.h layout' nowrap.o.err
printf '#include <linux/syscalls.h>\n#include "kpatch-syscall.h"\n' >other.c
check "an unsupported architecture compiled" \
	fails gcc -c -I"$work/stub" -I"$repo/include" -o other.o other.c 2>other.err
check "an unsupported architecture: no #error naming the supported ones" \
	grep -q 'only implemented for x86-64, s390x and ppc64' other.err

finish
