# shellcheck shell=bash
# signals.sh: kpatch-build interrupted on the real test kernel tree. Runs on
# one suite patch are stopped by SIGINT, SIGTERM and SIGHUP at named points
# (the test-only KPATCH_BUILD_TEST_SIGNAL hooks of kpatch-build) and at
# random moments after a stage line appears; the Ctrl-C ones go to the whole
# process group, as a terminal sends them. After each: the expected exit
# status, no file of the tree written since the run began (mtime) and the
# patched sources, their objects and .cmd files byte- and mtime-identical, nothing
# left (kbuild .tmp_* directories, restore temporaries, processes), and a
# normal make of the touched objects succeeds and rebuilds nothing.
# Uses PASSED/FAILED and KPATCH_BUILD of the caller.

SIGNAL_HOOKS=(after-backup patch-applied#1 select-objects child-started#1 child-started#2
	patched-built restore-begin restore-middle restore-end restored)
SIGNAL_STAGES=("Checking patch files" "Building original kernel" "Building patched objects"
	"Extracting changed functions" "Linking changed functions" "Building module")

# signal_stress TREE WORK NAME MODE: MODE "short" (smoke: a few points per
# signal) or "full" (every hook and 3 random moments per stage, per signal).
signal_stress() {
	local tree=$1 work=$2 name=$3 mode=$4 sig point stage n tried
	local dir=$work/signals
	mkdir -p "$dir"
	SIG_TREE=$tree SIG_DIR=$dir SIG_PATCH=$SUITE_DIR/$name.patch
	signal_watched_files >"$dir/files"
	signal_hash_files >"$dir/before.sha256"
	for sig in INT TERM HUP; do
		tried=0
		if [[ $mode == short ]]; then
			signal_hook_run "$sig" patch-applied#1 && tried=$((tried + 1))
			signal_stage_run "$sig" 2 && tried=$((tried + 1))
		else
			for point in "${SIGNAL_HOOKS[@]}"; do
				signal_hook_run "$sig" "$point" && tried=$((tried + 1))
			done
			signal_hook_run "$sig" "patch-applied#1,$sig@restore-middle" && tried=$((tried + 1))
			signal_hook_run "$sig" "after-backup,$sig@after-backup" && tried=$((tried + 1))
			for ((stage = 0; stage < ${#SIGNAL_STAGES[@]}; stage++)); do
				for ((n = 0; n < 3; n++)); do
					signal_stage_run "$sig" "$stage" && tried=$((tried + 1))
				done
			done
		fi
		echo "signal stress    SIG$sig: $tried interruption points tried on $name, each checked"
	done
}

# The files the patch touches, with the objects and .cmd files of its .c files.
signal_watched_files() {
	local f
	while IFS= read -r f; do
		echo "$f"
		[[ $f == *.c && -f $SIG_TREE/${f%.c}.o ]] || continue
		echo "${f%.c}.o"
		echo "$(dirname "$f")/.$(basename "${f%.c}").o.cmd"
	done < <(lsdiff --strip=1 -- "$SIG_PATCH" 2>/dev/null ||
		sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$SIG_PATCH")
}

# Content and mtime of each watched file.
signal_hash_files() {
	(cd "$SIG_TREE" && xargs -r -d '\n' sha256sum -- <"$SIG_DIR/files" &&
		xargs -r -d '\n' stat -c '%Y %n' -- <"$SIG_DIR/files")
}

# signal_kpb: kpatch-build on the patch, with SIGINT at its default
# disposition (a background job of a script would inherit it ignored).
# It replaces the calling (sub)shell, so that $! of "signal_kpb &" is
# kpatch-build itself: call it in a subshell or in the background.
signal_kpb() {
	# A suite started under nohup or in a non-interactive shell's background
	# passes HUP or INT down ignored, and no bash can trap those again.
	exec perl -e '$SIG{$_} = "DEFAULT" for qw(INT TERM HUP); exec @ARGV or die "exec: $!\n"' -- \
		"$KPATCH_BUILD" -s "$SIG_TREE" -n kpt_signals -o "$SIG_DIR" "$SIG_PATCH"
}

signal_result() {
	if "${@:2}"; then
		PASSED=$((PASSED + 1))
	else
		echo "signal stress    $1 => FAIL (log: $SIG_DIR/last.log)"
		FAILED=$((FAILED + 1))
	fi
}

signal_nothing_newer() {
	local newer
	# (kbuild's prepare step rewrites .missing-syscalls.d on every make)
	newer=$(find "$SIG_TREE" -newer "$SIG_DIR/marker" ! -type d ! -name .missing-syscalls.d \
		-print 2>/dev/null | head -n 5)
	[[ -z $newer ]] || { printf '    written: %s\n' "$newer"; return 1; }
}

signal_nothing_left() {
	local left
	left=$( (find "$SIG_TREE" -maxdepth 1 -name '.tmp_*' -newer "$SIG_DIR/marker"
		sed 's|/[^/]*$||' "$SIG_DIR/files" | sort -u | while IFS= read -r d; do
			find "$SIG_TREE/$d" -maxdepth 1 -name '.kpatch-restore.*'
		done) | head -n 5)
	[[ -z $left ]] || { printf '    left: %s\n' "$left"; return 1; }
}

signal_no_process() {
	! pgrep -f -- "$SIG_TREE" >/dev/null
}

# A normal make of the touched objects: works, rebuilds nothing (kbuild's
# prepare step may still rewrite its own files such as .missing-syscalls.d).
signal_make_consistent() {
	local objects
	objects=$(grep '\.o$' "$SIG_DIR/files" | tr '\n' ' ')
	[[ -n $objects ]] || return 0
	# shellcheck disable=SC2086 # object list
	kernel_build_cmd "$SIG_TREE" $objects >"$SIG_DIR/make.log" 2>&1 &&
		signal_files_same
}

signal_files_same() {
	signal_hash_files | cmp -s - "$SIG_DIR/before.sha256"
}

# signal_verify LABEL WANT STATUS
signal_verify() {
	local label=$1 want=$2 status=$3
	signal_result "$label: exit $status, expected $want" test "$status" = "$want"
	signal_result "$label: tree written" signal_nothing_newer
	signal_result "$label: files differ" signal_files_same
	signal_result "$label: temporaries left" signal_nothing_left
	signal_result "$label: processes left" signal_no_process
	signal_result "$label: make after it" signal_make_consistent
}

# signal_hook_run SIG SPEC: interrupt at a named point (SPEC after "SIG@").
signal_hook_run() {
	local sig=$1 spec=$2 status=0 point=${2%%,*}
	touch "$SIG_DIR/marker"
	(
		export KPATCH_BUILD_TEST_SIGNAL=$sig@$spec
		signal_kpb
	) >"$SIG_DIR/last.log" 2>&1 </dev/null || status=$?
	if ! grep -q "test point $point: sending" "$SIG_DIR/last.log"; then
		echo "signal stress    SIG$sig at $point: point not reached => FAIL (log: $SIG_DIR/last.log)"
		FAILED=$((FAILED + 1))
		return 1
	fi
	signal_verify "SIG$sig at $point" $((128 + $(kill -l "$sig"))) "$status"
}

# signal_stage_run SIG STAGE-INDEX: a random 0-2 s after the stage's line.
# SIGINT goes to the whole process group, as a terminal's Ctrl-C does; so
# does every other SIGTERM and SIGHUP.
SIGNAL_STAGE_RUNS=0
signal_stage_run() {
	local sig=$1 stage=${SIGNAL_STAGES[$2]} delay status=0 pid target i how=""
	delay=$((RANDOM % 2000))
	touch "$SIG_DIR/marker"
	set -m
	signal_kpb >"$SIG_DIR/last.log" 2>&1 </dev/null &
	pid=$!
	set +m
	for ((i = 0; i < 6000; i++)); do
		grep -qF -- "$stage" "$SIG_DIR/last.log" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
	target=$pid
	if [[ $sig == INT ]] || ((SIGNAL_STAGE_RUNS++ % 2)); then
		target=-$pid
		how=" (to its process group)"
	fi
	local label="SIG$sig ${delay}ms into '$stage'$how"
	if ! kill -s "$sig" -- "$target" 2>/dev/null; then
		wait "$pid"
		status=$?
		if ((status)); then
			echo "signal stress    $label: the run had failed before the signal (exit $status) => FAIL (log: $SIG_DIR/last.log)"
			FAILED=$((FAILED + 1))
		else
			echo "signal stress    $label: the run had succeeded before the signal => not counted"
		fi
		return 1
	fi
	wait "$pid" || status=$?
	if ((status == 0)); then
		echo "signal stress    $label: the run had succeeded => not counted"
		signal_result "$label (after success): tree written" signal_nothing_newer
		return 1
	fi
	signal_verify "$label" $((128 + $(kill -l "$sig"))) "$status"
}
