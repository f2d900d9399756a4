// SPDX-License-Identifier: GPL-2.0
/*
 * create-diff-object: compare one kernel object compiled before and after a
 * source patch and write an object holding only the changed and new
 * functions and what they need, with every reference the module loader
 * cannot resolve recorded for a klp relocation.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cdo.h"
#include "structsize.h"
#include "util.h"

#ifndef KPATCH_VERSION
#define KPATCH_VERSION "unknown"
#endif

struct options {
	bool debug;
	bool no_line_heuristic;
	const char *report;
	const char *struct_sizes_from;
	const char *object_name;
	const char *orig, *patched, *parent, *symtab, *symvers, *patch_name, *output;
};

static void usage(FILE *f)
{
	fputs("Usage: create-diff-object [OPTIONS] ORIG.o PATCHED.o PARENT PARENT-SYMTAB\n"
	      "                          MODULE.SYMVERS PATCH-NAME OUTPUT.o\n"
	      "\n"
	      "Compare a kernel object built before (ORIG.o) and after (PATCHED.o) a source\n"
	      "patch and write OUTPUT.o with the changed and new functions, ready to be\n"
	      "linked into a livepatch module.\n"
	      "\n"
	      "  PARENT          vmlinux, or the name of the module the object links into\n"
	      "  PARENT-SYMTAB   the parent's symbol table: `readelf -s --wide` text, or the\n"
	      "                  parent ELF file itself (vmlinux or .ko)\n"
	      "  MODULE.SYMVERS  exported symbols (may be empty)\n"
	      "  PATCH-NAME      name of the livepatch module (informational)\n"
	      "\n"
	      "Options:\n"
	      "  -d, --debug                 explain decisions on stderr\n"
	      "      --report FILE.json      also write the result as JSON\n"
	      "      --struct-sizes-from ELF read special-section entry sizes from ELF's DWARF\n"
	      "                              (default: PARENT-SYMTAB when it is an ELF file,\n"
	      "                              then the *_STRUCT_SIZE environment variables)\n"
	      "      --object-name NAME      name the object this way in messages\n"
	      "      --no-line-heuristic     any changed immediate is a change: the sources\n"
	      "                              keep their line numbers (#line directives)\n"
	      "  -h, --help                  show this help\n"
	      "      --version               show the version\n"
	      "\n"
	      "Exit status: 0 output written; 1 error; 2 unsupported change (every reason\n"
	      "printed); 3 no functional change.\n", f);
}

static int parse_args(int argc, char **argv, struct options *opt)
{
	enum { OPT_REPORT = 256, OPT_SIZES, OPT_NAME, OPT_VERSION, OPT_KLP_ARCH, OPT_NO_LINE };
	static const struct option longopts[] = {
		{ "debug", no_argument, NULL, 'd' },
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "struct-sizes-from", required_argument, NULL, OPT_SIZES },
		{ "object-name", required_argument, NULL, OPT_NAME },
		{ "no-line-heuristic", no_argument, NULL, OPT_NO_LINE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "klp-arch", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "dha", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': opt->debug = true; break;
		case OPT_REPORT: opt->report = optarg; break;
		case OPT_SIZES: opt->struct_sizes_from = optarg; break;
		case OPT_NAME: opt->object_name = optarg; break;
		case OPT_NO_LINE: opt->no_line_heuristic = true; break;
		case 'h': usage(stdout); exit(EXIT_OK);
		case OPT_VERSION: printf("create-diff-object %s\n", KPATCH_VERSION); exit(EXIT_OK);
		case 'a':
			fputs("create-diff-object: ERROR: --klp-arch (.klp.arch sections for kernels before 5.8) is not supported\n",
			      stderr);
			return -1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (argc - optind != 7) {
		fprintf(stderr, "create-diff-object: ERROR: expected 7 arguments, got %d\n",
			argc - optind);
		usage(stderr);
		return -1;
	}
	opt->orig = argv[optind];
	opt->patched = argv[optind + 1];
	opt->parent = argv[optind + 2];
	opt->symtab = argv[optind + 3];
	opt->symvers = argv[optind + 4];
	opt->patch_name = argv[optind + 5];
	opt->output = argv[optind + 6];
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void timed(struct cdo_ctx *ctx, const char *phase, double since)
{
	struct cdo_result *r = &ctx->result;

	if (r->nr_timings < sizeof(r->timings) / sizeof(r->timings[0])) {
		r->timings[r->nr_timings].phase = phase;
		r->timings[r->nr_timings].ms = now_ms() - since;
		r->nr_timings++;
	}
}

static bool is_elf_file(const char *path)
{
	unsigned char magic[4];
	FILE *f = fopen(path, "rb");
	bool elf;

	if (!f)
		return false;
	elf = fread(magic, 1, 4, f) == 4 && !memcmp(magic, "\177ELF", 4);
	fclose(f);
	return elf;
}

static int load_struct_sizes(struct cdo_ctx *ctx, const struct options *opt)
{
	const char *from = opt->struct_sizes_from;
	char err[1024];

	if (!from && is_elf_file(opt->symtab))
		from = opt->symtab;
	if (from) {
		if (dwarf_struct_sizes(from, struct_size_type, SZ_COUNT, ctx->struct_size,
				       err, sizeof(err))) {
			if (opt->struct_sizes_from) {
				cdo_error(ctx, "%s", err);
				return -1;
			}
			cdo_debug(ctx, "no struct sizes from %s: %s", from, err);
			memset(ctx->struct_size, 0, sizeof(ctx->struct_size));
		}
	}
	for (int i = 0; i < SZ_COUNT; i++)
		ctx->struct_size_from_dwarf[i] = ctx->struct_size[i] != 0;
	for (int i = 0; i < SZ_COUNT; i++) {
		const char *v = getenv(struct_size_env[i]);
		char *end;
		unsigned long n;

		if (!v || ctx->struct_size[i])
			continue;
		errno = 0;
		n = strtoul(v, &end, 0);
		if (errno || end == v || *end || !n || n > 4096) {
			cdo_error(ctx, "%s=%s is not a valid struct size", struct_size_env[i], v);
			return -1;
		}
		ctx->struct_size[i] = n;
	}

	for (int i = 0; i < SZ_COUNT; i++)
		cdo_debug(ctx, "struct %s: %lu bytes", struct_size_type[i], ctx->struct_size[i]);
	return 0;
}

static int check_headers(struct cdo_ctx *ctx)
{
	const GElf_Ehdr *a = &ctx->orig->ehdr, *b = &ctx->patched->ehdr;
	const char *why;

	if (a->e_machine != b->e_machine || a->e_ident[EI_DATA] != b->e_ident[EI_DATA] ||
	    a->e_ident[EI_CLASS] != b->e_ident[EI_CLASS]) {
		cdo_error(ctx, "%s and %s are for different architectures (machine %u vs %u)",
			  ctx->orig_path, ctx->patched_path, a->e_machine, b->e_machine);
		return -1;
	}
	ctx->arch = arch_for_machine(a->e_machine);
	if (!ctx->arch) {
		cdo_error(ctx, "%s: unsupported architecture (ELF machine %u); this build supports %s",
			  ctx->orig_path, a->e_machine, arch_names());
		return -1;
	}
	if (ctx->arch->unsupported_object && (why = ctx->arch->unsupported_object(a))) {
		cdo_error(ctx, "%s: %s", ctx->orig_path, why);
		return -1;
	}
	if (a->e_flags != b->e_flags) {
		cdo_error(ctx, "%s and %s were built with different ELF flags (0x%x vs 0x%x)",
			  ctx->orig_path, ctx->patched_path, a->e_flags, b->e_flags);
		return -1;
	}
	return 0;
}

static void collect_modinfo_namespaces(struct cdo_ctx *ctx)
{
	struct section *mi = elf_find_section(ctx->patched, ".modinfo");

	if (!mi || !mi->data)
		return;
	for (uint64_t off = 0; off < mi->size;) {
		const char *s = (const char *)mi->data + off;
		size_t len = strnlen(s, mi->size - off);
		/* built-in code prefixes its tags with the would-be module name;
		   an unterminated last string is not searched */
		const char *tag = len < mi->size - off ? strstr(s, "import_ns=") : NULL;

		if (tag &&
		    (tag == s || (tag[-1] == '.' && !memchr(s, '=', (size_t)(tag - s))))) {
			ctx->modinfo_ns = xrealloc(ctx->modinfo_ns,
						   (ctx->nr_modinfo_ns + 1) * sizeof(char *));
			ctx->modinfo_ns[ctx->nr_modinfo_ns++] = xstrdup(tag);
		}
		off += len + 1;
	}
}

static bool has_output(struct cdo_ctx *ctx)
{
	struct elf *elf = ctx->patched;

	if (ctx->result.nr_funcs)
		return true;
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];

		if (sec->include && !strncmp(sec->name, ".kpatch.callbacks.", 18))
			return true;
	}
	for (size_t i = 1; i < elf->nr_symbols; i++) {
		struct symbol *sym = elf->symbols[i];

		if (sym->include && sym->sec && sym->status == STATUS_NEW &&
		    sym->bind != STB_LOCAL && sym->type == STT_OBJECT)
			return true;
	}
	return false;
}

static const char *default_object_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int run(struct cdo_ctx *ctx, const struct options *opt)
{
	char err[1024];
	double t;

	t = now_ms();
	ctx->orig = elf_read(opt->orig, err, sizeof(err));
	if (!ctx->orig) {
		cdo_error(ctx, "%s", err);
		return EXIT_ERROR;
	}
	ctx->patched = elf_read(opt->patched, err, sizeof(err));
	if (!ctx->patched) {
		cdo_error(ctx, "%s", err);
		return EXIT_ERROR;
	}
	if (check_headers(ctx) || load_struct_sizes(ctx, opt))
		return EXIT_ERROR;
	ctx->parent_path = opt->symtab;
	ctx->lookup = lookup_open(opt->symtab, opt->parent, opt->symvers, err, sizeof(err));
	if (!ctx->lookup) {
		cdo_error(ctx, "%s", err);
		return EXIT_ERROR;
	}
	timed(ctx, "read", t);

	t = now_ms();
	if (analyze_symbols(ctx, ctx->orig) || analyze_symbols(ctx, ctx->patched) ||
	    replace_section_symbols(ctx, ctx->orig) || replace_section_symbols(ctx, ctx->patched) ||
	    split_shared_sections(ctx, ctx->orig) || split_shared_sections(ctx, ctx->patched))
		return EXIT_ERROR;
	timed(ctx, "analyze", t);

	if (!ctx->no_line_heuristic && elf_find_section(ctx->orig, ".debug_info") &&
	    elf_find_section(ctx->patched, ".debug_info")) {
		/* without them the heuristic asks one consistent shift */
		if (decl_lines_read(opt->orig, &ctx->orig_decl, err, sizeof(err)) ||
		    decl_lines_read(opt->patched, &ctx->patched_decl, err, sizeof(err))) {
			cdo_debug(ctx, "no declaration lines: %s", err);
			decl_lines_free(&ctx->orig_decl);
			decl_lines_free(&ctx->patched_decl);
		}
	}

	t = now_ms();
	correlate(ctx);
	timed(ctx, "correlate", t);

	t = now_ms();
	compare(ctx);
	if (apply_markers(ctx))
		return EXIT_ERROR;
	check_fentry(ctx);
	timed(ctx, "compare", t);

	t = now_ms();
	include_changes(ctx);
	if (process_special_sections(ctx) && ctx->result.error)
		return EXIT_ERROR;
	if (ctx->arch->finish_inclusion && ctx->arch->finish_inclusion(ctx) && ctx->result.error)
		return EXIT_ERROR;
	check_exports(ctx);
	verify_patchability(ctx);
	check_static_locals(ctx);
	collect_functions(ctx);
	classify_init_only(ctx, has_output(ctx));
	timed(ctx, "include", t);

	if (ctx->result.nr_refusals)
		return EXIT_REFUSED;
	if (!has_output(ctx))
		return EXIT_NO_CHANGE;

	t = now_ms();
	collect_modinfo_namespaces(ctx);
	if (create_klp_relocations(ctx) && ctx->result.error)
		return EXIT_ERROR;
	if (ctx->result.nr_refusals)
		return EXIT_REFUSED;
	timed(ctx, "klp-relocations", t);

	t = now_ms();
	if (write_output(ctx))
		return ctx->result.nr_refusals ? EXIT_REFUSED : EXIT_ERROR;
	timed(ctx, "write", t);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct options opt = { 0 };
	struct cdo_ctx ctx = { 0 };
	double start = now_ms();
	int status;

	if (parse_args(argc, argv, &opt))
		return EXIT_ERROR;
	ctx.orig_path = opt.orig;
	ctx.patched_path = opt.patched;
	ctx.output_path = opt.output;
	ctx.objname = opt.parent;
	ctx.childobj = opt.object_name ? opt.object_name : default_object_name(opt.orig);
	ctx.debug = opt.debug;
	ctx.no_line_heuristic = opt.no_line_heuristic;

	/* a stale output from an earlier run must not pass for this one's */
	if (unlink(opt.output) && errno != ENOENT) {
		fprintf(stderr, "create-diff-object: ERROR: %s: cannot remove the old output: %s\n",
			opt.output, strerror(errno));
		return EXIT_ERROR;
	}
	status = run(&ctx, &opt);
	ctx.result.exit_status = status;
	timed(&ctx, "total", start);
	report_text(&ctx);
	if (opt.report && report_json(&ctx, opt.report) && status == EXIT_OK) {
		unlink(opt.output);
		status = EXIT_ERROR;
	}
	if (opt.debug)
		for (size_t i = 0; i < ctx.result.nr_timings; i++)
			fprintf(stderr, "DEBUG: time %s: %.2f ms\n", ctx.result.timings[i].phase,
				ctx.result.timings[i].ms);
	if (ctx.lookup)
		lookup_close(ctx.lookup);
	elf_free(ctx.orig);
	elf_free(ctx.patched);
	decl_lines_free(&ctx.orig_decl);
	decl_lines_free(&ctx.patched_decl);
	for (size_t i = 0; i < ctx.nr_modinfo_ns; i++)
		free(ctx.modinfo_ns[i]);
	free(ctx.modinfo_ns);
	result_free(&ctx.result);
	return status;
}
