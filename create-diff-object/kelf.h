/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one ELF model of the project: a relocatable object read with libelf
 * into sections, symbols and relocations, indexed so that nothing needs a
 * linear scan (names hashed, symbols per section sorted by offset,
 * relocations per section sorted by offset), mutable, and written back out
 * as a fresh file. create-diff-object and create-klp-module both use it.
 */
#ifndef KPATCH_KELF_H
#define KPATCH_KELF_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum status { STATUS_NEW, STATUS_CHANGED, STATUS_SAME };

struct symbol;
struct rela;

struct section {
	struct elf *elf;		/* the model it belongs to (its byte order) */
	char *name;
	unsigned int index;		/* index in the file it came from / is written to */
	GElf_Shdr sh;			/* sh_link/sh_info/sh_offset are recomputed on write */
	unsigned char *data;		/* sh_size bytes; NULL for NOBITS; owned by the model */
	uint64_t size;			/* == sh.sh_size */

	struct section *base;		/* rela section: the section it relocates */
	struct section *rela;		/* section with relocations: its rela section */
	struct section *link;		/* sh_link target (not for SYMTAB/RELA/GROUP) */
	struct section *info_link;	/* sh_info target of an SHF_INFO_LINK section
					   other than RELA */
	struct symbol *secsym;		/* its STT_SECTION symbol, if any */
	struct symbol *bundled;		/* the one FUNC/OBJECT a -ffunction/-fdata-sections
					   section was made for, if any */

	struct rela *relas;		/* rela section: entries, sorted by offset */
	size_t nr_relas, cap_relas;

	struct symbol **syms;		/* symbols defined here, sorted by (offset, index) */
	size_t nr_syms;

	/* differ state */
	struct section *twin;
	enum status status;
	bool include;
	bool ignore;
	bool grouped;
	bool deleted;			/* dropped from the model; skipped by the writer */
	void *priv;			/* user data: one malloc'd block, freed with the model */

	struct section *hash_next;	/* name hash chain */
};

struct symbol {
	char *name;
	unsigned int index;
	GElf_Sym sym;			/* st_shndx is recomputed on write from sec */
	unsigned char bind, type;
	struct section *sec;		/* NULL for UNDEF/ABS/COMMON/special */
	struct symbol *file;		/* local: the STT_FILE symbol before it */

	/* differ state */
	struct symbol *twin;
	struct symbol *parent;		/* foo for foo.cold / foo.part.N */
	struct symbol **children;
	size_t nr_children;
	struct symbol *pfx;		/* __pfx_foo / __cfi_foo for foo */
	bool is_pfx;
	bool has_fentry;		/* starts with an ftrace call site */
	int64_t fentry_offset;		/* where that site is, from the symbol */
	bool via_callers;		/* no ftrace site: its callers are patched instead */
	enum status status;
	bool include;
	bool strip;
	bool deleted;
	void *priv;			/* user data: one malloc'd block, freed with the model */

	struct symbol *hash_next;	/* name hash chain (all same-named symbols
					   are reachable through it, in index order) */
};

struct rela {
	struct section *sec;		/* the rela section holding it */
	struct symbol *sym;
	uint64_t offset;
	int64_t addend;
	unsigned int type;
	void *priv;
};

struct elf {
	const char *path;		/* for messages */
	GElf_Ehdr ehdr;
	struct section **sections;	/* by position; [0] is never used (NULL section) */
	size_t nr_sections, cap_sections;
	struct symbol **symbols;	/* by position; [0] is the NULL symbol */
	size_t nr_symbols, cap_symbols;
	struct section *symtab, *strtab, *shstrtab;

	struct section **sec_hash;
	struct symbol **sym_hash;
	size_t sec_hash_size, sym_hash_size;
};

/*
 * Read a relocatable ELF file. Every structural problem (not ELF, truncated,
 * section data outside the file, symbol or relocation indexes out of range,
 * program headers in an object) is an error: NULL is returned and one line
 * naming the file and the problem is written into err.
 */
struct elf *elf_read(const char *path, char *err, size_t errlen);

/* An empty model for a new relocatable object of the same class/machine. */
struct elf *elf_create_like(const struct elf *like, const char *path);

void elf_free(struct elf *elf);

/* Lookups: O(1) average by name, O(log n) by offset. */
struct section *elf_find_section(const struct elf *elf, const char *name);
struct symbol *elf_find_symbol(const struct elf *elf, const char *name);	/* first by index */
/* The next symbol with the same name as prev, or NULL. */
struct symbol *elf_find_symbol_next(const struct elf *elf, struct symbol *prev);
struct symbol *elf_symbol_containing(const struct section *sec, uint64_t offset);
/* First relocation of base's rela section with offset >= start, or NULL. */
struct rela *elf_rela_at_or_after(const struct section *base, uint64_t start);
/* The relocation at exactly offset, or NULL. */
struct rela *elf_rela_at(const struct section *base, uint64_t offset);

/* Mutation. New sections/symbols are appended; indexes are fixed on write. */
struct section *elf_add_section(struct elf *elf, const char *name,
				GElf_Word type, GElf_Xword flags,
				GElf_Xword align, GElf_Xword entsize,
				const void *data, uint64_t size);
/* A rela section ".rela<base name>" for base, created empty if missing. */
struct section *elf_rela_section_for(struct elf *elf, struct section *base);
struct symbol *elf_add_symbol(struct elf *elf, const char *name,
			      unsigned char bind, unsigned char type,
			      struct section *sec, GElf_Addr value,
			      GElf_Xword size);
struct rela *elf_add_rela(struct section *relasec, struct symbol *sym,
			  uint64_t offset, int64_t addend, unsigned int type);
/* Drop one of relasec's relocations (pointers to later ones then move). */
void elf_remove_rela(struct section *relasec, struct rela *rela);
/* Rename keeping the name index right. */
void elf_rename_section(struct elf *elf, struct section *sec, const char *name);
void elf_rename_symbol(struct elf *elf, struct symbol *sym, const char *name);
/* Re-sort a rela section's entries by offset after edits. */
void elf_sort_relas(struct section *relasec);
/* Rebuild every section's sorted symbol list after edits. */
void elf_index_symbols(struct elf *elf);
/* Grow a section's data; returns the offset of the appended bytes. */
uint64_t elf_append_data(struct section *sec, const void *data, uint64_t size,
			 uint64_t align);

/*
 * Write the model as a relocatable object: non-deleted sections in model
 * order, symbols ordered NULL, FILE, other locals, globals (stable within
 * each group), fresh .symtab/.strtab/.shstrtab, rela sh_link/sh_info and
 * relocation data regenerated. Written to a temporary file in the same
 * directory and renamed, so a failure never leaves a partial output.
 */
int elf_write(struct elf *elf, const char *path, char *err, size_t errlen);

/*
 * What the model needs to know of a machine. Each arch-<name>-elf.c
 * registers one with KELF_MACHINE(); machines without one are read with
 * the weakest checks (a relocation writes at least one byte).
 */
struct kelf_machine {
	unsigned int machine;		/* e_machine */
	const char *name;
	/* Bytes a relocation of this type writes at its offset (the psABI's
	 * field widths), 0 for markers. */
	unsigned int (*reloc_width)(unsigned int type);
};

#define KELF_MACHINE(m)								\
	static const struct kelf_machine *const kelf_machine_entry_##m		\
	__attribute__((used, section("kelf_machines"), aligned(sizeof(void *)))) = &(m)

const struct kelf_machine *elf_machine(unsigned int machine);

/*
 * Section contents are raw bytes in the object's own byte order (the
 * model translates only symbols, relocations and groups): read and write
 * the fields of code and tables with these.
 */
uint16_t elf_get_u16(const struct elf *elf, const void *p);
uint32_t elf_get_u32(const struct elf *elf, const void *p);
uint64_t elf_get_u64(const struct elf *elf, const void *p);
void elf_put_u16(const struct elf *elf, void *p, uint16_t v);
void elf_put_u32(const struct elf *elf, void *p, uint32_t v);
void elf_put_u64(const struct elf *elf, void *p, uint64_t v);
bool elf_is_big_endian(const struct elf *elf);

/* Helpers. */
bool is_rela_section(const struct section *sec);
bool is_text_section(const struct section *sec);
bool is_debug_section(const struct section *sec);
const char *status_name(enum status status);

#endif
