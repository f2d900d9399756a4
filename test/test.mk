# test/test.mk: filled in by its owner

# Integration tests (test/integration/README.md): build and boot a test
# kernel under qemu and load livepatch modules made by kpatch-build.
# INTEGRATION_FLAGS passes options through, e.g. INTEGRATION_FLAGS=--keep.
INTEGRATION_FLAGS ?=
.PHONY: integration-smoke integration-self-test
integration: all
	test/integration/run $(INTEGRATION_FLAGS)
integration-smoke: all
	test/integration/run --smoke $(INTEGRATION_FLAGS)
integration-self-test:
	test/integration/run --self-test $(INTEGRATION_FLAGS)
