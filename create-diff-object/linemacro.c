// SPDX-License-Identifier: GPL-2.0
/*
 * The architecture-independent half of the __LINE__ heuristic: which
 * callees take a line number in which argument, and whether a printf-like
 * callee's format makes an argument a line number. The arch hooks decode
 * the instructions that load the arguments.
 */
#include <string.h>

#include "cdo.h"

/* Callees that take a line number, and in which argument (6.x prototypes). */
static const struct line_callee {
	const char *name;
	unsigned int arg;
} line_callees[] = {
	{ "__might_sleep", 2 },		/* (file, line) */
	{ "___might_sleep", 2 },	/* (file, line, preempt_offset) */
	{ "__might_resched", 2 },	/* (file, line, offsets) */
	{ "__might_fault", 2 },		/* (file, line) */
	{ "lockdep_rcu_suspicious", 2 },	/* (file, line, s) */
	{ "warn_slowpath_fmt", 2 },	/* (file, line, taint, fmt, ...) */
	{ "warn_slowpath_null", 2 },	/* (file, line) */
	{ "__btrfs_abort_transaction", 3 },	/* (trans, function, line, ...) */
	{ "__btrfs_handle_fs_error", 3 },	/* (fs_info, function, line, ...) */
	{ "__btrfs_panic", 3 },		/* (fs_info, function, line, ...) */
	{ NULL, 0 }
};

/* printf-like callees: a line number only where their format says so. */
static const char *const line_printers[] = {
	"printk", "_printk", "__warn_printk", NULL
};

static bool rela_is_incidental(const struct rela *rela)
{
	const struct symbol *sym = rela->sym;

	if (!sym)
		return true;
	if (sym->sec && is_string_section(sym->sec))
		return true;
	/* data of this object (ppc64le's .toc entries): an argument, not the call */
	if (sym->sec && !is_text_section(sym->sec))
		return true;
	return !strncmp(sym->name, "__warned", 8) || !strncmp(sym->name, "__already_done", 14) ||
	       !strncmp(sym->name, "__func__", 8) || !strncmp(sym->name, ".rodata", 7) ||
	       !strncmp(sym->name, "__UNIQUE_ID_", 12);
}

/* The call relocation an argument set up at 'after' is passed to. */
static struct rela *next_call(struct section *sec, uint64_t after, uint64_t end)
{
	for (struct rela *rela = elf_rela_at_or_after(sec, after);
	     rela && rela < sec->rela->relas + sec->rela->nr_relas && rela->offset < end; rela++) {
		if (rela_is_incidental(rela))
			continue;
		return rela;
	}
	return NULL;
}

const char *line_rela_string(struct rela *rela, int64_t target_offset)
{
	struct symbol *sym = rela->sym;
	int64_t off;

	if (!sym || !sym->sec || !is_string_section(sym->sec) || !sym->sec->data)
		return NULL;
	off = target_offset + (int64_t)sym->sym.st_value;
	if (off < 0 || (uint64_t)off >= sym->sec->size ||
	    !memchr(sym->sec->data + off, 0, sym->sec->size - (uint64_t)off))
		return NULL;
	return (const char *)sym->sec->data + off;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !strncmp(s + len - n, suffix, n);
}

/*
 * Does the format make its nth variadic argument (1-based) a line number:
 * an integer conversion right after the word "line" ("line %d", "Line:
 * %u"), or right after a "%s" whose argument is a file name (file_arg,
 * "at %s:%d" with __FILE__, __LINE__)?
 */
static bool format_has_line_at(const char *fmt, unsigned int nth, const char *file_arg)
{
	const char *text = fmt;
	char prev_conv = 0;

	for (unsigned int k = 1; *fmt; fmt++) {
		const char *conv;

		if (*fmt != '%')
			continue;
		if (fmt[1] == '%') {
			fmt++;
			continue;
		}
		conv = fmt + 1 + strspn(fmt + 1, "-+ #0123456789.*hlLzjt");
		if (!*conv)
			return false;
		if (k == nth) {
			size_t len = (size_t)(fmt - text);
			char word[5] = "";

			if (*conv != 'd' && *conv != 'i' && *conv != 'u')
				return false;
			while (len && strchr(" :=#", text[len - 1]))
				len--;
			if (len >= 4) {
				for (int i = 0; i < 4; i++)
					word[i] = (char)(text[len - 4 + i] | 0x20);
				if (!strcmp(word, "line"))
					return true;
			}
			return prev_conv == 's' && file_arg &&
			       (ends_with(file_arg, strlen(file_arg), ".c") ||
				ends_with(file_arg, strlen(file_arg), ".h"));
		}
		prev_conv = *conv;
		text = conv + 1;
		fmt = conv;
		k++;
	}
	return false;
}

bool line_argument_is_line(struct section *sec, uint64_t fstart, uint64_t after,
			   uint64_t end, unsigned int arg, line_string_argument_fn string_argument)
{
	struct rela *call = next_call(sec, after, end);
	const char *fmt;

	if (!call)
		return false;
	for (const struct line_callee *c = line_callees; c->name; c++)
		if (!strcmp(call->sym->name, c->name))
			return arg == c->arg;
	for (const char *const *p = line_printers; *p; p++) {
		if (strcmp(call->sym->name, *p) || (arg != 2 && arg != 3))
			continue;
		/* variadic: the second argument is the first after the format */
		fmt = string_argument(sec, fstart, call->offset, 1);
		return fmt && format_has_line_at(fmt, arg - 1,
						 arg == 3 ? string_argument(sec, fstart, call->offset, 2)
							  : NULL);
	}
	return false;
}
