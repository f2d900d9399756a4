# abi/abi.mk: export-abi, which kpatch-build runs on an export whose
# modversions CRC the patch changes, to tell from DWARF whether its ABI
# did; and its unit test (objects compiled with the host gcc -g).

EXPORT_ABI_OBJS := $(BUILD)/abi/export-abi.o $(BUILD)/abi/abi-compare.o \
		   $(BUILD)/lookup/structsize.o

$(BUILD)/abi/export-abi: $(EXPORT_ABI_OBJS)
	$(LINK)

PROGRAMS += $(BUILD)/abi/export-abi

TESTS += test/unit/export-abi.sh
