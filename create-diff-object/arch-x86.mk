# create-diff-object/arch-x86.mk: x86-64: the differ's hooks, the ELF
# model's machine description, the instruction decoder and its test.
# Included from create-diff-object/cdo.mk, as every arch-*.mk is.

X86_INSN_OBJS := $(BUILD)/create-diff-object/arch-x86-insn.o
CDO_ARCH_OBJS += $(BUILD)/create-diff-object/arch-x86.o \
	$(BUILD)/create-diff-object/arch-x86-static-branch.o $(X86_INSN_OBJS)
ELF_ARCH_OBJS += $(BUILD)/create-diff-object/arch-x86-elf.o

# Decoder unit test: hand-written cases plus every executable section of
# the x86_64 corpus compared instruction by instruction with objdump.
# Run from the top of the tree: it finds the corpus at
# ../shared/corpus/kpatch-unit/x86_64 (or $X86_INSN_CORPUS).
$(BUILD)/test/unit/x86-insn-test: $(BUILD)/test/unit/x86-insn-test.o $(X86_INSN_OBJS)
	$(LINK)

TESTS += $(BUILD)/test/unit/x86-insn-test
