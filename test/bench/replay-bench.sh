#!/usr/bin/env bash
# replay-bench.sh: warm partial kpatch-build runs with kbuild's recorded
# commands replayed (lib-replay.sh for the objects, lib-modlink.sh for the
# module's link) against the same runs with make for every object and the
# module (KPATCH_BUILD_REPLAY=0 KPATCH_BUILD_MODLINK=0), on a real prepared
# tree, and the proof that both give the same results: the original and
# the patched object and the module of a replay run and of a make run are
# compared byte for byte, and so are the #SYMVER lines (the export CRCs)
# of the patched object's .cmd file as the export CRC check read them.
#
#   replay-bench.sh [-n RUNS] [--new-names] -- KPATCH-BUILD-OPTIONS... PATCH
#
# KPATCH-BUILD-OPTIONS are those of a partial build (-s TREE -c -v
# --symvers --modules-dir). The tree is prepared by a first run if needed.
# Runs alternate (replay, make, replay, ...) so that a changing machine
# load hits both alike. Prints the median time of each stage and of the
# whole run for both, and exits non-zero if any object differs.
#
# --new-names: every pair of runs builds a module of a new name, from an
# empty module build directory (as each fix of a batch does: the template,
# NAME.mod.c and .module-common.o are compiled, or shared, anew), instead
# of rebuilding the same name.
set -euo pipefail

runs=5 new_names=0
while (($#)); do
	case $1 in
	-n) runs=$2; shift 2 ;;
	--new-names) new_names=1; shift ;;
	--) shift; break ;;
	*) echo "usage: $0 [-n RUNS] [--new-names] -- KPATCH-BUILD-OPTIONS... PATCH" >&2; exit 2 ;;
	esac
done
(($# >= 3)) || { echo "usage: $0 [-n RUNS] [--new-names] -- KPATCH-BUILD-OPTIONS... PATCH" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/../.." && pwd)
kpb=$repo/kpatch-build/kpatch-build
patch=${*: -1}
object=$(sed -n 's|^+++ b/||p' "$patch" | head -n 1)
object=${object%.c}.o
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export KPATCH_BUILD_CACHE=${KPATCH_BUILD_CACHE:-$work/cache}

# run MODE N: one timed kpatch-build; its report in $work/MODE-N.json, its
# objects in $work/MODE-N.{orig,patched}.o, its module in $work/MODE-N.ko,
# the patched object's #SYMVER lines in $work/MODE-N.symver
run() {
	local mode=$1 n=$2 replay=1 t0 rundir name=replaybench
	shift 2
	[[ $mode == replay ]] || replay=0
	if ((new_names)); then
		name=replaybench-$n
		rm -rf "$KPATCH_BUILD_CACHE"/trees/*/module-build/"$name"
	fi
	t0=$EPOCHREALTIME
	KPATCH_BUILD_REPLAY=$replay KPATCH_BUILD_MODLINK=$replay "$kpb" "$@" --skip-cleanup -n "$name" -o "$work" \
		--report "$work/$mode-$n.json" >"$work/$mode-$n.log" 2>&1 ||
		{ cat "$work/$mode-$n.log" >&2; echo "kpatch-build failed ($mode run $n)" >&2; exit 1; }
	echo "$EPOCHREALTIME - $t0" | bc >"$work/$mode-$n.total"
	rundir=$(echo "$KPATCH_BUILD_CACHE"/trees/*/run)
	cp "$rundir/orig/$object" "$work/$mode-$n.orig.o"
	cp "$rundir/patched/$object" "$work/$mode-$n.patched.o"
	cp "$work/$name.ko" "$work/$mode-$n.ko"
	grep -s '^#SYMVER ' "$rundir/patched-cmd/$(dirname "$object")/.$(basename "$object").cmd" >"$work/$mode-$n.symver" || true
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }

"$kpb" "$@" -n replaybench -o "$work" >"$work/warmup.log" 2>&1 ||
	{ cat "$work/warmup.log" >&2; echo "the warm-up run failed" >&2; exit 1; }
for ((i = 1; i <= runs; i++)); do
	run replay "$i" "$@"
	run make "$i" "$@"
done

status=0
for ((i = 1; i <= runs; i++)); do
	for kind in orig.o patched.o ko symver; do
		if ! cmp -s "$work/replay-$i.$kind" "$work/make-$i.$kind"; then
			echo "DIFFERENT: the $kind file ($object, its #SYMVER lines or the module) of replay run $i and make run $i" >&2
			status=1
		fi
	done
done
for ((i = 1; i <= runs; i++)); do
	if ! grep -q "recompiled (1 by kbuild's recorded command)" "$work/replay-$i.log"; then
		echo "replay run $i did not replay $object (see the build log); nothing was compared" >&2
		status=1
	fi
	if ! grep -q "linked by kbuild's recorded commands" "$work/replay-$i.log"; then
		echo "replay run $i did not link the module by the recorded commands (see the build log)" >&2
		status=1
	fi
done

printf '%s, %d runs each, load average %s\n' "$(basename "$patch") ($object)" "$runs" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-26s %10s %10s\n' stage replay make
for key in $(jq -r '.stage_times | keys_unsorted[]' "$work/replay-1.json"); do
	r=$(for ((i = 1; i <= runs; i++)); do jq -r --arg k "$key" '.stage_times[$k] // 0' "$work/replay-$i.json"; done | median)
	m=$(for ((i = 1; i <= runs; i++)); do jq -r --arg k "$key" '.stage_times[$k] // 0' "$work/make-$i.json"; done | median)
	printf '  %-26s %9.2fs %9.2fs\n' "$key" "$r" "$m"
done
printf '  %-26s %9.2fs %9.2fs\n' "total (wall clock)" \
	"$(cat "$work"/replay-*.total | median)" "$(cat "$work"/make-*.total | median)"
if ((status == 0)); then
	echo "objects: the original and patched $object, its #SYMVER lines ($(wc -l <"$work/make-1.symver") export(s)) and the module of every replay run are byte-identical to make's"
fi
exit "$status"
