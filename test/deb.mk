# test/deb.mk: the tool's own Debian package (debian/). make check
# validates debian/ and the make install file list (test/unit/debian-dir.sh);
# make deb-check builds the package with dpkg-buildpackage and runs lintian
# on it (about two minutes; needs debhelper).
TESTS += test/unit/debian-dir.sh

.PHONY: deb-check
deb-check:
	test/deb-check.sh
