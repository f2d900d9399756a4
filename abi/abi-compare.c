// SPDX-License-Identifier: GPL-2.0
#include <dwarf.h>
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi-compare.h"

/*
 * Two types are compared structurally, in step. A pair of DIEs already
 * compared, or being compared further up (a structure that points to
 * itself), counts as equal: the walk stops at the first difference, so a
 * pair seen again either matched or is still being matched, and assuming
 * it matches is what makes a cycle end. The pair is keyed with how it
 * was reached, because a structure declared on one side and complete on
 * the other is the same ABI behind a pointer and not by value.
 */
struct seen_pair {
	Dwarf_Off orig;
	Dwarf_Off patched;
	bool via_pointer;
};

struct walk {
	void *seen;		/* tsearch tree of struct seen_pair */
	char path[2048];	/* where the walk is, "parameter 1 'x' -> ..." */
	size_t path_len;
	char *why;
	size_t whylen;
	unsigned int depth;	/* of compare_types calls, bounded */
};

/*
 * Far deeper than a kernel type graph walked depth first goes (about 120
 * levels for fs/netfs's exports); beyond it the answer is "differs",
 * never a stack overflow.
 */
#define MAX_DEPTH 4000

/* Optional unsigned attribute: absent, a constant, or present otherwise. */
enum attr_state { ATTR_ABSENT, ATTR_CONSTANT, ATTR_OTHER };

struct attr_value {
	enum attr_state state;
	Dwarf_Word value;
};

static bool compare_types(struct walk *w, Dwarf_Die *orig, Dwarf_Die *patched, bool via_pointer);

static int seen_cmp(const void *a, const void *b)
{
	const struct seen_pair *x = a, *y = b;

	if (x->orig != y->orig)
		return x->orig < y->orig ? -1 : 1;
	if (x->patched != y->patched)
		return x->patched < y->patched ? -1 : 1;
	return (int)x->via_pointer - (int)y->via_pointer;
}

/* True if the pair was seen before; otherwise remember it. */
static bool seen_before(struct walk *w, Dwarf_Die *orig, Dwarf_Die *patched, bool via_pointer)
{
	struct seen_pair key = { dwarf_dieoffset(orig), dwarf_dieoffset(patched), via_pointer };
	struct seen_pair *copy;

	if (tfind(&key, &w->seen, seen_cmp))
		return true;
	copy = malloc(sizeof(*copy));
	if (copy)
		*copy = key;
	/* a pair not remembered could make a cycle endless */
	if (!copy || !tsearch(copy, &w->seen, seen_cmp)) {
		fprintf(stderr, "export-abi: out of memory\n");
		exit(2);
	}
	return false;
}

static size_t path_push(struct walk *w, const char *fmt, ...)
{
	size_t before = w->path_len;
	size_t room = sizeof(w->path) - w->path_len;
	va_list ap;
	int n;

	if (w->path_len && room > 4) {
		memcpy(w->path + w->path_len, " -> ", 5);
		w->path_len += 4;
		room -= 4;
	}
	va_start(ap, fmt);
	n = vsnprintf(w->path + w->path_len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->path_len += (size_t)n < room ? (size_t)n : room - 1;
	return before;
}

static void path_pop(struct walk *w, size_t len)
{
	w->path_len = len;
	w->path[len] = '\0';
}

/* Record the first difference; always false, for "return differ(...)". */
static bool differ(struct walk *w, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (w->path_len)
		snprintf(w->why, w->whylen, "%s: %s", w->path, what);
	else
		snprintf(w->why, w->whylen, "%s", what);
	return false;
}

/* The DIE's DW_AT_type, or NULL for void. */
static Dwarf_Die *type_of(Dwarf_Die *die, Dwarf_Die *mem)
{
	Dwarf_Attribute attr;

	if (!die || !dwarf_attr_integrate(die, DW_AT_type, &attr))
		return NULL;
	return dwarf_formref_die(&attr, mem);
}

static const char *name_of(Dwarf_Die *die)
{
	Dwarf_Attribute attr;

	return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
}

static bool same_name(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static struct attr_value attr_udata(Dwarf_Die *die, unsigned int name)
{
	struct attr_value v = { ATTR_ABSENT, 0 };
	Dwarf_Attribute attr;

	if (!dwarf_attr_integrate(die, name, &attr))
		return v;
	v.state = dwarf_formudata(&attr, &v.value) == 0 ? ATTR_CONSTANT : ATTR_OTHER;
	return v;
}

static const char *tag_word(int tag)
{
	switch (tag) {
	case DW_TAG_structure_type: return "struct";
	case DW_TAG_union_type: return "union";
	case DW_TAG_class_type: return "class";
	case DW_TAG_enumeration_type: return "enum";
	default: return NULL;
	}
}

/* A short C-like spelling of a type for messages ("const struct x *"). */
static void describe(Dwarf_Die *die, char *buf, size_t len, int depth)
{
	Dwarf_Die inner_mem, *inner;
	char sub[192];
	const char *name;
	int tag;

	if (!die) {
		snprintf(buf, len, "void");
		return;
	}
	tag = dwarf_tag(die);
	name = name_of(die);
	inner = type_of(die, &inner_mem);
	if (depth > 6) {
		snprintf(buf, len, "...");
		return;
	}
	switch (tag) {
	case DW_TAG_pointer_type:
		describe(inner, sub, sizeof(sub), depth + 1);
		snprintf(buf, len, "%s *", sub);
		return;
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
		describe(inner, sub, sizeof(sub), depth + 1);
		snprintf(buf, len, "%s %s", tag == DW_TAG_const_type ? "const" : "volatile", sub);
		return;
	case DW_TAG_array_type:
		describe(inner, sub, sizeof(sub), depth + 1);
		snprintf(buf, len, "%s[]", sub);
		return;
	case DW_TAG_subroutine_type:
		snprintf(buf, len, "function");
		return;
	}
	if (tag_word(tag))
		snprintf(buf, len, "%s %s", tag_word(tag), name ? name : "<anonymous>");
	else
		snprintf(buf, len, "%s", name ? name : "<unnamed type>");
}

/*
 * path_push of a type's spelling; its own frame (not inlined), so the
 * buffer is not on the stack of every level of a deep walk.
 */
static __attribute__((noinline)) size_t path_push_type(struct walk *w, Dwarf_Die *die)
{
	char type[256];

	describe(die, type, sizeof(type), 0);
	return path_push(w, "%s", type);
}

static bool differ_types(struct walk *w, Dwarf_Die *orig, Dwarf_Die *patched)
{
	char a[256], b[256];

	describe(orig, a, sizeof(a), 0);
	describe(patched, b, sizeof(b), 0);
	return differ(w, "%s before the patch, %s after", a, b);
}

static bool same_attr(struct walk *w, Dwarf_Die *orig, Dwarf_Die *patched,
		      unsigned int name, const char *what)
{
	struct attr_value a = attr_udata(orig, name), b = attr_udata(patched, name);

	if (a.state == b.state && a.value == b.value)
		return true;
	if (a.state == ATTR_CONSTANT && b.state == ATTR_CONSTANT)
		return differ(w, "%s %llu before the patch, %llu after", what,
			      (unsigned long long)a.value, (unsigned long long)b.value);
	return differ(w, "%s %s before the patch, %s after", what,
		      a.state == ATTR_ABSENT ? "absent" : "present",
		      b.state == ATTR_ABSENT ? "absent" : "present");
}

/* The children of the given tags (0-terminated) of both sides, in step. */
struct child_pairs {
	Dwarf_Die *orig, *patched;
	const int *tags;
	Dwarf_Die a, b;
	bool more_a, more_b;
};

static bool next_child(Dwarf_Die *parent, Dwarf_Die *at, bool first, const int *tags)
{
	int status = first ? dwarf_child(parent, at) : dwarf_siblingof(at, at);

	for (; status == 0; status = dwarf_siblingof(at, at))
		for (const int *t = tags; *t; t++)
			if (dwarf_tag(at) == *t)
				return true;
	return false;
}

/* Step both sides; false when neither has a child left. */
static bool pairs_step(struct child_pairs *p, bool first)
{
	if (first || p->more_a)
		p->more_a = next_child(p->orig, &p->a, first, p->tags);
	if (first || p->more_b)
		p->more_b = next_child(p->patched, &p->b, first, p->tags);
	return p->more_a || p->more_b;
}

static bool pairs_start(struct child_pairs *p, Dwarf_Die *orig, Dwarf_Die *patched, const int *tags)
{
	p->orig = orig;
	p->patched = patched;
	p->tags = tags;
	return pairs_step(p, true);
}

/* The child of the side that has one (for naming it). */
static Dwarf_Die *pairs_one(struct child_pairs *p)
{
	return p->more_a ? &p->a : &p->b;
}

/* A child on one side only: say which. */
static bool differ_one_sided(struct walk *w, struct child_pairs *p)
{
	return differ(w, "%s", p->more_a ? "only before the patch" : "only after the patch");
}

static bool compare_member(struct walk *w, Dwarf_Die *a, Dwarf_Die *b)
{
	Dwarf_Die ta, tb;

	if (!same_name(name_of(a), name_of(b)))
		return differ(w, "named '%s' before the patch, '%s' after",
			      name_of(a) ? name_of(a) : "", name_of(b) ? name_of(b) : "");
	return same_attr(w, a, b, DW_AT_data_member_location, "offset") &&
	       same_attr(w, a, b, DW_AT_byte_size, "size") &&
	       same_attr(w, a, b, DW_AT_bit_size, "bit size") &&
	       same_attr(w, a, b, DW_AT_data_bit_offset, "bit offset") &&
	       same_attr(w, a, b, DW_AT_bit_offset, "bit offset") &&
	       compare_types(w, type_of(a, &ta), type_of(b, &tb), false);
}

static bool compare_members(struct walk *w, Dwarf_Die *orig, Dwarf_Die *patched)
{
	static const int member_tags[] = { DW_TAG_member, 0 };
	struct child_pairs p;
	unsigned int i = 1;

	for (bool more = pairs_start(&p, orig, patched, member_tags); more; more = pairs_step(&p, false), i++) {
		const char *name = name_of(pairs_one(&p));
		size_t mark = name ? path_push(w, "member '%s'", name)
				   : path_push(w, "member %u (unnamed)", i);

		if (!p.more_a || !p.more_b)
			return differ_one_sided(w, &p);
		if (!compare_member(w, &p.a, &p.b))
			return false;
		path_pop(w, mark);
	}
	return true;
}

/*
 * A structure, union or enum only declared on a side (the unit saw no
 * definition) has the same ABI as a complete one behind a pointer:
 * nothing about its layout is part of the interface there.
 */
static bool compare_declared(struct walk *w, Dwarf_Die *orig, Dwarf_Die *patched,
			     bool via_pointer, bool *done)
{
	bool decl_a = dwarf_hasattr(orig, DW_AT_declaration);
	bool decl_b = dwarf_hasattr(patched, DW_AT_declaration);

	*done = decl_a || decl_b;
	if (!*done || (decl_a && decl_b) || via_pointer)
		return true;
	path_push_type(w, orig);
	return differ(w, "used by value, only declared %s the patch", decl_a ? "before" : "after");
}

static bool compare_enumerators(struct walk *w, Dwarf_Die *orig, Dwarf_Die *patched)
{
	static const int enumerator_tags[] = { DW_TAG_enumerator, 0 };
	struct child_pairs p;

	for (bool more = pairs_start(&p, orig, patched, enumerator_tags); more; more = pairs_step(&p, false)) {
		const char *name = name_of(pairs_one(&p));
		size_t mark = path_push(w, "enumerator '%s'", name ? name : "");

		if (!p.more_a || !p.more_b)
			return differ_one_sided(w, &p);
		if (!same_name(name_of(&p.a), name_of(&p.b)))
			return differ(w, "'%s' after the patch", name_of(&p.b) ? name_of(&p.b) : "");
		if (!same_attr(w, &p.a, &p.b, DW_AT_const_value, "value"))
			return false;
		path_pop(w, mark);
	}
	return true;
}

static bool compare_aggregate(struct walk *w, Dwarf_Die *orig, Dwarf_Die *patched, bool via_pointer)
{
	bool done, same;
	size_t mark;

	if (!same_name(name_of(orig), name_of(patched)))
		return differ_types(w, orig, patched);
	same = compare_declared(w, orig, patched, via_pointer, &done);
	if (done || seen_before(w, orig, patched, via_pointer))
		return same;
	mark = path_push_type(w, orig);
	/* members first: a member added or changed explains a new size */
	if (dwarf_tag(orig) == DW_TAG_enumeration_type)
		same = same_attr(w, orig, patched, DW_AT_byte_size, "size") &&
		       compare_enumerators(w, orig, patched);
	else
		same = compare_members(w, orig, patched) &&
		       same_attr(w, orig, patched, DW_AT_byte_size, "size");
	if (same)
		path_pop(w, mark);
	return same;
}

static bool compare_array(struct walk *w, Dwarf_Die *orig, Dwarf_Die *patched)
{
	static const int subrange_tags[] = { DW_TAG_subrange_type, 0 };
	struct child_pairs p;
	Dwarf_Die ta, tb;
	unsigned int dim = 1;

	for (bool more = pairs_start(&p, orig, patched, subrange_tags); more; more = pairs_step(&p, false), dim++) {
		size_t mark = path_push(w, "dimension %u", dim);

		if (!p.more_a || !p.more_b)
			return differ_one_sided(w, &p);
		if (!same_attr(w, &p.a, &p.b, DW_AT_lower_bound, "lower bound") ||
		    !same_attr(w, &p.a, &p.b, DW_AT_upper_bound, "upper bound") ||
		    !same_attr(w, &p.a, &p.b, DW_AT_count, "count"))
			return false;
		path_pop(w, mark);
	}
	return compare_types(w, type_of(orig, &ta), type_of(patched, &tb), false);
}

/* An inlined function's out-of-line copy: the abstract one has the types. */
static Dwarf_Die *abstract_origin(Dwarf_Die *die, Dwarf_Die *mem)
{
	Dwarf_Attribute attr;

	if (dwarf_attr(die, DW_AT_abstract_origin, &attr) && dwarf_formref_die(&attr, mem))
		return mem;
	return die;
}

/* A function (definition or subroutine type): return and parameter types. */
static bool compare_function(struct walk *w, Dwarf_Die *orig, Dwarf_Die *patched)
{
	static const int param_tags[] = { DW_TAG_formal_parameter, DW_TAG_unspecified_parameters, 0 };
	Dwarf_Die oa, ob, ta, tb;
	struct child_pairs p;
	unsigned int i = 1;
	size_t mark;

	orig = abstract_origin(orig, &oa);
	patched = abstract_origin(patched, &ob);
	if (dwarf_hasattr_integrate(orig, DW_AT_prototyped) !=
	    dwarf_hasattr_integrate(patched, DW_AT_prototyped))
		return differ(w, "prototyped on one side only");
	mark = path_push(w, "return type");
	if (!compare_types(w, type_of(orig, &ta), type_of(patched, &tb), false))
		return false;
	path_pop(w, mark);

	for (bool more = pairs_start(&p, orig, patched, param_tags); more; more = pairs_step(&p, false), i++) {
		Dwarf_Die *one = pairs_one(&p);
		const char *name = name_of(abstract_origin(one, &ta));

		if (dwarf_tag(one) == DW_TAG_unspecified_parameters)
			mark = path_push(w, "parameter %u (...)", i);
		else if (name)
			mark = path_push(w, "parameter %u '%s'", i, name);
		else
			mark = path_push(w, "parameter %u", i);
		if (!p.more_a || !p.more_b)
			return differ_one_sided(w, &p);
		if (dwarf_tag(&p.a) != dwarf_tag(&p.b))
			return differ(w, "variadic on one side only");
		if (!compare_types(w, type_of(&p.a, &ta), type_of(&p.b, &tb), false))
			return false;
		path_pop(w, mark);
	}
	return true;
}

static bool compare_type_pair(struct walk *w, Dwarf_Die *orig, Dwarf_Die *patched, bool via_pointer);

static bool compare_types(struct walk *w, Dwarf_Die *orig, Dwarf_Die *patched, bool via_pointer)
{
	bool same;

	if (w->depth >= MAX_DEPTH)
		return differ(w, "types nested more than %d levels deep, not compared", MAX_DEPTH);
	w->depth++;
	same = compare_type_pair(w, orig, patched, via_pointer);
	w->depth--;
	return same;
}

static bool compare_type_pair(struct walk *w, Dwarf_Die *orig, Dwarf_Die *patched, bool via_pointer)
{
	Dwarf_Die ta, tb;
	int tag;

	if (!orig || !patched || dwarf_tag(orig) != dwarf_tag(patched))
		return (!orig && !patched) || differ_types(w, orig, patched);
	tag = dwarf_tag(orig);
	switch (tag) {
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_class_type:
	case DW_TAG_enumeration_type:
		return compare_aggregate(w, orig, patched, via_pointer);
	}
	if (seen_before(w, orig, patched, via_pointer))
		return true;
	switch (tag) {
	case DW_TAG_base_type:
		if (!same_name(name_of(orig), name_of(patched)))
			return differ_types(w, orig, patched);
		return same_attr(w, orig, patched, DW_AT_byte_size, "size") &&
		       same_attr(w, orig, patched, DW_AT_encoding, "encoding");
	case DW_TAG_unspecified_type:
		return same_name(name_of(orig), name_of(patched)) || differ_types(w, orig, patched);
	case DW_TAG_typedef:
		if (!same_name(name_of(orig), name_of(patched)))
			return differ_types(w, orig, patched);
		return compare_types(w, type_of(orig, &ta), type_of(patched, &tb), via_pointer);
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
	case DW_TAG_restrict_type:
	case DW_TAG_atomic_type:
		return compare_types(w, type_of(orig, &ta), type_of(patched, &tb), via_pointer);
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		return same_attr(w, orig, patched, DW_AT_byte_size, "pointer size") &&
		       compare_types(w, type_of(orig, &ta), type_of(patched, &tb), true);
	case DW_TAG_array_type:
		return compare_array(w, orig, patched);
	case DW_TAG_subroutine_type:
		return compare_function(w, orig, patched);
	default:
		return differ(w, "a type with DWARF tag 0x%x, which this comparison does not know", tag);
	}
}

bool abi_same(Dwarf_Die *orig, Dwarf_Die *patched, char *why, size_t whylen)
{
	struct walk w = { .why = why, .whylen = whylen };
	Dwarf_Die ta, tb;
	bool same;

	why[0] = '\0';
	w.path[0] = '\0';
	if (dwarf_tag(orig) != dwarf_tag(patched))
		same = differ(&w, "a %s before the patch, a %s after",
			      dwarf_tag(orig) == DW_TAG_subprogram ? "function" : "variable",
			      dwarf_tag(patched) == DW_TAG_subprogram ? "function" : "variable");
	else if (dwarf_tag(orig) == DW_TAG_subprogram)
		same = compare_function(&w, orig, patched);
	else {
		path_push(&w, "type");
		same = compare_types(&w, type_of(orig, &ta), type_of(patched, &tb), false);
	}
	tdestroy(w.seen, free);
	return same;
}
