// SPDX-License-Identifier: GPL-2.0
/*
 * create-klp-module: turn the kbuild-linked livepatch module into the
 * kernel's livepatch ELF format.
 *
 * create-diff-object leaves every reference the module loader cannot
 * resolve (unexported vmlinux symbols, anything in another module) as an
 * ordinary relocation against an undefined weak symbol named
 *
 *	.klp.sym.<objname>.<symbol>,<sympos>
 *
 * Once kbuild has linked the .ko, this program moves each such relocation
 * out of its ordinary .rela<section> into .klp.rela.<objname>.<section>
 * (flagged SHF_RELA_LIVEPATCH, so the loader hands it to livepatch instead
 * of applying it) and gives each .klp.sym symbol the section index
 * SHN_LIVEPATCH (so the loader does not try to resolve it).
 *
 * When does the kernel (6.12) apply those sections?
 *
 *   load_module()
 *     simplify_symbols()       SHN_LIVEPATCH symbols are skipped
 *     apply_relocations()      ordinary sections; .klp.rela.vmlinux.* too:
 *                              klp_apply_section_relocs(.., objname NULL)
 *                              resolves them right here
 *     post_relocation()        sort_extable (__ex_table), percpu_modcopy
 *                              (.data..percpu copied to every CPU),
 *                              module_finalize(): .altinstructions (and the
 *                              .altinstr_replacement code it copies),
 *                              .retpoline_sites, .return_sites, .call_sites,
 *                              .cfi_sites, .ibt_endbr_seal, .smp_locks,
 *                              .orc_unwind(_ip)
 *     ftrace_module_init()     __mcount_loc / __patchable_function_entries
 *     complete_formation()     __bug_table, .kcfi_traps; then .rodata and
 *                              ro_after_init become read-only (later klp
 *                              writes go through text_poke)
 *     prepare_coming_module()  COMING notifiers: __jump_table,
 *                              .static_call_sites, tracepoints, trace
 *                              events, kprobes blacklist, dyndbg, ...
 *     do_init_module()         the module's init: klp_enable_patch()
 *
 *   .klp.rela.<module>.* are applied only by klp_init_object_loaded(), i.e.
 *   from klp_enable_patch() if <module> is already loaded, or later from
 *   klp_module_coming() when it loads -- and cleared again when it goes.
 *
 * So vmlinux klp relocations are written before any of the patch module's
 * special sections is consumed: they are fine anywhere. Module klp
 * relocations are written too late for every section in load_time_sections
 * below (the kernel would already have used the unrelocated zero), and
 * into .init.* sections they might be written after that memory was freed.
 * Those combinations are refused; everything else is converted.
 *
 * Relocations for sections that are not SHF_ALLOC (debug info and other
 * non-loaded sections) are left alone: the loader never applies them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kelf.h"
#include "klp-arch.h"
#include "kpatch-format.h"
#include "util.h"

#define KLP_OBJNAME_MAX	55	/* MODULE_NAME_LEN - 1 on 64-bit */
#define KLP_SYMNAME_MAX	511	/* KSYM_NAME_LEN - 1 */

static const char *prog = "create-klp-module";
static bool debug;

static void __attribute__((format(printf, 2, 3)))
error(const char *file, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ERROR: %s: ", prog, file);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void __attribute__((format(printf, 1, 2)))
dbg(const char *fmt, ...)
{
	va_list ap;

	if (!debug)
		return;
	fprintf(stderr, "%s: DEBUG: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Sections whose contents the kernel consumes while loading the patch
 * module, i.e. before a module-specific klp relocation could be written.
 * Exact names, or prefixes when the entry ends in '*'.
 */
static const char *const load_time_sections[] = {
	".altinstructions", ".altinstr_replacement", ".altinstr_aux",
	".parainstructions", "__jump_table", ".static_call_sites",
	"__bug_table", "__ex_table", ".orc_unwind", ".orc_unwind_ip",
	".smp_locks", ".retpoline_sites", ".return_sites", ".call_sites",
	".cfi_sites", ".ibt_endbr_seal", ".kcfi_traps", "__kcfi_traps",
	"__mcount_loc", "__patchable_function_entries",
	"__tracepoints", "__tracepoints_ptrs", "__tracepoints_strings",
	"_ftrace_events", "_ftrace_eval_map", "__trace_printk_fmt",
	"__bpf_raw_tp_map", "_kprobe_blacklist", "__error_injection_whitelist",
	"__param", "__ksymtab*", "__kcrctab*", ".ctors*", ".init_array*",
	"__dyndbg", "__dyndbg_classes", ".printk_index", "__kunit_suites",
	".data..percpu*", ".gnu.linkonce.this_module", ".modinfo",
	".kpatch.*", ".init.*",
	NULL
};

static bool section_matches(const char *name, const char *pattern)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return !strncmp(name, pattern, n - 1);
	return !strcmp(name, pattern);
}

static bool is_load_time_section(const char *name)
{
	for (const char *const *p = load_time_sections; *p; p++)
		if (section_matches(name, *p))
			return true;
	return false;
}

struct klp_sym {
	char objname[KLP_OBJNAME_MAX + 1];
	bool vmlinux;
	char *name;		/* the symbol's name in its object */
};

static bool is_klp_sym_name(const char *name)
{
	return !strncmp(name, KLP_SYM_PREFIX, strlen(KLP_SYM_PREFIX));
}

/*
 * Parse ".klp.sym.<objname>.<name>,<sympos>" the way the kernel's
 * klp_resolve_symbols() will (sscanf ".klp.sym.%55[^.].%511[^,],%lu"),
 * but strictly: anything the kernel would truncate, misparse or ignore
 * is an error here.
 */
static const char *parse_klp_sym(const char *full, struct klp_sym *out)
{
	const char *p = full + strlen(KLP_SYM_PREFIX);
	const char *dot = strchr(p, '.');
	const char *comma, *digits;
	size_t objlen, namelen;
	unsigned long long pos = 0;

	if (!dot)
		return "no '.' between the object name and the symbol name";
	objlen = (size_t)(dot - p);
	if (objlen == 0)
		return "empty object name";
	if (objlen > KLP_OBJNAME_MAX)
		return "object name longer than 55 characters";
	for (const char *c = p; c < dot; c++) {
		if (*c == ',' || *c <= ' ' || *c == 0x7f)
			return "object name contains ',', blanks or control characters";
		if (*c == '-')
			return "object name contains '-' (module names use '_')";
	}
	comma = strchr(dot + 1, ',');
	if (!comma)
		return "no ',<sympos>' suffix";
	namelen = (size_t)(comma - (dot + 1));
	if (namelen == 0)
		return "empty symbol name";
	if (namelen > KLP_SYMNAME_MAX)
		return "symbol name longer than 511 characters";
	digits = comma + 1;
	if (!*digits)
		return "empty sympos";
	for (const char *c = digits; *c; c++) {
		if (*c < '0' || *c > '9')
			return "sympos is not a decimal number";
		pos = pos * 10 + (unsigned long long)(*c - '0');
		if (pos > 0xffffffffULL)
			return "sympos out of range";
	}
	memcpy(out->objname, p, objlen);
	out->objname[objlen] = '\0';
	out->vmlinux = !strcmp(out->objname, "vmlinux");
	out->name = xmalloc(namelen + 1);
	memcpy(out->name, dot + 1, namelen);
	out->name[namelen] = '\0';
	return NULL;
}

/* Does the module itself define a function called name (a replacement)? */
static bool module_defines_function(const struct elf *elf, const char *name)
{
	for (struct symbol *s = elf_find_symbol(elf, name); s;
	     s = elf_find_symbol_next(elf, s))
		if (s->type == STT_FUNC && s->sec)
			return true;
	return false;
}

/*
 * A reference into the middle of a function of the running kernel, such as
 * a jump table of a changed function that still points into the original
 * instead of the replacement: jumping there runs old code with the new
 * code's register and stack state. The arch says how a reference to a
 * function's start looks.
 */
static bool points_inside_function(const struct klp_arch *arch, const struct elf *elf,
				   const struct rela *r, const char *name)
{
	return arch->points_inside(r) &&
	       (r->sym->type == STT_FUNC || module_defines_function(elf, name));
}

struct klp_sec {
	struct section *sec;
	struct section *base;
};

/* Convert in into out; 0 on success, 1 (every error reported) otherwise. */
static int convert(const char *in, const char *out)
{
	char err[1024];
	const struct klp_arch *arch;
	struct elf *elf;
	struct klp_sym *info = NULL;
	struct klp_sec *ksecs = NULL;
	size_t nr_ksecs = 0, nr_moved = 0, nr_klp_syms = 0;
	size_t nr_sections;
	int ret = 1;

	elf = elf_read(in, err, sizeof(err));
	if (!elf) {
		fprintf(stderr, "%s: ERROR: %s\n", prog, err);
		return 1;
	}
	if (elf->ehdr.e_ident[EI_CLASS] != ELFCLASS64 || elf->ehdr.e_type != ET_REL) {
		error(in, "not a 64-bit relocatable object (kernel module)");
		goto out;
	}
	arch = klp_arch_for_machine(elf->ehdr.e_machine);
	if (!arch) {
		error(in, "machine %u (e_machine) is not an architecture create-klp-module supports",
		    (unsigned int)elf->ehdr.e_machine);
		goto out;
	}
	if (arch->object_problem && arch->object_problem(elf)) {
		error(in, "%s", arch->object_problem(elf));
		goto out;
	}

	/* Validate and classify every .klp.sym symbol. */
	info = xcalloc(elf->nr_symbols, sizeof(*info));
	for (size_t i = 1; i < elf->nr_symbols; i++) {
		struct symbol *sym = elf->symbols[i];
		const char *problem;

		if (sym->type == STT_SECTION || !is_klp_sym_name(sym->name))
			continue;
		problem = parse_klp_sym(sym->name, &info[i]);
		if (problem) {
			error(in, "livepatch symbol '%s': %s (expected .klp.sym.<objname>.<symbol>,<sympos>)",
			    sym->name, problem);
			goto out;
		}
		if (sym->sec || (sym->sym.st_shndx != SHN_UNDEF &&
				 sym->sym.st_shndx != KPATCH_SHN_LIVEPATCH)) {
			error(in, "livepatch symbol '%s' is defined (section index %u); it must be undefined",
			    sym->name, (unsigned int)sym->sym.st_shndx);
			goto out;
		}
		problem = arch->symbol_problem ? arch->symbol_problem(info[i].name) : NULL;
		if (problem) {
			error(in, "livepatch symbol '%s': %s %s", sym->name, info[i].name, problem);
			goto out;
		}
		if (sym->bind == STB_LOCAL) {
			error(in, "livepatch symbol '%s' is local; it must be global or weak",
			    sym->name);
			goto out;
		}
		nr_klp_syms++;
	}

	/* Existing .klp.rela sections (running on our own output again). */
	for (size_t i = 1; i < elf->nr_sections; i++) {
		struct section *sec = elf->sections[i];

		const char *obj;
		size_t objlen;

		if (!is_rela_section(sec) || !(sec->sh.sh_flags & KPATCH_SHF_RELA_LIVEPATCH))
			continue;
		/* What the kernel checks when it applies the section. */
		obj = strncmp(sec->name, KLP_RELA_PREFIX, strlen(KLP_RELA_PREFIX)) ? NULL :
		      sec->name + strlen(KLP_RELA_PREFIX);
		if (!obj || !strchr(obj, '.') || !sec->base) {
			error(in, "livepatch relocation section %s: name is not .klp.rela.<objname>.<section>",
			    sec->name);
			goto out;
		}
		objlen = (size_t)(strchr(obj, '.') - obj);
		for (size_t j = 0; j < sec->nr_relas; j++) {
			struct symbol *sym = sec->relas[j].sym;
			const char *so = sym ? info[sym->index].objname : "";

			if (!so[0] || strlen(so) != objlen || strncmp(so, obj, objlen)) {
				error(in, "livepatch relocation section %s references '%s', which is not a livepatch symbol of that object",
				    sec->name, sym ? sym->name : "(none)");
				goto out;
			}
		}
		ksecs = xrealloc(ksecs, (nr_ksecs + 1) * sizeof(*ksecs));
		ksecs[nr_ksecs].sec = sec;
		ksecs[nr_ksecs].base = sec->base;
		nr_ksecs++;
	}

	/* Move the relocations. Only sections present on input are scanned. */
	nr_sections = elf->nr_sections;
	for (size_t i = 1; i < nr_sections; i++) {
		struct section *rs = elf->sections[i];
		struct section *base = rs->base;
		size_t kept = 0;

		if (!is_rela_section(rs) || (rs->sh.sh_flags & KPATCH_SHF_RELA_LIVEPATCH))
			continue;
		if (!base || is_debug_section(rs) || !(base->sh.sh_flags & SHF_ALLOC)) {
			for (size_t j = 0; j < rs->nr_relas; j++)
				if (rs->relas[j].sym && info[rs->relas[j].sym->index].objname[0])
					dbg("%s: leaving %s+0x%lx -> %s (section not loaded)",
					    in, base ? base->name : "?",
					    (unsigned long)rs->relas[j].offset,
					    rs->relas[j].sym->name);
			continue;
		}

		for (size_t j = 0; j < rs->nr_relas; j++) {
			struct rela r = rs->relas[j];
			struct klp_sym *ks = r.sym ? &info[r.sym->index] : NULL;
			struct section *ksec = NULL;
			const char *problem;
			char *name;

			if (!ks || !ks->objname[0]) {
				rs->relas[kept++] = r;
				continue;
			}
			if (!ks->vmlinux && is_load_time_section(base->name)) {
				error(in, "section %s references livepatch symbol '%s' of module '%s': "
				    "the kernel uses %s while loading the patch module, before module "
				    "symbols can be resolved (only vmlinux symbols are supported there)",
				    base->name, r.sym->name, ks->objname, base->name);
				goto out;
			}
			if (points_inside_function(arch, elf, &r, ks->name)) {
				error(in, "%s+0x%lx refers to %s%c0x%llx, inside the function %s of %s rather "
				    "than at its start (a jump table or label of a changed function still "
				    "pointing at the original instead of the replacement?)",
				    base->name, (unsigned long)r.offset, r.sym->name,
				    r.addend < 0 ? '-' : '+',
				    r.addend < 0 ? -(unsigned long long)r.addend : (unsigned long long)r.addend,
				    ks->name, ks->objname);
				goto out;
			}
			problem = arch->reloc_problem(&r, base, ks->vmlinux);
			if (problem) {
				struct symbol *func = elf_symbol_containing(base, r.offset);
				bool in_func = func && func->type == STT_FUNC;

				error(in, "%s+0x%lx%s%s%s: relocation type %u against livepatch symbol '%s' %s",
				    base->name, (unsigned long)r.offset, in_func ? " (function " : "",
				    in_func ? func->name : "", in_func ? ")" : "", r.type, r.sym->name,
				    problem);
				goto out;
			}

			name = xasprintf("%s%s.%s", KLP_RELA_PREFIX, ks->objname, base->name);
			for (size_t k = 0; k < nr_ksecs; k++) {
				if (ksecs[k].base == base && !strcmp(ksecs[k].sec->name, name)) {
					ksec = ksecs[k].sec;
					break;
				}
			}
			if (!ksec) {
				if (elf_find_section(elf, name)) {
					error(in, "section %s already exists but is not a livepatch relocation section for %s",
					    name, base->name);
					free(name);
					goto out;
				}
				ksec = elf_add_section(elf, name, SHT_RELA,
						       SHF_ALLOC | SHF_INFO_LINK |
						       KPATCH_SHF_RELA_LIVEPATCH,
						       8, sizeof(Elf64_Rela), NULL, 0);
				ksec->base = base;	/* base->rela stays the ordinary one */
				ksecs = xrealloc(ksecs, (nr_ksecs + 1) * sizeof(*ksecs));
				ksecs[nr_ksecs].sec = ksec;
				ksecs[nr_ksecs].base = base;
				nr_ksecs++;
				dbg("%s: new section %s", in, name);
			}
			free(name);
			elf_add_rela(ksec, r.sym, r.offset, r.addend, r.type);
			dbg("%s: %s+0x%lx -> %s%+ld (type %u) moved", in, base->name,
			    (unsigned long)r.offset, r.sym->name, (long)r.addend, r.type);
			nr_moved++;
		}
		rs->nr_relas = kept;
		rs->size = rs->sh.sh_size = kept * sizeof(Elf64_Rela);
	}
	for (size_t k = 0; k < nr_ksecs; k++) {
		struct section *ks = ksecs[k].sec;

		elf_sort_relas(ks);
		ks->size = ks->sh.sh_size = ks->nr_relas * sizeof(Elf64_Rela);
	}

	/* Mark the symbols. */
	for (size_t i = 1; i < elf->nr_symbols; i++) {
		struct symbol *sym = elf->symbols[i];

		if (!info[i].objname[0])
			continue;
		sym->sec = NULL;
		sym->sym.st_shndx = KPATCH_SHN_LIVEPATCH;
		sym->sym.st_value = 0;
	}

	dbg("%s: %zu livepatch symbols, %zu relocations moved into %zu sections",
	    in, nr_klp_syms, nr_moved, nr_ksecs);

	if (elf_write(elf, out, err, sizeof(err))) {
		fprintf(stderr, "%s: ERROR: %s\n", prog, err);
		goto out;
	}
	ret = 0;
out:
	free(ksecs);
	for (size_t i = 0; info && i < elf->nr_symbols; i++)
		free(info[i].name);
	free(info);
	elf_free(elf);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "usage: create-klp-module [--debug] IN.ko OUT.ko\n";
	int c;

	while ((c = getopt_long(argc, argv, "dh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			debug = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 1;
		}
	}
	if (argc - optind != 2) {
		fputs(usage, stderr);
		return 1;
	}
	return convert(argv[optind], argv[optind + 1]);
}
