#!/bin/bash
# kpatch-build replays the patched build of an object that exports symbols
# (lib-replay.sh): the recorded compile, then kbuild's genksyms step
# (CONFIG_MODVERSIONS), derived from the compile and proven once on the
# tree's unpatched object against the #SYMVER lines kbuild wrote. The toy
# tree gets kbuild 6.12's gen_symversions, genksyms and cmd_gensymtypes_c
# verbatim (kpatch-build-fixtures/genksyms/) and a genksyms stand-in that
# hashes the preprocessed source. The object and the CRCs must be make's,
# byte for byte; a changed CRC is still refused; anything in doubt (a proof
# that fails, a rule of another form) goes to make, and says why.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"

REL=9.9.9-test
LOG=$KPATCH_BUILD_CACHE/last-build.log

# add_exports DIR: kernel/core.o exports two functions; the tree runs
# genksyms after each compile that exports, as kbuild 6.12 does.
add_exports() {
	local dir=$1
	add_core_exports "$dir" "static const char __export_symbol_##sym[] __attribute__((used)) = #sym"
	cp "$FIXTURES/genksyms/Makefile.build" "$dir/scripts/Makefile.build"
	mkdir -p "$dir/scripts/genksyms"
	cp "$FIXTURES/genksyms/genksyms" "$dir/scripts/genksyms/genksyms"
	cat "$FIXTURES/genksyms/modversions.mk" >>"$dir/Makefile"
}

log_has() {
	grep -q -E -- "$1" "$LOG"
}

log_lacks() {
	! log_has "$1"
}

# no_patched_make: no make ran with the patches applied (record mode).
no_patched_make() {
	log_lacks '^DEBUG: run: .*KPATCH_CC_MODE=record.* make -C '
}

# keep NAME: the last run's patched core.o and its .cmd file as the export
# CRC check read it, as $WORK/NAME.o and $WORK/NAME.cmd (--skip-cleanup).
keep() {
	local run
	run=$(echo "$KPATCH_BUILD_CACHE"/trees/src-*/run)
	cp "$run/patched/kernel/core.o" "$WORK/$1.o" && cp "$run/patched-cmd/kernel/.core.o.cmd" "$WORK/$1.cmd"
}

symver_lines() {
	grep '^#SYMVER ' "$1"
}

# --- the running kernel: the toy tree with the exports, built in full
cp -a "$FIXTURES/tree" "$WORK/built"
add_exports "$WORK/built"
cat >"$WORK/built/.config" <<CONFIG
CONFIG_MODULES=y
CONFIG_LIVEPATCH=y
CONFIG_KALLSYMS_ALL=y
CONFIG_DEBUG_INFO=y
CONFIG_DEBUG_INFO_DWARF5=y
CONFIG_MODVERSIONS=y
CONFIG_CC_VERSION_TEXT="$(gcc --version | head -n 1)"
CONFIG
mkdir -p "$WORK/built/include/config"
cp "$WORK/built/.config" "$WORK/built/include/config/auto.conf"
make -s -C "$WORK/built" KCFLAGS="$CONTRACT_KCFLAGS" vmlinux modules >/dev/null 2>&1 || { echo "cannot build the toy tree" >&2; exit 1; }
check "test sanity: the kernel's core.o has #SYMVER lines" grep -q '^#SYMVER core_ops_scale 0x' "$WORK/built/kernel/.core.o.cmd"
(cd "$WORK/built" && find . -name '.*.o.cmd' -exec cat {} + |
	awk '$1 == "#SYMVER" { printf "%s\t%s\tvmlinux\tEXPORT_SYMBOL\t\n", $3, $2 }' | sort -k2) >"$WORK/Module.symvers"
OPS_CRC=$(awk '$2 == "core_ops_scale" { print $1 }' "$WORK/Module.symvers")
mkdir -p "$WORK/modules/kernel/drivers/demo"
cp "$WORK/built/drivers/demo/demo.ko" "$WORK/modules/kernel/drivers/demo/demo.ko"

# --- the user's tree: the same source, never built
TREE=$WORK/src
cp -a "$FIXTURES/tree" "$TREE"
cp "$WORK/built/.config" "$WORK/kernel.config"
partial_build_fixtures "$REL" "$WORK/built/vmlinux" "$TREE"
add_exports "$TREE"
export KPATCH_BUILD_MODULE=$WORK/build-module
OUT=$WORK/out-dir
mkdir -p "$OUT"
ARGS=(-s "$TREE" -c "$WORK/kernel.config" -v "$WORK/built/vmlinux" --kernel-release "$REL"
	--symvers "$WORK/Module.symvers" --modules-dir "$WORK/modules" -o "$OUT")

make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$WORK/body.patch"
make_patch "$TREE" include/linux/ops.h 's/int scale;/int scale;\n\tint offset;/' "$WORK/struct.patch"

# --- cold: make builds the original, genksyms replay is proven on it
expect_status 0 "first run" "${ARGS[@]}" --skip-cleanup "$WORK/body.patch"
check "first run: the original is made" log_has '^DEBUG: run: .* make -C .* -k kernel/core\.o$'
check "first run: the proof is logged" \
	log_has '^replay: genksyms replay proven on kernel/core\.o: the derived command prints what kbuild wrote$'
check "first run: the derived command" \
	log_has '^replay: kernel/core\.o: \$ gcc -E -D__GENKSYMS__ -Wp,-MMD,[^ ]*/replay/genksyms\.d -O2 -Iinclude .* kernel/core\.c \| scripts/genksyms/genksyms -r /dev/null$'
check "first run: the exporting object is compiled by its recorded command" \
	output_has "^Building patched objects .* 1 object\(s\) recompiled \(1 by kbuild's recorded command\)"
check "first run: genksyms replayed, both exports" log_has "^replay: kernel/core\.o: kbuild's genksyms step replayed \(2 export\(s\)\)$"
check "first run: no make with the patches applied" no_patched_make
check "first run: the CRCs were checked" log_has "^export CRCs: every export of the rebuilt objects keeps the kernel's CRC$"
check "first run: no dependency file left in the tree" test ! -e "$TREE/kernel/.core.o.d"
keep replay

# --- make does the same: byte-identical object, .cmd file and CRCs
KPATCH_BUILD_REPLAY=0 expect_status 0 "KPATCH_BUILD_REPLAY=0" "${ARGS[@]}" --skip-cleanup "$WORK/body.patch"
check "KPATCH_BUILD_REPLAY=0: make compiled the patched object" log_has '^DEBUG: run: .*KPATCH_CC_MODE=record.* make -C .* kernel/core\.o$'
keep make
check "test sanity: make's .cmd file has both exports" test "$(symver_lines "$WORK/make.cmd" | wc -l)" = 2
check "patched object: replay and make give the same bytes" cmp "$WORK/replay.o" "$WORK/make.o"
check "#SYMVER lines: replay's are make's" cmp <(symver_lines "$WORK/replay.cmd") <(symver_lines "$WORK/make.cmd")
check ".cmd file the CRC check reads: replay's is make's, byte for byte" cmp "$WORK/replay.cmd" "$WORK/make.cmd"

# --- warm: make skipped, genksyms replayed, the tree as it was
snapshot "$TREE" >"$WORK/snap"
expect_status 0 "warm run" "${ARGS[@]}" "$WORK/body.patch"
check "warm run: make skipped for the original" output_has 'up to date \(make skipped\)'
check "warm run: proven once, not again" log_lacks 'genksyms replay proven'
check "warm run: genksyms replayed" log_has "^replay: kernel/core\.o: kbuild's genksyms step replayed"
check "warm run: no make at all" log_lacks '^DEBUG: run: .* make -C '
check "warm run: the tree is as it was (contents and times)" same_tree "$TREE" "$WORK/snap"

# --- a changed CRC is refused through the replay path, as through make
expect_status 2 "a structure an export uses changes" "${ARGS[@]}" "$WORK/struct.patch"
check "changed CRC: refusal code, object, symbol and both CRCs" \
	output_has "ERROR: export-crc-changed: kernel/core\.o: core_ops_scale: CRC $OPS_CRC in $WORK/Module\.symvers, 0x[0-9a-f]{8} after the patch$"
check "changed CRC: only the changed export is named" sh -c "! grep -q 'core_plain' '$WORK/out'"
check "changed CRC: genksyms was replayed" log_has "^replay: kernel/core\.o: kbuild's genksyms step replayed"
check "changed CRC: no make with the patches applied" no_patched_make
check "changed CRC: the tree is as it was" same_tree "$TREE" "$WORK/snap"
grep '^ERROR: export-crc-changed' "$WORK/out" >"$WORK/replay.refusal"
KPATCH_BUILD_REPLAY=0 expect_status 2 "a structure an export uses changes, by make" "${ARGS[@]}" "$WORK/struct.patch"
grep '^ERROR: export-crc-changed' "$WORK/out" >"$WORK/make.refusal"
check "changed CRC: make's refusal names the same new CRC" cmp "$WORK/replay.refusal" "$WORK/make.refusal"

# --- a derived command that does not print what kbuild wrote: make
touch "$TREE/Makefile"
FAKE_GENKSYMS_SALT=1 expect_status 0 "proof fails" "${ARGS[@]}" "$WORK/body.patch"
check "proof fails: said so, with the object and the file" \
	log_has '^replay: genksyms replay bad: the command derived for kernel/core\.o does not print the #SYMVER lines kbuild wrote in kernel/\.core\.o\.cmd; objects that export symbols are made until the fingerprint changes$'
check "proof fails: make compiled the patched object" log_has '^DEBUG: run: .*KPATCH_CC_MODE=record.* make -C .* kernel/core\.o$'
check "proof fails: nothing replayed" sh -c "! grep -q 'recorded command' '$WORK/out'"
expect_status 0 "after a failed proof" "${ARGS[@]}" "$WORK/body.patch"
check "after a failed proof: still made, and the log says why" \
	log_has '^replay: kernel/core\.o: exports symbols; its patched build is made \(genksyms replay bad: the command derived'
check "after a failed proof: make compiled the patched object" log_has '^DEBUG: run: .*KPATCH_CC_MODE=record.* make -C .* kernel/core\.o$'
touch "$TREE/Makefile"
expect_status 0 "the fingerprint changed" "${ARGS[@]}" "$WORK/body.patch"
check "fingerprint changed: proven again" log_has '^replay: genksyms replay proven on kernel/core\.o'
check "fingerprint changed: replayed again" log_has "^replay: kernel/core\.o: kbuild's genksyms step replayed"

# --- gen_symversions of a form not known: make
# shellcheck disable=SC2016 # make syntax
sed -i 's|\$(NM) \$@ 2>/dev/null|$(NM) $@ 2>\&1|' "$TREE/scripts/Makefile.build"
check "test sanity: the rule was changed" grep -q '2>&1 | grep' "$TREE/scripts/Makefile.build"
expect_status 0 "unknown gen_symversions" "${ARGS[@]}" "$WORK/body.patch"
check "unknown gen_symversions: the log says why" \
	log_has '^replay: objects that export symbols are made \(unknown gen_symversions in scripts/Makefile\.build: gen_symversions = if \$\(NM\) \$@ 2>&1 .*\)$'
check "unknown gen_symversions: the patched object is made, and the log says why" \
	log_has '^replay: kernel/core\.o: exports symbols; its patched build is made \(unknown gen_symversions .*\)$'
check "unknown gen_symversions: make compiled it" log_has '^DEBUG: run: .*KPATCH_CC_MODE=record.* make -C .* kernel/core\.o$'
check "unknown gen_symversions: the CRCs still checked" log_has "^export CRCs: every export of the rebuilt objects keeps the kernel's CRC$"
cp "$FIXTURES/genksyms/Makefile.build" "$TREE/scripts/Makefile.build"

# --- without CONFIG_MODVERSIONS kbuild runs nothing after the compile: the
# object is replayed alone, and its .cmd file has no #SYMVER line, as make's
sed -i '/^CONFIG_MODVERSIONS=y$/d' "$WORK/kernel.config"
expect_status 0 "no CONFIG_MODVERSIONS" "${ARGS[@]}" --skip-cleanup "$WORK/body.patch"
check "no CONFIG_MODVERSIONS: the log says so" log_has '^replay: objects that export symbols: no CONFIG_MODVERSIONS'
check "no CONFIG_MODVERSIONS: replayed" output_has "recompiled \(1 by kbuild's recorded command\)"
check "no CONFIG_MODVERSIONS: no genksyms" log_lacks "genksyms step replayed"
check "no CONFIG_MODVERSIONS: no make with the patches applied" no_patched_make
keep replay-nomodversions
KPATCH_BUILD_REPLAY=0 expect_status 0 "no CONFIG_MODVERSIONS, by make" "${ARGS[@]}" --skip-cleanup "$WORK/body.patch"
keep make-nomodversions
check "no CONFIG_MODVERSIONS: make's .cmd file has no #SYMVER line (test sanity)" sh -c "! grep -q '^#SYMVER' '$WORK/make-nomodversions.cmd'"
check "no CONFIG_MODVERSIONS: replay's .cmd file is make's" cmp "$WORK/replay-nomodversions.cmd" "$WORK/make-nomodversions.cmd"
check "no CONFIG_MODVERSIONS: the same object" cmp "$WORK/replay-nomodversions.o" "$WORK/make-nomodversions.o"
finish
