// SPDX-License-Identifier: GPL-2.0
/*
 * The verifier's view of an object: its functions (indexed by file and
 * normalized name), all relocations of a section whatever rela section
 * holds them (a linked module has .rela.text and .klp.rela.<obj>..text for
 * the same text), and what a relocation resolves to, as symbol + offset
 * whether the assembler wrote it against the symbol or its section.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpatch-format.h"
#include "util.h"
#include "arch.h"
#include "verify.h"

bool is_pfx_name(const char *name)
{
	return !strncmp(name, "__pfx_", 6) || !strncmp(name, "__cfi_", 6);
}

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * The compiler numbers clones and statics (foo.isra.3, __already_done.94,
 * __UNIQUE_ID_ddebug123, foo.llvm.1234, __BTF_ID__struct__foo__11046165):
 * the numbers move when unrelated code of the file changes, so names are
 * compared without them.
 */
char *normalize_name(const char *name)
{
	size_t len = strlen(name);
	char *out = xmalloc(len + 1), *o = out;
	const char *p = name, *dot = strchr(name, '.');
	size_t first = dot ? (size_t)(dot - name) : len;

	memcpy(o, p, first);
	/* BTF_ID()'s __BTF_ID__<kind>__<name>__ takes __COUNTER__ and __LINE__:
	 * every such slot of one type holds the same id */
	if (!strncmp(name, "__UNIQUE_ID_", 12) || !strncmp(name, "__BTF_ID__", 10))
		while (first > 10 && isdigit((unsigned char)o[first - 1]))
			first--;
	o += first;
	p += dot ? (size_t)(dot - name) : len;
	while (*p == '.') {
		const char *start = p + 1, *end = strchr(start, '.');
		size_t n = end ? (size_t)(end - start) : strlen(start);

		if (!all_digits(start, n) && !(n == 4 && !strncmp(start, "llvm", 4))) {
			*o++ = '.';
			memcpy(o, start, n);
			o += n;
		}
		p = start + n;
	}
	*o = '\0';
	return out;
}

static int cmp_func_key(const void *x, const void *y)
{
	const struct vfunc *a = *(struct vfunc *const *)x, *b = *(struct vfunc *const *)y;
	int c = strcmp(a->file, b->file);

	if (!c)
		c = strcmp(a->norm, b->norm);
	if (!c)
		c = (a->sym->index > b->sym->index) - (a->sym->index < b->sym->index);
	return c;
}

static void index_functions(struct vobj *o)
{
	struct elf *elf = o->elf;
	struct vfunc **sorted;

	o->funcs = xcalloc(elf->nr_symbols, sizeof(*o->funcs));
	o->by_sym = xcalloc(elf->nr_symbols, sizeof(*o->by_sym));
	for (size_t i = 1; i < elf->nr_symbols; i++) {
		struct symbol *s = elf->symbols[i];
		struct vfunc *f;

		if (s->type != STT_FUNC || !s->sec || is_pfx_name(s->name) ||
		    !strncmp(s->name, KLP_SYM_PREFIX, strlen(KLP_SYM_PREFIX)))
			continue;
		f = &o->funcs[o->nr_funcs++];
		f->sym = s;
		f->file = s->bind == STB_LOCAL && s->file ? s->file->name : "";
		f->norm = normalize_name(s->name);
	}
	for (size_t i = 0; i < o->nr_funcs; i++)
		o->by_sym[o->funcs[i].sym->index] = &o->funcs[i];
	/* ordinals: position among functions of the same file and name */
	sorted = xcalloc(o->nr_funcs + 1, sizeof(*sorted));
	for (size_t i = 0; i < o->nr_funcs; i++)
		sorted[i] = &o->funcs[i];
	qsort(sorted, o->nr_funcs, sizeof(*sorted), cmp_func_key);
	for (size_t i = 1; i < o->nr_funcs; i++)
		if (!strcmp(sorted[i]->file, sorted[i - 1]->file) &&
		    !strcmp(sorted[i]->norm, sorted[i - 1]->norm))
			sorted[i]->ordinal = sorted[i - 1]->ordinal + 1;
	free(sorted);
}

static void index_rela_sections(struct vobj *o)
{
	struct elf *elf = o->elf;
	size_t *count = xcalloc(elf->nr_sections, sizeof(*count));

	o->relasecs = xcalloc(elf->nr_sections, sizeof(*o->relasecs));
	for (size_t i = 1; i < elf->nr_sections; i++)
		if (is_rela_section(elf->sections[i]) && elf->sections[i]->base)
			count[elf->sections[i]->base->index]++;
	for (size_t i = 1; i < elf->nr_sections; i++)
		o->relasecs[i] = xcalloc(count[i] + 1, sizeof(**o->relasecs));
	memset(count, 0, elf->nr_sections * sizeof(*count));
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *rs = elf->sections[i];

		if (is_rela_section(rs) && rs->base)
			o->relasecs[rs->base->index][count[rs->base->index]++] = rs;
	}
	free(count);
}

int vobj_load(struct vobj *o, const char *path, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->elf = elf_read(path, err, errlen);
	if (!o->elf)
		return -1;
	if (o->elf->ehdr.e_type != ET_REL) {
		snprintf(err, errlen, "%s: not a relocatable object", path);
		return -1;
	}
	o->arch = verify_arch_for(o->elf->ehdr.e_machine);
	if (!o->arch) {
		snprintf(err, errlen, "%s: machine %u (e_machine) is not an architecture kpatch-verify supports",
			 path, (unsigned int)o->elf->ehdr.e_machine);
		return -1;
	}
	index_functions(o);
	index_rela_sections(o);
	return 0;
}

void vobj_free(struct vobj *o)
{
	if (!o->elf)
		return;
	for (size_t i = 0; i < o->nr_funcs; i++) {
		free(o->funcs[i].norm);
		free(o->funcs[i].why);
	}
	for (size_t i = 1; i < o->elf->nr_sections; i++)
		free(o->relasecs[i]);
	free(o->relasecs);
	free(o->funcs);
	free(o->by_sym);
	elf_free(o->elf);
}

struct vfunc *vobj_func_of(const struct vobj *o, const struct symbol *sym)
{
	return sym && sym->index < o->elf->nr_symbols && o->elf->symbols[sym->index] == sym ?
	       o->by_sym[sym->index] : NULL;
}

static int cmp_rela_offset(const void *x, const void *y)
{
	const struct rela *a = *(struct rela *const *)x, *b = *(struct rela *const *)y;

	return (a->offset > b->offset) - (a->offset < b->offset);
}

size_t relas_in(const struct vobj *o, const struct section *sec, uint64_t start,
		uint64_t end, struct rela ***out)
{
	size_t n = 0, cap = 0;
	struct rela **list = NULL;

	for (struct section **rs = o->relasecs[sec->index]; *rs; rs++) {
		size_t lo = 0, hi = (*rs)->nr_relas;

		while (lo < hi) {	/* first relocation at or after start */
			size_t mid = lo + (hi - lo) / 2;

			if ((*rs)->relas[mid].offset < start)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < (*rs)->nr_relas && (*rs)->relas[lo].offset < end; lo++) {
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				list = xrealloc(list, cap * sizeof(*list));
			}
			list[n++] = &(*rs)->relas[lo];
		}
	}
	if (n > 1)
		qsort(list, n, sizeof(*list), cmp_rela_offset);
	*out = list;
	return n;
}

static bool is_named_symbol(const struct symbol *s)
{
	return (s->type == STT_FUNC || s->type == STT_OBJECT) && !is_pfx_name(s->name);
}

/*
 * The FUNC/OBJECT symbol an offset of sec belongs to: the one containing
 * it, else one starting at most 8 bytes after it (a pc-relative reference
 * to a function's start carries the -4 of the instruction).
 */
static struct symbol *covering_symbol(const struct section *sec, int64_t off)
{
	size_t lo = 0, hi = sec->nr_syms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((int64_t)sec->syms[mid]->sym.st_value <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0;) {
		struct symbol *s = sec->syms[i];

		if (!is_named_symbol(s))
			continue;
		if (off < (int64_t)(s->sym.st_value + s->sym.st_size) ||
		    (s->sym.st_size == 0 && off == (int64_t)s->sym.st_value))
			return s;
		if (s->sym.st_size && (int64_t)(s->sym.st_value + s->sym.st_size) <= off)
			break;	/* symbols do not nest: nothing earlier covers it */
	}
	for (size_t i = lo; i < sec->nr_syms && (int64_t)sec->syms[i]->sym.st_value - off <= 8; i++)
		if (is_named_symbol(sec->syms[i]))
			return sec->syms[i];
	return NULL;
}

struct symbol *symbol_at(const struct section *sec, int64_t off, bool exact)
{
	struct symbol *s = covering_symbol(sec, off);

	if (s && exact && (off < (int64_t)s->sym.st_value ||
			   (s->sym.st_size && off >= (int64_t)(s->sym.st_value + s->sym.st_size))))
		return NULL;
	return s;
}

void resolve_target(const struct elf *elf, struct section *sec, int64_t value,
		    struct symbol *sym, int64_t addend, struct target *t)
{
	int64_t off = value + addend;
	struct symbol *cover;

	(void)elf;
	memset(t, 0, sizeof(*t));
	if (sym && is_named_symbol(sym)) {
		t->kind = T_SYM;
		t->sym = sym;
		t->delta = addend;
		return;
	}
	if (sec->sh.sh_flags & SHF_STRINGS) {
		t->kind = T_STR;
		t->sec = sec;
		t->off = off;
		return;
	}
	cover = covering_symbol(sec, off);
	if (cover) {
		t->kind = T_SYM;
		t->sym = cover;
		t->delta = off - (int64_t)cover->sym.st_value;
		t->via_section = true;
		t->sec = sec;
		t->off = off;
		return;
	}
	t->kind = T_ANON;
	t->sec = sec;
	t->off = off;
}

void resolve_rela(const struct rela *rela, struct target *t)
{
	struct symbol *s = rela->sym;
	size_t plen = strlen(KLP_SYM_PREFIX);

	memset(t, 0, sizeof(*t));
	t->delta = rela->addend;
	if (!s || !s->index) {
		t->kind = T_NONE;
		return;
	}
	if (!strncmp(s->name, KLP_SYM_PREFIX, plen)) {
		/* .klp.sym.<obj>.<name>,<pos>: object names have no dots */
		const char *obj = s->name + plen, *dot = strchr(obj, '.');
		const char *comma = strrchr(s->name, ',');

		t->kind = T_KLP;
		t->sym = s;
		if (!dot || !comma || comma < dot || (size_t)(dot - obj) >= sizeof(t->obj)) {
			t->name = xstrdup(s->name);	/* malformed: compared as is, never equal */
			t->pos = ~0UL;
			return;
		}
		memcpy(t->obj, obj, dot - obj);
		t->name = xasprintf("%.*s", (int)(comma - dot - 1), dot + 1);
		t->pos = strtoul(comma + 1, NULL, 10);
		return;
	}
	if (!s->sec) {
		t->kind = T_UNDEF;
		t->sym = s;
		t->name = xstrdup(s->name);
		return;
	}
	resolve_target(NULL, s->sec, s->type == STT_SECTION ? 0 : (int64_t)s->sym.st_value,
		       s, rela->addend, t);
}

void target_free(struct target *t)
{
	free(t->name);
	t->name = NULL;
}

void describe_target(const struct target *t, char *buf, size_t len)
{
	switch (t->kind) {
	case T_NONE:
		snprintf(buf, len, "nothing%+lld", (long long)t->delta);
		break;
	case T_SYM:
		snprintf(buf, len, "%s%+lld", t->sym->name, (long long)t->delta);
		break;
	case T_UNDEF:
		snprintf(buf, len, "undefined %s%+lld", t->name, (long long)t->delta);
		break;
	case T_KLP:
		snprintf(buf, len, "%s's %s (sympos %lu)%+lld", t->obj, t->name, t->pos,
			 (long long)t->delta);
		break;
	case T_STR:
	case T_ANON:
		snprintf(buf, len, "%s%s+0x%llx", t->kind == T_STR ? "string in " : "", t->sec->name,
			 (unsigned long long)t->off);
		break;
	}
}
