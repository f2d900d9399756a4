#!/usr/bin/env bash
# The build never leaves a truncated program that make then takes as up to
# date (a link killed mid-way once left an empty fuzzer, and a 30-minute
# fuzz run spent a third of its time on "Permission denied"), and run-fuzz
# refuses a fuzzer that cannot run instead of reporting it as a crash.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

# A compiler that compiles for real, but in the middle of the link of
# kpatch-verify, after writing part of its output, kills its whole process
# group with SIGKILL, make included (a CI job stopped, a machine reset):
# make gets no chance to delete what the link left.
cat >"$work/cc" <<'SH'
#!/usr/bin/env bash
out=""
prev=""
for a in "$@"; do
	[[ $prev == -o ]] && out=$a
	prev=$a
done
if [[ $out == */verify/kpatch-verify* && " $* " != *" -c "* ]]; then
	printf '\177ELF' >"$out"
	kill -KILL 0
fi
exec gcc "$@"
SH
chmod +x "$work/cc"

build=$work/build
if setsid -w make -C "$repo" --no-print-directory -s BUILD="$build" CC="$work/cc" \
	"$build/verify/kpatch-verify" >"$work/make.log" 2>&1; then
	fail "make succeeded although the link was killed"
else
	pass "make fails when the link is killed"
fi
if [[ -e $build/verify/kpatch-verify ]]; then
	fail "a killed link left $build/verify/kpatch-verify ($(stat -c %s "$build/verify/kpatch-verify") bytes)"
else
	pass "a killed link leaves no program under its name"
fi
if make -C "$repo" --no-print-directory -s BUILD="$build" "$build/verify/kpatch-verify" >"$work/make2.log" 2>&1 &&
	"$build/verify/kpatch-verify" --help >/dev/null 2>&1; then
	pass "the next make links a working program"
else
	fail "the next make did not produce a working kpatch-verify: $(tail -n 5 "$work/make2.log")"
fi

# run-fuzz and an empty fuzzer: an error naming it, no report.
mkdir -p "$work/fz/fuzz"
: >"$work/fz/fuzz/fuzz-kelf"
chmod +x "$work/fz/fuzz/fuzz-kelf"
status=0
"$repo/test/fuzz/run-fuzz" --build "$work/fz" --seconds 1 kelf >"$work/rf.out" 2>"$work/rf.err" || status=$?
if ((status == 1)) && grep -q "fuzz-kelf is missing, empty or not executable" "$work/rf.err" &&
	[[ ! -e $work/fz/report.txt ]]; then
	pass "run-fuzz refuses an empty fuzzer"
else
	fail "run-fuzz on an empty fuzzer: exit $status, $(cat "$work/rf.err")"
fi

echo "$passed passed, $failed failed"
((failed == 0))
