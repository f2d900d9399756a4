#!/bin/bash
# kpatch-batch with kpatch-build's newer options: --deb, --sign and
# --oot-module(-src) built for real on the toy tree (the package and the
# signed module land in modules/, the result records the package); the
# running-kernel options (-r, --from-debs, --install-deps: no -s) reach
# every kpatch-build run unchanged, with file arguments made absolute (a
# stand-in kpatch-build logs its arguments); --print-inputs and --report
# are refused with a reason.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"
# shellcheck source=kpatch-build-fixtures/batch.sh
source "$FIXTURES/batch.sh"

make_tree "$WORK/tree"
TREE=$WORK/tree
REL=6.1.0-99-toy
mkdir -p "$TREE/include/config" "$WORK/patches"
echo "$REL" >"$TREE/include/config/kernel.release"
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$WORK/patches/a-core.patch"
make_patch "$TREE" drivers/demo/demo.c 's/- 5/- 6/' "$WORK/patches/b-demo.patch"
printf -- '--- a/fs/file.c\n+++ b/fs/file.c\n@@ -1,1 +1,1 @@\n-no such line\n+other line\n' >"$WORK/patches/c-stale.patch"
echo 'CONFIG_MODULE_SIG=y' >>"$TREE/.config"
echo 'CONFIG_MODULE_SIG_HASH="sha256"' >>"$TREE/.config"
# The kernel's sign-file, a stand-in: the module with a marked signature.
cat >"$TREE/scripts/sign-file" <<'FAKE'
#!/bin/bash
{ cat "$4"; printf 'PKCS7-for-%s\n~Module signature appended~\n' "$1"; } >"$5"
FAKE
chmod +x "$TREE/scripts/sign-file"
openssl req -new -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=kpatch-batch test/" \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1 ||
	{ echo "openssl cannot make a key pair"; exit 1; }
snapshot "$TREE" >"$WORK/snap"

result_has() {	# result_has DIR FIX JQ-EXPRESSION
	jq -e "$3" "$1/results/$2.json" >/dev/null
}

# --- --deb and --sign, relative paths: every built fix gets both
R=$WORK/report-deb
(cd "$WORK" && expect_batch 0 "--deb --sign KEY CERT (relative paths)" -s "$TREE" --deb \
	--sign key.pem cert.pem --report-dir "$R" --patches patches)
check "two fixes built, one does not apply" report_has "$R" '[.fixes[].verdict] == ["built", "built", "does-not-apply"]'
check "options recorded: --sign as --sign-key/--sign-cert, absolute" report_has "$R" \
	".options == [\"-s\", \"$TREE\", \"--deb\", \"--sign-key\", \"$WORK/key.pem\", \"--sign-cert\", \"$WORK/cert.pem\"]"
check "modules/: one module and one package per built fix, nothing else" sh -c \
	"[ \"\$(cd '$R/modules' && echo *)\" = '0001-a-core.deb 0001-a-core.ko 0002-b-demo.deb 0002-b-demo.ko' ]"
check "the modules are signed" sh -c \
	"tail -c 28 '$R/modules/0001-a-core.ko' | grep -q 'Module signature appended' &&
	 tail -c 28 '$R/modules/0002-b-demo.ko' | grep -q 'Module signature appended'"
check "each package is named after its fix and the release" sh -c \
	"[ \"\$(dpkg-deb -f '$R/modules/0001-a-core.deb' Package)\" = kpatch-patch-livepatch-0001-a-core-$REL ] &&
	 [ \"\$(dpkg-deb -f '$R/modules/0002-b-demo.deb' Package)\" = kpatch-patch-livepatch-0002-b-demo-$REL ]"
dpkg-deb -x "$R/modules/0002-b-demo.deb" "$WORK/x"
check "the package holds the signed module as built" \
	cmp -s "$WORK/x/var/lib/kpatch/$REL/livepatch-0002-b-demo.ko" "$R/modules/0002-b-demo.ko"
check "result: the package's path, file name and size" result_has "$R" 0001-a-core \
	".package.path == \"$R/modules/0001-a-core.deb\" and (.package.file_name | test(\"^kpatch-patch-livepatch-0001-a-core-${REL}_0\\\\+[0-9a-f]{12}_amd64[.]deb$\"))
	 and .package.size == $(stat -c %s "$R/modules/0001-a-core.deb")"
check "report.json: a package per built fix, none for the fix that does not apply" report_has "$R" \
	'[.fixes[].package | . != null and (.path | test("[.]deb$"))] == [true, true, false]'
check "no temporaries left" test ! -e "$R/.run"
check "tree identical after the --deb batch" same_tree "$TREE" "$WORK/snap"
# without --deb there is no package
mkdir -p "$WORK/one-patch"
cp "$WORK/patches/a-core.patch" "$WORK/one-patch/"
R2=$WORK/report-plain
expect_batch 0 "without --deb" -s "$TREE" --report-dir "$R2" --patches "$WORK/one-patch"
check "without --deb: package null, no .deb" sh -c \
	"jq -e '[.fixes[].package] == [null]' '$R2/report.json' >/dev/null && [ -z \"\$(find '$R2' -name '*.deb')\" ]"

# --- --oot-module: a module built outside the toy tree (make M=)
cp -a "$FIXTURES/oot" "$WORK/ootdemo"
cp -a "$FIXTURES/oot" "$WORK/ootdemo-running"
make -s -C "$TREE" M="$WORK/ootdemo-running" KCFLAGS="$CONTRACT_KCFLAGS" modules >/dev/null 2>&1
mkdir -p "$WORK/oot-patches"
make_patch "$WORK/ootdemo" ootdemo.c 's/+ ootdemo_offset/+ ootdemo_offset + 1/' "$WORK/oot-patches/oot.patch"
RO=$WORK/report-oot
(cd "$WORK" && expect_batch 0 "--oot-module --oot-module-src (relative paths)" -s "$TREE" \
	--oot-module ootdemo-running/ootdemo.ko --oot-module-src ootdemo --report-dir "$RO" --patches oot-patches)
check "--oot-module: the fix is built for the module" result_has "$RO" 0001-oot \
	'.verdict == "built" and .changed_functions[0].name == "ootdemo_read"'
check "--oot-module: options recorded absolute" report_has "$RO" \
	".options == [\"-s\", \"$TREE\", \"--oot-module\", \"$WORK/ootdemo-running/ootdemo.ko\", \"--oot-module-src\", \"$WORK/ootdemo\"]"
# the original build's objects stay there, as after make M=; the source is back
check "--oot-module: the module source is restored" cmp -s "$FIXTURES/oot/ootdemo.c" "$WORK/ootdemo/ootdemo.c"

# --- the running-kernel mode: no -s; what each kpatch-build run gets.
# A copy of kpatch-batch with a stand-in kpatch-build next to it.
FB=$WORK/fakerepo
mkdir -p "$FB/batch" "$FB/kpatch-build" "$WORK/debs"
cp "$REPO"/batch/kpatch-batch "$REPO"/batch/lib-batch-*.sh "$FB/batch/"
cp "$REPO/kpatch-build/lib-common.sh" "$FB/kpatch-build/"
cp "$REPO/Makefile" "$FB/"	# the version of a checkout
export FAKE_KPB_LOG=$WORK/kpb-args.log
cat >"$FB/batch/kpatch-build" <<'FAKE'
#!/bin/bash
printf '%s\n' "$*" >>"$FAKE_KPB_LOG"
for ((i = 1; i <= $#; i++)); do
	[[ ${!i} == --result ]] && { j=$((i + 1)); result=${!j}; }
done
printf '{"verdict": "no-runtime-change"}\n' >"$result"
exit 3
FAKE
chmod +x "$FB/batch/kpatch-build"
run_fake_batch() {
	STATUS=0
	(cd "$WORK" && "$FB/batch/kpatch-batch" "$@") >"$WORK/out" 2>&1 || STATUS=$?
}
: >"$FAKE_KPB_LOG"
expect_status_of run_fake_batch 0 "running-kernel mode: -r, --from-debs (relative), --install-deps, --deb" \
	-r "$REL" --from-debs debs --install-deps --deb --report-dir "$WORK/report-running" --patches patches
check "each kpatch-build run gets the options, --from-debs absolute, and no -s" sh -c \
	"[ \$(grep -c -x -- '-r $REL --from-debs $WORK/debs --install-deps --deb --batch-release-tree $WORK/report-running/.run/000[123]-[a-z-]*/tree-released -n livepatch-000[123]-[a-z-]* -o $WORK/report-running/.run/000[123]-[a-z-]* --result $WORK/report-running/.run/000[123]-[a-z-]*/result.json $WORK/report-running/fixes/000[123]-[a-z-]*.patch' '$FAKE_KPB_LOG') = 3 ]"
: >"$FAKE_KPB_LOG"
expect_status_of run_fake_batch 0 "--release=REL --arch --deb-version forms" \
	--release="$REL" --arch x86_64 --deb --deb-version 1.2 --sign-key pkcs11:token=t --sign-cert cert.pem \
	--report-dir "$WORK/report-running2" --patches patches
check "long forms passed on; a pkcs11: key URI kept as it is" sh -c \
	"grep -q -- '^--release $REL --arch x86_64 --deb --deb-version 1.2 --sign-key pkcs11:token=t --sign-cert $WORK/cert.pem --batch-release-tree ' '$FAKE_KPB_LOG'"

# --- refused
expect_batch 4 "--print-inputs is refused" --print-inputs --report-dir "$WORK/rb" --patches "$WORK/patches"
check "--print-inputs: says to run kpatch-build" output_has "run kpatch-build --print-inputs"
expect_batch 4 "--report is refused" -s "$TREE" --report x.json --report-dir "$WORK/rb" --patches "$WORK/patches"
check "--report: set per fix" output_has "--report is set by kpatch-batch for each fix"
expect_batch 4 "--sign with one argument" -s "$TREE" --report-dir "$WORK/rb" --patches "$WORK/patches" --sign "$WORK/key.pem"
check "--sign: needs two arguments" output_has "--sign needs 2 argument"
check "refused: nothing written" test ! -e "$WORK/rb"
check "tree identical at the end" same_tree "$TREE" "$WORK/snap"
finish
