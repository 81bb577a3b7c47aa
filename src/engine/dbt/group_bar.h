/* Which instructions of which blocks lead no probe group any more: those
 * whose groups kept straddling two pages (translate_env.group_straddled).
 * A straddling group always misses its probe and has the core run all its
 * instructions, a hundred times the host code's cost; once a leader has
 * straddled GROUP_BAR_AFTER times its block is translated again with its
 * members probed one by one. The table forgets (a slot is reused by another
 * block) rather than grows: at worst a group straddles a few times more. */
#ifndef RV_DBT_GROUP_BAR_H
#define RV_DBT_GROUP_BAR_H

#include <stdbool.h>
#include <stdint.h>

#define GROUP_BAR_ENTRIES 256
#define GROUP_BAR_AFTER 8

struct group_bar {
	struct group_bar_entry {
		uint64_t key;	   /* the block's first byte's guest-physical address and mode; 0: empty */
		uint64_t barred;   /* bit i: instruction i leads no group */
		uint8_t count[64]; /* straddles seen, by leader */
	} e[GROUP_BAR_ENTRIES];
};

/* The instructions of the block at gpa (in mode) that lead no group. */
uint64_t group_bar_of(const struct group_bar *t, uint64_t gpa, uint8_t mode);
/* The group led by instruction index of that block (count instructions from
 * it) straddled: true when this made its leader and members barred. */
bool group_bar_note(struct group_bar *t, uint64_t gpa, uint8_t mode, unsigned index, unsigned count);

#endif
