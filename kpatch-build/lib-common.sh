# shellcheck shell=bash
# lib-common.sh: messages, stage timing, the build log and child processes
# for kpatch-build. Sourced by kpatch-build; not a program of its own.

# Exit codes, documented in kpatch-build(1) and --help.
# shellcheck disable=SC2034 # used by the scripts that source this file
readonly EXIT_SUCCESS=0 EXIT_ERROR=1 EXIT_UNSUPPORTED=2 EXIT_NO_CHANGE=3 EXIT_USAGE=4 EXIT_INIT_ONLY=5

LOG_FILE=""		# per-run log; empty until the scratch directory exists
DEBUG=0
STAGE_TEXT=""
STAGE_START=0
STAGE_LINE_OPEN=0	# 1 while "Stage ..." waits for its " done (...)"
STAGE_OPEN=0		# 1 between stage_begin and stage_end
STAGE_START_REAL=""	# $EPOCHREALTIME at stage_begin
STAGE_TIMES=()		# "TEXT<tab>MICROSECONDS" of each finished stage
CHILD_PID=""		# session/group leader of the running long command
SIGNALS_DEFERRED=0	# >0: a signal is only noted, and acted on by signals_resume
PENDING_SIGNAL=""	# "NAME NUMBER" of a signal noted while deferred

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
	finish_without_module "$1" ERROR "${@:2}"
}

# finish_without_module CODE LABEL MESSAGE...: end the run with a verdict
# other than a module (LABEL: ERROR, or a verdict that is no error).
finish_without_module() {
	local code=$1 label=$2 first=1 line
	shift 2
	if ((STAGE_LINE_OPEN)); then
		printf ' FAILED\n'
		STAGE_LINE_OPEN=0
	fi
	while IFS= read -r line; do
		if ((first)); then
			printf '%s: %s\n' "$label" "$line" >&2
			first=0
		else
			printf '%*s  %s\n' "${#label}" "" "$line" >&2
		fi
		log "$label: $line"
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

# dirname_to VAR PATH and basename_to VAR PATH [SUFFIX]: what dirname(1)
# and basename(1) print, stored in VAR without a process. A run resolves
# hundreds of paths, and on a virtual machine a process costs milliseconds.
# (Their locals have names no caller's VAR has: printf -v sees the innermost.)
dirname_to() {
	local _dn_path=$2
	while [[ $_dn_path == ?*/ ]]; do _dn_path=${_dn_path%/}; done
	if [[ $_dn_path != */* ]]; then
		_dn_path=.
	else
		_dn_path=${_dn_path%/*}
		while [[ $_dn_path == ?*/ ]]; do _dn_path=${_dn_path%/}; done
		[[ -n $_dn_path ]] || _dn_path=/
	fi
	printf -v "$1" '%s' "$_dn_path"
}

basename_to() {
	local _bn_path=$2
	while [[ $_bn_path == ?*/ ]]; do _bn_path=${_bn_path%/}; done
	[[ $_bn_path == / ]] || _bn_path=${_bn_path##*/}
	[[ -z ${3:-} || $_bn_path == "$3" ]] || _bn_path=${_bn_path%"$3"}
	printf -v "$1" '%s' "$_bn_path"
}

# microseconds_since START: START is an $EPOCHREALTIME value.
microseconds_since() {
	local now=${EPOCHREALTIME/./} then=${1/./}
	echo $((10#$now - 10#$then))
}

stage_begin() {
	close_stage_line
	STAGE_TEXT=$1
	STAGE_START=$SECONDS
	STAGE_START_REAL=$EPOCHREALTIME
	STAGE_OPEN=1
	printf '%s ...' "$STAGE_TEXT"
	STAGE_LINE_OPEN=1
	local now
	printf -v now '%(%F %T)T' -1
	log "=== $STAGE_TEXT ($now)"
}

# stage_end [DETAIL]: " done (1m02s)" or " done (1m02s, DETAIL)".
stage_end() {
	local result duration now=${EPOCHREALTIME/./} then=${STAGE_START_REAL/./}
	# no $(...): each costs a fork, and a run has dozens of stages
	printf -v duration '%ds' $((SECONDS - STAGE_START))
	((SECONDS - STAGE_START < 60)) || duration=$(format_duration $((SECONDS - STAGE_START)))
	result="done ($duration${1:+, $1})"
	STAGE_TIMES+=("$STAGE_TEXT"$'\t'"$((10#$now - 10#$then))")
	STAGE_OPEN=0
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
		# SIGKILL stands for a crash: of the subshell doing the work too.
		kill -s "$sig" "$$"
		[[ $sig != KILL ]] || kill -s KILL "$BASHPID"
	done
}

# signals_defer / signals_resume: around a few commands that must not be
# separated (starting a child and noting its pid). A signal in between is
# acted on when they are done. The handler is on_signal in kpatch-build.
signals_defer() {
	SIGNALS_DEFERRED=$((SIGNALS_DEFERRED + 1))
}

signals_resume() {
	SIGNALS_DEFERRED=$((SIGNALS_DEFERRED - 1))
	if ((SIGNALS_DEFERRED == 0)) && [[ -n $PENDING_SIGNAL ]]; then
		# shellcheck disable=SC2086 # "NAME NUMBER"
		stop_on_signal $PENDING_SIGNAL
	fi
}

# run_child OUT ERR COMMAND...: run a long command in its own session, so
# that on a signal we can stop it together with everything it started
# (make, its sub-makes and their compilers) and wait for all of them before
# the tree is restored. Returns the command's exit status.
run_child() {
	local out=$1 err=$2 rc=0
	shift 2
	debug "run: $*"
	# A signal between the fork and noting the pid would leave a child
	# nobody stops, still writing the tree while it is restored.
	signals_defer
	setsid "$@" </dev/null >>"$out" 2>>"$err" &
	CHILD_PID=$!
	signals_resume
	test_point child-started
	wait "$CHILD_PID" || rc=$?
	CHILD_PID=""
	return "$rc"
}

# stop_child: stop the running child's process group and wait until no
# member is left, since an orphaned compiler could otherwise write an object
# (or kbuild's fixdep a .cmd file) after we restored it. Returns non-zero if
# some member survives even SIGKILL; the tree must not be restored then.
stop_child() {
	local pgid=$CHILD_PID
	[[ -n $pgid ]] || return 0
	# The pid too: the child may not have called setsid() yet.
	kill -TERM -- "-$pgid" "$pgid" 2>/dev/null
	# make forwards SIGTERM to its jobs and waits for them; give it 10s.
	wait_until_gone "$pgid" 100 || kill -KILL -- "-$pgid" "$pgid" 2>/dev/null
	wait_until_gone "$pgid" 100
	wait "$pgid" 2>/dev/null
	# Members that outlived the leader (a compiler under a killed shell).
	if ! wait_until_gone "-$pgid" 50; then
		kill -KILL -- "-$pgid" 2>/dev/null
		if ! wait_until_gone "-$pgid" 300; then
			printf 'kpatch-build: processes of the stopped build are still running: %s\n' \
				"$(pgrep -g "$pgid" | tr '\n' ' ')" >&2
			return 1
		fi
	fi
	CHILD_PID=""
}

# wait_until_gone PID|-PGID TENTHS: poll until no live process is left.
# Zombies count as gone (ours until reaped; orphans where nothing reaps).
wait_until_gone() {
	local target=$1 tenths=$2 pid
	while ((tenths-- > 0)); do
		if [[ $target != -* ]]; then
			is_live_process "$target" || return 0
		else
			local live=0
			local pids=()
			mapfile -t pids < <(pgrep -g "${target#-}" 2>/dev/null)
			for pid in "${pids[@]}"; do
				is_live_process "$pid" && live=1
			done
			((live)) || return 0
		fi
		sleep 0.1
	done
	return 1
}

is_live_process() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}
