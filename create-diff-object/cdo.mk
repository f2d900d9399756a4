# create-diff-object/cdo.mk: filled in by its owner
