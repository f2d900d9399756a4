#!/usr/bin/env bash
# create-diff-object on small C programs cross-compiled for ppc64le the way
# kbuild compiles ppc64le kernel code (ELFv2, -mprofile-kernel,
# -mcmodel=medium): what the kpatch-unit corpus does not cover, its objects
# having been built with kpatch's gcc plugin, which puts a nop after every
# call. Needs powerpc64le-linux-gnu-gcc (gcc-powerpc64le-linux-gnu).
set -euo pipefail

build=${1:-${BUILD:-build}}
cdo=$(realpath "$build/create-diff-object/create-diff-object")
verify=$(realpath "$build/verify/kpatch-verify")
mutate=$(realpath "$build/test/unit/verify-mutate")
cc=${PPC64LE_CC:-powerpc64le-linux-gnu-gcc}
# shellcheck source-path=SCRIPTDIR source=cdo-case-helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/cdo-case-helpers.sh"
cross_case_setup gcc-powerpc64le-linux-gnu

# arch/powerpc/Makefile's code model, ABI and ftrace flags
cflags=(-O2 -c -ffunction-sections -fdata-sections -pg -mprofile-kernel -mcmodel=medium
	-mabi=elfv2 -mtraceback=no -mno-prefixed -mno-pcrel
	-fno-asynchronous-unwind-tables -fno-stack-protector)

# the machine run_case (cdo-case-helpers.sh) expects of an output
machine=PowerPC64

# 1. The changed function calls a static helper, which calls another:
#    local calls have no nop after the bl for a module loader stub to
#    restore the TOC pointer in, so the helpers go with it, unchanged,
#    unpatched, local; the call through a nop to printk stays.
cat >ppclocal.orig.c <<'C'
extern int printk(const char *fmt, ...);
extern int a;
static __attribute__((noinline)) int leaf(int x) { return x * a; }
static __attribute__((noinline)) int helper(int x) { return printk("helper %d\n", leaf(x)); }
int show(int x) { return helper(x) + printk("value: %d\n", x); }
C
sed 's/value: /VALUE: /' ppclocal.orig.c >ppclocal.patched.c
if run_case ppclocal 0 && expect_funcs changed "show" && expect_funcs new "" &&
   expect_json 'unchanged function helper goes into the output: show reaches it' &&
   expect_json 'unchanged function leaf goes into the output: helper reaches it'; then
	if [[ $(readelf -sW ppclocal.out.o | awk '$4 == "FUNC" && $7 != "UND" { print $5, $NF }' |
		sort | tr '\n' ' ') != "LOCAL helper LOCAL leaf LOCAL show " ]] ||
	   grep -q '"symbol": "helper"' ppclocal.json; then
		fail "helper and leaf are not carried as local functions: $(readelf -sW ppclocal.out.o | grep FUNC)"
	else
		pass
	fi
fi

# 2. So does the static function a sibling call (b, not bl) goes to:
#    through a stub it would return with the module's TOC pointer.
cat >ppcsib.orig.c <<'C'
extern int a;
static __attribute__((noinline)) int helper(int x) { return x * a; }
int tail(int x) { return helper(x + 1); }
C
sed 's/x + 1/x + 2/' ppcsib.orig.c >ppcsib.patched.c
run_case ppcsib 0 && expect_funcs changed "tail" &&
	expect_json 'unchanged function helper goes into the output: tail reaches it' && pass

# 3. A call without a nop to a function of another object (hand
#    written) cannot be carried: refused.
cat >ppcasm.orig.c <<'C'
int counter;
void kick(int x)
{
counter += x;
asm volatile("bl ext_func" : : : "memory", "lr", "ctr", "r0", "r3", "r4", "r5", "r6",
	     "r7", "r8", "r9", "r10", "r11", "r12");
}
C
sed 's/counter += x;/counter += 2 * x;/' ppcasm.orig.c >ppcasm.patched.c
run_case ppcasm 2 && expect_json '"code": "arch-unsupported"' &&
	expect_json 'kick\+0x[0-9a-f]+: call to ext_func, which stays in the kernel, has no nop' &&
	[[ ! -e ppcasm.out.o ]] && pass

# 4. A new .toc entry moves every later one: the function whose entry
#    moved is unchanged; the output's .toc holds only the changed
#    function's two entries, and its loads are pointed at them.
cat >ppctoc.orig.c <<'C'
extern int a, b, c;
int f1(void) { return a; }
int f2(void) { return b; }
C
sed 's/return a;/return a + c;/' ppctoc.orig.c >ppctoc.patched.c
if run_case ppctoc 0 && expect_funcs changed "f1"; then
	if [[ $(readelf -SW ppctoc.out.o |
		sed -nE 's/.*\] \.toc +PROGBITS +[0-9a-f]+ [0-9a-f]+ ([0-9a-f]+) .*/\1/p') != 000010 ]] ||
	   [[ $(readelf -rW ppctoc.out.o | awk '/^Relocation section/ { t = /\.rela\.toc/; next }
		t && /R_PPC64_ADDR64/ { print $5 }' | tr '\n' ' ') != "a c " ]] ||
	   ! readelf -rW ppctoc.out.o | grep -q 'R_PPC64_TOC16_LO_DS *0* \.toc + 8$'; then
		fail "the output's .toc is not f1's two entries a, c: $(readelf -rW ppctoc.out.o | grep -A4 'rela.toc')"
	else
		pass
	fi
fi

# 5. Code moved down the file: only the li of __LINE__ into r4
#    (__might_sleep) and r5 (a "%s:%d" printk) differ: no change.
cat >ppcline.orig.c <<'C'
extern int printk(const char *fmt, ...);
extern void __might_sleep(const char *file, int line);
int slow(int x)
{
__might_sleep(__FILE__, __LINE__);
return printk("at %s:%d\n", __FILE__, __LINE__) + x;
}
C
{ echo; echo; cat ppcline.orig.c; } >ppcline.patched.c
run_case ppcline 3 && pass

# 6. ...but a li that is not a line number is a change.
cat >ppclimit.orig.c <<'C'
extern int printk(const char *fmt, ...);
int show_limit(void) { return printk("limit %d\n", 5); }
C
sed 's/, 5)/, 6)/' ppclimit.orig.c >ppclimit.patched.c
run_case ppclimit 0 && expect_funcs changed "show_limit" && pass

# 7. Big-endian ppc64 is another ABI (ELFv1 kernels): an error, not
#    a wrong output.
printf 'int f(int x) { return x + 1; }\n' >ppcbe.orig.c
printf 'int f(int x) { return x + 2; }\n' >ppcbe.patched.c
run_case ppcbe 1 -mbig-endian && grep -q 'ppcbe.orig.o: a big-endian ppc64 object' ppcbe.stderr &&
	[[ ! -e ppcbe.out.o ]] && pass

# ---- special sections of 6.12 (arch/powerpc/include/asm: extable.h,
# feature-fixups.h, jump_label.h, bug.h): the output keeps the changed
# function's entries, whole, and kpatch-verify (independent of the differ)
# accepts it and rejects it broken.

# verified: kpatch-verify accepts $case.out.o
verified() {
	if "$verify" "$case.orig.o" "$case.patched.o" "$case.out.o" "$case.symtab" \
		>"$case.verify" 2>&1; then
		return 0
	fi
	fail "kpatch-verify does not accept the output: $(grep FAILED "$case.verify" | head -n 3)"
	return 1
}

# rejected REGEX MUTATION...: kpatch-verify finds REGEX in the output broken so
rejected() {
	local regex=$1 status=0
	shift
	"$mutate" "$case.out.o" "$case.bad.o" "$@" 2>"$case.mutate" ||
		{ fail "cannot break the output ($*): $(cat "$case.mutate")"; return 1; }
	"$verify" "$case.orig.o" "$case.patched.o" "$case.bad.o" "$case.symtab" \
		>"$case.verify" 2>&1 || status=$?
	if ((status == 2)) && grep -Eq -- "FAILED .*$regex" "$case.verify"; then
		return 0
	fi
	fail "kpatch-verify on the output broken by '$*': exit $status, no finding /$regex/: $(grep FAILED "$case.verify" | head -n 3)"
	return 1
}

# expect_relocs SECTION "offset type target ..." (a line each, offsets
# in hex, targets symbol+addend): the output's relocations of SECTION
expect_relocs() {
	local got
	got=$(relocs_of "$1" | awk '{ sub(/^0+/, "", $1); print ($1 == "" ? 0 : $1), $2, $3 }')
	[[ $got == "$2" ]] || { fail "relocations of $1: {$got}, expected {$2}"; return 1; }
}

# section_size SECTION: the size of the output's SECTION, in hex, or nothing
section_size() {
	readelf -SW "$case.out.o" | sed 's/^ *\[ *[0-9]*\] //' |
		awk -v n="$1" '$1 == n { sub(/^0+/, "", $5); print ($5 == "" ? 0 : $5) }'
}

# expect_size SECTION HEX
expect_size() {
	[[ $(section_size "$1") == "$2" ]] ||
		{ fail "$1 is $(section_size "$1") bytes (hex), expected $2"; return 1; }
}

# the __ex_table relocations as "half type symbol" lines (the offsets
# into the function are the compiler's)
ex_halves() {
	relocs_of __ex_table | awk '{ h = (strtonum("0x" $1) % 8) ? "fixup" : "insn";
		t = $3; sub(/\+.*/, "", t); print h, $2, t }'
}

# 8. Exception table entries are two 32-bit offsets, {insn, fixup}: put_user's
#    asm goto sends a fault to a label of the function, get_user's older
#    shape to a .fixup piece that branches back. The output keeps copy_one's
#    two entries whole (both halves), and of .fixup only its piece.
cat >ppcex.orig.c <<'C'
#define EX_TABLE(fault, target) \
	".pushsection __ex_table,\"a\"\n.balign 4\n.long (" #fault ") - .\n.long (" #target ") - .\n.popsection\n"
#define EFAULT 14
static inline int put_int(int val, int *p)
{
	asm goto("1: stw%U1%X1 %0,%1\n" EX_TABLE(1b, %l2) : : "r"(val), "m<>"(*p) : : efault);
	return 0;
efault:
	return -EFAULT;
}
static inline int get_int(int *val, const int *p)
{
	int err = 0, x;
	asm volatile("1: lwz %1,0(%2)\n2:\n"
		     ".pushsection .fixup,\"ax\"\n3: li %0,%3\n li %1,0\n b 2b\n.popsection\n"
		     EX_TABLE(1b, 3b)
		     : "=r"(err), "=&r"(x) : "b"(p), "i"(-EFAULT), "0"(err));
	*val = x;
	return err;
}
int copy_one(int *to, const int *from)
{
	int v;
	if (get_int(&v, from))
		return -EFAULT;
	return put_int(v + 1, to);
}
int copy_two(int *to, const int *from)
{
	int v;
	if (get_int(&v, from))
		return -EFAULT;
	return put_int(v + 2, to);
}
C
sed 's/v + 1/v + 3/' ppcex.orig.c >ppcex.patched.c
if run_case ppcex 0 && expect_funcs changed "copy_one" && expect_size __ex_table 10 &&
   expect_size .fixup c; then
	halves=$(ex_halves | sort | uniq -c | awk '{ print $1, $2, $3, $4 }' | tr '\n' ';')
	if [[ $halves != "1 fixup R_PPC64_REL32 .fixup;1 fixup R_PPC64_REL32 copy_one;2 insn R_PPC64_REL32 copy_one;" ]]; then
		fail "__ex_table is not copy_one's two whole entries: {$halves}"
	elif ! relocs_of __ex_table | grep -q ' \.fixup+0$' ||
	     [[ $(relocs_of .fixup | awk '{ t = $3; sub(/\+.*/, "", t); print $1, $2, t }') != \
		"0000000000000008 R_PPC64_REL24 copy_one" ]]; then
		fail "the .fixup piece is not at 0 branching back into copy_one: $(relocs_of .fixup)"
	elif verified && rejected '__ex_table\+0x0\): entry' retarget __ex_table 1 copy_two; then
		pass
	fi
fi

# 9. A CPU feature section with an alternative, and an lwsync fixup: the
#    loader applies __ftr_fixup, __mmu_ftr_fixup, __fw_ftr_fixup and
#    __lwsync_fixup to a module (module_finalize), so ftr_one's entries go
#    with it: its 48-byte fixup_entry (mask, value, then offsets from the
#    entry to the code and to its alternative in __ftr_alt_97) and its
#    lwsync site.
cat >ppcftr.orig.c <<'C'
#define FTR_IFSET(body, alt, msk)						\
	"971: " body "\n972:\n.pushsection __ftr_alt_97,\"a\"\n.align 2\n973: " alt "\n"	\
	"974:\n.popsection\n.pushsection __ftr_fixup,\"a\"\n.align 3\n975:\n"		\
	".8byte " #msk "\n.8byte " #msk "\n.8byte 971b-975b\n.8byte 972b-975b\n"	\
	".8byte 973b-975b\n.8byte 974b-975b\n.popsection\n"
#define LWSYNC									\
	"961: sync\n962:\n.pushsection __lwsync_fixup,\"a\"\n.align 2\n963:\n"		\
	".8byte 961b-963b\n.popsection\n"
int ftr_one(int *p)
{
	asm volatile(FTR_IFSET("nop", "isync", 0x1000) LWSYNC ::: "memory");
	return *p + 1;
}
int ftr_two(int *p)
{
	asm volatile(FTR_IFSET("nop; nop", "sync; isync", 0x2000) LWSYNC ::: "memory");
	return *p + 2;
}
C
sed 's/p + 1/p + 3/' ppcftr.orig.c >ppcftr.patched.c
if run_case ppcftr 0 && expect_funcs changed "ftr_one" && expect_size __ftr_fixup 30 &&
   expect_size __lwsync_fixup 8; then
	# the mask and value of ftr_one's entry: 0x1000 twice
	mask=$(od -An -tx8 -j "$((0x$(section_offset ppcftr.out.o __ftr_fixup)))" -N16 ppcftr.out.o | xargs)
	fields=$(relocs_of __ftr_fixup | awk '{ t = $3; sub(/\+.*/, "", t); sub(/^\.text\./, "", t);
		print $1 + 0, $2, t }' | tr '\n' ';')
	if [[ $mask != "0000000000001000 0000000000001000" ]]; then
		fail "__ftr_fixup's mask and value are {$mask}, not ftr_one's 0x1000"
	elif [[ $fields != "10 R_PPC64_REL64 ftr_one;18 R_PPC64_REL64 ftr_one;20 R_PPC64_REL64 __ftr_alt_97;28 R_PPC64_REL64 __ftr_alt_97;" ]]; then
		fail "__ftr_fixup's offsets are not ftr_one's and its alternative's: {$fields}"
	elif ! relocs_of __lwsync_fixup | grep -q 'R_PPC64_REL64 ftr_one+'; then
		fail "__lwsync_fixup is not ftr_one's site: $(relocs_of __lwsync_fixup)"
	elif verified && rejected '__ftr_fixup\+0x0\): entry' retarget __ftr_fixup 2 ftr_two; then
		pass
	fi
fi

# 10. A static branch and a WARN: jb_one's __jump_table entry (code and
#     target offsets into it, the key) and its __bug_table entry (the trap,
#     the file name) go with it; jb_two's do not.
cat >ppcjb.orig.c <<'C'
struct static_key { int enabled; };
struct static_key fast_key, other_key;
static inline __attribute__((always_inline)) int static_branch(struct static_key *key, int branch)
{
	asm goto("1:\n\tnop # arch_static_branch\n\t.pushsection __jump_table,  \"aw\"\n\t"
		 ".long 1b - ., %l[l_yes] - .\n\t.8byte %c0 - .\n\t.popsection\n\t"
		 : : "i" (&((char *)key)[branch]) : : l_yes);
	return 0;
l_yes:
	return 1;
}
#define WARN_ON(x) ({ int __c = !!(x); if (__c) asm volatile("1: twi 31, 0, 0\n"	\
	".section __bug_table,\"aw\"\n2: .4byte 1b - .\n .4byte %0 - .\n .short %1, %2\n"	\
	".org 2b+%3\n.previous\n" : : "i"("jb.c"), "i"(__LINE__), "i"(1 << 0), "i"(12)); __c; })
extern int printk(const char *fmt, ...);
int jb_one(int x)
{
	if (static_branch(&fast_key, 0))
		return printk("fast %d\n", x);
	WARN_ON(x > 100);
	return x + 1;
}
int jb_two(int x)
{
	if (static_branch(&other_key, 1))
		return printk("other %d\n", x);
	WARN_ON(x > 200);
	return x + 2;
}
C
sed 's/fast %d/FAST %d/' ppcjb.orig.c >ppcjb.patched.c
if run_case ppcjb 0 && expect_funcs changed "jb_one" && expect_size __jump_table 10 &&
   expect_size __bug_table c; then
	jump=$(relocs_of __jump_table | awk '{ t = $3; sub(/\+.*/, "", t); print $1 + 0, $2, t }' | tr '\n' ';')
	bug=$(relocs_of __bug_table | awk '{ t = $3; sub(/\+.*/, "", t); print $1 + 0, $2, t }' | tr '\n' ';')
	if [[ $jump != "0 R_PPC64_REL32 jb_one;4 R_PPC64_REL32 jb_one;8 R_PPC64_REL64 .klp.sym.vmlinux.fast_key,0;" ]]; then
		fail "__jump_table is not jb_one's entry on fast_key: {$jump}"
	elif [[ $bug != "0 R_PPC64_REL32 jb_one;4 R_PPC64_REL32 .LC1;" && $bug != "0 R_PPC64_REL32 jb_one;4 R_PPC64_REL32 .rodata.str1.8;" ]]; then
		fail "__bug_table is not jb_one's trap and file: {$bug}"
	elif verified && rejected '__jump_table\+0x0\): entry' retarget __jump_table 0 jb_two &&
	     rejected '__bug_table\+0x0\): entry' retarget __bug_table 0 jb_two; then
		pass
	fi
fi

# 11. barrier_nospec(): the loader patches a module's speculation barriers
#     only in a section named __spec_barrier_fixup (vmlinux's name for
#     them), not __barrier_nospec_fixup (the compiler's): the output's
#     entry, nospec_one's, carries the loader's name.
cat >ppcnospec.orig.c <<'C'
#define barrier_nospec() asm volatile("953:\n.pushsection __barrier_nospec_fixup,\"a\"\n"	\
	".align 2\n954:\n.8byte 953b-954b\n.popsection\nnop\n" ::: "memory")
int nospec_one(const int *table, unsigned int i) { if (i >= 16) return 0; barrier_nospec(); return table[i] + 1; }
int nospec_two(const int *table, unsigned int i) { if (i >= 8) return 0; barrier_nospec(); return table[i] + 2; }
C
sed 's/table\[i\] + 1/table[i] + 3/' ppcnospec.orig.c >ppcnospec.patched.c
if run_case ppcnospec 0 && expect_funcs changed "nospec_one" &&
   expect_size __spec_barrier_fixup 8; then
	if [[ -n $(section_size __barrier_nospec_fixup) ]]; then
		fail "the output still has a __barrier_nospec_fixup, which the loader ignores"
	elif ! relocs_of __spec_barrier_fixup | grep -Eq '^0+ R_PPC64_REL64 nospec_one\+'; then
		fail "__spec_barrier_fixup is not nospec_one's barrier: $(relocs_of __spec_barrier_fixup)"
	elif verified && rejected '__spec_barrier_fixup\+0x0\): entry' retarget __spec_barrier_fixup 0 nospec_two &&
	     rejected 'the module loader does not apply __barrier_nospec_fixup in a module' \
		rename-sec __spec_barrier_fixup __barrier_nospec_fixup; then
		pass
	fi
fi

# 12. Fixups the kernel applies to vmlinux only (here an STF entry
#     barrier; also the RFI, entry, scv and uaccess flushes, the restart
#     and soft-mask tables): a module's copy would never be patched, so a
#     changed function with one is refused, by name, and nothing written.
cat >ppcstf.orig.c <<'C'
int stf_one(int x, int flag)
{
	asm volatile("953: nop; nop; nop\n.pushsection __stf_entry_barrier_fixup,\"a\"\n"
		     ".align 2\n954:\n.8byte 953b-954b\n.popsection\n" ::: "memory");
	return x + flag;
}
C
sed 's/x + flag/x - flag/' ppcstf.orig.c >ppcstf.patched.c
run_case ppcstf 2 && expect_json '"code": "arch-unsupported"' &&
	expect_json 'stf_one has an entry in __stf_entry_barrier_fixup, which the kernel applies to vmlinux only' &&
	[[ ! -e ppcstf.out.o ]] && pass

# 13. -mcmodel=medium reaches statics TOC-relative ("addis rX,r2,v@toc@ha"
#     then "v@toc@l(rX)" on an addi, load or store); data that stays in
#     vmlinux is out of the module TOC's reach, so each access goes through
#     a .toc entry holding its address (a klp relocation): the addis becomes
#     "ld rX,entry@toc(r2)", the low part's displacement 0. Every form
#     rewritten, checked instruction by instruction; kpatch-verify accepts
#     the output and rejects it broken.
cat >ppctoc.orig.c <<'C'
static int counter __attribute__((used));
static long big __attribute__((used));
static short half __attribute__((used));
static unsigned char byte __attribute__((used));
static double dbl __attribute__((used));
static struct { int a; long b; } sv __attribute__((used));
long forms(long x)
{
	long r, t;
	double d;
	asm volatile(
		"addis 9,2,counter@toc@ha\n\tlwz %0,counter@toc@l(9)\n\t"
		"addis 10,2,counter@toc@ha\n\tstw %2,counter@toc@l(10)\n\t"
		"addis 9,2,big@toc@ha\n\tld %1,big@toc@l(9)\n\t"
		"addis 9,2,big@toc@ha\n\tstd %2,big@toc@l(9)\n\t"
		"addis 9,2,sv+4@toc@ha\n\tlwa %1,sv+4@toc@l(9)\n\t"
		"addis 9,2,sv+8@toc@ha\n\tld %1,sv+8@toc@l(9)\n\t"
		"addis 9,2,half@toc@ha\n\tlhz %1,half@toc@l(9)\n\t"
		"addis 9,2,half@toc@ha\n\tlha %1,half@toc@l(9)\n\t"
		"addis 9,2,half@toc@ha\n\tsth %2,half@toc@l(9)\n\t"
		"addis 9,2,byte@toc@ha\n\tlbz %1,byte@toc@l(9)\n\t"
		"addis 9,2,byte@toc@ha\n\tstb %2,byte@toc@l(9)\n\t"
		"addis 9,2,dbl@toc@ha\n\tlfd %3,dbl@toc@l(9)\n\t"
		"addis 9,2,dbl@toc@ha\n\tstfd %3,dbl@toc@l(9)\n\t"
		"addis 9,2,dbl@toc@ha\n\tlfs %3,dbl@toc@l(9)\n\t"
		"addis 9,2,dbl@toc@ha\n\tstfs %3,dbl@toc@l(9)\n\t"
		"addis 9,2,sv@toc@ha\n\taddi %1,9,sv@toc@l\n\t"
		: "=&r"(r), "=&r"(t), "+r"(x), "=&d"(d) : : "r9", "r10", "memory");
	return r + t + 1;
}
static int hits;
static struct { int a; long b; char name[8]; } state;
long plain(int i)
{
	hits++;
	state.b += i;
	return (long)&state + state.name[3] + hits;
}
C
sed -e 's/r + t + 1/r + t + 2/' -e 's/state.b += i/state.b += i + 1/' ppctoc.orig.c >ppctoc.patched.c

# toc_relocs SECTION: its TOC16 relocations as "offset type symbol+addend"
toc_relocs() {
	relocs_of "$1" | awk '$2 ~ /TOC16/'
}

# insn_at FUNCTION OFFSET: the output's instruction there, as objdump shows it
insn_at() {
	"${cc%gcc}objdump" -d --section=".text.$1" "$case.out.o" 2>/dev/null |
		awk -v o="$(printf '%x' "$2")" '$1 == o ":" { $1 = ""; for (i = 2; i <= 5; i++) $i = ""; if (!done) print; done = 1 }' |
		xargs
}

if run_case ppctoc 0 && expect_funcs changed "forms plain"; then
	entries=$(relocs_of .toc | awk '{ print $2, $3 }' | sort | uniq | tr '\n' ';')
	want="R_PPC64_ADDR64 .klp.sym.vmlinux.big,0+0;R_PPC64_ADDR64 .klp.sym.vmlinux.byte,0+0;R_PPC64_ADDR64 .klp.sym.vmlinux.counter,0+0;R_PPC64_ADDR64 .klp.sym.vmlinux.dbl,0+0;R_PPC64_ADDR64 .klp.sym.vmlinux.half,0+0;R_PPC64_ADDR64 .klp.sym.vmlinux.hits,0+0;R_PPC64_ADDR64 .klp.sym.vmlinux.state,0+0;R_PPC64_ADDR64 .klp.sym.vmlinux.state,0+13;R_PPC64_ADDR64 .klp.sym.vmlinux.state,0+8;R_PPC64_ADDR64 .klp.sym.vmlinux.sv,0+0;R_PPC64_ADDR64 .klp.sym.vmlinux.sv,0+4;R_PPC64_ADDR64 .klp.sym.vmlinux.sv,0+8;"
	forms_toc=$(toc_relocs .text.forms)
	bad=$(toc_relocs .text.forms | awk '$2 != "R_PPC64_TOC16_DS" || $3 !~ /^\.toc/')
	bad_insn=""
	while read -r off _ _; do
		got=$(insn_at forms "$((0x$off))")
		[[ $got =~ ^ld\ r(9|10),0\(r2\)$ ]] || bad_insn+="+0x$off '$got' "
	done <<<"$forms_toc"
	# each low part: the instruction after its load, displacement 0
	lows=$("${cc%gcc}objdump" -d --section=.text.forms ppctoc.out.o | grep -cE '(lwz|stw|ld|std|lwa|lhz|lha|sth|lbz|stb|lfd|stfd|lfs|stfs) +[rf][0-9]+,0\(r(9|10)\)|addi +r[0-9]+,r9,0$')
	plain_bad=$(toc_relocs .text.plain | awk '$3 !~ /^\.toc/ && $3 !~ /^\.rodata/')
	if [[ $entries != "$want" ]]; then
		fail ".toc entries are not the statics' addresses: {$entries}"
	elif [[ $(wc -l <<<"$forms_toc") != 16 || -n $bad ]]; then
		fail "forms' 16 addis are not TOC16_DS loads of .toc entries: {$forms_toc}"
	elif [[ -n $bad_insn ]]; then
		fail "forms' high parts are not 'ld rX,0(r2)': $bad_insn"
	elif ((lows != 16)); then
		fail "forms has $lows low parts with displacement 0, not 16: $("${cc%gcc}objdump" -d --section=.text.forms ppctoc.out.o)"
	elif [[ -n $plain_bad ]]; then
		fail "plain still reaches kernel data TOC-relative: {$plain_bad}"
	elif verified &&
	     rejected 'the table entry loaded at \+0x[0-9a-f]+ refers to' retarget .toc 0 forms &&
	     rejected 'no relocation at \+0x[0-9a-f]+, where the patched object has one to counter\+0' set forms "$("${cc%gcc}objdump" -d --section=.text.forms ppctoc.out.o |
		awk '/lwz +r[0-9]+,0\(r9\)/ { sub(":", "", $1); if (!done) print strtonum("0x" $1); done = 1 }')" 08 &&
	     rejected 'no relocation at \+0x8, where the patched object has one to counter\+0' drop forms 1; then
		pass
	fi
fi

# 14. What the rewrite does not understand is refused, naming the function,
#     and nothing is written: an update form (lwzu), a low part with no
#     addis before it, and the small model's single TOC16_DS.
toc_refusal() {
	local name=$1 asm=$2 why=$3
	cat >"$name.orig.c" <<C
static int counter __attribute__((used));
long $name(long x)
{
	long r, p = x;
	asm volatile("$asm" : "=&r"(r), "+b"(p) : : "r9", "memory");
	return r + 1;
}
C
	sed 's/r + 1/r + 2/' "$name.orig.c" >"$name.patched.c"
	run_case "$name" 2 && expect_json '"code": "arch-unsupported"' &&
		expect_json "$name\\+0x[0-9a-f]*: reaches counter\\+0 TOC-relative .*$why" &&
		[[ ! -e $name.out.o ]] && pass
}
toc_refusal ppctocupd 'addis 9,2,counter@toc@ha\n\tlwzu %0,counter@toc@l(9)' \
	'its low part is on an instruction other than addi or a D-form load/store without update'
toc_refusal ppctocnohigh 'lwz %0,counter@toc@l(%1)' \
	'its low part has no high part .addis. in the carried code'
toc_refusal ppctocsmall 'ld %0,counter@toc(2)' \
	'it is not a @toc@ha/@toc@l pair'

# 15. kallsyms counts the code of an overridden weak function, which keeps
#     no symbol, into the function linked before it; the kernel's
#     ftrace_location() searches that whole extent for the function's site
#     and may take the dead copy's, so the livepatch core attaches nowhere
#     that runs (6.12 ppc64le: loadavg_proc_show, then meminfo.c's weak
#     arch_report_meminfo). The parent is linked here the way vmlinux is,
#     with its __mcount_loc: refused; linked without the weak copy: built.
le64() {	# le64 HEX: 8 bytes, little-endian
	local hex i
	hex=$(printf '%016x' "0x$1")
	for ((i = 14; i >= 0; i -= 2)); do
		printf '%b' "\\x${hex:i:2}"
	done
}
# link_parent OUT OBJECT...: an executable with a table of every bl _mcount
# in it from __start_mcount_loc to __stop_mcount_loc, as vmlinux has (there
# inside .init.data; recordmcount or objtool --mcount makes the entries)
link_parent() {
	local out=$1 addr
	shift
	"${cc%gcc}ld" -e 0 -o "$out.exe" "$@"
	"${cc%gcc}objdump" -d "$out.exe" | awk '/\tbl +[0-9a-f]+ <_mcount>$/ { sub(":", "", $1); print $1 }' |
		while read -r addr; do le64 "$addr"; done >"$out.sites"
	"${cc%gcc}objcopy" --add-section .init.data="$out.sites" \
		--add-symbol __start_mcount_loc=.init.data:0,global \
		--add-symbol __stop_mcount_loc=.init.data:"$(stat -c %s "$out.sites")",global \
		"$out.exe" "$out"
}
# ext_case NAME EXPECTED-EXIT PARENT-OBJECTS...
ext_case() {
	local name=$1 want=$2 status=0
	shift 2
	case=$name
	link_parent "$name.parent" "$@"
	"$cdo" --report "$name.json" ppcext.orig.o ppcext.patched.o vmlinux "$name.parent" \
		ppcext.symvers test "$name.out.o" >"$name.stdout" 2>"$name.stderr" || status=$?
	((status == want)) || { fail "exit status $status, expected $want: $(cat "$name.stderr")"; return 1; }
}
cat >ppcext.orig.c <<'C'
extern int printk(const char *fmt, ...);
int show_avg(int x) { return printk("avg %d\n", x); }
C
sed 's/avg %d/AVG %d/' ppcext.orig.c >ppcext.patched.c
case=ppcext
compile_pair "$cc" "${cflags[@]}"
printf '0x12345678\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n' >ppcext.symvers
printf 'void __attribute__((weak)) arch_hook(int *p) { }\n' >ppcweak.c
printf 'void arch_hook(int *p) { *p = 1; }\n' >ppcstrong.c
printf 'void _mcount(void) { }\nint printk(const char *f, ...) { return 0; }\n' >ppcstubs.c
"$cc" "${cflags[@]}" -o ppcweak.o ppcweak.c
"$cc" "${cflags[@]}" -o ppcstrong.o ppcstrong.c
"$cc" -O2 -c -mabi=elfv2 -o ppcstubs.o ppcstubs.c
ext_case ppcextweak 2 ppcext.orig.o ppcweak.o ppcstrong.o ppcstubs.o &&
	expect_json '"code": "ftrace-site-shared"' &&
	expect_json 'show_avg: in vmlinux it is 0x40 bytes at 0x[0-9a-f]+, but code without a symbol of its own follows it' &&
	[[ ! -e ppcextweak.out.o ]] && pass
ext_case ppcextplain 0 ppcext.orig.o ppcstrong.o ppcstubs.o && expect_funcs changed "show_avg" && pass

# 16. The alternatives of feature fixups share one __ftr_alt_<n> section per
#     object: the output keeps only the kept entries' pieces, moved
#     together, the entries pointed at the new places (ftr_two's sync;
#     isync at 0, not ftr_one's isync before it); kpatch-verify compares
#     an alternative by its length and bytes, and rejects one shortened or
#     altered.
cp ppcftr.orig.c ppcftr2.orig.c
sed 's/p + 2/p + 4/' ppcftr.orig.c >ppcftr2.patched.c
if run_case ppcftr2 0 && expect_funcs changed "ftr_two" && expect_size __ftr_alt_97 8 &&
   expect_relocs __ftr_fixup "10 R_PPC64_REL64 ftr_two+18
18 R_PPC64_REL64 .text.ftr_two+28
20 R_PPC64_REL64 __ftr_alt_97+20
28 R_PPC64_REL64 __ftr_alt_97+30"; then
	alt=$(od -An -tx4 -j "$((0x$(section_offset ppcftr2.out.o __ftr_alt_97)))" -N8 ppcftr2.out.o | xargs)
	if [[ $alt != "7c0004ac 4c00012c" ]]; then
		fail "__ftr_alt_97 is {$alt}, not ftr_two's sync; isync"
	elif verified && rejected '__ftr_fixup\+0x0\): entry' sec-addend __ftr_fixup 3 -4 &&
	     rejected '__ftr_fixup\+0x0\): entry' byte __ftr_alt_97 4; then
		pass
	fi
fi

echo "$passed passed, $failed failed"
((failed == 0))
