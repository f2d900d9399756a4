# shellcheck shell=bash source-path=SCRIPTDIR
# Boot the test kernel with an initramfs under qemu.  Sourced after
# common.sh and initramfs.sh (the KVM probe builds an empty initramfs).

# shellcheck source=qemu-build.sh
. "$(dirname "${BASH_SOURCE[0]}")/qemu-build.sh"

# The QEMU built by test/integration/build-qemu, when there, else the
# system's; KPATCH_TEST_QEMU overrides both.
if [[ $TEST_ARCH == s390x && -x $QEMU_BUILT && -f $QEMU_FIRMWARE ]]; then
	QEMU_DEFAULT=$QEMU_BUILT
fi
QEMU=${KPATCH_TEST_QEMU:-$QEMU_DEFAULT}
# auto: KVM when /dev/kvm is present and actually works, else TCG.
QEMU_ACCEL=${KPATCH_TEST_ACCEL:-auto}
QEMU_TIMEOUT=${KPATCH_TEST_BOOT_TIMEOUT:-300}
KVM_PROBE_TIMEOUT=45
# quiet keeps all but errors off the console so our KPTEST lines rarely
# interleave with kernel output; the guest dumps the full dmesg at the end.
QEMU_APPEND="console=$GUEST_CONSOLE panic=-1 quiet log_buf_len=1M"

# Opening /dev/kvm is not enough: on some hosts (nested virtualisation)
# KVM creates the VM and then stops with "emulation failure" on the first
# XSAVE instruction.  So boot the test kernel once under KVM with an empty
# case list, and remember the verdict per (qemu, host kernel, bzImage).
kvm_usable() {
	local kernel=$1 key verdict dir tmp rc=0
	# KVM runs the host's architecture only
	[[ $TEST_ARCH == "$(uname -m)" && -r /dev/kvm && -w /dev/kvm ]] || return 1
	key=$({ "$QEMU" --version | head -n 1; uname -r; stat -c '%n %s %Y' "$kernel"; } | sha256sum | cut -c1-16)
	dir=$CACHE/kvm-probe
	if [[ ! -f $dir/$key ]]; then
		log "probing KVM with one short boot"
		mkdir -p "$dir"
		tmp=$(mktemp -d "$dir/.probe.XXXXXX")
		initramfs_init "$tmp/stage"
		initramfs_pack "$tmp/stage" "$tmp/initrd"
		timeout -k 5 "$KVM_PROBE_TIMEOUT" "$QEMU" "${QEMU_MACHINE[@]}" -accel kvm \
			-smp 1 -m 512M -nographic -no-reboot -no-user-config \
			-kernel "$kernel" -initrd "$tmp/initrd" -append "$QEMU_APPEND" \
			</dev/null >"$tmp/log" 2>&1 || rc=$?
		verdict=no
		if ((rc == 0)) && tr -d '\r' <"$tmp/log" | grep -qx 'KPTEST - end ok'; then
			verdict=yes
		fi
		echo "$verdict" >"$dir/$key"
		rm -rf "$tmp"
		[[ $verdict == yes ]] || log "KVM is present but does not boot the guest: using TCG"
	fi
	[[ $(cat "$dir/$key") == yes ]]
}

# qemu_accel BZIMAGE: the accelerator to use.
qemu_accel() {
	case $QEMU_ACCEL in
	kvm | tcg) echo "$QEMU_ACCEL" ;;
	auto) if kvm_usable "$1"; then echo kvm; else echo tcg; fi ;;
	*) die "KPATCH_TEST_ACCEL must be auto, kvm or tcg (is '$QEMU_ACCEL')" ;;
	esac
}

# qemu_boot BZIMAGE INITRD LOG [KERNEL-ARGS]: boot once, serial console
# into LOG, KERNEL-ARGS added to the command line. Returns qemu's status;
# 124 means the hard timeout hit.
qemu_boot() {
	local kernel=$1 initrd=$2 log=$3 extra=${4:+ $4} accel rc=0
	need_cmd "$QEMU" timeout
	accel=$(qemu_accel "$kernel")
	log "booting guest ($accel, timeout ${QEMU_TIMEOUT}s, log: $log)"
	timeout -k 10 "$QEMU_TIMEOUT" "$QEMU" \
		"${QEMU_MACHINE[@]}" -accel "$accel" -smp 1 -m 512M \
		-nographic -no-reboot -no-user-config \
		-kernel "$kernel" -initrd "$initrd" -append "$QEMU_APPEND$extra" \
		</dev/null >"$log" 2>&1 || rc=$?
	return "$rc"
}

# qemu_version_older A B: true when version A (major.minor...) is older
# than B.
qemu_version_older() {
	[[ $1 != "$2" && $(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1) == "$1" ]]
}

# qemu_version: the version QEMU reports ("QEMU emulator version X ...").
qemu_version() {
	"$QEMU" --version | sed -n '1s/^QEMU emulator version \([0-9][0-9.]*\).*/\1/p'
}

# qemu_announce: say which QEMU boots the guest and, for a version with
# the architecture's known emulation bug, which cases it breaks.
qemu_announce() {
	local version
	need_cmd "$QEMU"
	version=$(qemu_version)
	log "qemu: $(command -v "$QEMU") (version ${version:-unknown})"
	if [[ -n $QEMU_FIXED_VERSION ]] && ((${#QEMU_BUG_CASES[@]})) &&
		{ [[ -z $version ]] || qemu_version_older "$version" "$QEMU_FIXED_VERSION"; }; then
		warn "QEMU ${version:-of unknown version} predates $QEMU_FIXED_VERSION: it mis-emulates relative-long instructions with large offsets, so these cases are known to fail in the guest: ${QEMU_BUG_CASES[*]}; test/integration/build-qemu (or run --build-qemu) builds QEMU $QEMU_PIN_VERSION into the cache, and the suite then uses it"
		return 1
	fi
	return 0
}
