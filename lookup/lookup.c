// SPDX-License-Identifier: GPL-2.0
/*
 * lookup: the parent's symbol table (from readelf text or the ELF itself)
 * plus Module.symvers, indexed by hash so that every query is O(1) on
 * average even for a vmlinux with ~150,000 symbols.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lookup-htab.h"
#include "lookup.h"

#define NO_BLOCK UINT32_MAX

struct lookup_sym {
	const char *name;
	unsigned long addr;
	unsigned long size;
	unsigned long sympos;
	uint32_t block;		/* FILE block of a LOCAL, else NO_BLOCK */
	uint32_t next_global;	/* next same-named global, symtab order */
	unsigned char type;
	unsigned char bind;
	bool dup_in_block;	/* another same-named local in its block */
};

struct lookup_file {
	const char *name;
	uint32_t first;		/* symbols [first, end) follow the FILE */
	uint32_t end;
	uint32_t next_same_name;
	uint32_t last_same_name;	/* only valid on the chain head */
	bool anonymous;		/* the whole table: it has no FILE symbol */
	/* Filled on first match attempt: sorted distinct compared names. */
	bool prepared;
	const char **names;
	size_t nnames;
	uint64_t signature;
};

struct lookup_export {
	const char *name;
	const char *objname;
	const char *ns;		/* its symbol namespace, or NULL */
};

struct lookup_table {
	char *path;
	char *objname;
	bool is_vmlinux;
	char *strings;		/* owns every symbol name */
	struct lookup_sym *syms;
	size_t nsyms;
	size_t syms_capacity;
	struct lookup_file *files;
	size_t nfiles;
	size_t files_capacity;
	/* No STT_FILE at all (stripped module): files[0] holds every local. */
	bool anonymous;
	/* Handed out for a file with no locals and no block to match. */
	struct lookup_file no_locals_file;
	struct lookup_htab globals;		/* name -> first global */
	struct lookup_htab locals;		/* (block, name) -> local */
	struct lookup_htab files_by_name;	/* file name -> first block */
	char *symvers_text;		/* owns export names and objnames */
	struct lookup_export *exports;
	size_t nexports;
	size_t exports_capacity;
	struct lookup_htab exports_by_name;
};

static void set_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list args;

	if (!err || !errlen)
		return;
	va_start(args, fmt);
	vsnprintf(err, errlen, fmt, args);
	va_end(args);
}

/* Whole file into a NUL-terminated buffer; works for pipes and /dev/null. */
static char *read_whole_file(const char *path, size_t *length,
			     char *err, size_t errlen)
{
	FILE *file = fopen(path, "rb");
	size_t capacity = 1 << 16, used = 0;
	char *buffer;

	if (!file) {
		set_error(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buffer = malloc(capacity);
	while (buffer) {
		size_t got = fread(buffer + used, 1, capacity - used - 1, file);

		used += got;
		if (got == 0)
			break;
		if (capacity - used - 1 == 0) {
			char *bigger = realloc(buffer, capacity * 2);

			if (!bigger) {
				free(buffer);
				buffer = NULL;
				break;
			}
			buffer = bigger;
			capacity *= 2;
		}
	}
	if (!buffer) {
		set_error(err, errlen, "%s: out of memory", path);
	} else if (ferror(file)) {
		set_error(err, errlen, "%s: read error: %s", path,
			  strerror(errno));
		free(buffer);
		buffer = NULL;
	} else {
		buffer[used] = '\0';
		*length = used;
	}
	fclose(file);
	return buffer;
}

/* "drivers/net/foo-bar.ko" -> "foo_bar", in place; the result is shorter. */
static char *module_name_in_place(char *path)
{
	char *base = strrchr(path, '/');
	size_t length;
	char *p;

	base = base ? base + 1 : path;
	length = strlen(base);
	if (length > 3 && !strcmp(base + length - 3, ".ko"))
		base[length - 3] = '\0';
	for (p = base; *p; p++)
		if (*p == '-')
			*p = '_';
	return base;
}

/* ---- symbol storage and indexes ---- */

static bool is_global_bind(unsigned char bind)
{
	return bind == STB_GLOBAL || bind == STB_WEAK || bind == STB_GNU_UNIQUE;
}

static bool is_func_or_object(unsigned char type)
{
	return type == STT_FUNC || type == STT_OBJECT;
}

static int add_symbol(struct lookup_table *table, const char *name,
		      unsigned long addr, unsigned long size,
		      unsigned char type, unsigned char bind)
{
	struct lookup_sym *sym;

	if (table->nsyms == table->syms_capacity) {
		size_t capacity = table->syms_capacity ?
				  table->syms_capacity * 2 : 1024;
		struct lookup_sym *bigger =
			realloc(table->syms, capacity * sizeof(*bigger));

		if (!bigger)
			return -1;
		table->syms = bigger;
		table->syms_capacity = capacity;
	}
	sym = &table->syms[table->nsyms++];
	memset(sym, 0, sizeof(*sym));
	sym->name = name;
	sym->addr = addr;
	sym->size = size;
	sym->type = type;
	sym->bind = bind;
	sym->block = NO_BLOCK;
	sym->next_global = NO_BLOCK;
	return 0;
}

static bool match_global_name(const void *ctx, uint32_t item, const void *key)
{
	const struct lookup_table *table = ctx;

	return !strcmp(table->syms[item].name, key);
}

struct local_key {
	uint32_t block;
	const char *name;
};

static bool match_local(const void *ctx, uint32_t item, const void *key)
{
	const struct lookup_table *table = ctx;
	const struct local_key *local = key;

	return table->syms[item].block == local->block &&
	       !strcmp(table->syms[item].name, local->name);
}

static uint64_t local_hash(uint32_t block, const char *name)
{
	return lookup_htab_hash_mix(lookup_htab_hash_string(name), block);
}

static bool match_file_name(const void *ctx, uint32_t item, const void *key)
{
	const struct lookup_table *table = ctx;

	return !strcmp(table->files[item].name, key);
}

/*
 * A symbol table without any FILE symbol (distributions strip them from
 * the modules they ship, strip --strip-debug keeps the other locals): all
 * its locals form one block with no name. Same-named locals in it cannot
 * be told apart any more; build_indexes marks them dup_in_block, so
 * lookup_local refuses them instead of guessing.
 */
static int build_anonymous_block(struct lookup_table *table)
{
	size_t i;

	table->files = calloc(1, sizeof(*table->files));
	if (!table->files)
		return -1;
	table->files_capacity = table->nfiles = 1;
	table->files[0].name = "";
	table->files[0].first = 0;
	table->files[0].end = table->nsyms;
	table->files[0].next_same_name = NO_BLOCK;
	table->files[0].anonymous = true;
	table->anonymous = true;
	for (i = 0; i < table->nsyms; i++)
		if (table->syms[i].bind == STB_LOCAL)
			table->syms[i].block = 0;
	return 0;
}

/*
 * Split the symbols into FILE blocks: a FILE symbol owns the LOCAL symbols
 * after it up to the next FILE. Globals never belong to a block (the linker
 * gathers them after all the locals anyway).
 */
static int build_blocks(struct lookup_table *table)
{
	uint32_t block = NO_BLOCK;
	size_t i;

	for (i = 0; i < table->nsyms; i++) {
		struct lookup_sym *sym = &table->syms[i];

		if (sym->type == STT_FILE) {
			if (table->nfiles == table->files_capacity) {
				size_t capacity = table->files_capacity ?
						  table->files_capacity * 2 : 256;
				struct lookup_file *bigger = realloc(
					table->files, capacity * sizeof(*bigger));

				if (!bigger)
					return -1;
				table->files = bigger;
				table->files_capacity = capacity;
			}
			if (block != NO_BLOCK)
				table->files[block].end = i;
			block = table->nfiles++;
			memset(&table->files[block], 0, sizeof(table->files[block]));
			table->files[block].name = sym->name;
			table->files[block].first = i + 1;
			table->files[block].end = table->nsyms;
			table->files[block].next_same_name = NO_BLOCK;
			continue;
		}
		if (sym->bind == STB_LOCAL)
			sym->block = block;
	}
	if (!table->nfiles)
		return build_anonymous_block(table);
	return 0;
}

static int build_indexes(struct lookup_table *table)
{
	size_t i;

	if (lookup_htab_init(&table->globals, table->nsyms / 2) ||
	    lookup_htab_init(&table->locals, table->nsyms) ||
	    lookup_htab_init(&table->files_by_name, table->nfiles))
		return -1;

	/* The anonymous block has no name to be found by. */
	for (i = 0; i < table->nfiles && !table->anonymous; i++) {
		struct lookup_file *file = &table->files[i];
		uint64_t hash = lookup_htab_hash_string(file->name);
		uint32_t head = lookup_htab_find(&table->files_by_name, hash,
					  match_file_name, table, file->name);

		if (head == LOOKUP_HTAB_NONE) {
			file->last_same_name = i;
			if (lookup_htab_insert(&table->files_by_name, hash, i))
				return -1;
		} else {
			table->files[table->files[head].last_same_name]
				.next_same_name = i;
			table->files[head].last_same_name = i;
		}
	}

	for (i = 0; i < table->nsyms; i++) {
		struct lookup_sym *sym = &table->syms[i];

		if (sym->block != NO_BLOCK) {
			struct local_key key = { sym->block, sym->name };
			uint64_t hash = local_hash(sym->block, sym->name);
			uint32_t first = lookup_htab_find(&table->locals, hash,
						   match_local, table, &key);

			if (first != LOOKUP_HTAB_NONE)
				table->syms[first].dup_in_block = true;
			else if (lookup_htab_insert(&table->locals, hash, i))
				return -1;
		} else if (is_global_bind(sym->bind)) {
			uint64_t hash = lookup_htab_hash_string(sym->name);
			uint32_t other = lookup_htab_find(&table->globals, hash,
						   match_global_name, table,
						   sym->name);

			if (other == LOOKUP_HTAB_NONE) {
				if (lookup_htab_insert(&table->globals, hash, i))
					return -1;
				continue;
			}
			/* Same-named globals are rare (weak + strong): short. */
			while (table->syms[other].next_global != NO_BLOCK)
				other = table->syms[other].next_global;
			table->syms[other].next_global = i;
		}
	}
	return 0;
}

/* ---- sympos ---- */

/*
 * Sympos counts same-named locals in the order the kernel's kallsyms walk
 * visits them: vmlinux kallsyms is sorted by address, while a module's
 * kallsyms is its own symtab in file order (and .ko addresses are only
 * section offsets, so sorting them by address would be meaningless).
 * FUNC/OBJECT locals are counted together; any other local type is
 * counted in a group of its own so it never shifts their positions.
 */
static int compare_for_sympos(const void *a, const void *b, void *ctx)
{
	const struct lookup_table *table = ctx;
	uint32_t ia = *(const uint32_t *)a, ib = *(const uint32_t *)b;
	const struct lookup_sym *sa = &table->syms[ia], *sb = &table->syms[ib];
	int class_a = !is_func_or_object(sa->type);
	int class_b = !is_func_or_object(sb->type);
	int cmp;

	if (class_a != class_b)
		return class_a - class_b;
	cmp = strcmp(sa->name, sb->name);
	if (cmp)
		return cmp;
	if (table->is_vmlinux && sa->addr != sb->addr)
		return sa->addr < sb->addr ? -1 : 1;
	return ia < ib ? -1 : ia > ib;
}

static int compute_sympos(struct lookup_table *table)
{
	uint32_t *order = malloc((table->nsyms + 1) * sizeof(*order));
	size_t count = 0, start, end, i;

	if (!order)
		return -1;
	for (i = 0; i < table->nsyms; i++)
		if (table->syms[i].bind == STB_LOCAL &&
		    table->syms[i].type != STT_FILE)
			order[count++] = i;
	qsort_r(order, count, sizeof(*order), compare_for_sympos, table);

	for (start = 0; start < count; start = end) {
		const struct lookup_sym *first = &table->syms[order[start]];

		for (end = start + 1; end < count; end++) {
			const struct lookup_sym *sym = &table->syms[order[end]];

			if (is_func_or_object(sym->type) !=
			    is_func_or_object(first->type) ||
			    strcmp(sym->name, first->name))
				break;
		}
		/* Unique names get 0: the kernel accepts 0 for them. */
		for (i = start; end - start > 1 && i < end; i++)
			table->syms[order[i]].sympos = i - start + 1;
	}
	free(order);
	return 0;
}

/* ---- readelf text input ---- */

static const char *next_token(char **cursor, size_t *length)
{
	char *p = *cursor, *start;

	while (*p == ' ' || *p == '\t')
		p++;
	start = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	*length = p - start;
	*cursor = p;
	return *length ? start : NULL;
}

static bool token_is(const char *token, size_t length, const char *word)
{
	return token && strlen(word) == length && !strncmp(token, word, length);
}

static bool parse_number(const char *token, size_t length, int base,
			 unsigned long *value)
{
	char *end;

	if (!token || !length)
		return false;
	if (base == 0) {
		/* Size is decimal unless readelf switched to 0x hex. */
		if (length > 2 && token[0] == '0' &&
		    (token[1] == 'x' || token[1] == 'X')) {
			token += 2;
			length -= 2;
			base = 16;
		} else {
			base = 10;
		}
	}
	if (*token == '-' || *token == '+')
		return false;
	errno = 0;
	*value = strtoul(token, &end, base);
	return !errno && end == token + length;
}

static const struct {
	const char *word;
	unsigned char value;
} readelf_types[] = {
	{ "NOTYPE", STT_NOTYPE }, { "OBJECT", STT_OBJECT },
	{ "FUNC", STT_FUNC },	  { "SECTION", STT_SECTION },
	{ "FILE", STT_FILE },	  { "COMMON", STT_COMMON },
	{ "TLS", STT_TLS },	  { "IFUNC", STT_GNU_IFUNC },
}, readelf_binds[] = {
	{ "LOCAL", STB_LOCAL },	  { "GLOBAL", STB_GLOBAL },
	{ "WEAK", STB_WEAK },	  { "UNIQUE", STB_GNU_UNIQUE },
};

#define LOOKUP_WORD(array, token, length, out)                          \
	({                                                              \
		bool found_ = false;                                    \
		size_t i_;                                              \
		for (i_ = 0; i_ < sizeof(array) / sizeof(array[0]); i_++) \
			if (token_is(token, length, array[i_].word)) {  \
				*(out) = array[i_].value;               \
				found_ = true;                          \
				break;                                  \
			}                                               \
		found_;                                                 \
	})

static bool is_visibility(const char *token, size_t length)
{
	return token_is(token, length, "DEFAULT") ||
	       token_is(token, length, "INTERNAL") ||
	       token_is(token, length, "HIDDEN") ||
	       token_is(token, length, "PROTECTED");
}

/*
 * Skip what readelf may print after the visibility, e.g.
 * "[<localentry>: 8]" (ppc64le) or "[VARIANT_PCS]" (arm64); several
 * bracket groups may follow each other.
 */
static bool skip_annotations(char **cursor)
{
	char *p = *cursor;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '[')
			break;
		p = strchr(p, ']');
		if (!p)
			return false;
		p++;
	}
	*cursor = p;
	return true;
}

struct readelf_line {
	unsigned long value;
	unsigned long size;
	unsigned char type;
	unsigned char bind;
	bool undefined;
	char *name;
};

/* "Num: Value Size Type Bind Vis [annotations] Ndx Name" */
static bool parse_symbol_line(char *line, struct readelf_line *out,
			      const char **problem)
{
	char *cursor = line, *end;
	const char *token;
	size_t length;

	token = next_token(&cursor, &length);
	if (!token || token[length - 1] != ':') {
		*problem = "not a readelf symbol line";
		return false;
	}
	token = next_token(&cursor, &length);
	if (!parse_number(token, length, 16, &out->value)) {
		*problem = "bad symbol value";
		return false;
	}
	token = next_token(&cursor, &length);
	if (!parse_number(token, length, 0, &out->size)) {
		*problem = "bad symbol size";
		return false;
	}
	token = next_token(&cursor, &length);
	if (!LOOKUP_WORD(readelf_types, token, length, &out->type)) {
		*problem = "unknown symbol type";
		return false;
	}
	token = next_token(&cursor, &length);
	if (!LOOKUP_WORD(readelf_binds, token, length, &out->bind)) {
		*problem = "unknown symbol binding";
		return false;
	}
	token = next_token(&cursor, &length);
	if (!is_visibility(token, length) || !skip_annotations(&cursor)) {
		*problem = "bad symbol visibility";
		return false;
	}
	token = next_token(&cursor, &length);
	if (!token) {
		*problem = "missing section index";
		return false;
	}
	out->undefined = token_is(token, length, "UND");
	if (token_is(token, length, "OS") || token_is(token, length, "PRC") ||
	    token_is(token, length, "RSV")) {
		/* Reserved index printed as "OS [0xff20]": a second token. */
		if (!skip_annotations(&cursor)) {
			*problem = "bad section index";
			return false;
		}
	} else if (!token_is(token, length, "ABS") &&
		   !token_is(token, length, "COM") && !out->undefined &&
		   !memchr(token, '[', length)) {
		unsigned long index;

		if (!parse_number(token, length, 10, &index)) {
			*problem = "bad section index";
			return false;
		}
	}
	/* The name is the rest of the line; it may be empty. */
	while (*cursor == ' ' || *cursor == '\t')
		cursor++;
	end = cursor + strlen(cursor);
	while (end > cursor && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	out->name = cursor;
	return true;
}

static bool starts_with(const char *string, const char *prefix)
{
	return !strncmp(string, prefix, strlen(prefix));
}

static int load_readelf_text(struct lookup_table *table, char *text,
			     char *err, size_t errlen)
{
	enum { OUTSIDE, IN_SYMTAB, IN_OTHER_TABLE } state = OUTSIDE;
	unsigned long line_number = 0;
	char *line = text;

	while (line && *line) {
		char *newline = strchr(line, '\n');
		char *next = newline ? newline + 1 : NULL;
		char *trimmed = line, *end;
		struct readelf_line symbol;
		const char *problem = NULL;

		line_number++;
		if (newline)
			*newline = '\0';
		end = line + strlen(line);
		while (end > line && (end[-1] == '\r'))
			*--end = '\0';
		while (*trimmed == ' ' || *trimmed == '\t')
			trimmed++;

		if (!*trimmed) {
			/* Blank lines separate the tables. */
		} else if (starts_with(trimmed, "Symbol table '")) {
			state = starts_with(trimmed, "Symbol table '.symtab'") ?
				IN_SYMTAB : IN_OTHER_TABLE;
		} else if (state == IN_OTHER_TABLE) {
			/* .dynsym duplicates .symtab with versioned names. */
		} else if (state == IN_SYMTAB && starts_with(trimmed, "Num:")) {
			/* Column header. */
		} else if (state == OUTSIDE) {
			set_error(err, errlen,
				  "%s:%lu: not readelf -s output (no \"Symbol table\" header before this line)",
				  table->path, line_number);
			return -1;
		} else if (!parse_symbol_line(line, &symbol, &problem)) {
			set_error(err, errlen, "%s:%lu: %s", table->path,
				  line_number, problem);
			return -1;
		} else if (!symbol.undefined && symbol.type != STT_SECTION &&
			   add_symbol(table, symbol.name, symbol.value,
				      symbol.size, symbol.type, symbol.bind)) {
			set_error(err, errlen, "%s: out of memory", table->path);
			return -1;
		}
		line = next;
	}
	return 0;
}

/* ---- ELF input ---- */

static int load_elf(struct lookup_table *table, char *err, size_t errlen)
{
	Elf_Data *symbols = NULL, *shndx_data = NULL, *names_data;
	Elf_Scn *section = NULL, *symtab_section = NULL;
	size_t symtab_index = 0, strtab_index = 0, count, i;
	GElf_Shdr header;
	int result = -1;
	Elf *elf;
	int fd;

	elf_version(EV_CURRENT);
	fd = open(table->path, O_RDONLY);
	if (fd < 0) {
		set_error(err, errlen, "%s: %s", table->path, strerror(errno));
		return -1;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		set_error(err, errlen, "%s: not a readable ELF file: %s",
			  table->path, elf_errmsg(-1));
		goto out;
	}
	while ((section = elf_nextscn(elf, section))) {
		if (!gelf_getshdr(section, &header))
			continue;
		if (header.sh_type == SHT_SYMTAB) {
			symtab_section = section;
			symtab_index = elf_ndxscn(section);
			strtab_index = header.sh_link;
		}
	}
	if (!symtab_section) {
		set_error(err, errlen, "%s: ELF file has no .symtab (stripped?)",
			  table->path);
		goto out;
	}
	/* Extended section indexes live in the SYMTAB_SHNDX linked to it. */
	while ((section = elf_nextscn(elf, section))) {
		if (gelf_getshdr(section, &header) &&
		    header.sh_type == SHT_SYMTAB_SHNDX &&
		    header.sh_link == symtab_index)
			shndx_data = elf_getdata(section, NULL);
	}
	symbols = elf_getdata(symtab_section, NULL);
	section = elf_getscn(elf, strtab_index);
	names_data = section ? elf_getdata(section, NULL) : NULL;
	if (!symbols || !names_data || !gelf_getshdr(symtab_section, &header) ||
	    !header.sh_entsize) {
		set_error(err, errlen, "%s: unreadable .symtab: %s",
			  table->path, elf_errmsg(-1));
		goto out;
	}
	/* One copy of the string table; symbol names point into it. */
	table->strings = malloc(names_data->d_size + 1);
	if (!table->strings) {
		set_error(err, errlen, "%s: out of memory", table->path);
		goto out;
	}
	memcpy(table->strings, names_data->d_buf, names_data->d_size);
	table->strings[names_data->d_size] = '\0';

	count = header.sh_size / header.sh_entsize;
	for (i = 0; i < count; i++) {
		GElf_Sym symbol;
		Elf32_Word extended_index = 0;
		unsigned long section_index;
		const char *name;

		if (!gelf_getsymshndx(symbols, shndx_data, i, &symbol,
				      &extended_index)) {
			set_error(err, errlen, "%s: bad .symtab entry %zu: %s",
				  table->path, i, elf_errmsg(-1));
			goto out;
		}
		section_index = symbol.st_shndx == SHN_XINDEX ?
				extended_index : symbol.st_shndx;
		if (section_index == SHN_UNDEF ||
		    GELF_ST_TYPE(symbol.st_info) == STT_SECTION)
			continue;
		if (symbol.st_name >= names_data->d_size) {
			set_error(err, errlen,
				  "%s: .symtab entry %zu has a name outside .strtab",
				  table->path, i);
			goto out;
		}
		name = table->strings + symbol.st_name;
		if (add_symbol(table, name, symbol.st_value, symbol.st_size,
			       GELF_ST_TYPE(symbol.st_info),
			       GELF_ST_BIND(symbol.st_info))) {
			set_error(err, errlen, "%s: out of memory", table->path);
			goto out;
		}
	}
	result = 0;
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return result;
}

/* ---- Module.symvers ---- */

static bool match_export_name(const void *ctx, uint32_t item, const void *key)
{
	const struct lookup_table *table = ctx;

	return !strcmp(table->exports[item].name, key);
}

static bool match_export_name_and_owner(const void *ctx, uint32_t item,
					const void *key)
{
	const struct lookup_table *table = ctx;
	const struct lookup_export *wanted = key;

	return !strcmp(table->exports[item].name, wanted->name) &&
	       !strcmp(table->exports[item].objname, wanted->objname);
}

#define SYMVERS_MAX_COLUMNS 8

/*
 * Which column holds the exporting module. Layouts seen in the wild:
 *   crc sym module export-type [namespace]   (<= 5.3 and >= 5.6)
 *   crc sym namespace module export-type     (5.4, 5.5)
 *   crc sym module                           (very old kernels)
 * The export type always starts with "EXPORT_", so the module is the
 * column just before it; that decides per line and never mistakes a
 * namespace for a module. Without an export type, fall back to the first
 * column that looks like a path.
 */
static int symvers_module_column(char **columns, int ncolumns)
{
	int i;

	for (i = 3; i < ncolumns; i++)
		if (starts_with(columns[i], "EXPORT_"))
			return i - 1;
	if (ncolumns == 3)
		return 2;
	for (i = 2; i < ncolumns; i++)
		if (!strcmp(columns[i], "vmlinux") || strchr(columns[i], '/'))
			return i;
	return -1;
}

/* The namespace column of a line whose module column is module, or NULL. */
static const char *symvers_namespace(char **columns, int ncolumns, int module)
{
	const char *ns = NULL;

	if (module == 3)			/* crc sym namespace module type (5.4, 5.5) */
		ns = columns[2];
	else if (module + 2 < ncolumns)		/* crc sym module type namespace */
		ns = columns[module + 2];
	return ns && *ns ? ns : NULL;
}

static int add_export(struct lookup_table *table, const char *name,
		      const char *objname, const char *ns)
{
	if (table->nexports == table->exports_capacity) {
		size_t capacity = table->exports_capacity ?
				  table->exports_capacity * 2 : 1024;
		struct lookup_export *bigger =
			realloc(table->exports, capacity * sizeof(*bigger));

		if (!bigger)
			return -1;
		table->exports = bigger;
		table->exports_capacity = capacity;
	}
	table->exports[table->nexports].name = name;
	table->exports[table->nexports].objname = objname;
	table->exports[table->nexports].ns = ns;
	return lookup_htab_insert(&table->exports_by_name, lookup_htab_hash_string(name),
			   table->nexports++);
}

static int load_symvers(struct lookup_table *table, const char *path,
			char *err, size_t errlen)
{
	unsigned long line_number = 0;
	size_t length;
	char *line;

	table->symvers_text = read_whole_file(path, &length, err, errlen);
	if (!table->symvers_text)
		return -1;
	if (lookup_htab_init(&table->exports_by_name, length / 48)) {
		set_error(err, errlen, "%s: out of memory", path);
		return -1;
	}

	for (line = table->symvers_text; line && *line;) {
		char *newline = strchr(line, '\n');
		char *next = newline ? newline + 1 : NULL;
		char *columns[SYMVERS_MAX_COLUMNS];
		int ncolumns = 0, module;
		char *cursor, *end;

		line_number++;
		if (newline)
			*newline = '\0';
		end = line + strlen(line);
		while (end > line && (end[-1] == '\r' || end[-1] == ' '))
			*--end = '\0';
		cursor = line;
		line = next;
		if (!*cursor)
			continue;
		/* Tab separated; a trailing empty namespace is just a column. */
		while (ncolumns < SYMVERS_MAX_COLUMNS) {
			char *tab = strchr(cursor, '\t');

			columns[ncolumns++] = cursor;
			if (!tab)
				break;
			*tab = '\0';
			cursor = tab + 1;
		}
		if (ncolumns < 3 || !*columns[1]) {
			set_error(err, errlen,
				  "%s:%lu: malformed Module.symvers line (want CRC<TAB>symbol<TAB>module...)",
				  path, line_number);
			return -1;
		}
		module = symvers_module_column(columns, ncolumns);
		if (module < 0 || !*columns[module]) {
			set_error(err, errlen,
				  "%s:%lu: no module column in Module.symvers line",
				  path, line_number);
			return -1;
		}
		if (add_export(table, columns[1], module_name_in_place(columns[module]),
			       symvers_namespace(columns, ncolumns, module))) {
			set_error(err, errlen, "%s: out of memory", path);
			return -1;
		}
	}
	return 0;
}

/* ---- public interface ---- */

static bool has_elf_magic(const char *path)
{
	unsigned char magic[SELFMAG];
	FILE *file = fopen(path, "rb");
	bool is_elf;

	if (!file)
		return false;
	is_elf = fread(magic, 1, SELFMAG, file) == SELFMAG &&
		 !memcmp(magic, ELFMAG, SELFMAG);
	fclose(file);
	return is_elf;
}

struct lookup_table *lookup_open(const char *symtab_path, const char *objname,
				 const char *symvers_path,
				 char *err, size_t errlen)
{
	struct lookup_table *table;
	size_t length;

	if (!symtab_path || !objname) {
		set_error(err, errlen, "lookup_open: missing %s",
			  symtab_path ? "object name" : "symbol table path");
		return NULL;
	}
	table = calloc(1, sizeof(*table));
	if (!table || !(table->path = strdup(symtab_path)) ||
	    !(table->objname = strdup(objname))) {
		set_error(err, errlen, "%s: out of memory", symtab_path);
		lookup_close(table);
		return NULL;
	}
	/* Results name modules as the kernel does: no .ko, '-' as '_'. */
	if (strcmp(table->objname, "vmlinux")) {
		const char *module = module_name_in_place(table->objname);

		memmove(table->objname, module, strlen(module) + 1);
	}
	table->is_vmlinux = !strcmp(table->objname, "vmlinux");
	table->no_locals_file.next_same_name = NO_BLOCK;
	table->no_locals_file.prepared = true;

	if (has_elf_magic(symtab_path)) {
		if (load_elf(table, err, errlen))
			goto fail;
	} else {
		table->strings = read_whole_file(symtab_path, &length, err,
						 errlen);
		if (!table->strings)
			goto fail;
		if (!length) {
			set_error(err, errlen, "%s: symbol table file is empty",
				  symtab_path);
			goto fail;
		}
		if (load_readelf_text(table, table->strings, err, errlen))
			goto fail;
	}
	if (!table->nsyms) {
		set_error(err, errlen, "%s: no defined symbols in .symtab",
			  symtab_path);
		goto fail;
	}
	if (build_blocks(table) || build_indexes(table) ||
	    compute_sympos(table)) {
		set_error(err, errlen, "%s: out of memory", symtab_path);
		goto fail;
	}
	if (symvers_path) {
		if (load_symvers(table, symvers_path, err, errlen))
			goto fail;
	} else if (lookup_htab_init(&table->exports_by_name, 0)) {
		set_error(err, errlen, "%s: out of memory", symtab_path);
		goto fail;
	}
	return table;
fail:
	lookup_close(table);
	return NULL;
}

void lookup_close(struct lookup_table *table)
{
	size_t i;

	if (!table)
		return;
	for (i = 0; i < table->nfiles; i++)
		free(table->files[i].names);
	lookup_htab_free(&table->globals);
	lookup_htab_free(&table->locals);
	lookup_htab_free(&table->files_by_name);
	lookup_htab_free(&table->exports_by_name);
	free(table->files);
	free(table->syms);
	free(table->exports);
	free(table->symvers_text);
	free(table->strings);
	free(table->objname);
	free(table->path);
	free(table);
}

const char *lookup_objname(const struct lookup_table *table)
{
	return table->objname;
}

/* ---- file block matching ---- */

/*
 * Local names that can legitimately be present on one side only, because
 * the linker discards them or because tooling adds them after compiling.
 * Everything else, including compiler clones such as foo.cold, foo.part.0,
 * foo.isra.0 and foo.constprop.0, is the same in the .o and in the linked
 * parent, so it stays part of the comparison.
 */
static bool may_differ_after_link(const char *name)
{
	return
		/* .exitcall.exit is discarded from vmlinux for built-in code. */
		starts_with(name, "__exitcall_") ||
		/* RESERVE_BRK() helpers live in .discard.text. */
		starts_with(name, "__brk_reservation_fn_") ||
		/* STACK_FRAME_NON_STANDARD() markers live in .discard.*. */
		starts_with(name, "__func_stack_frame_non_standard_") ||
		/* __ADDRESSABLE() anchors live in .discard.addressable. */
		strstr(name, "__addressable_") ||
		/*
		 * __UNIQUE_ID_*: modinfo strings (dropped from vmlinux), and
		 * the addressable anchors above; the counter suffix is also
		 * not stable across compilations.
		 */
		strstr(name, "__UNIQUE_ID_") ||
		/*
		 * Assembler temporaries (.L.str, .Lubsan_data, ...): ld drops
		 * locals in merged sections and -X drops all .L names.
		 */
		starts_with(name, ".L") ||
		/*
		 * Function padding prefixes: objtool adds __pfx_ to vmlinux.o
		 * after the object was compiled, and __cfi_ ones follow the
		 * same function either way, so they carry no information.
		 */
		starts_with(name, "__pfx_") || starts_with(name, "__cfi_");
}

static bool is_compared_local(const struct lookup_sym *sym)
{
	return sym->bind == STB_LOCAL && is_func_or_object(sym->type) &&
	       !may_differ_after_link(sym->name);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sort and drop repeats: the set of names, see lookup_match_file. */
static size_t sort_distinct(const char **names, size_t count)
{
	size_t i, kept = 0;

	qsort(names, count, sizeof(*names), compare_names);
	for (i = 0; i < count; i++)
		if (!kept || strcmp(names[kept - 1], names[i]))
			names[kept++] = names[i];
	return kept;
}

static uint64_t names_signature(const char *const *names, size_t count)
{
	uint64_t signature = count;
	size_t i;

	for (i = 0; i < count; i++)
		signature = lookup_htab_hash_mix(signature, lookup_htab_hash_string(names[i]));
	return signature;
}

static int prepare_file(struct lookup_table *table, uint32_t block)
{
	struct lookup_file *file = &table->files[block];
	size_t count = 0;
	uint32_t i;

	if (file->prepared)
		return 0;
	file->names = malloc((file->end - file->first + 1) *
			     sizeof(*file->names));
	if (!file->names)
		return -1;
	for (i = file->first; i < file->end; i++)
		if (table->syms[i].block == block &&
		    is_compared_local(&table->syms[i]))
			file->names[count++] = table->syms[i].name;
	file->nnames = sort_distinct(file->names, count);
	file->signature = names_signature(file->names, file->nnames);
	file->prepared = true;
	return 0;
}

static bool same_names(const struct lookup_file *file,
		       const char *const *names, size_t count,
		       uint64_t signature)
{
	size_t i;

	if (file->nnames != count || file->signature != signature)
		return false;
	for (i = 0; i < count; i++)
		if (strcmp(file->names[i], names[i]))
			return false;
	return true;
}

/*
 * Without FILE symbols the parent is one anonymous block holding the locals
 * of every source file linked into it (a module built from several .c
 * files), so the object's block cannot be equal to it, only contained in
 * it: match when every compared local of the object is in the block. A
 * local of another file with the same name is then indistinguishable from
 * the object's own; lookup_local refuses those (dup_in_block).
 */
static int match_anonymous(struct lookup_table *table, const char *file,
			   const char *const *names, size_t count,
			   const struct lookup_file **out,
			   char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < count; i++) {
		struct local_key key = { 0, names[i] };
		uint32_t found = lookup_htab_find(&table->locals,
						  local_hash(0, names[i]),
						  match_local, table, &key);

		/* A FUNC/OBJECT, or a name that lookup_local will refuse. */
		if (found == LOOKUP_HTAB_NONE ||
		    (!is_func_or_object(table->syms[found].type) &&
		     !table->syms[found].dup_in_block)) {
			set_error(err, errlen,
				  "couldn't find matching %s local symbols in %s symbol table: it has no FILE symbols (stripped) and no local %s",
				  file, table->path, names[i]);
			return -1;
		}
	}
	*out = &table->files[0];
	return 0;
}

/*
 * Names are compared as sets, not multisets. A repeated name inside one
 * file (two function-scope statics both called "x" where the compiler did
 * not add a suffix) is already unusable for lookup_local, so its count
 * adds nothing to identifying the block; and a set still matches when the
 * linker dropped one of two same-named copies with a discarded section,
 * where a multiset comparison would wrongly reject the right block.
 */
int lookup_match_file(struct lookup_table *table, const char *file,
		      const char *const *locals, size_t nlocals,
		      const struct lookup_file **out,
		      char *err, size_t errlen)
{
	const char **names = malloc((nlocals + 1) * sizeof(*names));
	uint32_t block, match = NO_BLOCK, first_empty = NO_BLOCK;
	size_t count = 0, i;
	uint64_t signature;
	int result = -1;

	if (!names || !file) {
		set_error(err, errlen, "%s: %s", table->path,
			  names ? "no file name to match" : "out of memory");
		free(names);
		return -1;
	}
	for (i = 0; i < nlocals; i++)
		if (locals[i] && !may_differ_after_link(locals[i]))
			names[count++] = locals[i];
	count = sort_distinct(names, count);
	if (table->anonymous) {
		result = match_anonymous(table, file, names, count, out, err,
					 errlen);
		goto out;
	}
	signature = names_signature(names, count);

	block = lookup_htab_find(&table->files_by_name, lookup_htab_hash_string(file),
			  match_file_name, table, file);
	for (; block != LOOKUP_HTAB_NONE && block != NO_BLOCK;
	     block = table->files[block].next_same_name) {
		if (prepare_file(table, block)) {
			set_error(err, errlen, "%s: out of memory",
				  table->path);
			goto out;
		}
		if (!same_names(&table->files[block], names, count, signature))
			continue;
		if (!count) {
			/* Nothing will be looked up in it: any block does. */
			if (first_empty == NO_BLOCK)
				first_empty = block;
			continue;
		}
		if (match != NO_BLOCK) {
			set_error(err, errlen,
				  "found duplicate matches for %s local symbols in %s",
				  file, table->path);
			goto out;
		}
		match = block;
	}
	if (!count) {
		*out = first_empty != NO_BLOCK ? &table->files[first_empty] :
						 &table->no_locals_file;
		result = 0;
	} else if (match == NO_BLOCK) {
		set_error(err, errlen,
			  "couldn't find matching %s local symbols in %s symbol table",
			  file, table->path);
	} else {
		*out = &table->files[match];
		result = 0;
	}
out:
	free(names);
	return result;
}

/* ---- lookups ---- */

static void fill_result(const struct lookup_table *table,
			const struct lookup_sym *sym,
			struct lookup_result *result)
{
	memset(result, 0, sizeof(*result));
	result->objname = table->objname;
	result->addr = sym->addr;
	result->size = sym->size;
}

/* The local called name in a block of this table, or LOOKUP_HTAB_NONE. */
static uint32_t find_local(const struct lookup_table *table,
			   const struct lookup_file *file, const char *name)
{
	struct local_key key;

	/* Only blocks of this table; the no-locals stand-in has none. */
	if (!file || !table->nfiles || file < table->files ||
	    file >= table->files + table->nfiles)
		return LOOKUP_HTAB_NONE;
	key.block = file - table->files;
	key.name = name;
	return lookup_htab_find(&table->locals, local_hash(key.block, name),
				match_local, table, &key);
}

bool lookup_local(const struct lookup_table *table,
		  const struct lookup_file *file, const char *name,
		  struct lookup_result *result)
{
	uint32_t found = find_local(table, file, name);

	if (found == LOOKUP_HTAB_NONE || table->syms[found].dup_in_block)
		return false;
	fill_result(table, &table->syms[found], result);
	result->sympos = table->syms[found].sympos;
	return true;
}

bool lookup_file_is_anonymous(const struct lookup_file *file)
{
	return file && file->anonymous;
}

bool lookup_local_is_ambiguous(const struct lookup_table *table,
			       const struct lookup_file *file,
			       const char *name)
{
	uint32_t found = find_local(table, file, name);

	return found != LOOKUP_HTAB_NONE && table->syms[found].dup_in_block;
}

static bool exported_by(const struct lookup_table *table, const char *name,
			const char *objname)
{
	struct lookup_export wanted = { name, objname, NULL };

	return lookup_htab_find(&table->exports_by_name, lookup_htab_hash_string(name),
			 match_export_name_and_owner, table,
			 &wanted) != LOOKUP_HTAB_NONE;
}

bool lookup_exported(const struct lookup_table *table, const char *name,
		     const char **objname)
{
	uint32_t found = lookup_htab_find(&table->exports_by_name,
				   lookup_htab_hash_string(name), match_export_name,
				   table, name);

	if (found == LOOKUP_HTAB_NONE)
		return false;
	if (objname)
		*objname = table->exports[found].objname;
	return true;
}

const char *lookup_export_namespace(const struct lookup_table *table, const char *name)
{
	uint32_t found = lookup_htab_find(&table->exports_by_name,
				   lookup_htab_hash_string(name), match_export_name,
				   table, name);

	return found == LOOKUP_HTAB_NONE ? NULL : table->exports[found].ns;
}

bool lookup_global(const struct lookup_table *table, const char *name,
		   struct lookup_result *result)
{
	uint32_t index = lookup_htab_find(&table->globals, lookup_htab_hash_string(name),
				   match_global_name, table, name);
	uint32_t strong = NO_BLOCK, weak = NO_BLOCK, chosen;
	const char *exporter;

	for (; index != LOOKUP_HTAB_NONE && index != NO_BLOCK;
	     index = table->syms[index].next_global) {
		if (table->syms[index].bind == STB_WEAK) {
			if (weak == NO_BLOCK)
				weak = index;
		} else if (strong != NO_BLOCK) {
			/* Two strong definitions: which one is meant? */
			return false;
		} else {
			strong = index;
		}
	}
	chosen = strong != NO_BLOCK ? strong : weak;
	if (chosen != NO_BLOCK) {
		fill_result(table, &table->syms[chosen], result);
		result->global = true;
		/*
		 * Only an export by the parent itself makes the reference
		 * resolvable by the module loader; a same-named export of
		 * another object would bind to the wrong symbol.
		 */
		result->exported = exported_by(table, name, table->objname);
		return true;
	}
	if (!lookup_exported(table, name, &exporter))
		return false;
	memset(result, 0, sizeof(*result));
	result->objname = exporter;
	result->global = true;
	result->exported = true;
	return true;
}
