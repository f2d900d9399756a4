#!/bin/bash
# build-module links the livepatch module by kbuild's recorded commands
# (lib-modlink.sh) once a make of the same tree recorded them, and the
# module is the one make gives, byte for byte; anything in doubt goes to
# make and the log says why. The tree is a toy kbuild for external modules
# shaped like Linux 6.12's (modlink-fixtures/tree); the template and
# create-klp-module are the real ones.
#
# usage: build-module-modlink.sh [BUILD-DIR]
# shellcheck source-path=SCRIPTDIR
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BM=$REPO/kpatch-build/build-module
export KPATCH_CREATE_KLP_MODULE=$REPO/${1:-${BUILD:-build}}/kpatch-build/create-klp-module
unset KPATCH_BUILD_MODLINK KBUILD_EXTRA_SYMBOLS MAKEFLAGS MAKELEVEL ARCH CROSS_COMPILE
WORK=$(mktemp -d "${TMPDIR:-/tmp}/build-module-modlink.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PASSED=0
FAILED=0

check() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		PASSED=$((PASSED + 1))
		echo "ok - $what"
	else
		FAILED=$((FAILED + 1))
		echo "FAIL - $what"
		[[ ! -s $WORK/err ]] || sed 's/^/    | /' "$WORK/err" | tail -n 15
	fi
}

if [[ ! -x $KPATCH_CREATE_KLP_MODULE ]]; then
	echo "FAIL - create-klp-module not found at $KPATCH_CREATE_KLP_MODULE (run make first)"
	echo "0 passed, 1 failed"
	exit 1
fi

cp -a "$REPO/test/unit/modlink-fixtures/tree" "$WORK/tree"
TREE=$WORK/tree
CACHE=$WORK/cache

# object NAME C-SOURCE: a create-diff-object-like output.o with one
# function record, in $WORK/NAME.o
object() {
	cat >"$WORK/$1.c" <<C
struct rec { unsigned long new_func, sympos; const char *old_name, *objname; };
$2
__attribute__((section(".kpatch.funcs"), used)) static const struct rec r = {
	(unsigned long)patched, 0, "show", "vmlinux" };
C
	gcc -O2 -fno-pic -mcmodel=kernel -c "$WORK/$1.c" -o "$WORK/$1.o"
}
object core 'int patched(int x) { return x + 1; }'
object other 'int patched(int x) { return x * 3; }'
object dep 'int demo_helper(int); int patched(int x) { return demo_helper(x) + 2; }'
object nsuse 'int ns_helper(int); int patched(int x) { return ns_helper(x); }'
object clash 'int patched(int x) { return x; } int init_module(void) { return 0; }'
printf '0x00000000\tdemo_helper\tdemo\tEXPORT_SYMBOL\t\n0x00000000\tns_helper\tdemo\tEXPORT_SYMBOL_GPL\tDEMO_NS\n' >"$WORK/demo.symvers"

# build NAME OBJECT [OPTION...]: build-module into $WORK/out, the build
# directory $WORK/bd/NAME ($WORK/bd/$SLOT if SLOT is set); log in
# $WORK/NAME.log, stderr in $WORK/err. BM=... runs another build-module.
build() {
	local name=$1 object=$2
	shift 2
	"$BM" --kernel-tree "$TREE" --name "$name" --object "$WORK/$object.o" --out "$WORK/out" \
		--log "$WORK/$name.log" --build-dir "$WORK/bd/${SLOT:-$name}" --modlink-cache "$CACHE" -j 1 "$@" 2>"$WORK/err"
}

build_new_cache() {
	CACHE=$WORK/cache-new build "$@"
}

build_by_make() {
	KPATCH_BUILD_MODLINK=0 build "$@"
}

# same_as_make NAME OBJECT [OPTION...]: the module just built equals the
# one make builds in the same build directory, and so do kbuild's .cmd files.
same_as_make() {
	local name=$1 dir=$WORK/bd/${SLOT:-$1}
	cp "$WORK/out/$name.ko" "$WORK/replayed.ko" || return 1
	rm -rf "$WORK/replayed-cmd" && mkdir "$WORK/replayed-cmd" && cp "$dir"/.*.cmd "$WORK/replayed-cmd/" || return 1
	rm -rf "$dir"
	build_by_make "$@" || return 1
	grep -q '^modlink: make builds the module (KPATCH_BUILD_MODLINK=0)$' "$WORK/$name.log" || return 1
	cmp "$WORK/replayed.ko" "$WORK/out/$name.ko" || return 1
	local f
	for f in "$WORK/replayed-cmd"/.*.cmd; do
		cmp "$f" "$dir/$(basename "$f")" || return 1
	done
}

log_has() {
	grep -q -E -- "$2" "$WORK/$1.log"
}

made() {
	grep -q '^+ make -C ' "$WORK/$1.log"
}

# --- the first build makes and records; the next ones replay
check "first build succeeds" build lp-core core
check "first build: make, and why" log_has lp-core '^modlink: make builds the module \(no recorded commands for this tree, configuration, template and tools yet\)$'
check "first build: make ran" made lp-core
check "first build: commands recorded" log_has lp-core '^modlink: recorded kbuild.s commands for the next builds in '
check "another name and object: succeeds" build lp-other other
check "another name: linked by the recorded commands" log_has lp-other "^modlink: linked by kbuild's recorded commands \(8 run, 0 up to date\), without make$"
check "another name: no make" sh -c "! grep -q '^+ make ' '$WORK/lp-other.log'"
check "another name: the replayed step's command is logged" log_has lp-other "^\+ ld -r -T $WORK/bd/lp-other/livepatch.lds -o $WORK/bd/lp-other/lp-other.o @$WORK/bd/lp-other/lp-other.mod$"
check "another name: the module has its own name" sh -c "modinfo -F name '$WORK/out/lp-other.ko' | grep -qx lp_other"
check "another name: byte-identical to make's module and .cmd files" same_as_make lp-other other

# --- warm: kbuild's up-to-date compiles are skipped, the result is the same
check "warm rebuild (make left the directory) succeeds" build lp-other other
check "warm rebuild: compiles up to date are skipped" log_has lp-other "linked by kbuild's recorded commands \(5 run, 3 up to date\)"
cp "$WORK/out/lp-other.ko" "$WORK/warm.ko"
check "warm rebuild: the same module" cmp "$WORK/warm.ko" "$WORK/replayed.ko"
check "--no-replace: succeeds" build lp-other other --no-replace
check "--no-replace: the template is compiled again (its command changed)" log_has lp-other "linked by kbuild's recorded commands \(6 run, 2 up to date\)"
check "--no-replace: the module differs (test sanity)" sh -c "! cmp -s '$WORK/out/lp-other.ko' '$WORK/warm.ko'"
check "--no-replace: byte-identical to make's" same_as_make lp-other other --no-replace

# --- .module-common.o: proven name-independent by two compiles, then shared
common=$(sed -n "s/^modlink: recorded kbuild's commands for the next builds in //p" "$WORK/lp-core.log")/common
check "another name: its .module-common.o is the candidate" cmp "$common/.module-common.o" "$WORK/bd/lp-other/.module-common.o"
check "another name: not yet proven" test ! -e "$common/proven"
check "a third name succeeds" build lp-third other
check "a third name: its own compile is byte-identical, so proven" log_has lp-third '^modlink: \.module-common\.o: the compiles in two build directories are byte-identical; later modules reuse it$'
check "a fourth name succeeds" build lp-fourth core
check "a fourth name: .module-common.o shared, not compiled" log_has lp-fourth "^modlink: linked by kbuild's recorded commands \(7 run, 0 up to date, \.module-common\.o shared\), without make$"
check "a fourth name: no compile of scripts/module-common.c logged" sh -c "! grep -q '^+ .*module-common\.c' '$WORK/lp-fourth.log'"
check "a fourth name: byte-identical to make's module and .cmd files" same_as_make lp-fourth core
check "a fourth name again (make left the directory): all up to date" build lp-fourth core
check "a fourth name again: nothing shared, 3 up to date" log_has lp-fourth "linked by kbuild's recorded commands \(5 run, 3 up to date\)"
touch "$TREE/scripts/module-common.c"
check "module-common.c newer than the shared object: succeeds" build lp-fifth core
check "module-common.c newer: compiled again, not shared" log_has lp-fifth "linked by kbuild's recorded commands \(8 run, 0 up to date\)"
check "module-common.c newer: byte-identical to make's" same_as_make lp-fifth core
printf 'x' >>"$common/.module-common.o"
touch "$TREE/scripts/module-common.c"
check "a shared object that differs from a new compile: succeeds" build lp-sixth core
check "a differing shared object: the candidate is replaced" cmp "$common/.module-common.o" "$WORK/bd/lp-sixth/.module-common.o"
check "a differing shared object: the proof is withdrawn" test ! -e "$common/proven"
check "a differing shared object: byte-identical to make's" same_as_make lp-sixth core

# --- --template-only: what does not depend on output.o, compiled ahead
ahead() {
	"$BM" --template-only --kernel-tree "$TREE" --name "$1" --build-dir "$WORK/bd/$1" \
		--log "$WORK/$1.ahead.log" "${@:2}" 2>"$WORK/err"
}
check "--template-only: succeeds" ahead lp-ahead --modlink-cache "$CACHE"
check "--template-only: the template and .module-common.o compiled" grep -q -x "modlink: compiled ahead by kbuild's recorded commands: livepatch-main.o .module-common.o (2 run, 0 up to date)" "$WORK/lp-ahead.ahead.log"
check "--template-only: no module, no link" sh -c "test ! -e '$WORK/bd/lp-ahead/lp-ahead.ko' && test ! -e '$WORK/bd/lp-ahead/lp-ahead.o' && test ! -e '$WORK/out/lp-ahead.ko'"
check "--template-only, then the build of that name: succeeds" build lp-ahead core
check "the build after --template-only: both compiles up to date" log_has lp-ahead "linked by kbuild's recorded commands \(6 run, 2 up to date\)"
check "the build after --template-only: byte-identical to make's" same_as_make lp-ahead core
check "--template-only without a recording: succeeds" ahead lp-ahead2 --modlink-cache "$WORK/cache-none"
check "--template-only without a recording: nothing compiled, says why" grep -q -x 'modlink: template not compiled ahead (no recorded commands for this tree, configuration, template and tools yet)' "$WORK/lp-ahead2.ahead.log"
check "--template-only with --object: refused" sh -c "! '$BM' --template-only --kernel-tree '$TREE' --name x --build-dir '$WORK/bd/x' --modlink-cache '$CACHE' --object '$WORK/core.o' 2>'$WORK/err' && grep -q 'template-only needs' '$WORK/err'"

# --- a module dependency (--symvers): its own key, then replayed
check "--symvers: first build succeeds" build lp-dep dep --symvers "$WORK/demo.symvers"
check "--symvers: a new key, so make" log_has lp-dep 'make builds the module \(no recorded commands'
check "--symvers: another name succeeds" build lp-dep2 dep --symvers "$WORK/demo.symvers"
check "--symvers: linked by the recorded commands" log_has lp-dep2 "linked by kbuild's recorded commands"
check "--symvers: the module depends on demo (test sanity)" sh -c "modinfo -F depends '$WORK/out/lp-dep2.ko' | grep -qx demo"
check "--symvers: byte-identical to make's" same_as_make lp-dep2 dep --symvers "$WORK/demo.symvers"

# --- the module's imports are checked, whichever way it was linked
check "an export not passed with --symvers: fails" sh -c "! '$BM' --kernel-tree '$TREE' --name lp-nosym --object '$WORK/dep.o' --out '$WORK/out' --modlink-cache '$CACHE' 2>'$WORK/err'"
check "an export not passed with --symvers: names the symbol" grep -q -x '  demo_helper' "$WORK/err"
check "an export not passed with --symvers: says why" grep -q 'undefined symbols that neither vmlinux nor a module exports' "$WORK/err"
check "an export not passed with --symvers: no module" test ! -e "$WORK/out/lp-nosym.ko"
check "a namespaced export not imported: fails" sh -c "! '$BM' --kernel-tree '$TREE' --name lp-ns --object '$WORK/nsuse.o' --out '$WORK/out' --symvers '$WORK/demo.symvers' --modlink-cache '$CACHE' 2>'$WORK/err'"
check "a namespaced export not imported: names it" grep -q -x '  ns_helper (namespace DEMO_NS)' "$WORK/err"

# --- doubts go to make
check "a name that occurs in the commands (new cache): succeeds" build_new_cache Iinclude core
check "a name that occurs in the commands: not recorded, says why" log_has Iinclude "^modlink: not recorded: the command for livepatch-main.o .*'Iinclude' occurs in it"
# the key is kept per signature of the files' identities: a planted key
# is used (so make), and without the kept keys the real one is found again
check "the key is kept per signature" sh -c "ls '$CACHE/keys' | grep -q -E '^[0-9a-f]{32}\$'"
cp -a "$CACHE/keys" "$CACHE/keys.real"
for memo in "$CACHE"/keys/*; do echo 0123456789abcdef0123456789abcdef >"$memo"; done
check "a planted kept key: succeeds" build lp-planted other
check "a planted kept key is used (no recording for it: make)" log_has lp-planted '^modlink: make builds the module \(no recorded commands'
rm -rf "$CACHE/keys" "$CACHE/0123456789abcdef0123456789abcdef" && mv "$CACHE/keys.real" "$CACHE/keys"
rm -rf "$CACHE.keep" && cp -a "$CACHE" "$CACHE.keep"
echo '# changed' >>"$TREE/scripts/Makefile.modfinal"
check "changed build rules: succeeds" build lp-rules other
check "changed build rules: a new key, make, and why" log_has lp-rules '^modlink: make builds the module \(no recorded commands'
check "changed build rules: make ran" made lp-rules
check "changed build rules: recorded for the new key" log_has lp-rules '^modlink: recorded'
# shellcheck disable=SC2016 # make syntax
sed -i 's/^\t+$(call if_changed,ld_ko_o)$/&\n\t+$(call cmd,sign_ko)/' "$TREE/scripts/Makefile.modfinal"
check "a step outside the recorded commands: succeeds" build lp-sign other
check "a step outside the recorded commands: make, and why" log_has lp-sign "^modlink: make builds the module \(unknown step '\+\\\$\(callcmd,sign_ko\)' in the \.ko rule of scripts/Makefile\.modfinal\)$"
check "a step outside the recorded commands: nothing recorded" sh -c "! grep -q '^modlink: recorded' '$WORK/lp-sign.log'"
cp -a "$REPO/test/unit/modlink-fixtures/tree/scripts/Makefile.modfinal" "$TREE/scripts/Makefile.modfinal"
rm -rf "$CACHE" && mv "$CACHE.keep" "$CACHE"
check "KPATCH_BUILD_MODLINK=0: succeeds" build_by_make lp-forced other
check "KPATCH_BUILD_MODLINK=0: make, and says so" log_has lp-forced '^modlink: make builds the module \(KPATCH_BUILD_MODLINK=0\)$'

# --- a replayed step that fails: make takes over
record=$(sed -n "s/^modlink: recorded kbuild's commands for the next builds in //p" "$WORK/lp-core.log")
sed -i 's/^ld -r /false /' "$record/@N@.o.savedcmd"
check "a replayed step fails: the build still succeeds" build lp-fallback other
check "a replayed step fails: make, and why" log_has lp-fallback '^modlink: make builds the module \(the recorded command for lp-fallback\.o failed\)$'
check "a replayed step fails: byte-identical to make's" same_as_make lp-fallback other
sed -i 's/^false /ld -r /' "$record/@N@.o.savedcmd"
check "an object that cannot be linked: fails" sh -c "! '$BM' --kernel-tree '$TREE' --name lp-clash --object '$WORK/clash.o' --out '$WORK/out' --log '$WORK/lp-clash.log' --build-dir '$WORK/bd/lp-clash' --modlink-cache '$CACHE' 2>'$WORK/err'"
check "an object that cannot be linked: the replay failed first" log_has lp-clash '^modlink: make builds the module \(the recorded command for lp-clash\.o failed\)$'
check "an object that cannot be linked: a clear error" grep -q 'build-module: ERROR: kernel module build failed (log: ' "$WORK/err"
check "an object that cannot be linked: the linker's reason shown" grep -q 'multiple definition of .init_module' "$WORK/lp-clash.log"
check "an object that cannot be linked: no module" test ! -e "$WORK/out/lp-clash.ko"
check "an object that cannot be linked: no .ko left in the build directory" sh -c "! ls '$WORK/bd/lp-clash'/*.ko"

# --- one build directory for modules of any name (kpatch-build's slots):
# livepatch-main.o, proven name-free by two compiles, is kept for new names
record=$(sed -n "s/^modlink: recorded kbuild's commands for the next builds in //p" "$WORK/lp-core.log")
SLOT=slot check "one directory, a first name: succeeds" build lp-s1 core
SLOT=slot check "one directory, a second name: succeeds" build lp-s2 other
check "a second name: its livepatch-main.o compiled and compared" log_has lp-s2 "^modlink: livepatch-main\.o: the compiles for lp-s1 and lp-s2 are byte-identical; later modules of other names keep it$"
check "a second name: the key is marked" test -e "$record/template-name-free"
check "a second name: the first name's files are gone" sh -c "! ls -a '$WORK/bd/slot' | grep -q 'lp-s1'"
check "a second name: no comparison copy left" test ! -e "$WORK/bd/slot/livepatch-main.o.previous"
SLOT=slot check "a third name: succeeds" build lp-s3 core
check "a third name: livepatch-main.o kept, not compiled" log_has lp-s3 "^modlink: linked by kbuild's recorded commands \(6 run, 0 up to date, \.module-common\.o shared, livepatch-main\.o kept\), without make$"
check "a third name: no compile of livepatch-main.c logged" sh -c "! grep -q '^+ .*livepatch-main\.c' '$WORK/lp-s3.log'"
check "a third name: its .cmd file has the third name's command" grep -q "KBUILD_MODNAME=.*lp_s3" "$WORK/bd/slot/.livepatch-main.o.cmd"
check "a third name: the module has its own name" sh -c "modinfo -F name '$WORK/out/lp-s3.ko' | grep -qx lp_s3"
SLOT=slot check "a third name: byte-identical to make's module and .cmd files in that directory" same_as_make lp-s3 core
SLOT=slot check "a fourth name after make: succeeds" build lp-s4 other
check "a fourth name after make: livepatch-main.o kept" log_has lp-s4 "livepatch-main\.o kept\), without make$"
SLOT=slot check "a fourth name after make: byte-identical to make's" same_as_make lp-s4 other
SLOT=slot check "--no-replace in that directory: succeeds" build lp-s5 other --no-replace
check "--no-replace: livepatch-main.o compiled (its command differs beyond the name)" log_has lp-s5 "linked by kbuild's recorded commands \(7 run, 0 up to date, \.module-common\.o shared\), without make$"
SLOT=slot check "--no-replace: byte-identical to make's" same_as_make lp-s5 other --no-replace
# an object that differs from the new name's compile: the mark goes
rm -f "$record/template-name-free"
SLOT=slot check "unmarked again: a name succeeds" build lp-s6 other --no-replace
check "unmarked again: compiled and compared, marked" test -e "$record/template-name-free"
rm -f "$record/template-name-free"
printf 'x' >>"$WORK/bd/slot/livepatch-main.o"
SLOT=slot check "a previous object that differs: succeeds" build lp-s7 other --no-replace
check "a previous object that differs: says so" log_has lp-s7 "^modlink: livepatch-main\.o: the compiles for lp-s6 and lp-s7 differ; every name compiles it$"
check "a previous object that differs: not marked" test ! -e "$record/template-name-free"
SLOT=slot check "a previous object that differs: byte-identical to make's" same_as_make lp-s7 other --no-replace
# a template whose object does depend on the name is never kept
cp -a "$REPO/kpatch-build" "$REPO/include" "$WORK/"
mkdir -p "$WORK/build/kpatch-build" && ln -s "$KPATCH_CREATE_KLP_MODULE" "$WORK/build/kpatch-build/create-klp-module"
printf '\nstatic const char lp_name[] __attribute__((used)) = KBUILD_MODNAME;\n' >>"$WORK/kpatch-build/module/livepatch-main.c"
SLOT=named BM="$WORK/kpatch-build/build-module" check "a name-dependent template, first name: succeeds" build lp-n1 core
SLOT=named BM="$WORK/kpatch-build/build-module" check "a name-dependent template, second name: succeeds" build lp-n2 core
check "a name-dependent template: the compiles differ, said so" log_has lp-n2 "^modlink: livepatch-main\.o: the compiles for lp-n1 and lp-n2 differ; every name compiles it$"
SLOT=named BM="$WORK/kpatch-build/build-module" check "a name-dependent template, third name: succeeds" build lp-n3 core
check "a name-dependent template, third name: compiled again" sh -c "grep -q '^+ .*livepatch-main\.c' '$WORK/lp-n3.log' && ! grep -q 'livepatch-main\.o kept' '$WORK/lp-n3.log'"
check "a name-dependent template: the module has its own name in it" sh -c "strings -a '$WORK/out/lp-n3.ko' | grep -qx lp_n3"

echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
