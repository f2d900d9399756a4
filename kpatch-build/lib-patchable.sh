# shellcheck shell=bash
# lib-patchable.sh: which kernel objects can carry livepatched code at all.
# Shared by kpatch-build (object selection) and kpatch-cc (recording).
# Objects outside vmlinux and the modules (the user-space vDSO, boot code)
# are also caught later by the parent lookup; this list covers what that
# lookup cannot tell apart.

# is_patchable_object REL: module glue, link-time helpers, code that does
# not run in the kernel proper, and host tools are not.
is_patchable_object() {
	case $1 in
	*.mod.o | .tmp_* | */.tmp_* | vmlinux.o | init/version*.o) return 1 ;;
	scripts/* | tools/* | */tools/* | usr/*) return 1 ;;
	*/boot/* | */realmode/* | */purgatory/*) return 1 ;;
	drivers/firmware/efi/libstub/*) return 1 ;;
	esac
	return 0
}
