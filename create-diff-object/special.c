// SPDX-License-Identifier: GPL-2.0
/*
 * Special sections are arrays of fixed-size entries that describe code
 * (exception fixups, alternatives, jump labels, static calls, ORC unwind
 * data, ...). The output keeps exactly the entries that describe the code
 * it carries: each architecture's table (cdo_arch.special_sections) names
 * a section and its entry size, and the generic pass here rebuilds the
 * section from the kept entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cdo.h"
#include "util.h"

const char *const struct_size_env[SZ_COUNT] = {
	[SZ_ALT] = "ALT_STRUCT_SIZE", [SZ_BUG] = "BUG_STRUCT_SIZE",
	[SZ_EX] = "EX_STRUCT_SIZE", [SZ_JUMP] = "JUMP_STRUCT_SIZE",
	[SZ_ORC] = "ORC_STRUCT_SIZE", [SZ_PARA] = "PARA_STRUCT_SIZE",
	[SZ_STATIC_CALL] = "STATIC_CALL_STRUCT_SIZE",
	[SZ_PRINTK_INDEX] = "PRINTK_INDEX_STRUCT_SIZE", [SZ_FIXUP] = "FIXUP_STRUCT_SIZE",
};

const char *const struct_size_type[SZ_COUNT] = {
	[SZ_ALT] = "alt_instr", [SZ_BUG] = "bug_entry",
	[SZ_EX] = "exception_table_entry", [SZ_JUMP] = "jump_entry",
	[SZ_ORC] = "orc_entry", [SZ_PARA] = "paravirt_patch_site",
	[SZ_STATIC_CALL] = "static_call_site", [SZ_PRINTK_INDEX] = "pi_entry",
	[SZ_FIXUP] = "fixup_entry",
};

static const struct special_section *find_special(const struct cdo_ctx *ctx, const char *name)
{
	for (const struct special_section *s = ctx->arch->special_sections; s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

/*
 * Tables and code that go with the entry tables, where the arch has them:
 * alternatives' replacement code, old-style fixups, ORC data (rebuilt below),
 * __mcount_loc (the output makes its own), boot-time constants.
 */
bool is_special_section_name(const struct cdo_ctx *ctx, const char *name)
{
	return find_special(ctx, name) || !strcmp(name, ".orc_unwind") ||
	       !strcmp(name, ".orc_unwind_ip") || !strcmp(name, ".altinstr_replacement") ||
	       !strcmp(name, ".fixup") || !strcmp(name, "__mcount_loc") ||
	       !strcmp(name, ".orc_header") || !strncmp(name, "runtime_ptr_", 12) ||
	       !strncmp(name, "runtime_shift_", 14);
}

bool is_special_section(const struct cdo_ctx *ctx, const struct section *sec)
{
	const char *name = sec->name;

	if (is_rela_section(sec) && sec->base)
		name = sec->base->name;
	return is_special_section_name(ctx, name);
}

/* Does the entry describe code that the output carries? */
static bool describes_included_code(struct rela *first, struct rela *end)
{
	for (struct rela *r = first; r < end; r++) {
		struct section *t = r->sym ? r->sym->sec : NULL;

		if (!t || !t->include || !is_text_section(t))
			continue;
		if (!strcmp(t->name, ".altinstr_replacement") || !strcmp(t->name, ".altinstr_aux"))
			continue;
		return true;
	}
	return false;
}

/*
 * Would this key be reached through a klp relocation into a module? The
 * loader processes jump tables and static call sites before livepatch
 * resolves such relocations, so the entry would point at nothing.
 */
static const char *module_of_key(struct cdo_ctx *ctx, struct symbol *key)
{
	struct lookup_result res;

	if (!key || (key->sec && (key->sec->include || key->status != STATUS_SAME)))
		return NULL;	/* the key travels with the patch */
	if (key->sec || is_local(key)) {
		/* defined in this object: it lives wherever the parent lives */
		return strcmp(ctx->objname, "vmlinux") ? ctx->objname : NULL;
	}
	if (lookup_global(ctx->lookup, key->name, &res))
		return strcmp(res.objname, "vmlinux") ? res.objname : NULL;
	return NULL;
}

static struct symbol *func_at(struct rela *code)
{
	struct symbol *sym = code->sym;

	if (sym && sym->type == STT_SECTION && sym->sec)
		return elf_symbol_containing(sym->sec, (uint64_t)code->addend);
	return sym;
}

/*
 * A disabled site that is not a branch (the entry's branch bit clear) no
 * longer reaches its target: objtool may call the code there unreachable.
 */
static void record_disabled_target(struct cdo_ctx *ctx, const struct symbol *func,
				   const struct static_branch *sb)
{
	uint64_t target, start;

	if (sb->branch || !func || func->type != STT_FUNC || !sb->target_sym ||
	    sb->target_sym->sec != func->sec)
		return;
	target = sb->target_sym->sym.st_value + (uint64_t)sb->target_off;
	start = func->sym.st_value;
	if (target > start && target < start + func->sym.st_size)
		result_add_disabled_site(ctx, func->name, target - start);
}

/*
 * An entry whose key lives in a module: keys of tracepoints and dynamic
 * debug are inert until enabled, so dropping the entry is harmless; any
 * other such entry is refused.
 */
struct key_rule {
	size_t key_index;		/* which relocation of the entry is the key */
	const char *const *inert;	/* key name parts that mark inert keys */
	enum refusal_code code;
	const char *what, *advice;
};

static enum keep_verdict filter_module_key(struct cdo_ctx *ctx, const struct key_rule *rule,
					   struct rela *first, struct rela *end)
{
	struct rela *key = (size_t)(end - first) > rule->key_index ? first + rule->key_index : NULL;
	struct symbol *func;
	const char *mod;

	if (!key || !(mod = module_of_key(ctx, key->sym)))
		return KEEP;
	for (const char *const *p = rule->inert; *p; p++)
		if (strstr(key->sym->name, *p))
			return DROP;
	func = func_at(first);
	result_add_func_refusal(ctx, rule->code, func ? func->name : NULL,
		"found a %s in %s using key %s, which is defined in module %s: %s",
		rule->what, func ? func->name : first->sym->name, key->sym->name, mod, rule->advice);
	return REFUSE;
}

/* The object a relocation's symbol + offset falls in, and the offset in it. */
static struct symbol *object_at(struct symbol *sym, int64_t addend, int64_t *off)
{
	struct symbol *obj = sym;

	if (sym->type == STT_SECTION) {
		if (!sym->sec || addend < 0 ||
		    !(obj = elf_symbol_containing(sym->sec, (uint64_t)addend)) ||
		    obj->type == STT_SECTION)
			return NULL;
		addend -= (int64_t)obj->sym.st_value;
	}
	*off = addend;
	return obj;
}

/* Read entry first..end (code, target, key) into sb; false if malformed. */
static bool read_static_branch(struct rela *first, struct rela *end, const char *module,
			       struct static_branch *sb)
{
	struct rela *code = first, *target = first + 1, *key = first + 2;
	int64_t site;

	if (end - first < 3 || !code->sym || !code->sym->sec || !target->sym || !key->sym)
		return false;
	site = (int64_t)code->sym->sym.st_value + code->addend;
	if (site < 0 || (uint64_t)site >= code->sym->sec->size)
		return false;
	sb->text = code->sym->sec;
	sb->site = (uint64_t)site;
	sb->target_sym = target->sym;
	sb->target_off = target->addend;
	/* the low two bits of the key field are flags (bit 0: branch) */
	sb->branch = key->addend & 1;
	sb->key = object_at(key->sym, key->addend & ~(int64_t)3, &sb->key_off);
	sb->module = module;
	return sb->key != NULL;
}

enum keep_verdict special_jump_label_filter(struct cdo_ctx *ctx, struct section *sec,
					    struct rela *first, struct rela *end)
{
	static const char *const inert[] = { "__tracepoint_", "__UNIQUE_ID_ddebug", NULL };
	static const struct key_rule rule = {
		2, inert, R_JUMP_LABEL_MODULE_KEY, "jump label",
		"a livepatch cannot use static keys of modules; use static_key_enabled() instead"
	};
	struct rela *key = end - first > 2 ? first + 2 : NULL;
	const struct cdo_arch *arch = ctx->arch;
	struct static_branch sb;
	struct symbol *func;
	const char *mod;
	bool is_inert = false;
	char why[256];

	if (!key || !(mod = module_of_key(ctx, key->sym)))
		return KEEP;
	for (const char *const *p = inert; *p; p++)
		is_inert |= strstr(key->sym->name, *p) != NULL;
	if (is_inert ? !arch->static_branch_disable : !arch->static_branch_test_key)
		return filter_module_key(ctx, &rule, first, end);
	func = func_at(first);
	if (!read_static_branch(first, end, mod, &sb)) {
		snprintf(why, sizeof(why), "its __jump_table entry does not name a site, target and key object");
	} else if (is_inert) {
		if (arch->static_branch_disable(ctx, &sb, why, sizeof(why))) {
			record_disabled_target(ctx, func, &sb);
			return DROP;
		}
	} else if (arch->static_branch_test_key(ctx, &sb, why, sizeof(why))) {
		include_symbol(ctx, sb.key);
		result_add_note(ctx, "%s: the static branch at %s+0x%lx on key %s of module %s now reads the key (the module loader cannot patch a site whose key livepatch resolves later)",
				func ? func->name : sb.text->name, sb.text->name,
				(unsigned long)sb.site, sb.key->name, mod);
		return DROP;
	}
	result_add_func_refusal(ctx, R_JUMP_LABEL_MODULE_KEY, func ? func->name : NULL,
		"found a jump label in %s using key %s, which is defined in module %s; %s: use static_key_enabled() instead",
		func ? func->name : first->sym->name, key->sym->name, mod, why);
	return REFUSE;
}

enum keep_verdict special_static_call_filter(struct cdo_ctx *ctx, struct section *sec,
					     struct rela *first, struct rela *end)
{
	static const char *const inert[] = { "__SCK__tp_func_", NULL };
	static const struct key_rule rule = {
		1, inert, R_STATIC_CALL_MODULE_KEY, "static call", "use KPATCH_STATIC_CALL() instead"
	};

	return filter_module_key(ctx, &rule, first, end);
}

/*
 * Rebuild sec from the entries whose relocations describe included code.
 * Returns the number kept.
 */
static size_t regenerate(struct cdo_ctx *ctx, struct section *sec, uint64_t entsize,
			 const struct special_section *desc, bool *keep_map)
{
	struct section *rs = sec->rela;
	unsigned char *data;
	struct rela *relas;
	size_t nr = 0, kept = 0, idx = 0;
	uint64_t out = 0;

	data = xmalloc(sec->size ? sec->size : 1);
	relas = xcalloc(rs->nr_relas ? rs->nr_relas : 1, sizeof(*relas));
	for (uint64_t off = 0; off < sec->size; off += entsize, idx++) {
		uint64_t len = sec->size - off < entsize ? sec->size - off : entsize;
		struct rela *first = elf_rela_at_or_after(sec, off), *end = first;
		enum keep_verdict v = DROP;

		while (end && end < rs->relas + rs->nr_relas && end->offset < off + len)
			end++;
		if (first && first < end && describes_included_code(first, end))
			v = desc && desc->filter ? desc->filter(ctx, sec, first, end) : KEEP;
		if (keep_map)
			keep_map[idx] = v == KEEP;
		if (v != KEEP)
			continue;
		memcpy(data + out, sec->data + off, len);
		for (struct rela *r = first; r < end; r++) {
			relas[nr] = *r;
			relas[nr].offset = r->offset - off + out;
			nr++;
		}
		out += len;
		kept++;
	}
	free(sec->data);
	sec->data = data;
	sec->size = sec->sh.sh_size = out;
	free(rs->relas);
	rs->relas = relas;
	rs->nr_relas = rs->cap_relas = nr;
	if (!rs->cap_relas)
		rs->cap_relas = 1;
	return kept;
}

static void set_included(struct cdo_ctx *ctx, struct section *sec, bool include)
{
	if (!include) {
		sec->include = false;
		sec->status = STATUS_SAME;
		if (sec->rela) {
			sec->rela->include = false;
			sec->rela->status = STATUS_SAME;
		}
		return;
	}
	sec->include = true;
	if (sec->secsym)
		sec->secsym->include = true;
	if (sec->rela) {
		sec->rela->include = true;
		for (size_t i = 0; i < sec->rela->nr_relas; i++)
			include_symbol(ctx, sec->rela->relas[i].sym);
	}
}

/*
 * ---- entry sizes ----
 * A wrong entry size makes the rebuilt table start entries mid-entry: the
 * kernel would patch code at addresses read from a key. The relocations
 * tell: every entry has a relocated field where the first entry has its
 * first one (most often its start: the code it describes; ppc64le's
 * fixup_entry has a mask and a value first), and a field holds the same
 * kind of relocation in every entry.
 */
#define MAX_ENTRY_SIZE 4096

/*
 * What a relocation of a field is: its type, and whether it points at the
 * object's functions (replacement code counts with what else a replacement
 * field may name: thunks defined elsewhere).
 */
static uint32_t field_kind(const struct rela *r)
{
	const struct section *t = r->sym ? r->sym->sec : NULL;
	bool code = t && is_text_section(t) && strcmp(t->name, ".altinstr_replacement") &&
		    strcmp(t->name, ".altinstr_aux");

	return (r->type << 1 | code) + 1;	/* 0: no relocation */
}

/*
 * Do entries of size e fit sec's relocations? kind[e] receives the kind
 * of relocation at each offset of an entry. Strict: each entry has its
 * relocations at the same offsets. The last entry may be short (its
 * trailing padding not emitted).
 */
static bool entries_fit(const struct section *sec, uint64_t e, uint64_t lead, uint32_t *kind,
			bool strict)
{
	const struct section *rs = sec->rela;
	unsigned char *first = xcalloc(e, 1), *cur = xcalloc(e, 1);
	uint64_t entries = (sec->size + e - 1) / e;
	size_t j = 0;
	bool ok = sec->size > 0 && lead < e;

	memset(kind, 0, e * sizeof(*kind));
	for (uint64_t n = 0; ok && n < entries; n++) {
		memset(cur, 0, e);
		for (; j < rs->nr_relas && rs->relas[j].offset < (n + 1) * e; j++) {
			const struct rela *r = &rs->relas[j];
			uint64_t at = r->offset - n * e;
			uint32_t k = field_kind(r);

			if (r->offset < n * e || (kind[at] && kind[at] != k))
				ok = false;
			kind[at] = k;
			cur[at] = 1;
		}
		if (ok && !cur[lead])
			ok = false;
		if (strict && n == 0)
			memcpy(first, cur, e);
		else if (strict && memcmp(first, cur, e))
			ok = false;
	}
	if (j < rs->nr_relas)
		ok = false;	/* relocations past the end, or unsorted */
	free(first);
	free(cur);
	return ok;
}

/*
 * Relocated fields every entry of a kind has at least: an exception
 * table entry names the instruction that may fault and where to go then.
 * ppc64le's is just those two 32-bit offsets, a pattern repeating every 4
 * bytes: without this, its entries would look like 4-byte ones.
 */
static const unsigned int min_fields[SZ_COUNT] = { [SZ_EX] = 2 };

/*
 * The shortest period of the relocation pattern of e-byte entries that
 * could be an entry of its own (holds min relocated fields at least).
 */
static uint64_t pattern_period(const uint32_t *kind, uint64_t e, unsigned int min)
{
	for (uint64_t d = 1; d < e; d++) {
		bool repeats = e % d == 0;
		unsigned int fields = 0;

		for (uint64_t i = 0; repeats && i < e; i++)
			repeats = kind[i] == kind[(i + d) % e];
		for (uint64_t i = 0; repeats && i < d; i++)
			fields += kind[i] != 0;
		if (repeats && fields >= min)
			return d;
	}
	return e;
}

static unsigned int entry_min_fields(const struct special_section *desc)
{
	return desc->size_id == SZ_COUNT || !min_fields[desc->size_id] ? 1 :
	       min_fields[desc->size_id];
}

/* Is the relocation pattern of e-byte entries one entry's? why: why not. */
static const char *shape_misfit(const struct special_section *desc, const uint32_t *kind,
				uint64_t e, char *why, size_t whylen)
{
	unsigned int min = entry_min_fields(desc), fields = 0;
	uint64_t period = pattern_period(kind, e, min);

	for (uint64_t i = 0; i < e; i++)
		fields += kind[i] != 0;
	if (fields < min) {
		snprintf(why, whylen, "%lu-byte entries would hold %u relocated fields, fewer than its %u",
			 (unsigned long)e, fields, min);
		return why;
	}
	if (period == e)
		return NULL;
	snprintf(why, whylen, "its relocations repeat every %lu bytes, so each %lu bytes would hold several entries",
		 (unsigned long)period, (unsigned long)e);
	return why;
}

/* Why e does not fit sec (into why), or NULL if it does. */
static const char *misfit(const struct section *sec, const struct special_section *desc,
			  uint64_t e, uint64_t lead, uint32_t *kind, char *why, size_t whylen)
{
	if (!entries_fit(sec, e, lead, kind, false)) {
		if (sec->size % e)
			snprintf(why, whylen, "%lu bytes is not a multiple of %lu, and the relocations do not line up with such entries",
				 (unsigned long)sec->size, (unsigned long)e);
		else
			snprintf(why, whylen, "the relocations do not line up with %lu-byte entries",
				 (unsigned long)e);
		return why;
	}
	return shape_misfit(desc, kind, e, why, whylen);
}

/*
 * The smallest entry size the relocations allow without doubt, or 0. It
 * takes two entries at least to see a stride.
 */
static uint64_t derive_entry_size(const struct section *sec, const struct special_section *desc,
				  uint64_t lead, uint32_t *kind)
{
	char why[160];

	for (uint64_t e = lead + 1; e <= MAX_ENTRY_SIZE && 2 * e <= sec->size; e++)
		if (entries_fit(sec, e, lead, kind, true) &&
		    !shape_misfit(desc, kind, e, why, sizeof(why)))
			return e;
	return 0;
}

/*
 * The entry size of sec: the parent's DWARF, the environment or the table,
 * checked against the relocations. An environment or table size that does
 * not fit is replaced by the one the relocations show, and said so; one
 * from DWARF, or one nothing can replace, is refused. 0: refused.
 */
static uint64_t entry_size(struct cdo_ctx *ctx, const struct special_section *desc,
			   struct section *sec)
{
	bool dwarf = desc->size_id != SZ_COUNT && ctx->struct_size_from_dwarf[desc->size_id];
	uint64_t given = desc->size_id == SZ_COUNT ? desc->fixed_size :
			 ctx->struct_size[desc->size_id] ? ctx->struct_size[desc->size_id] :
			 sec->sh.sh_entsize;
	const char *source = desc->size_id == SZ_COUNT ? "the entry size this tool knows" :
			     dwarf ? "the size in the parent's DWARF" : struct_size_env[desc->size_id];
	uint32_t *kind = xcalloc(MAX_ENTRY_SIZE, sizeof(*kind));
	uint64_t lead = sec->rela->nr_relas ? sec->rela->relas[0].offset : 0;
	char why[256];
	const char *bad = NULL;
	uint64_t derived = 0;

	if (given && given <= MAX_ENTRY_SIZE && !(bad = misfit(sec, desc, given, lead, kind, why, sizeof(why)))) {
		free(kind);
		return given;
	}
	if (!dwarf)
		derived = derive_entry_size(sec, desc, lead, kind);
	free(kind);
	if (derived && given)
		result_add_warning(ctx, "%s: %s (%lu) does not fit %s: %s; using %lu-byte entries, the stride of its relocations; check %s for this kernel",
				   sec->name, source, (unsigned long)given, sec->name, bad ? bad : "too large",
				   (unsigned long)derived,
				   desc->size_id == SZ_COUNT ? "the kernel version" : source);
	else if (derived)
		result_add_note(ctx, "%s: no entry size given (%s); using %lu-byte entries, the stride of its relocations",
				sec->name, struct_size_env[desc->size_id], (unsigned long)derived);
	else if (given)
		result_add_refusal(ctx, R_SPECIAL_ENTRY_SIZE,
			"%s of %s: %s (%lu) does not fit it: %s%s; the rebuilt table would describe the wrong code: give the target kernel's vmlinux (--struct-sizes-from) or the right %s",
			sec->name, ctx->childobj, source, (unsigned long)given, bad ? bad : "too large",
			dwarf ? "" : ", and its relocations do not show the size unambiguously",
			desc->size_id == SZ_COUNT ? "kernel version" : struct_size_env[desc->size_id]);
	else
		result_add_refusal(ctx, R_SPECIAL_ENTRY_SIZE,
			"%s of %s: the entry size is unknown and its relocations do not show it unambiguously: pass the target kernel's vmlinux (--struct-sizes-from) or set %s",
			sec->name, ctx->childobj, struct_size_env[desc->size_id]);
	return derived;
}

static int regenerate_orc(struct cdo_ctx *ctx)
{
	struct section *ip = elf_find_section(ctx->patched, ".orc_unwind_ip");
	struct section *orc = elf_find_section(ctx->patched, ".orc_unwind");
	uint64_t orc_size = ctx->struct_size[SZ_ORC];
	size_t n, kept;
	bool *keep;
	unsigned char *data;
	uint64_t out = 0;

	if (!ip || !orc)
		return 0;
	/* not given: what the assembler says (8 on loongarch), else x86's 6 */
	if (!orc_size)
		orc_size = orc->sh.sh_entsize ? orc->sh.sh_entsize : 6;
	if (!ip->rela || ip->size % 4 || orc->size % orc_size || ip->size / 4 != orc->size / orc_size) {
		cdo_error(ctx, "%s: .orc_unwind (%lu bytes) and .orc_unwind_ip (%lu bytes) do not match for %lu-byte ORC entries",
			  ctx->childobj, (unsigned long)orc->size, (unsigned long)ip->size,
			  (unsigned long)orc_size);
		return -1;
	}
	n = ip->size / 4;
	keep = xcalloc(n ? n : 1, sizeof(*keep));
	kept = regenerate(ctx, ip, 4, NULL, keep);
	data = xmalloc(orc->size ? orc->size : 1);
	for (size_t i = 0; i < n; i++) {
		if (!keep[i])
			continue;
		memcpy(data + out, orc->data + i * orc_size, orc_size);
		out += orc_size;
	}
	free(orc->data);
	orc->data = data;
	orc->size = orc->sh.sh_size = out;
	free(keep);
	set_included(ctx, ip, kept > 0);
	set_included(ctx, orc, kept > 0);
	return 0;
}

/*
 * .printk_index holds pointers to the pi_entry records of printk call
 * sites, objects of their own: each must be the size the kernel reads
 * (PRINTK_INDEX_STRUCT_SIZE, or the parent's DWARF), or the object was
 * built for another kernel (or the size given is wrong).
 */
static void check_printk_index(struct cdo_ctx *ctx, struct section *sec)
{
	unsigned long want = ctx->struct_size[SZ_PRINTK_INDEX];
	bool dwarf = ctx->struct_size_from_dwarf[SZ_PRINTK_INDEX];

	for (size_t i = 0; want && i < sec->rela->nr_relas; i++) {
		struct symbol *entry = sec->rela->relas[i].sym;
		uint64_t size;

		if (!entry || !entry->sec)
			continue;
		size = entry->type == STT_OBJECT ? entry->sym.st_size : entry->sec->size;
		if (size == want)
			continue;
		if (dwarf)
			result_add_refusal(ctx, R_SPECIAL_ENTRY_SIZE,
				"%s of %s: printk index record %s is %lu bytes, but struct pi_entry of the parent is %lu: this object was not built for that kernel; rebuild it with the kernel's configuration",
				sec->name, ctx->childobj, entry->name, (unsigned long)size, want);
		else
			result_add_warning(ctx, "%s: printk index record %s is %lu bytes, not PRINTK_INDEX_STRUCT_SIZE (%lu): this object does not match a kernel with that size; check PRINTK_INDEX_STRUCT_SIZE for this kernel",
					   sec->name, entry->name, (unsigned long)size, want);
		return;	/* one message says it */
	}
}

/*
 * Runtime constants (runtime_ptr_<var>, runtime_shift_<var>) are patched
 * into vmlinux's text once at boot; a module's copy is never patched.
 */
static void process_runtime_consts(struct cdo_ctx *ctx)
{
	struct elf *elf = ctx->patched;

	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];
		bool ptr = !strncmp(sec->name, "runtime_ptr_", 12);
		bool shift = !strncmp(sec->name, "runtime_shift_", 14);
		const char *var_name = sec->name + (ptr ? 12 : 14);

		if ((!ptr && !shift) || is_rela_section(sec) || !sec->rela)
			continue;
		for (size_t j = 0; j < sec->rela->nr_relas; j++) {
			struct rela *r = &sec->rela->relas[j];
			struct symbol *func = r->sym, *var;
			int64_t at;

			if (!func || !func->sec || !func->sec->include || !is_text_section(func->sec))
				continue;
			at = (int64_t)func->sym.st_value + ctx->arch->rela_target_offset(r);
			if (shift || !ctx->arch->runtime_const_to_load) {
				result_add_func_refusal(ctx, R_RUNTIME_CONST, func->name,
					"%s uses the boot-time constant %s (%s), which is never filled in for a module: keep that code out of the patched functions",
					func->name, var_name, sec->name);
				continue;
			}
			var = elf_find_symbol(elf, var_name);
			if (!var || var->sec || var->type == STT_SECTION)
				var = elf_add_symbol(elf, var_name, STB_GLOBAL, STT_NOTYPE, NULL, 0, 0);
			var->include = true;
			var->status = STATUS_SAME;
			if (at < 0 || !ctx->arch->runtime_const_to_load(elf, func->sec, (uint64_t)at, var))
				result_add_func_refusal(ctx, R_RUNTIME_CONST, func->name,
					"%s: the runtime constant %s at +0x%lx is not an instruction this tool can rewrite",
					func->name, var_name, (unsigned long)at);
			else
				result_add_note(ctx, "%s: boot-time constant %s becomes a load of %s",
						func->name, sec->name, var_name);
		}
		set_included(ctx, sec, false);
	}
}

/*
 * Replacement code of alternatives has no symbols, and is not split per
 * function: .altinstructions entries point at its pieces. A piece runs from
 * one entry's replacement to the next one's (or the section's end).
 */
struct replacement_pieces {
	uint64_t *starts;	/* sorted, unique */
	size_t nr;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Where the .altinstructions relocations say replacements start. */
static void find_replacement_starts(struct section *alt, struct section *repl,
				    struct replacement_pieces *pieces)
{
	size_t n = 0;

	pieces->starts = xcalloc(alt->rela->nr_relas + 1, sizeof(*pieces->starts));
	for (size_t i = 0; i < alt->rela->nr_relas; i++) {
		struct rela *r = &alt->rela->relas[i];

		if (r->sym && r->sym->sec == repl && r->addend >= 0 &&
		    (uint64_t)r->addend <= repl->size)
			pieces->starts[n++] = (uint64_t)r->addend;
	}
	qsort(pieces->starts, n, sizeof(*pieces->starts), cmp_u64);
	pieces->nr = 0;
	for (size_t i = 0; i < n; i++)
		if (!pieces->nr || pieces->starts[pieces->nr - 1] != pieces->starts[i])
			pieces->starts[pieces->nr++] = pieces->starts[i];
}

/* The piece an .altinstructions relocation points at, or -1. */
static ssize_t piece_of(const struct replacement_pieces *pieces, const struct rela *r,
			const struct section *repl)
{
	uint64_t *at;

	if (!r->sym || r->sym->sec != repl || r->addend < 0)
		return -1;
	at = bsearch(&(uint64_t){ (uint64_t)r->addend }, pieces->starts, pieces->nr,
		     sizeof(*pieces->starts), cmp_u64);
	return at ? at - pieces->starts : -1;
}

static uint64_t piece_end(const struct replacement_pieces *pieces, size_t i, uint64_t size)
{
	return i + 1 < pieces->nr ? pieces->starts[i + 1] : size;
}

/* The piece starting at off (off is one of the starts). */
static size_t piece_of_offset(const struct replacement_pieces *pieces, uint64_t off)
{
	uint64_t *at = bsearch(&off, pieces->starts, pieces->nr, sizeof(off), cmp_u64);

	return (size_t)(at - pieces->starts);
}

/*
 * A reference from kept replacement code into a section the output does
 * not carry (the rest of an unchanged function, init code): name the
 * function instead of its section, so the reference goes to the kernel's
 * copy rather than pulling the section in.
 */
static void refer_by_symbol(struct cdo_ctx *ctx, struct rela *r)
{
	struct section *target = r->sym ? r->sym->sec : NULL;
	struct symbol *func;
	int64_t at;

	if (!target || r->sym->type != STT_SECTION || target->include)
		return;
	at = ctx->arch->rela_target_offset(r);
	if (at < 0 || !(func = elf_symbol_containing(target, (uint64_t)at)) || !is_func(func))
		return;
	r->sym = func;
	r->addend -= (int64_t)func->sym.st_value;
}

/*
 * Keep only the pieces of .altinstr_replacement the kept .altinstructions
 * entries use, moved together; the entries are pointed at the new places.
 */
static void trim_replacements(struct cdo_ctx *ctx, struct section *alt, struct section *repl,
			      const struct replacement_pieces *pieces)
{
	uint64_t *new_start = xcalloc(pieces->nr + 1, sizeof(*new_start));
	bool *kept = xcalloc(pieces->nr + 1, sizeof(*kept));
	unsigned char *data = xmalloc(repl->size ? repl->size : 1);
	struct section *rs = repl->rela;
	uint64_t out = 0;
	size_t nr = 0;

	for (size_t i = 0; i < alt->rela->nr_relas; i++) {
		ssize_t piece = piece_of(pieces, &alt->rela->relas[i], repl);

		if (piece >= 0)
			kept[piece] = true;
	}
	for (size_t i = 0; i < pieces->nr; i++) {
		uint64_t start = pieces->starts[i], len = piece_end(pieces, i, repl->size) - start;

		if (!kept[i])
			continue;
		new_start[i] = out;
		if (repl->data)
			memcpy(data + out, repl->data + start, len);
		out += len;
	}
	for (size_t i = 0; i < alt->rela->nr_relas; i++) {
		ssize_t piece = piece_of(pieces, &alt->rela->relas[i], repl);

		if (piece >= 0)
			alt->rela->relas[i].addend = (int64_t)new_start[piece];
	}
	for (size_t j = 0, piece = 0; rs && j < rs->nr_relas; j++) {
		struct rela r = rs->relas[j];

		/* relocations are sorted by offset, as the pieces are */
		while (piece < pieces->nr && r.offset >= piece_end(pieces, piece, repl->size))
			piece++;
		if (piece >= pieces->nr || !kept[piece] || r.offset < pieces->starts[piece])
			continue;
		r.offset = r.offset - pieces->starts[piece] + new_start[piece];
		rs->relas[nr++] = r;
	}
	if (rs)
		rs->nr_relas = nr;
	free(repl->data);
	repl->data = data;
	repl->size = repl->sh.sh_size = out;
	for (size_t j = 0; rs && j < rs->nr_relas; j++)
		refer_by_symbol(ctx, &rs->relas[j]);
	free(new_start);
	free(kept);
}

/* The offset in aux a relocation of code reaches. */
static bool aux_target(struct cdo_ctx *ctx, struct rela *r, const struct section *aux,
		       uint64_t *off)
{
	int64_t at;

	if (!r->sym || r->sym->sec != aux)
		return false;
	at = (r->sym->type == STT_SECTION ? 0 : (int64_t)r->sym->sym.st_value) +
	     ctx->arch->rela_target_offset(r);
	if (at < 0 || (uint64_t)at >= aux->size)
		return false;
	*off = (uint64_t)at;
	return true;
}

/*
 * static_cpu_has()'s slow paths sit in .altinstr_aux, one piece per use:
 * the using function jumps to it until alternatives are applied, and it
 * jumps back into that function. Keep only the pieces of the functions
 * the output carries, moved together; the others would refer to
 * functions it does not carry (through klp relocations, in a section the
 * loader uses before livepatch can resolve them).
 */
/* A jump from a function into .altinstr_aux. */
struct aux_ref {
	struct rela *rela;
	uint64_t off;		/* the piece it reaches */
	bool from_output;	/* made by a function the output carries */
};

static void trim_aux(struct cdo_ctx *ctx)
{
	struct elf *elf = ctx->patched;
	struct section *aux = elf_find_section(elf, ".altinstr_aux");
	struct replacement_pieces pieces = { NULL, 0 };
	struct aux_ref *refs = NULL;
	size_t cap = 0, nrefs = 0, nr = 0;
	uint64_t *new_start, out = 0, off;
	bool *kept;
	unsigned char *data;

	if (!aux || !aux->include || !aux->data || is_rela_section(aux))
		return;
	/* every jump into it, once: the pieces start where they land */
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *rs = elf->sections[i];

		if (!is_rela_section(rs) || !rs->base || rs->base == aux || !is_text_section(rs->base))
			continue;
		for (size_t j = 0; j < rs->nr_relas; j++) {
			if (!aux_target(ctx, &rs->relas[j], aux, &off))
				continue;
			if (nrefs == cap)
				refs = xrealloc(refs, (cap = cap ? 2 * cap : 16) * sizeof(*refs));
			refs[nrefs++] = (struct aux_ref){ &rs->relas[j], off, rs->base->include };
		}
	}
	pieces.starts = xcalloc(nrefs + 1, sizeof(*pieces.starts));
	for (size_t i = 0; i < nrefs; i++)
		pieces.starts[i] = refs[i].off;
	qsort(pieces.starts, nrefs, sizeof(*pieces.starts), cmp_u64);
	for (size_t i = 0; i < nrefs; i++)
		if (!nr || pieces.starts[nr - 1] != pieces.starts[i])
			pieces.starts[nr++] = pieces.starts[i];
	pieces.nr = nr;
	kept = xcalloc(nr + 1, sizeof(*kept));
	new_start = xcalloc(nr + 1, sizeof(*new_start));
	for (size_t i = 0; i < nrefs; i++)
		if (refs[i].from_output)
			kept[piece_of_offset(&pieces, refs[i].off)] = true;
	data = xmalloc(aux->size ? aux->size : 1);
	for (size_t i = 0; i < nr; i++) {
		uint64_t len = piece_end(&pieces, i, aux->size) - pieces.starts[i];

		if (!kept[i])
			continue;
		new_start[i] = out;
		memcpy(data + out, aux->data + pieces.starts[i], len);
		out += len;
	}
	/* the jumps into kept pieces follow them */
	for (size_t i = 0; i < nrefs; i++)
		if (refs[i].from_output)
			refs[i].rela->addend += (int64_t)new_start[piece_of_offset(&pieces, refs[i].off)] -
						(int64_t)refs[i].off;
	/* the pieces' own relocations: kept with their piece, moved with it */
	if (aux->rela) {
		struct section *rs = aux->rela;
		size_t n = 0;

		for (size_t j = 0, piece = 0; j < rs->nr_relas; j++) {
			struct rela r = rs->relas[j];

			while (piece < nr && r.offset >= piece_end(&pieces, piece, aux->size))
				piece++;
			if (piece >= nr || !kept[piece] || r.offset < pieces.starts[piece])
				continue;
			r.offset = r.offset - pieces.starts[piece] + new_start[piece];
			rs->relas[n++] = r;
		}
		rs->nr_relas = n;
	}
	free(aux->data);
	aux->data = data;
	aux->size = aux->sh.sh_size = out;
	if (!out)
		set_included(ctx, aux, false);
	free(refs);
	free(pieces.starts);
	free(kept);
	free(new_start);
}

/*
 * Old-style fixups (.fixup) have no symbols: a piece starts where an
 * __ex_table entry sends a fault and runs to the next one (it branches
 * back into its function). They can be cut to the pieces of the kept
 * entries, as replacement code is, when nothing else points into .fixup.
 */
static bool only_ex_table_refers_to(struct elf *elf, const struct section *fixup)
{
	for (size_t i = 1; i < elf->nr_sections; i++) {
		const struct section *rs = elf->sections[i];

		if (!is_rela_section(rs) || !rs->base || rs->base == fixup ||
		    !strcmp(rs->base->name, "__ex_table"))
			continue;
		for (size_t j = 0; j < rs->nr_relas; j++)
			if (rs->relas[j].sym && rs->relas[j].sym->sec == fixup)
				return false;
	}
	return true;
}

int process_special_sections(struct cdo_ctx *ctx)
{
	struct elf *elf = ctx->patched;
	size_t before = ctx->result.nr_refusals;
	bool fixups = false, fixup_trimmed = false;
	struct section *alt = elf_find_section(elf, ".altinstructions");
	struct section *repl = elf_find_section(elf, ".altinstr_replacement");
	struct section *ex = elf_find_section(elf, "__ex_table");
	struct section *fixup = elf_find_section(elf, ".fixup");
	struct replacement_pieces pieces = { NULL, 0 }, fixup_pieces = { NULL, 0 };

	if (alt && alt->rela && repl)
		find_replacement_starts(alt, repl, &pieces);
	if (ex && ex->rela && fixup && !fixup->include && only_ex_table_refers_to(elf, fixup))
		find_replacement_starts(ex, fixup, &fixup_pieces);

	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];
		const struct special_section *desc = find_special(ctx, sec->name);
		uint64_t entsize;
		size_t kept;

		if (!desc || is_rela_section(sec))
			continue;
		if (!sec->rela) {
			set_included(ctx, sec, false);
			continue;
		}
		/* objtool seals ENDBRs it thinks unused; the patched copies must keep theirs */
		if (!strcmp(sec->name, ".ibt_endbr_seal")) {
			set_included(ctx, sec, false);
			continue;
		}
		entsize = entry_size(ctx, desc, sec);
		if (!entsize) {
			set_included(ctx, sec, false);
			continue;
		}
		if (!strcmp(sec->name, ".printk_index"))
			check_printk_index(ctx, sec);
		kept = regenerate(ctx, sec, entsize, desc, NULL);
		/* before the kept entries bring their replacement code in */
		if (kept && sec == alt && repl)
			trim_replacements(ctx, alt, repl, &pieces);
		if (kept && sec == ex && fixup_pieces.starts) {
			trim_replacements(ctx, ex, fixup, &fixup_pieces);
			fixup_trimmed = true;
		}
		set_included(ctx, sec, kept > 0);
		if (kept && sec == ex)
			fixups = true;
	}
	free(pieces.starts);
	free(fixup_pieces.starts);
	/* Fixups something else points into too: carry them whole. */
	if (fixups && fixup && !fixup_trimmed)
		include_section(ctx, fixup);
	trim_aux(ctx);
	if (regenerate_orc(ctx))
		return -1;
	process_runtime_consts(ctx);
	return ctx->result.nr_refusals > before ? -1 : 0;
}
