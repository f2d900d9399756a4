// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for lookup/ and structsize: fixtures are built at run time in
 * a temporary directory (hand-written readelf text, Module.symvers files,
 * objects compiled with cc) so every check runs against real tool output.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lookup.h"
#include "structsize.h"

static int passed, failed;

#define CHECK(cond, ...) check((cond), __FILE__, __LINE__, #cond, __VA_ARGS__)

static void check(bool ok, const char *file, int line, const char *expr,
		  const char *fmt, ...)
{
	va_list args;

	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s:%d: %s: ", file, line, expr);
	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	printf("\n");
}

static char tmpdir[] = "/tmp/lookup-test.XXXXXX";
static char err[512];

static const char *path_of(const char *name)
{
	static char paths[16][512];
	static int next;
	char *path = paths[next++ % 16];

	snprintf(path, sizeof(paths[0]), "%s/%s", tmpdir, name);
	return path;
}

static const char *write_file(const char *name, const char *content)
{
	const char *path = path_of(name);
	FILE *file = fopen(path, "w");

	if (!file) {
		perror(path);
		exit(2);
	}
	fputs(content, file);
	fclose(file);
	return path;
}

static int run(const char *fmt, ...)
{
	char command[2048];
	va_list args;

	va_start(args, fmt);
	vsnprintf(command, sizeof(command), fmt, args);
	va_end(args);
	return system(command);
}

static bool contains(const char *haystack, const char *needle)
{
	return haystack && strstr(haystack, needle);
}

static struct lookup_table *open_ok(const char *symtab, const char *objname,
				    const char *symvers)
{
	struct lookup_table *table;

	err[0] = '\0';
	table = lookup_open(symtab, objname, symvers, err, sizeof(err));
	CHECK(table != NULL, "lookup_open(%s) failed: %s", symtab, err);
	return table;
}

static void expect_open_error(const char *symtab, const char *symvers,
			      const char *needle1, const char *needle2)
{
	struct lookup_table *table;

	err[0] = '\0';
	table = lookup_open(symtab, "vmlinux", symvers, err, sizeof(err));
	CHECK(table == NULL, "lookup_open(%s) should fail", symtab);
	CHECK(contains(err, needle1) && contains(err, needle2),
	      "error \"%s\" should mention \"%s\" and \"%s\"", err, needle1,
	      needle2);
	CHECK(!strchr(err, '\n'), "error should be one line: \"%s\"", err);
	lookup_close(table);
}

static const struct lookup_file *match_ok(struct lookup_table *table,
					  const char *file,
					  const char *const *locals, size_t n)
{
	const struct lookup_file *block = NULL;
	int rc;

	err[0] = '\0';
	rc = lookup_match_file(table, file, locals, n, &block, err,
			       sizeof(err));
	CHECK(rc == 0 && block, "match %s failed: %s", file, err);
	return rc == 0 ? block : NULL;
}

static void expect_match_error(struct lookup_table *table, const char *file,
			       const char *const *locals, size_t n,
			       const char *needle)
{
	const struct lookup_file *block = NULL;
	int rc;

	err[0] = '\0';
	rc = lookup_match_file(table, file, locals, n, &block, err,
			       sizeof(err));
	CHECK(rc == -1, "match %s should fail", file);
	CHECK(contains(err, needle) && contains(err, file),
	      "error \"%s\" should mention \"%s\"", err, needle);
}

static void expect_local(const struct lookup_table *table,
			 const struct lookup_file *block, const char *name,
			 unsigned long addr, unsigned long size,
			 unsigned long sympos)
{
	struct lookup_result result;

	memset(&result, 0xaa, sizeof(result));
	if (!block) {
		CHECK(false, "no block for local %s", name);
		return;
	}
	if (!lookup_local(table, block, name, &result)) {
		CHECK(false, "local %s not found", name);
		return;
	}
	CHECK(result.addr == addr, "%s addr %#lx, want %#lx", name,
	      result.addr, addr);
	CHECK(result.size == size, "%s size %lu, want %lu", name, result.size,
	      size);
	CHECK(result.sympos == sympos, "%s sympos %lu, want %lu", name,
	      result.sympos, sympos);
	CHECK(!result.global && !result.exported, "%s flags", name);
	CHECK(!strcmp(result.objname, lookup_objname(table)), "%s objname %s",
	      name, result.objname);
}

#define N(array) (sizeof(array) / sizeof((array)[0]))

/* ---- hand-written vmlinux-style table ---- */

static const char parent_text[] =
	"\n"
	"Symbol table '.dynsym' contains 2 entries:\n"
	"   Num:    Value          Size Type    Bind   Vis      Ndx Name\n"
	"     0: 0000000000000000     0 NOTYPE  LOCAL  DEFAULT  UND \n"
	"     1: ffffffff81000000    10 FUNC    GLOBAL DEFAULT    1 dynsym_only@VER_1 (2)\n"
	"\n"
	"Symbol table '.symtab' contains 44 entries:\n"
	"   Num:    Value          Size Type    Bind   Vis      Ndx Name\n"
	"     0: 0000000000000000     0 NOTYPE  LOCAL  DEFAULT  UND \n"
	"     1: 0000000000000000     0 FILE    LOCAL  DEFAULT  ABS alpha.c\n"
	"     2: ffffffff81000000     0 SECTION LOCAL  DEFAULT    1 .text\n"
	"     3: ffffffff81000300    32 FUNC    LOCAL  DEFAULT    1 helper\n"
	"     4: ffffffff82000020     4 OBJECT  LOCAL  DEFAULT    5 counter\n"
	"     5: ffffffff81000400    16 FUNC    LOCAL  DEFAULT    1 alpha_only\n"
	"     6: 0000000000000000     0 FILE    LOCAL  DEFAULT  ABS beta.c\n"
	"     7: ffffffff81000100  0x40 FUNC    LOCAL  DEFAULT    1 helper\n"
	"     8: ffffffff82000010     4 OBJECT  LOCAL  DEFAULT    5 counter\n"
	"     9: ffffffff81000500     8 FUNC    LOCAL  DEFAULT [<localentry>: 8]     1 beta_only\n"
	"    10: 0000000000000000     0 FILE    LOCAL  DEFAULT  ABS core.c\n"
	"    11: ffffffff81001000    10 FUNC    LOCAL  DEFAULT    1 shared_fn\n"
	"    12: ffffffff81001100    10 FUNC    LOCAL  DEFAULT    1 core_one\n"
	"    13: 0000000000000000     0 FILE    LOCAL  DEFAULT  ABS core.c\n"
	"    14: ffffffff81002000    10 FUNC    LOCAL  DEFAULT    1 shared_fn\n"
	"    15: ffffffff81002100    10 FUNC    LOCAL  DEFAULT    1 core_two\n"
	"    16: 0000000000000000     0 FILE    LOCAL  DEFAULT  ABS twin.c\n"
	"    17: ffffffff81003000    10 FUNC    LOCAL  DEFAULT    1 twin_fn\n"
	"    18: 0000000000000000     0 FILE    LOCAL  DEFAULT  ABS twin.c\n"
	"    19: ffffffff81003100    10 FUNC    LOCAL  DEFAULT    1 twin_fn\n"
	"    20: 0000000000000000     0 FILE    LOCAL  DEFAULT  ABS ignore.c\n"
	"    21: ffffffff81004000    10 FUNC    LOCAL  DEFAULT    1 ignore_fn\n"
	"    22: ffffffff81003ff0    16 FUNC    LOCAL  DEFAULT    1 __pfx_ignore_fn\n"
	"    23: ffffffff83000000     8 OBJECT  LOCAL  DEFAULT    7 __UNIQUE_ID_ddebug123\n"
	"    24: ffffffff81004100    10 FUNC    LOCAL  DEFAULT    1 ignore_fn.cold\n"
	"    25: ffffffff81004200     0 NOTYPE  LOCAL  DEFAULT    1 asm_label\n"
	"    26: ffffffff81004300    10 FUNC    LOCAL  DEFAULT    1 dup_in_block\n"
	"    27: ffffffff81004400    10 FUNC    LOCAL  DEFAULT    1 dup_in_block\n"
	"    28: 0000000000000000     0 FILE    LOCAL  DEFAULT  ABS empty.c\n"
	"    29: ffffffff81005000    10 FUNC    GLOBAL DEFAULT    1 exported_fn\n"
	"    30: ffffffff81005100    20 FUNC    GLOBAL DEFAULT    1 plain_global\n"
	"    31: ffffffff81005200    30 FUNC    WEAK   DEFAULT    1 weak_then_strong\n"
	"    32: ffffffff81005300    40 FUNC    GLOBAL DEFAULT    1 weak_then_strong\n"
	"    33: ffffffff81005400    50 FUNC    WEAK   DEFAULT    1 only_weak\n"
	"    34: ffffffff81005500    60 FUNC    WEAK   DEFAULT    1 only_weak\n"
	"    35: ffffffff81005600    10 FUNC    GLOBAL DEFAULT    1 dup_global\n"
	"    36: ffffffff81005700    10 FUNC    GLOBAL DEFAULT    1 dup_global\n"
	"    37: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND undefined_fn\n"
	"    38: 0000000000000010     8 TLS     GLOBAL DEFAULT    9 tls_var\n"
	"    39: ffffffff81005800    10 IFUNC   GLOBAL DEFAULT    1 ifunc_fn\n"
	"    40: ffffffff81005900 0x1f0 OBJECT  GLOBAL PROTECTED    3 hex_sized\n"
	"    41: ffffffff81006000    10 FUNC    GLOBAL DEFAULT    1 shadowed\n"
	"    42: ffffffff81006100    10 FUNC    UNIQUE DEFAULT    1 unique_fn\n"
	"    43: ffffffff81006200    10 FUNC    GLOBAL DEFAULT  ABS abs_global\n";

static const char symvers_text[] =
	"0x12345678\texported_fn\tvmlinux\tEXPORT_SYMBOL\t\n"
	"0x00000000\tmod_fn\tdrivers/net/foo-bar\tEXPORT_SYMBOL_GPL\tNS_FOO\n"
	"0x00000001\tko_fn\t/abs/path/my-mod.ko\tEXPORT_SYMBOL\n"
	"\n"
	"0x00000002\told54_fn\tSOME_NS\tdrivers/old/x-y\tEXPORT_SYMBOL_GPL\n"
	"0x00000003\tancient_fn\tdrivers/a/anc\n"
	"0x00000004\tshadowed\tdrivers/x/other-mod\tEXPORT_SYMBOL\n"
	"0x00000005\tmod_fn\tdrivers/second/claimant\tEXPORT_SYMBOL\n";

static void test_handwritten_vmlinux(void)
{
	const char *symtab = write_file("parent.txt", parent_text);
	const char *symvers = write_file("Module.symvers", symvers_text);
	static const char *const alpha[] = { "helper", "counter", "alpha_only" };
	static const char *const beta[] = { "counter", "helper", "beta_only",
					    "helper" };
	static const char *const core_two[] = { "shared_fn", "core_two" };
	static const char *const core_shared_only[] = { "shared_fn" };
	static const char *const twin[] = { "twin_fn" };
	static const char *const alpha_superset[] = { "helper", "counter",
						      "alpha_only", "extra" };
	static const char *const alpha_subset[] = { "helper", "counter" };
	/* The .o has no __pfx_ (objtool adds them at link) but has others. */
	static const char *const ignore[] = {
		"ignore_fn", "ignore_fn.cold", "dup_in_block", "dup_in_block",
		"__UNIQUE_ID_ddebug456", "__addressable_ignore_fn7",
		".L.str.1", ".Lubsan_data3", "__exitcall_ignore_exit",
		"__cfi_ignore_fn",
	};
	static const char *const ignore_without_cold[] = { "ignore_fn",
							   "dup_in_block" };
	static const char *const only_ignored[] = { "__UNIQUE_ID_x1",
						    "__pfx_nothing" };
	const struct lookup_file *block, *other;
	struct lookup_result result;
	const char *exporter;
	struct lookup_table *table;

	table = open_ok(symtab, "vmlinux", symvers);
	if (!table)
		return;
	CHECK(!strcmp(lookup_objname(table), "vmlinux"), "objname %s",
	      lookup_objname(table));

	/* vmlinux sympos: kallsyms order is address order. */
	block = match_ok(table, "alpha.c", alpha, N(alpha));
	expect_local(table, block, "helper", 0xffffffff81000300, 32, 2);
	expect_local(table, block, "counter", 0xffffffff82000020, 4, 2);
	expect_local(table, block, "alpha_only", 0xffffffff81000400, 16, 0);
	CHECK(!lookup_local(table, block, "beta_only", &result),
	      "beta_only is not in alpha.c");
	CHECK(!lookup_local(table, block, "exported_fn", &result),
	      "globals are not in blocks");

	/* Hex size, annotated visibility, duplicates in the object list. */
	block = match_ok(table, "beta.c", beta, N(beta));
	expect_local(table, block, "helper", 0xffffffff81000100, 64, 1);
	expect_local(table, block, "counter", 0xffffffff82000010, 4, 1);
	expect_local(table, block, "beta_only", 0xffffffff81000500, 8, 0);

	/* Two core.c blocks: the set of locals picks the second one. */
	block = match_ok(table, "core.c", core_two, N(core_two));
	expect_local(table, block, "shared_fn", 0xffffffff81002000, 10, 2);
	CHECK(block && !lookup_local(table, block, "core_one", &result),
	      "core_one belongs to the other core.c");
	expect_match_error(table, "core.c", core_shared_only,
			   N(core_shared_only), "couldn't find matching");
	expect_match_error(table, "alpha.c", alpha_superset,
			   N(alpha_superset), "couldn't find matching");
	expect_match_error(table, "alpha.c", alpha_subset, N(alpha_subset),
			   "couldn't find matching");
	expect_match_error(table, "missing.c", alpha, N(alpha),
			   "couldn't find matching");
	CHECK(contains(err, symtab) && contains(err, "symbol table"),
	      "no-match error names the table: %s", err);
	expect_match_error(table, "twin.c", twin, N(twin),
			   "found duplicate matches");
	CHECK(contains(err, symtab), "duplicate error names the table: %s",
	      err);

	/* Link-time variants are ignored, compiler clones are not. */
	block = match_ok(table, "ignore.c", ignore, N(ignore));
	expect_local(table, block, "ignore_fn", 0xffffffff81004000, 10, 0);
	expect_local(table, block, "ignore_fn.cold", 0xffffffff81004100, 10, 0);
	expect_local(table, block, "asm_label", 0xffffffff81004200, 0, 0);
	CHECK(block && !lookup_local(table, block, "dup_in_block", &result),
	      "a name twice in one block is ambiguous");
	expect_match_error(table, "ignore.c", ignore_without_cold,
			   N(ignore_without_cold), "couldn't find matching");

	/* Files without locals always match something harmless. */
	block = match_ok(table, "empty.c", NULL, 0);
	CHECK(block && !lookup_local(table, block, "plain_global", &result),
	      "empty block has no locals");
	other = match_ok(table, "empty.c", only_ignored, N(only_ignored));
	CHECK(other == block, "ignored-only list is an empty list");
	block = match_ok(table, "not-in-parent.c", NULL, 0);
	CHECK(block && !lookup_local(table, block, "helper", &result),
	      "stand-in block has no locals");
	block = match_ok(table, "twin.c", NULL, 0);
	CHECK(block != NULL, "no locals: duplicates are not an error");

	/* Globals. */
	CHECK(lookup_global(table, "exported_fn", &result) &&
	      result.addr == 0xffffffff81005000 && result.global &&
	      result.exported && result.sympos == 0 &&
	      !strcmp(result.objname, "vmlinux"), "exported_fn");
	CHECK(lookup_global(table, "plain_global", &result) &&
	      result.addr == 0xffffffff81005100 && result.size == 20 &&
	      result.global && !result.exported, "plain_global");
	CHECK(lookup_global(table, "weak_then_strong", &result) &&
	      result.addr == 0xffffffff81005300 && result.size == 40,
	      "strong definition wins over an earlier weak one");
	CHECK(lookup_global(table, "only_weak", &result) &&
	      result.addr == 0xffffffff81005400, "first weak definition");
	CHECK(!lookup_global(table, "dup_global", &result),
	      "two strong definitions are ambiguous");
	CHECK(!lookup_global(table, "undefined_fn", &result),
	      "UND symbols are dropped");
	CHECK(!lookup_global(table, "dynsym_only", &result) &&
	      !lookup_global(table, "dynsym_only@VER_1 (2)", &result),
	      ".dynsym is skipped");
	CHECK(!lookup_global(table, "alpha_only", &result),
	      "locals are not globals");
	CHECK(lookup_global(table, "tls_var", &result) && result.size == 8,
	      "TLS kept");
	CHECK(lookup_global(table, "ifunc_fn", &result), "IFUNC kept");
	CHECK(lookup_global(table, "unique_fn", &result), "UNIQUE is global");
	CHECK(lookup_global(table, "abs_global", &result), "ABS kept");
	CHECK(lookup_global(table, "hex_sized", &result) &&
	      result.size == 0x1f0, "hex size %lu", result.size);
	CHECK(lookup_global(table, "shadowed", &result) &&
	      !strcmp(result.objname, "vmlinux") && !result.exported &&
	      result.addr == 0xffffffff81006000,
	      "exported by another module is not exported by the parent");

	/* Exported by modules, in every Module.symvers layout. */
	CHECK(lookup_global(table, "mod_fn", &result) &&
	      !strcmp(result.objname, "foo_bar") && result.addr == 0 &&
	      result.global && result.exported && result.sympos == 0,
	      "mod_fn objname %s", result.objname);
	CHECK(lookup_exported(table, "ko_fn", &exporter) &&
	      !strcmp(exporter, "my_mod"), "ko_fn");
	CHECK(lookup_exported(table, "old54_fn", &exporter) &&
	      !strcmp(exporter, "x_y"), "5.4 namespace-first layout");
	CHECK(lookup_exported(table, "ancient_fn", &exporter) &&
	      !strcmp(exporter, "anc"), "three-column layout");
	CHECK(lookup_exported(table, "exported_fn", &exporter) &&
	      !strcmp(exporter, "vmlinux"), "vmlinux exporter");
	CHECK(!lookup_exported(table, "plain_global", &exporter),
	      "plain_global not exported");
	CHECK(!lookup_global(table, "nowhere", &result), "unknown name");
	lookup_close(table);

	/* Module parent: kallsyms walks the symtab in file order. */
	table = open_ok(symtab, "some-mod.ko", "/dev/null");
	if (!table)
		return;
	CHECK(!strcmp(lookup_objname(table), "some_mod"), "module objname %s",
	      lookup_objname(table));
	block = match_ok(table, "alpha.c", alpha, N(alpha));
	expect_local(table, block, "helper", 0xffffffff81000300, 32, 1);
	block = match_ok(table, "beta.c", beta, N(beta));
	expect_local(table, block, "helper", 0xffffffff81000100, 64, 2);
	CHECK(lookup_global(table, "exported_fn", &result) && !result.exported,
	      "/dev/null symvers exports nothing");
	lookup_close(table);
}

static void test_errors(void)
{
	const char *good = write_file("good.txt", parent_text);
	char bad[sizeof(parent_text) + 200];
	const char *path;
	struct lookup_table *table;
	struct lookup_result result;

	snprintf(bad, sizeof(bad),
		 "\nSymbol table '.symtab' contains 3 entries:\n"
		 "   Num:    Value          Size Type    Bind   Vis      Ndx Name\n"
		 "     0: 0000000000000000     0 NOTYPE  LOCAL  DEFAULT  UND \n"
		 "     1: 0000000000000000 banana FUNC    LOCAL  DEFAULT    1 f\n");
	path = write_file("bad-size.txt", bad);
	expect_open_error(path, "/dev/null", "bad-size.txt:5:", "size");

	snprintf(bad, sizeof(bad),
		 "\nSymbol table '.symtab' contains 3 entries:\n"
		 "   Num:    Value          Size Type    Bind   Vis      Ndx Name\n"
		 "     1: 0000000000000000     4 FUNC    LOCAL  DEFAULT    1 f\n"
		 "     2: 0000000000000000     4 WIDGET  LOCAL  DEFAULT    1 g\n");
	path = write_file("bad-type.txt", bad);
	expect_open_error(path, "/dev/null", "bad-type.txt:5:", "type");

	path = write_file("not-readelf.txt", "hello world\n");
	expect_open_error(path, "/dev/null", "not-readelf.txt:1:", "readelf");

	expect_open_error(path_of("does-not-exist.txt"), "/dev/null",
			  "does-not-exist.txt", "No such file");
	path = write_file("empty.txt", "");
	expect_open_error(path, "/dev/null", "empty.txt", "empty");

	path = write_file("dynsym-only.txt",
			  "\nSymbol table '.dynsym' contains 2 entries:\n"
			  "   Num:    Value          Size Type    Bind   Vis      Ndx Name\n"
			  "     1: ffffffff81000000    10 FUNC    GLOBAL DEFAULT    1 f\n");
	expect_open_error(path, "/dev/null", "dynsym-only.txt", "no defined symbols");

	path = write_file("bad.symvers",
			  "0x1\tgood\tvmlinux\tEXPORT_SYMBOL\t\n"
			  "garbage without tabs\n");
	expect_open_error(good, path, "bad.symvers:2:", "malformed");
	expect_open_error(good, path_of("no.symvers"), "no.symvers",
			  "No such file");

	path = write_file("empty.symvers", "");
	table = open_ok(good, "vmlinux", path);
	if (table) {
		CHECK(lookup_global(table, "exported_fn", &result) &&
		      !result.exported, "empty symvers exports nothing");
		CHECK(!lookup_global(table, "mod_fn", &result),
		      "empty symvers: no module symbols");
		lookup_close(table);
	}
}

/* ---- compiled fixtures: text and ELF input must agree ---- */

static const char source_a[] =
	"static int counter = 1;\n"
	"static int __attribute__((noinline, used)) helper(int x) { return x + counter++; }\n"
	"static int __attribute__((used)) a_only_var = 5;\n"
	"int a_global(int x) { return helper(x); }\n";
static const char source_b[] =
	"static int counter = 2;\n"
	"static int __attribute__((noinline, used)) helper(int x) { return x * counter++; }\n"
	"int b_global(int x) { return helper(x) + 1; }\n"
	"int __attribute__((weak)) weak_fn(void) { return 0; }\n";

static bool same_result(const struct lookup_result *a,
			const struct lookup_result *b)
{
	return a->addr == b->addr && a->size == b->size &&
	       a->sympos == b->sympos && a->global == b->global &&
	       a->exported == b->exported && !strcmp(a->objname, b->objname);
}

static void test_compiled_parent(void)
{
	static const char *const a_locals[] = { "counter", "helper",
						"a_only_var" };
	static const char *const b_locals[] = { "counter", "helper" };
	static const char *const globals[] = { "a_global", "b_global",
					       "weak_fn" };
	struct lookup_result text_result, elf_result, a_helper, b_helper;
	const struct lookup_file *text_a, *text_b, *elf_a, *elf_b;
	struct lookup_table *text, *elf;
	const char *symvers;
	size_t i;

	write_file("a.c", source_a);
	write_file("b.c", source_b);
	if (run("cd %s && cc -O0 -fPIC -c a.c -o a.o && cc -O0 -fPIC -c b.c -o b.o && "
		"cc -shared -nostdlib -o parent.so a.o b.o && "
		"readelf -s --wide parent.so > parent.so.txt", tmpdir)) {
		CHECK(false, "building the compiled fixture failed");
		return;
	}
	symvers = write_file("parent.symvers",
			     "0x1\ta_global\tvmlinux\tEXPORT_SYMBOL\t\n");
	text = open_ok(path_of("parent.so.txt"), "vmlinux", symvers);
	elf = open_ok(path_of("parent.so"), "vmlinux", symvers);
	if (!text || !elf)
		goto out;

	text_a = match_ok(text, "a.c", a_locals, N(a_locals));
	text_b = match_ok(text, "b.c", b_locals, N(b_locals));
	elf_a = match_ok(elf, "a.c", a_locals, N(a_locals));
	elf_b = match_ok(elf, "b.c", b_locals, N(b_locals));
	if (!text_a || !text_b || !elf_a || !elf_b)
		goto out;
	for (i = 0; i < N(a_locals); i++) {
		bool in_text = lookup_local(text, text_a, a_locals[i], &text_result);
		bool in_elf = lookup_local(elf, elf_a, a_locals[i], &elf_result);

		CHECK(in_text && in_elf && same_result(&text_result, &elf_result),
		      "a.c %s differs between text and ELF", a_locals[i]);
	}
	for (i = 0; i < N(globals); i++) {
		bool in_text = lookup_global(text, globals[i], &text_result);
		bool in_elf = lookup_global(elf, globals[i], &elf_result);

		CHECK(in_text && in_elf && same_result(&text_result, &elf_result),
		      "%s differs between text and ELF", globals[i]);
	}
	CHECK(lookup_global(elf, "a_global", &elf_result) && elf_result.exported,
	      "a_global exported");
	CHECK(lookup_global(elf, "b_global", &elf_result) && !elf_result.exported,
	      "b_global not exported");

	/* a.o is linked first, so its helper has the lower address. */
	if (lookup_local(elf, elf_a, "helper", &a_helper) &&
	    lookup_local(elf, elf_b, "helper", &b_helper)) {
		CHECK(a_helper.addr && a_helper.addr < b_helper.addr,
		      "helper addresses %#lx %#lx", a_helper.addr, b_helper.addr);
		CHECK(a_helper.sympos == 1 && b_helper.sympos == 2,
		      "helper sympos %lu %lu", a_helper.sympos, b_helper.sympos);
	} else {
		CHECK(false, "helper not found in ELF parent");
	}
	CHECK(lookup_local(text, text_b, "counter", &text_result) &&
	      text_result.sympos == 2 && text_result.size == 4,
	      "b.c counter sympos %lu", text_result.sympos);
	CHECK(lookup_local(text, text_a, "a_only_var", &text_result) &&
	      text_result.sympos == 0, "unique local has sympos 0");
out:
	lookup_close(text);
	lookup_close(elf);
}

/* ---- parents without FILE symbols (modules as distributions ship them) ---- */

static const char mod_one_c[] =
	"static int shared_var = 1;\n"
	"static int __attribute__((noinline, used)) one_helper(int x) { return x + shared_var++; }\n"
	"int one_entry(int x) { return one_helper(x); }\n";
static const char mod_two_c[] =
	"static int shared_var = 2;\n"
	"static int __attribute__((noinline, used)) two_helper(int x) { return x * shared_var++; }\n"
	"static int __attribute__((used)) two_only = 3;\n"
	"int two_entry(int x) { return two_helper(x); }\n";

/*
 * The match must give the anonymous block and find name in it with the
 * address and sympos the unstripped table gives for the same symbol.
 */
static void expect_same_local(struct lookup_table *stripped,
			      const struct lookup_file *anon,
			      struct lookup_table *full,
			      const struct lookup_file *block, const char *name)
{
	struct lookup_result want, got;

	if (!anon || !block) {
		CHECK(false, "no block to look %s up in", name);
		return;
	}
	CHECK(lookup_local(full, block, name, &want), "%s in the unstripped table", name);
	CHECK(lookup_local(stripped, anon, name, &got), "%s in the stripped table", name);
	CHECK(want.addr == got.addr && want.size == got.size &&
	      want.sympos == got.sympos && !strcmp(want.objname, got.objname),
	      "%s: stripped %#lx/%lu/%lu/%s, unstripped %#lx/%lu/%lu/%s", name,
	      got.addr, got.size, got.sympos, got.objname, want.addr, want.size,
	      want.sympos, want.objname);
}

static void test_stripped_module(void)
{
	static const char *const one_locals[] = { "shared_var", "one_helper" };
	/* The compiler's __UNIQUE_ID_ names are ignored as before. */
	static const char *const two_locals[] = { "shared_var", "two_helper",
						  "two_only", "two_only",
						  "__UNIQUE_ID_modinfo12" };
	static const char *const two_plus_missing[] = { "two_helper", "gone_fn" };
	static const char *const one_subset[] = { "one_helper" };
	struct lookup_table *single = NULL, *single_full = NULL, *mod = NULL;
	struct lookup_table *mod_text = NULL, *full = NULL;
	const struct lookup_file *anon, *anon_text, *block_one, *block_two;
	struct lookup_result result;
	static const char *const stripped[] = { "single-stripped.ko",
						"mod-stripped.ko" };
	size_t i;

	write_file("mod_one.c", mod_one_c);
	write_file("mod_two.c", mod_two_c);
	/*
	 * objcopy --strip-symbol removes just the FILE symbols, as Debian's
	 * modules have it; strip --strip-unneeded would drop the locals too.
	 */
	if (run("cd %s && cc -O0 -c mod_one.c -o mod_one.o && cc -O0 -c mod_two.c -o mod_two.o && "
		"ld -r -o single.ko mod_one.o && ld -r -o mod.ko mod_one.o mod_two.o && "
		"objcopy --strip-symbol=mod_one.c single.ko single-stripped.ko && "
		"objcopy --strip-symbol=mod_one.c --strip-symbol=mod_two.c mod.ko mod-stripped.ko && "
		"readelf -s --wide mod-stripped.ko > mod-stripped.txt", tmpdir)) {
		CHECK(false, "building the stripped-module fixtures failed");
		return;
	}
	/* The fixtures must be what they claim to be. */
	for (i = 0; i < N(stripped); i++)
		CHECK(run("readelf -s --wide %s/%s | grep -q ' FILE '", tmpdir,
			  stripped[i]) != 0, "%s still has FILE symbols", stripped[i]);
	CHECK(run("readelf -s --wide %s/mod.ko | grep -q ' FILE '", tmpdir) == 0,
	      "mod.ko lost its FILE symbols");

	/* One source file: its block is the whole table. */
	single = open_ok(path_of("single-stripped.ko"), "single", "/dev/null");
	single_full = open_ok(path_of("single.ko"), "single", "/dev/null");
	if (single && single_full) {
		anon = match_ok(single, "mod_one.c", one_locals, N(one_locals));
		block_one = match_ok(single_full, "mod_one.c", one_locals, N(one_locals));
		CHECK(anon && lookup_file_is_anonymous(anon), "single: anonymous block");
		CHECK(block_one && !lookup_file_is_anonymous(block_one),
		      "single unstripped: a named block");
		expect_same_local(single, anon, single_full, block_one, "shared_var");
		expect_same_local(single, anon, single_full, block_one, "one_helper");
		/* The file name cannot be checked any more: any name matches. */
		CHECK(match_ok(single, "renamed.c", one_locals, N(one_locals)) == anon,
		      "stripped: the file name is not compared");
		CHECK(!lookup_local(single, anon, "one_entry", &result),
		      "globals are not locals of the anonymous block");
	}

	/* Two source files: each file's locals are a subset of the block. */
	mod = open_ok(path_of("mod-stripped.ko"), "mod", "/dev/null");
	mod_text = open_ok(path_of("mod-stripped.txt"), "mod", "/dev/null");
	full = open_ok(path_of("mod.ko"), "mod", "/dev/null");
	if (mod && mod_text && full) {
		anon = match_ok(mod, "mod_one.c", one_locals, N(one_locals));
		CHECK(anon && lookup_file_is_anonymous(anon), "mod: anonymous block");
		CHECK(match_ok(mod, "mod_two.c", two_locals, N(two_locals)) == anon,
		      "mod_two.c matches the same anonymous block");
		anon_text = match_ok(mod_text, "mod_two.c", two_locals, N(two_locals));
		block_one = match_ok(full, "mod_one.c", one_locals, N(one_locals));
		block_two = match_ok(full, "mod_two.c", two_locals, N(two_locals));
		expect_same_local(mod, anon, full, block_one, "one_helper");
		expect_same_local(mod, anon, full, block_two, "two_helper");
		expect_same_local(mod, anon, full, block_two, "two_only");
		expect_same_local(mod_text, anon_text, full, block_two, "two_helper");

		/* Two files' "static int shared_var": refused, not guessed. */
		CHECK(anon && !lookup_local(mod, anon, "shared_var", &result),
		      "duplicate shared_var must not resolve (got %#lx)", result.addr);
		CHECK(lookup_local_is_ambiguous(mod, anon, "shared_var"),
		      "shared_var reported ambiguous");
		CHECK(!lookup_local_is_ambiguous(mod, anon, "two_helper") &&
		      !lookup_local_is_ambiguous(mod, anon, "gone_fn"),
		      "unique and absent names are not ambiguous");
		CHECK(anon_text && !lookup_local(mod_text, anon_text, "shared_var", &result),
		      "text input: duplicate shared_var must not resolve");

		/* A local the module lacks: no match, and the error says why. */
		expect_match_error(mod, "mod_two.c", two_plus_missing,
				   N(two_plus_missing), "gone_fn");
		CHECK(contains(err, "no FILE symbols"), "error names the cause: %s", err);

		/* With FILE symbols the blocks are still compared as sets. */
		CHECK(block_one && block_two && block_one != block_two,
		      "unstripped: one block per file");
		CHECK(block_one && lookup_local(full, block_one, "shared_var", &result) &&
		      result.sympos == 1, "unstripped shared_var of mod_one.c: sympos 1");
		CHECK(block_two && lookup_local(full, block_two, "shared_var", &result) &&
		      result.sympos == 2, "unstripped shared_var of mod_two.c: sympos 2");
		CHECK(block_one && !lookup_local_is_ambiguous(full, block_one, "shared_var"),
		      "unstripped shared_var is not ambiguous");
		expect_match_error(full, "mod_one.c", one_subset, N(one_subset),
				   "couldn't find matching");
	}
	lookup_close(single);
	lookup_close(single_full);
	lookup_close(mod);
	lookup_close(mod_text);
	lookup_close(full);
}

/* A hand-written readelf table with no FILE symbol at all. */
static void test_stripped_text(void)
{
	static const char text[] =
		"Symbol table '.symtab' contains 6 entries:\n"
		"   Num:    Value          Size Type    Bind   Vis      Ndx Name\n"
		"     0: 0000000000000000     0 NOTYPE  LOCAL  DEFAULT  UND \n"
		"     1: 0000000000000010    16 FUNC    LOCAL  DEFAULT    2 dup_fn\n"
		"     2: 0000000000000020    16 FUNC    LOCAL  DEFAULT    2 only_fn\n"
		"     3: 0000000000000030    16 FUNC    LOCAL  DEFAULT    2 dup_fn\n"
		"     4: 0000000000000040     0 NOTYPE  LOCAL  DEFAULT    2 label_only\n"
		"     5: 0000000000000050    16 FUNC    GLOBAL DEFAULT    2 exported_fn\n";
	static const char *const ok_locals[] = { "only_fn", "dup_fn", "__pfx_only_fn" };
	static const char *const notype[] = { "label_only" };
	struct lookup_table *table;
	const struct lookup_file *anon;
	struct lookup_result result;

	table = open_ok(write_file("stripped.txt", text), "drivers/x/my-mod.ko",
			"/dev/null");
	if (!table)
		return;
	anon = match_ok(table, "x.c", ok_locals, N(ok_locals));
	expect_local(table, anon, "only_fn", 0x20, 16, 0);
	CHECK(anon && !lookup_local(table, anon, "dup_fn", &result),
	      "dup_fn is ambiguous without FILE symbols");
	/* Only FUNC/OBJECT locals count, as in a block with a FILE. */
	expect_match_error(table, "x.c", notype, N(notype), "label_only");
	CHECK(lookup_global(table, "exported_fn", &result) && result.addr == 0x50,
	      "globals still resolve");
	lookup_close(table);
}

/* More than 65280 sections: symbols need .symtab_shndx. */
static void test_extended_section_indexes(void)
{
	static const char *const first_locals[] = { "many_0", "many_65400" };
	struct lookup_result text_result, elf_result;
	const struct lookup_file *text_block, *elf_block;
	struct lookup_table *text, *elf;
	const char *names[] = { "many_0", "many_65400", "many_65599" };
	char *locals[65600];
	size_t i;

	if (run("cd %s && awk 'BEGIN { print \".file \\\"many.s\\\"\"; "
		"for (i = 0; i < 65600; i++) printf \".section .text.m%%d,\\\"ax\\\"\\n.type many_%%d,@function\\nmany_%%d: ret\\n.size many_%%d,1\\n\", i, i, i, i }' > many.s && "
		"as -o many.o many.s && readelf -s --wide many.o > many.txt && "
		"readelf -S --wide many.o | grep -q symtab_shndx", tmpdir)) {
		CHECK(false, "building the many-sections fixture failed");
		return;
	}
	text = open_ok(path_of("many.txt"), "many", "/dev/null");
	elf = open_ok(path_of("many.o"), "many", "/dev/null");
	if (!text || !elf)
		goto out;
	for (i = 0; i < N(locals); i++) {
		locals[i] = malloc(32);
		snprintf(locals[i], 32, "many_%zu", i);
	}
	text_block = match_ok(text, "many.s", (const char *const *)locals,
			      N(locals));
	elf_block = match_ok(elf, "many.s", (const char *const *)locals,
			     N(locals));
	expect_match_error(elf, "many.s", first_locals, N(first_locals),
			   "couldn't find matching");
	for (i = 0; i < N(locals); i++)
		free(locals[i]);
	for (i = 0; text_block && elf_block && i < N(names); i++) {
		CHECK(lookup_local(text, text_block, names[i], &text_result) &&
		      lookup_local(elf, elf_block, names[i], &elf_result) &&
		      same_result(&text_result, &elf_result) &&
		      elf_result.size == 1,
		      "%s differs between text and ELF", names[i]);
	}
out:
	lookup_close(text);
	lookup_close(elf);
}

/* ---- real kernel objects: each matches its own FILE block ---- */

#define CORPUS_DEFAULT "/work/shared/corpus/kpatch-unit/x86_64"

struct name_list {
	char **names;
	size_t count;
	size_t capacity;
};

static void list_add(struct name_list *list, const char *name)
{
	if (list->count == list->capacity) {
		list->capacity = list->capacity ? list->capacity * 2 : 64;
		list->names = realloc(list->names,
				      list->capacity * sizeof(*list->names));
		if (!list->names)
			exit(2);
	}
	list->names[list->count++] = strdup(name);
}

static void list_free(struct name_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		free(list->names[i]);
	free(list->names);
	memset(list, 0, sizeof(*list));
}

static size_t list_count(const struct name_list *list, const char *name)
{
	size_t i, count = 0;

	for (i = 0; i < list->count; i++)
		count += !strcmp(list->names[i], name);
	return count;
}

/* Lines of "KIND<TAB>NAME" from awk over independent readelf output. */
static void read_corpus_names(const char *object, char *file, size_t filelen,
			      struct name_list *locals,
			      struct name_list *globals)
{
	char command[4096], line[1024];
	FILE *pipe;

	snprintf(command, sizeof(command),
		 "readelf -s --wide '%s' | awk '$4 == \"FILE\" { print \"F\\t\" $8 } "
		 "$5 == \"LOCAL\" && ($4 == \"FUNC\" || $4 == \"OBJECT\") { print \"L\\t\" $8 } "
		 "($5 == \"GLOBAL\" || $5 == \"WEAK\") && $7 != \"UND\" { print \"G\\t\" $8 }'",
		 object);
	pipe = popen(command, "r");
	if (!pipe)
		return;
	file[0] = '\0';
	while (fgets(line, sizeof(line), pipe)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == 'F' && strlen(line + 2) < filelen)
			strcpy(file, line + 2);
		else if (line[0] == 'L' && file[0])
			list_add(locals, line + 2);
		else if (line[0] == 'G')
			list_add(globals, line + 2);
	}
	pclose(pipe);
}

static void test_corpus_object(const char *object, const char *name)
{
	struct name_list locals = { 0 }, globals = { 0 };
	const struct lookup_file *text_block, *elf_block;
	struct lookup_result text_result, elf_result;
	struct lookup_table *text, *elf;
	char file[1024], textpath[2048];
	size_t i;

	snprintf(textpath, sizeof(textpath), "%s/%s.txt", tmpdir, name);
	if (run("readelf -s --wide '%s' > '%s'", object, textpath)) {
		CHECK(false, "readelf %s failed", object);
		return;
	}
	read_corpus_names(object, file, sizeof(file), &locals, &globals);
	text = open_ok(textpath, "corpus-mod", "/dev/null");
	elf = open_ok(object, "corpus-mod", "/dev/null");
	if (!text || !elf || !file[0])
		goto out;
	text_block = match_ok(text, file, (const char *const *)locals.names,
			      locals.count);
	elf_block = match_ok(elf, file, (const char *const *)locals.names,
			     locals.count);
	for (i = 0; text_block && elf_block && i < locals.count; i++) {
		const char *local = locals.names[i];
		bool unique = list_count(&locals, local) == 1;
		bool in_text = lookup_local(text, text_block, local, &text_result);
		bool in_elf = lookup_local(elf, elf_block, local, &elf_result);

		CHECK(in_text == unique && in_elf == unique,
		      "%s: local %s found %d/%d, unique %d", name, local,
		      in_text, in_elf, unique);
		if (in_text && in_elf)
			CHECK(same_result(&text_result, &elf_result),
			      "%s: local %s differs", name, local);
	}
	for (i = 0; i < globals.count; i++) {
		bool in_text = lookup_global(text, globals.names[i], &text_result);
		bool in_elf = lookup_global(elf, globals.names[i], &elf_result);

		CHECK(in_text && in_elf && same_result(&text_result, &elf_result),
		      "%s: global %s", name, globals.names[i]);
	}
out:
	list_free(&locals);
	list_free(&globals);
	lookup_close(text);
	lookup_close(elf);
}

static void test_corpus(void)
{
	const char *dir = getenv("LOOKUP_TEST_CORPUS");
	char command[600], line[512];
	int objects = 0;
	FILE *pipe;

	if (!dir)
		dir = CORPUS_DEFAULT;
	if (access(dir, R_OK)) {
		printf("note: corpus %s not found, skipping corpus checks\n",
		       dir);
		return;
	}
	snprintf(command, sizeof(command), "ls '%s' | grep '\\.ORIG\\.o$'", dir);
	pipe = popen(command, "r");
	if (!pipe)
		return;
	while (fgets(line, sizeof(line), pipe)) {
		char object[1200];

		line[strcspn(line, "\n")] = '\0';
		snprintf(object, sizeof(object), "%s/%s", dir, line);
		test_corpus_object(object, line);
		objects++;
	}
	pclose(pipe);
	CHECK(objects > 0, "no corpus objects in %s", dir);
}

/* ---- structsize ---- */

static void test_structsize(void)
{
	static const char *const names[] = { "bug_entry", "alt_instr",
					     "no_such_struct", "list_head" };
	unsigned long sizes[N(names)];
	const char *corpus_object = CORPUS_DEFAULT "/oot-issue-928.NOSTRIP.ORIG.o";
	const char *object;
	int rc;

	write_file("ss.c",
		   "struct alt_instr;\n"
		   "struct alt_instr *alt_pointer;\n"
		   "struct bug_entry { int a; int b; short c; short d; };\n"
		   "struct bug_entry the_bug;\n");
	if (run("cd %s && cc -g -c ss.c -o ss.o && cc -c ss.c -o ss-nodebug.o",
		tmpdir)) {
		CHECK(false, "compiling ss.c failed");
		return;
	}
	object = path_of("ss.o");
	memset(sizes, 0xff, sizeof(sizes));
	rc = dwarf_struct_sizes(object, names, N(names), sizes, err,
				sizeof(err));
	CHECK(rc == 0, "dwarf_struct_sizes: %s", err);
	CHECK(sizes[0] == 12, "bug_entry size %lu", sizes[0]);
	CHECK(sizes[1] == 0, "declaration-only alt_instr size %lu", sizes[1]);
	CHECK(sizes[2] == 0, "absent struct size %lu", sizes[2]);
	CHECK(sizes[3] == 0, "list_head absent here: %lu", sizes[3]);

	err[0] = '\0';
	object = path_of("parent.txt");
	rc = dwarf_struct_sizes(object, names, N(names), sizes, err,
				sizeof(err));
	CHECK(rc == -1 && contains(err, object), "non-ELF: rc %d err %s", rc,
	      err);
	err[0] = '\0';
	object = path_of("ss-nodebug.o");
	rc = dwarf_struct_sizes(object, names, N(names), sizes, err,
				sizeof(err));
	CHECK(rc == -1 && contains(err, object), "no DWARF: rc %d err %s", rc,
	      err);
	err[0] = '\0';
	object = path_of("missing.o");
	rc = dwarf_struct_sizes(object, names, N(names), sizes, err,
				sizeof(err));
	CHECK(rc == -1 && contains(err, object), "missing: rc %d err %s", rc,
	      err);

	if (!access(corpus_object, R_OK)) {
		rc = dwarf_struct_sizes(corpus_object, names, N(names), sizes,
					err, sizeof(err));
		CHECK(rc == 0 && sizes[3] == 16 && sizes[2] == 0,
		      "kernel object: rc %d list_head %lu (%s)", rc, sizes[3],
		      err);
	}
}

/*
 * KPATCH_STRUCT_SIZES_CACHE: a second query of the same file is answered
 * from the cache (a planted value shows it), a query with a name the cache
 * lacks reads the DWARF again, and a rewritten file is read anew.
 */
static void test_structsize_cache(void)
{
	static const char *const names[] = { "bug_entry", "no_such_struct" };
	static const char *const more[] = { "bug_entry", "list_head" };
	unsigned long sizes[N(names)];
	char err[512], cache_dir[600], listing[4096];
	const char *object;
	FILE *p;
	size_t len;
	int rc;

	snprintf(cache_dir, sizeof(cache_dir), "%s/sizes-cache", tmpdir);
	if (run("mkdir -p %s && cd %s && cp ss.o ss-cached.o", cache_dir, tmpdir)) {
		CHECK(false, "preparing the cache test failed");
		return;
	}
	object = path_of("ss-cached.o");
	setenv("KPATCH_STRUCT_SIZES_CACHE", cache_dir, 1);

	rc = dwarf_struct_sizes(object, names, N(names), sizes, err, sizeof(err));
	CHECK(rc == 0 && sizes[0] == 12 && sizes[1] == 0, "first query: rc %d %lu %lu",
	      rc, sizes[0], sizes[1]);
	p = popen("cat \"$KPATCH_STRUCT_SIZES_CACHE\"/*.sizes", "r");
	len = p ? fread(listing, 1, sizeof(listing) - 1, p) : 0;
	listing[len] = '\0';
	if (p)
		pclose(p);
	CHECK(contains(listing, "bug_entry 12\n") && contains(listing, "no_such_struct 0\n"),
	      "the cache file keeps both answers: '%s'", listing);

	/* planted: only the cache can give 99 */
	run("cd %s && sed -i 's/^bug_entry 12$/bug_entry 99/' *.sizes", cache_dir);
	rc = dwarf_struct_sizes(object, names, N(names), sizes, err, sizeof(err));
	CHECK(rc == 0 && sizes[0] == 99, "second query from the cache: %lu", sizes[0]);

	/* a name the cache lacks: the DWARF is read for the whole query */
	rc = dwarf_struct_sizes(object, more, N(more), sizes, err, sizeof(err));
	CHECK(rc == 0 && sizes[0] == 12 && sizes[1] == 0, "new name read from DWARF: %lu %lu",
	      sizes[0], sizes[1]);
	rc = dwarf_struct_sizes(object, names, N(names), sizes, err, sizeof(err));
	CHECK(rc == 0 && sizes[0] == 12, "the DWARF's answer replaced the kept one: %lu", sizes[0]);

	/* a rewritten file (new modification time) is not the cached one */
	run("cd %s && sed -i 's/^bug_entry 12$/bug_entry 99/' *.sizes", cache_dir);
	run("cd %s && touch -d '2001-01-01' ss-cached.o", tmpdir);
	rc = dwarf_struct_sizes(object, names, N(names), sizes, err, sizeof(err));
	CHECK(rc == 0 && sizes[0] == 12, "rewritten file read anew: %lu", sizes[0]);

	/* an unusable cache directory only costs the DWARF read */
	setenv("KPATCH_STRUCT_SIZES_CACHE", "/nonexistent/cache", 1);
	rc = dwarf_struct_sizes(object, names, N(names), sizes, err, sizeof(err));
	CHECK(rc == 0 && sizes[0] == 12, "unusable cache: rc %d %lu", rc, sizes[0]);
	unsetenv("KPATCH_STRUCT_SIZES_CACHE");
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	test_handwritten_vmlinux();
	test_errors();
	test_compiled_parent();
	test_stripped_module();
	test_stripped_text();
	test_extended_section_indexes();
	test_corpus();
	test_structsize();
	test_structsize_cache();
	if (!failed)
		run("rm -rf '%s'", tmpdir);
	else
		printf("fixtures kept in %s\n", tmpdir);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
