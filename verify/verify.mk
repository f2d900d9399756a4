# verify/verify.mk: kpatch-verify, the independent livepatch verifier. It
# links the ELF model and the parent lookup, nothing of the differ.

# Each verify/arch-<name>.c registers one architecture (verify/arch.h).
VERIFY_ARCH_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard verify/arch-*.c)))
VERIFY_OBJS := $(BUILD)/verify/main.o $(BUILD)/verify/model.o \
	$(BUILD)/verify/compare.o $(BUILD)/verify/checks.o $(BUILD)/verify/arch.o \
	$(VERIFY_ARCH_OBJS) $(ELF_OBJS) $(LOOKUP_OBJS)

$(BUILD)/verify/kpatch-verify: $(VERIFY_OBJS)
	$(LINK)

PROGRAMS += $(BUILD)/verify/kpatch-verify

# kpatch-build runs it as a stage (with a stand-in here)
TESTS += test/unit/kpatch-build-verify.sh

# the fault injector of the verifier's negative tests
$(BUILD)/test/unit/verify-mutate: $(BUILD)/test/unit/verify-mutate.o $(ELF_OBJS)
	$(LINK)
PROGRAMS += $(BUILD)/test/unit/verify-mutate

# over the corpus' differ outputs, the known-wrong ones and injected faults
TESTS += test/unit/verify-corpus.sh
TESTS += test/unit/verify-cases.sh
