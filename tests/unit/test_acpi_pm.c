/* The ACPI PM registers (src/devices/acpi_pm.c) against the ACPI 6.x
 * specification, section 4.8 (fixed hardware registers): Table 4.11 PM1 status
 * bits (TMR_STS bit 0, "set any time the 23rd bit of a 24-bit counter
 * changes"; status bits are cleared by writing 1), Table 4.12 PM1 enable bits
 * (TMR_EN 0, GBL_EN 5, PWRBTN_EN 8, SLPBTN_EN 9, RTC_EN 10, PCIEXP_WAKE_DIS 14),
 * Table 4.13 PM1 control bits (SCI_EN 0, BM_RLD 1, GBL_RLS 2 write-only,
 * SLP_TYP 12-10, SLP_EN 13 write-only), and the power management timer (a
 * 24-bit count at 3.579545 MHz when the FADT's TMR_VAL_EXT is clear).
 * Accessed through the port bus at the documented default ports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/acpi_pm.h"
#include "unit_helpers.h"
#include "vm/bus.h"

#define EVT ACPI_PM1A_EVT_PORT
#define STS (EVT + 0)
#define EN (EVT + 2)
#define CNT ACPI_PM1A_CNT_PORT
#define TMR ACPI_PM_TMR_PORT

#define TMR_STS 0x0001
#define SCI_EN 0x0001
#define BM_RLD 0x0002
#define GBL_RLS 0x0004
#define SLP_EN 0x2000
#define SLP_TYP(t) ((uint16_t)((t) << 10))
/* Every enable bit Table 4.12 defines. */
#define EN_DEFINED 0x4721

/* The sleep type the tests' DSDT would call S5: not the power-on SLP_TYP (0) and
 * not the default constant, so a device ignoring its configuration shows. */
#define TEST_S5 5

#define MS 1000000ull
#define S 1000000000ull
#define START_NS 123456789ull /* the clock does not start at 0 */

struct harness {
	struct io_bus bus;
	struct acpi_pm pm;
	uint64_t now;
	unsigned poweroffs;
};

static uint64_t fake_now(void *opaque)
{
	return ((struct harness *)opaque)->now;
}

static void record_poweroff(void *opaque)
{
	((struct harness *)opaque)->poweroffs++;
}

static int pm_setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));

	if (!h)
		return -1;
	h->now = START_NS;
	io_bus_init(&h->bus, "port");
	acpi_pm_init(&h->pm, TEST_S5, fake_now, h, record_poweroff, h);
	if (io_bus_register(&h->bus, ACPI_PM1A_EVT_PORT, ACPI_PM1_EVT_LEN, "acpi-pm1-evt", &acpi_pm_evt_ops, &h->pm) ||
	    io_bus_register(&h->bus, ACPI_PM1A_CNT_PORT, ACPI_PM1_CNT_LEN, "acpi-pm1-cnt", &acpi_pm_cnt_ops, &h->pm) ||
	    io_bus_register(&h->bus, ACPI_PM_TMR_PORT, ACPI_PM_TMR_LEN, "acpi-pm-tmr", &acpi_pm_tmr_ops, &h->pm)) {
		acpi_pm_destroy(&h->pm);
		io_bus_destroy(&h->bus);
		free(h);
		return -1;
	}
	*state = h;
	return 0;
}

static int pm_teardown(void **state)
{
	struct harness *h = *state;

	acpi_pm_destroy(&h->pm);
	io_bus_destroy(&h->bus);
	free(h);
	return 0;
}

static uint64_t in(struct harness *h, uint16_t port, unsigned size)
{
	return io_bus_read(&h->bus, port, size);
}

static void out(struct harness *h, uint16_t port, unsigned size, uint64_t v)
{
	io_bus_write(&h->bus, port, size, v);
}

static void elapse(struct harness *h, uint64_t ns)
{
	h->now = START_NS + ns;
}

static void test_acpi_pm_ports_are_the_documented_defaults(void **state)
{
	(void)state;
	/* The brief's port map and the FADT block lengths (4, 2, 4). */
	assert_int_equal(ACPI_PM1A_EVT_PORT, 0x600);
	assert_int_equal(ACPI_PM1A_CNT_PORT, 0x604);
	assert_int_equal(ACPI_PM_TMR_PORT, 0x608);
	assert_int_equal(ACPI_PM1_EVT_LEN, 4);
	assert_int_equal(ACPI_PM1_CNT_LEN, 2);
	assert_int_equal(ACPI_PM_TMR_LEN, 4);
}

static void test_acpi_pm_power_on_values(void **state)
{
	struct harness *h = *state;

	assert_int_equal(in(h, STS, 2), 0);
	assert_int_equal(in(h, EN, 2), 0);
	assert_int_equal(in(h, CNT, 2), SCI_EN);
	assert_int_equal(in(h, TMR, 4), 0);
}

static void test_acpi_pm_tmr_sts_sets_when_bit_23_changes(void **state)
{
	struct harness *h = *state;

	/* Bit 23 first changes at 2^23 = 8388608 ticks = 2.3435 s. */
	elapse(h, 2343 * MS); /* floor(2.343 * 3579545) = 8386873 ticks */
	assert_int_equal(in(h, STS, 2), 0);
	elapse(h, 2344 * MS); /* 8390453 ticks */
	assert_int_equal(in(h, STS, 2), TMR_STS);
}

static void test_acpi_pm_status_is_write_one_to_clear(void **state)
{
	struct harness *h = *state;

	elapse(h, 2400 * MS);
	assert_int_equal(in(h, STS, 2), TMR_STS);
	out(h, STS, 2, 0x0000); /* writing 0 leaves it */
	assert_int_equal(in(h, STS, 2), TMR_STS);
	out(h, STS, 2, 0xfffe); /* ones elsewhere leave it */
	assert_int_equal(in(h, STS, 2), TMR_STS);
	out(h, STS + 1, 1, 0xff); /* the high byte holds no TMR_STS */
	assert_int_equal(in(h, STS, 2), TMR_STS);
	out(h, STS, 1, TMR_STS);
	assert_int_equal(in(h, STS, 2), 0);
	/* It stays clear until bit 23 changes again: back to 0 at the wrap, 2^24
	 * ticks = 4.687 s. */
	elapse(h, 4680 * MS);
	assert_int_equal(in(h, STS, 2), 0);
	elapse(h, 4690 * MS);
	assert_int_equal(in(h, STS, 2), TMR_STS);
}

static void test_acpi_pm_enable_stores_defined_bits(void **state)
{
	struct harness *h = *state;

	out(h, EN, 2, 0xffff);
	assert_int_equal(in(h, EN, 2), EN_DEFINED);
	out(h, EN + 1, 1, 0x00); /* a byte write changes only its byte */
	assert_int_equal(in(h, EN, 2), EN_DEFINED & 0x00ff);
	out(h, EN, 1, 0x00);
	assert_int_equal(in(h, EN, 2), 0);
}

static void test_acpi_pm_dword_write_reaches_status_and_enable(void **state)
{
	struct harness *h = *state;

	elapse(h, 2400 * MS);
	/* Status in bytes 0-1, enable in 2-3: clear TMR_STS, set GBL_EN. */
	out(h, EVT, 4, 0x00200001);
	assert_int_equal(in(h, EVT, 4), 0x00200000);
}

static void test_acpi_pm_sci_en_always_reads_one(void **state)
{
	struct harness *h = *state;

	out(h, CNT, 2, 0x0000);
	assert_int_equal(in(h, CNT, 2) & SCI_EN, SCI_EN);
	out(h, CNT, 1, 0x00);
	assert_int_equal(in(h, CNT, 1) & SCI_EN, SCI_EN);
}

static void test_acpi_pm_control_stores_slp_typ_and_bm_rld_not_write_only_bits(void **state)
{
	struct harness *h = *state;

	out(h, CNT, 2, SLP_TYP(3) | BM_RLD | GBL_RLS);
	assert_int_equal(in(h, CNT, 2), SLP_TYP(3) | BM_RLD | SCI_EN);
	/* Reserved bits 3-8, 14, 15 read 0. */
	out(h, CNT, 2, 0xc1f8 | SLP_TYP(3));
	assert_int_equal(in(h, CNT, 2), SLP_TYP(3) | SCI_EN);
	/* A byte write to the low byte keeps SLP_TYP in the high byte. */
	out(h, CNT, 1, BM_RLD);
	assert_int_equal(in(h, CNT, 2), SLP_TYP(3) | BM_RLD | SCI_EN);
	assert_int_equal(h->poweroffs, 0);
}

static void test_acpi_pm_slp_en_with_s5_calls_poweroff_once(void **state)
{
	struct harness *h = *state;

	/* ACPICA writes SLP_TYP first, then SLP_TYP with SLP_EN. */
	out(h, CNT, 2, SLP_TYP(TEST_S5));
	assert_int_equal(h->poweroffs, 0);
	out(h, CNT, 2, SLP_TYP(TEST_S5) | SLP_EN);
	assert_int_equal(h->poweroffs, 1);
	/* SLP_EN is write-only: it reads 0. */
	assert_int_equal(in(h, CNT, 2), SLP_TYP(TEST_S5) | SCI_EN);
	/* A later write without SLP_EN does not power off again. */
	out(h, CNT, 2, SLP_TYP(TEST_S5));
	assert_int_equal(h->poweroffs, 1);
}

static void test_acpi_pm_slp_en_by_a_byte_write_to_the_high_byte(void **state)
{
	struct harness *h = *state;

	/* Byte 1 holds SLP_TYP in bits 4-2 and SLP_EN in bit 5. */
	out(h, CNT + 1, 1, (TEST_S5 << 2) | 0x20);
	assert_int_equal(h->poweroffs, 1);
}

static void test_acpi_pm_other_sleep_types_are_ignored_and_logged_once(void **state)
{
	struct harness *h = *state;
	struct stderr_capture cap;
	char *err;

	assert_int_equal(stderr_capture_begin(&cap), 0);
	out(h, CNT, 2, SLP_TYP(1) | SLP_EN);
	out(h, CNT, 2, SLP_TYP(3) | SLP_EN);
	out(h, CNT, 2, SLP_TYP(0) | SLP_EN);
	err = stderr_capture_end(&cap);
	assert_int_equal(h->poweroffs, 0);
	assert_non_null(err);
	assert_int_equal(count_lines_containing(err, "sleep type"), 1);
	free(err);
	assert_int_equal(in(h, CNT, 2), SCI_EN);
}

static void test_acpi_pm_default_s5_type_is_honoured(void **state)
{
	struct acpi_pm pm;
	struct harness h = { .now = 0 };

	(void)state;
	acpi_pm_init(&pm, ACPI_PM_S5_SLEEP_TYPE, fake_now, &h, record_poweroff, &h);
	acpi_pm_cnt_ops.write(&pm, 0, 2, SLP_TYP(ACPI_PM_S5_SLEEP_TYPE) | SLP_EN);
	assert_int_equal(h.poweroffs, 1);
	acpi_pm_destroy(&pm);
}

static void test_acpi_pm_timer_counts_3579545_per_second(void **state)
{
	struct harness *h = *state;

	elapse(h, 1 * S);
	assert_int_equal(in(h, TMR, 4), 3579545);
	elapse(h, 1500 * MS); /* 5369317.5 ticks: whole periods only */
	assert_int_equal(in(h, TMR, 4), 5369317);
	elapse(h, 1000); /* 1 us: 3.58 ticks */
	assert_int_equal(in(h, TMR, 4), 3);
}

static void test_acpi_pm_timer_wraps_at_24_bits(void **state)
{
	struct harness *h = *state;

	/* 5 s = 17897725 ticks = 2^24 + 1120509. */
	elapse(h, 5 * S);
	assert_int_equal(in(h, TMR, 4), 1120509);
	assert_int_equal(in(h, TMR + 3, 1), 0); /* bits 31-24 read 0 */
	/* 100 hours = 1288636200000 ticks = 76808 * 2^24 + 11793472: no 64-bit
	 * overflow of ns * 3579545 after 85 minutes. */
	elapse(h, 360000 * S);
	assert_int_equal(in(h, TMR, 4), 11793472);
}

static void test_acpi_pm_timer_bytes_and_writes(void **state)
{
	struct harness *h = *state;

	elapse(h, 1 * S); /* 3579545 = 0x369e99 */
	assert_int_equal(in(h, TMR, 1), 0x99);
	assert_int_equal(in(h, TMR + 1, 1), 0x9e);
	assert_int_equal(in(h, TMR + 2, 2), 0x0036);
	out(h, TMR, 4, 0);
	assert_int_equal(in(h, TMR, 4), 0x369e99);
}

static void test_acpi_pm_accesses_past_a_block_read_ones_and_write_nothing(void **state)
{
	struct harness *h = *state;

	/* PM1_CNT is 2 bytes: a dword read gets 0xffff above it. */
	assert_int_equal(in(h, CNT, 4), 0xffff0001);
	/* Bytes 2-7 of a qword write at 0x604 reach the unclaimed 0x606-0x607 and
	 * the timer, which ignores writes. */
	out(h, CNT, 8, 0xffffffffffff0000ull | SLP_TYP(2));
	assert_int_equal(in(h, CNT, 2), SLP_TYP(2) | SCI_EN);
	assert_int_equal(h->poweroffs, 0);
	/* A qword read of the timer: 4 bytes of count, 4 of ones. */
	elapse(h, 1 * S);
	assert_int_equal(in(h, TMR, 8), 0xffffffff00369e99ull);
	/* A dword read at the event block's last byte: the bytes above it are
	 * PM1_CNT's, then the unclaimed port 0x606, as on an ISA bus. */
	out(h, EN, 2, 0x0100);
	assert_int_equal(in(h, EVT + 3, 4), 0xff000001u | (uint32_t)(SLP_TYP(2) | SCI_EN) << 8);
}

static void test_acpi_pm_hostile_sizes_and_offsets_do_not_crash(void **state)
{
	struct harness *h = *state;
	static const struct io_device_ops *const ops[] = { &acpi_pm_evt_ops, &acpi_pm_cnt_ops, &acpi_pm_tmr_ops };
	static const uint64_t offsets[] = { 0, 1, 3, 4, 5, 1000, UINT64_MAX - 2, UINT64_MAX };
	static const unsigned sizes[] = { 0, 1, 2, 3, 4, 7, 8, 9, 64, 0xffffffffu };

	/* The bus never passes these, but the device must not trust that. */
	for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		for (unsigned i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
			for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
				ops[o]->write(&h->pm, offsets[i], sizes[s], 0);
				(void)ops[o]->read(&h->pm, offsets[i], sizes[s]);
			}
		}
	}
	/* Offsets beyond a block read as all ones. */
	assert_int_equal(acpi_pm_evt_ops.read(&h->pm, UINT64_MAX, 2), 0xffff);
	assert_int_equal(acpi_pm_cnt_ops.read(&h->pm, 2, 1), 0xff);
	assert_int_equal(h->poweroffs, 0);
}

static void test_acpi_pm_reset_clears_registers_and_timer_runs_on(void **state)
{
	struct harness *h = *state;

	out(h, EN, 2, 0xffff);
	out(h, CNT, 2, SLP_TYP(3) | BM_RLD);
	elapse(h, 2400 * MS);
	assert_int_equal(in(h, STS, 2), TMR_STS);
	acpi_pm_reset(&h->pm);
	assert_int_equal(in(h, STS, 2), 0);
	assert_int_equal(in(h, EN, 2), 0);
	assert_int_equal(in(h, CNT, 2), SCI_EN);
	/* floor(2.4 * 3579545) = 8590908. */
	assert_int_equal(in(h, TMR, 4), 8590908);
}

#define PM_TEST(f) cmocka_unit_test_setup_teardown(f, pm_setup, pm_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acpi_pm_ports_are_the_documented_defaults),
		PM_TEST(test_acpi_pm_power_on_values),
		PM_TEST(test_acpi_pm_tmr_sts_sets_when_bit_23_changes),
		PM_TEST(test_acpi_pm_status_is_write_one_to_clear),
		PM_TEST(test_acpi_pm_enable_stores_defined_bits),
		PM_TEST(test_acpi_pm_dword_write_reaches_status_and_enable),
		PM_TEST(test_acpi_pm_sci_en_always_reads_one),
		PM_TEST(test_acpi_pm_control_stores_slp_typ_and_bm_rld_not_write_only_bits),
		PM_TEST(test_acpi_pm_slp_en_with_s5_calls_poweroff_once),
		PM_TEST(test_acpi_pm_slp_en_by_a_byte_write_to_the_high_byte),
		PM_TEST(test_acpi_pm_other_sleep_types_are_ignored_and_logged_once),
		cmocka_unit_test(test_acpi_pm_default_s5_type_is_honoured),
		PM_TEST(test_acpi_pm_timer_counts_3579545_per_second),
		PM_TEST(test_acpi_pm_timer_wraps_at_24_bits),
		PM_TEST(test_acpi_pm_timer_bytes_and_writes),
		PM_TEST(test_acpi_pm_accesses_past_a_block_read_ones_and_write_nothing),
		PM_TEST(test_acpi_pm_hostile_sizes_and_offsets_do_not_crash),
		PM_TEST(test_acpi_pm_reset_clears_registers_and_timer_runs_on),
	};

	return cmocka_run_group_tests_name("acpi_pm", tests, NULL, NULL);
}
