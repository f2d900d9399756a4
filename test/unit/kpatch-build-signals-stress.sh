#!/bin/bash
# kpatch-build interrupted everywhere: for SIGINT, SIGTERM and SIGHUP, runs
# on the toy tree are stopped at named points (the test-only
# KPATCH_BUILD_TEST_SIGNAL hooks: after the backup, with one of two patches
# applied, while objects are selected, during the restore, with a second
# signal during the restore, ...) and at random moments after each stage
# line appears. After each one: the expected exit status, the tree byte-
# and mtime-identical with no file or directory added (kbuild's .tmp_*
# included), no process of the run left, no journal, and a normal make of
# the tree rebuilds nothing. The next run on the tree must then work, which
# every following run checks, and a last normal run at the end.
# make check runs a quick sample (every named point once, the signals taken
# in turn, one kill -9); STRESS_FULL=1 (make signal-stress) runs every point
# with every signal plus random delays: at least 30 points per signal.
#   STRESS_FULL              1: the full run (default 0: the quick sample)
#   STRESS_RANDOM_PER_STAGE  random-delay runs per stage and signal
#                            (default 2 in the full run, 0 in the sample)
#   STRESS_SEED              seed of the delays (default: printed, random)
#   STRESS_SIGNALS           the signals to try (default "INT TERM HUP")
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"
restart_with_sigint "$0" "$@"

# Job control: the background runs get their own process group and SIGINT
# stays deliverable to them.
set -m

FULL=${STRESS_FULL:-0}
if ((FULL)); then PER_STAGE=${STRESS_RANDOM_PER_STAGE:-2}; else PER_STAGE=${STRESS_RANDOM_PER_STAGE:-0}; fi
SEED=${STRESS_SEED:-$((RANDOM * 32768 + RANDOM))}
RANDOM=$SEED
echo "# seed $SEED (STRESS_SEED=$SEED reproduces the delays)"

make_tree "$WORK/tree"
TREE=$WORK/tree
OUT=$WORK/out-dir
mkdir -p "$OUT"
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$WORK/1-core.patch"
make_patch "$TREE" fs/file.c 's/x + FS_ONLY/x + FS_ONLY + 1/' "$WORK/2-file.patch"
PATCHES=("$WORK/1-core.patch" "$WORK/2-file.patch")
STAGES=("Checking kernel configuration" "Checking compiler" "Checking patch files"
	"Building original kernel" "Building patched objects" "Extracting changed functions"
	"Linking changed functions" "Building module")

# Every file with its mtime and hash, and every directory and symlink.
full_snapshot() {
	snapshot "$1"
	(cd "$1" && find . ! -type f -printf '%y %P\n' | sort)
}

tree_unchanged() {
	same_tree_by full_snapshot "$TREE" "$WORK/snap"
}

no_process_left() {
	! pgrep -f -- "$TREE" >/dev/null
}

no_journal() {
	test -z "$(find "$KPATCH_BUILD_CACHE" -name journal)"
}

# A normal make of the tree, as the user would run it next: it must work
# and find everything up to date (kbuild's .cmd files intact, objects and
# their sources consistent).
make_rebuilds_nothing() {
	make -s -C "$TREE" KCFLAGS="$CONTRACT_KCFLAGS" vmlinux modules >"$WORK/make.out" 2>&1 &&
		tree_unchanged
}

first_run() {
	run_kpb -s "$TREE" -o "$OUT" "${PATCHES[@]}"
	[[ $STATUS == 0 ]] && tree_unchanged
}

# verify LABEL WANT-STATUS STATUS: the checks after one interrupted run.
verify() {
	local label=$1 want=$2 status=$3
	if [[ $status == "$want" ]]; then pass "$label: exit $want"; else fail_test "$label: exit $status, expected $want"; fi
	check "$label: tree identical, nothing added" tree_unchanged
	check "$label: no process left" no_process_left
	check "$label: no journal left" no_journal
	check "$label: next make rebuilds nothing" make_rebuilds_nothing
}

declare -A TRIED=()
signal_number() { kill -l "$1"; }

# hook_run SIG SPEC LABEL: a run told to signal itself at SPEC.
hook_run() {
	local sig=$1 spec=$2 label="SIG$1 at $3" status=0 point
	KPATCH_BUILD_TEST_SIGNAL=$spec "$KPATCH_BUILD" -s "$TREE" -o "$OUT" "${PATCHES[@]}" \
		>"$WORK/out" 2>&1 </dev/null || status=$?
	point=${spec%%,*}
	point=${point#*@}
	if ! output_has "test point $point: sending"; then
		fail_test "$label: the run never reached point $point"
		return
	fi
	TRIED[$sig]=$((${TRIED[$sig]:-0} + 1))
	verify "$label" $((128 + $(signal_number "$sig"))) "$status"
}

# stage_run SIG STAGE-INDEX: signal a background run a random 0-400 ms
# after the stage's line appears.
stage_run() {
	local sig=$1 stage=${STAGES[$2]} delay status=0 pid i
	delay=$((RANDOM % 400))
	"$KPATCH_BUILD" -s "$TREE" -o "$OUT" "${PATCHES[@]}" >"$WORK/out" 2>&1 </dev/null &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		grep -qF -- "$stage" "$WORK/out" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	sleep "$(printf '0.%03d' "$delay")"
	local label="SIG$sig ${delay}ms into '$stage'"
	if ! kill -s "$sig" "$pid" 2>/dev/null; then
		wait "$pid"
		fail_test "$label: the run ended (exit $?) before the signal"
		return
	fi
	wait "$pid" || status=$?
	if [[ $status == 0 ]]; then
		# the signal came after the tree was restored for good
		note_late "$label"
		check "$label (run had finished): tree identical" tree_unchanged
		return
	fi
	TRIED[$sig]=$((${TRIED[$sig]:-0} + 1))
	verify "$label" $((128 + $(signal_number "$sig"))) "$status"
}

# crash_run POINT: the run is killed with SIGKILL at POINT (no trap runs);
# the next run must say that it restores the tree first, then succeed.
crash_run() {
	local point=$1 status=0 label="kill -9 at $1"
	KPATCH_BUILD_TEST_SIGNAL=KILL@$point "$KPATCH_BUILD" -s "$TREE" -o "$OUT" "${PATCHES[@]}" \
		>"$WORK/out" 2>&1 </dev/null || status=$?
	if ! output_has "test point $point: sending"; then
		fail_test "$label: the run never reached the point"
		return
	fi
	if [[ $status == 137 ]]; then pass "$label: killed"; else fail_test "$label: exit $status, expected 137"; fi
	run_kpb -s "$TREE" -o "$OUT" "${PATCHES[@]}"
	check "$label: the next run says it restores the tree first" output_has "did not finish"
	check "$label: the next run succeeds" test "$STATUS" = 0
	check "$label: tree identical after it" tree_unchanged
	check "$label: no journal left" no_journal
}

LATE=0
note_late() {
	LATE=$((LATE + 1))
	echo "# $1: the run had already succeeded"
}

# (the patches are folded into one line-fixed diff: one patch application)
HOOK_POINTS=(after-backup patch-applied#1 select-objects child-started#1
	patched-built restore-begin restore-middle restore-end restored child-started#2
	child-started#3)

full_snapshot "$TREE" >"$WORK/snap"
check "first run on the two patches succeeds, tree unchanged" first_run

SIGNALS=${STRESS_SIGNALS:-INT TERM HUP}
read -r -a SIGNAL_LIST <<<"$SIGNALS"

# hook_specs SIG: every named point, and second signals during the restore.
hook_specs() {
	local sig=$1 point
	for point in "${HOOK_POINTS[@]}"; do
		printf '%s\t%s\n' "$sig@$point" "$point"
	done
	printf '%s\t%s\n' \
		"$sig@patch-applied#1,$sig@restore-middle" "patch-applied#1, again during the restore" \
		"$sig@child-started#1,$sig@restore-end" "child-started#1, again as the restore ends" \
		"$sig@patched-built,TERM@restore-begin,INT@restore-end" "patched-built, then TERM and INT during the restore" \
		"$sig@after-backup,$sig@after-backup" "after-backup, twice at once" \
		"$sig@select-objects,$sig@restore-begin" "select-objects, again as the restore begins"
}

if ((FULL)); then
	for sig in "${SIGNAL_LIST[@]}"; do
		while IFS=$'\t' read -r spec label; do
			hook_run "$sig" "$spec" "$label"
		done < <(hook_specs "$sig")
		for ((stage = 0; stage < ${#STAGES[@]}; stage++)); do
			for ((n = 0; n < PER_STAGE; n++)); do
				stage_run "$sig" "$stage"
			done
		done
	done
	CRASH_POINTS=(after-backup patch-applied#1 patched-built restore-middle)
else
	# every point once, the signal taken in turn
	k=0
	while IFS=$'\t' read -r spec label; do
		sig=${SIGNAL_LIST[k % ${#SIGNAL_LIST[@]}]}
		hook_run "$sig" "${spec//INT@/$sig@}" "$label"
		k=$((k + 1))
	done < <(hook_specs INT)
	for ((stage = 0; PER_STAGE && stage < ${#STAGES[@]}; stage++)); do
		stage_run "${SIGNAL_LIST[stage % ${#SIGNAL_LIST[@]}]}" "$stage"
	done
	CRASH_POINTS=(patched-built)
fi

for point in "${CRASH_POINTS[@]}"; do
	crash_run "$point"
done

check "a normal run afterwards succeeds, tree unchanged" first_run
for sig in "${SIGNAL_LIST[@]}"; do
	echo "SIG$sig: ${TRIED[$sig]:-0} interruption points tried, each checked restored"
done
((LATE == 0)) || echo "($LATE random signals came after a run had already finished)"
finish
