/* The RTC and CMOS RAM's saved state (src/devices/rtc_cmos_state.c): a clock
 * the guest has set, with its periodic, alarm and update interrupts enabled
 * and a flag raised, BIOS bytes stored and the index port left with NMIs
 * disabled, comes back into a fresh RTC: the guest's time keeps its offset
 * from the host's wall clock, the periodic flag keeps its phase on another
 * monotonic clock, and the guest reads the same registers; values no MC146818
 * holds, offsets beyond any settable year or deadlines beyond a period, and
 * short payloads are refused and change nothing. Payload offsets
 * (docs/snapshot-format.md, "rtc"): CMOS 0-127, index 128, NMI disabled 129,
 * offset 130, update second 138, periodic deadline 146, IRQ level 154. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/rtc_cmos.h"
#include "device_state_harness.h"
#include "unit_helpers.h"

#define T_2026_11_21_073045 1795246245ll
#define PAYLOAD_BYTES 155
#define OFFSET_AT 130
#define LAST_AT 138
#define PF_AT 146

struct clock_chip {
	struct rtc_cmos rtc;
	int64_t now_s;
	uint64_t now_ns;
	int level;
};

static int64_t fake_now_s(void *opaque)
{
	return ((struct clock_chip *)opaque)->now_s;
}

static uint64_t fake_now_ns(void *opaque)
{
	return ((struct clock_chip *)opaque)->now_ns;
}

static void record_irq(void *controller, unsigned pin, int level)
{
	(void)pin;
	((struct clock_chip *)controller)->level = level;
}

static void chip_init(struct clock_chip *c, int64_t wall_s, uint64_t mono_ns)
{
	memset(c, 0, sizeof(*c));
	c->now_s = wall_s;
	c->now_ns = mono_ns;
	rtc_cmos_init(&c->rtc, (struct irq_line){ .set = record_irq, .controller = c, .pin = RTC_CMOS_IRQ },
		      (struct rtc_clock){ .now_s = fake_now_s, .now_ns = fake_now_ns, .opaque = c });
}

static uint8_t cmos_read(struct clock_chip *c, uint8_t index)
{
	rtc_cmos_ops.write(&c->rtc, 0, 1, index);
	return (uint8_t)rtc_cmos_ops.read(&c->rtc, 1, 1);
}

static void cmos_write(struct clock_chip *c, uint8_t index, uint8_t v)
{
	rtc_cmos_ops.write(&c->rtc, 0, 1, index);
	rtc_cmos_ops.write(&c->rtc, 1, 1, v);
}

/* The guest sets its clock to 1999-12-31 23:59:50 (binary, 24-hour), the
 * alarm to 23:59:55, rate 6 (976.5625 us) with the periodic, alarm and
 * update interrupts enabled, stores a byte at 0x40, runs 2.5 ms, reads C
 * once (taking the flags raised so far) and runs another 1.7 ms; the index
 * port is left at 0x0c with NMIs disabled. */
static void drive(struct clock_chip *c)
{
	cmos_write(c, 0x0b, 0x86);
	cmos_write(c, 0x00, 50);
	cmos_write(c, 0x02, 59);
	cmos_write(c, 0x04, 23);
	cmos_write(c, 0x07, 31);
	cmos_write(c, 0x08, 12);
	cmos_write(c, 0x09, 99);
	cmos_write(c, 0x32, 19);
	cmos_write(c, 0x01, 55);
	cmos_write(c, 0x03, 59);
	cmos_write(c, 0x05, 23);
	cmos_write(c, 0x0a, 0x26);
	cmos_write(c, 0x0b, 0x76);
	cmos_write(c, 0x40, 0xa5);
	c->now_ns += 2500000;
	rtc_cmos_update(&c->rtc);
	(void)cmos_read(c, 0x0c);
	c->now_ns += 1700000;
	rtc_cmos_update(&c->rtc);
	rtc_cmos_ops.write(&c->rtc, 0, 1, 0x8c);
	assert_int_equal(c->level, 1);
}

/* What the guest reads from here: port 0x70, the time, the periodic flag's
 * next due time, then C over 10 s in 50 ms steps (the alarm comes at 23:59:55
 * and the update flag every second), and the BIOS byte. */
static void observe(struct clock_chip *c, uint32_t out[256])
{
	unsigned n = 0;

	memset(out, 0, 256 * sizeof(out[0]));
	out[n++] = (uint32_t)rtc_cmos_ops.read(&c->rtc, 0, 1);
	out[n++] = (uint32_t)rtc_cmos_update(&c->rtc);
	for (uint8_t i = 0; i <= 9; i++)
		out[n++] = cmos_read(c, i);
	for (int step = 0; step < 200; step++) {
		c->now_ns += 50000000;
		if (step % 20 == 0)
			c->now_s++;
		rtc_cmos_update(&c->rtc);
		out[n] = (uint32_t)c->level << 8;
		out[n++] |= cmos_read(c, 0x0c);
	}
	out[n++] = cmos_read(c, 0x40);
	out[n++] = cmos_read(c, 0x00);
}

static void round_trip(int64_t wall_shift)
{
	struct clock_chip *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer wa, wb;
	uint32_t seen_a[256], seen_b[256];

	assert_non_null(a);
	assert_non_null(b);
	chip_init(a, T_2026_11_21_073045, 5000000000ull);
	drive(a);
	chip_init(b, T_2026_11_21_073045 + wall_shift, 777000000000ull);
	payload_save(&rtc_cmos_state_ops, &a->rtc, a->now_ns, &wa);
	assert_int_equal(wa.len, PAYLOAD_BYTES);
	assert_int_equal(payload_load(&rtc_cmos_state_ops, &b->rtc, wa.buf, wa.len, b->now_ns), 0);
	payload_save(&rtc_cmos_state_ops, &b->rtc, b->now_ns, &wb);
	assert_same_payload(&wa, &wb);
	/* The line as the controller holds it came back with the state. */
	b->level = 1;
	a->now_s += wall_shift;
	observe(a, seen_a);
	observe(b, seen_b);
	assert_memory_equal(seen_a, seen_b, sizeof(seen_a));
	assert_int_equal(seen_b[0], 0x8c);
	assert_true(seen_b[1] > 0 && seen_b[1] <= 976562);
	assert_int_equal(seen_b[212], 0xa5);
	{
		uint32_t flags = 0;

		for (int i = 12; i < 212; i++)
			flags |= seen_b[i];
		/* The line raised, IRQF, PF and UF seen; AF too unless the guest's
		 * clock moved on past the alarm with the wall clock. */
		assert_int_equal(flags & 0x1f0, wall_shift ? 0x1d0 : 0x1f0);
	}
	rtc_cmos_destroy(&a->rtc);
	rtc_cmos_destroy(&b->rtc);
	free(a);
	free(b);
	state_writer_free(&wa);
	state_writer_free(&wb);
}

static void test_rtc_state_set_clock_and_periodic_phase_come_back(void **state)
{
	(void)state;
	round_trip(0);
}

static void test_rtc_state_guest_time_keeps_its_offset_from_a_later_wall_clock(void **state)
{
	(void)state;
	/* Restored an hour later: the guest's clock is an hour on too, like a
	 * PC's that was switched off, and reads as a's would have. */
	round_trip(3600);
}

static void test_rtc_state_refuses_what_no_mc146818_holds(void **state)
{
	struct clock_chip *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer w;
	const struct device_state_ops *ops = &rtc_cmos_state_ops;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	chip_init(a, T_2026_11_21_073045, 5000000000ull);
	chip_init(b, T_2026_11_21_073045, 5000000000ull);
	drive(a);
	drive(b);
	(void)cmos_read(b, 0x0c);
	payload_save(ops, &a->rtc, a->now_ns, &w);
	assert_field_refused(ops, &b->rtc, &w, 0x0a, 1, 0xa6, b->now_ns);	     /* UIP stored */
	assert_field_refused(ops, &b->rtc, &w, 0x0b, 1, 0x96, b->now_ns);	     /* SET with UIE */
	assert_field_refused(ops, &b->rtc, &w, 0x0c, 1, 0x80, b->now_ns);	     /* IRQF is derived */
	assert_field_refused(ops, &b->rtc, &w, 0x0d, 1, 0x00, b->now_ns);	     /* VRT always 1 */
	assert_field_refused(ops, &b->rtc, &w, 128, 1, 0x80, b->now_ns);	     /* index 128 */
	assert_field_refused(ops, &b->rtc, &w, 129, 1, 2, b->now_ns);		     /* a flag of 2 */
	assert_field_refused(ops, &b->rtc, &w, OFFSET_AT, 8, 1ull << 40, b->now_ns); /* 35,000 years on */
	assert_field_refused(ops, &b->rtc, &w, LAST_AT, 8, (uint64_t) - (1ll << 40), b->now_ns);
	assert_field_refused(ops, &b->rtc, &w, PF_AT, 8, 976563, b->now_ns);		  /* beyond a period */
	assert_field_refused(ops, &b->rtc, &w, PF_AT, 8, (uint64_t)-976562ll, b->now_ns); /* folded */
	assert_field_accepted(ops, &b->rtc, &w, PF_AT, 8, 976562, b->now_ns);
	assert_field_accepted(ops, &b->rtc, &w, OFFSET_AT, 8, (uint64_t) - (int64_t)T_2026_11_21_073045, b->now_ns);
	rtc_cmos_destroy(&a->rtc);
	rtc_cmos_destroy(&b->rtc);
	free(a);
	free(b);
	state_writer_free(&w);
}

static void test_rtc_state_cut_short_is_refused(void **state)
{
	struct clock_chip *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer w;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	chip_init(a, T_2026_11_21_073045, 5000000000ull);
	chip_init(b, T_2026_11_21_073045, 5000000000ull);
	drive(a);
	payload_save(&rtc_cmos_state_ops, &a->rtc, a->now_ns, &w);
	assert_prefixes_refused(&rtc_cmos_state_ops, &b->rtc, &w, b->now_ns);
	/* Still the fresh RTC: the host's time (07:30:45, BCD) and no interrupt. */
	assert_int_equal(cmos_read(b, 0x04), 0x07);
	assert_int_equal(cmos_read(b, 0x0c), 0);
	rtc_cmos_destroy(&a->rtc);
	rtc_cmos_destroy(&b->rtc);
	free(a);
	free(b);
	state_writer_free(&w);
}

static void test_rtc_reset_is_the_power_on_state(void **state)
{
	struct clock_chip *a = calloc(1, sizeof(*a)), *fresh = calloc(1, sizeof(*fresh));

	(void)state;
	assert_non_null(a);
	assert_non_null(fresh);
	chip_init(a, T_2026_11_21_073045, 5000000000ull);
	drive(a);
	chip_init(fresh, a->now_s, a->now_ns);
	assert_reset_is_power_on(&rtc_cmos_state_ops, &a->rtc, a->now_ns, &fresh->rtc, fresh->now_ns);
	rtc_cmos_destroy(&a->rtc);
	rtc_cmos_destroy(&fresh->rtc);
	free(a);
	free(fresh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtc_state_set_clock_and_periodic_phase_come_back),
		cmocka_unit_test(test_rtc_state_guest_time_keeps_its_offset_from_a_later_wall_clock),
		cmocka_unit_test(test_rtc_state_refuses_what_no_mc146818_holds),
		cmocka_unit_test(test_rtc_state_cut_short_is_refused),
		cmocka_unit_test(test_rtc_reset_is_the_power_on_state),
	};

	return cmocka_run_group_tests_name("rtc_cmos_state", tests, NULL, NULL);
}
