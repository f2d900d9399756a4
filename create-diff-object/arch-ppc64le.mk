# create-diff-object/arch-ppc64le.mk: ppc64le (ELFv2): the differ's hooks and
# the ELF model's machine description. Included from create-diff-object/cdo.mk.

CDO_ARCH_OBJS += $(BUILD)/create-diff-object/arch-ppc64le.o
ELF_ARCH_OBJS += $(BUILD)/create-diff-object/arch-ppc64le-elf.o
