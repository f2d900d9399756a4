#!/usr/bin/env bash
# The cost of kpatch-build on a tree whose original build is reused, beside
# the floor for the same work: recompiling the one patched file and
# building a module. Target: at most 1.5x.
#   warm-run.sh TREE PATCH [RUNS]   (TREE built with the contract KCFLAGS)
set -euo pipefail

tree=$(realpath "$1")
patch=$(realpath "$2")
runs=${3:-3}
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
now() { date +%s.%N; }

file=$(sed -n 's|^+++ b/||p' "$patch" | head -n 1)
obj=${file%.c}.o

kpb=()
for ((i = 0; i < runs; i++)); do
	t=$(now)
	"$repo/kpatch-build/kpatch-build" -s "$tree" -n warm -o "$work" "$patch" >"$work/kpb.log" 2>&1
	kpb+=("$(echo "$(now) - $t" | bc)")
done

# the floor: recompile the file (patched, so the compiler really runs) and
# build a one-function module against the tree
mkdir -p "$work/mod"
printf '#include <linux/module.h>\nstatic int __init m_init(void) { return 0; }\nmodule_init(m_init);\nMODULE_LICENSE("GPL");\n' >"$work/mod/m.c"
echo 'obj-m := m.o' >"$work/mod/Kbuild"
# back up what the floor measurement touches, times included, and put it
# all back: the tree must stay exactly as the build left it
cmd=$(dirname "$obj")/.$(basename "$obj").cmd
for f in "$file" "$obj" "$cmd"; do
	mkdir -p "$work/saved/$(dirname "$f")"
	cp -p -- "$tree/$f" "$work/saved/$f"
done
restore() {
	for f in "$file" "$obj" "$cmd"; do
		cp -p -- "$work/saved/$f" "$tree/$f"
	done
}
trap 'restore; rm -rf "$work"' EXIT
floor=()
for ((i = 0; i < runs; i++)); do
	patch -s -p1 -d "$tree" <"$patch"
	t=$(now)
	make -s -C "$tree" KCFLAGS="-ffunction-sections -fdata-sections" "$obj" >/dev/null
	make -s -C "$tree" M="$work/mod" modules >/dev/null
	floor+=("$(echo "$(now) - $t" | bc)")
	restore
done

k=$(printf '%s\n' "${kpb[@]}" | median)
f=$(printf '%s\n' "${floor[@]}" | median)
printf 'warm kpatch-build (%s): %.1f s; recompile %s + build a module: %.1f s; ratio %.2fx (median of %d)\n' \
	"$(basename "$patch")" "$k" "$obj" "$f" "$(echo "$k / $f" | bc -l)" "$runs"
