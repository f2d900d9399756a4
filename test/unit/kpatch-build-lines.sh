#!/bin/bash
# kpatch-build's __LINE__ source route on the toy tree: a patch that only
# moves a function using __LINE__ down a line compiles to the same code
# (exit 3, "no functional change"); the differ is told not to guess about
# line numbers, except for objects where a #line directive could not go;
# the tree is restored byte-identical afterwards.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"

make_tree "$WORK/tree"
TREE=$WORK/tree
cat >>"$TREE/fs/file.c" <<'C'

int file_line(void)
{
	return __LINE__;
}

int file_sum(int a, int b)
{
	return file_read(a +
			 b +
			 1 +
			 2 +
			 3);
}
C
make -s -C "$TREE" KCFLAGS="$CONTRACT_KCFLAGS" vmlinux modules >/dev/null 2>&1 ||
	{ echo "cannot rebuild the toy tree"; exit 1; }
snapshot "$TREE" >"$WORK/snap"

# cdo_args_for OBJECT: the differ's command line for that object
cdo_args_for() { grep -F -- "--object-name $1 " "$FAKE_CDO_LOG" | tail -n 1; }
told_no_heuristic() { cdo_args_for "$1" | grep -q -- '--no-line-heuristic'; }
kept_heuristic() { cdo_args_for "$1" | grep -q . && ! told_no_heuristic "$1"; }

# 1. A blank line above the function using __LINE__: no change at all.
make_patch "$TREE" fs/file.c '1i\
' "$WORK/blank.patch"
: >"$FAKE_CDO_LOG"
expect_status 3 "blank line above a __LINE__ function" -s "$TREE" -o "$WORK" "$WORK/blank.patch"
check "blank line: reported as no functional change" output_has 'no functional change'
check "blank line: the differ ran without the line heuristic" told_no_heuristic fs/file.o
check "blank line: tree restored byte-identical" same_tree "$TREE" "$WORK/snap"

# 2. The same shift plus a real change: only the really changed function.
make_patch "$TREE" fs/file.c '1i\

s/x + FS_ONLY/x + FS_ONLY + 1/' "$WORK/real.patch"
: >"$FAKE_CDO_LOG"
expect_status 0 "blank line plus a real change" -s "$TREE" -o "$WORK" "$WORK/real.patch"
check "real change: file_read changed" output_has 'changed function: file_read'
check "real change: file_line (moved down) unchanged" sh -c "! grep -q 'function: file_line' '$WORK/out'"
check "real change: tree restored byte-identical" same_tree "$TREE" "$WORK/snap"

# 3. A line added inside a long call: no room for a directive there, so
# fs/file.o keeps the heuristic; kernel/core.o, patched too, does not.
make_patch "$TREE" fs/file.c 's/^\t\t\t b +$/\t\t\t b +\n\t\t\t 0 +/' "$WORK/inside.patch"
make_patch "$TREE" kernel/core.c '1i\
/* moved */
s/x - 7/x - 8/' "$WORK/core.patch"
: >"$FAKE_CDO_LOG"
expect_status 0 "line added inside a call" -s "$TREE" -o "$WORK" "$WORK/inside.patch" "$WORK/core.patch"
check "inside a call: the spot is named" output_has 'fs/file\.c.*could not get a #line directive'
check "inside a call: fs/file.o keeps the heuristic" kept_heuristic fs/file.o
check "inside a call: kernel/core.o runs without it" told_no_heuristic kernel/core.o
check "inside a call: tree restored byte-identical" same_tree "$TREE" "$WORK/snap"

# 4. Two patches to the same file, the second made on top of the first:
# folded into one diff against the original, both applied, lines kept.
mkdir -p "$WORK/stacked/fs"
sed '1i\
/* first */' "$TREE/fs/file.c" >"$WORK/stacked/fs/file.c"
diff -u --label a/fs/file.c --label b/fs/file.c "$TREE/fs/file.c" "$WORK/stacked/fs/file.c" >"$WORK/first.patch"
make_patch "$WORK/stacked" fs/file.c 's/x + FS_ONLY/x + FS_ONLY + 2/' "$WORK/second.patch"
: >"$FAKE_CDO_LOG"
expect_status 0 "two stacked patches to one file" -s "$TREE" -o "$WORK" "$WORK/first.patch" "$WORK/second.patch"
check "stacked: file_read changed" output_has 'changed function: file_read'
check "stacked: file_line (moved down) unchanged" sh -c "! grep -q 'function: file_line' '$WORK/out'"
check "stacked: tree restored byte-identical" same_tree "$TREE" "$WORK/snap"

finish
