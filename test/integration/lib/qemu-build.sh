# shellcheck shell=bash
# Build qemu-system-s390x from a pinned QEMU source, cached outside the
# repository.  Sourced after common.sh.
#
# Why: Debian 12's QEMU 7.2 computes the target of the relative-long
# instructions (larl, lrl, lgrl, ...) in 32 bits, so module code that
# reaches vmlinux data more than 2 GiB away faults under TCG.  Upstream
# fixed it in QEMU 8.1 ("target/s390x: Fix relative long instructions
# with large offsets").  The pin is Debian 13's QEMU source (10.0.x):
# the orig tarball of pool/main/q/qemu, sha256 from trixie's Sources.

QEMU_PIN_VERSION=10.0.13
QEMU_PIN_DEBIAN=1:10.0.13+ds-0+deb13u1
# The "+ds" tarball has no vendored meson wheel and QEMU 10 needs
# meson >= 1.5 (Debian 12 has 1.0): Debian 13's meson package, unpacked
# into the build directory (not installed), provides it.
# FILE SHA256 POOL-DIRECTORY, the checksums from Debian 13's Sources and
# binary-all Packages.
QEMU_PIN_FILES=(
	"qemu_10.0.13+ds.orig.tar.xz 6a0888e806c2ffc0c5f0733e974f9aea55491950d3c47c98669c8b236dde59ae q/qemu"
	"meson_1.7.0-1_all.deb e92d04e60e784336883d537755d09b7dcb856809fa318a0931df3898e84ded95 m/meson"
)
QEMU_PIN_POOL=${KPATCH_TEST_QEMU_POOL:-http://deb.debian.org/debian/pool/main}
# The pool drops superseded versions; the snapshot archive keeps them (a
# date when the pool had both files; this fallback was not reachable from
# the development machine, so it is untried).
QEMU_PIN_POOL_FALLBACK=https://snapshot.debian.org/archive/debian/20261130T000000Z/pool/main
QEMU_BUILD_DIR=$CACHE/qemu-$QEMU_PIN_VERSION
QEMU_BUILT=$QEMU_BUILD_DIR/bin/qemu-system-s390x
QEMU_FIRMWARE=$QEMU_BUILD_DIR/share/qemu/s390-ccw.img
# Debian 12's python3 with its venv module runs QEMU's configure.
QEMU_BUILD_PYTHON=/usr/bin/python3
QEMU_BUILD_DEPS="gcc gcc-s390x-linux-gnu make ninja-build python3-venv pkgconf libglib2.0-dev flex bison curl xz-utils dpkg"

# qemu_build_check_deps: every tool and library the build needs, or one
# error naming all the packages to install.
qemu_build_check_deps() {
	local missing=() cmd
	for cmd in gcc s390x-linux-gnu-gcc make ninja pkg-config flex bison curl xz sha256sum dpkg-deb "$QEMU_BUILD_PYTHON"; do
		command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
	done
	"$QEMU_BUILD_PYTHON" -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
	if command -v pkg-config >/dev/null 2>&1 && ! pkg-config --exists 'glib-2.0 >= 2.66'; then
		missing+=("glib-2.0 >= 2.66")
	fi
	((${#missing[@]} == 0)) ||
		die "building QEMU needs: ${missing[*]}; install with: apt-get install $QEMU_BUILD_DEPS"
}

# qemu_fetch DIR "FILE SHA256 POOL-DIR": FILE into DIR, checksum verified.
# A copy in KPATCH_TEST_QEMU_SOURCES (a directory) is used first.
qemu_fetch() {
	local dir=$1 file sha pooldir out
	read -r file sha pooldir <<<"$2"
	out=$dir/$file
	if [[ -n ${KPATCH_TEST_QEMU_SOURCES:-} && -f $KPATCH_TEST_QEMU_SOURCES/$file ]]; then
		cp -- "$KPATCH_TEST_QEMU_SOURCES/$file" "$out.part"
	elif ! curl -fsSL -o "$out.part" "$QEMU_PIN_POOL/$pooldir/$file"; then
		log "download from $QEMU_PIN_POOL failed; trying $QEMU_PIN_POOL_FALLBACK"
		curl -fsSL -o "$out.part" "$QEMU_PIN_POOL_FALLBACK/$pooldir/$file" ||
			die "cannot download $file (put a copy in a directory named by KPATCH_TEST_QEMU_SOURCES)"
	fi
	echo "$sha  $out.part" | sha256sum --check --status ||
		die "$file: sha256 is not the pinned $sha"
	mv -- "$out.part" "$out"
}

# qemu_build_emulator SRC TMP: make only the qemu-system-s390x binary and
# the s390-ccw firmware in SRC's build directory (make's default target
# also builds QEMU's unit tests, nearly twice the work).  The s390x
# machine loads the firmware even with -kernel, and the "+ds" tarball has
# no prebuilt one: it is built from its source with the s390x cross
# compiler.
qemu_build_emulator() {
	nice -n 10 make -C "$1" -j"$JOBS" qemu-system-s390x pc-bios/s390-ccw/all >>"$2/build.log" 2>&1 ||
		die "QEMU build failed; see $2/build.log"
}

# qemu_build: build and install qemu-system-s390x into QEMU_BUILD_DIR
# unless it is there.  Runs at nice 10 with JOBS jobs (the machine is
# shared).  Built in a temporary directory that is renamed at the end, so
# an interrupted build never looks finished.
qemu_build() {
	local tmp src start pin
	if [[ -x $QEMU_BUILT && -f $QEMU_FIRMWARE ]]; then
		log "QEMU $QEMU_PIN_VERSION already built: $QEMU_BUILT"
		return 0
	fi
	[[ ! -e $QEMU_BUILD_DIR ]] ||
		die "$QEMU_BUILD_DIR is incomplete (no $QEMU_FIRMWARE): remove it and build again"
	qemu_build_check_deps
	start=$(now_s)
	mkdir -p "$CACHE"
	tmp=$(mktemp -d "$CACHE/.qemu-build.XXXXXX")
	log "building QEMU $QEMU_PIN_VERSION (Debian $QEMU_PIN_DEBIAN) in $tmp (log: $tmp/build.log)"
	for pin in "${QEMU_PIN_FILES[@]}"; do
		qemu_fetch "$tmp" "$pin"
	done
	tar -xJf "$tmp/${QEMU_PIN_FILES[0]%% *}" -C "$tmp"
	dpkg-deb -x "$tmp/${QEMU_PIN_FILES[1]%% *}" "$tmp/meson"
	src=$tmp/qemu-$QEMU_PIN_VERSION
	[[ -d $src ]] || die "${QEMU_PIN_FILES[0]%% *} did not unpack to qemu-$QEMU_PIN_VERSION"
	# configure's venv takes meson from the system site (PYTHONPATH here);
	# meson runs again during make, so the variable stays for the build.
	export PYTHONPATH=$tmp/meson/usr/lib/python3/dist-packages
	# pycotap is only for QEMU's own tests and is in no Debian release
	# (Debian's package drops it the same way).
	sed -i '/^pycotap = /d' "$src/pythondeps.toml"
	# Only the s390x system emulator, no optional features (display,
	# network back ends, tools, docs) and no downloads: the guest needs
	# TCG, the SCLP console and -kernel/-initrd.  No prebuilt firmware
	# blobs: the "+ds" tarball has none.
	if ! (cd "$src" && nice -n 10 ./configure --prefix="$QEMU_BUILD_DIR" \
		--python="$QEMU_BUILD_PYTHON" --disable-download \
		--target-list=s390x-softmmu --without-default-features \
		--disable-docs --disable-werror --disable-debug-info \
		--disable-install-blobs) >"$tmp/build.log" 2>&1; then
		die "QEMU configure failed; see $tmp/build.log"
	fi
	qemu_build_emulator "$src" "$tmp"
	# QEMU looks for its firmware in PREFIX/share/qemu
	mkdir -p "$tmp/root/bin" "$tmp/root/share/qemu"
	cp -- "$src/build/qemu-system-s390x" "$tmp/root/bin/"
	cp -- "$src/build/pc-bios/s390-ccw/s390-ccw.img" "$tmp/root/share/qemu/"
	"$tmp/root/bin/qemu-system-s390x" --version >/dev/null ||
		die "the built qemu-system-s390x does not run; see $tmp/build.log"
	# the directory appears complete or not at all
	mv -- "$tmp/root" "$QEMU_BUILD_DIR"
	rm -rf -- "$tmp"
	log "QEMU $QEMU_PIN_VERSION built in $(($(now_s) - start)) s: $QEMU_BUILT"
}
