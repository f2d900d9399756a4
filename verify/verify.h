/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpatch-verify: checks a livepatch module against the objects it was made
 * from, independently of create-diff-object. It shares the ELF reader
 * (kelf) and the parent symbol lookup (lookup/) with the differ, nothing
 * else: functions are matched by name and file, code is compared byte by
 * byte with relocation sites masked and relocations compared by what they
 * resolve to.
 */
#ifndef KPATCH_VERIFY_H
#define KPATCH_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "kelf.h"
#include "lookup.h"

/* One problem found: which check, where, and what differs. */
struct finding {
	const char *check;	/* soundness, completeness, klp-func, klp-reloc, import, crc, special */
	char *function;		/* may be NULL */
	char *section;		/* may be NULL */
	uint64_t offset;
	bool has_offset;
	char *message;
};

/* A function of one object, with what the checks learn about it. */
struct vfunc {
	struct symbol *sym;
	const char *file;	/* its STT_FILE name; "" for globals and unknown */
	char *norm;		/* name without compiler-made numeric suffixes */
	int ordinal;		/* among same (file, norm) functions, in index order */
	struct vfunc *orig;	/* patched: its ORIG twin */
	struct vfunc *patched;	/* module: the PATCHED function it is a copy of;
				   orig: its PATCHED twin */
	bool changed;		/* patched: differs from its ORIG twin */
	bool line_only;		/* patched: only __LINE__ immediates differ */
	bool replaced;		/* patched: a klp_func record replaces it */
	bool recorded;		/* module: the new_func of a record */
	bool from_patched;	/* module: PATCHED.o has functions of its name */
	bool unsound;		/* module: differs from the PATCHED function it names */
	char *why;		/* patched: first difference from ORIG */
};

struct verify_arch;

struct vobj {
	struct elf *elf;
	const struct verify_arch *arch;	/* of its e_machine */
	struct vfunc *funcs;
	size_t nr_funcs;
	struct vfunc **by_sym;	/* symbol index -> its vfunc */
	struct section ***relasecs;	/* section index -> NULL-terminated rela sections */
};

struct record {
	struct symbol *new_func;
	struct vfunc *func;	/* module function new_func points at */
	char *old_name;
	char *objname;
	unsigned long sympos;
	uint64_t offset;	/* in .kpatch.funcs */
};

struct verify {
	const char *orig_path, *patched_path, *module_path, *symtab_path, *symvers_path;
	const char *parent;	/* "vmlinux" or the module name */
	const char *json_path;
	const char *struct_sizes_from;	/* ELF with DWARF for special-section entry sizes */
	char **allow_line_only;
	size_t nr_allow_line_only;
	bool module_is_ko;	/* linked module (has .klp.rela / .gnu.linkonce.this_module) */
	bool have_symvers;

	struct vobj orig, patched, module;
	const struct verify_arch *arch;	/* the three objects' */
	struct lookup_table *lookup;
	struct parent_file {		/* FILE blocks of the parent already matched */
		const char *name;
		const struct lookup_file *block;	/* NULL: no match, why says why */
		char *why;
	} *parent_files;
	size_t nr_parent_files;
	struct record *records;
	size_t nr_records;
	char **ignored;		/* KPATCH_IGNORE_FUNCTION names */
	size_t nr_ignored;

	struct jump_site {		/* the entries of PATCHED.o's __jump_table */
		unsigned int secidx;	/* the code address: section and offset */
		uint64_t off;
		const struct rela *target, *key;	/* its other fields, or NULL */
	} *jump_sites;
	size_t nr_jump_sites;

	struct runtime_site {		/* runtime_const_ptr() immediates of PATCHED.o */
		unsigned int secidx;
		uint64_t off;
		const char *var;
	} *runtime_sites;
	size_t nr_runtime_sites;

	struct finding *findings;
	size_t nr_findings;
	char **notes;
	size_t nr_notes;
	unsigned long functions_checked, entries_checked, relocs_checked;
};

/* model.c */
int vobj_load(struct vobj *o, const char *path, char *err, size_t errlen);
void vobj_free(struct vobj *o);
bool is_pfx_name(const char *name);
char *normalize_name(const char *name);
struct vfunc *vobj_func_of(const struct vobj *o, const struct symbol *sym);
/* Relocations of sec in [start, end), from every rela section of it, sorted. */
size_t relas_in(const struct vobj *o, const struct section *sec, uint64_t start,
		uint64_t end, struct rela ***out);

enum target_kind { T_NONE, T_SYM, T_UNDEF, T_KLP, T_STR, T_ANON };
struct target {
	enum target_kind kind;
	struct symbol *sym;	/* T_SYM: the covering FUNC/OBJECT; T_UNDEF/T_KLP: the symbol */
	char *name;		/* T_UNDEF/T_KLP: the name meant (klp: parsed) */
	char obj[64];		/* T_KLP */
	unsigned long pos;	/* T_KLP */
	struct section *sec;	/* T_STR/T_ANON, and T_SYM found through its section */
	int64_t off;		/* offset in sec */
	bool via_section;	/* T_SYM: the relocation names the section, not the symbol */
	int64_t delta;		/* T_SYM/T_UNDEF/T_KLP/T_NONE: offset from the symbol */
};
void resolve_target(const struct elf *elf, struct section *sec, int64_t value,
		    struct symbol *sym, int64_t addend, struct target *t);
void resolve_rela(const struct rela *rela, struct target *t);
/* The FUNC/OBJECT at off of sec; exact: containing it, not just near. */
struct symbol *symbol_at(const struct section *sec, int64_t off, bool exact);
void target_free(struct target *t);
void describe_target(const struct target *t, char *buf, size_t len);

/* compare.c */
enum cmp_mode { CMP_ORIG, CMP_MODULE };
struct cmp_result {
	bool same;
	bool line_only;		/* CMP_ORIG: differs only in __LINE__ immediates */
	uint64_t at;		/* offset of the first difference in the function */
	char why[512];
};
/* Compare function b (of ob) with a (of oa): a is the reference (PATCHED). */
void compare_funcs(struct verify *v, enum cmp_mode mode, const struct vobj *oa,
		   const struct vfunc *a, const struct vobj *ob, const struct vfunc *b,
		   struct cmp_result *res);
/* Whether module target m stands for patched target p; why says otherwise.
 * str_bias: where a string reference points relative to its string (4 from code). */
/* the first len bytes of two anonymous blocks (see same_anon) */
bool same_anon_block(const struct target *p, const struct target *m, int64_t len);
bool same_target(struct verify *v, enum cmp_mode mode, const struct target *p,
		 const struct target *m, int64_t str_bias, char *why, size_t whylen);
/* Symbol names equal but for compiler-made numeric suffixes. */
bool names_match(const char *a, const char *b);
/* A relocation to __fentry__ (the ftrace call). */
bool is_fentry_rela(const struct rela *r);
/* Branch targets ta of sa and tb of sb (offsets from the functions' starts)
 * are the same function at the same offset. */
bool same_branch_target(const struct symbol *sa, int64_t ta, const struct symbol *sb, int64_t tb);
/* Where sym of PATCHED.o (or its ORIG twin) is in the parent. */
int parent_resolve(struct verify *v, const struct symbol *sym, struct lookup_result *res,
		   char *why, size_t whylen);

/* checks.c */
void load_records(struct verify *v);	/* .kpatch.funcs of the module */
void run_checks(struct verify *v);
/* Whether PATCHED.o has a static branch (a __jump_table code address) at sec+off. */
bool is_jump_site(const struct verify *v, const struct section *sec, uint64_t off);
/* PATCHED.o's __jump_table entry for the site at sec+off, or NULL. */
const struct jump_site *jump_site_at(const struct verify *v, const struct section *sec,
				     uint64_t off);
/* Is the static key the relocation names one whose entries every livepatch
 * tool drops (tracepoints, dynamic debug): the code then stays off. */
bool is_inert_key(const struct rela *key);
/* The variable of the runtime_const_ptr() imm64 at sec+off of PATCHED.o, or NULL. */
const char *runtime_site(const struct verify *v, const struct section *sec, uint64_t off);
/* Entry sizes from --struct-sizes-from's DWARF; -1 with err on failure. */
int read_struct_sizes(struct verify *v, char *err, size_t errlen);

/* main.c */
void add_finding(struct verify *v, const char *check, const char *function,
		 const char *section, bool has_offset, uint64_t offset,
		 const char *fmt, ...) __attribute__((format(printf, 7, 8)));
void add_note(struct verify *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
