// SPDX-License-Identifier: GPL-2.0
/*
 * The ELF model: read, index, mutate, write. See elf.h.
 */
#include "kelf.h"

#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpatch-format.h"
#include "util.h"

/* ---- hashing ---------------------------------------------------------- */

static unsigned long name_hash(const char *s)
{
	/* FNV-1a: cheap and good enough for symbol names. */
	unsigned long h = 1469598103934665603UL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211UL;
	}
	return h;
}

static size_t hash_size_for(size_t n)
{
	size_t size = 64;

	while (size < 2 * n)
		size <<= 1;
	return size;
}

static void sec_hash_insert(struct elf *elf, struct section *sec)
{
	size_t b = name_hash(sec->name) & (elf->sec_hash_size - 1);
	struct section **pp = &elf->sec_hash[b];

	/* Append so that the first section of a name stays the one found. */
	while (*pp)
		pp = &(*pp)->hash_next;
	sec->hash_next = NULL;
	*pp = sec;
}

static void sym_hash_insert(struct elf *elf, struct symbol *sym)
{
	size_t b = name_hash(sym->name) & (elf->sym_hash_size - 1);
	struct symbol **pp = &elf->sym_hash[b];

	while (*pp)
		pp = &(*pp)->hash_next;
	sym->hash_next = NULL;
	*pp = sym;
}

static void rehash_sections(struct elf *elf)
{
	free(elf->sec_hash);
	elf->sec_hash_size = hash_size_for(elf->nr_sections);
	elf->sec_hash = xcalloc(elf->sec_hash_size, sizeof(*elf->sec_hash));
	for (size_t i = 1; i < elf->nr_sections; i++)
		sec_hash_insert(elf, elf->sections[i]);
}

static void rehash_symbols(struct elf *elf)
{
	free(elf->sym_hash);
	elf->sym_hash_size = hash_size_for(elf->nr_symbols);
	elf->sym_hash = xcalloc(elf->sym_hash_size, sizeof(*elf->sym_hash));
	for (size_t i = 0; i < elf->nr_symbols; i++)
		sym_hash_insert(elf, elf->symbols[i]);
}

struct section *elf_find_section(const struct elf *elf, const char *name)
{
	struct section *sec;

	if (!elf->sec_hash)
		return NULL;
	sec = elf->sec_hash[name_hash(name) & (elf->sec_hash_size - 1)];
	for (; sec; sec = sec->hash_next)
		if (!sec->deleted && !strcmp(sec->name, name))
			return sec;
	return NULL;
}

struct symbol *elf_find_symbol(const struct elf *elf, const char *name)
{
	struct symbol *sym;

	if (!elf->sym_hash)
		return NULL;
	sym = elf->sym_hash[name_hash(name) & (elf->sym_hash_size - 1)];
	for (; sym; sym = sym->hash_next)
		if (!sym->deleted && !strcmp(sym->name, name))
			return sym;
	return NULL;
}

struct symbol *elf_find_symbol_next(const struct elf *elf, struct symbol *prev)
{
	for (struct symbol *sym = prev->hash_next; sym; sym = sym->hash_next)
		if (!sym->deleted && !strcmp(sym->name, prev->name))
			return sym;
	return NULL;
}

/* ---- helpers ---------------------------------------------------------- */

bool is_rela_section(const struct section *sec)
{
	return sec->sh.sh_type == SHT_RELA;
}

bool is_text_section(const struct section *sec)
{
	return sec->sh.sh_type == SHT_PROGBITS &&
	       (sec->sh.sh_flags & SHF_EXECINSTR);
}

bool is_debug_section(const struct section *sec)
{
	const char *name = sec->name;

	if (is_rela_section(sec) && sec->base)
		name = sec->base->name;
	return !strncmp(name, ".debug_", 7) || !strncmp(name, ".eh_frame", 9) ||
	       !strncmp(name, ".rela.debug_", 12) || !strncmp(name, ".BTF", 4) ||
	       !strncmp(name, ".gnu.debuglto", 13);
}

const char *status_name(enum status status)
{
	switch (status) {
	case STATUS_NEW: return "new";
	case STATUS_CHANGED: return "changed";
	case STATUS_SAME: return "same";
	}
	return "?";
}

static void set_err(char *err, size_t errlen, const char *path,
		    const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return;
	n = snprintf(err, errlen, "%s: ", path);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* ---- model growth ----------------------------------------------------- */

static void push_section(struct elf *elf, struct section *sec)
{
	if (sec)
		sec->elf = elf;
	if (elf->nr_sections == elf->cap_sections) {
		elf->cap_sections = elf->cap_sections ? elf->cap_sections * 2 : 64;
		elf->sections = xrealloc(elf->sections,
					 elf->cap_sections * sizeof(*elf->sections));
	}
	elf->sections[elf->nr_sections++] = sec;
}

static void push_symbol(struct elf *elf, struct symbol *sym)
{
	if (elf->nr_symbols == elf->cap_symbols) {
		elf->cap_symbols = elf->cap_symbols ? elf->cap_symbols * 2 : 256;
		elf->symbols = xrealloc(elf->symbols,
					elf->cap_symbols * sizeof(*elf->symbols));
	}
	elf->symbols[elf->nr_symbols++] = sym;
}

static struct rela *push_rela(struct section *relasec)
{
	if (relasec->nr_relas == relasec->cap_relas) {
		relasec->cap_relas = relasec->cap_relas ? relasec->cap_relas * 2 : 16;
		relasec->relas = xrealloc(relasec->relas,
					  relasec->cap_relas * sizeof(struct rela));
	}
	return memset(&relasec->relas[relasec->nr_relas++], 0, sizeof(struct rela));
}

/* ---- reading ---------------------------------------------------------- */

/*
 * Addends are added to offsets and symbol values everywhere, so one near
 * the int64 limits overflows; real ones are far smaller (even a kernel
 * address used as an addend is within 2^48 of zero as a signed number).
 */
#define MAX_ADDEND	((int64_t)1 << 62)

/* Larger than any kernel section's alignment (page or huge page). */
#define MAX_ALIGN	((uint64_t)1 << 24)

/* Weak: a program may link no machine descriptions. */
extern const struct kelf_machine *const __start_kelf_machines[] __attribute__((weak));
extern const struct kelf_machine *const __stop_kelf_machines[] __attribute__((weak));

const struct kelf_machine *elf_machine(unsigned int machine)
{
	for (const struct kelf_machine *const *m = __start_kelf_machines;
	     m < __stop_kelf_machines; m++)
		if ((*m)->machine == machine)
			return *m;
	return NULL;
}

/* Bytes a relocation writes: at least one where the machine is unknown. */
static unsigned int reloc_width(unsigned int machine, unsigned int type)
{
	const struct kelf_machine *m = elf_machine(machine);

	return m ? m->reloc_width(type) : 1;
}

bool elf_is_big_endian(const struct elf *elf)
{
	return elf->ehdr.e_ident[EI_DATA] == ELFDATA2MSB;
}

static uint64_t get_bytes(const struct elf *elf, const void *p, unsigned int n)
{
	const unsigned char *b = p;
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)b[elf_is_big_endian(elf) ? n - 1 - i : i] << (8 * i);
	return v;
}

static void put_bytes(const struct elf *elf, void *p, uint64_t v, unsigned int n)
{
	unsigned char *b = p;

	for (unsigned int i = 0; i < n; i++)
		b[elf_is_big_endian(elf) ? n - 1 - i : i] = (unsigned char)(v >> (8 * i));
}

uint16_t elf_get_u16(const struct elf *elf, const void *p) { return (uint16_t)get_bytes(elf, p, 2); }
uint32_t elf_get_u32(const struct elf *elf, const void *p) { return (uint32_t)get_bytes(elf, p, 4); }
uint64_t elf_get_u64(const struct elf *elf, const void *p) { return get_bytes(elf, p, 8); }
void elf_put_u16(const struct elf *elf, void *p, uint16_t v) { put_bytes(elf, p, v, 2); }
void elf_put_u32(const struct elf *elf, void *p, uint32_t v) { put_bytes(elf, p, v, 4); }
void elf_put_u64(const struct elf *elf, void *p, uint64_t v) { put_bytes(elf, p, v, 8); }

/* Can relocations apply to sec? Not to tables the model regenerates. */
static bool has_relocatable_bytes(const struct section *sec)
{
	switch (sec->sh.sh_type) {
	case SHT_NULL: case SHT_NOBITS: case SHT_SYMTAB: case SHT_STRTAB:
	case SHT_RELA: case SHT_REL: case SHT_GROUP: case SHT_SYMTAB_SHNDX:
		return false;
	default:
		return true;
	}
}

static int read_sections(struct elf *elf, Elf *e, off_t file_size,
			 char *err, size_t errlen)
{
	size_t shnum, shstrndx;

	if (elf_getshdrnum(e, &shnum) || elf_getshdrstrndx(e, &shstrndx)) {
		set_err(err, errlen, elf->path, "cannot read section headers: %s",
			elf_errmsg(-1));
		return -1;
	}
	if (shstrndx >= shnum) {
		set_err(err, errlen, elf->path, "section name table index %zu out of range",
			shstrndx);
		return -1;
	}

	push_section(elf, NULL);	/* index 0 */
	for (size_t i = 1; i < shnum; i++) {
		Elf_Scn *scn = elf_getscn(e, i);
		struct section *sec = xcalloc(1, sizeof(*sec));
		const char *name;

		sec->index = (unsigned int)i;
		push_section(elf, sec);
		if (!scn || !gelf_getshdr(scn, &sec->sh)) {
			set_err(err, errlen, elf->path, "section %zu: bad header: %s",
				i, elf_errmsg(-1));
			return -1;
		}
		name = elf_strptr(e, shstrndx, sec->sh.sh_name);
		if (!name) {
			set_err(err, errlen, elf->path, "section %zu: bad name offset %u",
				i, sec->sh.sh_name);
			return -1;
		}
		sec->name = xstrdup(name);
		sec->size = sec->sh.sh_size;
		if ((sec->sh.sh_addralign & (sec->sh.sh_addralign - 1)) ||
		    sec->sh.sh_addralign > MAX_ALIGN) {
			/* the writer pads the output file to it */
			set_err(err, errlen, elf->path,
				"section %s: alignment 0x%lx is not a power of two of at most 0x%lx",
				sec->name, (unsigned long)sec->sh.sh_addralign,
				(unsigned long)MAX_ALIGN);
			return -1;
		}
		if (sec->sh.sh_type == SHT_NOBITS)
			continue;
		if (sec->sh.sh_offset > (uint64_t)file_size ||
		    sec->sh.sh_size > (uint64_t)file_size - sec->sh.sh_offset) {
			set_err(err, errlen, elf->path,
				"section %s: data (offset 0x%lx, size 0x%lx) extends past the end of the file (0x%lx bytes)",
				sec->name, (unsigned long)sec->sh.sh_offset,
				(unsigned long)sec->sh.sh_size, (unsigned long)file_size);
			return -1;
		}
		if (sec->sh.sh_size) {
			Elf_Data *d = elf_rawdata(scn, NULL);

			if (!d || d->d_size != sec->sh.sh_size) {
				set_err(err, errlen, elf->path, "section %s: cannot read data: %s",
					sec->name, elf_errmsg(-1));
				return -1;
			}
			sec->data = xmalloc(d->d_size);
			memcpy(sec->data, d->d_buf, d->d_size);
		}
	}

	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];

		switch (sec->sh.sh_type) {
		case SHT_SYMTAB:
			if (elf->symtab) {
				set_err(err, errlen, elf->path, "more than one symbol table");
				return -1;
			}
			elf->symtab = sec;
			if (sec->sh.sh_link == 0 || sec->sh.sh_link >= elf->nr_sections) {
				set_err(err, errlen, elf->path, "symbol table has bad string table link %u",
					sec->sh.sh_link);
				return -1;
			}
			elf->strtab = elf->sections[sec->sh.sh_link];
			break;
		case SHT_REL:
			set_err(err, errlen, elf->path,
				"section %s: SHT_REL relocations are not supported (only RELA)",
				sec->name);
			return -1;
		case SHT_RELA:
			if (sec->sh.sh_info == 0 || sec->sh.sh_info >= elf->nr_sections) {
				set_err(err, errlen, elf->path,
					"relocation section %s applies to bad section index %u",
					sec->name, sec->sh.sh_info);
				return -1;
			}
			sec->base = elf->sections[sec->sh.sh_info];
			if (!has_relocatable_bytes(sec->base)) {
				set_err(err, errlen, elf->path,
					"relocation section %s applies to %s, which has no bytes to relocate (type %u)",
					sec->name, sec->base->name, sec->base->sh.sh_type);
				return -1;
			}
			/* a module's livepatch relocations sit beside the ordinary ones */
			if (sec->sh.sh_flags & KPATCH_SHF_RELA_LIVEPATCH)
				break;
			if (sec->base->rela) {
				set_err(err, errlen, elf->path,
					"relocation sections %s and %s both apply to %s",
					sec->base->rela->name, sec->name, sec->base->name);
				return -1;
			}
			sec->base->rela = sec;
			break;
		case SHT_GROUP:
			break;	/* sh_link is the symbol table, sh_info a symbol */
		default:
			/* kept as section pointers: the writer renumbers sections */
			if (sec->sh.sh_link >= elf->nr_sections ||
			    ((sec->sh.sh_flags & SHF_INFO_LINK) &&
			     sec->sh.sh_info >= elf->nr_sections)) {
				set_err(err, errlen, elf->path,
					"section %s: sh_link %u / sh_info %u names a section past the last (%zu)",
					sec->name, sec->sh.sh_link, sec->sh.sh_info,
					elf->nr_sections - 1);
				return -1;
			}
			if (sec->sh.sh_link)
				sec->link = elf->sections[sec->sh.sh_link];
			if ((sec->sh.sh_flags & SHF_INFO_LINK) && sec->sh.sh_info)
				sec->info_link = elf->sections[sec->sh.sh_info];
			break;
		}
	}
	elf->shstrtab = elf->sections[shstrndx];
	return 0;
}

static int read_symbols(struct elf *elf, char *err, size_t errlen)
{
	struct section *symtab = elf->symtab, *shndx_sec = NULL;
	struct symbol *current_file = NULL;
	size_t count;

	if (!symtab) {
		set_err(err, errlen, elf->path, "no symbol table (.symtab); was it stripped?");
		return -1;
	}
	if (symtab->sh.sh_entsize != sizeof(Elf64_Sym) ||
	    symtab->size % sizeof(Elf64_Sym)) {
		set_err(err, errlen, elf->path, "symbol table has bad entry size %lu",
			(unsigned long)symtab->sh.sh_entsize);
		return -1;
	}
	for (size_t i = 1; i < elf->nr_sections; i++)
		if (elf->sections[i]->sh.sh_type == SHT_SYMTAB_SHNDX)
			shndx_sec = elf->sections[i];

	count = symtab->size / sizeof(Elf64_Sym);
	if (!count) {
		set_err(err, errlen, elf->path, "symbol table %s is empty (not even the null symbol)",
			symtab->name);
		return -1;
	}
	if (shndx_sec && shndx_sec->size < count * sizeof(Elf32_Word)) {
		set_err(err, errlen, elf->path, "extended section index table is too short");
		return -1;
	}
	if (!elf->strtab->data || elf->strtab->sh.sh_type != SHT_STRTAB) {
		set_err(err, errlen, elf->path, "symbol string table is missing or not a string table");
		return -1;
	}

	for (size_t i = 0; i < count; i++) {
		const Elf64_Sym *raw = (const Elf64_Sym *)symtab->data + i;
		struct symbol *sym = xcalloc(1, sizeof(*sym));
		Elf32_Word xndx = shndx_sec ? ((const Elf32_Word *)shndx_sec->data)[i] : 0;
		unsigned int shndx;
		const char *name;

		sym->index = (unsigned int)i;
		push_symbol(elf, sym);
		sym->sym = *raw;
		if (sym->sym.st_name >= elf->strtab->size) {
			set_err(err, errlen, elf->path, "symbol %zu: name offset %u out of range",
				i, sym->sym.st_name);
			return -1;
		}
		name = (const char *)elf->strtab->data + sym->sym.st_name;
		if (!memchr(name, 0, elf->strtab->size - sym->sym.st_name)) {
			set_err(err, errlen, elf->path, "symbol %zu: unterminated name", i);
			return -1;
		}
		sym->bind = GELF_ST_BIND(sym->sym.st_info);
		sym->type = GELF_ST_TYPE(sym->sym.st_info);
		shndx = sym->sym.st_shndx;
		if (shndx == SHN_XINDEX)
			shndx = xndx;
		if (shndx != SHN_UNDEF && (shndx < SHN_LORESERVE || sym->sym.st_shndx == SHN_XINDEX)) {
			if (shndx >= elf->nr_sections) {
				set_err(err, errlen, elf->path,
					"symbol %s (index %zu) refers to section %u, but there are only %zu",
					name, i, shndx, elf->nr_sections);
				return -1;
			}
			sym->sec = elf->sections[shndx];
			if (sym->sym.st_value > sym->sec->size ||
			    sym->sym.st_size > sym->sec->size - sym->sym.st_value) {
				set_err(err, errlen, elf->path,
					"symbol %s (index %zu, offset 0x%lx, size 0x%lx) extends past the end of section %s (size 0x%lx)",
					name, i, (unsigned long)sym->sym.st_value,
					(unsigned long)sym->sym.st_size, sym->sec->name,
					(unsigned long)sym->sec->size);
				return -1;
			}
		}
		if (sym->type == STT_FILE)
			current_file = sym;
		else if (sym->bind == STB_LOCAL)
			sym->file = current_file;
		if (sym->type == STT_SECTION && sym->sec) {
			sym->name = xstrdup(sym->sec->name);
			if (!sym->sec->secsym)
				sym->sec->secsym = sym;
		} else {
			sym->name = xstrdup(name);
		}
	}
	return 0;
}

static int read_relas(struct elf *elf, char *err, size_t errlen)
{
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];
		size_t count;

		if (!is_rela_section(sec))
			continue;
		if (elf->symtab && sec->sh.sh_link != elf->symtab->index) {
			set_err(err, errlen, elf->path,
				"relocation section %s does not link to the symbol table", sec->name);
			return -1;
		}
		if (sec->sh.sh_entsize != sizeof(Elf64_Rela) || sec->size % sizeof(Elf64_Rela)) {
			set_err(err, errlen, elf->path, "relocation section %s has bad entry size",
				sec->name);
			return -1;
		}
		count = sec->size / sizeof(Elf64_Rela);
		sec->relas = xcalloc(count ? count : 1, sizeof(struct rela));
		sec->cap_relas = count ? count : 1;
		for (size_t j = 0; j < count; j++) {
			const Elf64_Rela r = ((const Elf64_Rela *)sec->data)[j];
			struct rela *rela = push_rela(sec);
			unsigned int width;
			size_t symidx;

			symidx = GELF_R_SYM(r.r_info);
			if (symidx >= elf->nr_symbols) {
				set_err(err, errlen, elf->path,
					"%s: entry %zu refers to symbol %zu, but there are only %zu",
					sec->name, j, symidx, elf->nr_symbols);
				return -1;
			}
			width = reloc_width(elf->ehdr.e_machine, (unsigned int)GELF_R_TYPE(r.r_info));
			if (r.r_offset >= sec->base->size ||
			    width > sec->base->size - r.r_offset) {
				set_err(err, errlen, elf->path,
					"%s: entry %zu (type %u, %u bytes at offset 0x%lx) is outside %s (size 0x%lx)",
					sec->name, j, (unsigned int)GELF_R_TYPE(r.r_info), width,
					(unsigned long)r.r_offset, sec->base->name,
					(unsigned long)sec->base->size);
				return -1;
			}
			if (r.r_addend > MAX_ADDEND || r.r_addend < -MAX_ADDEND) {
				set_err(err, errlen, elf->path,
					"%s: entry %zu at offset 0x%lx has an addend (%ld) no compiler would emit",
					sec->name, j, (unsigned long)r.r_offset, (long)r.r_addend);
				return -1;
			}
			rela->sec = sec;
			rela->sym = elf->symbols[symidx];
			rela->offset = r.r_offset;
			rela->addend = r.r_addend;
			rela->type = (unsigned int)GELF_R_TYPE(r.r_info);
		}
		elf_sort_relas(sec);
	}
	return 0;
}

/*
 * The raw section bytes are in the file's byte order. Translate the typed
 * tables (symbols, relocations) into memory order once so gelf_* accessors
 * on our own Elf_Data see native values.
 */
static int translate_tables(struct elf *elf, Elf *e, char *err, size_t errlen)
{
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];
		Elf_Type type;
		Elf_Data src, dst;

		switch (sec->sh.sh_type) {
		case SHT_SYMTAB: type = ELF_T_SYM; break;
		case SHT_RELA: type = ELF_T_RELA; break;
		case SHT_SYMTAB_SHNDX: type = ELF_T_WORD; break;
		case SHT_GROUP: type = ELF_T_WORD; break;
		default: continue;
		}
		if (!sec->data)
			continue;
		src = (Elf_Data){ .d_buf = sec->data, .d_size = sec->size,
				  .d_type = type, .d_version = EV_CURRENT };
		dst = src;
		dst.d_buf = xmalloc(sec->size);
		if (!gelf_xlatetom(e, &dst, &src, elf->ehdr.e_ident[EI_DATA])) {
			set_err(err, errlen, elf->path, "section %s: cannot decode: %s",
				sec->name, elf_errmsg(-1));
			free(dst.d_buf);
			return -1;
		}
		free(sec->data);
		sec->data = dst.d_buf;
	}
	return 0;
}

static int sym_offset_cmp(const void *a, const void *b)
{
	const struct symbol *x = *(struct symbol * const *)a;
	const struct symbol *y = *(struct symbol * const *)b;

	if (x->sym.st_value != y->sym.st_value)
		return x->sym.st_value < y->sym.st_value ? -1 : 1;
	return x->index < y->index ? -1 : (x->index > y->index);
}

void elf_index_symbols(struct elf *elf)
{
	size_t *counts = xcalloc(elf->nr_sections, sizeof(*counts));

	for (size_t i = 0; i < elf->nr_symbols; i++) {
		struct symbol *sym = elf->symbols[i];

		if (sym->sec && !sym->deleted && sym->type != STT_SECTION)
			counts[sym->sec->index]++;
	}
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];

		sec->index = (unsigned int)i;
		free(sec->syms);
		sec->syms = counts[i] ? xcalloc(counts[i], sizeof(*sec->syms)) : NULL;
		sec->nr_syms = 0;
	}
	for (size_t i = 0; i < elf->nr_symbols; i++) {
		struct symbol *sym = elf->symbols[i];

		sym->index = (unsigned int)i;
		if (sym->sec && !sym->deleted && sym->type != STT_SECTION)
			sym->sec->syms[sym->sec->nr_syms++] = sym;
	}
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];

		if (sec->nr_syms > 1)
			qsort(sec->syms, sec->nr_syms, sizeof(*sec->syms), sym_offset_cmp);
	}
	free(counts);
}

struct symbol *elf_symbol_containing(const struct section *sec, uint64_t offset)
{
	size_t lo = 0, hi = sec->nr_syms;

	/* Find the first symbol starting after offset... */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sec->syms[mid]->sym.st_value <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* ...then walk back to the nearest one that covers it. */
	while (lo-- > 0) {
		struct symbol *sym = sec->syms[lo];

		if (sym->type == STT_FILE || sym->type == STT_SECTION)
			continue;
		if (offset < sym->sym.st_value + sym->sym.st_size ||
		    (sym->sym.st_size == 0 && offset == sym->sym.st_value))
			return sym;
	}
	return NULL;
}

static int rela_offset_cmp(const void *a, const void *b)
{
	const struct rela *x = a, *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	/* keep the original order of same-offset entries (stable) */
	return x->priv < y->priv ? -1 : (x->priv > y->priv);
}

void elf_sort_relas(struct section *relasec)
{
	/* (an empty section may have no array: qsort's pointer must not be NULL) */
	if (relasec->nr_relas < 2)
		return;
	/* qsort is not stable: tag entries with their position first. */
	for (size_t i = 0; i < relasec->nr_relas; i++)
		relasec->relas[i].priv = (void *)(uintptr_t)i;
	qsort(relasec->relas, relasec->nr_relas, sizeof(struct rela), rela_offset_cmp);
	for (size_t i = 0; i < relasec->nr_relas; i++)
		relasec->relas[i].priv = NULL;
}

struct rela *elf_rela_at_or_after(const struct section *base, uint64_t start)
{
	const struct section *rs = base->rela;
	size_t lo = 0, hi;

	if (!rs || rs->deleted)
		return NULL;
	hi = rs->nr_relas;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rs->relas[mid].offset < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < rs->nr_relas ? &rs->relas[lo] : NULL;
}

struct rela *elf_rela_at(const struct section *base, uint64_t offset)
{
	struct rela *rela = elf_rela_at_or_after(base, offset);

	return rela && rela->offset == offset ? rela : NULL;
}

struct elf *elf_read(const char *path, char *err, size_t errlen)
{
	struct elf *elf = xcalloc(1, sizeof(*elf));
	struct stat st;
	Elf *e = NULL;
	int fd;

	elf->path = xstrdup(path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		set_err(err, errlen, path, "cannot open: %s", strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st)) {
		set_err(err, errlen, path, "cannot stat: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		set_err(err, errlen, path, "not a regular file");
		goto fail;
	}
	if (st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		set_err(err, errlen, path, "not an ELF file (only %ld bytes)", (long)st.st_size);
		goto fail;
	}
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		set_err(err, errlen, path, "not an ELF file");
		goto fail;
	}
	if (gelf_getclass(e) != ELFCLASS64) {
		set_err(err, errlen, path, "not a 64-bit ELF object (only 64-bit kernels are supported)");
		goto fail;
	}
	if (!gelf_getehdr(e, &elf->ehdr)) {
		set_err(err, errlen, path, "cannot read the ELF header: %s", elf_errmsg(-1));
		goto fail;
	}
	if (elf->ehdr.e_type != ET_REL) {
		set_err(err, errlen, path, "not a relocatable object (ELF type %u, want ET_REL)",
			elf->ehdr.e_type);
		goto fail;
	}
	if (elf->ehdr.e_phnum) {
		set_err(err, errlen, path, "object contains program headers");
		goto fail;
	}
	if (elf->ehdr.e_shoff > (uint64_t)st.st_size ||
	    (uint64_t)elf->ehdr.e_shnum * elf->ehdr.e_shentsize >
		    (uint64_t)st.st_size - elf->ehdr.e_shoff) {
		set_err(err, errlen, path, "section header table extends past the end of the file (truncated?)");
		goto fail;
	}
	if (read_sections(elf, e, st.st_size, err, errlen) ||
	    translate_tables(elf, e, err, errlen) ||
	    read_symbols(elf, err, errlen) || read_relas(elf, err, errlen))
		goto fail;

	/* Group member lists and the extended index table are regenerated. */
	for (size_t i = 1; i < elf->nr_sections; i++)
		if (elf->sections[i]->sh.sh_type == SHT_SYMTAB_SHNDX)
			elf->sections[i]->deleted = true;

	elf_end(e);
	close(fd);
	rehash_sections(elf);
	rehash_symbols(elf);
	elf_index_symbols(elf);
	return elf;

fail:
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
	elf_free(elf);
	return NULL;
}

struct elf *elf_create_like(const struct elf *like, const char *path)
{
	struct elf *elf = xcalloc(1, sizeof(*elf));
	struct symbol *null = xcalloc(1, sizeof(*null));

	elf->path = xstrdup(path);
	elf->ehdr = like->ehdr;
	elf->ehdr.e_shnum = 0;
	elf->ehdr.e_shstrndx = 0;
	push_section(elf, NULL);
	null->name = xstrdup("");
	push_symbol(elf, null);
	rehash_sections(elf);
	rehash_symbols(elf);
	return elf;
}

void elf_free(struct elf *elf)
{
	if (!elf)
		return;
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];

		if (!sec)
			continue;
		free(sec->name);
		free(sec->data);
		free(sec->relas);
		free(sec->syms);
		free(sec->priv);
		free(sec);
	}
	for (size_t i = 0; i < elf->nr_symbols; i++) {
		struct symbol *sym = elf->symbols[i];

		if (!sym)
			continue;
		free(sym->name);
		free(sym->children);
		free(sym->priv);
		free(sym);
	}
	free(elf->sections);
	free(elf->symbols);
	free(elf->sec_hash);
	free(elf->sym_hash);
	free((char *)elf->path);
	free(elf);
}

/* ---- mutation --------------------------------------------------------- */

void elf_rename_section(struct elf *elf, struct section *sec, const char *name)
{
	struct section **pp = &elf->sec_hash[name_hash(sec->name) & (elf->sec_hash_size - 1)];

	while (*pp && *pp != sec)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = sec->hash_next;
	free(sec->name);
	sec->name = xstrdup(name);
	sec_hash_insert(elf, sec);
	if (sec->secsym && sec->secsym->type == STT_SECTION)
		elf_rename_symbol(elf, sec->secsym, name);
}

void elf_rename_symbol(struct elf *elf, struct symbol *sym, const char *name)
{
	struct symbol **pp = &elf->sym_hash[name_hash(sym->name) & (elf->sym_hash_size - 1)];

	if (!strcmp(sym->name, name))
		return;
	while (*pp && *pp != sym)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = sym->hash_next;
	free(sym->name);
	sym->name = xstrdup(name);
	sym_hash_insert(elf, sym);
}

struct section *elf_add_section(struct elf *elf, const char *name,
				GElf_Word type, GElf_Xword flags,
				GElf_Xword align, GElf_Xword entsize,
				const void *data, uint64_t size)
{
	struct section *sec = xcalloc(1, sizeof(*sec));

	sec->name = xstrdup(name);
	sec->sh.sh_type = type;
	sec->sh.sh_flags = flags;
	sec->sh.sh_addralign = align;
	sec->sh.sh_entsize = entsize;
	sec->sh.sh_size = size;
	sec->size = size;
	if (type != SHT_NOBITS && size) {
		sec->data = xmalloc(size);
		if (data)
			memcpy(sec->data, data, size);
		else
			memset(sec->data, 0, size);
	}
	sec->index = (unsigned int)elf->nr_sections;
	sec->status = STATUS_NEW;
	push_section(elf, sec);
	if (elf->nr_sections * 2 > elf->sec_hash_size)
		rehash_sections(elf);
	else
		sec_hash_insert(elf, sec);
	return sec;
}

struct section *elf_rela_section_for(struct elf *elf, struct section *base)
{
	struct section *rs;
	char *name;

	if (base->rela && !base->rela->deleted)
		return base->rela;
	name = xasprintf(".rela%s", base->name);
	rs = elf_add_section(elf, name, SHT_RELA, SHF_INFO_LINK, 8,
			     sizeof(Elf64_Rela), NULL, 0);
	free(name);
	rs->base = base;
	base->rela = rs;
	return rs;
}

struct symbol *elf_add_symbol(struct elf *elf, const char *name,
			      unsigned char bind, unsigned char type,
			      struct section *sec, GElf_Addr value,
			      GElf_Xword size)
{
	struct symbol *sym = xcalloc(1, sizeof(*sym));

	sym->name = xstrdup(name);
	sym->bind = bind;
	sym->type = type;
	sym->sec = sec;
	sym->sym.st_info = GELF_ST_INFO(bind, type);
	sym->sym.st_value = value;
	sym->sym.st_size = size;
	sym->index = (unsigned int)elf->nr_symbols;
	sym->status = STATUS_NEW;
	push_symbol(elf, sym);
	if (type == STT_SECTION && sec && !sec->secsym)
		sec->secsym = sym;
	if (elf->nr_symbols * 2 > elf->sym_hash_size)
		rehash_symbols(elf);
	else
		sym_hash_insert(elf, sym);
	return sym;
}

struct rela *elf_add_rela(struct section *relasec, struct symbol *sym,
			  uint64_t offset, int64_t addend, unsigned int type)
{
	struct rela *rela = push_rela(relasec);

	rela->sec = relasec;
	rela->sym = sym;
	rela->offset = offset;
	rela->addend = addend;
	rela->type = type;
	return rela;
}

void elf_remove_rela(struct section *relasec, struct rela *rela)
{
	size_t i = (size_t)(rela - relasec->relas);

	memmove(rela, rela + 1, (relasec->nr_relas - i - 1) * sizeof(*rela));
	relasec->nr_relas--;
}

uint64_t elf_append_data(struct section *sec, const void *data, uint64_t size,
			 uint64_t align)
{
	uint64_t offset = sec->size;

	if (align > 1)
		offset = (offset + align - 1) & ~(align - 1);
	if (sec->sh.sh_type != SHT_NOBITS) {
		sec->data = xrealloc(sec->data, offset + size ? offset + size : 1);
		memset(sec->data + sec->size, 0, offset - sec->size);
		if (data)
			memcpy(sec->data + offset, data, size);
		else
			memset(sec->data + offset, 0, size);
	}
	sec->size = offset + size;
	sec->sh.sh_size = sec->size;
	if (align > sec->sh.sh_addralign)
		sec->sh.sh_addralign = align;
	return offset;
}

/* ---- writing ---------------------------------------------------------- */

struct strtab_builder {
	char *buf;
	size_t len, cap;
	/* name -> offset, to share identical names */
	char **keys;
	size_t *offs;
	size_t hsize, count;
};

static void sb_init(struct strtab_builder *sb, size_t expected)
{
	memset(sb, 0, sizeof(*sb));
	sb->hsize = hash_size_for(expected + 1);
	sb->keys = xcalloc(sb->hsize, sizeof(*sb->keys));
	sb->offs = xcalloc(sb->hsize, sizeof(*sb->offs));
	sb->cap = 4096;
	sb->buf = xmalloc(sb->cap);
	sb->buf[0] = '\0';
	sb->len = 1;
}

static size_t sb_add(struct strtab_builder *sb, const char *s)
{
	size_t b, n;

	if (!*s)
		return 0;
	b = name_hash(s) & (sb->hsize - 1);
	while (sb->keys[b]) {
		if (!strcmp(sb->keys[b], s))
			return sb->offs[b];
		b = (b + 1) & (sb->hsize - 1);
	}
	n = strlen(s) + 1;
	while (sb->len + n > sb->cap) {
		sb->cap *= 2;
		sb->buf = xrealloc(sb->buf, sb->cap);
	}
	memcpy(sb->buf + sb->len, s, n);
	/* buf may move as it grows, so the key is a copy */
	sb->keys[b] = xstrdup(s);
	sb->offs[b] = sb->len;
	sb->len += n;
	sb->count++;
	return sb->offs[b];
}

static void sb_free(struct strtab_builder *sb)
{
	for (size_t i = 0; i < sb->hsize; i++)
		free(sb->keys[i]);
	free(sb->keys);
	free(sb->offs);
	free(sb->buf);
}

struct out_indexes {
	struct section **secs;
	size_t nsecs;
	unsigned int symtab, strtab, shstrtab;
};

/* A section's index in the output, 0 if it is not written. */
static unsigned int out_index(const struct elf *elf, const struct out_indexes *o,
			      const struct section *sec)
{
	if (!sec || sec->deleted)
		return 0;
	if (sec == elf->symtab)
		return o->symtab;
	if (sec == elf->strtab)
		return o->strtab;
	if (sec == elf->shstrtab)
		return o->shstrtab;
	return sec->index < o->nsecs && o->secs[sec->index] == sec ? sec->index : 0;
}

static int libelf_error(char *err, size_t errlen, const char *path, const char *what)
{
	set_err(err, errlen, path, "libelf: %s: %s", what, elf_errmsg(-1));
	return -1;
}

static bool sym_is_local(const struct symbol *sym)
{
	return sym->bind == STB_LOCAL;
}

int elf_write(struct elf *elf, const char *path, char *err, size_t errlen)
{
	struct section **out_secs = NULL;
	struct symbol **out_syms = NULL;
	size_t nsecs = 0, nsyms = 0, nlocals = 0;
	struct strtab_builder shstr, str;
	Elf64_Sym *symdata = NULL;
	unsigned int symtab_idx, strtab_idx, shstrtab_idx;
	char *tmp = NULL;
	Elf *e = NULL;
	int fd = -1, ret = -1;
	void **owned = NULL;
	struct out_indexes oi;

	/* Sections: every live one except the tables regenerated here. */
	out_secs = xcalloc(elf->nr_sections + 4, sizeof(*out_secs));
	out_secs[nsecs++] = NULL;
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];

		if (sec->deleted || sec == elf->symtab || sec == elf->strtab ||
		    sec == elf->shstrtab || sec->sh.sh_type == SHT_SYMTAB_SHNDX)
			continue;
		if (is_rela_section(sec) && (!sec->base || sec->base->deleted))
			continue;
		sec->index = (unsigned int)nsecs;
		out_secs[nsecs++] = sec;
	}
	symtab_idx = (unsigned int)nsecs++;
	strtab_idx = (unsigned int)nsecs++;
	shstrtab_idx = (unsigned int)nsecs++;
	if (nsecs >= SHN_LORESERVE) {
		set_err(err, errlen, path, "too many sections (%zu)", nsecs);
		goto out;
	}

	/* Symbols: NULL, locals, globals; model order within each group. */
	out_syms = xcalloc(elf->nr_symbols + 1, sizeof(*out_syms));
	out_syms[nsyms++] = elf->symbols[0];
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 1; i < elf->nr_symbols; i++) {
			struct symbol *sym = elf->symbols[i];

			if (sym->deleted || sym->strip)
				continue;
			if (sym->sec && (sym->sec->deleted || !sym->sec->index ||
					 out_secs[sym->sec->index] != sym->sec)) {
				if (sym->type == STT_SECTION)
					continue;	/* section dropped with its symbol */
			}
			if (sym_is_local(sym) != (pass == 0))
				continue;
			out_syms[nsyms++] = sym;
		}
		if (pass == 0)
			nlocals = nsyms;
	}
	for (size_t i = 0; i < nsyms; i++)
		out_syms[i]->index = (unsigned int)i;

	sb_init(&shstr, nsecs);
	sb_init(&str, nsyms);
	symdata = xcalloc(nsyms, sizeof(*symdata));
	for (size_t i = 1; i < nsyms; i++) {
		struct symbol *sym = out_syms[i];
		Elf64_Sym *s = &symdata[i];
		bool sec_live = sym->sec && !sym->sec->deleted &&
				sym->sec->index < nsecs && out_secs[sym->sec->index] == sym->sec;

		s->st_name = sym->type == STT_SECTION ? 0 : (Elf64_Word)sb_add(&str, sym->name);
		s->st_info = GELF_ST_INFO(sym->bind, sym->type);
		s->st_other = sym->sym.st_other;
		s->st_value = sym->sym.st_value;
		s->st_size = sym->sym.st_size;
		if (sec_live)
			s->st_shndx = (Elf64_Half)sym->sec->index;
		else if (sym->sec)
			s->st_shndx = SHN_UNDEF;	/* its section was not kept */
		else if (sym->sym.st_shndx >= SHN_LORESERVE && sym->sym.st_shndx != SHN_XINDEX)
			s->st_shndx = sym->sym.st_shndx;	/* ABS, COMMON, LIVEPATCH */
		else
			s->st_shndx = SHN_UNDEF;
		if (s->st_shndx == SHN_UNDEF && sym->type != STT_SECTION && sym->sec) {
			s->st_value = 0;
			s->st_size = 0;
		}
	}

	tmp = xasprintf("%s.tmpXXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		set_err(err, errlen, path, "cannot create a temporary file: %s", strerror(errno));
		goto out_tables;
	}
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_WRITE, NULL);
	if (!e || !gelf_newehdr(e, ELFCLASS64)) {
		libelf_error(err, errlen, path, "cannot create the ELF header");
		goto out_tables;
	}
	{
		GElf_Ehdr eh;

		if (!gelf_getehdr(e, &eh)) {
			libelf_error(err, errlen, path, "cannot read back the ELF header");
			goto out_tables;
		}
		memcpy(eh.e_ident, elf->ehdr.e_ident, EI_NIDENT);
		eh.e_type = ET_REL;
		eh.e_machine = elf->ehdr.e_machine;
		eh.e_version = EV_CURRENT;
		eh.e_flags = elf->ehdr.e_flags;
		eh.e_shstrndx = (Elf64_Half)shstrtab_idx;
		if (!gelf_update_ehdr(e, &eh)) {
			libelf_error(err, errlen, path, "cannot update the ELF header");
			goto out_tables;
		}
	}
	oi = (struct out_indexes){ out_secs, nsecs, symtab_idx, strtab_idx, shstrtab_idx };

	owned = xcalloc(nsecs, sizeof(*owned));
	for (size_t i = 1; i < nsecs; i++) {
		Elf_Scn *scn = elf_newscn(e);
		Elf_Data *d = elf_newdata(scn);
		GElf_Shdr sh;

		if (!scn || !d || !gelf_getshdr(scn, &sh)) {
			libelf_error(err, errlen, path, "cannot add a section");
			goto out_tables;
		}
		d->d_version = EV_CURRENT;
		d->d_type = ELF_T_BYTE;
		d->d_off = 0;

		if (i == symtab_idx) {
			sh.sh_name = (Elf64_Word)sb_add(&shstr, ".symtab");
			sh.sh_type = SHT_SYMTAB;
			sh.sh_entsize = sizeof(Elf64_Sym);
			sh.sh_addralign = 8;
			sh.sh_link = strtab_idx;
			sh.sh_info = (Elf64_Word)nlocals;
			d->d_buf = symdata;
			d->d_size = nsyms * sizeof(Elf64_Sym);
			d->d_type = ELF_T_SYM;
			d->d_align = 8;
		} else if (i == strtab_idx) {
			sh.sh_name = (Elf64_Word)sb_add(&shstr, ".strtab");
			sh.sh_type = SHT_STRTAB;
			sh.sh_addralign = 1;
			d->d_buf = str.buf;
			d->d_size = str.len;
			d->d_align = 1;
		} else if (i == shstrtab_idx) {
			sh.sh_name = (Elf64_Word)sb_add(&shstr, ".shstrtab");
			sh.sh_type = SHT_STRTAB;
			sh.sh_addralign = 1;
			d->d_buf = shstr.buf;
			d->d_size = shstr.len;
			d->d_align = 1;
		} else {
			struct section *sec = out_secs[i];

			sh = sec->sh;
			sh.sh_name = (Elf64_Word)sb_add(&shstr, sec->name);
			sh.sh_offset = 0;
			sh.sh_addr = 0;
			sh.sh_size = sec->size;
			d->d_align = sec->sh.sh_addralign ? sec->sh.sh_addralign : 1;
			if (is_rela_section(sec)) {
				Elf64_Rela *r = xcalloc(sec->nr_relas ? sec->nr_relas : 1,
							sizeof(*r));

				for (size_t j = 0; j < sec->nr_relas; j++) {
					struct rela *rela = &sec->relas[j];

					r[j].r_offset = rela->offset;
					r[j].r_info = GELF_R_INFO(rela->sym ? rela->sym->index : 0,
								  rela->type);
					r[j].r_addend = rela->addend;
				}
				owned[i] = r;
				sh.sh_link = symtab_idx;
				sh.sh_info = sec->base->index;
				sh.sh_entsize = sizeof(Elf64_Rela);
				sh.sh_size = sec->nr_relas * sizeof(Elf64_Rela);
				sh.sh_flags |= SHF_INFO_LINK;
				d->d_buf = r;
				d->d_size = sh.sh_size;
				d->d_type = ELF_T_RELA;
				d->d_align = 8;
			} else if (sec->sh.sh_type == SHT_GROUP) {
				/* [flags, member indexes...]: remap the members */
				Elf32_Word *w = xmalloc(sec->size ? sec->size : 4);
				size_t n = sec->size / 4;

				if (sec->data)	/* NULL when empty */
					memcpy(w, sec->data, sec->size);
				for (size_t j = 1; j < n; j++) {
					struct section *m = w[j] < elf->nr_sections ?
						elf->sections[w[j]] : NULL;

					w[j] = m && !m->deleted ? m->index : 0;
				}
				owned[i] = w;
				sh.sh_link = symtab_idx;
				sh.sh_info = sec->secsym ? sec->secsym->index : sh.sh_info;
				d->d_buf = w;
				d->d_size = sec->size;
				d->d_type = ELF_T_WORD;
				d->d_align = 4;
			} else {
				/* NOBITS: d_buf stays NULL; libelf takes sh_size from d_size */
				d->d_buf = sec->data;
				d->d_size = sec->size;
				sh.sh_link = out_index(elf, &oi, sec->link);
				if (sec->sh.sh_flags & SHF_INFO_LINK)
					sh.sh_info = out_index(elf, &oi, sec->info_link);
			}
			if (sec->sh.sh_type == SHT_NOBITS)
				sh.sh_size = sec->size;
		}
		if (!gelf_update_shdr(scn, &sh)) {
			libelf_error(err, errlen, path, "cannot set a section header");
			goto out_tables;
		}
	}
	/* The section name table is sized only now that every name is in. */
	{
		Elf_Scn *scn = elf_getscn(e, shstrtab_idx);
		Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
		GElf_Shdr sh;

		if (!d || !gelf_getshdr(scn, &sh)) {
			libelf_error(err, errlen, path, "cannot find the section name table");
			goto out_tables;
		}
		d->d_buf = shstr.buf;
		d->d_size = shstr.len;
		sh.sh_size = shstr.len;
		if (!gelf_update_shdr(scn, &sh)) {
			libelf_error(err, errlen, path, "cannot size the section name table");
			goto out_tables;
		}
	}

	if (elf_update(e, ELF_C_WRITE) < 0) {
		set_err(err, errlen, path, "cannot write: %s", elf_errmsg(-1));
		goto out_tables;
	}
	elf_end(e);
	e = NULL;
	if (fchmod(fd, 0644) || close(fd)) {
		fd = -1;
		set_err(err, errlen, path, "cannot write: %s", strerror(errno));
		goto out_tables;
	}
	fd = -1;
	if (rename(tmp, path)) {
		set_err(err, errlen, path, "cannot rename into place: %s", strerror(errno));
		goto out_tables;
	}
	ret = 0;

	/* Keep the model's indexes meaningful for callers after a write. */
	for (size_t i = 1; i < nsecs; i++)
		if (out_secs[i])
			out_secs[i]->index = (unsigned int)i;

out_tables:
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
	if (ret && tmp)
		unlink(tmp);
	for (size_t i = 0; owned && i < nsecs; i++)
		free(owned[i]);
	free(owned);
	free(symdata);
	sb_free(&shstr);
	sb_free(&str);
out:
	free(tmp);
	free(out_secs);
	free(out_syms);
	return ret;
}
