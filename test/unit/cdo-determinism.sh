#!/usr/bin/env bash
# The same inputs give byte-identical outputs and reports (except timings).
set -euo pipefail

build=${1:-${BUILD:-build}}
cdo=$build/create-diff-object/create-diff-object
corpus=${KPATCH_CORPUS:-../shared/corpus/kpatch-unit}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >"$work/symvers"
passed=0
failed=0
env_sizes=(PARA_STRUCT_SIZE=16 EX_STRUCT_SIZE=12 BUG_STRUCT_SIZE=12 ALT_STRUCT_SIZE=13
	   JUMP_STRUCT_SIZE=24 ORC_STRUCT_SIZE=6 STATIC_CALL_STRUCT_SIZE=8)

for name in meminfo-string new-function gcc-static-local-var-5 static-call-issue-1165 \
	    jump-label-issue-1021 function-ptr-new import-ns; do
	orig=$corpus/x86_64/$name.ORIG.o
	readelf -s --wide "$orig" >"$work/symtab"
	for run in 1 2; do
		env "${env_sizes[@]}" "$cdo" --report "$work/$run.json" "$orig" \
			"$corpus/x86_64/$name.PATCHED.o" vmlinux "$work/symtab" "$work/symvers" \
			"t" "$work/$run.o" >/dev/null 2>&1
		sed -i '/timings_ms/d' "$work/$run.json"
	done
	if cmp -s "$work/1.o" "$work/2.o" && cmp -s "$work/1.json" "$work/2.json"; then
		passed=$((passed + 1))
	else
		echo "FAIL $name: two runs gave different output"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
((failed == 0))
