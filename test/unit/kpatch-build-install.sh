#!/bin/bash
# make install: into a temporary DESTDIR and PREFIX; every file in place,
# and the installed kpatch-build finds its helpers relative to itself when
# run from another directory.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"

DEST=$WORK/dest
PREFIX=/opt/kpatch-build-test
ROOT=$DEST$PREFIX
# The object directory `make check` passes (build/ by default): install
# depends on `all`, which is then already up to date.
build_dir=${1:-${BUILD:-build}}
if ! make -C "$REPO" -s BUILD="$build_dir" DESTDIR="$DEST" PREFIX="$PREFIX" install >"$WORK/out" 2>&1; then
	fail_test "make install"
	finish
	exit 1
fi
pass "make install with DESTDIR and PREFIX"

installed() {	# installed MODE PATH
	local path=$ROOT/$2
	[[ -f $path ]] || { echo "    missing: $path"; return 1; }
	[[ $1 != x || -x $path ]] || { echo "    not executable: $path"; return 1; }
}
check "bin/kpatch-build" installed x bin/kpatch-build
for program in create-diff-object create-klp-module build-module kpatch-cc export-abi; do
	check "libexec: $program" installed x "libexec/kpatch-build/$program"
done
for lib in "$REPO"/kpatch-build/lib-*.sh; do
	check "libexec: $(basename "$lib")" installed - "libexec/kpatch-build/$(basename "$lib")"
done
for header in kpatch-macros.h kpatch-syscall.h kpatch-format.h; do
	check "include: $header" installed - "share/kpatch-build/include/$header"
done
for file in "$REPO"/kpatch-build/module/*; do
	check "module template: $(basename "$file")" installed - "share/kpatch-build/module/$(basename "$file")"
done
check "man page" installed - share/man/man1/kpatch-build.1
check "bin/kpatch-batch" installed x bin/kpatch-batch
for lib in "$REPO"/batch/lib-*.sh; do
	check "libexec: $(basename "$lib")" installed - "libexec/kpatch-build/$(basename "$lib")"
done
check "kpatch-batch man page" installed - share/man/man1/kpatch-batch.1
check "nothing installed outside DESTDIR" test ! -e "$PREFIX"

cd /
version=$(grep -E '^VERSION[[:space:]]*:=' "$REPO/Makefile" | sed 's/.*:=[[:space:]]*//')
check "--version from / prints the release version" sh -c "'$ROOT/bin/kpatch-build' --version | grep -qx 'kpatch-build $version'"
check "--help from /" sh -c "'$ROOT/bin/kpatch-build' --help | grep -q '^Usage: kpatch-build'"
ln -s "$ROOT/bin/kpatch-build" "$WORK/kpb-link"
check "works through a symlink" sh -c "'$WORK/kpb-link' --version >/dev/null"
check "installed kpatch-batch --version from /" sh -c "'$ROOT/bin/kpatch-batch' --version | grep -qx 'kpatch-batch $version'"

# A run of the installed copy uses the installed helpers and headers.
make_tree "$WORK/tree"
make_patch "$WORK/tree" kernel/core.c 's/x - 7/x - 8/' "$WORK/fix.patch"
KPATCH_BUILD=$ROOT/bin/kpatch-build
expect_status 0 "installed kpatch-build builds (stand-in differ)" -s "$WORK/tree" -o "$WORK" -d "$WORK/fix.patch"
check "installed run uses the installed kpatch-cc" grep -q "/shim/gcc -> $ROOT/libexec/kpatch-build/kpatch-cc" \
	<(find "$KPATCH_BUILD_CACHE" -name gcc -printf '%p -> %l\n')
check "installed run passes the installed include directory" \
	grep -q "KPATCH_CC_INCLUDE=$ROOT/share/kpatch-build/include" "$KPATCH_BUILD_CACHE/last-build.log"
unset KPATCH_CDO
run_kpb -s "$WORK/tree" -o "$WORK" "$WORK/fix.patch"
check "installed run finds the installed create-diff-object" \
	grep -q "^\\$ $ROOT/libexec/kpatch-build/create-diff-object " "$KPATCH_BUILD_CACHE/last-build.log"
# The installed kpatch-batch runs the installed kpatch-build beside it.
mkdir -p "$WORK/batch-patches"
cp "$WORK/fix.patch" "$WORK/batch-patches/"
if "$ROOT/bin/kpatch-batch" -s "$WORK/tree" --report-dir "$WORK/batch-report" --patches "$WORK/batch-patches" >"$WORK/out" 2>&1; then
	pass "installed kpatch-batch builds a fix"
else
	fail_test "installed kpatch-batch builds a fix"
fi
check "installed kpatch-batch ran the installed kpatch-build" \
	grep -q "^kpatch-build $version: building livepatch-0001-fix.ko" "$WORK/batch-report/logs/0001-fix.log"
finish
