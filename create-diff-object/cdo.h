/* SPDX-License-Identifier: GPL-2.0 */
/*
 * create-diff-object internals: the diff context shared by the phases
 * (correlate, compare, include, special sections, klp relocations, output)
 * and the structured result they fill, which report.c renders as text or
 * JSON.
 */
#ifndef KPATCH_CDO_H
#define KPATCH_CDO_H

#include <stdbool.h>
#include <stdint.h>

#include "kelf.h"
#include "lookup.h"

/* Exit statuses (stable; documented in create-diff-object(1)). */
enum cdo_exit {
	EXIT_OK = 0,
	EXIT_ERROR = 1,		/* bad input or internal error */
	EXIT_REFUSED = 2,	/* the change cannot be livepatched */
	EXIT_NO_CHANGE = 3,	/* no functional change */
};

/* ---- architecture hooks (arch-<name>.c) ---- */

struct cdo_arch {
	const char *name;
	unsigned int machine;		/* e_machine */
	unsigned int abs64;		/* 64-bit absolute relocation type */
	/* Does func start with an ftrace call site? Sets *site to its offset
	 * within the section and *rela to the relocation, if any. */
	bool (*find_fentry)(struct section *sec, struct symbol *func,
			    uint64_t *site, struct rela **rela);
	/* The offset within rela's target that the reference really means. */
	int64_t (*rela_target_offset)(struct rela *rela);
	/* A relocation that holds the address of its target (not a branch). */
	bool (*rela_is_address)(struct rela *rela);
	/* Both ranges differ only in immediates that are line numbers passed
	 * to WARN/printk/might_sleep helpers, all moved by the same number
	 * of lines (by *line_delta, when the DWARF tells); *first_diff is the
	 * first real difference otherwise. */
	bool (*line_macro_change_only)(struct section *orig, uint64_t ostart,
				       struct section *patched, uint64_t pstart,
				       uint64_t len, const int64_t *line_delta,
				       uint64_t *first_diff);
	/* Turn a recorded-but-nopped fentry site back into a call so ftrace
	 * finds what it expects when the module loads. */
	void (*fixup_fentry_site)(struct section *sec, struct rela *rela);
	/* Are the first len bytes of sec function padding (nops)? */
	bool (*is_padding)(const struct section *sec, uint64_t len);
	/* Turn a boot-time-patched constant load at offset (the immediate)
	 * into a load of var, which a module can have. */
	bool (*runtime_const_to_load)(struct elf *elf, struct section *text,
				      uint64_t offset, struct symbol *var);
	/* The assembler resolves branches between functions of one section
	 * itself, leaving no relocation: give each branch that leaves
	 * [start, end) one. False if one cannot have it (a short jump). */
	bool (*relocate_outward_branches)(struct elf *elf, struct section *sec,
					  uint64_t start, uint64_t end);
	/* func is entered by livepatch's redirection, never by an indirect
	 * branch: tell tools checking landing pads (objtool's IBT checks of
	 * the module link) that it needs none. */
	void (*mark_redirect_target)(struct elf *out, struct symbol *func);
	/* Prefix symbols: __pfx_/__cfi_ padding in front of functions. */
	bool (*is_prefix_symbol)(const char *name);
};

const struct cdo_arch *arch_for_machine(unsigned int machine);

/* ---- special-section entry sizes ---- */

enum struct_size_id {
	SZ_ALT, SZ_BUG, SZ_EX, SZ_JUMP, SZ_ORC, SZ_PARA, SZ_STATIC_CALL,
	SZ_PRINTK_INDEX, SZ_FIXUP, SZ_COUNT
};
extern const char *const struct_size_env[SZ_COUNT];	/* ALT_STRUCT_SIZE ... */
extern const char *const struct_size_type[SZ_COUNT];	/* alt_instr ... */

/* ---- the structured result ---- */

/* Stable refusal codes; messages may be reworded, codes may not. */
enum refusal_code {
	R_INIT_CHANGED,
	R_DATA_CHANGED,
	R_DATA_INCLUDED,
	R_SECTION_NOT_INCLUDED,
	R_NO_FENTRY,
	R_STATIC_LOCAL_REMOVED,
	R_OBJECT_SIZE_CHANGED,
	R_SYMBOL_MOVED,
	R_SYMBOL_INFO_CHANGED,
	R_SECTION_HEADER_CHANGED,
	R_GROUP_CHANGED,
	R_JUMP_LABEL_MODULE_KEY,
	R_STATIC_CALL_MODULE_KEY,
	R_KLP_IN_MODULE_SPECIAL,
	R_SYMBOL_NOT_FOUND,
	R_SYMBOL_AMBIGUOUS,
	R_RUNTIME_CONST,
	R_SPECIAL_ENTRY_SIZE,
	R_OTHER_MODULE_LOCAL,
	R_INIT_ONLY_CHANGE,	/* every change is boot-only init code */
	R_COUNT
};
extern const char *const refusal_code_name[R_COUNT];

struct refusal {
	enum refusal_code code;
	char *message;
};

enum func_status { FUNC_CHANGED, FUNC_NEW };

struct func_result {
	/* The function in PATCHED: the key (names are not unique: an ld -r
	 * object can hold several static functions of one name). */
	struct symbol *sym;
	char *name;			/* name in ORIG (for new: in PATCHED) */
	enum func_status status;
	char **reasons;			/* why it is changed */
	size_t nr_reasons;
	char *objname;
	unsigned long sympos;
	bool patched;			/* gets a klp_func entry */
};

struct klp_reloc_result {
	char *section;
	uint64_t offset;
	unsigned int type;
	int64_t addend;
	char *symbol;
	char *objname;
	unsigned long sympos;
};

struct timing {
	const char *phase;
	double ms;
};

struct cdo_result {
	struct func_result *funcs;
	size_t nr_funcs;
	size_t *func_index;		/* open-addressing hash: symbol -> funcs[i] + 1 */
	size_t func_index_size;		/* 0: not built (or stale) */
	struct refusal *refusals;
	size_t nr_refusals;
	char **included;		/* symbols copied into the output */
	size_t nr_included;
	struct klp_reloc_result *klp_relocs;
	size_t nr_klp_relocs;
	char **warnings;
	size_t nr_warnings;
	char **notes;			/* ignored sections/functions, callbacks */
	size_t nr_notes;
	struct timing timings[16];
	size_t nr_timings;
	bool init_only;			/* every refusal is R_INIT_ONLY_CHANGE */
	char **init_changes;		/* its init functions (or sections) */
	size_t nr_init_changes;
	char *error;			/* set when the run failed (exit 1) */
	int exit_status;
};

/* ---- declaration lines of functions (declline.c) ---- */

struct decl_lines {
	struct decl_line *entries;	/* sorted by name */
	size_t n;
};

int decl_lines_read(const char *path, struct decl_lines *dl, char *err, size_t errlen);
long decl_line_of(const struct decl_lines *dl, const char *symbol);
void decl_lines_free(struct decl_lines *dl);

/* ---- the context ---- */

struct cdo_ctx {
	const char *orig_path, *patched_path, *output_path;
	const char *objname;		/* parent: "vmlinux" or module name */
	const char *childobj;		/* how this object is named in messages */
	bool debug;
	bool no_line_heuristic;		/* sources keep __LINE__: immediates count */
	struct decl_lines orig_decl, patched_decl;	/* empty without DWARF */

	struct elf *orig, *patched, *out;
	const struct cdo_arch *arch;
	struct lookup_table *lookup;
	struct symbol *orig_first_file;	/* the original's first STT_FILE, once found */
	bool orig_first_file_known;
	unsigned long struct_size[SZ_COUNT];
	bool struct_size_from_dwarf[SZ_COUNT];	/* else from the environment */

	char **modinfo_ns;		/* import_ns= strings to carry over */
	size_t nr_modinfo_ns;

	struct cdo_result result;
};

/* ---- phases ---- */

/* correlate.c */
int analyze_symbols(struct cdo_ctx *ctx, struct elf *elf);
int replace_section_symbols(struct cdo_ctx *ctx, struct elf *elf);
int correlate(struct cdo_ctx *ctx);

/* split.c */
int split_shared_sections(struct cdo_ctx *ctx, struct elf *elf);
int check_static_locals(struct cdo_ctx *ctx);
bool is_special_static(const struct symbol *sym);
bool never_correlate_section(const struct section *sec);
char *canonical_name(const char *name);
bool names_equivalent(const char *a, const char *b);

/* compare.c */
int compare(struct cdo_ctx *ctx);
bool symbols_equivalent(const struct symbol *patched, const struct symbol *orig);

/* include.c */
int apply_markers(struct cdo_ctx *ctx);
int check_fentry(struct cdo_ctx *ctx);

/* callers.c: a changed local function without an ftrace call site is
 * reached through its callers, which are patched instead, when they cover
 * every way into it. */
struct caller_cover;
struct caller_cover *caller_cover_new(struct cdo_ctx *ctx);
bool patch_callers_instead(struct caller_cover *c, struct symbol *func, char *why, size_t whylen);
void caller_cover_free(struct caller_cover *c);
int include_changes(struct cdo_ctx *ctx);
void include_symbol(struct cdo_ctx *ctx, struct symbol *sym);
void include_section(struct cdo_ctx *ctx, struct section *sec);
int verify_patchability(struct cdo_ctx *ctx);
bool is_init_section(const char *name);
/* Only boot-only init code changed (refusals so far all init-changed and
 * nothing for runtime): turn them into init-only-change refusals. */
void classify_init_only(struct cdo_ctx *ctx, bool runtime_output);
/* Record every changed and new function in the result. */
void collect_functions(struct cdo_ctx *ctx);
bool is_special_section_name(const char *name);

/* special.c */
int process_special_sections(struct cdo_ctx *ctx);
bool is_special_section(const struct section *sec);

/* klp.c */
int create_klp_relocations(struct cdo_ctx *ctx);
/*
 * Resolve a patched symbol against the parent; why says what failed.
 * RESOLVE_AMBIGUOUS: the parent is the right one, but has several locals
 * of that name and nothing (FILE symbols, when stripped) to tell which
 * one is meant.
 */
#define RESOLVE_AMBIGUOUS (-2)
int resolve_symbol(struct cdo_ctx *ctx, struct symbol *sym, struct lookup_result *res,
		   char *why, size_t whylen);

/* output.c */
int write_output(struct cdo_ctx *ctx);

/* report.c */
void result_add_refusal(struct cdo_ctx *ctx, enum refusal_code code,
			const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void result_add_warning(struct cdo_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void result_add_note(struct cdo_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void result_add_init_change(struct cdo_ctx *ctx, const char *name);
void result_drop_refusals(struct cdo_result *r);
/* The result of PATCHED's function sym, added if there is none yet. */
struct func_result *result_func(struct cdo_ctx *ctx, struct symbol *sym,
				enum func_status status);
void func_add_reason(struct func_result *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct func_result *result_find_func(struct cdo_ctx *ctx, const struct symbol *sym);
/* Entries were removed or reordered: the index is rebuilt on next use. */
void result_funcs_changed(struct cdo_result *r);
void report_text(const struct cdo_ctx *ctx);
int report_json(const struct cdo_ctx *ctx, const char *path);
void result_free(struct cdo_result *result);

/* Failure of the run: message to stderr and into the result. */
void cdo_error(struct cdo_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cdo_debug(const struct cdo_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Small predicates shared by phases. */
static inline bool is_func(const struct symbol *sym)
{
	return sym->type == STT_FUNC;
}

static inline bool is_local(const struct symbol *sym)
{
	return sym->bind == STB_LOCAL;
}

bool is_string_section(const struct section *sec);
bool is_data_section_name(const char *name);
bool is_ubsan_section(const struct section *sec);
/* Symbol that stands for the function a text section holds, if any. */
struct symbol *section_function(struct section *sec);

#endif
