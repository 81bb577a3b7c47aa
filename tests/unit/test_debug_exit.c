/* The debug-exit device (src/devices/debug_exit.c), compatible with QEMU's
 * `-device isa-debug-exit,iobase=0xf4,iosize=4` (docs/guest-abi.md, "Debug exit"):
 * a write of v ends the VM with status (v << 1) | 1, truncated to 8 bits by the
 * operating system (POSIX: only the low 8 bits of an exit status reach the parent). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/debug_exit.h"
#include "unit_helpers.h"
#include "vm/bus.h"

struct stop_record {
	unsigned calls;
	int status;
};

static void record_stop(void *opaque, int status)
{
	struct stop_record *r = opaque;

	r->calls++;
	r->status = status;
}

struct harness {
	struct io_bus bus;
	struct debug_exit dev;
	struct stop_record stops;
};

static int debug_exit_setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));

	if (!h)
		return -1;
	io_bus_init(&h->bus, "port");
	h->dev = (struct debug_exit){ .stop = record_stop, .opaque = &h->stops };
	if (io_bus_register(&h->bus, DEBUG_EXIT_PORT, DEBUG_EXIT_LEN, "debug-exit", &debug_exit_ops, &h->dev)) {
		io_bus_destroy(&h->bus);
		free(h);
		return -1;
	}
	*state = h;
	return 0;
}

static int debug_exit_teardown(void **state)
{
	struct harness *h = *state;

	io_bus_destroy(&h->bus);
	free(h);
	return 0;
}

static void test_debug_exit_is_four_ports_at_0xf4(void **state)
{
	(void)state;
	/* docs/guest-abi.md: "port 0xf4, 1, 2 or 4 bytes wide", QEMU's iosize=4. */
	assert_int_equal(DEBUG_EXIT_PORT, 0xf4);
	assert_int_equal(DEBUG_EXIT_LEN, 4);
}

static void test_debug_exit_status_is_value_shifted_left_or_one(void **state)
{
	(void)state;
	assert_int_equal(debug_exit_status(0), 1);
	assert_int_equal(debug_exit_status(1), 3);
	assert_int_equal(debug_exit_status(0x10), 0x21);
	assert_int_equal(debug_exit_status(0x7f), 0xff);
}

static void test_debug_exit_status_is_truncated_to_8_bits(void **state)
{
	(void)state;
	/* (0x80 << 1) | 1 = 0x101, of which the OS keeps 0x01. */
	assert_int_equal(debug_exit_status(0x80), 0x01);
	assert_int_equal(debug_exit_status(0x81), 0x03);
	assert_int_equal(debug_exit_status(0xffffffffull), 0xff);
	assert_int_equal(debug_exit_status(UINT64_MAX), 0xff);
}

static void test_debug_exit_status_is_always_odd_and_at_most_255(void **state)
{
	(void)state;
	for (uint64_t v = 0; v < 1024; v++) {
		int s = debug_exit_status(v);

		assert_int_equal(s & 1, 1);
		assert_in_range(s, 1, 255);
	}
}

static void test_debug_exit_byte_write_stops_vm_with_status(void **state)
{
	struct harness *h = *state;

	io_bus_write(&h->bus, 0xf4, 1, 0x41);
	assert_int_equal(h->stops.calls, 1);
	assert_int_equal(h->stops.status, 0x83);
}

static void test_debug_exit_word_and_dword_writes_stop_vm(void **state)
{
	struct harness *h = *state;

	/* outw of 0x0102: (0x102 << 1 | 1) & 0xff = 0x05. */
	io_bus_write(&h->bus, 0xf4, 2, 0x0102);
	assert_int_equal(h->stops.calls, 1);
	assert_int_equal(h->stops.status, 0x05);
	io_bus_write(&h->bus, 0xf4, 4, 0x00000031);
	assert_int_equal(h->stops.calls, 2);
	assert_int_equal(h->stops.status, 0x63);
}

static void test_debug_exit_write_to_any_port_of_the_range_stops_vm(void **state)
{
	struct harness *h = *state;

	/* QEMU's device answers its whole iosize range. */
	io_bus_write(&h->bus, 0xf7, 1, 2);
	assert_int_equal(h->stops.calls, 1);
	assert_int_equal(h->stops.status, 5);
}

static void test_debug_exit_read_returns_all_ones_and_does_not_stop(void **state)
{
	struct harness *h = *state;

	assert_int_equal(io_bus_read(&h->bus, 0xf4, 1), 0xff);
	assert_int_equal(io_bus_read(&h->bus, 0xf4, 2), 0xffff);
	assert_int_equal(io_bus_read(&h->bus, 0xf4, 4), 0xffffffffull);
	assert_int_equal(h->stops.calls, 0);
	/* The port is claimed: its reads are not unclaimed accesses. */
	assert_int_equal(h->bus.unclaimed, 0);
}

#define DX_TEST(f) cmocka_unit_test_setup_teardown(f, debug_exit_setup, debug_exit_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debug_exit_is_four_ports_at_0xf4),
		cmocka_unit_test(test_debug_exit_status_is_value_shifted_left_or_one),
		cmocka_unit_test(test_debug_exit_status_is_truncated_to_8_bits),
		cmocka_unit_test(test_debug_exit_status_is_always_odd_and_at_most_255),
		DX_TEST(test_debug_exit_byte_write_stops_vm_with_status),
		DX_TEST(test_debug_exit_word_and_dword_writes_stop_vm),
		DX_TEST(test_debug_exit_write_to_any_port_of_the_range_stops_vm),
		DX_TEST(test_debug_exit_read_returns_all_ones_and_does_not_stop),
	};

	return cmocka_run_group_tests_name("debug_exit", tests, NULL, NULL);
}
