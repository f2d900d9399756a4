#!/usr/bin/env bash
# create-diff-object on small C programs cross-compiled for arm64 the way
# kbuild compiles arm64 kernel code (patchable function entries with
# CALL_OPS, BTI and PAC, ADRP address pairs): what the kpatch-unit corpus
# does not cover. Needs aarch64-linux-gnu-gcc (gcc-aarch64-linux-gnu).
set -euo pipefail

build=${1:-${BUILD:-build}}
cdo=$(realpath "$build/create-diff-object/create-diff-object")
cc=${AARCH64_CC:-aarch64-linux-gnu-gcc}
# shellcheck source-path=SCRIPTDIR source=cdo-case-helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/cdo-case-helpers.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
passed=0
failed=0

machine=AArch64
require_compiler gcc-aarch64-linux-gnu

# arch/arm64/Makefile's flags, as far as the differ cares:
# DYNAMIC_FTRACE_WITH_CALL_OPS, BTI and pointer authentication
cflags=(-O2 -c -ffunction-sections -fdata-sections '-fpatchable-function-entry=4,2'
	-mbranch-protection=pac-ret+bti -fno-pie -mgeneral-regs-only
	-fno-asynchronous-unwind-tables -fno-stack-protector)

# the output's sections: "index name flags link" lines
sections() {
	readelf -SW "$case.out.o" | sed -nE 's/^ *\[ *([0-9]+)\] ([^ ]+) +[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +([A-Za-z]*) +([0-9]+) +[0-9]+ +[0-9]+$/\1 \2 \3 \4/p'
}

# the ftrace records of the output: "linked-section-name target" per
# record section, each linked (SHF_LINK_ORDER) to its function's section
pfe_records() {
	local links targets
	links=$(sections | awk '$2 == "__patchable_function_entries" { print ($3 ~ /L/) ? $4 : "unlinked" }')
	links=$(for l in $links; do sections | awk -v l="$l" '$1 == l { print $2 }'; done)
	targets=$(relocs_of __patchable_function_entries | awk '{ print $3 }')
	paste -d ' ' <(echo "$links") <(echo "$targets") | sort
}

# klp relocations of the report: "section symbol type addend" lines
klp_relocs() {
	jq -r '.klp_relocations[] | "\(.section) \(.symbol) \(.type) \(.addend)"' "$case.json"
}

# 1. One function of a section that holds several (__sched): only it is
#    carried; its BL to a neighbour, which the assembler resolved, gets a
#    CALL26 relocation, here a klp relocation to the running kernel's copy;
#    its ftrace record points at its CALL_OPS nops, 8 bytes before it.
cat >sched.orig.c <<'C'
extern int printk(const char *fmt, ...);
#define __sched __attribute__((noinline, section(".sched.text")))
static int __sched helper(int x) { return x * 3 + printk("h %d\n", x); }
int __sched sched_a(int x) { return helper(x) + 1; }
int __sched sched_b(int x) { return helper(x) + 2; }
C
sed 's/helper(x) + 2/helper(x) + 5/' sched.orig.c >sched.patched.c
if run_case sched 0 && expect_funcs changed "sched_b" && expect_funcs new ""; then
	if [[ $(klp_relocs) != ".sched.text.sched_b helper 283 0" ]]; then
		fail "klp relocations {$(klp_relocs)}, expected sched_b's CALL26 (283) to helper"
	elif [[ $(nm "$case.out.o" | awk '$2 ~ /^[tT]$/ { print $3 }') != sched_b ]]; then
		fail "text symbols {$(nm "$case.out.o" | awk '$2 ~ /^[tT]$/ { print $3 }' | tr '\n' ' ')}, expected sched_b only"
	elif [[ $(pfe_records) != ".sched.text.sched_b sched_b-8" ]]; then
		fail "ftrace records {$(pfe_records)}, expected one linked to .sched.text.sched_b, to sched_b-8 (its CALL_OPS nops)"
	else
		pass
	fi
fi

# 2. Without CALL_OPS the record points at the entry nops, past the BTI
#    landing pad; a notrace function (no record) is refused.
cat >entry.orig.c <<'C'
extern int printk(const char *fmt, ...);
int show(int x) { return printk("value: %d\n", x); }
C
sed 's/value: /VALUE: /' entry.orig.c >entry.patched.c
if run_case entry 0 '-fpatchable-function-entry=2' && expect_funcs changed "show"; then
	if [[ $(pfe_records) != ".text.show show+4" ]]; then
		fail "ftrace records {$(pfe_records)}, expected one linked to .text.show, to show+4 (after bti c)"
	else
		pass
	fi
fi
notrace_case '__attribute__((patchable_function_entry(0, 0)))'

# 3. The address of an unchanged function, built by ADRP + ADD: both
#    halves become klp relocations to the same symbol and addend, so the
#    pair still names one address.
cat >pair.orig.c <<'C'
extern int printk(const char *fmt, ...);
extern void run(int (*f)(int));
static int __attribute__((noinline)) helper(int x) { return printk("h %d\n", x); }
void take(void) { run(helper); printk("take\n"); }
int use(int x) { return helper(x); }
C
sed 's/"take/"TAKE/' pair.orig.c >pair.patched.c
if run_case pair 0 && expect_funcs changed "take"; then
	want=".text.take helper 275 0
.text.take helper 277 0"
	if [[ $(klp_relocs | sort) != "$want" ]]; then
		fail "klp relocations {$(klp_relocs | tr '\n' ';')}, expected helper's ADR_PREL_PG_HI21 (275) and ADD_ABS_LO12_NC (277), addend 0"
	else
		pass
	fi
fi

# 4. Mapping symbols travel with their sections: $x at the start of the
#    code, $d at the start of the strings.
if [[ -e pair.out.o ]]; then
	case=pair
	maps=$(readelf -sW pair.out.o | awk '$8 ~ /^\$[xd]$/ { print $2, $7, $8 }' | sort -u)
	text=$(sections | awk '$2 == ".text.take" { print $1 }')
	str=$(sections | awk '$2 ~ /^\.rodata.*str/ && !found { print $1; found = 1 }')
	if [[ $maps != *"0000000000000000 $text \$x"* || $maps != *"0000000000000000 $str \$d"* ]]; then
		fail "mapping symbols {${maps//$'\n'/;}}, expected \$x at 0 of .text.take ($text) and \$d at 0 of its strings ($str)"
	else
		pass
	fi
fi

# 5. __LINE__ moved: mov w1 (second argument) and mov w2 (third), with
#    callees that take a line there and printk formats that name one.
line_source
{ printf '\n\n\n'; sed 's/^#line 40000/#line 40003/' line.orig.c; } >line.patched.c
run_case line 3 && pass

# 6. A changed constant where a line number could be is a change; so is a
#    line shift of another size than the function's other line numbers.
# shellcheck disable=SC2119  # no flags to add on arm64
limit_case

echo "$passed passed, $failed failed"
((failed == 0))
