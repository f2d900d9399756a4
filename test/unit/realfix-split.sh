#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The realfix benchmark's split and selection (test/bench/realfix/lib-split.sh)
# on a toy pair of trees: which changed .c files become fixes (compile
# units of real gcc -g objects, or #included by one), their names, that
# each patch turns the old file into the new one, and the sample.
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"
set -e
# shellcheck source=../bench/realfix/lib-split.sh
source "$REPO/test/bench/realfix/lib-split.sh"
cd "$WORK"

same() {	# same DESCRIPTION EXPECTED ACTUAL
	if [[ $2 == "$3" ]]; then pass "$1"; else fail_test "$1: expected [$2], got [$3]"; fi
}

# Old and new tree: each file says what the selection must do with it.
mkdir -p old/fs/proc old/kernel/sched old/drivers/x old/tools old/include
echo 'int built_y(void) { return 1; }' >old/fs/proc/base.c
echo 'int same(void) { return 0; }' >old/fs/proc/same.c
echo 'int rt(void) { return 1; }' >old/kernel/sched/rt.c
printf '#include "rt.c"\nint policy(void) { return rt(); }\n' >old/kernel/sched/build_policy.c
echo 'int mod(void) { return 1; }' >old/drivers/x/mod.c
echo 'int notbuilt(void) { return 1; }' >old/drivers/x/notbuilt.c
echo 'int tool(void) { return 1; }' >old/tools/tool.c
echo 'int removed(void) { return 1; }' >old/drivers/x/removed.c
echo '#define H 1' >old/include/h.h
cp -a old new
echo 'int built_y(void) { return 2; }' >new/fs/proc/base.c
echo 'int rt(void) { return 2; }' >new/kernel/sched/rt.c
echo 'int mod(void) { return 2; }' >new/drivers/x/mod.c
echo 'int notbuilt(void) { return 2; }' >new/drivers/x/notbuilt.c
echo 'int tool(void) { return 2; }' >new/tools/tool.c
echo 'int added(void) { return 2; }' >new/drivers/x/added.c
rm new/drivers/x/removed.c
echo '#define H 2' >new/include/h.h

same "changed sources: the .c files in both trees that differ, sorted" \
	"drivers/x/mod.c drivers/x/notbuilt.c fs/proc/base.c kernel/sched/rt.c tools/tool.c" \
	"$(changed_sources old new | tr '\n' ' ' | sed 's/ $//')"

# The "kernel": objects compiled from the old tree with -g, as kbuild does
# (relative source names from the tree's top).
(cd old && gcc -g -c fs/proc/base.c -o ../vmlinux.o && gcc -g -c kernel/sched/build_policy.c -o ../sched.o &&
	gcc -g -c drivers/x/mod.c -o ../mod.ko)
ld -r vmlinux.o sched.o -o vmlinux
cu_names vmlinux mod.ko >cus
same "compile units of the debug info, with their binary" \
	"$(printf 'fs/proc/base.c\tvmlinux\nkernel/sched/build_policy.c\tvmlinux\ndrivers/x/mod.c\tmod.ko')" "$(cat cus)"
same "a binary without debug info has no units" "" "$(echo 'int f;' >nodbg.c && gcc -c nodbg.c && cu_names nodbg.o)"

sel=$(changed_sources old new | select_built old cus)
same "selected: units (vmlinux, module) and a .c a unit includes; not the unbuilt, tools, added or removed" \
	"$(printf 'drivers/x/mod.c\tmod.ko\nfs/proc/base.c\tvmlinux\nkernel/sched/rt.c\tvmlinux')" "$sel"
same "an include of another name does not select" "" \
	"$(echo kernel/sched/rt2.c | select_built old cus)"

same "fix name from the path" "fs-proc-base" "$(fix_name fs/proc/base.c)"
same "fix names are file-name safe" "drivers-x-a_b" "$(fix_name 'drivers/x/a+b.c')"

mkdir -p patches t
while IFS=$'\t' read -r src _; do
	write_fix_patch old new "$src" "patches/$(fix_name "$src").patch"
done <<<"$sel"
same "one patch per selected file" "drivers-x-mod.patch fs-proc-base.patch kernel-sched-rt.patch" "$(cd patches && echo *)"
cp -a old/. t/
for p in patches/*.patch; do
	same "$(basename "$p") touches one file" 1 "$(grep -c '^+++ ' "$p")"
	patch -s -p1 -d t <"$p"
done
check "the patches turn the old files into the new ones" cmp -s t/fs/proc/base.c new/fs/proc/base.c
check "... the module's and the included one too" sh -c 'cmp -s t/drivers/x/mod.c new/drivers/x/mod.c && cmp -s t/kernel/sched/rt.c new/kernel/sched/rt.c'
check "... and nothing else" sh -c 'cmp -s t/drivers/x/notbuilt.c old/drivers/x/notbuilt.c && cmp -s t/include/h.h old/include/h.h'
if ! write_fix_patch old new fs/proc/same.c same.patch && [[ ! -e same.patch && ! -e same.patch.tmp ]]; then
	pass "identical files give no patch: an error, no file left"
else
	fail_test "identical files give no patch: an error, no file left"
fi

same "sample of 3 from 10: evenly spread, in order" "1 4 7" "$(seq 10 | sample_lines 3 | tr '\n' ' ' | sed 's/ $//')"
same "sample is deterministic" "$(seq 10 | sample_lines 4)" "$(seq 10 | sample_lines 4)"
same "sample 0 is all" "$(seq 5)" "$(seq 5 | sample_lines 0)"
same "sample larger than the input is all" "$(seq 5)" "$(seq 5 | sample_lines 9)"

finish
