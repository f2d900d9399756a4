// SPDX-License-Identifier: GPL-2.0
/*
 * verify-mutate IN OUT OP ARGS...: inject one fault into a livepatch module
 * (or the differ's output object) for kpatch-verify's negative tests.
 *
 *   byte SYMBOL OFF            flip the low bit of the byte at SYMBOL+OFF
 *   set SYMBOL OFF HEX...      write bytes (hex, one argument each) at SYMBOL+OFF
 *   addend SYMBOL N DELTA      add DELTA to the Nth relocation inside SYMBOL
 *   drop SYMBOL N              remove the Nth relocation inside SYMBOL
 *   retarget SECTION N SYMBOL  point the Nth relocation of SECTION at SYMBOL
 *                              (an undefined global if the object lacks it)
 *   sec-addend SECTION N DELTA add DELTA to the Nth relocation of SECTION
 *   sympos N POS               set the sympos of the Nth klp_func record
 *   dup-record N               append a copy of the Nth klp_func record
 *   drop-record N              remove the Nth klp_func record
 *   add-record SYMBOL OBJNAME  append a record replacing SYMBOL of OBJNAME
 *                              with the module's SYMBOL
 *   klp-obj FROM TO            rename klp symbols and sections of object FROM
 *   rename-sym FROM TO         rename symbol FROM
 *   rename-sec FROM TO         rename section FROM (and its relocation section)
 *
 * N counts from 0, relocations in offset order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kelf.h"
#include "kpatch-format.h"
#include "util.h"

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "verify-mutate: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	exit(1);
}

static struct symbol *find_defined(struct elf *elf, const char *name)
{
	for (struct symbol *s = elf_find_symbol(elf, name); s; s = elf_find_symbol_next(elf, s))
		if (s->sec)
			return s;
	die("no defined symbol", name);
	return NULL;
}

/* The Nth relocation (by offset) of sec in [start, end), from any rela section. */
static struct rela *nth_rela(struct elf *elf, struct section *sec, uint64_t start, uint64_t end,
			     unsigned long n, struct section **holder)
{
	struct rela *best = NULL;
	unsigned long seen = 0;
	uint64_t from = start;

	/* walk offsets upward: relocations of one section are few in tests */
	while (!best) {
		struct rela *next = NULL;
		struct section *next_holder = NULL;

		for (size_t i = 1; i < elf->nr_sections; i++) {
			struct section *rs = elf->sections[i];

			if (!is_rela_section(rs) || rs->base != sec)
				continue;
			for (size_t j = 0; j < rs->nr_relas; j++) {
				struct rela *r = &rs->relas[j];

				if (r->offset >= from && r->offset < end && (!next || r->offset < next->offset)) {
					next = r;
					next_holder = rs;
				}
			}
		}
		if (!next)
			die("not that many relocations in", sec->name);
		if (seen++ == n) {
			best = next;
			*holder = next_holder;
		}
		from = next->offset + 1;
	}
	return best;
}

static struct section *records(struct elf *elf)
{
	struct section *sec = elf_find_section(elf, KPATCH_FUNCS_SECTION);

	if (!sec)
		die("no section", KPATCH_FUNCS_SECTION);
	return sec;
}

static struct symbol *section_symbol(struct elf *elf, struct section *sec)
{
	if (!sec->secsym)
		elf_add_symbol(elf, sec->name, STB_LOCAL, STT_SECTION, sec, 0, 0);
	return sec->secsym;
}

static void add_record(struct elf *elf, const char *name, const char *objname)
{
	struct section *funcs = elf_find_section(elf, KPATCH_FUNCS_SECTION);
	struct section *strings = elf_find_section(elf, KPATCH_STRINGS_SECTION);
	struct kpatch_func_record rec = { 0 };
	struct symbol *func = find_defined(elf, name), *strsym;
	uint64_t off, name_off, obj_off;
	struct section *rs;

	if (!funcs)
		funcs = elf_add_section(elf, KPATCH_FUNCS_SECTION, SHT_PROGBITS, SHF_ALLOC, 8,
					sizeof(rec), NULL, 0);
	if (!strings)
		strings = elf_add_section(elf, KPATCH_STRINGS_SECTION, SHT_PROGBITS, SHF_ALLOC, 1, 0,
					  NULL, 0);
	strsym = section_symbol(elf, strings);
	name_off = elf_append_data(strings, name, strlen(name) + 1, 1);
	obj_off = elf_append_data(strings, objname, strlen(objname) + 1, 1);
	off = elf_append_data(funcs, &rec, sizeof(rec), 8);
	rs = elf_rela_section_for(elf, funcs);
	elf_add_rela(rs, func, off, 0, R_X86_64_64);
	elf_add_rela(rs, strsym, off + offsetof(struct kpatch_func_record, old_name),
		     (int64_t)name_off, R_X86_64_64);
	elf_add_rela(rs, strsym, off + offsetof(struct kpatch_func_record, objname),
		     (int64_t)obj_off, R_X86_64_64);
	elf_sort_relas(rs);
}

static void dup_record(struct elf *elf, unsigned long n)
{
	struct section *funcs = records(elf), *holder;
	const uint64_t size = sizeof(struct kpatch_func_record);
	uint64_t from = n * size, to;
	struct rela copies[3];
	unsigned char data[sizeof(struct kpatch_func_record)];

	if (from + size > funcs->size)
		die("no such record", NULL);
	for (unsigned long i = 0; i < 3; i++)
		copies[i] = *nth_rela(elf, funcs, from, from + size, i, &holder);
	memcpy(data, funcs->data + from, size);	/* appending may move the data */
	to = elf_append_data(funcs, data, size, 8);
	for (unsigned long i = 0; i < 3; i++)
		elf_add_rela(holder, copies[i].sym, copies[i].offset - from + to, copies[i].addend,
			     copies[i].type);
	elf_sort_relas(holder);
}

static void drop_record(struct elf *elf, unsigned long n)
{
	struct section *funcs = records(elf), *holder = NULL;
	const uint64_t size = sizeof(struct kpatch_func_record);
	uint64_t from = n * size;

	if (from + size > funcs->size)
		die("no such record", NULL);
	nth_rela(elf, funcs, 0, funcs->size, 0, &holder);
	/* later records move down; their relocations with them */
	memmove(funcs->data + from, funcs->data + from + size, funcs->size - from - size);
	funcs->size -= size;
	funcs->sh.sh_size = funcs->size;
	for (size_t j = 0; j < holder->nr_relas;) {
		struct rela *r = &holder->relas[j];

		if (r->offset >= from && r->offset < from + size) {
			memmove(r, r + 1, (holder->nr_relas - j - 1) * sizeof(*r));
			holder->nr_relas--;
			continue;
		}
		if (r->offset >= from + size)
			r->offset -= size;
		j++;
	}
}

static void rename_klp(struct elf *elf, const char *from, const char *to)
{
	char *sym_prefix = xasprintf("%s%s.", KLP_SYM_PREFIX, from);
	char *sec_prefix = xasprintf("%s%s.", KLP_RELA_PREFIX, from);
	int renamed = 0;

	for (size_t i = 1; i < elf->nr_symbols; i++) {
		struct symbol *s = elf->symbols[i];

		if (!strncmp(s->name, sym_prefix, strlen(sym_prefix))) {
			char *name = xasprintf("%s%s.%s", KLP_SYM_PREFIX, to, s->name + strlen(sym_prefix));

			elf_rename_symbol(elf, s, name);
			free(name);
			renamed++;
		}
	}
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *s = elf->sections[i];

		if (!strncmp(s->name, sec_prefix, strlen(sec_prefix))) {
			char *name = xasprintf("%s%s.%s", KLP_RELA_PREFIX, to, s->name + strlen(sec_prefix));

			elf_rename_section(elf, s, name);
			free(name);
		}
	}
	if (!renamed)
		die("no klp symbols of", from);
	free(sym_prefix);
	free(sec_prefix);
}

int main(int argc, char **argv)
{
	struct elf *elf;
	struct section *holder;
	struct rela *r;
	char err[1024];
	const char *op;

	if (argc < 4)
		die("usage: verify-mutate IN OUT OP ARGS...", NULL);
	elf = elf_read(argv[1], err, sizeof(err));
	if (!elf)
		die(err, NULL);
	op = argv[3];
	if (!strcmp(op, "byte") && argc == 6) {
		struct symbol *s = find_defined(elf, argv[4]);

		s->sec->data[s->sym.st_value + strtoul(argv[5], NULL, 0)] ^= 1;
	} else if (!strcmp(op, "set") && argc >= 7) {
		struct symbol *s = find_defined(elf, argv[4]);
		uint64_t at = s->sym.st_value + strtoul(argv[5], NULL, 0);

		for (int i = 6; i < argc; i++)
			s->sec->data[at + i - 6] = (unsigned char)strtoul(argv[i], NULL, 16);
	} else if (!strcmp(op, "addend") && argc == 7) {
		struct symbol *s = find_defined(elf, argv[4]);

		r = nth_rela(elf, s->sec, s->sym.st_value, s->sym.st_value + s->sym.st_size,
			     strtoul(argv[5], NULL, 0), &holder);
		r->addend += strtol(argv[6], NULL, 0);
	} else if (!strcmp(op, "sec-addend") && argc == 7) {
		/* a relocation of a section without a sized symbol (a table) */
		struct section *sec = elf_find_section(elf, argv[4]);

		if (!sec)
			die("no section", argv[4]);
		r = nth_rela(elf, sec, 0, sec->size, strtoul(argv[5], NULL, 0), &holder);
		r->addend += strtol(argv[6], NULL, 0);
	} else if (!strcmp(op, "drop") && argc == 6) {
		struct symbol *s = find_defined(elf, argv[4]);
		size_t at;

		r = nth_rela(elf, s->sec, s->sym.st_value, s->sym.st_value + s->sym.st_size,
			     strtoul(argv[5], NULL, 0), &holder);
		at = (size_t)(r - holder->relas);
		memmove(r, r + 1, (holder->nr_relas - at - 1) * sizeof(*r));
		holder->nr_relas--;
	} else if (!strcmp(op, "retarget") && argc == 7) {
		struct section *sec = elf_find_section(elf, argv[4]);
		struct symbol *to = elf_find_symbol(elf, argv[6]);

		if (!sec)
			die("no section", argv[4]);
		if (!to)
			to = elf_add_symbol(elf, argv[6], STB_GLOBAL, STT_NOTYPE, NULL, 0, 0);
		r = nth_rela(elf, sec, 0, sec->size, strtoul(argv[5], NULL, 0), &holder);
		r->sym = to;
		r->addend = 0;
	} else if (!strcmp(op, "sympos") && argc == 6) {
		struct section *funcs = records(elf);
		uint64_t off = strtoul(argv[4], NULL, 0) * sizeof(struct kpatch_func_record);
		uint64_t pos = strtoul(argv[5], NULL, 0);

		if (off + sizeof(struct kpatch_func_record) > funcs->size)
			die("no such record", argv[4]);
		memcpy(funcs->data + off + offsetof(struct kpatch_func_record, sympos), &pos, 8);
	} else if (!strcmp(op, "dup-record") && argc == 5) {
		dup_record(elf, strtoul(argv[4], NULL, 0));
	} else if (!strcmp(op, "drop-record") && argc == 5) {
		drop_record(elf, strtoul(argv[4], NULL, 0));
	} else if (!strcmp(op, "add-record") && argc == 6) {
		add_record(elf, argv[4], argv[5]);
	} else if (!strcmp(op, "rename-sym") && argc == 6) {
		struct symbol *s = elf_find_symbol(elf, argv[4]);

		if (!s)
			die("no symbol", argv[4]);
		elf_rename_symbol(elf, s, argv[5]);
	} else if (!strcmp(op, "rename-sec") && argc == 6) {
		struct section *sec = elf_find_section(elf, argv[4]);
		char *rela_name;

		if (!sec)
			die("no section", argv[4]);
		elf_rename_section(elf, sec, argv[5]);
		if (sec->rela) {
			rela_name = xmalloc(strlen(argv[5]) + 6);
			sprintf(rela_name, ".rela%s", argv[5]);
			elf_rename_section(elf, sec->rela, rela_name);
			free(rela_name);
		}
	} else if (!strcmp(op, "klp-obj") && argc == 6) {
		rename_klp(elf, argv[4], argv[5]);
	} else {
		die("unknown operation or wrong arguments", op);
	}
	elf_index_symbols(elf);
	if (elf_write(elf, argv[2], err, sizeof(err)))
		die(err, NULL);
	elf_free(elf);
	return 0;
}
