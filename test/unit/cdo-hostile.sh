#!/usr/bin/env bash
# Hostile objects: values the ELF model must check before trusting them
# (relocation offset plus width, symbol extent, section alignment, sh_link,
# what a relocation section applies to).
# create-diff-object and create-klp-module must each give one clear error
# naming the object and the section, exit 1, and write no output; a valid
# sh_link of an ordinary section must survive the renumbering on write.
set -euo pipefail

build=${1:-${BUILD:-build}}
cdo=$build/create-diff-object/create-diff-object
cklp=$build/kpatch-build/create-klp-module
corpus=${KPATCH_CORPUS:-../shared/corpus/kpatch-unit}
good=$corpus/x86_64/meminfo-string.ORIG.o
good2=$corpus/x86_64/meminfo-string.PATCHED.o
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

pass() { passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

export PARA_STRUCT_SIZE=16 EX_STRUCT_SIZE=12 BUG_STRUCT_SIZE=12 ALT_STRUCT_SIZE=13 \
	JUMP_STRUCT_SIZE=24 ORC_STRUCT_SIZE=6 STATIC_CALL_STRUCT_SIZE=8 PRINTK_INDEX_STRUCT_SIZE=44
: >"$work/symvers"

# put_le FILE OFFSET NBYTES VALUE: store VALUE little-endian at OFFSET
put_le() {
	local file=$1 off=$2 n=$3 value=$4 bytes=""
	for ((i = 0; i < n; i++)); do
		bytes+=$(printf '\\x%02x' $(((value >> (8 * i)) & 255)))
	done
	printf '%b' "$bytes" | dd of="$file" bs=1 seek="$off" conv=notrunc status=none
}

# column COL of `readelf -S` for section NAME (exact) of FILE; COL 1 is the index
sec_col() {
	readelf -SW "$1" | awk -v name="$2" -v col="$3" '
		{ sub(/^ *\[ */, ""); sub(/\]/, "") }
		$2 == name && !found { print $col; found = 1 }'
}

# header FILE INDEX: file offset of section INDEX's header
header() {
	local shoff
	shoff=$(readelf -hW "$1" | awk '/Start of section headers/ { print $5 }')
	echo $((shoff + $2 * 64))
}

# symbol_entry FILE NAME: file offset of symbol NAME's Elf64_Sym
symbol_entry() {
	local symtab num
	symtab=$((0x$(sec_col "$1" .symtab 5)))
	num=$(readelf -sW "$1" | awk -v name="$2" '$8 == name && !found { sub(":", "", $1); print $1; found = 1 }')
	echo $((symtab + num * 24))
}

# expect_refused NAME NEEDLE FILE SECTION: both programs reject FILE
expect_refused() {
	local name=$1 needle=$2 file=$3 section=$4 prog status out
	for prog in cdo cklp; do
		out=$work/out-$prog.o
		echo stale >"$out"
		status=0
		if [[ $prog == cdo ]]; then
			"$cdo" "$file" "$good2" vmlinux "$good" "$work/symvers" t "$out" \
				>/dev/null 2>"$work/stderr" || status=$?
		else
			rm -f "$out"
			"$cklp" "$file" "$out" >/dev/null 2>"$work/stderr" || status=$?
		fi
		if ((status != 1)); then
			fail "$name ($prog): exit status $status, expected 1: $(cat "$work/stderr")"
		elif [[ $(grep -c ERROR "$work/stderr") != 1 ]]; then
			fail "$name ($prog): expected one error line: $(cat "$work/stderr")"
		elif ! grep -qF -- "$needle" "$work/stderr"; then
			fail "$name ($prog): message does not say \"$needle\": $(cat "$work/stderr")"
		elif ! grep -qF -- "$file" "$work/stderr" || ! grep -qF -- "$section" "$work/stderr"; then
			fail "$name ($prog): message does not name $file and $section: $(cat "$work/stderr")"
		elif [[ -e $out ]]; then
			fail "$name ($prog): an output file was left behind"
		else
			pass
		fi
	done
}

fresh() { cp "$good" "$work/$1.o"; echo "$work/$1.o"; }

# A 4-byte PC32 relocation whose offset is inside .init.text (size 0x1f)
# but whose field runs past its end; the old offset < size check let it by.
f=$(fresh reloc-width)
rela=$((0x$(sec_col "$f" .rela.init.text 5)))
size=$((0x$(sec_col "$f" .init.text 6)))
last=$(($(readelf -rW "$f" | awk '/^Relocation section .\.rela\.init\.text/ { s = 1; next }
	/^Relocation section/ { s = 0 } s && /R_X86_64_PC32/ { n = i } s && /^[0-9a-f]+ / { i++ }
	END { print n }')))
put_le "$f" $((rela + last * 24)) 8 $((size - 3))
expect_refused "relocation offset+width past the section" "is outside .init.text" "$f" .rela.init.text

# A relocation wholly past its section.
f=$(fresh reloc-offset)
put_le "$f" "$rela" 8 $((size + 0x100))
expect_refused "relocation offset past the section" "is outside .init.text" "$f" .rela.init.text

# An addend near the int64 limit: offsets computed from it would overflow.
f=$(fresh addend)
put_le "$f" $((rela + 16)) 8 $(((1 << 63) - 4))
expect_refused "relocation addend at the int64 limit" "has an addend (9223372036854775804)" \
	"$f" .rela.init.text

# A function one byte longer than its section.
f=$(fresh sym-size)
put_le "$f" $(($(symbol_entry "$f" proc_meminfo_init) + 16)) 8 $((size + 1))
expect_refused "symbol past its section end" "extends past the end of section .init.text" \
	"$f" proc_meminfo_init

# A symbol starting past its section end.
f=$(fresh sym-value)
put_le "$f" $(($(symbol_entry "$f" proc_meminfo_init) + 8)) 8 $((size + 8))
expect_refused "symbol value past its section end" "extends past the end of section .init.text" \
	"$f" proc_meminfo_init

# Huge alignment: the writer would pad the output file to 16 TiB.
text=$(sec_col "$good" .text.meminfo_proc_open 1)
f=$(fresh align-huge)
put_le "$f" $(($(header "$f" "$text") + 48)) 8 $((1 << 44))
expect_refused "huge sh_addralign" "alignment 0x100000000000" "$f" .text.meminfo_proc_open

# Alignment that is not a power of two.
f=$(fresh align-odd)
put_le "$f" $(($(header "$f" "$text") + 48)) 8 24
expect_refused "sh_addralign not a power of two" "alignment 0x18" "$f" .text.meminfo_proc_open

# sh_link of an ordinary section naming no section.
f=$(fresh link-range)
put_le "$f" $(($(header "$f" "$text") + 40)) 4 200
expect_refused "sh_link out of range" "sh_link 200" "$f" .text.meminfo_proc_open

# Relocations for a section without bytes.
f=$(fresh rela-nobits)
put_le "$f" $(($(header "$f" "$(sec_col "$f" .rela.init.text 1)") + 44)) 4 \
	"$(sec_col "$f" .bss 1)"
expect_refused "relocations for NOBITS" "applies to .bss, which has no bytes" "$f" .rela.init.text

# Two relocation sections for one section.
f=$(fresh rela-twice)
put_le "$f" $(($(header "$f" "$(sec_col "$f" .rela.text.meminfo_proc_open 1)") + 44)) 4 \
	"$(sec_col "$f" .init.text 1)"
expect_refused "two relocation sections for one" \
	"relocation sections .rela.init.text and .rela.text.meminfo_proc_open both apply to .init.text" \
	"$f" .init.text

# An empty symbol table: not even the null symbol every index 0 refers to.
f=$(fresh symtab-empty)
put_le "$f" $(($(header "$f" "$(sec_col "$f" .symtab 1)") + 32)) 8 0
expect_refused "empty symbol table" "symbol table .symtab is empty" "$f" .symtab

# A valid sh_link of an ordinary section (not SHF_LINK_ORDER) names the
# same section after create-diff-object renumbered them all.
for v in orig patched; do
	src=$good
	[[ $v == patched ]] && src=$good2
	cp "$src" "$work/link-$v.o"
	show=$(sec_col "$src" .text.meminfo_proc_show 1)
	str=$(sec_col "$src" .rodata.meminfo_proc_show.str1.1 1)
	put_le "$work/link-$v.o" $(($(header "$src" "$show") + 40)) 4 "$str"
done
status=0
"$cdo" "$work/link-orig.o" "$work/link-patched.o" vmlinux "$good" "$work/symvers" t \
	"$work/link-out.o" >/dev/null 2>"$work/stderr" || status=$?
if ((status != 0)); then
	fail "sh_link carried: exit status $status: $(cat "$work/stderr")"
else
	link=$(sec_col "$work/link-out.o" .text.meminfo_proc_show 9)
	want=$(sec_col "$work/link-out.o" .rodata.meminfo_proc_show.str1.1 1)
	if [[ -z $want || $link != "$want" ]]; then
		fail "sh_link carried: .text.meminfo_proc_show links to section $link, want $want"
	else
		pass
	fi
fi

echo "$passed passed, $failed failed"
((failed == 0))
