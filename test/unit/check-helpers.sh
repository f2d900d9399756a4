# shellcheck shell=bash
# The counting of the stand-alone unit scripts: a work directory (kept
# with KEEP=1) as the current directory, and pass/fail/check, summed by
# `finish` into the "N passed, M failed" line and the exit status.
# shellcheck disable=SC2034  # passed/failed are read by the sourcing script
work=$(mktemp -d)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT
cd "$work" || exit 1
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
# check DESCRIPTION COMMAND...
check() {
	local what=$1
	shift
	if "$@"; then pass; else fail "$what"; fi
}
# fails COMMAND...: COMMAND exits non-zero
fails() { ! "$@"; }
finish() {
	echo "$passed passed, $failed failed"
	((failed == 0))
}
