/* Sizes and addresses typed on the command line (src/cli/size.c). A bare size is
 * MiB, as QEMU's -m takes it; the suffixes are powers of two (K = 2^10, M = 2^20,
 * G = 2^30, T = 2^40), B means bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli/size.h"
#include "unit_helpers.h"

static uint64_t size_of(const char *text)
{
	uint64_t v = 0xdeadbeef;

	if (parse_size(text, &v))
		fail_msg("parse_size(\"%s\") failed", text);
	return v;
}

static void expect_size_rejected(const char *text)
{
	uint64_t v = 0;

	if (parse_size(text, &v) != -1)
		fail_msg("parse_size(\"%s\") accepted it as %llu", text, (unsigned long long)v);
}

static void test_size_with_unit_suffix_is_scaled_by_power_of_two(void **state)
{
	(void)state;
	assert_int_equal(size_of("512M"), 512ull << 20);
	assert_int_equal(size_of("2G"), 2ull << 30);
	assert_int_equal(size_of("64MiB"), 64ull << 20);
	assert_int_equal(size_of("64MB"), 64ull << 20);
	assert_int_equal(size_of("4096K"), 4ull << 20);
	assert_int_equal(size_of("4KiB"), 4096);
	assert_int_equal(size_of("1T"), 1ull << 40);
	assert_int_equal(size_of("3GiB"), 0xc0000000ull);
}

static void test_size_suffix_is_case_insensitive(void **state)
{
	(void)state;
	assert_int_equal(size_of("2g"), 2ull << 30);
	assert_int_equal(size_of("64mib"), 64ull << 20);
	assert_int_equal(size_of("1t"), 1ull << 40);
}

static void test_size_bare_number_is_mib(void **state)
{
	(void)state;
	assert_int_equal(size_of("256"), 256ull << 20);
	assert_int_equal(size_of("0"), 0);
}

static void test_size_b_suffix_is_bytes(void **state)
{
	(void)state;
	assert_int_equal(size_of("1048576B"), 1048576);
	assert_int_equal(size_of("1b"), 1);
	assert_int_equal(size_of("18446744073709551615B"), UINT64_MAX);
}

static void test_size_rejects_malformed_text(void **state)
{
	(void)state;
	expect_size_rejected("");
	expect_size_rejected("M");
	expect_size_rejected("-1");
	expect_size_rejected("-1G");
	expect_size_rejected("1.5G");
	expect_size_rejected("12Q");
	expect_size_rejected("1GG");
	expect_size_rejected("0x10M"); /* sizes are decimal */
	expect_size_rejected(" 1M");
	expect_size_rejected("1M ");
	assert_int_equal(parse_size(NULL, &(uint64_t){ 0 }), -1);
}

static void test_size_rejects_values_that_overflow_64_bits(void **state)
{
	(void)state;
	/* 2^24 TiB = 2^64 bytes: one too many; 2^24 - 1 TiB fits. */
	expect_size_rejected("16777216T");
	assert_int_equal(size_of("16777215T"), 0xffffffull << 40);
	/* 2^44 MiB = 2^64, also as a bare number. */
	expect_size_rejected("17592186044416M");
	expect_size_rejected("17592186044416");
	assert_int_equal(size_of("17592186044415"), 0xfffffffffffull << 20);
	/* Beyond 64 bits before any scaling. */
	expect_size_rejected("18446744073709551616B");
	expect_size_rejected("99999999999999999999999G");
}

static void test_u64_parses_decimal_and_hex(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(parse_u64("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_u64("0x7c00", &v), 0);
	assert_int_equal(v, 0x7c00);
	assert_int_equal(parse_u64("0X10000", &v), 0);
	assert_int_equal(v, 0x10000);
	assert_int_equal(parse_u64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("0xffffffffffffffff", &v), 0);
	assert_int_equal(v, UINT64_MAX);
}

static void test_u64_rejects_malformed_negative_and_overflowing_text(void **state)
{
	static const char *const bad[] = {
		"", "x", "0x", "12abc", "-1", "0x10000000000000000", "18446744073709551616", "1 ", "4k",
	};
	uint64_t v = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_u64(bad[i], &v) != -1)
			fail_msg("parse_u64(\"%s\") accepted it as 0x%llx", bad[i], (unsigned long long)v);
	assert_int_equal(parse_u64(NULL, &v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_with_unit_suffix_is_scaled_by_power_of_two),
		cmocka_unit_test(test_size_suffix_is_case_insensitive),
		cmocka_unit_test(test_size_bare_number_is_mib),
		cmocka_unit_test(test_size_b_suffix_is_bytes),
		cmocka_unit_test(test_size_rejects_malformed_text),
		cmocka_unit_test(test_size_rejects_values_that_overflow_64_bits),
		cmocka_unit_test(test_u64_parses_decimal_and_hex),
		cmocka_unit_test(test_u64_rejects_malformed_negative_and_overflowing_text),
	};

	return cmocka_run_group_tests_name("size", tests, NULL, NULL);
}
