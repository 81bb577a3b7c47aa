/* The port-I/O and MMIO bus (src/vm/bus.c): registration, lookup, and how an
 * access that hits no device is answered (docs/guest-abi.md, "Machine"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_helpers.h"
#include "vm/bus.h"

/* A device that records the accesses it sees. */
struct fake_device {
	uint64_t read_value;
	unsigned reads, writes;
	uint64_t last_offset;
	unsigned last_size;
	uint64_t last_value;
};

static uint64_t fake_read(void *opaque, uint64_t offset, unsigned size)
{
	struct fake_device *d = opaque;

	d->reads++;
	d->last_offset = offset;
	d->last_size = size;
	return d->read_value;
}

static void fake_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct fake_device *d = opaque;

	d->writes++;
	d->last_offset = offset;
	d->last_size = size;
	d->last_value = value;
}

static const struct io_device_ops fake_ops = { .read = fake_read, .write = fake_write, .sizes = IO_SIZES_ALL };

static int bus_setup(void **state)
{
	struct io_bus *bus = calloc(1, sizeof(*bus));

	if (!bus)
		return -1;
	io_bus_init(bus, "port");
	*state = bus;
	return 0;
}

static int bus_teardown(void **state)
{
	io_bus_destroy(*state);
	free(*state);
	return 0;
}

static void test_bus_register_accepts_adjacent_ranges(void **state)
{
	struct io_bus *bus = *state;

	/* [0x100, 0x108), then the ranges that touch it on either side without sharing a byte. */
	assert_int_equal(io_bus_register(bus, 0x100, 8, "mid", &fake_ops, NULL), 0);
	assert_int_equal(io_bus_register(bus, 0x108, 8, "above", &fake_ops, NULL), 0);
	assert_int_equal(io_bus_register(bus, 0xf8, 8, "below", &fake_ops, NULL), 0);
	assert_int_equal(bus->count, 3);
}

static void test_bus_register_rejects_overlap_at_last_byte(void **state)
{
	struct io_bus *bus = *state;

	assert_int_equal(io_bus_register(bus, 0x100, 8, "a", &fake_ops, NULL), 0);
	/* 0x107 is the last byte of the first range. */
	assert_int_equal(io_bus_register(bus, 0x107, 8, "b", &fake_ops, NULL), -1);
	assert_int_equal(io_bus_register(bus, 0x107, 1, "c", &fake_ops, NULL), -1);
	assert_int_equal(bus->count, 1);
}

static void test_bus_register_rejects_overlap_at_first_byte(void **state)
{
	struct io_bus *bus = *state;

	assert_int_equal(io_bus_register(bus, 0x100, 8, "a", &fake_ops, NULL), 0);
	/* [0xf9, 0x101) ends on 0x100, the first byte of the first range. */
	assert_int_equal(io_bus_register(bus, 0xf9, 8, "b", &fake_ops, NULL), -1);
	assert_int_equal(bus->count, 1);
}

static void test_bus_register_rejects_range_enclosing_or_inside_another(void **state)
{
	struct io_bus *bus = *state;

	assert_int_equal(io_bus_register(bus, 0x100, 8, "a", &fake_ops, NULL), 0);
	assert_int_equal(io_bus_register(bus, 0x80, 0x100, "around", &fake_ops, NULL), -1);
	assert_int_equal(io_bus_register(bus, 0x102, 2, "inside", &fake_ops, NULL), -1);
	assert_int_equal(io_bus_register(bus, 0x100, 8, "same", &fake_ops, NULL), -1);
	assert_int_equal(bus->count, 1);
}

static void test_bus_register_rejects_zero_length(void **state)
{
	struct io_bus *bus = *state;

	assert_int_equal(io_bus_register(bus, 0x100, 0, "empty", &fake_ops, NULL), -1);
	assert_int_equal(bus->count, 0);
}

static void test_bus_register_rejects_range_wrapping_past_top(void **state)
{
	struct io_bus *bus = *state;

	/* [2^64 - 1, 2^64 + 1) would wrap to address 0. */
	assert_int_equal(io_bus_register(bus, UINT64_MAX, 2, "wrap", &fake_ops, NULL), -1);
	assert_int_equal(io_bus_register(bus, 0x10, UINT64_MAX, "wrap2", &fake_ops, NULL), -1);
	assert_int_equal(bus->count, 0);
	/* A wrapped range must not have been taken for one at the bottom either. */
	assert_null(io_bus_find(bus, 0));
}

static void test_bus_register_accepts_range_ending_at_top_of_address_space(void **state)
{
	struct io_bus *bus = *state;
	const struct io_range *r;

	assert_int_equal(io_bus_register(bus, UINT64_MAX - 7, 8, "top", &fake_ops, NULL), 0);
	r = io_bus_find(bus, UINT64_MAX);
	assert_non_null(r);
	assert_string_equal(r->name, "top");
	assert_null(io_bus_find(bus, UINT64_MAX - 8));
	/* A range below it that ends where it begins is adjacent, not overlapping. */
	assert_int_equal(io_bus_register(bus, UINT64_MAX - 15, 8, "below", &fake_ops, NULL), 0);
}

static void test_bus_find_hits_first_and_last_byte_only(void **state)
{
	struct io_bus *bus = *state;
	const struct io_range *r;

	assert_int_equal(io_bus_register(bus, 0x3f8, 8, "com1", &fake_ops, NULL), 0);
	assert_null(io_bus_find(bus, 0x3f7));
	r = io_bus_find(bus, 0x3f8);
	assert_non_null(r);
	assert_int_equal(r->base, 0x3f8);
	assert_int_equal(r->len, 8);
	r = io_bus_find(bus, 0x3ff);
	assert_non_null(r);
	assert_string_equal(r->name, "com1");
	assert_null(io_bus_find(bus, 0x400));
}

static void test_bus_find_picks_the_right_range_when_registered_out_of_order(void **state)
{
	static const struct {
		uint64_t base, len;
		const char *name;
	} ranges[] = {
		{ 0x3f8, 8, "d" }, { 0x60, 1, "b" }, { 0xf4, 4, "c" }, { 0x20, 2, "a" }, { 0xcf8, 8, "e" },
	};
	struct io_bus *bus = *state;

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		assert_int_equal(io_bus_register(bus, ranges[i].base, ranges[i].len, ranges[i].name, &fake_ops, NULL),
				 0);
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		const struct io_range *first = io_bus_find(bus, ranges[i].base);
		const struct io_range *last = io_bus_find(bus, ranges[i].base + ranges[i].len - 1);

		assert_non_null(first);
		assert_non_null(last);
		assert_string_equal(first->name, ranges[i].name);
		assert_string_equal(last->name, ranges[i].name);
		assert_null(io_bus_find(bus, ranges[i].base + ranges[i].len + 0x1000));
	}
	assert_null(io_bus_find(bus, 0x21 + 1));
	assert_null(io_bus_find(bus, 0x61));
}

static void test_bus_read_gives_device_offset_and_size(void **state)
{
	struct io_bus *bus = *state;
	struct fake_device dev = { .read_value = 0xbeef };

	assert_int_equal(io_bus_register(bus, 0x3f8, 8, "dev", &fake_ops, &dev), 0);
	assert_int_equal(io_bus_read(bus, 0x3fb, 2), 0xbeef);
	assert_int_equal(dev.reads, 1);
	assert_int_equal(dev.last_offset, 3);
	assert_int_equal(dev.last_size, 2);
	assert_int_equal(bus->unclaimed, 0);
}

static void test_bus_read_truncates_device_value_to_access_width(void **state)
{
	struct io_bus *bus = *state;
	struct fake_device dev = { .read_value = 0x1122334455667788ull };

	assert_int_equal(io_bus_register(bus, 0x1000, 8, "dev", &fake_ops, &dev), 0);
	/* An access of n bytes carries n bytes (IN AL/AX/EAX, a MOV of that width). */
	assert_int_equal(io_bus_read(bus, 0x1000, 1), 0x88);
	assert_int_equal(io_bus_read(bus, 0x1000, 2), 0x7788);
	assert_int_equal(io_bus_read(bus, 0x1000, 4), 0x55667788);
	assert_int_equal(io_bus_read(bus, 0x1000, 8), 0x1122334455667788ull);
}

static void test_bus_write_gives_device_offset_size_and_truncated_value(void **state)
{
	struct io_bus *bus = *state;
	struct fake_device dev = { 0 };

	assert_int_equal(io_bus_register(bus, 0xf4, 4, "dev", &fake_ops, &dev), 0);
	io_bus_write(bus, 0xf5, 1, 0x1234);
	assert_int_equal(dev.writes, 1);
	assert_int_equal(dev.last_offset, 1);
	assert_int_equal(dev.last_size, 1);
	assert_int_equal(dev.last_value, 0x34);
	io_bus_write(bus, 0xf4, 2, 0xabcdef);
	assert_int_equal(dev.last_value, 0xcdef);
}

static void test_bus_unclaimed_read_returns_all_ones_of_access_width(void **state)
{
	struct io_bus *bus = *state;
	struct stderr_capture cap;

	assert_int_equal(stderr_capture_begin(&cap), 0);
	uint64_t r1 = io_bus_read(bus, 0x80, 1);
	uint64_t r2 = io_bus_read(bus, 0x80, 2);
	uint64_t r4 = io_bus_read(bus, 0x80, 4);
	uint64_t r8 = io_bus_read(bus, 0x80, 8);
	free(stderr_capture_end(&cap));

	/* docs/guest-abi.md: "port reads return all ones of the access width". */
	assert_int_equal(r1, 0xff);
	assert_int_equal(r2, 0xffff);
	assert_int_equal(r4, 0xffffffffull);
	assert_int_equal(r8, UINT64_MAX);
}

static void test_bus_unclaimed_write_reaches_no_device(void **state)
{
	struct io_bus *bus = *state;
	struct fake_device dev = { 0 };
	struct stderr_capture cap;

	assert_int_equal(io_bus_register(bus, 0x100, 8, "dev", &fake_ops, &dev), 0);
	assert_int_equal(stderr_capture_begin(&cap), 0);
	io_bus_write(bus, 0xff, 1, 0x12);
	io_bus_write(bus, 0x108, 4, 0x12345678);
	io_bus_write(bus, UINT64_MAX, 8, 0);
	free(stderr_capture_end(&cap));

	assert_int_equal(dev.writes, 0);
	assert_int_equal(bus->unclaimed, 3);
}

static void test_bus_unclaimed_counter_counts_every_access(void **state)
{
	struct io_bus *bus = *state;
	struct stderr_capture cap;

	assert_int_equal(stderr_capture_begin(&cap), 0);
	for (int i = 0; i < 5; i++)
		io_bus_read(bus, 0x80, 1);
	for (int i = 0; i < 3; i++)
		io_bus_write(bus, 0x81 + (uint64_t)i, 1, 0);
	free(stderr_capture_end(&cap));

	assert_int_equal(bus->unclaimed, 8);
}

static void test_bus_unclaimed_address_is_logged_once(void **state)
{
	struct io_bus *bus = *state;
	struct stderr_capture cap;
	char *log;

	assert_int_equal(stderr_capture_begin(&cap), 0);
	io_bus_read(bus, 0x80, 1);
	io_bus_read(bus, 0x80, 2);
	io_bus_write(bus, 0x80, 1, 0);
	io_bus_read(bus, 0x81, 1);
	log = stderr_capture_end(&cap);

	assert_non_null(log);
	/* Two distinct addresses: one line each, whatever the access. */
	assert_int_equal(count_lines_containing(log, "0x80"), 1);
	assert_int_equal(count_lines_containing(log, "0x81"), 1);
	assert_int_equal(count_lines(log), 2);
	free(log);
}

static void test_bus_logs_at_most_BUS_LOGGED_MAX_addresses(void **state)
{
	struct io_bus *bus = *state;
	struct stderr_capture cap;
	char *log;

	assert_int_equal(stderr_capture_begin(&cap), 0);
	for (uint64_t a = 0; a < 3 * BUS_LOGGED_MAX; a++)
		io_bus_read(bus, 0x1000 + a, 1);
	log = stderr_capture_end(&cap);

	assert_non_null(log);
	/* docs/guest-abi.md: logged once per address "and at most 64 such lines per run". */
	assert_int_equal(BUS_LOGGED_MAX, 64);
	assert_int_equal(count_lines_containing(log, "address 0x"), BUS_LOGGED_MAX);
	/* At most one more line may say that the rest are not logged. */
	assert_in_range(count_lines(log), BUS_LOGGED_MAX, BUS_LOGGED_MAX + 1);
	/* Every access is still counted after logging stops. */
	assert_int_equal(bus->unclaimed, 3 * BUS_LOGGED_MAX);
	free(log);
}

static void test_bus_claimed_range_without_handlers_answers_all_ones_silently(void **state)
{
	static const struct io_device_ops no_ops = { .sizes = IO_SIZES_BYTE };
	struct io_bus *bus = *state;
	struct stderr_capture cap;
	uint64_t value;
	char *log;

	/* Like the hypercall port: claimed, so neither logged nor counted. */
	assert_int_equal(io_bus_register(bus, 0xe8, 1, "quiet", &no_ops, NULL), 0);
	assert_int_equal(stderr_capture_begin(&cap), 0);
	value = io_bus_read(bus, 0xe8, 1);
	io_bus_write(bus, 0xe8, 1, 0x42);
	log = stderr_capture_end(&cap);

	assert_int_equal(value, 0xff);
	assert_int_equal(bus->unclaimed, 0);
	assert_non_null(log);
	assert_string_equal(log, "");
	free(log);
}

/* A device that answers a fixed byte and records what it is given, one per range. */
struct byte_device {
	uint8_t value;
	unsigned reads, writes, last_size;
	uint64_t last_offset, written;
};

static uint64_t byte_read(void *opaque, uint64_t offset, unsigned size)
{
	struct byte_device *d = opaque;

	d->reads++;
	d->last_offset = offset;
	d->last_size = size;
	return 0x0101010101010101ull * d->value;
}

static void byte_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct byte_device *d = opaque;

	d->writes++;
	d->last_offset = offset;
	d->last_size = size;
	d->written = value;
}

static const struct io_device_ops byte_ops = { .read = byte_read, .write = byte_write, .sizes = IO_SIZES_BYTE };
static const struct io_device_ops word_ops = { .read = byte_read, .write = byte_write, .sizes = 1u | 2u };

static void test_bus_register_refuses_ops_without_byte_access_or_with_odd_sizes(void **state)
{
	static const struct io_device_ops no_sizes = { .read = byte_read };
	static const struct io_device_ops dword_only = { .read = byte_read, .sizes = 4u };
	static const struct io_device_ops sixteen = { .read = byte_read, .sizes = 1u | 16u };
	struct io_bus *bus = *state;

	assert_int_equal(io_bus_register(bus, 0x100, 4, "none", &no_sizes, NULL), -1);
	assert_int_equal(io_bus_register(bus, 0x100, 4, "dword", &dword_only, NULL), -1);
	assert_int_equal(io_bus_register(bus, 0x100, 4, "sixteen", &sixteen, NULL), -1);
	assert_int_equal(bus->count, 0);
}

static void test_bus_wide_read_of_a_one_port_device_reads_0xff_above_it(void **state)
{
	struct io_bus *bus = *state;
	struct byte_device d = { .value = 0x02 };
	struct stderr_capture cap;
	uint64_t w, q;

	assert_int_equal(io_bus_register(bus, 0x92, 1, "port92", &byte_ops, &d), 0);
	assert_int_equal(stderr_capture_begin(&cap), 0);
	w = io_bus_read(bus, 0x92, 2);
	q = io_bus_read(bus, 0x92, 4);
	free(stderr_capture_end(&cap));

	assert_int_equal(w, 0xff02);
	assert_int_equal(q, 0xffffff02u);
	/* The device saw byte accesses only, at its own port. */
	assert_int_equal(d.reads, 2);
	assert_int_equal(d.last_size, 1);
	assert_int_equal(d.last_offset, 0);
	/* 0x93-0x95 are unclaimed: one count per access. */
	assert_int_equal(bus->unclaimed, 2);
}

static void test_bus_wide_access_reaches_each_port_s_own_device(void **state)
{
	struct io_bus *bus = *state;
	struct byte_device a = { .value = 0x11 }, b = { .value = 0x22 };

	assert_int_equal(io_bus_register(bus, 0x60, 1, "a", &byte_ops, &a), 0);
	assert_int_equal(io_bus_register(bus, 0x61, 1, "b", &byte_ops, &b), 0);
	assert_int_equal(io_bus_read(bus, 0x60, 2), 0x2211);
	io_bus_write(bus, 0x60, 2, 0xbbaa);
	assert_int_equal(a.written, 0xaa);
	assert_int_equal(b.written, 0xbb);
	assert_int_equal(a.last_size, 1);
	assert_int_equal(b.last_size, 1);
	assert_int_equal(bus->unclaimed, 0);
}

static void test_bus_access_is_cut_at_the_end_of_a_range_and_to_the_sizes_a_device_takes(void **state)
{
	struct io_bus *bus = *state;
	struct byte_device d = { .value = 0x5a };
	struct stderr_capture cap;
	uint64_t v;

	/* Two ports taking bytes and words, then nothing. */
	assert_int_equal(io_bus_register(bus, 0x510, 2, "sel-data", &word_ops, &d), 0);
	assert_int_equal(stderr_capture_begin(&cap), 0);
	v = io_bus_read(bus, 0x510, 4);
	assert_int_equal(d.last_size, 2);
	assert_int_equal(v, 0xffff5a5au);
	v = io_bus_read(bus, 0x511, 2);
	assert_int_equal(d.last_size, 1);
	assert_int_equal(d.last_offset, 1);
	assert_int_equal(v, 0xff5a);
	io_bus_write(bus, 0x510, 8, 0x8877665544332211ull);
	free(stderr_capture_end(&cap));
	assert_int_equal(d.writes, 1);
	assert_int_equal(d.last_size, 2);
	assert_int_equal(d.written, 0x2211);
}

static void test_bus_unclaimed_bytes_below_a_device_read_0xff(void **state)
{
	struct io_bus *bus = *state;
	struct byte_device d = { .value = 0x33 };
	struct stderr_capture cap;
	uint64_t v;
	char *log;

	assert_int_equal(io_bus_register(bus, 0x100, 1, "dev", &byte_ops, &d), 0);
	assert_int_equal(stderr_capture_begin(&cap), 0);
	v = io_bus_read(bus, 0xfe, 4);
	log = stderr_capture_end(&cap);

	assert_int_equal(v, 0xff33ffffu);
	assert_int_equal(d.reads, 1);
	assert_non_null(log);
	/* Two unclaimed runs, each logged at its first address. */
	assert_int_equal(count_lines_containing(log, "0xfe"), 1);
	assert_int_equal(count_lines_containing(log, "0x101"), 1);
	free(log);
}

static void test_bus_device_taking_the_width_gets_the_access_whole(void **state)
{
	struct io_bus *bus = *state;
	struct fake_device dev = { .read_value = 0x12345678 };

	assert_int_equal(io_bus_register(bus, 0xfec00000, 0x1000, "dev", &fake_ops, &dev), 0);
	assert_int_equal(io_bus_read(bus, 0xfec00010, 4), 0x12345678);
	assert_int_equal(dev.reads, 1);
	assert_int_equal(dev.last_size, 4);
	/* The last 4 bytes of the range: whole; 2 bytes before its end: cut. */
	io_bus_read(bus, 0xfec00ffc, 4);
	assert_int_equal(dev.last_size, 4);
	io_bus_read(bus, 0xfec00ffe, 4);
	assert_int_equal(dev.last_offset, 0xffe);
	assert_int_equal(dev.last_size, 2);
}

#define BUS_TEST(f) cmocka_unit_test_setup_teardown(f, bus_setup, bus_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BUS_TEST(test_bus_register_accepts_adjacent_ranges),
		BUS_TEST(test_bus_register_rejects_overlap_at_last_byte),
		BUS_TEST(test_bus_register_rejects_overlap_at_first_byte),
		BUS_TEST(test_bus_register_rejects_range_enclosing_or_inside_another),
		BUS_TEST(test_bus_register_rejects_zero_length),
		BUS_TEST(test_bus_register_rejects_range_wrapping_past_top),
		BUS_TEST(test_bus_register_accepts_range_ending_at_top_of_address_space),
		BUS_TEST(test_bus_find_hits_first_and_last_byte_only),
		BUS_TEST(test_bus_find_picks_the_right_range_when_registered_out_of_order),
		BUS_TEST(test_bus_read_gives_device_offset_and_size),
		BUS_TEST(test_bus_read_truncates_device_value_to_access_width),
		BUS_TEST(test_bus_write_gives_device_offset_size_and_truncated_value),
		BUS_TEST(test_bus_unclaimed_read_returns_all_ones_of_access_width),
		BUS_TEST(test_bus_unclaimed_write_reaches_no_device),
		BUS_TEST(test_bus_unclaimed_counter_counts_every_access),
		BUS_TEST(test_bus_unclaimed_address_is_logged_once),
		BUS_TEST(test_bus_logs_at_most_BUS_LOGGED_MAX_addresses),
		BUS_TEST(test_bus_claimed_range_without_handlers_answers_all_ones_silently),
		BUS_TEST(test_bus_register_refuses_ops_without_byte_access_or_with_odd_sizes),
		BUS_TEST(test_bus_wide_read_of_a_one_port_device_reads_0xff_above_it),
		BUS_TEST(test_bus_wide_access_reaches_each_port_s_own_device),
		BUS_TEST(test_bus_access_is_cut_at_the_end_of_a_range_and_to_the_sizes_a_device_takes),
		BUS_TEST(test_bus_unclaimed_bytes_below_a_device_read_0xff),
		BUS_TEST(test_bus_device_taking_the_width_gets_the_access_whole),
	};

	return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
