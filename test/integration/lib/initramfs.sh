# shellcheck shell=bash
# Build the guest initramfs: static busybox, lib/guest-init as /init, and
# one directory per test case under /cases.  Sourced after common.sh.
#
# Guest layout (the case format is documented in ../README.md):
#   /init                   lib/guest-init
#   /kptest/config          timeouts for /init (shell assignments)
#   /kptest/lib.sh          helpers for check scripts (lib/guest-lib.sh)
#   /cases/list             case names, in run order
#   /cases/<case>/module.ko livepatch module (+ module.ko.name)
#   /cases/<case>/check     exit 0 iff the patched behaviour is visible
#   /cases/<case>/setup     optional, run first
#   /cases/<case>/before/*.ko, after/*.ko
#                           optional target modules loaded before the
#                           livepatch / after it (late module patching)

BUSYBOX=${KPATCH_TEST_BUSYBOX:-$BUSYBOX_DEFAULT}

# A foreign guest architecture's static busybox is Debian's busybox-static
# for that arch, downloaded (not installed: it would replace the host's
# /bin/busybox) and unpacked once into the cache.
# busybox_fetch ARCH DEST: DEST/busybox from busybox-static:ARCH.
busybox_fetch() {
	local arch=$1 dest=$2 tmp
	need_cmd apt-get dpkg-deb
	if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
		die "the $arch guest needs busybox-static:$arch, and apt does not know the $arch architecture: run 'dpkg --add-architecture $arch && apt-get update' once"
	fi
	mkdir -p "$(dirname "$dest")"
	tmp=$(mktemp -d "$(dirname "$dest")/.busybox.XXXXXX")
	log "downloading busybox-static:$arch"
	if ! (cd "$tmp" && apt-get download -q "busybox-static:$arch" >"$tmp/apt.log" 2>&1); then
		cat "$tmp/apt.log" >&2
		rm -rf "$tmp"
		die "apt-get download busybox-static:$arch failed (apt-get update after dpkg --add-architecture $arch?)"
	fi
	dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/root"
	mkdir -p "$dest"
	mv "$tmp/root/bin/busybox" "$dest/busybox"
	rm -rf "$tmp"
}

# busybox_ensure: $BUSYBOX exists, fetched for a foreign guest if needed.
busybox_ensure() {
	[[ -x $BUSYBOX ]] && return 0
	[[ $TEST_ARCH != x86_64 && $BUSYBOX == "$BUSYBOX_DEFAULT" ]] ||
		die "$BUSYBOX missing (install busybox-static)"
	busybox_fetch "${GUEST_DEB_ARCH:-$TEST_ARCH}" "$(dirname "$BUSYBOX")"
}

# module_name KO: the name the kernel will know the module by.
module_name() {
	local n
	n=$(modinfo -F name "$1" 2>/dev/null) || true
	[[ -n $n ]] || n=$(basename "$1" .ko)
	printf '%s\n' "${n//-/_}"
}

initramfs_init() {
	local stage=$1
	need_cmd cpio modinfo
	busybox_ensure
	file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
		warn "$BUSYBOX does not look statically linked"
	rm -rf "$stage"
	mkdir -p "$stage/bin" "$stage/kptest" "$stage/cases"
	cp "$BUSYBOX" "$stage/bin/busybox"
	install -m 0755 "$TI_DIR/lib/guest-init" "$stage/init"
	install -m 0644 "$TI_DIR/lib/guest-lib.sh" "$stage/kptest/lib.sh"
	: >"$stage/cases/list"
	: >"$stage/kptest/config"
}

# initramfs_set STAGE VAR VALUE: override a bound used by /init.
initramfs_set() {
	printf '%s=%q\n' "$2" "$3" >>"$1/kptest/config"
}

# copy_module KO DEST: copy a module and record its kernel-visible name in
# DEST.name (the guest cannot ask modinfo for it).
copy_module() {
	local ko=$1 dest=$2
	[[ -f $ko ]] || die "module $ko not found"
	mkdir -p "$(dirname "$dest")"
	cp "$ko" "$dest"
	module_name "$ko" >"$dest.name"
}

# initramfs_add_case STAGE CASE LIVEPATCH_KO CHECK_SCRIPT [options]
#   --setup SCRIPT   run in the guest before anything else
#   --before KO      target module to insmod before the livepatch
#   --after KO       target module to insmod after it (late patching)
#   --refuse-load    the kernel must refuse to load the livepatch
# Modules given with --before/--after load in argument order.
initramfs_add_case() {
	local stage=$1 case=$2 ko=$3 check=$4 dir n=0
	shift 4
	[[ $case =~ ^[A-Za-z0-9._-]+$ ]] || die "bad case name '$case'"
	dir=$stage/cases/$case
	[[ ! -e $dir ]] || die "duplicate case '$case'"
	[[ -f $check ]] || die "check script $check not found"
	mkdir -p "$dir"
	copy_module "$ko" "$dir/module.ko"
	install -m 0755 "$check" "$dir/check"
	while (($#)); do
		if [[ $1 == --refuse-load ]]; then
			: >"$dir/refuse-load"
			shift
			continue
		fi
		(($# >= 2)) || die "initramfs_add_case: $1 needs an argument"
		case $1 in
		--setup) install -m 0755 "$2" "$dir/setup" ;;
		--before | --after)
			# Numbered so that /init's glob keeps argument order.
			n=$((n + 1))
			copy_module "$2" "$dir/${1#--}/$(printf '%02d' "$n")-$(basename "$2")"
			;;
		*) die "initramfs_add_case: unknown option $1" ;;
		esac
		shift 2
	done
	printf '%s\n' "$case" >>"$stage/cases/list"
}

# Uncompressed newc: the kernel always understands it and it is small.
initramfs_pack() {
	local stage=$1 out=$2
	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0) >"$out"
}
