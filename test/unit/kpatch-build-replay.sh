#!/bin/bash
# kpatch-build partial builds replay kbuild's recorded commands
# (lib-replay.sh): on a prepared tree, an original object that an earlier
# make of ours confirmed and that is up to date is not made again, and
# the patched object is compiled by its .cmd file's command directly. The
# objects must be byte-identical to make's; anything in doubt goes to make.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"

partial_test_setup 9.9.9-test
LOG=$KPATCH_BUILD_CACHE/last-build.log
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$WORK/fix-core.patch"
make_patch "$TREE" drivers/demo/demo.c 's/- 5/- 6/' "$WORK/fix-demo.patch"
make_patch "$TREE" kernel/core.c 's/x - 7/x - /' "$WORK/broken.patch"
# shellcheck disable=SC2016 # sed's $ (last line)
make_patch "$TREE" kernel/core.c 's/x - 7;/x - 8;/; $a int __ksymtab_core_other;' "$WORK/exports.patch"
make_patch "$TREE" Documentation/notes.rst 's/Nothing yet/Something/' "$WORK/doc.patch"

log_has() {
	grep -q -E -- "$1" "$LOG"
}

output_lacks() {
	! output_has "$1"
}

# keep_objects NAME OBJECT: the run's original and patched OBJECT, kept
# as $WORK/NAME.orig.o and $WORK/NAME.patched.o (the run used --skip-cleanup).
keep_objects() {
	local run
	run=$(echo "$KPATCH_BUILD_CACHE"/trees/src-*/run)
	cp "$run/orig/$2" "$WORK/$1.orig.o" && cp "$run/patched/$2" "$WORK/$1.patched.o"
}

# --- first run on the tree: make builds the original, replay the patched
expect_status 0 "first run" "${ARGS[@]}" --skip-cleanup "$WORK/fix-core.patch"
check "first run: the original is made" output_has '^Building original objects \.\.\. done \([0-9]+s, 1 object\(s\)\)$'
check "first run: the patched object is compiled by its recorded command" \
	output_has "^Building patched objects .* 1 object\(s\) recompiled \(1 by kbuild's recorded command\)"
check "first run: the log names the path taken" log_has '^replay: kernel/core\.o: compiled by its recorded command$'
check "first run: the log shows the command" log_has '^replay: kernel/core\.o: \$ gcc -O2 -Iinclude .* -c -o kernel/core\.o kernel/core\.c'
check "first run: no dependency file left" test ! -e "$TREE/kernel/.core.o.d"
keep_objects replay-core kernel/core.o
expect_status 0 "module object, first run" "${ARGS[@]}" --skip-cleanup "$WORK/fix-demo.patch"
check "module object: compiled by its recorded command" log_has '^replay: drivers/demo/demo\.o: compiled by its recorded command$'
keep_objects replay-demo drivers/demo/demo.o

# --- warm: nothing changed, so make is not needed for the original
snapshot "$TREE" >"$WORK/snap"
expect_status 0 "warm run" "${ARGS[@]}" "$WORK/fix-core.patch"
check "warm run: make skipped for the original" \
	output_has '^Building original objects \.\.\. done \([0-9]+s, 1 object\(s\), up to date \(make skipped\)\)$'
check "warm run: the log says why" log_has "^replay: kernel/core\.o: up to date by kbuild's recorded dependencies; make skipped$"
check "warm run: no make at all" sh -c "! grep -q '^DEBUG: run: .* make -C ' '$LOG'"
check "warm run: the tree is as it was (contents and times)" same_tree "$TREE" "$WORK/snap"

# --- the same builds by make: byte-identical objects
KPATCH_BUILD_REPLAY=0 expect_status 0 "KPATCH_BUILD_REPLAY=0" "${ARGS[@]}" --skip-cleanup "$WORK/fix-core.patch"
check "KPATCH_BUILD_REPLAY=0: replay off, says so" log_has '^replay: off \(KPATCH_BUILD_REPLAY=0\); make builds every object$'
check "KPATCH_BUILD_REPLAY=0: make compiles the patched object" grep -q '^  CC      kernel/core.o$' "$LOG"
check "KPATCH_BUILD_REPLAY=0: no replay stated" output_lacks 'recorded command'
keep_objects make-core kernel/core.o
check "patched object: replay and make give the same bytes" cmp "$WORK/replay-core.patched.o" "$WORK/make-core.patched.o"
check "original object: the same bytes" cmp "$WORK/replay-core.orig.o" "$WORK/make-core.orig.o"
check "the objects differ by the patch (test sanity)" sh -c "! cmp -s '$WORK/make-core.orig.o' '$WORK/make-core.patched.o'"
KPATCH_BUILD_REPLAY=0 expect_status 0 "module object by make" "${ARGS[@]}" --skip-cleanup "$WORK/fix-demo.patch"
keep_objects make-demo drivers/demo/demo.o
check "module object (-DMODULE): replay and make give the same bytes" cmp "$WORK/replay-demo.patched.o" "$WORK/make-demo.patched.o"

# --- what makes kbuild build again makes us call make again
expect_status 0 "first run after KPATCH_BUILD_REPLAY=0" "${ARGS[@]}" "$WORK/fix-core.patch"
check "after KPATCH_BUILD_REPLAY=0: what was confirmed still is" output_has 'up to date \(make skipped\)'
# older than its source, which is older than the last make (so only the
# object's own dependencies can tell)
touch -d "@$(($(stat -c %Y "$TREE/kernel/core.c") - 1))" "$TREE/kernel/core.o"
expect_status 0 "a dependency newer than the object" "${ARGS[@]}" "$WORK/fix-core.patch"
check "newer dependency: make builds the original" grep -q '^  CC      kernel/core.o$' "$LOG"
check "newer dependency: not reported up to date" output_lacks 'up to date'
expect_status 0 "after make rebuilt it" "${ARGS[@]}" "$WORK/fix-core.patch"
check "after make rebuilt it: make skipped again" output_has 'up to date \(make skipped\)'
touch "$TREE/Makefile"
expect_status 0 "a Makefile changed" "${ARGS[@]}" "$WORK/fix-core.patch"
check "changed Makefile: everything confirmed is forgotten" log_has '^replay: .*Makefile changed since the last make'
check "changed Makefile: make checks the original" output_lacks 'up to date'
check "changed Makefile: make ran for the original" log_has '^DEBUG: run: .* make -C .* -k kernel/core\.o$'

# --- .c files that other files #include: found once, then from the list
printf '#include "../kernel/core.c"\n' >"$TREE/fs/wrap.c"
expect_status 0 "a .c file #included by another" "${ARGS[@]}" "$WORK/fix-core.patch"
check "#included .c: its includer is a candidate" log_has '^DEBUG: run: .* make -C .* -k (kernel/core\.o )?fs/wrap\.o'
check "#included .c: the file it resolves to is kept" grep -qx kernel/core.c "$KPATCH_BUILD_CACHE"/trees/src-*/replay/included-c
check "#included .c: only what is included" sh -c "! grep -q demo '$KPATCH_BUILD_CACHE'/trees/src-*/replay/included-c"
expect_status 0 "a .c file #included by another, again" "${ARGS[@]}" "$WORK/fix-core.patch"
check "#included .c, again: its includer is still a candidate" log_has '^DEBUG: run: .* make -C .* -k fs/wrap\.o'
rm "$TREE/fs/wrap.c"

# --- doubts go to make
expect_status 0 "patched object that exports" "${ARGS[@]}" "$WORK/exports.patch"
check "exports: make builds it" log_has '^replay: kernel/core\.o: the patched object exports symbols .*make builds it$'
check "exports: make compiled it" grep -q '^  CC      kernel/core.o$' "$LOG"
check "exports: not counted as replayed" output_lacks 'recorded command'

snapshot "$TREE" >"$WORK/snap"
expect_status 1 "patched source does not compile" "${ARGS[@]}" "$WORK/broken.patch"
check "does not compile: replay failed, make tried" log_has '^replay: kernel/core\.o: the recorded command failed; make builds it'
check "does not compile: make's error is shown" output_has 'error:'
check "does not compile: said so" output_has 'the patched source does not compile'
check "does not compile: the tree is as it was" same_tree "$TREE" "$WORK/snap"

expect_status 0 "patch with a non-C file" "${ARGS[@]}" "$WORK/fix-core.patch" "$WORK/doc.patch"
check "non-C file: not replayed" log_has '^replay: not for this patch'
check "non-C file: make compiled it" grep -q '^  CC      kernel/core.o$' "$LOG"

# --- an original that exports: when up to date, make is skipped for it
# too; its patched build is made (kbuild runs genksyms after the compile)
cp "$TREE/kernel/core.c" "$WORK/core.c.saved"
sed -i '1i int __ksymtab_core_other;' "$TREE/kernel/core.c"
make_patch "$TREE" kernel/core.c 's/x - 7/x - 9/' "$WORK/fix-exporter.patch"
expect_status 0 "original that exports, first run" "${ARGS[@]}" "$WORK/fix-exporter.patch"
check "original that exports, first run: made" output_has '^Building original objects \.\.\. done \([0-9]+s, 1 object\(s\)\)$'
expect_status 0 "original that exports, warm" "${ARGS[@]}" --skip-cleanup "$WORK/fix-exporter.patch"
check "original that exports, warm: make skipped for the original" \
	log_has "^replay: kernel/core\.o: up to date by kbuild's recorded dependencies; make skipped$"
check "original that exports, warm: the patched object made" sh -c \
	"grep -q '^  CC      kernel/core.o$' '$LOG' && ! grep -q 'recorded command' '$WORK/out'"
keep_objects exporter-replayed kernel/core.o
KPATCH_BUILD_REPLAY=0 expect_status 0 "original that exports, by make" "${ARGS[@]}" --skip-cleanup "$WORK/fix-exporter.patch"
keep_objects exporter-made kernel/core.o
check "original that exports: the original kept is make's, byte for byte" \
	cmp "$WORK/exporter-replayed.orig.o" "$WORK/exporter-made.orig.o"
cp "$WORK/core.c.saved" "$TREE/kernel/core.c"

# shellcheck disable=SC2016 # make syntax
sed -i 's/^\t\$(call cmd,checksrc)$/&\n\t$(call cmd,objtool)/' "$TREE/scripts/Makefile.build"
check "toy rule has an extra step (test sanity)" grep -q 'cmd,objtool' "$TREE/scripts/Makefile.build"
expect_status 0 "a rule step that may change the object" "${ARGS[@]}" "$WORK/fix-core.patch"
check "unknown rule step: replay off" log_has "^replay: off \(step 'objtool' of rule_cc_o_c may change the object\)"
check "unknown rule step: make compiled it" grep -q '^  CC      kernel/core.o$' "$LOG"
finish
