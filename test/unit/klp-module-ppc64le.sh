#!/usr/bin/env bash
# "COND && pass || fail" is safe here: pass always succeeds.
# shellcheck disable=SC2015
# The module side on ppc64le: small C programs cross-compiled as kbuild
# compiles ppc64le kernel code go through create-diff-object and
# create-klp-module; the module's .klp.rela sections, their relocation
# types and the livepatch symbols must be what arch/powerpc/kernel/
# module_64.c applies (calls through its stubs with the nop after them for
# the TOC restore, addresses through .toc entries), and it refuses what
# that loader would refuse or get wrong. Needs powerpc64le-linux-gnu-gcc
# (gcc-powerpc64le-linux-gnu).
#
# usage: test/unit/klp-module-ppc64le.sh [BUILD-DIR]
set -euo pipefail

build=$(realpath "${1:-${BUILD:-build}}")
cdo=$build/create-diff-object/create-diff-object
ckm=$build/kpatch-build/create-klp-module
cc=${PPC64LE_CC:-powerpc64le-linux-gnu-gcc}
ld=${cc%gcc}ld
as=${cc%gcc}as
machine=PowerPC64
export LC_ALL=C
# shellcheck source-path=SCRIPTDIR source=cdo-case-helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/cdo-case-helpers.sh"
# shellcheck source-path=SCRIPTDIR source=klp-module-helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/klp-module-helpers.sh"
cross_case_setup gcc-powerpc64le-linux-gnu

# as in cdo-cases-ppc64le.sh: arch/powerpc/Makefile's code model, ABI and
# ftrace flags
cflags=(-O2 -c -ffunction-sections -fdata-sections -pg -mprofile-kernel -mcmodel=medium
	-mabi=elfv2 -mtraceback=no -mno-prefixed -mno-pcrel
	-fno-asynchronous-unwind-tables -fno-stack-protector)

# the parent's symbols besides the original object's (module_of)
parent_source=$'int counter;\nint helper(int x) { return x + counter; }'

# insn_word SECTION OFFSET: the instruction word there, as objdump shows it
insn_word() {
	"${cc%gcc}objdump" -d -j "$1" "$case.klp.ko" |
		awk -v at="$2:" '$1 == at && !found { print $5 $4 $3 $2; found = 1 }'
}

# 1. vmlinux: a changed function calls an unexported global of another
#    object (bl + nop: through the loader's stub, REL24 as it is) and
#    reads an unexported variable through a .toc entry (ADDR64 in .toc).
#    The nop after the call stays for the loader to rewrite; the TOC base
#    (.TOC.), _mcount and the exported printk stay ordinary; the function
#    keeps its local entry point.
cat >string.orig.c <<'C'
extern int printk(const char *fmt, ...);
extern int counter;
extern int helper(int x);
int show(int x) { return helper(x) + counter + printk("value: %d\n", x); }
C
sed 's/value: /VALUE: /' string.orig.c >string.patched.c
if module_of string vmlinux; then
	if ! convert string; then
		fail "create-klp-module refused it: $(cat string.ckm.err)"
	else
		pass
		got=$(klp_rela_of .klp.rela.vmlinux..text.show)
		[[ $got == "0000000000000024 R_PPC64_REL24 .klp.sym.vmlinux.helper,0+0" ]] && pass ||
			fail "klp relocations of .text.show {$got}"
		[[ $(insn_word .text.show 28) == 60000000 ]] && pass ||
			fail "the instruction after the call is $(insn_word .text.show 28), not the nop the loader rewrites"
		got=$(klp_rela_of .klp.rela.vmlinux..toc)
		[[ $got == "0000000000000000 R_PPC64_ADDR64 .klp.sym.vmlinux.counter,0+0" ]] && pass ||
			fail "klp relocations of .toc {$got}"
		klp_section_header_ok .klp.rela.vmlinux..toc .toc
		rest=$(klp_rela_of .rela.text.show | awk '{ print $2, $3 }' | sort | tr '\n' ' ')
		[[ $rest == "R_PPC64_REL16_HA .TOC.+0 R_PPC64_REL16_LO .TOC.+4 R_PPC64_REL24 _mcount+0 R_PPC64_REL24 printk+0 R_PPC64_TOC16_HA .rodata.show.str1.8+0 R_PPC64_TOC16_HA .toc+0 R_PPC64_TOC16_LO .rodata.show.str1.8+0 R_PPC64_TOC16_LO_DS .toc+0 " ]] &&
			pass || fail "ordinary relocations of .text.show {$rest}"
		syms=$(readelf -sW string.klp.ko | awk '$8 ~ /^\.klp\.sym\.|^\.TOC\.$/ || $9 ~ /^\.klp\.sym\./ { print $5, $7, $8, $9 }' | sort | tr '\n' ' ')
		[[ $syms == "GLOBAL UND .TOC.  WEAK OS [0xff20] .klp.sym.vmlinux.counter,0 WEAK OS [0xff20] .klp.sym.vmlinux.helper,0 " ]] &&
			pass || fail "livepatch symbols {$syms}, expected both SHN_LIVEPATCH and .TOC. undefined"
		# the loader adds the local entry offset (st_other) to local calls of it
		[[ $(readelf -sW string.klp.ko | awk '$NF == "show" && $4 == "FUNC"') == *"[<localentry>: 8]"* ]] &&
			pass || fail "show lost its local entry point: $(readelf -sW string.klp.ko | grep ' show$')"
		clean_object string.klp.ko little
	fi
fi

# 2. The same change in a module: calls through the stub and .toc
#    addresses reach a module as well (the loader applies them when it
#    loads, and again when it comes back).
cp string.orig.c modcall.orig.c
cp string.patched.c modcall.patched.c
if module_of modcall mymod; then
	if convert modcall; then
		got=$(klp_rela_of .klp.rela.mymod..text.show)$'\n'$(klp_rela_of .klp.rela.mymod..toc)
		[[ $got == $'0000000000000024 R_PPC64_REL24 .klp.sym.mymod.helper,0+0\n0000000000000000 R_PPC64_ADDR64 .klp.sym.mymod.counter,0+0' ]] &&
			pass || fail "module klp relocations {$got}"
	else
		fail "a module's call and .toc entry refused: $(cat modcall.ckm.err)"
	fi
fi

# 3. Hand-made relocations the ppc64 loader would refuse or get wrong,
#    each refused by name, with no output; and the forms it takes.
# in_f INSTRUCTIONS: a function f with them, referring to vmlinux's func and var
in_f() {
	printf '	.section .text.f,"ax"
	.globl f
	.type f, @function
f:
%s
	blr
	.weak ".klp.sym.vmlinux.func,0"
	.type ".klp.sym.vmlinux.func,0", @function
	.weak ".klp.sym.vmlinux.var,0"' "$1"
}
refused_asm sibling '.text.f+0x0 (function f): relocation type 10 against livepatch symbol '"'"'.klp.sym.vmlinux.func,0'"'"' is a sibling call' \
	"$(in_f '	b ".klp.sym.vmlinux.func,0"')"
grep -q 'fno-optimize-sibling-calls' sibling.ckm.err && pass || fail "sibling: no advice: $(<sibling.ckm.err)"
refused_asm nonop '.text.f+0x0 (function f): relocation type 10 against livepatch symbol '"'"'.klp.sym.vmlinux.func,0'"'"' is a call with no nop after it' \
	"$(in_f '	bl ".klp.sym.vmlinux.func,0"
	addi 3,3,1')"
refused_asm atend 'at the end of its section' '	.section .text.f,"ax"
	nop
	bl ".klp.sym.vmlinux.func,0"
	.weak ".klp.sym.vmlinux.func,0"'
refused_asm tocha 'relative to the module'"'"'s own TOC' \
	"$(in_f '	addis 9,2,".klp.sym.vmlinux.var,0"@toc@ha')"
refused_asm rel32 '.data.x+0x0: relocation type 26 against livepatch symbol' '	.section .data.x,"aw"
	.long ".klp.sym.vmlinux.var,0" - .
	.weak ".klp.sym.vmlinux.var,0"'
grep -q '16/32-bit pc-relative' rel32.ckm.err && pass || fail "rel32: $(<rel32.ckm.err)"
refused_asm addr32 'writes 32 bits of an address' '	.section .data.x,"aw"
	.long ".klp.sym.vmlinux.var,0"
	.weak ".klp.sym.vmlinux.var,0"'
refused_asm tls 'is not supported for symbols of other objects by the ppc64 module loader' '	.section .data.x,"aw"
	.reloc ., R_PPC64_DTPMOD64, ".klp.sym.vmlinux.tlsvar,0"
	.quad 0
	.weak ".klp.sym.vmlinux.tlsvar,0"'
refused_asm inside 'inside the function func of vmlinux' "$(in_f '	bl ".klp.sym.vmlinux.func,0"+8
	nop')"
refused_asm toc 'livepatch symbol '"'"'.klp.sym.vmlinux..TOC.,0'"'"': .TOC. is the TOC base' '	.section .data.x,"aw"
	.quad ".klp.sym.vmlinux..TOC.,0"
	.weak ".klp.sym.vmlinux..TOC.,0"'
# the forms the loader takes: a call with its nop (or the TOC restore a
# reloaded module already has there), an address in data or the .toc
if accepted_asm stubcall "$(in_f '	bl ".klp.sym.vmlinux.func,0"
	nop
	bl ".klp.sym.vmlinux.func,0"
	ld 2,24(1)')"; then
	[[ $(klp_rela_of .klp.rela.vmlinux..text.f) == $'0000000000000000 R_PPC64_REL24 .klp.sym.vmlinux.func,0+0\n0000000000000008 R_PPC64_REL24 .klp.sym.vmlinux.func,0+0' ]] &&
		pass || fail "stub calls' klp relocations: {$(klp_rela_of .klp.rela.vmlinux..text.f)}"
fi
if accepted_asm addr '	.section .data.x,"aw"
	.quad ".klp.sym.vmlinux.var,0"
	.quad ".klp.sym.vmlinux.var,0" - .
	.weak ".klp.sym.vmlinux.var,0"'; then
	[[ $(klp_rela_of .klp.rela.vmlinux..data.x) == $'0000000000000000 R_PPC64_ADDR64 .klp.sym.vmlinux.var,0+0\n0000000000000008 R_PPC64_REL64 .klp.sym.vmlinux.var,0+0' ]] &&
		pass || fail "data klp relocations: {$(klp_rela_of .klp.rela.vmlinux..data.x)}"
fi

# 4. Big-endian ppc64 (ELFv1 kernels, function descriptors): refused as
#    a whole, not converted with the wrong loader's rules.
printf '\t.section .data.x,"aw"\n\t.quad ".klp.sym.vmlinux.var,0"\n\t.weak ".klp.sym.vmlinux.var,0"\n' >be.s
case=be
if "$as" -mbig -o be.o be.s && "$ld" -EB -r -o be.ko be.o; then
	if convert be; then
		fail "a big-endian ppc64 module converted"
	else
		grep -q 'be.ko: a big-endian ppc64 module: only ppc64le (ELFv2)' be.ckm.err && pass ||
			fail "big-endian: $(<be.ckm.err)"
	fi
else
	fail "cannot assemble a big-endian object"
fi

# 5. kpatch-verify on the linked modules: the vmlinux one verifies (and
#    does not once its call through the stub lost the nop or became a
#    sibling call), its .toc entry followed to the variable it holds (an
#    object whose code loads another variable through its .toc does
#    not); and an object
#    with functions where only __LINE__ moved (li r4/r5 before a call),
#    which the differ leaves out, is line-only, not missed changes.
verify=$build/verify/kpatch-verify
case=string
linked_module string && verifies string
# the loader's rules on klp relocations, checked independently: the nop
# after the call through the stub overwritten, the bl made a b
mutate=$build/test/unit/verify-mutate
klp_reloc_finding() {	# klp_reloc_finding WHAT REGEX MUTATION...
	local what=$1 regex=$2
	shift 2
	"$mutate" string.klp.ko bad.ko "$@" 2>bad.err || { fail "$what: cannot mutate: $(<bad.err)"; return; }
	if "$verify" string.orig.o string.patched.o bad.ko string.symtab >bad.verify 2>&1; then
		fail "$what: verified"
	else
		grep -Eq "FAILED klp-reloc: function show \(\.text\.show\+0x24\): relocation type 10 to \.klp\.sym\.vmlinux\.helper,0 $regex" bad.verify &&
			pass || fail "$what: no klp-reloc finding: $(grep -v note bad.verify | head -n 3)"
	fi
}
klp_reloc_finding "no nop after the call" 'is a call with no nop after it' set show 0x28 01 00 63 38
klp_reloc_finding "a sibling call" 'is a sibling call through the loader' set show 0x24 00 00 00 48
grep -q 'FAILED soundness: function show (.text.show+0x24):.* the instruction under the relocation at +0x24 differs' bad.verify &&
	pass || fail "bl made b: no soundness finding: $(grep -v note bad.verify | head -n 3)"
sed 's/counter/other/g' string.patched.c >patched/other.c
(cd patched && "$cc" "${cflags[@]}" -o ../other.patched.o other.c)
if "$verify" string.orig.o other.patched.o string.klp.ko string.symtab >other.verify 2>&1; then
	fail "a module loading counter verified against code that loads other"
else
	grep -q 'FAILED soundness: function show (.text.show+0x2c).*klp symbol names counter, the patched object other' other.verify &&
		pass || fail "no finding for the .toc entry: $(grep -v note other.verify | head -n 3)"
fi
{
	echo 'extern void __might_sleep(const char *file, int line);'
	cat string.orig.c
	echo 'void near(void) { __might_sleep("line.c", __LINE__); }'
	echo '#line 30000'
	echo 'void far(void) { __might_sleep("line.c", __LINE__); }'
} >lines.orig.c
{ printf '\n\n\n'; sed 's/value: /VALUE: /; s/^#line 30000/#line 30003/' lines.orig.c; } >lines.patched.c
if module_of lines vmlinux; then
	expect_funcs changed "show" && linked_module lines && verifies lines
	# the same module against an object where near() really changed
	sed '/^void near/ s/__LINE__/-5/' lines.patched.c >patched/lines.c
	(cd patched && "$cc" "${cflags[@]}" -o ../lines.patched.o lines.c)
	if "$verify" lines.orig.o lines.patched.o lines.klp.ko lines.symtab >lines.verify 2>&1; then
		fail "a function changed beyond its __LINE__ but left unpatched verified"
	else
		grep -q 'FAILED completeness: function near' lines.verify && pass ||
			fail "no completeness finding for near: $(grep -v note lines.verify | head -n 3)"
	fi
fi

echo "$passed passed, $failed failed"
((failed == 0))
