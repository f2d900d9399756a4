#!/usr/bin/env bash
# "COND && pass || fail" is safe here: pass always succeeds.
# shellcheck disable=SC2015
# Unit test of create-klp-module on small objects built with gcc + ld -r.
#
# usage: test/unit/create-klp-module-test.sh [BUILD-DIR | CREATE-KLP-MODULE]
# Without an argument the program is $CREATE_KLP_MODULE, else
# <repo>/$BUILD/kpatch-build/create-klp-module (BUILD defaults to "build"). Prints one line per failed
# check and ends with "N passed, M failed"; exit status 1 if any failed.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [[ -n ${1:-} && -d $1 ]]; then
	CKM=$1/kpatch-build/create-klp-module	# test/run-tests passes the build directory
elif [[ -n ${1:-} ]]; then
	CKM=$1
else
	CKM=${CREATE_KLP_MODULE:-$REPO/${BUILD:-build}/kpatch-build/create-klp-module}
fi
export LC_ALL=C

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); }
fail() {
	echo "FAIL: $*"
	FAILED=$((FAILED + 1))
}
# check DESCRIPTION CMD...: CMD must succeed.
check() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then pass; else fail "$what"; fi
}

if [[ ! -x $CKM ]]; then
	echo "FAIL: create-klp-module not found at $CKM (run make first)"
	echo "0 passed, 1 failed"
	exit 1
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/ckm-test.XXXXXX")
trap 'rm -rf "$T"' EXIT

# cc_obj NAME: compile $T/NAME.c like kernel code and ld -r it into NAME.o.
cc_obj() {
	gcc -O2 -mcmodel=kernel -fno-pic -fno-asynchronous-unwind-tables \
		-ffunction-sections -fdata-sections -c "$T/$1.c" -o "$T/$1.tmp.o" &&
		ld -r "$T/$1.tmp.o" -o "$T/$1.o"
}

# klp_decl VAR SYMBOL-NAME [function|data]
klp_decl() {
	if [[ ${3:-function} == function ]]; then
		printf 'extern void %s(void) __asm__("\\"%s\\"") __attribute__((weak));\n' "$1" "$2"
	else
		printf 'extern int %s __asm__("\\"%s\\"") __attribute__((weak));\n' "$1" "$2"
	fi
}

# ---- the main case -------------------------------------------------------
{
	klp_decl foo_klp '.klp.sym.vmlinux.foo,1'
	klp_decl bar_klp '.klp.sym.mymod.bar,0' data
	cat <<'EOF'
extern void exported(void);
int patched(int x)
{
	foo_klp();
	exported();
	return bar_klp + x;
}
void *ptrs[] = { (void *)foo_klp, &bar_klp, (void *)exported };
EOF
} >"$T/good.c"
cc_obj good || {
	echo "FAIL: cannot build the test object"
	echo "0 passed, 1 failed"
	exit 1
}

if "$CKM" "$T/good.o" "$T/good.out.o" 2>"$T/good.err"; then
	pass
else
	fail "create-klp-module failed on a valid object: $(cat "$T/good.err")"
fi
[[ ! -s $T/good.err ]] && pass || fail "create-klp-module printed on success: $(cat "$T/good.err")"

if [[ -f $T/good.out.o ]]; then
	S=$(readelf -SW "$T/good.out.o")
	R=$(readelf -rW "$T/good.out.o")
	Y=$(readelf -sW "$T/good.out.o")

	# sect_line NAME: the section header line of NAME.
	sect_line() { awk -v n="$1" '{ sub(/^ *\[ *[0-9]+\] */, "") } $1 == n' <<<"$S"; }
	sect_index() { awk -v n="$1" '{ line = $0; sub(/^ *\[ */, "", line); split(line, a, /\] */); sub(/^[^]]*\] */, "") } $1 == n { print a[1] + 0 }' <<<"$S"; }
	# rela_entries SECTION: "offset type symbol" lines of one relocation section.
	rela_entries() {
		awk -v n="'$1'" '/^Relocation section/ { on = ($3 == n); next } on && NF >= 5 && $1 ~ /^[0-9a-f]+$/ { print $1, $3, $5 }' <<<"$R"
	}

	for spec in '.klp.rela.vmlinux..text.patched:.text.patched:1:.klp.sym.vmlinux.foo,1' \
		'.klp.rela.mymod..text.patched:.text.patched:1:.klp.sym.mymod.bar,0' \
		'.klp.rela.vmlinux..data.ptrs:.data.ptrs:1:.klp.sym.vmlinux.foo,1' \
		'.klp.rela.mymod..data.ptrs:.data.ptrs:1:.klp.sym.mymod.bar,0'; do
		IFS=: read -r ks base n sym <<<"$spec"
		line=$(sect_line "$ks")
		if [[ -z $line ]]; then
			fail "section $ks missing"
			continue
		fi
		pass
		# Name Type Addr Off Size ES Flg Lk Inf Al
		read -r _ type _ _ _ es flg _ inf al <<<"$line"
		[[ $type == RELA ]] && pass || fail "$ks: type $type, want RELA"
		[[ $flg == AIo ]] && pass || fail "$ks: flags '$flg', want AIo (SHF_ALLOC|SHF_INFO_LINK|SHF_RELA_LIVEPATCH)"
		[[ $es == 18 && $al == 8 ]] && pass || fail "$ks: entsize $es align $al, want 18 8"
		[[ $inf == "$(sect_index "$base")" ]] && pass || fail "$ks: sh_info $inf is not $base"
		entries=$(rela_entries "$ks")
		[[ $(wc -l <<<"$entries") == "$n" ]] && pass || fail "$ks: want $n entries, have: $entries"
		[[ $(awk '{ print $3 }' <<<"$entries" | sort -u) == "$sym" ]] && pass ||
			fail "$ks: entries reference $(awk '{ print $3 }' <<<"$entries" | sort -u | tr '\n' ' '), want only $sym"
	done
	# Raw flags value, the kernel's view.
	flags=$(readelf -SW "$T/good.out.o" | grep -c 'klp\.rela' || true)
	[[ $flags == 4 ]] && pass || fail "expected 4 .klp.rela sections, found $flags"
	if command -v python3 >/dev/null; then
		raw=$(python3 - "$T/good.out.o" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
shoff, = struct.unpack_from('<Q', d, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from('<HHH', d, 0x3a)
def sh(i):
    return struct.unpack_from('<IIQQQQIIQQ', d, shoff + i * shentsize)
stroff = sh(shstrndx)[4]
for i in range(shnum):
    h = sh(i)
    name = d[stroff + h[0]:d.index(b'\0', stroff + h[0])].decode()
    if name.startswith('.klp.rela.'):
        print(hex(h[2]))
EOF
)
		[[ $(sort -u <<<"$raw") == 0x100042 ]] && pass || fail "klp rela sh_flags are $raw, want 0x100042"
	fi

	# Symbols: SHN_LIVEPATCH, still weak, otherwise unchanged.
	for sym in '.klp.sym.vmlinux.foo,1' '.klp.sym.mymod.bar,0'; do
		line=$(awk -v n="$sym" '$NF == n' <<<"$Y")
		[[ $line == *'OS [0xff20]'* || $line == *LIVEPATCH* ]] && pass ||
			fail "$sym: not SHN_LIVEPATCH: $line"
	done
	# No ordinary relocation section may still reference a klp symbol.
	leftover=$(awk '/^Relocation section/ { on = ($3 !~ /^.\.klp\.rela\./); next } on && /\.klp\.sym\./' <<<"$R")
	[[ -z $leftover ]] && pass || fail "ordinary relocations still reference klp symbols: $leftover"
	# The untouched relocations are still there.
	grep -q 'R_X86_64_PLT32 .* exported - 4' <<<"$R" && pass || fail "relocation to 'exported' lost"
	[[ $(rela_entries .rela.data.ptrs) == *exported* ]] && pass || fail ".rela.data.ptrs lost its ordinary entry"
	# Other sections and symbols unchanged (names, types, sizes, flags).
	norm_s() { readelf -SW "$1" | sed -n 's/^ *\[ *[0-9]*\] *//p' | awk '$1 !~ /^\.(klp\.)?rela|^\.(sym|str|shstr)tab$/ { print $1, $2, $5, $7 }'; }
	[[ $(norm_s "$T/good.o") == "$(norm_s "$T/good.out.o")" ]] && pass || fail "non-relocation sections changed"
	norm_y() { readelf -sW "$1" | awk 'NR > 3 && $NF !~ /^\.klp\.sym\./ { print $3, $4, $5, $6, $8 }' | sort; }
	[[ $(norm_y "$T/good.o") == "$(norm_y "$T/good.out.o")" ]] && pass || fail "other symbols changed"
	# readelf has nothing to complain about.
	warnings=$(readelf -a -W "$T/good.out.o" 2>&1 >/dev/null)
	[[ -z $warnings ]] && pass || fail "readelf -a warnings: $warnings"

	# Deterministic, and idempotent on its own output.
	"$CKM" "$T/good.o" "$T/good.out2.o"
	check "two runs give identical output" cmp "$T/good.out.o" "$T/good.out2.o"
	if "$CKM" "$T/good.out.o" "$T/good.out3.o" 2>/dev/null; then
		pass
		[[ $(readelf -rW "$T/good.out3.o") == "$R" ]] && pass || fail "running on its own output changed the relocations"
	else
		fail "running on its own output failed"
	fi
	# A .klp.rela section whose objname does not match its symbols.
	if objcopy --rename-section .klp.rela.mymod..text.patched=.klp.rela.other..text.patched \
		"$T/good.out.o" "$T/mismatch.o" 2>/dev/null; then
		err=$("$CKM" "$T/mismatch.o" "$T/mismatch.out.o" 2>&1) && fail "mismatched .klp.rela objname accepted" ||
			{ [[ $err == *'.klp.rela.other..text.patched'* ]] && pass || fail "mismatch message: $err"; }
	fi
fi

# ---- refused inputs ------------------------------------------------------
# refused NAME SYMBOL [EXPECTED-TEXT]: an object using SYMBOL is refused with
# one "create-klp-module: ERROR: <file>: ..." line naming the symbol.
refused() {
	local name=$1 sym=$2 want=${3:-} err rc=0
	{
		klp_decl s_klp "$sym"
		echo 'void user(void) { s_klp(); }'
	} >"$T/$name.c"
	cc_obj "$name" || {
		fail "$name: cannot build"
		return
	}
	err=$("$CKM" "$T/$name.o" "$T/$name.out.o" 2>&1) || rc=$?
	if ((rc != 1)); then
		fail "$name: '$sym' accepted (exit $rc)"
		return
	fi
	pass
	[[ $(wc -l <<<"$err") == 1 && $err == "create-klp-module: ERROR: $T/$name.o: "* && $err == *"$sym"* ]] &&
		pass || fail "$name: bad message: $err"
	[[ -z $want || $err == *"$want"* ]] && pass || fail "$name: message lacks '$want': $err"
	[[ ! -e $T/$name.out.o ]] && pass || fail "$name: output written despite the error"
	compgen -G "$T/$name.out.o.tmp*" >/dev/null && fail "$name: temporary file left" || pass
}
refused no-sympos '.klp.sym.vmlinux.foo' 'sympos'
refused no-objname-dot '.klp.sym.vmlinux,0' "no '.'"
refused empty-objname '.klp.sym..foo,0' 'empty object name'
refused empty-name '.klp.sym.vmlinux.,0' 'empty symbol name'
refused bad-sympos '.klp.sym.vmlinux.foo,1x' 'sympos'
refused neg-sympos '.klp.sym.vmlinux.foo,-1' 'sympos'
refused empty-sympos '.klp.sym.vmlinux.foo,' 'sympos'
refused long-objname ".klp.sym.$(printf 'm%.0s' {1..56}).foo,0" '55'
refused dash-objname '.klp.sym.my-mod.foo,0' "'-'"

# A 55-character object name and dotted symbol names are fine.
{
	klp_decl a_klp ".klp.sym.$(printf 'm%.0s' {1..55}).foo.cold,0"
	klp_decl b_klp '.klp.sym.vmlinux.bar.isra.0,2'
	echo 'void user(void) { a_klp(); b_klp(); }'
} >"$T/edge.c"
cc_obj edge && check "55-character objname and dotted names accepted" "$CKM" "$T/edge.o" "$T/edge.out.o"

# Module symbols in sections the kernel consumes at load: refused; vmlinux fine.
special() {
	local name=$1 sym=$2 section=$3
	{
		klp_decl s_klp "$sym"
		printf 'void *entry __attribute__((section("%s"), used)) = (void *)s_klp;\n' "$section"
	} >"$T/$name.c"
	cc_obj "$name"
}
special jt-mod '.klp.sym.mymod.key,0' __jump_table
if "$CKM" "$T/jt-mod.o" "$T/jt-mod.out.o" 2>"$T/jt-mod.err"; then
	fail "module klp symbol in __jump_table accepted"
else
	grep -q '__jump_table' "$T/jt-mod.err" && grep -q 'mymod.key' "$T/jt-mod.err" && pass ||
		fail "__jump_table refusal does not name section and symbol: $(cat "$T/jt-mod.err")"
fi
special alt-mod '.klp.sym.mymod.x,0' .altinstructions
check "module klp symbol in .altinstructions refused" bash -c "! '$CKM' '$T/alt-mod.o' '$T/alt-mod.out.o'"
special jt-vmlinux '.klp.sym.vmlinux.key,0' __jump_table
check "vmlinux klp symbol in __jump_table accepted" "$CKM" "$T/jt-vmlinux.o" "$T/jt-vmlinux.out.o"

# A reference into the middle of the original of a function the module
# replaces (a jump table still pointing at the old code) is refused; a
# reference to its start is fine.
for case in inside:0x10 start:0; do
	{
		klp_decl old_klp '.klp.sym.vmlinux.replaced,0'
		echo 'int replaced(int x) { return x + 1; }'
		printf 'void *table[] = { (char *)old_klp + %s };\n' "${case#*:}"
	} >"$T/jt-${case%%:*}.c"
	cc_obj "jt-${case%%:*}"
done
err=$("$CKM" "$T/jt-inside.o" "$T/jt-inside.out.o" 2>&1) && fail "reference into the original function accepted" ||
	{ [[ $err == *'inside the function replaced'* ]] && pass || fail "inside-function message: $err"; }
check "reference to the original function's start accepted" "$CKM" "$T/jt-start.o" "$T/jt-start.out.o"

# Debug sections are left alone (the loader never applies them).
{
	klp_decl d_klp '.klp.sym.vmlinux.dbg,0' data
	echo 'int user(void) { return d_klp; }'
} >"$T/dbg.c"
gcc -O2 -g -mcmodel=kernel -fno-pic -c "$T/dbg.c" -o "$T/dbg.tmp.o" && ld -r "$T/dbg.tmp.o" -o "$T/dbg.o" &&
	check "object with debug info converted" "$CKM" "$T/dbg.o" "$T/dbg.out.o"
if [[ -f $T/dbg.out.o ]]; then
	readelf -SW "$T/dbg.out.o" | grep -q '\.klp\.rela\.vmlinux\.\.text ' && pass || fail "dbg: no .klp.rela.vmlinux..text"
	[[ -z $(readelf -a -W "$T/dbg.out.o" 2>&1 >/dev/null) ]] && pass || fail "dbg: readelf warnings"
fi

# Defined .klp.sym symbols and bad input files.
echo 'int defined_var = 1;' >"$T/defined.c"
cc_obj defined && objcopy --add-symbol '.klp.sym.vmlinux.x,0=.data.defined_var:0,global,object' \
	"$T/defined.o" "$T/defined2.o" && mv "$T/defined2.o" "$T/defined.o"
check "defined klp symbol refused" bash -c "! '$CKM' '$T/defined.o' '$T/defined.out.o' 2>/dev/null"
echo 'not an ELF file' >"$T/junk.o"
check "non-ELF input refused" bash -c "! '$CKM' '$T/junk.o' '$T/junk.out.o' 2>/dev/null"
# An architecture create-klp-module does not know (e_machine 183, aarch64).
cp "$T/edge.o" "$T/arm.o" && printf '\xb7\x00' | dd of="$T/arm.o" bs=1 seek=18 conv=notrunc status=none
err=$("$CKM" "$T/arm.o" "$T/arm.out.o" 2>&1) && fail "an object of an unknown machine accepted" ||
	{ [[ $err == *'machine 183 (e_machine) is not an architecture create-klp-module supports'* ]] && pass ||
		fail "unknown-machine message: $err"; }
check "missing input refused" bash -c "! '$CKM' '$T/missing.o' '$T/missing.out.o' 2>/dev/null"
check "usage error exits 1" bash -c "'$CKM' only-one-arg 2>/dev/null; [[ \$? == 1 ]]"

echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
