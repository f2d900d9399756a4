// SPDX-License-Identifier: GPL-2.0
/*
 * Function comparison: same size, same bytes outside relocation sites, and
 * relocations at the same offsets resolving to the same thing. The module's
 * relocation may reach a function either as the module's own copy or as
 * the parent's symbol through a klp relocation, whose sympos must be the
 * one the parent gives that symbol.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "util.h"
#include "verify.h"


/* ---- the parent ------------------------------------------------------ */

/* The ORIG object's FILE block named file: its local function and object names. */
static int match_parent_file(struct verify *v, const char *file,
			     const struct lookup_file **block, char *why, size_t whylen)
{
	struct elf *orig = v->orig.elf;
	const char **locals = NULL;
	size_t n = 0;
	struct symbol *fsym = NULL;
	int rc;

	for (size_t i = 1; i < orig->nr_symbols && !fsym; i++)
		if (orig->symbols[i]->type == STT_FILE && !strcmp(orig->symbols[i]->name, file))
			fsym = orig->symbols[i];
	if (!fsym) {
		snprintf(why, whylen, "%s has no FILE symbol %s", v->orig_path, file);
		return -1;
	}
	locals = xcalloc(orig->nr_symbols, sizeof(*locals));
	for (size_t i = fsym->index + 1; i < orig->nr_symbols; i++) {
		struct symbol *s = orig->symbols[i];

		if (s->type == STT_FILE)
			break;
		if (s->bind == STB_LOCAL && (s->type == STT_FUNC || s->type == STT_OBJECT))
			locals[n++] = s->name;
	}
	rc = lookup_match_file(v->lookup, file, locals, n, block, why, whylen);
	free(locals);
	return rc;
}

/* match_parent_file once per file name: every klp relocation asks again. */
static int cached_parent_file(struct verify *v, const char *file,
			      const struct lookup_file **block, char *why, size_t whylen)
{
	struct parent_file *pf = NULL;
	char err[1024];

	for (size_t i = 0; i < v->nr_parent_files && !pf; i++)
		if (!strcmp(v->parent_files[i].name, file))
			pf = &v->parent_files[i];
	if (!pf) {
		v->parent_files = xrealloc(v->parent_files,
					   (v->nr_parent_files + 1) * sizeof(*v->parent_files));
		pf = &v->parent_files[v->nr_parent_files++];
		pf->name = file;
		pf->why = NULL;
		if (match_parent_file(v, file, &pf->block, err, sizeof(err))) {
			pf->block = NULL;
			pf->why = xstrdup(err);
		}
	}
	if (!pf->block) {
		snprintf(why, whylen, "%s", pf->why);
		return -1;
	}
	*block = pf->block;
	return 0;
}

int parent_resolve(struct verify *v, const struct symbol *sym, struct lookup_result *res,
		   char *why, size_t whylen)
{
	const struct lookup_file *block;

	if (sym->bind != STB_LOCAL) {
		if (lookup_global(v->lookup, sym->name, res))
			return 0;
		snprintf(why, whylen, "%s is not a symbol of %s", sym->name, v->parent);
		return -1;
	}
	if (!sym->file) {
		snprintf(why, whylen, "local %s has no FILE symbol to find it by", sym->name);
		return -1;
	}
	if (cached_parent_file(v, sym->file->name, &block, why, whylen))
		return -1;
	if (lookup_local(v->lookup, block, sym->name, res))
		return 0;
	snprintf(why, whylen, "local %s of %s is %s in %s", sym->name, sym->file->name,
		 lookup_local_is_ambiguous(v->lookup, block, sym->name) ? "ambiguous" : "missing",
		 v->parent);
	return -1;
}

/* ---- targets --------------------------------------------------------- */

/* A string literal: the bytes of the string around pos, and where pos is in it. */
static bool same_string(const struct section *a, int64_t pa, const struct section *b, int64_t pb)
{
	int64_t sa = pa, sb = pb, ea = pa, eb = pb;

	if (!a->data || !b->data || pa < 0 || pb < 0 || (uint64_t)pa >= a->size ||
	    (uint64_t)pb >= b->size)
		return pa == pb && a->size == b->size;
	while (sa > 0 && a->data[sa - 1])
		sa--;
	while (sb > 0 && b->data[sb - 1])
		sb--;
	while ((uint64_t)ea < a->size && a->data[ea])
		ea++;
	while ((uint64_t)eb < b->size && b->data[eb])
		eb++;
	return pa - sa == pb - sb && ea - sa == eb - sb && !memcmp(a->data + sa, b->data + sb, ea - sa);
}

/* ".rodata.foo" and a linked module's ".rodata": the same kind of section. */
static bool same_section_kind(const char *a, const char *b)
{
	const char *da = strchr(a + 1, '.'), *db = strchr(b + 1, '.');
	size_t la = da ? (size_t)(da - a) : strlen(a), lb = db ? (size_t)(db - b) : strlen(b);

	return la == lb && !memcmp(a, b, la);
}

/* Anonymous data (jump tables, alternative replacements): its first len bytes. */
bool same_anon_block(const struct target *p, const struct target *m, int64_t len)
{
	if (!same_section_kind(p->sec->name, m->sec->name))
		return false;
	if (p->off < 0 || m->off < 0 || (uint64_t)p->off > p->sec->size ||
	    (uint64_t)m->off > m->sec->size)
		return p->off == m->off;
	if ((int64_t)p->sec->size - p->off < len)
		len = (int64_t)p->sec->size - p->off;
	if ((int64_t)m->sec->size - m->off < len)
		len = (int64_t)m->sec->size - m->off;
	if (!p->sec->data || !m->sec->data)
		return !p->sec->data && !m->sec->data;
	return !memcmp(p->sec->data + p->off, m->sec->data + m->off, len);
}

/*
 * Where the block ends is not known: the bytes it starts with. bias: how
 * far past the place named the reference means (a pc-relative jump's
 * field counts from its end).
 */
static bool same_anon(const struct target *p, const struct target *m, int64_t bias)
{
	struct target pb = *p, mb = *m;

	pb.off += bias;
	mb.off += bias;
	return same_anon_block(&pb, &mb, 8);
}

bool names_match(const char *a, const char *b)
{
	char *na = normalize_name(a), *nb = normalize_name(b);
	bool same = !strcmp(na, nb);

	free(na);
	free(nb);
	return same;
}

/* The ORIG object's local name in the FILE block named file, else fallback. */
static const struct symbol *orig_local(struct verify *v, const char *file, const char *name,
				       const struct symbol *fallback)
{
	struct elf *orig = v->orig.elf;

	for (struct symbol *s = elf_find_symbol(orig, name); s; s = elf_find_symbol_next(orig, s))
		if (s->bind == STB_LOCAL && s->file && !strcmp(s->file->name, file) &&
		    s->type == fallback->type)
			return s;
	return fallback;
}

/* A klp relocation to the parent's sym: right object, sympos and size. */
static bool klp_matches(struct verify *v, const struct symbol *psym, const char *name,
			const struct target *m, char *why, size_t whylen)
{
	struct lookup_result res;
	const struct symbol *lookup_sym = psym;
	struct vfunc *pf = psym ? vobj_func_of(&v->patched, psym) : NULL;
	struct symbol undef = { 0 };

	if (pf && pf->orig)
		lookup_sym = pf->orig->sym;	/* the parent has the original's name */
	else if (psym && psym->bind == STB_LOCAL && psym->file && names_match(m->name, psym->name))
		/* a static renumbered by the compiler: the original's, by the name the module uses */
		lookup_sym = orig_local(v, psym->file->name, m->name, psym);
	if (!lookup_sym) {
		undef.name = (char *)name;
		undef.bind = STB_GLOBAL;
		lookup_sym = &undef;
	}
	if (!names_match(m->name, lookup_sym->name)) {
		snprintf(why, whylen, "klp symbol names %s, the patched object %s", m->name, name);
		return false;
	}
	if (psym && pf && !pf->orig) {
		snprintf(why, whylen, "klp relocation to %s, a function the original object does not have",
			 name);
		return false;
	}
	if (parent_resolve(v, lookup_sym, &res, why, whylen))
		return false;
	if (strcmp(m->obj, res.objname) || m->pos != res.sympos) {
		snprintf(why, whylen, "klp symbol %s,%lu of %s, but %s is %s,%lu of %s", m->name, m->pos,
			 m->obj, lookup_sym->name, lookup_sym->name, res.sympos, res.objname);
		return false;
	}
	/* a weak function the kernel links another definition of: that one is meant */
	if (pf && pf->orig && res.addr && res.size != pf->orig->sym->sym.st_size &&
	    pf->orig->sym->bind != STB_WEAK) {
		snprintf(why, whylen, "%s,%lu of %s is 0x%lx bytes, the original object's %s 0x%lx",
			 m->name, m->pos, m->obj, res.size, lookup_sym->name,
			 (unsigned long)pf->orig->sym->sym.st_size);
		return false;
	}
	return true;
}

/*
 * The symbol of sec named like name (numbers aside) whose address plus
 * delta is off: how a relocation through the section symbol (sec+off)
 * and one through a symbol (name+delta) can be seen to mean the same.
 */
static struct symbol *named_at(const struct section *sec, int64_t off, const char *name,
			       int64_t delta)
{
	struct symbol *found = NULL;

	for (size_t i = 0; i < sec->nr_syms && !found; i++) {
		struct symbol *s = sec->syms[i];

		if ((s->type == STT_FUNC || s->type == STT_OBJECT) &&
		    (int64_t)s->sym.st_value + delta == off && names_match(s->name, name))
			found = s;
	}
	return found;
}

/*
 * Two section-relative references (sec+off) from the same instruction:
 * a pc-relative one points some bytes away from its target (on x86 4 to
 * 8 before it: the size of the instruction's immediate is not known
 * without decoding it), so they mean the same when, for one of the
 * arch's distances, both land in same-named symbols at the same offset.
 */
static bool same_via_sections(const struct verify_arch *arch, const struct target *p,
			      const struct target *m, bool pcrel_code)
{
	static const int64_t data_biases[] = { 0 };
	const int64_t *b = pcrel_code ? arch->section_biases : data_biases;
	size_t n = pcrel_code ? arch->nr_section_biases : 1;

	/* the symbols nearest the places named: the same, at the same offset */
	if (p->sym->type == m->sym->type && names_match(p->sym->name, m->sym->name) &&
	    p->delta == m->delta)
		return true;

	for (size_t i = 0; i < n; i++) {
		struct symbol *sp = symbol_at(p->sec, p->off + b[i], true);
		struct symbol *sm = symbol_at(m->sec, m->off + b[i], true);

		if (sp && sm && sp->type == sm->type && names_match(sp->name, sm->name) &&
		    p->off - (int64_t)sp->sym.st_value == m->off - (int64_t)sm->sym.st_value)
			return true;
	}
	return false;
}

static bool same_symbol_target(struct verify *v, enum cmp_mode mode, const struct target *p,
			       const struct target *m, int64_t str_bias, char *why, size_t whylen)
{
	const struct symbol *psym = p->sym;
	struct vfunc *mf;

	if (m->kind == T_SYM && p->via_section && m->via_section)
		return same_via_sections(v->arch, p, m, str_bias != 0);
	if (m->kind == T_SYM && m->via_section)
		return named_at(m->sec, m->off, p->sym->name, p->delta) != NULL;
	if (p->via_section && m->kind != T_SYM && m->kind != T_KLP && m->kind != T_UNDEF)
		return false;
	if (p->via_section) {
		/* the module names the symbol: find the patched one it means */
		const char *name = m->kind == T_SYM ? m->sym->name : m->name;

		psym = named_at(p->sec, p->off, name, m->delta);
		if (!psym)
			return false;
	} else if (m->delta != p->delta) {
		return false;
	}
	switch (m->kind) {
	case T_SYM:
		if (m->sym->type != psym->type || !names_match(m->sym->name, psym->name))
			return false;
		/* the module's copy of a same-named function of another file */
		mf = mode == CMP_MODULE ? vobj_func_of(&v->module, m->sym) : NULL;
		return !(mf && mf->patched && mf->patched->sym != psym);
	case T_KLP:
		return mode == CMP_MODULE && klp_matches(v, psym, psym->name, m, why, whylen);
	case T_UNDEF:
		return mode == CMP_MODULE && psym->bind != STB_LOCAL && !strcmp(m->name, psym->name);
	default:
		return false;
	}
}

static bool is_table_entry(const struct verify *v, const struct target *t)
{
	return v->arch->is_address_table && v->arch->is_address_table(t->sec);
}

/* The relocation filling the table entry t names, from any of its rela
 * sections (a module's may be a .klp.rela one), or NULL. */
static struct rela *table_entry_rela(const struct verify *v, const struct target *t)
{
	const struct vobj *o = t->sec->elf == v->module.elf ? &v->module :
			       t->sec->elf == v->orig.elf ? &v->orig : &v->patched;
	struct rela **list, *r;
	size_t n;

	if (t->off < 0)
		return NULL;
	n = relas_in(o, t->sec, (uint64_t)t->off, (uint64_t)t->off + 1, &list);
	r = n ? list[0] : NULL;
	free(list);
	return r;
}

/*
 * Entries of address tables: the compiler numbers them in the order it
 * needs them, so the same address sits at another offset in each object;
 * what the entry holds is what counts.
 */
static bool same_table_entry(struct verify *v, enum cmp_mode mode, const struct target *p,
			     const struct target *m, char *why, size_t whylen)
{
	struct rela *pe = table_entry_rela(v, p), *me = table_entry_rela(v, m);
	struct target tp, tm;
	bool same;

	if (!pe || !me)
		return !pe && !me && same_anon(p, m, 0);
	if (!v->arch->same_rela_type(pe->type, me->type))
		return false;
	resolve_rela(pe, &tp);
	resolve_rela(me, &tm);
	same = same_target(v, mode, &tp, &tm, 0, why, whylen);
	target_free(&tp);
	target_free(&tm);
	return same;
}

/* The section-relative place p names, as s plus an offset. */
static bool symbol_relative(const struct target *p, struct symbol *s, struct target *out)
{
	*out = *p;
	out->kind = T_SYM;
	out->sym = s;
	out->delta = p->off - (int64_t)s->sym.st_value;
	out->via_section = true;
	return true;
}

/*
 * A section-relative reference from code whose place lies past every
 * symbol: with the arch's code bias (target = place + bias) it may land in
 * one. s390's larl of a 1-byte flag or an empty lock class key names
 * .bss.<var>+2, two bytes past a symbol that has fewer. Then it refers to
 * that symbol (through its section, at the same place).
 */
static bool biased_symbol_target(const struct target *p, int64_t code_bias,
				 struct target *biased)
{
	struct symbol *s;

	if (!code_bias || !p->sec)
		return false;
	s = symbol_at(p->sec, p->off + code_bias, true);
	return s && symbol_relative(p, s, biased);
}

/*
 * Just past the end of an object (an array's end pointer, a loop bound):
 * no symbol covers the place, the one before ends exactly there.
 */
static bool end_of_object_target(const struct target *p, struct target *end)
{
	struct symbol *s;

	if (!p->sec || p->off <= 0)
		return false;
	s = symbol_at(p->sec, p->off - 1, true);
	return s && s->sym.st_size && (int64_t)(s->sym.st_value + s->sym.st_size) == p->off &&
	       symbol_relative(p, s, end);
}

bool same_target(struct verify *v, enum cmp_mode mode, const struct target *p,
		 const struct target *m, int64_t str_bias, char *why, size_t whylen)
{
	char dp[300], dm[300];
	bool same = false;

	why[0] = '\0';
	switch (p->kind) {
	case T_NONE:
		same = m->kind == T_NONE && m->delta == p->delta;
		break;
	case T_SYM:
		same = same_symbol_target(v, mode, p, m, str_bias, why, whylen);
		break;
	case T_UNDEF:
		if (m->kind == T_UNDEF)
			same = m->delta == p->delta && !strcmp(m->name, p->name);
		else if (m->kind == T_KLP && mode == CMP_MODULE)
			same = m->delta == p->delta && klp_matches(v, NULL, p->name, m, why, whylen);
		else if (m->kind == T_SYM && mode == CMP_MODULE)
			/* defined by another object linked into the module */
			same = m->delta == p->delta && m->sym->bind != STB_LOCAL &&
			       !strcmp(m->sym->name, p->name);
		break;
	case T_KLP:
		same = m->kind == T_KLP && m->delta == p->delta && !strcmp(m->obj, p->obj) &&
		       !strcmp(m->name, p->name) && m->pos == p->pos;
		break;
	case T_STR:
		if (m->kind == T_STR)
			same = same_string(p->sec, p->off + str_bias, m->sec, m->off + str_bias);
		break;
	case T_ANON:
		if (m->kind == T_ANON && is_table_entry(v, p) && is_table_entry(v, m)) {
			same = same_table_entry(v, mode, p, m, why, whylen);
		} else if (m->kind == T_ANON) {
			same = same_anon(p, m, str_bias);
		} else {
			struct target biased;

			/* a small object a pc-relative field reaches past its end */
			if (biased_symbol_target(p, str_bias, &biased) ||
			    end_of_object_target(p, &biased))
				same = same_symbol_target(v, mode, &biased, m, str_bias, why, whylen);
		}
		break;
	}
	if (!same && !why[0]) {
		describe_target(m, dm, sizeof(dm));
		describe_target(p, dp, sizeof(dp));
		snprintf(why, whylen, "refers to %s where the %s object refers to %s", dm,
			 mode == CMP_MODULE ? "patched" : "original", dp);
	}
	return same;
}

/* ---- functions ------------------------------------------------------- */

bool is_fentry_rela(const struct rela *r)
{
	return r && r->sym && !strcmp(r->sym->name, "__fentry__");
}

bool rela_reaches_entry(const struct rela *r, const struct symbol *func, int64_t bias)
{
	const struct section *s = r->sec->base;
	int64_t entry = r->addend + bias;

	if (r->sym == func ? entry != 0 :
	    r->sym->type != STT_SECTION || entry != (int64_t)func->sym.st_value)
		return false;
	return s->data && r->offset >= 2 && r->offset + 4 <= s->size;
}

struct rela *rela_at_offset(struct rela **list, size_t n, uint64_t off)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] && list[i]->offset == off)
			return list[i];
	return NULL;
}

bool same_branch_target(const struct symbol *sa, int64_t ta, const struct symbol *sb, int64_t tb)
{
	const struct symbol *fa, *fb;

	ta += (int64_t)sa->sym.st_value;
	tb += (int64_t)sb->sym.st_value;
	if (ta < 0 || tb < 0)
		return false;
	fa = elf_symbol_containing(sa->sec, (uint64_t)ta);
	fb = elf_symbol_containing(sb->sec, (uint64_t)tb);
	return fa && fb && fa->type == STT_FUNC && fb->type == STT_FUNC &&
	       names_match(fa->name, fb->name) &&
	       (uint64_t)ta - fa->sym.st_value == (uint64_t)tb - fb->sym.st_value;
}

static void differ_at(struct cmp_result *res, uint64_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void differ_at(struct cmp_result *res, uint64_t at, const char *fmt, ...)
{
	va_list ap;

	if (!res->same)
		return;		/* keep the first difference */
	res->same = false;
	res->line_only = false;
	res->at = at;
	va_start(ap, fmt);
	vsnprintf(res->why, sizeof(res->why), fmt, ap);
	va_end(ap);
}

/*
 * A module function longer than the patched one: every byte past the
 * patched function's size is code some static branch site jumps to and
 * that reads the site's key (static_branch_stub). The sites' jumps are
 * masked, and relocations of the patched sites (a jump out of the
 * section) are left to that check.
 */
static void match_stubs(struct verify *v, const struct vobj *ob, const struct symbol *sa,
			const struct symbol *sb, uint64_t size, struct rela **ra, size_t na,
			unsigned char *mask, struct cmp_result *res)
{
	uint64_t msize = sb->sym.st_size, abase = sa->sym.st_value, bbase = sb->sym.st_value;
	unsigned char *covered;
	struct rela **mr;
	size_t mn;
	char why[512];

	if (bbase + msize > sb->sec->size || !sb->sec->data) {
		differ_at(res, 0, "function lies outside its section's data");
		return;
	}
	covered = xcalloc(msize - size, 1);
	mn = relas_in(ob, sb->sec, bbase + size, bbase + msize, &mr);
	for (uint64_t s = 0; s < size && res->same; s++) {
		const struct jump_site *js = jump_site_at(v, sa->sec, abase + s);
		struct stub_match m;

		if (!js)
			continue;
		why[0] = '\0';
		if (!v->arch->static_branch_stub(v, js, sa, sb, sb->sec->data + bbase, size, msize, s,
						 mr, mn, &m, why, sizeof(why))) {
			if (why[0])
				differ_at(res, s, "the static branch at +0x%lx: %s", (unsigned long)s, why);
			continue;
		}
		for (uint64_t k = m.stub; k < m.stub + m.len; k++) {
			if (covered[k - size])
				differ_at(res, k, "two static branch sites share the code at +0x%lx",
					  (unsigned long)k);
			covered[k - size] = 1;
		}
		memset(mask + s, 1, m.site_len);
		for (size_t i = 0; i < na; i++)
			if (ra[i] && ra[i]->offset >= abase + s && ra[i]->offset < abase + s + m.site_len)
				ra[i] = NULL;
	}
	for (uint64_t k = 0; k < msize - size && res->same; k++)
		if (!covered[k])
			differ_at(res, size + k, "size 0x%lx, the patched object's 0x%lx, and +0x%lx is no code a static branch site reads its key with",
				  (unsigned long)msize, (unsigned long)size, (unsigned long)(size + k));
	free(covered);
	free(mr);
}

/* ---- references rewritten through a table entry ---------------------- */

struct table_key {
	const struct symbol *sym;
	int64_t addend;
};

struct table_keys {
	struct table_key *loaded, *adds_nothing, *kept;
	size_t nr_loaded, nr_adds_nothing, nr_kept;
};

static void add_key(struct table_key **list, size_t *n, const struct rela *r)
{
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = (struct table_key){ r->sym, r->addend };
}

static int compare_keys(const void *a, const void *b)
{
	const struct table_key *x = a, *y = b;

	if (x->sym != y->sym)
		return (uintptr_t)x->sym < (uintptr_t)y->sym ? -1 : 1;
	return x->addend < y->addend ? -1 : x->addend > y->addend;
}

static bool has_key(const struct table_key *sorted, size_t n, const struct table_key *k)
{
	return n && bsearch(k, sorted, n, sizeof(*sorted), compare_keys);
}

/*
 * The module's instruction at rel loads from a table entry what pr
 * reaches: the entry's relocation must mean pr's target.
 */
static void check_table_load(struct verify *v, enum cmp_mode mode, const struct rela *pr,
			     const struct rela *mr, uint64_t rel, struct cmp_result *res)
{
	struct target tp, tm, te;
	struct rela *entry;
	char why[600];

	resolve_rela(pr, &tp);
	resolve_rela(mr, &tm);
	entry = is_table_entry(v, &tm) ? table_entry_rela(v, &tm) : NULL;
	if (!entry) {
		differ_at(res, rel, "the instruction at +0x%lx loads an address from %s, not from a filled table entry",
			  (unsigned long)rel, mr->sym ? mr->sym->name : "nothing");
	} else if (v->arch->rela_width(entry->type) != 8 || v->arch->is_pcrel(entry->type)) {
		differ_at(res, rel, "the table entry the instruction at +0x%lx loads is filled by relocation type %u, not a whole address",
			  (unsigned long)rel, entry->type);
	} else {
		resolve_rela(entry, &te);
		v->relocs_checked++;
		if (!same_target(v, mode, &tp, &te, 0, why, sizeof(why)))
			differ_at(res, rel, "the table entry loaded at +0x%lx %s", (unsigned long)rel, why);
		target_free(&te);
	}
	target_free(&tp);
	target_free(&tm);
}

/*
 * Every low part left adding nothing must meet a register a load from
 * the table filled: the module rewrote each reference of that target,
 * none kept relative to the table base.
 */
static void check_table_keys(struct table_keys *k, struct cmp_result *res)
{
	if (k->nr_loaded)
		qsort(k->loaded, k->nr_loaded, sizeof(*k->loaded), compare_keys);
	for (size_t i = 0; i < k->nr_adds_nothing; i++)
		if (!has_key(k->loaded, k->nr_loaded, &k->adds_nothing[i]))
			differ_at(res, 0, "a reference to %s%+ld adds nothing to an address no instruction of the function loads from a table entry",
				  k->adds_nothing[i].sym->name, (long)k->adds_nothing[i].addend);
	for (size_t i = 0; i < k->nr_kept; i++)
		if (has_key(k->loaded, k->nr_loaded, &k->kept[i]))
			differ_at(res, 0, "%s%+ld is reached both through a table entry and relative to the table base",
				  k->kept[i].sym->name, (long)k->kept[i].addend);
	free(k->loaded);
	free(k->adds_nothing);
	free(k->kept);
}

void compare_funcs(struct verify *v, enum cmp_mode mode, const struct vobj *oa,
		   const struct vfunc *a, const struct vobj *ob, const struct vfunc *b,
		   struct cmp_result *res)
{
	const struct verify_arch *arch = v->arch;
	const struct symbol *sa = a->sym, *sb = b->sym;
	uint64_t size = sa->sym.st_size, abase = sa->sym.st_value, bbase = sb->sym.st_value;
	struct rela **ra = NULL, **rb = NULL, **rb_all;
	size_t na, nb;
	unsigned char *mask, *ca, *cb;
	bool acall, bcall, any_line = false;
	int32_t line_delta = 0;
	int fa, fb;
	char why[600];
	struct table_keys keys = { 0 };

	memset(res, 0, sizeof(*res));
	res->same = true;
	/* longer by code that reads static keys: checked by match_stubs() */
	if (size != sb->sym.st_size &&
	    !(mode == CMP_MODULE && arch->static_branch_stub && sb->sym.st_size > size)) {
		differ_at(res, 0, "size 0x%lx, the %s object's 0x%lx", (unsigned long)sb->sym.st_size,
			  mode == CMP_MODULE ? "patched" : "original", (unsigned long)size);
		return;
	}
	if (!sa->sec->data || !sb->sec->data || abase + size > sa->sec->size ||
	    bbase + size > sb->sec->size) {
		differ_at(res, 0, "function lies outside its section's data");
		return;
	}
	ca = sa->sec->data + abase;
	cb = sb->sec->data + bbase;
	na = relas_in(oa, sa->sec, abase, abase + size, &ra);
	nb = relas_in(ob, sb->sec, bbase, bbase + size, &rb);
	mask = xcalloc(size ? size : 1, 1);
	rb_all = xcalloc(nb + 1, sizeof(*rb_all));
	if (nb)
		memcpy(rb_all, rb, nb * sizeof(*rb));

	if (sb->sym.st_size > size)
		match_stubs(v, ob, sa, sb, size, ra, na, mask, res);

	/* the ftrace call site: a call to __fentry__ or its 5-byte nop */
	fa = arch->ftrace_site(oa->elf, ca, size, abase, ra, na, &acall);
	fb = arch->ftrace_site(ob->elf, cb, size, bbase, rb, nb, &bcall);
	if (fa >= 0 && fa == fb && (acall || bcall)) {
		uint64_t len = arch->ftrace_len;

		memset(mask + fa, 1, len);
		for (size_t i = 0; i < na; i++)
			if (ra[i] && ra[i]->offset >= abase + fa && ra[i]->offset < abase + fa + len)
				ra[i] = NULL;
		for (size_t i = 0; i < nb; i++)
			if (rb[i] && rb[i]->offset >= bbase + fa && rb[i]->offset < bbase + fa + len)
				rb[i] = NULL;
	}

	for (size_t i = 0; i < na; i++) {
		struct rela *pr = ra[i], *mr;
		uint64_t rel, mrel, from, len;
		struct target tp, tm;
		enum table_access access;

		if (!pr)
			continue;
		rel = pr->offset - abase;
		if (mode == CMP_MODULE && arch->runtime_const_load &&
		    arch->runtime_const_load(cb, size, rel, pr, rb, nb, bbase, &mrel, &from, &len)) {
			memset(mask + from, 1, len);
			for (size_t k = 0; k < nb; k++)
				if (rb[k] && rb[k]->offset == mrel)
					rb[k] = NULL;
			ra[i] = NULL;
			continue;
		}
		mr = rela_at_offset(rb, nb, bbase + rel);
		access = mode == CMP_MODULE && arch->through_table ?
			 arch->through_table(oa->elf, ca, cb, rel, pr, mr, &len) : TABLE_NOT;
		if (access != TABLE_NOT) {
			if (access == TABLE_LOAD) {
				check_table_load(v, mode, pr, mr, rel, res);
				add_key(&keys.loaded, &keys.nr_loaded, pr);
			} else {
				add_key(&keys.adds_nothing, &keys.nr_adds_nothing, pr);
			}
			if (rel + len <= size)
				memset(mask + rel, 1, len);
			for (size_t k = 0; k < nb; k++)
				if (mr && rb[k] == mr)
					rb[k] = NULL;
			continue;
		}
		if (arch->rela_width(pr->type) == 2)
			add_key(&keys.kept, &keys.nr_kept, pr);
		resolve_rela(pr, &tp);
		if (!mr) {
			describe_target(&tp, why, sizeof(why));
			differ_at(res, rel, "no relocation at +0x%lx, where the %s object has one to %s",
				  (unsigned long)rel, mode == CMP_MODULE ? "patched" : "original", why);
			target_free(&tp);
			continue;
		}
		resolve_rela(mr, &tm);
		v->relocs_checked++;
		if (!arch->same_rela_type(pr->type, mr->type) || pr->sym == NULL) {
			differ_at(res, rel, "relocation type %u at +0x%lx, the %s object's %u", mr->type,
				  (unsigned long)rel, mode == CMP_MODULE ? "patched" : "original", pr->type);
		} else if (!same_target(v, mode, &tp, &tm, arch->code_bias(pr->type), why, sizeof(why))) {
			differ_at(res, rel, "relocation at +0x%lx %s", (unsigned long)rel, why);
		} else if (arch->same_bits_under && rel + arch->rela_width(pr->type) <= size &&
			   !arch->same_bits_under(oa->elf, ca + rel, cb + rel, pr->type)) {
			differ_at(res, rel, "the instruction under the relocation at +0x%lx differs",
				  (unsigned long)rel);
		}
		if (rel + arch->rela_width(pr->type) <= size)
			memset(mask + rel, 1, arch->rela_width(pr->type));
		target_free(&tp);
		target_free(&tm);
		for (size_t k = 0; k < nb; k++)
			if (rb[k] == mr)
				rb[k] = NULL;
	}
	check_table_keys(&keys, res);
	for (size_t k = 0; k < nb; k++) {
		struct rela *mr = rb[k];
		uint64_t rel, from, len;
		struct target tm, tp;
		int64_t field;

		if (!mr)
			continue;
		rel = mr->offset - bbase;
		if (mode == CMP_MODULE && arch->runtime_load_of &&
		    arch->runtime_load_of(v, sa->sec, abase, cb, size, rel, mr, &from, &len)) {
			memset(mask + from, 1, len);
			continue;
		}
		resolve_rela(mr, &tm);
		/*
		 * A branch the assembler resolved inside a section the differ
		 * cut apart: the patched bytes hold the displacement; the
		 * implied target is section + (place + displacement).
		 */
		if (mode == CMP_MODULE &&
		    arch->resolved_field(oa->elf, ca, size, rel, mr->type, &field)) {
			resolve_target(oa->elf, sa->sec, 0, NULL, (int64_t)(abase + rel) + field, &tp);
			v->relocs_checked++;
			if (!same_target(v, mode, &tp, &tm, arch->code_bias(mr->type), why, sizeof(why)))
				differ_at(res, rel, "relocation at +0x%lx %s", (unsigned long)rel, why);
			memset(mask + rel, 1, arch->rela_width(mr->type));
			target_free(&tp);
		} else {
			describe_target(&tm, why, sizeof(why));
			differ_at(res, rel, "relocation at +0x%lx to %s, which the %s object does not have",
				  (unsigned long)rel, why, mode == CMP_MODULE ? "patched" : "original");
		}
		target_free(&tm);
	}

	for (uint64_t i = 0; i < size && res->same; i++) {
		int64_t op;
		struct line_site line;

		if (mask[i] || ca[i] == cb[i])
			continue;
		/*
		 * Code that only moved within its file: every line number
		 * shifts by the same amount. A lone immediate that changed
		 * otherwise is a real change.
		 */
		if (mode == CMP_ORIG &&
		    arch->line_immediate(oa->elf, ca, cb, size, i, bbase, rb_all, nb, &line)) {
			if (!any_line || line.now - line.was == line_delta) {
				line_delta = line.now - line.was;
				any_line = true;
				i = line.end;
				continue;
			}
		}
		if (mode == CMP_ORIG &&
		    (op = arch->same_local_branch(oa->elf, sa, ca, sb, cb, mask, size, i)) >= 0) {
			i = (uint64_t)op;
			continue;
		}
		if (mode == CMP_MODULE && arch->static_branch_nop &&
		    (op = arch->static_branch_nop(v, sa->sec, abase, ca, cb, size, i)) >= 0) {
			i = op;
			continue;
		}
		differ_at(res, i, "bytes differ at +0x%lx (%02x, the %s object's %02x)", (unsigned long)i,
			  cb[i], mode == CMP_MODULE ? "patched" : "original", ca[i]);
	}
	if (res->same && any_line) {
		res->same = false;
		res->line_only = true;
		snprintf(res->why, sizeof(res->why), "only __LINE__ immediates differ");
	}
	free(mask);
	free(rb_all);
	free(ra);
	free(rb);
}
