/* SPDX-License-Identifier: GPL-2.0 */
/*
 * htab: a small open-addressing hash index. It stores item numbers (indexes
 * into the caller's own arrays) keyed by a caller-computed 64-bit hash; the
 * caller supplies the equality test, so one implementation serves every key
 * shape (a name, a (block, name) pair, ...) without copying keys.
 */
#ifndef KPATCH_LOOKUP_HTAB_H
#define KPATCH_LOOKUP_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOOKUP_HTAB_NONE UINT32_MAX

struct lookup_htab_slot {
	uint64_t hash;
	uint32_t item;		/* LOOKUP_HTAB_NONE: empty */
};

struct lookup_htab {
	struct lookup_htab_slot *slots;
	size_t mask;		/* capacity - 1; capacity is a power of two */
	size_t used;
};

/* Does item equal the key being searched for? */
typedef bool (*lookup_htab_match_fn)(const void *ctx, uint32_t item, const void *key);

/* Sized so that expected items keep the load at or below one half. */
int lookup_htab_init(struct lookup_htab *table, size_t expected);
void lookup_htab_free(struct lookup_htab *table);

/* Adds item without checking for an existing equal key; -1 on ENOMEM. */
int lookup_htab_insert(struct lookup_htab *table, uint64_t hash, uint32_t item);

/* First inserted item matching key, or LOOKUP_HTAB_NONE. */
uint32_t lookup_htab_find(const struct lookup_htab *table, uint64_t hash,
		   lookup_htab_match_fn match, const void *ctx, const void *key);

/* FNV-1a with a final avalanche so that linear probing spreads well. */
uint64_t lookup_htab_hash_string(const char *string);
uint64_t lookup_htab_hash_mix(uint64_t hash, uint64_t value);

#endif
