#!/usr/bin/env bash
# kpatch-verify on small C sources compiled the way kbuild compiles the
# kernel: the differ's output and a module linked from it (an ld -r with a
# stand-in for the module template, then create-klp-module, as
# build-module does) verify; the differ's known-wrong outputs and faults
# injected into the module are caught by the check that names them.
set -euo pipefail

build=${1:-${BUILD:-build}}
cdo=$(realpath "$build/create-diff-object/create-diff-object")
verify=$(realpath "$build/verify/kpatch-verify")
mutate=$(realpath "$build/test/unit/verify-mutate")
ckm=$(realpath "$build/kpatch-build/create-klp-module")
# shellcheck source-path=SCRIPTDIR source=kernel-cflags.sh
source "$(dirname "${BASH_SOURCE[0]}")/kernel-cflags.sh"
fixtures=$(realpath "$(dirname "${BASH_SOURCE[0]}")/cdo-fixtures")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
passed=0
failed=0

pass() { passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

# build NAME: NAME.orig.o / NAME.patched.o from orig/ and patched/ sources of
# that case (several files are linked with ld -r, as kbuild links a
# composite object), its symbol table standing in for the parent's
build() {
	local name=$1 d
	for d in orig patched; do
		(cd "$name/$d" && for c in *.c; do gcc "${cflags[@]}" -o "${c%.c}.o" "$c"; done &&
			ld -r -o "../../$name.$d.o" ./*.o)
	done
	readelf -s --wide "$name.orig.o" >"$name.symtab"
}

# differ NAME PARENT: NAME.out.o
differ() {
	"$cdo" "$1.orig.o" "$1.patched.o" "$2" "$1.symtab" symvers test "$1.out.o" >/dev/null 2>"$1.err" ||
		{ fail "$1: create-diff-object failed: $(cat "$1.err")"; return 1; }
}

# fixture_objects NAME FILE SED: NAME.orig.o and NAME.patched.o from
# cdo-fixtures/FILE and a copy of it edited by the sed expression SED
fixture_objects() {
	local name=$1 file=$2
	mkdir -p "$name/orig" "$name/patched"
	cp "$fixtures/$file" "$name/orig/$file"
	sed "$3" "$name/orig/$file" >"$name/patched/$file"
	build "$name"
}

# fixture_case NAME FILE SED: fixture_objects, and NAME.out.o for vmlinux
fixture_case() {
	fixture_objects "$@"
	differ "$1" vmlinux
}

# mutant_finding NAME WHAT CHECK REGEX MUTATION...: NAME.out.o mutated
# (verify-mutate) is refused with a CHECK finding matching REGEX
mutant_finding() {
	local name=$1 what=$2 check=$3 regex=$4
	shift 4
	"$mutate" "$name.out.o" "$name.bad.o" "$@"
	run_verify "$name" "$name.bad.o"
	expect_finding "$what" "$check" "$regex"
}

# run_verify NAME MODULE [OPTIONS...]: $status, output in out
run_verify() {
	local name=$1 module=$2
	shift 2
	status=0
	"$verify" --symvers symvers "$@" "$name.orig.o" "$name.patched.o" "$module" "$name.symtab" \
		>out 2>&1 || status=$?
}

expect_verified() {
	if [[ $status == 0 ]] && grep -q ': verified: ' out; then
		pass
	else
		fail "$1: exit $status, expected verified"
		sed 's/^/    /' out | grep -v note | head -n 5
	fi
}

expect_finding() {	# expect_finding WHAT CHECK REGEX
	if [[ $status == 2 ]] && grep -Eq -- "FAILED $2: .*$3" out; then
		pass
	else
		fail "$1: exit $status, no $2 finding matching /$3/"
		sed 's/^/    /' out | grep -v note | head -n 5
	fi
}

# link_module NAME: NAME.ko (template stand-in + output, as kbuild links
# it) and NAME.klp.ko (create-klp-module's livepatch format)
link_module() {
	cat >tmpl.c <<'TMPL'
int livepatch_init_stub(void) { return 0; }
int init_module(void) { return livepatch_init_stub() + 7; }
void cleanup_module(void) { livepatch_init_stub(); }
__attribute__((section(".gnu.linkonce.this_module"))) char this_module_stub[64];
struct modversion_info { unsigned long crc; char name[56]; };
__attribute__((section("__versions"))) struct modversion_info versions[] = {
	{ 0x1234, "__fentry__" },
};
TMPL
	gcc -O2 -c -fno-pie -mcmodel=kernel -fno-asynchronous-unwind-tables -o tmpl.o tmpl.c
	ld -r -o "$1.ko" tmpl.o "$1.out.o"
	"$ckm" "$1.ko" "$1.klp.ko"
}

printf '0x1234\t__fentry__\tvmlinux\tEXPORT_SYMBOL\t\n' >symvers
printf '0x5678\tother_export\tdrivers/other/othermod\tEXPORT_SYMBOL\t\n' >>symvers

# --- a module fix: a klp relocation to a local of the parent module
mkdir -p demo/orig demo/patched
cat >demo/orig/demo.c <<'EOF_C'
static int __attribute__((noinline)) local_helper(int x) { return x + 11; }
int demo_fn(int x) { return local_helper(x) * 2; }
/* the module's own entry points, as module_init()/module_exit() make them:
 * the livepatch module's (the template's) have the same names */
static int __attribute__((section(".init.text"))) demo_init(void) { return 5; }
static void __attribute__((section(".exit.text"))) demo_exit(void) { }
int init_module(void) __attribute__((alias("demo_init")));
void cleanup_module(void) __attribute__((alias("demo_exit")));
EOF_C
sed 's/\* 2;/* 3;/' demo/orig/demo.c >demo/patched/demo.c
build demo
differ demo demo
run_verify demo demo.out.o
expect_verified "module fix, differ output"
link_module demo
run_verify demo demo.klp.ko
expect_verified "module fix, linked livepatch module"
run_verify demo demo.ko
expect_finding "klp relocation left for the module loader" klp-reloc \
	'function demo_fn \(\.text\.demo_fn\+0x[0-9a-f]+\): relocation to \.klp\.sym\.demo\.local_helper,0 left in \.rela\.text\.demo_fn'

inject() {	# inject DESCRIPTION CHECK REGEX MUTATION...
	local what=$1 check=$2 regex=$3
	shift 3
	if ! "$mutate" demo.klp.ko bad.ko "$@" 2>out; then
		fail "$what: cannot inject: $(cat out)"
		return
	fi
	run_verify demo bad.ko
	expect_finding "$what" "$check" "$regex"
}
inject "module: a byte flipped" soundness 'function demo_fn \(\.text\.demo_fn\+0x5\): .*bytes differ at \+0x5' \
	byte demo_fn 5
inject "module: a klp symbol's sympos changed" soundness \
	'demo_fn .*klp symbol local_helper,1 of demo, but local_helper is local_helper,0 of demo' \
	rename-sym '.klp.sym.demo.local_helper,0' '.klp.sym.demo.local_helper,1'
inject "module: a klp relocation's addend changed" soundness \
	'demo_fn .*refers to demo.s local_helper \(sympos 0\)-3 where the patched object refers to local_helper-4' \
	addend demo_fn 1 1
inject "module: a klp relocation for an unregistered object" klp-reloc \
	'\.klp\.rela\.othermod\.\.text\.demo_fn is for othermod, which the patch does not register' \
	klp-obj demo othermod
inject "module: the record dropped" klp-func \
	'the module carries a local copy of demo_fn, which the original object has, without patching it \(it changed' \
	drop-record 0

# import CRCs: the module's must be the kernel's
run_verify demo demo.klp.ko
expect_verified "module: CRCs match"
sed -i 's/^0x1234/0x4321/' symvers
run_verify demo demo.klp.ko
expect_finding "module: a CRC the kernel does not have" crc \
	'function __fentry__ \(__versions\+0x0\): the module was built against __fentry__ with CRC 0x00001234; the kernel.s is 0x00004321'
sed -i '/__fentry__/d' symvers
run_verify demo demo.klp.ko
expect_finding "module: an import nobody exports" import 'the module imports __fentry__, which neither the kernel nor a module exports'
printf '0x1234\t__fentry__\tvmlinux\tEXPORT_SYMBOL\t\n' >>symvers

# --- a call to a weak function the kernel links another definition of:
# the klp relocation means the kernel's (strong) one, whatever its size
mkdir -p weak/orig weak/patched
cat >weak/orig/demo.c <<'EOF_C'
void __attribute__((weak)) arch_hook(int *x) { }
int demo_fn(int x) { arch_hook(&x); return x * 2; }
EOF_C
sed 's/x \* 2;/x * 3;/' weak/orig/demo.c >weak/patched/demo.c
build weak
printf 'void arch_hook(int *x) { *x += 100; x[1] = x[2] * 7; }\n' >strong.c
gcc "${cflags[@]}" -o strong.o strong.c
ld -r -o weak.parent.o weak.orig.o strong.o
readelf -s --wide weak.parent.o >weak.symtab
differ weak vmlinux
run_verify weak weak.out.o
if readelf -sW weak.out.o | grep -q '\.klp\.sym\.vmlinux\.arch_hook,0'; then
	expect_verified "a call to an overridden weak function"
else
	fail "a call to an overridden weak function: no klp relocation to arch_hook to check"
fi

# --- runtime_const_ptr(): the module loads the variable instead of the
# immediate the kernel patches at boot; loading another variable is wrong
mkdir -p rconst/orig rconst/patched
cat >rconst/orig/rc.c <<'EOF_C'
extern unsigned long USER_PTR_MAX, OTHER_MAX;
#define runtime_const_ptr(sym) ({ unsigned long __ret;				\
	asm("mov %1,%0\n1:\n.pushsection runtime_ptr_" #sym ",\"a\"\n\t"	\
	    ".long 1b - %c2 - .\n.popsection"					\
	    : "=r" (__ret) : "i" (0x0123456789abcdefull), "i" (sizeof(long)));	\
	__ret; })
int valid_ptr(unsigned long p) { return p <= runtime_const_ptr(USER_PTR_MAX) + OTHER_MAX; }
EOF_C
sed 's/p <= runtime/p + 1 <= runtime/' rconst/orig/rc.c >rconst/patched/rc.c
printf '0x1\tUSER_PTR_MAX\tvmlinux\tEXPORT_SYMBOL\t\n0x2\tOTHER_MAX\tvmlinux\tEXPORT_SYMBOL\t\n' >>symvers
build rconst
differ rconst vmlinux
run_verify rconst rconst.out.o
expect_verified "runtime_const_ptr() turned into a load"
"$mutate" rconst.out.o bad.o retarget .text.valid_ptr 1 OTHER_MAX
run_verify rconst bad.o
expect_finding "runtime_const_ptr() turned into a load of another variable" soundness \
	'function valid_ptr .*relocation at \+0xc refers to undefined OTHER_MAX\+0 where the patched object refers to'

# --- a module fix calling another module's export: the kernel would never
# apply its klp relocation (known differ bug while it emits one)
mkdir -p other/orig other/patched
cat >other/orig/demo.c <<'EOF_C'
extern int other_export(int);
int demo_fn(int x) { return x * 2; }
EOF_C
sed 's/x \* 2;/x * 2 + other_export(x);/' other/orig/demo.c >other/patched/demo.c
build other
differ other demo
run_verify other other.out.o
# (that the verifier catches the old wrong output, a klp relocation for
# othermod, is shown by make mutation-test's klp-other-module-export fault)
if readelf -sW other.out.o | grep -q '\.klp\.sym\.othermod\.other_export'; then
	fail "the differ turned another module's export into a klp relocation"
else
	expect_verified "another module's export"
fi

# --- an ld -r object of two files with same-named static helpers, both
# changed: each must be replaced, at its own sympos
mkdir -p helpers/orig helpers/patched
printf 'static int __attribute__((noinline)) helper(int x) { return x * 3; }\nint a_entry(int x) { return helper(x) + 1; }\n' >helpers/orig/a.c
printf 'static int __attribute__((noinline)) helper(int x) { return x * 5; }\nint b_entry(int x) { return helper(x) + 2; }\n' >helpers/orig/b.c
sed 's/x \* 3/x * 7/' helpers/orig/a.c >helpers/patched/a.c
sed 's/x \* 5/x * 9/' helpers/orig/b.c >helpers/patched/b.c
build helpers
differ helpers vmlinux
run_verify helpers helpers.out.o
helper_records=$(readelf -rW helpers.out.o |
	awk '/^Relocation section/ { f = /\.rela\.kpatch\.funcs/; next } f && / helper \+ 0$/' | wc -l)
if ((helper_records < 2)); then
	fail "two helpers: the differ gave $helper_records record(s) for helper, expected 2"
else
	expect_verified "two helpers, two records"
fi
"$mutate" helpers.out.o bad.o sympos 0 7
run_verify helpers bad.o
expect_finding "two helpers: a wrong sympos" klp-func 'record says [a-z_]+,7 of vmlinux'

# --- three functions in one section (__sched): the middle one grows, so
# the last one's call back to the first, resolved by the assembler with no
# relocation, gets another displacement while its target stays the same:
# the caller did not change
mkdir -p shared/orig shared/patched
cat >shared/orig/shared.c <<'EOF_C'
#define SHARED __attribute__((section(".sched.text"), noinline))
static SHARED int target_fn(int x) { return x * 7 - 2; }
SHARED int middle_fn(int x) { return x * 3; }
SHARED int caller_fn(int x) { return target_fn(x) + 1; }
EOF_C
sed 's/return x \* 3;/return x * 3 + (x >> 2) * (x ^ 5);/' shared/orig/shared.c >shared/patched/shared.c
build shared
differ shared vmlinux
run_verify shared shared.out.o
expect_verified "a call between functions of one section, its displacement moved"

# --- a changed static notrace helper entered only through its two callers,
# which the module replaces instead: verified; not if one caller is left
# running (its old copy calls the old helper) or if the kernel also holds
# the helper's address (it can enter the old copy through it)
mkdir -p viacall/orig viacall/patched viaaddr/orig viaaddr/patched
cat >viacall/orig/v.c <<'C'
static __attribute__((noipa, no_instrument_function)) int helper(int x) { return x * 7 + 1; }
int first(int x) { return helper(x) * 2; }
int second(int x) { return helper(x + 1) * 3; }
C
sed 's/+ 1; }/+ 2; }/' viacall/orig/v.c >viacall/patched/v.c
{ cat viacall/orig/v.c; echo 'int (*helper_ptr)(int) = helper;'; } >viaaddr/orig/v.c
{ cat viacall/patched/v.c; echo 'int (*helper_ptr)(int) = helper;'; } >viaaddr/patched/v.c
build viacall
build viaaddr
differ viacall vmlinux
run_verify viacall viacall.out.o
expect_verified "a notrace helper reached only through its replaced callers"
"$mutate" viacall.out.o viacall.one.o drop-record 1
run_verify viacall viacall.one.o
expect_finding "a notrace helper with a caller left unreplaced" completeness "helper .*changed.*its caller second is not replaced"
"$mutate" viacall.out.o viacall.old.o retarget .text.first 1 .klp.sym.vmlinux.helper,0
run_verify viacall viacall.old.o
expect_finding "a replaced caller calling the kernel's old notrace helper" completeness "helper .*changed.*refers to the running kernel's old helper"
run_verify viaaddr viacall.out.o
expect_finding "a notrace helper whose address the kernel holds" completeness "helper .*changed.*other than by a direct call"

# --- a static call site the module's link wrote: the kernel finds a key
# from a trampoline only for calls exported without their key, so a site
# naming the trampoline of an exported key fails insmod (realfix svm.c)
mkdir -p scall/orig scall/patched
cat >scall/orig/s.c <<'C'
extern void __SCT__tp_func_demo(int);
int show(int x) { __SCT__tp_func_demo(x); return x + 1; }
C
sed 's/x + 1/x + 2/' scall/orig/s.c >scall/patched/s.c
build scall
differ scall vmlinux
printf '0x9\t__SCK__tp_func_demo\tvmlinux\tEXPORT_SYMBOL_GPL\t\n0xa\t__SCT__tp_func_demo\tvmlinux\tEXPORT_SYMBOL_GPL\t\n' >>symvers
for key in __SCK__tp_func_demo __SCT__tp_func_demo; do
	printf '.section .static_call_sites,"aw"\n.long livepatch_init_stub - .\n.long %s - .\n.section .note.GNU-stack,"",@progbits\n' "$key" >sites.s
	gcc -c -o sites.o sites.s
	ld -r -o scall.ko tmpl.o scall.out.o sites.o
	"$ckm" scall.ko scall.klp.ko
	run_verify scall scall.klp.ko
	if [[ $key == __SCK__* ]]; then
		expect_verified "a static call site naming its exported key"
	else
		expect_finding "a static call site naming the trampoline of an exported key" special \
			'names trampoline __SCT__tp_func_demo, but its key __SCK__tp_func_demo is exported \(by vmlinux\)'
	fi
done
# --- alternatives whose replacements sit back to back (prefetch() in mlx5's
# en_rx.c): the module keeps the changed functions' replacements only, so
# the bytes after a replacement are another alternative's there; a
# replacement is compared over the length its entry gives, and a byte
# flipped inside one is still found
mkdir -p altpack/orig altpack/patched
cat >altpack/orig/alt.c <<'EOF_C'
#define ALT(orig, repl) asm volatile("661:\n\t.byte " orig "\n662:\n"			\
	".pushsection .altinstructions,\"a\"\n"					\
	".long 661b - .\n.long 6641f - .\n.long 0xc8\n.byte 662b-661b\n.byte 6642f-6641f\n" \
	".popsection\n"								\
	".pushsection .altinstr_replacement,\"ax\"\n6641:\n\t.byte " repl "\n6642:\n"	\
	".popsection\n" ::: "memory")
int first_fn(int x) { ALT("0x0f,0x18,0x08", "0x0f,0x0d,0x08"); ALT("0x0f,0x18,0x48,0x40", "0x0f,0x0d,0x48,0x40"); return x * 2; }
int middle_fn(int x) { ALT("0x0f,0x18,0x08", "0x0f,0x0d,0x08"); return x + 1; }
int last_fn(int x) { ALT("0x41,0x0f,0x18,0x0e", "0x41,0x0f,0x0d,0x0e"); return x - 3; }
EOF_C
sed -e 's/x \* 2;/x * 3;/' -e 's/x - 3;/x - 4;/' altpack/orig/alt.c >altpack/patched/alt.c
build altpack
differ altpack vmlinux
run_verify altpack altpack.out.o
expect_verified "packed alternative replacements, the next one not carried"
mutant_finding altpack "a byte flipped inside a carried replacement" special \
	'function first_fn \(\.altinstructions\+0xe\): entry mirrors no entry of the patched object' \
	byte .altinstr_replacement 5

# --- dev_warn_once()'s flags in the shared .data..read_mostly: the module
# keeps a fresh copy of the section for them; code made to use that copy
# of a real variable (tunable) instead is found
printf '0x3\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n' >>symvers
fixture_case once once-flags.c 's/x \* 3;/x * 4;/'
run_verify once once.out.o
expect_verified "call-site flags in a shared __read_mostly section, copied"
mutant_finding once "the copied section's real variable used instead of the flag" soundness \
	'function once_fn .*refers to tunable' retarget .text.once_fn 1 tunable

# --- the end of a static table as a loop bound: the module's reference one
# byte further is found
printf '0x4\tmatch\tvmlinux\tEXPORT_SYMBOL\t\n' >>symvers
fixture_case aend array-end.c 's/return 0;/return -1;/'
run_verify aend aend.out.o
expect_verified "a reference just past the end of a static table"
mutant_finding aend "the table's end moved by a byte" soundness \
	'function find_flags .*quirks \(sympos 0\)\+65 where the patched object refers to \.rodata\.quirks\+0x40' \
	addend find_flags 3 1

# --- BTF_ID() slots renumbered by the fix: the unchanged reader of one is
# unchanged; a reader switched to another type's slot is a change the
# module must replace
shift_ids='s/11016165/11046165/; s/12016170/12046170/; s/x \* 3;/x * 4;/'
fixture_case btfid btf-ids.c "$shift_ids"
run_verify btfid btfid.out.o
expect_verified "BTF_ID() slots renumbered, their reader unchanged"
fixture_objects btfother btf-ids.c "$shift_ids; s/return ctx_convert_id\[0\]/return other_id[0]/"
run_verify btfother btfid.out.o
expect_finding "a reader switched to another BTF_ID() slot, not replaced" completeness \
	'parse_ids changed \(relocation at \+0x[0-9a-f]+ refers to .* but the module does not replace it'

echo "$passed passed, $failed failed"
((failed == 0))
