# shellcheck shell=bash
# Helpers of the kpatch-batch tests (after common.sh).

KPATCH_BATCH=${KPATCH_BATCH:-$REPO/batch/kpatch-batch}

# run_batch ARGS...: output in $WORK/out, status in $STATUS.
# shellcheck disable=SC2034 # expect_status_of (common.sh) reads STATUS
run_batch() {
	STATUS=0
	"$KPATCH_BATCH" "$@" >"$WORK/out" 2>&1 || STATUS=$?
}

expect_batch() {	# expect_batch STATUS DESCRIPTION ARGS...
	expect_status_of run_batch "$@"
}

# report_has DIR JQ-EXPRESSION
report_has() {
	jq -e "$2" "$1/report.json" >/dev/null
}
