#!/usr/bin/env bash
# Replay every input that once crashed a fuzz target (test/fuzz/regressions/
# TARGET/) through the ordinary programs of this build (under check-asan,
# their sanitizer build): each must end within a minute with exit status
# 0-3 (an error or a verdict, never a signal or a hang), no sanitizer
# report, and no output file when it fails.
#   kelf, klp  create-klp-module IN OUT (reads, walks and writes the model)
#   cdo        create-diff-object on the pair the input packs (4-byte
#              little-endian length of ORIG, ORIG, PATCHED; ORIG is also the
#              parent's symbol table, as in the fuzz target)
set -euo pipefail

build=${1:-${BUILD:-build}}
cdo=$build/create-diff-object/create-diff-object
cklp=$build/kpatch-build/create-klp-module
regressions=$(dirname "$0")/../fuzz/regressions
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

export PARA_STRUCT_SIZE=16 EX_STRUCT_SIZE=12 BUG_STRUCT_SIZE=12 ALT_STRUCT_SIZE=13 \
	JUMP_STRUCT_SIZE=24 ORC_STRUCT_SIZE=6 STATIC_CALL_STRUCT_SIZE=8 PRINTK_INDEX_STRUCT_SIZE=44
: >"$work/symvers"

# unpack INPUT: split a cdo input into $work/orig.o and $work/patched.o
unpack() {
	local n
	n=$(od -An -t u4 -N 4 --endian=little "$1" | tr -d ' ')
	# dd reads exactly the bytes it needs (head -c closing a pipe early
	# makes tail die of SIGPIPE under pipefail)
	dd if="$1" of="$work/orig.o" bs=1M iflag=skip_bytes,count_bytes skip=4 count="$n" status=none
	tail -c +$((5 + n)) "$1" >"$work/patched.o"
}

for input in "$regressions"/*/*; do
	[[ -f $input ]] || continue
	target=$(basename "$(dirname "$input")")
	name=$target/$(basename "$input")
	out=$work/out.o
	rm -f "$out"
	status=0
	case $target in
	kelf|klp)
		timeout 60 "$cklp" "$input" "$out" >/dev/null 2>"$work/stderr" || status=$?
		;;
	cdo)
		unpack "$input"
		timeout 60 "$cdo" "$work/orig.o" "$work/patched.o" vmlinux "$work/orig.o" "$work/symvers" \
			fuzz "$out" >/dev/null 2>"$work/stderr" || status=$?
		;;
	*)
		echo "FAIL $name: unknown target folder"
		failed=$((failed + 1))
		continue
		;;
	esac
	if ((status > 3)); then
		echo "FAIL $name: exit status $status"
		tail -n 20 "$work/stderr"
		failed=$((failed + 1))
	elif grep -qE 'Sanitizer|runtime error:' "$work/stderr"; then
		echo "FAIL $name: sanitizer report"
		tail -n 20 "$work/stderr"
		failed=$((failed + 1))
	elif ((status != 0)) && [[ -e $out ]]; then
		echo "FAIL $name: exit status $status but an output file was written"
		failed=$((failed + 1))
	else
		echo "ok $name (exit status $status)"
		passed=$((passed + 1))
	fi
done

echo "$passed passed, $failed failed"
((failed == 0))
