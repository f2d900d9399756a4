#!/bin/bash
# kpatch-build without -s (the running-kernel mode, Debian): a fake root
# with a fake dpkg state stands in for the machine. It finds the packaged
# kernel's inputs, names what is missing with the apt-get line, refuses a
# source of another version, takes packages from .deb files
# (--from-debs), unpacks the source once, and hands everything to the
# partial build.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"

REL=9.9.9-1-toy
VER=9.9.9-1
ROOT=$WORK/root
STATUS_FILE=$WORK/dpkg.status
CACHE=$KPATCH_BUILD_CACHE
BIN=$WORK/bin
mkdir -p "$BIN" "$WORK/out-dir"

# The running kernel: the toy tree built in full; its source, packed as
# Debian's linux-source-X.Y.tar.xz packs it, is never built.
make_tree "$WORK/built"
mkdir -p "$WORK/stage"
cp -a "$FIXTURES/tree" "$WORK/stage/linux-source-9.9"
partial_build_fixtures "$REL" "$WORK/built/vmlinux" "$WORK/stage/linux-source-9.9"
export KPATCH_BUILD_MODULE=$WORK/build-module

# root_files DIR RELEASE: the files the kernel's packages install.
root_files() {
	local dir=$1 rel=$2
	mkdir -p "$dir/boot" "$dir/usr/lib/debug/boot" "$dir/usr/src/linux-headers-$rel" \
		"$dir/lib/modules/$rel/kernel/drivers/demo" "$dir/usr/src"
	{ cat "$WORK/built/.config"; echo "# config of $rel"; } >"$dir/boot/config-$rel"
	cp "$WORK/built/vmlinux" "$dir/usr/lib/debug/boot/vmlinux-$rel"
	printf '0x12345678\tcore_value\tvmlinux\tEXPORT_SYMBOL\t\n' >"$dir/usr/src/linux-headers-$rel/Module.symvers"
	cp "$WORK/built/drivers/demo/demo.ko" "$dir/lib/modules/$rel/kernel/drivers/demo/"
}
root_files "$ROOT" "$REL"
tar -C "$WORK/stage" -cJf "$ROOT/usr/src/linux-source-9.9.tar.xz" linux-source-9.9

# The machine's hooks: uname, dpkg-query over a status file ("PKG VERSION"
# lines are installed packages), apt-get and id that log what they are asked.
cat >"$BIN/uname" <<SH
#!/bin/sh
# only the release is faked: the machine (-m) stays the real one
[ "\$1" = -r ] || exec /bin/uname "\$@"
echo "\${FAKE_UNAME:-$REL}"
SH
cat >"$BIN/dpkg-query" <<'SH'
#!/bin/bash
pkg=${*: -1}
version=$(awk -v p="$pkg" '$1 == p { print $2 }' "$FAKE_DPKG_STATUS")
[[ -n $version ]] || { echo "dpkg-query: no packages found matching $pkg" >&2; exit 1; }
printf 'install ok installed\t%s\n' "$version"
SH
cat >"$BIN/apt-get" <<'SH'
#!/bin/bash
echo "$PWD: apt-get $*" >>"$FAKE_APT_LOG"
# "installing" makes dpkg know the packages
if [[ $1 == install ]]; then
	for p in "${@:3}"; do echo "${p%%=*} ${p#*=}" >>"$FAKE_DPKG_STATUS"; done
fi
SH
cat >"$BIN/id" <<'SH'
#!/bin/sh
echo "${FAKE_UID:-0}"
SH
chmod +x "$BIN"/*
export PATH=$BIN:$PATH KPATCH_ROOT=$ROOT KPATCH_UNAME=$BIN/uname KPATCH_DPKG_QUERY=$BIN/dpkg-query
export FAKE_DPKG_STATUS=$STATUS_FILE FAKE_APT_LOG=$WORK/apt.log

installed_all() {
	printf '%s\n' "linux-image-$REL-unsigned $VER" "linux-image-$REL-dbg $VER" \
		"linux-headers-$REL $VER" "linux-source-9.9 $VER" >"$STATUS_FILE"
}
without() {
	installed_all
	local p
	for p in "$@"; do sed -i "/^$p /d" "$STATUS_FILE"; done
}

make_patch "$WORK/stage/linux-source-9.9" kernel/core.c 's/x - 7/x - 8/' "$WORK/fix-core.patch"
make_patch "$WORK/stage/linux-source-9.9" drivers/demo/demo.c 's/- 5/- 6/' "$WORK/fix-demo.patch"
SRC=$CACHE/src/$VER

# ---- found, and handed to the partial build ------------------------------
installed_all
expect_status 0 "--print-inputs" --print-inputs
check "print: the kernel and its package" output_has "^kernel: +$REL \(linux-image-$REL-unsigned $VER\)"
check "print: config from /boot" output_has "^config: +$ROOT/boot/config-$REL$"
check "print: -dbg vmlinux" output_has "^vmlinux: +$ROOT/usr/lib/debug/boot/vmlinux-$REL$"
check "print: the -dbg package's modules" output_has "^debug modules: +$ROOT/usr/lib/debug/lib/modules/$REL$"
check "print: headers' Module.symvers" output_has "^Module.symvers: +$ROOT/usr/src/linux-headers-$REL/Module.symvers$"
check "print: /lib/modules" output_has "^modules: +$ROOT/lib/modules/$REL$"
check "print: source tarball and its cache directory, not unpacked" \
	output_has "^source tree: +$SRC \(not unpacked yet\)"
check "print: nothing unpacked" test ! -e "$SRC"

: >"$FAKE_CDO_LOG"
expect_status 0 "build for the running kernel" -o "$WORK/out-dir" "$WORK/fix-core.patch"
check "the source is unpacked once into the cache" output_has "^Unpacking linux-source-9.9.tar.xz $VER into $SRC \.\.\. done"
check "the unpacked tree is the tarball's" cmp -s "$WORK/stage/linux-source-9.9/kernel/core.c" "$SRC/kernel/core.c"
check "names the kernel and its package" output_has "^Kernel $REL \(linux-image-$REL-unsigned $VER\), source $SRC$"
check "a partial build for the release, with the headers' Module.symvers" \
	output_has "^Partial build for $REL \(Module.symvers: $ROOT/usr/src/linux-headers-$REL/Module.symvers\)"
check "the log has the equivalent options" grep -qF -- \
	"running-kernel mode: kpatch-build -s $SRC -c $ROOT/boot/config-$REL -v $ROOT/usr/lib/debug/boot/vmlinux-$REL --symvers $ROOT/usr/src/linux-headers-$REL/Module.symvers --modules-dir $ROOT/lib/modules/$REL --kernel-release $REL" \
	"$CACHE/last-build.log"
check "the tree is prepared with /boot's config" grep -qx "# config of $REL" "$SRC/.config"
check "the differ gets the -dbg vmlinux" grep -q " vmlinux $ROOT/usr/lib/debug/boot/vmlinux-$REL " "$FAKE_CDO_LOG"
check "module written" test -f "$WORK/out-dir/livepatch-fix-core.ko"

: >"$FAKE_CDO_LOG"
expect_status 0 "second build, a module object" -o "$WORK/out-dir" "$WORK/fix-demo.patch"
check "second build: nothing unpacked again" sh -c "! grep -q '^Unpacking' '$WORK/out'"
check "second build: the prepared tree is reused" output_has '^Preparing kernel tree for .* done \([0-9]+s, reused\)'
check "second build: the module's parent from /lib/modules/REL" \
	grep -q " demo $ROOT/lib/modules/$REL/kernel/drivers/demo/demo.ko " "$FAKE_CDO_LOG"

# ---- missing pieces -------------------------------------------------------
without "linux-image-$REL-dbg" "linux-headers-$REL"
expect_status 1 "-dbg and headers not installed" -o "$WORK/out-dir" "$WORK/fix-core.patch"
check "missing: the vmlinux, with its package and version" \
	output_has "/usr/lib/debug/boot/vmlinux-$REL \(vmlinux with symbols and DWARF\): linux-image-$REL-dbg $VER, not installed"
check "missing: Module.symvers, with its package and version" \
	output_has "/usr/src/linux-headers-$REL/Module.symvers \(export CRCs\): linux-headers-$REL $VER, not installed"
check "missing: one apt-get line for both" output_has "^ +apt-get install linux-image-$REL-dbg=$VER linux-headers-$REL=$VER$"
check "missing: points at --install-deps" output_has "--install-deps runs this"

# The kernel's build steps need host tools too (seen on a fresh Debian root:
# modules_prepare failed in resolve_btfids for want of python3). A PATH
# without python3 and pahole and no libelf/openssl headers: each is named,
# and its package joins the same install line.
NOTOOLS=$WORK/path-without-tools
mkdir -p "$NOTOOLS" "$WORK/empty-include"
IFS=: read -r -a path_dirs <<<"$PATH"
for dir in "${path_dirs[@]}"; do
	for file in "$dir"/*; do
		name=${file##*/}
		case $name in python3*|pahole) continue ;; esac
		[[ ! -x $file || -e $NOTOOLS/$name ]] || ln -s "$file" "$NOTOOLS/$name"
	done
done
PATH=$NOTOOLS KPATCH_INCLUDE_DIR=$WORK/empty-include \
	expect_status 1 "build tools missing too" -o "$WORK/out-dir" "$WORK/fix-core.patch"
check "tools: python3 named with its package" output_has "^ +python3 \(run by the kernel's build\): python3, not installed$"
check "tools: pahole named with its package" output_has "^ +pahole \(run by the kernel's build\): dwarves, not installed$"
check "tools: the libelf header named with its package" output_has "/empty-include/gelf.h \(a header the kernel's build tools compile with\): libelf-dev, not installed$"
check "tools: one apt-get line for the kernel's packages and the tools" \
	output_has "^ +apt-get install linux-image-$REL-dbg=$VER linux-headers-$REL=$VER python3 dwarves libelf-dev libssl-dev$"
check "tools: a tool that is there is not named" sh -c "! grep -Eq '^ +bison ' '$WORK/out'"

without "linux-source-9.9"
sed -i "s/^linux-headers-$REL .*/linux-headers-$REL 9.9.9-0/" "$STATUS_FILE"
echo "linux-headers-$REL 9.9.9-0" >>"$STATUS_FILE"
expect_status 1 "source not installed, headers of another version" --print-inputs
check "missing: the source package" output_has "/usr/src/linux-source-9.9.tar.xz \(the kernel's source\): linux-source-9.9 $VER, not installed"
check "missing: headers of another version say which" output_has "linux-headers-$REL $VER, version 9.9.9-0 installed"
check "missing: the apt-get line has the kernel's version for both" \
	output_has "^ +apt-get install linux-headers-$REL=$VER linux-source-9.9=$VER$"

installed_all
mv "$ROOT/boot/config-$REL" "$WORK/config.away"
expect_status 1 "config file gone although its package is installed" --print-inputs
check "missing: the file of an installed package" \
	output_has "/boot/config-$REL \(the kernel's config\): linux-image-$REL-unsigned $VER, installed, but $ROOT/boot/config-$REL is missing"
check "missing: the image package line" output_has "^ +apt-get install linux-image-$REL-unsigned=$VER$"
mv "$WORK/config.away" "$ROOT/boot/config-$REL"

# ---- source of another version ---------------------------------------------
installed_all
sed -i "s/^linux-source-9.9 .*/linux-source-9.9 9.9.8-2/" "$STATUS_FILE"
expect_status 1 "source package of another version" -o "$WORK/out-dir" "$WORK/fix-core.patch"
check "mismatch: says both versions" output_has "linux-source-9.9 is version 9.9.8-2 \(installed\), but kernel $REL is version $VER"
check "mismatch: how to fetch the right one" output_has "apt-get download linux-source-9.9=$VER"
check "mismatch: nothing is unpacked for it" test ! -e "$CACHE/src/9.9.8-2"

# ---- not a packaged kernel --------------------------------------------------
installed_all
FAKE_UNAME=6.0.0-custom expect_status 4 "a kernel no package installed" "$WORK/fix-core.patch"
check "not packaged: names the packages looked for and -s" \
	output_has "linux-image-6.0.0-custom nor linux-image-6.0.0-custom-unsigned installed"
check "not packaged: says to pass -s" output_has "pass -s DIR"
expect_status 4 "-r with -s" -s "$SRC" -r "$REL" "$WORK/fix-core.patch"
check "-r with -s: explained" output_has "are for the running-kernel mode"
expect_status 4 "--kernel-release without -s" --kernel-release "$REL" "$WORK/fix-core.patch"
check "--kernel-release without -s: points at -r" output_has "choose the kernel with -r REL"

# ---- -r: another installed kernel ------------------------------------------
REL2=9.9.9-1-toy2
root_files "$ROOT" "$REL2"
installed_all
echo "linux-image-$REL2 $VER" >>"$STATUS_FILE"
expect_status 1 "-r: another kernel, its -dbg missing" -r "$REL2" --print-inputs
check "-r: names that kernel's -dbg package" output_has "^ +apt-get install linux-image-$REL2-dbg=$VER linux-headers-$REL2=$VER$"
check "-r: not the running one's" sh -c "! grep -q 'linux-image-$REL-dbg' '$WORK/out'"
printf '%s\n' "linux-image-$REL2-dbg $VER" "linux-headers-$REL2 $VER" >>"$STATUS_FILE"
expect_status 0 "-r: another kernel, complete" --release "$REL2" --print-inputs
check "-r: its signed image package" output_has "^kernel: +$REL2 \(linux-image-$REL2 $VER\)"
check "-r: its config" output_has "^config: +$ROOT/boot/config-$REL2$"
check "-r: the same source tree as the running kernel's version" output_has "^source tree: +$SRC \(unpacked\)"

# ---- --install-deps ------------------------------------------------------
without "linux-image-$REL-dbg" "linux-headers-$REL"
: >"$FAKE_APT_LOG"
FAKE_UID=1000 expect_status 1 "--install-deps as a user" --install-deps --print-inputs
check "--install-deps as a user: needs root, says the line" \
	sh -c "grep -q 'needs root' '$WORK/out' && grep -q 'apt-get install linux-image-$REL-dbg=$VER linux-headers-$REL=$VER' '$WORK/out'"
check "--install-deps as a user: apt-get not run" test ! -s "$FAKE_APT_LOG"
expect_status 0 "--install-deps as root" --install-deps --print-inputs
check "--install-deps: apt-get install with the exact versions" \
	grep -qx ".*: apt-get install -y linux-image-$REL-dbg=$VER linux-headers-$REL=$VER" "$FAKE_APT_LOG"
check "--install-deps: then found" output_has "^vmlinux: +$ROOT/usr/lib/debug/boot/vmlinux-$REL$"

# ---- --from-debs -----------------------------------------------------------
# make_deb DIR PACKAGE VERSION [FILE-ROOT]: a small .deb holding FILE-ROOT's files.
make_deb() {
	local dir=$1 package=$2 version=$3 files=${4:-} pkgroot
	pkgroot=$WORK/deb-build/$package
	rm -rf "$pkgroot"
	mkdir -p "$pkgroot/DEBIAN" "$dir"
	[[ -z $files ]] || cp -a "$files"/. "$pkgroot"/
	printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: test <t@example.org>\nDescription: test\n' \
		"$package" "$version" >"$pkgroot/DEBIAN/control"
	dpkg-deb -Znone --root-owner-group -b "$pkgroot" "$dir/${package}_${version}_all.deb" >/dev/null
}
# piece SUBPATH...: a directory with those paths of $ROOT.
piece() {
	local out=$WORK/piece-$RANDOM p
	for p in "$@"; do
		mkdir -p "$out/$(dirname "$p")"
		cp -a "$ROOT/$p" "$out/$p"
	done
	echo "$out"
}
DVER=9.9.9-1+rebuild1
DVER_RE=${DVER//+/\\+}
DEBS=$WORK/debs
make_deb "$DEBS" "linux-image-$REL-unsigned" "$DVER" "$(piece "boot/config-$REL" "lib/modules/$REL")"
make_deb "$DEBS" "linux-headers-$REL" "$DVER" "$(piece "usr/src/linux-headers-$REL")"
make_deb "$DEBS" "linux-source-9.9" "$DVER" "$(piece usr/src/linux-source-9.9.tar.xz)"
make_deb "$DEBS" "linux-image-$REL-dbg" "9.9.9-0" "$(piece "usr/lib/debug/boot/vmlinux-$REL")"
: >"$STATUS_FILE"	# nothing installed
: >"$FAKE_APT_LOG"
expect_status 1 "--from-debs: the -dbg .deb is of another version" --from-debs "$DEBS" --install-deps --print-inputs
check "--from-debs: names the -dbg package and the version the directory has" \
	output_has "linux-image-$REL-dbg $DVER_RE, not installed, $DEBS has version 9.9.9-0$"
check "--from-debs: the apt-get download line" output_has "cd $DEBS && apt-get download linux-image-$REL-dbg=$DVER_RE$"
check "--from-debs: nothing unpacked while something is missing" sh -c "! grep -q '^Unpacking' '$WORK/out'"
check "--from-debs --install-deps: apt-get download in the directory" \
	grep -qx "$DEBS: apt-get download linux-image-$REL-dbg=$DVER" "$FAKE_APT_LOG"

make_deb "$DEBS" "linux-image-$REL-dbg" "$DVER" "$(piece "usr/lib/debug/boot/vmlinux-$REL")"
DSRC=$CACHE/src/$DVER
mkdir -p "$DSRC.tmp.stale1"
: >"$FAKE_CDO_LOG"
expect_status 0 "--from-debs: build, release taken from the image .deb" --from-debs "$DEBS" -o "$WORK/out-dir" "$WORK/fix-demo.patch"
check "--from-debs: every .deb unpacked into the cache" \
	test "$(grep -E -c "^Unpacking linux-.*_${DVER_RE}_all.deb into $CACHE/debs/.* done" "$WORK/out")" -eq 4
check "--from-debs: the source tarball of the .deb unpacked" output_has "^Unpacking linux-source-9.9.tar.xz $DVER_RE into ${DSRC//+/\\+} \.\.\. done"
check "--from-debs: a stale unpacking directory is removed" test ! -e "$DSRC.tmp.stale1"
check "--from-debs: nothing installed" test ! -s "$STATUS_FILE"
check "--from-debs: the -dbg vmlinux from its .deb" \
	grep -qF -- "-v $CACHE/debs/linux-image-$REL-dbg_${DVER}_all/usr/lib/debug/boot/vmlinux-$REL " "$CACHE/last-build.log"
check "--from-debs: the module's parent from the image .deb" \
	grep -q " demo $CACHE/debs/linux-image-$REL-unsigned_${DVER}_all/lib/modules/$REL/kernel/drivers/demo/demo.ko " "$FAKE_CDO_LOG"
expect_status 0 "--from-debs: second build" --from-debs "$DEBS" -r "$REL" -o "$WORK/out-dir" "$WORK/fix-core.patch"
check "--from-debs: second build unpacks nothing" sh -c "! grep -q '^Unpacking' '$WORK/out'"

rm "$DEBS/linux-source-9.9_${DVER}_all.deb"
make_deb "$DEBS" "linux-source-9.9" "9.9.9-1" "$(piece usr/src/linux-source-9.9.tar.xz)"
expect_status 1 "--from-debs: the source .deb of another version" --from-debs "$DEBS" --print-inputs
check "--from-debs: mismatch names both versions" output_has "linux-source-9.9 is version 9.9.9-1 in $DEBS, but kernel $REL is version $DVER_RE$"
finish
