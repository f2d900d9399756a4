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
