/* Guest RAM (src/vm/memory.c): the sizes accepted, the PC layout with the hole
 * from 3 to 4 GiB (docs/guest-abi.md, "Machine"), and the bounds checks of
 * guest_memory_ptr, which every guest-supplied address goes through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sys/mman.h>

#include <fcntl.h>

#include "unit_helpers.h"
#include "vm/memory.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static void expect_init_fails(uint64_t size)
{
	struct guest_memory mem;
	char why[256] = "";

	assert_int_equal(guest_memory_init(&mem, size, why, sizeof(why)), -1);
	assert_true(why[0] != '\0');
	/* A failed init leaves nothing to release, and releasing it again is harmless. */
	assert_null(mem.base);
	assert_int_equal(mem.nregions, 0);
	guest_memory_destroy(&mem);
}

static void test_memory_init_rejects_size_below_2_mib(void **state)
{
	(void)state;
	expect_init_fails(0);
	expect_init_fails(4096);
	expect_init_fails(2 * MiB - 4096);
}

static void test_memory_init_rejects_size_not_a_page_multiple(void **state)
{
	(void)state;
	expect_init_fails(2 * MiB + 1);
	expect_init_fails(256 * MiB + 2048);
	expect_init_fails(4 * GiB - 1);
}

static void test_memory_init_rejects_size_above_1_tib(void **state)
{
	(void)state;
	expect_init_fails((1ull << 40) + 4096);
	expect_init_fails(UINT64_MAX & ~4095ull);
}

static void test_memory_init_accepts_minimum_of_2_mib(void **state)
{
	struct guest_memory mem;
	char why[256] = "";

	(void)state;
	assert_int_equal(guest_memory_init(&mem, 2 * MiB, why, sizeof(why)), 0);
	assert_int_equal(mem.size, 2 * MiB);
	assert_non_null(guest_memory_ptr(&mem, 2 * MiB - 1, 1));
	assert_null(guest_memory_ptr(&mem, 2 * MiB, 1));
	guest_memory_destroy(&mem);
}

static void test_memory_init_accepts_maximum_of_1_tib(void **state)
{
	struct guest_memory mem;
	char why[256] = "";

	(void)state;
	/* MAP_NORESERVE: a 1 TiB guest costs address space only. A host that cannot
	 * map that much (ulimit -v) says so, which is not a range error. */
	if (guest_memory_init(&mem, 1ull << 40, why, sizeof(why))) {
		if (strstr(why, "cannot")) {
			print_message("SKIP: this host cannot map a 1 TiB guest: %s\n", why);
			skip();
		}
		fail_msg("1 TiB refused: %s", why);
	}
	assert_int_equal(mem.size, 1ull << 40);
	assert_int_equal(guest_memory_low_end(&mem), 0xc0000000ull);
	assert_non_null(guest_memory_ptr(&mem, 0x100000000ull + (1ull << 40) - 0xc0000000ull - 1, 1));
	assert_null(guest_memory_ptr(&mem, 0x100000000ull + (1ull << 40) - 0xc0000000ull, 1));
	guest_memory_destroy(&mem);
}

/* How many of the pages of [p, p + len) are resident (mincore). */
static unsigned resident_pages(const uint8_t *p, uint64_t len)
{
	unsigned char vec[1024];
	unsigned n = 0;

	assert_true(len / 4096 <= sizeof(vec));
	assert_int_equal(mincore((void *)(uintptr_t)p, len, vec), 0);
	for (uint64_t i = 0; i < len / 4096; i++)
		n += vec[i] & 1;
	return n;
}

/* guest_memory_ptr maps in the 2 MiB piece it points into, all of it, and
 * nothing else: one madvise instead of a page fault per page. */
static void test_memory_ptr_maps_in_its_2_mib_piece(void **state)
{
	struct guest_memory mem;
	char why[256] = "";
	void *probe = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	assert_true(probe != MAP_FAILED);
	if (madvise(probe, 4096, MADV_POPULATE_WRITE)) {
		munmap(probe, 4096);
		print_message("SKIP: this kernel has no MADV_POPULATE_WRITE (Linux 5.14)\n");
		skip();
	}
	munmap(probe, 4096);
	assert_int_equal(guest_memory_init(&mem, 8 * MiB, why, sizeof(why)), 0);
	assert_int_equal(resident_pages(mem.base, 8 * MiB / 2), 0);
	assert_non_null(guest_memory_ptr(&mem, 2 * MiB + 3 * 4096, 1));
	assert_int_equal(resident_pages(mem.base + 2 * MiB, 2 * MiB), 512);
	assert_int_equal(resident_pages(mem.base, 2 * MiB), 0);
	assert_int_equal(resident_pages(mem.base + 4 * MiB, 2 * MiB), 0);
	/* A range over a piece boundary maps in both pieces. */
	assert_non_null(guest_memory_ptr(&mem, 6 * MiB - 8, 16));
	assert_int_equal(resident_pages(mem.base + 4 * MiB, 2 * MiB), 512);
	assert_int_equal(resident_pages(mem.base + 6 * MiB, 2 * MiB), 512);
	guest_memory_destroy(&mem);
	/* A guest-sized range (a hypercall checks its whole buffer) maps in its
	 * first 2 MiB only, not the RAM it spans. */
	assert_int_equal(guest_memory_init(&mem, 8 * MiB, why, sizeof(why)), 0);
	assert_non_null(guest_memory_ptr(&mem, 0, 8 * MiB));
	assert_int_equal(resident_pages(mem.base, 2 * MiB), 512);
	assert_int_equal(resident_pages(mem.base + 2 * MiB, 4 * MiB), 0);
	guest_memory_destroy(&mem);
}

static void test_memory_guest_below_3_gib_is_one_region_from_zero(void **state)
{
	struct guest_memory mem;
	char why[256] = "";

	(void)state;
	assert_int_equal(guest_memory_init(&mem, 256 * MiB, why, sizeof(why)), 0);
	assert_int_equal(mem.nregions, 1);
	assert_int_equal(mem.region[0].gpa, 0);
	assert_int_equal(mem.region[0].size, 256 * MiB);
	assert_int_equal(guest_memory_low_end(&mem), 256 * MiB);
	assert_null(guest_memory_ptr(&mem, MEM_HIGH_START, 1));
	guest_memory_destroy(&mem);
}

static void test_memory_4_gib_guest_splits_at_3_gib_and_resumes_at_4_gib(void **state)
{
	struct guest_memory mem;
	char why[256] = "";

	(void)state;
	/* docs/guest-abi.md: RAM below 3 GiB, "RAM beyond 3 GiB continues at 4 GiB". */
	assert_int_equal(guest_memory_init(&mem, 4 * GiB, why, sizeof(why)), 0);
	assert_int_equal(guest_memory_low_end(&mem), 0xc0000000ull);
	assert_int_equal(mem.nregions, 2);
	assert_int_equal(mem.region[1].gpa, 0x100000000ull);
	assert_int_equal(mem.region[1].size, 1 * GiB);

	assert_non_null(guest_memory_ptr(&mem, 0xbfffffffull, 1));
	assert_null(guest_memory_ptr(&mem, 0xc0000000ull, 1));
	assert_null(guest_memory_ptr(&mem, 0xfee00000ull, 4)); /* the hole is MMIO */
	assert_null(guest_memory_ptr(&mem, 0xffffffffull, 1));
	assert_non_null(guest_memory_ptr(&mem, 0x100000000ull, 1));
	assert_non_null(guest_memory_ptr(&mem, 0x13fffffffull, 1));
	assert_null(guest_memory_ptr(&mem, 0x140000000ull, 1));
	guest_memory_destroy(&mem);
}

static void test_memory_high_ram_is_distinct_from_low_ram(void **state)
{
	struct guest_memory mem;
	char why[256] = "";
	uint8_t a = 0x11, b = 0x22, c = 0x33, out = 0;

	(void)state;
	assert_int_equal(guest_memory_init(&mem, 4 * GiB, why, sizeof(why)), 0);
	assert_int_equal(guest_memory_write(&mem, 0, &a, 1), 0);
	assert_int_equal(guest_memory_write(&mem, 0xbfffffffull, &b, 1), 0);
	assert_int_equal(guest_memory_write(&mem, 0x100000000ull, &c, 1), 0);
	assert_int_equal(guest_memory_read(&mem, 0, &out, 1), 0);
	assert_int_equal(out, 0x11);
	assert_int_equal(guest_memory_read(&mem, 0xbfffffffull, &out, 1), 0);
	assert_int_equal(out, 0x22);
	assert_int_equal(guest_memory_read(&mem, 0x100000000ull, &out, 1), 0);
	assert_int_equal(out, 0x33);
	guest_memory_destroy(&mem);
}

static void test_memory_ptr_rejects_range_straddling_the_hole(void **state)
{
	struct guest_memory mem;
	char why[256] = "";

	(void)state;
	assert_int_equal(guest_memory_init(&mem, 4 * GiB, why, sizeof(why)), 0);
	/* Both ends are RAM, the middle is not: one pointer cannot cover it. */
	assert_null(guest_memory_ptr(&mem, 0xbffff000ull, 0x40001000ull + 0x1000));
	assert_null(guest_memory_ptr(&mem, 0xbffff000ull, 0x2000));
	assert_non_null(guest_memory_ptr(&mem, 0xbffff000ull, 0x1000));
	guest_memory_destroy(&mem);
}

static void test_memory_ptr_accepts_ranges_ending_at_last_byte(void **state)
{
	struct guest_memory mem;
	char why[256] = "";
	uint8_t *base;

	(void)state;
	assert_int_equal(guest_memory_init(&mem, 16 * MiB, why, sizeof(why)), 0);
	base = guest_memory_ptr(&mem, 0, 16 * MiB);
	assert_non_null(base);
	assert_ptr_equal(guest_memory_ptr(&mem, 16 * MiB - 1, 1), base + 16 * MiB - 1);
	assert_ptr_equal(guest_memory_ptr(&mem, 16 * MiB - 4096, 4096), base + 16 * MiB - 4096);
	guest_memory_destroy(&mem);
}

static void test_memory_ptr_rejects_range_one_byte_past_end(void **state)
{
	struct guest_memory mem;
	char why[256] = "";

	(void)state;
	assert_int_equal(guest_memory_init(&mem, 16 * MiB, why, sizeof(why)), 0);
	assert_null(guest_memory_ptr(&mem, 16 * MiB - 4096, 4097));
	assert_null(guest_memory_ptr(&mem, 0, 16 * MiB + 1));
	assert_null(guest_memory_ptr(&mem, 16 * MiB, 1));
	guest_memory_destroy(&mem);
}

static void test_memory_ptr_zero_length_is_allowed_at_end_but_not_beyond(void **state)
{
	struct guest_memory mem;
	char why[256] = "";

	(void)state;
	assert_int_equal(guest_memory_init(&mem, 16 * MiB, why, sizeof(why)), 0);
	/* The empty range at the end lies within RAM (like C's one-past-the-end pointer);
	 * an empty range that starts outside RAM does not. */
	assert_non_null(guest_memory_ptr(&mem, 16 * MiB, 0));
	assert_non_null(guest_memory_ptr(&mem, 0, 0));
	assert_null(guest_memory_ptr(&mem, 16 * MiB + 1, 0));
	assert_null(guest_memory_ptr(&mem, UINT64_MAX, 0));
	guest_memory_destroy(&mem);
}

static void test_memory_ptr_rejects_lengths_that_would_wrap(void **state)
{
	struct guest_memory mem;
	char why[256] = "";

	(void)state;
	assert_int_equal(guest_memory_init(&mem, 4 * GiB, why, sizeof(why)), 0);
	/* gpa + len overflows to a small number: a naive end check would accept these. */
	assert_null(guest_memory_ptr(&mem, 0x1000, UINT64_MAX));
	assert_null(guest_memory_ptr(&mem, 0x1000, UINT64_MAX - 0xfff));
	assert_null(guest_memory_ptr(&mem, UINT64_MAX, 2));
	assert_null(guest_memory_ptr(&mem, UINT64_MAX - 0xfff, 0x2000));
	assert_null(guest_memory_ptr(&mem, 0x100000000ull, UINT64_MAX - 0xffffffffull));
	assert_null(guest_memory_ptr(&mem, 0x13fffffffull, UINT64_MAX));
	guest_memory_destroy(&mem);
}

static void test_memory_write_refuses_partial_range_and_copies_nothing(void **state)
{
	static const uint8_t pattern[4] = { 1, 2, 3, 4 };
	struct guest_memory mem;
	char why[256] = "";
	uint8_t tail[2] = { 0xaa, 0xaa };

	(void)state;
	assert_int_equal(guest_memory_init(&mem, 2 * MiB, why, sizeof(why)), 0);
	assert_int_equal(guest_memory_write(&mem, 2 * MiB - 2, pattern, 4), -1);
	assert_int_equal(guest_memory_read(&mem, 2 * MiB - 2, tail, 2), 0);
	/* Fresh RAM is zero, and the refused write left it so. */
	assert_int_equal(tail[0], 0);
	assert_int_equal(tail[1], 0);
	assert_int_equal(guest_memory_read(&mem, 2 * MiB - 2, tail, 4), -1);
	guest_memory_destroy(&mem);
}

static void test_memory_write_then_read_round_trips(void **state)
{
	static const uint8_t pattern[5] = { 0xde, 0xad, 0xbe, 0xef, 0x42 };
	struct guest_memory mem;
	char why[256] = "";
	uint8_t out[5] = { 0 };
	uint8_t *p;

	(void)state;
	assert_int_equal(guest_memory_init(&mem, 2 * MiB, why, sizeof(why)), 0);
	assert_int_equal(guest_memory_write(&mem, 0x1234, pattern, sizeof(pattern)), 0);
	assert_int_equal(guest_memory_read(&mem, 0x1234, out, sizeof(out)), 0);
	assert_memory_equal(out, pattern, sizeof(pattern));
	p = guest_memory_ptr(&mem, 0x1234, sizeof(pattern));
	assert_non_null(p);
	assert_memory_equal(p, pattern, sizeof(pattern));
	guest_memory_destroy(&mem);
}

/* A snapshot's RAM (guest_memory_init_file): the file's bytes, mapped
 * privately, so the guest's writes never reach the file; not populated. */
static void test_memory_from_a_file_reads_it_and_never_writes_it(void **state)
{
	struct guest_memory mem;
	char path[128], why[256];
	uint8_t *bytes = calloc(1, 4 * MiB), back;
	int fd;

	(void)state;
	assert_non_null(bytes);
	bytes[3 * MiB + 7] = 0xab;
	assert_int_equal(temp_file_write(path, sizeof(path), bytes, 4 * MiB), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(guest_memory_init_file(&mem, fd, 4 * MiB, why, sizeof(why)), 0);
	assert_true(mem.private_file);
	assert_null(mem.populated);
	assert_int_equal(*(uint8_t *)guest_memory_ptr(&mem, 3 * MiB + 7, 1), 0xab);
	assert_int_equal(guest_memory_write(&mem, 3 * MiB + 7, "\x11", 1), 0);
	assert_int_equal(*(uint8_t *)guest_memory_ptr(&mem, 3 * MiB + 7, 1), 0x11);
	guest_memory_destroy(&mem);
	fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, &back, 1, 3 * MiB + 7), 1);
	assert_int_equal(back, 0xab);
	close(fd);
	/* A size out of range is refused, and the descriptor taken even then. */
	fd = open(path, O_RDONLY);
	assert_int_equal(guest_memory_init_file(&mem, fd, 4 * MiB + 1, why, sizeof(why)), -1);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	unlink(path);
	free(bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory_init_rejects_size_below_2_mib),
		cmocka_unit_test(test_memory_from_a_file_reads_it_and_never_writes_it),
		cmocka_unit_test(test_memory_init_rejects_size_not_a_page_multiple),
		cmocka_unit_test(test_memory_init_rejects_size_above_1_tib),
		cmocka_unit_test(test_memory_init_accepts_minimum_of_2_mib),
		cmocka_unit_test(test_memory_init_accepts_maximum_of_1_tib),
		cmocka_unit_test(test_memory_ptr_maps_in_its_2_mib_piece),
		cmocka_unit_test(test_memory_guest_below_3_gib_is_one_region_from_zero),
		cmocka_unit_test(test_memory_4_gib_guest_splits_at_3_gib_and_resumes_at_4_gib),
		cmocka_unit_test(test_memory_high_ram_is_distinct_from_low_ram),
		cmocka_unit_test(test_memory_ptr_rejects_range_straddling_the_hole),
		cmocka_unit_test(test_memory_ptr_accepts_ranges_ending_at_last_byte),
		cmocka_unit_test(test_memory_ptr_rejects_range_one_byte_past_end),
		cmocka_unit_test(test_memory_ptr_zero_length_is_allowed_at_end_but_not_beyond),
		cmocka_unit_test(test_memory_ptr_rejects_lengths_that_would_wrap),
		cmocka_unit_test(test_memory_write_refuses_partial_range_and_copies_nothing),
		cmocka_unit_test(test_memory_write_then_read_round_trips),
	};

	return cmocka_run_group_tests_name("memory", tests, NULL, NULL);
}
