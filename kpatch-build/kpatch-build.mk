# kpatch-build/kpatch-build.mk: the kpatch-build driver, its helpers, its
# unit tests and `make install` for the whole tool.
include kpatch-build/module.mk

KPB_CDO     := $(BUILD)/create-diff-object/create-diff-object
KPB_HELPERS := kpatch-build/kpatch-cc kpatch-build/fix-patch-lines
KPB_LIBS    := kpatch-build/lib-common.sh kpatch-build/lib-state.sh \
	       kpatch-build/lib-patch.sh kpatch-build/lib-kernel.sh \
	       kpatch-build/lib-objects.sh kpatch-build/lib-patchable.sh \
	       kpatch-build/lib-partial.sh kpatch-build/lib-symvers.sh \
	       kpatch-build/lib-lines.sh kpatch-build/lib-verify.sh \
	       kpatch-build/lib-result.sh kpatch-build/lib-running.sh \
	       kpatch-build/lib-oot.sh kpatch-build/lib-replay.sh
KPB_LIBS    += kpatch-build/lib-sign.sh kpatch-build/lib-deb.sh kpatch-build/lib-arch.sh \
	       kpatch-build/lib-modlink.sh kpatch-build/lib-descent.sh kpatch-build/lib-private.sh kpatch-build/lib-handoff.sh

TESTS += test/unit/kpatch-build-options.sh test/unit/kpatch-build-patches.sh \
	 test/unit/kpatch-build-run.sh test/unit/kpatch-build-signals.sh \
	 test/unit/kpatch-build-install.sh test/unit/kpatch-build-partial.sh \
	 test/unit/kpatch-build-symvers.sh test/unit/kpatch-macros-compat.sh \
	 test/unit/fix-patch-lines.sh test/unit/kpatch-build-lines.sh \
	 test/unit/kpatch-build-signals-stress.sh test/unit/kpatch-build-restore.sh
TESTS += test/unit/kpatch-build-sign.sh test/unit/kpatch-build-deb.sh \
	 test/unit/kpatch-build-running.sh test/unit/kpatch-build-oot.sh
TESTS += test/unit/kpatch-build-replay.sh test/unit/kpatch-build-replay-genksyms.sh \
	 test/unit/build-module-modlink.sh \
	 test/unit/kpatch-build-descent.sh test/unit/lib-path.sh test/unit/lib-memo.sh

# The driver finds everything relative to itself: ../libexec/kpatch-build
# for programs and helpers, ../share/kpatch-build for the module template
# and the headers patches may include.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) \
		$(DESTDIR)$(DATADIR)/module $(DESTDIR)$(DATADIR)/include \
		$(DESTDIR)$(MANDIR)
	sed 's/@VERSION@/$(VERSION)/' kpatch-build/kpatch-build >$(DESTDIR)$(BINDIR)/.kpatch-build.tmp
	chmod 755 $(DESTDIR)$(BINDIR)/.kpatch-build.tmp
	mv -f $(DESTDIR)$(BINDIR)/.kpatch-build.tmp $(DESTDIR)$(BINDIR)/kpatch-build
	install -m 755 $(KPB_CDO) $(BUILD)/verify/kpatch-verify $(BUILD)/abi/export-abi $(MODULE_LIBEXEC) $(KPB_HELPERS) $(DESTDIR)$(LIBEXECDIR)/
	install -m 644 $(KPB_LIBS) $(DESTDIR)$(LIBEXECDIR)/
	install -m 644 $(MODULE_TEMPLATE) $(DESTDIR)$(DATADIR)/module/
	install -m 644 $(MODULE_HEADERS) $(DESTDIR)$(DATADIR)/include/
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/
