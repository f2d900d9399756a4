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

/* ---- special-section entry sizes ---- */

enum struct_size_id {
	SZ_ALT, SZ_BUG, SZ_EX, SZ_JUMP, SZ_ORC, SZ_PARA, SZ_STATIC_CALL,
	SZ_PRINTK_INDEX, SZ_FIXUP, SZ_COUNT
};
extern const char *const struct_size_env[SZ_COUNT];	/* ALT_STRUCT_SIZE ... */
extern const char *const struct_size_type[SZ_COUNT];	/* alt_instr ... */

/* ---- special sections: per-arch tables of these (special.c rebuilds them) ---- */

struct cdo_ctx;
enum keep_verdict { KEEP, DROP, REFUSE };

struct special_section {
	const char *name;
	enum struct_size_id size_id;	/* SZ_COUNT: fixed_size applies */
	unsigned int fixed_size;
	/* Which entries describing kept code stay (NULL: all). */
	enum keep_verdict (*filter)(struct cdo_ctx *ctx, struct section *sec,
				    struct rela *first, struct rela *end);
};

/*
 * One __jump_table entry, from its relocations: the branch site, where it
 * jumps, and its key (the kernel's jump_entry: code, target, key with the
 * branch bit in bit 0 and bit 1 for its own use).
 */
struct static_branch {
	struct section *text;		/* the site's section */
	uint64_t site;			/* offset of the site in text */
	struct symbol *target_sym;	/* where it jumps: target_sym + target_off */
	int64_t target_off;
	struct symbol *key;		/* the static_key's object (not a section symbol) */
	int64_t key_off;		/* of the static_key within it */
	bool branch;			/* jump when the key is enabled XOR branch */
	const char *module;		/* where the key lives */
};

/* Filters shared by the arch tables: entries keyed by a module's symbol. */
enum keep_verdict special_jump_label_filter(struct cdo_ctx *ctx, struct section *sec,
					    struct rela *first, struct rela *end);
enum keep_verdict special_static_call_filter(struct cdo_ctx *ctx, struct section *sec,
					     struct rela *first, struct rela *end);

/* ---- architecture hooks (arch-<name>.c) ---- */

struct cdo_arch {
	const char *name;
	unsigned int machine;		/* e_machine */
	unsigned int abs64;		/* 64-bit absolute relocation type */
	/* Why this arch's code cannot read an object of its machine (another
	 * ABI or byte order), or NULL. Optional. */
	const char *(*unsupported_object)(const GElf_Ehdr *ehdr);
	/* The special sections of this arch's kernels; ends with a NULL name. */
	const struct special_section *special_sections;
	/* Does func start with an ftrace call site? Sets *site to its offset
	 * within the section and *rela to its relocation, or NULL where the
	 * site has none (a nop that __mcount_loc records). */
	bool (*find_fentry)(struct section *sec, struct symbol *func,
			    uint64_t *site, struct rela **rela);
	/* Ready an object for the phases, before find_fentry runs on it:
	 * rewrite what the arch's assembler names oddly, index what
	 * find_fentry needs (into text sections' priv). Optional. */
	void (*prepare_object)(struct elf *elf);
	/* The kernel takes ftrace call sites from __patchable_function_entries
	 * records (the output gets one per function), not __mcount_loc. */
	bool ftrace_sites_pfe;
	/* Symbols the kernel provides to every caller (the ftrace entry hook,
	 * return and indirect-branch thunks): always reached by a normal
	 * relocation, never through a klp relocation. */
	bool (*is_kernel_helper)(const char *name);
	/* The offset within rela's target that the reference really means. */
	int64_t (*rela_target_offset)(struct rela *rela);
	/* A relocation that holds the address of its target (not a branch). */
	bool (*rela_is_address)(struct rela *rela);
	/* Both ranges differ only in immediates that are line numbers passed
	 * to WARN/printk/might_sleep helpers, all moved by the same number
	 * of lines (by *line_delta, when the DWARF tells); *first_diff is the
	 * first real difference otherwise. Optional. */
	bool (*line_macro_change_only)(struct section *orig, uint64_t ostart,
				       struct section *patched, uint64_t pstart,
				       uint64_t len, const int64_t *line_delta,
				       uint64_t *first_diff);
	/* Turn a recorded-but-nopped fentry site back into what ftrace expects
	 * to find when the module loads. Optional; rela may be NULL. */
	void (*fixup_fentry_site)(struct section *sec, struct rela *rela);
	/* Are the first len bytes of sec what sits in front of its function
	 * (padding nops; ppc64le's TOC pointer word)? Optional. */
	bool (*is_padding)(const struct section *sec, uint64_t len);
	/* Is code[0..len) nothing but padding (nops, traps) the assembler
	 * emits to align what follows? */
	bool (*is_padding_range)(const uint8_t *code, uint64_t len);
	/* Turn a boot-time-patched constant load at offset (the immediate)
	 * into a load of var, which a module can have. Optional. */
	bool (*runtime_const_to_load)(struct elf *elf, struct section *text,
				      uint64_t offset, struct symbol *var);
	/* The assembler resolves branches between functions of one section
	 * itself, leaving no relocation: give each branch that leaves
	 * [start, end) one. False if one cannot have it (a short jump).
	 * Optional: without it such sections are not split. */
	bool (*relocate_outward_branches)(struct elf *elf, struct section *sec,
					  uint64_t start, uint64_t end);
	/* func is entered by livepatch's redirection, never by an indirect
	 * branch: tell tools checking landing pads (objtool's IBT checks of
	 * the module link) that it needs none. Optional. */
	void (*mark_redirect_target)(struct elf *out, struct symbol *func);
	/* Prefix symbols: __pfx_/__cfi_ padding in front of functions. Optional. */
	bool (*is_prefix_symbol)(const char *name);
	/*
	 * Code that loads addresses and constants from a table (ppc64le: an
	 * 8-byte .toc entry): is rela a reference to such an entry? *entry is
	 * then the entry's own relocation, or NULL for a constant (*constant
	 * its value). Such references compare, and bring in what they need,
	 * by what the entry holds, not by where the table put it; the arch
	 * rebuilds the table in finish_inclusion. Optional.
	 */
	bool (*table_reference)(struct rela *rela, struct rela **entry, uint64_t *constant);
	/* Must rela's target, an unchanged function, go into the output with
	 * the code that reaches it (ppc64le: a call with no TOC-pointer
	 * restore after it cannot reach the kernel's copy)? Optional. */
	bool (*carry_target)(struct rela *rela);
	/* Once the output's contents are chosen: rebuild the arch's tables
	 * for it, refuse what the arch cannot carry. Optional. */
	int (*finish_inclusion)(struct cdo_ctx *ctx);
	/*
	 * A static branch whose key lives in a module: the loader reads
	 * __jump_table before livepatch resolves references into modules, so
	 * the entry must go. Turn the site of entry sb into a jump to code
	 * that reads the key, as static_key_enabled() does, and branches as
	 * the entry would have. False, with why, where the site cannot take
	 * it. Optional (without it such branches are refused).
	 */
	bool (*static_branch_test_key)(struct cdo_ctx *ctx, const struct static_branch *sb,
				       char *why, size_t whylen);
	/*
	 * The entry of an inert key (tracepoints, dynamic debug) of a module
	 * goes: leave the site as the disabled key has it. False, with why,
	 * where it cannot. Optional (without it the site stays as compiled).
	 */
	bool (*static_branch_disable)(struct cdo_ctx *ctx, const struct static_branch *sb,
				      char *why, size_t whylen);
};

/*
 * Each arch-<name>.c registers its ops with CDO_ARCH(ops); the linker
 * gathers them, so adding an architecture adds files, not table edits.
 */
#define CDO_ARCH(ops)								\
	static const struct cdo_arch *const cdo_arch_entry_##ops		\
	__attribute__((used, section("cdo_arches"), aligned(sizeof(void *)))) = &(ops)

const struct cdo_arch *arch_for_machine(unsigned int machine);
/* The names of the registered architectures, ", "-separated (for messages). */
const char *arch_names(void);

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
	R_ARCH_UNSUPPORTED,
	R_INIT_ONLY_CHANGE,	/* every change is boot-only init code */
	R_EXPORT_ADDED,
	R_EXPORT_REMOVED,
	R_EXPORT_CHANGED,
	R_FTRACE_SITE_SHARED,	/* the kernel may attach to another function's site */
	R_COUNT
};
extern const char *const refusal_code_name[R_COUNT];

struct refusal {
	enum refusal_code code;
	char *message;
	char *function;			/* the function it concerns, or NULL */
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
	char **disabled_sites;		/* "func+0xoff" no disabled static branch reaches */
	size_t nr_disabled_sites;
	struct timing timings[16];
	size_t nr_timings;
	bool init_only;			/* every refusal is R_INIT_ONLY_CHANGE */
	char **init_changes;		/* its init functions (or sections) */
	size_t nr_init_changes;
	char *error;			/* set when the run failed (exit 1) */
	int exit_status;
};

/* ---- the __LINE__ heuristic's arch-independent half (linemacro.c) ---- */

/* The string an arch finds loaded into argument arg (1-based) of the call
 * at 'call', by code from 'from' on; NULL if none. */
typedef const char *(*line_string_argument_fn)(struct section *sec, uint64_t from,
					       uint64_t call, unsigned int arg);
/*
 * Is argument arg (1-based) of the call that follows 'after' (before end)
 * a line number: that callee's line argument, or a printk whose format
 * makes it one?
 */
bool line_argument_is_line(struct section *sec, uint64_t fstart, uint64_t after,
			   uint64_t end, unsigned int arg, line_string_argument_fn string_argument);
/* The NUL-terminated string at rela's target (target_offset into it), or NULL. */
const char *line_rela_string(struct rela *rela, int64_t target_offset);

/* ---- declaration lines of functions (declline.c) ---- */

struct decl_lines {
	struct decl_line *entries;	/* sorted by name */
	size_t n;
};

int decl_lines_read(const char *path, struct decl_lines *dl, char *err, size_t errlen);
long decl_line_of(const struct decl_lines *dl, const char *symbol);
const char *decl_file_of(const struct decl_lines *dl, const char *symbol);
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
	const char *parent_path;	/* the parent's symbol table: ELF or readelf text */
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
/* exports.c: refuse exports the patch adds, removes or changes */
void check_exports(struct cdo_ctx *ctx);
bool is_export_section(const struct section *sec);
bool is_init_section(const char *name);
/* Only boot-only init code changed (refusals so far all init-changed and
 * nothing for runtime): turn them into init-only-change refusals. */
void classify_init_only(struct cdo_ctx *ctx, bool runtime_output);
/* Record every changed and new function in the result. */
void collect_functions(struct cdo_ctx *ctx);
bool is_special_section_name(const struct cdo_ctx *ctx, const char *name);

/* special.c */
int process_special_sections(struct cdo_ctx *ctx);
bool is_special_section(const struct cdo_ctx *ctx, const struct section *sec);

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

/* insn32.c: for architectures of fixed 32-bit little-endian instructions */
uint32_t insn32_at(const struct section *sec, uint64_t off);
/* Are the n words at off all insn? */
bool insn32_repeats(const struct section *sec, uint64_t off, uint64_t n, uint32_t insn);
int64_t insn32_sign_extend(uint32_t v, unsigned int bits);
/* Give a branch the assembler resolved (to target) a relocation of type
 * to the function holding target, its offset bits cleared (opcode_mask
 * keeps the rest); false if target is in no function. */
bool insn32_relocate_branch(struct elf *elf, struct section *sec, uint64_t at,
			    int64_t target, unsigned int type, uint32_t opcode_mask);

/* pfe.c: -fpatchable-function-entry records, for the arch hooks */
void pfe_index(struct elf *elf);
/* The first recorded site of sec in [lo, hi]. */
bool pfe_site_in(const struct section *sec, uint64_t lo, uint64_t hi, uint64_t *site);
void pfe_add_record(struct elf *out, struct symbol *func, int64_t offset, unsigned int abs64);

/* report.c */
void result_add_refusal(struct cdo_ctx *ctx, enum refusal_code code,
			const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* the same, for a refusal that concerns one function (NULL: none) */
void result_add_func_refusal(struct cdo_ctx *ctx, enum refusal_code code, const char *function,
			     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void result_add_warning(struct cdo_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void result_add_disabled_site(struct cdo_ctx *ctx, const char *func, uint64_t offset);
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

/* $x/$d (AArch64, RISC-V): where code and data start in a section. */
static inline bool is_mapping_symbol(const struct symbol *sym)
{
	return sym->name[0] == '$' && (sym->name[1] == 'x' || sym->name[1] == 'd') &&
	       (!sym->name[2] || sym->name[2] == '.');
}

bool is_string_section(const struct section *sec);
bool is_data_section_name(const char *name);
bool is_ubsan_section(const struct section *sec);
bool is_metadata_section(const struct cdo_ctx *ctx, const struct section *sec);
/* Symbol that stands for the function a text section holds, if any. */
struct symbol *section_function(struct section *sec);

#endif
