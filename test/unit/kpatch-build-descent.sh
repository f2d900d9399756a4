#!/bin/bash
# Objects kbuild reaches by two descents (lib-descent.sh): `make
# arch/x86/pci/fixup.o` on a 6.x tree compiles it in arch/x86/ and in
# arch/x86/pci/, at once under -j, and one compile's fixdep removes the
# other's .d file. kpatch-build makes such objects with -j1, so that the
# owning directory compiles last, alone, and its command is the one kept.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"

# The toy tree with an object under drivers/block/aoe/, which drivers/Kbuild
# lists along with drivers/block/ (as 6.12's drivers/Makefile does).
cp -a "$FIXTURES" "$WORK/fixtures"
FIXTURES=$WORK/fixtures
mkdir -p "$FIXTURES/tree/drivers/block/aoe"
printf 'int twice_value(int x)\n{\n\treturn x * 3; /* SLOW_MARKER */\n}\n' >"$FIXTURES/tree/drivers/block/aoe/twice.c"
# shellcheck disable=SC2016 # make syntax
printf '# read by kpatch-build only: the subdirectories kbuild descends into\nobj-y += block/\nobj-$(CONFIG_ATA_OVER_ETH) += block/aoe/\n' >"$FIXTURES/tree/drivers/Kbuild"
partial_test_setup 9.9.9-test
LOG=$KPATCH_BUILD_CACHE/last-build.log
OBJECT=drivers/block/aoe/twice.o
CMD_FILE=$TREE/drivers/block/aoe/.twice.o.cmd
make_patch "$TREE" drivers/block/aoe/twice.c 's/x \* 3/x * 4/' "$WORK/fix-twice.patch"
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$WORK/fix-core.patch"

log_has() {
	grep -q -E -- "$1" "$LOG"
}

# --- the toy reproduces the bug: two descents at once break the build
cp -a "$TREE" "$WORK/race"
(cd "$WORK/race" && make -s olddefconfig modules_prepare KERNELRELEASE=9.9.9-test >/dev/null 2>&1)
STATUS=0
FAKE_TWICE_RACE=1 make -C "$WORK/race" -j2 "$OBJECT" >"$WORK/out" 2>&1 || STATUS=$?
check "toy sanity: make -j2 of an object reached twice fails" test "$STATUS" -ne 0
check "toy sanity: it fails as kbuild does, in fixdep" output_has 'fixdep: error opening file: drivers/block/aoe/\.twice\.o\.d'

# --- which objects are reached twice
descent_of() {
	# shellcheck disable=SC2016 # for the inner shell
	TREE=$1 TARGET_ARCH=x86_64 bash -c 'log() { :; }
		source "$0/kpatch-build/lib-arch.sh" && source "$0/kpatch-build/lib-descent.sh" &&
		reached_by_two_descents "$1"' "$REPO" "$2"
}
not() { ! "$@"; }
check "detected: drivers/block/ and drivers/block/aoe/ in one kbuild file" descent_of "$TREE" "$OBJECT"
check "not detected: an object of one descent" not descent_of "$TREE" kernel/core.o
# 6.x's top level: arch/\$(SRCARCH)/ in Kbuild, arch/x86/pci/ in the arch Makefile
mkdir -p "$WORK/top/arch/x86/pci" "$WORK/top/arch/x86/kernel"
# shellcheck disable=SC2016 # make syntax
printf 'obj-y\t\t\t+= arch/$(SRCARCH)/\nobj-y\t\t\t+= $(ARCH_DRIVERS)\n' >"$WORK/top/Kbuild"
# shellcheck disable=SC2016 # make syntax
printf 'drivers-$(CONFIG_PCI)            += arch/x86/pci/\ncore-y += \\\n\tarch/x86/video/\n' >"$WORK/top/arch/x86/Makefile"
printf 'obj-y += kernel/\n' >"$WORK/top/arch/x86/Kbuild"
check "detected: arch/\$(SRCARCH)/ and the arch Makefile's arch/x86/pci/" descent_of "$WORK/top" arch/x86/pci/fixup.o
check "detected: through a continued line" descent_of "$WORK/top" arch/x86/video/fbdev.o
check "not detected: arch/x86/kernel/ (listed by arch/x86/Kbuild only)" \
	not descent_of "$WORK/top" arch/x86/kernel/setup.o

# --- kpatch-build: with -j2 and the race forced, the build succeeds
export FAKE_TWICE_RACE=1
expect_status 0 "object reached twice, -j 2" "${ARGS[@]}" -j 2 --skip-cleanup "$WORK/fix-twice.patch"
check "the log says why it is made with -j1" log_has "^kbuild reaches $OBJECT by two descents .* made with -j1"
check "the original make ran with -j1" log_has "make -C $TREE -j2 .* -k -j1 $OBJECT\$"
check "no fixdep error" sh -c "! grep -q 'fixdep: error' '$LOG'"
check "the .cmd file keeps the owning directory's command" \
	grep -q "^savedcmd_$OBJECT := .*-DKBUILD_MODFILE=drivers/block/aoe/twice " "$CMD_FILE"
check "the .cmd file is whole (one savedcmd line, ends with the deps rule)" \
	sh -c "[ \$(grep -c '^savedcmd_' '$CMD_FILE') = 1 ] && tail -n 1 '$CMD_FILE' | grep -q '^\\\$(deps_$OBJECT):\$'"
RUN=$(echo "$KPATCH_BUILD_CACHE"/trees/src-*/run)
check "the patched object: compiled by the owning directory's recorded command" \
	log_has "^replay: $OBJECT: \\\$ gcc .*-DKBUILD_MODFILE=drivers/block/aoe/twice -c -o $OBJECT "
check "the patched object was kept" test -s "$RUN/patched/$OBJECT"
check "the differ saw the object" grep -q "$OBJECT" "$FAKE_CDO_LOG"
snapshot "$TREE" >"$WORK/snap"
expect_status 0 "object reached twice, warm run" "${ARGS[@]}" -j 2 "$WORK/fix-twice.patch"
check "warm run: the tree is as it was" same_tree "$TREE" "$WORK/snap"

# --- other objects keep the parallel make
expect_status 0 "an object of one descent" "${ARGS[@]}" -j 2 "$WORK/fix-core.patch"
check "one descent: made without -j1" sh -c "grep -q 'make -C .* -j2 .* kernel/core.o\$' '$LOG' && ! grep -q -- '-j1' '$LOG'"

# --- both kinds in one patch: two makes, both objects built
cat "$WORK/fix-core.patch" "$WORK/fix-twice.patch" >"$WORK/fix-both.patch"
KPATCH_BUILD_REPLAY=0 expect_status 0 "both kinds in one patch" "${ARGS[@]}" -j 2 "$WORK/fix-both.patch"
check "both kinds: the shared make has the other object only" log_has "make -C $TREE -j2 .* kernel/core.o\$"
check "both kinds: the object reached twice in a make of its own" log_has "make -C $TREE -j2 .* -j1 $OBJECT\$"
check "both kinds: the .cmd file keeps the owning directory's command" \
	grep -q "^savedcmd_$OBJECT := .*-DKBUILD_MODFILE=drivers/block/aoe/twice " "$CMD_FILE"
check "both kinds: both objects diffed" sh -c "grep -q kernel/core.o '$FAKE_CDO_LOG' && grep -q '$OBJECT' '$FAKE_CDO_LOG'"

finish
