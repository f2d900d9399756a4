# shellcheck shell=bash
# shellcheck disable=SC2016 # the single-quoted $names are jq's
# lib-batch-report.sh: kpatch-batch's per-fix results (results/FIX.json)
# and the two reports made from them after every fix (report.json,
# junit.xml), plus the progress line. All JSON and XML escaping is jq's.
# Every file is written beside its place and renamed into it.

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
	local kpb=null fallback=error module=null package=null tail build_log built_ko
	if [[ -f $run/result.json ]]; then
		kpb=$(jq -c . "$run/result.json" 2>/dev/null) || kpb=null
	fi
	[[ -z $STOP_SIGNAL ]] || fallback=interrupted
	tail=$(tail -n 40 -- "$log")
	build_log=$(jq -r '.log // empty' <<<"$kpb")
	if [[ -n $build_log && -f $build_log ]]; then
		printf '\n---- kpatch-build log (%s)\n' "$build_log" >>"$log"
		cat -- "$build_log" >>"$log"
	fi
	built_ko=$(jq -r 'select(.verdict == "built") | .module.path // empty' <<<"$kpb")
	if [[ -n $built_ko && -f $built_ko ]]; then
		mv -f -- "$built_ko" "$module_file"
		module=$(jq -n -c --arg path "$module_file" --argjson size "$(stat -c %s -- "$module_file")" \
			'{path: $path, size: $size}')
	else
		rm -f -- "$module_file"
	fi
	package=$(move_built_package "$fix" "$([[ $module == null ]] || echo built)" "$run")
	write_atomically "$REPORT_DIR/results/$fix.json" jq -n \
		--argjson kpb "$kpb" --arg name "$fix" --arg patch "$REPORT_DIR/fixes/$fix.patch" \
		--arg fallback "$fallback" --argjson status "$status" --argjson mod "$module" \
		--argjson package "$package" --argjson micros "$micros" --arg log "$log" --arg tail "$tail" '{
			name: $name, patch: $patch,
			verdict: ($kpb.verdict // $fallback), exit_status: $status,
			refusals: ($kpb.refusals // []),
			warnings: ($kpb.warnings // []),
			changed_functions: ($kpb.changed_functions // []),
			new_functions: ($kpb.new_functions // []),
			"module": $mod,
			package: $package,
			stage_times: ($kpb.stage_times // {}),
			seconds: ($micros / 1000000),
			log: $log, log_tail: $tail
		}'
}

# move_built_package FIX BUILT RUN_DIR: with --deb, the run's package (kpatch-build
# writes it next to the module) becomes modules/FIX.deb; prints its JSON
# {path, file_name, size}, or null when the fix built none.
move_built_package() {
	local fix=$1 built=$2 run=$3 debs=()
	local package_file=$REPORT_DIR/modules/$fix.deb
	shopt -s nullglob
	debs=("$run/"*.deb)
	shopt -u nullglob
	if [[ $built != built || ${#debs[@]} -ne 1 ]]; then
		rm -f -- "$package_file" "${debs[@]}"
		echo null
		return 0
	fi
	mv -f -- "${debs[0]}" "$package_file"
	jq -n -c --arg path "$package_file" --arg name "$(basename -- "${debs[0]}")" \
		--argjson size "$(stat -c %s -- "$package_file")" '{path: $path, file_name: $name, size: $size}'
}

# result_files: results/FIX.json of the batch's fixes, in fix order.
result_files() {
	local fix
	for fix in "${FIXES[@]}"; do
		[[ ! -f $REPORT_DIR/results/$fix.json ]] || printf '%s\n' "$REPORT_DIR/results/$fix.json"
	done
}

report_json() {
	local files=() originals=null
	mapfile -t files < <(result_files)
	# the last --batch-originals run (kpatch-batch's one make of all originals)
	[[ ! -f $REPORT_DIR/originals.json ]] || originals=$(<"$REPORT_DIR/originals.json")
	jq -s --slurpfile batch "$REPORT_DIR/batch.json" --arg version "$VERSION" --argjson originals "$originals" \
		--arg ended "$(date -u +%FT%TZ)" --argjson total "${#FIXES[@]}" \
		--argjson verdicts "$(json_array "${VERDICT_LIST[@]}")" '. as $r | {
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
	local files=()
	mapfile -t files < <(result_files)
	jq -r -s --arg ts "$(date -u +%FT%TZ)" '
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

# progress_line K N FIX [SECONDS_PER_FIX]: "[k/n] FIX: verdict (12.3s) | built 5 refused 1 | ~4m left",
# the estimate being the mean time of the finished fixes times those left.
progress_line() {
	local k=$1 n=$2 fix=$3 pace=${4:-} line
	# only a message: a jq stopped by a Ctrl-C does not stop the batch
	line=$(jq -r --arg fix "$fix" --arg pace "$pace" --argjson verdicts "$(json_array "${VERDICT_LIST[@]}")" '
		(.fixes | map(select(.name == $fix))[0]) as $f
		| (if $pace != "" then ($pace | tonumber) else ([.fixes[].seconds] | add / length) end) as $mean
		| (.totals.pending + .totals.interrupted) as $left
		| "\($f.verdict) (\($f.seconds * 10 | round / 10)s) | "
		  + ([$verdicts[] as $v | select(.totals[$v] > 0) | "\($v) \(.totals[$v])"] | join(" "))
		  + " | \($mean * $left | round)"' "$REPORT_DIR/report.json") || return 0
	[[ ! -t 2 ]] || printf '\r\033[K' >&2
	printf '[%d/%d] %s: %s left\n' "$k" "$n" "$fix" \
		"${line% *} ~$(format_duration "${line##* }")" >&2
}
