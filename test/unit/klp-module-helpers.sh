# shellcheck shell=bash
# "COND && pass || fail" is safe here: pass always succeeds.
# shellcheck disable=SC2015,SC2154
# Helpers of the per-arch create-klp-module scripts (klp-module-<arch>.sh),
# sourced after cdo-case-helpers.sh; they use the sourcing script's $ckm
# (create-klp-module), $verify (kpatch-verify), $cdo, $cc, $cflags, $as
# and $ld (the arch's tools) and $case.

# module_of CASE PARENT: the differ's output for a patched object of
# PARENT (vmlinux or a module), linked (ld -r, as kbuild links the module)
# into $case.ko. The parent's symbols are the original object's plus those
# of $parent_source (C), which are unexported.
module_of() {
	case=$1
	local parent=$2
	compile_pair "$cc" "${cflags[@]}"
	printf '%s\n' "$parent_source" >parent-data.c
	"$cc" "${cflags[@]}" -o parent-data.o parent-data.c
	"$ld" -r -o "$case.parent.o" "$case.orig.o" parent-data.o
	readelf -sW "$case.parent.o" >"$case.symtab"
	printf '0x12345678\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n' >"$case.symvers"
	"$cdo" "$case.orig.o" "$case.patched.o" "$parent" "$case.symtab" "$case.symvers" test \
		"$case.out.o" >"$case.stdout" 2>"$case.stderr" ||
		{ fail "create-diff-object: $(cat "$case.stderr")"; return 1; }
	"$ld" -r -o "$case.ko" "$case.out.o"
}

# convert CASE: create-klp-module on $case.ko; its stderr in $case.ckm.err
convert() {
	"$ckm" "$1.ko" "$1.klp.ko" 2>"$1.ckm.err"
}

# klp_rela_of SECTION: "offset type symbol+addend" of the module's SECTION
klp_rela_of() {
	rela_section "$case.klp.ko" "$1"
}

# klp_section_header_ok KLP-SECTION BASE: the header of $case.klp.ko's
# KLP-SECTION is a livepatch relocation section for BASE
klp_section_header_ok() {
	local hdr base type entsize flags info
	hdr=$(readelf -SW "$case.klp.ko" | sed -n "s/^ *\[ *[0-9]*\] ${1//./\\.} //p")
	base=$(readelf -SW "$case.klp.ko" | sed -n "s/^ *\[ *\([0-9]*\)\] ${2//./\\.} .*/\1/p")
	# type, flags SHF_ALLOC|SHF_INFO_LINK|SHF_RELA_LIVEPATCH (o), sh_info
	read -r type _ _ _ entsize flags _ info _ <<<"$hdr"
	[[ $type == RELA && $entsize == 18 && $flags == AIo && $info == "$base" ]] && pass ||
		fail "$1 header {$hdr}, expected RELA, entsize 18, AIo, info $base"
}

# clean_object KO ENDIAN: readelf reads KO without a complaint and it is
# an ENDIAN ("little"/"big") endian object of $machine
clean_object() {
	[[ -z $(readelf -a -W "$1" 2>&1 >/dev/null) && $(readelf -h "$1") == *"$machine"* &&
		$(readelf -h "$1") == *"$2 endian"* ]] && pass ||
		fail "the module is not a clean $2-endian $machine object"
}

# asm_module CASE ASSEMBLY: $case.ko, linked from the assembly
asm_module() {
	case=$1
	printf '%s\n' "$2" >"$case.s"
	"$as" -o "$case.o" "$case.s" && "$ld" -r -o "$case.ko" "$case.o"
}
# refused_asm CASE EXPECTED-TEXT ASSEMBLY: refused with that text, no output
refused_asm() {
	local want=$2
	asm_module "$1" "$3" || { fail "cannot assemble"; return; }
	if convert "$case"; then
		fail "accepted"
	else
		[[ $(<"$case.ckm.err") == *"$want"* ]] && pass || fail "message lacks '$want': $(<"$case.ckm.err")"
		[[ ! -e $case.klp.ko ]] && pass || fail "output written despite the refusal"
	fi
}
# accepted_asm CASE ASSEMBLY: converted
accepted_asm() {
	asm_module "$1" "$2" || { fail "cannot assemble"; return 1; }
	convert "$case" && pass || { fail "refused: $(<"$case.ckm.err")"; return 1; }
}

# linked_module CASE: $case.ko as kbuild links it, converted
linked_module() {
	head -c 64 /dev/zero >this_module.bin
	"${cc%gcc}objcopy" --add-section .gnu.linkonce.this_module=this_module.bin \
		--set-section-flags .gnu.linkonce.this_module=alloc,data "$1.ko" "$1.mod.ko" &&
		"$ckm" "$1.mod.ko" "$1.klp.ko"
}

# verifies CASE: kpatch-verify accepts $case.klp.ko
verifies() {
	if "$verify" "$1.orig.o" "$1.patched.o" "$1.klp.ko" "$1.symtab" >"$1.verify" 2>&1; then
		pass
	else
		fail "kpatch-verify: $(grep -v note "$1.verify" | head -n 3)"
	fi
}
