#!/bin/bash
# make deb-check: build the tool's own Debian package the way a packager
# does (dpkg-buildpackage -us -uc -b, in a scratch copy of the working tree
# so the checkout's build directories are left alone), then check it:
# lintian reports no errors, it ships exactly what `make install
# PREFIX=/usr` (as debian/rules runs it) installs, and the installed
# kpatch-build runs.
# Needs debhelper (apt-get install debhelper) besides packages.txt.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=unit/kpatch-build-fixtures/common.sh
source "$(dirname "$0")/unit/kpatch-build-fixtures/common.sh"
# shellcheck disable=SC2034 # read by the EXIT trap
KEEP=${DEB_CHECK_KEEP:-0}
trap '((KEEP)) || rm -rf "$WORK"' EXIT

stop() {
	finish
	exit
}

command -v dh >/dev/null || { echo "FAIL - debhelper is not installed (apt-get install debhelper)"; FAILED=1; stop; }

# The tracked and new (not ignored) files, as they are now.
SRC=$WORK/kpatch-build
mkdir -p "$SRC"
(cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 -I{} sh -c 'test ! -e "{}" || printf "%s\0" "{}"' |
	tar --null -T - -cf -) | tar -xf - -C "$SRC"

echo "building the package (log: $WORK/build.log)"
(cd "$SRC" && dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1
status=$?
check "dpkg-buildpackage -us -uc -b" test "$status" = 0
# shellcheck disable=SC2034 # read by the EXIT trap
((status == 0)) || { tail -n 30 "$WORK/build.log" | sed 's/^/    | /'; KEEP=1; stop; }
deb=$(ls "$WORK"/kpatch-build_*_amd64.deb)
changes=$(ls "$WORK"/kpatch-build_*_amd64.changes)
check "one binary package" test "$(echo "$deb" | wc -l)" = 1

lintian --fail-on error "$deb" "$changes" >"$WORK/lintian" 2>&1
check "lintian: no errors" sh -c "! grep -q '^E: ' '$WORK/lintian'"
sed -n 's/^\([EWI]\): /    lintian \1: /p' "$WORK/lintian"

# debhelper compresses man pages and adds the doc directory; otherwise the
# package holds what make install installs, no more and no less.
dpkg-deb -c "$deb" >"$WORK/listing"
awk '$1 !~ /^d/ { sub(/^\.\//, "", $6); print $6 }' "$WORK/listing" |
	sed -E 's|^(usr/share/man/.*)\.gz$|\1|' | grep -v '^usr/share/doc/kpatch-build/' |
	LC_ALL=C sort >"$WORK/deb-files"
read -r -a install_args < <(make -C "$SRC" --no-print-directory -s -f debian/rules print-install-args)
make -C "$SRC" --no-print-directory -s install "${install_args[@]}" DESTDIR="$WORK/root" >/dev/null 2>&1
(cd "$WORK/root" && find . -type f -o -type l | sed 's|^\./||' | LC_ALL=C sort) >"$WORK/install-files"
check "the package ships exactly what make install installs" \
	diff -u "$WORK/install-files" "$WORK/deb-files"
dpkg-deb -c "$deb" >"$WORK/contents"
check "copyright and changelog in /usr/share/doc/kpatch-build" sh -c \
	"grep -q 'usr/share/doc/kpatch-build/copyright$' '$WORK/contents' &&
	 grep -q 'usr/share/doc/kpatch-build/changelog.gz$' '$WORK/contents'"
check "the sourced lib-*.sh are not executable" sh -c "! grep -q '^-rwx.*/lib-[a-z]*\.sh$' '$WORK/contents'"
check "Depends carries the shared libraries" sh -c "dpkg-deb -f '$deb' Depends | grep -q 'libelf1'"

dpkg-deb -x "$deb" "$WORK/x"
version=$(sed -n 's/^VERSION[[:space:]]*:=[[:space:]]*//p' "$REPO/Makefile")
check "the packaged kpatch-build runs and finds its helpers" \
	test "$("$WORK/x/usr/bin/kpatch-build" --version 2>&1)" = "kpatch-build $version"
check "the packaged create-diff-object runs" sh -c "'$WORK/x/usr/libexec/kpatch-build/create-diff-object' --help >/dev/null 2>&1 || [ \$? -le 4 ]"
stop
