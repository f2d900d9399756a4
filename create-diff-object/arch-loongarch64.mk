# create-diff-object/arch-loongarch64.mk: LoongArch64: the differ's hooks
# and the ELF model's machine description. Included from
# create-diff-object/cdo.mk.

CDO_ARCH_OBJS += $(BUILD)/create-diff-object/arch-loongarch64.o
ELF_ARCH_OBJS += $(BUILD)/create-diff-object/arch-loongarch64-elf.o
