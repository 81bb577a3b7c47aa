/* The 8254's saved state (src/devices/pit8254_state.c): counters part-way
 * through their counts come back into a fresh PIT on another clock and go on
 * from where they were on it: the same counts read, the same IRQ 0 pulses at
 * the same distances, however far back the counts were written; payloads no
 * 8254 could have written, or cut short, are refused and change nothing.
 * Payload offsets (docs/snapshot-format.md, "pit"): 67 bytes per counter
 * (control word 0, mode 1, count 2, next count 6, loaded 10, pending 11,
 * pending tick 12, pending start 20, armed 28, triggered 29, null count 30,
 * gate 31, idle value 32, base distance 34, base ticks 42, ... pulse owed
 * 66), then port 0x61 at 201 and IRQ 0's level at 202. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/pit8254.h"
#include "device_state_harness.h"
#include "unit_helpers.h"

enum { CNT0 = 0, CNT1 = 1, CNT2 = 2, CONTROL = 3 };
#define CW(sc, rw, mode) ((uint8_t)((sc) << 6 | (rw) << 4 | (mode) << 1))
#define COUNTER_BYTES 67
#define PORT61_AT (3 * COUNTER_BYTES)
#define HZ 1193182ull
#define T0 5000000000ull

struct timer {
	struct pit8254 pit;
	uint64_t now;
	int levels[4096];
	unsigned nlevels;
};

static uint64_t fake_now(void *opaque)
{
	return ((struct timer *)opaque)->now;
}

static void record_irq(void *controller, unsigned pin, int level)
{
	struct timer *t = controller;

	(void)pin;
	if (t->nlevels < sizeof(t->levels) / sizeof(t->levels[0]))
		t->levels[t->nlevels++] = level;
}

static void timer_init(struct timer *t, uint64_t now)
{
	memset(t, 0, sizeof(*t));
	t->now = now;
	pit8254_init(&t->pit, (struct irq_line){ .set = record_irq, .controller = t, .pin = PIT8254_IRQ }, fake_now, t);
}

static uint8_t in(struct timer *t, unsigned port)
{
	return (uint8_t)pit8254_ops.read(&t->pit, port, 1);
}

static void out(struct timer *t, unsigned port, uint8_t v)
{
	pit8254_ops.write(&t->pit, port, 1, v);
}

static uint16_t latched(struct timer *t, unsigned cnt)
{
	uint8_t lsb;

	out(t, CONTROL, CW(cnt, 0, 0));
	lsb = in(t, cnt);
	return (uint16_t)(lsb | in(t, cnt) << 8);
}

/* Counter 0 in mode 2 (rate generator, 1000 clocks a period) written at T0,
 * counter 1 in mode 0 with 30000 written, counter 2 a square wave gated on
 * through port 0x61 with speaker data; then the clock runs `run` ns, the
 * timer thread's update runs, and counter 1 is latched with its LSB read (the
 * MSB still to come). */
static void drive(struct timer *t, uint64_t run)
{
	out(t, CONTROL, CW(CNT0, 3, 2));
	out(t, CNT0, 1000 & 0xff);
	out(t, CNT0, 1000 >> 8);
	out(t, CONTROL, CW(CNT1, 3, 0));
	out(t, CNT1, 30000 & 0xff);
	out(t, CNT1, 30000 >> 8);
	out(t, CONTROL, CW(CNT2, 3, 3));
	out(t, CNT2, 0x34);
	out(t, CNT2, 0x12);
	pit8254_port61_ops.write(&t->pit, 0, 1, 0x03);
	t->now += run;
	pit8254_update(&t->pit);
	out(t, CONTROL, CW(CNT1, 0, 0));
	(void)in(t, CNT1);
}

/* What a guest sees of the timer over the next few milliseconds, every 100
 * us: counter 0 and 2 latched, port 0x61's OUT2 bit, and the IRQ 0 pulses
 * the timer thread delivers. First the MSB of counter 1's pending latch. */
static void observe(struct timer *t, uint32_t out_values[64])
{
	unsigned n = 0, edges_before = t->nlevels;

	out_values[n++] = in(t, CNT1);
	for (int i = 0; i < 20; i++) {
		t->now += 100000;
		pit8254_update(&t->pit);
		out_values[n++] = latched(t, CNT0);
		out_values[n++] = latched(t, CNT2);
		out_values[n++] = pit8254_port61_ops.read(&t->pit, 0, 1) & 0x20;
	}
	out_values[n++] = t->nlevels - edges_before;
	while (n < 64)
		out_values[n++] = 0;
}

static void round_trip(uint64_t run, uint64_t load_clock)
{
	struct timer *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer wa, wb;
	uint32_t seen_a[64], seen_b[64];

	assert_non_null(a);
	assert_non_null(b);
	timer_init(a, T0);
	timer_init(b, load_clock);
	drive(a, run);
	payload_save(&pit8254_state_ops, &a->pit, a->now, &wa);
	assert_int_equal(wa.len, PORT61_AT + 2);
	assert_int_equal(payload_load(&pit8254_state_ops, &b->pit, wa.buf, wa.len, b->now), 0);
	payload_save(&pit8254_state_ops, &b->pit, b->now, &wb);
	assert_same_payload(&wa, &wb);
	observe(a, seen_a);
	observe(b, seen_b);
	assert_memory_equal(seen_a, seen_b, sizeof(seen_a));
	/* 2.0 ms at 1000 clocks (838 us) a period: two or three pulses, each a
	 * raise and a lower. */
	assert_true(seen_a[61] == 4 || seen_a[61] == 6);
	pit8254_destroy(&a->pit);
	pit8254_destroy(&b->pit);
	free(a);
	free(b);
	state_writer_free(&wa);
	state_writer_free(&wb);
}

static void test_pit_state_mid_count_goes_on_from_the_same_point_on_a_later_clock(void **state)
{
	(void)state;
	/* 123.456 us in (about 147 clocks), restored on a clock 7 s on. */
	round_trip(123456, T0 + 7000000000ull);
}

static void test_pit_state_mid_count_goes_on_from_the_same_point_on_an_earlier_clock(void **state)
{
	(void)state;
	/* Counts written 1000 s before the save, restored on a clock that reads
	 * 2 s: the whole half-seconds go into the count, exactly. */
	round_trip(1000000000000ull + 123456, 2000000000ull);
}

static void test_pit_state_refuses_values_no_8254_holds(void **state)
{
	struct timer *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer w;
	const size_t c2 = 2 * COUNTER_BYTES;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	timer_init(a, T0);
	timer_init(b, T0);
	drive(a, 123456);
	drive(b, 99999);
	payload_save(&pit8254_state_ops, &a->pit, a->now, &w);
	assert_field_refused(&pit8254_state_ops, &b->pit, &w, 1, 1, 6, b->now);	      /* mode 6 */
	assert_field_refused(&pit8254_state_ops, &b->pit, &w, 1, 1, 3, b->now);	      /* mode vs control word */
	assert_field_refused(&pit8254_state_ops, &b->pit, &w, 0, 1, 0x40, b->now);    /* control word bit 6 */
	assert_field_refused(&pit8254_state_ops, &b->pit, &w, 2, 4, 0, b->now);	      /* count 0 */
	assert_field_refused(&pit8254_state_ops, &b->pit, &w, 2, 4, 65537, b->now);   /* count 65537 */
	assert_field_refused(&pit8254_state_ops, &b->pit, &w, 6, 4, 70000, b->now);   /* next count */
	assert_field_refused(&pit8254_state_ops, &b->pit, &w, 11, 1, 1, b->now);      /* pending, no next count */
	assert_field_refused(&pit8254_state_ops, &b->pit, &w, 28, 1, 1, b->now);      /* armed in mode 2 */
	assert_field_refused(&pit8254_state_ops, &b->pit, &w, 31, 1, 0, b->now);      /* counter 0's gate low */
	assert_field_refused(&pit8254_state_ops, &b->pit, &w, c2 + 31, 1, 0, b->now); /* gate 2 vs port 0x61 */
	assert_field_refused(&pit8254_state_ops, &b->pit, &w, 34, 8, 1, b->now);      /* base in the future */
	assert_field_refused(&pit8254_state_ops, &b->pit, &w, 34, 8, (uint64_t)-500000000ll, b->now); /* unfolded */
	assert_field_refused(&pit8254_state_ops, &b->pit, &w, 42, 8, 1ull << 62, b->now);	      /* ticks */
	assert_field_refused(&pit8254_state_ops, &b->pit, &w, PORT61_AT, 1, 0x13, b->now);  /* port 0x61 bit 4 */
	assert_field_refused(&pit8254_state_ops, &b->pit, &w, PORT61_AT + 1, 1, 7, b->now); /* a level of 7 */
	assert_field_accepted(&pit8254_state_ops, &b->pit, &w, 2, 4, 65536, b->now);
	pit8254_destroy(&a->pit);
	pit8254_destroy(&b->pit);
	free(a);
	free(b);
	state_writer_free(&w);
}

static void test_pit_state_cut_short_is_refused(void **state)
{
	struct timer *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer w;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	timer_init(a, T0);
	timer_init(b, T0);
	drive(a, 123456);
	payload_save(&pit8254_state_ops, &a->pit, a->now, &w);
	assert_prefixes_refused(&pit8254_state_ops, &b->pit, &w, b->now);
	/* b still counts as a fresh 8254: counter 0 programmed now reads its count. */
	out(b, CONTROL, CW(CNT0, 3, 2));
	out(b, CNT0, 100);
	out(b, CNT0, 0);
	b->now += 1000000000ull / HZ + 1;
	assert_int_equal(latched(b, CNT0), 100);
	pit8254_destroy(&a->pit);
	pit8254_destroy(&b->pit);
	free(a);
	free(b);
	state_writer_free(&w);
}

static void test_pit_reset_is_the_power_on_state(void **state)
{
	struct timer *a = calloc(1, sizeof(*a)), *fresh = calloc(1, sizeof(*fresh));

	(void)state;
	assert_non_null(a);
	assert_non_null(fresh);
	timer_init(a, T0);
	drive(a, 123456);
	timer_init(fresh, a->now);
	assert_reset_is_power_on(&pit8254_state_ops, &a->pit, a->now, &fresh->pit, fresh->now);
	pit8254_destroy(&a->pit);
	pit8254_destroy(&fresh->pit);
	free(a);
	free(fresh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pit_state_mid_count_goes_on_from_the_same_point_on_a_later_clock),
		cmocka_unit_test(test_pit_state_mid_count_goes_on_from_the_same_point_on_an_earlier_clock),
		cmocka_unit_test(test_pit_state_refuses_values_no_8254_holds),
		cmocka_unit_test(test_pit_state_cut_short_is_refused),
		cmocka_unit_test(test_pit_reset_is_the_power_on_state),
	};

	return cmocka_run_group_tests_name("pit8254_state", tests, NULL, NULL);
}
