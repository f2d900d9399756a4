#!/usr/bin/env bash
# Special-section entry sizes: corpus cases run with wrong and right
# *_STRUCT_SIZE values. A size that does not fit the section's relocations
# is replaced by their stride, with a warning, and the rebuilt table is the
# one the right size gives; a wrong size from DWARF is refused.
set -euo pipefail

build=${1:-${BUILD:-build}}
cdo=$(realpath "$build/create-diff-object/create-diff-object")
corpus=${KPATCH_CORPUS:-../shared/corpus/kpatch-unit}/x86_64
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
pass() { passed=$((passed + 1)); }

# run NAME TAG VAR=VALUE...: the corpus case NAME with these sizes; output
# in $work/TAG.o, messages in $work/TAG.err; prints the exit status
run() {
	local name=$1 tag=$2 status=0
	shift 2
	readelf -s --wide "$corpus/$name.ORIG.o" >"$work/$name.symtab"
	env "$@" "$cdo" "$corpus/$name.ORIG.o" "$corpus/$name.PATCHED.o" vmlinux "$work/$name.symtab" \
		/dev/null test "$work/$tag.o" >"$work/$tag.out" 2>"$work/$tag.err" || status=$?
	echo "$status"
}

# A section's relocations as "offset type symbol+addend" lines.
relocs() {
	readelf -rW "$1" | sed -n "/'.rela$2'/,/^\$/p" | awk 'NF >= 5 && $1 ~ /^[0-9a-f]+$/ { print $1, $3, $5, $6, $7 }'
}

section_size() {
	readelf -SW "$1" | sed 's/^ *\[ *[0-9]*\]//' | awk -v s="$2" '$1 == s { print strtonum("0x" $5) }'
}

# wrong_size_case NAME TAG WARNING-REGEX VAR=VALUE...: succeeds, warning so
wrong_size_case() {
	local name=$1 tag=$2 warning=$3
	shift 3
	if [[ $(run "$name" "$tag" "$@") != 0 ]]; then
		fail "$case: exit status: $(cat "$work/$tag.err")"
	elif ! grep -q -- "$warning" "$work/$tag.err"; then
		fail "$case: no warning /$warning/: $(cat "$work/$tag.err")"
	else
		return 0
	fi
	return 1
}

# right_size_case NAME TAG SECTION DERIVED-TAG VAR=VALUE...: with the right
# size, no word about SECTION, and the table the derived size gave
right_size_case() {
	local name=$1 tag=$2 sec=$3 derived=$4
	shift 4
	if [[ $(run "$name" "$tag" "$@") != 0 ]]; then
		fail "$case: exit status: $(cat "$work/$tag.err")"
	elif grep -q -- "$sec" "$work/$tag.err"; then
		fail "$case: a warning for the right size: $(cat "$work/$tag.err")"
	elif [[ $(relocs "$work/$tag.o" "$sec") != "$(relocs "$work/$derived.o" "$sec")" ]] ||
	     [[ -z $(relocs "$work/$tag.o" "$sec") ]]; then
		fail "$case: the right size gives another $sec than the derived one"
	else
		pass
	fi
}

base=(PARA_STRUCT_SIZE=16 EX_STRUCT_SIZE=12 ALT_STRUCT_SIZE=13 ORC_STRUCT_SIZE=6 STATIC_CALL_STRUCT_SIZE=8)

# 1. static-call-issue-1165: jump entries are 16 bytes (112 bytes, 7 entries).
#    Run as the kpatch harness ran it (24) and with the right size.
case=jump-24
if ! wrong_size_case static-call-issue-1165 j24 \
	'WARNING: __jump_table: JUMP_STRUCT_SIZE (24) does not fit __jump_table: .*using 16-byte entries' \
	"${base[@]}" BUG_STRUCT_SIZE=12 JUMP_STRUCT_SIZE=24; then
	:
elif (($(section_size "$work/j24.o" __jump_table) % 16)); then
	fail "$case: __jump_table is $(section_size "$work/j24.o" __jump_table) bytes"
# every entry starts (offset 0 mod 16) with the code address: a PC32 into do_exit
elif relocs "$work/j24.o" __jump_table | awk '{ o = strtonum("0x" $1) } o % 16 == 0 && ($2 != "R_X86_64_PC32" || $3 != "do_exit") { bad = 1 } o % 16 == 8 && $2 != "R_X86_64_PC64" { bad = 1 } END { exit !bad }'; then
	fail "$case: an entry does not start with a code address: $(relocs "$work/j24.o" __jump_table)"
else
	pass
fi
case=jump-16
right_size_case static-call-issue-1165 j16 __jump_table j24 "${base[@]}" BUG_STRUCT_SIZE=12 JUMP_STRUCT_SIZE=16

# 2. bug-table-section: bug entries are 12 bytes; with 24 each pair of
#    entries would be kept or dropped together.
case=bug-24
if ! wrong_size_case bug-table-section b24 \
	'WARNING: __bug_table: BUG_STRUCT_SIZE (24) does not fit __bug_table: its relocations repeat every 12 bytes.*using 12-byte entries' \
	"${base[@]}" JUMP_STRUCT_SIZE=16 BUG_STRUCT_SIZE=24; then
	:
elif relocs "$work/b24.o" __bug_table | awk '{ o = strtonum("0x" $1) } o % 12 == 0 && $3 != "sysctl_head_grab" { bad = 1 } END { exit !bad }'; then
	fail "$case: __bug_table keeps an entry of another function: $(relocs "$work/b24.o" __bug_table)"
else
	pass
fi
case=bug-12
right_size_case bug-table-section b12 __bug_table b24 "${base[@]}" JUMP_STRUCT_SIZE=16 BUG_STRUCT_SIZE=12

# 3. printk index records: the corpus's are 44 bytes.
case=printk-index-44
if [[ $(run printk-index-1-issue-1206 p44 "${base[@]}" JUMP_STRUCT_SIZE=16 BUG_STRUCT_SIZE=12 PRINTK_INDEX_STRUCT_SIZE=44) != 0 ]]; then
	fail "$case: exit status: $(cat "$work/p44.err")"
elif grep -q 'printk_index' "$work/p44.err"; then
	fail "$case: a warning for the right size: $(cat "$work/p44.err")"
else
	pass
fi
case=printk-index-48
wrong_size_case printk-index-1-issue-1206 p48 \
	'WARNING: .printk_index: printk index record _entry\.[0-9]* is 44 bytes, not PRINTK_INDEX_STRUCT_SIZE (48)' \
	"${base[@]}" JUMP_STRUCT_SIZE=16 BUG_STRUCT_SIZE=12 PRINTK_INDEX_STRUCT_SIZE=48 && pass

# 4. A size from the parent's DWARF is the kernel's word: one that does not
#    fit is refused (exit 2, no output), naming the section and the code.
case=dwarf-jump-24
printf 'struct jump_entry { int code, target; long key, pad; } jump_entry_var;\n' >"$work/dwarf.c"
gcc -g -c -o "$work/dwarf.o" "$work/dwarf.c"
readelf -s --wide "$corpus/static-call-issue-1165.ORIG.o" >"$work/sc.symtab"
status=0
"$cdo" --struct-sizes-from "$work/dwarf.o" "$corpus/static-call-issue-1165.ORIG.o" \
	"$corpus/static-call-issue-1165.PATCHED.o" vmlinux "$work/sc.symtab" /dev/null test \
	"$work/d24.o" >"$work/d24.out" 2>"$work/d24.err" || status=$?
if ((status != 2)); then
	fail "$case: exit status $status, expected 2: $(cat "$work/d24.err")"
elif [[ -e $work/d24.o ]]; then
	fail "$case: an output was written"
elif ! grep -q '__jump_table of static-call-issue-1165.ORIG.o: the size in the parent.s DWARF (24) does not fit it.*\[special-entry-size\]' "$work/d24.err"; then
	fail "$case: the refusal does not say why: $(cat "$work/d24.err")"
else
	pass
fi

# 5. s390x, big-endian: the sizes the kpatch harness gave (ALT, BUG, EX 12,
#    JUMP 16) fit; x86_64's jump entry size does not and gives way to the
#    stride, each entry starting with its code address (a PC32 into
#    .text.push_node_left's function).
corpus=${KPATCH_CORPUS:-../shared/corpus/kpatch-unit}/s390x
s390=(ALT_STRUCT_SIZE=12 BUG_STRUCT_SIZE=12 EX_STRUCT_SIZE=12)
case=s390x-jump-24
if ! wrong_size_case dynamic-debug-jump-label-issue-1253 sj24 \
	'WARNING: __jump_table: JUMP_STRUCT_SIZE (24) does not fit __jump_table: .*using 16-byte entries' \
	"${s390[@]}" JUMP_STRUCT_SIZE=24; then
	:
elif relocs "$work/sj24.o" __jump_table | awk '{ o = strtonum("0x" $1) } o % 16 == 0 && ($2 != "R_390_PC32" || $3 != "push_node_left") { bad = 1 } o % 16 == 8 && $2 != "R_390_PC64" { bad = 1 } END { exit !bad }'; then
	fail "$case: an entry does not start with a code address: $(relocs "$work/sj24.o" __jump_table)"
else
	pass
fi
case=s390x-jump-16
right_size_case dynamic-debug-jump-label-issue-1253 sj16 __jump_table sj24 "${s390[@]}" JUMP_STRUCT_SIZE=16
case=s390x-ex-8
wrong_size_case fixup-section se8 \
	'WARNING: __ex_table: EX_STRUCT_SIZE (8) does not fit __ex_table: .*using 12-byte entries' \
	ALT_STRUCT_SIZE=12 BUG_STRUCT_SIZE=12 JUMP_STRUCT_SIZE=16 EX_STRUCT_SIZE=8 && pass
case=s390x-ex-12
right_size_case fixup-section se12 __ex_table se8 "${s390[@]}" JUMP_STRUCT_SIZE=16

echo "$passed passed, $failed failed"
((failed == 0))
