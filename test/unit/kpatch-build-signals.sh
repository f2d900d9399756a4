#!/bin/bash
# kpatch-build interrupted: SIGINT/SIGTERM/SIGHUP at several stages stop the
# build (no process left behind) and leave the tree byte- and
# mtime-identical; a concurrent run on the same tree is refused; the state
# of a run that died without cleaning up (kill -9) is repaired next time.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"
restart_with_sigint "$0" "$@"

# Job control gives background jobs their own process group and keeps
# SIGINT deliverable to them (a non-interactive shell would ignore it).
set -m

make_tree "$WORK/tree"
TREE=$WORK/tree
OUT=$WORK/out-dir
mkdir -p "$OUT"
snapshot "$TREE" >"$WORK/snap"
make_patch "$TREE" kernel/core.c 's|x - 7;|x - 8; /* SLOW_MARKER */|' "$WORK/slow.patch"
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$WORK/fix.patch"
RUN_LOG_GLOB="$KPATCH_BUILD_CACHE/trees/*/run/build.log"

# start_run VAR=VALUE...: kpatch-build on the slow patch in the background.
start_run() {
	: >"$WORK/bg.out"
	env "$@" "$KPATCH_BUILD" -s "$TREE" -o "$OUT" "$WORK/slow.patch" >"$WORK/bg.out" 2>&1 &
	BG_PID=$!
}

# wait_for_log REGEX: until the running build's log matches (max 20s).
wait_for_log() {
	local i
	for ((i = 0; i < 200; i++)); do
		# shellcheck disable=SC2086 # the glob must expand
		if grep -q -E -- "$1" $RUN_LOG_GLOB 2>/dev/null; then
			sleep 0.3	# let the recipe reach its sleep
			return 0
		fi
		sleep 0.1
	done
	echo "    timed out waiting for '$1' in the build log" >&2
	return 1
}

# stop_run SIGNAL EXPECTED-STATUS DESCRIPTION
stop_run() {
	local status=0
	kill -s "$1" "$BG_PID"
	wait "$BG_PID" || status=$?
	cp "$WORK/bg.out" "$WORK/out"
	if [[ $status == "$2" ]]; then pass "$3: exit $2"; else fail_test "$3: exit $status, expected $2"; fi
}

no_leftover() {
	! pgrep -f -x "sleep $1" >/dev/null
}

start_run FAKE_SLOW=37
wait_for_log 'CC +kernel/core.o'
stop_run INT 130 "SIGINT while the patched build runs"
check "SIGINT: reported" output_has "SIGINT received"
check "SIGINT: make and its jobs are gone" no_leftover 37
check "SIGINT: tree identical" same_tree "$TREE" "$WORK/snap"
check "SIGINT: no journal left" test -z "$(find "$KPATCH_BUILD_CACHE" -name journal)"

start_run FAKE_SLOW_AFTER=38
wait_for_log 'CC +kernel/core.o'
stop_run TERM 143 "SIGTERM after the object was recompiled"
check "SIGTERM: make and its jobs are gone" no_leftover 38
check "SIGTERM: object, .cmd and source restored" same_tree "$TREE" "$WORK/snap"

start_run FAKE_SLOW=39
wait_for_log 'CC +kernel/core.o'
stop_run HUP 129 "SIGHUP"
check "SIGHUP: tree identical" same_tree "$TREE" "$WORK/snap"

start_run FAKE_CDO_MODE=sleep
wait_for_log 'fake-create-diff-object'
stop_run INT 130 "SIGINT while the differ runs"
check "differ stopped" no_leftover 41
check "SIGINT in the differ: tree identical" same_tree "$TREE" "$WORK/snap"
check "SIGINT: no module written" test -z "$(find "$OUT" -name '*slow*')"

# kbuild's try-run directory .tmp_<pid>, left by a make stopped inside it.
start_run FAKE_TRYRUN=43
wait_for_log 'TRYRUN'
check "try-run: its directory exists while it runs (test sanity)" \
	test -n "$(find "$TREE" -maxdepth 1 -name '.tmp_*')"
stop_run TERM 143 "SIGTERM during kbuild's try-run"
check "try-run: no .tmp_ directory left in the tree" test -z "$(find "$TREE" -maxdepth 1 -name '.tmp_*')"
check "try-run: tree identical" same_tree "$TREE" "$WORK/snap"

# A signal while the objects to rebuild are read from a process
# substitution: the trap then runs inside "IFS= read", whose empty IFS must
# not change how the journal is read back (it did: nothing was restored and
# the journal was deleted).
for sig in INT:130 TERM:143 HUP:129; do
	STATUS=0
	KPATCH_BUILD_TEST_SIGNAL=${sig%:*}@select-objects "$KPATCH_BUILD" -s "$TREE" -o "$OUT" \
		"$WORK/fix.patch" >"$WORK/out" 2>&1 || STATUS=$?
	check "SIG${sig%:*} while selecting objects: point reached" output_has "test point select-objects"
	check "SIG${sig%:*} while selecting objects: exit ${sig#*:}" test "$STATUS" = "${sig#*:}"
	check "SIG${sig%:*} while selecting objects: tree identical" same_tree "$TREE" "$WORK/snap"
done

# A second run on the same tree while one is running.
start_run FAKE_SLOW=40
wait_for_log 'CC +kernel/core.o'
expect_status 1 "concurrent run on the same tree refused" -s "$TREE" -o "$OUT" "$WORK/fix.patch"
check "concurrent run: clear message" output_has "another kpatch-build is working on $TREE"
stop_run INT 130 "first run stopped after the refusal"
check "concurrent run: tree identical" same_tree "$TREE" "$WORK/snap"

# A kpatch-batch fix that handed the tree on still builds its module
# against the tree's headers (a shared lock on "readers"): another run
# waits for it instead of patching a header under it.
readers="$KPATCH_BUILD_CACHE/trees/$(basename "$TREE")-$(printf '%s' "$TREE" | sha256sum | cut -c1-12)/readers"
mkdir -p "$(dirname "$readers")"
flock -s "$readers" sleep 30 &
reader=$!
sleep 0.3
KPATCH_READERS_WAIT=1 expect_status 1 "a run while a batch fix still reads the tree gives up after the wait" \
	-s "$TREE" -o "$OUT" "$WORK/fix.patch"
check "readers: it said what it waited for" output_has "waiting for a kpatch-batch fix that still builds its module against $TREE"
check "readers: tree identical" same_tree "$TREE" "$WORK/snap"
kill "$reader" 2>/dev/null
wait "$reader" 2>/dev/null || true
expect_status 0 "once the batch fix is done, the run goes ahead" -s "$TREE" -o "$OUT" "$WORK/fix.patch"

# A run killed with SIGKILL (or a machine crash) mid-build: its make is
# killed too, the tree stays patched, and the next run repairs it.
start_run FAKE_SLOW_AFTER=42
wait_for_log 'CC +kernel/core.o'
make_pgid=$(pgrep -P "$BG_PID" | head -n 1)
kill -KILL "$BG_PID"
wait "$BG_PID" 2>/dev/null
expect_status 1 "the orphaned make still holds the lock" -s "$TREE" -o "$OUT" "$WORK/fix.patch"
check "lock message: the run's process is gone, its build is not" output_has "Its process $BG_PID is gone"
[[ -n $make_pgid ]] && kill -KILL -- "-$make_pgid" 2>/dev/null
sleep 0.3
check "after kill -9 the tree is still patched (test sanity)" grep -q SLOW_MARKER "$TREE/kernel/core.c"
expect_status 0 "next run after a kill -9" -s "$TREE" -o "$OUT" "$WORK/fix.patch"
check "next run says it repairs the tree" output_has "did not finish"
check "tree identical after the repair and the run" same_tree "$TREE" "$WORK/snap"
finish
