/* The 8254 interval timer (src/devices/pit8254.c) against the Intel 8254 data sheet
 * ("8254 Programmable Interval Timer"): "Control Word Format", "Read-Back
 * Command", "Status Byte", "Mode Definitions", and the PC/AT description of port
 * 0x61 (bit 0 gate 2, bit 1 speaker data, bit 4 refresh toggle, bit 5 OUT2).
 *
 * Time: the fake clock starts at T0; clk(h, t) puts it at the first nanosecond
 * by which t whole 1.193182 MHz periods have passed since the last count write
 * (which the tests do at T0). In the data sheet's terms the write is followed by
 * one clock that loads the count (t = 1, the counter reads N) and each further
 * clock decrements it: at clock t the counter reads N - (t - 1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/pit8254.h"
#include "unit_helpers.h"

enum { CNT0 = 0, CNT1 = 1, CNT2 = 2, CONTROL = 3 };

#define T0 5000000000ull
#define HZ 1193182ull
/* Control words: SC (7-6), RW (5-4: 1 LSB, 2 MSB, 3 LSB then MSB), mode (3-1), BCD. */
#define CW(sc, rw, mode) ((uint8_t)((sc) << 6 | (rw) << 4 | (mode) << 1))
/* Read-back: 11, /COUNT (bit 5), /STATUS (bit 4), CNT2..CNT0 (bits 3-1). */
#define RB_STATUS(cnt) ((uint8_t)(0xe0 | 2 << (cnt)))
#define RB_BOTH(cnt) ((uint8_t)(0xc0 | 2 << (cnt)))
#define ST_OUT 0x80
#define ST_NULL 0x40
#define P61_GATE2 0x01
#define P61_SPEAKER 0x02
#define P61_REFRESH 0x10
#define P61_OUT2 0x20

struct harness {
	struct pit8254 pit;
	uint64_t now;
	int levels[4096];
	unsigned nlevels;
	unsigned bad_pin;
};

static uint64_t fake_now(void *opaque)
{
	struct harness *h = opaque;

	return h->now;
}

static void record_irq(void *controller, unsigned pin, int level)
{
	struct harness *h = controller;

	if (pin != PIT8254_IRQ)
		h->bad_pin++;
	if (h->nlevels < sizeof(h->levels) / sizeof(h->levels[0]))
		h->levels[h->nlevels++] = level;
}

static int pit_setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));

	if (!h)
		return -1;
	h->now = T0;
	pit8254_init(&h->pit, (struct irq_line){ .set = record_irq, .controller = h, .pin = PIT8254_IRQ }, fake_now, h);
	*state = h;
	return 0;
}

static int pit_teardown(void **state)
{
	struct harness *h = *state;

	assert_int_equal(h->bad_pin, 0);
	pit8254_destroy(&h->pit);
	free(h);
	return 0;
}

/* The first nanosecond (since T0) by which t clock periods have passed. */
static uint64_t clk_ns(uint64_t t)
{
	return (t * 1000000000ull + HZ - 1) / HZ;
}

static void clk(struct harness *h, uint64_t t)
{
	h->now = T0 + clk_ns(t);
}

static uint8_t in(struct harness *h, unsigned port)
{
	return (uint8_t)pit8254_ops.read(&h->pit, port, 1);
}

static void out(struct harness *h, unsigned port, uint8_t v)
{
	pit8254_ops.write(&h->pit, port, 1, v);
}

static uint8_t in61(struct harness *h)
{
	return (uint8_t)pit8254_port61_ops.read(&h->pit, 0, 1);
}

static void out61(struct harness *h, uint8_t v)
{
	pit8254_port61_ops.write(&h->pit, 0, 1, v);
}

/* Mode `mode`, LSB then MSB, count n, written at T0. */
static void start(struct harness *h, unsigned cnt, unsigned mode, uint16_t n)
{
	h->now = T0;
	out(h, CONTROL, CW(cnt, 3, mode));
	out(h, cnt, (uint8_t)n);
	out(h, cnt, (uint8_t)(n >> 8));
}

/* Counter latch command, then LSB and MSB of the latched count. */
static uint16_t latched(struct harness *h, unsigned cnt)
{
	uint8_t lsb;

	out(h, CONTROL, CW(cnt, 0, 0));
	lsb = in(h, cnt);
	return (uint16_t)(lsb | in(h, cnt) << 8);
}

static uint8_t status(struct harness *h, unsigned cnt)
{
	out(h, CONTROL, RB_STATUS(cnt));
	return in(h, cnt);
}

static int irq_level(const struct harness *h)
{
	return h->nlevels ? h->levels[h->nlevels - 1] : 0;
}

static unsigned rising_edges(const struct harness *h)
{
	unsigned n = 0;

	for (unsigned i = 0; i < h->nlevels; i++)
		n += h->levels[i] && (i == 0 || !h->levels[i - 1]);
	return n;
}

static void test_pit_mode0_counts_down_and_out_rises_at_terminal_count(void **state)
{
	struct harness *h = *state;

	/* Mode 0: OUT low after the control word; N + 1 clocks after the count is
	 * written (one to load, N to reach 0) OUT goes high and stays high while the
	 * counter wraps on. N = 100. */
	start(h, CNT0, 0, 100);
	assert_int_equal(status(h, CNT0) & ST_OUT, 0);
	clk(h, 1);
	assert_int_equal(latched(h, CNT0), 100);
	clk(h, 51);
	assert_int_equal(latched(h, CNT0), 50);
	clk(h, 100);
	assert_int_equal(latched(h, CNT0), 1);
	assert_int_equal(status(h, CNT0) & ST_OUT, 0);
	assert_int_equal(irq_level(h), 0);
	clk(h, 101);
	assert_int_equal(latched(h, CNT0), 0);
	assert_int_equal(status(h, CNT0) & ST_OUT, ST_OUT);
	assert_int_equal(irq_level(h), 1);
	clk(h, 102);
	assert_int_equal(latched(h, CNT0), 0xffff);
	assert_int_equal(status(h, CNT0) & ST_OUT, ST_OUT);
	clk(h, 5000);
	assert_int_equal(status(h, CNT0) & ST_OUT, ST_OUT);
	assert_int_equal(rising_edges(h), 1);
}

static void test_pit_mode0_first_byte_of_new_count_stops_counting_and_lowers_out(void **state)
{
	struct harness *h = *state;

	start(h, CNT0, 0, 10);
	clk(h, 20); /* past terminal count: 10 - 19 wraps to 0xfff7 */
	assert_int_equal(latched(h, CNT0), 0xfff7);
	assert_int_equal(irq_level(h), 1);
	out(h, CNT0, 0x00); /* LSB of a new count: counting stops, OUT goes low */
	assert_int_equal(status(h, CNT0) & ST_OUT, 0);
	assert_int_equal(irq_level(h), 0);
	clk(h, 40);
	assert_int_equal(latched(h, CNT0), 0xfff7);
}

static void test_pit_mode2_period_is_n_clocks_and_counter_reloads(void **state)
{
	struct harness *h = *state;

	/* Mode 2, N = 10: loaded at clock 1, reaches 1 at clock 10 with OUT low for
	 * that one clock, reloaded with N at clock 11 (OUT high). Period 10. */
	start(h, CNT0, 2, 10);
	assert_int_equal(status(h, CNT0) & ST_OUT, ST_OUT);
	clk(h, 1);
	assert_int_equal(latched(h, CNT0), 10);
	clk(h, 9);
	assert_int_equal(latched(h, CNT0), 2);
	assert_int_equal(status(h, CNT0) & ST_OUT, ST_OUT);
	clk(h, 10);
	assert_int_equal(latched(h, CNT0), 1);
	assert_int_equal(status(h, CNT0) & ST_OUT, 0);
	clk(h, 11);
	assert_int_equal(latched(h, CNT0), 10);
	assert_int_equal(status(h, CNT0) & ST_OUT, ST_OUT);
	clk(h, 20);
	assert_int_equal(latched(h, CNT0), 1);
	assert_int_equal(status(h, CNT0) & ST_OUT, 0);
	clk(h, 21);
	assert_int_equal(latched(h, CNT0), 10);
}

static void test_pit_mode2_new_count_waits_for_end_of_period(void **state)
{
	struct harness *h = *state;

	/* "Writing a new count while counting does not affect the current counting
	 * sequence"; it is loaded at the end of the period (clock 11 for N = 10). */
	start(h, CNT0, 2, 10);
	clk(h, 5);
	out(h, CNT0, 100);
	out(h, CNT0, 0);
	assert_int_equal(latched(h, CNT0), 6);
	assert_int_equal(status(h, CNT0) & ST_NULL, ST_NULL);
	clk(h, 10);
	assert_int_equal(latched(h, CNT0), 1);
	clk(h, 11);
	assert_int_equal(latched(h, CNT0), 100);
	assert_int_equal(status(h, CNT0) & ST_NULL, 0);
	clk(h, 110); /* new period: 100 clocks from clock 11, low at clock 110 */
	assert_int_equal(latched(h, CNT0), 1);
	assert_int_equal(status(h, CNT0) & ST_OUT, 0);
}

static void test_pit_mode3_odd_count_is_high_one_clock_longer(void **state)
{
	struct harness *h = *state;
	/* N = 5: OUT high (N + 1) / 2 = 3 clocks, low (N - 1) / 2 = 2. In each half the
	 * counter loads N - 1 = 4 and decrements by two: 4, 2, 0 high; 4, 2 low. */
	static const uint16_t counts[] = { 4, 2, 0, 4, 2, 4, 2, 0, 4, 2 };
	static const int outs[] = { 1, 1, 1, 0, 0, 1, 1, 1, 0, 0 };

	start(h, CNT0, 3, 5);
	for (unsigned t = 1; t <= 10; t++) {
		clk(h, t);
		assert_int_equal(latched(h, CNT0), counts[t - 1]);
		assert_int_equal(!!(status(h, CNT0) & ST_OUT), outs[t - 1]);
		assert_int_equal(irq_level(h), outs[t - 1]); /* the line follows OUT0 */
	}
}

static void test_pit_mode3_even_count_has_equal_halves(void **state)
{
	struct harness *h = *state;
	/* N = 4: two clocks high (4, 2), two low (4, 2). */
	static const uint16_t counts[] = { 4, 2, 4, 2, 4, 2 };
	static const int outs[] = { 1, 1, 0, 0, 1, 1 };

	start(h, CNT0, 3, 4);
	for (unsigned t = 1; t <= 6; t++) {
		clk(h, t);
		assert_int_equal(latched(h, CNT0), counts[t - 1]);
		assert_int_equal(!!(status(h, CNT0) & ST_OUT), outs[t - 1]);
	}
}

static void test_pit_latch_freezes_count_while_counter_runs_on(void **state)
{
	struct harness *h = *state;
	uint8_t lsb, msb;

	start(h, CNT0, 2, 1000);
	clk(h, 101); /* 1000 - 100 */
	out(h, CONTROL, CW(CNT0, 0, 0));
	clk(h, 201);
	out(h, CONTROL, CW(CNT0, 0, 0)); /* ignored: the first latch is unread */
	clk(h, 301);
	lsb = in(h, CNT0);
	msb = in(h, CNT0);
	assert_int_equal(lsb | msb << 8, 900);
	/* Read, the latch lets go: the next reads see the running count. */
	lsb = in(h, CNT0);
	msb = in(h, CNT0);
	assert_int_equal(lsb | msb << 8, 700);
}

static void test_pit_lsb_only_and_msb_only_modes_read_and_write_one_byte(void **state)
{
	struct harness *h = *state;

	/* RW = 01: one byte, the LSB (count 0x0034); RW = 10: the MSB (0x1200). */
	out(h, CONTROL, CW(CNT1, 1, 0));
	out(h, CNT1, 0x34);
	clk(h, 1);
	assert_int_equal(in(h, CNT1), 0x34);
	assert_int_equal(in(h, CNT1), 0x34);
	h->now = T0;
	out(h, CONTROL, CW(CNT1, 2, 0));
	out(h, CNT1, 0x12);
	clk(h, 1);
	assert_int_equal(in(h, CNT1), 0x12);
	assert_int_equal(in(h, CNT1), 0x12);
	clk(h, 2); /* 0x11ff: the MSB changes */
	assert_int_equal(in(h, CNT1), 0x11);
}

static void test_pit_lsb_then_msb_writes_and_reads_alternate(void **state)
{
	struct harness *h = *state;

	out(h, CONTROL, CW(CNT1, 3, 0));
	out(h, CNT1, 0x34);
	out(h, CNT1, 0x12);
	clk(h, 1);
	assert_int_equal(in(h, CNT1), 0x34);
	assert_int_equal(in(h, CNT1), 0x12);
	assert_int_equal(in(h, CNT1), 0x34);
	assert_int_equal(in(h, CNT1), 0x12);
	/* Reads and writes have separate byte pointers, so they may interleave. At
	 * clock 5 (count 0x1230) an LSB write stops mode 0 counting; the MSB write
	 * loads 0x5678. */
	clk(h, 5);
	out(h, CNT1, 0x78);
	out(h, CONTROL, CW(CNT1, 0, 0));
	assert_int_equal(in(h, CNT1), 0x30);
	out(h, CNT1, 0x56);
	assert_int_equal(in(h, CNT1), 0x12);
	h->now += clk_ns(1);
	assert_int_equal(latched(h, CNT1), 0x5678);
}

static void test_pit_read_back_status_reports_out_null_count_rw_mode_bcd(void **state)
{
	struct harness *h = *state;

	/* Status: OUTPUT (7), NULL COUNT (6), then control word bits 5-0. Mode 3,
	 * LSB/MSB: OUT high at once, null count until the count is loaded. */
	out(h, CONTROL, CW(CNT1, 3, 3));
	assert_int_equal(status(h, CNT1), ST_OUT | ST_NULL | 0x36);
	out(h, CNT1, 0x00);
	out(h, CNT1, 0x10);
	assert_int_equal(status(h, CNT1), ST_OUT | ST_NULL | 0x36);
	clk(h, 1);
	assert_int_equal(status(h, CNT1), ST_OUT | 0x36);
	/* Mode 0, LSB only, BCD: OUT low. */
	out(h, CONTROL, CW(CNT1, 1, 0) | 1);
	assert_int_equal(status(h, CNT1), ST_NULL | 0x11);
	/* Status and count latched together: status first, then the count. */
	start(h, CNT1, 4, 0x2345);
	clk(h, 2);
	out(h, CONTROL, RB_BOTH(CNT1));
	clk(h, 50);
	assert_int_equal(in(h, CNT1), ST_OUT | 0x38);
	assert_int_equal(in(h, CNT1), 0x44);
	assert_int_equal(in(h, CNT1), 0x23);
}

static void test_pit_read_back_latches_several_counters_at_once(void **state)
{
	struct harness *h = *state;

	start(h, CNT0, 2, 300);
	start(h, CNT1, 2, 200);
	clk(h, 11);
	out(h, CONTROL, 0xc0 | 0x10 | 0x06); /* count only (/STATUS set), counters 0 and 1 */
	clk(h, 99);
	assert_int_equal(in(h, CNT0), 290 & 0xff);
	assert_int_equal(in(h, CNT0), 290 >> 8);
	assert_int_equal(in(h, CNT1), 190);
	assert_int_equal(in(h, CNT1), 0);
}

static void test_pit_counter2_counts_only_with_port61_gate(void **state)
{
	struct harness *h = *state;

	out61(h, P61_GATE2);
	start(h, CNT2, 0, 100);
	clk(h, 11);
	assert_int_equal(latched(h, CNT2), 90);
	out61(h, 0); /* gate low: mode 0 suspends counting */
	h->now += clk_ns(50);
	assert_int_equal(latched(h, CNT2), 90);
	out61(h, P61_GATE2);
	uint64_t resumed = h->now;
	h->now = resumed + clk_ns(10);
	assert_int_equal(latched(h, CNT2), 80);
	assert_int_equal(in61(h) & P61_OUT2, 0);
	/* 80 more clocks reach 0: OUT2 high, seen in bit 5. */
	h->now = resumed + clk_ns(89);
	assert_int_equal(in61(h) & P61_OUT2, 0);
	h->now = resumed + clk_ns(90);
	assert_int_equal(in61(h) & P61_OUT2, P61_OUT2);
	assert_int_equal(in61(h) & P61_GATE2, P61_GATE2);
	/* Counter 2 does not drive IRQ 0. */
	assert_int_equal(h->nlevels, 0);
}

static void test_pit_mode2_gate_rising_edge_reloads_counter2(void **state)
{
	struct harness *h = *state;

	out61(h, P61_GATE2);
	start(h, CNT2, 2, 50);
	clk(h, 21);
	assert_int_equal(latched(h, CNT2), 30);
	out61(h, 0);
	assert_int_equal(in61(h) & P61_OUT2, P61_OUT2); /* gate low forces OUT high */
	out61(h, P61_GATE2);
	uint64_t rose = h->now;
	h->now = rose + clk_ns(1);
	assert_int_equal(latched(h, CNT2), 50);
	h->now = rose + clk_ns(50);
	assert_int_equal(in61(h) & P61_OUT2, 0);
}

static void test_pit_port61_bits_read_back_and_refresh_toggles(void **state)
{
	struct harness *h = *state;
	uint8_t a, b;

	out61(h, P61_SPEAKER | P61_OUT2 | P61_REFRESH);
	/* Bit 1 is stored; bits 4 and 5 are not writable; gate 2 low, mode 0 without
	 * a count: OUT2 low. */
	assert_int_equal(in61(h) & (P61_GATE2 | P61_SPEAKER | P61_OUT2), P61_SPEAKER);
	/* The refresh bit flips every 18 clocks (15.09 us). */
	a = in61(h) & P61_REFRESH;
	h->now += clk_ns(18);
	b = in61(h) & P61_REFRESH;
	assert_int_not_equal(a, b);
	h->now += clk_ns(18);
	assert_int_equal(in61(h) & P61_REFRESH, a);
}

static void test_pit_linux_tsc_calibration_sequence(void **state)
{
	struct harness *h = *state;

	/* quick_pit_calibrate(): gate on, speaker off; counter 2 mode 0 binary,
	 * LSB/MSB (0xb0), count 0xffff; then reads LSB, MSB pairs and waits for the
	 * MSB to step down. The count at clock t is 0xffff - (t - 1), so the MSB is
	 * 0xff - i for t - 1 in [256 i, 256 i + 255]. */
	out61(h, (uint8_t)((in61(h) & ~P61_SPEAKER) | P61_GATE2));
	h->now = T0;
	out(h, CONTROL, 0xb0);
	out(h, CNT2, 0xff);
	out(h, CNT2, 0xff);
	for (unsigned i = 0; i < 32; i++) {
		clk(h, 256 * i + 1);
		(void)in(h, CNT2);
		assert_int_equal(in(h, CNT2), 0xff - i);
		clk(h, 256 * i + 256);
		(void)in(h, CNT2);
		assert_int_equal(in(h, CNT2), 0xff - i);
	}
	/* OUT2 (bit 5) rises at terminal count: clock 0xffff + 1. */
	clk(h, 0xffff);
	assert_int_equal(in61(h) & P61_OUT2, 0);
	clk(h, 0x10000);
	assert_int_equal(in61(h) & P61_OUT2, P61_OUT2);

	/* pit_calibrate_tsc(): count 1193182 / 20 = 59659 (50 ms), polls bit 5. */
	h->now = T0;
	out(h, CONTROL, 0xb0);
	out(h, CNT2, 59659 & 0xff);
	out(h, CNT2, 59659 >> 8);
	clk(h, 59659);
	assert_int_equal(in61(h) & P61_OUT2, 0);
	clk(h, 59660);
	assert_int_equal(in61(h) & P61_OUT2, P61_OUT2);
	/* 59660 clocks are 50.0001 ms. */
	assert_in_range(h->now - T0, 50000000, 50001000);
}

static void test_pit_mode2_one_irq_edge_per_period_at_1khz(void **state)
{
	struct harness *h = *state;
	uint64_t prev = T0;

	/* Divisor 1193: a period of 1193 / 1193182 s = 999.847 us. The strobe of
	 * period k ends (OUT0 back high) at clock 1193 k + 1; the first period also
	 * holds the loading clock (1194 clocks, 1000.686 us). */
	start(h, CNT0, 2, 1193);
	assert_int_equal(rising_edges(h), 0);
	for (unsigned k = 1; k <= 1000; k++) {
		uint64_t at = pit8254_next_event_ns(&h->pit);

		assert_int_equal(at, T0 + clk_ns(1193ull * k + 1));
		assert_in_range(at - prev, k == 1 ? 1000685 : 999846, k == 1 ? 1000687 : 999849);
		prev = at;
		h->now = at - 1;
		pit8254_update(&h->pit);
		assert_int_equal(rising_edges(h), k - 1);
		h->now = at;
		pit8254_update(&h->pit);
		pit8254_update(&h->pit);
		assert_int_equal(rising_edges(h), k);
		assert_int_equal(irq_level(h), 0); /* raised, then lowered */
	}
	/* 1000 periods and the loading clock: 1193001 clocks, 0.999848 s. */
	assert_in_range(h->now - T0, 999848000, 999849000);
}

static void test_pit_late_update_coalesces_missed_periods(void **state)
{
	struct harness *h = *state;

	start(h, CNT0, 2, 100);
	clk(h, 1000);
	pit8254_update(&h->pit);
	assert_int_equal(rising_edges(h), 1);
	assert_int_equal(pit8254_next_event_ns(&h->pit), T0 + clk_ns(1001));
}

static void test_pit_mode0_next_event_is_terminal_count_then_none(void **state)
{
	struct harness *h = *state;

	start(h, CNT0, 0, 500);
	assert_int_equal(pit8254_next_event_ns(&h->pit), T0 + clk_ns(501));
	h->now = T0 + clk_ns(501);
	pit8254_update(&h->pit);
	assert_int_equal(irq_level(h), 1);
	assert_int_equal(pit8254_next_event_ns(&h->pit), UINT64_MAX);
}

static void test_pit_mode3_next_event_follows_square_wave_halves(void **state)
{
	struct harness *h = *state;

	/* N = 11: high clocks 1-6, low 7-11, high again from 12. */
	start(h, CNT0, 3, 11);
	assert_int_equal(pit8254_next_event_ns(&h->pit), T0 + clk_ns(7));
	clk(h, 7);
	pit8254_update(&h->pit);
	assert_int_equal(irq_level(h), 0);
	assert_int_equal(pit8254_next_event_ns(&h->pit), T0 + clk_ns(12));
	clk(h, 12);
	pit8254_update(&h->pit);
	assert_int_equal(irq_level(h), 1);
	assert_int_equal(pit8254_next_event_ns(&h->pit), T0 + clk_ns(18));
}

static void test_pit_count_of_zero_means_65536(void **state)
{
	struct harness *h = *state;

	start(h, CNT0, 2, 0);
	clk(h, 1);
	assert_int_equal(latched(h, CNT0), 0); /* 65536 in 16 bits */
	clk(h, 2);
	assert_int_equal(latched(h, CNT0), 0xffff);
	clk(h, 65536);
	assert_int_equal(latched(h, CNT0), 1);
	assert_int_equal(status(h, CNT0) & ST_OUT, 0);
	assert_int_equal(pit8254_next_event_ns(&h->pit), T0 + clk_ns(65537));
}

static void test_pit_mode4_strobe_is_one_pulse(void **state)
{
	struct harness *h = *state;

	/* Mode 4: OUT high, low for the one clock after the count reaches 0 (clock
	 * N + 1), then high; no reload. */
	start(h, CNT0, 4, 20);
	clk(h, 21);
	assert_int_equal(status(h, CNT0) & ST_OUT, 0);
	assert_int_equal(pit8254_next_event_ns(&h->pit), T0 + clk_ns(22));
	clk(h, 22);
	pit8254_update(&h->pit);
	assert_int_equal(rising_edges(h), 1);
	assert_int_equal(pit8254_next_event_ns(&h->pit), UINT64_MAX);
}

static void test_pit_wide_accesses_go_byte_by_byte(void **state)
{
	struct harness *h = *state;

	/* A 16-bit write at offset 0 in LSB/MSB mode writes both bytes of counter 0;
	 * the control port reads as all ones; bytes past port 0x43 read 0xff. */
	out(h, CONTROL, CW(CNT0, 3, 0));
	pit8254_ops.write(&h->pit, 0, 1, 0x34);
	pit8254_ops.write(&h->pit, 0, 1, 0x12);
	clk(h, 1);
	assert_int_equal(latched(h, CNT0), 0x1234);
	assert_int_equal(pit8254_ops.read(&h->pit, 3, 2), 0xffff);
	assert_int_equal(pit8254_port61_ops.read(&h->pit, 0, 2) >> 8, 0xff);
}

#define PIT_TEST(f) cmocka_unit_test_setup_teardown(f, pit_setup, pit_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PIT_TEST(test_pit_mode0_counts_down_and_out_rises_at_terminal_count),
		PIT_TEST(test_pit_mode0_first_byte_of_new_count_stops_counting_and_lowers_out),
		PIT_TEST(test_pit_mode2_period_is_n_clocks_and_counter_reloads),
		PIT_TEST(test_pit_mode2_new_count_waits_for_end_of_period),
		PIT_TEST(test_pit_mode3_odd_count_is_high_one_clock_longer),
		PIT_TEST(test_pit_mode3_even_count_has_equal_halves),
		PIT_TEST(test_pit_latch_freezes_count_while_counter_runs_on),
		PIT_TEST(test_pit_lsb_only_and_msb_only_modes_read_and_write_one_byte),
		PIT_TEST(test_pit_lsb_then_msb_writes_and_reads_alternate),
		PIT_TEST(test_pit_read_back_status_reports_out_null_count_rw_mode_bcd),
		PIT_TEST(test_pit_read_back_latches_several_counters_at_once),
		PIT_TEST(test_pit_counter2_counts_only_with_port61_gate),
		PIT_TEST(test_pit_mode2_gate_rising_edge_reloads_counter2),
		PIT_TEST(test_pit_port61_bits_read_back_and_refresh_toggles),
		PIT_TEST(test_pit_linux_tsc_calibration_sequence),
		PIT_TEST(test_pit_mode2_one_irq_edge_per_period_at_1khz),
		PIT_TEST(test_pit_late_update_coalesces_missed_periods),
		PIT_TEST(test_pit_mode0_next_event_is_terminal_count_then_none),
		PIT_TEST(test_pit_mode3_next_event_follows_square_wave_halves),
		PIT_TEST(test_pit_count_of_zero_means_65536),
		PIT_TEST(test_pit_mode4_strobe_is_one_pulse),
		PIT_TEST(test_pit_wide_accesses_go_byte_by_byte),
	};

	return cmocka_run_group_tests_name("pit8254", tests, NULL, NULL);
}
