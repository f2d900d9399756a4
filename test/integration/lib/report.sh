# shellcheck shell=bash
# Parse the guest's serial log.  Sourced after common.sh.
#
# The guest prints "KPTEST <case> <step> ok|fail|skip [detail]" lines
# (case "-" for global ones).  Kernel output can interleave with the
# console, so only whole lines that start with the prefix count; a mangled
# line simply counts as a missing step.

# Taint bits a livepatch run legitimately sets: O (out-of-tree module,
# 4096) and K (livepatch, 32768); and E (unsigned module, 8192) where
# signatures are checked but not enforced. The signing boot allows only
# TAINT_LIVEPATCH.
TAINT_LIVEPATCH=$((4096 | 32768))
TAINT_ALLOWED=$((TAINT_LIVEPATCH | 8192))
GUEST_PROBLEM_RE='WARNING:|BUG:|Call Trace|Oops|Kernel panic|general protection fault'

# report_lines LOG: the protocol lines, CRs stripped.
report_lines() {
	tr -d '\r' <"$1" | grep -a '^KPTEST ' || true
}

# report_step LINES CASE STEP: prints "ok", "fail <detail>" or "-" (absent).
report_step() {
	local l
	l=$(awk -v c="$2" -v s="$3" '$2 == c && $3 == s { line = $0 } END { print line }' "$1")
	if [[ -z $l ]]; then
		echo "-"
	else
		# drop "KPTEST <case> <step> "
		echo "${l#KPTEST "$2" "$3" }"
	fi
}

# report_case_passed LINES CASE
report_case_passed() {
	[[ $(report_step "$1" "$2" result) == "pass" ]] &&
		! awk -v c="$2" '$2 == c && $4 == "fail" { f = 1 } END { exit !f }' "$1"
}

# report_guest_problems LOG: kernel log lines that fail the run, with their
# line numbers in LOG.  Our own KPTEST lines are not kernel output.
report_guest_problems() {
	tr -d '\r' <"$1" | grep -a -n -E "$GUEST_PROBLEM_RE" | grep -v -E '^[0-9]+:KPTEST' || true
}

# report_taint LINES: prints the value; fails if a bit outside
# TAINT_ALLOWED is set.
report_taint() {
	local t
	t=$(report_step "$1" - taint)
	t=${t#ok }
	echo "$t"
	[[ $t =~ ^[0-9]+$ ]] && (((t & ~TAINT_ALLOWED) == 0))
}

# report_boot_ok LINES QEMU_STATUS: the guest reached the end and qemu exited
# by itself (power-off), not through the timeout.
report_boot_ok() {
	[[ $(report_step "$1" - end) == ok ]] && (($2 == 0))
}

# report_guest_dmesg LOG: the dmesg dump the guest printed before power-off.
report_guest_dmesg() {
	tr -d '\r' <"$1" | sed -n '/^KPTEST-DMESG-BEGIN$/,/^KPTEST-DMESG-END$/p'
}
