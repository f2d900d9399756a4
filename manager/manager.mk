# manager/manager.mk: kpatch, the livepatch manager (kpatch(1)), its boot
# unit and bash completion; its unit test; `make install` of them.

SBINDIR           ?= $(PREFIX)/sbin
# The unit directory: $(PREFIX)/lib/systemd/system, or the distribution's
# (pkg-config --variable=systemdsystemunitdir systemd).
SYSTEMDUNITDIR    ?= $(PREFIX)/lib/systemd/system
BASHCOMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
# Where installed patches live (fixed, as for kpatch(1) and its unit).
KPATCH_STATEDIR   := /var/lib/kpatch

TESTS += test/unit/kpatch-manager.sh

.PHONY: install-manager
install: install-manager
install-manager:
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(BASHCOMPLETIONDIR) $(DESTDIR)$(MANDIR)
	sed -e 's|@VERSION@|$(VERSION)|' manager/kpatch >$(DESTDIR)$(SBINDIR)/.kpatch.tmp
	chmod 755 $(DESTDIR)$(SBINDIR)/.kpatch.tmp
	mv -f $(DESTDIR)$(SBINDIR)/.kpatch.tmp $(DESTDIR)$(SBINDIR)/kpatch
	sed -e 's|@SBINDIR@|$(SBINDIR)|' -e 's|@LIBDIR@|$(KPATCH_STATEDIR)|' \
		manager/kpatch.service.in >$(DESTDIR)$(SYSTEMDUNITDIR)/kpatch.service
	chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/kpatch.service
	install -m 644 manager/kpatch.bash-completion $(DESTDIR)$(BASHCOMPLETIONDIR)/kpatch
	install -m 644 man/kpatch.1 $(DESTDIR)$(MANDIR)/kpatch.1

# The manager in the qemu test kernel (test/integration/manager/run).
.PHONY: integration-manager
integration-manager: all
	test/integration/manager/run $(INTEGRATION_FLAGS)
