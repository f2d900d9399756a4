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

# Cross builds: --arch, or kbuild's ARCH and CROSS_COMPILE.
expect_status 4 "--arch of an unsupported architecture" -s "$TREE" --arch aarch64 "$WORK/fix.patch"
check "--arch: names the supported ones" output_has "supported are x86_64, s390x and ppc64le"
ARCH=arm64 expect_status 4 "ARCH=arm64 refused" -s "$TREE" "$WORK/fix.patch"
check "ARCH=arm64: says what is supported" output_has "ARCH='arm64'.*ARCH=s390"
ARCH=x86 expect_status 4 "--arch contradicting ARCH" -s "$TREE" --arch s390x "$WORK/fix.patch"
check "contradiction: names both" output_has "--arch s390x contradicts ARCH='x86'"
CROSS_COMPILE=/nonexistent/s390x- expect_status 1 "missing cross compiler" -s "$TREE" --arch s390x "$WORK/fix.patch"
check "missing cross compiler: names the tool and the Debian package" \
	output_has "'/nonexistent/s390x-gcc' is not installed.*apt-get install gcc-s390x-linux-gnu"
expect_status 4 "--arch s390x --partial refused" -s "$TREE" --arch s390x --partial -v "$TREE/vmlinux" "$WORK/fix.patch"
check "partial: x86_64 only" output_has "partial builds .* are x86_64 only"
if command -v s390x-linux-gnu-gcc >/dev/null; then
	cp "$TREE/.config" "$WORK/x86.config"
	echo CONFIG_X86_64=y >>"$WORK/x86.config"
	snapshot "$TREE" >"$WORK/arch.snap"
	expect_status 1 "an x86_64 config built for s390x" -s "$TREE" -c "$WORK/x86.config" --arch s390x -o "$WORK" "$WORK/fix.patch"
	check "wrong arch: says which --arch fits" output_has "configures an x86_64 kernel, but kpatch-build builds for s390x: pass --arch x86_64"
	check "wrong arch: the tree is untouched" same_tree "$TREE" "$WORK/arch.snap"
else
	fail_test "s390x-linux-gnu-gcc not found (apt-get install gcc-s390x-linux-gnu)"
fi
ARCH=powerpc CROSS_COMPILE=/nonexistent/ppc- expect_status 1 "ARCH=powerpc: missing cross compiler" -s "$TREE" "$WORK/fix.patch"
check "ARCH=powerpc is ppc64le: names its Debian package" \
	output_has "'/nonexistent/ppc-gcc' is not installed: building for ppc64le .*apt-get install gcc-powerpc64le-linux-gnu"
if command -v powerpc64le-linux-gnu-gcc >/dev/null; then
	# gets past the compiler check only with Debian's prefix, powerpc64le-linux-gnu-
	cp "$TREE/.config" "$WORK/x86.config"
	echo CONFIG_X86_64=y >>"$WORK/x86.config"
	snapshot "$TREE" >"$WORK/arch.snap"
	expect_status 1 "an x86_64 config built for ppc64le" -s "$TREE" -c "$WORK/x86.config" --arch ppc64le -o "$WORK" "$WORK/fix.patch"
	check "ppc64le: the default cross prefix, then the wrong config named" \
		output_has "configures an x86_64 kernel, but kpatch-build builds for ppc64le: pass --arch x86_64"
	check "wrong arch (ppc64le): the tree is untouched" same_tree "$TREE" "$WORK/arch.snap"
else
	fail_test "powerpc64le-linux-gnu-gcc not found (apt-get install gcc-powerpc64le-linux-gnu)"
fi

# helpers are found from any directory
# shellcheck disable=SC2016 # expanded by the inner sh
check "--version from another directory" sh -c 'cd / && "$1" --version >/dev/null' sh "$KPATCH_BUILD"
finish
