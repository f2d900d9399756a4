// SPDX-License-Identifier: GPL-2.0
/*
 * The result of a run and its two renderings: the text users and scripts
 * read (kpatch-compatible lines), and the JSON report.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdo.h"
#include "util.h"

const char *const refusal_code_name[R_COUNT] = {
	[R_INIT_CHANGED] = "init-changed",
	[R_DATA_CHANGED] = "data-changed",
	[R_DATA_INCLUDED] = "data-included",
	[R_SECTION_NOT_INCLUDED] = "section-not-included",
	[R_NO_FENTRY] = "no-fentry",
	[R_STATIC_LOCAL_REMOVED] = "static-local-removed",
	[R_OBJECT_SIZE_CHANGED] = "object-size-changed",
	[R_SYMBOL_MOVED] = "symbol-moved",
	[R_SYMBOL_INFO_CHANGED] = "symbol-info-changed",
	[R_SECTION_HEADER_CHANGED] = "section-header-changed",
	[R_GROUP_CHANGED] = "group-changed",
	[R_JUMP_LABEL_MODULE_KEY] = "jump-label-module-key",
	[R_STATIC_CALL_MODULE_KEY] = "static-call-module-key",
	[R_KLP_IN_MODULE_SPECIAL] = "klp-reloc-in-module-special-section",
	[R_SYMBOL_NOT_FOUND] = "symbol-not-found",
	[R_SYMBOL_AMBIGUOUS] = "symbol-ambiguous",
	[R_RUNTIME_CONST] = "runtime-const",
	[R_SPECIAL_ENTRY_SIZE] = "special-entry-size",
	[R_OTHER_MODULE_LOCAL] = "other-module-symbol",
	[R_ARCH_UNSUPPORTED] = "arch-unsupported",
	[R_INIT_ONLY_CHANGE] = "init-only-change",
	[R_EXPORT_ADDED] = "export-added",
	[R_EXPORT_REMOVED] = "export-removed",
	[R_EXPORT_CHANGED] = "export-changed",
	[R_FTRACE_SITE_SHARED] = "ftrace-site-shared",
};

static char *vformat(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0) {
		fputs("create-diff-object: ERROR: out of memory\n", stderr);
		exit(EXIT_ERROR);
	}
	return s;
}

static void push_string(char ***arr, size_t *n, char *s)
{
	*arr = xrealloc(*arr, (*n + 1) * sizeof(**arr));
	(*arr)[(*n)++] = s;
}

static void add_refusal(struct cdo_ctx *ctx, enum refusal_code code, const char *function,
			char *msg)
{
	struct cdo_result *r = &ctx->result;

	/* the same problem reached twice is reported once */
	for (size_t i = 0; i < r->nr_refusals; i++)
		if (r->refusals[i].code == code && !strcmp(r->refusals[i].message, msg)) {
			free(msg);
			return;
		}
	r->refusals = xrealloc(r->refusals, (r->nr_refusals + 1) * sizeof(*r->refusals));
	r->refusals[r->nr_refusals].code = code;
	r->refusals[r->nr_refusals].message = msg;
	r->refusals[r->nr_refusals].function = function ? xstrdup(function) : NULL;
	r->nr_refusals++;
}

void result_add_refusal(struct cdo_ctx *ctx, enum refusal_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_refusal(ctx, code, NULL, vformat(fmt, ap));
	va_end(ap);
}

void result_add_func_refusal(struct cdo_ctx *ctx, enum refusal_code code, const char *function,
			     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_refusal(ctx, code, function, vformat(fmt, ap));
	va_end(ap);
}

void result_add_warning(struct cdo_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	push_string(&ctx->result.warnings, &ctx->result.nr_warnings, vformat(fmt, ap));
	va_end(ap);
}

void result_add_note(struct cdo_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	push_string(&ctx->result.notes, &ctx->result.nr_notes, vformat(fmt, ap));
	va_end(ap);
}

/*
 * Code that only a static branch of an inert key reached, now left
 * disabled, in objtool's spelling: the build can tell objtool's
 * "unreachable instruction" there from a real problem.
 */
void result_add_disabled_site(struct cdo_ctx *ctx, const char *func, uint64_t offset)
{
	char *site = xmalloc(strlen(func) + 24);

	sprintf(site, "%s+0x%lx", func, (unsigned long)offset);
	push_string(&ctx->result.disabled_sites, &ctx->result.nr_disabled_sites, site);
}

void result_add_init_change(struct cdo_ctx *ctx, const char *name)
{
	push_string(&ctx->result.init_changes, &ctx->result.nr_init_changes, xstrdup(name));
}

void result_drop_refusals(struct cdo_result *r)
{
	for (size_t i = 0; i < r->nr_refusals; i++)
		free(r->refusals[i].message);
	r->nr_refusals = 0;
}

static size_t sym_slot(const struct symbol *sym, size_t size)
{
	uintptr_t h = (uintptr_t)sym;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 7) & (size - 1);
}

static void index_func(struct cdo_result *r, size_t i)
{
	size_t b = sym_slot(r->funcs[i].sym, r->func_index_size);

	while (r->func_index[b])
		b = (b + 1) & (r->func_index_size - 1);
	r->func_index[b] = i + 1;
}

/* Functions are looked up for every changed section: keep a hash. */
static void reindex_funcs(struct cdo_result *r)
{
	free(r->func_index);
	r->func_index_size = 64;
	while (r->func_index_size < 2 * (r->nr_funcs + 1))
		r->func_index_size <<= 1;
	r->func_index = xcalloc(r->func_index_size, sizeof(*r->func_index));
	for (size_t i = 0; i < r->nr_funcs; i++)
		index_func(r, i);
}

void result_funcs_changed(struct cdo_result *r)
{
	r->func_index_size = 0;
}

struct func_result *result_find_func(struct cdo_ctx *ctx, const struct symbol *sym)
{
	struct cdo_result *r = &ctx->result;
	size_t b;

	if (!r->func_index_size)
		reindex_funcs(r);
	for (b = sym_slot(sym, r->func_index_size); r->func_index[b];
	     b = (b + 1) & (r->func_index_size - 1))
		if (r->funcs[r->func_index[b] - 1].sym == sym)
			return &r->funcs[r->func_index[b] - 1];
	return NULL;
}

struct func_result *result_func(struct cdo_ctx *ctx, struct symbol *sym,
				enum func_status status)
{
	struct cdo_result *r = &ctx->result;
	struct func_result *f = result_find_func(ctx, sym);

	if (f)
		return f;
	r->funcs = xrealloc(r->funcs, (r->nr_funcs + 1) * sizeof(*r->funcs));
	f = &r->funcs[r->nr_funcs++];
	memset(f, 0, sizeof(*f));
	f->sym = sym;
	f->name = xstrdup(sym->name);
	f->status = status;
	if (2 * r->nr_funcs <= r->func_index_size)
		index_func(r, r->nr_funcs - 1);
	else
		r->func_index_size = 0;
	return f;
}

void func_add_reason(struct func_result *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	push_string(&f->reasons, &f->nr_reasons, vformat(fmt, ap));
	va_end(ap);
}

void cdo_error(struct cdo_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = vformat(fmt, ap);
	va_end(ap);
	fprintf(stderr, "create-diff-object: ERROR: %s\n", msg);
	if (!ctx->result.error)
		ctx->result.error = msg;
	else
		free(msg);
}

void cdo_debug(const struct cdo_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->debug)
		return;
	fputs("DEBUG: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void report_text(const struct cdo_ctx *ctx)
{
	const struct cdo_result *r = &ctx->result;

	for (size_t i = 0; i < r->nr_notes; i++)
		printf("%s: %s\n", ctx->childobj, r->notes[i]);
	for (size_t i = 0; i < r->nr_warnings; i++)
		fprintf(stderr, "%s: WARNING: %s\n", ctx->childobj, r->warnings[i]);
	for (size_t i = 0; i < r->nr_funcs; i++) {
		const struct func_result *f = &r->funcs[i];

		printf("%s: %s function: %s\n", ctx->childobj,
		       f->status == FUNC_NEW ? "new" : "changed", f->name);
		if (ctx->debug)
			for (size_t k = 0; k < f->nr_reasons; k++)
				printf("%s:   because %s\n", ctx->childobj, f->reasons[k]);
	}
	for (size_t i = 0; i < r->nr_refusals; i++)
		fprintf(stderr, "%s: %s: %s [%s]\n", r->init_only ? "NOTE" : "ERROR",
			ctx->childobj, r->refusals[i].message,
			refusal_code_name[r->refusals[i].code]);
	if (r->init_only)
		fprintf(stderr, "create-diff-object: %s: every change is in init code that already ran at boot; no runtime change is needed\n",
			ctx->childobj);
	else if (r->nr_refusals)
		fprintf(stderr, "create-diff-object: %s: %zu unsupported change%s; this patch cannot be livepatched as it is\n",
			ctx->childobj, r->nr_refusals, r->nr_refusals == 1 ? "" : "s");
	else if (r->exit_status == EXIT_NO_CHANGE)
		printf("%s: no functional changes\n", ctx->childobj);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_string_array(FILE *f, char *const *arr, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		json_string(f, arr[i]);
	}
	fputc(']', f);
}

/*
 * ", function, file, line" of a refusal that concerns a function; file and
 * line are its declaration in the patched (else the original) object's
 * DWARF, and absent without it.
 */
static void refusal_location_json(FILE *f, const struct cdo_ctx *ctx, const char *function)
{
	const struct decl_lines *dl = &ctx->patched_decl;
	long line;

	if (!function)
		return;
	fputs(", \"function\": ", f);
	json_string(f, function);
	if (!decl_line_of(dl, function))
		dl = &ctx->orig_decl;
	line = decl_line_of(dl, function);
	if (decl_file_of(dl, function)) {
		fputs(", \"file\": ", f);
		json_string(f, decl_file_of(dl, function));
	}
	if (line)
		fprintf(f, ", \"line\": %ld", line);
}

static const char *verdict(int status)
{
	switch (status) {
	case EXIT_OK: return "ok";
	case EXIT_REFUSED: return "refused";
	case EXIT_NO_CHANGE: return "no-change";
	default: return "error";
	}
}

int report_json(const struct cdo_ctx *ctx, const char *path)
{
	const struct cdo_result *r = &ctx->result;
	char *tmp = xasprintf("%s.tmpXXXXXX", path);
	int fd = mkstemp(tmp);
	FILE *f;

	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "create-diff-object: ERROR: %s: cannot write the report: %s\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(tmp);
		return -1;
	}
	fputs("{\n  \"format\": \"kpatch-build-diff-report\",\n  \"version\": 1,\n", f);
	fputs("  \"object\": ", f);
	json_string(f, ctx->childobj);
	fputs(",\n  \"parent\": ", f);
	json_string(f, ctx->objname);
	fprintf(f, ",\n  \"verdict\": \"%s\",\n  \"exit_status\": %d,\n", verdict(r->exit_status),
		r->exit_status);
	if (r->error) {
		fputs("  \"error\": ", f);
		json_string(f, r->error);
		fputs(",\n", f);
	}
	fputs("  \"functions\": [", f);
	for (size_t i = 0; i < r->nr_funcs; i++) {
		const struct func_result *fn = &r->funcs[i];

		fputs(i ? ",\n    {" : "\n    {", f);
		fputs("\"name\": ", f);
		json_string(f, fn->name);
		fprintf(f, ", \"status\": \"%s\", \"patched\": %s",
			fn->status == FUNC_NEW ? "new" : "changed", fn->patched ? "true" : "false");
		if (fn->patched && fn->objname) {
			fputs(", \"objname\": ", f);
			json_string(f, fn->objname);
			fprintf(f, ", \"sympos\": %lu", fn->sympos);
		}
		fputs(", \"reasons\": ", f);
		json_string_array(f, fn->reasons, fn->nr_reasons);
		fputc('}', f);
	}
	fputs(r->nr_funcs ? "\n  ],\n" : "],\n", f);
	fputs("  \"refusals\": [", f);
	for (size_t i = 0; i < r->nr_refusals; i++) {
		fputs(i ? ",\n    {" : "\n    {", f);
		fprintf(f, "\"code\": \"%s\", \"message\": ", refusal_code_name[r->refusals[i].code]);
		json_string(f, r->refusals[i].message);
		refusal_location_json(f, ctx, r->refusals[i].function);
		fputc('}', f);
	}
	fputs(r->nr_refusals ? "\n  ],\n" : "],\n", f);
	fprintf(f, "  \"init_only\": %s,\n  \"init_only_changes\": ", r->init_only ? "true" : "false");
	json_string_array(f, r->init_changes, r->nr_init_changes);
	fputs(",\n  \"included_symbols\": ", f);
	json_string_array(f, r->included, r->nr_included);
	fputs(",\n  \"klp_relocations\": [", f);
	for (size_t i = 0; i < r->nr_klp_relocs; i++) {
		const struct klp_reloc_result *k = &r->klp_relocs[i];

		fputs(i ? ",\n    {" : "\n    {", f);
		fputs("\"section\": ", f);
		json_string(f, k->section);
		fprintf(f, ", \"offset\": %lu, \"type\": %u, \"addend\": %ld, \"symbol\": ",
			(unsigned long)k->offset, k->type, (long)k->addend);
		json_string(f, k->symbol);
		fputs(", \"objname\": ", f);
		json_string(f, k->objname);
		fprintf(f, ", \"sympos\": %lu}", k->sympos);
	}
	fputs(r->nr_klp_relocs ? "\n  ],\n" : "],\n", f);
	fputs("  \"warnings\": ", f);
	json_string_array(f, r->warnings, r->nr_warnings);
	fputs(",\n  \"notes\": ", f);
	json_string_array(f, r->notes, r->nr_notes);
	fputs(",\n  \"disabled_sites\": ", f);
	json_string_array(f, r->disabled_sites, r->nr_disabled_sites);
	fputs(",\n  \"timings_ms\": {", f);
	for (size_t i = 0; i < r->nr_timings; i++)
		fprintf(f, "%s\"%s\": %.3f", i ? ", " : "", r->timings[i].phase, r->timings[i].ms);
	fputs("}\n}\n", f);
	if (fclose(f) || rename(tmp, path)) {
		fprintf(stderr, "create-diff-object: ERROR: %s: cannot write the report: %s\n",
			path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

void result_free(struct cdo_result *r)
{
	for (size_t i = 0; i < r->nr_funcs; i++) {
		for (size_t k = 0; k < r->funcs[i].nr_reasons; k++)
			free(r->funcs[i].reasons[k]);
		free(r->funcs[i].reasons);
		free(r->funcs[i].name);
		free(r->funcs[i].objname);
	}
	free(r->funcs);
	free(r->func_index);
	for (size_t i = 0; i < r->nr_refusals; i++) {
		free(r->refusals[i].message);
		free(r->refusals[i].function);
	}
	free(r->refusals);
	for (size_t i = 0; i < r->nr_included; i++)
		free(r->included[i]);
	free(r->included);
	for (size_t i = 0; i < r->nr_klp_relocs; i++) {
		free(r->klp_relocs[i].section);
		free(r->klp_relocs[i].symbol);
		free(r->klp_relocs[i].objname);
	}
	free(r->klp_relocs);
	for (size_t i = 0; i < r->nr_warnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	for (size_t i = 0; i < r->nr_notes; i++)
		free(r->notes[i]);
	free(r->notes);
	for (size_t i = 0; i < r->nr_disabled_sites; i++)
		free(r->disabled_sites[i]);
	free(r->disabled_sites);
	for (size_t i = 0; i < r->nr_init_changes; i++)
		free(r->init_changes[i]);
	free(r->init_changes);
	free(r->error);
}
