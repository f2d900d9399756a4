#!/usr/bin/env bash
# Patches written for kpatch's kpatch-macros.h build unchanged with ours,
# and create-diff-object does with each marker what kpatch's did: sources
# in kpatch's style (patch_object, its callback typedefs and record types,
# markers with and without a semicolon, KPATCH_PRINTK_DEFERRED, shadow
# variables through the header's <linux/livepatch.h>) are compiled the way
# kbuild compiles the kernel, against small stand-ins for the kernel
# headers the macros use, and diffed with the real differ.
set -euo pipefail

build=${1:-${BUILD:-build}}
repo=$(cd "$(dirname "$0")/../.." && pwd)
cdo=$(realpath "$build/create-diff-object/create-diff-object")
# shellcheck source-path=SCRIPTDIR source=check-helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/check-helpers.sh"

mkdir -p stub/linux
cat >stub/linux/compiler.h <<'H'
#define __used __attribute__((__used__))
#define __aligned(x) __attribute__((__aligned__(x)))
#define __section(s) __attribute__((__section__(s)))
#define ___PASTE(a, b) a##b
#define __PASTE(a, b) ___PASTE(a, b)
#define __UNIQUE_ID(prefix) __PASTE(__PASTE(__UNIQUE_ID_, prefix), __COUNTER__)
#define NULL ((void *)0)
H
echo 'extern unsigned long volatile jiffies;' >stub/linux/jiffies.h
cat >stub/linux/printk.h <<'H'
int printk(const char *fmt, ...) __attribute__((__cold__));
int printk_deferred(const char *fmt, ...) __attribute__((__cold__));
H
cat >stub/linux/livepatch.h <<'H'
struct klp_object { const char *name; };
void *klp_shadow_get(void *obj, unsigned long id);
void *klp_shadow_get_or_alloc(void *obj, unsigned long id, unsigned long size,
			      unsigned int gfp, void *ctor, void *ctor_data);
void klp_shadow_free(void *obj, unsigned long id, void *dtor);
void klp_shadow_free_all(unsigned long id, void *dtor);
H
cat >stub/linux/static_call.h <<'H'
#define STATIC_CALL_KEY(name) __SCK__##name
#define STATIC_CALL_TRAMP(name) __SCT__##name
#define static_call_query(name) (STATIC_CALL_KEY(name).func)
H
cat >stub/linux/version.h <<'H'
#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))
#define LINUX_VERSION_CODE KERNEL_VERSION(6, 12, 0)
H
cat >stub/linux/syscalls.h <<'H'
#define _LINUX_SYSCALLS_H
#define CONFIG_X86_64 1
#define CONFIG_ARCH_HAS_SYSCALL_WRAPPER 1
#define __X64_SYS_STUBx(x, name, ...)
#define __IA32_SYS_STUBx(x, name, ...)
#define __SYS_STUB0(as, name)
H

cflags=(-O2 -c -ffunction-sections -fdata-sections -pg -mfentry -mrecord-mcount -fno-pie
	-mcmodel=kernel -mno-red-zone -fno-asynchronous-unwind-tables -fno-stack-protector
	-Wall -Werror -nostdinc -I"$work/stub" -I"$repo/include")

# compile NAME.c into NAME.o in DIR (both versions from one file name).
compile() {
	(cd "$1" && gcc "${cflags[@]}" -o "$2.o" "$2.c" 2>"$2.err")
}

mkdir -p orig patched
cat >orig/markers.c <<'C'
#include <linux/printk.h>

int table[2] = { 1, 2 };

int work(int x)
{
	return x + table[0];
}

int noisy(int x)
{
	return x * 2;
}

int busy(int x)
{
	return x - 3;
}
C
# kpatch's style: callbacks take patch_object *, records may be named by
# their kpatch types, one marker without a semicolon, shadow variables with
# the livepatch header the macros bring in.
cat >patched/markers.c <<'C'
#include <linux/printk.h>
#include "kpatch-macros.h"

#define SHADOW_ID 0x6b70746eUL

int table[2] = { 1, 3 };
KPATCH_IGNORE_SECTION(".data.table");

static int pre_patch_cb(patch_object *obj)
{
	KPATCH_PRINTK_DEFERRED("pre-patch %s\n", obj->name);
	return 0;
}
static void post_patch_cb(patch_object *obj) { KPATCH_PRINTK("post-patch\n"); }
static void pre_unpatch_cb(patch_object *obj) { KPATCH_PRINTK("pre-unpatch\n"); }
static void post_unpatch_cb(patch_object *obj) { klp_shadow_free_all(SHADOW_ID, NULL); }
KPATCH_PRE_PATCH_CALLBACK(pre_patch_cb);
KPATCH_POST_PATCH_CALLBACK(post_patch_cb)
KPATCH_PRE_UNPATCH_CALLBACK(pre_unpatch_cb);
KPATCH_POST_UNPATCH_CALLBACK(post_unpatch_cb);

static const kpatch_pre_patch_call_t typed_pre __used = pre_patch_cb;
static const struct kpatch_post_unpatch_callback typed_record __used = { .fn = post_unpatch_cb };

int work(int x)
{
	int *seen = klp_shadow_get_or_alloc(&table, SHADOW_ID, sizeof(*seen), 0, NULL, NULL);

	if (seen)
		(*seen)++;
	KPATCH_PRINTK("work %d\n", x);
	return x + table[0] + 1;
}

int noisy(int x)
{
	return x * 4;
}
KPATCH_IGNORE_FUNCTION(noisy);

int busy(int x)
{
	return x - 4;
}
KPATCH_FORCE_UNSAFE(busy)
C
if compile orig markers && compile patched markers; then
	pass
else
	fail "kpatch-style markers do not compile with -Wall -Werror: $(cat orig/markers.err patched/markers.err)"
	echo "$passed passed, $failed failed"
	exit 1
fi

readelf -sW orig/markers.o >markers.symtab
: >markers.symvers
status=0
JUMP_STRUCT_SIZE=16 "$cdo" --report markers.json orig/markers.o patched/markers.o vmlinux markers.symtab \
	markers.symvers test markers.out.o >markers.stdout 2>markers.stderr || status=$?
check "the differ accepts the patch (exit $status: $(cat markers.stderr))" test "$status" = 0
check "changed functions: work and busy; noisy ignored" \
	test "$(sed -n 's/^.*: changed function: //p' markers.stdout | sort | tr '\n' ' ')" = "busy work "
check "the callbacks are new functions" \
	test "$(sed -n 's/^.*: new function: //p' markers.stdout | sort | tr '\n' ' ')" = \
	"post_patch_cb post_unpatch_cb pre_patch_cb pre_unpatch_cb "
check "KPATCH_IGNORE_FUNCTION noted" grep -q 'ignoring function noisy (KPATCH_IGNORE_FUNCTION)' markers.json
check "KPATCH_IGNORE_SECTION noted (no data-changed refusal)" grep -q 'ignoring section .data.table (KPATCH_IGNORE_SECTION)' markers.json
check "KPATCH_FORCE_UNSAFE: the differ says it has no effect" grep -q 'KPATCH_FORCE_UNSAFE(busy) has no effect' markers.json
for kind in pre_patch post_patch pre_unpatch post_unpatch; do
	relas=$(readelf -rW markers.out.o | awk -v sec=".rela.kpatch.callbacks.$kind" '
		/^Relocation section/ { on = index($0, "'"'"'" sec "'"'"'") > 0; next }
		on && /R_X86_64_64/ { print $1, $5 }')
	check "$kind record: fn at +0 points at ${kind}_cb, objname at +8 into .kpatch.strings {$relas}" \
		grep -qzE "^0+ ${kind}_cb
0+8 \.kpatch\.strings
\$" <<<"$relas"
done
check "the records' object name is the parent, vmlinux" \
	test "$(readelf -p .kpatch.strings markers.out.o | sed -n 's/^ *\[ *0\] *//p')" = vmlinux
check "the marker sections are not carried into the output" \
	sh -c "! readelf -SW markers.out.o | grep -qE '\.kpatch\.(ignore|force)'"

# A callback of the wrong type is refused at compile time, naming it.
cat >patched/badtype.c <<'C'
#include "kpatch-macros.h"
static void wrong(patch_object *obj) { }
KPATCH_PRE_PATCH_CALLBACK(wrong);
C
if compile patched badtype; then
	fail "a void pre-patch callback compiled"
else
	check "wrong callback type: the error names the rule" \
		grep -q 'pre_patch callback wrong must be declared as int wrong(patch_object \*obj)' patched/badtype.err
fi

# genksyms (CONFIG_MODVERSIONS) preprocesses with -D__GENKSYMS__: then the
# header must define no kernel type, so exports keep their CRCs.
kernel_types() {
	gcc -E -P "$@" -nostdinc -Istub -I"$repo/include" patched/markers.c | grep -c 'struct klp_object {' || true
}
check "without __GENKSYMS__ the header brings in <linux/livepatch.h>" test "$(kernel_types)" = 1
check "with __GENKSYMS__ it defines no kernel type" test "$(kernel_types -D__GENKSYMS__)" = 0
check "with __GENKSYMS__ the markers still expand to records" \
	sh -c "gcc -E -P -D__GENKSYMS__ -nostdinc -Istub -I'$repo/include' patched/markers.c | grep -q 'struct kpatch_pre_patch_callback __UNIQUE_ID___kpatch_callback_pre_patch_'"

finish
