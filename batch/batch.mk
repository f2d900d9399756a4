# batch/batch.mk: kpatch-batch, its helpers, its unit test and its part of
# `make install` (beside kpatch-build, which it runs).
BATCH_LIBS := batch/lib-batch-split.sh batch/lib-batch-report.sh

TESTS += test/unit/kpatch-batch.sh test/unit/kpatch-batch-options.sh

.PHONY: install-batch
install: install-batch
install-batch:
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)
	sed 's/@VERSION@/$(VERSION)/' batch/kpatch-batch >$(DESTDIR)$(BINDIR)/.kpatch-batch.tmp
	chmod 755 $(DESTDIR)$(BINDIR)/.kpatch-batch.tmp
	mv -f $(DESTDIR)$(BINDIR)/.kpatch-batch.tmp $(DESTDIR)$(BINDIR)/kpatch-batch
	install -m 644 $(BATCH_LIBS) $(DESTDIR)$(LIBEXECDIR)/
