# shellcheck shell=bash
# Boot the test kernel with an initramfs under qemu.  Sourced after common.sh.

QEMU=${KPATCH_TEST_QEMU:-qemu-system-x86_64}
# auto: KVM when /dev/kvm is present and actually works, else TCG.
QEMU_ACCEL=${KPATCH_TEST_ACCEL:-auto}
QEMU_TIMEOUT=${KPATCH_TEST_BOOT_TIMEOUT:-300}
# quiet keeps all but errors off the console so our KPTEST lines rarely
# interleave with kernel output; the guest dumps the full dmesg at the end.
QEMU_APPEND="console=ttyS0 panic=-1 quiet log_buf_len=1M"

# Opening /dev/kvm is not enough (nested setups may refuse to create a VM):
# ask qemu to set up a KVM machine and quit at once.
kvm_usable() {
	[[ -r /dev/kvm && -w /dev/kvm ]] || return 1
	echo quit | timeout 20 "$QEMU" -accel kvm -machine q35 -cpu max -display none \
		-nodefaults -no-user-config -S -monitor stdio >/dev/null 2>&1
}

qemu_accel() {
	case $QEMU_ACCEL in
	kvm | tcg) echo "$QEMU_ACCEL" ;;
	auto) if kvm_usable; then echo kvm; else echo tcg; fi ;;
	*) die "KPATCH_TEST_ACCEL must be auto, kvm or tcg (is '$QEMU_ACCEL')" ;;
	esac
}

# qemu_boot BZIMAGE INITRD LOG: boot once, serial console into LOG.
# Returns qemu's status; 124 means the hard timeout hit.
qemu_boot() {
	local kernel=$1 initrd=$2 log=$3 accel rc=0
	need_cmd "$QEMU" timeout
	accel=$(qemu_accel)
	log "booting guest ($accel, timeout ${QEMU_TIMEOUT}s, log: $log)"
	timeout -k 10 "$QEMU_TIMEOUT" "$QEMU" \
		-machine q35 -accel "$accel" -cpu max -smp 1 -m 512M \
		-nographic -no-reboot -no-user-config \
		-kernel "$kernel" -initrd "$initrd" -append "$QEMU_APPEND" \
		</dev/null >"$log" 2>&1 || rc=$?
	return "$rc"
}
