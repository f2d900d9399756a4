#!/bin/bash
# kpatch-batch on the toy tree, with the stand-ins for the differ and
# build-module: a patch directory with one fix of each verdict (report.json,
# junit.xml, modules, logs, progress), resume and --fail-on, the --trees and
# --git splits, an interrupted batch resumed (finished fixes not built
# again, tree byte- and mtime-identical), and bad input. Partial builds:
# one --batch-originals run makes every fix's originals in one make and
# checks once (make calls logged), each fix's run replays; an interrupted
# originals run; a failing one leaves each fix to check for itself.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"
restart_with_sigint "$0" "$@"
# Job control: the background batch gets its own process group, with
# SIGINT deliverable.
set -m
# shellcheck source=kpatch-build-fixtures/batch.sh
source "$FIXTURES/batch.sh"

make_tree "$WORK/tree"
TREE=$WORK/tree
snapshot "$TREE" >"$WORK/snap"

verdicts_are() {	# verdicts_are DIR "FIX=VERDICT ..."
	local got
	got=$(jq -r '[.fixes[] | "\(.name)=\(.verdict)"] | join(" ")' "$1/report.json")
	[[ $got == "$2" ]] || { echo "    verdicts: $got"; return 1; }
}

xml_well_formed() {
	if command -v xmllint >/dev/null; then
		xmllint --noout "$1"
	else
		python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$1"
	fi
}

# junit_count FILE XPATH-ish: count with python's minidom (independent of jq).
junit_count() {
	python3 - "$1" "$2" <<'PY'
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
print(len(doc.getElementsByTagName(sys.argv[2])))
PY
}

junit_suite_attr() {
	python3 - "$1" "$2" <<'PY'
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
print(doc.getElementsByTagName("testsuite")[0].getAttribute(sys.argv[2]))
PY
}

# interrupt_batch OBJECT ARGS...: a batch in the background with a slow
# compile (FAKE_SLOW, for sources with SLOW_MARKER), SIGINT once OBJECT is
# being compiled (and the command INTERRUPT_ALSO succeeds); output in
# $WORK/out, status in $STATUS.
INTERRUPT_ALSO=(true)
interrupt_batch() {
	local object=$1 bg i
	shift
	FAKE_SLOW=47 "$KPATCH_BATCH" "$@" >"$WORK/bg.out" 2>&1 &
	bg=$!
	for ((i = 0; i < 600; i++)); do
		grep -q "CC *$object" "$KPATCH_BUILD_CACHE"/trees/*/{run,private/*}/build.log 2>/dev/null &&
			"${INTERRUPT_ALSO[@]}" && break
		sleep 0.1
	done
	sleep 0.5
	kill -INT "$bg"
	STATUS=0
	wait "$bg" || STATUS=$?
	cp "$WORK/bg.out" "$WORK/out"
}

# --- a patch directory with one fix of each verdict
P=$WORK/patches
R=$WORK/report
mkdir -p "$P"
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$P/a-core.patch"
make_patch "$TREE" drivers/demo/demo.c 's/- 5/- 6/' "$P/b-demo.patch"
make_patch "$TREE" lib/util.c 's/return/return 1 +/' "$P/c-lib.diff"
make_patch "$TREE" Documentation/notes.rst 's/Nothing yet/Something/' "$P/d-doc.patch"
printf -- '--- a/fs/file.c\n+++ b/fs/file.c\n@@ -1,1 +1,1 @@\n-no such line\n+other line\n' >"$P/e-stale.patch"
make_patch "$TREE" kernel/core.c 's/x - 7/x - undeclared_thing/' "$P/f-broken.patch"
echo "not a patch" >"$P/README"
FAKE_CDO_REFUSE=drivers/demo/demo.o expect_batch 0 "patch directory: every fix finishes" \
	-s "$TREE" --report-dir "$R" --patches "$P"
check "split: one fixes/NNNN-name.patch per *.patch and *.diff, sorted" sh -c \
	"[ \"\$(cd '$R/fixes' && echo *)\" = '0001-a-core.patch 0002-b-demo.patch 0003-c-lib.patch 0004-d-doc.patch 0005-e-stale.patch 0006-f-broken.patch' ]"
check "split: the fix is the input patch" cmp -s "$P/a-core.patch" "$R/fixes/0001-a-core.patch"
check "verdicts: built, refused (differ), refused (driver), no change, does not apply, does not compile" verdicts_are "$R" \
	"0001-a-core=built 0002-b-demo=refused 0003-c-lib=refused 0004-d-doc=no-runtime-change 0005-e-stale=does-not-apply 0006-f-broken=does-not-compile"
check "exit statuses from kpatch-build" report_has "$R" '[.fixes[].exit_status] == [0, 2, 2, 3, 1, 1]'
check "report: format, version, times, inputs, options" report_has "$R" \
	".format == \"kpatch-batch-report\" and .tool_version != \"\" and (.started | test(\"^[0-9-]+T[0-9:]+Z$\"))
	 and (.ended | test(\"Z$\")) and .inputs == {kind: \"patches\", arguments: [\"$P\"]} and .options == [\"-s\", \"$TREE\"]"
check "report: totals per verdict" report_has "$R" \
	'.totals == {built: 1, refused: 2, "no-runtime-change": 1, "init-only": 0, "does-not-apply": 1, "does-not-compile": 1, error: 0, interrupted: 0, pending: 0} and .fixes_total == 6'
check "report: refusal table" report_has "$R" '.refusal_table == {"data-changed": 1, "unsupported-file": 1}'
check "report: the differ's refusal with function, object, file and line" report_has "$R" \
	'.fixes[1].refusals == [{code: "data-changed", function: "core_value", object: "drivers/demo/demo.o", file: "kernel/core.c", line: 3, message: "fake unsupported change"}]'
check "report: built fix has its changed function, module and stage times" report_has "$R" \
	".fixes[0] | .changed_functions[0].name == \"core_other\" and .changed_functions[0].object == \"kernel/core.o\"
	 and .module.path == \"$R/modules/0001-a-core.ko\" and .module.size > 0 and (.stage_times.build_patched | numbers)
	 and .seconds > 0 and .log == \"$R/logs/0001-a-core.log\" and .patch == \"$R/fixes/0001-a-core.patch\""
check "module: modules/FIX.ko of the reported size, only for the built fix" sh -c \
	"[ \"\$(cd '$R/modules' && echo *)\" = 0001-a-core.ko ] && [ \$(stat -c %s '$R/modules/0001-a-core.ko') = \$(jq .fixes[0].module.size '$R/report.json') ]"
check "results: one file per fix, no temporaries left" sh -c \
	"[ \$(ls '$R/results' | wc -l) = 6 ] && [ -z \"\$(find '$R' -name '*.tmp*')\" ] && [ ! -e '$R/.run' ]"
check "full build: each run keeps the tree until it ends (no overlap)" sh -c \
	"grep -q 'tree kept until the run ends' '$R/logs/0001-a-core.log' && ! grep -q 'tree released' '$R'/logs/*.log"
check "logs: console output and kpatch-build's build log" sh -c \
	"grep -q 'undeclared_thing' '$R/logs/0006-f-broken.log' && grep -q -- '---- kpatch-build log' '$R/logs/0001-a-core.log'"
check "progress: one line per fix with verdicts so far and an estimate" sh -c \
	"[ \$(grep -c -E '^\[[1-6]/6\] [0-9]{4}-[a-z-]+: [a-z-]+ \([0-9.]+s\) \| .* \| ~[0-9hms]+ left$' '$WORK/out') = 6 ] &&
	 grep -q -E '^\[6/6\] 0006-f-broken: does-not-compile .*\| built 1 refused 2 no-runtime-change 1 does-not-apply 1 does-not-compile 1 \|' '$WORK/out'"
check "junit: well-formed" xml_well_formed "$R/junit.xml"
junit_elements_are() {	# junit_elements_are FILE "TESTCASES FAILURES SKIPPED"
	[[ "$(junit_count "$1" testcase) $(junit_count "$1" failure) $(junit_count "$1" skipped)" == "$2" ]]
}
junit_suite_is() {	# junit_suite_is FILE "TESTS FAILURES SKIPPED"
	[[ "$(junit_suite_attr "$1" tests) $(junit_suite_attr "$1" failures) $(junit_suite_attr "$1" skipped)" == "$2" ]]
}
check "junit: 6 test cases, 2 failures, 3 skipped" junit_elements_are "$R/junit.xml" "6 2 3"
check "junit: suite counts match" junit_suite_is "$R/junit.xml" "6 2 3"
check "junit: failure names the verdict, skipped the refusal code, output is the log's end" sh -c \
	"grep -q '<failure type=\"does-not-compile\"' '$R/junit.xml' && grep -q 'skipped message=\"refused: data-changed: fake unsupported change\"' '$R/junit.xml' &&
	 grep -q '<testcase classname=\"kpatch-batch\" name=\"0006-f-broken\"' '$R/junit.xml' && grep -q 'undeclared_thing' '$R/junit.xml'"
check "tree identical after the batch" same_tree "$TREE" "$WORK/snap"

# --- the same command again: nothing is built; --fail-on
: >"$FAKE_CDO_LOG"
logs_before=$(stat -c '%n %Y %s' "$R"/logs/*)
expect_batch 0 "the same batch again" -s "$TREE" --report-dir "$R" --patches "$P"
check "resume: says how many fixes are skipped" output_has "6 of 6 fix\(es\) already have a final result"
check "resume: nothing built again" sh -c "[ ! -s '$FAKE_CDO_LOG' ] && [ \"\$(stat -c '%n %Y %s' '$R'/logs/*)\" = '$logs_before' ]"
check "resume: same verdicts" report_has "$R" '.totals.built == 1 and .totals["does-not-compile"] == 1 and (.fixes | length) == 6'
expect_batch 2 "--fail-on a verdict some fix got" -s "$TREE" --report-dir "$R" --patches "$P" --fail-on init-only,does-not-compile
check "--fail-on: says which verdict" output_has "1 fix\(es\) got the verdict does-not-compile"
expect_batch 0 "--fail-on verdicts no fix got" -s "$TREE" --report-dir "$R" --patches "$P" --fail-on error,init-only
expect_batch 4 "--fail-on an unknown verdict" -s "$TREE" --report-dir "$R" --patches "$P" --fail-on broken
make_patch "$TREE" fs/file.c 's/x + FS_ONLY/x - FS_ONLY/' "$P/g-file.patch"
expect_batch 4 "changed input in the same report directory" -s "$TREE" --report-dir "$R" --patches "$P"
check "changed input: refused with the reason and --restart" sh -c "grep -q 'input has changed' '$WORK/out' && grep -q -- --restart '$WORK/out'"
expect_batch 4 "other options in the same report directory" -s "$TREE" -R --report-dir "$R" --patches "$P"
check "other options: refused" output_has "other inputs or options"
check "a refused resume keeps the results" report_has "$R" '(.fixes | length) == 6'
rm -f "$P/g-file.patch"

# --- --trees: one fix per changed file (changed, added)
cp -a "$FIXTURES/tree" "$WORK/old"
cp -a "$FIXTURES/tree" "$WORK/new"
sed -i 's/x - 7/x - 9/' "$WORK/new/kernel/core.c"
sed -i 's/Nothing yet/Something/' "$WORK/new/Documentation/notes.rst"
echo '#define NEW_THING 1' >"$WORK/new/include/linux/added.h"
RT=$WORK/report-trees
expect_batch 0 "--trees" -s "$TREE" --report-dir "$RT" --trees "$WORK/old" "$WORK/new"
check "--trees: one fix per changed or added file, named after it" sh -c \
	"[ \"\$(cd '$RT/fixes' && echo *)\" = '0001-Documentation_notes.rst.patch 0002-include_linux_added.h.patch 0003-kernel_core.c.patch' ]"
check "--trees: each fix is a -p1 diff of its file" sh -c \
	"grep -q '^--- a/kernel/core.c' '$RT/fixes/0003-kernel_core.c.patch' && grep -q '^+++ b/include/linux/added.h' '$RT/fixes/0002-include_linux_added.h.patch'"
check "--trees: verdicts" verdicts_are "$RT" \
	"0001-Documentation_notes.rst=no-runtime-change 0002-include_linux_added.h=no-runtime-change 0003-kernel_core.c=built"
check "--trees: inputs recorded" report_has "$RT" ".inputs == {kind: \"trees\", arguments: [\"$WORK/old\", \"$WORK/new\"]}"
# --restart: another input in the same directory, the old results discarded
cp -a "$FIXTURES/tree" "$WORK/new2"
sed -i 's/Nothing yet/Other/' "$WORK/new2/Documentation/notes.rst"
expect_batch 0 "--restart with another input" -s "$TREE" --report-dir "$RT" --trees "$WORK/old" "$WORK/new2" --restart
check "--restart: only the new input's fix, no result or module of the old batch left" sh -c \
	"[ \"\$(cd '$RT' && echo fixes/* results/* modules/*)\" = 'fixes/0001-Documentation_notes.rst.patch results/0001-Documentation_notes.rst.json modules/*' ]"
check "--restart: the report has only the new fix" verdicts_are "$RT" "0001-Documentation_notes.rst=no-runtime-change"

# --- --git: one fix per commit of the range
G=$WORK/git
cp -a "$FIXTURES/tree" "$G"
git -C "$G" init -q
git -C "$G" -c user.name=t -c user.email=t@t add -A
git -C "$G" -c user.name=t -c user.email=t@t commit -q -m base
sed -i 's/x - 7/x - 10/' "$G/kernel/core.c"
git -C "$G" -c user.name=t -c user.email=t@t commit -q -a -m "core: subtract ten"
sed -i 's/- 5/- 11/' "$G/drivers/demo/demo.c"
git -C "$G" -c user.name=t -c user.email=t@t commit -q -a -m "demo: probe fix"
RG=$WORK/report-git
expect_batch 0 "--git" -s "$TREE" --report-dir "$RG" --git "$G" HEAD~2..HEAD
check "--git: one fix per commit, named by git" sh -c \
	"[ \"\$(cd '$RG/fixes' && echo *)\" = '0001-core-subtract-ten.patch 0002-demo-probe-fix.patch' ]"
check "--git: verdicts" verdicts_are "$RG" "0001-core-subtract-ten=built 0002-demo-probe-fix=built"
check "--git: modules" test -s "$RG/modules/0002-demo-probe-fix.ko"
check "tree identical after the trees and git batches" same_tree "$TREE" "$WORK/snap"

# --- interrupted mid-batch, then resumed
PI=$WORK/patches-int
RI=$WORK/report-int
mkdir -p "$PI"
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$PI/1-core.patch"
make_patch "$TREE" fs/file.c 's|x + FS_ONLY;|x - FS_ONLY; /* SLOW_MARKER */|' "$PI/2-slow.patch"
make_patch "$TREE" drivers/demo/demo.c 's/- 5/- 6/' "$PI/3-demo.patch"
interrupt_batch fs/file.o -s "$TREE" --report-dir "$RI" --patches "$PI"
check "SIGINT mid-batch: exit 130" test "$STATUS" = 130
check "SIGINT: the message says how to resume" output_has "SIGINT received: stopped; .* the same command resumes"
check "SIGINT: the finished fix is kept, the running one is interrupted, the last not started" verdicts_are "$RI" \
	"0001-1-core=built 0002-2-slow=interrupted"
check "SIGINT: report totals" report_has "$RI" '.totals.built == 1 and .totals.interrupted == 1 and .totals.pending == 1'
check "SIGINT: junit written" xml_well_formed "$RI/junit.xml"
check "SIGINT: no build left running" sh -c "! pgrep -f -x 'sleep 47' >/dev/null"
check "SIGINT: tree identical" same_tree "$TREE" "$WORK/snap"
: >"$FAKE_CDO_LOG"
core_log=$(stat -c '%Y %s' "$RI/logs/0001-1-core.log")
expect_batch 0 "resumed batch" -s "$TREE" --report-dir "$RI" --patches "$PI"
check "resume: one fix skipped" output_has "1 of 3 fix\(es\) already have a final result"
check "resume: the finished fix not built again" sh -c \
	"! grep -q 'kernel/core.o' '$FAKE_CDO_LOG' && [ \"\$(stat -c '%Y %s' '$RI/logs/0001-1-core.log')\" = '$core_log' ]"
check "resume: the rest built" verdicts_are "$RI" "0001-1-core=built 0002-2-slow=built 0003-3-demo=built"
check "resume: tree identical" same_tree "$TREE" "$WORK/snap"

# --- bad input and usage
mkdir -p "$WORK/empty"
expect_batch 4 "--patches: missing directory" -s "$TREE" --report-dir "$WORK/rb" --patches "$WORK/missing"
check "missing directory named" output_has "'$WORK/missing' is not a directory"
expect_batch 4 "--option=value and -jN forms are understood" -s "$TREE" -j2 --report-dir="$WORK/rb" --patches="$WORK/missing"
check "--patches=DIR: its directory is checked" output_has "--patches: '$WORK/missing' is not a directory"
expect_batch 4 "--patches: no patches" -s "$TREE" --report-dir "$WORK/rb" --patches "$WORK/empty"
check "no patches: says so" output_has "no \*.patch or \*.diff files"
expect_batch 4 "--git: bad range" -s "$TREE" --report-dir "$WORK/rb" --git "$G" HEAD~2..nosuchrev
check "bad range: names the revision" output_has "'nosuchrev' is not a commit"
expect_batch 4 "--git: not a range" -s "$TREE" --report-dir "$WORK/rb" --git "$G" HEAD
expect_batch 4 "--git: empty range" -s "$TREE" --report-dir "$WORK/rb" --git "$G" HEAD..HEAD
expect_batch 4 "--git: not a repository" -s "$TREE" --report-dir "$WORK/rb" --git "$WORK/empty" HEAD~1..HEAD
expect_batch 4 "--trees: identical trees" -s "$TREE" --report-dir "$WORK/rb" --trees "$WORK/old" "$WORK/old"
expect_batch 4 "--trees: one argument only" -s "$TREE" --report-dir "$WORK/rb" --trees "$WORK/old"
expect_batch 4 "two inputs" -s "$TREE" --report-dir "$WORK/rb" --patches "$P" --trees "$WORK/old" "$WORK/new"
expect_batch 4 "no --report-dir" -s "$TREE" --patches "$P"
expect_batch 4 "-o is kpatch-batch's" -s "$TREE" -o "$WORK" --report-dir "$WORK/rb" --patches "$P"
check "bad input: nothing written" test ! -e "$WORK/rb"
expect_batch 4 "kpatch-build rejects an option: the batch stops at once" -s "$TREE" -j 0 --report-dir "$WORK/rj" --patches "$P"
check "kpatch-build's message shown" output_has "needs a positive number"
check "tree identical at the end" same_tree "$TREE" "$WORK/snap"

# --- partial builds: one kpatch-build --batch-originals before the fixes
# makes the originals of all of them in one make and runs the checks once;
# each fix's own run then finds its originals up to date. make is logged
# through a wrapper first in PATH.
mkdir -p "$WORK/make-wrapper"
MAKE_LOG=$WORK/make.log
printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s"\nexec %s "$@"\n' "$MAKE_LOG" "$(command -v make)" >"$WORK/make-wrapper/make"
chmod +x "$WORK/make-wrapper/make"
partial_test_setup 9.9.9-test	# TREE is now the partial tree
PARTIAL_ARGS=("${ARGS[@]:0:${#ARGS[@]}-2}")	# without -o
PP=$WORK/patches-partial
RP=$WORK/report-partial
mkdir -p "$PP"
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$PP/1-core.patch"
make_patch "$TREE" drivers/demo/demo.c 's/- 5/- 6/' "$PP/2-demo.patch"
make_patch "$TREE" include/linux/shared.h 's/FACTOR 3/FACTOR 4/' "$PP/3-header.patch"
make_patch "$TREE" fs/file.c 's/x + FS_ONLY/x + undeclared_thing/' "$PP/4-broken.patch"
: >"$MAKE_LOG"
PATH=$WORK/make-wrapper:$PATH expect_batch 0 "partial: every fix finishes" \
	"${PARTIAL_ARGS[@]}" --report-dir "$RP" --patches "$PP"
check "partial: verdicts as single runs give them" verdicts_are "$RP" \
	"0001-1-core=built 0002-2-demo=built 0003-3-header=built 0004-4-broken=does-not-compile"
check "originals: one make of all the fixes' originals, the header's units included" sh -c \
	"[ \"\$(grep -c -- ' -k ' '$MAKE_LOG')\" = 1 ] &&
	 grep -- ' -k ' '$MAKE_LOG' | grep -q -E ' -k drivers/demo/demo.o fs/file.o kernel/core.o lib/util.o\$'"
check "originals: no fix's run makes its originals again" sh -c \
	"[ \$(grep -c 'Building original objects .*up to date (make skipped)' '$RP'/logs/*.log | awk -F: '{ n += \$2 } END { print n }') -ge 4 ] &&
	 ! grep -q -E '^Building original objects \.\.\. done \([0-9]+s, [0-9]+ object\(s\)(, [0-9]+ up to date)?\)' '$RP'/logs/*.log"
# kbuild makes but for the tree's preparation and the originals
other_makes=$(grep -F 'KCFLAGS=' "$MAKE_LOG" | grep -v -E ' (olddefconfig|modules_prepare)$| -k ' || true)
only_one_make_of() {	# only_one_make_of OBJECT: the one line of other_makes names it
	[[ $other_makes == *" $1" && $other_makes != *$'\n'* ]] || { echo "    makes: $other_makes"; return 1; }
}
check "originals: the patched builds replay; only the broken fix's make, to report its error" only_one_make_of fs/file.o

check "checks: made once, by the originals run" sh -c \
	"grep -q '^Checking kernel configuration' '$RP/originals.log' && ! grep -q '^Checking kernel configuration' '$RP'/logs/*.log &&
	 [ \$(grep -l 'checked by kpatch-batch' '$RP'/logs/*.log | wc -l) = 4 ]"
check "original objects: each fix's run takes the originals run's check of them" sh -c \
	"[ \$(grep -l \"^replay: [^ ]*: up to date, as kpatch-batch's originals run found it just before; make skipped\$\" '$RP'/logs/*.log | wc -l) -ge 3 ] &&
	 [ -f \"\$(echo '$KPATCH_BUILD_CACHE'/trees/*/batch-originals/kernel/core.o.sh)\" ]"
check "facts: each fix's run takes the prepared-tree key and replay rules from the originals run" sh -c \
	"[ \$(grep -l \"^prepared-tree key and replay rules: as kpatch-batch's originals run found them\$\" '$RP'/logs/*.log | wc -l) = 4 ] &&
	 ! grep -q 'as kpatch-batch.s originals run found them' '$RP/originals.log'"
# a record older than its object is not taken: the fix's run checks again
record=$(echo "$KPATCH_BUILD_CACHE"/trees/*/batch-originals/kernel/core.o.sh)
touch -d '2000-01-01' "$record"
expect_status 0 "a fix's run after its object changed" "${PARTIAL_ARGS[@]}" --batch-checked -n lp-recheck -o "$WORK/out-dir" "$PP/1-core.patch"
check "a fix's run after its object changed: checks it itself" sh -c \
	"grep -q '^replay: kernel/core.o: up to date by kbuild.s recorded dependencies; make skipped' '$KPATCH_BUILD_CACHE/last-build.log' &&
	 ! grep -q 'originals run found it' '$KPATCH_BUILD_CACHE/last-build.log'"
rm -f "$WORK/out-dir/lp-recheck.ko"
check "source scan: by the originals run only, not again by each fix's" sh -c \
	"! grep -q '^source scan: none' '$RP/originals.log' &&
	 [ \$(grep -l \"^source scan: none, kpatch-batch's --batch-originals run made the tree current\$\" '$RP'/logs/*.log | wc -l) = 4 ]"
# each fix's log ends with its own run's build log, never the one of the
# fix that started meanwhile (the shared last-build.log)
own_build_logs() {
	local log fix
	for log in "$RP"/logs/*.log; do
		fix=$(basename "$log" .log)
		# (grep reads to the end: sed must not die of SIGPIPE under pipefail)
		sed -n '/^---- kpatch-build log /,$p' "$log" | grep -- "-n livepatch-$fix " >/dev/null ||
			{ echo "    not its own: $log"; return 1; }
	done
}
check "logs: each fix's log has its own run's build log" own_build_logs
check "template: not compiled ahead by a second build-module in a fix's run" sh -c \
	"[ \$(grep -l '^Building module' '$RP'/logs/*.log | wc -l) -ge 1 ] &&
	 [ \$(grep -l '^Building module' '$RP'/logs/*.log | xargs grep -l '^template: not compiled ahead (a kpatch-batch fix' | wc -l) = \$(grep -l '^Building module' '$RP'/logs/*.log | wc -l) ]"
check "report: the originals run, its time and log" report_has "$RP" \
	".originals.exit_status == 0 and .originals.seconds > 0 and .originals.log == \"$RP/originals.log\""
check "report: no check stages in the fixes' times" report_has "$RP" \
	'[.fixes[].stage_times | has("check_config") or has("check_compiler")] | any | not'
snapshot "$TREE" >"$WORK/snap-partial"

# the same again: nothing to build, so no originals run either
: >"$MAKE_LOG"
PATH=$WORK/make-wrapper:$PATH expect_batch 0 "partial: resumed with every fix done" \
	"${PARTIAL_ARGS[@]}" --report-dir "$RP" --patches "$PP"
check "resume: no originals run, no make" sh -c "! grep -q 'original objects' '$WORK/out' && [ ! -s '$MAKE_LOG' ]"

# --- overlap (no private trees: KPATCH_BATCH_PRIVATE=0, or a machine that
# cannot mount them): a fix's run hands the tree on after its patched
# build, and the next fix compiles while it diffs, links and verifies. Fix 1's differ
# waits until fix 2's whole run has ended (its result file), then refuses:
# only an overlap lets it see that file; the report stays in fix order.
PO=$WORK/patches-overlap
RO=$WORK/report-overlap
mkdir -p "$PO"
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$PO/1-core.patch"
make_patch "$TREE" drivers/demo/demo.c 's/- 5/- 6/' "$PO/2-demo.patch"
: >"$FAKE_CDO_LOG"
KPATCH_BATCH_PRIVATE=0 FAKE_CDO_WAIT_OBJ=kernel/core.o FAKE_CDO_WAIT_FOR=$RO/.run/0002-2-demo/result.json FAKE_CDO_REFUSE=kernel/core.o \
	expect_batch 0 "overlap: fix 2 runs while fix 1 diffs" "${PARTIAL_ARGS[@]}" --report-dir "$RO" --patches "$PO"
check "overlap: fix 2 ended while fix 1's differ ran" sh -c \
	"grep -q -x 'wait: appeared' '$FAKE_CDO_LOG' && grep -q 'tree released to kpatch-batch' '$RO/logs/0001-1-core.log'"
check "overlap: a failure in the background half is its own fix's verdict only" verdicts_are "$RO" \
	"0001-1-core=refused 0002-2-demo=built"
check "overlap: exit statuses and module of the built fix only" sh -c \
	"jq -e '[.fixes[].exit_status] == [2, 0]' '$RO/report.json' >/dev/null &&
	 [ \"\$(cd '$RO/modules' && echo *)\" = 0002-2-demo.ko ] && [ ! -e '$RO/.run' ]"
check "overlap: progress lines in fix order" sh -c \
	"grep -o '^\\[[0-9]/2\\] [^:]*' '$WORK/out' | tr '\\n' ' ' | grep -q -x '\\[1/2\\] 0001-1-core \\[2/2\\] 0002-2-demo '"
check "overlap: junit in fix order" sh -c \
	"[ \"\$(grep -o ' name=\"000[0-9][^\"]*\"' '$RO/junit.xml' | tr -d '\\n')\" = ' name=\"0001-1-core\" name=\"0002-2-demo\"' ]"
check "overlap: tree identical" same_tree "$TREE" "$WORK/snap-partial"

# a next fix that changes a header is not overlapped (the module's own
# compiles read headers): fix 1's differ waits 3 s for fix 2's log in vain
PH=$WORK/patches-overlap-header
RH=$WORK/report-overlap-header
mkdir -p "$PH"
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$PH/1-core.patch"
make_patch "$TREE" include/linux/shared.h 's/FACTOR 3/FACTOR 4/' "$PH/2-header.patch"
: >"$FAKE_CDO_LOG"
KPATCH_BATCH_PRIVATE=0 FAKE_CDO_WAIT_OBJ=kernel/core.o FAKE_CDO_WAIT_FOR=$RH/logs/0002-2-header.log FAKE_CDO_WAIT_TENTHS=30 \
	expect_batch 0 "overlap: a header fix waits" "${PARTIAL_ARGS[@]}" --report-dir "$RH" --patches "$PH"
check "overlap: the header fix started after fix 1 ended" sh -c "grep -q -x 'wait: timed out' '$FAKE_CDO_LOG'"
check "overlap: the header batch's verdicts" verdicts_are "$RH" "0001-1-core=built 0002-2-header=built"

# interrupted while both halves run: fix 1 in its differ (waiting for a
# file that never comes), fix 2 compiling slowly (by make: replay off)
PB=$WORK/patches-overlap-int
RB=$WORK/report-overlap-int
mkdir -p "$PB"
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$PB/1-core.patch"
make_patch "$TREE" fs/file.c 's|x + FS_ONLY;|x - FS_ONLY; /* SLOW_MARKER */|' "$PB/2-slow.patch"
make_patch "$TREE" drivers/demo/demo.c 's/- 5/- 6/' "$PB/3-demo.patch"
: >"$FAKE_CDO_LOG"
INTERRUPT_ALSO=(grep -q -x 'wait: started' "$FAKE_CDO_LOG")
KPATCH_BATCH_PRIVATE=0 FAKE_CDO_WAIT_OBJ=kernel/core.o FAKE_CDO_WAIT_FOR=$WORK/never KPATCH_BUILD_REPLAY=0 \
	interrupt_batch fs/file.o "${PARTIAL_ARGS[@]}" --report-dir "$RB" --patches "$PB"
INTERRUPT_ALSO=(true)
check "SIGINT during an overlap: exit 130" test "$STATUS" = 130
check "SIGINT during an overlap: both running fixes interrupted, the third pending" sh -c \
	"jq -e '[.fixes[] | \"\\(.name)=\\(.verdict)\"] == [\"0001-1-core=interrupted\", \"0002-2-slow=interrupted\"] and .totals.pending == 1' '$RB/report.json' >/dev/null"
# none_left_of_this_test: no slow compile (run in this test's tree) and no
# differ of this test's runs still there; names what is left
none_left_of_this_test() {
	local pid left=()
	for pid in $(pgrep -f -x 'sleep 47'); do
		[[ $(readlink "/proc/$pid/cwd" 2>/dev/null) != "$WORK"* ]] || left+=("$pid")
	done
	mapfile -t -O "${#left[@]}" left < <(pgrep -f "fake-create-diff-object .*$WORK/")
	((${#left[@]} == 0)) && return 0
	ps -o pid,ppid,pgid,args -p "$(IFS=,; echo "${left[*]}")" | sed 's/^/    left: /'
	return 1
}
check "SIGINT during an overlap: no build or differ left running" none_left_of_this_test
check "SIGINT during an overlap: tree identical" same_tree "$TREE" "$WORK/snap-partial"
KPATCH_BATCH_PRIVATE=0 expect_batch 0 "resumed after an interrupted overlap" "${PARTIAL_ARGS[@]}" --report-dir "$RB" --patches "$PB"
check "resume after an overlap: every fix built" verdicts_are "$RB" "0001-1-core=built 0002-2-slow=built 0003-3-demo=built"
check "resume after an overlap: tree identical" same_tree "$TREE" "$WORK/snap-partial"

# --- private trees: where the originals run's probe can mount an overlay
# of the tree in a mount namespace of its own (root, overlayfs), every fix
# builds in its own view of the tree and two run at once, whatever they
# change: a header, or the same file as the other fix.
private_dirs_left() {	# private_dirs_left: scratch directories of private runs
	find "$KPATCH_BUILD_CACHE"/trees/*/private -mindepth 1 2>/dev/null | sed 's/^/    left: /' | grep . && return 1
	return 0
}
if unshare --mount --propagation private true 2>/dev/null; then
	PV=$WORK/patches-private
	RV=$WORK/report-private
	mkdir -p "$PV"
	make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$PV/1-core.patch"
	make_patch "$TREE" include/linux/shared.h 's/FACTOR 3/FACTOR 4/' "$PV/2-header.patch"
	make_patch "$TREE" kernel/core.c 's/x - 7/x - 9/' "$PV/3-core-again.patch"
	make_patch "$TREE" drivers/demo/demo.c 's/- 5/- 6/' "$PV/4-demo.patch"
	# fix 1's differ waits for fix 2's (a header's) whole run; fix 3 changes
	# fix 1's file while fix 1 still runs
	: >"$FAKE_CDO_LOG"
	FAKE_CDO_WAIT_OBJ=kernel/core.o FAKE_CDO_WAIT_NAME=livepatch-0001-1-core FAKE_CDO_WAIT_FOR=$RV/.run/0002-2-header/result.json \
		expect_batch 0 "private trees: four fixes" "${PARTIAL_ARGS[@]}" --report-dir "$RV" --patches "$PV"
	check "private trees: the originals run's probe passed, two fixes at a time" sh -c \
		"grep -q '^Private trees for the fixes: yes' '$RV/originals.log' &&
		 grep -q '^kpatch-batch: 2 fixes at a time, each in a private view of the tree' '$WORK/out'"
	check "private trees: each fix's run in its own overlay" sh -c \
		"[ \$(grep -l '^private tree: overlay over $TREE' '$RV'/logs/*.log | wc -l) = 4 ]"
	check "private trees: a header fix ran while fix 1 diffed" sh -c "grep -q -x 'wait: appeared' '$FAKE_CDO_LOG'"
	check "private trees: verdicts, in fix order" verdicts_are "$RV" \
		"0001-1-core=built 0002-2-header=built 0003-3-core-again=built 0004-4-demo=built"
	check "private trees: progress lines in fix order" sh -c \
		"grep -o '^\\[[0-9]/4\\] [^:]*' '$WORK/out' | tr '\\n' ' ' | grep -q -x '\\[1/4\\] 0001-1-core \\[2/4\\] 0002-2-header \\[3/4\\] 0003-3-core-again \\[4/4\\] 0004-4-demo '"
	check "private trees: every module built at the one path, in its run's own slot" sh -c \
		"[ \$(grep -l '^module build directory: slot-[0-9]*, at $KPATCH_BUILD_CACHE/trees/[^/]*/module-build/build\$' '$RV'/logs/*.log | wc -l) = 4 ]"
	check "private trees: the tree never written (bytes and times)" same_tree "$TREE" "$WORK/snap-partial"
	check "private trees: no scratch directory left" private_dirs_left
	# the same fixes taking turns in the tree: byte-identical modules
	RT=$WORK/report-turns
	KPATCH_BATCH_PRIVATE=0 expect_batch 0 "private trees off: the same fixes" "${PARTIAL_ARGS[@]}" --report-dir "$RT" --patches "$PV"
	check "private trees off: said in the originals run's log, fixes take turns" sh -c \
		"! grep -q 'Private trees' '$RT/originals.log' && ! grep -q 'private view' '$WORK/out' &&
		 ! grep -q '^private tree: overlay' '$RT'/logs/*.log"
	check "private trees: modules byte-identical to those built in the tree" sh -c \
		"for m in '$RT'/modules/*.ko; do cmp \"\$m\" '$RV'/modules/\$(basename \"\$m\"); done &&
		 [ \$(ls '$RV/modules' | wc -l) = 4 ]"
	check "private trees: fix 1 and fix 3 changed the same file differently" sh -c \
		"! cmp -s '$RV/modules/0001-1-core.ko' '$RV/modules/0003-3-core-again.ko'"

	# a machine where the overlay cannot be mounted: the probe says so and
	# the fixes take turns in the tree
	mkdir -p "$WORK/no-unshare"
	printf '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n' >"$WORK/no-unshare/unshare"
	chmod +x "$WORK/no-unshare/unshare"
	RN=$WORK/report-no-unshare
	PATH=$WORK/no-unshare:$PATH expect_batch 0 "private trees impossible: the batch goes on" \
		"${PARTIAL_ARGS[@]}" --report-dir "$RN" --patches "$PV"
	check "private trees impossible: the probe's reason logged, fixes take turns" sh -c \
		"grep -q '^Private trees for the fixes: no, a private overlay of the tree cannot be mounted here' '$RN/originals.log' &&
		 ! grep -q 'private view' '$WORK/out' && grep -q 'tree released to kpatch-batch' '$RN/logs/0001-1-core.log'"
	check "private trees impossible: same verdicts" verdicts_are "$RN" \
		"0001-1-core=built 0002-2-header=built 0003-3-core-again=built 0004-4-demo=built"

	# SIGINT while two private runs compile (slowly, by make): both
	# interrupted, nothing to restore, no overlay or scratch left; resumed
	PS=$WORK/patches-private-int
	RS=$WORK/report-private-int
	mkdir -p "$PS"
	make_patch "$TREE" fs/file.c 's|x + FS_ONLY;|x - FS_ONLY; /* SLOW_MARKER */|' "$PS/1-slow.patch"
	make_patch "$TREE" kernel/core.c 's|x - 7|x - 8 /* SLOW_MARKER */|' "$PS/2-slow-core.patch"
	make_patch "$TREE" drivers/demo/demo.c 's/- 5/- 6/' "$PS/3-demo.patch"
	both_compiling() {
		[[ $(grep -l 'CC *\(fs/file\|kernel/core\).o' "$KPATCH_BUILD_CACHE"/trees/*/private/*/build.log 2>/dev/null | wc -l) == 2 ]]
	}
	INTERRUPT_ALSO=(both_compiling)
	KPATCH_BUILD_REPLAY=0 interrupt_batch fs/file.o "${PARTIAL_ARGS[@]}" --report-dir "$RS" --patches "$PS"
	INTERRUPT_ALSO=(true)
	check "SIGINT in private trees: exit 130" test "$STATUS" = 130
	check "SIGINT in private trees: both running fixes interrupted, the third pending" sh -c \
		"jq -e '[.fixes[] | \"\\(.name)=\\(.verdict)\"] == [\"0001-1-slow=interrupted\", \"0002-2-slow-core=interrupted\"] and .totals.pending == 1' '$RS/report.json' >/dev/null"
	check "SIGINT in private trees: no build left running" none_left_of_this_test
	check "SIGINT in private trees: tree identical" same_tree "$TREE" "$WORK/snap-partial"
	check "SIGINT in private trees: no scratch directory left" private_dirs_left
	expect_batch 0 "resumed after an interrupt in private trees" "${PARTIAL_ARGS[@]}" --report-dir "$RS" --patches "$PS"
	check "resume in private trees: every fix built" verdicts_are "$RS" "0001-1-slow=built 0002-2-slow-core=built 0003-3-demo=built"

	# a private run killed with -9 leaves its scratch directory (its overlay
	# went with its namespace); the next private run removes it, and the
	# tree was never touched
	PK=$WORK/patches-private-kill
	RK=$WORK/report-private-kill
	mkdir -p "$PK"
	make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$PK/1-core.patch"
	: >"$FAKE_CDO_LOG"
	FAKE_CDO_WAIT_OBJ=kernel/core.o FAKE_CDO_WAIT_FOR=$WORK/never "$KPATCH_BATCH" "${PARTIAL_ARGS[@]}" \
		--report-dir "$RK" --patches "$PK" >"$WORK/bg.out" 2>&1 &
	bg=$!
	for ((i = 0; i < 600; i++)); do
		pid=$(pgrep -f -- "--batch-private-tree .*-n livepatch-0001-1-core " | head -n 1) || true
		[[ -n $pid ]] && grep -q -x 'wait: started' "$FAKE_CDO_LOG" 2>/dev/null && break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$bg" || true
	pkill -f "fake-create-diff-object .*$WORK/" 2>/dev/null || true
	check "kill -9 of a private run: its scratch directory is left" sh -c "ls -d '$KPATCH_BUILD_CACHE'/trees/*/private/livepatch-0001-1-core.* >/dev/null"
	check "kill -9 of a private run: its verdict is an error" verdicts_are "$RK" "0001-1-core=error"
	check "kill -9 of a private run: tree identical" same_tree "$TREE" "$WORK/snap-partial"
	: >"$FAKE_CDO_LOG"
	expect_batch 0 "after a private run was killed: built again" "${PARTIAL_ARGS[@]}" --restart --report-dir "$RK" --patches "$PK"
	check "after a private run was killed: its scratch directory removed" private_dirs_left
else
	echo "SKIP private trees: this machine cannot make a mount namespace (unshare --mount: not root?)"
fi

# interrupted while the originals compile: nothing finished, the tree as
# it was, and the next run builds everything
echo '/* SLOW_MARKER */' >>"$TREE/kernel/core.c"
rm -f "$TREE/kernel/core.o"
PI2=$WORK/patches-partial-int
RI2=$WORK/report-partial-int
mkdir -p "$PI2"
make_patch "$TREE" kernel/core.c 's/x - 7/x - 9/' "$PI2/1-core.patch"
snapshot "$TREE" >"$WORK/snap-int"
interrupt_batch kernel/core.o "${PARTIAL_ARGS[@]}" --report-dir "$RI2" --patches "$PI2"
check "SIGINT in the originals run: exit 130" test "$STATUS" = 130
check "SIGINT in the originals run: no fix started, the run's status reported" report_has "$RI2" \
	'.totals.pending == 1 and (.fixes | length) == 0 and .originals.exit_status == 143'
check "SIGINT in the originals run: no build left running" sh -c "! pgrep -f -x 'sleep 47' >/dev/null"
check "SIGINT in the originals run: tree identical" same_tree "$TREE" "$WORK/snap-int"
expect_batch 0 "resumed after the originals run was interrupted" "${PARTIAL_ARGS[@]}" --report-dir "$RI2" --patches "$PI2"
check "resume: the fix built" verdicts_are "$RI2" "0001-1-core=built"

# the originals run fails its checks: each fix still runs, checks and
# reports for itself
grep -v '^CONFIG_LIVEPATCH=' "$WORK/kernel.config" >"$WORK/nolp.config"
RC=$WORK/report-partial-check
expect_batch 0 "partial: a config that cannot be livepatched" \
	"${PARTIAL_ARGS[@]/$WORK\/kernel.config/$WORK/nolp.config}" --report-dir "$RC" --patches "$PI2"
check "failed originals run: said, and its log kept" sh -c \
	"grep -q 'building the original objects failed (exit 1' '$WORK/out' && grep -q 'CONFIG_LIVEPATCH must be y' '$RC/originals.log'"
check "failed originals run: the fix checks for itself and reports the reason" sh -c \
	"grep -q 'CONFIG_LIVEPATCH must be y' '$RC/logs/0001-1-core.log' && ! grep -q 'checked by kpatch-batch' '$RC/logs/0001-1-core.log'"
check "failed originals run: the fix's verdict" verdicts_are "$RC" "0001-1-core=error"
finish
