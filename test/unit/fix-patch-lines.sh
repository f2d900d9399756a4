#!/usr/bin/env bash
# fix-patch-lines on many patch shapes. For each: the rewritten patch
# applies with patch(1) without fuzz or offset; the result is the patched
# file plus "#line N" lines only; and every original line the patch left
# alone still expands __LINE__ to its original number (sources here are
# made of "int vK = __LINE__;" lines, K the original line number).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
fix=$repo/kpatch-build/fix-patch-lines
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok - $1"; }
bad() { failed=$((failed + 1)); echo "FAIL - $1"; }
check() {	# check DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}

# numbered FILE N: N lines "int vK = __LINE__;"
numbered() {
	local k
	for ((k = 1; k <= $2; k++)); do
		printf 'int v%d = __LINE__;\n' "$k"
	done >"$1"
}

# start: fresh a/ (original) and b/ (patched) trees
start() {
	rm -rf a b c fixed.patch skips orig.patch
	mkdir -p a b
	: >skips
}

# mkdiff: orig.patch from a/ to b/ (extra diff options in DIFFOPTS)
mkdiff() {
	(diff -rN "${DIFFOPTS:--u}" a b || true) >orig.patch
}

# run_fix: fixed.patch from orig.patch
run_fix() {
	"$fix" -d a -s skips orig.patch >fixed.patch
}

# applied: fixed.patch applies to a copy of a/ exactly (no fuzz, no offset)
applied() {
	local out
	rm -rf c
	cp -a a c
	out=$(patch -p1 -d c --no-backup-if-mismatch -i "$work/fixed.patch" 2>&1) || { echo "$out"; return 1; }
	if grep -Eq 'fuzz|offset|malformed' <<<"$out"; then
		echo "$out"
		return 1
	fi
}

# same_but_directives FILE: c/FILE is b/FILE plus "#line N" lines only
same_but_directives() {
	diff <(grep -Ev $'^#line [0-9]+\r?$' "c/$1" | awk 1) <(awk 1 "b/$1") >/dev/null
}

# lines_kept FILE: every "int vK" line of c/FILE expands to K
lines_kept() {
	local wrong
	wrong=$(gcc -E -P -x c "c/$1" | tr -d '\r' |
		awk '/^int v[0-9]+ = [0-9]+;$/ { k = substr($2, 2); if ($4 + 0 != k + 0) print }')
	[[ -z $wrong ]] || { echo "shifted: $wrong"; return 1; }
}

directives() { grep -c '^+#line' fixed.patch || true; }
has_directive() { grep -Eq "^\\+#line $1"$'\r?$' fixed.patch; }
unchanged_patch() { cmp -s orig.patch fixed.patch; }
skipped() { grep -Eq -- "$1" skips; }
no_skips() { [[ ! -s skips ]]; }

# all_good NAME FILE: the three checks every shape must pass
all_good() {
	check "$1: applies exactly" applied
	check "$1: only #line lines added" same_but_directives "$2"
	check "$1: original line numbers kept" lines_kept "$2"
}

# 1. Item 7: a blank line added at the top of the file.
start
numbered a/x.c 20
{ echo; cat a/x.c; } >b/x.c
mkdiff; run_fix
all_good "blank line at top" x.c
check "blank line at top: #line 1 added" has_directive 1
check "blank line at top: nothing skipped" no_skips

# 2. The first line removed.
start
numbered a/x.c 12
sed 1d a/x.c >b/x.c
mkdiff; run_fix
all_good "first line removed" x.c
check "first line removed: #line 2" has_directive 2

# 3. Lines added in two places: the second hunk's header is recounted.
start
numbered a/x.c 60
sed -e '10a int added1;' -e '10a int added2;' -e '50a int added3;' a/x.c >b/x.c
mkdiff; run_fix
all_good "two hunks" x.c
check "two hunks: two directives" test "$(directives)" = 2
check "two hunks: second header shifted by the first directive" \
	grep -q '^@@ -48,6 +51,8 @@' fixed.patch

# 4. A change that keeps the line count needs no directive.
start
numbered a/x.c 20
sed 's/v7 = __LINE__/v7 = 7 + 0 * __LINE__/' a/x.c >b/x.c
mkdiff; run_fix
check "same line count: patch unchanged" unchanged_patch
check "same line count: nothing skipped" no_skips

# 5. Lines added at the end of the file: nothing below, nothing to do.
start
numbered a/x.c 10
{ cat a/x.c; echo 'int tail1;'; echo 'int tail2;'; } >b/x.c
mkdiff; run_fix
check "added at end of file: patch unchanged" unchanged_patch
all_good "added at end of file" x.c

# 6. A new file and a deleted file pass through untouched.
start
numbered a/gone.c 5
numbered b/new.c 5
mkdiff; run_fix
check "new and deleted files: patch unchanged" unchanged_patch
check "new and deleted files: applies" applied
check "new and deleted files: new file created" cmp -s b/new.c c/new.c
check "new and deleted files: deleted file removed" test ! -e c/gone.c

# 7. "\ No newline at end of file" on both sides.
start
numbered a/x.c 8
printf 'int last = 1;' >>a/x.c
{ echo 'int first;'; cat a/x.c; } >b/x.c
printf '\nint very_last;' >>b/x.c
mkdiff; run_fix
check "no newline at end: marker kept" grep -q '^\\ No newline at end of file' fixed.patch
all_good "no newline at end" x.c

# 8. Several files, only C sources and headers are rewritten.
start
mkdir -p a/include a/doc b/include b/doc
numbered a/k.c 10
numbered a/include/k.h 10
seq 1 10 >a/doc/notes.txt
for f in k.c include/k.h; do { echo "/* top */"; cat "a/$f"; } >"b/$f"; done
{ echo top; cat a/doc/notes.txt; } >b/doc/notes.txt
mkdiff; run_fix
all_good "several files (.c)" k.c
all_good "several files (.h)" include/k.h
check "several files: text file untouched" applied
check "several files: text file as patched" cmp -s b/doc/notes.txt c/doc/notes.txt
check "several files: one directive per C file" test "$(directives)" = 2

# 9. A git-style diff, with index lines and a signature trailer.
start
numbered a/x.c 15
(cd a && git init -q && git add x.c && git -c user.name=t -c user.email=t@t commit -qm base)
cp -a a/.git b/
{ echo 'int a0;'; echo 'int a1;'; cat a/x.c; } >b/x.c
(cd b && git diff) >orig.patch
printf -- '-- \n2.39.5\n' >>orig.patch
rm -rf a/.git b/.git
run_fix
all_good "git diff" x.c
check "git diff: index line kept" grep -q '^index ' fixed.patch
check "git diff: signature trailer kept" sh -c "tail -n 2 fixed.patch | head -n 1 | grep -qx -- '-- '"

# 10. CRLF line endings: the directive ends in CR too.
start
numbered a/x.c 10
sed -i 's/$/\r/' a/x.c
{ printf 'int crlf;\r\n'; cat a/x.c; } >b/x.c
mkdiff; run_fix
check "CRLF: directive ends in CR" grep -q $'^+#line 1\r$' fixed.patch
all_good "CRLF" x.c

# 11. After a macro continuation: the directive waits for the next line.
start
# shellcheck disable=SC1003
{ echo 'int v1 = __LINE__;'; echo '#define TWO(a) \'; echo '	((a) * 2)'
  for k in 4 5 6 7 8; do echo "int v$k = __LINE__;"; done; } >a/x.c
sed '2i int added;' a/x.c | sed 's/((a) \* 2)/((a) * 3)/' >b/x.c
# the added line before the macro, then a change inside it
# shellcheck disable=SC1003
sed -i '/#define TWO/a\
	/* continued */ \\' b/x.c
mkdiff; run_fix
check "continuation: no directive right after a backslash line" \
	sh -c "! grep -B1 '^+#line' fixed.patch | grep -q '\\\\\$'"
all_good "continuation" x.c

# 12. Inside a block comment: the directive goes after the comment.
start
{ echo 'int v1 = __LINE__;'; echo '/*'; echo ' * text'; echo ' */'
  for k in 5 6 7 8; do echo "int v$k = __LINE__;"; done; } >a/x.c
sed '3i \ * more text' a/x.c >b/x.c
mkdiff; run_fix
check "block comment: directive after the comment" has_directive 5
check "block comment: nothing to skip" no_skips
all_good "block comment" x.c

# 13. Inside parentheses (a macro's arguments, asm): skipped and logged
# (the hunk ends before they close; see 11 and 12 for later spots).
start
{ echo 'int v1 = __LINE__;'; echo 'int f(int a, int b);'; echo 'int g(void) { return f(1,'
  echo '	2); }'; for k in 5 6 7; do echo "int v$k = __LINE__;"; done; } >a/x.c
sed 's/return f(1,/return f(1 +\n\t0,/' a/x.c >b/x.c
DIFFOPTS=-U1 mkdiff; run_fix
check "parentheses: skip logged with file and line" skipped '^x\.c:4: inside parentheses'
check "parentheses: no directive inside the call" test "$(directives)" = 0
check "parentheses: applies" applied

# 14. Without the original file nothing is inserted and the skip is logged.
start
numbered a/x.c 6
{ echo 'int z;'; cat a/x.c; } >b/x.c
mkdiff
"$fix" -d "$work/nonexistent" -s skips orig.patch >fixed.patch
check "no original: patch unchanged" unchanged_patch
check "no original: skip logged" skipped 'x\.c:1: original file not available'

# 15. A diff without context lines (-U0): nowhere to put it, logged.
start
numbered a/x.c 10
sed '3a int mid;' a/x.c >b/x.c
DIFFOPTS=-U0 mkdiff; run_fix
check "-U0: skip logged" skipped 'x\.c:[0-9]+: no place for a directive'
check "-U0: applies" applied

# 16. A removed line that looks like a header ("-- x") stays a hunk line.
start
printf 'int v1 = __LINE__;\n-- x\nint v3 = __LINE__;\nint v4 = __LINE__;\n' >a/x.c
sed 2d a/x.c >b/x.c
mkdiff; run_fix
check "header-like removed line: applies" applied
check "header-like removed line: #line 3" has_directive 3

# 17. Bad usage.
check "usage error without a patch" sh -c "! '$fix' 2>/dev/null"
check "unreadable patch is an error" sh -c "! '$fix' '$work/none.patch' 2>/dev/null"

echo "$passed passed, $failed failed"
((failed == 0))
