# shellcheck shell=bash
# shellcheck disable=SC2016 # the single-quoted $names are jq's
# lib-batch-report.sh: kpatch-batch's per-fix results (results/FIX.json)
# and the two reports made from them after every fix (report.json,
# junit.xml), plus the progress line. All JSON and XML escaping is jq's.
# Every file is written beside its place and renamed into it.

# Each fix's verdict so far (results/FIX.json), and its seconds (in
# microseconds) when this run built it.
declare -A FIX_VERDICT=() FIX_SECONDS=()

# json_array STRING...: a JSON array of the strings. Each is passed as a
# named argument, never as a command-line word jq could take for an option.
json_array() {
	local args=() i
	for ((i = 1; i <= $#; i++)); do
		args+=(--arg "$(printf 'a%06d' "$i")" "${!i}")
	done
	jq -n -c "${args[@]}" '[$ARGS.named | to_entries | sort_by(.key)[] | .value]'
}

# write_atomically FILE COMMAND...: FILE gets the command's output, whole.
# A Ctrl-C reaches the whole foreground process group and may kill the
# command (jq) too: once the batch is stopping, it is tried again.
write_atomically() {
	local file=$1 tmp=$1.tmp.$$ tries=3
	shift
	while ((tries--)); do
		if "$@" >"$tmp"; then
			mv -f -- "$tmp" "$file"
			return 0
		fi
		[[ -n $STOP_SIGNAL ]] || break
	done
	rm -f -- "$tmp"
	batch_die "could not write $file"
}

# record_result FIX STATUS MICROSECONDS RUN_DIR: results/FIX.json from the run's
# kpatch-build --result file (or, if it wrote none, from its exit status);
# the module goes to modules/FIX.ko (with --deb its package to
# modules/FIX.deb), kpatch-build's own build log is appended to logs/FIX.log.
record_result() {
	local fix=$1 status=$2 micros=$3 run=${4:-$REPORT_DIR/.run}
	local log=$REPORT_DIR/logs/$fix.log module_file=$REPORT_DIR/modules/$fix.ko
	local kpb="" verdict="" build_log="" built_ko="" fallback=error tail
	local module_path="" size=null package=null
	# One jq reads the run's result, one line each: the result compacted,
	# its verdict, build log and built module. Not JSON: nothing (null).
	if [[ -f $run/result.json ]]; then
		{ IFS= read -r kpb && IFS= read -r verdict && IFS= read -r build_log && IFS= read -r built_ko; } < <(
			jq -r -c '., (.verdict // ""), (.log // ""), (if .verdict == "built" then .module.path // "" else "" end)' \
				"$run/result.json" 2>/dev/null) || true
	fi
	[[ -n $kpb ]] || { kpb=null verdict="" build_log="" built_ko=""; }
	[[ -z $STOP_SIGNAL ]] || fallback=interrupted
	tail=$(tail -n 40 -- "$log")
	if [[ -n $build_log && -f $build_log ]]; then
		printf '\n---- kpatch-build log (%s)\n' "$build_log" >>"$log"
		cat -- "$build_log" >>"$log"
	fi
	if [[ -n $built_ko && -f $built_ko ]]; then
		mv -f -- "$built_ko" "$module_file"
		module_path=$module_file
		size=$(stat -c %s -- "$module_file")
	else
		rm -f -- "$module_file"
	fi
	move_built_package package "$fix" "$module_path" "$run"
	write_atomically "$REPORT_DIR/results/$fix.json" jq -n \
		--argjson kpb "$kpb" --arg name "$fix" --arg patch "$REPORT_DIR/fixes/$fix.patch" \
		--arg fallback "$fallback" --argjson status "$status" \
		--arg module_path "$module_path" --argjson size "$size" \
		--argjson package "$package" --argjson micros "$micros" --arg log "$log" --arg tail "$tail" '{
			name: $name, patch: $patch,
			verdict: ($kpb.verdict // $fallback), exit_status: $status,
			refusals: ($kpb.refusals // []),
			warnings: ($kpb.warnings // []),
			changed_functions: ($kpb.changed_functions // []),
			new_functions: ($kpb.new_functions // []),
			"module": (if $module_path == "" then null else {path: $module_path, size: $size} end),
			package: $package,
			stage_times: ($kpb.stage_times // {}),
			seconds: ($micros / 1000000),
			log: $log, log_tail: $tail
		}'
	FIX_VERDICT[$fix]=${verdict:-$fallback}
	FIX_SECONDS[$fix]=$micros
}

# move_built_package VAR FIX MODULE RUN_DIR: with --deb, the run's package
# (kpatch-build writes it next to the module) becomes modules/FIX.deb; VAR
# gets its JSON {path, file_name, size}, or null when the fix built none
# (MODULE empty).
# shellcheck disable=SC2034 # move_built_package_json: a nameref to the caller's variable
move_built_package() {
	local -n move_built_package_json=$1
	local fix=$2 module=$3 run=$4 debs=()
	local package_file=$REPORT_DIR/modules/$fix.deb
	move_built_package_json=null
	shopt -s nullglob
	debs=("$run/"*.deb)
	shopt -u nullglob
	if [[ -z $module || ${#debs[@]} -ne 1 ]]; then
		rm -f -- "$package_file" "${debs[@]}"
		return 0
	fi
	mv -f -- "${debs[0]}" "$package_file"
	move_built_package_json=$(jq -n -c --arg path "$package_file" --arg name "${debs[0]##*/}" \
		--argjson size "$(stat -c %s -- "$package_file")" '{path: $path, file_name: $name, size: $size}')
}

# result_files ARRAY: ARRAY gets results/FIX.json of the batch's fixes
# that have one, in fix order.
result_files() {
	local -n result_files_into=$1
	local fix
	result_files_into=()
	for fix in "${FIXES[@]}"; do
		[[ ! -f $REPORT_DIR/results/$fix.json ]] || result_files_into+=("$REPORT_DIR/results/$fix.json")
	done
}

VERDICTS_JSON=""	# VERDICT_LIST as a JSON array, made once

report_json() {
	local files=() originals=null ended
	result_files files
	# the last --batch-originals run (kpatch-batch's one make of all originals)
	[[ ! -f $REPORT_DIR/originals.json ]] || originals=$(<"$REPORT_DIR/originals.json")
	[[ -n $VERDICTS_JSON ]] || VERDICTS_JSON=$(json_array "${VERDICT_LIST[@]}")
	TZ=UTC printf -v ended '%(%FT%TZ)T' -1
	jq -s --slurpfile batch "$REPORT_DIR/batch.json" --arg version "$VERSION" --argjson originals "$originals" \
		--arg ended "$ended" --argjson total "${#FIXES[@]}" \
		--argjson verdicts "$VERDICTS_JSON" '. as $r | {
			format: "kpatch-batch-report", version: 1, tool_version: $version,
			started: $batch[0].started, ended: $ended,
			inputs: $batch[0].input, options: $batch[0].options,
			fixes_total: $total,
			originals: $originals,
			fixes: [$r[] | del(.log_tail)],
			totals: (reduce $r[] as $f (reduce $verdicts[] as $v ({}; .[$v] = 0); .[$f.verdict] += 1)
				+ {pending: ($total - ($r | length))}),
			refusal_table: (reduce ($r[] | [.refusals[].code] | unique[]) as $c ({}; .[$c] += 1))
		}' "${files[@]}" </dev/null
}

# junit_xml: one testsuite, one testcase per finished fix.
junit_xml() {
	local files=() ts
	result_files files
	TZ=UTC printf -v ts '%(%FT%TZ)T' -1
	jq -r -s --arg ts "$ts" '
		def x: tostring | gsub("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]"; "") | @html;
		def failed: .verdict | IN("error", "does-not-compile", "does-not-apply");
		def skipped: .verdict | IN("refused", "no-runtime-change", "init-only", "interrupted");
		def why: if .verdict == "refused" then "refused: " + ([.refusals[] | .code + ": " + .message] | join("; "))
			elif .verdict == "no-runtime-change" then "no runtime change: the fix changes no code of the running kernel"
			elif .verdict == "init-only" then "init-only: only __init code changed, no livepatch needed"
			elif .verdict == "interrupted" then "interrupted: built again when the batch resumes"
			else .verdict + " (kpatch-build exit status \(.exit_status))" end;
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
		"<testsuites>",
		"<testsuite name=\"kpatch-batch\" tests=\"\(length)\" failures=\"\(map(select(failed)) | length)\" errors=\"0\" skipped=\"\(map(select(skipped)) | length)\" time=\"\(map(.seconds) | add // 0 | . * 1000 | round / 1000)\" timestamp=\"\($ts)\">",
		(.[] | "<testcase classname=\"kpatch-batch\" name=\"\(.name | x)\" time=\"\(.seconds)\">",
			(if failed then "<failure type=\"\(.verdict)\" message=\"\(why | x)\"/>"
			 elif skipped then "<skipped message=\"\(why | x)\"/>" else empty end),
			"<system-out>\(.log_tail | x)</system-out>",
			"</testcase>"),
		"</testsuite>",
		"</testsuites>"' "${files[@]}" </dev/null
}

write_reports() {
	write_atomically "$REPORT_DIR/report.json" report_json
	write_atomically "$REPORT_DIR/junit.xml" junit_xml
}

# progress_line K N FIX SECONDS_PER_FIX: "[k/n] FIX: verdict (12.3s) | built 5 refused 1 | ~4m left",
# the estimate being the batch's pace times the fixes left (pending or
# interrupted). From the verdicts kept in FIX_VERDICT: no process.
progress_line() {
	local k=$1 n=$2 fix=$3 pace=$4 v f left=0 counts="" tenths seconds
	local -A count=()
	for f in "${FIXES[@]}"; do
		v=${FIX_VERDICT[$f]:-pending}
		count[$v]=$((${count[$v]:-0} + 1))
		[[ $v != pending && $v != interrupted ]] || left=$((left + 1))
	done
	for v in "${VERDICT_LIST[@]}"; do
		((${count[$v]:-0} == 0)) || counts+="${counts:+ }$v ${count[$v]}"
	done
	tenths=$(((${FIX_SECONDS[$fix]:-0} + 50000) / 100000))
	# "7.2s", or "10s" (no ".0")
	seconds=$((tenths / 10))
	((tenths % 10 == 0)) || seconds+=.$((tenths % 10))
	{
		[[ ! -t 2 ]] || printf '\r\033[K'
		printf '[%d/%d] %s: %s (%ss) | %s | ~' "$k" "$n" "$fix" "${FIX_VERDICT[$fix]:-error}" "$seconds" "$counts"
		format_duration $((pace * left))
		printf ' left\n'
	} >&2
}
