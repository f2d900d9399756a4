#!/usr/bin/env bash
# "COND && pass || fail" is safe here: pass always succeeds.
# shellcheck disable=SC2015
# The module side on s390x: small C programs cross-compiled as kbuild
# compiles s390x kernel code go through create-diff-object and
# create-klp-module; the module's .klp.rela sections, their relocation
# types and the livepatch symbols must be what arch/s390/kernel/module.c
# applies (and it refuses what that loader would get wrong). Needs
# s390x-linux-gnu-gcc (gcc-s390x-linux-gnu).
#
# usage: test/unit/klp-module-s390x.sh [BUILD-DIR]
set -euo pipefail

build=$(realpath "${1:-${BUILD:-build}}")
cdo=$build/create-diff-object/create-diff-object
ckm=$build/kpatch-build/create-klp-module
cc=${S390X_CC:-s390x-linux-gnu-gcc}
ld=${cc%gcc}ld
as=${cc%gcc}as
machine='IBM S/390'
export LC_ALL=C
# shellcheck source-path=SCRIPTDIR source=cdo-case-helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/cdo-case-helpers.sh"
# shellcheck source-path=SCRIPTDIR source=klp-module-helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/klp-module-helpers.sh"
cross_case_setup gcc-s390x-linux-gnu

# as in cdo-cases-s390x.sh: arch/s390/Makefile's flags, expolines, ftrace nop
cflags=(-O2 -c -ffunction-sections -fdata-sections -pg -mfentry -mrecord-mcount -mnop-mcount
	-fPIE -march=z10 -mpacked-stack -mbackchain -msoft-float -fno-asynchronous-unwind-tables
	-fno-stack-protector -mindirect-branch=thunk-extern -mfunction-return=thunk-extern
	-mindirect-branch-table)

# module_of's parent: the original object and `int counter`, an unexported global
parent_source='int counter;'
verify=$build/verify/kpatch-verify

# section_header NAME: readelf's header line of section NAME (without [Nr])
section_header() {
	readelf -SW "$case.klp.ko" | sed -n "s/^ *\[ *[0-9]*\] ${1//./\\.} //p"
}

# 1. vmlinux: a changed function calls an unchanged static helper (brasl,
#    PLT32DBL) and loads an unexported global through the GOT (lgrl,
#    GOTENT). Both become .klp.rela.vmlinux..text.show entries with their
#    own types and halfword-scaled addend 2, in a SHT_RELA section the
#    loader counts GOT and PLT slots in; the rest stays ordinary.
cat >string.orig.c <<'C'
extern int printk(const char *fmt, ...);
extern int counter;
static __attribute__((noinline)) int helper(int x) { return printk("helper %d\n", x); }
int show(int x, int (*f)(int)) { return helper(x) + f(x) + counter + printk("value: %d\n", x); }
C
sed 's/value: /VALUE: /' string.orig.c >string.patched.c
if module_of string vmlinux; then
	if ! convert string; then
		fail "create-klp-module refused it: $(cat string.ckm.err)"
	else
		pass
		want=$'000000000000003e R_390_GOTENT .klp.sym.vmlinux.counter,0+2\n0000000000000026 R_390_PLT32DBL .klp.sym.vmlinux.helper,0+2'
		got=$(klp_rela_of .klp.rela.vmlinux..text.show | sort -k3)
		[[ $got == "$want" ]] && pass || fail "klp relocations {$got}, expected {$want}"
		hdr=$(section_header .klp.rela.vmlinux..text.show)
		text=$(readelf -SW string.klp.ko | sed -n 's/^ *\[ *\([0-9]*\)\] \.text\.show .*/\1/p')
		# type, flags SHF_ALLOC|SHF_INFO_LINK|SHF_RELA_LIVEPATCH (o), sh_info
		read -r type _ _ _ entsize flags _ info _ <<<"$hdr"
		[[ $type == RELA && $entsize == 18 && $flags == AIo && $info == "$text" ]] && pass ||
			fail ".klp.rela.vmlinux..text.show header {$hdr}, expected RELA, entsize 18, AIo, info $text"
		rest=$(klp_rela_of .rela.text.show | awk '{ print $2, $3 }' | sort | tr '\n' ' ')
		[[ $rest == "R_390_PC32DBL .LC1+2 R_390_PC32DBL __s390_indirect_jump_r11+2 R_390_PC32DBL __s390_indirect_jump_r4+2 R_390_PLT32DBL printk+2 " ]] &&
			pass || fail "ordinary relocations of .text.show {$rest}"
		syms=$(readelf -sW string.klp.ko | awk '$9 ~ /^\.klp\.sym\./ { print $5, $7, $8, $9 }' | sort | tr '\n' ' ')
		[[ $syms == "WEAK OS [0xff20] .klp.sym.vmlinux.counter,0 WEAK OS [0xff20] .klp.sym.vmlinux.helper,0 " ]] &&
			pass || fail "livepatch symbols {$syms}, expected both SHN_LIVEPATCH"
		clean_object string.klp.ko big
	fi
fi

# 2. The same change in a module: the helper's brasl (PLT32DBL, resolved
#    directly between modules) is fine; the GOT load of the module's
#    global is refused, for the s390 loader fills a GOT slot once and the
#    module may come back at another address.
cp string.orig.c modgot.orig.c
cp string.patched.c modgot.patched.c
if module_of modgot mymod; then
	if convert modgot; then
		fail "GOTENT against a module symbol accepted"
	else
		err=$(cat modgot.ckm.err)
		[[ $err == *".text.show+0x3e"* && $err == *".klp.sym.mymod.counter,0"* && $err == *"GOT or PLT slot"* ]] &&
			pass || fail "GOTENT refusal does not name the place, symbol and reason: $err"
		[[ ! -e modgot.klp.ko ]] && pass || fail "output written despite the refusal"
	fi
fi
sed '/^extern int counter/d; s/ + counter//' string.orig.c >modcall.orig.c
sed '/^extern int counter/d; s/ + counter//' string.patched.c >modcall.patched.c
if module_of modcall mymod; then
	if convert modcall; then
		got=$(klp_rela_of .klp.rela.mymod..text.show)
		[[ $got == "0000000000000026 R_390_PLT32DBL .klp.sym.mymod.helper,0+2" ]] && pass ||
			fail "module klp relocations {$got}"
	else
		fail "PLT32DBL against a module symbol refused: $(cat modcall.ckm.err)"
	fi
fi

# 3. Hand-made relocations: a type the s390 loader does not apply, and a
#    call into the middle of a function of the running kernel.
refused_asm tls 'relocation type 41 against livepatch symbol' '
	.section .data.x,"aw"
	.reloc ., R_390_TLS_GD64, ".klp.sym.vmlinux.tlsvar,0"
	.quad 0
	.weak ".klp.sym.vmlinux.tlsvar,0"'
grep -q 'not supported by the s390 module loader' tls.ckm.err && pass || fail "tls: $(<tls.ckm.err)"
func_call() {	# func_call ADDEND: brasl to the running kernel's copy of func
	printf '	.section .text.f,"ax"
	brasl %%r14, ".klp.sym.vmlinux.func,0"%s
	br %%r14
	.weak ".klp.sym.vmlinux.func,0"
	.type ".klp.sym.vmlinux.func,0", @function' "$1"
}
refused_asm inside 'inside the function func of vmlinux' "$(func_call +8)"
asm_module start "$(func_call '')" && convert start && pass || fail "a call to a function's start refused: $(cat start.ckm.err)"
[[ $(klp_rela_of .klp.rela.vmlinux..text.f) == "0000000000000002 R_390_PC32DBL .klp.sym.vmlinux.func,0+2" ]] && pass ||
	fail "brasl's klp relocation: {$(klp_rela_of .klp.rela.vmlinux..text.f)}"

# 4. kpatch-verify on the linked modules: the vmlinux one verifies; so does
#    one whose object has functions where only __LINE__ moved (lghi,
#    llill, lgfi into %r3/%r4 before a call), which the differ leaves out
#    and the verifier must see as line-only, not as missed changes.
linked_module string && verifies string
{
	echo 'extern void __might_sleep(const char *file, int line);'
	cat string.orig.c
	echo 'void near(void) { __might_sleep("line.c", __LINE__); }'
	echo '#line 40000'
	echo 'void far(void) { __might_sleep("line.c", __LINE__); }'
	echo '#line 100000'
	echo 'void farther(void) { __might_sleep("line.c", __LINE__); }'
} >lines.orig.c
{ printf '\n\n\n'; sed 's/value: /VALUE: /; s/^#line 40000/#line 40003/; s/^#line 100000/#line 100003/' lines.orig.c; } >lines.patched.c
if module_of lines vmlinux; then
	expect_funcs changed "show" && linked_module lines && verifies lines
	# the same module against an object where near() really changed
	sed '/^void near/ s/__LINE__/-5/' lines.patched.c >lines.real.c
	cp lines.real.c patched/lines.c
	(cd patched && "$cc" "${cflags[@]}" -o ../lines.patched.o lines.c)
	if "$verify" lines.orig.o lines.patched.o lines.klp.ko lines.symtab >lines.verify 2>&1; then
		fail "a function changed beyond its __LINE__ but left unpatched verified"
	else
		grep -q 'FAILED completeness: function near' lines.verify && pass ||
			fail "no completeness finding for near: $(grep -v note lines.verify | head -n 3)"
	fi
fi

# 5. larl of a 1-byte static and of an empty struct (a lock class key
#    without lockdep) of vmlinux: gas names .bss.<var>+2, two bytes past
#    the symbol's end; the module's klp relocation names <var>+2. Both
#    mean the variable: the module verifies (do_syslog's printk_time and
#    kernel_clone's __key.1 in the s390x integration suite).
cat >tiny.orig.c <<'C'
extern int printk(const char *fmt, ...);
struct lock_class_key { };
static _Bool flag;
static struct lock_class_key key;
void set(int x) { flag = x; }
__attribute__((noinline)) void init_lock(struct lock_class_key *k) { asm volatile("" : : "r"(k) : "memory"); }
int show(int x) { init_lock(&key); return printk("value: %d\n", x) + flag; }
C
sed 's/value: /VALUE: /' tiny.orig.c >tiny.patched.c
if module_of tiny vmlinux && linked_module tiny; then
	if [[ $(klp_rela_of .klp.rela.vmlinux..text.show) != *"R_390_PC32DBL .klp.sym.vmlinux.flag,0+2"* ]]; then
		fail "flag is not reached through a klp relocation: {$(klp_rela_of .klp.rela.vmlinux..text.show)}"
	elif ! rela_section tiny.patched.o .rela.text.show | grep -q 'R_390_PC32DBL \.bss\.flag+2$'; then
		fail "the patched object does not name .bss.flag+2: {$(rela_section tiny.patched.o .rela.text.show)}"
	else
		pass
	fi
	verifies tiny
fi

# 6. Alternatives (6.12's 13-byte alt_instr, instrlen last) in two changed
#    functions with an unchanged one between them: the module's
#    replacements are f's then g's, the patched object's f's, h's, g's.
#    Each replacement is 4 bytes, as its entry says: the module verifies
#    (do_exit's last alternative in the s390x suite's shadow-newpid).
alt() {	# alt REPLACEMENT-WORD: a 4-byte alternative in a C function
	printf 'asm volatile("661: nopr %%r7\\n nopr %%r7\\n662:\\n"\n'
	printf '\t".pushsection .altinstr_replacement,\\"ax\\"\\n663: .long %s\\n.popsection\\n"\n' "$1"
	printf '\t".pushsection .altinstructions,\\"a\\"\\n.long 661b - .\\n.long 663b - .\\n"\n'
	printf '\t".long 1\\n.byte 662b - 661b\\n.popsection\\n");\n'
}
{
	echo 'extern int printk(const char *fmt, ...);'
	for fn in f:0x47000001 h:0x47000002 g:0x47000003; do
		printf 'int %s(int x) { %s return printk("%s %%d\\n", x); }\n' \
			"${fn%%:*}" "$(alt "${fn#*:}")" "${fn%%:*}"
	done
} >alts.orig.c
sed 's/"f %d/"F %d/; s/"g %d/"G %d/' alts.orig.c >alts.patched.c
if module_of alts vmlinux && linked_module alts; then
	if [[ $(rela_section alts.klp.ko .rela.altinstructions | awk '{sub(/^[fg]\+[0-9a-f]+$/, substr($3, 1, 1), $3); print $3}' | tr '\n' ' ') != \
		"f .altinstr_replacement+0 g .altinstr_replacement+4 " ]]; then
		fail "the module's alternatives: {$(rela_section alts.klp.ko .rela.altinstructions)}"
	else
		pass
	fi
	verifies alts
fi

echo "$passed passed, $failed failed"
((failed == 0))
