/* The table of probe-group leaders barred for straddling pages
 * (src/engine/dbt/group_bar.c): a leader is barred, with the instructions of
 * its group, at its GROUP_BAR_AFTER-th straddle and not before; blocks are
 * told apart by address and mode; a block that takes another's slot starts
 * afresh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "engine/dbt/group_bar.h"
#include "unit_helpers.h"

static void test_a_leader_is_barred_at_the_threshold_with_its_group(void **state)
{
	struct group_bar *t = calloc(1, sizeof(*t));

	(void)state;
	for (unsigned k = 1; k < GROUP_BAR_AFTER; k++)
		assert_false(group_bar_note(t, 0x7147000, 4, 5, 3));
	assert_int_equal(group_bar_of(t, 0x7147000, 4), 0);
	assert_true(group_bar_note(t, 0x7147000, 4, 5, 3));
	assert_int_equal(group_bar_of(t, 0x7147000, 4), 0x7ull << 5);
	/* Another mode of the same block, and another block: nothing barred. */
	assert_int_equal(group_bar_of(t, 0x7147000, 3), 0);
	assert_int_equal(group_bar_of(t, 0x7148000, 4), 0);
	/* A group reaching past instruction 63 bars up to it; index 64 is none. */
	for (unsigned k = 0; k < GROUP_BAR_AFTER; k++)
		group_bar_note(t, 0x9000, 4, 62, 5);
	assert_int_equal(group_bar_of(t, 0x9000, 4), 0x3ull << 62);
	assert_false(group_bar_note(t, 0x9000, 4, 64, 1));
	free(t);
}

/* Blocks whose keys share a slot: the later one evicts the earlier, which
 * then counts again from nothing. */
static void test_a_slot_taken_by_another_block_starts_afresh(void **state)
{
	struct group_bar *t = calloc(1, sizeof(*t));
	uint64_t a = 0x1000, b = 0;

	(void)state;
	for (uint64_t g = 0x2000; !b; g += 0x1000) {
		/* Find b in a's slot by barring a first and looking for a block
		 * whose note evicts it. */
		for (unsigned k = 0; k < GROUP_BAR_AFTER; k++)
			group_bar_note(t, a, 4, 0, 1);
		group_bar_note(t, g, 4, 0, 1);
		if (!group_bar_of(t, a, 4))
			b = g;
	}
	for (unsigned k = 1; k < GROUP_BAR_AFTER; k++)
		assert_false(group_bar_note(t, a, 4, 0, 1));
	assert_true(group_bar_note(t, a, 4, 0, 1));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_leader_is_barred_at_the_threshold_with_its_group),
		cmocka_unit_test(test_a_slot_taken_by_another_block_starts_afresh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
