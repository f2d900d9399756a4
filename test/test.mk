# test/test.mk: filled in by its owner
