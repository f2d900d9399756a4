# create-diff-object/arch-aarch64.mk: AArch64: the differ's hooks and the
# ELF model's machine description. Included from create-diff-object/cdo.mk.

CDO_ARCH_OBJS += $(BUILD)/create-diff-object/arch-aarch64.o
ELF_ARCH_OBJS += $(BUILD)/create-diff-object/arch-aarch64-elf.o
