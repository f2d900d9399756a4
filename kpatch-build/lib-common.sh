# shellcheck shell=bash
# lib-common.sh: messages, stage timing, the build log and child processes
# for kpatch-build. Sourced by kpatch-build; not a program of its own.

# Exit codes, documented in kpatch-build(1) and --help.
# shellcheck disable=SC2034 # used by the scripts that source this file
readonly EXIT_SUCCESS=0 EXIT_ERROR=1 EXIT_UNSUPPORTED=2 EXIT_NO_CHANGE=3 EXIT_USAGE=4

LOG_FILE=""		# per-run log; empty until the scratch directory exists
DEBUG=0
STAGE_TEXT=""
STAGE_START=0
STAGE_LINE_OPEN=0	# 1 while "Stage ..." waits for its " done (...)"
CHILD_PID=""		# session/group leader of the running long command

log() {
	if [[ -n $LOG_FILE ]]; then
		printf '%s\n' "$*" >>"$LOG_FILE"
	fi
}

# A stage line stays open so its result lands on the same line; anything
# printed in between first finishes that line.
close_stage_line() {
	if ((STAGE_LINE_OPEN)); then
		printf '\n'
		STAGE_LINE_OPEN=0
	fi
}

info() {
	close_stage_line
	printf '%s\n' "$*"
	log "$*"
}

note() {
	close_stage_line
	printf 'NOTE: %s\n' "$*"
	log "NOTE: $*"
}

warn() {
	close_stage_line
	printf 'WARNING: %s\n' "$*" >&2
	log "WARNING: $*"
}

debug() {
	log "DEBUG: $*"
	if ((DEBUG)); then
		close_stage_line
		printf 'DEBUG: %s\n' "$*"
	fi
}

# fail CODE MESSAGE...: print the error and exit; the EXIT trap restores
# the tree. Each message line after the first is indented.
fail() {
	local code=$1 first=1 line
	shift
	if ((STAGE_LINE_OPEN)); then
		printf ' FAILED\n'
		STAGE_LINE_OPEN=0
	fi
	while IFS= read -r line; do
		if ((first)); then
			printf 'ERROR: %s\n' "$line" >&2
			first=0
		else
			printf '       %s\n' "$line" >&2
		fi
		log "ERROR: $line"
	done <<<"$*"
	exit "$code"
}

die() {
	fail "$EXIT_ERROR" "$@"
}

usage_error() {
	printf 'kpatch-build: %s\n' "$*" >&2
	printf "Try 'kpatch-build --help' for more information.\n" >&2
	exit "$EXIT_USAGE"
}

format_duration() {
	local secs=$1
	if ((secs < 60)); then
		printf '%ds' "$secs"
	elif ((secs < 3600)); then
		printf '%dm%02ds' $((secs / 60)) $((secs % 60))
	else
		printf '%dh%02dm%02ds' $((secs / 3600)) $((secs % 3600 / 60)) $((secs % 60))
	fi
}

stage_begin() {
	close_stage_line
	STAGE_TEXT=$1
	STAGE_START=$SECONDS
	printf '%s ...' "$STAGE_TEXT"
	STAGE_LINE_OPEN=1
	log "=== $STAGE_TEXT ($(date '+%F %T'))"
}

# stage_end [DETAIL]: " done (1m02s)" or " done (1m02s, DETAIL)".
stage_end() {
	local result
	result="done ($(format_duration $((SECONDS - STAGE_START)))${1:+, $1})"
	if ((STAGE_LINE_OPEN)); then
		printf ' %s\n' "$result"
	else
		printf '%s ... %s\n' "$STAGE_TEXT" "$result"
	fi
	STAGE_LINE_OPEN=0
	log "=== $STAGE_TEXT: $result"
}

# The lines of a failed build most likely to explain it: compiler and make
# errors if there are any, else simply the end of the log.
show_log_excerpt() {
	local file=$1 relevant
	[[ -s $file ]] || return 0
	relevant=$(grep -E -i -e 'error|\*\*\*|undefined|fatal|failed|No rule to make' -- "$file" | tail -n 20) || true
	[[ -n $relevant ]] || relevant=$(tail -n 20 -- "$file")
	if ((STAGE_LINE_OPEN)); then
		printf ' FAILED\n'
		STAGE_LINE_OPEN=0
	fi
	printf '%s\n' "--- from ${file}:" >&2
	printf '%s\n' "$relevant" | sed 's/^/  | /' >&2
	printf '%s\n' "---" >&2
}

# test_point NAME: a named point at which the tests interrupt a run. TEST
# ONLY, not an interface: KPATCH_BUILD_TEST_SIGNAL=SIG@NAME[#N][,...] makes
# the run send SIG to itself when it reaches NAME (its Nth time), as if the
# user pressed Ctrl-C exactly there. Works from subshells ($$ is the run).
declare -A TEST_POINT_SEEN=()
test_point() {
	[[ -n ${KPATCH_BUILD_TEST_SIGNAL:-} ]] || return 0
	local specs spec sig point
	TEST_POINT_SEEN[$1]=$((${TEST_POINT_SEEN[$1]:-0} + 1))
	IFS=, read -r -a specs <<<"$KPATCH_BUILD_TEST_SIGNAL"
	for spec in "${specs[@]}"; do
		sig=${spec%%@*}
		point=${spec#*@}
		[[ $point == "$1" || $point == "$1#${TEST_POINT_SEEN[$1]}" ]] || continue
		printf 'kpatch-build: test point %s: sending SIG%s\n' "$point" "$sig" >&2
		kill -s "$sig" "$$"
	done
}

# run_child OUT ERR COMMAND...: run a long command in its own session, so
# that on a signal we can stop it together with everything it started
# (make, its sub-makes and their compilers) and wait for all of them before
# the tree is restored. Returns the command's exit status.
run_child() {
	local out=$1 err=$2 rc=0
	shift 2
	debug "run: $*"
	setsid "$@" </dev/null >>"$out" 2>>"$err" &
	CHILD_PID=$!
	test_point child-started
	wait "$CHILD_PID" || rc=$?
	CHILD_PID=""
	return "$rc"
}

# Stop the running child's process group and wait until no member is left:
# an orphaned compiler could otherwise write an object after we restored it.
stop_child() {
	local pgid=$CHILD_PID
	[[ -n $pgid ]] || return 0
	CHILD_PID=""
	kill -TERM -- "-$pgid" 2>/dev/null || true
	# make forwards SIGTERM to its jobs and waits for them; give it 10s.
	wait_until_gone "$pgid" 100 || kill -KILL -- "-$pgid" 2>/dev/null || true
	wait "$pgid" 2>/dev/null || true
	# Members that outlived the leader (a compiler under a killed shell).
	wait_until_gone "-$pgid" 50 || kill -KILL -- "-$pgid" 2>/dev/null || true
	wait_until_gone "-$pgid" 20 || true
}

# wait_until_gone PID|-PGID TENTHS: poll until no live process is left.
# Our unreaped child counts as gone once it is a zombie.
wait_until_gone() {
	local target=$1 tenths=$2 stat
	while ((tenths-- > 0)); do
		if [[ $target != -* ]]; then
			stat=$(cat "/proc/$target/stat" 2>/dev/null) || return 0
			stat=${stat##*) }
			[[ ${stat%% *} != Z ]] || return 0
		else
			kill -0 -- "$target" 2>/dev/null || return 0
		fi
		sleep 0.1
	done
	return 1
}
