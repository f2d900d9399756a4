// SPDX-License-Identifier: GPL-2.0
/*
 * ELF model tests: every corpus object survives read -> write -> read with
 * the same sections, symbols and relocations; the indexes answer what a
 * linear scan would; broken files are refused with a message.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kelf.h"
#include "util.h"

static int passed, failed;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("FAIL %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		putchar('\n');						\
	}								\
} while (0)

static const char *corpus_dir(void)
{
	const char *d = getenv("KPATCH_CORPUS");

	return d ? d : "../shared/corpus/kpatch-unit";
}

static size_t live_sections(const struct elf *elf)
{
	size_t n = 0;

	for (size_t i = 1; i < elf->nr_sections; i++)
		n += !elf->sections[i]->deleted;
	return n;
}

static const struct symbol *find_same(const struct elf *elf, const struct symbol *want)
{
	for (struct symbol *s = elf_find_symbol(elf, want->name); s;
	     s = elf_find_symbol_next(elf, s))
		if (s->type == want->type && s->bind == want->bind &&
		    s->sym.st_value == want->sym.st_value &&
		    (!s->sec == !want->sec) &&
		    (!s->sec || !strcmp(s->sec->name, want->sec->name)))
			return s;
	return NULL;
}

static void check_roundtrip(const char *path, const char *tmpdir)
{
	char err[512], out[4096];
	struct elf *a, *b;
	size_t nrela_a = 0, nrela_b = 0;

	a = elf_read(path, err, sizeof(err));
	CHECK(a, "read %s: %s", path, err);
	if (!a)
		return;
	snprintf(out, sizeof(out), "%s/roundtrip.o", tmpdir);
	CHECK(!elf_write(a, out, err, sizeof(err)), "write %s: %s", path, err);
	b = elf_read(out, err, sizeof(err));
	CHECK(b, "re-read of %s: %s", path, err);
	if (!b) {
		elf_free(a);
		return;
	}
	CHECK(live_sections(a) == live_sections(b), "%s: %zu sections, %zu after round trip",
	      path, live_sections(a), live_sections(b));
	CHECK(a->nr_symbols == b->nr_symbols, "%s: %zu symbols, %zu after round trip",
	      path, a->nr_symbols, b->nr_symbols);
	/* Sections come back in the same order (names may repeat). */
	for (size_t i = 1, k = 1; i < a->nr_sections; i++) {
		struct section *sa = a->sections[i], *sb = NULL;

		if (sa->deleted || sa == a->symtab || sa == a->strtab || sa == a->shstrtab)
			continue;
		while (k < b->nr_sections && (b->sections[k] == b->symtab ||
		       b->sections[k] == b->strtab || b->sections[k] == b->shstrtab))
			k++;
		if (k < b->nr_sections)
			sb = b->sections[k++];
		if (!sb || strcmp(sa->name, sb->name)) {
			CHECK(0, "%s: section %s lost or moved", path, sa->name);
			break;
		}
		if (is_rela_section(sa)) {
			nrela_a += sa->nr_relas;
			nrela_b += sb->nr_relas;
			CHECK(!strcmp(sa->base->name, sb->base->name), "%s: %s base", path, sa->name);
			for (size_t j = 0; j < sa->nr_relas && j < sb->nr_relas; j++) {
				const struct rela *ra = &sa->relas[j], *rb = &sb->relas[j];

				if (ra->offset != rb->offset || ra->addend != rb->addend ||
				    ra->type != rb->type || strcmp(ra->sym->name, rb->sym->name)) {
					CHECK(0, "%s: %s entry %zu differs", path, sa->name, j);
					break;
				}
			}
		} else if (sa->sh.sh_type != SHT_NOBITS && sa->sh.sh_type != SHT_GROUP) {
			CHECK(sa->size == sb->size && (!sa->size || !memcmp(sa->data, sb->data, sa->size)),
			      "%s: section %s data differs", path, sa->name);
		}
		CHECK(sa->sh.sh_flags == sb->sh.sh_flags && sa->sh.sh_type == sb->sh.sh_type,
		      "%s: section %s header differs", path, sa->name);
		CHECK(!sa->link == !sb->link && (!sa->link || !strcmp(sa->link->name, sb->link->name)),
		      "%s: section %s link differs", path, sa->name);
	}
	CHECK(nrela_a == nrela_b, "%s: %zu relocations, %zu after round trip", path, nrela_a, nrela_b);
	for (size_t i = 1; i < a->nr_symbols; i++) {
		const struct symbol *s = a->symbols[i];

		if (s->type == STT_SECTION)
			continue;
		if (!find_same(b, s)) {
			CHECK(0, "%s: symbol %s lost in round trip", path, s->name);
			break;
		}
	}
	/* indexes agree with a linear scan */
	for (size_t i = 1; i < a->nr_symbols; i++) {
		const struct symbol *s = a->symbols[i];
		const struct symbol *hit;

		if (!s->sec || s->type == STT_SECTION || s->type == STT_FILE || !s->sym.st_size)
			continue;
		hit = elf_symbol_containing(s->sec, s->sym.st_value + s->sym.st_size - 1);
		CHECK(hit && hit->sym.st_value <= s->sym.st_value + s->sym.st_size - 1 &&
		      s->sym.st_value + s->sym.st_size - 1 < hit->sym.st_value + hit->sym.st_size,
		      "%s: no symbol found containing the end of %s", path, s->name);
	}
	for (size_t i = 1; i < a->nr_sections; i++) {
		struct section *rs = a->sections[i];

		if (!is_rela_section(rs) || rs->deleted)
			continue;
		for (size_t j = 0; j < rs->nr_relas; j++) {
			struct rela *r = elf_rela_at(rs->base, rs->relas[j].offset);

			if (!r || r->offset != rs->relas[j].offset) {
				CHECK(0, "%s: elf_rela_at(%s, 0x%lx) missed", path, rs->base->name,
				      (unsigned long)rs->relas[j].offset);
				break;
			}
		}
	}
	elf_free(a);
	elf_free(b);
}

static void check_corpus(const char *tmpdir)
{
	static const char *const arches[] = { "x86_64", "aarch64", "ppc64le", "s390x", "loongarch64" };
	char path[4096];
	int objects = 0;

	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
		DIR *d;
		struct dirent *de;

		snprintf(path, sizeof(path), "%s/%s", corpus_dir(), arches[i]);
		d = opendir(path);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			size_t n = strlen(de->d_name);

			if (n < 3 || strcmp(de->d_name + n - 2, ".o"))
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", corpus_dir(), arches[i], de->d_name);
			check_roundtrip(path, tmpdir);
			objects++;
		}
		closedir(d);
	}
	CHECK(objects > 50, "expected the corpus at %s (KPATCH_CORPUS), found %d objects",
	      corpus_dir(), objects);
}

static void write_bytes(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f) {
		perror(path);
		exit(2);
	}
	fwrite(buf, 1, len, f);
	fclose(f);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = xmalloc(*len);
	if (fread(buf, 1, *len, f) != *len)
		*len = 0;
	fclose(f);
	return buf;
}

static void expect_refused(const char *path, const char *what, const char *needle)
{
	char err[512] = "";
	struct elf *e = elf_read(path, err, sizeof(err));

	CHECK(!e, "%s: accepted", what);
	CHECK(strstr(err, path) && strstr(err, needle),
	      "%s: message \"%s\" should name the file and say \"%s\"", what, err, needle);
	elf_free(e);
}

static void check_bad_inputs(const char *tmpdir)
{
	char path[4096], src[4096];
	unsigned char *buf;
	size_t len;
	Elf64_Ehdr *eh;

	snprintf(path, sizeof(path), "%s/missing.o", tmpdir);
	expect_refused(path, "missing file", "cannot open");

	snprintf(path, sizeof(path), "%s/text.o", tmpdir);
	{
		static const char text[] = "this is not an object file at all, just some text\n";

		write_bytes(path, text, sizeof(text) - 1);
	}
	expect_refused(path, "text file", "not an ELF file");

	snprintf(src, sizeof(src), "%s/x86_64/meminfo-string.ORIG.o", corpus_dir());
	buf = slurp(src, &len);
	CHECK(buf && len > 4096, "corpus object %s readable", src);
	if (!buf)
		return;

	snprintf(path, sizeof(path), "%s/truncated.o", tmpdir);
	write_bytes(path, buf, len / 2);
	expect_refused(path, "truncated object", "past the end");

	/* a section whose data points past the end of the file */
	{
		unsigned char *copy = xmalloc(len);
		Elf64_Shdr *sh;

		memcpy(copy, buf, len);
		eh = (Elf64_Ehdr *)copy;
		sh = (Elf64_Shdr *)(copy + eh->e_shoff) + 4;
		sh->sh_offset = len + 0x1000;
		snprintf(path, sizeof(path), "%s/badoffset.o", tmpdir);
		write_bytes(path, copy, len);
		expect_refused(path, "bad section offset", "extends past the end");
		free(copy);
	}
	/* a symbol pointing at a section that does not exist */
	{
		unsigned char *copy = xmalloc(len);
		Elf64_Shdr *shdrs;
		Elf64_Sym *syms = NULL;

		memcpy(copy, buf, len);
		eh = (Elf64_Ehdr *)copy;
		shdrs = (Elf64_Shdr *)(copy + eh->e_shoff);
		for (int i = 0; i < eh->e_shnum; i++)
			if (shdrs[i].sh_type == SHT_SYMTAB)
				syms = (Elf64_Sym *)(copy + shdrs[i].sh_offset);
		syms[3].st_shndx = 999;
		snprintf(path, sizeof(path), "%s/badsymsec.o", tmpdir);
		write_bytes(path, copy, len);
		expect_refused(path, "bad symbol section index", "refers to section 999");
		free(copy);
	}
	/* a relocation naming a symbol that does not exist */
	{
		unsigned char *copy = xmalloc(len);
		Elf64_Shdr *shdrs;
		Elf64_Rela *rela = NULL;

		memcpy(copy, buf, len);
		eh = (Elf64_Ehdr *)copy;
		shdrs = (Elf64_Shdr *)(copy + eh->e_shoff);
		for (int i = 0; i < eh->e_shnum && !rela; i++)
			if (shdrs[i].sh_type == SHT_RELA && shdrs[i].sh_size)
				rela = (Elf64_Rela *)(copy + shdrs[i].sh_offset);
		rela->r_info = ELF64_R_INFO(100000, ELF64_R_TYPE(rela->r_info));
		snprintf(path, sizeof(path), "%s/badrelsym.o", tmpdir);
		write_bytes(path, copy, len);
		expect_refused(path, "bad relocation symbol", "refers to symbol 100000");
		free(copy);
	}
	free(buf);
}

static void check_build_and_write(const char *tmpdir)
{
	char src[4096], out[4096], err[512];
	struct elf *like, *e, *back;
	struct section *text, *rs;
	struct symbol *f, *g, *u;
	static const unsigned char code[16] = { 0xe8, 0, 0, 0, 0, 0xc3 };

	snprintf(src, sizeof(src), "%s/x86_64/meminfo-string.ORIG.o", corpus_dir());
	like = elf_read(src, err, sizeof(err));
	CHECK(like, "read %s: %s", src, err);
	if (!like)
		return;
	e = elf_create_like(like, "new.o");
	text = elf_add_section(e, ".text.f", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 16, 0, code, 6);
	elf_add_symbol(e, ".text.f", STB_LOCAL, STT_SECTION, text, 0, 0);
	g = elf_add_symbol(e, "g", STB_GLOBAL, STT_FUNC, text, 0, 6);
	f = elf_add_symbol(e, "f", STB_LOCAL, STT_FUNC, text, 0, 6);
	u = elf_add_symbol(e, "undefined_thing", STB_GLOBAL, STT_NOTYPE, NULL, 0, 0);
	rs = elf_rela_section_for(e, text);
	elf_add_rela(rs, u, 1, -4, 4 /* R_X86_64_PLT32 */);
	CHECK(elf_append_data(text, code, 3, 8) == 8, "append aligns to 8");
	elf_index_symbols(e);
	CHECK(elf_symbol_containing(text, 3) == g || elf_symbol_containing(text, 3) == f,
	      "symbol containing offset 3");
	CHECK(elf_find_symbol(e, "f") == f, "name lookup of a new symbol");
	snprintf(out, sizeof(out), "%s/built.o", tmpdir);
	CHECK(!elf_write(e, out, err, sizeof(err)), "write: %s", err);
	back = elf_read(out, err, sizeof(err));
	CHECK(back, "re-read: %s", err);
	if (back) {
		struct symbol *bf = elf_find_symbol(back, "f"), *bg = elf_find_symbol(back, "g");
		struct section *bt = elf_find_section(back, ".text.f");

		CHECK(bf && bg && bf->index < bg->index, "locals are written before globals");
		CHECK(bt && bt->size == 11 && bt->rela && bt->rela->nr_relas == 1 &&
		      !strcmp(bt->rela->relas[0].sym->name, "undefined_thing") &&
		      bt->rela->relas[0].addend == -4, "section data and relocation survive");
		elf_free(back);
	}
	/* writing into a missing directory fails and leaves nothing */
	snprintf(out, sizeof(out), "%s/no/such/dir/x.o", tmpdir);
	CHECK(elf_write(e, out, err, sizeof(err)) && strstr(err, out),
	      "write into a missing directory reports the path: %s", err);
	elf_free(e);
	elf_free(like);
}

/* Contents are read and written in each object's own byte order. */
static void check_byte_order(void)
{
	static const unsigned char raw[8] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0 };
	char be_path[4096], le_path[4096], err[512];
	struct elf *be, *le;
	unsigned char buf[8];

	snprintf(be_path, sizeof(be_path), "%s/s390x/cmdline-string.ORIG.o", corpus_dir());
	snprintf(le_path, sizeof(le_path), "%s/x86_64/meminfo-string.ORIG.o", corpus_dir());
	be = elf_read(be_path, err, sizeof(err));
	CHECK(be, "read %s: %s", be_path, err);
	le = elf_read(le_path, err, sizeof(err));
	CHECK(le, "read %s: %s", le_path, err);
	if (!be || !le)
		goto out;
	CHECK(elf_is_big_endian(be) && !elf_is_big_endian(le), "byte order of s390x and x86_64");
	CHECK(elf_get_u16(be, raw) == 0x1234 && elf_get_u16(le, raw) == 0x3412, "16-bit reads");
	CHECK(elf_get_u32(be, raw) == 0x12345678 && elf_get_u32(le, raw) == 0x78563412,
	      "32-bit reads");
	CHECK(elf_get_u64(be, raw) == 0x123456789abcdef0ULL &&
	      elf_get_u64(le, raw) == 0xf0debc9a78563412ULL, "64-bit reads");
	elf_put_u64(be, buf, 0x123456789abcdef0ULL);
	CHECK(!memcmp(buf, raw, 8), "64-bit big-endian write");
	elf_put_u32(le, buf, 0x78563412);
	elf_put_u16(le, buf + 4, 0xbc9a);
	CHECK(!memcmp(buf, raw, 6), "32- and 16-bit little-endian writes");
	{
		/* the s390x function starts with its 6-byte ftrace nop, brcl 0,0 */
		struct section *text = elf_find_section(be, ".text.cmdline_proc_show");

		CHECK(text && text->size > 6 && elf_get_u16(be, text->data) == 0xc004 &&
		      elf_get_u32(be, text->data + 2) == 0, "s390x code read in its own order");
	}
	CHECK(elf_machine(EM_X86_64) && !strcmp(elf_machine(EM_X86_64)->name, "x86_64") &&
	      !elf_machine(EM_RISCV), "machine descriptions by e_machine");
out:
	elf_free(be);
	elf_free(le);
}

int main(void)
{
	char tmpdir[] = "/tmp/kelf-test.XXXXXX";
	char cmd[4200];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	check_corpus(tmpdir);
	check_bad_inputs(tmpdir);
	check_build_and_write(tmpdir);
	check_byte_order();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", tmpdir);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
