/* The I/O APIC's saved state (src/devices/ioapic_state.c): an I/O APIC with
 * a level-triggered entry waiting for its EOI (Remote IRR set, its input
 * still asserted), an edge entry and a masked one comes back into a fresh
 * one that sends the same messages for the same EOIs and edges; entries with
 * undefined bits, Remote IRR on an edge entry, a 5-bit ID, levels on pins
 * that do not exist or a short payload are refused and change nothing.
 * Payload offsets (docs/snapshot-format.md, "ioapic"): ID 0, IOREGSEL 1, pin
 * levels 2, redirection entry n at 6 + 8n. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/ioapic.h"
#include "device_state_harness.h"
#include "unit_helpers.h"

#define LOW_ACTIVE (1u << 13)
#define REMOTE_IRR (1u << 14)
#define LEVEL (1u << 15)
#define MASKED (1u << 16)
#define NOW 1000000000ull
#define ENTRY_AT(n) (6 + 8 * (n))

struct chip {
	struct ioapic io;
	uint8_t vectors[32]; /* of the messages sent */
	unsigned nmsg;
};

static void record(void *opaque, const struct ioapic_message *m)
{
	struct chip *c = opaque;

	if (c->nmsg < sizeof(c->vectors))
		c->vectors[c->nmsg] = m->vector;
	c->nmsg++;
}

static void chip_init(struct chip *c)
{
	const struct ioapic_env env = { .deliver = record, .opaque = c };

	memset(c, 0, sizeof(*c));
	ioapic_init(&c->io, 2, &env);
}

static void wr(struct chip *c, uint64_t off, uint32_t v)
{
	ioapic_ops.write(&c->io, off, 4, v);
}

static uint32_t rd(struct chip *c, uint64_t off)
{
	return (uint32_t)ioapic_ops.read(&c->io, off, 4);
}

static void set_entry(struct chip *c, unsigned pin, uint32_t lo, uint32_t hi)
{
	wr(c, 0x00, 0x11 + 2 * pin);
	wr(c, 0x10, hi);
	wr(c, 0x00, 0x10 + 2 * pin);
	wr(c, 0x10, lo);
}

/* ID 9; pin 4 edge, vector 0x34; pin 9 level and low active at vector 0x39,
 * its line low (asserted): sent, Remote IRR set; pin 2 masked at 0x32 with
 * its line high; IOREGSEL left on pin 9's high dword. */
static void drive(struct chip *c)
{
	wr(c, 0x00, 0x00);
	wr(c, 0x10, 9u << 24);
	set_entry(c, 4, 0x34, 0x01000000);
	set_entry(c, 2, MASKED | 0x32, 0);
	ioapic_set_irq(&c->io, 2, 1);
	set_entry(c, 9, LEVEL | LOW_ACTIVE | 0x39, 0);
	assert_int_equal(c->nmsg, 1);
	wr(c, 0x00, 0x10 + 2 * 9 + 1);
}

/* What the guest and the local APIC see from here. */
static void observe(struct chip *c, uint32_t out[16])
{
	memset(out, 0, 16 * sizeof(out[0]));
	c->nmsg = 0;
	out[0] = rd(c, 0x10); /* IOREGSEL kept: pin 9's high dword */
	wr(c, 0x00, 0x10 + 2 * 9);
	out[1] = rd(c, 0x10); /* Remote IRR among it */
	wr(c, 0x00, 0x00);
	out[2] = rd(c, 0x10);
	wr(c, 0x40, 0x39); /* EOI: pin 9 still asserted, sent again */
	ioapic_set_irq(&c->io, 4, 1);
	ioapic_set_irq(&c->io, 2, 0);
	set_entry(c, 2, 0x32, 0);     /* unmasked with its line low: nothing */
	ioapic_set_irq(&c->io, 9, 1); /* deasserted */
	wr(c, 0x40, 0x39);	      /* no resend */
	out[3] = c->nmsg;
	for (unsigned i = 0; i < c->nmsg && i < 8; i++)
		out[4 + i] = c->vectors[i];
}

static void test_ioapic_state_level_entry_waiting_for_eoi_comes_back(void **state)
{
	struct chip *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer wa, wb;
	uint32_t seen_a[16], seen_b[16];

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	chip_init(a);
	chip_init(b);
	drive(a);
	payload_save(&ioapic_state_ops, &a->io, NOW, &wa);
	assert_int_equal(wa.len, ENTRY_AT(IOAPIC_PINS));
	assert_int_equal(payload_load(&ioapic_state_ops, &b->io, wa.buf, wa.len, NOW), 0);
	assert_int_equal(b->nmsg, 0); /* a load sends nothing */
	payload_save(&ioapic_state_ops, &b->io, NOW, &wb);
	assert_same_payload(&wa, &wb);
	observe(a, seen_a);
	observe(b, seen_b);
	assert_memory_equal(seen_a, seen_b, sizeof(seen_a));
	assert_int_equal(seen_b[1] & REMOTE_IRR, REMOTE_IRR);
	assert_int_equal(seen_b[2], 9u << 24);
	assert_int_equal(seen_b[3], 2); /* 0x39 again, 0x34 */
	ioapic_destroy(&a->io);
	ioapic_destroy(&b->io);
	free(a);
	free(b);
	state_writer_free(&wa);
	state_writer_free(&wb);
}

static void test_ioapic_state_refuses_what_no_entry_holds(void **state)
{
	struct chip *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer w;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	chip_init(a);
	chip_init(b);
	drive(a);
	drive(b);
	ioapic_set_irq(&b->io, 7, 1);
	payload_save(&ioapic_state_ops, &a->io, NOW, &w);
	assert_field_refused(&ioapic_state_ops, &b->io, &w, 0, 1, 0x10, NOW);		   /* a 5-bit ID */
	assert_field_refused(&ioapic_state_ops, &b->io, &w, 2, 4, 1u << 24, NOW);	   /* pin 24 */
	assert_field_refused(&ioapic_state_ops, &b->io, &w, ENTRY_AT(4), 4, 0x1034, NOW);  /* delivery status */
	assert_field_refused(&ioapic_state_ops, &b->io, &w, ENTRY_AT(4), 4, 0x20034, NOW); /* bit 17 */
	assert_field_refused(&ioapic_state_ops, &b->io, &w, ENTRY_AT(4), 4, REMOTE_IRR | 0x34, NOW); /* edge */
	assert_field_refused(&ioapic_state_ops, &b->io, &w, ENTRY_AT(23) + 4, 4, 0x00ff0000, NOW);   /* bits 55:48 */
	assert_field_accepted(&ioapic_state_ops, &b->io, &w, 0, 1, 0x0f, NOW);
	ioapic_destroy(&a->io);
	ioapic_destroy(&b->io);
	free(a);
	free(b);
	state_writer_free(&w);
}

static void test_ioapic_state_cut_short_is_refused(void **state)
{
	struct chip *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer w;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	chip_init(a);
	chip_init(b);
	drive(a);
	payload_save(&ioapic_state_ops, &a->io, NOW, &w);
	assert_prefixes_refused(&ioapic_state_ops, &b->io, &w, NOW);
	/* Still the fresh I/O APIC: ID 2, every entry masked. */
	assert_int_equal(rd(b, 0x10), 2u << 24);
	ioapic_set_irq(&b->io, 9, 1);
	assert_int_equal(b->nmsg, 0);
	ioapic_destroy(&a->io);
	ioapic_destroy(&b->io);
	free(a);
	free(b);
	state_writer_free(&w);
}

static void test_ioapic_reset_is_the_power_on_state(void **state)
{
	struct chip *a = calloc(1, sizeof(*a)), *fresh = calloc(1, sizeof(*fresh));

	(void)state;
	assert_non_null(a);
	assert_non_null(fresh);
	chip_init(a);
	chip_init(fresh);
	drive(a);
	assert_reset_is_power_on(&ioapic_state_ops, &a->io, NOW, &fresh->io, NOW);
	ioapic_destroy(&a->io);
	ioapic_destroy(&fresh->io);
	free(a);
	free(fresh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ioapic_state_level_entry_waiting_for_eoi_comes_back),
		cmocka_unit_test(test_ioapic_state_refuses_what_no_entry_holds),
		cmocka_unit_test(test_ioapic_state_cut_short_is_refused),
		cmocka_unit_test(test_ioapic_reset_is_the_power_on_state),
	};

	return cmocka_run_group_tests_name("ioapic_state", tests, NULL, NULL);
}
