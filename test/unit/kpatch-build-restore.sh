#!/bin/bash
# restore_tree of kpatch-build on its own: every file comes back whole, even
# when the tree copy is longer than the saved one and a writer that opened
# it earlier writes after the restore (two writers of one kbuild .cmd file
# gave a .cmd ending in a fragment of an older copy, and make then failed
# with "missing separator"); the shell state the trap runs in does not
# matter; an interrupted restore is finished by the next; an unknown
# journal entry is an error that keeps the journal.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"
# shellcheck source=../../kpatch-build/lib-common.sh
source "$REPO/kpatch-build/lib-common.sh"
# shellcheck source=../../kpatch-build/lib-state.sh
source "$REPO/kpatch-build/lib-state.sh"

TREE=$WORK/tree
STATE_DIR=$WORK/state
RUN_DIR=$STATE_DIR/run
JOURNAL=$STATE_DIR/journal
CMD=kernel/.core.o.cmd

# setup: a tree with a source and an object whose .cmd the "patched build"
# rewrote shorter, and the run directory holding the originals.
setup() {
	rm -rf "$TREE" "$STATE_DIR"
	mkdir -p "$TREE/kernel" "$RUN_DIR/backup/kernel" "$RUN_DIR/orig/kernel"
	printf 'int core(void) { return 1; }\n' >"$RUN_DIR/backup/kernel/core.c"
	touch -d '2020-01-01 00:00:00' "$RUN_DIR/backup/kernel/core.c"
	# shellcheck disable=SC2016 # make syntax, not shell
	printf 'savedcmd_kernel/core.o := gcc -c -o kernel/core.o kernel/core.c\n\ndeps_kernel/core.o := \\\n  kernel/core.c \\\n  include/linux/long/header/name.h \\\n\nkernel/core.o: $(deps_kernel/core.o)\n\n$(deps_kernel/core.o):\n' \
		>"$RUN_DIR/orig/$CMD"
	touch -d '2020-01-02 00:00:00' "$RUN_DIR/orig/$CMD"
	printf 'ORIGINAL OBJECT\n' >"$RUN_DIR/orig/kernel/core.o"
	printf 'int core(void) { return 2; }\n' >"$TREE/kernel/core.c"
	printf 'savedcmd_kernel/core.o := x\n' >"$TREE/$CMD"
	printf 'PATCHED OBJECT\n' >"$TREE/kernel/core.o"
	printf 'kernel/core.o\n' >"$RUN_DIR/changed_outputs"
	printf 'source kernel/core.c\n' >"$JOURNAL"
}

restored() {
	cmp -s "$RUN_DIR/backup/kernel/core.c" "$TREE/kernel/core.c" &&
		cmp -s "$RUN_DIR/orig/$CMD" "$TREE/$CMD" &&
		cmp -s "$RUN_DIR/orig/kernel/core.o" "$TREE/kernel/core.o" &&
		[[ $(stat -c %Y "$TREE/kernel/core.c") == $(stat -c %Y "$RUN_DIR/backup/kernel/core.c") ]] &&
		[[ $(stat -c %Y "$TREE/$CMD") == $(stat -c %Y "$RUN_DIR/orig/$CMD") ]] &&
		[[ ! -e $JOURNAL ]]
}

no_temporaries() {
	[[ -z $(find "$TREE" -name '.kpatch-restore.*') ]]
}

setup
restore_tree
check "shorter .cmd in the tree: whole original back, mtimes too, journal gone" restored

# A writer that opened the .cmd (truncating it) before the restore and
# writes after it, as a compiler's fixdep would if it outlived the build.
setup
exec {late}>"$TREE/$CMD"
restore_tree
printf 'savedcmd_kernel/core.o := late writer\n' >&"$late"
exec {late}>&-
check "a late writer of the .cmd does not mix into the restored file" \
	cmp -s "$RUN_DIR/orig/$CMD" "$TREE/$CMD"

# The trap can run inside "IFS= read" and with -e/-u in any state.
setup
IFS= restore_tree
check "restore with an empty IFS in its environment" restored

# A restore killed after writing a temporary copy: the next one finishes.
setup
cp -p "$RUN_DIR/orig/$CMD" "$TREE/kernel/.kpatch-restore..core.o.cmd"
restore_tree
check "interrupted restore finished by the next one" restored
check "no restore temporary left after it" no_temporaries

setup
printf 'source kernel/core.c\nbogus kernel/x.c\n' >"$JOURNAL"
status=0
restore_tree 2>"$WORK/err" || status=$?
check "unknown journal entry: restore fails" test "$status" != 0
check "unknown journal entry: named in the message" grep -q 'unknown journal entry "bogus kernel/x.c"' "$WORK/err"
check "unknown journal entry: journal kept for the next run" test -e "$JOURNAL"

# A symlinked file is written through, not replaced by a regular file.
setup
mv "$TREE/kernel/core.c" "$WORK/real-core.c"
ln -s "$WORK/real-core.c" "$TREE/kernel/core.c"
restore_tree
check "symlink kept" test -L "$TREE/kernel/core.c"
check "symlink's target restored" cmp -s "$RUN_DIR/backup/kernel/core.c" "$WORK/real-core.c"
finish
