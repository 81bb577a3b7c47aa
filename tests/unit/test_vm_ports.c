/* The buses of the whole machine as vm_create() builds it (the interp engine, a
 * one-byte flat kernel): what the guest reads and writes at the ports of
 * docs/guest-abi.md, "Machine". Nothing runs the vCPU: the tests
 * reach the buses as the vCPU loop does after an I/O or MMIO exit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/hypercall_abi.h"
#include "unit_helpers.h"
#include "vm/vm.h"

struct harness {
	struct vm vm;
	char kernel[128];
};

static int vm_setup(void **state)
{
	static const uint8_t hlt = 0xf4;
	struct harness *h = calloc(1, sizeof(*h));
	struct vm_config cfg = { .mem_size = 16ull << 20 };
	char why[512];

	if (!h || temp_file_write(h->kernel, sizeof(h->kernel), &hlt, 1)) {
		free(h);
		return -1;
	}
	cfg.engine = engine_find("interp");
	cfg.boot = (struct load_request){ .kernel_path = h->kernel, .format = FORMAT_FLAT };
	if (!cfg.engine || vm_create(&h->vm, &cfg, why, sizeof(why))) {
		fprintf(stderr, "vm_create: %s\n", why);
		vm_destroy(&h->vm);
		unlink(h->kernel);
		free(h);
		return -1;
	}
	*state = h;
	return 0;
}

static int vm_teardown(void **state)
{
	struct harness *h = *state;

	vm_destroy(&h->vm);
	unlink(h->kernel);
	free(h);
	return 0;
}

/* Overwrites the stack below the caller's frame, where the frames of functions
 * that have returned (vm_create's among them) were. */
static __attribute__((noinline)) void scribble_stack(void)
{
	volatile uint8_t junk[64 * 1024];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = 0x5a;
}

static uint64_t port_in(struct harness *h, uint16_t port, unsigned size)
{
	return io_bus_read(&h->vm.pio, port, size);
}

static void test_hypercall_port_in_reads_all_ones_after_vm_create_returned(void **state)
{
	struct harness *h = *state;

	/* The port once pointed at an ops table on vm_create's stack. */
	scribble_stack();
	assert_int_equal(port_in(h, HC_PORT, 1), 0xff);
	assert_int_equal(port_in(h, HC_PORT, 2), 0xffff);
	assert_int_equal(port_in(h, HC_PORT, 4), 0xffffffffu);
}

static void test_hypercall_port_string_out_is_ignored_silently(void **state)
{
	struct harness *h = *state;
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

#define VM_TEST(f) cmocka_unit_test_setup_teardown(f, vm_setup, vm_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		VM_TEST(test_hypercall_port_in_reads_all_ones_after_vm_create_returned),
		VM_TEST(test_hypercall_port_string_out_is_ignored_silently),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
