#!/usr/bin/env bash
# create-diff-object on small C programs cross-compiled for s390x the way
# kbuild compiles s390x kernel code (ftrace nop or brasl to __fentry__,
# expolines with their patch-site tables, -fPIE): what the kpatch-unit
# corpus does not cover. Needs s390x-linux-gnu-gcc (gcc-s390x-linux-gnu).
set -euo pipefail

build=${1:-${BUILD:-build}}
cdo=$(realpath "$build/create-diff-object/create-diff-object")
cc=${S390X_CC:-s390x-linux-gnu-gcc}
# shellcheck source-path=SCRIPTDIR source=cdo-case-helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/cdo-case-helpers.sh"
cross_case_setup gcc-s390x-linux-gnu

# arch/s390/Makefile's flags, as far as the differ cares; -mnop-mcount is
# added per case (kernels built by older compilers call __fentry__)
cflags=(-O2 -c -ffunction-sections -fdata-sections -pg -mfentry -mrecord-mcount -fPIE
	-march=z10 -mpacked-stack -mbackchain -msoft-float -fno-asynchronous-unwind-tables
	-fno-stack-protector -mindirect-branch=thunk-extern -mfunction-return=thunk-extern
	-mindirect-branch-table)


# run_case NAME EXPECTED-EXIT [extra gcc flags...]; sources in NAME.orig.c, NAME.patched.c
run_case() { run_cross_case 'IBM S/390' "$@"; }

# relocations of the output's section $1: "offset type symbol+addend" lines
relocs_of() {
	readelf -rW "$case.out.o" | awk -v sec="'.rela$1'" '
		/^Relocation section/ { on = ($3 == sec); next }
		on && $1 ~ /^[0-9a-f]+$/ { print $1, $3, $5 $6 $7 }'
}

# klp relocations of the report: "section symbol" lines
klp_relocs() {
	jq -r '.klp_relocations[] | "\(.section) \(.symbol)"' "$case.json"
}

# 1. A string literal changes (ftrace nop, brcl 0,0): one changed function,
#    its __mcount_loc record, the expoline patch sites of that function
#    only, the unchanged local helper through a klp relocation, thunks and
#    the exported printk through ordinary relocations.
cat >string.orig.c <<'C'
extern int printk(const char *fmt, ...);
static __attribute__((noinline)) int helper(int x) { return printk("helper %d\n", x); }
int show(int x, int (*f)(int)) { return helper(x) + f(x) + printk("value: %d\n", x); }
int other(int (*f)(int)) { return f(1); }
C
sed 's/value: /VALUE: /' string.orig.c >string.patched.c
if run_case string 0 -mnop-mcount && expect_funcs changed "show" && expect_funcs new ""; then
	sites=$(relocs_of .s390_indirect_call)
	if [[ $(relocs_of __mcount_loc) != "0000000000000000 R_390_64 show+0" ]]; then
		fail "__mcount_loc: {$(relocs_of __mcount_loc)}, expected one R_390_64 to show+0"
	elif [[ $(klp_relocs) != ".text.show helper" ]]; then
		fail "klp relocations {$(klp_relocs)}, expected helper's call in show only"
	elif [[ $(grep -c . <<<"$sites") != 1 || $sites != *" R_390_PC32 show+"* ]]; then
		fail ".s390_indirect_call {$sites}, expected show's one indirect call"
	elif [[ $(relocs_of .text.show) != *" R_390_PC32DBL __s390_indirect_jump_r"* ]]; then
		fail "show does not reach the expoline thunk through an ordinary relocation"
	elif [[ $'\n'$(llvm-objdump -d --triple=s390x string.out.o) != *$'\n       0: c0 04 00 00 00 00 '* ]]; then
		fail "the ftrace nop (brcl 0,0) of show is gone"
	else
		pass
	fi
fi

# 2. Without -mnop-mcount every function calls __fentry__ (brasl %r0):
#    still its ftrace call site, reached by an ordinary relocation.
cp string.orig.c fentry.orig.c
cp string.patched.c fentry.patched.c
if run_case fentry 0 && expect_funcs changed "show"; then
	if [[ $(relocs_of __mcount_loc) != "0000000000000000 R_390_64 show+0" ]]; then
		fail "__mcount_loc: {$(relocs_of __mcount_loc)}, expected one R_390_64 to show+0"
	elif [[ $'\n'$(relocs_of .text.show)$'\n' != *$'\n0000000000000002 R_390_PLT32DBL __fentry__+2\n'* ]]; then
		fail "the __fentry__ call lost its relocation: {$(relocs_of .text.show)}"
	elif [[ $(klp_relocs) == *__fentry__* ]]; then
		fail "__fentry__ became a klp relocation"
	else
		pass
	fi
fi

# 3. A changed notrace function has no ftrace call site: refused.
cat >notrace.orig.c <<'C'
__attribute__((no_instrument_function)) int quiet(int x) { return x + 1; }
C
sed 's/x + 1/x + 2/' notrace.orig.c >notrace.patched.c
if run_case notrace 2 -mnop-mcount; then
	if grep -q 'function quiet has no ftrace call site' notrace.stdout notrace.stderr; then
		pass
	else
		fail "the refusal does not name quiet's missing ftrace call site: $(cat notrace.stderr)"
	fi
fi

# 4. Taking the address of a function that changed too: larl (a PLT32DBL
#    relocation) points at the running kernel's copy through a klp
#    relocation, the call in show goes to the new copy.
cat >fptr.orig.c <<'C'
extern int printk(const char *fmt, ...);
int __attribute__((noinline)) helper(int x) { return printk("helper %d\n", x); }
int (*take(void))(int) { printk("take\n"); return helper; }
int show(int x) { return helper(x) + 1; }
C
sed 's/"helper /"HELPER /; s/"take/"TAKE/; s/ + 1;/ + 2;/' fptr.orig.c >fptr.patched.c
if run_case fptr 0 -mnop-mcount && expect_funcs changed "helper show take"; then
	if [[ $(klp_relocs) != ".text.take helper" ]]; then
		fail "klp relocations {$(klp_relocs)}, expected helper's address in take only"
	else
		pass
	fi
fi

# 5. __LINE__ moved, in every way gcc loads it: lghi (small), llill
#    (above 32767), lgfi (above 65535), into the second argument (%r3)
#    or the third (%r4), and printk formats that name a line: no change.
cat >line.orig.c <<'C'
extern void __might_sleep(const char *file, int line);
extern void __btrfs_abort_transaction(void *trans, const char *function, unsigned int line, int errno_);
extern int printk(const char *fmt, ...);
void near(void) { __might_sleep("line.c", __LINE__); }
void at_line(void) { printk("at line %d\n", __LINE__); }
void abort_it(void *t) { __btrfs_abort_transaction(t, __func__, __LINE__, -5); }
#line 40000
void far(void) { __might_sleep("line.c", __LINE__); }
#line 100000
void farther(void) { __might_sleep("line.c", __LINE__); }
C
{ printf '\n\n\n'; sed 's/^#line 40000/#line 40003/; s/^#line 100000/#line 100003/' line.orig.c; } >line.patched.c
run_case line 3 -mnop-mcount && pass

# 6. A changed constant where a line number could be is a change; so is a
#    line shift of another size than the function's other line numbers.
cat >limit.orig.c <<'C'
extern int printk(const char *fmt, ...);
extern void __might_sleep(const char *file, int line);
void show_limit(void) { printk("limit %d\n", 5); }
void two(void) { __might_sleep("a.c", __LINE__); __might_sleep("b.c", 40); }
C
{ echo; sed 's/, 5)/, 6)/; s/, 40)/, 42)/' limit.orig.c; } >limit.patched.c
run_case limit 0 -mnop-mcount && expect_funcs changed "show_limit two" && pass

echo "$passed passed, $failed failed"
((failed == 0))
