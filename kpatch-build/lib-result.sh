# shellcheck shell=bash
# lib-result.sh: the machine-readable result of one kpatch-build run
# (--result FILE), for kpatch-batch and CI. Only the driver knows which
# stage a run stopped in, so the verdict is decided here, from the exit
# status and the failure kind the stages note. JSON is made by jq only.
#
# Verdicts (stable strings, see kpatch-build(1)):
#   built, refused, no-runtime-change, init-only, does-not-apply,
#   does-not-compile, error, interrupted

RESULT_FILE=""		# --result
RESULT_FAILURE=""	# does-not-apply / does-not-compile, noted before the exit
DRIVER_REFUSALS=()	# JSON objects of refusals found by the driver itself
DRIVER_WARNINGS=()	# JSON objects of what the driver let through with a warning
STARTED_AT=$EPOCHREALTIME

# check_result_option: the directory must exist; the file is replaced whole.
check_result_option() {
	[[ -n $RESULT_FILE ]] || return 0
	local dir
	dir=$(dirname -- "$RESULT_FILE")
	[[ -d $dir && -w $dir ]] || usage_error "--result: directory '$dir' does not exist or is not writable"
	command -v jq >/dev/null || usage_error "--result needs jq, which is not installed"
	RESULT_FILE=$(readlink -f -- "$RESULT_FILE")
}

# result_failure KIND: the exit that follows is KIND, not a generic error.
result_failure() {
	RESULT_FAILURE=$1
}

# result_refusal CODE OBJECT FILE MESSAGE: a refusal the driver found (the
# differ's own are read from its reports).
result_refusal() {
	[[ -n $RESULT_FILE ]] || return 0
	DRIVER_REFUSALS+=("$(jq -n -c --arg code "$1" --arg object "$2" --arg file "$3" --arg message "$4" \
		'{code: $code, function: null, object: (if $object == "" then null else $object end),
		  file: (if $file == "" then null else $file end), line: null, message: $message}')")
}

# result_warning CODE OBJECT SYMBOL MESSAGE: something the driver let
# through that a CI user should still see, by a stable code.
result_warning() {
	[[ -n $RESULT_FILE ]] || return 0
	DRIVER_WARNINGS+=("$(jq -n -c --arg code "$1" --arg object "$2" --arg symbol "$3" --arg message "$4" \
		'{code: $code, object: (if $object == "" then null else $object end),
		  symbol: (if $symbol == "" then null else $symbol end), message: $message}')")
}

# stage_key TEXT: a stable name for a stage line's text.
stage_key() {
	case $1 in
	"Checking kernel configuration") echo check_config ;;
	"Checking compiler"*) echo check_compiler ;;
	"Checking patch files") echo check_patches ;;
	"Preparing kernel tree"*) echo prepare_tree ;;
	"Building original"*) echo build_original ;;
	"Building patched objects") echo build_patched ;;
	"Extracting changed functions") echo diff ;;
	"Linking changed functions") echo link ;;
	"Building module"*) echo build_module ;;
	"Verifying module"*) echo verify ;;
	"Unpacking "*) echo unpack ;;
	*) local key=${1,,}; echo "${key//[^a-z0-9]/_}" ;;
	esac
}

# stage_times_json: {key: seconds}; a stage that did not finish counts up
# to now, and a stage run twice (the compiler check) adds up.
stage_times_json() {
	local entry lines=()
	for entry in "${STAGE_TIMES[@]}"; do
		lines+=("$(stage_key "${entry%%$'\t'*}")"$'\t'"${entry#*$'\t'}")
	done
	if ((STAGE_OPEN)); then
		lines+=("$(stage_key "$STAGE_TEXT")"$'\t'"$(microseconds_since "$STAGE_START_REAL")")
	fi
	((${#lines[@]})) || { echo '{}'; return; }
	printf '%s\n' "${lines[@]}" | jq -R -s -c '
		[split("\n")[] | select(. != "") | split("\t") | {key: .[0], value: (.[1] | tonumber)}]
		| reduce .[] as $s ({}; .[$s.key] += $s.value / 1000000)'
}

# verdict_of STATUS
verdict_of() {
	case $1 in
	0) echo built ;;
	2) echo refused ;;
	3) echo no-runtime-change ;;
	5) echo init-only ;;
	1) echo "${RESULT_FAILURE:-error}" ;;
	*) if (($1 > 128)); then echo interrupted; else echo error; fi ;;
	esac
}

# differ_reports: the differ's per-object JSON reports of this run.
differ_reports() {
	[[ -d $RUN_DIR/reports ]] || return 0
	find "$RUN_DIR/reports" -name '*.json' ! -name '*.verify.json' -type f | LC_ALL=C sort
}

# result_log_file: where the result says this run's log is. The shared
# last-build.log is the next run's by the time a reader of the result
# (kpatch-batch, with two runs at once) gets to it: with --result the log
# is also kept beside the result, as FILE.log (FILE without .json).
result_log_file() {
	if [[ -n $RESULT_FILE ]]; then
		printf '%s.log\n' "${RESULT_FILE%.json}"
	else
		printf '%s\n' "$CACHE_DIR/last-build.log"
	fi
}

# write_result STATUS: RESULT_FILE, written beside it and renamed into place.
write_result() {
	local status=$1 verdict module=null reports=() report tmp
	[[ -n $RESULT_FILE ]] || return 0
	verdict=$(verdict_of "$status")
	if ((status == 0)) && [[ -f $OUTPUT_DIR/$NAME.ko ]]; then
		module=$(jq -n -c --arg path "$OUTPUT_DIR/$NAME.ko" --argjson size "$(stat -c %s -- "$OUTPUT_DIR/$NAME.ko")" \
			--arg sha256 "$(sha256sum <"$OUTPUT_DIR/$NAME.ko" | cut -d' ' -f1)" \
			'{path: $path, size: $size, sha256: $sha256}')
	fi
	mapfile -t reports < <(differ_reports)
	tmp=$RESULT_FILE.tmp.$$
	# Reports that are not valid JSON (a killed differ) are left out.
	if {
		for report in "${reports[@]}"; do
			jq -c . "$report" 2>/dev/null || true
		done
	} | jq -s \
		--arg version "$VERSION" --arg verdict "$verdict" --argjson status "$status" \
		--arg name "$NAME" --arg tree "$TREE" --arg log "$(result_log_file)" \
		--arg release "${KERNEL_RELEASE:-}" \
		--argjson mod "$module" --argjson stages "$(stage_times_json)" \
		--argjson seconds "$(microseconds_since "$STARTED_AT")" \
		--argjson driver_refusals "[$(IFS=,; echo "${DRIVER_REFUSALS[*]}")]" \
		--argjson driver_warnings "[$(IFS=,; echo "${DRIVER_WARNINGS[*]}")]" \
		--args '
		def functions($status):
			[.[] | .object as $o | .parent as $p | (.functions // [])[]
			 | select(.status == $status)
			 | {name, object: $o, parent: ($p // null), patched}];
		{
			format: "kpatch-build-result", version: 1,
			tool_version: $version, verdict: $verdict, exit_status: $status,
			name: $name, tree: $tree, patches: $ARGS.positional,
			kernel_release: (if $release == "" then null else $release end),
			refusals: ($driver_refusals + [.[] | .object as $o | (.refusals // [])[]
				| {code, function: (.function // null), object: $o,
				   file: (.file // null), line: (.line // null), message}]),
			warnings: $driver_warnings,
			changed_functions: functions("changed"),
			new_functions: functions("new"),
			"module": $mod,
			stage_times: $stages,
			seconds: ($seconds / 1000000),
			log: $log
		}' "${PATCHES[@]}" >"$tmp" 2>>"${LOG_FILE:-/dev/null}" && mv -f -- "$tmp" "$RESULT_FILE"; then
		return 0
	fi
	rm -f -- "$tmp"
	printf 'kpatch-build: could not write the result file %s\n' "$RESULT_FILE" >&2
	return 1
}
