// SPDX-License-Identifier: GPL-2.0
/*
 * ftrace-extent.c: would the kernel's livepatch core attach to the right
 * ftrace site of a function of the parent?
 *
 * The core finds a function's site with ftrace_location(address of the
 * symbol). Unless the site is at the symbol itself, that searches every
 * site in the symbol's kallsyms extent, which runs to the next symbol, not
 * to the end of the function, and takes whichever its binary search meets
 * first. When the linker keeps the code of an overridden weak function
 * (its symbol gone, so kallsyms counts it into the function before it),
 * that extent holds the dead copy's site too. Where the search lands there,
 * the core filters its handler on a site that is never called (ftrace has
 * even disabled it as a weak function's), registers without an error, and
 * the patch is "enabled" while the old code keeps running. Seen in 6.12 on
 * ppc64le: loadavg_proc_show, followed by fs/proc/meminfo.c's weak
 * arch_report_meminfo, which powerpc overrides. The differ refuses such a
 * function rather than build a patch that loads and does nothing.
 *
 * Read from the parent ELF (vmlinux): its symbol addresses and the
 * __mcount_loc table (__start_mcount_loc to __stop_mcount_loc), the list of
 * sites ftrace starts from. A parent given as
 * readelf text, or a relocatable one (a module, whose __mcount_loc is
 * relocations), is not checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ftrace-extent.h"
#include "util.h"

struct ftrace_extent {
	uint64_t *starts;	/* symbol addresses, sorted, unique */
	size_t nr_starts;
	uint64_t *sites;	/* __mcount_loc entries, sorted */
	size_t nr_sites;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort and drop duplicates; returns the new count. */
static size_t sort_unique(uint64_t *v, size_t n)
{
	size_t out = 0;

	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < n; i++)
		if (!out || v[out - 1] != v[i])
			v[out++] = v[i];
	return out;
}

/*
 * Symbol addresses into ext->starts; the bounds of the __mcount_loc table,
 * which the kernel's linker script puts inside .init.data between
 * __start_mcount_loc and __stop_mcount_loc, into *table (section index,
 * start, stop). False without a table.
 */
struct mcount_table {
	size_t shndx;
	uint64_t start, stop;
};

static bool read_symbols(struct ftrace_extent *ext, Elf *elf, Elf_Scn *scn,
			 const GElf_Shdr *sh, struct mcount_table *table)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	size_t start_shndx = 0, stop_shndx = 0;

	ext->starts = xcalloc(n ? n : 1, sizeof(*ext->starts));
	for (size_t i = 0; data && i < n; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(data, (int)i, &sym) || !sym.st_name ||
		    sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE ||
		    GELF_ST_TYPE(sym.st_info) == STT_SECTION ||
		    GELF_ST_TYPE(sym.st_info) == STT_FILE)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (name && !strcmp(name, "__start_mcount_loc")) {
			table->start = sym.st_value;
			start_shndx = sym.st_shndx;
		} else if (name && !strcmp(name, "__stop_mcount_loc")) {
			table->stop = sym.st_value;
			stop_shndx = sym.st_shndx;
		}
		ext->starts[ext->nr_starts++] = sym.st_value;
	}
	ext->nr_starts = sort_unique(ext->starts, ext->nr_starts);
	table->shndx = start_shndx;
	return start_shndx && start_shndx == stop_shndx && table->start <= table->stop;
}

/* The table's 64-bit addresses, in the parent's byte order. */
static void read_sites(struct ftrace_extent *ext, Elf *elf, const struct mcount_table *table,
		       bool big_endian)
{
	Elf_Scn *scn = elf_getscn(elf, table->shndx);
	Elf_Data *data = scn ? elf_getdata(scn, NULL) : NULL;
	GElf_Shdr sh;
	const unsigned char *p;
	uint64_t from, n = 0;

	if (data && data->d_buf && gelf_getshdr(scn, &sh) && table->start >= sh.sh_addr) {
		from = table->start - sh.sh_addr;
		if (from <= data->d_size && table->stop - table->start <= data->d_size - from)
			n = (table->stop - table->start) / 8;
	}
	ext->sites = xcalloc(n ? n : 1, sizeof(*ext->sites));
	p = n ? (const unsigned char *)data->d_buf + from : NULL;
	for (uint64_t i = 0; i < n; i++, p += 8) {
		uint64_t v = 0;

		for (int b = 0; b < 8; b++)
			v |= (uint64_t)p[big_endian ? 7 - b : b] << (8 * b);
		if (v)
			ext->sites[ext->nr_sites++] = v;
	}
	ext->nr_sites = sort_unique(ext->sites, ext->nr_sites);
}

struct ftrace_extent *ftrace_extent_open(const char *path)
{
	struct ftrace_extent *ext = NULL;
	struct mcount_table table = { 0 };
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	Elf *elf;
	int fd;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_type == ET_REL)
		goto out;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		ext = xcalloc(1, sizeof(*ext));
		if (read_symbols(ext, elf, scn, &sh, &table)) {
			read_sites(ext, elf, &table, eh.e_ident[EI_DATA] == ELFDATA2MSB);
		} else {
			ftrace_extent_close(ext);
			ext = NULL;
		}
		break;
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return ext;
}

void ftrace_extent_close(struct ftrace_extent *ext)
{
	if (!ext)
		return;
	free(ext->starts);
	free(ext->sites);
	free(ext);
}

/* Index of the first element of v[0..n) not below key. */
static size_t lower_bound(const uint64_t *v, size_t n, uint64_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint64_t ftrace_extent_foreign_site(const struct ftrace_extent *ext, uint64_t addr,
				    uint64_t size)
{
	size_t next, site;
	uint64_t end;

	if (!ext || !size)
		return 0;
	site = lower_bound(ext->sites, ext->nr_sites, addr);
	if (site < ext->nr_sites && ext->sites[site] == addr)
		return 0;	/* found exactly, before any range search */
	next = lower_bound(ext->starts, ext->nr_starts, addr + 1);
	end = next < ext->nr_starts ? ext->starts[next] : addr + size;
	site = lower_bound(ext->sites, ext->nr_sites, addr + size);
	return site < ext->nr_sites && ext->sites[site] < end ? ext->sites[site] : 0;
}
