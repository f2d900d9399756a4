// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>

#include "lookup-htab.h"

static size_t capacity_for(size_t expected)
{
	size_t capacity = 16;

	while (capacity < expected * 2)
		capacity *= 2;
	return capacity;
}

static struct lookup_htab_slot *alloc_slots(size_t capacity)
{
	struct lookup_htab_slot *slots = malloc(capacity * sizeof(*slots));
	size_t i;

	if (!slots)
		return NULL;
	for (i = 0; i < capacity; i++)
		slots[i].item = LOOKUP_HTAB_NONE;
	return slots;
}

int lookup_htab_init(struct lookup_htab *table, size_t expected)
{
	size_t capacity = capacity_for(expected);

	table->slots = alloc_slots(capacity);
	if (!table->slots)
		return -1;
	table->mask = capacity - 1;
	table->used = 0;
	return 0;
}

void lookup_htab_free(struct lookup_htab *table)
{
	free(table->slots);
	table->slots = NULL;
	table->mask = 0;
	table->used = 0;
}

static void place(struct lookup_htab_slot *slots, size_t mask, uint64_t hash,
		  uint32_t item)
{
	size_t pos = hash & mask;

	while (slots[pos].item != LOOKUP_HTAB_NONE)
		pos = (pos + 1) & mask;
	slots[pos].hash = hash;
	slots[pos].item = item;
}

/*
 * Rehash in old slot order: items with equal hashes keep their relative
 * order along the probe sequence, so lookup_htab_find still returns the first
 * inserted of several equal keys.
 */
static int grow(struct lookup_htab *table)
{
	size_t old_capacity = table->mask + 1;
	size_t new_mask = old_capacity * 2 - 1;
	struct lookup_htab_slot *slots = alloc_slots(old_capacity * 2);
	size_t start, i;

	if (!slots)
		return -1;
	/*
	 * Start after an empty slot so no probe run wraps past the point
	 * where we begin copying; that keeps per-key insertion order.
	 */
	for (start = 0; start < old_capacity; start++)
		if (table->slots[start].item == LOOKUP_HTAB_NONE)
			break;
	for (i = 0; i < old_capacity; i++) {
		struct lookup_htab_slot *slot =
			&table->slots[(start + i) & table->mask];

		if (slot->item != LOOKUP_HTAB_NONE)
			place(slots, new_mask, slot->hash, slot->item);
	}
	free(table->slots);
	table->slots = slots;
	table->mask = new_mask;
	return 0;
}

int lookup_htab_insert(struct lookup_htab *table, uint64_t hash, uint32_t item)
{
	if ((table->used + 1) * 2 > table->mask + 1 && grow(table))
		return -1;
	place(table->slots, table->mask, hash, item);
	table->used++;
	return 0;
}

uint32_t lookup_htab_find(const struct lookup_htab *table, uint64_t hash,
		   lookup_htab_match_fn match, const void *ctx, const void *key)
{
	size_t pos;

	if (!table->slots)
		return LOOKUP_HTAB_NONE;
	for (pos = hash & table->mask; table->slots[pos].item != LOOKUP_HTAB_NONE;
	     pos = (pos + 1) & table->mask) {
		const struct lookup_htab_slot *slot = &table->slots[pos];

		if (slot->hash == hash && match(ctx, slot->item, key))
			return slot->item;
	}
	return LOOKUP_HTAB_NONE;
}

uint64_t lookup_htab_hash_mix(uint64_t hash, uint64_t value)
{
	hash ^= value + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
	hash ^= hash >> 33;
	hash *= 0xff51afd7ed558ccdULL;
	hash ^= hash >> 33;
	return hash;
}

uint64_t lookup_htab_hash_string(const char *string)
{
	uint64_t hash = 0xcbf29ce484222325ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)string; *p; p++) {
		hash ^= *p;
		hash *= 0x100000001b3ULL;
	}
	return lookup_htab_hash_mix(hash, 0);
}
