#!/bin/bash
# kpatch-build runs kpatch-verify on the module of every build, as its own
# timed stage, per changed object with that object's inputs; a finding or a
# verifier error fails the build naming the function and leaves no module.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"

make_tree "$WORK/tree"
TREE=$WORK/tree
OUT=$WORK/out-dir
mkdir -p "$OUT"
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$WORK/fix-core.patch"
make_patch "$TREE" drivers/demo/demo.c 's/- 5/- 6/' "$WORK/demo.patch"

verify_called_with() {
	grep -q -E -- "$1" "$FAKE_VERIFY_LOG"
}

# --- success: a stage with its time, the object's inputs
expect_status 0 "verified module is written" -s "$TREE" -o "$OUT" "$WORK/fix-core.patch"
check "module written" test -s "$OUT/livepatch-fix-core.ko"
check "verification stage with its time" output_has '^Verifying module livepatch-fix-core\.ko \.\.\. done \([0-9]+s, 1 object\(s\)\)$'
check "verifier: parent, report, symvers, struct sizes" verify_called_with \
	"^--parent vmlinux --json .*/reports/kernel/core.o.verify.json --symvers $TREE/Module.symvers --struct-sizes-from $TREE/vmlinux "
check "verifier: orig, patched, module, parent symtab" verify_called_with \
	" .*/orig/kernel/core.o .*/patched/kernel/core.o .*/module/livepatch-fix-core.ko $TREE/vmlinux$"
check "verification comes before SUCCESS" sh -c "grep -n -E '^(Verifying module|SUCCESS)' '$WORK/out' | head -n 1 | grep -q Verifying"

# --- a module patch: the parent is the module
: >"$FAKE_VERIFY_LOG"
expect_status 0 "module patch verified" -s "$TREE" -o "$OUT" "$WORK/demo.patch"
check "module patch: verifier gets the module parent" verify_called_with \
	"^--parent demo .* $TREE/drivers/demo/demo.ko$"

# --- findings: the build fails naming the function, no module
rm -f "$OUT"/*.ko
FAKE_VERIFY_MODE=fail expect_status 1 "a verifier finding fails the build" -s "$TREE" -o "$OUT" "$WORK/fix-core.patch"
check "finding shown with the function" output_has "^  soundness: function core_other \(\.text\.core_other\+0x4\): bytes differ at \+0x4$"
check "error names the object" output_has "ERROR: kernel/core.o: the module does not do what the patch does"
check "no SUCCESS after a finding" sh -c "! grep -q '^SUCCESS' '$WORK/out'"
check "no module after a finding" test -z "$(find "$OUT" -name '*fix-core*')"

# --- the verifier cannot run: an error, no module
FAKE_VERIFY_MODE=error expect_status 1 "a verifier error fails the build" -s "$TREE" -o "$OUT" "$WORK/fix-core.patch"
check "verifier error reported" output_has "kpatch-verify could not check the module \(exit 1\)"
check "no module after a verifier error" test -z "$(find "$OUT" -name '*fix-core*')"

# --- a missing verifier is a clear error before anything is built
KPATCH_VERIFY=$WORK/nonexistent expect_status 1 "missing kpatch-verify" -s "$TREE" -o "$OUT" "$WORK/fix-core.patch"
check "missing verifier named" output_has "kpatch-verify not found at $WORK/nonexistent"

echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
