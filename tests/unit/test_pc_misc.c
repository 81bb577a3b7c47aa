/* The small PC ports (src/devices/pc_misc.c): the POST/delay port 0x80, system
 * control port A at 0x92 (IBM PS/2 and AT-compatible chipset documentation: bit 0
 * fast reset, bit 1 A20), the i8042 keyboard controller's status/command port 0x64
 * (status bit 0 output buffer full, bit 1 input buffer full; commands 0xf0-0xff
 * pulse output-port bits 0-3 whose command bit is 0, bit 0 being the reset line)
 * and its data port 0x60, and the reset control register 0xcf9 of Intel chipsets
 * (bit 1 SYS_RST, bit 2 RST_CPU, bit 3 FULL_RST). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/pc_misc.h"
#include "unit_helpers.h"
#include "vm/bus.h"

#define I8042_STATUS_OBF 0x01
#define I8042_STATUS_IBF 0x02

struct harness {
	struct io_bus bus;
	struct pc_misc misc;
	unsigned resets;
};

static void record_reset(void *opaque)
{
	struct harness *h = opaque;

	h->resets++;
}

static int pc_misc_setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));
	static const struct {
		uint64_t port;
		const struct io_device_ops *ops;
	} ranges[] = {
		{ PC_MISC_POST_PORT, &pc_misc_post_ops },	 { PC_MISC_PORT92, &pc_misc_port92_ops },
		{ PC_MISC_I8042_DATA, &pc_misc_i8042_data_ops }, { PC_MISC_I8042_CMD, &pc_misc_i8042_cmd_ops },
		{ PC_MISC_CF9_PORT, &pc_misc_cf9_ops },
	};

	if (!h)
		return -1;
	io_bus_init(&h->bus, "port");
	pc_misc_init(&h->misc, record_reset, h);
	for (unsigned i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if (io_bus_register(&h->bus, ranges[i].port, PC_MISC_PORT_LEN, "pc-misc", ranges[i].ops, &h->misc)) {
			pc_misc_destroy(&h->misc);
			io_bus_destroy(&h->bus);
			free(h);
			return -1;
		}
	}
	*state = h;
	return 0;
}

static int pc_misc_teardown(void **state)
{
	struct harness *h = *state;

	pc_misc_destroy(&h->misc);
	io_bus_destroy(&h->bus);
	free(h);
	return 0;
}

static void test_post_port_writes_are_counted_and_reads_are_all_ones(void **state)
{
	struct harness *h = *state;

	io_bus_write(&h->bus, 0x80, 1, 0x12);
	io_bus_write(&h->bus, 0x80, 1, 0x34);
	assert_int_equal(h->misc.post_writes, 2);
	assert_int_equal(h->misc.post_code, 0x34);
	assert_int_equal(io_bus_read(&h->bus, 0x80, 1), 0xff);
	assert_int_equal(h->resets, 0);
	assert_int_equal(h->bus.unclaimed, 0);
}

static void test_i8042_command_0xfe_requests_reset_once(void **state)
{
	struct harness *h = *state;

	io_bus_write(&h->bus, 0x64, 1, 0xfe);
	assert_int_equal(h->resets, 1);
}

static void test_i8042_pulse_commands_reset_only_when_they_pulse_bit_0(void **state)
{
	struct harness *h = *state;

	io_bus_write(&h->bus, 0x64, 1, 0xff); /* pulses nothing */
	io_bus_write(&h->bus, 0x64, 1, 0xfd); /* pulses bit 1 only */
	io_bus_write(&h->bus, 0x64, 1, 0x20); /* read CTR: ignored */
	io_bus_write(&h->bus, 0x64, 1, 0xaa); /* self test: ignored */
	assert_int_equal(h->resets, 0);
	io_bus_write(&h->bus, 0x64, 1, 0xf0); /* pulses bits 0-3 */
	assert_int_equal(h->resets, 1);
}

static void test_i8042_status_has_input_buffer_empty_and_nothing_to_read(void **state)
{
	struct harness *h = *state;
	uint64_t status = io_bus_read(&h->bus, 0x64, 1);

	assert_int_equal(status & I8042_STATUS_IBF, 0);
	assert_int_equal(status & I8042_STATUS_OBF, 0);
	assert_int_equal(status, 0);
}

static void test_i8042_data_reads_zero_and_ignores_writes(void **state)
{
	struct harness *h = *state;

	io_bus_write(&h->bus, 0x60, 1, 0xff);
	assert_int_equal(io_bus_read(&h->bus, 0x60, 1), 0);
	assert_int_equal(h->resets, 0);
	assert_int_equal(h->bus.unclaimed, 0);
}

static void test_port92_bit_0_requests_reset(void **state)
{
	struct harness *h = *state;

	io_bus_write(&h->bus, 0x92, 1, 0x03);
	assert_int_equal(h->resets, 1);
}

static void test_port92_a20_reads_back_and_does_not_reset(void **state)
{
	struct harness *h = *state;

	assert_int_equal(io_bus_read(&h->bus, 0x92, 1), 0x02); /* A20 on at start */
	io_bus_write(&h->bus, 0x92, 1, 0x00);
	assert_int_equal(io_bus_read(&h->bus, 0x92, 1), 0x00);
	io_bus_write(&h->bus, 0x92, 1, 0x02);
	assert_int_equal(io_bus_read(&h->bus, 0x92, 1), 0x02);
	assert_int_equal(h->resets, 0);
}

static void test_cf9_0x06_requests_reset_and_0x02_does_not(void **state)
{
	struct harness *h = *state;

	/* Linux's "reboot=pci": 0x02 first, then 0x06. */
	io_bus_write(&h->bus, 0xcf9, 1, 0x02);
	assert_int_equal(h->resets, 0);
	io_bus_write(&h->bus, 0xcf9, 1, 0x06);
	assert_int_equal(h->resets, 1);
}

static void test_cf9_stores_bits_1_and_3_only(void **state)
{
	struct harness *h = *state;

	io_bus_write(&h->bus, 0xcf9, 1, 0x0a);
	assert_int_equal(io_bus_read(&h->bus, 0xcf9, 1), 0x0a);
	io_bus_write(&h->bus, 0xcf9, 1, 0xf1);
	assert_int_equal(io_bus_read(&h->bus, 0xcf9, 1), 0x00);
	assert_int_equal(h->resets, 0);
}

static void test_cf9_rst_cpu_without_sys_rst_does_not_reset(void **state)
{
	struct harness *h = *state;

	io_bus_write(&h->bus, 0xcf9, 1, 0x04);
	assert_int_equal(h->resets, 0);
}

#define PM_TEST(f) cmocka_unit_test_setup_teardown(f, pc_misc_setup, pc_misc_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PM_TEST(test_post_port_writes_are_counted_and_reads_are_all_ones),
		PM_TEST(test_i8042_command_0xfe_requests_reset_once),
		PM_TEST(test_i8042_pulse_commands_reset_only_when_they_pulse_bit_0),
		PM_TEST(test_i8042_status_has_input_buffer_empty_and_nothing_to_read),
		PM_TEST(test_i8042_data_reads_zero_and_ignores_writes),
		PM_TEST(test_port92_bit_0_requests_reset),
		PM_TEST(test_port92_a20_reads_back_and_does_not_reset),
		PM_TEST(test_cf9_0x06_requests_reset_and_0x02_does_not),
		PM_TEST(test_cf9_stores_bits_1_and_3_only),
		PM_TEST(test_cf9_rst_cpu_without_sys_rst_does_not_reset),
	};

	return cmocka_run_group_tests_name("pc_misc", tests, NULL, NULL);
}
