# External modules of the toy kernel (make M=DIR), as kbuild builds them:
# DIR/Kbuild names the module's object in obj-m; the object, its .cmd file,
# the .mod list and the .ko are written in DIR. Targets are DIR-relative
# (make M=DIR foo.o builds DIR/foo.o).

include $(M)/Kbuild
OOT_OBJS := $(obj-m)
cmd_cc = gcc -O2 -Iinclude -DMODULE -DKBUILD_MODNAME=$(basename $(notdir $@)) $(KCFLAGS) -c -o $@ $<

.PHONY: modules FORCE $(OOT_OBJS)
modules: $(patsubst %.o,$(M)/%.ko,$(OOT_OBJS))

-include $(foreach o,$(OOT_OBJS),$(M)/.$(o).cmd)

$(OOT_OBJS): %.o: $(M)/%.o ;

$(M)/%.o: $(M)/%.c FORCE
	$(if $(strip $(filter-out FORCE,$?) $(cmd-changed)),$(compile))

$(M)/%.ko: $(M)/%.o
	ld -r -o $@ $<
	echo $< >$(M)/$*.mod

FORCE:
