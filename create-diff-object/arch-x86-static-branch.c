// SPDX-License-Identifier: GPL-2.0
/*
 * x86-64 static branches whose key lives in a module.
 *
 * The module loader patches a module's static branch sites from its
 * __jump_table when the module comes up, before livepatch applies the klp
 * relocations that would tell it where a key of another module is. So a
 * livepatch cannot keep such an entry. What static_key_enabled() would do
 * in the source can be done in the code instead: the 5-byte site becomes
 * a jump to a stub appended to the function,
 *
 *	cmpl $0, key(%rip)	the key's enabled count (atomic_t, offset 0)
 *	jg   target		jle when the entry's branch bit is set
 *	jmp  site + 5
 *
 * which takes the branch exactly when the kernel's jump_label_type()
 * would have patched in the jump: enabled XOR branch. The key is reached
 * by an ordinary relocation, which becomes a klp relocation like any
 * other reference into the patched module. A 2-byte site has no room
 * for the jump and is refused.
 *
 * Entries of inert keys (tracepoints, dynamic debug) are dropped instead,
 * as every livepatch tool does: their code then stays off. The compiler
 * emits "jmp target" where objtool is meant to write a nop ("objtool NOPs
 * this"); without the entry objtool leaves it alone, so the site is made
 * the disabled key's instruction here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch-x86-static-branch.h"
#include "util.h"

#define R_X86_64_PC32	2
#define R_X86_64_PLT32	4

#define STUB_LEN	18	/* cmpl $0,rip(7) + jcc rel32 (6) + jmp rel32 (5) */
#define STUB_JCC	7
#define STUB_JMP	13

static const uint8_t nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
static const uint8_t nop2[2] = { 0x66, 0x90 };

/* What sits at the site: the compiler's jump to the target, or a nop. */
enum site_kind { SITE_JMP5, SITE_NOP5, SITE_JMP2, SITE_NOP2, SITE_OTHER };

static enum site_kind site_kind(const struct section *text, uint64_t site)
{
	const uint8_t *p = text->data + site;
	uint64_t left = text->size - site;

	if (!text->data)
		return SITE_OTHER;
	if (left >= 5 && p[0] == 0xe9)
		return SITE_JMP5;
	if (left >= 5 && !memcmp(p, nop5, 5))
		return SITE_NOP5;
	if (left >= 2 && p[0] == 0xeb)
		return SITE_JMP2;
	if (left >= 2 && !memcmp(p, nop2, 2))
		return SITE_NOP2;
	return SITE_OTHER;
}

/* The target as an offset in text, if it is there. */
static bool target_in(const struct static_branch *sb, const struct section *text, int64_t *off)
{
	if (sb->target_sym->sec != text)
		return false;
	*off = (int64_t)sb->target_sym->sym.st_value + sb->target_off;
	return *off >= 0 && (uint64_t)*off <= text->size;
}

/*
 * Does the jump at the site go where the entry says? Within the section
 * the assembler resolved it; out of it (to a .cold part) it has a
 * relocation, returned in *rela.
 */
static bool jump_matches_entry(const struct static_branch *sb, unsigned int len,
			       struct rela **rela)
{
	struct section *text = sb->text;
	int64_t target, disp;
	struct rela *r;

	r = *rela = len == 5 ? elf_rela_at(text, sb->site + 1) : NULL;
	if (r) {
		if ((r->type != R_X86_64_PC32 && r->type != R_X86_64_PLT32) || !r->sym ||
		    r->sym->sec != sb->target_sym->sec)
			return false;
		/* rel32 counts from the end of the field */
		return (int64_t)r->sym->sym.st_value + r->addend + 4 ==
		       (int64_t)sb->target_sym->sym.st_value + sb->target_off;
	}
	if (!target_in(sb, text, &target))
		return false;
	disp = len == 5 ? (int32_t)elf_get_u32(text->elf, text->data + sb->site + 1) :
			  (int8_t)text->data[sb->site + 1];
	return (int64_t)sb->site + len + disp == target;
}

/* The function the site is in, when it ends its section (the stub goes after it). */
static struct symbol *last_function(const struct static_branch *sb, char *why, size_t whylen)
{
	struct symbol *func = elf_symbol_containing(sb->text, sb->site);

	if (!func || func->type != STT_FUNC) {
		snprintf(why, whylen, "the site at %s+0x%lx is in no function", sb->text->name,
			 (unsigned long)sb->site);
		return NULL;
	}
	if (func->sym.st_value + func->sym.st_size != sb->text->size) {
		snprintf(why, whylen, "%s does not end its section %s, so no code can follow it",
			 func->name, sb->text->name);
		return NULL;
	}
	return func;
}

/*
 * Objects that carry their ORC data (objtool ran when they were compiled):
 * the stub unwinds like the site, and the section's end marker moves past
 * it. Without ORC in the object, objtool makes it at the module link.
 * Found before anything changes; applied by add_stub_orc().
 */
struct stub_orc {
	struct section *ip, *orc;
	uint64_t orc_size;
	size_t covering;	/* the ORC entry in effect at the site */
	struct rela *end_marker;	/* its entry at the section's end, if any */
};

static bool find_stub_orc(struct cdo_ctx *ctx, const struct static_branch *sb,
			  struct stub_orc *so, char *why, size_t whylen)
{
	struct elf *elf = ctx->patched;
	int64_t best = -1;

	memset(so, 0, sizeof(*so));
	so->ip = elf_find_section(elf, ".orc_unwind_ip");
	so->orc = elf_find_section(elf, ".orc_unwind");
	if (!so->ip || !so->orc || !so->ip->rela || !so->ip->rela->nr_relas)
		return true;
	so->orc_size = ctx->struct_size[SZ_ORC] ? ctx->struct_size[SZ_ORC] :
		       so->orc->sh.sh_entsize ? so->orc->sh.sh_entsize : 6;
	for (size_t i = 0; i < so->ip->rela->nr_relas; i++) {
		struct rela *r = &so->ip->rela->relas[i];
		int64_t at;

		if (!r->sym || r->sym->sec != sb->text)
			continue;
		at = (int64_t)r->sym->sym.st_value + r->addend;
		if (at == (int64_t)sb->text->size)
			so->end_marker = r;
		else if (at <= (int64_t)sb->site && at > best) {
			best = at;
			so->covering = r->offset / 4;
		}
	}
	if (best < 0 || (so->covering + 1) * so->orc_size > so->orc->size) {
		snprintf(why, whylen, "no ORC entry of %s covers the site", sb->text->name);
		return false;
	}
	return true;
}

static void add_stub_orc(struct cdo_ctx *ctx, const struct stub_orc *so, struct section *text,
			 struct symbol *func, uint64_t stub)
{
	uint8_t *state;
	uint64_t at;

	if (!so->ip || !so->ip->rela || !so->ip->rela->nr_relas)
		return;
	if (so->end_marker)
		so->end_marker->addend += (int64_t)(text->size - stub);
	state = xmalloc(so->orc_size);
	memcpy(state, so->orc->data + so->covering * so->orc_size, so->orc_size);
	at = elf_append_data(so->ip, NULL, 4, 1);
	elf_add_rela(so->ip->rela, func, at, (int64_t)(stub - func->sym.st_value), R_X86_64_PC32);
	elf_append_data(so->orc, state, so->orc_size, 1);
	free(state);
	(void)ctx;
}

static void put_rel32(struct section *text, uint64_t field, int64_t target)
{
	elf_put_u32(text->elf, text->data + field, (uint32_t)(int32_t)(target - (int64_t)(field + 4)));
}

bool x86_static_branch_test_key(struct cdo_ctx *ctx, const struct static_branch *sb,
				       char *why, size_t whylen)
{
	static const uint8_t stub_code[STUB_LEN] = {
		0x83, 0x3d, 0, 0, 0, 0, 0x00,	/* cmpl $0x0, key(%rip) */
		0x0f, 0x8f, 0, 0, 0, 0,		/* jg target (jle: 0x8e) */
		0xe9, 0, 0, 0, 0,		/* jmp site + 5 */
	};
	struct section *text = sb->text, *rs;
	enum site_kind kind = site_kind(text, sb->site);
	struct rela *jump_rela = NULL;
	struct symbol *func;
	struct stub_orc so;
	int64_t target = 0;
	uint64_t stub;

	if (kind == SITE_JMP2 || kind == SITE_NOP2) {
		snprintf(why, whylen, "the compiler emitted a 2-byte jump at %s+0x%lx, too short to reach code that reads the key",
			 text->name, (unsigned long)sb->site);
		return false;
	}
	if (kind == SITE_OTHER || (kind == SITE_JMP5 && !jump_matches_entry(sb, 5, &jump_rela))) {
		snprintf(why, whylen, "the site at %s+0x%lx is not the jump or nop its entry describes",
			 text->name, (unsigned long)sb->site);
		return false;
	}
	if (!(func = last_function(sb, why, whylen)) || !find_stub_orc(ctx, sb, &so, why, whylen))
		return false;

	stub = elf_append_data(text, stub_code, STUB_LEN, 1);
	func->sym.st_size = text->size - func->sym.st_value;
	if (sb->branch)
		text->data[stub + STUB_JCC + 1] = 0x8e;
	/* the branch: where the site jumped, by its relocation if it had one
	 * (moved before any relocation is added: adding may move them all) */
	if (jump_rela)
		jump_rela->offset = stub + STUB_JCC + 2;
	rs = elf_rela_section_for(ctx->patched, text);
	rs->include = true;
	if (!jump_rela && target_in(sb, text, &target)) {
		put_rel32(text, stub + STUB_JCC + 2, target);
	} else if (!jump_rela) {
		elf_add_rela(rs, sb->target_sym, stub + STUB_JCC + 2, sb->target_off - 4,
			     R_X86_64_PC32);
		include_symbol(ctx, sb->target_sym);
	}
	/* the key: its enabled count is its first field */
	elf_add_rela(rs, sb->key, stub + 2, sb->key_off - 5, R_X86_64_PC32);
	put_rel32(text, stub + STUB_JMP + 1, (int64_t)sb->site + 5);
	text->data[sb->site] = 0xe9;
	put_rel32(text, sb->site + 1, (int64_t)stub);
	elf_sort_relas(rs);
	add_stub_orc(ctx, &so, text, func, stub);
	/* the instruction map of the section is stale */
	free(text->priv);
	text->priv = NULL;
	return true;
}

/*
 * An inert key stays disabled: the branch is taken only where the entry's
 * branch bit says so (jump_label_type() with the key off).
 */
bool x86_static_branch_disable(struct cdo_ctx *ctx, const struct static_branch *sb,
				      char *why, size_t whylen)
{
	struct section *text = sb->text;
	enum site_kind kind = site_kind(text, sb->site);
	struct rela *jump_rela = NULL;
	unsigned int len = kind == SITE_JMP5 || kind == SITE_NOP5 ? 5 : 2;

	(void)ctx;
	if (kind == SITE_OTHER) {
		snprintf(why, whylen, "the site at %s+0x%lx is not the jump or nop its entry describes",
			 text->name, (unsigned long)sb->site);
		return false;
	}
	if (kind == SITE_NOP5 || kind == SITE_NOP2) {
		if (!sb->branch)
			return true;
		snprintf(why, whylen, "the disabled key takes the branch at %s+0x%lx, where the compiler left a nop",
			 text->name, (unsigned long)sb->site);
		return false;
	}
	if (!jump_matches_entry(sb, len, &jump_rela)) {
		snprintf(why, whylen, "the jump at %s+0x%lx does not go where its entry says",
			 text->name, (unsigned long)sb->site);
		return false;
	}
	if (sb->branch)
		return true;	/* the jump is what the disabled key has */
	if (jump_rela)	/* out of the section: the relocation goes with the jump */
		elf_remove_rela(text->rela, jump_rela);
	memcpy(text->data + sb->site, len == 5 ? nop5 : nop2, len);
	free(text->priv);
	text->priv = NULL;
	return true;
}
