#!/bin/bash
# kpatch-build refuses a patch that changes the modversions CRC of an
# exported symbol (exit 2, export-crc-changed), in full and in partial
# builds, and accepts changes genksyms does not see. The toy tree gets
# CONFIG_MODVERSIONS the way kbuild does it: after compiling an object that
# exports symbols, a genksyms stand-in appends "#SYMVER <symbol> <crc>"
# lines to its .cmd file. Its CRC hashes the structure definitions of the
# preprocessed source (with -D__GENKSYMS__, through the "gcc" first in PATH,
# as kbuild's $(CPP) is), so a changed structure changes it, a changed
# function body does not, and #ifndef __GENKSYMS__ hides a change.
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
finish
