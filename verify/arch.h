/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpatch-verify's per-architecture knowledge, one verify/arch-<name>.c per
 * architecture (registered with VERIFY_ARCH(); the linker gathers them in
 * section verify_arches): how an ftrace call site, a __LINE__ immediate and
 * a branch look in the machine code, which relocations are pc-relative and
 * where their symbol + addend points, and the arch's special sections.
 * Written from the psABIs and the kernel, not from the differ.
 */
#ifndef KPATCH_VERIFY_ARCH_H
#define KPATCH_VERIFY_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "kelf.h"

struct verify;
struct jump_site;

/* Where static_branch_stub found the code a site jumps to. */
struct stub_match {
	uint64_t stub, len;	/* in the module function */
	uint64_t site_len;	/* bytes of the site's jump */
};

/* A special section: entries that describe code, checked entry by entry. */
struct special {
	const char *name;
	const char *type;	/* the kernel's struct, for DWARF; NULL: none */
	const char *size_env;	/* NULL: none */
	uint64_t size;		/* the default entry size (6.12) */
	size_t min_relocs;	/* >0: every entry has at least these relocated fields */
	bool code_first;	/* its first field is the code address it belongs to */
};

/* A __LINE__ immediate found by line_immediate(). */
struct line_site {
	uint64_t start, end;	/* the instruction's first and last byte */
	int32_t was, now;	/* the line in the reference and the other object */
};

enum table_access { TABLE_NOT, TABLE_LOAD, TABLE_ADDS_NOTHING };

struct verify_arch {
	unsigned int machine;		/* e_machine */
	const char *name;

	/* the ftrace call site: its length, and its offset in code (after a
	 * landing pad), or -1; is_call: the call rather than the nop */
	unsigned int ftrace_len;
	int (*ftrace_site)(const struct elf *elf, const unsigned char *code, uint64_t size,
			   uint64_t base, struct rela **relas, size_t n, bool *is_call);

	/* bytes a relocation writes, at its offset */
	unsigned int (*rela_width)(unsigned int type);
	bool (*is_pcrel)(unsigned int type);
	/* where code's reference of type points relative to its target:
	 * target = symbol + addend + code_bias */
	int64_t (*code_bias)(unsigned int type);
	/* the biases a section-relative reference from code may carry, when
	 * the instruction is not decoded */
	const int64_t *section_biases;
	size_t nr_section_biases;
	/* the assembler chooses between these for the same reference */
	bool (*same_rela_type)(unsigned int a, unsigned int b);
	/* the special section whose entries hold the length of the anonymous
	 * block they point to (an alternative's replacement), in their byte
	 * block_len_at; NULL: not known, a block's first bytes are compared */
	const char *sized_block_special;
	uint64_t block_len_at;
	/* where that length byte is in an entry of entry_size bytes, when the
	 * layout differs between kernel versions (overrides block_len_at) */
	uint64_t (*block_len_offset)(uint64_t entry_size);
	/* a special section whose entries point at anonymous blocks with a
	 * pair of relocations, the block's start and its end (ppc64le feature
	 * fixups: an alternative in __ftr_alt_<n>); the differ may move the
	 * block, so it is compared by length and content. Optional. */
	bool (*block_pair_special)(const char *name);

	/* byte i of a (reference) and b differs inside a __LINE__ immediate
	 * passed to a call (relas: b's, at base) */
	bool (*line_immediate)(const struct elf *elf, const unsigned char *a,
			       const unsigned char *b, uint64_t size, uint64_t i, uint64_t base,
			       struct rela **relas, size_t n, struct line_site *site);
	/* byte i lies in a branch the assembler resolved between functions
	 * of one section, reaching the same place in both: its last byte, or -1 */
	int64_t (*same_local_branch)(const struct elf *elf, const struct symbol *sa,
				     const unsigned char *ca, const struct symbol *sb,
				     const unsigned char *cb, const unsigned char *mask,
				     uint64_t size, uint64_t i);
	/* the place + addend a resolved pc-relative field at rel of code
	 * means (for a relocation the module has there); false if none */
	bool (*resolved_field)(const struct elf *elf, const unsigned char *code, uint64_t size,
			       uint64_t rel, unsigned int type, int64_t *from_field);
	/* r is a direct call or jump to the start of func */
	bool (*is_direct_branch_to)(const struct rela *r, const struct symbol *func);

	/* Optional: a static branch the module's link turned into a nop: its
	 * last byte, or -1 */
	int64_t (*static_branch_nop)(const struct verify *v, const struct section *psec,
				     uint64_t base, const unsigned char *p, const unsigned char *m,
				     uint64_t size, uint64_t i);
	/*
	 * Optional: a static branch of the patched code (entry js, at site
	 * of pf) that the module's copy mf reads its key for instead: the
	 * site jumps to code after the patched function's end (psize) that
	 * takes the branch exactly when the kernel would (key enabled XOR
	 * the entry's branch bit). False with why empty when the site is not
	 * such a jump; false with why when the code there is not right.
	 */
	bool (*static_branch_stub)(struct verify *v, const struct jump_site *js,
				   const struct symbol *pf, const struct symbol *mf,
				   const unsigned char *mcode, uint64_t psize, uint64_t msize,
				   uint64_t site, struct rela **mrelas, size_t mn,
				   struct stub_match *match, char *why, size_t whylen);
	/* Optional: the module's site is what the entry's code is with its
	 * key disabled (for inert keys, whose entries the differ drops) */
	bool (*static_branch_off)(const struct jump_site *js, const unsigned char *mcode,
				  uint64_t msize, uint64_t site);
	/* Optional: a runtime constant of the patched code (pr at rel, a
	 * relocated immediate) that the module's code loads from its variable
	 * instead (its relocation at *mrel_off); the bytes [*from, *from + *len)
	 * of the function are then not compared */
	bool (*runtime_const_load)(const unsigned char *mcode, uint64_t size, uint64_t rel,
				   const struct rela *pr, struct rela **mrelas, size_t mn,
				   uint64_t mbase, uint64_t *mrel_off, uint64_t *from, uint64_t *len);
	/* Optional: the same for kernels that mark the immediate from a table
	 * (runtime_site()) instead of relocating it: the module's relocation
	 * mr at rel replaces it */
	bool (*runtime_load_of)(const struct verify *v, const struct section *psec, uint64_t pbase,
				const unsigned char *mcode, uint64_t size, uint64_t rel,
				const struct rela *mr, uint64_t *from, uint64_t *len);

	/*
	 * Optional: code reaching data relative to its own table base (the
	 * ppc64 TOC) that the module reaches through a table entry instead,
	 * because the data stays in another object. pr, at rel of the
	 * patched code p, and the module's code m there, with its
	 * relocation mr (NULL if none): TABLE_LOAD when m loads the address
	 * from the entry mr names (in place of pr's high part), TABLE_ADDS_NOTHING
	 * when m is pr's low-part instruction adding nothing to that address
	 * (mr NULL), TABLE_NOT otherwise; *len: the instruction's bytes from
	 * rel, which are then not compared.
	 */
	enum table_access (*through_table)(const struct elf *elf, const unsigned char *p,
					   const unsigned char *m, uint64_t rel,
					   const struct rela *pr, const struct rela *mr,
					   uint64_t *len);

	/* Optional: do the bits of a's and b's bytes under a relocation of
	 * type that the relocation does not write agree (a branch's opcode
	 * and link bit sharing the bytes of its displacement)? */
	bool (*same_bits_under)(const struct elf *elf, const unsigned char *a,
				const unsigned char *b, unsigned int type);

	/* Optional: why the arch's module loader would refuse or mis-apply r,
	 * a relocation against a livepatch symbol at its place in base; NULL
	 * when it applies it as meant */
	const char *(*klp_reloc_problem)(const struct rela *r, const struct section *base);

	/* Optional: sec is a table of addresses code reaches through (the
	 * ppc64 .toc): a reference to an entry means what the entry's
	 * relocation (or, without one, its 8-byte constant) means */
	bool (*is_address_table)(const struct section *sec);

	/* Optional: the name the module loader looks a special section up
	 * by in a module, where it differs from the object's (ppc64's
	 * speculation barrier fixups); NULL: the object's */
	const char *(*module_special_name)(const char *name);

	/* Optional: an undefined symbol the module loader resolves itself
	 * and nobody exports (ppc64's TOC base, ".TOC."); NULL: none */
	const char *loader_symbol;

	/* special sections, ending with a NULL name */
	const struct special *specials;
	/* sections besides the generic ones that only describe code (ftrace,
	 * unwind, patch-site tables), NULL-terminated */
	const char *const *code_only_sections;
};

#define VERIFY_ARCH(ops)						\
	static const struct verify_arch *const verify_arch_entry_##ops	\
	__attribute__((used, section("verify_arches"), aligned(sizeof(void *)))) = &(ops)

const struct verify_arch *verify_arch_for(unsigned int machine);

/* for the arch files: the relocation at offset off of list, or NULL */
struct rela *rela_at_offset(struct rela **list, size_t n, uint64_t off);

/*
 * For is_direct_branch_to: does r (addend + bias is the offset it means)
 * point at func's entry, directly or through its section symbol, from a
 * 4-byte field with at least two bytes of instruction before it?
 */
bool rela_reaches_entry(const struct rela *r, const struct symbol *func, int64_t bias);

#endif
