#!/bin/bash
# lib-partial.sh's vmlinux_memo: what kpatch-build reads from a vmlinux
# file (release, vermagic) is kept per file identity, reused while the file
# is the same, and read again once the file is replaced or rewritten.
# shellcheck source-path=SCRIPTDIR
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=check-helpers.sh
source "$here/check-helpers.sh"
# shellcheck source=../../kpatch-build/lib-common.sh
source "$here/../../kpatch-build/lib-common.sh"
# shellcheck source=../../kpatch-build/lib-objects.sh
source "$here/../../kpatch-build/lib-objects.sh"
# shellcheck source=../../kpatch-build/lib-partial.sh
source "$here/../../kpatch-build/lib-partial.sh"

CACHE_DIR=$work/cache
# a stand-in vmlinux: the banner and the vermagic string as NUL-separated C strings
fake_vmlinux() {
	printf '\177ELF junk\0Linux version %s (builder@host) #1 SMP\0%s SMP preempt mod_unload modversions \0tail\0' "$1" "$1" >"$2"
}
fake_vmlinux 9.9.9-test vmlinux
check "release read from the file" [ "$(release_of_vmlinux "$work/vmlinux")" = 9.9.9-test ]
check "vermagic read from the file" \
	[ "$(vermagic_of_vmlinux "$work/vmlinux" 9.9.9-test)" = "9.9.9-test SMP preempt mod_unload modversions " ]
kept=$(find "$CACHE_DIR/vmlinux" -name release)
check "the release is kept under the cache" [ -n "$kept" ] && [ "$(cat "$kept")" = 9.9.9-test ]
echo 1.2.3-planted >"$kept"
check "a kept release is reused while the file is the same" [ "$(release_of_vmlinux "$work/vmlinux")" = 1.2.3-planted ]
fake_vmlinux 9.9.10-test vmlinux.new
mv vmlinux.new vmlinux
check "a replaced file is read again" [ "$(release_of_vmlinux "$work/vmlinux")" = 9.9.10-test ]
fake_vmlinux 9.9.11-test vmlinux
touch -d '2001-01-01 00:00:00' vmlinux
check "a rewritten file is read again" [ "$(release_of_vmlinux "$work/vmlinux")" = 9.9.11-test ]
check "a file without a banner gives no release" \
	sh -c "printf 'no banner' >'$work/plain' && [ -z \"\$(bash -c 'source $here/../../kpatch-build/lib-common.sh; source $here/../../kpatch-build/lib-objects.sh; source $here/../../kpatch-build/lib-partial.sh; CACHE_DIR=$CACHE_DIR; release_of_vmlinux $work/plain')\" ]"
check "an unwritable cache still answers" \
	[ "$(CACHE_DIR=/proc/nonexistent release_of_vmlinux "$work/vmlinux")" = 9.9.11-test ]
finish
