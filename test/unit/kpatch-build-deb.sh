#!/bin/bash
# kpatch-build --deb on the toy tree: the package's name, version, fields
# and files (dpkg-deb -I/-c), byte-identical when built again, lintian
# without errors, the maintainer scripts with a stand-in kpatch, and (as
# root) a real dpkg --root installation and removal in a busybox chroot.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"

make_tree "$WORK/tree"
TREE=$WORK/tree
REL=6.1.0-99-Test_amd64
PREL=6.1.0-99-test-amd64
mkdir -p "$TREE/include/config" "$WORK/a" "$WORK/b" "$WORK/c"
echo "$REL" >"$TREE/include/config/kernel.release"
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$WORK/fix.patch"
SHA=$(sha256sum <"$WORK/fix.patch" | cut -c1-12)
PKG=kpatch-patch-livepatch-fix-$PREL
DEB=$WORK/a/${PKG}_0+${SHA}_amd64.deb
snapshot "$TREE" >"$WORK/snap"

field() {
	dpkg-deb -f "$1" "$2"
}

field_is() {
	[[ $(field "$1" "$2") == "$3" ]] || { echo "    $2: '$(field "$1" "$2")', expected '$3'"; return 1; }
}

expect_status 0 "--deb" -s "$TREE" -o "$WORK/a" --deb "$WORK/fix.patch"
check "package named kpatch-patch-NAME-RELEASE_VERSION_amd64.deb, version from the patch's sha256" test -f "$DEB"
check "the module is written too" test -f "$WORK/a/livepatch-fix.ko"
check "output names the package" grep -qxF "Debian package: $DEB" "$WORK/out"
check "nothing else in the output directory" test "$(find "$WORK/a" -mindepth 1 | wc -l)" = 2
check "Package: release lower-cased, '_' made '-'" field_is "$DEB" Package "$PKG"
check "Version" field_is "$DEB" Version "0+$SHA"
check "Architecture" field_is "$DEB" Architecture amd64
check "Depends on the exact kernel image and the tool" field_is "$DEB" Depends \
	"linux-image-$PREL | linux-image-$PREL-unsigned, kpatch-build"
check "Installed-Size" sh -c "[ '$(field "$DEB" Installed-Size)' -ge 1 ]"
check "Maintainer default" field_is "$DEB" Maintainer "kpatch-build <kpatch-build@localhost.invalid>"
check "Description names module and release" sh -c "dpkg-deb -f '$DEB' Description | grep -q 'livepatch livepatch-fix for Linux $REL'"
dpkg-deb -c "$DEB" >"$WORK/contents"
check "module in /var/lib/kpatch/RELEASE, root-owned, 0644" \
	grep -q -E "^-rw-r--r-- root/root +[0-9]+ [0-9-]+ [0-9:]+ \./var/lib/kpatch/$REL/livepatch-fix.ko$" "$WORK/contents"
check "copyright, changelog and the patch in the doc directory" sh -c "
	grep -q './usr/share/doc/$PKG/copyright$' '$WORK/contents' &&
	grep -q './usr/share/doc/$PKG/changelog.gz$' '$WORK/contents' &&
	grep -q './usr/share/doc/$PKG/01-fix.patch.gz$' '$WORK/contents'"
check "every entry root/root" sh -c "! grep -v ' root/root ' '$WORK/contents'"
check "every time stamp the patch's mtime" sh -c "
	[ \$(awk '{ print \$4, \$5 }' '$WORK/contents' | sort -u | wc -l) = 1 ] &&
	grep -q \"\$(date -d @\$(stat -c %Y '$WORK/fix.patch') '+%Y-%m-%d %H:%M')\" '$WORK/contents'"
dpkg-deb -x "$DEB" "$WORK/x"
check "packaged module is the written module" cmp -s "$WORK/x/var/lib/kpatch/$REL/livepatch-fix.ko" "$WORK/a/livepatch-fix.ko"
check "packaged patch is the patch" sh -c "gzip -dc '$WORK/x/usr/share/doc/$PKG/01-fix.patch.gz' | cmp -s - '$WORK/fix.patch'"
dpkg-deb -e "$DEB" "$WORK/ctl"
check "postinst and prerm, executable" test -x "$WORK/ctl/postinst" -a -x "$WORK/ctl/prerm"
check "maintainer scripts are valid sh" sh -c "sh -n '$WORK/ctl/postinst' && sh -n '$WORK/ctl/prerm'"
check "tree identical after --deb" same_tree "$TREE" "$WORK/snap"

if command -v lintian >/dev/null; then
	lintian --fail-on error "$DEB" >"$WORK/lintian" 2>&1
	check "lintian: no errors" sh -c "! grep '^E: ' '$WORK/lintian'"
	sed -n 's/^[WE]: /    lintian: /p' "$WORK/lintian"
else
	fail_test "lintian is not installed (packages.txt lists it)"
fi

expect_status 0 "--deb again, other output directory" -s "$TREE" -o "$WORK/b" --deb "$WORK/fix.patch"
check "the package is byte-identical" cmp "$DEB" "$WORK/b/$(basename "$DEB")"
SOURCE_DATE_EPOCH=1700000000 expect_status 0 "--deb-version, -n, SOURCE_DATE_EPOCH" -s "$TREE" -o "$WORK/c" \
	-n My_Fix.v2 --deb --deb-version 1:2.0-3 "$WORK/fix.patch"
DEB2=$WORK/c/kpatch-patch-my-fix-v2-${PREL}_2.0-3_amd64.deb
check "--deb-version: file name without the epoch" test -f "$DEB2"
check "--deb-version: Version" field_is "$DEB2" Version 1:2.0-3
check "-n: name sanitized to Debian rules" field_is "$DEB2" Package "kpatch-patch-my-fix-v2-$PREL"
dpkg-deb -c "$DEB2" >"$WORK/contents2" 2>&1
check "-n: the module keeps its name" grep -q "./var/lib/kpatch/$REL/My_Fix-v2.ko$" "$WORK/contents2"
check "Debian revision: changelog.Debian.gz" grep -q 'changelog.Debian.gz$' "$WORK/contents2"
check "SOURCE_DATE_EPOCH sets every time stamp" sh -c "awk '{ print \$4, \$5 }' '$WORK/contents2' | sort -u | grep -qx '$(date -d @1700000000 '+%Y-%m-%d %H:%M')'"

expect_status 4 "--deb-version without --deb" -s "$TREE" -o "$WORK/c" --deb-version 1.0 "$WORK/fix.patch"
check "--deb-version without --deb: says so" output_has "--deb-version needs --deb"
expect_status 4 "--deb-version that is no version" -s "$TREE" -o "$WORK/c" --deb --deb-version v1 "$WORK/fix.patch"
check "bad version: named" output_has "'v1' is not a Debian version"

# --- maintainer scripts, run with a stand-in kpatch and uname
mkdir -p "$WORK/bin"
cat >"$WORK/bin/kpatch" <<'FAKE'
#!/bin/sh
echo "kpatch $*" >>"$KPATCH_LOG"
[ -z "$KPATCH_FAIL" ] || { echo "kpatch: load failed" >&2; exit 1; }
FAKE
# shellcheck disable=SC2016 # expanded by the stand-in
printf '#!/bin/sh\necho "$FAKE_RELEASE"\n' >"$WORK/bin/uname"
chmod +x "$WORK/bin/kpatch" "$WORK/bin/uname"
export KPATCH_LOG=$WORK/kpatch.log

# run_script SCRIPT RELEASE FAIL ARGS...: status in $STATUS, output in $WORK/out
run_script() {
	local script=$1 release=$2 failing=$3
	shift 3
	: >"$KPATCH_LOG"
	STATUS=0
	PATH=$WORK/bin:$PATH FAKE_RELEASE=$release KPATCH_FAIL=$failing sh "$script" "$@" >"$WORK/out" 2>&1 || STATUS=$?
}

run_script "$WORK/ctl/postinst" "$REL" "" configure
check "postinst on the running release: kpatch load NAME" grep -qx "kpatch load livepatch-fix" "$KPATCH_LOG"
check "postinst: exit 0, says loaded" sh -c "[ $STATUS = 0 ] && grep -q 'livepatch livepatch-fix loaded' '$WORK/out'"
run_script "$WORK/ctl/postinst" "$REL" 1 configure
check "postinst: a failed load does not fail the installation" test "$STATUS" = 0
check "postinst: a failed load is reported" output_has "WARNING: loading livepatch livepatch-fix into the running kernel failed.*stays installed in /var/lib/kpatch/$REL"
run_script "$WORK/ctl/postinst" 6.1.0-1-other "" configure
check "postinst on another release: no load" test ! -s "$KPATCH_LOG"
check "postinst on another release: says when it loads" output_has "is for Linux $REL, not the running 6.1.0-1-other; it is loaded when $REL boots"
run_script "$WORK/ctl/postinst" "$REL" "" abort-upgrade
check "postinst abort-upgrade: no load" test ! -s "$KPATCH_LOG"

# prerm asks sysfs whether the patch is loaded: point it at a stand-in.
mkdir -p "$WORK/sys/livepatch_fix"
sed "s|/sys/kernel/livepatch|$WORK/sys|" "$WORK/ctl/prerm" >"$WORK/prerm"
check "prerm reads /sys/kernel/livepatch (test sanity)" sh -c "! cmp -s '$WORK/prerm' '$WORK/ctl/prerm'"
run_script "$WORK/prerm" "$REL" "" remove
check "prerm remove, loaded: kpatch unload NAME" grep -qx "kpatch unload livepatch-fix" "$KPATCH_LOG"
run_script "$WORK/prerm" "$REL" "" upgrade 0+1
check "prerm upgrade, loaded: unloads (the new one has the same module name)" grep -qx "kpatch unload livepatch-fix" "$KPATCH_LOG"
run_script "$WORK/prerm" "$REL" 1 remove
check "prerm: a failed unload does not block removal, and says so" sh -c "[ $STATUS = 0 ] && grep -q 'stays active in the running kernel until the next boot' '$WORK/out'"
run_script "$WORK/prerm" 6.1.0-1-other "" remove
check "prerm on another release: nothing to unload" test ! -s "$KPATCH_LOG"
rmdir "$WORK/sys/livepatch_fix"
run_script "$WORK/prerm" "$REL" "" remove
check "prerm, not loaded: nothing to unload" test ! -s "$KPATCH_LOG"

# --- a real installation: dpkg --root chroots into a busybox root for the
# maintainer scripts, so uname -r there is the host's release.
BUSYBOX=/bin/busybox
if ((EUID == 0)) && file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked'; then
	ROOT=$WORK/root
	HOST_REL=$(uname -r)
	mkdir -p "$ROOT/bin" "$ROOT/usr/bin" "$ROOT/var/lib/dpkg/info" "$ROOT/var/lib/dpkg/updates" "$ROOT/tmp"
	: >"$ROOT/var/lib/dpkg/status"
	cp "$BUSYBOX" "$ROOT/bin/busybox"
	for tool in sh uname tr echo cat; do ln -s busybox "$ROOT/bin/$tool"; done
	printf '#!/bin/sh\necho "kpatch $*" >>/kpatch.log\n' >"$ROOT/usr/bin/kpatch"
	chmod +x "$ROOT/usr/bin/kpatch"
	echo "$HOST_REL" >"$TREE/include/config/kernel.release"
	expect_status 0 "--deb for the running release" -s "$TREE" -o "$WORK/c" --deb "$WORK/fix.patch"
	echo "$REL" >"$TREE/include/config/kernel.release"
	HOST_DEB=$(ls "$WORK"/c/kpatch-patch-livepatch-fix-*_0+"${SHA}"_amd64.deb)
	dpkg --root="$ROOT" --force-depends --force-bad-path -i "$HOST_DEB" >"$WORK/out" 2>&1
	check "dpkg -i into the root" grep -q "Setting up kpatch-patch-livepatch-fix" "$WORK/out"
	check "installed: module in /var/lib/kpatch/$HOST_REL" cmp -s "$ROOT/var/lib/kpatch/$HOST_REL/livepatch-fix.ko" "$WORK/c/livepatch-fix.ko"
	check "installed: postinst ran kpatch load" grep -qx "kpatch load livepatch-fix" "$ROOT/kpatch.log"
	dpkg --root="$ROOT" --force-bad-path -r "$(dpkg-deb -f "$HOST_DEB" Package)" >"$WORK/out" 2>&1
	check "dpkg -r: module and its directories gone" test ! -e "$ROOT/var/lib/kpatch"
else
	echo "# not root or no static busybox: dpkg --root installation not tried"
fi

finish
