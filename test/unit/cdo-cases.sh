#!/usr/bin/env bash
# create-diff-object on small C programs compiled here the way kbuild
# compiles the kernel: each case is an original and a patched source and
# what the differ must conclude.
set -euo pipefail

build=${1:-${BUILD:-build}}
cdo=$(realpath "$build/create-diff-object/create-diff-object")
verify=$(realpath "$build/verify/kpatch-verify")
# shellcheck source-path=SCRIPTDIR source=kernel-cflags.sh
source "$(dirname "${BASH_SOURCE[0]}")/kernel-cflags.sh"
# shellcheck source-path=SCRIPTDIR source=cdo-case-helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/cdo-case-helpers.sh"
fixtures=$(realpath "$(dirname "${BASH_SOURCE[0]}")/cdo-fixtures")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
passed=0
failed=0
ibt_flags=("-fpatchable-function-entry=16,16" -fcf-protection=branch
	   -mindirect-branch=thunk-extern -mfunction-return=thunk-extern)

# run_case NAME EXPECTED-EXIT [extra gcc flags...]; sources in NAME.orig.c, NAME.patched.c
run_case() {
	case=$1
	local want=$2 status=0
	shift 2
	compile_pair gcc "${cflags[@]}" "$@"
	readelf -s --wide "$case.orig.o" >"$case.symtab"
	if [[ -n ${STRIPPED_MODULE_WITH:-} ]]; then
		# the parent: a module of this object and another source file,
		# its FILE symbols stripped the way distributions ship modules
		gcc "${cflags[@]}" "$@" -o "$case.other.o" "$STRIPPED_MODULE_WITH"
		ld -r -o "$case.ko" "$case.orig.o" "$case.other.o"
		objcopy --strip-symbol="$case.c" --strip-symbol="$STRIPPED_MODULE_WITH" "$case.ko"
		readelf -s --wide "$case.ko" >"$case.symtab"
		if grep -q ' FILE ' "$case.symtab"; then
			fail "the stripped module still has FILE symbols"
			return 1
		fi
	fi
	printf '0x12345678\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n' >"$case.symvers"
	if [[ -n ${SYMVERS_EXTRA:-} ]]; then printf '%s\n' "$SYMVERS_EXTRA" >>"$case.symvers"; fi
	JUMP_STRUCT_SIZE=16 "$cdo" ${CDO_OPTION:+"$CDO_OPTION"} --report "$case.json" "$case.orig.o" "$case.patched.o" "${PARENT:-vmlinux}" "$case.symtab" \
		"$case.symvers" test "$case.out.o" >"$case.stdout" 2>"$case.stderr" || status=$?
	if ((status != want)); then
		fail "exit status $status, expected $want: $(cat "$case.stderr")"
		return 1
	fi
	# the report is valid JSON and says what the text output says
	local text json
	text=$(sed -n 's/^.*: \(changed\|new\) function: \(.*\)$/\1 \2/p' "$case.stdout" | sort)
	if ! json=$(jq -r '.functions[] | "\(.status) \(.name)"' "$case.json" 2>&1); then
		fail "the report is not valid JSON: $json"
		return 1
	fi
	if [[ $(sort <<<"$json") != "$text" ]]; then
		fail "report functions {$json} differ from the text output {$text}"
		return 1
	fi
	if [[ $(jq -r .exit_status "$case.json") != "$status" ]]; then
		fail "report exit_status differs from the exit status $status"
		return 1
	fi
	# every output passes kpatch-verify, which shares no differ code
	if ((status == 0)) && ! JUMP_STRUCT_SIZE=16 "$verify" --parent "${PARENT:-vmlinux}" \
		"$case.orig.o" "$case.patched.o" "$case.out.o" "$case.symtab" >"$case.verify" 2>&1; then
		fail "kpatch-verify: $(grep -m 1 -E 'FAILED|ERROR' "$case.verify")"
		return 1
	fi
	return 0
}

# 1. A string literal changes: one changed function, the unchanged local
#    helper is reached through a klp relocation to the running kernel's copy.
cat >string.orig.c <<'C'
extern int printk(const char *fmt, ...);
static __attribute__((noinline)) int helper(int x) { return printk("helper %d\n", x); }
int show(int x) { return helper(x) + printk("value: %d\n", x); }
C
sed 's/value: /VALUE: /' string.orig.c >string.patched.c
run_case string 0 && expect_funcs changed "show" && expect_funcs new "" &&
	expect_json '"symbol": "helper", "objname": "vmlinux", "sympos": 0' &&
	expect_json 'string used at \+0x[0-9a-f]+ changed: \\"VALUE' && pass

# 2. The same under IBT and CALL_PADDING (endbr64, 16 bytes of padding
#    before each function, return thunks).
cp string.orig.c ibt.orig.c
cp string.patched.c ibt.patched.c
if run_case ibt 0 "${ibt_flags[@]}" && expect_funcs changed "show"; then
	if objdump -d ibt.out.o | grep -q 'endbr64' &&
	   readelf -sW ibt.out.o | grep -Eq ' 0*10 +[0-9]+ FUNC +LOCAL +DEFAULT +[0-9]+ show$'; then
		pass
	else
		fail "the output function lost its padding or ENDBR"
	fi
fi

# 3. A new function called from a changed one; the printk export stays an
#    ordinary relocation (no klp relocation for exported vmlinux symbols).
cat >newfn.orig.c <<'C'
extern int printk(const char *fmt, ...);
int work(int x) { return x * 3; }
C
cat >newfn.patched.c <<'C'
extern int printk(const char *fmt, ...);
static __attribute__((noinline)) int added(int x) { printk("added\n"); return x + 1; }
int work(int x) { return added(x) * 3; }
C
if run_case newfn 0 && expect_funcs changed "work" && expect_funcs new "added"; then
	if grep -q '"symbol": "printk"' newfn.json; then fail "exported printk became a klp relocation"; else pass; fi
fi

# 3c. arch/x86/kvm/svm/svm.c's fix (6.12.113): the module's static call
#     sites are written by objtool at its link, naming the key when the
#     object has the key's symbol (tracepoints' __ADDRESSABLE() puts it
#     there) and the trampoline otherwise; the kernel refuses a trampoline
#     whose key is exported. The output keeps an exported key's symbol.
cat >sckey.orig.c <<'C'
extern int printk(const char *fmt, ...);
struct static_call_key;
extern struct static_call_key __SCK__tp_func_demo, __SCK__unexported;
extern void __SCT__tp_func_demo(int), __SCT__unexported(int);
static void *__attribute__((used, section(".discard.addressable"))) addressable_1 = &__SCK__tp_func_demo;
static void *__attribute__((used, section(".discard.addressable"))) addressable_2 = &__SCK__unexported;
int show(int x) { __SCT__tp_func_demo(x); __SCT__unexported(x); return printk("value: %d\n", x); }
C
sed 's/value: /VALUE: /' sckey.orig.c >sckey.patched.c
if SYMVERS_EXTRA=$'0x1\t__SCK__tp_func_demo\tvmlinux\tEXPORT_SYMBOL_GPL\t\n0x2\t__SCT__tp_func_demo\tvmlinux\tEXPORT_SYMBOL_GPL\t\n0x3\t__SCT__unexported\tvmlinux\tEXPORT_SYMBOL\t' \
	run_case sckey 0 && expect_funcs changed "show"; then
	if ! readelf -sW sckey.out.o | grep -Eq ' UND __SCK__tp_func_demo$'; then
		fail "the output lost the exported static call key __SCK__tp_func_demo"
	elif readelf -sW sckey.out.o | grep -q '__SCK__unexported'; then
		fail "the output imports __SCK__unexported, which nobody exports"
	else
		pass
	fi
fi

# 4. Static locals keep the running kernel's state: the patched code refers
#    to the original variable through a klp relocation.
cat >static.orig.c <<'C'
int count_calls(void) { static int calls; return ++calls; }
C
sed 's/return ++calls;/calls += 2; return calls;/' static.orig.c >static.patched.c
run_case static 0 && expect_funcs changed "count_calls" &&
	expect_json '"symbol": "calls\.[0-9]+", "objname": "vmlinux"' && pass

# 5. Moving code down a file changes only __LINE__ arguments: no change.
cat >line.orig.c <<'C'
extern void __might_sleep(const char *file, int line);
void sleepy(void) { __might_sleep("line.c", __LINE__); }
C
{ printf '\n\n\n'; cat line.orig.c; } >line.patched.c
run_case line 3 && expect_json '"verdict": "no-change"' && pass

# ---- __LINE__ (issue 7): only real line numbers, moved by one delta ----
# 5a. A changed constant printk argument is a change, not a line shift.
cat >limit.orig.c <<'C'
extern int printk(const char *fmt, ...);
void show_limit(void) { printk("limit %d\n", 5); }
C
sed 's/, 5)/, 6)/' limit.orig.c >limit.patched.c
run_case limit 0 && expect_funcs changed "show_limit" && pass

# 5b. Line numbers that the format string names, or that follow __FILE__,
#     moved by a line shift: no change.
cat >fmtline.orig.c <<'C'
extern int printk(const char *fmt, ...);
extern void __warn_printk(const char *fmt, ...);
void at_line(void) { printk("at line %d\n", __LINE__); }
void at_file(void) { __warn_printk("failed at %s (%d)\n", __FILE__, __LINE__); }
C
{ printf '\n\n'; cat fmtline.orig.c; } >fmtline.patched.c
run_case fmtline 3 && pass

# 5c. A shift by one line plus a constant changed by one: still a change.
cat >shiftconst.orig.c <<'C'
extern int printk(const char *fmt, ...);
extern void __might_sleep(const char *file, int line);
void shifted(void) { __might_sleep("s.c", __LINE__); printk("limit %d\n", 5); }
C
{ echo; sed 's/, 5)/, 6)/' shiftconst.orig.c; } >shiftconst.patched.c
run_case shiftconst 0 && expect_funcs changed "shifted" && pass

# 5d. A literal in a line-number position that moved by another amount
#     than the real line numbers of the same function: a change.
cat >twodelta.orig.c <<'C'
extern void __might_sleep(const char *file, int line);
void two(void) { __might_sleep("a.c", __LINE__); __might_sleep("b.c", 40); }
C
{ echo; sed 's/, 40)/, 42)/' twodelta.orig.c; } >twodelta.patched.c
run_case twodelta 0 && expect_funcs changed "two" && pass

# 5e. The right register only: __might_resched's line is %esi; a changed
#     offsets argument (%edx) is a change even when the lines moved too.
cat >resched.orig.c <<'C'
extern void __might_resched(const char *file, int line, unsigned int offsets);
void resched(void) { __might_resched("r.c", __LINE__, 3); }
C
{ echo; sed 's/, 3)/, 4)/' resched.orig.c; } >resched.patched.c
run_case resched 0 && expect_funcs changed "resched" && pass

# 5f. A callee taking the line in %edx: a line shift is no change.
cat >btrfsline.orig.c <<'C'
extern void __btrfs_abort_transaction(void *trans, const char *function, unsigned int line, int errno_);
void abort_it(void *t) { __btrfs_abort_transaction(t, __func__, __LINE__, -5); }
C
{ printf '\n\n\n'; cat btrfsline.orig.c; } >btrfsline.patched.c
run_case btrfsline 3 && pass

# 5g. With DWARF the shift must be the function's own (DW_AT_decl_line):
#     a real shift is no change; a literal in a line position changed by
#     one where no line moved is a change (one consistent delta alone
#     would have taken it for a shift).
cat >dwline.orig.c <<'C'
extern void __might_sleep(const char *file, int line);
void dw_shift(void) { __might_sleep("d.c", __LINE__); }
void dw_literal(void) { __might_sleep("d.c", 40); }
C
{ printf '\n\n'; cat dwline.orig.c; } >dwline.patched.c
run_case dwline 3 -g && pass
sed 's/, 40)/, 41)/' dwline.orig.c >dwline.patched.c
run_case dwline 0 -g && expect_funcs changed "dw_literal" && pass

# 5h. With --no-line-heuristic (kpatch-build kept the line numbers in the
#     source), a changed line immediate is a change.
CDO_OPTION=--no-line-heuristic run_case line 0 && expect_funcs changed "sleepy" && pass
# ---- end of __LINE__ cases ----

# 6. A change to initialized data only is refused.
cat >data.orig.c <<'C'
int limit = 5;
int get_limit(void) { return limit; }
C
sed 's/limit = 5/limit = 6/' data.orig.c >data.patched.c
run_case data 2 && expect_json '"code": "data-changed"' && [[ ! -e data.out.o ]] && pass

# 7. A change to __init code only of built-in code: still refused (exit 2,
#    nothing to write), but as init-only, naming the init function, so
#    kpatch-build can say no runtime change is needed.
cat >init.orig.c <<'C'
extern int printk(const char *fmt, ...);
__attribute__((section(".init.text"))) int setup(void) { return printk("setup\n"); }
int runtime(int x) { return x + 1; }
C
sed 's/setup\\n/setup!\\n/' init.orig.c >init.patched.c
run_case init 2 && expect_json '"code": "init-only-change", "message": "changed \.init\.text \(setup\)' &&
	expect_json '^  "init_only": true,$' && expect_json '^  "init_only_changes": \["setup"\],$' &&
	grep -q 'no runtime change is needed' init.stderr && [[ ! -e init.out.o ]] && pass

# 7a. The same init change with a runtime change beside it stays a refusal:
#     the runtime code may rely on what the new init code sets up.
sed 's/setup\\n/setup!\\n/; s/x + 1/x + 2/' init.orig.c >init.patched.c
run_case init 2 && expect_json '"code": "init-changed"' && expect_json '"init_only": false' &&
	! grep -q '"init-only-change"' init.json && pass

# 7b. Init code of a module runs again at each load: not init-only.
sed 's/setup\\n/setup!\\n/' init.orig.c >init.patched.c
PARENT=mymod run_case init 2 && expect_json '"code": "init-changed"' &&
	expect_json '"init_only": false' && grep -q 'runs its init code again' init.stdout && pass

# 7c. Init data: what init code copied from it at boot may live on, so a
#     change to it is not provably init-only.
cat >initdata.orig.c <<'C'
extern int printk(const char *fmt, ...);
static int level __attribute__((section(".init.data"))) = 3;
__attribute__((section(".init.text"))) int setup(void) { return printk("setup %d\n", level); }
C
sed 's/= 3/= 4/' initdata.orig.c >initdata.patched.c
run_case initdata 2 && expect_json '"code": "init-changed", "message": "changed section \.init\.data' &&
	expect_json '"init_only": false' && pass

# 7d. Init code that runtime code refers to (a __ref caller) may run after
#     boot: not init-only.
cat >initref.orig.c <<'C'
extern int printk(const char *fmt, ...);
__attribute__((section(".init.text"), noinline)) int setup(void) { return printk("setup\n"); }
int (*late_setup)(void) = setup;
C
sed 's/setup\\n/setup!\\n/' initref.orig.c >initref.patched.c
run_case initref 2 && expect_json '"code": "init-changed"' && expect_json '"init_only": false' &&
	grep -q 'referred to by \.data\.late_setup' initref.stdout && pass

# 7e. Built-in __exit code is never run: init-only too.
cat >exitonly.orig.c <<'C'
extern int printk(const char *fmt, ...);
__attribute__((section(".exit.text"), used)) static void bye(void) { printk("bye\n"); }
static void (*exit_call)(void) __attribute__((section(".exitcall.exit"), used)) = bye;
C
sed 's/bye\\n/bye!\\n/' exitonly.orig.c >exitonly.patched.c
run_case exitonly 2 && expect_json '"init_only": true' && expect_json '"init_only_changes": \["bye"\]' && pass

# 8. A function without an ftrace call site (notrace) cannot be patched.
cat >notrace.orig.c <<'C'
__attribute__((no_instrument_function)) int quiet(int x) { return x + 1; }
C
sed 's/x + 1/x + 2/' notrace.orig.c >notrace.patched.c
run_case notrace 2 && expect_json '"code": "no-fentry"' && pass
# the refusal names the function; without DWARF, no file or line
run_case notrace 2 && expect_json '"code": "no-fentry", .*"function": "quiet"\}' && pass
# with DWARF, where the function is declared (for kpatch-batch's report)
run_case notrace 2 -g && expect_json '"function": "quiet", "file": "[^"]*notrace\.c", "line": 1\}' && pass

# 8a. A changed static notrace helper: both its callers have ftrace call
#     sites and are all its callers, so they are patched instead; the new
#     helper travels with them, without a klp_func entry of its own.
cat >notracecall.orig.c <<'C'
extern int printk(const char *fmt, ...);
static __attribute__((noinline, no_instrument_function)) int helper(int x) { return printk("h %d\n", x) + 1; }
int first(int x) { return helper(x) * 2; }
int second(int x) { return helper(x + 1) * 3; }
int untouched(int x) { return printk("u %d\n", x); }
C
sed 's/+ 1; }/+ 2; }/' notracecall.orig.c >notracecall.patched.c
run_case notracecall 0 && expect_funcs changed "first helper second" &&
	expect_json '"name": "helper", "status": "changed", "patched": false' &&
	expect_json '"name": "first", "status": "changed", "patched": true' &&
	expect_json '"name": "second", "status": "changed", "patched": true' &&
	grep -q 'function helper has no ftrace call site: its callers first, second are patched instead' notracecall.stdout &&
	grep -q 'not replaced: the module carries its new copy and replaces every caller' notracecall.verify && pass
# the same under IBT and CALL_PADDING
run_case notracecall 0 "${ibt_flags[@]}" && expect_funcs changed "first helper second" && pass

# 8b. Its address is taken: the running kernel can enter the old copy
#     through the pointer, so patching the callers is not enough.
sed 's/^int untouched.*/int (*helper_ptr)(int) = helper;/' notracecall.orig.c >notraceaddr.orig.c
sed 's/+ 1; }/+ 2; }/' notraceaddr.orig.c >notraceaddr.patched.c
run_case notraceaddr 2 && expect_json '"code": "no-fentry"' &&
	expect_json 'its callers cannot be patched instead: its address is taken' && pass

# the same with the address taken in code (handed to a registration call)
sed 's/^int untouched.*/extern void register_fn(int (*fn)(int));\nvoid setup(void) { register_fn(helper); }/' notracecall.orig.c >notracereg.orig.c
sed 's/+ 1; }/+ 2; }/' notracereg.orig.c >notracereg.patched.c
run_case notracereg 2 && expect_json '"code": "no-fentry"' &&
	expect_json 'its callers cannot be patched instead: its address is taken \(in \.text\.setup' && pass

# 8c. A global notrace function: callers elsewhere in the kernel are unknown.
sed 's/^static //' notracecall.orig.c >notraceglobal.orig.c
sed 's/+ 1; }/+ 2; }/' notraceglobal.orig.c >notraceglobal.patched.c
run_case notraceglobal 2 && expect_json '"code": "no-fentry"' &&
	expect_json 'it is global, so code outside this object may call it' && pass

# 8d. A chain: the helper's only caller is notrace and static too; its
#     caller is traceable. Both untraceable ones travel, the top is patched.
cat >notracechain.orig.c <<'C'
extern int printk(const char *fmt, ...);
static __attribute__((noinline, no_instrument_function)) int leaf(int x) { return printk("l %d\n", x) + 1; }
static __attribute__((noinline, no_instrument_function)) int middle(int x) { return leaf(x) * 5; }
int top(int x) { return middle(x) - 1; }
C
sed 's/+ 1; }/+ 2; }/' notracechain.orig.c >notracechain.patched.c
run_case notracechain 0 && expect_funcs changed "leaf middle top" &&
	expect_json '"name": "middle", "status": "changed", "patched": false' &&
	expect_json '"name": "top", "status": "changed", "patched": true' && pass

# 9. A changed global function becomes local in the output, and taking the
#    address of an existing function points at the kernel's copy.
cat >fptr.orig.c <<'C'
extern void register_cb(int (*cb)(int));
int cb(int x) { return x; }
void setup_cb(void) { register_cb(0); }
C
sed 's/register_cb(0)/register_cb(cb)/' fptr.orig.c >fptr.patched.c
if run_case fptr 0 && expect_funcs changed "setup_cb" &&
   expect_json '"symbol": "cb", "objname": "vmlinux"'; then
	pass
fi
sed 's/return x;/return x + 1;/' fptr.orig.c >fptr.patched.c
if run_case fptr 0 && expect_funcs changed "cb"; then
	if nm fptr.out.o | grep -q ' t cb$'; then pass; else fail "changed global cb is not local: $(nm fptr.out.o | grep cb)"; fi
fi

# 10. No change at all.
cp string.orig.c same.orig.c
cp string.orig.c same.patched.c
run_case same 3 && [[ ! -e same.out.o ]] && pass

# 11. Patch-author markers: KPATCH_IGNORE_FUNCTION and a callback record.
cat >markers.orig.c <<'C'
int noisy(int x) { return x + 1; }
int stable(int x) { return x * 2; }
C
cat >markers.patched.c <<'C'
struct cb { void *fn; const char *objname; };
int noisy(int x) { return x + 100; }
int stable(int x) { return x * 3; }
static void *ignore_noisy __attribute__((used, section(".kpatch.ignore.functions"))) = noisy;
static int pre(void *obj) { return 0; }
static struct cb pre_rec __attribute__((used, section(".kpatch.callbacks.pre_patch"))) = { pre, 0 };
C
if run_case markers 0 && expect_funcs changed "stable" && expect_json 'ignoring function noisy'; then
	if readelf -rW markers.out.o | grep -A3 'kpatch.callbacks.pre_patch' | grep -q 'kpatch.strings'; then
		pass
	else
		fail "the callback record's object name was not filled in"
	fi
fi

# 12. Namespace imports of built-in code (tags prefixed with the would-be
#     module name) are carried into the output as the module's own.
cat >ns.orig.c <<'C'
static const char tag[] __attribute__((used, section(".modinfo"), aligned(1))) = "proc.import_ns=KPATCH_NS";
int ns_user(int x) { return x + 1; }
C
sed 's/x + 1/x + 2/' ns.orig.c >ns.patched.c
if run_case ns 0 && expect_funcs changed "ns_user"; then
	if [[ $(readelf -p .modinfo ns.out.o | grep -c 'import_ns=KPATCH_NS$') == 1 ]] &&
	   ! readelf -p .modinfo ns.out.o | grep -q 'proc\.'; then
		pass
	else
		fail "import_ns not carried: $(readelf -p .modinfo ns.out.o 2>&1)"
	fi
fi

# 12b. Built-in code may call a namespaced export without importing the
#      namespace (only modules are checked); the livepatch module is one:
#      the output imports what Module.symvers says its calls need, once.
cat >nsuse.orig.c <<'C'
extern void dma_buf_put(void *);
extern void dma_buf_get(void *);
void ns_caller(void *b) { dma_buf_put(b); }
C
sed 's/dma_buf_put(b); }/dma_buf_put(b); dma_buf_get(b); }/' nsuse.orig.c >nsuse.patched.c
if SYMVERS_EXTRA=$'0x1\tdma_buf_put\tvmlinux\tEXPORT_SYMBOL_GPL\tDMA_BUF\n0x2\tdma_buf_get\tvmlinux\tEXPORT_SYMBOL_GPL\tDMA_BUF' \
	run_case nsuse 0 && expect_funcs changed "ns_caller"; then
	if [[ $(readelf -p .modinfo nsuse.out.o 2>/dev/null | grep -c 'import_ns=DMA_BUF$') == 1 ]]; then
		pass
	else
		fail "the output does not import DMA_BUF once: $(readelf -p .modinfo nsuse.out.o 2>&1)"
	fi
fi

# 12c. A constant of a mergeable section (.rodata.cst2) reached by a label
#      the compiler renumbered (a constant dropped elsewhere in the file):
#      the same constant, so the function using it is unchanged.
cat >cst.orig.c <<'C'
#ifndef LABEL
#define LABEL ".LC3"
#endif
asm(".section .rodata.cst2,\"aM\",@progbits,2\n.balign 2\n" LABEL ":\n.value 0x409\n"
    ".section .text.usecst,\"ax\",@progbits\n.globl usecst\n.type usecst,@function\n"
    "usecst:\ncall __fentry__\nmovzwl " LABEL "(%rip), %eax\nret\n.size usecst, .-usecst\n.text\n");
int other(int x) { return x + 1; }
C
sed 's/x + 1/x + 2/; s/define LABEL ".LC3"/define LABEL ".LC1"/' cst.orig.c >cst.patched.c
run_case cst 0 && expect_funcs changed "other" && pass

# 13. A switch jump table of a changed function must jump into the new
#     copy: labels inside a function are not pointers to the kernel's copy.
cat >switch.orig.c <<'C'
extern int printk(const char *fmt, ...);
int pick(int x)
{
	switch (x) {
	case 0: return printk("a");
	case 1: return printk("b") + 1;
	case 2: return printk("c") * 3;
	case 3: return printk("d") - 7;
	case 4: return printk("e") ^ 5;
	case 5: return printk("f") + 11;
	case 6: return printk("g") * 13;
	default: return -1;
	}
}
C
sed 's/printk("g") \* 13/printk("G") * 17/' switch.orig.c >switch.patched.c
if run_case switch 0 && expect_funcs changed "pick"; then
	if ! readelf -rW switch.out.o | grep -q 'rodata'; then
		fail "no jump table in the output (did the compiler use one?)"
	elif readelf -rW switch.out.o | grep -q 'klp.sym.vmlinux.pick'; then
		fail "the jump table points into the kernel's old copy of pick"
	else
		pass
	fi
fi

# 14. A boot-time constant (runtime_const_ptr, as access_ok() uses for
#     USER_PTR_MAX) is never patched in a module: the new code loads the
#     variable instead.
cat >rconst.orig.c <<'C'
extern unsigned long USER_PTR_MAX;
#define runtime_const_ptr(sym) ({ unsigned long __ret;				\
	asm("mov %1,%0\n1:\n.pushsection runtime_ptr_" #sym ",\"a\"\n\t"	\
	    ".long 1b - %c2 - .\n.popsection"					\
	    : "=r" (__ret) : "i" (0x0123456789abcdefull), "i" (sizeof(long)));	\
	__ret; })
int valid_ptr(unsigned long p) { return p <= runtime_const_ptr(USER_PTR_MAX); }
C
sed 's/p <= runtime/p + 1 <= runtime/' rconst.orig.c >rconst.patched.c
if run_case rconst 0 && expect_funcs changed "valid_ptr"; then
	if objdump -d rconst.out.o | grep -q '0x123456789abcdef'; then
		fail "the placeholder immediate is still in the output"
	elif ! readelf -rW rconst.out.o | grep -q 'R_X86_64_PC32 .* USER_PTR_MAX - 4'; then
		fail "no load of USER_PTR_MAX: $(objdump -dr rconst.out.o | grep -A2 mov)"
	elif readelf -SW rconst.out.o | grep -q runtime_ptr; then
		fail "the runtime_ptr section was carried into the output"
	else
		pass
	fi
fi

# 15. Jump labels: a key of vmlinux is fine (its entry is kept); a key of a
#     module is refused, since the loader reads the jump table before
#     livepatch can resolve references into other modules.
cat >jl.orig.c <<'C'
struct static_key { int enabled; };
struct static_key feature_key;
static inline __attribute__((always_inline)) int feature_on(void)
{
	asm goto("1: .byte 0x0f,0x1f,0x44,0x00,0x00\n\t"
		 ".pushsection __jump_table, \"aw\"\n\t.balign 8\n\t"
		 ".long 1b - ., %l[yes] - .\n\t.quad %c0 - .\n\t.popsection"
		 : : "i" (&feature_key) : : yes);
	return 0;
yes:
	return 1;
}
int use_feature(int x) { return feature_on() ? x * 2 : x; }
C
sed 's/x \* 2/x * 3/' jl.orig.c >jl.patched.c
if run_case jl 0 && expect_funcs changed "use_feature"; then
	if readelf -rW jl.out.o | grep -A4 "rela__jump_table" | grep -q 'feature_key'; then
		pass
	else
		fail "the jump table entry of the vmlinux key was not kept"
	fi
fi
# A key of the module being patched: the loader would read the entry before
# livepatch resolves the key, so the site (here a 5-byte nop) becomes a jump
# to code that reads the key, and the entry goes.
if PARENT=mymod run_case jl 0 && expect_json 'use_feature: the static branch at .* on key feature_key of module mymod now reads the key'; then
	if readelf -SW jl.out.o | grep -q __jump_table; then
		fail "the entry of the module's key is still in __jump_table"
	elif ! objdump -dr jl.out.o | grep -A1 "cmpl   \$0x0,0x0(%rip)" | grep -q 'R_X86_64_PC32.*\.klp\.sym\.mymod\.feature_key,0-0x5'; then
		fail "no test of feature_key through a klp relocation: $(objdump -dr jl.out.o | tail -8)"
	else
		pass
	fi
fi

# 15b. The jumps the compiler emits for static branches where objtool makes
#      the nop ("jmp l_yes # objtool NOPs this"): 5 bytes to a .cold part
#      (a relocation), 5 bytes within the function (branch bit 1: jle), and
#      2 bytes, which cannot reach a stub: refused, saying why.
cat >sb.orig.c <<'C'
struct static_key { int enabled; void *p; };
struct static_key feature_key __attribute__((aligned(8)));
struct static_key __tracepoint_foo __attribute__((aligned(8)));
extern void slow_path(int) __attribute__((cold));
extern void hot(int);
extern int other(int);
#define static_on(key, br) ({ int __r = 1; asm goto("1: jmp %l[yes] # objtool NOPs this \n\t" \
	".pushsection __jump_table, \"aw\"\n\t.balign 8\n\t" \
	".long 1b - ., %l[yes] - .\n\t.quad %c0 + %c1 - .\n\t.popsection" \
	: : "i" (&(key)), "i" (2 | (br)) : : yes); __r = 0; yes: __r; })
int cold_feature(int x)
{
	if (static_on(feature_key, 0))
		slow_path(x);
	return other(x) * 2;
}
int long_feature(int x)
{
	if (!static_on(feature_key, 1)) {
		hot(x); hot(x + 1); hot(x + 2); hot(x + 3); hot(x + 4); hot(x + 5); hot(x + 6);
		hot(x + 7); hot(x + 8); hot(x + 9); hot(x + 10); hot(x + 11); hot(x + 12);
		hot(x + 13); hot(x + 14); hot(x + 15); hot(x + 16); hot(x + 17); hot(x + 18);
		return x;
	}
	return other(x) * 2;
}
int near_feature(int x) { return static_on(feature_key, 0) ? x * 2 : x; }
int traced(int x) { if (static_on(__tracepoint_foo, 0)) hot(x); return x * 2; }
C
sed 's/other(x) \* 2/other(x) * 3/g' sb.orig.c >sb.patched.c
# the stub's bytes after the site's jump: cmpl $0,key(%rip); jg|jle; jmp back
stub_of() {	# stub_of FUNC: "site-byte jcc-opcode back-ok" of its first e9 site
	objdump -d "$case.out.o" | awk -v f="<$1>:" '
		$0 ~ f && !seen { on = 1; seen = 1; next } on && /^$/ { on = 0 }
		on && /\tjmp / && $2 == "e9" && !site { site = 1; print "e9" }
		on && /\tcmpl   \$0x0,0x0\(%rip\)/ { print "cmpl" }
		on && /\tj(g|le) / { print $2 $3 }'
}
if PARENT=mymod run_case sb 0 && expect_funcs changed "cold_feature long_feature"; then
	cold=$(stub_of cold_feature | tr '\n' ' ') long=$(stub_of long_feature | tr '\n' ' ')
	if [[ $cold != "e9 cmpl 0f8f " || $long != "e9 cmpl 0f8e " ]]; then
		fail "stubs: cold_feature {$cold}, long_feature {$long}; expected jg for branch 0, jle for branch 1"
	elif ! relocs_of .text.cold_feature | grep -q 'R_X86_64_PC32 cold_feature.cold-4$'; then
		fail "the stub's branch to the .cold part lost its relocation: $(relocs_of .text.cold_feature)"
	elif relocs_of .text.cold_feature | grep -q '^0*a R_X86_64'; then
		fail "the site still has its old relocation: $(relocs_of .text.cold_feature)"
	else
		pass
	fi
fi
sed 's/x \* 2 : x/x * 5 : x/' sb.orig.c >sb.patched.c
PARENT=mymod run_case sb 2 &&
	expect_json '"code": "jump-label-module-key", .*"function": "near_feature"' &&
	expect_json 'near_feature.*2-byte jump' && pass

# 15c. An inert key (a tracepoint of the module): its entry goes and the
#      site is what the disabled key means. The compiler's jump, meant to
#      become a nop, would otherwise take the tracepoint's branch always.
sed 's/return x \* 2; }$/return x * 3; }/' sb.orig.c >sb.patched.c
if PARENT=mymod run_case sb 0 && expect_funcs changed "traced"; then
	site=$(objdump -d sb.out.o | awk '/<traced>:/ { on = 1; next } on && !done && /xchg   %ax,%ax|jmp/ { print $2 $3; done = 1 }')
	# the code only the site reached, as objtool names it, in the report
	# (awk reads to the end: objdump must not die of SIGPIPE under pipefail)
	target=$(objdump -d sb.patched.o | awk '/<traced>:/ { on = 1; next } on && !done && /\tjmp / { print $NF; done = 1 }' | tr -d '<>')
	if [[ $site != 6690 ]]; then
		fail "the disabled tracepoint site is {$site}, not the 2-byte nop 66 90"
	elif readelf -SW sb.out.o | grep -q __jump_table; then
		fail "the tracepoint's entry is still in __jump_table"
	elif [[ $target != traced+0x* || $(jq -c .disabled_sites sb.json) != "[\"$target\"]" ]]; then
		fail "disabled_sites $(jq -c .disabled_sites sb.json), expected [\"$target\"] (the jump's target)"
	else
		pass
	fi
	# the verifier, sharing no differ code, finds the site left a jump
	off=$(section_offset sb.out.o .text.traced)
	at=$(objdump -d sb.out.o | awk '/<traced>:/ { on = 1; next } on && !done && /xchg   %ax,%ax/ { sub(":", "", $1); print $1; done = 1 }')
	cp sb.out.o sb.bad.o
	poff=$(section_offset sb.patched.o .text.traced)
	dd if=sb.patched.o of=sb.bad.o bs=1 skip=$((16#$poff + 16#$at)) seek=$((16#$off + 16#$at)) count=2 \
		conv=notrunc 2>/dev/null
	if JUMP_STRUCT_SIZE=16 "$verify" --parent mymod sb.orig.o sb.patched.o sb.bad.o sb.symtab >sb.bad.verify 2>&1; then
		fail "kpatch-verify accepted a tracepoint site left as a jump with no entry"
	elif ! grep -q 'static branch at +0x.* (key __tracepoint_foo) has no __jump_table entry' sb.bad.verify; then
		fail "kpatch-verify: $(grep -m1 FAILED sb.bad.verify)"
	else
		pass
	fi
fi

# 15d. Objects with their ORC data (objtool ran at compile time): the stub
#      unwinds like its site, and the function's end marker moves past it.
cat >sborc.orig.c <<'C'
struct static_key { int enabled; void *p; };
struct static_key feature_key __attribute__((aligned(8)));
asm(".pushsection .text.orc_feature,\"ax\",@progbits\n"
    ".globl orc_feature\n.type orc_feature,@function\n"
    "orc_feature:\n"
    "0: call __fentry__\n"
    "1: push %rbx\n"
    "2: .byte 0xe9\n .long 4f - 3f\n3:\n"
    " mov $5, %eax\n pop %rbx\n ret\n"
    "4: mov $7, %eax\n pop %rbx\n ret\n"
    "5:\n.size orc_feature, 5b - orc_feature\n"
    ".pushsection __jump_table,\"aw\"\n.balign 8\n.long 2b - ., 4b - .\n.quad feature_key + 2 - .\n.popsection\n"
    ".pushsection .orc_unwind_ip,\"a\"\n.long 0b - ., 1b - ., 2b - ., 5b - .\n.popsection\n"
    ".pushsection .orc_unwind,\"a\"\n.byte 1,1,1,1,1,1, 2,2,2,2,2,2, 3,3,3,3,3,3, 0,0,0,0,0,0\n.popsection\n"
    ".popsection\n");
C
# shellcheck disable=SC2016  # assembler immediates
sed 's/mov $5/mov $6/' sborc.orig.c >sborc.patched.c
if PARENT=mymod run_case sborc 0 && expect_funcs changed "orc_feature"; then
	# "target state" per ORC entry: the stub (0x19, after the 25-byte
	# function) has the site's state 3, the end marker (0) is at 0x2b
	got=$(paste -d' ' <(relocs_of .orc_unwind_ip | awk '{ sub(/.*\+/, "", $3); print $3 }') \
		<(od -An -v -tx1 -w6 -j "$((16#$(section_offset sborc.out.o .orc_unwind)))" -N 30 sborc.out.o |
			awk '{ print $1 }') | tr '\n' ' ')
	if [[ $got != "0 01 5 02 6 03 2b 00 19 03 " ]]; then
		fail "ORC entries {$got}, expected the stub at 0x19 with the site's state and the end at 0x2b"
	else
		pass
	fi
fi

# 15e. static_cpu_has() slow paths (.altinstr_aux, one piece per use):
#      only the changed function's piece goes into the output; the other
#      function's would reach it through a klp relocation in a section the
#      loader uses before livepatch resolves them.
cat >aux.orig.c <<'C'
extern unsigned char caps[32];
#define has_cap(n) ({ int r_; asm goto("jmp 6f\n\t.pushsection .altinstr_aux,\"ax\"\n6:\n\t" \
	"testb $1, %a0\n\tjnz %l[yes]\n\tjmp %l[no]\n\t.popsection" : : "i" (&caps[n]) : : yes, no); \
	yes: r_ = 1; goto out; no: r_ = 0; out: r_; })
int first_cap(int x) { return has_cap(1) ? x + 1 : x; }
int second_cap(int x) { return has_cap(2) ? x + 2 : x; }
C
sed 's/x + 1 : x/x + 10 : x/' aux.orig.c >aux.patched.c
if PARENT=mymod run_case aux 0 && expect_funcs changed "first_cap"; then
	relocs=$(relocs_of .altinstr_aux | awk '{ print $3 }' | tr '\n' ' ')
	size=$(readelf -SW aux.out.o | sed 's/^ *\[ *[0-9]*\] //' | awk '$1 == ".altinstr_aux" { print $5 }')
	if [[ $relocs == *second_cap* || $relocs == *klp* || $relocs != *first_cap* ]]; then
		fail ".altinstr_aux of the output refers to {$relocs}, expected only first_cap's piece"
	elif ((16#$size > 16#20)); then
		fail ".altinstr_aux is 0x$size bytes: more than first_cap's piece"
	else
		pass
	fi
fi

# 16. Functions sharing a section (__sched puts them all in .sched.text) are
#     compared one by one: changing one, even so that the others move,
#     reports only that one.
cat >sched.orig.c <<'C'
#define __sched __attribute__((section(".sched.text")))
extern void schedule(void);
__sched void wait_a(int x) { if (x) schedule(); }
__sched void wait_b(int x) { if (x > 1) schedule(); }
__sched void wait_c(int x) { if (x > 2) schedule(); }
C
sed 's/if (x > 1) schedule();/if (x > 1 || x < -5) schedule(); schedule();/' sched.orig.c >sched.patched.c
run_case sched 0 && expect_funcs changed "wait_b" && pass

# 16b. A function of a shared section owns the alignment padding after it:
#      when its neighbour's alignment changes (the compiler re-aligns code
#      it moved), only the padding differs and the function is unchanged.
cat >schedpad.orig.c <<'C'
#define __sched __attribute__((section(".sched.text")))
extern void schedule(void);
__sched void pad_a(int x) { if (x) schedule(); }
__sched __attribute__((aligned(64))) void pad_b(int x) { if (x > 1) schedule(); }
__sched void pad_c(int x) { if (x > 2) schedule(); }
C
sed -e 's/__attribute__((aligned(64))) //' -e 's/if (x > 2) schedule();/if (x > 2) schedule(); schedule();/' \
	schedpad.orig.c >schedpad.patched.c
run_case schedpad 0 && expect_funcs changed "pad_c" && pass

# 16c. The same re-alignment, but the function before the padding also
#      changed, in place (an immediate, the same size): changed, padding or
#      not.
sed 's/void pad_a(int x) { if (x)/void pad_a(int x) { if (x > 7)/' schedpad.orig.c >schedpad2.orig.c
sed -e 's/__attribute__((aligned(64))) //' -e 's/if (x > 7)/if (x > 9)/' schedpad2.orig.c >schedpad2.patched.c
run_case schedpad2 0 && expect_funcs changed "pad_a" && pass

# 17. A module parent stripped of its FILE symbols (as Debian ships them):
#     its locals are one anonymous block, so a unique local still resolves,
#     by symtab order, to the module.
cp string.orig.c stripped.orig.c
cp string.patched.c stripped.patched.c
cat >stripped-other.c <<'C'
static int other_state;
int other_fn(int x) { return other_state += x; }
C
STRIPPED_MODULE_WITH=stripped-other.c PARENT=mymod run_case stripped 0 &&
	expect_funcs changed "show" &&
	expect_json '"symbol": "helper", "objname": "mymod", "sympos": 0' && pass

# 18. The same, but the module's other file has its own static helper():
#     which one is meant cannot be told, so it is refused, naming it.
cp string.orig.c ambiguous.orig.c
cp string.patched.c ambiguous.patched.c
cat >ambiguous-other.c <<'C'
static __attribute__((noinline, used)) int helper(int x) { return x * 3; }
int other_fn(int x) { return helper(x); }
C
STRIPPED_MODULE_WITH=ambiguous-other.c PARENT=mymod run_case ambiguous 2 &&
	expect_json '"code": "symbol-ambiguous"' &&
	expect_json 'local symbol helper of ambiguous.c is ambiguous: .*no FILE symbols.*unstripped module.*-dbg' &&
	pass

# 19. A changed static function named like a static of the module's other
#     file: livepatch could not tell which one to replace.
cat >ambfunc.orig.c <<'C'
extern int printk(const char *fmt, ...);
static __attribute__((noinline)) int work(int x) { return printk("work %d\n", x); }
int entry(int x) { return work(x) + 1; }
C
sed 's/work %d/WORK %d/' ambfunc.orig.c >ambfunc.patched.c
cat >ambfunc-other.c <<'C'
static __attribute__((noinline, used)) int work(int x) { return x * 3; }
int other_entry(int x) { return work(x); }
C
STRIPPED_MODULE_WITH=ambfunc-other.c PARENT=mymod run_case ambfunc 2 &&
	expect_json '"code": "symbol-ambiguous"' && expect_json 'local symbol work of ambfunc.c' &&
	grep -q 'symbol-ambiguous\|ambiguous' ambfunc.stderr && pass

# 17. A variable that gets an initial value moves from .bss to .data: a data
#     change, and said so.
cat >bss.orig.c <<'C'
int panic_timeout;
int get_timeout(void) { return panic_timeout; }
C
sed 's/^int panic_timeout;/int panic_timeout = 10;/' bss.orig.c >bss.patched.c
run_case bss 2 && expect_json '"code": "data-changed", "message": "changed data panic_timeout' && pass

# run_linked_case NAME EXPECTED-EXIT: an object linked (ld -r) from the
# files of NAME/orig and, built under the same file names, NAME/patched.
run_linked_case() {
	case=$1
	local want=$2 status=0 tree src
	for tree in orig patched; do
		(
			cd "$case/$tree"
			for src in *.c; do gcc "${cflags[@]}" -o "${src%.c}.o" "$src"; done
			ld -r -o "../../$case.$tree.o" ./*.o
		)
	done
	readelf -s --wide "$case.orig.o" >"$case.symtab"
	"$cdo" --report "$case.json" "$case.orig.o" "$case.patched.o" vmlinux "$case.symtab" \
		/dev/null test "$case.out.o" >"$case.stdout" 2>"$case.stderr" || status=$?
	if ((status != want)); then
		fail "exit status $status, expected $want: $(cat "$case.stderr")"
		return 1
	fi
}

# 18. An object linked from two files (ld -r) with a static helper of the
#     same name in each: the changed function of the second file refers to
#     its own helper, the second of that name (sympos 2).
mkdir -p multifile/orig multifile/patched
cat >multifile/orig/mf-a.c <<'C'
static __attribute__((noinline)) int helper(int x) { return x + 1; }
int first(int x) { return helper(x); }
C
cat >multifile/orig/mf-b.c <<'C'
static __attribute__((noinline)) int helper(int x) { return x * 2; }
int second(int x) { return helper(x) + 3; }
C
cp multifile/orig/mf-a.c multifile/patched/
sed 's/helper(x) + 3/helper(x) + 4/' multifile/orig/mf-b.c >multifile/patched/mf-b.c
run_linked_case multifile 0 && expect_funcs changed "second" &&
	expect_json '"symbol": "helper", "objname": "vmlinux", "sympos": 2' && pass

# 18b. Both same-named static helpers change: each is a function of its own,
#      replaced at its own position (sympos 1 and 2), each record pointing
#      at its own new copy.
mkdir -p twohelpers/orig twohelpers/patched
cp multifile/orig/*.c twohelpers/orig/
sed 's/x + 1/x + 5/' multifile/orig/mf-a.c >twohelpers/patched/mf-a.c
sed 's/x \* 2/x * 6/' multifile/orig/mf-b.c >twohelpers/patched/mf-b.c
if run_linked_case twohelpers 0 && expect_funcs changed "helper helper"; then
	records=$(jq -c '[.functions[] | select(.name == "helper") | [.patched, .sympos]]' twohelpers.json)
	# each record's new_func (offset 0 of the 32-byte record) names one
	# copy: two different symbols (index: the high half of r_info), both helper
	targets=$(readelf -rW twohelpers.out.o | sed -n '/rela.kpatch.funcs/,/^$/p' |
		awk '$1 ~ /^0*(0|20)$/ { print substr($2, 1, length($2) - 8), $5 }' | sort -u)
	if [[ $records != '[[true,1],[true,2]]' ]]; then
		fail "records {$records}, expected helper at sympos 1 and 2"
	elif [[ $(readelf -SW twohelpers.out.o | sed 's/^ *\[ *[0-9]*\]//' |
		  awk '$1 == ".kpatch.funcs" { print $5 }') != 000040 ]]; then
		fail ".kpatch.funcs is not two records: $(readelf -SW twohelpers.out.o | grep kpatch.funcs)"
	elif [[ $(awk '$2 == "helper"' <<<"$targets" | wc -l) != 2 ]]; then
		fail "records point at {$targets}, expected both helpers"
	else
		pass
	fi
fi

# 19. __LINE__-only changes are recognised per function too, inside a
#     shared section.
cat >schedline.orig.c <<'C'
#define __sched __attribute__((section(".sched.text")))
extern void __might_sleep(const char *file, int line);
__sched void nap_a(void) { __might_sleep("s.c", __LINE__); }
__sched void nap_b(void) { __might_sleep("s.c", __LINE__); }
C
{ printf '\n\n'; cat schedline.orig.c; } >schedline.patched.c
run_case schedline 3 && pass
# nap_a really changes (one more line), which only moves nap_b's __LINE__
cat >schedline.patched.c <<'C'
#define __sched __attribute__((section(".sched.text")))
extern void __might_sleep(const char *file, int line);
__sched void nap_a(void) { __might_sleep("s.c", __LINE__);
	__might_sleep("t.c", 1); }
__sched void nap_b(void) { __might_sleep("s.c", __LINE__); }
C
run_case schedline 0 && expect_funcs changed "nap_a" && pass

# 20. A call between two functions of one section has no relocation (the
#     assembler resolved it). Carried alone, the changed caller must get
#     one, pointing at the kernel's callee.
cat >intra.orig.c <<'C'
#define __sched __attribute__((section(".sched.text")))
extern void schedule(void);
static __sched __attribute__((noinline)) void inner_wait(int x) { while (x--) schedule(); }
__sched void outer_wait(int x) { inner_wait(x + 1); schedule(); }
C
sed 's/inner_wait(x + 1)/inner_wait(x + 2)/' intra.orig.c >intra.patched.c
if run_case intra 0 && expect_funcs changed "outer_wait"; then
	if readelf -sW intra.out.o | grep -qE 'FUNC +LOCAL +DEFAULT +[0-9]+ inner_wait$'; then
		fail "the unchanged neighbour inner_wait was carried along"
	elif readelf -rW intra.out.o | grep -qE 'R_X86_64_PLT32 .*inner_wait'; then
		pass
	else
		fail "the call to inner_wait has no relocation: $(objdump -dr intra.out.o | grep -A1 call)"
	fi
fi

# A tail call assembled as a short jump between the two cannot be given a
# relocation: the section is then carried whole, still correct.
cat >intra2.orig.c <<'C'
#define __sched __attribute__((section(".sched.text")))
extern void schedule(void);
static __sched __attribute__((noinline)) void inner_wait(int x) { while (x--) schedule(); }
__sched void outer_wait(int x) { inner_wait(x + 1); }
C
sed 's/inner_wait(x + 1)/inner_wait(x + 2)/' intra2.orig.c >intra2.patched.c
if run_case intra2 0 && expect_funcs changed "outer_wait"; then
	if objdump -d intra2.out.o | grep -qE 'jmp +[0-9a-f]+ <inner_wait>'; then
		pass
	else
		fail "the short jump to inner_wait does not reach it: $(objdump -d intra2.out.o | grep jmp)"
	fi
fi

# 21. Alternatives: replacement code jumps back into its function through
#     the section, not a symbol. Only the changed function's piece of
#     .altinstr_replacement is carried, and nothing pulls the unchanged
#     function's code in.
cat >alt.orig.c <<'C'
static inline __attribute__((always_inline)) int feature(void)
{
	asm goto("661:\n\t.byte 0x0f,0x1f,0x44,0x00,0x00\n662:\n"
		 ".pushsection .altinstructions,\"a\"\n"
		 ".long 661b - .\n.long 6641f - .\n.short 0x1\n.byte 662b-661b\n.byte 6642f-6641f\n"
		 ".popsection\n"
		 ".pushsection .altinstr_replacement,\"ax\"\n6641:\n\tjmp %l[yes]\n6642:\n.popsection\n"
		 : : : : yes);
	return 0;
yes:
	return 1;
}
int alt_a(int x) { return feature() ? x * 2 : x; }
int alt_b(int x) { return feature() ? x * 5 : x; }
C
sed 's/x \* 5/x * 6/' alt.orig.c >alt.patched.c
if ALT_STRUCT_SIZE=12 run_case alt 0 && expect_funcs changed "alt_b"; then
	if nm alt.out.o | grep -q 'alt_a'; then
		fail "the unchanged alt_a was carried: $(nm alt.out.o | grep alt_a)"
	elif [[ $(readelf -rW alt.out.o | sed -n '/rela.altinstr_replacement/,/^$/p' |
		  grep -c 'R_X86_64') != 1 ]] ||
	     ! readelf -rW alt.out.o | sed -n '/rela.altinstr_replacement/,/^$/p' | grep -q 'alt_b'; then
		fail "the replacement is not alt_b's alone: $(readelf -rW alt.out.o | sed -n '/rela.altinstr_replacement/,/^$/p')"
	elif ! readelf -rW alt.out.o | sed -n '/rela.altinstructions/,/^$/p' |
	     grep -q 'altinstr_replacement + 0$'; then
		fail "the kept entry does not point at the start of the trimmed replacements"
	else
		pass
	fi
fi

# 22. A module fix calling exports of another module (algif_skcipher
#     calling af_alg_*): ordinary relocations the module loader resolves,
#     never .klp.rela.af_alg sections, which livepatch applies only while
#     patching af_alg.
cat >othermod.orig.c <<'C'
extern int af_alg_sendmsg(int x);
int skcipher_sendmsg(int x) { return x + 1; }
C
sed 's/return x + 1;/return af_alg_sendmsg(x) + 1;/' othermod.orig.c >othermod.patched.c
if SYMVERS_EXTRA=$'0x1\taf_alg_sendmsg\tcrypto/af_alg\tEXPORT_SYMBOL_GPL\t' PARENT=algif_skcipher \
	run_case othermod 0 && expect_funcs changed "skcipher_sendmsg"; then
	if grep -q 'af_alg_sendmsg' <(jq -c '.klp_relocations[]' othermod.json); then
		fail "af_alg_sendmsg became a klp relocation: $(jq -c '.klp_relocations' othermod.json)"
	elif ! readelf -rW othermod.out.o | grep -qE 'R_X86_64_PLT32 +0+ af_alg_sendmsg - 4'; then
		fail "no ordinary relocation to af_alg_sendmsg: $(readelf -rW othermod.out.o)"
	elif readelf -sW othermod.out.o | grep -q 'klp.sym.af_alg'; then
		fail "a .klp.sym symbol of af_alg was made"
	else
		pass
	fi
fi

# 40. A change only a relocation's addend shows: the same instruction
#     reads another element of a global array.
cat >addend.orig.c <<'C'
extern int table[8];
int pick_slot(void) { return table[2]; }
int other_slot(void) { return table[5]; }
C
sed 's/table\[2\]/table[3]/' addend.orig.c >addend.patched.c
run_case addend 0 && expect_funcs changed "pick_slot" && pass

# 41. A change only a relocation's symbol shows: a call goes to another
#     function of the same signature, the bytes are identical.
cat >callee.orig.c <<'C'
extern int fast_path(int);
extern int slow_path(int);
int dispatch(int x) { return fast_path(x) + 1; }
int keep(int x) { return slow_path(x) + 2; }
C
sed 's/return fast_path(x) + 1/return slow_path(x) + 1/' callee.orig.c >callee.patched.c
run_case callee 0 && expect_funcs changed "dispatch" && pass

# 42. Two files of an ld -r object each have a static helper; the patch
#     drops the first file's. The second file's helper must still be
#     paired with its own original (same file), not with the first's.
mkdir -p dropone/orig dropone/patched
cp multifile/orig/*.c dropone/orig/
cat >dropone/patched/mf-a.c <<'C'
int first(int x) { return x + 1 + 0 * x; }
C
cp multifile/orig/mf-b.c dropone/patched/
run_linked_case dropone 0 && expect_funcs changed "first" && pass

# E. Exports (exports.c): a livepatch cannot change the kernel's export
#    table. The 6.5+ records (.export_symbol) as include/linux/export.h
#    writes them; before 6.5, a __ksymtab_NAME in ___ksymtab+NAME.
export_header() {
	cat <<'C'
extern int printk(const char *fmt, ...);
#define EXPORT(sym, license) asm(".section \".export_symbol\",\"a\"\n__export_symbol_" #sym ":\n" \
	".asciz \"" license "\"\n.asciz \"\"\n.balign 8\n.quad " #sym "\n.previous\n")
C
}
{
	export_header
	cat <<'C'
int probe_failed(int err) { return printk("error %d\n", err); }
EXPORT(probe_failed, "GPL");
int keep(int x) { return x + 1; }
EXPORT(keep, "GPL");
C
} >exp.orig.c

# E1. dev_err_probe()'s fix (drivers/base/core.c, 6.12.113): a changed
#     exported function and a new exported one. The new export is refused
#     by name, with its own code (not as an unincluded .export_symbol).
{
	export_header
	cat <<'C'
int probe_failed(int err) { return printk("error %d!\n", err); }
EXPORT(probe_failed, "GPL");
int warn_probe(int err) { return printk("warning %d\n", err); }
EXPORT(warn_probe, "GPL");
int keep(int x) { return x + 1; }
EXPORT(keep, "GPL");
C
} >expadd.patched.c
cp exp.orig.c expadd.orig.c
run_case expadd 2 &&
	expect_json '"code": "export-added", "message": "the patch adds EXPORT_SYMBOL_GPL\(warn_probe\): a livepatch cannot add an export .*leave the EXPORT_SYMBOL line out of the patch you livepatch' &&
	expect_json '"function": "warn_probe"' &&
	! grep -q 'section-not-included' expadd.json && [[ ! -e expadd.out.o ]] && pass

# E1a. kpatch-verify rejects what a differ that ignored the export would
#      give: the module of the same change without the export line.
grep -v 'EXPORT(warn_probe' expadd.patched.c >expnoexp.patched.c
cp exp.orig.c expnoexp.orig.c
if run_case expnoexp 0 && expect_funcs changed "probe_failed"; then
	if JUMP_STRUCT_SIZE=16 "$verify" --parent vmlinux expadd.orig.o expadd.patched.o expnoexp.out.o \
		expadd.symtab >expadd.bad.verify 2>&1; then
		fail "kpatch-verify accepted a module for a patch that adds an export"
	elif ! grep -q 'the patched object adds the export of warn_probe' expadd.bad.verify; then
		fail "kpatch-verify: $(grep -m1 -E 'FAILED|ERROR' expadd.bad.verify)"
	else
		pass
	fi
fi

# E2. Only an export added to an existing, unchanged function.
{ cat exp.orig.c; echo 'int helper_fn(int x) { return x * 2; }'; } >expon.orig.c
{ cat expon.orig.c; echo 'EXPORT(helper_fn, "");'; } >expon.patched.c
run_case expon 2 && expect_json '"code": "export-added", "message": "the patch adds EXPORT_SYMBOL\(helper_fn\)' && pass

# E3. An export removed.
grep -v 'EXPORT(keep' exp.orig.c >exprm.patched.c
cp exp.orig.c exprm.orig.c
run_case exprm 2 && expect_json '"code": "export-removed", "message": "the patch removes EXPORT_SYMBOL_GPL\(keep\)' && pass

# E4. An export's license changed.
sed 's/EXPORT(keep, "GPL")/EXPORT(keep, "")/' exp.orig.c >explic.patched.c
cp exp.orig.c explic.orig.c
run_case explic 2 && expect_json '"code": "export-changed", "message": "the patch changes the export of keep \(license \\"GPL\\" -> \\"\\"' && pass

# E5. Before 6.5: __ksymtab_NAME in ___ksymtab_gpl+NAME.
cat >expold.orig.c <<'C'
extern int printk(const char *fmt, ...);
int old_style(int x) { return printk("%d\n", x); }
C
{ cat expold.orig.c; echo 'const void *__ksymtab_old_style __attribute__((section("___ksymtab_gpl+old_style"), used)) = old_style;'; } >expold.patched.c
run_case expold 2 && expect_json '"code": "export-added", "message": "the patch adds EXPORT_SYMBOL_GPL\(old_style\)' && pass

# E6. Exports as they were, an exported function changed: a module, and
#     kpatch-verify (run_case) accepts it.
sed 's/x + 1/x + 2/' exp.orig.c >expsame.patched.c
cp exp.orig.c expsame.orig.c
run_case expsame 0 && expect_funcs changed "keep" && pass

# T1. arch/x86/pci/fixup.c's fix (6.12.113) adds PCI quirks: entries of
#     .pci_fixup_final, a table the kernel reads from its own image. Refused,
#     naming the table and the new quirk.
cat >pcifix.orig.c <<'C'
extern int printk(const char *fmt, ...);
struct fixup { unsigned short vendor, device; void (*hook)(void *dev); };
static void quirk_a(void *dev) { printk("a %p\n", dev); }
static const struct fixup fixup_a __attribute__((used, section(".pci_fixup_final"))) = { 1, 2, quirk_a };
C
{ cat pcifix.orig.c; cat <<'C'
static void quirk_b(void *dev) { printk("b %p\n", dev); }
static const struct fixup fixup_b __attribute__((used, section(".pci_fixup_final"))) = { 1, 3, quirk_b };
C
} >pcifix.patched.c
run_case pcifix 2 &&
	expect_json '"code": "section-not-included", "message": "changed section \.pci_fixup_final \(2 entries referring to functions, e\.g\. quirk_b\) not selected for inclusion: it is a table the kernel reads from its own image .*ship it in a kernel update' &&
	pass

# O1. drivers/nvme/host/core.c's fix (6.12.113) changes functions using
#     dev_warn_once(), whose call-site flag __print_once is __read_mostly:
#     the section holds every such variable of the file. When the changed
#     code reaches only call-site flags in it, they start fresh (as WARN_ONCE's
#     do) and the module is built (run_case also runs kpatch-verify on it).
cp "$fixtures/once-flags.c" once.orig.c
sed 's/x \* 3;/x * 4;/' once.orig.c >once.patched.c
run_case once 0 && expect_funcs changed "once_fn" && pass

# O2. The same section, but the changed code also reads a real
#     __read_mostly variable of it: a copy of the section would give the
#     patched code a fresh tunable; refused as before.
cp once.orig.c tune.orig.c
sed 's/x + tunable;/x - tunable;/' once.orig.c >tune.patched.c
run_case tune 2 &&
	expect_json '"code": "data-included", "message": "data section \.data\.\.read_mostly \(__print_once\.[0-9]+\) selected for inclusion' &&
	pass

# O3. A loop bound just past a static table (nvme's core_quirks): the
#     reference points at the end of the array, where no symbol starts; the
#     module's is the kernel's table+size, which kpatch-verify (run_case)
#     must take for the same place.
cp "$fixtures/array-end.c" aend.orig.c
sed 's/return 0;/return -1;/' aend.orig.c >aend.patched.c
run_case aend 0 && expect_funcs changed "find_flags" && pass

# B1. kernel/bpf/btf.c's fix (6.12.113): BTF_ID() slots are named with
#     __COUNTER__ and __LINE__, which the fix shifts for every slot; an
#     unchanged reader of one is unchanged (run_case: kpatch-verify agrees).
cp "$fixtures/btf-ids.c" btfid.orig.c
sed -e 's/11016165/11046165/' -e 's/12016170/12046170/' -e 's/x \* 3;/x * 4;/' btfid.orig.c >btfid.patched.c
run_case btfid 0 && expect_funcs changed "changed_fn" && pass

# M1. net/netfilter/nf_conntrack_netlink.c's fix (6.12.113) uses
#     __COUNTER__ once more before the file's MODULE_ALIAS strings, so two
#     .modinfo strings of different lengths swap names. Module metadata is
#     not data a livepatch touches: the changed function is patched, and no
#     .modinfo string goes into the output.
cp "$fixtures/modinfo-alias.c" modalias.orig.c
sed -e 's#/\* COUNTER_USE \*/#enum { counter_use = __COUNTER__ };#' -e 's/x \* 3;/x * 4;/' \
	modalias.orig.c >modalias.patched.c
if run_case modalias 0 && expect_funcs changed "lookup_fn"; then
	if readelf -sW modalias.out.o | grep -q '__UNIQUE_ID_'; then
		fail "module metadata went into the output: $(readelf -sW modalias.out.o | grep __UNIQUE_ID_)"
	else
		pass
	fi
fi

# M2. The same renaming and a changed MODULE_DESCRIPTION, no code change:
#     nothing to livepatch (the real fix compiles to the same code without
#     lockdep).
sed -e 's#/\* COUNTER_USE \*/#enum { counter_use = __COUNTER__ };#' -e 's/"conntrack netlink"/"conntrack netlink interface"/' \
	modalias.orig.c >modonly.patched.c
cp modalias.orig.c modonly.orig.c
run_case modonly 3 && expect_json '"verdict": "no-change"' && pass

# M3. The same strings in a section the running code reads: a size change
#     is a change of data layout, refused as before.
cp modalias.orig.c modrodata.orig.c
cp modalias.patched.c modrodata.patched.c
run_case modrodata 2 '-DSECTION=".rodata.aliases"' &&
	expect_json '"code": "object-size-changed", "message": "object size mismatch: __UNIQUE_ID_alias[0-9]+ is [0-9]+ bytes' &&
	pass

# O4. net/ipv6/mcast.c's fix (6.12.113) drops ASSERT_RTNL() from changed
#     functions: their WARN_ONCE flags leave .data..once, which all of a
#     file's once-flags share, and the others are renumbered. The running
#     code keeps its flags; nothing uses the change, so the changed function
#     is patched.
cp "$fixtures/data-once.c" oncedrop.orig.c
sed 's/warn_on_once(x > 100); return x + 1;/return x + 2;/' oncedrop.orig.c >oncedrop.patched.c
run_case oncedrop 0 && expect_funcs changed "drop_fn" && pass

# O5. A changed function gains a once-site (all flags renumbered): it gets
#     fresh zero flags in the module's own copy of .data..once, not the
#     running kernel's (its message may print once more).
cp oncedrop.orig.c onceadd.orig.c
sed 's/return x \* 3;/warn_on_once(x == 3); return x * 3;/' onceadd.orig.c >onceadd.patched.c
if run_case onceadd 0 && expect_funcs changed "join_fn"; then
	sec=$(readelf -SW onceadd.out.o | sed -n 's/^ *\[ *\([0-9]*\)\] \.data\.\.once .*/\1/p')
	if [[ -z $sec ]]; then
		fail "the output has no .data..once of its own"
	elif ! readelf -sW onceadd.out.o | grep -Eq "OBJECT +LOCAL +DEFAULT +$sec __already_done"; then
		fail "join_fn's flags are not the module's own: $(readelf -sW onceadd.out.o | grep __already_done)"
	elif grep -q '"symbol": "__already_done' onceadd.json; then
		fail "a once-flag became a klp relocation to the kernel's"
	else
		pass
	fi
fi

# O6. dev_warn_once()'s flags are __read_mostly, beside the file's other
#     __read_mostly variables: dropping one site of a changed function
#     changes only flags when only flags are there (patched), but not when
#     another variable is there too, whose change would be real (refused).
sed 's/\.data\.\.once/.data..read_mostly/' oncedrop.orig.c >oncerm.orig.c
sed 's/\.data\.\.once/.data..read_mostly/' oncedrop.patched.c >oncerm.patched.c
run_case oncerm 0 && expect_funcs changed "drop_fn" && pass
sed 's#/\* OTHER_DATA \*/#static char once_note[3] __attribute__((used, section(".data..read_mostly")));#' \
	oncerm.orig.c >oncevar.orig.c
sed 's/warn_on_once(x > 100); return x + 1;/return x + 2;/' oncevar.orig.c >oncevar.patched.c
run_case oncevar 2 &&
	expect_json '"code": "data-changed", "message": "changed data \.data\.\.read_mostly' && pass

# O7. The other variable's initial value really changes, beside a dropped
#     once-site: refused.
sed 's#/\* OTHER_DATA \*/#static int limit __attribute__((section(".data..once"))) = 5; int limit_fn(void) { return limit; }#' \
	oncedrop.orig.c >oncelimit.orig.c
sed -e 's/warn_on_once(x > 100); return x + 1;/return x + 2;/' -e 's/= 5;/= 6;/' \
	oncelimit.orig.c >oncelimit.patched.c
run_case oncelimit 2 &&
	expect_json '"code": "data-changed", "message": "changed data \.data\.\.once' && pass

echo "$passed passed, $failed failed"
((failed == 0))
