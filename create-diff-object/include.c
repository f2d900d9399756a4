// SPDX-License-Identifier: GPL-2.0
/*
 * What goes into the output: patch-author markers are applied, changed
 * functions are checked for an ftrace call site, then the changed and new
 * functions and everything they reference are selected. Referenced
 * unchanged symbols are selected too, but only as names: the output refers
 * to the running kernel's copies. Finally every change that did not make
 * it into the output is a refusal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdo.h"
#include "kpatch-format.h"
#include "util.h"

static bool is_marker_section(const struct section *sec)
{
	const char *name = is_rela_section(sec) && sec->base ? sec->base->name : sec->name;

	return !strcmp(name, KPATCH_IGNORE_SECTIONS_SECTION) ||
	       !strcmp(name, KPATCH_IGNORE_FUNCTIONS_SECTION) ||
	       !strcmp(name, KPATCH_FORCE_SECTION);
}

static bool is_callback_section(const struct section *sec)
{
	return !strncmp(sec->name, ".kpatch.callbacks.", 18);
}

static void mark_same(struct symbol *func)
{
	func->status = STATUS_SAME;
	if (func->sec) {
		func->sec->status = STATUS_SAME;
		func->sec->ignore = true;
		if (func->sec->rela)
			func->sec->rela->status = STATUS_SAME;
	}
	for (size_t i = 0; i < func->nr_children; i++)
		mark_same(func->children[i]);
}

static struct section *find_section_equivalent(struct elf *elf, const char *name)
{
	struct section *sec = elf_find_section(elf, name);

	if (sec)
		return sec;
	for (size_t i = 1; i < elf->nr_sections; i++)
		if (names_equivalent(elf->sections[i]->name, name))
			return elf->sections[i];
	return NULL;
}

int apply_markers(struct cdo_ctx *ctx)
{
	struct elf *elf = ctx->patched;
	struct section *sec;
	int errors = 0;

	sec = elf_find_section(elf, KPATCH_IGNORE_SECTIONS_SECTION);
	for (size_t i = 0; sec && sec->rela && i < sec->rela->nr_relas; i++) {
		struct rela *rela = &sec->rela->relas[i];
		const char *name = NULL;
		struct section *target;

		if (rela->sym && rela->sym->sec && rela->sym->sec->data) {
			int64_t off = rela->addend + (int64_t)rela->sym->sym.st_value;

			if (off >= 0 && (uint64_t)off < rela->sym->sec->size)
				name = (const char *)rela->sym->sec->data + off;
		}
		if (!name || !memchr(name, 0, rela->sym->sec->size - (uint64_t)(name - (const char *)rela->sym->sec->data))) {
			cdo_error(ctx, "KPATCH_IGNORE_SECTION entry %zu does not point at a section name", i);
			errors++;
			continue;
		}
		target = find_section_equivalent(elf, name);
		if (!target) {
			cdo_error(ctx, "KPATCH_IGNORE_SECTION(\"%s\"): no such section in %s", name,
				  ctx->childobj);
			errors++;
			continue;
		}
		target->ignore = true;
		target->status = STATUS_SAME;
		if (target->rela) {
			target->rela->ignore = true;
			target->rela->status = STATUS_SAME;
		}
		for (size_t s = 0; s < target->nr_syms; s++)
			target->syms[s]->status = STATUS_SAME;
		result_add_note(ctx, "ignoring section %s (KPATCH_IGNORE_SECTION)", target->name);
	}

	sec = elf_find_section(elf, KPATCH_IGNORE_FUNCTIONS_SECTION);
	for (size_t i = 0; sec && sec->rela && i < sec->rela->nr_relas; i++) {
		struct symbol *func = sec->rela->relas[i].sym;
		struct func_result *f;

		if (func && func->type == STT_SECTION && func->sec && func->sec->bundled)
			func = func->sec->bundled;
		if (!func || func->type != STT_FUNC || !func->sec) {
			cdo_error(ctx, "KPATCH_IGNORE_FUNCTION entry %zu does not name a function of %s",
				  i, ctx->childobj);
			errors++;
			continue;
		}
		if (func->status == STATUS_SAME)
			result_add_note(ctx, "KPATCH_IGNORE_FUNCTION(%s): the function did not change; the marker is not needed",
					func->name);
		else
			result_add_note(ctx, "ignoring function %s (KPATCH_IGNORE_FUNCTION)", func->name);
		mark_same(func);
		if ((f = result_find_func(ctx, func)))
			f->patched = false;
	}

	sec = elf_find_section(elf, KPATCH_FORCE_SECTION);
	for (size_t i = 0; sec && sec->rela && i < sec->rela->nr_relas; i++) {
		struct symbol *func = sec->rela->relas[i].sym;

		result_add_warning(ctx, "KPATCH_FORCE_UNSAFE(%s) has no effect: the kernel's livepatch consistency model cannot be bypassed per function",
				   func ? func->name : "?");
	}

	/* The markers themselves never go into the output. */
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *s = elf->sections[i];

		if (is_marker_section(s)) {
			s->ignore = true;
			s->status = STATUS_SAME;
			for (size_t k = 0; k < s->nr_syms; k++)
				s->syms[k]->status = STATUS_SAME;
		}
	}
	return errors ? -1 : 0;
}

bool is_init_section(const char *name)
{
	return !strncmp(name, ".init.", 6) || !strncmp(name, ".exit.", 6) ||
	       strstr(name, ".init.text") || !strncmp(name, ".initcall", 9) ||
	       !strcmp(name, ".head.text");
}

static bool is_alias_of_bundled(const struct symbol *sym)
{
	const struct symbol *main = sym->sec->bundled;

	return main && main != sym && main->type == STT_FUNC && sym->type == STT_FUNC &&
	       main->sym.st_value == sym->sym.st_value && main->sym.st_size == sym->sym.st_size;
}

/* Executable init code of built-in objects: run at boot, then freed. */
static bool is_boot_only_code(const struct section *sec)
{
	return (!strncmp(sec->name, ".init.", 6) || !strncmp(sec->name, ".exit.", 6)) &&
	       (sec->sh.sh_flags & SHF_EXECINSTR);
}

/* Functions that get a klp_func entry: changed, and able to be entered. */
static bool is_patched_function(const struct symbol *sym)
{
	if (sym->type != STT_FUNC || !sym->sec || sym->is_pfx || sym->status != STATUS_CHANGED)
		return false;
	if (sym->sec->ignore || sym->via_callers)
		return false;
	/* an alias (SYSCALL_DEFINE's sys_foo of __se_sys_foo) is patched
	 * through the function its section was made for: one address */
	if (is_alias_of_bundled(sym))
		return false;
	/* parts without an ftrace site are patched through their parent */
	return !sym->parent || sym->has_fentry;
}

int check_fentry(struct cdo_ctx *ctx)
{
	struct elf *elf = ctx->patched;
	struct caller_cover *cover = NULL;
	int missing = 0;
	char why[512];

	for (size_t i = 1; i < elf->nr_symbols; i++) {
		struct symbol *sym = elf->symbols[i];

		if (!is_patched_function(sym))
			continue;
		if (sym->has_fentry && sym->twin && sym->twin->has_fentry)
			continue;
		if (!cover)
			cover = caller_cover_new(ctx);
		if (patch_callers_instead(cover, sym, why, sizeof(why)))
			continue;
		result_add_func_refusal(ctx, R_NO_FENTRY, sym->twin ? sym->twin->name : sym->name,
				   "function %s has no ftrace call site (__fentry__), so it cannot be patched: it is notrace, or inline code the compiler chose not to inline, and its callers cannot be patched instead: %s; make it __always_inline or noinline, or change its callers",
				   sym->twin ? sym->twin->name : sym->name, why);
		missing++;
	}
	caller_cover_free(cover);
	return missing ? -1 : 0;
}

/*
 * A reference through an arch table brings in the table (which the arch
 * cuts down to the entries used) and what the entry refers to, not what
 * every other entry does.
 */
static bool include_table_reference(struct cdo_ctx *ctx, struct rela *rela)
{
	struct rela *entry;
	uint64_t constant;
	struct section *table;

	if (!ctx->arch->table_reference || !ctx->arch->table_reference(rela, &entry, &constant))
		return false;
	table = rela->sym->sec;
	table->include = true;
	if (table->secsym)
		table->secsym->include = true;
	if (entry && entry->sym)
		include_symbol(ctx, entry->sym);
	return true;
}

/*
 * An unchanged function the arch needs next to the code that reaches it:
 * a copy goes into the output, private to the new code and not patched
 * (the kernel's callers keep the kernel's copy).
 */
static void carry_target(struct cdo_ctx *ctx, struct section *from, struct rela *rela)
{
	struct symbol *func = rela->sym;

	if (func->type == STT_SECTION && func->sec && func->sec->bundled)
		func = func->sec->bundled;
	if (!ctx->arch->carry_target || !is_func(func) || !func->sec || func->sec->include ||
	    func->status != STATUS_SAME || !ctx->arch->carry_target(rela))
		return;
	result_add_note(ctx, "unchanged function %s goes into the output: %s reaches it in a way that cannot leave the module",
			func->name, section_function(from) ? section_function(from)->name : from->name);
	include_section(ctx, func->sec);
}

void include_section(struct cdo_ctx *ctx, struct section *sec)
{
	if (sec->include)
		return;
	sec->include = true;
	if (sec->secsym)
		sec->secsym->include = true;
	if (sec->bundled)
		include_symbol(ctx, sec->bundled);
	for (size_t s = 0; s < sec->nr_syms; s++)
		if (((sec->syms[s]->type == STT_FUNC || sec->syms[s]->type == STT_OBJECT) &&
		     !is_alias_of_bundled(sec->syms[s])) || is_mapping_symbol(sec->syms[s]))
			sec->syms[s]->include = true;
	if (!sec->rela || is_debug_section(sec))
		return;
	sec->rela->include = true;
	for (size_t i = 0; i < sec->rela->nr_relas; i++) {
		struct rela *rela = &sec->rela->relas[i];

		if (!rela->sym || include_table_reference(ctx, rela))
			continue;
		include_symbol(ctx, rela->sym);
		carry_target(ctx, sec, rela);
	}
}

void include_symbol(struct cdo_ctx *ctx, struct symbol *sym)
{
	if (sym->include && (!sym->sec || sym->sec->include || sym->status == STATUS_SAME))
		return;
	sym->include = true;
	if (!sym->sec)
		return;
	/* unchanged symbols are referenced, not copied */
	if (sym->type != STT_SECTION && sym->status == STATUS_SAME)
		return;
	include_section(ctx, sym->sec);
	if (sym->type == STT_FUNC) {
		if (sym->pfx)
			include_symbol(ctx, sym->pfx);
		/* a function and its .cold/.part pieces travel together */
		for (size_t i = 0; i < sym->nr_children; i++) {
			struct symbol *child = sym->children[i];

			if (child->status == STATUS_SAME)
				child->status = STATUS_CHANGED;
			include_symbol(ctx, child);
		}
	}
}

int include_changes(struct cdo_ctx *ctx)
{
	struct elf *elf = ctx->patched;

	elf->symbols[0]->include = true;
	for (size_t i = 1; i < elf->nr_symbols; i++) {
		struct symbol *sym = elf->symbols[i];

		if (sym->type == STT_FILE)
			sym->include = true;
		else if (sym->type == STT_FUNC && sym->sec && !sym->sec->ignore &&
			 sym->status == STATUS_CHANGED && !sym->is_pfx &&
			 !is_alias_of_bundled(sym) && !is_init_section(sym->sec->name))
			include_symbol(ctx, sym);
		else if (sym->status == STATUS_NEW && sym->bind != STB_LOCAL && sym->sec &&
			 !sym->sec->ignore && !is_marker_section(sym->sec) &&
			 (sym->type == STT_FUNC || sym->type == STT_OBJECT))
			include_symbol(ctx, sym);
	}
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];

		if (is_callback_section(sec)) {
			include_section(ctx, sec);
			for (size_t k = 0; sec->rela && k < sec->rela->nr_relas; k += 2) {
				struct symbol *fn = sec->rela->relas[k].sym;

				if (fn)
					result_add_note(ctx, "found callback %s (%s)", fn->name,
							sec->name + 18);
			}
		}
	}
	return 0;
}

static bool harmless_unincluded(const struct cdo_ctx *ctx, const struct section *sec)
{
	const char *n = sec->name;

	return is_special_section(ctx, sec) || is_debug_section(sec) || is_string_section(sec) ||
	       is_marker_section(sec) || sec->ignore || sec->sh.sh_type == SHT_GROUP ||
	       is_metadata_section(ctx, sec) || !strcmp(n, "__mcount_loc") ||
	       !strcmp(n, "__patchable_function_entries") || !strcmp(n, ".sframe") ||
	       !strncmp(n, ".orc_", 5) || !strcmp(n, ".altinstr_replacement") ||
	       !strcmp(n, ".altinstr_aux") || !strcmp(n, ".ibt_endbr_seal") ||
	       /* what an export change means is check_exports' to say */
	       is_export_section(sec) ||
	       !strncmp(n, ".kpatch.", 8) ||
	       /* per-call-site descriptors: a changed user brings fresh ones */
	       !strcmp(n, "__verbose") || !strcmp(n, "__dyndbg") ||
	       !strcmp(n, "__dyndbg_classes");
}


/* A function SEC's entries refer to, a new or changed one if any, and how
 * many entries refer to functions: a table of hooks (.pci_fixup_*). */
static const char *first_function_referred(const struct section *sec, size_t *count)
{
	const char *first = NULL;
	bool changed_first = false;

	*count = 0;
	if (!sec->rela)
		return NULL;
	for (size_t i = 0; i < sec->rela->nr_relas; i++) {
		const struct symbol *sym = sec->rela->relas[i].sym;

		if (sym->type == STT_SECTION && sym->sec && sym->sec->bundled)
			sym = sym->sec->bundled;
		if (sym->type != STT_FUNC)
			continue;
		if (!first || (sym->status != STATUS_SAME && !changed_first)) {
			changed_first = sym->status != STATUS_SAME;
			first = sym->name;
		}
		(*count)++;
	}
	return first;
}

/*
 * Is everything the output reaches in data section SEC call-site state
 * (dev_warn_once()'s __print_once, WARN_ONCE's __warned), which the patched
 * code gets fresh by design? Such statics share a section with others when
 * an attribute names it (__read_mostly): the copy of the section then
 * serves them alone, so long as nothing else in it is reached.
 */
static bool only_call_site_state(const struct cdo_ctx *ctx, const struct section *sec)
{
	const struct elf *elf = ctx->patched;
	bool reached = false;

	if (sec->rela)
		return false;	/* a fresh copy would hold pointers of its own */
	for (size_t i = 1; i < elf->nr_sections; i++) {
		const struct section *rs = elf->sections[i];

		if (!is_rela_section(rs) || !rs->base->include || is_debug_section(rs))
			continue;
		for (size_t j = 0; j < rs->nr_relas; j++) {
			const struct symbol *sym = rs->relas[j].sym;

			if (!sym || sym->sec != sec)
				continue;
			if (sym->type == STT_SECTION || !is_special_static(sym))
				return false;
			reached = true;
		}
	}
	return reached;
}

struct byte_range {
	uint64_t start, end;
};

static int cmp_byte_range(const void *a, const void *b)
{
	const struct byte_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Every byte of SEC held by call-site statics, and no other variable in
 * it. Works on the symbols' ranges, not on one flag per byte: a .bss
 * section's size comes from its header alone and may be anything.
 */
static bool covered_by_call_site_statics(const struct section *sec)
{
	struct byte_range *ranges = xcalloc(sec->nr_syms ? sec->nr_syms : 1, sizeof(*ranges));
	size_t n = 0;
	uint64_t covered = 0;
	bool ok = true;

	for (size_t s = 0; ok && s < sec->nr_syms; s++) {
		const struct symbol *sym = sec->syms[s];
		uint64_t start = sym->sym.st_value, size = sym->sym.st_size;

		if (sym->type == STT_SECTION || (sym->type == STT_NOTYPE && !size))
			continue;
		if (!is_special_static(sym) || start > sec->size || size > sec->size - start)
			ok = false;
		else if (size)
			ranges[n++] = (struct byte_range){ start, start + size };
	}
	if (ok) {
		qsort(ranges, n, sizeof(*ranges), cmp_byte_range);
		for (size_t r = 0; r < n && ranges[r].start <= covered; r++)
			if (ranges[r].end > covered)
				covered = ranges[r].end;
	}
	free(ranges);
	return ok && covered == sec->size;
}

/* Every byte zero (or .bss) and held by call-site statics. */
static bool holds_only_zero_call_site_state(const struct section *sec)
{
	if (sec->rela)
		return false;
	if (sec->sh.sh_type != SHT_NOBITS)
		for (uint64_t at = 0; at < sec->size; at++)
			if (!sec->data || sec->data[at])
				return false;
	return covered_by_call_site_statics(sec);
}

/*
 * A data section that changed only in which call sites have once-flags
 * (WARN_ON_ONCE's __already_done, dev_warn_once()'s __print_once: all of
 * a file's share .data..once): sites added, removed or renumbered. Code
 * that is not patched keeps the running kernel's flags and a patched
 * function that has such a site gets a fresh one with its section, so
 * nothing uses the change. Any other variable in it, an initial value or
 * a pointer is data that may really have changed.
 */
static bool only_call_site_state_changed(const struct section *sec)
{
	return sec->twin && holds_only_zero_call_site_state(sec) &&
	       holds_only_zero_call_site_state(sec->twin);
}

static const char *describe(const struct section *sec)
{
	if (sec->bundled)
		return sec->bundled->name;
	if (sec->nr_syms)
		return sec->syms[0]->name;
	return NULL;
}

int verify_patchability(struct cdo_ctx *ctx)
{
	struct elf *elf = ctx->patched;
	size_t before = ctx->result.nr_refusals;

	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];
		const char *what;

		if (is_rela_section(sec) || sec->deleted)
			continue;
		what = describe(sec);
		if (sec->status == STATUS_CHANGED && !sec->include && !harmless_unincluded(ctx, sec)) {
			if (is_init_section(sec->name))
				result_add_func_refusal(ctx, R_INIT_CHANGED,
					sec->bundled && sec->bundled->type == STT_FUNC ? sec->bundled->name : NULL,
					"changed section %s%s%s%s is init code or data: it has already run and been freed, so a livepatch cannot change it; leave it unchanged or use a callback",
					sec->name, what ? " (" : "", what ? what : "", what ? ")" : "");
			else if (only_call_site_state_changed(sec))
				cdo_debug(ctx, "%s: only its call-site flags changed", sec->name);
			else if (is_data_section_name(sec->name) || !strncmp(sec->name, ".rodata", 7))
				result_add_refusal(ctx, R_DATA_CHANGED,
					"changed data %s%s%s%s: a livepatch replaces functions, not data; change the code that uses it, use a shadow variable or a callback",
					sec->name, what ? " (" : "", what ? what : "", what ? ")" : "");
			else {
				size_t n;
				const char *fn = first_function_referred(sec, &n);

				if (fn)
					result_add_refusal(ctx, R_SECTION_NOT_INCLUDED,
						"changed section %s (%zu entr%s referring to functions, e.g. %s) not selected for inclusion: it is a table the kernel reads from its own image (fixups, hooks), which a livepatch cannot add to or change; leave that part out of the patch you livepatch, do the work from a livepatch callback, or ship it in a kernel update",
						sec->name, n, n == 1 ? "y" : "ies", fn);
				else
					result_add_refusal(ctx, R_SECTION_NOT_INCLUDED,
						"changed section %s%s%s%s not selected for inclusion: no changed function uses it",
						sec->name, what ? " (" : "", what ? what : "", what ? ")" : "");
			}
		}
		if (sec->include && sec->status != STATUS_NEW && !is_special_section(ctx, sec) &&
		    is_data_section_name(sec->name) &&
		    strcmp(sec->name, ".data.once") && strcmp(sec->name, ".data..once") &&
		    strcmp(sec->name, ".data.unlikely") && strcmp(sec->name, ".data..unlikely") &&
		    !only_call_site_state(ctx, sec))
			result_add_refusal(ctx, R_DATA_INCLUDED,
				"data section %s%s%s%s selected for inclusion: the patched code would use a fresh copy instead of the kernel's data; reference the data by symbol (e.g. avoid macros that put statics in %s)",
				sec->name, what ? " (" : "", what ? what : "", what ? ")" : "", sec->name);
		if (sec->grouped && (sec->status != STATUS_SAME) && sec->include)
			result_add_refusal(ctx, R_GROUP_CHANGED,
				"section %s is part of a section group (COMDAT) and changed; that is not supported",
				sec->name);
	}
	return ctx->result.nr_refusals > before ? -1 : 0;
}

/* Record every changed and new function in the result, in symbol order. */
void collect_functions(struct cdo_ctx *ctx)
{
	struct elf *elf = ctx->patched;

	for (size_t i = 1; i < elf->nr_symbols; i++) {
		struct symbol *sym = elf->symbols[i];
		struct func_result *f;

		if (sym->type != STT_FUNC || !sym->sec || sym->is_pfx || !sym->include)
			continue;
		if (sym->status == STATUS_NEW) {
			if (sym->parent)
				continue;
			f = result_func(ctx, sym, FUNC_NEW);
			f->status = FUNC_NEW;
			f->patched = false;
		} else if (is_patched_function(sym)) {
			f = result_func(ctx, sym, FUNC_CHANGED);
			f->status = FUNC_CHANGED;
			f->patched = true;
		} else if (sym->via_callers) {
			/* carried for its patched callers, entered only through them */
			f = result_func(ctx, sym, FUNC_CHANGED);
			f->status = FUNC_CHANGED;
			f->patched = false;
		}
	}
	/* reasons recorded for functions that turned out unchanged or parts */
	for (size_t i = 0; i < ctx->result.nr_funcs;) {
		struct func_result *f = &ctx->result.funcs[i];
		struct symbol *sym = f->sym;

		if (sym && (f->status == FUNC_NEW || is_patched_function(sym) || sym->via_callers) &&
		    sym->include) {
			i++;
			continue;
		}
		/* drop it: fold its reasons into nothing */
		for (size_t r = 0; r < f->nr_reasons; r++)
			free(f->reasons[r]);
		free(f->reasons);
		free(f->name);
		free(f->objname);
		memmove(f, f + 1, (ctx->result.nr_funcs - i - 1) * sizeof(*f));
		ctx->result.nr_funcs--;
		result_funcs_changed(&ctx->result);
	}
}

/*
 * A section whose references to code are bookkeeping (where the code is,
 * how to unwind or fix it up), never a call or a pointer kept at runtime.
 */
static bool only_describes_code(const struct cdo_ctx *ctx, const struct section *sec)
{
	const char *n = sec->name;

	return is_special_section(ctx, sec) || is_debug_section(sec) || is_marker_section(sec) ||
	       !strncmp(n, ".discard", 8) || !strncmp(n, ".note", 5) ||
	       !strcmp(n, "__patchable_function_entries") || !strcmp(n, ".ibt_endbr_seal");
}

/* Run only at boot by built-in code: init code and its call tables. */
static bool is_boot_only_reader(const struct cdo_ctx *ctx, const struct section *sec)
{
	return is_boot_only_code(sec) || !strncmp(sec->name, ".initcall", 9) ||
	       !strcmp(sec->name, ".exitcall.exit") || only_describes_code(ctx, sec);
}

static bool is_refused_init_change(const struct cdo_ctx *ctx, const struct section *sec)
{
	return !is_rela_section(sec) && !sec->deleted && sec->status == STATUS_CHANGED &&
	       !sec->include && !harmless_unincluded(ctx, sec) && is_init_section(sec->name);
}

/*
 * Is every change init code that a running kernel never enters again?
 * Only built-in code (modules run their init at each load, and their exit
 * at unload), only code (init data can have been copied into runtime state
 * at boot, which nothing here can rule out), and only code nothing but init
 * code and its call tables refer to (a __ref caller could still enter it).
 * Each reason it is not is a note, so the author sees why.
 */
static bool changes_are_init_only(struct cdo_ctx *ctx)
{
	struct elf *elf = ctx->patched;
	bool init_only = true;

	if (strcmp(ctx->objname, "vmlinux")) {
		result_add_note(ctx, "the init changes are not init-only: %s is part of module %s, which runs its init code again each time it is loaded",
				ctx->childobj, ctx->objname);
		return false;
	}
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];

		if (!is_refused_init_change(ctx, sec) || is_boot_only_code(sec) ||
		    !strncmp(sec->name, ".initcall", 9))
			continue;
		result_add_note(ctx, "changed %s is init data or code not freed after boot, not init code: what it holds may live on at runtime, so the change is not provably init-only",
				sec->name);
		init_only = false;
	}
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *rsec = elf->sections[i];

		if (!is_rela_section(rsec) || !rsec->base || is_boot_only_reader(ctx, rsec->base))
			continue;
		for (size_t k = 0; k < rsec->nr_relas; k++) {
			struct rela *rela = &rsec->relas[k];
			struct section *target = rela->sym ? rela->sym->sec : NULL;

			if (!target || !is_refused_init_change(ctx, target))
				continue;
			result_add_note(ctx, "changed init section %s is referred to by %s, which is not init code: it may run after boot, so the change is not provably init-only",
					target->name, rsec->base->name);
			init_only = false;
			break;
		}
	}
	return init_only;
}

/*
 * A patch whose only changes are init code of built-in objects needs no
 * livepatch: the differ still refuses (exit 2, nothing to write), but says
 * so with its own code, listing the init functions, and marks the result
 * init-only so kpatch-build can give it its own verdict.
 */
void classify_init_only(struct cdo_ctx *ctx, bool runtime_output)
{
	struct cdo_result *r = &ctx->result;
	struct elf *elf = ctx->patched;

	if (!r->nr_refusals || runtime_output)
		return;
	for (size_t i = 0; i < r->nr_refusals; i++)
		if (r->refusals[i].code != R_INIT_CHANGED)
			return;
	if (!changes_are_init_only(ctx))
		return;
	result_drop_refusals(r);
	r->init_only = true;
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];
		const char *what;

		if (!is_refused_init_change(ctx, sec))
			continue;
		what = describe(sec);
		result_add_refusal(ctx, R_INIT_ONLY_CHANGE,
				   "changed %s%s%s%s is init code of built-in code: it ran at boot and is never run again, so the running kernel needs no livepatch for it (what it set up at boot stays as it is until the next reboot)",
				   sec->name, what ? " (" : "", what ? what : "", what ? ")" : "");
		result_add_init_change(ctx, what ? what : sec->name);
	}
}
