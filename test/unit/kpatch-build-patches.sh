#!/bin/bash
# kpatch-build patch vetting: unsupported files are refused (exit 2) before
# any build, with the file and the reason; a patch that does not apply is a
# clean error; the tree is never left changed.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"

make_tree "$WORK/tree"
TREE=$WORK/tree
snapshot "$TREE" >"$WORK/snap"

no_build_started() {
	! output_has 'Building original kernel'
}

refused() {	# refused FILE SED DESCRIPTION REASON-REGEX
	make_patch "$TREE" "$1" "$2" "$WORK/refused.patch"
	expect_status 2 "$3 refused" -s "$TREE" -o "$WORK" "$WORK/refused.patch"
	check "$3: names $1 and why" output_has "$1.*$4"
	check "$3: refused before any build" no_build_started
	check "$3: tree unchanged" same_tree "$TREE" "$WORK/snap"
}
refused arch/x86/kernel/entry.S 's/ret/nop; ret/' "assembly patch" "assembly"
refused lib/util.c 's/\* 2/* 4/' "lib/ patch" "lib/"
refused arch/x86/entry/vdso/vclock.c 's/return 0/return 1/' "vdso patch" "vDSO"
refused Makefile 's/^KCFLAGS ?=/KCFLAGS ?= -O1/' "Makefile patch" "build files"
refused scripts/fixdep.sh 's/rm -f/rm -fv/' "scripts/ patch" "host programs"

# Several refusals are reported together, with the builtin diff parser too.
make_patch "$TREE" lib/util.c 's/\* 2/* 4/' "$WORK/a.patch"
make_patch "$TREE" arch/x86/kernel/entry.S 's/ret/nop; ret/' "$WORK/b.patch"
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$WORK/good.patch"
for parser in lsdiff builtin; do
	KPATCH_BUILD_PATCH_PARSER=$parser expect_status 2 "two refused patches ($parser parser)" \
		-s "$TREE" -o "$WORK" "$WORK/good.patch" "$WORK/a.patch" "$WORK/b.patch"
	check "both refused files reported ($parser)" \
		sh -c "grep -q 'lib/util.c' '$WORK/out' && grep -q 'entry.S' '$WORK/out'"
done

# The builtin parser is not fooled by hunk lines that look like headers.
cat >"$WORK/tricky.patch" <<'PATCH'
--- a/kernel/core.c
+++ b/kernel/core.c
@@ -1,3 +1,3 @@
--- lib/evil.c
+++ lib/evil.c
 
PATCH
KPATCH_BUILD_PATCH_PARSER=builtin expect_status 1 "builtin parser ignores header-like hunk lines" \
	-s "$TREE" -o "$WORK" "$WORK/tricky.patch"
check "tricky patch: fails on applying, not as a lib/ change" output_has "does not apply"

# A patch that does not apply: error, nothing touched.
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$WORK/stale.patch"
sed -i 's/x - 7/x - 6/' "$WORK/stale.patch"
expect_status 1 "patch that does not apply" -s "$TREE" -o "$WORK" "$WORK/stale.patch"
check "apply failure names the patch" output_has "stale.patch does not apply"
check "apply failure before any build" no_build_started
check "apply failure: tree unchanged" same_tree "$TREE" "$WORK/snap"
check "apply failure: no .rej/.orig files" test -z "$(find "$TREE" -name '*.rej' -o -name '*.orig')"

# The second patch only applies on top of the first: order is honoured,
# and a conflict between them is reported against the second one.
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$WORK/first.patch"
sed 's/x - 7/x - 8/' "$TREE/kernel/core.c" >"$WORK/core-1.c"
sed 's/x - 8/x - 9/' "$WORK/core-1.c" >"$WORK/core-2.c"
diff -u --label a/kernel/core.c --label b/kernel/core.c "$WORK/core-1.c" "$WORK/core-2.c" >"$WORK/second.patch"
expect_status 0 "stacked patches apply in order" -s "$TREE" -o "$WORK" "$WORK/first.patch" "$WORK/second.patch"
expect_status 1 "stacked patches in the wrong order" -s "$TREE" -o "$WORK" "$WORK/second.patch" "$WORK/first.patch"
check "wrong order: names the failing patch" output_has "second.patch does not apply"
check "stacked patches: tree unchanged" same_tree "$TREE" "$WORK/snap"

printf 'just some text\n' >"$WORK/notadiff.patch"
expect_status 1 "a file that is not a diff" -s "$TREE" -o "$WORK" "$WORK/notadiff.patch"
check "not a diff: says so" output_has "changes no files"

# A patch creating a new file in a new directory is undone completely.
printf 'int brand_new(void) { return 1; }\n' >"$WORK/new.c"
diff -u --label /dev/null --label b/drivers/newdir/sub/new.c /dev/null "$WORK/new.c" >"$WORK/new-file.patch"
cat "$WORK/new-file.patch" "$WORK/good.patch" >"$WORK/new-and-good.patch"
expect_status 0 "patch adding a file (not built) plus a change" -s "$TREE" -o "$WORK" "$WORK/new-and-good.patch"
check "new file: warns it is not built" output_has "drivers/newdir/sub/new.o does not exist"
check "new file and directories removed again" same_tree "$TREE" "$WORK/snap"
check "new directory removed" test ! -e "$TREE/drivers/newdir"
finish
