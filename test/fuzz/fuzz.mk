# test/fuzz/fuzz.mk: libFuzzer targets over the ELF model, the differ and
# create-klp-module (test/fuzz/README.md), and the replay of the inputs
# that once crashed them.
#
#   make fuzz FUZZ_SECONDS=N   run every target, N seconds in all; report in
#                              build-fuzz/report.txt; fails on any crash
#   make fuzz-smoke            the same for 60 seconds
#
# The targets are built with clang into their own tree, build-fuzz, through
# the ordinary pattern rule: objects with coverage and sanitizer
# instrumentation, then linked with libFuzzer's main.

FUZZ_CC      ?= clang
FUZZ_BUILD   := build-fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer-no-link $(FUZZ_SAN)
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := kelf cdo klp

# Only reached through the recursive make below (BUILD=$(FUZZ_BUILD)).
$(FUZZ_BUILD)/fuzz/fuzz-%: $(FUZZ_BUILD)/test/fuzz/fuzz-%.o \
		$(FUZZ_BUILD)/test/fuzz/fuzz-common.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@.tmp $^ $(LDLIBS) && mv -f $@.tmp $@
.SECONDARY: $(foreach t,$(FUZZ_TARGETS),$(FUZZ_BUILD)/test/fuzz/fuzz-$(t).o)

# The programs' main() under another name, called by the harness.
$(FUZZ_BUILD)/fuzz/cdo-main.o: create-diff-object/create-diff-object.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Dmain=cdo_main -MMD -MP -MF $(@:.o=.d) -MT $@ -c -o $@.tmp $< && mv -f $@.tmp $@
$(FUZZ_BUILD)/fuzz/cklp-main.o: kpatch-build/create-klp-module.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Dmain=cklp_main -MMD -MP -MF $(@:.o=.d) -MT $@ -c -o $@.tmp $< && mv -f $@.tmp $@

FUZZ_LINK_kelf := $(ELF_OBJS)
FUZZ_LINK_cdo  := $(FUZZ_BUILD)/fuzz/cdo-main.o \
	$(filter-out $(FUZZ_BUILD)/create-diff-object/create-diff-object.o,$(CDO_OBJS))
FUZZ_LINK_klp  := $(FUZZ_BUILD)/fuzz/cklp-main.o $(KLP_ARCH_OBJS) $(ELF_OBJS)
$(FUZZ_BUILD)/fuzz/fuzz-kelf: $(FUZZ_LINK_kelf)
$(FUZZ_BUILD)/fuzz/fuzz-cdo: $(FUZZ_LINK_cdo)
$(FUZZ_BUILD)/fuzz/fuzz-klp: $(FUZZ_LINK_klp)

.PHONY: fuzz-build fuzz fuzz-smoke
fuzz-build:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) EXTRA_CFLAGS='$(FUZZ_CFLAGS) -Itest/fuzz' \
		$(foreach t,$(FUZZ_TARGETS),$(FUZZ_BUILD)/fuzz/fuzz-$(t))

fuzz: fuzz-build all
	test/fuzz/run-fuzz --build $(FUZZ_BUILD) --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build all
	test/fuzz/run-fuzz --build $(FUZZ_BUILD) --seconds 60 $(FUZZ_TARGETS)

# Every input that once crashed a target, replayed through the ordinary
# programs, and the checks of the values the fuzzers attack; check-asan
# runs both on the sanitizer build (FUZZ_ASAN_TESTS).
FUZZ_ASAN_TESTS := test/unit/fuzz-regressions.sh test/unit/cdo-hostile.sh
TESTS += $(FUZZ_ASAN_TESTS)
