# kpatch-build/kpatch-build.mk: filled in by its owner
