# create-diff-object and the ELF model it shares with create-klp-module.
# Each architecture's arch-<name>.mk adds its objects to CDO_ARCH_OBJS (the
# differ's hooks) and ELF_ARCH_OBJS (the model's machine description).
CDO_ARCH_OBJS :=
ELF_ARCH_OBJS :=
include $(sort $(wildcard create-diff-object/arch-*.mk))

ELF_OBJS := $(BUILD)/create-diff-object/kelf.o $(BUILD)/create-diff-object/util.o \
	$(ELF_ARCH_OBJS)

CDO_OBJS := $(BUILD)/create-diff-object/create-diff-object.o \
	$(BUILD)/create-diff-object/correlate.o \
	$(BUILD)/create-diff-object/split.o \
	$(BUILD)/create-diff-object/compare.o \
	$(BUILD)/create-diff-object/include.o \
	$(BUILD)/create-diff-object/exports.o \
	$(BUILD)/create-diff-object/callers.o \
	$(BUILD)/create-diff-object/special.o \
	$(BUILD)/create-diff-object/klp.o \
	$(BUILD)/create-diff-object/output.o \
	$(BUILD)/create-diff-object/ftrace-extent.o \
	$(BUILD)/create-diff-object/report.o \
	$(BUILD)/create-diff-object/declline.o \
	$(BUILD)/create-diff-object/linemacro.o \
	$(BUILD)/create-diff-object/arch.o \
	$(BUILD)/create-diff-object/pfe.o \
	$(BUILD)/create-diff-object/insn32.o \
	$(CDO_ARCH_OBJS) $(ELF_OBJS) $(LOOKUP_OBJS)

$(BUILD)/create-diff-object/create-diff-object: $(CDO_OBJS)
	$(LINK)

PROGRAMS += $(BUILD)/create-diff-object/create-diff-object

$(BUILD)/test/unit/kelf-test: $(BUILD)/test/unit/kelf-test.o $(ELF_OBJS)
	$(LINK)
TESTS += $(BUILD)/test/unit/kelf-test
