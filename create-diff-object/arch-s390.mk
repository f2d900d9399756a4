# create-diff-object/arch-s390.mk: s390x: the differ's hooks and the ELF
# model's machine description. Included from create-diff-object/cdo.mk.

CDO_ARCH_OBJS += $(BUILD)/create-diff-object/arch-s390.o
ELF_ARCH_OBJS += $(BUILD)/create-diff-object/arch-s390-elf.o
