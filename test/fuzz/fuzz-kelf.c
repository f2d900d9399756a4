// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the ELF model. Read the input as an object, walk
 * everything the differ walks (names, symbols by offset, relocations by
 * offset), write it back out and read the result again: what the writer
 * produces from an object the reader accepted must itself be accepted.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz-common.h"
#include "kelf.h"

static size_t walk(const struct elf *elf)
{
	size_t seen = 0;

	for (size_t i = 1; i < elf->nr_sections; i++) {
		const struct section *sec = elf->sections[i];

		seen += elf_find_section(elf, sec->name) != NULL;
		for (size_t j = 0; j < sec->nr_syms; j++) {
			const struct symbol *sym = sec->syms[j];

			seen += elf_symbol_containing(sec, sym->sym.st_value) != NULL;
			seen += elf_rela_at(sec, sym->sym.st_value) != NULL;
		}
		if (is_rela_section(sec) && sec->base)
			for (size_t j = 0; j < sec->nr_relas; j++)
				seen += elf_symbol_containing(sec->base, sec->relas[j].offset) != NULL;
		if (sec->data && sec->size)
			seen += sec->data[sec->size - 1];
	}
	for (size_t i = 0; i < elf->nr_symbols; i++)
		seen += elf_find_symbol(elf, elf->symbols[i]->name) != NULL;
	return seen;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = fuzz_path(0, "in.o"), *out = fuzz_path(1, "out.o");
	char err[1024];
	struct elf *elf, *again;
	volatile size_t seen;

	fuzz_write_file(in, data, size);
	elf = elf_read(in, err, sizeof(err));
	if (!elf)
		return 0;
	seen = walk(elf);
	if (elf_write(elf, out, err, sizeof(err))) {
		elf_free(elf);
		return 0;
	}
	again = elf_read(out, err, sizeof(err));
	if (!again) {
		dprintf(2, "kpatch fuzz: the writer's output does not read back: %s\n", err);
		abort();
	}
	seen += walk(again);
	(void)seen;
	elf_free(again);
	elf_free(elf);
	return 0;
}
