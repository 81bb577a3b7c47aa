#include "engine/dbt/group_bar.h"

static uint64_t key_of(uint64_t gpa, uint8_t mode)
{
	return (gpa | (uint64_t)mode << 56) + 1; /* never 0 */
}

static unsigned slot_of(uint64_t key)
{
	return (unsigned)((key ^ (key >> 12) ^ (key >> 20)) % GROUP_BAR_ENTRIES);
}

uint64_t group_bar_of(const struct group_bar *t, uint64_t gpa, uint8_t mode)
{
	uint64_t key = key_of(gpa, mode);
	const struct group_bar_entry *e = &t->e[slot_of(key)];

	return e->key == key ? e->barred : 0;
}

bool group_bar_note(struct group_bar *t, uint64_t gpa, uint8_t mode, unsigned index, unsigned count)
{
	uint64_t key = key_of(gpa, mode);
	struct group_bar_entry *e = &t->e[slot_of(key)];

	if (index >= 64)
		return false;
	if (e->key != key)
		*e = (struct group_bar_entry){ .key = key };
	if (++e->count[index] < GROUP_BAR_AFTER)
		return false;
	for (unsigned k = index; k < index + count && k < 64; k++)
		e->barred |= 1ull << k;
	e->count[index] = 0;
	return true;
}
