# test/check.mk: `make check` runs every unit test program and script in
# $(TESTS) plus the corpus harness, and sums their results; `make
# check-asan` does the same on an AddressSanitizer+UBSan build.

KPATCH_CORPUS ?= $(abspath ../shared/corpus/kpatch-unit)
export KPATCH_CORPUS

TESTS += test/corpus/corpus-test.sh test/corpus/special-sizes.sh test/unit/cdo-errors.sh test/unit/cdo-determinism.sh \
	test/unit/cdo-cases.sh test/unit/cdo-cases-s390x.sh test/unit/cdo-cases-ppc64le.sh
TESTS += test/unit/cdo-cases-aarch64.sh
TESTS += test/unit/build-hygiene.sh
TESTS += test/unit/kpatch-syscall-arches.sh
TESTS += test/unit/integration-qemu.sh

.PHONY: check check-asan bench
check: all $(filter $(BUILD)/%,$(TESTS))
	test/run-tests $(TESTS)

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
check-asan:
	$(MAKE) BUILD=build-asan EXTRA_CFLAGS='$(SAN_FLAGS) -O1' LDFLAGS='$(SAN_FLAGS)' all \
		build-asan/test/unit/kelf-test build-asan/test/unit/lookup-test \
		build-asan/test/unit/x86-insn-test
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 BUILD=build-asan \
		test/run-tests build-asan/test/unit/kelf-test build-asan/test/unit/lookup-test \
		test/corpus/corpus-test.sh test/corpus/special-sizes.sh test/unit/cdo-errors.sh test/unit/cdo-determinism.sh \
		test/unit/cdo-cases.sh test/unit/cdo-cases-s390x.sh test/unit/cdo-cases-aarch64.sh test/unit/cdo-cases-ppc64le.sh test/unit/klp-module-s390x.sh test/unit/klp-module-ppc64le.sh test/unit/verify-corpus.sh test/unit/verify-cases.sh test/unit/export-abi.sh $(FUZZ_ASAN_TESTS)

bench: all
	test/bench/run-bench.sh $(BUILD)

# The README's test command: every suite CI runs, then a grand total.
.PHONY: test
test:
	test/run-all

# The full signal stress test (every named point with every signal, random
# delays after each stage line: at least 30 points per signal); make check
# runs a one-minute sample of it.
.PHONY: signal-stress mutation-test
signal-stress: all
	STRESS_FULL=1 test/run-tests test/unit/kpatch-build-signals-stress.sh

# Deliberate faults in the differ and the module generator; the unit tests,
# the corpus and kpatch-verify must catch every one (test/mutation/run).
mutation-test: all
	test/mutation/run
