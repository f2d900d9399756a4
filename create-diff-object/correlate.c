// SPDX-License-Identifier: GPL-2.0
/*
 * Before two objects can be compared, each is analysed on its own
 * (which symbol a section was made for, .cold/.part children, prefix
 * symbols, ftrace call sites, section-symbol references turned into
 * symbol references) and then the two are correlated: every patched
 * section and symbol finds its original twin, by exact name first, then
 * by name with the compiler's numeric suffixes ignored, and static locals
 * by the functions that use them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdo.h"
#include "util.h"

/* ---- names ------------------------------------------------------------ */

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/*
 * The name with the compiler's numbering removed: ".<digits>" components
 * (foo.isra.3, __key.12, .text.foo.cold.7) and the counter __UNIQUE_ID_
 * names end with. String-literal sections keep their exact names: their
 * numbers are the character width, not a counter.
 */
char *canonical_name(const char *name)
{
	size_t len = strlen(name), o = 0;
	char *out = xmalloc(len + 1);
	bool unique_id = strstr(name, "__UNIQUE_ID_") != NULL;

	if (strstr(name, ".str1.") || strstr(name, ".str2.") || strstr(name, ".str4.")) {
		memcpy(out, name, len + 1);
		return out;
	}
	for (size_t i = 0; i < len;) {
		if (name[i] == '.') {
			size_t j = i + 1;

			while (j < len && name[j] != '.')
				j++;
			if (all_digits(name + i + 1, j - i - 1)) {
				i = j;
				continue;
			}
		}
		if (unique_id && name[i] >= '0' && name[i] <= '9' && i > 0 &&
		    name[i - 1] != '.') {
			size_t j = i;

			while (j < len && name[j] >= '0' && name[j] <= '9')
				j++;
			if (j == len || name[j] == '.') {
				i = j;
				continue;
			}
		}
		out[o++] = name[i++];
	}
	out[o] = '\0';
	return out;
}

bool names_equivalent(const char *a, const char *b)
{
	char *ca, *cb;
	bool eq;

	if (!strcmp(a, b))
		return true;
	ca = canonical_name(a);
	cb = canonical_name(b);
	eq = !strcmp(ca, cb);
	free(ca);
	free(cb);
	return eq;
}

/* ---- classification --------------------------------------------------- */

bool is_string_section(const struct section *sec)
{
	return (sec->sh.sh_flags & SHF_STRINGS) != 0;
}

bool is_data_section_name(const char *name)
{
	return !strncmp(name, ".data", 5) || !strncmp(name, ".bss", 4);
}

/*
 * Sections about the object, for the module loader, modprobe and the
 * build (MODULE_ALIAS and MODULE_DESCRIPTION strings, the compiler's
 * .comment, notes, objtool's annotations): the running code never reads
 * them, and a livepatch cannot change the running module's, so what they
 * hold is never a changed or refused part of a patch.
 */
bool is_metadata_section(const struct cdo_ctx *ctx, const struct section *sec)
{
	const char *n = sec->name;

	return !strcmp(n, ".modinfo") || !strcmp(n, ".comment") || !strncmp(n, ".note", 5) ||
	       !strncmp(n, ".llvm", 5) ||
	       (!strncmp(n, ".discard", 8) && !is_special_section(ctx, sec));
}

bool is_ubsan_section(const struct section *sec)
{
	return strstr(sec->name, ".Lubsan") != NULL;
}

/* Clang's anonymous data and UBSAN descriptors: never the same object. */
bool never_correlate_section(const struct section *sec)
{
	const char *name = sec->name;

	if (is_rela_section(sec) && sec->base)
		name = sec->base->name;
	return strstr(name, ".Lubsan") || strstr(name, "..L__unnamed_") ||
	       strstr(name, ".data.__unnamed_") ||
	       (sec->bundled && is_special_static(sec->bundled));
}

/*
 * Compiler-generated statics that belong to one call site (WARN_ONCE's
 * flag, lockdep keys, printk_ratelimit state, dynamic-debug descriptors,
 * switch tables): the patched code gets fresh ones rather than sharing the
 * running kernel's.
 */
bool is_special_static(const struct symbol *sym)
{
	static const char *const vars[] = {
		"__key", "__warned", "__already_done", "__func__", "__FUNCTION__",
		"_rs", "CSWTCH", "_entry", "_entry_ptr", "descriptor",
		"__print_once", "__msg", NULL
	};
	const char *name = sym->name;

	if (!sym)
		return false;
	if (sym->type == STT_SECTION && sym->sec && sym->sec->bundled)
		sym = sym->sec->bundled;
	name = sym->name;
	if (sym->sec && (!strcmp(sym->sec->name, "__verbose") ||
			 !strcmp(sym->sec->name, "__dyndbg") ||
			 !strcmp(sym->sec->name, "__dyndbg_classes") ||
			 strstr(sym->sec->name, "..L__unnamed_") ||
			 strstr(sym->sec->name, ".data.__unnamed_")))
		return true;
	if (strstr(name, "__UNIQUE_ID_ddebug"))
		return true;
	if (sym->type != STT_OBJECT || sym->bind != STB_LOCAL)
		return false;
	if (sym->sec && (!strcmp(sym->sec->name, ".data.once") ||
			 !strcmp(sym->sec->name, ".data..once")))
		return true;
	for (const char *const *v = vars; *v; v++) {
		size_t n = strlen(*v);
		const char *p;

		/* gcc: "__key.123"; clang: "func.__key" or "func.__key.12" */
		if (!strncmp(name, *v, n) && (name[n] == '.' || !name[n]))
			return true;
		for (p = strchr(name, '.'); p; p = strchr(p + 1, '.'))
			if (!strncmp(p + 1, *v, n) && (p[1 + n] == '.' || !p[1 + n]))
				return true;
	}
	return false;
}

/* A function-scope static the patched code must keep sharing. */
static bool is_normal_static_local(const struct symbol *sym)
{
	if (sym->type == STT_SECTION && sym->sec && sym->sec->bundled)
		sym = sym->sec->bundled;
	/* __UNIQUE_ID_ names correlate by name; .discard data is never used */
	return sym->type == STT_OBJECT && sym->bind == STB_LOCAL &&
	       strchr(sym->name, '.') && strncmp(sym->name, ".L", 2) &&
	       !strstr(sym->name, "__UNIQUE_ID_") &&
	       !(sym->sec && !strncmp(sym->sec->name, ".discard", 8)) &&
	       !is_special_static(sym);
}

/* ---- analysis of one object ------------------------------------------- */

static const char *const bundle_prefixes[] = {
	".text.", ".text.unlikely.", ".text.hot.", ".text.startup.",
	".data.", ".data.rel.", ".data.rel.ro.", ".data.rel.local.",
	".data.rel.ro.local.", ".rodata.", ".bss.", ".tbss.", ".tdata.",
	".data..read_mostly.", NULL
};

static bool section_named_for(const struct section *sec, const char *name, size_t len)
{
	for (const char *const *p = bundle_prefixes; *p; p++) {
		size_t n = strlen(*p);

		if (!strncmp(sec->name, *p, n) && strlen(sec->name + n) == len &&
		    !strncmp(sec->name + n, name, len))
			return true;
	}
	return false;
}

static bool is_bundled_in(const struct symbol *sym, const struct section *sec)
{
	const char *cold;

	if (section_named_for(sec, sym->name, strlen(sym->name)))
		return true;
	/* gcc puts foo.cold into .text.unlikely.foo */
	cold = strstr(sym->name, ".cold");
	return cold && !strncmp(sec->name, ".text.unlikely.", 15) &&
	       section_named_for(sec, sym->name, (size_t)(cold - sym->name));
}

static void find_bundles(struct cdo_ctx *ctx, struct elf *elf)
{
	for (size_t i = 1; i < elf->nr_symbols; i++) {
		struct symbol *sym = elf->symbols[i];
		struct section *sec = sym->sec;
		uint64_t expected = 0;

		if (!sec || (sym->type != STT_FUNC && sym->type != STT_OBJECT) ||
		    sec->bundled || !is_bundled_in(sym, sec))
			continue;
		/*
		 * Something may sit in front of the function: a prefix symbol
		 * (__pfx_, __cfi_) or the bare padding -fpatchable-function-entry
		 * leaves when objtool has not named it yet (CALL_PADDING).
		 */
		if (sym->sym.st_value && sec->nr_syms && sec->syms[0]->is_pfx)
			expected = sec->syms[0]->sym.st_size;
		else if (sym->sym.st_value && ctx->arch->is_padding &&
			 ctx->arch->is_padding(sec, sym->sym.st_value))
			expected = sym->sym.st_value;
		if (sym->sym.st_value != expected) {
			cdo_debug(ctx, "%s: %s at offset 0x%lx of %s is not bundled",
				  elf->path, sym->name, (unsigned long)sym->sym.st_value, sec->name);
			continue;
		}
		sec->bundled = sym;
	}
}

static void link_prefixes(struct cdo_ctx *ctx, struct elf *elf)
{
	if (!ctx->arch->is_prefix_symbol)
		return;
	for (size_t i = 1; i < elf->nr_symbols; i++) {
		struct symbol *sym = elf->symbols[i], *func;
		const char *target;

		if (sym->type != STT_FUNC && sym->type != STT_NOTYPE)
			continue;
		if (!ctx->arch->is_prefix_symbol(sym->name))
			continue;
		target = sym->name + 6;	/* "__pfx_" and "__cfi_" are both 6 long */
		sym->is_pfx = true;
		for (func = elf_find_symbol(elf, target); func;
		     func = elf_find_symbol_next(elf, func))
			if (func->type == STT_FUNC && func->sec == sym->sec) {
				func->pfx = sym;
				break;
			}
	}
}

static void add_child(struct symbol *parent, struct symbol *child)
{
	parent->children = xrealloc(parent->children,
				    (parent->nr_children + 1) * sizeof(*parent->children));
	parent->children[parent->nr_children++] = child;
	child->parent = parent;
}

static struct symbol *find_func(struct elf *elf, const char *name, size_t len,
				const struct symbol *near)
{
	char *want = xmalloc(len + 1);
	struct symbol *best = NULL;

	memcpy(want, name, len);
	want[len] = '\0';
	for (struct symbol *s = elf_find_symbol(elf, want); s; s = elf_find_symbol_next(elf, s)) {
		if (s->type != STT_FUNC || !s->sec)
			continue;
		if (!best || (near && s->file == near->file))
			best = s;
	}
	free(want);
	return best;
}

static int find_children(struct cdo_ctx *ctx, struct elf *elf)
{
	for (size_t i = 1; i < elf->nr_symbols; i++) {
		struct symbol *sym = elf->symbols[i], *parent;
		const char *mark;

		if (sym->type != STT_FUNC || !sym->sec)
			continue;
		if ((mark = strstr(sym->name, ".cold"))) {
			parent = find_func(elf, sym->name, (size_t)(mark - sym->name), sym);
			if (!parent) {
				cdo_error(ctx, "%s: cannot find the parent function of %s",
					  elf->path, sym->name);
				return -1;
			}
			add_child(parent, sym);
		} else if ((mark = strstr(sym->name, ".part."))) {
			parent = find_func(elf, sym->name, (size_t)(mark - sym->name), sym);
			if (parent && parent != sym)
				add_child(parent, sym);
		}
	}
	return 0;
}

static void find_fentry_sites(struct cdo_ctx *ctx, struct elf *elf)
{
	if (ctx->arch->prepare_object)
		ctx->arch->prepare_object(elf);
	for (size_t i = 1; i < elf->nr_symbols; i++) {
		struct symbol *sym = elf->symbols[i];
		uint64_t site;
		struct rela *rela;

		if (sym->type != STT_FUNC || !sym->sec || sym->is_pfx)
			continue;
		sym->has_fentry = ctx->arch->find_fentry(sym->sec, sym, &site, &rela);
		if (sym->has_fentry)
			sym->fentry_offset = (int64_t)site - (int64_t)sym->sym.st_value;
	}
}

int analyze_symbols(struct cdo_ctx *ctx, struct elf *elf)
{
	link_prefixes(ctx, elf);
	find_bundles(ctx, elf);
	if (find_children(ctx, elf))
		return -1;
	find_fentry_sites(ctx, elf);
	return 0;
}

/* ---- section-symbol references ---------------------------------------- */

/*
 * Sections whose contents have no symbols and are reached only through
 * their section symbol: keep those references as they are.
 */
static bool keep_section_reference(const struct section *target)
{
	return is_string_section(target) || is_ubsan_section(target) ||
	       !strcmp(target->name, ".altinstr_replacement") ||
	       !strcmp(target->name, ".altinstr_aux") ||
	       !strcmp(target->name, ".fixup") ||
	       !strncmp(target->name, ".discard", 8) ||
	       is_debug_section(target);
}

struct symbol *section_function(struct section *sec)
{
	if (is_rela_section(sec))
		sec = sec->base;
	return sec && sec->bundled && sec->bundled->type == STT_FUNC ? sec->bundled : NULL;
}

/*
 * "section+offset" references are rewritten to "symbol+offset" so that the
 * two objects can be compared by symbol and so the output references named
 * things the kernel can resolve.
 */
int replace_section_symbols(struct cdo_ctx *ctx, struct elf *elf)
{
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *rs = elf->sections[i];

		if (!is_rela_section(rs) || is_debug_section(rs))
			continue;
		if (!strcmp(rs->base->name, "__patchable_function_entries"))
			continue;
		/*
		 * objtool reads its annotations only as section+offset, and
		 * takes a jump in replacement code that names a function for
		 * a sibling call: keep both as the compiler wrote them.
		 */
		if ((!strncmp(rs->base->name, ".discard.", 9) && is_special_section(ctx, rs)) ||
		    !strcmp(rs->base->name, ".altinstr_replacement"))
			continue;
		for (size_t j = 0; j < rs->nr_relas; j++) {
			struct rela *rela = &rs->relas[j];
			struct section *target;
			struct symbol *sym;
			int64_t offset;

			if (!rela->sym || rela->sym->type != STT_SECTION || !rela->sym->sec)
				continue;
			target = rela->sym->sec;
			if (keep_section_reference(target))
				continue;
			/*
			 * Judge by the place meant, not the raw addend: a call's
			 * addend is 4 short of its target, and in a section ld -r
			 * merged, that can fall inside the function before it.
			 */
			offset = ctx->arch->rela_target_offset(rela);
			if (target->bundled && target->bundled->sym.st_value == 0 &&
			    (offset < 0 || (uint64_t)offset < target->bundled->sym.st_size ||
			     ((uint64_t)offset == target->bundled->sym.st_size &&
			      !elf_symbol_containing(target, (uint64_t)offset)))) {
				rela->sym = target->bundled;
				continue;
			}
			if (offset < 0 || (uint64_t)offset > target->size)
				continue;
			sym = elf_symbol_containing(target, (uint64_t)offset);
			if (!sym && offset > 0) {
				/* a reference to the end of an object (array bounds) */
				sym = elf_symbol_containing(target, (uint64_t)offset - 1);
				if (sym && sym->sym.st_value + sym->sym.st_size != (uint64_t)offset)
					sym = NULL;
			}
			if (!sym || (sym->type != STT_FUNC && sym->type != STT_OBJECT))
				continue;
			rela->sym = sym;
			rela->addend -= (int64_t)sym->sym.st_value;
		}
	}
	return 0;
}

/* ---- correlation ------------------------------------------------------ */

/* name -> FIFO of candidates; the tiny map correlation needs. */
struct candidates {
	char **keys;
	void ***items;
	size_t *count, *next;
	size_t size;
};

static unsigned long str_hash(const char *s)
{
	unsigned long h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static void cand_init(struct candidates *c, size_t n)
{
	c->size = 64;
	while (c->size < 2 * n)
		c->size <<= 1;
	c->keys = xcalloc(c->size, sizeof(*c->keys));
	c->items = xcalloc(c->size, sizeof(*c->items));
	c->count = xcalloc(c->size, sizeof(*c->count));
	c->next = xcalloc(c->size, sizeof(*c->next));
}

static size_t cand_slot(struct candidates *c, const char *key)
{
	size_t b = str_hash(key) & (c->size - 1);

	while (c->keys[b] && strcmp(c->keys[b], key))
		b = (b + 1) & (c->size - 1);
	return b;
}

static void cand_add(struct candidates *c, const char *key, void *item)
{
	size_t b = cand_slot(c, key);

	if (!c->keys[b])
		c->keys[b] = xstrdup(key);
	c->items[b] = xrealloc(c->items[b], (c->count[b] + 1) * sizeof(void *));
	c->items[b][c->count[b]++] = item;
}

static void **cand_get(struct candidates *c, const char *key, size_t *n)
{
	size_t b = cand_slot(c, key);

	*n = c->keys[b] ? c->count[b] : 0;
	return c->keys[b] ? c->items[b] : NULL;
}

static void cand_free(struct candidates *c)
{
	for (size_t i = 0; i < c->size; i++) {
		free(c->keys[i]);
		free(c->items[i]);
	}
	free(c->keys);
	free(c->items);
	free(c->count);
	free(c->next);
}

static void set_section_twins(struct cdo_ctx *ctx, struct section *p, struct section *o);

static void set_symbol_twins(struct cdo_ctx *ctx, struct symbol *p, struct symbol *o)
{
	if (p->twin || o->twin)
		return;
	p->twin = o;
	o->twin = p;
	if (strcmp(p->name, o->name) && p->type != STT_SECTION)
		elf_rename_symbol(ctx->patched, p, o->name);
	if (p->sec && o->sec && p->sec->bundled == p && o->sec->bundled == o)
		set_section_twins(ctx, p->sec, o->sec);
}

static void set_section_twins(struct cdo_ctx *ctx, struct section *p, struct section *o)
{
	if (p->twin || o->twin)
		return;
	p->twin = o;
	o->twin = p;
	if (strcmp(p->name, o->name))
		elf_rename_section(ctx->patched, p, o->name);
	if (p->rela && o->rela && !p->rela->twin && !o->rela->twin) {
		p->rela->twin = o->rela;
		o->rela->twin = p->rela;
		if (strcmp(p->rela->name, o->rela->name))
			elf_rename_section(ctx->patched, p->rela, o->rela->name);
	}
	if (p->secsym && o->secsym && !p->secsym->twin && !o->secsym->twin) {
		p->secsym->twin = o->secsym;
		o->secsym->twin = p->secsym;
	}
	if (p->bundled && o->bundled && p->bundled->type == o->bundled->type)
		set_symbol_twins(ctx, p->bundled, o->bundled);
}

static bool skip_section(const struct section *sec)
{
	return is_rela_section(sec) || sec->deleted || never_correlate_section(sec) ||
	       (sec->bundled && is_normal_static_local(sec->bundled));
}

/*
 * Name matching shared by sections and symbols: exact names first (they
 * are right even where numbering shifted), then names with the compiler's
 * numbering ignored, pairing candidates in order.
 */
struct name_matcher {
	const char *(*name)(const void *item);
	bool (*skip)(const void *item);
	bool (*has_twin)(const void *item);
	bool (*compatible)(const void *patched, const void *orig);
	void (*pair)(struct cdo_ctx *ctx, void *patched, void *orig);
};

static void match_by_name(struct cdo_ctx *ctx, const struct name_matcher *m,
			  void *const *orig, size_t norig, void *const *patched, size_t npatched)
{
	struct candidates exact, canon;

	cand_init(&exact, norig);
	cand_init(&canon, norig);
	for (size_t i = 1; i < norig; i++) {
		char *key;

		if (m->skip(orig[i]))
			continue;
		cand_add(&exact, m->name(orig[i]), orig[i]);
		key = canonical_name(m->name(orig[i]));
		cand_add(&canon, key, orig[i]);
		free(key);
	}
	for (int pass = 0; pass < 2; pass++) {
		struct candidates *c = pass ? &canon : &exact;

		for (size_t i = 1; i < npatched; i++) {
			void *p = patched[i], **items;
			char *key;
			size_t n;

			if (m->has_twin(p) || m->skip(p))
				continue;
			key = pass ? canonical_name(m->name(p)) : xstrdup(m->name(p));
			items = cand_get(c, key, &n);
			for (size_t k = 0; k < n; k++) {
				if (m->has_twin(items[k]) || !m->compatible(p, items[k]))
					continue;
				m->pair(ctx, p, items[k]);
				break;
			}
			free(key);
		}
	}
	cand_free(&exact);
	cand_free(&canon);
}

static const char *section_name(const void *item)
{
	return ((const struct section *)item)->name;
}

static bool section_skip(const void *item)
{
	return skip_section(item);
}

static bool section_has_twin(const void *item)
{
	return ((const struct section *)item)->twin != NULL;
}

static bool sections_compatible(const void *pv, const void *ov)
{
	const struct section *p = pv, *o = ov;

	if (o->sh.sh_type != p->sh.sh_type)
		return false;
	/* group sections only pair when identical */
	return o->sh.sh_type != SHT_GROUP ||
	       (o->size == p->size && !memcmp(o->data, p->data, o->size));
}

static void sections_pair(struct cdo_ctx *ctx, void *p, void *o)
{
	set_section_twins(ctx, p, o);
}

static void correlate_sections(struct cdo_ctx *ctx)
{
	static const struct name_matcher m = {
		section_name, section_skip, section_has_twin, sections_compatible, sections_pair
	};

	match_by_name(ctx, &m, (void *const *)ctx->orig->sections, ctx->orig->nr_sections,
		      (void *const *)ctx->patched->sections, ctx->patched->nr_sections);
}

static bool skip_symbol(const struct symbol *sym)
{
	if (sym->index == 0 || sym->type == STT_SECTION || sym->deleted)
		return true;
	if (sym->sec && never_correlate_section(sym->sec))
		return true;
	if (is_special_static(sym) || is_normal_static_local(sym))
		return true;
	if (sym->type == STT_NOTYPE && !strncmp(sym->name, ".L", 2))
		return true;
	if (is_mapping_symbol(sym))
		return true;
	return false;
}

static bool same_file(const struct symbol *p, const struct symbol *o)
{
	if (p->bind != STB_LOCAL || o->bind != STB_LOCAL)
		return true;
	if (!p->file || !o->file)
		return !p->file && !o->file;
	return !strcmp(p->file->name, o->file->name);
}

static const char *symbol_name(const void *item)
{
	return ((const struct symbol *)item)->name;
}

static bool symbol_skip(const void *item)
{
	return skip_symbol(item);
}

static bool symbol_has_twin(const void *item)
{
	return ((const struct symbol *)item)->twin != NULL;
}

static bool symbols_compatible(const void *pv, const void *ov)
{
	const struct symbol *p = pv, *o = ov;

	if (o->type != p->type || !same_file(p, o))
		return false;
	/* a symbol of a group section needs its section correlated */
	return !(p->sec && p->sec->grouped && p->sec->twin != o->sec);
}

static void symbols_pair(struct cdo_ctx *ctx, void *p, void *o)
{
	set_symbol_twins(ctx, p, o);
}

static void correlate_symbols(struct cdo_ctx *ctx)
{
	static const struct name_matcher m = {
		symbol_name, symbol_skip, symbol_has_twin, symbols_compatible, symbols_pair
	};
	struct elf *orig = ctx->orig, *patched = ctx->patched;

	match_by_name(ctx, &m, (void *const *)orig->symbols, orig->nr_symbols,
		      (void *const *)patched->symbols, patched->nr_symbols);

	/* FILE symbols pair up too, so file blocks can be followed. */
	for (size_t i = 1; i < patched->nr_symbols; i++) {
		struct symbol *p = patched->symbols[i];

		if (p->type == STT_FILE && !p->twin) {
			for (struct symbol *o = elf_find_symbol(orig, p->name); o;
			     o = elf_find_symbol_next(orig, o))
				if (o->type == STT_FILE && !o->twin) {
					p->twin = o;
					o->twin = p;
					break;
				}
		}
	}
}

static struct symbol *resolve_bundle(struct symbol *sym)
{
	if (sym->type == STT_SECTION && sym->sec && sym->sec->bundled)
		return sym->sec->bundled;
	return sym;
}

/* The patched section standing for orig section o, or its nearest
 * correlated ancestor function's section. */
static struct section *twin_or_parent(struct section *o)
{
	struct symbol *func = section_function(o);

	if (o->twin)
		return o->twin;
	while (func && func->parent) {
		func = func->parent;
		if (func->sec && func->sec->twin)
			return func->sec->twin;
	}
	return NULL;
}

/* What a reference names, seen through an arch table (ppc64le's .toc). */
static struct symbol *referenced_symbol(const struct cdo_ctx *ctx, struct rela *rela)
{
	struct rela *entry;
	uint64_t constant;

	if (ctx->arch->table_reference && ctx->arch->table_reference(rela, &entry, &constant))
		rela = entry;
	return rela && rela->sym ? resolve_bundle(rela->sym) : NULL;
}

/*
 * The distinct static locals a function (and its .cold/.part pieces)
 * references whose canonical name is want, in order of first reference.
 */
static size_t statics_named(const struct cdo_ctx *ctx, struct section *base, const char *want,
			    struct symbol ***list, size_t n)
{
	struct symbol *func;

	if (!base)
		return n;
	for (size_t i = 0; base->rela && i < base->rela->nr_relas; i++) {
		struct symbol *s = referenced_symbol(ctx, &base->rela->relas[i]);
		bool seen = false;
		char *have;

		if (!s || !is_normal_static_local(s))
			continue;
		for (size_t k = 0; k < n && !seen; k++)
			seen = (*list)[k] == s;
		if (seen)
			continue;
		have = canonical_name(s->name);
		if (!strcmp(have, want)) {
			*list = xrealloc(*list, (n + 1) * sizeof(**list));
			(*list)[n++] = s;
		}
		free(have);
	}
	func = section_function(base);
	for (size_t c = 0; func && c < func->nr_children; c++)
		n = statics_named(ctx, func->children[c]->sec, want, list, n);
	return n;
}

/*
 * The patched twin of o_var among the statics p_base uses. Inlining can
 * give one function several statics of the same name ("calls" of three
 * inlined helpers); they are paired by position, which the compiler keeps
 * stable for unchanged code.
 */
static struct symbol *find_static_twin(const struct cdo_ctx *ctx, struct section *o_base,
				       struct section *p_base, struct symbol *o_var)
{
	char *want = canonical_name(o_var->name);
	struct symbol **olist = NULL, **plist = NULL, *found = NULL;
	size_t on = statics_named(ctx, o_base, want, &olist, 0);
	size_t pn = statics_named(ctx, p_base, want, &plist, 0);
	size_t pos = 0;

	while (pos < on && olist[pos] != o_var)
		pos++;
	for (size_t k = 0; k < pn && !found; k++)
		if (plist[k]->twin == o_var)
			found = plist[k];
	if (!found && pos < pn && !plist[pos]->twin && plist[pos]->type == o_var->type)
		found = plist[pos];
	for (size_t k = 0; k < pn && !found; k++)
		if (!plist[k]->twin && plist[k]->type == o_var->type)
			found = plist[k];
	free(olist);
	free(plist);
	free(want);
	return found;
}

/*
 * Static locals are matched through the functions that use them: equal
 * numeric suffixes in the two objects can be coincidence, the function
 * that references "counter" cannot.
 */
static int correlate_static_locals(struct cdo_ctx *ctx)
{
	struct elf *orig = ctx->orig;

	for (size_t i = 1; i < orig->nr_sections; i++) {
		struct section *rs = orig->sections[i], *p_base;

		if (!is_rela_section(rs) || is_debug_section(rs) ||
		    is_special_section(ctx, rs->base))
			continue;
		for (size_t j = 0; j < rs->nr_relas; j++) {
			struct symbol *o_var = referenced_symbol(ctx, &rs->relas[j]), *p_var;

			if (!o_var || !is_normal_static_local(o_var))
				continue;
			/* a bundled static referencing itself says nothing */
			if (rs->base == o_var->sec)
				continue;
			p_base = twin_or_parent(rs->base);
			if (!p_base)
				continue;	/* the user is gone; nothing to keep */
			if (o_var->twin)
				continue;	/* matched through another user */
			p_var = find_static_twin(ctx, rs->base, p_base, o_var);
			if (!p_var)
				continue;	/* maybe matched through another user later */
			set_symbol_twins(ctx, p_var, o_var);
			if (p_var->sec && o_var->sec && p_var->sec->bundled == p_var &&
			    o_var->sec->bundled == o_var)
				set_section_twins(ctx, p_var->sec, o_var->sec);
		}
	}
	for (size_t i = 1; i < ctx->patched->nr_symbols; i++) {
		struct symbol *p = ctx->patched->symbols[i];

		if (is_normal_static_local(p) && !p->twin && p->sec)
			cdo_debug(ctx, "static local %s has no original twin", p->name);
	}
	return 0;
}

/*
 * A static local the output carries without an original twin gets a fresh
 * copy. That is right for a variable the patch adds, and wrong when the
 * original still has an unmatched variable of that name: then the patched
 * code would silently lose the running kernel's state.
 */
static char *static_key(const struct symbol *sym)
{
	char *canon = canonical_name(sym->name);
	char *key = xasprintf("%s/%s", sym->file ? sym->file->name : "", canon);

	free(canon);
	return key;
}

int check_static_locals(struct cdo_ctx *ctx)
{
	struct elf *patched = ctx->patched, *orig = ctx->orig;
	size_t before = ctx->result.nr_refusals;
	struct candidates unmatched;

	/* the original's statics nobody matched, by file and canonical name */
	cand_init(&unmatched, orig->nr_symbols);
	for (size_t k = 1; k < orig->nr_symbols; k++) {
		struct symbol *o = orig->symbols[k];
		char *key;

		if (!is_normal_static_local(o) || o->twin)
			continue;
		key = static_key(o);
		cand_add(&unmatched, key, o);
		free(key);
	}
	for (size_t i = 1; i < patched->nr_symbols; i++) {
		struct symbol *p = patched->symbols[i];
		char *key;
		size_t n;

		if (!is_normal_static_local(p) || p->twin || !p->sec || !p->sec->include)
			continue;
		key = static_key(p);
		cand_get(&unmatched, key, &n);
		if (n)
			result_add_refusal(ctx, R_STATIC_LOCAL_REMOVED,
				"static local variable %s of the patched code cannot be matched with the running kernel's copy (the functions using it changed too much); it would start from zero: keep a reference to it in its original function",
				p->name);
		else
			result_add_warning(ctx, "static local variable %s is new: the patched code gets its own copy",
					   p->name);
		free(key);
	}
	cand_free(&unmatched);
	return ctx->result.nr_refusals > before ? -1 : 0;
}

static void mark_grouped(struct elf *elf)
{
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *g = elf->sections[i];

		if (g->sh.sh_type != SHT_GROUP)
			continue;
		for (size_t k = 1; k < g->size / 4; k++) {
			uint32_t idx = ((uint32_t *)g->data)[k];

			if (idx && idx < elf->nr_sections)
				elf->sections[idx]->grouped = true;
		}
	}
}

int correlate(struct cdo_ctx *ctx)
{
	mark_grouped(ctx->orig);
	mark_grouped(ctx->patched);
	correlate_sections(ctx);
	correlate_symbols(ctx);
	correlate_static_locals(ctx);
	return 0;
}
