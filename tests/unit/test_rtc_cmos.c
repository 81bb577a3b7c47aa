/* The CMOS RTC (src/devices/rtc_cmos.c) against the Motorola MC146818 data sheet:
 * "Address Map" (0 seconds, 1 alarm seconds, 2 minutes, 3 alarm minutes, 4 hours,
 * 5 alarm hours, 6 day of week with Sunday = 1, 7 day of month, 8 month, 9 year,
 * 0x0a-0x0d registers A-D), "Time, Calendar and Alarm Data Modes" (BCD or binary
 * by B's DM bit, 12-hour mode with bit 7 of the hour = PM), and the register
 * descriptions: A bit 7 UIP, bits 6-4 DV, 3-0 RS; B bit 7 SET, 6 PIE, 5 AIE,
 * 4 UIE, 2 DM (1 = binary), 1 24/12 (1 = 24-hour); C bit 7 IRQF, 6 PF, 5 AF,
 * 4 UF; D bit 7 VRT. PC usage: index at port 0x70 with bit 7 gating NMI, data at
 * 0x71, century at CMOS 0x32.
 *
 * The reference time is 2026-11-21 07:30:45 UTC, a Saturday: 1795246245 seconds
 * after the epoch (20778 days of 86400 s plus 7 * 3600 + 30 * 60 + 45 = 27045). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/rtc_cmos.h"
#include "unit_helpers.h"
#include "vm/bus.h"

#define T_2026_11_21_073045 1795246245ll
#define DAY 86400ll

enum { SEC, ALARM_SEC, MIN, ALARM_MIN, HOUR, ALARM_HOUR, WDAY, MDAY, MON, YEAR, REG_A, REG_B, REG_C, REG_D };

#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_DM_BINARY 0x04
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10

#define TEST_PIN 8

struct harness {
	struct io_bus bus;
	struct rtc_cmos rtc;
	int64_t now_s;
	uint64_t now_ns;
	int level;
	unsigned edges;
	unsigned bad_pin;
};

static int64_t fake_now_s(void *opaque)
{
	return ((struct harness *)opaque)->now_s;
}

static uint64_t fake_now_ns(void *opaque)
{
	return ((struct harness *)opaque)->now_ns;
}

static void record_irq(void *controller, unsigned pin, int level)
{
	struct harness *h = controller;

	if (pin != TEST_PIN)
		h->bad_pin++;
	h->level = level;
	h->edges++;
}

static int rtc_setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));

	if (!h)
		return -1;
	h->now_s = T_2026_11_21_073045;
	h->now_ns = 1000000000ull;
	io_bus_init(&h->bus, "port");
	rtc_cmos_init(&h->rtc, (struct irq_line){ .set = record_irq, .controller = h, .pin = TEST_PIN },
		      (struct rtc_clock){ .now_s = fake_now_s, .now_ns = fake_now_ns, .opaque = h });
	if (io_bus_register(&h->bus, RTC_CMOS_PORT, RTC_CMOS_LEN, "rtc", &rtc_cmos_ops, &h->rtc)) {
		rtc_cmos_destroy(&h->rtc);
		io_bus_destroy(&h->bus);
		free(h);
		return -1;
	}
	*state = h;
	return 0;
}

static int rtc_teardown(void **state)
{
	struct harness *h = *state;

	assert_int_equal(h->bad_pin, 0);
	rtc_cmos_destroy(&h->rtc);
	io_bus_destroy(&h->bus);
	free(h);
	return 0;
}

static uint8_t cmos_read(struct harness *h, uint8_t index)
{
	io_bus_write(&h->bus, 0x70, 1, index);
	return (uint8_t)io_bus_read(&h->bus, 0x71, 1);
}

static void cmos_write(struct harness *h, uint8_t index, uint8_t value)
{
	io_bus_write(&h->bus, 0x70, 1, index);
	io_bus_write(&h->bus, 0x71, 1, value);
}

static void assert_time(struct harness *h, const uint8_t expected[10])
{
	static const uint8_t regs[] = { SEC, MIN, HOUR, WDAY, MDAY, MON, YEAR };

	for (unsigned i = 0; i < sizeof(regs); i++)
		assert_int_equal(cmos_read(h, regs[i]), expected[regs[i]]);
}

static void test_rtc_reads_fake_time_in_bcd_24_hour_by_default(void **state)
{
	struct harness *h = *state;
	/* 45 s, 30 min, 7 h, Saturday = 7, the 21st, November, (20)26. */
	const uint8_t bcd[10] = {
		[SEC] = 0x45, [MIN] = 0x30, [HOUR] = 0x07, [WDAY] = 0x07, [MDAY] = 0x21, [MON] = 0x11, [YEAR] = 0x26
	};

	assert_int_equal(cmos_read(h, REG_B), B_24H);
	assert_time(h, bcd);
	assert_int_equal(cmos_read(h, RTC_CMOS_CENTURY), 0x20);
}

static void test_rtc_reads_fake_time_in_binary(void **state)
{
	struct harness *h = *state;
	const uint8_t bin[10] = {
		[SEC] = 45, [MIN] = 30, [HOUR] = 7, [WDAY] = 7, [MDAY] = 21, [MON] = 11, [YEAR] = 26
	};

	cmos_write(h, REG_B, B_24H | B_DM_BINARY);
	assert_time(h, bin);
	assert_int_equal(cmos_read(h, SEC), 0x2d);
	assert_int_equal(cmos_read(h, MDAY), 0x15);
	assert_int_equal(cmos_read(h, YEAR), 0x1a);
}

static void test_rtc_12_hour_mode_sets_bit_7_for_pm(void **state)
{
	struct harness *h = *state;

	cmos_write(h, REG_B, 0); /* 12-hour, BCD */
	assert_int_equal(cmos_read(h, HOUR), 0x07);
	h->now_s += 12 * 3600; /* 19:30:45 */
	assert_int_equal(cmos_read(h, HOUR), 0x87);
	h->now_s += 4 * 3600; /* 23:30:45 */
	assert_int_equal(cmos_read(h, HOUR), 0x91);
	h->now_s += 3600; /* 00:30:45 next day: 12 AM */
	assert_int_equal(cmos_read(h, HOUR), 0x12);
	h->now_s += 12 * 3600; /* 12:30:45: 12 PM */
	assert_int_equal(cmos_read(h, HOUR), 0x92);
	cmos_write(h, REG_B, B_DM_BINARY); /* 12-hour, binary */
	h->now_s += 11 * 3600;		   /* 23:30:45 */
	assert_int_equal(cmos_read(h, HOUR), 0x8b);
}

static void test_rtc_time_follows_the_host_clock(void **state)
{
	struct harness *h = *state;

	h->now_s += 75; /* 07:32:00 */
	assert_int_equal(cmos_read(h, SEC), 0x00);
	assert_int_equal(cmos_read(h, MIN), 0x32);
	h->now_s = T_2026_11_21_073045 + 40 * DAY; /* 2026-12-31, a Thursday */
	assert_int_equal(cmos_read(h, MDAY), 0x31);
	assert_int_equal(cmos_read(h, MON), 0x12);
	assert_int_equal(cmos_read(h, WDAY), 0x05);
	h->now_s += DAY; /* 2027-01-01 */
	assert_int_equal(cmos_read(h, MDAY), 0x01);
	assert_int_equal(cmos_read(h, MON), 0x01);
	assert_int_equal(cmos_read(h, YEAR), 0x27);
}

static void test_rtc_linux_get_time_sequence(void **state)
{
	struct harness *h = *state;
	unsigned spins = 0;

	/* mc146818_get_time: wait for UIP (A bit 7) to clear, then read. */
	while (cmos_read(h, REG_A) & 0x80)
		assert_true(++spins < 1000);
	assert_int_equal(cmos_read(h, SEC), 0x45);
	assert_int_equal(cmos_read(h, MIN), 0x30);
	assert_int_equal(cmos_read(h, HOUR), 0x07);
	assert_int_equal(cmos_read(h, MDAY), 0x21);
	assert_int_equal(cmos_read(h, MON), 0x11);
	assert_int_equal(cmos_read(h, YEAR), 0x26);
	assert_int_equal(cmos_read(h, REG_B) & B_DM_BINARY, 0);
	assert_int_equal(cmos_read(h, RTC_CMOS_CENTURY), 0x20);
}

static void test_rtc_guest_write_moves_only_the_guests_clock(void **state)
{
	struct harness *h = *state;
	struct rtc_cmos other;

	cmos_write(h, YEAR, 0x27);
	assert_int_equal(cmos_read(h, YEAR), 0x27);
	assert_int_equal(cmos_read(h, SEC), 0x45);
	assert_int_equal(h->rtc.offset_s, 365 * DAY);
	assert_int_equal(h->now_s, T_2026_11_21_073045);
	/* Another RTC on the same host clock still reads the host's time. */
	rtc_cmos_init(&other, (struct irq_line){ 0 }, (struct rtc_clock){ .now_s = fake_now_s, .opaque = h });
	assert_int_equal(other.cmos[YEAR], 0x26);
	rtc_cmos_destroy(&other);
	/* And the guest's clock keeps running with the host's. */
	h->now_s += 5;
	assert_int_equal(cmos_read(h, SEC), 0x50);
	assert_int_equal(cmos_read(h, YEAR), 0x27);
}

static void test_rtc_set_bit_freezes_the_clock_until_cleared(void **state)
{
	struct harness *h = *state;

	cmos_write(h, REG_B, B_24H | B_SET);
	h->now_s += 10;
	assert_int_equal(cmos_read(h, SEC), 0x45);
	cmos_write(h, SEC, 0x00);
	cmos_write(h, MIN, 0x00);
	cmos_write(h, HOUR, 0x23);
	h->now_s += 10;
	assert_int_equal(cmos_read(h, MIN), 0x00);
	cmos_write(h, REG_B, B_24H);
	assert_int_equal(cmos_read(h, HOUR), 0x23);
	assert_int_equal(cmos_read(h, MIN), 0x00);
	assert_int_equal(cmos_read(h, SEC), 0x00);
	h->now_s += 3605;
	assert_int_equal(cmos_read(h, SEC), 0x05);
	assert_int_equal(cmos_read(h, HOUR), 0x00);
	assert_int_equal(cmos_read(h, MDAY), 0x22);
}

static void test_rtc_register_c_is_cleared_by_reading(void **state)
{
	struct harness *h = *state;

	assert_int_equal(cmos_read(h, REG_C), 0);
	h->now_s++;
	/* UF is set at the update even with UIE off; IRQF then stays clear. */
	assert_int_equal(cmos_read(h, REG_C), C_UF);
	assert_int_equal(cmos_read(h, REG_C), 0);
	assert_int_equal(h->edges, 0);
}

static void test_rtc_update_ended_interrupt_raises_irq_8_until_c_is_read(void **state)
{
	struct harness *h = *state;

	cmos_write(h, REG_B, B_24H | B_UIE);
	assert_int_equal(rtc_cmos_update(&h->rtc), RTC_CMOS_POLL_NS);
	assert_int_equal(h->level, 0);
	h->now_s++;
	rtc_cmos_update(&h->rtc);
	assert_int_equal(h->level, 1);
	assert_int_equal(cmos_read(h, REG_C), C_IRQF | C_UF);
	assert_int_equal(h->level, 0);
}

static void test_rtc_periodic_flag_follows_the_rate(void **state)
{
	struct harness *h = *state;

	/* RS = 6: 1024 Hz, 976562 ns. */
	assert_int_equal(cmos_read(h, REG_A), 0x26);
	assert_int_equal(cmos_read(h, REG_C), 0);
	h->now_ns += 976562;
	assert_int_equal(cmos_read(h, REG_C), C_PF);
	assert_int_equal(cmos_read(h, REG_C), 0);
	cmos_write(h, REG_B, B_24H | B_PIE);
	assert_int_equal(rtc_cmos_update(&h->rtc), 976562);
	h->now_ns += 976562;
	assert_int_equal(rtc_cmos_update(&h->rtc), 976562);
	assert_int_equal(h->level, 1);
	assert_int_equal(cmos_read(h, REG_C), C_IRQF | C_PF);
	assert_int_equal(h->level, 0);
}

static void test_rtc_alarm_with_dont_care_bytes_matches_every_second(void **state)
{
	struct harness *h = *state;

	cmos_write(h, ALARM_SEC, 0xff);
	cmos_write(h, ALARM_MIN, 0xc0);
	cmos_write(h, ALARM_HOUR, 0xc0);
	cmos_write(h, REG_B, B_24H | B_AIE);
	h->now_s++;
	assert_int_equal(cmos_read(h, REG_C), C_IRQF | C_AF | C_UF);
	cmos_write(h, ALARM_SEC, 0x50);
	h->now_s++; /* 07:30:47 */
	assert_int_equal(cmos_read(h, REG_C), C_UF);
	h->now_s += 3; /* 07:30:50 */
	assert_int_equal(cmos_read(h, REG_C), C_IRQF | C_AF | C_UF);
}

static void test_rtc_update_is_idle_without_enabled_interrupts(void **state)
{
	struct harness *h = *state;

	assert_true(rtc_cmos_update(&h->rtc) == RTC_CMOS_IDLE);
}

static void test_rtc_register_d_reads_0x80_and_ignores_writes(void **state)
{
	struct harness *h = *state;

	assert_int_equal(cmos_read(h, REG_D), 0x80);
	cmos_write(h, REG_D, 0x00);
	assert_int_equal(cmos_read(h, REG_D), 0x80);
}

static void test_rtc_register_a_uip_reads_0_and_divider_is_stored(void **state)
{
	struct harness *h = *state;

	cmos_write(h, REG_A, 0xa6);
	assert_int_equal(cmos_read(h, REG_A), 0x26);
	cmos_write(h, REG_A, 0x70);
	assert_int_equal(cmos_read(h, REG_A), 0x70);
}

static void test_rtc_nmi_bit_of_port_0x70_does_not_change_the_index(void **state)
{
	struct harness *h = *state;

	io_bus_write(&h->bus, 0x70, 1, 0x80 | 0x40);
	assert_true(rtc_cmos_nmi_disabled(&h->rtc));
	io_bus_write(&h->bus, 0x71, 1, 0x5a);
	assert_int_equal(io_bus_read(&h->bus, 0x70, 1), 0xc0);
	assert_int_equal(cmos_read(h, 0x40), 0x5a);
	assert_false(rtc_cmos_nmi_disabled(&h->rtc));
	assert_int_equal(cmos_read(h, 0x80 | SEC), 0x45);
}

static void test_rtc_century_byte_is_storage(void **state)
{
	struct harness *h = *state;

	assert_int_equal(cmos_read(h, RTC_CMOS_CENTURY), 0x20);
	cmos_write(h, RTC_CMOS_CENTURY, 0x21);
	assert_int_equal(cmos_read(h, RTC_CMOS_CENTURY), 0x21);
	h->now_s = 4102444799ll; /* 2099-12-31 23:59:59 */
	assert_int_equal(cmos_read(h, YEAR), 0x99);
	rtc_cmos_set_byte(&h->rtc, RTC_CMOS_CENTURY, 0x19);
	assert_int_equal(cmos_read(h, RTC_CMOS_CENTURY), 0x19);
	rtc_cmos_set_byte(&h->rtc, SEC, 0x00); /* the clock is not storage */
	assert_int_equal(cmos_read(h, SEC), 0x59);
}

static void test_rtc_guest_setting_a_year_uses_the_century_byte(void **state)
{
	struct harness *h = *state;

	cmos_write(h, RTC_CMOS_CENTURY, 0x19);
	cmos_write(h, YEAR, 0x99); /* 1999-11-21 07:30:45 */
	assert_int_equal(h->rtc.offset_s, -(27 * 365 + 7) * DAY);
}

static void test_rtc_garbage_time_writes_are_survived(void **state)
{
	struct harness *h = *state;

	for (unsigned r = SEC; r <= YEAR; r++)
		cmos_write(h, (uint8_t)r, 0xff);
	cmos_write(h, REG_B, B_SET);
	for (unsigned r = SEC; r <= YEAR; r++)
		cmos_write(h, (uint8_t)r, 0xff);
	cmos_write(h, REG_B, 0);
	for (unsigned r = 0; r < 0x100; r++)
		(void)cmos_read(h, (uint8_t)r);
	assert_int_equal(cmos_read(h, REG_D), 0x80);
}

static void test_rtc_word_access_writes_index_then_data(void **state)
{
	struct harness *h = *state;

	io_bus_write(&h->bus, 0x70, 2, 0xa540); /* index 0x40, data 0xa5 */
	assert_int_equal(cmos_read(h, 0x40), 0xa5);
}

#define RTC_TEST(f) cmocka_unit_test_setup_teardown(f, rtc_setup, rtc_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		RTC_TEST(test_rtc_reads_fake_time_in_bcd_24_hour_by_default),
		RTC_TEST(test_rtc_reads_fake_time_in_binary),
		RTC_TEST(test_rtc_12_hour_mode_sets_bit_7_for_pm),
		RTC_TEST(test_rtc_time_follows_the_host_clock),
		RTC_TEST(test_rtc_linux_get_time_sequence),
		RTC_TEST(test_rtc_guest_write_moves_only_the_guests_clock),
		RTC_TEST(test_rtc_set_bit_freezes_the_clock_until_cleared),
		RTC_TEST(test_rtc_register_c_is_cleared_by_reading),
		RTC_TEST(test_rtc_update_ended_interrupt_raises_irq_8_until_c_is_read),
		RTC_TEST(test_rtc_periodic_flag_follows_the_rate),
		RTC_TEST(test_rtc_alarm_with_dont_care_bytes_matches_every_second),
		RTC_TEST(test_rtc_update_is_idle_without_enabled_interrupts),
		RTC_TEST(test_rtc_register_d_reads_0x80_and_ignores_writes),
		RTC_TEST(test_rtc_register_a_uip_reads_0_and_divider_is_stored),
		RTC_TEST(test_rtc_nmi_bit_of_port_0x70_does_not_change_the_index),
		RTC_TEST(test_rtc_century_byte_is_storage),
		RTC_TEST(test_rtc_guest_setting_a_year_uses_the_century_byte),
		RTC_TEST(test_rtc_garbage_time_writes_are_survived),
		RTC_TEST(test_rtc_word_access_writes_index_then_data),
	};

	return cmocka_run_group_tests_name("rtc_cmos", tests, NULL, NULL);
}
