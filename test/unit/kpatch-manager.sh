#!/usr/bin/env bash
# kpatch, the livepatch manager, against a fake tree: a fake
# /sys/kernel/livepatch, /sys/module and /proc, stand-ins for insmod and
# rmmod (kpatch-manager-fixtures/), and small ELF objects whose .modinfo
# makes them livepatch modules for modinfo.  No root or kernel needed.
# Also: the systemd unit (systemd-analyze verify), the bash completion and
# make install-manager.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"	# pass, check, WORK...

FIXTURES=$REPO/test/unit/kpatch-manager-fixtures
KPATCH=$REPO/manager/kpatch
# common.sh's run_kpb and expect_status run $KPATCH_BUILD: here, kpatch.
KPATCH_BUILD=$KPATCH
REL=6.12.0-test
FAKE_KERNEL_PID=

cleanup() {
	[[ -z $FAKE_KERNEL_PID ]] || kill "$FAKE_KERNEL_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

# A fresh fake machine: nothing installed, nothing loaded.
fresh_tree() {
	local root=$WORK/root
	rm -rf "$root"
	mkdir -p "$root/sysfs" "$root/sysmodule" "$root/proc" "$root/lib" "$root/busy"
	: >"$root/proc/modules"
	: >"$root/log"
	export KPATCH_SYSFS=$root/sysfs KPATCH_SYSMODULE=$root/sysmodule KPATCH_PROC=$root/proc
	export KPATCH_LIBDIR=$root/lib KPATCH_UNAME_R=$REL KPATCH_EUID=0
	export KPATCH_INSMOD=$FIXTURES/fake-insmod KPATCH_RMMOD=$FIXTURES/fake-rmmod
	export KPATCH_TRANSITION_TIMEOUT=2 KPATCH_RMMOD_TIMEOUT=2
	export FAKE_LOG=$root/log FAKE_BUSY=$root/busy
	ROOT=$root
}

# make_ko FILE NAME [FIELD=VALUE...]: a livepatch module for $REL unless
# the fields say otherwise (livepatch=, vermagic= override the defaults).
make_ko() {
	local file=$1 name=$2 field livepatch=Y vermagic="$REL SMP mod_unload "
	shift 2
	local -a extra=()
	for field in "$@"; do
		case $field in
		livepatch=*) livepatch=${field#*=} ;;
		vermagic=*) vermagic=${field#*=} ;;
		*) extra+=("$field") ;;
		esac
	done
	{
		echo '.section .modinfo,"a"'
		printf '.asciz "%s"\n' "name=$name" "vermagic=$vermagic" "description=test patch $name" "${extra[@]}"
		[[ -z $livepatch ]] || printf '.asciz "livepatch=%s"\n' "$livepatch"
	} >"$WORK/modinfo.s"
	mkdir -p "$(dirname "$file")"
	as -o "$file" "$WORK/modinfo.s"
}

out_has() { grep -q -E -- "$1" "$WORK/out"; }
log_has() { grep -q -x -- "$1" "$ROOT/log"; }
loaded() { [[ -d $KPATCH_SYSFS/$1 && -d $KPATCH_SYSMODULE/$1 ]]; }
gone() { [[ ! -e $KPATCH_SYSFS/$1 && ! -e $KPATCH_SYSMODULE/$1 ]] && ! grep -q "^$1 " "$KPATCH_PROC/modules"; }
attr_is() { [[ $(cat "$KPATCH_SYSFS/$1") == "$2" ]]; }

# A thread of the fake /proc in patch state STATE (TID = PID: the main one).
fake_task() {	# fake_task PID TID COMM STATE
	mkdir -p "$KPATCH_PROC/$1/task/$2"
	echo "$3" >"$KPATCH_PROC/$1/task/$2/comm"
	echo "$4" >"$KPATCH_PROC/$1/task/$2/patch_state"
}

# fake_kernel_signal NAME: like the kernel, finish the transition of NAME
# once something writes 1 to its signal (or force) attribute.
fake_kernel_signal() {
	local dir=$KPATCH_SYSFS/$1
	(
		while ! grep -qx 1 "$dir/signal" "$dir/force" 2>/dev/null; do sleep 0.05; done
		for task in "$KPATCH_PROC"/[0-9]*/task/[0-9]*/; do cat "$dir/enabled" >"$task/patch_state"; done
		echo 0 >"$dir/transition"
	) &
	FAKE_KERNEL_PID=$!
}

stop_fake_kernel() {
	[[ -z $FAKE_KERNEL_PID ]] || kill "$FAKE_KERNEL_PID" 2>/dev/null
	wait "$FAKE_KERNEL_PID" 2>/dev/null
	FAKE_KERNEL_PID=
}

# ---- usage, version, root, livepatch support -----------------------------
fresh_tree
MODS=$WORK/mods
make_ko "$MODS/livepatch-a.ko" livepatch_a "fake.objects=vmlinux:1"
make_ko "$MODS/livepatch-b.ko" livepatch_b "fake.objects=vmlinux:1 nfsd:0" fake.replace=1
make_ko "$MODS/livepatch-stall.ko" livepatch_stall "fake.objects=vmlinux:1" fake.stall=1
make_ko "$MODS/livepatch-c.ko" livepatch_c
make_ko "$MODS/plain.ko" plain livepatch=
make_ko "$MODS/old.ko" livepatch_old "vermagic=6.1.0-old SMP mod_unload "
make_ko "$MODS/broken.ko" livepatch_broken "fake.fail=Invalid module format"
make_ko "$MODS/nopatch.ko" livepatch_nopatch fake.nopatch=1

expect_status 2 "no command prints usage"
check "usage names every command" sh -c "grep -q 'load --all' '$WORK/out' && grep -q 'signal \[--force\] NAME' '$WORK/out'"
expect_status 2 "unknown command" frobnicate
check "unknown command is named" out_has "unknown command 'frobnicate'"
expect_status 0 "help" help
expect_status 0 "version" version
check "version line" out_has '^kpatch [0-9@]'
expect_status 2 "load with two arguments" load a b
expect_status 2 "install with an unknown option" install -x "$MODS/livepatch-a.ko"
expect_status 2 "install -k without a release" install -k

KPATCH_EUID=1000 expect_status 3 "load as non-root" load livepatch_a
check "non-root error says so" out_has "'kpatch load' must run as root"
for cmd in unload install uninstall signal; do
	KPATCH_EUID=1000 expect_status 3 "$cmd as non-root" "$cmd" livepatch_a
done
KPATCH_EUID=1000 expect_status 0 "list as non-root" list

KPATCH_SYSFS=$WORK/nonexistent expect_status 4 "load without livepatch support" load "$MODS/livepatch-a.ko"
check "no-livepatch error names the directory and the config" out_has "nonexistent is missing; it needs CONFIG_LIVEPATCH"
KPATCH_SYSFS=$WORK/nonexistent expect_status 4 "unload without livepatch support" unload --all
KPATCH_SYSFS=$WORK/nonexistent expect_status 4 "signal without livepatch support" signal livepatch_a
KPATCH_SYSFS=$WORK/nonexistent expect_status 0 "list without livepatch support" list
check "list says the kernel has no livepatch support" out_has "no livepatch support"

# ---- install / uninstall -------------------------------------------------
expect_status 0 "install" install "$MODS/livepatch-a.ko"
check "installed under LIBDIR/REL by module name" cmp -s "$MODS/livepatch-a.ko" "$KPATCH_LIBDIR/$REL/livepatch_a.ko"
check "installed file is mode 644" test "$(stat -c %a "$KPATCH_LIBDIR/$REL/livepatch_a.ko")" = 644
check "no temporary file left" test -z "$(find "$KPATCH_LIBDIR" -name '.install.*')"
expect_status 0 "install a second patch" install "$MODS/livepatch-b.ko"
expect_status 7 "install a module that is not a livepatch" install "$MODS/plain.ko"
check "not-a-livepatch error" out_has "is not a livepatch module"
check "nothing installed for it" test ! -e "$KPATCH_LIBDIR/$REL/plain.ko"
expect_status 7 "install a module built for another kernel" install "$MODS/old.ko"
check "release mismatch names both releases" out_has "built for kernel '6.1.0-old', not '$REL'"
expect_status 0 "install -k for another release" install -k 6.1.0-old "$MODS/old.ko"
check "installed under the other release" test -f "$KPATCH_LIBDIR/6.1.0-old/livepatch_old.ko"
expect_status 5 "install a missing file" install "$WORK/missing.ko"
expect_status 2 "install -k with a bad release" install -k '../x' "$MODS/livepatch-a.ko"
make_ko "$WORK/new/livepatch-a.ko" livepatch_a "fake.objects=vmlinux:1" "description=second build"
expect_status 0 "install again replaces" install "$WORK/new/livepatch-a.ko"
check "replacing is reported" out_has "^replacing .*/livepatch_a.ko"
check "replaced file is the new one" cmp -s "$WORK/new/livepatch-a.ko" "$KPATCH_LIBDIR/$REL/livepatch_a.ko"
KPATCH_LIBDIR=$MODS/livepatch-a.ko expect_status 1 "install where the directory cannot be made" install "$MODS/livepatch-a.ko"
make_ko "$KPATCH_LIBDIR/$REL/livepatch_gone.ko" livepatch_gone
expect_status 0 "uninstall by module name" uninstall livepatch_gone
check "uninstalled file is gone" test ! -e "$KPATCH_LIBDIR/$REL/livepatch_gone.ko"
expect_status 5 "uninstall what is not installed" uninstall livepatch_gone
expect_status 2 "uninstall a path" uninstall "$KPATCH_LIBDIR/$REL/livepatch_a.ko"
expect_status 0 "uninstall -k with a dash spelling" uninstall -k 6.1.0-old livepatch-old
check "empty release directory removed" test ! -e "$KPATCH_LIBDIR/6.1.0-old"

# ---- load ------------------------------------------------------------------
expect_status 0 "load by installed name" load livepatch_a
check "load ran insmod on the installed file" log_has "insmod $KPATCH_LIBDIR/$REL/livepatch_a.ko"
check "patch is loaded and enabled" sh -c "test -d '$KPATCH_SYSFS/livepatch_a' && grep -qx 1 '$KPATCH_SYSFS/livepatch_a/enabled'"
check "load reports the patch enabled" out_has "^livepatch_a: enabled"
: >"$ROOT/log"
expect_status 0 "load again" load livepatch-a
check "second load says already loaded" out_has "already loaded and enabled"
check "second load did not run insmod" test ! -s "$ROOT/log"
expect_status 0 "load a file by path" load "$MODS/livepatch-b.ko"
check "loaded from the path given" log_has "insmod $MODS/livepatch-b.ko"
expect_status 5 "load a name that is not installed" load livepatch_nothing
check "not-installed error names the directory" out_has "no patch 'livepatch_nothing' installed for $REL"
expect_status 5 "load a missing file" load "$WORK/missing.ko"
: >"$ROOT/log"
expect_status 7 "load a module that is not a livepatch" load "$MODS/plain.ko"
expect_status 7 "load a module built for another kernel" load "$MODS/old.ko"
check "neither reached insmod" test ! -s "$ROOT/log"
expect_status 1 "load when insmod fails" load "$MODS/broken.ko"
check "insmod's error is shown" out_has "insmod .*broken.ko failed: .*Invalid module format"
expect_status 7 "load a module that registers no patch" load "$MODS/nopatch.ko"
check "no-patch error" out_has "registered no livepatch"
"$FIXTURES/fake-rmmod" livepatch_nopatch

# A patch that is being disabled: load turns the transition around.
echo 0 >"$KPATCH_SYSFS/livepatch_a/enabled"
expect_status 0 "load a patch being disabled re-enables it" load livepatch_a
check "enabled is 1 again" attr_is livepatch_a/enabled 1

# ---- a transition that stalls, and signal ---------------------------------
fake_task 100 100 init 1
fake_task 123 123 sleep 0
fake_task 100 101 worker 1
KPATCH_TRANSITION_TIMEOUT=1 expect_status 6 "load whose transition stalls" load "$MODS/livepatch-stall.ko"
check "stall names the blocking task" out_has "tasks not switched yet: 123 \(sleep\)$"
check "stall suggests kpatch signal" out_has "'kpatch signal livepatch_stall'"
check "stalled patch stays loaded" loaded livepatch_stall
expect_status 1 "load while another transition runs" load "$MODS/livepatch-c.ko"
check "the busy error names the patch in transition" out_has "Device or resource busy \(patch livepatch_stall is in transition"
expect_status 0 "list during the stall" list
check "list shows the transition" out_has "^  livepatch_stall: enabled, transition: patching, replace: -$"
check "list shows the blocking task" out_has "^    tasks not switched yet: 123 \(sleep\)$"
KPATCH_TRANSITION_TIMEOUT=1 expect_status 6 "signal that does not help in time" signal livepatch_stall
check "signal wrote 1 to the signal attribute" attr_is livepatch_stall/signal 1
: >"$KPATCH_SYSFS/livepatch_stall/signal"
fake_kernel_signal livepatch_stall
expect_status 0 "signal finishes the transition" signal livepatch_stall
stop_fake_kernel
check "signal names the task it woke" out_has "signalled the tasks blocking livepatch_stall: 123 \(sleep\)"
check "signal did not force" test ! -s "$KPATCH_SYSFS/livepatch_stall/force"
check "transition is over" attr_is livepatch_stall/transition 0
expect_status 0 "signal when not in transition" signal livepatch_stall
check "nothing to signal" out_has "not in transition; nothing to signal"
expect_status 5 "signal a patch that is not loaded" signal livepatch_nothing
expect_status 2 "signal with an unknown option" signal --now livepatch_stall
echo 1 >"$KPATCH_SYSFS/livepatch_stall/transition"
: >"$KPATCH_SYSFS/livepatch_stall/signal"
fake_kernel_signal livepatch_stall
expect_status 0 "signal --force" signal --force livepatch_stall
stop_fake_kernel
check "--force wrote the force attribute" attr_is livepatch_stall/force 1
check "--force did not signal" test ! -s "$KPATCH_SYSFS/livepatch_stall/signal"
check "--force warns" out_has "warning: forcing livepatch_stall"
# Kernels since 5.13 have no signal attribute and signal by themselves.
echo 1 >"$KPATCH_SYSFS/livepatch_stall/transition"
rm "$KPATCH_SYSFS/livepatch_stall/signal"
(sleep 0.5 && echo 0 >"$KPATCH_SYSFS/livepatch_stall/transition") &
expect_status 0 "signal without a signal attribute waits for the kernel" signal livepatch_stall
wait
check "it says the kernel signals by itself" out_has "this kernel signals the tasks blocking livepatch_stall itself every 15 s"
check "it did not create a signal attribute" test ! -e "$KPATCH_SYSFS/livepatch_stall/signal"
: >"$KPATCH_SYSFS/livepatch_stall/signal"

# ---- list and info -------------------------------------------------------
make_ko "$KPATCH_LIBDIR/6.1.0-old/livepatch_old.ko" livepatch_old
# A livepatch module whose patch was disabled but that is still loaded.
mkdir -p "$KPATCH_SYSMODULE/livepatch_left" "$KPATCH_SYSMODULE/ext4"
echo OK >"$KPATCH_SYSMODULE/livepatch_left/taint"
echo >"$KPATCH_SYSMODULE/ext4/taint"
# Newest first in /proc/modules, as the kernel lists them.
sed -i '1i livepatch_left 16384 0 - Live 0x0 (OK)' "$KPATCH_PROC/modules"
expect_status 0 "list" list
cat >"$WORK/list.expected" <<EOF
Installed patches ($KPATCH_LIBDIR):
  6.1.0-old:
    livepatch_old
  $REL (running kernel):
    livepatch_a
    livepatch_b

Loaded patches:
  livepatch_a: enabled, transition: none, replace: -
    objects:
      vmlinux              patched
  livepatch_b: enabled, transition: none, replace: yes
    objects:
      nfsd                 not patched (module not loaded; patched when it loads)
      vmlinux              patched
  livepatch_stall: enabled, transition: none, replace: -
    objects:
      vmlinux              patched
  livepatch_left: disabled, module still loaded ('kpatch unload livepatch_left' removes it)

A replace patch (replace: yes) takes over from every patch loaded before it:
when its transition ends, the kernel disables and frees the others, so only
the replace patch and patches loaded after it stay in effect.
EOF
check "list output is exactly as expected" diff -u "$WORK/list.expected" "$WORK/out"
expect_status 0 "info of a loaded, installed patch" info livepatch_b
check "info shows the installed file" out_has "^file: $KPATCH_LIBDIR/$REL/livepatch_b.ko$"
check "info shows modinfo" out_has "^  description: +test patch livepatch_b"
check "info shows the state" out_has "^loaded: yes \(enabled, transition: none\)"
check "info shows the replace attribute" out_has "^  replace: 1$"
check "info shows objects and functions" sh -c "grep -q '^  object nfsd: patched=0' '$WORK/out' && grep -q '^    function func_vmlinux,1' '$WORK/out'"
expect_status 0 "info of a module file" info "$MODS/livepatch-stall.ko"
check "info of a file names it" out_has "^name: livepatch_stall$"
expect_status 5 "info of an unknown patch" info livepatch_nothing

# ---- unload --------------------------------------------------------------
: >"$ROOT/log"
expect_status 0 "unload" unload livepatch-a
check "unload disabled the patch and removed the module" gone livepatch_a
check "unload ran rmmod" log_has "rmmod livepatch_a"
expect_status 5 "unload what is not loaded" unload livepatch_a
echo 3 >"$FAKE_BUSY/livepatch_stall"
: >"$ROOT/log"
expect_status 0 "unload retries rmmod while the module is busy" unload livepatch_stall
check "rmmod tried four times" test "$(grep -c '^rmmod livepatch_stall$' "$ROOT/log")" = 4
expect_status 0 "load again" load livepatch_a
echo 1000 >"$FAKE_BUSY/livepatch_a"
KPATCH_RMMOD_TIMEOUT=1 expect_status 1 "unload when rmmod keeps failing" unload livepatch_a
check "rmmod's error is shown" out_has "rmmod livepatch_a failed for 1s: .*in use"
rm "$FAKE_BUSY/livepatch_a"
"$FIXTURES/fake-rmmod" livepatch_a
expect_status 0 "load again" load livepatch_a
echo 1 >"$KPATCH_SYSFS/livepatch_a/transition"
rm "$KPATCH_SYSFS/livepatch_a/signal"
mkdir "$KPATCH_SYSFS/livepatch_a/signal"
expect_status 1 "signal when the kernel refuses the write" signal livepatch_a
check "the write error is shown" out_has "cannot signal livepatch_a: Is a directory"
rmdir "$KPATCH_SYSFS/livepatch_a/signal"
KPATCH_TRANSITION_TIMEOUT=1 expect_status 6 "unload whose transition stalls" unload livepatch_a
check "unload stall names the blocking threads" out_has "tasks not switched yet: 100 \(init\) 101 \(worker\) 123 \(sleep\)$"
check "module stays loaded after a stalled unload" test -d "$KPATCH_SYSMODULE/livepatch_a"
echo 0 >"$KPATCH_SYSFS/livepatch_a/transition"
: >"$ROOT/log"
expect_status 0 "unload --all" unload --all
check "unload --all removed every livepatch" sh -c "gone() { ! test -e '$KPATCH_SYSFS/'\$1 && ! test -e '$KPATCH_SYSMODULE/'\$1; }; gone livepatch_a && gone livepatch_b && gone livepatch_left"
check "unload --all left other modules alone" test -d "$KPATCH_SYSMODULE/ext4"
check "unload --all went newest first" diff <(grep '^rmmod' "$ROOT/log") <(printf 'rmmod %s\n' livepatch_a livepatch_left livepatch_b)
expect_status 0 "unload --all with nothing loaded" unload --all
expect_status 0 "info of an installed patch that is not loaded" info livepatch_a
check "info says it is not loaded" out_has "^loaded: no$"

# ---- load --all (what the boot unit runs) --------------------------------
make_ko "$KPATCH_LIBDIR/$REL/livepatch_broken.ko" livepatch_broken "fake.fail=Invalid module format"
: >"$ROOT/log"
expect_status 1 "load --all with one broken patch" load --all
check "load --all still loaded the others" sh -c "test -d '$KPATCH_SYSFS/livepatch_a' && test -d '$KPATCH_SYSFS/livepatch_b'"
check "load --all left the other release alone" test ! -e "$KPATCH_SYSFS/livepatch_old"
rm "$KPATCH_LIBDIR/$REL/livepatch_broken.ko"
"$KPATCH" unload --all >/dev/null 2>&1
: >"$ROOT/log"
expect_status 0 "load --all" load --all
check "load --all loaded each installed patch once" test "$(grep -c '^insmod' "$ROOT/log")" = 2
KPATCH_UNAME_R=9.9.9 expect_status 0 "load --all with nothing installed" load --all
check "load --all says nothing is installed" out_has "no patches installed for 9.9.9"

# ---- bash completion -----------------------------------------------------
complete_words() {	# complete_words WORD...: COMPREPLY for that command line
	bash -c '
		complete() { :; }
		. "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		_kpatch
		printf "%s\n" "${COMPREPLY[@]}"
	' _ "$REPO/manager/kpatch.bash-completion" kpatch "$@" | sort | paste -sd ' ' -
}
check "completes commands" test "$(complete_words un)" = "uninstall unload"
check "completes loaded patches for unload" test "$(complete_words unload '')" = "--all livepatch_a livepatch_b"
check "completes installed patches for load" test "$(cd "$WORK" && complete_words load livepatch_)" = "livepatch_a livepatch_b"
check "completes releases after -k" test "$(complete_words uninstall -k 6)" = "6.1.0-old 6.12.0-test"

# ---- the systemd unit and make install -----------------------------------
DEST=$WORK/dest
PREFIX=/opt/kpatch-test
if make -s -C "$REPO" DESTDIR="$DEST" PREFIX="$PREFIX" install-manager >"$WORK/out" 2>&1; then
	pass "make install-manager with DESTDIR and PREFIX"
else
	fail_test "make install-manager with DESTDIR and PREFIX"
fi
check "kpatch installed in sbin, executable" test -x "$DEST$PREFIX/sbin/kpatch"
check "installed kpatch carries the version" sh -c "'$DEST$PREFIX/sbin/kpatch' version | grep -qx 'kpatch [0-9][0-9.]*'"
UNIT=$DEST$PREFIX/lib/systemd/system/kpatch.service
check "unit installed" test -f "$UNIT"
check "unit runs the installed kpatch load --all" grep -qx "ExecStart=$PREFIX/sbin/kpatch load --all" "$UNIT"
check "unit waits for the patch directory" grep -qx "RequiresMountsFor=/var/lib/kpatch" "$UNIT"
check "completion installed" test -f "$DEST$PREFIX/share/bash-completion/completions/kpatch"
check "man page installed" test -f "$DEST$PREFIX/share/man/man1/kpatch.1"
check "nothing installed outside DESTDIR" test ! -e "$PREFIX"
if command -v systemd-analyze >/dev/null; then
	# verify wants ExecStart's program to exist: point it at the installed copy.
	mkdir -p "$WORK/units"
	sed "s|^ExecStart=$PREFIX|ExecStart=$DEST$PREFIX|" "$UNIT" >"$WORK/units/kpatch.service"
	if systemd-analyze verify --man=no "$WORK/units/kpatch.service" >"$WORK/out" 2>&1 && [[ ! -s $WORK/out ]]; then
		pass "systemd-analyze verify kpatch.service: clean"
	else
		fail_test "systemd-analyze verify kpatch.service"
	fi
	# A broken unit must not pass the same check.
	sed 's/^Type=oneshot/Type=oneshoot/' "$WORK/units/kpatch.service" >"$WORK/units/broken.service"
	check "systemd-analyze verify reports a broken unit" sh -c "systemd-analyze verify --man=no '$WORK/units/broken.service' 2>&1 | grep -q ."
else
	echo "SKIP - systemd-analyze not installed: kpatch.service not verified"
fi

finish
