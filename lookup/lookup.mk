# lookup/lookup.mk: the lookup library (symbol resolution against the
# parent), the DWARF struct-size reader, and their unit test.

LOOKUP_OBJS := $(BUILD)/lookup/lookup.o $(BUILD)/lookup/lookup-htab.o \
	       $(BUILD)/lookup/structsize.o

$(BUILD)/test/unit/lookup-test: $(BUILD)/test/unit/lookup-test.o $(LOOKUP_OBJS)
	@mkdir -p $(dir $@)
	$(LINK)

TESTS += $(BUILD)/test/unit/lookup-test
