#!/usr/bin/env bash
# create-diff-object on small C programs cross-compiled for ppc64le the way
# kbuild compiles ppc64le kernel code (ELFv2, -mprofile-kernel,
# -mcmodel=medium): what the kpatch-unit corpus does not cover, its objects
# having been built with kpatch's gcc plugin, which puts a nop after every
# call. Needs powerpc64le-linux-gnu-gcc (gcc-powerpc64le-linux-gnu).
set -euo pipefail

build=${1:-${BUILD:-build}}
cdo=$(realpath "$build/create-diff-object/create-diff-object")
cc=${PPC64LE_CC:-powerpc64le-linux-gnu-gcc}
# shellcheck source-path=SCRIPTDIR source=cdo-case-helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/cdo-case-helpers.sh"
cross_case_setup gcc-powerpc64le-linux-gnu

# arch/powerpc/Makefile's code model, ABI and ftrace flags
cflags=(-O2 -c -ffunction-sections -fdata-sections -pg -mprofile-kernel -mcmodel=medium
	-mabi=elfv2 -mtraceback=no -mno-prefixed -mno-pcrel
	-fno-asynchronous-unwind-tables -fno-stack-protector)

# the machine run_case (cdo-case-helpers.sh) expects of an output
machine=PowerPC64

# 1. The changed function calls a static helper, which calls another:
#    local calls have no nop after the bl for a module loader stub to
#    restore the TOC pointer in, so the helpers go with it, unchanged,
#    unpatched, local; the call through a nop to printk stays.
cat >ppclocal.orig.c <<'C'
extern int printk(const char *fmt, ...);
extern int a;
static __attribute__((noinline)) int leaf(int x) { return x * a; }
static __attribute__((noinline)) int helper(int x) { return printk("helper %d\n", leaf(x)); }
int show(int x) { return helper(x) + printk("value: %d\n", x); }
C
sed 's/value: /VALUE: /' ppclocal.orig.c >ppclocal.patched.c
if run_case ppclocal 0 && expect_funcs changed "show" && expect_funcs new "" &&
   expect_json 'unchanged function helper goes into the output: show reaches it' &&
   expect_json 'unchanged function leaf goes into the output: helper reaches it'; then
	if [[ $(readelf -sW ppclocal.out.o | awk '$4 == "FUNC" && $7 != "UND" { print $5, $NF }' |
		sort | tr '\n' ' ') != "LOCAL helper LOCAL leaf LOCAL show " ]] ||
	   grep -q '"symbol": "helper"' ppclocal.json; then
		fail "helper and leaf are not carried as local functions: $(readelf -sW ppclocal.out.o | grep FUNC)"
	else
		pass
	fi
fi

# 2. So does the static function a sibling call (b, not bl) goes to:
#    through a stub it would return with the module's TOC pointer.
cat >ppcsib.orig.c <<'C'
extern int a;
static __attribute__((noinline)) int helper(int x) { return x * a; }
int tail(int x) { return helper(x + 1); }
C
sed 's/x + 1/x + 2/' ppcsib.orig.c >ppcsib.patched.c
run_case ppcsib 0 && expect_funcs changed "tail" &&
	expect_json 'unchanged function helper goes into the output: tail reaches it' && pass

# 3. A call without a nop to a function of another object (hand
#    written) cannot be carried: refused.
cat >ppcasm.orig.c <<'C'
int counter;
void kick(int x)
{
counter += x;
asm volatile("bl ext_func" : : : "memory", "lr", "ctr", "r0", "r3", "r4", "r5", "r6",
	     "r7", "r8", "r9", "r10", "r11", "r12");
}
C
sed 's/counter += x;/counter += 2 * x;/' ppcasm.orig.c >ppcasm.patched.c
run_case ppcasm 2 && expect_json '"code": "arch-unsupported"' &&
	expect_json 'kick\+0x[0-9a-f]+: call to ext_func, which stays in the kernel, has no nop' &&
	[[ ! -e ppcasm.out.o ]] && pass

# 4. A new .toc entry moves every later one: the function whose entry
#    moved is unchanged; the output's .toc holds only the changed
#    function's two entries, and its loads are pointed at them.
cat >ppctoc.orig.c <<'C'
extern int a, b, c;
int f1(void) { return a; }
int f2(void) { return b; }
C
sed 's/return a;/return a + c;/' ppctoc.orig.c >ppctoc.patched.c
if run_case ppctoc 0 && expect_funcs changed "f1"; then
	if [[ $(readelf -SW ppctoc.out.o |
		sed -nE 's/.*\] \.toc +PROGBITS +[0-9a-f]+ [0-9a-f]+ ([0-9a-f]+) .*/\1/p') != 000010 ]] ||
	   [[ $(readelf -rW ppctoc.out.o | awk '/^Relocation section/ { t = /\.rela\.toc/; next }
		t && /R_PPC64_ADDR64/ { print $5 }' | tr '\n' ' ') != "a c " ]] ||
	   ! readelf -rW ppctoc.out.o | grep -q 'R_PPC64_TOC16_LO_DS *0* \.toc + 8$'; then
		fail "the output's .toc is not f1's two entries a, c: $(readelf -rW ppctoc.out.o | grep -A4 'rela.toc')"
	else
		pass
	fi
fi

# 5. Code moved down the file: only the li of __LINE__ into r4
#    (__might_sleep) and r5 (a "%s:%d" printk) differ: no change.
cat >ppcline.orig.c <<'C'
extern int printk(const char *fmt, ...);
extern void __might_sleep(const char *file, int line);
int slow(int x)
{
__might_sleep(__FILE__, __LINE__);
return printk("at %s:%d\n", __FILE__, __LINE__) + x;
}
C
{ echo; echo; cat ppcline.orig.c; } >ppcline.patched.c
run_case ppcline 3 && pass

# 6. ...but a li that is not a line number is a change.
cat >ppclimit.orig.c <<'C'
extern int printk(const char *fmt, ...);
int show_limit(void) { return printk("limit %d\n", 5); }
C
sed 's/, 5)/, 6)/' ppclimit.orig.c >ppclimit.patched.c
run_case ppclimit 0 && expect_funcs changed "show_limit" && pass

# 7. Big-endian ppc64 is another ABI (ELFv1 kernels): an error, not
#    a wrong output.
printf 'int f(int x) { return x + 1; }\n' >ppcbe.orig.c
printf 'int f(int x) { return x + 2; }\n' >ppcbe.patched.c
run_case ppcbe 1 -mbig-endian && grep -q 'ppcbe.orig.o: a big-endian ppc64 object' ppcbe.stderr &&
	[[ ! -e ppcbe.out.o ]] && pass

echo "$passed passed, $failed failed"
((failed == 0))
