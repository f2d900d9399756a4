# shellcheck shell=bash disable=SC2034
# Shared settings and helpers for the integration tests; sourced, not run.
# (Variables set here are used by the sourcing scripts, hence SC2034.)
TI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$TI_DIR/../.." && pwd)
KERNEL_SERIES=linux-6.12
KERNEL_PKG=linux-source-6.12
KERNEL_TARBALL=${KPATCH_TEST_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
SUITE_DIR=$TI_DIR/$KERNEL_SERIES
CACHE=${KPATCH_TEST_CACHE:-$HOME/.cache/kpatch-build-test}
# Must stay byte-identical to what kpatch-build passes, or its own
# `make vmlinux modules` would see changed command lines and rebuild.
KPATCH_KCFLAGS="-ffunction-sections -fdata-sections"
JOBS=${JOBS:-$(nproc)}

# The architecture of the test kernel (KPATCH_TEST_ARCH): x86_64, native,
# or s390x or ppc64le, cross-compiled and booted under TCG. All share the suite's
# patches and checks (SUITE_DIR); an arch may have its own config fragment
# and suite list (ARCH_SUITE_DIR).
TEST_ARCH=${KPATCH_TEST_ARCH:-x86_64}
case $TEST_ARCH in
x86_64)
	ARCH_SUITE_DIR=$SUITE_DIR
	KERNEL_MAKE_ENV=()
	KERNEL_CC=gcc
	KERNEL_IMAGE=arch/x86/boot/bzImage
	QEMU_DEFAULT=qemu-system-x86_64
	QEMU_MACHINE=(-machine q35 -cpu max)
	GUEST_CONSOLE=ttyS0
	BUSYBOX_DEFAULT=/bin/busybox
	ARCH_PREP_PATCHES=()
	;;
s390x)
	ARCH_SUITE_DIR=$SUITE_DIR/s390x
	# as a kbuild user cross-compiles; kpatch-build takes the same two
	# variables from the environment
	KERNEL_MAKE_ENV=(ARCH=s390 CROSS_COMPILE=s390x-linux-gnu-)
	KERNEL_CC=s390x-linux-gnu-gcc
	KERNEL_IMAGE=arch/s390/boot/bzImage
	QEMU_DEFAULT=qemu-system-s390x
	QEMU_MACHINE=(-machine s390-ccw-virtio -cpu max)
	GUEST_CONSOLE=ttysclp0
	# busybox-static:s390x, unpacked by lib/busybox.sh
	BUSYBOX_DEFAULT=$CACHE/busybox/s390x/busybox
	# after the common prep patch: the -fPIE data sections' link
	ARCH_PREP_PATCHES=("$ARCH_SUITE_DIR/prep-data-rel-ro.patch")
	# QEMU before 8.1 computes relative-long targets (larl, lrl, ...) in
	# 32 bits: these cases reach vmlinux data more than 2 GiB from the
	# module and fault there (see README.md, lib/qemu-build.sh)
	QEMU_FIXED_VERSION=8.1
	QEMU_BUG_CASES=(cold shadow-newpid)
	;;
ppc64le)
	ARCH_SUITE_DIR=$SUITE_DIR/ppc64le
	KERNEL_MAKE_ENV=(ARCH=powerpc CROSS_COMPILE=powerpc64le-linux-gnu-)
	KERNEL_CC=powerpc64le-linux-gnu-gcc
	# qemu's pseries machine loads the ELF vmlinux itself: no boot wrapper
	KERNEL_IMAGE=vmlinux
	QEMU_DEFAULT=qemu-system-ppc64
	# the Spectre mitigation capabilities TCG cannot emulate, off rather
	# than warned about
	QEMU_MACHINE=(-machine "pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off" -cpu power9)
	GUEST_CONSOLE=hvc0
	# Debian calls the architecture ppc64el
	GUEST_DEB_ARCH=ppc64el
	BUSYBOX_DEFAULT=$CACHE/busybox/ppc64le/busybox
	;;
*)
	printf '[integration] ERROR: KPATCH_TEST_ARCH must be x86_64, s390x or ppc64le (is %s)\n' "$TEST_ARCH" >&2
	exit 1
	;;
esac
# The first QEMU version without a known emulation bug for this
# architecture's suite, and the cases that bug breaks (none by default).
: "${QEMU_FIXED_VERSION:=}"
[[ -v QEMU_BUG_CASES ]] || QEMU_BUG_CASES=()
# comm(1) and the manifest need one byte-wise sort order.
export LC_ALL=C

log() { printf '[integration] %s\n' "$*" >&2; }
warn() { printf '[integration] WARNING: %s\n' "$*" >&2; }
die() {
	printf '[integration] ERROR: %s\n' "$*" >&2
	exit 1
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			die "missing command '$c' (see test/integration/DEPENDS)"
	done
}

# now_s: seconds since the epoch, for coarse timings.
now_s() { date +%s; }
