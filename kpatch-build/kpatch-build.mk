# kpatch-build/kpatch-build.mk: filled in by its owner
include kpatch-build/module.mk
