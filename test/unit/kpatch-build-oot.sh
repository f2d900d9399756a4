#!/bin/bash
# kpatch-build --oot-module FILE --oot-module-src DIR: a module built
# outside the kernel tree (make -C TREE M=DIR). The module's source is
# what is patched, rebuilt and restored; make runs in the kernel tree with
# M=DIR; every changed object's parent is the given module file.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"
# the Ctrl-C case needs SIGINT deliverable, also when started in the background
restart_with_sigint "$0" "$@"

make_tree "$WORK/kernel"
KERNEL=$WORK/kernel
SRC=$WORK/ootdemo
cp -a "$FIXTURES/oot" "$SRC"
# The module as it runs: built once from the same source, elsewhere.
cp -a "$FIXTURES/oot" "$WORK/ootdemo-running"
make -s -C "$KERNEL" M="$WORK/ootdemo-running" KCFLAGS="$CONTRACT_KCFLAGS" modules >/dev/null 2>&1
RUNNING=$WORK/running/ootdemo.ko
mkdir -p "$WORK/running" "$WORK/out-dir"
cp "$WORK/ootdemo-running/ootdemo.ko" "$RUNNING"
check "the toy kernel builds an external module" test -f "$RUNNING"
make_patch "$SRC" ootdemo.c 's/+ ootdemo_offset/+ ootdemo_offset + 1/' "$WORK/fix-oot.patch"
make_patch "$KERNEL" kernel/core.c 's/x - 7/x - 8/' "$WORK/fix-core.patch"
ARGS=(-s "$KERNEL" --oot-module "$RUNNING" --oot-module-src "$SRC" -o "$WORK/out-dir")

expect_status 4 "--oot-module without --oot-module-src" -s "$KERNEL" --oot-module "$RUNNING" "$WORK/fix-oot.patch"
check "says they go together" output_has "go together"
expect_status 4 "--oot-module-src inside the kernel tree" -s "$KERNEL" --oot-module "$RUNNING" \
	--oot-module-src "$KERNEL/drivers/demo" "$WORK/fix-oot.patch"
check "inside the tree: explained" output_has "is inside the kernel tree"
expect_status 4 "--oot-module that is not a .ko" "${ARGS[@]/$RUNNING/$WORK/fix-oot.patch}" "$WORK/fix-oot.patch"
expect_status 4 "--oot-module with -c" "${ARGS[@]}" -c "$KERNEL/.config" "$WORK/fix-oot.patch"
expect_status 4 "--oot-module without -s" --oot-module "$RUNNING" --oot-module-src "$SRC" "$WORK/fix-oot.patch"

snapshot "$KERNEL" >"$WORK/kernel.snap"
: >"$FAKE_CDO_LOG"
expect_status 0 "build for an out-of-tree module" "${ARGS[@]}" "$WORK/fix-oot.patch"
check "names the module, its source and the kernel" \
	output_has "^Out-of-tree module ootdemo \($RUNNING\), built from $SRC against $KERNEL$"
check "the original is built with M=DIR" test -f "$SRC/ootdemo.ko"
check "make ran in the kernel tree with M=DIR" \
	grep -q -- "make -C $KERNEL M=$SRC -j[0-9]* KCFLAGS=" "$KPATCH_BUILD_CACHE/last-build.log"
check "the differ diffs the module's object against the given module file" \
	grep -q " [^ ]*/orig/ootdemo.o [^ ]*/patched/ootdemo.o ootdemo $RUNNING $KERNEL/Module.symvers " "$FAKE_CDO_LOG"
check "the differ reads structure sizes from the kernel's vmlinux" grep -q -- "--struct-sizes-from $KERNEL/vmlinux" "$FAKE_CDO_LOG"
check "summary: the module's function" output_has "ootdemo: ootdemo_read \(changed\)"
check "the module source is restored" sh -c "! grep -q 'ootdemo_offset + 1' '$SRC/ootdemo.c'"
check "the kernel tree is untouched" same_tree "$KERNEL" "$WORK/kernel.snap"
check "module written" test -f "$WORK/out-dir/livepatch-fix-oot.ko"

# Interrupted after the patched build: the module source is put back.
snapshot "$SRC" >"$WORK/src.snap"
KPATCH_BUILD_TEST_SIGNAL=INT@patched-built expect_status 130 "Ctrl-C after the patched build" "${ARGS[@]}" "$WORK/fix-oot.patch"
check "Ctrl-C: the module source is exactly as before" same_tree "$SRC" "$WORK/src.snap"
check "Ctrl-C: the kernel tree is untouched" same_tree "$KERNEL" "$WORK/kernel.snap"

# A kernel tree without vmlinux (prepared only, like a headers package)
# and the kernel's vmlinux given with -v.
cp -a "$KERNEL" "$WORK/prepared"
mv "$WORK/prepared/vmlinux" "$WORK/vmlinux"
: >"$FAKE_CDO_LOG"
expect_status 0 "a prepared kernel tree and -v" -s "$WORK/prepared" -v "$WORK/vmlinux" --oot-module "$RUNNING" \
	--oot-module-src "$SRC" -o "$WORK/out-dir" "$WORK/fix-oot.patch"
check "prepared tree: structure sizes from -v" grep -q -- "--struct-sizes-from $WORK/vmlinux " "$FAKE_CDO_LOG"
check "prepared tree: not a partial build" sh -c "! grep -q '^Partial build' '$WORK/out'"
check "prepared tree: still no vmlinux" test ! -e "$WORK/prepared/vmlinux"

# The patches are for the module's source, not the kernel's.
expect_status 1 "a patch for the kernel tree" "${ARGS[@]}" "$WORK/fix-core.patch"
check "a patch for the kernel tree: does not apply to the module source" output_has "fix-core.patch does not apply to $SRC:"
check "a patch for the kernel tree: kernel untouched" same_tree "$KERNEL" "$WORK/kernel.snap"
finish
