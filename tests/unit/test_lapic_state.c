/* The local APIC's saved state (src/devices/lapic_state.c, with the timer's
 * save point in lapic_timer.c): a LAPIC with interrupts requested and in
 * service, an error collected, LINT0 asserted and its timer armed comes back
 * into a fresh LAPIC on another clock, whose timer then reads the same counts
 * and fires after the same remaining time, and which hands the CPU the same
 * vectors; registers with bits no guest can set, a timer state no timer
 * reaches, another APIC's ID or a short payload are refused and change
 * nothing. Payload offsets (docs/snapshot-format.md, "lapic0"): ID 0, TPR 1,
 * LDR 5, DFR 9, SVR 13, ICR 17 and 21, LVT 25 + 4i, divide configuration 49,
 * IRR 53, ISR 85, TMR 117, ESR 149, errors collected 153, error armed 157,
 * LINT0 158, LINT1 159, ExtINT 160, NMI 161, initial count 162, ticks left
 * 166, phase 170. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/lapic.h"
#include "device_state_harness.h"
#include "unit_helpers.h"

#define APIC_ID 3
#define TPR 0x080
#define EOI 0x0b0
#define LDR 0x0d0
#define DFR 0x0e0
#define SVR 0x0f0
#define ESR 0x280
#define ICR_LO 0x300
#define LVT_TIMER 0x320
#define LVT_LINT0 0x350
#define LVT_ERROR 0x370
#define INITIAL_COUNT 0x380
#define CURRENT_COUNT 0x390
#define DIVIDE 0x3e0
#define PERIODIC 0x20000u
#define LEVEL 0x8000u
#define PAYLOAD_BYTES 178
#define LVT_AT(i) (25 + 4 * (i))
#define IRR_AT 53
#define LEFT_AT 166
#define PHASE_AT 170

struct apic {
	struct lapic l;
	uint64_t now;
	unsigned timer_changed;
};

static uint64_t fake_now(void *opaque)
{
	return ((struct apic *)opaque)->now;
}

static void on_timer_changed(void *opaque)
{
	((struct apic *)opaque)->timer_changed++;
}

static int on_inta(void *opaque)
{
	(void)opaque;
	return 0x30;
}

static void apic_init(struct apic *a, uint64_t now)
{
	const struct lapic_env env = {
		.now_ns = fake_now, .extint_acknowledge = on_inta, .timer_changed = on_timer_changed, .opaque = a
	};

	memset(a, 0, sizeof(*a));
	a->now = now;
	lapic_init(&a->l, APIC_ID, &env);
}

static uint32_t rd(struct apic *a, unsigned offset)
{
	return (uint32_t)lapic_ops.read(&a->l, offset, 4);
}

static void wr(struct apic *a, unsigned offset, uint32_t v)
{
	lapic_ops.write(&a->l, offset, 4, v);
}

/* TPR 0x20, logical ID 0x04 in the cluster model, LINT0 as a fixed
 * level-triggered pin (vector 0x70) held asserted, an illegal self-IPI
 * (vector 5) collected in the errors with the error interrupt masked, 0x50
 * (level) and 0x60 requested and 0x60 taken; the timer periodic at vector
 * 0x40, divide by 16, 1000 ticks (16 us) a period, then `run` ns later. */
static void drive(struct apic *a, uint64_t run)
{
	wr(a, TPR, 0x20);
	wr(a, LDR, 0x04000000);
	wr(a, DFR, 0x0fffffff);
	wr(a, LVT_ERROR, 0x10000 | 0xfe);
	wr(a, ICR_LO, 0x40000 | 5);
	wr(a, LVT_LINT0, LEVEL | 0x70);
	lapic_set_lint(&a->l, 0, 1);
	lapic_deliver(&a->l, 0x50, LAPIC_DM_FIXED, true);
	lapic_deliver(&a->l, 0x60, LAPIC_DM_FIXED, false);
	assert_int_equal(lapic_acknowledge(&a->l), 0x70); /* the pin's 0x70 outranks both */
	wr(a, EOI, 0);
	assert_int_equal(lapic_acknowledge(&a->l), 0x70); /* asserted still: requested again */
	wr(a, DIVIDE, 0x3);
	wr(a, LVT_TIMER, PERIODIC | 0x40);
	wr(a, INITIAL_COUNT, 1000);
	a->now += run;
	lapic_update(&a->l);
}

/* What the CPU and the guest see from here: the timer's next event from now,
 * the current count at a few points, then the vectors taken and ended one by
 * one (LINT0 lowered after the second, so the pin stops asking). */
static void observe(struct apic *a, uint64_t out[40])
{
	unsigned n = 0;

	memset(out, 0, 40 * sizeof(out[0]));
	out[n++] = lapic_next_event_ns(&a->l) - a->now;
	for (int i = 0; i < 5; i++) {
		out[n++] = rd(a, CURRENT_COUNT);
		a->now += 7777;
	}
	lapic_update(&a->l);
	for (int i = 0; i < 6; i++) {
		if (i == 2)
			lapic_set_lint(&a->l, 0, 0);
		out[n++] = lapic_pending(&a->l);
		out[n++] = (uint64_t)lapic_acknowledge(&a->l);
		wr(a, EOI, 0);
	}
	out[n++] = rd(a, TPR);
	out[n++] = rd(a, LDR);
	out[n++] = rd(a, DFR);
	wr(a, ESR, 0);
	out[n++] = rd(a, ESR);
}

static void round_trip(uint64_t run, uint64_t t0, uint64_t load_clock)
{
	struct apic *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer wa, wb;
	uint64_t seen_a[40], seen_b[40];

	assert_non_null(a);
	assert_non_null(b);
	apic_init(a, t0);
	apic_init(b, load_clock);
	drive(a, run);
	/* Two periods and more pass with nothing looking at the timer: the save
	 * itself brings it up to date. */
	a->now += 33333;
	payload_save(&lapic_state_ops, &a->l, a->now, &wa);
	assert_int_equal(wa.len, PAYLOAD_BYTES);
	assert_int_equal(payload_load(&lapic_state_ops, &b->l, wa.buf, wa.len, b->now), 0);
	assert_int_equal(b->timer_changed, 1); /* the VM's timer thread looks again */
	payload_save(&lapic_state_ops, &b->l, b->now, &wb);
	assert_same_payload(&wa, &wb);
	observe(a, seen_a);
	observe(b, seen_b);
	assert_memory_equal(seen_a, seen_b, sizeof(seen_a));
	assert_true(seen_a[0] > 0 && seen_a[0] <= 16000); /* within a period */
	lapic_destroy(&a->l);
	lapic_destroy(&b->l);
	free(a);
	free(b);
	state_writer_free(&wa);
	state_writer_free(&wb);
}

static void test_lapic_state_armed_timer_fires_after_the_same_remaining_time_on_a_later_clock(void **state)
{
	(void)state;
	/* 5.3 periods in, restored on a clock 1000 s on. */
	round_trip(5 * 16000 + 4801, 1000000000ull, 1000000000000ull);
}

static void test_lapic_state_armed_timer_fires_after_the_same_remaining_time_on_an_earlier_clock(void **state)
{
	(void)state;
	/* Armed a day before the save, restored on a clock that reads 1 ms. */
	round_trip(86400ull * 1000000000ull + 4801, 1000000000000ull, 1000000ull);
}

static void test_lapic_state_refuses_what_no_guest_can_set(void **state)
{
	struct apic *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer w;
	const struct device_state_ops *ops = &lapic_state_ops;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	apic_init(a, 1000000000ull);
	apic_init(b, 1000000000ull);
	drive(a, 4801);
	drive(b, 9999);
	payload_save(ops, &a->l, a->now, &w);
	assert_field_refused(ops, &b->l, &w, 0, 1, APIC_ID + 1, b->now);     /* another APIC's */
	assert_field_refused(ops, &b->l, &w, 1, 4, 0x100, b->now);	     /* TPR bit 8 */
	assert_field_refused(ops, &b->l, &w, 9, 4, 0xf0000000, b->now);	     /* DFR bits 27:0 read 1 */
	assert_field_refused(ops, &b->l, &w, 13, 4, 0x3ff, b->now);	     /* SVR bit 9 */
	assert_field_refused(ops, &b->l, &w, 13, 4, 0x0ff, b->now);	     /* disabled, LVTs unmasked */
	assert_field_refused(ops, &b->l, &w, 17, 4, 0x1000, b->now);	     /* ICR delivery status */
	assert_field_refused(ops, &b->l, &w, LVT_AT(0), 4, 0x40040, b->now); /* TSC-deadline mode */
	assert_field_refused(ops, &b->l, &w, LVT_AT(0), 4, 0x24040, b->now); /* remote IRR on the timer */
	assert_field_refused(ops, &b->l, &w, 49, 4, 0x4, b->now);	     /* divide bit 2 */
	assert_field_refused(ops, &b->l, &w, IRR_AT, 4, 0x20, b->now);	     /* vector 5 requested */
	assert_field_refused(ops, &b->l, &w, 149, 4, 0x01, b->now);	     /* ESR bit 0 */
	assert_field_refused(ops, &b->l, &w, 157, 1, 2, b->now);	     /* a flag of 2 */
	assert_field_refused(ops, &b->l, &w, LEFT_AT, 4, 1001, b->now);	     /* more than the initial count */
	assert_field_refused(ops, &b->l, &w, PHASE_AT, 8, 16, b->now);	     /* a whole tick */
	assert_field_accepted(ops, &b->l, &w, PHASE_AT, 8, 15, b->now);
	assert_field_accepted(ops, &b->l, &w, LEFT_AT, 4, 1000, b->now);
	lapic_destroy(&a->l);
	lapic_destroy(&b->l);
	free(a);
	free(b);
	state_writer_free(&w);
}

static void test_lapic_state_stopped_timer_with_a_phase_is_refused(void **state)
{
	struct apic *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer w;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	apic_init(a, 1000000000ull);
	apic_init(b, 1000000000ull);
	payload_save(&lapic_state_ops, &a->l, a->now, &w); /* timer stopped: 0 left, phase 0 */
	assert_field_refused(&lapic_state_ops, &b->l, &w, PHASE_AT, 8, 1, b->now);
	assert_field_refused(&lapic_state_ops, &b->l, &w, LEFT_AT, 4, 1, b->now); /* initial count 0 */
	lapic_destroy(&a->l);
	lapic_destroy(&b->l);
	free(a);
	free(b);
	state_writer_free(&w);
}

static void test_lapic_state_cut_short_is_refused(void **state)
{
	struct apic *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer w;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	apic_init(a, 1000000000ull);
	apic_init(b, 1000000000ull);
	drive(a, 4801);
	payload_save(&lapic_state_ops, &a->l, a->now, &w);
	assert_prefixes_refused(&lapic_state_ops, &b->l, &w, b->now);
	/* Still the fresh LAPIC: virtual wire, nothing pending, timer stopped. */
	assert_false(lapic_pending(&b->l));
	assert_int_equal(rd(b, SVR), 0x1ff);
	assert_int_equal(lapic_next_event_ns(&b->l), UINT64_MAX);
	lapic_destroy(&a->l);
	lapic_destroy(&b->l);
	free(a);
	free(b);
	state_writer_free(&w);
}

static void test_lapic_reset_is_the_power_on_state(void **state)
{
	struct apic *a = calloc(1, sizeof(*a)), *fresh = calloc(1, sizeof(*fresh));

	(void)state;
	assert_non_null(a);
	assert_non_null(fresh);
	apic_init(a, 1000000000ull);
	drive(a, 4801);
	apic_init(fresh, a->now);
	assert_reset_is_power_on(&lapic_state_ops, &a->l, a->now, &fresh->l, fresh->now);
	lapic_destroy(&a->l);
	lapic_destroy(&fresh->l);
	free(a);
	free(fresh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lapic_state_armed_timer_fires_after_the_same_remaining_time_on_a_later_clock),
		cmocka_unit_test(test_lapic_state_armed_timer_fires_after_the_same_remaining_time_on_an_earlier_clock),
		cmocka_unit_test(test_lapic_state_refuses_what_no_guest_can_set),
		cmocka_unit_test(test_lapic_state_stopped_timer_with_a_phase_is_refused),
		cmocka_unit_test(test_lapic_state_cut_short_is_refused),
		cmocka_unit_test(test_lapic_reset_is_the_power_on_state),
	};

	return cmocka_run_group_tests_name("lapic_state", tests, NULL, NULL);
}
