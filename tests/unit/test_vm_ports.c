/* The buses of the whole machine as vm_create() builds it (the interp engine, a
 * one-byte flat kernel): what the guest reads and writes at the ports and MMIO
 * addresses of docs/guest-abi.md, "Machine". Nothing runs the vCPU: the tests
 * reach the buses as the vCPU loop does after an I/O or MMIO exit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/pc_misc.h"
#include "engine/hypercall_abi.h"
#include "unit_helpers.h"
#include "vm_harness.h"
#include "vm/vm.h"

static int vm_setup(void **state)
{
	return vm_harness_setup(state, true); /* the machine `ringvisor run` builds by default */
}

static int vm_teardown(void **state)
{
	return vm_harness_teardown(state);
}

/* Overwrites the stack below the caller's frame, where the frames of functions
 * that have returned (vm_create's among them) were. */
static __attribute__((noinline)) void scribble_stack(void)
{
	volatile uint8_t junk[64 * 1024];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = 0x5a;
}

static uint64_t port_in(struct vm_harness *h, uint16_t port, unsigned size)
{
	return io_bus_read(&h->vm.pio, port, size);
}

static void test_hypercall_port_in_reads_all_ones_after_vm_create_returned(void **state)
{
	struct vm_harness *h = *state;

	/* The port once pointed at an ops table on vm_create's stack. */
	scribble_stack();
	assert_int_equal(port_in(h, HC_PORT, 1), 0xff);
	assert_int_equal(port_in(h, HC_PORT, 2), 0xffff);
	assert_int_equal(port_in(h, HC_PORT, 4), 0xffffffffu);
}

static void test_hypercall_port_string_out_is_ignored_silently(void **state)
{
	struct vm_harness *h = *state;
	struct stderr_capture cap;
	char *log;

	scribble_stack();
	assert_int_equal(stderr_capture_begin(&cap), 0);
	/* What `rep outsb` to port 0xe8 hands the bus, byte by byte. */
	for (int i = 0; i < 4; i++)
		io_bus_write(&h->vm.pio, HC_PORT, 1, 0x41);
	log = stderr_capture_end(&cap);

	assert_non_null(log);
	assert_string_equal(log, "");
	assert_int_equal(h->vm.pio.unclaimed, 0);
	assert_false(vm_stopping(&h->vm));
	free(log);
}

static void test_every_registered_range_has_ops_with_byte_access(void **state)
{
	struct vm_harness *h = *state;
	const struct io_bus *buses[] = { &h->vm.pio, &h->vm.mmio };

	for (size_t b = 0; b < 2; b++)
		for (size_t i = 0; i < buses[b]->count; i++)
			assert_true(buses[b]->ranges[i].ops.sizes & 1);
}

/* Issue 11, class 7: a one-port device answers only its own byte of a wider IN;
 * the bytes above come from the ports above, as on an ISA bus. */
static void test_wide_in_from_port_92_reads_0xff_from_unclaimed_port_93(void **state)
{
	struct vm_harness *h = *state;
	uint64_t b92 = port_in(h, PC_MISC_PORT92, 1);
	struct stderr_capture cap;
	uint64_t w, d;

	assert_int_equal(stderr_capture_begin(&cap), 0);
	w = port_in(h, PC_MISC_PORT92, 2);
	d = port_in(h, PC_MISC_PORT92, 4);
	free(stderr_capture_end(&cap));

	assert_int_equal(b92, 0x02); /* A20 set, as at start */
	assert_int_equal(w, b92 | 0xff00);
	assert_int_equal(d, b92 | 0xffffff00u);
}

static void test_wide_in_from_i8042_data_reads_port_61_above_it(void **state)
{
	struct vm_harness *h = *state;
	uint64_t p61, w;

	/* Gate 2 and the speaker on, so that port 0x61 reads non-zero; its
	 * refresh bit (4) and OUT2 (5) change with time: compare without them. */
	io_bus_write(&h->vm.pio, 0x61, 1, 0x03);
	w = port_in(h, PC_MISC_I8042_DATA, 2);
	p61 = port_in(h, 0x61, 1);
	assert_int_equal(p61 & 0x03, 0x03);
	assert_int_equal(w & 0xff, 0x00);
	assert_int_equal((w >> 8) & ~0x30u, p61 & ~0x30u);
}

static void test_wide_in_from_i8042_status_and_cf9_reads_0xff_above(void **state)
{
	struct vm_harness *h = *state;
	struct stderr_capture cap;
	uint64_t s, cf9;

	assert_int_equal(stderr_capture_begin(&cap), 0);
	s = port_in(h, PC_MISC_I8042_CMD, 2);
	cf9 = port_in(h, PC_MISC_CF9_PORT, 4);
	free(stderr_capture_end(&cap));

	assert_int_equal(s, 0xff00);
	assert_int_equal(cf9, 0xffffff00u | port_in(h, PC_MISC_CF9_PORT, 1));
}

static void test_wide_out_to_port_92_writes_only_port_92(void **state)
{
	struct vm_harness *h = *state;
	struct stderr_capture cap;

	assert_int_equal(stderr_capture_begin(&cap), 0);
	/* Bit 0 of port 0x93's byte would be a fast reset if it reached 0x92. */
	io_bus_write(&h->vm.pio, PC_MISC_PORT92, 2, 0x0100);
	free(stderr_capture_end(&cap));

	assert_int_equal(port_in(h, PC_MISC_PORT92, 1), 0x00);
	assert_false(vm_stopping(&h->vm));
}

static void test_wide_in_below_a_device_reads_its_ports(void **state)
{
	struct vm_harness *h = *state;
	struct stderr_capture cap;
	uint64_t w;

	/* 0x5f is unclaimed, 0x60 is the i8042's data port (reads 0). */
	assert_int_equal(stderr_capture_begin(&cap), 0);
	w = port_in(h, 0x5f, 2);
	free(stderr_capture_end(&cap));
	assert_int_equal(w, 0x00ff);
}

static uint32_t ioapic_reg(struct vm_harness *h, uint8_t reg)
{
	io_bus_write(&h->vm.mmio, IOAPIC_DEFAULT_BASE, 4, reg);
	return (uint32_t)io_bus_read(&h->vm.mmio, IOAPIC_DEFAULT_BASE + 0x10, 4);
}

/* SDM: wider APIC registers are accessed "using multiple 32-bit loads or
 * stores"; a qword is split into the two dwords. */
static void test_qword_mmio_to_the_apics_is_two_dword_accesses(void **state)
{
	struct vm_harness *h = *state;
	uint64_t version = io_bus_read(&h->vm.mmio, LAPIC_DEFAULT_BASE + 0x30, 4);

	assert_int_equal(io_bus_read(&h->vm.mmio, LAPIC_DEFAULT_BASE + 0x30, 8), version);
	/* IOREGSEL (dword at 0x00) takes the low half; 0x04 is no register. */
	io_bus_write(&h->vm.mmio, IOAPIC_DEFAULT_BASE, 8, 0xffffffff00000001ull);
	assert_int_equal(io_bus_read(&h->vm.mmio, IOAPIC_DEFAULT_BASE, 8), 0x01);
	/* The version register (indirect 1): 24 pins, version 0x20. */
	assert_int_equal(io_bus_read(&h->vm.mmio, IOAPIC_DEFAULT_BASE + 0x10, 4), 0x00170020);
	assert_int_equal(ioapic_reg(h, 1), 0x00170020);
}

#define VM_TEST(f) cmocka_unit_test_setup_teardown(f, vm_setup, vm_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		VM_TEST(test_hypercall_port_in_reads_all_ones_after_vm_create_returned),
		VM_TEST(test_hypercall_port_string_out_is_ignored_silently),
		VM_TEST(test_every_registered_range_has_ops_with_byte_access),
		VM_TEST(test_wide_in_from_port_92_reads_0xff_from_unclaimed_port_93),
		VM_TEST(test_wide_in_from_i8042_data_reads_port_61_above_it),
		VM_TEST(test_wide_in_from_i8042_status_and_cf9_reads_0xff_above),
		VM_TEST(test_wide_out_to_port_92_writes_only_port_92),
		VM_TEST(test_wide_in_below_a_device_reads_its_ports),
		VM_TEST(test_qword_mmio_to_the_apics_is_two_dword_accesses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
