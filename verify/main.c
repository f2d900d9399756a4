// SPDX-License-Identifier: GPL-2.0
/*
 * kpatch-verify ORIG.o PATCHED.o MODULE PARENT-SYMTAB [--symvers FILE]
 *               [--parent NAME] [--json FILE] [--allow-line-only FUNC]...
 *
 * Exit status: 0 verified, 1 usage or I/O error, 2 findings.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "arch.h"
#include "verify.h"

#define EXIT_VERIFIED	0
#define EXIT_ERROR	1
#define EXIT_FINDINGS	2

static const char *prog = "kpatch-verify";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--symvers FILE] [--parent NAME] [--json FILE] [--struct-sizes-from ELF]\n"
		"       [--allow-line-only FUNC]...\n"
		"       ORIG.o PATCHED.o MODULE PARENT-SYMTAB\n"
		"MODULE is the livepatch module (.ko) or create-diff-object's output object.\n"
		"Exit status: 0 verified, 1 usage or I/O error, 2 findings.\n", prog);
}

static char *vformat(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(EXIT_ERROR);
	}
	return s;
}

void add_finding(struct verify *v, const char *check, const char *function,
		 const char *section, bool has_offset, uint64_t offset, const char *fmt, ...)
{
	struct finding *f;
	va_list ap;

	v->findings = xrealloc(v->findings, (v->nr_findings + 1) * sizeof(*f));
	f = &v->findings[v->nr_findings++];
	f->check = check;
	f->function = function ? xstrdup(function) : NULL;
	f->section = section ? xstrdup(section) : NULL;
	f->has_offset = has_offset;
	f->offset = offset;
	va_start(ap, fmt);
	f->message = vformat(fmt, ap);
	va_end(ap);
}

void add_note(struct verify *v, const char *fmt, ...)
{
	va_list ap;

	v->notes = xrealloc(v->notes, (v->nr_notes + 1) * sizeof(*v->notes));
	va_start(ap, fmt);
	v->notes[v->nr_notes++] = vformat(fmt, ap);
	va_end(ap);
}

/* ---- rendering -------------------------------------------------------- */

static void print_text(const struct verify *v)
{
	for (size_t i = 0; i < v->nr_notes; i++)
		printf("%s: note: %s\n", prog, v->notes[i]);
	for (size_t i = 0; i < v->nr_findings; i++) {
		const struct finding *f = &v->findings[i];

		printf("%s: %s: FAILED %s:", prog, v->module_path, f->check);
		if (f->function)
			printf(" function %s", f->function);
		if (f->section)
			printf(" (%s%s", f->section, f->has_offset ? "" : ")");
		if (f->section && f->has_offset)
			printf("+0x%llx)", (unsigned long long)f->offset);
		printf(": %s\n", f->message);
	}
	printf("%s: %s: %s: %lu function(s), %lu relocation(s), %lu special entries, %zu record(s) checked; %zu finding(s)\n",
	       prog, v->module_path, v->nr_findings ? "NOT VERIFIED" : "verified",
	       v->functions_checked, v->relocs_checked, v->entries_checked, v->nr_records,
	       v->nr_findings);
}

static void json_string(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static int write_json(const struct verify *v, const char *path)
{
	char *tmp = xasprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");

	if (!f) {
		fprintf(stderr, "%s: ERROR: cannot write %s\n", prog, tmp);
		free(tmp);
		return -1;
	}
	fprintf(f, "{\"module\": ");
	json_string(f, v->module_path);
	fprintf(f, ", \"parent\": ");
	json_string(f, v->parent);
	fprintf(f, ", \"verified\": %s, \"exit_status\": %d,\n \"checked\": {\"functions\": %lu, \"relocations\": %lu, \"special_entries\": %lu, \"records\": %zu},\n \"findings\": [",
		v->nr_findings ? "false" : "true", v->nr_findings ? EXIT_FINDINGS : EXIT_VERIFIED,
		v->functions_checked, v->relocs_checked, v->entries_checked, v->nr_records);
	for (size_t i = 0; i < v->nr_findings; i++) {
		const struct finding *fd = &v->findings[i];

		fprintf(f, "%s\n  {\"check\": ", i ? "," : "");
		json_string(f, fd->check);
		fprintf(f, ", \"function\": ");
		json_string(f, fd->function);
		fprintf(f, ", \"section\": ");
		json_string(f, fd->section);
		if (fd->has_offset)
			fprintf(f, ", \"offset\": %llu", (unsigned long long)fd->offset);
		else
			fprintf(f, ", \"offset\": null");
		fprintf(f, ", \"message\": ");
		json_string(f, fd->message);
		fputc('}', f);
	}
	fprintf(f, "],\n \"notes\": [");
	for (size_t i = 0; i < v->nr_notes; i++) {
		fputs(i ? ", " : "", f);
		json_string(f, v->notes[i]);
	}
	fprintf(f, "]}\n");
	if (fclose(f) || rename(tmp, path)) {
		fprintf(stderr, "%s: ERROR: cannot write %s\n", prog, path);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

/* ---- main ------------------------------------------------------------- */

static void parse_args(struct verify *v, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "symvers", required_argument, NULL, 's' },
		{ "parent", required_argument, NULL, 'p' },
		{ "json", required_argument, NULL, 'j' },
		{ "allow-line-only", required_argument, NULL, 'l' },
		{ "struct-sizes-from", required_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': v->symvers_path = optarg; break;
		case 'p': v->parent = optarg; break;
		case 'j': v->json_path = optarg; break;
		case 'z': v->struct_sizes_from = optarg; break;
		case 'l':
			v->allow_line_only = xrealloc(v->allow_line_only,
				(v->nr_allow_line_only + 1) * sizeof(char *));
			v->allow_line_only[v->nr_allow_line_only++] = optarg;
			break;
		case 'h': usage(stdout); exit(EXIT_VERIFIED);
		default: usage(stderr); exit(EXIT_ERROR);
		}
	}
	if (argc - optind != 4) {
		usage(stderr);
		exit(EXIT_ERROR);
	}
	v->orig_path = argv[optind];
	v->patched_path = argv[optind + 1];
	v->module_path = argv[optind + 2];
	v->symtab_path = argv[optind + 3];
}

static void load(struct vobj *o, const char *path)
{
	char err[1024];

	if (vobj_load(o, path, err, sizeof(err))) {
		fprintf(stderr, "%s: ERROR: %s\n", prog, err);
		exit(EXIT_ERROR);
	}
}

/* The parent the records name, when the caller did not say. */
static const char *default_parent(const struct verify *v)
{
	const char *name = NULL;

	for (size_t i = 0; i < v->nr_records; i++) {
		if (!v->records[i].objname)
			continue;
		if (name && strcmp(name, v->records[i].objname))
			return "vmlinux";
		name = v->records[i].objname;
	}
	return name ? name : "vmlinux";
}

static void free_verify(struct verify *v)
{
	for (size_t i = 0; i < v->nr_findings; i++) {
		free(v->findings[i].function);
		free(v->findings[i].section);
		free(v->findings[i].message);
	}
	for (size_t i = 0; i < v->nr_notes; i++)
		free(v->notes[i]);
	for (size_t i = 0; i < v->nr_records; i++) {
		free(v->records[i].old_name);
		free(v->records[i].objname);
	}
	for (size_t i = 0; i < v->nr_ignored; i++)
		free(v->ignored[i]);
	free(v->ignored);
	for (size_t i = 0; i < v->nr_parent_files; i++)
		free(v->parent_files[i].why);
	free(v->parent_files);
	free(v->jump_sites);
	free(v->runtime_sites);
	free(v->records);
	free(v->findings);
	free(v->notes);
	free(v->allow_line_only);
	if (v->lookup)
		lookup_close(v->lookup);
	vobj_free(&v->orig);
	vobj_free(&v->patched);
	vobj_free(&v->module);
}

int main(int argc, char **argv)
{
	struct verify v = { 0 };
	char err[1024];
	int status;

	parse_args(&v, argc, argv);
	load(&v.orig, v.orig_path);
	load(&v.patched, v.patched_path);
	load(&v.module, v.module_path);
	if (v.orig.arch != v.patched.arch || v.module.arch != v.patched.arch) {
		fprintf(stderr, "%s: ERROR: %s, %s and %s are not of one architecture (%s, %s, %s)\n",
			prog, v.orig_path, v.patched_path, v.module_path, v.orig.arch->name,
			v.patched.arch->name, v.module.arch->name);
		free_verify(&v);
		return EXIT_ERROR;
	}
	v.arch = v.patched.arch;
	v.module_is_ko = elf_find_section(v.module.elf, ".gnu.linkonce.this_module") != NULL;
	load_records(&v);
	if (!v.parent)
		v.parent = default_parent(&v);
	v.have_symvers = v.symvers_path != NULL;
	v.lookup = lookup_open(v.symtab_path, v.parent, v.symvers_path ? v.symvers_path : "/dev/null",
			       err, sizeof(err));
	if (!v.lookup) {
		fprintf(stderr, "%s: ERROR: %s\n", prog, err);
		free_verify(&v);
		return EXIT_ERROR;
	}
	if (read_struct_sizes(&v, err, sizeof(err))) {
		fprintf(stderr, "%s: ERROR: %s\n", prog, err);
		free_verify(&v);
		return EXIT_ERROR;
	}
	if (!v.nr_records)
		add_note(&v, "the module has no klp_func records (no %s section)", ".kpatch.funcs");
	run_checks(&v);
	print_text(&v);
	status = v.nr_findings ? EXIT_FINDINGS : EXIT_VERIFIED;
	if (v.json_path && write_json(&v, v.json_path))
		status = EXIT_ERROR;
	free_verify(&v);
	return status;
}
