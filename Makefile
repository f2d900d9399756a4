# kpatch-build: top-level build. Each directory adds its targets in its own
# *.mk fragment so the pieces stay independent.

PREFIX    ?= /usr/local
DESTDIR   ?=
BINDIR    := $(PREFIX)/bin
LIBEXECDIR:= $(PREFIX)/libexec/kpatch-build
DATADIR   := $(PREFIX)/share/kpatch-build
MANDIR    := $(PREFIX)/share/man/man1
VERSION   := 0.1.0

CC        ?= cc
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Werror -Wno-unused-parameter
CPPFLAGS  += -D_GNU_SOURCE -DKPATCH_VERSION='"$(VERSION)"' -Iinclude -Ilookup -Icreate-diff-object
LDLIBS    += -lelf -ldw -lz
ALL_CFLAGS = $(WARN) $(CFLAGS) $(EXTRA_CFLAGS)
# Programs are linked beside their name and renamed into place: a link
# that is killed (Ctrl-C, a stopped CI job) must not leave a truncated
# program that make then takes as up to date.
LINK       = $(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@.tmp $^ $(LDLIBS) && mv -f $@.tmp $@

# Out-of-tree object directory so sanitizer builds can live beside the
# normal one (make BUILD=build-asan EXTRA_CFLAGS=-fsanitize=...).
BUILD     ?= build

PROGRAMS  :=
TESTS     :=

.PHONY: all check bench install clean integration
# A recipe that fails leaves no half-written target behind.
.DELETE_ON_ERROR:
all:

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -MF $(@:.o=.d) -MT $@ -c -o $@.tmp $< && mv -f $@.tmp $@

include lookup/lookup.mk
include abi/abi.mk
include create-diff-object/cdo.mk
include kpatch-build/kpatch-build.mk
include batch/batch.mk
include verify/verify.mk
include manager/manager.mk
include test/test.mk
include test/check.mk
include test/deb.mk
include test/fuzz/fuzz.mk

all: $(PROGRAMS)

clean:
	rm -rf build build-*

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
