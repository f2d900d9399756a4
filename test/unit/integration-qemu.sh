#!/usr/bin/env bash
# Which QEMU the integration suites boot (test/integration/lib/qemu.sh)
# and the pinned QEMU build's guards (lib/qemu-build.sh), with stand-in
# qemu binaries and a scratch cache: the s390x suite takes the built QEMU
# when the cache has it with its firmware, a complete build is not
# redone and an incomplete one is named, KPATCH_TEST_QEMU overrides it, a QEMU older
# than the fix is announced with the cases it breaks and a fixed one is
# not, the build names every missing package, and a download whose
# checksum is not the pinned one stops the build and leaves no file.
# The real build is test/integration/build-qemu (README.md there).
# shellcheck disable=SC2016 # the snippets expand in the suite's shell
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=check-helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/check-helpers.sh"
lib=$repo/test/integration/lib

# fake_qemu PATH VERSION: a qemu that reports VERSION as QEMU does.
fake_qemu() {
	mkdir -p "$(dirname "$1")"
	printf '#!/bin/sh\necho "QEMU emulator version %s (test)"\n' "$2" >"$1"
	chmod +x "$1"
}

# in_suite ARCH CMD: CMD (bash) with the suite's libraries sourced for
# ARCH and the cache in ./cache; prints stdout and stderr.
in_suite() {
	KPATCH_TEST_ARCH=$1 KPATCH_TEST_CACHE=$PWD/cache bash -c \
		"set -euo pipefail; . '$lib/common.sh'; . '$lib/initramfs.sh'; . '$lib/qemu.sh'; $2" 2>&1
}

fake_qemu cache/qemu-10.0.13/bin/qemu-system-s390x 10.0.13
mkdir -p cache/qemu-10.0.13/share/qemu
touch cache/qemu-10.0.13/share/qemu/s390-ccw.img
fake_qemu bin/qemu-old 7.2.22

out=$(in_suite s390x 'echo "$QEMU"')
check "s390x boots the built QEMU when the cache has it" \
	test "$out" = "$PWD/cache/qemu-10.0.13/bin/qemu-system-s390x"
out=$(KPATCH_TEST_QEMU=$PWD/bin/qemu-old in_suite s390x 'echo "$QEMU"')
check "KPATCH_TEST_QEMU overrides the built QEMU" test "$out" = "$PWD/bin/qemu-old"
out=$(in_suite x86_64 'echo "$QEMU"')
check "x86_64 ignores the s390x build" test "$out" = qemu-system-x86_64
mv cache/qemu-10.0.13 cache/moved
out=$(in_suite s390x 'echo "$QEMU"')
check "without a build s390x boots qemu-system-s390x from PATH" test "$out" = qemu-system-s390x
mv cache/moved cache/qemu-10.0.13
rc=0
out=$(in_suite s390x qemu_build) || rc=$?
check "a complete build is not built again" test "$rc" = 0
check "... and says so" grep -qF "QEMU 10.0.13 already built" <<<"$out"
mv cache/qemu-10.0.13/share/qemu/s390-ccw.img firmware
out=$(in_suite s390x 'echo "$QEMU"')
check "a build without its firmware is not booted" test "$out" = qemu-system-s390x
rc=0
out=$(in_suite s390x qemu_build) || rc=$?
check "... nor silently kept: the build stops" test "$rc" = 1
check "... naming what is missing" grep -qF "qemu-10.0.13 is incomplete (no $PWD/cache/qemu-10.0.13/share/qemu/s390-ccw.img)" <<<"$out"
mv firmware cache/qemu-10.0.13/share/qemu/s390-ccw.img

check "7.2.22 is older than 8.1" in_suite s390x 'qemu_version_older 7.2.22 8.1'
check "8.0.5 is older than 8.1" in_suite s390x 'qemu_version_older 8.0.5 8.1'
check "8.1 is not older than 8.1" fails in_suite s390x 'qemu_version_older 8.1 8.1'
check "10.0.13 is not older than 8.1" fails in_suite s390x 'qemu_version_older 10.0.13 8.1'

rc=0
out=$(KPATCH_TEST_QEMU=$PWD/bin/qemu-old in_suite s390x qemu_announce) || rc=$?
check "an old QEMU is announced as buggy (status 1)" test "$rc" = 1
check "the announcement names the QEMU and its version" \
	grep -qF "qemu: $PWD/bin/qemu-old (version 7.2.22)" <<<"$out"
check "the announcement names the cases it breaks" \
	grep -qF "known to fail in the guest: cold shadow-newpid" <<<"$out"
check "the announcement says how to get a fixed QEMU" grep -qF "test/integration/build-qemu" <<<"$out"
rc=0
out=$(in_suite s390x qemu_announce) || rc=$?
check "the built QEMU is announced as fine (status 0)" test "$rc" = 0
check "... with its path and version" \
	grep -qF "qemu: $PWD/cache/qemu-10.0.13/bin/qemu-system-s390x (version 10.0.13)" <<<"$out"
check "... and no warning" fails grep -q WARNING <<<"$out"
rc=0
out=$(KPATCH_TEST_QEMU=$PWD/bin/qemu-old in_suite x86_64 qemu_announce) || rc=$?
check "x86_64 has no known QEMU bug to announce" test "$rc:$(grep -c WARNING <<<"$out" || true)" = 0:0

# A PATH with bash and the coreutils the libraries need, but no compiler,
# ninja, flex, bison or pkg-config.
mkdir -p thinbin
for c in bash sh dirname cat sed sort head grep mkdir mktemp date nproc printf rm; do
	ln -sf "$(command -v "$c")" "thinbin/$c"
done
rc=0
out=$(PATH=$PWD/thinbin in_suite s390x qemu_build_check_deps) || rc=$?
check "missing build tools stop the build" test "$rc" = 1
check "... naming each missing tool" grep -qE "needs: .*gcc.*s390x-linux-gnu-gcc.*ninja.*flex.*bison" <<<"$out"
check "... and the packages to install" \
	grep -qF "apt-get install gcc gcc-s390x-linux-gnu make ninja-build python3-venv pkgconf libglib2.0-dev" <<<"$out"

mkdir -p sources dl
printf 'not qemu\n' >sources/qemu_10.0.13+ds.orig.tar.xz
rc=0
out=$(KPATCH_TEST_QEMU_SOURCES=$PWD/sources in_suite s390x \
	"qemu_fetch '$PWD/dl' \"\${QEMU_PIN_FILES[0]}\"") || rc=$?
check "a tarball with another checksum stops the build" test "$rc" = 1
check "... naming the file and the pinned checksum" \
	grep -qE 'qemu_10.0.13\+ds.orig.tar.xz: sha256 is not the pinned 6a0888e8' <<<"$out"
check "... and leaves no tarball behind" test ! -e dl/qemu_10.0.13+ds.orig.tar.xz
printf 'meson\n' >sources/meson_1.7.0-1_all.deb
sha=$(sha256sum sources/meson_1.7.0-1_all.deb | cut -d' ' -f1)
rc=0
out=$(KPATCH_TEST_QEMU_SOURCES=$PWD/sources in_suite s390x \
	"qemu_fetch '$PWD/dl' 'meson_1.7.0-1_all.deb $sha m/meson'") || rc=$?
check "a file with the pinned checksum is taken" test "$rc:$(cat dl/meson_1.7.0-1_all.deb)" = 0:meson

finish
