/* The ACPI PM registers' saved state (src/devices/acpi_pm_state.c): enables,
 * a stored sleep type, a timer status raised and a PM timer that has run for
 * minutes come back into a fresh device on another clock, whose timer then
 * reads on from the same count (no jump, no stall) and raises TMR_STS at the
 * same carries; undefined bits, a count behind the carries already seen, a
 * point not within 0.2 s and short payloads are refused and change nothing.
 * Payload offsets (docs/snapshot-format.md, "acpi-pm"): PM1_STS 0, PM1_EN 2,
 * PM1_CNT 4, count 6, nanoseconds since 14, carries 22. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/acpi_pm.h"
#include "device_state_harness.h"
#include "unit_helpers.h"

#define PAYLOAD_BYTES 30
#define COUNT_AT 6
#define BACK_AT 14
#define CARRY_AT 22

struct pm {
	struct acpi_pm pm;
	uint64_t now;
	unsigned poweroffs;
};

static uint64_t fake_now(void *opaque)
{
	return ((struct pm *)opaque)->now;
}

static void poweroff(void *opaque)
{
	((struct pm *)opaque)->poweroffs++;
}

static void pm_init(struct pm *p, uint64_t now)
{
	memset(p, 0, sizeof(*p));
	p->now = now;
	acpi_pm_init(&p->pm, ACPI_PM_S5_SLEEP_TYPE, fake_now, p, poweroff, p);
}

static uint32_t tmr(struct pm *p)
{
	return (uint32_t)acpi_pm_tmr_ops.read(&p->pm, 0, 4);
}

/* TMR_EN and PWRBTN_EN enabled, SLP_TYP 3 stored (without SLP_EN), the
 * timer run 123.4567891 s, TMR_STS raised by its carries and not cleared. */
static void drive(struct pm *p)
{
	acpi_pm_evt_ops.write(&p->pm, 2, 2, 0x0101);
	acpi_pm_cnt_ops.write(&p->pm, 0, 2, 3u << 10);
	p->now += 123456789100ull;
	assert_int_equal(acpi_pm_evt_ops.read(&p->pm, 0, 2) & 1, 1);
}

/* What the guest reads from here: the timer every 0.37 s over 9 s, with
 * PM1_STS (cleared each time it shows TMR_STS), then PM1_EN and PM1_CNT. */
static void observe(struct pm *p, uint32_t out[64])
{
	unsigned n = 0;

	memset(out, 0, 64 * sizeof(out[0]));
	for (int i = 0; i < 25; i++) {
		uint32_t sts = (uint32_t)acpi_pm_evt_ops.read(&p->pm, 0, 2);

		out[n++] = tmr(p);
		out[n++] = sts;
		if (sts & 1)
			acpi_pm_evt_ops.write(&p->pm, 0, 2, 1);
		p->now += 370000000;
	}
	out[n++] = (uint32_t)acpi_pm_evt_ops.read(&p->pm, 2, 2);
	out[n++] = (uint32_t)acpi_pm_cnt_ops.read(&p->pm, 0, 2);
}

static void round_trip(uint64_t load_clock)
{
	struct pm *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer wa, wb;
	uint32_t seen_a[64], seen_b[64];

	assert_non_null(a);
	assert_non_null(b);
	pm_init(a, 5000000000ull);
	pm_init(b, load_clock);
	drive(a);
	payload_save(&acpi_pm_state_ops, &a->pm, a->now, &wa);
	assert_int_equal(wa.len, PAYLOAD_BYTES);
	assert_int_equal(payload_load(&acpi_pm_state_ops, &b->pm, wa.buf, wa.len, b->now), 0);
	payload_save(&acpi_pm_state_ops, &b->pm, b->now, &wb);
	assert_same_payload(&wa, &wb);
	assert_int_equal(tmr(b), tmr(a));
	observe(a, seen_a);
	observe(b, seen_b);
	assert_memory_equal(seen_a, seen_b, sizeof(seen_a));
	assert_int_equal(seen_b[50], 0x0101);
	assert_int_equal(seen_b[51], 3u << 10 | 1); /* SCI_EN reads 1 */
	acpi_pm_destroy(&a->pm);
	acpi_pm_destroy(&b->pm);
	free(a);
	free(b);
	state_writer_free(&wa);
	state_writer_free(&wb);
}

static void test_acpi_pm_state_timer_reads_on_from_the_same_count_on_a_later_clock(void **state)
{
	(void)state;
	round_trip(900000000000ull);
}

static void test_acpi_pm_state_timer_reads_on_from_the_same_count_on_an_earlier_clock(void **state)
{
	(void)state;
	/* The clock reads 0.3 s, the timer had run two minutes: whole fifths of a
	 * second go into the count. */
	round_trip(300000000ull);
}

static void test_acpi_pm_state_refuses_what_the_device_never_holds(void **state)
{
	struct pm *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer w;
	const struct device_state_ops *ops = &acpi_pm_state_ops;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	pm_init(a, 5000000000ull);
	pm_init(b, 5000000000ull);
	drive(a);
	drive(b);
	b->now += 1000;
	payload_save(ops, &a->pm, a->now, &w);
	assert_field_refused(ops, &b->pm, &w, 0, 2, 0x0100, b->now);	      /* PWRBTN_STS: no button */
	assert_field_refused(ops, &b->pm, &w, 2, 2, 0x0002, b->now);	      /* PM1_EN bit 1 */
	assert_field_refused(ops, &b->pm, &w, 4, 2, 0x2000, b->now);	      /* SLP_EN is never stored */
	assert_field_refused(ops, &b->pm, &w, BACK_AT, 8, 200000000, b->now); /* not folded */
	assert_field_refused(ops, &b->pm, &w, COUNT_AT, 8, 0, b->now);	      /* behind its carries */
	assert_field_refused(ops, &b->pm, &w, CARRY_AT, 8, 1000, b->now);     /* more carries than counted */
	assert_field_accepted(ops, &b->pm, &w, CARRY_AT, 8, 0, b->now);
	acpi_pm_destroy(&a->pm);
	acpi_pm_destroy(&b->pm);
	free(a);
	free(b);
	state_writer_free(&w);
}

static void test_acpi_pm_state_cut_short_is_refused(void **state)
{
	struct pm *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer w;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	pm_init(a, 5000000000ull);
	pm_init(b, 5000000000ull);
	drive(a);
	payload_save(&acpi_pm_state_ops, &a->pm, a->now, &w);
	assert_prefixes_refused(&acpi_pm_state_ops, &b->pm, &w, b->now);
	/* Still the fresh device: its timer has not moved. */
	assert_int_equal(tmr(b), 0);
	acpi_pm_destroy(&a->pm);
	acpi_pm_destroy(&b->pm);
	free(a);
	free(b);
	state_writer_free(&w);
}

static void test_acpi_pm_reset_clears_the_registers_and_keeps_the_timer(void **state)
{
	struct pm *a = calloc(1, sizeof(*a));
	uint32_t before;

	(void)state;
	assert_non_null(a);
	pm_init(a, 5000000000ull);
	drive(a);
	before = tmr(a);
	acpi_pm_state_ops.reset(&a->pm);
	assert_int_equal(acpi_pm_evt_ops.read(&a->pm, 0, 4), 0);
	assert_int_equal(acpi_pm_cnt_ops.read(&a->pm, 0, 2), 1);
	assert_int_equal(tmr(a), before);
	acpi_pm_destroy(&a->pm);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acpi_pm_state_timer_reads_on_from_the_same_count_on_a_later_clock),
		cmocka_unit_test(test_acpi_pm_state_timer_reads_on_from_the_same_count_on_an_earlier_clock),
		cmocka_unit_test(test_acpi_pm_state_refuses_what_the_device_never_holds),
		cmocka_unit_test(test_acpi_pm_state_cut_short_is_refused),
		cmocka_unit_test(test_acpi_pm_reset_clears_the_registers_and_keeps_the_timer),
	};

	return cmocka_run_group_tests_name("acpi_pm_state", tests, NULL, NULL);
}
