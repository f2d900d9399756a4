#!/bin/bash
# kpatch-build refuses a patch that changes the modversions CRC of an
# exported symbol (exit 2, export-crc-changed), in full and in partial
# builds, and accepts changes genksyms does not see. The toy tree gets
# CONFIG_MODVERSIONS the way kbuild does it: after compiling an object that
# exports symbols, a genksyms stand-in appends "#SYMVER <symbol> <crc>"
# lines to its .cmd file. Its CRC hashes the structure definitions of the
# preprocessed source (with -D__GENKSYMS__, through the "gcc" first in PATH,
# as kbuild's $(CPP) is), so a changed structure changes it, a changed
# function body does not, and #ifndef __GENKSYMS__ hides a change. With
# debug info, a CRC change whose export keeps its ABI (export-abi on the
# DWARF) goes through with a warning, and a real ABI change is refused
# naming where it is.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"

# add_modversions DIR: the exports and the genksyms stand-in.
add_modversions() {
	local dir=$1
	add_core_exports "$dir" "extern typeof(sym) sym"
	cat >"$dir/scripts/genksyms.sh" <<'SH'
# genksyms.sh SRC: "#SYMVER <symbol> 0x<crc>" for each EXPORT_SYMBOL in SRC.
# core_plain's CRC is fixed (its prototype uses no structure).
src=$1
syms=$(sed -n 's/^EXPORT_SYMBOL(\([A-Za-z0-9_]*\));$/\1/p' "$src")
[ -n "$syms" ] || exit 0
types=$(gcc -E -P -D__GENKSYMS__ -Iinclude "$src" | awk '/^struct [A-Za-z0-9_]+ *\{/,/\}/' | cksum | cut -d' ' -f1)
for sym in $syms; do
	if [ "$sym" = core_plain ]; then crc=12345; else crc=$types; fi
	printf '#SYMVER %s 0x%08x\n' "$sym" "$crc"
done
SH
	cat >>"$dir/Makefile" <<'MAKE'

# CONFIG_MODVERSIONS: kbuild's gen_symversions after each compile
define compile
	@echo "  CC      $@"
	$(cmd_cc) -MD -MF $(@D)/.$(@F).d
	@sh scripts/fixdep.sh $@ $< '$(cmd_cc)'
	@sh scripts/genksyms.sh $< >>$(@D)/.$(@F).cmd
endef
MAKE
}

# symvers_from_cmds DIR: a Module.symvers as modpost writes it.
symvers_from_cmds() {
	(cd "$1" && find . -name '.*.o.cmd' -exec cat {} + |
		awk '$1 == "#SYMVER" { printf "%s\t%s\tvmlinux\tEXPORT_SYMBOL\t\n", $3, $2 }' | sort -k2)
}

make_tree "$WORK/tree"
TREE=$WORK/tree
add_modversions "$TREE"
make -s -C "$TREE" KCFLAGS="$CONTRACT_KCFLAGS" vmlinux modules >/dev/null 2>&1 || { echo "cannot build the toy tree" >&2; exit 1; }
symvers_from_cmds "$TREE" >"$TREE/Module.symvers"
OUT=$WORK/out-dir
mkdir -p "$OUT"
check "test sanity: the tree's exports have CRCs" grep -q -E '^0x[0-9a-f]{8}	core_ops_scale	' "$TREE/Module.symvers"
OPS_CRC=$(awk '$2 == "core_ops_scale" { print $1 }' "$TREE/Module.symvers")
snapshot "$TREE" >"$WORK/snap"

make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$WORK/body.patch"
make_patch "$TREE" include/linux/ops.h 's/int scale;/int scale;\n\tint offset;/' "$WORK/struct.patch"
make_patch "$TREE" include/linux/ops.h 's/int scale;/int scale;\n#ifndef __GENKSYMS__\n\tint offset;\n#endif/' "$WORK/hidden.patch"

# --- full build
expect_status 0 "full: a function body change keeps every CRC" -s "$TREE" -o "$OUT" "$WORK/body.patch"
check "full: the module is built" test -s "$OUT/livepatch-body.ko"
check "full: the log says the CRCs were checked" grep -q "export CRCs: every export of the rebuilt objects keeps the kernel's CRC" "$KPATCH_BUILD_CACHE/last-build.log"

rm -f "$OUT"/*.ko
expect_status 2 "full: a structure an export uses changes" -s "$TREE" -o "$OUT" "$WORK/struct.patch"
check "full: refusal code, object, symbol and both CRCs" \
	output_has "ERROR: export-crc-changed: kernel/core.o: core_ops_scale: CRC $OPS_CRC in $TREE/Module.symvers, 0x[0-9a-f]{8} after the patch$"
check "full: only the changed export is named" sh -c "! grep -q 'core_plain' '$WORK/out'"
check "full: says what the author can do" output_has "#ifndef __GENKSYMS__"
check "full: no module written" test -z "$(find "$OUT" -name '*.ko*')"
check "full: tree identical after the refusal" same_tree "$TREE" "$WORK/snap"

# The hidden member changes no code either: the differ finds nothing.
expect_status 3 "full: the same change hidden from genksyms" -s "$TREE" -o "$OUT" "$WORK/hidden.patch"
check "full, hidden: passes the CRC check" sh -c "! grep -q export-crc-changed '$WORK/out'"

# Without Module.symvers (the tree was never linked with modules), the
# original objects' own #SYMVER lines are the reference.
mv "$TREE/Module.symvers" "$WORK/Module.symvers.saved"
expect_status 2 "full, no Module.symvers: checked against the original build" -s "$TREE" -o "$OUT" "$WORK/struct.patch"
check "full, no Module.symvers: names the original build's CRC" \
	output_has "export-crc-changed: kernel/core.o: core_ops_scale: CRC $OPS_CRC in the original build, 0x[0-9a-f]{8} after the patch$"
mv "$WORK/Module.symvers.saved" "$TREE/Module.symvers"

# --- partial build: the distribution's Module.symvers is the reference
REL=9.9.9-test
SRC=$WORK/src
cp -a "$FIXTURES/tree" "$SRC"
add_modversions "$SRC"
cp "$TREE/vmlinux" "$WORK/vmlinux"
partial_build_fixtures "$REL" "$WORK/vmlinux" "$SRC"
mkdir -p "$WORK/modules"
PARTIAL_ARGS=(-s "$SRC" -c "$TREE/.config" -v "$WORK/vmlinux" --kernel-release "$REL"
	--symvers "$TREE/Module.symvers" --modules-dir "$WORK/modules" -o "$OUT")

KPATCH_BUILD_MODULE=$WORK/build-module expect_status 0 "partial: a function body change keeps every CRC" \
	"${PARTIAL_ARGS[@]}" "$WORK/body.patch"
KPATCH_BUILD_MODULE=$WORK/build-module expect_status 2 "partial: a structure an export uses changes" \
	"${PARTIAL_ARGS[@]}" "$WORK/struct.patch"
check "partial: names the --symvers file and its CRC" \
	output_has "export-crc-changed: kernel/core.o: core_ops_scale: CRC $OPS_CRC in $TREE/Module.symvers, 0x[0-9a-f]{8} after the patch$"

# A kernel whose CRCs the unpatched source does not reproduce (wrong
# source or config for the Module.symvers): said as such.
sed "s/^$OPS_CRC\tcore_ops_scale/0x0badc0de\tcore_ops_scale/" "$TREE/Module.symvers" >"$WORK/other.symvers"
KPATCH_BUILD_MODULE=$WORK/build-module expect_status 2 "partial: Module.symvers of another build" \
	"${PARTIAL_ARGS[@]/$TREE\/Module.symvers/$WORK/other.symvers}" "$WORK/body.patch"
check "partial, other build: kernel CRC and the unchanged patched one" \
	output_has "core_ops_scale: CRC 0x0badc0de in $WORK/other.symvers, $OPS_CRC after the patch$"
check "partial, other build: says the unpatched source differs too" \
	output_has "the unpatched source gives $OPS_CRC: this tree or its config does not reproduce the kernel's CRCs"

# --- objects with DWARF (a kernel built with debug info): a changed CRC
# whose export keeps its ABI goes through with a warning; a changed ABI is
# refused, naming where. core_ext_check's structure is only declared in
# kernel/core.c until a patch includes its definition; core_cfg_get takes
# a structure by value.
GTREE=$WORK/gtree
cp -a "$FIXTURES/tree" "$GTREE"
cp "$TREE/.config" "$GTREE/.config"
add_modversions "$GTREE"
sed -i 's/^cmd_cc = gcc -O2 /cmd_cc = gcc -O2 -g /' "$GTREE/Makefile"
printf 'struct core_ext {\n\tint level;\n};\n' >"$GTREE/include/linux/ext.h"
printf 'struct core_cfg {\n\tint a;\n};\n' >"$GTREE/include/linux/cfg.h"
cat >>"$GTREE/kernel/core.c" <<'C'
#include <linux/cfg.h>

struct core_ext;
int core_ext_check(struct core_ext *e, int x)
{
	return e != 0 && x > 0;
}
EXPORT_SYMBOL(core_ext_check);

int core_cfg_get(struct core_cfg c)
{
	return c.a;
}
EXPORT_SYMBOL(core_cfg_get);
C
make -s -C "$GTREE" KCFLAGS="$CONTRACT_KCFLAGS" vmlinux modules >/dev/null 2>&1 || { echo "cannot build the toy tree with -g" >&2; exit 1; }
symvers_from_cmds "$GTREE" >"$GTREE/Module.symvers"
EXT_CRC=$(awk '$2 == "core_ext_check" { print $1 }' "$GTREE/Module.symvers")
check "debug info: the objects have DWARF" sh -c "readelf -S '$GTREE/kernel/core.o' | grep -q debug_info"
snapshot "$GTREE" >"$WORK/gsnap"

make_patch "$GTREE" kernel/core.c 's|^#include <linux/cfg.h>$|#include <linux/cfg.h>\n#include <linux/ext.h>|; s/return e != 0 \&\& x > 0;/return e ? e->level + x : 0;/' "$WORK/include.patch"
make_patch "$GTREE" kernel/core.c 's|^#include <linux/cfg.h>$|#include <linux/cfg.h>\n#include <linux/ext.h>|; s/int core_ext_check(struct core_ext \*e, int x)/int core_ext_check(struct core_ext *e, long x)/' "$WORK/param.patch"
make_patch "$GTREE" include/linux/cfg.h 's/int a;/int a;\n\tint b;/' "$WORK/byvalue.patch"

expect_status 0 "debug info: a new #include moves CRCs, no export's ABI" -s "$GTREE" -o "$OUT" --result "$WORK/include.json" "$WORK/include.patch"
check "debug info: the module is built" test -s "$OUT/livepatch-include.ko"
check "debug info: a warning names object, export, both CRCs and why" \
	output_has "^WARNING: export-crc-same-abi: kernel/core\.o: core_ext_check: CRC $EXT_CRC in $GTREE/Module\.symvers, 0x[0-9a-f]{8} after the patch; the same ABI in the DWARF of the original and the patched object$"
check "debug info: one warning per changed export (core_ops_scale, core_cfg_get, core_ext_check)" \
	test "$(grep -c '^WARNING: export-crc-same-abi: ' "$WORK/out")" = 3
check "debug info: no refusal" sh -c "! grep -q export-crc-changed '$WORK/out'"
check "debug info: the result's warnings, by code, object and symbol" \
	test "$(jq -c '[.warnings[] | [.code, .object, .symbol]] | sort' "$WORK/include.json")" = \
	'[["export-crc-same-abi","kernel/core.o","core_cfg_get"],["export-crc-same-abi","kernel/core.o","core_ext_check"],["export-crc-same-abi","kernel/core.o","core_ops_scale"]]'
check "debug info: the verdict is built, no refusals" \
	test "$(jq -c '[.verdict, .refusals]' "$WORK/include.json")" = '["built",[]]'
check "debug info: the log says the kernel keeps its CRCs" \
	grep -q "export CRCs: the changed ones keep their ABI" "$KPATCH_BUILD_CACHE/last-build.log"
check "debug info: tree identical after the build" same_tree "$GTREE" "$WORK/gsnap"

rm -f "$OUT"/*.ko
expect_status 2 "debug info: a parameter's type changes" -s "$GTREE" -o "$OUT" --result "$WORK/param.json" "$WORK/param.patch"
check "debug info, parameter: refused naming export and parameter" \
	output_has "^       export-crc-changed: kernel/core\.o: core_ext_check: CRC $EXT_CRC in $GTREE/Module\.symvers, 0x[0-9a-f]{8} after the patch$"
grep -A1 'core_ext_check: CRC' "$WORK/out" >"$WORK/param.lines"
check "debug info, parameter: the difference under its export" \
	grep -qxF "         its ABI differs: parameter 2 'x': int before the patch, long int after" "$WORK/param.lines"
check "debug info, parameter: the unchanged ABIs said as such" \
	test "$(grep -c 'its ABI is the same (DWARF of the original and the patched object)' "$WORK/out")" = 2
check "debug info, parameter: the JSON refusal carries the difference" \
	test "$(jq -r '.refusals[] | select(.message | startswith("core_ext_check:")) | .message | sub("0x[0-9a-f]{8} after"; "NEW after")' "$WORK/param.json")" = \
	"core_ext_check: CRC $EXT_CRC, NEW after the patch; its ABI differs: parameter 2 'x': int before the patch, long int after"
check "debug info, parameter: no warning code in the result" test "$(jq '.warnings | length' "$WORK/param.json")" = 0
check "debug info, parameter: no #ifndef __GENKSYMS__ advice for a real change" sh -c "! grep -q GENKSYMS '$WORK/out'"
check "debug info, parameter: no module written" test -z "$(find "$OUT" -name '*.ko*')"

expect_status 2 "debug info: a structure passed by value gains a member" -s "$GTREE" -o "$OUT" "$WORK/byvalue.patch"
grep -A1 'core_cfg_get: CRC' "$WORK/out" >"$WORK/byvalue.lines"
check "debug info, by value: names parameter, structure and member" \
	grep -qxF "         its ABI differs: parameter 1 'c' -> struct core_cfg -> member 'b': only after the patch" "$WORK/byvalue.lines"

expect_status 2 "debug info: a structure behind a pointer, complete on both sides, gains a member" -s "$GTREE" -o "$OUT" "$WORK/struct.patch"
grep -A1 'core_ops_scale: CRC' "$WORK/out" >"$WORK/struct.lines"
check "debug info, pointer to complete structure: names parameter, structure and member" \
	grep -qxF "         its ABI differs: parameter 1 'ops' -> struct core_ops -> member 'offset': only after the patch" "$WORK/struct.lines"
check "debug info: tree identical after the refusals" same_tree "$GTREE" "$WORK/gsnap"

# Without DWARF the ABI cannot be compared: refused as before, saying why.
expect_status 2 "no debug info: a new #include still refused" -s "$TREE" -o "$OUT" "$WORK/struct.patch"
check "no debug info: says the ABI could not be compared and why" \
	output_has "^         its ABI could not be compared: kernel/core\.o: no DWARF debug info"
finish
