#!/bin/bash
# kpatch-build end to end on the toy tree, with stand-ins for the differ and
# build-module: success, object selection (also through headers), parents,
# exit codes of every failure, module naming, and that the tree is byte- and
# mtime-identical afterwards every time.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"

make_tree "$WORK/tree"
TREE=$WORK/tree
OUT=$WORK/out-dir
mkdir -p "$OUT"
snapshot "$TREE" >"$WORK/snap"
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$WORK/fix-core.patch"
make_patch "$TREE" include/linux/shared.h 's/SHARED_FACTOR 3/SHARED_FACTOR 4/' "$WORK/factor.patch"
make_patch "$TREE" drivers/demo/demo.c 's/- 5/- 6/' "$WORK/demo.patch"

cdo_called_with() {
	grep -q -E -- "$1" "$FAKE_CDO_LOG"
}

# result_has JQ-EXPRESSION: true for the --result file of the last run.
RESULT=$WORK/result.json
result_has() {
	jq -e "$1" "$RESULT" >/dev/null
}

# --- success, twice on the same tree
expect_status 0 "simple patch builds" -s "$TREE" -o "$OUT" --result "$RESULT" "$WORK/fix-core.patch"
check "--result: verdict built, exit status 0" result_has '.verdict == "built" and .exit_status == 0'
check "--result: changed function with its object and parent" result_has \
	'.changed_functions == [{name: "core_other", object: "kernel/core.o", parent: "vmlinux", patched: true}] and .new_functions == []'
check "--result: the run's log kept beside the result, and named there" sh -c \
	"jq -e --arg log '${RESULT%.json}.log' '.log == \$log' '$RESULT' && grep -q '^exit status 0\$' '${RESULT%.json}.log'"
check "--result: module path and size" result_has ".module.path == \"$OUT/livepatch-fix-core.ko\" and .module.size == $(stat -c %s "$OUT/livepatch-fix-core.ko")"
check "--result: stage times in seconds" result_has \
	'[.stage_times | .check_patches, .build_original, .build_patched, .diff, .link, .build_module, .verify | numbers] | length == 7'
check "--result: total time, patches, no refusals" result_has \
	".seconds > 0 and .patches == [\"$WORK/fix-core.patch\"] and .refusals == [] and .tool_version != \"\""
check "--result: the module's sha256" result_has ".module.sha256 == \"$(sha256sum <"$OUT/livepatch-fix-core.ko" | cut -d' ' -f1)\""
check "--result: no kernel release for a full build without -v" result_has '.kernel_release == null'
check "--result: log path exists" sh -c "test -s \"\$(jq -r .log '$RESULT')\""
check "module written" test -s "$OUT/livepatch-fix-core.ko"
check "SUCCESS line names the module" output_has "^SUCCESS: $OUT/livepatch-fix-core.ko$"
check "changed function shown" output_has "core.o: changed function: core_other"
check "summary lists it" output_has "vmlinux: core_other \(changed\)"
check "stage lines with times" output_has '^Building original kernel \(make vmlinux modules\) \.\.\. done \([0-9]+s, vmlinux was up to date\)$'
check "tree identical after success" same_tree "$TREE" "$WORK/snap"
check "parent vmlinux, symtab, struct sizes, symvers, name" cdo_called_with \
	"--struct-sizes-from $TREE/vmlinux .*/orig/kernel/core.o .*/patched/kernel/core.o vmlinux $TREE/vmlinux $TREE/Module.symvers livepatch-fix-core .*/output/kernel/core.o$"
check "per-object report" cdo_called_with "--report .*/reports/kernel/core.o.json "
check "no --debug by default" sh -c "! grep -q -- --debug '$FAKE_CDO_LOG'"
check "build-module: tree, name, replace mode" grep -q -E -- "--kernel-tree $TREE --name livepatch-fix-core --object .*/output.o .*-j [0-9]+" "$FAKE_BM_LOG"
check "build-module: recorded commands kept in the tree's state directory" grep -q -E -- "--modlink-cache $KPATCH_BUILD_CACHE/trees/[^/ ]+/modlink( |$)" "$FAKE_BM_LOG"
check "template compiled ahead in the module's build directory, with the recorded commands" grep -q -x -E -- "--template-only --kernel-tree $TREE --name livepatch-fix-core --build-dir $KPATCH_BUILD_CACHE/trees/[^/ ]+/module-build/build --modlink-cache $KPATCH_BUILD_CACHE/trees/[^/ ]+/modlink --log .*" "$FAKE_BM_AHEAD_LOG"
check "tree's Module.symvers not passed again as extra symbols" sh -c "! grep -q -- --symvers '$FAKE_BM_LOG'"
check "replace is the default" sh -c "! grep -q -- --no-replace '$FAKE_BM_LOG'"
check "log kept as last-build.log" test -s "$KPATCH_BUILD_CACHE/last-build.log"
check "scratch removed" test -z "$(find "$KPATCH_BUILD_CACHE"/trees/*/ -mindepth 1 ! -name lock ! -name readers ! -name owner ! -name original-build.stamp ! -path '*/module-build*')"
expect_status 0 "second run on the same tree" -s "$TREE" -o "$OUT" "$WORK/fix-core.patch"
check "second run reuses the original build" output_has 'up to date since the last run'
check "tree identical after the second run" same_tree "$TREE" "$WORK/snap"
# objtool's "unreachable instruction" where the differ left a tracepoint's
# site disabled is expected: logged, not warned; anything else is warned
export FAKE_CDO_DISABLED_SITES='"core_other+0x20"'
export FAKE_BM_OBJTOOL=$'core_other+0x20: unreachable instruction\ncore_other+0x40: unreachable instruction'
expect_status 0 "objtool warnings, one at a disabled site: builds" -s "$TREE" -o "$OUT" "$WORK/fix-core.patch"
check "objtool: the other site is warned about" output_has '^  core_other\+0x40: unreachable instruction$'
check "objtool: the disabled site is not" sh -c "! grep -q 'core_other+0x20' '$WORK/out'"
check "objtool: the disabled site is logged as expected" grep -q -x 'objtool: core_other+0x20: unreachable instruction: the code of a tracepoint or dynamic debug site left disabled (expected)' "$KPATCH_BUILD_CACHE/last-build.log"
export FAKE_BM_OBJTOOL='core_other+0x20: unreachable instruction'
expect_status 0 "objtool warning only at a disabled site: builds" -s "$TREE" -o "$OUT" "$WORK/fix-core.patch"
check "objtool warning only at a disabled site: no warning" sh -c "! grep -q 'objtool reported problems' '$WORK/out'"
export FAKE_CDO_DISABLED_SITES=''
expect_status 0 "objtool warning, no disabled site: builds" -s "$TREE" -o "$OUT" "$WORK/fix-core.patch"
check "objtool warning, no disabled site: warned" output_has '^WARNING: objtool reported problems in livepatch-fix-core\.ko'
unset FAKE_CDO_DISABLED_SITES FAKE_BM_OBJTOOL

# the module build directory another run holds: waited for, then used
# (always the same path: it is in the module's debug information)
build_dir=$(echo "$KPATCH_BUILD_CACHE"/trees/*/module-build)/build
: >"$FAKE_BM_LOG"
flock -o "$build_dir.lock" sleep 8 &	# (long enough for the run to reach its module under load)
holder=$!
sleep 0.5
expect_status 0 "module build directory held by another run: builds" -s "$TREE" -o "$OUT" "$WORK/fix-core.patch"
check "module build directory held: waited for it, then built there" sh -c \
	"grep -q '^waiting for the module build directory $build_dir, which another run uses' '$WORK/out' &&
	 grep -q -E -- '--build-dir $build_dir( |\$)' '$FAKE_BM_LOG'"
wait "$holder" 2>/dev/null
rm -f "$RESULT"
expect_status 0 "--report is --result's name in kpatch-build(1)" -s "$TREE" -o "$OUT" --report "$RESULT" "$WORK/fix-core.patch"
check "--report: writes the same result" result_has '.verdict == "built" and .format == "kpatch-build-result"'

# --- header change: every object using it; lib.a and unrelated ones not
: >"$FAKE_CDO_LOG"
expect_status 0 "header change" -s "$TREE" -o "$OUT" "$WORK/factor.patch"
check "header: core.o diffed" cdo_called_with "orig/kernel/core.o"
check "header: module object diffed with module parent" cdo_called_with \
	"orig/drivers/demo/demo.o .* demo $TREE/drivers/demo/demo.ko "
check "header: fs/file.o not rebuilt" sh -c "! grep -q 'fs/file.o' '$FAKE_CDO_LOG'"
check "header: lib.a object skipped with a note" output_has "lib/util.o is only linked from a lib.a"
check "header: summary has both parents" sh -c "grep -q 'vmlinux: core_value' '$WORK/out' && grep -q 'demo: demo_probe' '$WORK/out'"
check "header: side-effect rebuild of a host tool seen (test sanity)" grep -q 'scripts/hosttool' "$KPATCH_BUILD_CACHE/last-build.log"
check "tree identical after header change (host tool restored too)" same_tree "$TREE" "$WORK/snap"

make_patch "$TREE" include/linux/shared.h 's/#endif/\/* only a comment *\/\n#endif/' "$WORK/comment.patch"
expect_status 3 "comment-only header change: no functional change" -s "$TREE" -o "$OUT" "$WORK/comment.patch"
check "no change: says so" output_has "no functional changes found"
# A patch that only adds a function nothing calls (a static inline made
# global for another file's fix): nothing to redirect, no module.
make_patch "$TREE" kernel/core.c '$a int core_added(int x)\n{\n\treturn x * 5;\n}' "$WORK/newonly.patch"
expect_status 3 "new function only: no runtime change" -s "$TREE" -o "$OUT" "$WORK/newonly.patch"
check "new function only: names it and says why" output_has "the patches only add core_added,"
check "new function only: no module written" sh -c "! ls '$OUT'/*.ko 2>/dev/null | grep -q newonly"
make_patch "$TREE" Documentation/notes.rst 's/Nothing yet/Something/' "$WORK/doc.patch"
expect_status 3 "documentation-only patch" -s "$TREE" -o "$OUT" "$WORK/doc.patch"
check "tree identical after no-change runs" same_tree "$TREE" "$WORK/snap"

# --- module-only patch
: >"$FAKE_CDO_LOG"
expect_status 0 "module patch" -s "$TREE" -o "$OUT" -R "$WORK/demo.patch"
check "module patch: parent is the module" cdo_called_with " demo $TREE/drivers/demo/demo.ko "
check "-R passes --no-replace" grep -q -- --no-replace "$FAKE_BM_LOG"

# --- differ results
for mode in refuse:2:refused error:1:error nochange:3:no-runtime-change crash:1:error; do
	IFS=: read -r fake status verdict <<<"$mode"
	rm -f "$OUT/livepatch-fix-core.ko"
	FAKE_CDO_MODE=$fake expect_status "$status" "differ mode $fake" -s "$TREE" -o "$OUT" --result "$RESULT" "$WORK/fix-core.patch"
	check "differ $fake: no module" test ! -e "$OUT/livepatch-fix-core.ko"
	check "differ $fake: tree identical" same_tree "$TREE" "$WORK/snap"
	check "differ $fake: --result verdict $verdict, no module" result_has ".verdict == \"$verdict\" and .exit_status == $status and .module == null"
done
FAKE_CDO_MODE=refuse run_kpb -s "$TREE" -o "$OUT" --result "$RESULT" "$WORK/fix-core.patch"
check "--result: the differ's refusal with code, function, object, file and line" result_has \
	'.refusals == [{code: "data-changed", function: "core_value", object: "kernel/core.o", file: "kernel/core.c", line: 3, message: "fake unsupported change"}]'
check "--result: a refused run has the diff stage time but no module stage" result_has \
	'(.stage_times.diff | numbers) and .stage_times.build_module == null' 

# --- init code only: its own verdict (exit 5), no module, tree restored
rm -f "$OUT/livepatch-fix-core.ko"
FAKE_CDO_MODE=initonly expect_status 5 "init-only change" -s "$TREE" -o "$OUT" "$WORK/fix-core.patch"
check "init-only: no runtime change needed, said as a verdict" output_has "^INIT-ONLY: no runtime change is needed"
check "init-only: names the object and its init functions" output_has "^ +kernel/core.o: fake_init, fake_setup$"
check "init-only: not reported as an error" sh -c "! grep -q '^ERROR' '$WORK/out'"
check "init-only: no module" test ! -e "$OUT/livepatch-fix-core.ko"
check "init-only: tree identical" same_tree "$TREE" "$WORK/snap"
# init code in one object, runtime code in another: refused
rm -f "$OUT/livepatch-factor.ko"
FAKE_CDO_INIT_ONLY_OBJS=kernel/core.o expect_status 2 "init-only object beside a runtime change" \
	-s "$TREE" -o "$OUT" "$WORK/factor.patch"
check "init beside runtime: says why" output_has "together with runtime code in 1 other object"
check "init beside runtime: no module" test -z "$(find "$OUT" -name 'livepatch-factor*')"
check "init beside runtime: tree identical" same_tree "$TREE" "$WORK/snap"
check "refusal reason shown" sh -c "FAKE_CDO_MODE=refuse '$KPATCH_BUILD' -s '$TREE' -o '$OUT' '$WORK/fix-core.patch' 2>&1 | grep -q 'fake unsupported change'"

# --- build-module failure leaves no module behind
FAKE_BM_MODE=fail expect_status 1 "build-module failure" -s "$TREE" -o "$OUT" "$WORK/fix-core.patch"
check "build-module failure: message shown" output_has "building the module failed"
check "build-module failure: no (partial) module" test -z "$(find "$OUT" -name '*fix-core*')"

# --- patched source does not compile
make_patch "$TREE" kernel/core.c 's/x - 7/x - undeclared_thing/' "$WORK/broken.patch"
expect_status 1 "patch that does not compile" -s "$TREE" -o "$OUT" --result "$RESULT" "$WORK/broken.patch"
check "--result: does-not-compile" result_has '.verdict == "does-not-compile" and .exit_status == 1 and (.stage_times.build_patched | numbers)'
check "compile error: says the patch does not compile" output_has "patched source does not compile"
check "compile error: shows the compiler message" output_has "undeclared_thing"
check "compile error: tree identical" same_tree "$TREE" "$WORK/snap"
printf -- '--- a/kernel/core.c\n+++ b/kernel/core.c\n@@ -1,1 +1,1 @@\n-no such line here\n+something else\n' >"$WORK/stale.patch"
expect_status 1 "patch that does not apply" -s "$TREE" -o "$OUT" --result "$RESULT" "$WORK/stale.patch"
check "--result: does-not-apply, before any build stage" result_has '.verdict == "does-not-apply" and .stage_times.build_patched == null'
make_patch "$TREE" lib/util.c 's/return/return 1 +/' "$WORK/lib.patch"
expect_status 2 "patch to lib/ refused" -s "$TREE" -o "$OUT" --result "$RESULT" "$WORK/lib.patch"
check "--result: the driver's refusal of a lib/ file" result_has \
	'.verdict == "refused" and (.refusals | length == 1 and .[0].code == "unsupported-file" and .[0].file == "lib/util.c" and .[0].object == null)'
rm -f "$RESULT"
expect_status 4 "--result in a missing directory" -s "$TREE" -o "$OUT" --result "$WORK/nowhere/r.json" "$WORK/fix-core.patch"
check "--result: usage error names the directory" output_has "--result: directory '$WORK/nowhere' does not exist"

# --- names
cp "$WORK/fix-core.patch" "$WORK/fix core (v2)!.diff"
expect_status 0 "default name from an odd file name" -s "$TREE" -o "$OUT" "$WORK/fix core (v2)!.diff"
check "odd name sanitized" test -f "$OUT/livepatch-fix-core--v2--.ko"
expect_status 0 "-n with a space" -s "$TREE" -o "$OUT" -n "my patch" "$WORK/fix-core.patch"
check "-n sanitized" test -f "$OUT/my-patch.ko"
long=$(printf 'x%.0s' {1..70})
expect_status 0 "-n too long" -s "$TREE" -o "$OUT" -n "$long" "$WORK/fix-core.patch"
check "-n truncated to 55 characters" test -f "$OUT/${long:0:55}.ko"
(cd "$OUT" && "$KPATCH_BUILD" -s "$TREE" -n in-cwd "$WORK/fix-core.patch" >/dev/null 2>&1)
check "default output directory is the current one" test -f "$OUT/in-cwd.ko"

# --- -c: used for the build, the tree's own .config put back
snapshot "$TREE" >"$WORK/snap"
cp "$TREE/.config" "$WORK/other.config"
echo "CONFIG_SOMETHING_ELSE=y" >>"$WORK/other.config"
expect_status 0 "-c with another config" -s "$TREE" -o "$OUT" -c "$WORK/other.config" "$WORK/fix-core.patch"
check "-c: tree .config restored" same_tree "$TREE" "$WORK/snap"
expect_status 0 "-c naming the tree's own .config" -s "$TREE" -o "$OUT" -c "$TREE/.config" "$WORK/fix-core.patch"
sed 's/^CONFIG_LIVEPATCH=y/# CONFIG_LIVEPATCH is not set/; s/^CONFIG_DEBUG_INFO_DWARF5=y//' "$TREE/.config" >"$WORK/bad.config"
echo "CONFIG_GCC_PLUGIN_RANDSTRUCT=y" >>"$WORK/bad.config"
echo "CONFIG_X86_KERNEL_IBT=y" >>"$WORK/bad.config"
expect_status 1 "unusable config" -s "$TREE" -o "$OUT" -c "$WORK/bad.config" "$WORK/fix-core.patch"
check "config: every problem listed with its reason" sh -c "grep -q 'CONFIG_LIVEPATCH must be y: ' '$WORK/out' &&
	grep -q 'CONFIG_DEBUG_INFO' '$WORK/out' && grep -q 'CONFIG_GCC_PLUGIN_RANDSTRUCT is not supported' '$WORK/out'"
check "config: IBT is not refused" sh -c "! grep -q IBT '$WORK/out'"
check "config: tree untouched" same_tree "$TREE" "$WORK/snap"

# --- compiler checks
sed 's/^CONFIG_CC_VERSION_TEXT=.*/CONFIG_CC_VERSION_TEXT="gcc (Other) 1.0"/' "$TREE/.config" >"$WORK/othercc.config"
expect_status 1 "compiler differs from .config's" -s "$TREE" -o "$OUT" -c "$WORK/othercc.config" "$WORK/fix-core.patch"
check "compiler mismatch explains --skip-compiler-check" output_has "skip-compiler-check"
check "compiler mismatch before any build" sh -c "! grep -q 'Building original' '$WORK/out'"
expect_status 0 "--skip-compiler-check" -s "$TREE" -o "$OUT" -c "$WORK/othercc.config" --skip-compiler-check "$WORK/fix-core.patch"
printf 'int x;\n' | gcc -x c -c -o "$WORK/other-vmlinux" -
printf 'GCC: (Other) 1.0\0' >"$WORK/comment"
objcopy --remove-section .comment --add-section .comment="$WORK/comment" "$WORK/other-vmlinux"
expect_status 1 "vmlinux built by another gcc (-v)" -s "$TREE" -o "$OUT" -v "$WORK/other-vmlinux" "$WORK/fix-core.patch"
check "vmlinux mismatch names both compilers" output_has "GCC: \(Other\) 1.0"
check "tree identical after -c and compiler runs" same_tree "$TREE" "$WORK/snap"

# --- debug keeps scratch and asks the differ for details
: >"$FAKE_CDO_LOG"
expect_status 0 "-d" -s "$TREE" -o "$OUT" -d "$WORK/fix-core.patch"
check "-d passes --debug to the differ" cdo_called_with "^--debug "
check "-d keeps the scratch directory" output_has "Scratch directory kept: .*/run$"
check "-d: tree identical" same_tree "$TREE" "$WORK/snap"

# --- a tree that was never built: full build, compiler checked afterwards
cp -a "$FIXTURES/tree" "$WORK/fresh"
cp "$TREE/.config" "$WORK/fresh/.config"
expect_status 0 "unbuilt tree" -s "$WORK/fresh" -o "$OUT" "$WORK/fix-core.patch"
check "unbuilt tree: compiler checked after the build" output_has "Checking compiler against .*/fresh/vmlinux \.\.\. done"
check "unbuilt tree: built with exactly the contract KCFLAGS" grep -q -x -F \
	"savedcmd_kernel/core.o := gcc -O2 -Iinclude  $CONTRACT_KCFLAGS -c -o kernel/core.o kernel/core.c" "$WORK/fresh/kernel/.core.o.cmd"
expect_status 0 "unbuilt tree, second run" -s "$WORK/fresh" -o "$OUT" "$WORK/fix-core.patch"
check "a second run skips make" output_has 'up to date since the last run'
touch "$WORK/fresh/kernel/core.c"
expect_status 0 "a run after a source file was edited" -s "$WORK/fresh" -o "$OUT" "$WORK/fix-core.patch"
check "an edited source makes the original build run again" sh -c "! grep -q 'up to date since the last run' '$WORK/out'"
finish
