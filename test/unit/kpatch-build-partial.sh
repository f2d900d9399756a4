#!/bin/bash
# kpatch-build partial builds (no vmlinux in the tree, -v given): the tree
# is prepared once for the running kernel's release, only the affected
# objects are compiled, parents come from kbuild's command lines and the
# kernel's module files, and a second run reuses the prepared tree.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"

REL=9.9.9-test
partial_test_setup "$REL"
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$WORK/fix-core.patch"
make_patch "$TREE" drivers/demo/demo.c 's/- 5/- 6/' "$WORK/fix-demo.patch"
make_patch "$TREE" include/linux/shared.h 's/FACTOR 3/FACTOR 4/' "$WORK/fix-header.patch"

expect_status 4 "--symvers without a partial build" -s "$WORK/built" --symvers "$WORK/Module.symvers" "$WORK/fix-core.patch"
check "--symvers: says it is for partial builds" output_has "are for partial builds"
expect_status 4 "--partial without -v" -s "$TREE" -c "$WORK/kernel.config" --partial "$WORK/fix-core.patch"
check "--partial: asks for -v" output_has "needs -v FILE"

: >"$FAKE_CDO_LOG"
expect_status 0 "partial build of a vmlinux object" "${ARGS[@]}" "$WORK/fix-core.patch"
check "says it is a partial build" output_has "^Partial build for $REL"
check "prepares the tree" output_has '^Preparing kernel tree for .* done \([0-9]+s, prepared\)'
check "release from --kernel-release" grep -qx "$REL" "$TREE/include/config/kernel.release"
check "Module.symvers copied into the tree" cmp -s "$WORK/Module.symvers" "$TREE/Module.symvers"
check "only the patched object compiled" sh -c "[ -f '$TREE/kernel/core.o' ] && [ ! -f '$TREE/fs/file.o' ] && [ ! -f '$TREE/vmlinux' ]"
check "differ gets the -v vmlinux as parent" grep -q " vmlinux $WORK/built/vmlinux $TREE/Module.symvers " "$FAKE_CDO_LOG"
check "summary lists the function" output_has "vmlinux: core_other \(changed\)"
check "the patched source is restored" sh -c "! grep -q 'x - 8' '$TREE/kernel/core.c'"

: >"$FAKE_CDO_LOG"
expect_status 0 "second run" "${ARGS[@]}" "$WORK/fix-core.patch"
check "second run reuses the prepared tree" output_has '^Preparing kernel tree for .* done \([0-9]+s, reused\)'
VERMAGIC="$REL SMP preempt mod_unload " expect_status 1 "vermagic differs from the kernel's" "${ARGS[@]}" "$WORK/fix-core.patch"
check "vermagic: names both strings" output_has "has vermagic '$REL SMP preempt mod_unload ', but .* expects '$REL SMP mod_unload '"

: >"$FAKE_CDO_LOG"
expect_status 0 "partial build of a module object" "${ARGS[@]}" "$WORK/fix-demo.patch"
check "module parent from -DMODULE, symbols from --modules-dir" \
	grep -q " demo $WORK/modules/kernel/drivers/demo/demo.ko " "$FAKE_CDO_LOG"
check "the log names the module used" \
	grep -q "module demo: symbols from $WORK/modules/kernel/drivers/demo/demo.ko$" "$KPATCH_BUILD_CACHE/last-build.log"

rm -rf "$WORK/modules/kernel"
expect_status 1 "module not among the kernel's modules" "${ARGS[@]}" "$WORK/fix-demo.patch"
check "names the module and the directory" output_has "belongs to module demo, which is not in $WORK/modules"
mkdir -p "$WORK/modules/kernel/drivers/demo"

# Modules as distributions ship them: compressed, FILE symbols stripped
# (the other locals kept). Without an unstripped debug copy the stripped
# module itself is the parent, and the log says so.
mapfile -t strip_files < <(readelf -sW "$WORK/built/drivers/demo/demo.ko" |
	awk '$4 == "FILE" { print "--strip-symbol=" $8 }')
check "the toy module has FILE symbols to strip" test "${#strip_files[@]}" -gt 0
objcopy "${strip_files[@]}" "$WORK/built/drivers/demo/demo.ko" "$WORK/modules/kernel/drivers/demo/demo.ko"
check "the stripped module has no FILE symbols" sh -c "! readelf -sW '$WORK/modules/kernel/drivers/demo/demo.ko' | grep -q ' FILE '"
xz "$WORK/modules/kernel/drivers/demo/demo.ko"
: >"$FAKE_CDO_LOG"
expect_status 0 "stripped .ko.xz module without a debug copy" "${ARGS[@]}" "$WORK/fix-demo.patch"
check "stripped: the differ gets the decompressed module" \
	grep -q " demo [^ ]*/parents/demo\.ko $TREE/Module.symvers " "$FAKE_CDO_LOG"
check "stripped: the log names the module used" grep -q \
	"module demo: .*/demo\.ko\.xz has no FILE symbols (stripped) and no unstripped copy .*; symbols from .*/demo\.ko\.xz itself" \
	"$KPATCH_BUILD_CACHE/last-build.log"
check "stripped: no warning" sh -c "! grep -q WARNING '$WORK/out'"

# The debug package's unstripped copy beside the -v vmlinux (Debian:
# /usr/lib/debug/{boot/vmlinux-REL,lib/modules/REL}) is preferred.
mkdir -p "$WORK/lib/modules/$REL/kernel/drivers/demo"
zstd -q "$WORK/built/drivers/demo/demo.ko" -o "$WORK/lib/modules/$REL/kernel/drivers/demo/demo.ko.zst"
: >"$FAKE_CDO_LOG"
expect_status 0 "stripped module with a debug copy" "${ARGS[@]}" "$WORK/fix-demo.patch"
check "debug copy: the differ gets the decompressed debug module" \
	grep -q " demo [^ ]*/parents/demo-debug\.ko $TREE/Module.symvers " "$FAKE_CDO_LOG"
check "debug copy: the log names it" grep -q \
	"module demo: .*/demo\.ko\.xz has no FILE symbols (stripped); symbols from the debug package's unstripped copy $WORK/lib/modules/$REL/.*/demo\.ko\.zst" \
	"$KPATCH_BUILD_CACHE/last-build.log"
rm -rf "${WORK:?}/lib" "$WORK/modules/kernel/drivers/demo/demo.ko.xz"
cp "$WORK/built/drivers/demo/demo.ko" "$WORK/modules/kernel/drivers/demo/demo.ko"

: >"$FAKE_CDO_LOG"
expect_status 0 "header change" "${ARGS[@]}" "$WORK/fix-header.patch"
check "header: units found through #include lines" sh -c "grep -q 'core.o' '$FAKE_CDO_LOG' && grep -q 'demo.o' '$FAKE_CDO_LOG'"

sed 's/^CONFIG_KALLSYMS_ALL=y/CONFIG_KALLSYMS_ALL=y\nCONFIG_TOY_NEW=y/' "$WORK/kernel.config" >"$WORK/other.config"
expect_status 0 "another config prepares again" "${ARGS[@]/$WORK\/kernel.config/$WORK/other.config}" "$WORK/fix-core.patch"
check "prepared again for the new config" output_has '^Preparing kernel tree for .* done \([0-9]+s, prepared\)'
finish
