#!/usr/bin/env bash
# fix-speed.sh: the issue's two speed figures over a directory of real
# fixes, on a prepared tree: the median wall time of a single warm
# kpatch-build per fix (each with a module name never built before, as a
# user's first run of a fix), and the wall time per fix of one kpatch-batch
# over the same fixes.
#
#   fix-speed.sh [--single-only|--batch-only] -- KPATCH-BUILD-OPTIONS... PATCH-DIR
#
# KPATCH-BUILD-OPTIONS are those of a partial build (-s TREE -c -v --symvers
# --modules-dir); the tree must have been prepared by an earlier run.
# KPATCH_BUILD_CACHE must name the cache that prepared it.
set -euo pipefail

do_single=1 do_batch=1
while (($#)); do
	case $1 in
	--single-only) do_batch=0; shift ;;
	--batch-only) do_single=0; shift ;;
	--) shift; break ;;
	*) echo "usage: $0 [--single-only|--batch-only] -- KPATCH-BUILD-OPTIONS... PATCH-DIR" >&2; exit 2 ;;
	esac
done
(($# >= 3)) || { echo "usage: $0 [--single-only|--batch-only] -- KPATCH-BUILD-OPTIONS... PATCH-DIR" >&2; exit 2; }
: "${KPATCH_BUILD_CACHE:?set KPATCH_BUILD_CACHE to the cache that prepared the tree}"
repo=$(cd "$(dirname "$0")/../.." && pwd)
patch_dir=${*: -1}
kpb_options=("${@:1:$#-1}")
# FIX_SPEED_KEEP=DIR keeps the logs and the batch report there.
if [[ -n ${FIX_SPEED_KEEP:-} ]]; then
	work=$FIX_SPEED_KEEP
	mkdir -p "$work"
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
mapfile -t patches < <(find "$patch_dir" -maxdepth 1 -name '*.patch' | sort)
((${#patches[@]})) || { echo "$0: no *.patch in $patch_dir" >&2; exit 2; }

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }

# A name no earlier run used, so each module is built from an empty
# module build directory, as a user's first run of a fix is.
fresh_name() {
	printf 'fs%s-%s' "$$" "$1"
}

if ((do_single)); then
	mkdir "$work/out"
	: >"$work/single.tsv"
	for p in "${patches[@]}"; do
		base=$(basename "$p" .patch)
		name=$(fresh_name "${base:0:40}")
		t0=$EPOCHREALTIME
		rc=0
		"$repo/kpatch-build/kpatch-build" "${kpb_options[@]}" -n "$name" -o "$work/out" \
			"$p" >"$work/$base.log" 2>&1 || rc=$?
		t=$(echo "$EPOCHREALTIME - $t0" | bc)
		printf '%s\t%s\t%s\n' "$base" "$rc" "$t" | tee -a "$work/single.tsv"
		rm -rf "$KPATCH_BUILD_CACHE"/trees/*/module-build/"$name"
	done
	built=$(awk -F'\t' '$2 == 0' "$work/single.tsv" | wc -l)
	printf 'single kpatch-build: %d fixes, %d built; median wall of the built ones %s s, of all %s s\n' \
		"${#patches[@]}" "$built" \
		"$(awk -F'\t' '$2 == 0 { print $3 }' "$work/single.tsv" | median)" \
		"$(cut -f3 "$work/single.tsv" | median)"
fi

if ((do_batch)); then
	t0=$EPOCHREALTIME
	"$repo/batch/kpatch-batch" "${kpb_options[@]}" --report-dir "$work/batch" \
		--patches "$patch_dir" >"$work/batch.log" 2>&1 || true
	t=$(echo "$EPOCHREALTIME - $t0" | bc)
	tail -n 3 "$work/batch.log"
	printf 'kpatch-batch: %d fixes in %s s, %s s per fix\n' "${#patches[@]}" "$t" \
		"$(echo "scale=2; $t / ${#patches[@]}" | bc)"
fi
