/* The split virtqueue (src/devices/virtio/virtqueue.c) against the virtio 1.x
 * spec, §2.7: rings and descriptors are laid out here byte by byte as the spec
 * lays them out (descriptor {le64 addr, le32 len, le16 flags, le16 next}; avail
 * {flags, idx, ring[], used_event}; used {flags, idx, {le32 id, le32 len}[],
 * avail_event}), and every malformed chain a hostile driver can build must be
 * refused with the queue broken, never followed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/virtio/virtqueue.h"
#include "unit_helpers.h"
#include "virtq_rings.h"
#include "vm/memory.h"

#define RAM_SIZE (2ull << 20)
#define QSIZE 8
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define TABLE 0x4000 /* an indirect table */
#define BUF 0x10000  /* data buffers */
#define NEXT VIRTQ_DESC_F_NEXT
#define WRITE VIRTQ_DESC_F_WRITE
#define INDIRECT VIRTQ_DESC_F_INDIRECT

struct harness {
	struct guest_memory mem;
	struct virtq vq;
	struct virtq_seg segs[64];
	struct virtq_chain chain;
	uint16_t avail_idx; /* the driver's next avail->idx */
};

static void set_avail_idx(struct harness *h, uint16_t idx)
{
	h->avail_idx = idx;
	ring_put16(&h->mem, AVAIL + 2, idx);
}

/* The driver makes chain `head` available: ring entry, then the index. */
static void offer(struct harness *h, uint16_t head)
{
	ring_put16(&h->mem, AVAIL + 4 + 2 * (h->avail_idx % QSIZE), head);
	set_avail_idx(h, (uint16_t)(h->avail_idx + 1));
}

static void set_used_event(struct harness *h, uint16_t v)
{
	ring_put16(&h->mem, AVAIL + 4 + 2 * QSIZE, v);
}

static uint16_t used_idx(struct harness *h)
{
	return ring_get16(&h->mem, USED + 2);
}

static uint16_t avail_event(struct harness *h)
{
	return ring_get16(&h->mem, USED + 4 + 8 * QSIZE);
}

static void enable(struct harness *h, bool event_idx, bool indirect, uint16_t max_in_flight)
{
	struct virtq_layout l = { .size = QSIZE,
				  .desc_gpa = DESC,
				  .avail_gpa = AVAIL,
				  .used_gpa = USED,
				  .event_idx = event_idx,
				  .indirect = indirect,
				  .max_in_flight = max_in_flight };

	assert_int_equal(virtq_enable(&h->vq, &l), 0);
}

static int pop(struct harness *h)
{
	h->chain = (struct virtq_chain){ .segs = h->segs, .cap = 64 };
	return virtq_pop(&h->vq, &h->chain);
}

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));
	char why[128];

	if (!h || guest_memory_init(&h->mem, RAM_SIZE, why, sizeof(why))) {
		free(h);
		return -1;
	}
	virtq_init(&h->vq, &h->mem);
	enable(h, false, true, 0);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;

	guest_memory_destroy(&h->mem);
	free(h);
	return 0;
}

/* A one-descriptor chain at head, readable, of len bytes at BUF. */
static void offer_simple(struct harness *h, uint16_t head, uint32_t len, uint16_t flags)
{
	ring_put_desc(&h->mem, DESC, head, BUF + 0x100ull * head, len, flags, 0);
	offer(h, head);
}

static void expect_violation(struct harness *h, int err)
{
	assert_int_equal(pop(h), err);
	/* A broken queue stays broken: nothing more is read from the guest. */
	assert_int_equal(pop(h), VIRTQ_E_BROKEN);
	assert_int_equal(virtq_push(&h->vq, 0, 0), VIRTQ_E_BROKEN);
}

static void test_virtq_pop_returns_readable_then_writable_segments(void **state)
{
	struct harness *h = *state;

	ring_put_desc(&h->mem, DESC, 3, BUF, 100, NEXT, 5);
	ring_put_desc(&h->mem, DESC, 5, BUF + 0x1000, 200, WRITE, 0);
	offer(h, 3);
	assert_int_equal(pop(h), 1);
	assert_int_equal(h->chain.head, 3);
	assert_int_equal(h->chain.nsegs, 2);
	assert_int_equal(h->chain.readable, 100);
	assert_int_equal(h->chain.writable, 200);
	assert_ptr_equal(h->segs[0].host, h->mem.base + BUF);
	assert_int_equal(h->segs[0].len, 100);
	assert_false(h->segs[0].writable);
	assert_ptr_equal(h->segs[1].host, h->mem.base + BUF + 0x1000);
	assert_int_equal(h->segs[1].gpa, BUF + 0x1000);
	assert_true(h->segs[1].writable);
	assert_int_equal(pop(h), 0);
}

static void test_virtq_pop_of_empty_or_disabled_queue_is_nothing(void **state)
{
	struct harness *h = *state;

	assert_int_equal(pop(h), 0);
	virtq_disable(&h->vq);
	offer_simple(h, 0, 8, 0);
	assert_int_equal(pop(h), 0);
}

static void test_virtq_push_writes_used_element_then_index(void **state)
{
	struct harness *h = *state;

	offer_simple(h, 6, 64, WRITE);
	assert_int_equal(pop(h), 1);
	assert_int_equal(virtq_push(&h->vq, 6, 40), 0);
	assert_int_equal(ring_get32(&h->mem, USED + 4), 6);  /* ring[0].id */
	assert_int_equal(ring_get32(&h->mem, USED + 8), 40); /* ring[0].len */
	assert_int_equal(used_idx(h), 1);
	/* The head is free again: the driver may offer it anew. */
	offer(h, 6);
	assert_int_equal(pop(h), 1);
	assert_int_equal(virtq_push(&h->vq, 6, 0), 0);
	assert_int_equal(ring_get32(&h->mem, USED + 12), 6); /* ring[1].id */
	assert_int_equal(used_idx(h), 2);
}

static void test_virtq_buffer_past_end_of_ram_is_refused(void **state)
{
	struct harness *h = *state;

	/* Starts in RAM, its last byte one past the end. */
	ring_put_desc(&h->mem, DESC, 0, RAM_SIZE - 16, 17, 0, 0);
	offer(h, 0);
	expect_violation(h, VIRTQ_E_BUFFER_RANGE);
}

static void test_virtq_buffer_ending_at_last_byte_of_ram_is_accepted(void **state)
{
	struct harness *h = *state;

	ring_put_desc(&h->mem, DESC, 0, RAM_SIZE - 16, 16, 0, 0);
	offer(h, 0);
	assert_int_equal(pop(h), 1);
}

static void test_virtq_buffer_in_mmio_hole_is_refused(void **state)
{
	struct harness *h = *state;

	/* The local APIC's page: MMIO, never RAM. */
	ring_put_desc(&h->mem, DESC, 0, 0xfee00000, 4, WRITE, 0);
	offer(h, 0);
	expect_violation(h, VIRTQ_E_BUFFER_RANGE);
}

static void test_virtq_buffer_wrapping_address_space_is_refused(void **state)
{
	struct harness *h = *state;

	/* addr + len wraps to a small address inside RAM. */
	ring_put_desc(&h->mem, DESC, 0, 0xfffffffffffff000ull, 0x2000, 0, 0);
	offer(h, 0);
	expect_violation(h, VIRTQ_E_BUFFER_RANGE);
}

static void test_virtq_chain_loop_is_refused(void **state)
{
	struct harness *h = *state;

	ring_put_desc(&h->mem, DESC, 0, BUF, 8, NEXT, 1);
	ring_put_desc(&h->mem, DESC, 1, BUF, 8, NEXT, 2);
	ring_put_desc(&h->mem, DESC, 2, BUF, 8, NEXT, 0);
	offer(h, 0);
	expect_violation(h, VIRTQ_E_CHAIN_LOOP);
}

static void test_virtq_descriptor_pointing_at_itself_is_refused(void **state)
{
	struct harness *h = *state;

	ring_put_desc(&h->mem, DESC, 4, BUF, 8, NEXT, 4);
	offer(h, 4);
	expect_violation(h, VIRTQ_E_CHAIN_LOOP);
}

static void test_virtq_chain_using_every_descriptor_once_is_accepted(void **state)
{
	struct harness *h = *state;

	/* The longest chain the queue allows: QSIZE descriptors, 7 -> 6 -> ... -> 0. */
	for (unsigned i = 0; i < QSIZE; i++)
		ring_put_desc(&h->mem, DESC, i, BUF, 8, i ? NEXT : 0, (uint16_t)(i - 1));
	offer(h, QSIZE - 1);
	assert_int_equal(pop(h), 1);
	assert_int_equal(h->chain.nsegs, QSIZE);
	assert_int_equal(h->chain.readable, 8 * QSIZE);
}

static void test_virtq_next_beyond_table_is_refused(void **state)
{
	struct harness *h = *state;

	ring_put_desc(&h->mem, DESC, 0, BUF, 8, NEXT, QSIZE);
	offer(h, 0);
	expect_violation(h, VIRTQ_E_NEXT_RANGE);
}

static void test_virtq_head_beyond_table_is_refused(void **state)
{
	struct harness *h = *state;

	offer(h, QSIZE);
	expect_violation(h, VIRTQ_E_HEAD_RANGE);
}

static void test_virtq_readable_after_writable_is_refused(void **state)
{
	struct harness *h = *state;

	ring_put_desc(&h->mem, DESC, 0, BUF, 8, WRITE | NEXT, 1);
	ring_put_desc(&h->mem, DESC, 1, BUF + 8, 8, 0, 0);
	offer(h, 0);
	expect_violation(h, VIRTQ_E_ORDER);
}

static void test_virtq_readable_after_empty_writable_is_refused(void **state)
{
	struct harness *h = *state;

	/* Found by fuzz_virtq: a zero-length writable descriptor is still writable. */
	ring_put_desc(&h->mem, DESC, 0, BUF, 0, WRITE | NEXT, 1);
	ring_put_desc(&h->mem, DESC, 1, BUF + 8, 8, 0, 0);
	offer(h, 0);
	expect_violation(h, VIRTQ_E_ORDER);
}

static void test_virtq_avail_index_jump_beyond_queue_size_is_refused(void **state)
{
	struct harness *h = *state;

	set_avail_idx(h, QSIZE + 1);
	expect_violation(h, VIRTQ_E_AVAIL_JUMP);
}

static void test_virtq_avail_index_a_whole_queue_ahead_is_accepted(void **state)
{
	struct harness *h = *state;

	for (uint16_t i = 0; i < QSIZE; i++)
		offer_simple(h, i, 8, 0);
	for (unsigned i = 0; i < QSIZE; i++)
		assert_int_equal(pop(h), 1);
	assert_int_equal(pop(h), 0);
}

static void test_virtq_head_offered_again_while_in_flight_is_refused(void **state)
{
	struct harness *h = *state;

	offer_simple(h, 2, 8, 0);
	assert_int_equal(pop(h), 1);
	offer(h, 2);
	expect_violation(h, VIRTQ_E_HEAD_IN_FLIGHT);
}

static void test_virtq_in_flight_cap_holds_back_chains_until_one_is_used(void **state)
{
	struct harness *h = *state;

	enable(h, false, true, 2);
	offer_simple(h, 0, 8, 0);
	offer_simple(h, 1, 8, 0);
	offer_simple(h, 2, 8, 0);
	assert_int_equal(pop(h), 1);
	assert_int_equal(pop(h), 1);
	/* Not a violation: the third waits. */
	assert_int_equal(pop(h), 0);
	assert_int_equal(virtq_push(&h->vq, 0, 0), 0);
	assert_int_equal(pop(h), 1);
	assert_int_equal(h->chain.head, 2);
}

static void test_virtq_chain_longer_than_callers_array_is_refused(void **state)
{
	struct harness *h = *state;

	ring_put_desc(&h->mem, DESC, 0, BUF, 8, NEXT, 1);
	ring_put_desc(&h->mem, DESC, 1, BUF, 8, NEXT, 2);
	ring_put_desc(&h->mem, DESC, 2, BUF, 8, 0, 0);
	offer(h, 0);
	h->chain = (struct virtq_chain){ .segs = h->segs, .cap = 2 };
	assert_int_equal(virtq_pop(&h->vq, &h->chain), VIRTQ_E_TOO_MANY_SEGS);
}

static void test_virtq_indirect_table_gives_its_descriptors(void **state)
{
	struct harness *h = *state;

	ring_put_desc(&h->mem, TABLE, 0, BUF, 16, NEXT, 1);
	ring_put_desc(&h->mem, TABLE, 1, BUF + 0x100, 32, NEXT | WRITE, 2);
	ring_put_desc(&h->mem, TABLE, 2, BUF + 0x200, 1, WRITE, 0);
	/* The WRITE flag of the descriptor naming the table is ignored (§2.7.5.3.2). */
	ring_put_desc(&h->mem, DESC, 1, TABLE, 3 * 16, INDIRECT | WRITE, 0);
	offer(h, 1);
	assert_int_equal(pop(h), 1);
	assert_int_equal(h->chain.head, 1);
	assert_int_equal(h->chain.nsegs, 3);
	assert_int_equal(h->chain.readable, 16);
	assert_int_equal(h->chain.writable, 33);
	assert_ptr_equal(h->segs[2].host, h->mem.base + BUF + 0x200);
}

static void test_virtq_direct_descriptors_may_precede_an_indirect_one(void **state)
{
	struct harness *h = *state;

	/* §2.7.5.3.2: zero or more normal descriptors, then one indirect. */
	ring_put_desc(&h->mem, TABLE, 0, BUF + 0x100, 4, WRITE, 0);
	ring_put_desc(&h->mem, DESC, 0, BUF, 12, NEXT, 1);
	ring_put_desc(&h->mem, DESC, 1, TABLE, 16, INDIRECT, 0);
	offer(h, 0);
	assert_int_equal(pop(h), 1);
	assert_int_equal(h->chain.nsegs, 2);
	assert_int_equal(h->chain.readable, 12);
	assert_int_equal(h->chain.writable, 4);
}

static void test_virtq_indirect_without_the_feature_is_refused(void **state)
{
	struct harness *h = *state;

	enable(h, false, false, 0);
	ring_put_desc(&h->mem, TABLE, 0, BUF, 16, 0, 0);
	ring_put_desc(&h->mem, DESC, 0, TABLE, 16, INDIRECT, 0);
	offer(h, 0);
	expect_violation(h, VIRTQ_E_INDIRECT_OFF);
}

static void test_virtq_indirect_with_next_is_refused(void **state)
{
	struct harness *h = *state;

	ring_put_desc(&h->mem, TABLE, 0, BUF, 16, 0, 0);
	ring_put_desc(&h->mem, DESC, 0, TABLE, 16, INDIRECT | NEXT, 1);
	ring_put_desc(&h->mem, DESC, 1, BUF, 16, 0, 0);
	offer(h, 0);
	expect_violation(h, VIRTQ_E_INDIRECT_NEXT);
}

static void test_virtq_nested_indirect_is_refused(void **state)
{
	struct harness *h = *state;

	ring_put_desc(&h->mem, TABLE, 0, TABLE + 0x100, 16, INDIRECT, 0);
	ring_put_desc(&h->mem, TABLE + 0x100, 0, BUF, 16, 0, 0);
	ring_put_desc(&h->mem, DESC, 0, TABLE, 16, INDIRECT, 0);
	offer(h, 0);
	expect_violation(h, VIRTQ_E_INDIRECT_NESTED);
}

static void expect_indirect_len_refused(struct harness *h, uint32_t len)
{
	ring_put_desc(&h->mem, DESC, 0, TABLE, len, INDIRECT, 0);
	offer(h, 0);
	expect_violation(h, VIRTQ_E_INDIRECT_LEN);
}

static void test_virtq_indirect_length_not_whole_descriptors_is_refused(void **state)
{
	expect_indirect_len_refused(*state, 24);
}

static void test_virtq_empty_indirect_table_is_refused(void **state)
{
	expect_indirect_len_refused(*state, 0);
}

static void test_virtq_indirect_table_larger_than_queue_is_refused(void **state)
{
	expect_indirect_len_refused(*state, 16 * (QSIZE + 1));
}

static void test_virtq_indirect_table_of_queue_size_is_accepted(void **state)
{
	struct harness *h = *state;

	for (unsigned i = 0; i < QSIZE; i++)
		ring_put_desc(&h->mem, TABLE, i, BUF, 4, i + 1 < QSIZE ? NEXT : 0, (uint16_t)(i + 1));
	ring_put_desc(&h->mem, DESC, 0, TABLE, 16 * QSIZE, INDIRECT, 0);
	offer(h, 0);
	assert_int_equal(pop(h), 1);
	assert_int_equal(h->chain.nsegs, QSIZE);
}

static void test_virtq_loop_inside_indirect_table_is_refused(void **state)
{
	struct harness *h = *state;

	ring_put_desc(&h->mem, TABLE, 0, BUF, 4, NEXT, 1);
	ring_put_desc(&h->mem, TABLE, 1, BUF, 4, NEXT, 0);
	ring_put_desc(&h->mem, DESC, 0, TABLE, 32, INDIRECT, 0);
	offer(h, 0);
	expect_violation(h, VIRTQ_E_CHAIN_LOOP);
}

static void test_virtq_next_beyond_indirect_table_is_refused(void **state)
{
	struct harness *h = *state;

	/* Entry 2 exists in the queue's table but not in this 2-entry table. */
	ring_put_desc(&h->mem, TABLE, 0, BUF, 4, NEXT, 2);
	ring_put_desc(&h->mem, DESC, 0, TABLE, 32, INDIRECT, 0);
	offer(h, 0);
	expect_violation(h, VIRTQ_E_NEXT_RANGE);
}

static void test_virtq_indirect_table_outside_ram_is_refused(void **state)
{
	struct harness *h = *state;

	ring_put_desc(&h->mem, DESC, 0, RAM_SIZE - 16, 32, INDIRECT, 0);
	offer(h, 0);
	expect_violation(h, VIRTQ_E_BUFFER_RANGE);
}

static void test_virtq_push_of_head_not_in_flight_is_refused_and_queue_lives(void **state)
{
	struct harness *h = *state;

	assert_int_equal(virtq_push(&h->vq, 3, 0), VIRTQ_E_NOT_IN_FLIGHT);
	assert_int_equal(virtq_push(&h->vq, QSIZE, 0), VIRTQ_E_NOT_IN_FLIGHT);
	assert_int_equal(used_idx(h), 0);
	offer_simple(h, 3, 8, 0);
	assert_int_equal(pop(h), 1);
}

static void test_virtq_push_of_more_than_writable_bytes_is_refused(void **state)
{
	struct harness *h = *state;

	ring_put_desc(&h->mem, DESC, 0, BUF, 10, NEXT, 1);
	ring_put_desc(&h->mem, DESC, 1, BUF + 0x100, 20, WRITE, 0);
	offer(h, 0);
	assert_int_equal(pop(h), 1);
	/* 30 bytes in the chain, but only 20 the device may write. */
	assert_int_equal(virtq_push(&h->vq, 0, 21), VIRTQ_E_WRITTEN);
	assert_int_equal(used_idx(h), 0);
	assert_int_equal(pop(h), VIRTQ_E_BROKEN);
}

static void test_virtq_push_of_exactly_writable_bytes_is_accepted(void **state)
{
	struct harness *h = *state;

	offer_simple(h, 0, 20, WRITE);
	assert_int_equal(pop(h), 1);
	assert_int_equal(virtq_push(&h->vq, 0, 20), 0);
	assert_int_equal(ring_get32(&h->mem, USED + 8), 20);
}

static void test_virtq_disable_and_enable_recovers_a_broken_queue(void **state)
{
	struct harness *h = *state;

	offer(h, QSIZE);
	assert_int_equal(pop(h), VIRTQ_E_HEAD_RANGE);
	virtq_disable(&h->vq);
	set_avail_idx(h, 0);
	enable(h, false, true, 0);
	offer_simple(h, 1, 8, 0);
	assert_int_equal(pop(h), 1);
}

static void expect_layout_refused(struct harness *h, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	struct virtq_layout l = { .size = size, .desc_gpa = desc, .avail_gpa = avail, .used_gpa = used };

	assert_int_equal(virtq_enable(&h->vq, &l), VIRTQ_E_LAYOUT);
	assert_false(h->vq.enabled);
	assert_int_equal(pop(h), 0);
}

static void test_virtq_enable_refuses_size_not_power_of_two(void **state)
{
	expect_layout_refused(*state, 6, DESC, AVAIL, USED);
	expect_layout_refused(*state, 0, DESC, AVAIL, USED);
}

static void test_virtq_enable_refuses_size_above_maximum(void **state)
{
	expect_layout_refused(*state, 2 * VIRTQ_MAX_SIZE, DESC, AVAIL, USED);
}

static void test_virtq_enable_refuses_misaligned_areas(void **state)
{
	/* §2.7: descriptor table 16, driver area 2, device area 4. */
	expect_layout_refused(*state, QSIZE, DESC + 8, AVAIL, USED);
	expect_layout_refused(*state, QSIZE, DESC, AVAIL + 1, USED);
	expect_layout_refused(*state, QSIZE, DESC, AVAIL, USED + 2);
}

static void test_virtq_enable_refuses_areas_outside_ram(void **state)
{
	/* Each area just too long for what is left of RAM. */
	expect_layout_refused(*state, QSIZE, RAM_SIZE - 16 * QSIZE + 16, AVAIL, USED);
	expect_layout_refused(*state, QSIZE, DESC, RAM_SIZE - (6 + 2 * QSIZE) + 2, USED);
	expect_layout_refused(*state, QSIZE, DESC, AVAIL, RAM_SIZE - (6 + 8 * QSIZE) - 2 + 4);
	expect_layout_refused(*state, QSIZE, 0xfec00000, AVAIL, USED);
}

static void expect_layout_accepted(struct harness *h, uint64_t desc, uint64_t avail, uint64_t used)
{
	struct virtq_layout l = { .size = QSIZE, .desc_gpa = desc, .avail_gpa = avail, .used_gpa = used };

	assert_int_equal(virtq_enable(&h->vq, &l), 0);
}

static void test_virtq_enable_accepts_areas_ending_at_end_of_ram(void **state)
{
	expect_layout_accepted(*state, RAM_SIZE - 16 * QSIZE, AVAIL, USED);
	expect_layout_accepted(*state, DESC, RAM_SIZE - (6 + 2 * QSIZE), USED);
	/* 6 + 8 * size is 2 mod 4: the last aligned place ends 2 bytes short. */
	expect_layout_accepted(*state, DESC, AVAIL, RAM_SIZE - (6 + 8 * QSIZE) - 2);
}

/* Pops and pushes n one-descriptor chains, moving both indexes by n. */
static void cycle(struct harness *h, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		offer_simple(h, 0, 8, WRITE);
		assert_int_equal(pop(h), 1);
		assert_int_equal(virtq_push(&h->vq, 0, 0), 0);
	}
}

static void test_virtq_indexes_wrap_at_65536(void **state)
{
	struct harness *h = *state;

	cycle(h, 65535);
	assert_int_equal(used_idx(h), 65535);
	offer_simple(h, 1, 8, 0);
	offer_simple(h, 2, 8, 0);
	/* avail->idx is now 1: two entries ahead of 65535, not 65534 behind. */
	assert_int_equal(h->avail_idx, 1);
	assert_int_equal(pop(h), 1);
	assert_int_equal(h->chain.head, 1);
	assert_int_equal(pop(h), 1);
	assert_int_equal(h->chain.head, 2);
	assert_int_equal(virtq_push(&h->vq, 1, 0), 0);
	assert_int_equal(used_idx(h), 0);
	/* ring[65535 % 8] = ring[7] held head 1. */
	assert_int_equal(ring_get32(&h->mem, USED + 4 + 8 * 7), 1);
}

static void test_virtq_notify_without_event_idx_follows_no_interrupt_flag(void **state)
{
	struct harness *h = *state;

	assert_false(virtq_should_notify(&h->vq)); /* nothing used yet */
	cycle(h, 1);
	assert_true(virtq_should_notify(&h->vq));
	assert_false(virtq_should_notify(&h->vq)); /* nothing new since */
	ring_put16(&h->mem, AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	cycle(h, 1);
	assert_false(virtq_should_notify(&h->vq));
	ring_put16(&h->mem, AVAIL, 0);
	cycle(h, 1);
	assert_true(virtq_should_notify(&h->vq));
}

static void test_virtq_notify_with_event_idx_when_used_event_is_reached(void **state)
{
	struct harness *h = *state;

	enable(h, true, true, 0);
	/* The no-interrupt flag means nothing with EVENT_IDX (§2.7.7.2). */
	ring_put16(&h->mem, AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	set_used_event(h, 0);
	cycle(h, 1); /* used 0 -> 1: entry 0 filled */
	assert_true(virtq_should_notify(&h->vq));
	set_used_event(h, 3);
	cycle(h, 2); /* 1 -> 3: entries 1, 2 */
	assert_false(virtq_should_notify(&h->vq));
	cycle(h, 1); /* 3 -> 4: entry 3 */
	assert_true(virtq_should_notify(&h->vq));
	set_used_event(h, 5);
	cycle(h, 3); /* 4 -> 7: entries 4, 5, 6 include 5 */
	assert_true(virtq_should_notify(&h->vq));
	set_used_event(h, 5); /* behind: already passed */
	cycle(h, 1);
	assert_false(virtq_should_notify(&h->vq));
}

static void test_virtq_notify_with_event_idx_across_index_wrap(void **state)
{
	struct harness *h = *state;

	enable(h, true, true, 0);
	set_used_event(h, 0xffff); /* never crossed while cycling up to 65534 */
	cycle(h, 65534);
	assert_false(virtq_should_notify(&h->vq));
	set_used_event(h, 0xffff);
	cycle(h, 2); /* 65534 -> 0: entries 65534, 65535 */
	assert_true(virtq_should_notify(&h->vq));
	set_used_event(h, 1);
	cycle(h, 1); /* 0 -> 1: entry 0 only */
	assert_false(virtq_should_notify(&h->vq));
	cycle(h, 1); /* 1 -> 2: entry 1 */
	assert_true(virtq_should_notify(&h->vq));
}

static void test_virtq_notify_with_event_idx_used_event_just_before_wrap(void **state)
{
	struct harness *h = *state;

	enable(h, true, true, 0);
	set_used_event(h, 0xfffe);
	cycle(h, 65533); /* up to 65533: 65534 not filled yet */
	assert_false(virtq_should_notify(&h->vq));
	cycle(h, 4); /* 65533 -> 1: entries 65533, 65534, 65535, 0 */
	assert_true(virtq_should_notify(&h->vq));
}

static void test_virtq_pop_with_event_idx_publishes_avail_event(void **state)
{
	struct harness *h = *state;

	enable(h, true, true, 0);
	offer_simple(h, 0, 8, 0);
	offer_simple(h, 1, 8, 0);
	assert_int_equal(pop(h), 1);
	assert_int_equal(avail_event(h), 1);
	assert_int_equal(pop(h), 1);
	assert_int_equal(avail_event(h), 2);
}

static void test_virtq_disabled_notify_with_event_idx_leaves_avail_event(void **state)
{
	struct harness *h = *state;

	enable(h, true, true, 0);
	virtq_disable_notify(&h->vq);
	offer_simple(h, 0, 8, 0);
	offer_simple(h, 1, 8, 0);
	assert_int_equal(pop(h), 1);
	assert_int_equal(avail_event(h), 0);
	assert_int_equal(ring_get16(&h->mem, USED), 0); /* used->flags untouched with EVENT_IDX */
	/* One chain still waits: enabling says so, and asks from entry 1 on. */
	assert_true(virtq_enable_notify(&h->vq));
	assert_int_equal(avail_event(h), 1);
	assert_int_equal(pop(h), 1);
	assert_false(virtq_enable_notify(&h->vq));
	assert_int_equal(avail_event(h), 2);
}

static void test_virtq_notify_suppression_without_event_idx_uses_used_flags(void **state)
{
	struct harness *h = *state;

	virtq_disable_notify(&h->vq);
	assert_int_equal(ring_get16(&h->mem, USED), VIRTQ_USED_F_NO_NOTIFY);
	assert_false(virtq_enable_notify(&h->vq));
	assert_int_equal(ring_get16(&h->mem, USED), 0);
	offer_simple(h, 0, 8, 0);
	virtq_disable_notify(&h->vq);
	assert_true(virtq_enable_notify(&h->vq));
}

static void test_virtq_chain_read_and_write_cross_segments(void **state)
{
	struct harness *h = *state;
	uint8_t out[8], in[6] = { 1, 2, 3, 4, 5, 6 }, back[6];

	assert_int_equal(guest_memory_write(&h->mem, BUF, "abcd", 4), 0);
	assert_int_equal(guest_memory_write(&h->mem, BUF + 0x100, "efgh", 4), 0);
	ring_put_desc(&h->mem, DESC, 0, BUF, 4, NEXT, 1);
	ring_put_desc(&h->mem, DESC, 1, BUF + 0x100, 4, NEXT, 2);
	ring_put_desc(&h->mem, DESC, 2, BUF + 0x200, 3, WRITE | NEXT, 3);
	ring_put_desc(&h->mem, DESC, 3, BUF + 0x300, 3, WRITE, 0);
	offer(h, 0);
	assert_int_equal(pop(h), 1);
	assert_int_equal(virtq_chain_read(&h->chain, 2, out, 8), 6);
	assert_memory_equal(out, "cdefgh", 6);
	/* Writes start after the readable part and stop at the chain's end. */
	assert_int_equal(virtq_chain_write(&h->vq, &h->chain, 1, in, 6), 5);
	assert_int_equal(guest_memory_read(&h->mem, BUF + 0x201, back, 2), 0);
	assert_memory_equal(back, in, 2);
	assert_int_equal(guest_memory_read(&h->mem, BUF + 0x300, back, 3), 0);
	assert_memory_equal(back, in + 2, 3);
}

struct announced {
	uint64_t gpa[8];
	uint64_t len[8];
	unsigned n;
};

static void record_write(void *opaque, uint64_t gpa, uint64_t len)
{
	struct announced *a = opaque;

	if (a->n < 8) {
		a->gpa[a->n] = gpa;
		a->len[a->n] = len;
	}
	a->n++;
}

static bool was_announced(const struct announced *a, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < a->n && i < 8; i++)
		if (a->gpa[i] <= gpa && gpa + len <= a->gpa[i] + a->len[i])
			return true;
	return false;
}

static void test_virtq_push_announces_the_used_ring_bytes_it_wrote(void **state)
{
	struct harness *h = *state;
	struct announced a = { .n = 0 };
	struct guest_memory_listener l = { .written = record_write, .opaque = &a };

	offer_simple(h, 0, 8, WRITE);
	assert_int_equal(pop(h), 1);
	guest_memory_listen(&h->mem, &l);
	assert_int_equal(virtq_push(&h->vq, 0, 8), 0);
	assert_int_equal(virtq_chain_write(&h->vq, &h->chain, 0, "x", 1), 1);
	guest_memory_unlisten(&h->mem, &l);
	/* A software engine must hear of every device write to guest RAM. */
	assert_true(was_announced(&a, USED + 4, 8)); /* ring[0] */
	assert_true(was_announced(&a, USED + 2, 2)); /* idx */
	assert_true(was_announced(&a, BUF, 1));
}

static void test_virtq_chain_over_4_gib_is_refused(void **state)
{
	struct harness big;
	struct virtq_layout l = { .size = QSIZE, .desc_gpa = DESC, .avail_gpa = AVAIL, .used_gpa = USED };
	char why[128];

	(void)state;
	/* 3 GiB of RAM, reserved but never touched beyond the rings. Two 2.5 GiB
	 * readable buffers total 5 GiB, which a 32-bit used length cannot count. */
	memset(&big, 0, sizeof(big));
	if (guest_memory_init(&big.mem, 3ull << 30, why, sizeof(why)))
		skip();
	virtq_init(&big.vq, &big.mem);
	assert_int_equal(virtq_enable(&big.vq, &l), 0);
	ring_put_desc(&big.mem, DESC, 0, 0, 0xa0000000u, NEXT, 1);
	ring_put_desc(&big.mem, DESC, 1, 0, 0xa0000000u, 0, 0);
	offer(&big, 0);
	big.chain = (struct virtq_chain){ .segs = big.segs, .cap = 64 };
	assert_int_equal(virtq_pop(&big.vq, &big.chain), VIRTQ_E_CHAIN_BYTES);
	guest_memory_destroy(&big.mem);
}

static void test_virtq_error_texts_name_each_error(void **state)
{
	(void)state;
	for (int e = VIRTQ_E_WRITTEN; e <= VIRTQ_E_LAYOUT; e++)
		assert_string_not_equal(virtq_error_text(e), "unknown error");
	assert_string_equal(virtq_error_text(1), "unknown error");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_virtq_pop_returns_readable_then_writable_segments),
		T(test_virtq_pop_of_empty_or_disabled_queue_is_nothing),
		T(test_virtq_push_writes_used_element_then_index),
		T(test_virtq_buffer_past_end_of_ram_is_refused),
		T(test_virtq_buffer_ending_at_last_byte_of_ram_is_accepted),
		T(test_virtq_buffer_in_mmio_hole_is_refused),
		T(test_virtq_buffer_wrapping_address_space_is_refused),
		T(test_virtq_chain_loop_is_refused),
		T(test_virtq_descriptor_pointing_at_itself_is_refused),
		T(test_virtq_chain_using_every_descriptor_once_is_accepted),
		T(test_virtq_next_beyond_table_is_refused),
		T(test_virtq_head_beyond_table_is_refused),
		T(test_virtq_readable_after_writable_is_refused),
		T(test_virtq_readable_after_empty_writable_is_refused),
		T(test_virtq_avail_index_jump_beyond_queue_size_is_refused),
		T(test_virtq_avail_index_a_whole_queue_ahead_is_accepted),
		T(test_virtq_head_offered_again_while_in_flight_is_refused),
		T(test_virtq_in_flight_cap_holds_back_chains_until_one_is_used),
		T(test_virtq_chain_longer_than_callers_array_is_refused),
		T(test_virtq_indirect_table_gives_its_descriptors),
		T(test_virtq_direct_descriptors_may_precede_an_indirect_one),
		T(test_virtq_indirect_without_the_feature_is_refused),
		T(test_virtq_indirect_with_next_is_refused),
		T(test_virtq_nested_indirect_is_refused),
		T(test_virtq_indirect_length_not_whole_descriptors_is_refused),
		T(test_virtq_empty_indirect_table_is_refused),
		T(test_virtq_indirect_table_larger_than_queue_is_refused),
		T(test_virtq_indirect_table_of_queue_size_is_accepted),
		T(test_virtq_loop_inside_indirect_table_is_refused),
		T(test_virtq_next_beyond_indirect_table_is_refused),
		T(test_virtq_indirect_table_outside_ram_is_refused),
		T(test_virtq_push_of_head_not_in_flight_is_refused_and_queue_lives),
		T(test_virtq_push_of_more_than_writable_bytes_is_refused),
		T(test_virtq_push_of_exactly_writable_bytes_is_accepted),
		T(test_virtq_disable_and_enable_recovers_a_broken_queue),
		T(test_virtq_enable_refuses_size_not_power_of_two),
		T(test_virtq_enable_refuses_size_above_maximum),
		T(test_virtq_enable_refuses_misaligned_areas),
		T(test_virtq_enable_refuses_areas_outside_ram),
		T(test_virtq_enable_accepts_areas_ending_at_end_of_ram),
		T(test_virtq_indexes_wrap_at_65536),
		T(test_virtq_notify_without_event_idx_follows_no_interrupt_flag),
		T(test_virtq_notify_with_event_idx_when_used_event_is_reached),
		T(test_virtq_notify_with_event_idx_across_index_wrap),
		T(test_virtq_notify_with_event_idx_used_event_just_before_wrap),
		T(test_virtq_pop_with_event_idx_publishes_avail_event),
		T(test_virtq_disabled_notify_with_event_idx_leaves_avail_event),
		T(test_virtq_notify_suppression_without_event_idx_uses_used_flags),
		T(test_virtq_chain_read_and_write_cross_segments),
		T(test_virtq_push_announces_the_used_ring_bytes_it_wrote),
		T(test_virtq_chain_over_4_gib_is_refused),
		T(test_virtq_error_texts_name_each_error),
	};

	return cmocka_run_group_tests_name("virtqueue", tests, NULL, NULL);
}
