# shellcheck shell=bash
# common.sh: shared helpers of the kpatch-build unit tests. Each test works
# in its own temporary directory, on a copy of the toy kernel tree in
# tree/, with the stand-ins for create-diff-object and build-module.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
FIXTURES=$REPO/test/unit/kpatch-build-fixtures
KPATCH_BUILD=$REPO/kpatch-build/kpatch-build
CONTRACT_KCFLAGS="-ffunction-sections -fdata-sections"
PASSED=0
FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kpatch-build-test.XXXXXX")
# KPATCH_TEST_KEEP=1 keeps the work directory, for a look after a failure
trap '[[ -n ${KPATCH_TEST_KEEP:-} ]] && echo "work directory kept: $WORK" || rm -rf "$WORK"' EXIT

export KPATCH_BUILD_CACHE=$WORK/cache
export KPATCH_CDO=$FIXTURES/fake-create-diff-object
export KPATCH_BUILD_MODULE=$FIXTURES/fake-build-module
export KPATCH_VERIFY=$FIXTURES/fake-kpatch-verify
export FAKE_VERIFY_LOG=$WORK/verify.log
export FAKE_CDO_LOG=$WORK/cdo.log
export FAKE_BM_LOG=$WORK/bm.log
export FAKE_BM_AHEAD_LOG=$WORK/bm-ahead.log
unset KCFLAGS KCPPFLAGS LLVM CROSS_COMPILE KBUILD_OUTPUT MAKEFLAGS MAKELEVEL FAKE_CDO_MODE FAKE_CDO_REFUSE FAKE_BM_MODE FAKE_VERIFY_MODE FAKE_SLOW FAKE_SLOW_AFTER FAKE_TRYRUN FAKE_CDO_WAIT_OBJ FAKE_CDO_WAIT_FOR FAKE_CDO_WAIT_TENTHS KPATCH_BATCH_OVERLAP FAKE_CDO_DISABLED_SITES FAKE_BM_OBJTOOL

pass() {
	PASSED=$((PASSED + 1))
	echo "ok - $1"
}

fail_test() {
	FAILED=$((FAILED + 1))
	echo "FAIL - $1"
	if [[ -s $WORK/out ]]; then
		sed 's/^/    | /' "$WORK/out" | tail -n 25
	fi
}

# check DESCRIPTION COMMAND...: pass if the command succeeds.
check() {
	local description=$1
	shift
	if "$@"; then pass "$description"; else fail_test "$description"; fi
}

# run_kpb ARGS...: run kpatch-build, output in $WORK/out, status in $STATUS.
run_kpb() {
	STATUS=0
	"$KPATCH_BUILD" "$@" >"$WORK/out" 2>&1 || STATUS=$?
}

# expect_status N DESCRIPTION ARGS...
expect_status() {
	expect_status_of run_kpb "$@"
}

# expect_status_of RUNNER N DESCRIPTION ARGS...: RUNNER sets STATUS.
expect_status_of() {
	local runner=$1 want=$2 description=$3
	shift 3
	"$runner" "$@"
	if [[ $STATUS == "$want" ]]; then
		pass "$description (exit $want)"
	else
		fail_test "$description: exit $STATUS, expected $want"
	fi
}

output_has() {
	grep -q -E -- "$1" "$WORK/out"
}

# make_tree DIR: a configured toy kernel tree, built like the integration
# harness builds real ones (default CC, exactly the contract KCFLAGS).
make_tree() {
	local dir=$1
	cp -a "$FIXTURES/tree" "$dir"
	cat >"$dir/.config" <<CONFIG
CONFIG_MODULES=y
CONFIG_LIVEPATCH=y
CONFIG_KALLSYMS_ALL=y
CONFIG_DEBUG_INFO=y
CONFIG_DEBUG_INFO_DWARF5=y
CONFIG_CC_VERSION_TEXT="$(gcc --version | head -n 1)"
CONFIG
	make -s -C "$dir" KCFLAGS="$CONTRACT_KCFLAGS" vmlinux modules >/dev/null 2>&1 ||
		{ echo "cannot build the toy tree in $dir" >&2; exit 1; }
}

# snapshot DIR: every file with its mtime and content hash.
snapshot() {
	(cd "$1" && find . -type f -printf '%P %T@ ' -exec sha256sum {} \; | sort)
}

# same_tree DIR SNAPSHOT-FILE: unchanged since the snapshot?
same_tree() {
	same_tree_by snapshot "$@"
}

# same_tree_by SNAPSHOT-FUNCTION DIR SNAPSHOT-FILE
same_tree_by() {
	if "$1" "$2" | diff -u "$3" - >"$WORK/tree.diff"; then
		return 0
	fi
	sed 's/^/    tree| /' "$WORK/tree.diff" | head -n 20
	return 1
}

# make_patch TREE FILE SED-SCRIPT OUT: a -p1 patch editing FILE.
make_patch() {
	local tree=$1 file=$2 script=$3 out=$4
	local new=$WORK/patch-new
	sed -e "$script" "$tree/$file" >"$new"
	diff -u --label "a/$file" --label "b/$file" "$tree/$file" "$new" >"$out"
	rm -f "$new"
}

# partial_build_fixtures REL VMLINUX SRC: what a partial build of the toy
# tree needs. The kernel's VERMAGIC_STRING is a C string in its vmlinux
# (added to VMLINUX); $WORK/build-module, the stand-in for build-module,
# gives the module that vermagic (or $VERMAGIC, if set). SRC's Makefile
# learns the two preparation targets and kbuild's -DKBUILD_MODNAME.
partial_build_fixtures() {
	local rel=$1 vmlinux=$2 src=$3
	printf '%s SMP mod_unload \0' "$rel" >"$WORK/vermagic"
	objcopy --add-section .rodata.vermagic="$WORK/vermagic" "$vmlinux"
	cat >"$WORK/build-module" <<BM
#!/bin/bash
set -euo pipefail
"$FIXTURES/fake-build-module" "\$@"
[[ \$1 != --template-only ]] || exit 0
while ((\$#)); do case \$1 in --out) out=\$2 ;; --name) name=\$2 ;; esac; shift; done
printf 'vermagic=%s\\0' "\${VERMAGIC:-$rel SMP mod_unload }" >"\$out/modinfo"
objcopy --add-section .modinfo="\$out/modinfo" "\$out/\$name.ko"
rm -f "\$out/modinfo"
BM
	chmod +x "$WORK/build-module"
	cat >>"$src/Makefile" <<'MAKE'

cmd_cc = gcc -O2 -Iinclude $(if $(filter $(MODULE_OBJS),$@),-DMODULE) -DKBUILD_MODNAME=$(basename $(notdir $@)) $(KCFLAGS) -c -o $@ $<
olddefconfig:
	mkdir -p include/config && cp .config include/config/auto.conf
modules_prepare: scripts/hosttool
	mkdir -p include/config scripts/mod && echo '$(KERNELRELEASE)' >include/config/kernel.release
	printf '#!/bin/sh\n' >scripts/mod/modpost && chmod +x scripts/mod/modpost
MAKE
}

# partial_test_setup REL: the "running kernel" (the toy tree built in full
# in $WORK/built, its vmlinux and module standing in for a distribution's
# -dbg vmlinux and /lib/modules) and the user's tree $TREE (unpacked
# source, never built); ARGS are kpatch-build's partial-build options.
partial_test_setup() {
	local rel=$1
	make_tree "$WORK/built"
	mkdir -p "$WORK/modules/kernel/drivers/demo"
	cp "$WORK/built/drivers/demo/demo.ko" "$WORK/modules/kernel/drivers/demo/demo.ko"
	printf '0x12345678\tcore_value\tvmlinux\tEXPORT_SYMBOL\t\n' >"$WORK/Module.symvers"
	cp -a "$FIXTURES/tree" "$WORK/src"
	cp "$WORK/built/.config" "$WORK/kernel.config"
	partial_build_fixtures "$rel" "$WORK/built/vmlinux" "$WORK/src"
	export KPATCH_BUILD_MODULE=$WORK/build-module
	TREE=$WORK/src
	OUT=$WORK/out-dir
	mkdir -p "$OUT"
	# shellcheck disable=SC2034 # for the test scripts
	ARGS=(-s "$TREE" -c "$WORK/kernel.config" -v "$WORK/built/vmlinux" --kernel-release "$rel"
		--symvers "$WORK/Module.symvers" --modules-dir "$WORK/modules" -o "$OUT")
}

# restart_with_sigint SCRIPT ARGS...: a script started in the background of
# a non-interactive shell inherits SIGINT ignored (under nohup, SIGHUP), which
# no bash can undo, and then so would the runs it interrupts. Signal tests
# call this first: it runs the script again with INT, TERM and HUP at their
# default dispositions.
restart_with_sigint() {
	[[ -z ${KPATCH_TEST_SIGINT_RESET:-} ]] || return 0
	rm -rf "$WORK"
	KPATCH_TEST_SIGINT_RESET=1 exec perl -e '$SIG{$_} = "DEFAULT" for qw(INT TERM HUP); exec @ARGV or die "exec: $!\n"' -- bash "$@"
}

# add_core_exports DIR EXPORT-DEFINITION: kernel/core.c exports
# core_ops_scale (its prototype uses struct core_ops, include/linux/ops.h)
# and core_plain, with EXPORT_SYMBOL defined as given (the tests of
# modversions and of the replayed genksyms step define it differently).
add_core_exports() {
	local dir=$1
	cat >"$dir/include/linux/ops.h" <<H
#ifndef OPS_H
#define OPS_H
#define EXPORT_SYMBOL(sym) $2
struct core_ops {
	int scale;
};
#endif
H
	cat >>"$dir/kernel/core.c" <<'C'

#include <linux/ops.h>

int core_ops_scale(const struct core_ops *ops, int x)
{
	return ops->scale * x;
}
EXPORT_SYMBOL(core_ops_scale);

int core_plain(int x)
{
	return x + 2;
}
EXPORT_SYMBOL(core_plain);
C
}

finish() {
	echo "$PASSED passed, $FAILED failed"
	((FAILED == 0))
}
