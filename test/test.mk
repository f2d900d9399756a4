# test/test.mk: filled in by its owner

# Integration tests (test/integration/README.md): build and boot a test
# kernel under qemu and load livepatch modules made by kpatch-build.
# INTEGRATION_FLAGS passes options through, e.g. INTEGRATION_FLAGS=--keep.
INTEGRATION_FLAGS ?=
.PHONY: integration-smoke integration-self-test
integration: all
	test/integration/run $(INTEGRATION_FLAGS)
integration-smoke: all
	test/integration/run --smoke $(INTEGRATION_FLAGS)
integration-self-test:
	test/integration/run --self-test $(INTEGRATION_FLAGS)

# The same suite on a cross-compiled s390x kernel booted by qemu-system-s390x
# (TCG): linux-6.12/s390x/ has its config fragment and suite list.
.PHONY: integration-s390x integration-s390x-smoke
integration-s390x: all
	KPATCH_TEST_ARCH=s390x test/integration/run $(INTEGRATION_FLAGS)
integration-s390x-smoke: all
	KPATCH_TEST_ARCH=s390x test/integration/run --smoke $(INTEGRATION_FLAGS)

# The same suite on a cross-compiled ppc64le (pseries) kernel booted by
# qemu-system-ppc64 -M pseries (TCG): linux-6.12/ppc64le/.
.PHONY: integration-ppc64le integration-ppc64le-smoke
integration-ppc64le: all
	KPATCH_TEST_ARCH=ppc64le test/integration/run $(INTEGRATION_FLAGS)
integration-ppc64le-smoke: all
	KPATCH_TEST_ARCH=ppc64le test/integration/run --smoke $(INTEGRATION_FLAGS)

# Debian's shipping kernels (test/integration/debian/README.md): downloads
# the kernel's packages, builds the suite against them, boots the real
# kernel. DEBIAN_FLAGS passes options through, e.g. DEBIAN_FLAGS=--keep.
DEBIAN_FLAGS ?=
.PHONY: integration-debian integration-debian-6.1 integration-debian-smoke
integration-debian: all
	test/integration/debian/run --line 6.12 $(DEBIAN_FLAGS)
integration-debian-6.1: all
	test/integration/debian/run --line 6.1 $(DEBIAN_FLAGS)
integration-debian-smoke: all
	test/integration/debian/run --line 6.12 --smoke $(DEBIAN_FLAGS)

# A debootstrapped Debian 12 root (cached) with a released 6.12 kernel's
# packages and the tool's own package installed by dpkg: kpatch-build with
# no option in the chroot, then the root booted under qemu with systemd,
# which starts kpatch.service (test/integration/debian/README.md, "Debian
# root"). Needs root and the packages make integration-debian downloads.
.PHONY: integration-debian-root
integration-debian-root: all
	test/integration/debian/root $(DEBIAN_FLAGS)

# Real stable fixes (test/bench/realfix/run, README "Real fixes benchmark"):
# Debian's 6.12.111 -> 6.12.113 update split into one fix per changed .c
# file, each built against the shipped 6.12.111 cloud kernel and loaded in
# it under qemu. REALFIX_SAMPLE=N runs a deterministic sample of N fixes.
REALFIX_FLAGS ?=
.PHONY: realfix-bench
realfix-bench: all
	test/bench/realfix/run $(REALFIX_FLAGS)
TESTS += test/unit/realfix-split.sh
