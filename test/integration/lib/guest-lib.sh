# shellcheck shell=sh
# Helpers for guest check scripts (busybox sh), installed as /kptest/lib.sh.
# Use:  . /kptest/lib.sh

# case_dmesg: kernel log lines written since the current case began, so a
# check does not see marks left by an earlier case.
case_dmesg() {
	dmesg | awk -v m="KPTEST-MARK case $KPTEST_CASE begin" \
		'index($0, m) { buf = ""; next } { buf = buf $0 "\n" } END { printf "%s", buf }'
}

# last_match REGEX: the last line of case_dmesg matching REGEX.  Checks
# based on log marks use it so that a later "unpatched" mark makes them
# fail again, as the protocol requires after unloading.
last_match() {
	case_dmesg | grep -E "$1" | tail -n 1
}
