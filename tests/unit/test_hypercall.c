/* The hypercall handler (src/vm/hypercall.c) against docs/guest-abi.md,
 * "Hypercalls": a struct vm with only the parts the handler and vm_request_stop()
 * use — guest RAM, the console chardev, the stop lock, condition and eventfd, and
 * nvcpus = 0 so that no engine is asked to kick a vCPU. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>

#include <cmocka.h>

#include "engine/hypercall_abi.h"
#include "unit_helpers.h"
#include "vm/hypercall.h"
#include "vm/vm.h"

#define MiB (1ull << 20)
#define RAM_SIZE (2 * MiB)

/* Results as the guest sees them in RAX: negative errors, two's complement. */
#define RESULT_EFAULT ((uint64_t)-14)
#define RESULT_ENOSYS ((uint64_t)-1000)

struct harness {
	struct vm vm;
	uint8_t out[8192];
	size_t out_len;
	unsigned writes;
};

static void record_console(void *opaque, const uint8_t *buf, size_t len)
{
	struct harness *h = opaque;

	h->writes++;
	for (size_t i = 0; i < len && h->out_len < sizeof(h->out); i++)
		h->out[h->out_len++] = buf[i];
}

static uint64_t host_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The platform clock vm_create gives a VM: the host's monotonic clock. */
static uint64_t platform_ns(void *opaque)
{
	(void)opaque;
	return host_monotonic_ns();
}

static int hc_setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));
	char why[256];

	if (!h)
		return -1;
	if (guest_memory_init(&h->vm.mem, RAM_SIZE, why, sizeof(why))) {
		free(h);
		return -1;
	}
	h->vm.console = (struct chardev){ .write = record_console, .opaque = h };
	h->vm.pc.clock = (struct platform_clock){ .now_ns = platform_ns };
	pthread_mutex_init(&h->vm.stop_lock, NULL);
	pthread_cond_init(&h->vm.stop_cond, NULL);
	h->vm.nvcpus = 0;
	h->vm.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->vm.stop_fd < 0) {
		guest_memory_destroy(&h->vm.mem);
		free(h);
		return -1;
	}
	*state = h;
	return 0;
}

static int hc_teardown(void **state)
{
	struct harness *h = *state;

	close(h->vm.stop_fd);
	pthread_cond_destroy(&h->vm.stop_cond);
	pthread_mutex_destroy(&h->vm.stop_lock);
	guest_memory_destroy(&h->vm.mem);
	free(h);
	return 0;
}

static uint64_t call(struct harness *h, uint64_t nr, uint64_t a0, uint64_t a1)
{
	const uint64_t args[4] = { a0, a1, 0, 0 };

	return hypercall_handle(&h->vm, nr, args);
}

static void put_guest(struct harness *h, uint64_t gpa, const void *data, size_t len)
{
	assert_int_equal(guest_memory_write(&h->vm.mem, gpa, data, len), 0);
}

static void test_hypercall_abi_version_is_1(void **state)
{
	struct harness *h = *state;

	assert_int_equal(call(h, 0, 0, 0), 1);
}

static void test_hypercall_console_write_sends_bytes_and_returns_count(void **state)
{
	struct harness *h = *state;

	put_guest(h, 0x1000, "hello, world", 12);
	assert_int_equal(call(h, 1, 0x1000, 12), 12);
	assert_int_equal(h->out_len, 12);
	assert_memory_equal(h->out, "hello, world", 12);
}

static void test_hypercall_console_write_at_end_of_ram(void **state)
{
	struct harness *h = *state;

	put_guest(h, RAM_SIZE - 5, "tail!", 5);
	assert_int_equal(call(h, 1, RAM_SIZE - 5, 5), 5);
	assert_memory_equal(h->out, "tail!", 5);
}

static void test_hypercall_console_write_past_end_of_ram_is_efault(void **state)
{
	struct harness *h = *state;

	/* The last 4 bytes are RAM, the fifth is not: "-EFAULT (-14) if the range is not
	 * entirely in RAM", and nothing is written. */
	assert_int_equal(call(h, 1, RAM_SIZE - 4, 5), RESULT_EFAULT);
	assert_int_equal(call(h, 1, RAM_SIZE, 1), RESULT_EFAULT);
	assert_int_equal(h->out_len, 0);
}

static void test_hypercall_console_write_outside_ram_is_efault(void **state)
{
	struct harness *h = *state;

	assert_int_equal(call(h, 1, 0xfee00000ull, 16), RESULT_EFAULT);
	assert_int_equal(call(h, 1, 0x100000000ull, 1), RESULT_EFAULT);
	assert_int_equal(h->out_len, 0);
}

static void test_hypercall_console_write_wrapping_range_is_efault(void **state)
{
	struct harness *h = *state;

	/* gpa + len overflows 64 bits and would look like a small range. */
	assert_int_equal(call(h, 1, 0xfffffffffffff000ull, 0x2000), RESULT_EFAULT);
	assert_int_equal(call(h, 1, 0x1000, UINT64_MAX), RESULT_EFAULT);
	assert_int_equal(call(h, 1, UINT64_MAX, 2), RESULT_EFAULT);
	assert_int_equal(h->out_len, 0);
}

static void test_hypercall_console_write_is_capped_at_4096_bytes(void **state)
{
	struct harness *h = *state;
	static uint8_t text[6000];

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (uint8_t)('a' + i % 26);
	put_guest(h, 0x10000, text, sizeof(text));
	/* "bytes written (at most 4096 per call)": the guest loops for the rest. */
	assert_int_equal(call(h, 1, 0x10000, sizeof(text)), 4096);
	assert_int_equal(h->out_len, 4096);
	assert_memory_equal(h->out, text, 4096);
	assert_int_equal(call(h, 1, 0x10000 + 4096, sizeof(text) - 4096), sizeof(text) - 4096);
	assert_memory_equal(h->out + 4096, text + 4096, sizeof(text) - 4096);
}

static void test_hypercall_console_write_checks_whole_range_even_beyond_cap(void **state)
{
	struct harness *h = *state;

	/* The first 4096 bytes are RAM, the named range is not: still -EFAULT. */
	assert_int_equal(call(h, 1, RAM_SIZE - 5000, 6000), RESULT_EFAULT);
	assert_int_equal(h->out_len, 0);
}

static void test_hypercall_console_write_of_zero_bytes_returns_zero(void **state)
{
	struct harness *h = *state;

	assert_int_equal(call(h, 1, 0x1000, 0), 0);
	assert_int_equal(h->out_len, 0);
}

static void test_hypercall_clock_monotonic_is_host_monotonic_clock_in_ns(void **state)
{
	struct harness *h = *state;
	uint64_t before = host_monotonic_ns();
	uint64_t t1 = call(h, 3, 0, 0);
	uint64_t t2 = call(h, 3, 0, 0);
	uint64_t after = host_monotonic_ns();

	/* "host CLOCK_MONOTONIC in nanoseconds": between two host readings, never backwards. */
	assert_in_range(t1, before, after);
	assert_in_range(t2, t1, after);
}

static void test_hypercall_clock_monotonic_never_goes_back(void **state)
{
	struct harness *h = *state;
	uint64_t last = call(h, 3, 0, 0);

	for (int i = 0; i < 10000; i++) {
		uint64_t now = call(h, 3, 0, 0);

		assert_true(now >= last);
		last = now;
	}
}

/* After a restore (vm/vm_clock.h) the clock goes on from the saved reading:
 * the platform clock plus the VM's offset, which may wrap. */
static void test_hypercall_clock_monotonic_adds_the_vm_clock_offset(void **state)
{
	struct harness *h = *state;
	uint64_t before, t, after;

	h->vm.clock_offset_ns = 1000000000000ull;
	before = host_monotonic_ns();
	t = call(h, 3, 0, 0);
	after = host_monotonic_ns();
	assert_in_range(t, before + 1000000000000ull, after + 1000000000000ull);
	h->vm.clock_offset_ns = (uint64_t)0 - before / 2;
	t = call(h, 3, 0, 0);
	assert_in_range(t, before - before / 2, host_monotonic_ns() - before / 2);
}

static void test_hypercall_unknown_number_returns_minus_1000(void **state)
{
	static const uint64_t unknown[] = { 4, 0xff, 0x100, 0x101, 0x80000000ull, UINT64_MAX };
	struct harness *h = *state;

	/* "-KVM_ENOSYS (-1000)". Ringvisor reads all of RAX, so 0x100 is not number 0. */
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		assert_int_equal(call(h, unknown[i], 0x1000, 1), RESULT_ENOSYS);
	assert_int_equal(h->out_len, 0);
	assert_false(h->vm.stopping);
}

static void test_hypercall_exit_stops_vm_with_status(void **state)
{
	struct harness *h = *state;
	uint64_t count = 0;

	assert_false(vm_stopping(&h->vm));
	(void)call(h, 2, 7, 0);
	assert_true(vm_stopping(&h->vm));
	assert_int_equal(h->vm.exit_status, 7);
	/* The I/O thread is woken through the stop eventfd. */
	assert_int_equal(read(h->vm.stop_fd, &count, sizeof(count)), sizeof(count));
	assert_true(count >= 1);
}

static void test_hypercall_exit_status_is_low_8_bits(void **state)
{
	struct harness *h = *state;

	/* "Ringvisor exits with status & 0xff". */
	(void)call(h, 2, 0x1ff, 0);
	assert_int_equal(h->vm.exit_status, 0xff);
}

static void test_hypercall_exit_status_256_is_0(void **state)
{
	struct harness *h = *state;

	(void)call(h, 2, 0x100, 0);
	assert_true(vm_stopping(&h->vm));
	assert_int_equal(h->vm.exit_status, 0);
}

static void test_hypercall_first_exit_wins(void **state)
{
	struct harness *h = *state;

	(void)call(h, 2, 3, 0);
	(void)call(h, 2, 5, 0);
	assert_int_equal(h->vm.exit_status, 3);
}

#define HC_TEST(f) cmocka_unit_test_setup_teardown(f, hc_setup, hc_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		HC_TEST(test_hypercall_abi_version_is_1),
		HC_TEST(test_hypercall_console_write_sends_bytes_and_returns_count),
		HC_TEST(test_hypercall_console_write_at_end_of_ram),
		HC_TEST(test_hypercall_console_write_past_end_of_ram_is_efault),
		HC_TEST(test_hypercall_console_write_outside_ram_is_efault),
		HC_TEST(test_hypercall_console_write_wrapping_range_is_efault),
		HC_TEST(test_hypercall_console_write_is_capped_at_4096_bytes),
		HC_TEST(test_hypercall_console_write_checks_whole_range_even_beyond_cap),
		HC_TEST(test_hypercall_console_write_of_zero_bytes_returns_zero),
		HC_TEST(test_hypercall_clock_monotonic_is_host_monotonic_clock_in_ns),
		HC_TEST(test_hypercall_clock_monotonic_never_goes_back),
		HC_TEST(test_hypercall_clock_monotonic_adds_the_vm_clock_offset),
		HC_TEST(test_hypercall_unknown_number_returns_minus_1000),
		HC_TEST(test_hypercall_exit_stops_vm_with_status),
		HC_TEST(test_hypercall_exit_status_is_low_8_bits),
		HC_TEST(test_hypercall_exit_status_256_is_0),
		HC_TEST(test_hypercall_first_exit_wins),
	};

	return cmocka_run_group_tests_name("hypercall", tests, NULL, NULL);
}
