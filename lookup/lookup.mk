# lookup/lookup.mk: filled in by its owner
