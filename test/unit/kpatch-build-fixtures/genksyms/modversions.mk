
# kpatch-build-replay-genksyms.sh: compile as kbuild does, with c_flags
# starting at -Wp,-MMD,DEPFILE, and run kbuild's cmd steps (only
# gen_symversions_c has a command here).
CC = gcc
CPP = $(CC) -E
NM = nm
dot-target = $(dir $@).$(notdir $@)
depfile = $(dot-target).d
c_flags = -Wp,-MMD,$(depfile) -O2 -Iinclude $(if $(filter $(MODULE_OBJS),$@),-DMODULE) -DKBUILD_MODNAME=$(basename $(notdir $@)) $(KCFLAGS)
cmd_cc = $(CC) $(c_flags) -c -o $@ $<
cmd = @$(cmd_$(1))
define compile
	@echo "  CC      $@"
	$(cmd_cc)
	@sh scripts/fixdep.sh $@ $< '$(cmd_cc)'
endef
