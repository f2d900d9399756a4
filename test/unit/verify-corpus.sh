#!/usr/bin/env bash
# kpatch-verify over every x86_64, s390x and ppc64le corpus case create-diff-object
# produces output for (run the way test/corpus/run-corpus runs the differ),
# the corpus' known-wrong differ outputs, and faults injected into good
# outputs: each must be caught by the check that names it.
set -euo pipefail

build=${1:-${BUILD:-build}}
cdo=$(realpath "$build/create-diff-object/create-diff-object")
verify=$(realpath "$build/verify/kpatch-verify")
mutate=$(realpath "$build/test/unit/verify-mutate")
corpus=${KPATCH_CORPUS:-../shared/corpus/kpatch-unit}
arch=x86_64	# the corpus folder differ, run_verify and inject read
dir=$(realpath "$corpus")/$arch
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >"$work/empty.symvers"
passed=0
failed=0

pass() { passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

env_of() { awk -F'\t' -v a="$arch" -v c="$1" '$1 == a && $2 == c { print $8 }' "$corpus/expected.tsv"; }

# differ CASE [VAR=VALUE...]: the differ's output for a case, in $work/CASE.o
differ() {
	local name=$1
	shift
	readelf -s --wide "$dir/$name.ORIG.o" >"$work/$name.symtab"
	# shellcheck disable=SC2046  # the env column is a list of VAR=VALUE words
	env $(env_of "$name") "$@" "$cdo" "$dir/$name.ORIG.o" "$dir/$name.PATCHED.o" vmlinux \
		"$work/$name.symtab" "$work/empty.symvers" "test-$name" "$work/$name.o" >/dev/null 2>&1
}

# run_verify CASE MODULE [VAR=VALUE...]: status in $status, output in $work/out
run_verify() {
	local name=$1 module=$2
	shift 2
	status=0
	# shellcheck disable=SC2046
	env $(env_of "$name") "$@" "$verify" --json "$work/out.json" "$dir/$name.ORIG.o" \
		"$dir/$name.PATCHED.o" "$module" "$work/$name.symtab" >"$work/out" 2>&1 || status=$?
}

# expect_finding WHAT CHECK REGEX: exit 2 and a finding of CHECK matching REGEX
expect_finding() {
	local what=$1 check=$2 regex=$3
	if [[ $status != 2 ]]; then
		fail "$what: exit $status, expected 2 (findings)"
		sed 's/^/    /' "$work/out" | head -n 5
	elif ! grep -Eq -- "FAILED $check: .*$regex" "$work/out"; then
		fail "$what: no $check finding matching /$regex/"
		sed 's/^/    /' "$work/out" | head -n 5
	elif ! jq -e --arg c "$check" '.verified == false and ([.findings[].check] | index($c)) != null' \
		"$work/out.json" >/dev/null; then
		fail "$what: the JSON report does not list the $check finding"
	else
		pass
	fi
}

# --- every case with output verifies
every_case_verifies() {
while IFS=$'\t' read -r case_arch name expect _; do
	[[ $case_arch == "$arch" && $expect == ok && " ${known_wrong:-} " != *" $name "* ]] || continue
	if ! differ "$name" || [[ ! -s $work/$name.o ]]; then
		fail "$name: create-diff-object produced no output"
		continue
	fi
	run_verify "$name" "$work/$name.o"
	if [[ $status == 0 ]] && jq -e '.verified and .exit_status == 0' "$work/out.json" >/dev/null; then
		pass
	else
		fail "$name: not verified (exit $status)"
		grep FAILED "$work/out" | head -n 5 | sed 's/^/    /'
	fi
done < <(tail -n +2 "$corpus/expected.tsv")
}
every_case_verifies

# --- the differ told wrong special-section entry sizes derives the true
# ones from the relocations (issue 7 items 4, 5); what it writes verifies,
# with the verifier told the same wrong sizes. (Foreign and shifted entries
# are caught: see the injected faults below.)
expect_verified() {	# expect_verified WHAT
	if [[ $status == 0 ]] && jq -e '.verified and .exit_status == 0' "$work/out.json" >/dev/null; then
		pass
	else
		fail "$1: not verified (exit $status)"
		grep FAILED "$work/out" | head -n 5 | sed 's/^/    /'
	fi
}
differ static-call-issue-1165 JUMP_STRUCT_SIZE=24 || fail "static-call-issue-1165: the differ failed with JUMP_STRUCT_SIZE=24"
run_verify static-call-issue-1165 "$work/static-call-issue-1165.o" JUMP_STRUCT_SIZE=24
expect_verified "__jump_table with JUMP_STRUCT_SIZE=24 (true 16)"
differ bug-table-section BUG_STRUCT_SIZE=24 || fail "bug-table-section: the differ failed with BUG_STRUCT_SIZE=24"
run_verify bug-table-section "$work/bug-table-section.o" BUG_STRUCT_SIZE=24
expect_verified "__bug_table with BUG_STRUCT_SIZE=24 (true 12)"

# --- faults injected into good outputs
good=ASSERT_RTNL-detect
differ "$good" || fail "$good: the differ failed"
inject() {	# inject DESCRIPTION CHECK REGEX MUTATION...
	local what=$1 check=$2 regex=$3
	shift 3
	if ! "$mutate" "$work/$good.o" "$work/bad.o" "$@" 2>"$work/out"; then
		fail "$what: cannot inject: $(cat "$work/out")"
		return
	fi
	run_verify "$good" "$work/bad.o"
	expect_finding "$what" "$check" "$regex"
}
inject "a byte flipped in a patched function" soundness \
	'function __dev_get_by_flags \(\.text\.__dev_get_by_flags\+0x10\): .*bytes differ at \+0x10' \
	byte __dev_get_by_flags 0x10
inject "an addend changed" soundness \
	'function __dev_get_by_flags .*relocation at \+0x11 refers to undefined rtnl_is_locked-3 where the patched object refers to undefined rtnl_is_locked-4' \
	addend __dev_get_by_flags 1 1
inject "a relocation dropped" soundness \
	'function __dev_get_by_flags .*no relocation at \+0x19, where the patched object has one to __dev_get_by_flags.cold-4' \
	drop __dev_get_by_flags 2
inject "a call retargeted" soundness \
	'relocation at \+0x11 refers to undefined rtnl_lock\+0 where the patched object refers to undefined rtnl_is_locked-4' \
	retarget .text.__dev_get_by_flags 1 rtnl_lock
inject "a wrong sympos" klp-func \
	'record says __dev_get_by_flags,1 of vmlinux, but the function the module replaces is __dev_get_by_flags,0' \
	sympos 0 1
inject "a function patched twice" klp-func '__dev_get_by_flags,0 of vmlinux is patched twice' dup-record 0
inject "a changed function left unpatched" completeness \
	'__dev_get_by_flags changed .* but the module does not replace it' drop-record 0
inject "a foreign __bug_table entry" special \
	'\(__bug_table\+0x0\): entry refers to undefined unrelated_function' retarget __bug_table 0 unrelated_function
inject "a __bug_table entry no patched entry mirrors" special \
	'function __dev_get_by_flags.cold \(__bug_table\+0x0\): entry mirrors no entry of the patched object' \
	retarget __bug_table 0 __dev_get_by_flags.cold
inject "a record for a function of the module the original lacks" klp-func \
	'not a copy of a function of the patched object|replaces .* original object does not have|carries a (local|global) copy' \
	add-record __dev_get_by_flags.cold vmlinux

# klp relocations for an object the patch does not register
differ cold-add || fail "cold-add: the differ failed"
good=cold-add
inject "a klp relocation for an unregistered object" klp-reloc \
	'of othermod, which the patch does not register as a klp object' klp-obj vmlinux othermod

# a static branch the compiler left as a jump (objtool not run yet, as for
# IBT kernels' vmlinux objects) that objtool made a nop in the module: the
# same; a nop made a jump in the module is not
good=jump-label-issue-1021
differ "$good" || fail "$good: the differ failed"
"$mutate" "$dir/$good.PATCHED.o" "$work/jmp.PATCHED.o" set tcp_retransmit_timer 0xd2 e9 00 00 00 00
status=0
# shellcheck disable=SC2046
env $(env_of "$good") "$verify" "$dir/$good.ORIG.o" "$work/jmp.PATCHED.o" "$work/$good.o" \
	"$work/$good.symtab" >"$work/out" 2>&1 || status=$?
if [[ $status == 0 ]]; then pass; else fail "static branch jmp vs nop: exit $status"; grep FAILED "$work/out"; fi
inject "a static branch nop made a jump" soundness \
	'function tcp_retransmit_timer \(\.text\.tcp_retransmit_timer\+0xd2\): .*bytes differ at \+0xd2 \(e9' \
	set tcp_retransmit_timer 0xd2 e9 00 00 00 00

# an unchanged function carried as patched: verify against PATCHED as ORIG
differ ASSERT_RTNL-detect || fail "ASSERT_RTNL-detect: the differ failed"
status=0
# shellcheck disable=SC2046
env $(env_of ASSERT_RTNL-detect) "$verify" --json "$work/out.json" "$dir/ASSERT_RTNL-detect.PATCHED.o" \
	"$dir/ASSERT_RTNL-detect.PATCHED.o" "$work/ASSERT_RTNL-detect.o" "$work/ASSERT_RTNL-detect.symtab" \
	>"$work/out" 2>&1 || status=$?
expect_finding "an unchanged function patched" klp-func '__dev_get_by_flags is patched but its code is the same as the original'

# --- s390x: big-endian objects, its relocations and special sections
arch=s390x
dir=$(realpath "$corpus")/$arch
every_case_verifies
good=meminfo-string
differ "$good" || fail "$good: the differ failed"
inject "s390x: a byte flipped" soundness \
	'function meminfo_proc_show \(\.text\.meminfo_proc_show\+0x10\): .*bytes differ at \+0x10' \
	byte meminfo_proc_show 0x10
inject "s390x: an addend changed" soundness \
	'relocation at \+0x34 refers to undefined si_swapinfo\+5 where the patched object refers to undefined si_swapinfo\+2' \
	addend meminfo_proc_show 1 3
inject "s390x: a relocation dropped" soundness \
	'no relocation at \+0x3a, where the patched object has one to undefined vm_memory_committed\+2' \
	drop meminfo_proc_show 2
inject "s390x: a call retargeted" soundness \
	'relocation at \+0x2a refers to undefined si_swapinfo\+0 where the patched object refers to undefined si_meminfo\+2' \
	retarget .text.meminfo_proc_show 0 si_swapinfo
inject "s390x: a changed function left unpatched" completeness \
	'meminfo_proc_show of meminfo.c changed .* but the module does not replace it' drop-record 0
inject "s390x: an expoline patch site of another function" special \
	'\(\.s390_return_mem\+0x0\): entry refers to undefined unrelated_function' \
	retarget .s390_return_mem 0 unrelated_function

# --- ppc64le: the .toc (references compared by the entry's relocation),
# ELFv2 entry points and the mprofile ftrace site, __ex_table entries of
# two 32-bit offsets into the function and its .fixup pieces.
arch=ppc64le
dir=$(realpath "$corpus")/$arch
every_case_verifies
good=fixup-section
differ "$good" || fail "$good: the differ failed"
inject "ppc64le: an __ex_table entry's fixup half sent to another .fixup piece" special \
	'function filldir \(__ex_table\+0x8\): entry mirrors no entry of the patched object' \
	retarget __ex_table 3 .fixup
good=meminfo-string
differ "$good" || fail "$good: the differ failed"
inject "ppc64le: a byte flipped" soundness \
	'function meminfo_proc_show \(\.text\.meminfo_proc_show\+0x20\): .*bytes differ at \+0x20' \
	byte meminfo_proc_show 0x20
inject "ppc64le: a call's addend changed" soundness \
	'relocation at \+0x4c refers to undefined si_swapinfo\+8 where the patched object refers to undefined si_swapinfo\+0' \
	addend meminfo_proc_show 3 8
inject "ppc64le: a .toc entry retargeted" soundness \
	'relocation at \+0x54 refers to undefined unrelated_function\+0 where the patched object refers to undefined vm_committed_as\+0' \
	retarget .toc 0 unrelated_function
inject "ppc64le: a changed function left unpatched" completeness \
	'meminfo_proc_show of meminfo.c changed .* but the module does not replace it' drop-record 0
arch=x86_64
dir=$(realpath "$corpus")/$arch

# --- usage and I/O errors: exit 1, nothing written
status=0
"$verify" "$dir/ASSERT_RTNL-detect.ORIG.o" >"$work/out" 2>&1 || status=$?
if [[ $status == 1 ]] && grep -q '^usage:' "$work/out"; then pass; else fail "missing arguments: exit $status"; fi
status=0
"$verify" --json "$work/none.json" /nonexistent.o "$dir/ASSERT_RTNL-detect.PATCHED.o" \
	"$work/ASSERT_RTNL-detect.o" "$work/ASSERT_RTNL-detect.symtab" >"$work/out" 2>&1 || status=$?
if [[ $status == 1 && ! -e $work/none.json ]] && grep -q 'ERROR: .*/nonexistent.o' "$work/out"; then
	pass
else
	fail "unreadable ORIG: exit $status"
fi

echo "$passed passed, $failed failed"
((failed == 0))
