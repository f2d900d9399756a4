# kpatch-build/module.mk: create-klp-module, the livepatch module template,
# build-module and the patch-author headers. Included from kpatch-build.mk.

# Each klp-arch-<name>.c registers one architecture (klp-arch.h).
KLP_ARCH_OBJS := $(BUILD)/kpatch-build/klp-arch.o \
	$(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard kpatch-build/klp-arch-*.c)))

$(BUILD)/kpatch-build/create-klp-module: $(BUILD)/kpatch-build/create-klp-module.o \
		$(KLP_ARCH_OBJS) $(ELF_OBJS)
	$(LINK)

PROGRAMS += $(BUILD)/kpatch-build/create-klp-module

# test/run-tests runs it as `create-klp-module-test.sh $(BUILD)`.
TESTS += test/unit/create-klp-module-test.sh
# the s390x module side, on cross-compiled objects
TESTS += test/unit/klp-module-s390x.sh
# the ppc64le module side, on cross-compiled objects
TESTS += test/unit/klp-module-ppc64le.sh

# What `make install` copies (the driver engineer's install rule uses these):
# programs to $(LIBEXECDIR), the template to $(DATADIR)/module, headers to
# $(DATADIR)/include.
MODULE_LIBEXEC := $(BUILD)/kpatch-build/create-klp-module kpatch-build/build-module
MODULE_TEMPLATE := kpatch-build/module/livepatch-main.c \
	kpatch-build/module/livepatch.lds kpatch-build/module/Kbuild \
	kpatch-build/module/Makefile
MODULE_HEADERS := include/kpatch-format.h include/kpatch-macros.h \
	include/kpatch-syscall.h
