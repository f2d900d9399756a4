#!/bin/bash
# The debian/ directory without building the package (make deb-check runs
# dpkg-buildpackage and lintian, and compares the .deb with make install):
# control parses and names one amd64 binary package, its Build-Depends are
# in packages.txt, the changelog's version is the Makefile's, and what
# `make install PREFIX=/usr` installs is what a Debian package may ship.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"
BUILD=${1:-build}

# control_fields: "PACKAGE FIELD VALUE" lines of debian/control, parsed by
# dpkg's own parser (libdpkg-perl, which dpkg-dev and lintian bring).
control_fields() {
	perl -MDpkg::Control::Info -e '
		my $info = Dpkg::Control::Info->new("debian/control");
		my $src = $info->get_source();
		print "SOURCE $_ ", $src->{$_} =~ s/\s+/ /gr, "\n" for sort keys %$src;
		for my $pkg ($info->get_packages()) {
			print "$pkg->{Package} $_ ", $pkg->{$_} =~ s/\s+/ /gr, "\n" for sort keys %$pkg;
		}' 2>&1
}

cd "$REPO" || exit 1
control_fields >"$WORK/control"
check "debian/control parses" grep -q '^SOURCE Source kpatch-build$' "$WORK/control"
check "one binary package, kpatch-build" test "$(grep -c ' Package ' "$WORK/control")" = 1
check "kpatch-build is amd64 (the tool is x86_64 only)" grep -q '^kpatch-build Architecture amd64$' "$WORK/control"
check "debhelper compat 13" grep -q '^SOURCE Build-Depends .*debhelper-compat (= 13)' "$WORK/control"
build_deps=$(sed -n 's/^SOURCE Build-Depends //p' "$WORK/control" | tr ',' '\n' |
	sed -e 's/([^)]*)//g' -e 's/[[:space:]]//g' | grep -v -e '^$' -e '^debhelper-compat$')
missing=""
for dep in $build_deps; do
	grep -qx -- "$dep" packages.txt || missing+=" $dep"
done
check "every Build-Depends is in packages.txt (missing:${missing:- none})" test -z "$missing"
check "source format 3.0 (native)" grep -qx '3.0 (native)' debian/source/format
check "debian/rules is executable" test -x debian/rules
makefile_version=$(sed -n 's/^VERSION[[:space:]]*:=[[:space:]]*//p' Makefile)
check "changelog version is the Makefile's ($makefile_version)" \
	test "$(dpkg-parsechangelog -S Version 2>/dev/null)" = "$makefile_version"
check "changelog names the source package" test "$(dpkg-parsechangelog -S Source 2>/dev/null)" = kpatch-build
check "copyright is machine-readable" grep -q '^Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' debian/copyright

# What dh_auto_install runs, into a scratch root.
DEST=$WORK/root
read -r -a install_args < <(make --no-print-directory -s -f debian/rules print-install-args)
check "debian/rules installs with PREFIX=/usr" test "${install_args[0]:-}" = PREFIX=/usr
make --no-print-directory -s BUILD="$BUILD" install "${install_args[@]}" DESTDIR="$DEST" >"$WORK/install.log" 2>&1
check "make install ${install_args[*]} DESTDIR=..." test -x "$DEST/usr/bin/kpatch-build"
(cd "$DEST" && find . -type f -o -type l | sed 's|^\./||' | LC_ALL=C sort) >"$WORK/files"
outside=$(grep -v -E '^(usr/(s?bin|libexec/kpatch-build|share/(kpatch-build|man/man[1-8]|bash-completion/completions|doc/kpatch-build))|lib/systemd/system)/' "$WORK/files")
check "everything in Debian's places (outside: ${outside:-none})" test -z "$outside"
no_man=""
for program in "$DEST"/usr/bin/* "$DEST"/usr/sbin/*; do
	[[ -e $program ]] || continue
	compgen -G "$DEST/usr/share/man/man[18]/$(basename "$program").[18]" >/dev/null || no_man+=" $(basename "$program")"
done
check "every program in /usr/bin and /usr/sbin has a man page (without:${no_man:- none})" test -z "$no_man"
not_installed=""
for page in man/*.[1-8]; do
	grep -qx "usr/share/man/man${page##*.}/$(basename "$page")" "$WORK/files" || not_installed+=" $page"
done
check "every man page of the tree is installed (not:${not_installed:- none})" test -z "$not_installed"
check "the installed driver finds its helpers and knows its version" \
	test "$("$DEST/usr/bin/kpatch-build" --version 2>&1)" = "kpatch-build $makefile_version"
bad_modes=$(cd "$DEST" && find usr/share -type f -perm /111 | head -n 5)
check "nothing executable under /usr/share (${bad_modes:-none})" test -z "$bad_modes"

finish
