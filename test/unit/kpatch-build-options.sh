#!/bin/bash
# kpatch-build option parsing: help, version, usage errors (exit 4), and
# environment settings that would break the build contract.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"

make_tree "$WORK/tree"
make_patch "$WORK/tree" kernel/core.c 's/x - 7/x - 8/' "$WORK/fix.patch"
TREE=$WORK/tree

expect_status 0 "--help" --help
check "--help lists the exit codes" output_has '3  no functional change'
check "--help lists --skip-compiler-check" output_has '--skip-compiler-check'
expect_status 0 "-h" -h
expect_status 0 "--version" --version
check "--version prints the version" output_has '^kpatch-build [0-9]+\.[0-9]+'

expect_status 4 "no patch given" -s "$TREE"
check "no patch: message and usage hint" output_has "no patch file given.*|--help"
expect_status 4 "missing patch file" -s "$TREE" "$WORK/nonexistent.patch"
check "missing patch file is named" output_has "nonexistent.patch"
# Without -s on a machine whose kernel no package installed (dpkg knows none).
KPATCH_DPKG_QUERY=false expect_status 4 "no -s" "$WORK/fix.patch"
check "no -s: says what to pass" output_has "pass -s DIR"
expect_status 4 "-s is not a directory" -s "$WORK/nope" "$WORK/fix.patch"
expect_status 4 "-s is not a kernel tree" -s "$WORK/cache-not-a-tree" "$WORK/fix.patch"
mkdir -p "$WORK/empty"
expect_status 4 "-s without Makefile" -s "$WORK/empty" "$WORK/fix.patch"
expect_status 4 "-j abc" -s "$TREE" -j abc "$WORK/fix.patch"
expect_status 4 "-j 0" -s "$TREE" -j 0 "$WORK/fix.patch"
check "-j: explains" output_has "positive number"
expect_status 4 "-o missing dir" -s "$TREE" -o "$WORK/missing-out" "$WORK/fix.patch"
check "-o: names the directory" output_has "missing-out"
expect_status 4 "-c missing file" -s "$TREE" -c "$WORK/no.config" "$WORK/fix.patch"
expect_status 4 "-v missing file" -s "$TREE" -v "$WORK/no-vmlinux" "$WORK/fix.patch"
expect_status 4 "unknown option" -s "$TREE" --frobnicate "$WORK/fix.patch"
expect_status 4 "option missing its argument" -s

export KCFLAGS=-O1
expect_status 4 "foreign KCFLAGS refused before any work" -s "$TREE" -o "$WORK" "$WORK/fix.patch"
check "KCFLAGS: explains the contract" output_has "KCFLAGS='-ffunction-sections -fdata-sections'"
check "KCFLAGS: no module written" test ! -e "$WORK/livepatch-fix.ko"
unset KCFLAGS
export KCFLAGS="$CONTRACT_KCFLAGS"
expect_status 0 "KCFLAGS equal to the contract is accepted" -s "$TREE" -o "$WORK" "$WORK/fix.patch"
unset KCFLAGS
LLVM=1 expect_status 4 "LLVM=1 refused" -s "$TREE" -o "$WORK" "$WORK/fix.patch"
export LLVM=1
expect_status 4 "LLVM=1 refused (exported)" -s "$TREE" -o "$WORK" "$WORK/fix.patch"
unset LLVM

# helpers are found from any directory
# shellcheck disable=SC2016 # expanded by the inner sh
check "--version from another directory" sh -c 'cd / && "$1" --version >/dev/null' sh "$KPATCH_BUILD"
finish
