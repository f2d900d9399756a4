#!/usr/bin/env bash
# Bad input to create-diff-object: every case must give one clear error
# line naming the file and the problem, exit status 1, and leave no output
# file (not even a stale one from an earlier run).
set -euo pipefail

build=${1:-${BUILD:-build}}
cdo=$build/create-diff-object/create-diff-object
corpus=${KPATCH_CORPUS:-../shared/corpus/kpatch-unit}
good=$corpus/x86_64/meminfo-string.ORIG.o
good2=$corpus/x86_64/meminfo-string.PATCHED.o
arm=$corpus/aarch64/meminfo-string.ORIG.o
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

fail() { echo "FAIL $*"; failed=$((failed + 1)); }

readelf -s --wide "$good" >"$work/symtab"
: >"$work/symvers"

# expect_error NAME NEEDLE-IN-MESSAGE FILE-NAMED -- ARGS...
expect_error() {
	local name=$1 needle=$2 named=$3 status=0 errlines
	shift 4
	# a stale output from an earlier run must go too
	# (only ever inside the scratch directory: never touch an input)
	local out=${!#}
	if [[ $out == "$work"/*.o && -d $(dirname "$out") ]]; then
		echo stale >"$out"
	else
		out=$work/out.o
		rm -f "$out"
	fi
	"$cdo" "$@" >"$work/stdout" 2>"$work/stderr" || status=$?
	errlines=$(grep -c 'ERROR' "$work/stderr" || true)
	if ((status != 1)); then
		fail "$name: exit status $status, expected 1"
	elif [[ $errlines != 1 ]]; then
		fail "$name: $errlines error lines, expected 1: $(cat "$work/stderr")"
	elif ! grep -q -- "$needle" "$work/stderr"; then
		fail "$name: message does not say \"$needle\": $(cat "$work/stderr")"
	elif [[ -n $named ]] && ! grep -qF -- "$named" "$work/stderr"; then
		fail "$name: message does not name $named: $(cat "$work/stderr")"
	elif [[ -e $out ]]; then
		fail "$name: an output file was left behind"
	else
		passed=$((passed + 1))
	fi
}

run_with_orig() {
	expect_error "$1" "$2" "$3" -- "$3" "$good2" vmlinux "$work/symtab" "$work/symvers" t "$work/out.o"
}

# patch_bytes FILE OFFSET HEXBYTES: overwrite bytes in place
patch_bytes() {
	local file=$1 off=$2 hex=$3 esc=""
	while [[ -n $hex ]]; do esc+="\\x${hex:0:2}"; hex=${hex:2}; done
	# shellcheck disable=SC2059  # the format is the escaped byte string
	printf "$esc" | dd of="$file" bs=1 seek="$off" conv=notrunc status=none
}

section_field() {
	# section_field FILE NAME-REGEX COLUMN: a column of readelf -S for the first match
	readelf -S -W "$1" | awk -v re="$2" -v col="$3" '
		{ sub(/^ *\[ */, ""); sub(/\]/, "") }
		$2 ~ re && !found { print $col; found = 1 }'
}

shoff=$(readelf -h "$good" | awk '/Start of section headers/ { print $5 }')

# missing file
run_with_orig "missing file" "cannot open" "$work/nonexistent.o"

# not ELF
echo "this is not an object file, just text that is long enough to read" >"$work/text.o"
run_with_orig "not ELF" "not an ELF file" "$work/text.o"

# truncated
head -c 3000 "$good" >"$work/truncated.o"
run_with_orig "truncated" "past the end" "$work/truncated.o"

# a section header whose data lies outside the file
cp "$good" "$work/badoff.o"
patch_bytes "$work/badoff.o" $((shoff + 4 * 64 + 24)) "ffffff0000000000"
run_with_orig "bad section offset" "extends past the end" "$work/badoff.o"

# a symbol in a section that does not exist
cp "$good" "$work/badsym.o"
symoff=$((16#$(section_field "$good" '^[.]symtab$' 5)))
patch_bytes "$work/badsym.o" $((symoff + 3 * 24 + 6)) "e703"
run_with_orig "bad symbol section index" "refers to section 999" "$work/badsym.o"

# a relocation naming a symbol that does not exist
cp "$good" "$work/badrel.o"
reloff=$((16#$(section_field "$good" '^[.]rela[.]text[.]meminfo_proc_show$' 5)))
patch_bytes "$work/badrel.o" $((reloff + 12)) "a0860100"
run_with_orig "bad relocation symbol" "refers to symbol 100000" "$work/badrel.o"

# an architecture no build handles: e_machine made EM_RISCV (243)
cp "$good" "$work/riscv.o"
cp "$good2" "$work/riscv2.o"
patch_bytes "$work/riscv.o" 18 "f300"
patch_bytes "$work/riscv2.o" 18 "f300"
expect_error "unsupported machine" "unsupported architecture (ELF machine 243); this build supports" "$work/riscv.o" -- \
	"$work/riscv.o" "$work/riscv2.o" vmlinux "$work/symtab" "$work/symvers" t "$work/out.o"

# ORIG and PATCHED of different architectures
expect_error "mixed architectures" "different architectures" "$arm" -- \
	"$good" "$arm" vmlinux "$work/symtab" "$work/symvers" t "$work/out.o"

# a symbol table that is not readelf output
printf 'Symbol table .symtab contains 3 entries:\n   Num:    Value\n     1: garbage here\n' >"$work/badsymtab"
expect_error "unparsable symbol table" "badsymtab" "$work/badsymtab" -- \
	"$good" "$good2" vmlinux "$work/badsymtab" "$work/symvers" t "$work/out.o"

# an empty symbol table file
: >"$work/emptysymtab"
expect_error "empty symbol table" "empty" "$work/emptysymtab" -- \
	"$good" "$good2" vmlinux "$work/emptysymtab" "$work/symvers" t "$work/out.o"

# Module.symvers that is missing
expect_error "missing Module.symvers" "Module.symvers" "" -- \
	"$good" "$good2" vmlinux "$work/symtab" "$work/no/Module.symvers" t "$work/out.o"

# a parent that is not the build the object belongs to
readelf -s --wide "$corpus/x86_64/cmdline-ubsan.ORIG.o" >"$work/othersymtab"
expect_error "wrong parent" "the build this object belongs to" "" -- \
	"$good" "$good2" vmlinux "$work/othersymtab" "$work/symvers" t "$work/out.o"

# wrong number of arguments
expect_error "too few arguments" "expected 7 arguments" "" -- "$good" "$good2"

# an invalid struct size from the environment
status=0
EX_STRUCT_SIZE=twelve "$cdo" "$good" "$good2" vmlinux "$work/symtab" "$work/symvers" t "$work/out.o" \
	>/dev/null 2>"$work/stderr" || status=$?
if ((status == 1)) && grep -q "EX_STRUCT_SIZE=twelve" "$work/stderr"; then
	passed=$((passed + 1))
else
	fail "invalid struct size: status $status: $(cat "$work/stderr")"
fi

# an output directory that does not exist
expect_error "unwritable output" "$work/no/such/dir/out.o" "" -- \
	"$good" "$good2" vmlinux "$work/symtab" "$work/symvers" t "$work/no/such/dir/out.o"

echo "$passed passed, $failed failed"
((failed == 0))
