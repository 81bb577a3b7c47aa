/* Segment descriptors (src/x86/descriptor.c) against the layout of Intel SDM
 * Vol. 3A, 3.4.5 "Segment Descriptors", figure 3-8:
 *   bits 15:0 limit 15:0        bits 39:16 base 23:0     bits 43:40 type
 *   bit 44 S    bits 46:45 DPL  bit 47 P                 bits 51:48 limit 19:16
 *   bit 52 AVL  bit 53 L        bit 54 D/B   bit 55 G    bits 63:56 base 31:24 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_helpers.h"
#include "x86/descriptor.h"

static void test_descriptor_flat_64bit_code_encodes_as_00af9b000000ffff(void **state)
{
	struct x86_segment seg;

	(void)state;
	/* Type 0xb (execute/read, accessed), S, DPL 0, P: access byte 0x9b. Limit 0xfffff
	 * pages with G, L: flags nibble 1010 = 0xa. Base 0. */
	x86_segment_flat(&seg, 0x08, 0xb, 0, 1);
	assert_int_equal(x86_descriptor_encode(&seg), 0x00af9b000000ffffull);
}

static void test_descriptor_flat_32bit_data_encodes_as_00cf93000000ffff(void **state)
{
	struct x86_segment seg;

	(void)state;
	/* Type 3 (read/write, accessed): access byte 0x93; G and D/B: flags 1100 = 0xc. */
	x86_segment_flat(&seg, 0x10, 0x3, 1, 0);
	assert_int_equal(x86_descriptor_encode(&seg), 0x00cf93000000ffffull);
}

static void test_descriptor_flat_32bit_code_encodes_as_00cf9b000000ffff(void **state)
{
	struct x86_segment seg;

	(void)state;
	x86_segment_flat(&seg, 0x18, 0xb, 1, 0);
	assert_int_equal(x86_descriptor_encode(&seg), 0x00cf9b000000ffffull);
}

static void test_descriptor_encode_places_every_field(void **state)
{
	/* Base 0x12345678, byte-granular limit 0xabcde, type 2, S, DPL 3, P, AVL:
	 * access byte P|DPL3|S|type 2 = 1111 0010 = 0xf2, flags AVL = 0001, limit 19:16 = 0xa,
	 * so 12 | 1 a | f2 | 345678 | bcde. */
	struct x86_segment seg = {
		.base = 0x12345678,
		.limit = 0xabcde,
		.type = 2,
		.s = 1,
		.dpl = 3,
		.present = 1,
		.avl = 1,
	};

	(void)state;
	assert_int_equal(x86_descriptor_encode(&seg), 0x121af2345678bcdeull);
}

static void test_descriptor_decode_splits_every_field(void **state)
{
	struct x86_segment seg;

	(void)state;
	x86_descriptor_decode(0x121af2345678bcdeull, 0x2b, &seg);
	assert_int_equal(seg.selector, 0x2b);
	assert_int_equal(seg.base, 0x12345678);
	assert_int_equal(seg.limit, 0xabcde);
	assert_int_equal(seg.type, 2);
	assert_int_equal(seg.s, 1);
	assert_int_equal(seg.dpl, 3);
	assert_int_equal(seg.present, 1);
	assert_int_equal(seg.avl, 1);
	assert_int_equal(seg.l, 0);
	assert_int_equal(seg.db, 0);
	assert_int_equal(seg.g, 0);
}

static void test_descriptor_decode_of_g1_limit_yields_scaled_byte_limit(void **state)
{
	struct x86_segment seg;

	(void)state;
	/* SDM 3.4.5: with G set the limit is in 4-KByte units and "the twelve least
	 * significant bits of an offset are not tested": 0xfffff pages = 0xffffffff bytes. */
	x86_descriptor_decode(0x00cf93000000ffffull, 0x10, &seg);
	assert_int_equal(seg.limit, 0xffffffffu);
	assert_int_equal(seg.base, 0);
	assert_int_equal(seg.type, 3);
	assert_int_equal(seg.s, 1);
	assert_int_equal(seg.present, 1);
	assert_int_equal(seg.db, 1);
	assert_int_equal(seg.g, 1);
	assert_int_equal(seg.l, 0);
	/* A small G=1 limit: 0x10 pages cover bytes 0 .. 0x10fff. */
	x86_descriptor_decode(0x00c0930000000010ull, 0x10, &seg);
	assert_int_equal(seg.limit, 0x10fff);
}

static void test_descriptor_decode_of_64bit_code_sets_l_and_clears_db(void **state)
{
	struct x86_segment seg;

	(void)state;
	x86_descriptor_decode(0x00af9b000000ffffull, 0x08, &seg);
	assert_int_equal(seg.l, 1);
	assert_int_equal(seg.db, 0);
	assert_int_equal(seg.type, 0xb);
	assert_int_equal(seg.dpl, 0);
}

static void test_descriptor_encode_decode_round_trip(void **state)
{
	static const struct x86_segment cases[] = {
		{ .base = 0, .limit = 0xffffffff, .type = 0xb, .s = 1, .present = 1, .l = 1, .g = 1 },
		{ .base = 0xfffff000, .limit = 0xfff, .type = 0x3, .s = 1, .dpl = 3, .present = 1, .db = 1, .g = 1 },
		{ .base = 0x00100000, .limit = 0x67, .type = 0x9, .s = 0, .present = 1 }, /* a TSS */
		{ .base = 0x89abcdef, .limit = 0xfffff, .type = 0x5, .s = 1, .dpl = 2, .avl = 1 },
		{ .base = 0x7c00, .limit = 0x1ffff, .type = 0xf, .s = 1, .dpl = 1, .present = 1, .db = 1, .g = 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct x86_segment out;

		x86_descriptor_decode(x86_descriptor_encode(&cases[i]), 0x33, &out);
		assert_int_equal(out.selector, 0x33);
		assert_int_equal(out.base, cases[i].base);
		assert_int_equal(out.limit, cases[i].limit);
		assert_int_equal(out.type, cases[i].type);
		assert_int_equal(out.s, cases[i].s);
		assert_int_equal(out.dpl, cases[i].dpl);
		assert_int_equal(out.present, cases[i].present);
		assert_int_equal(out.avl, cases[i].avl);
		assert_int_equal(out.l, cases[i].l);
		assert_int_equal(out.db, cases[i].db);
		assert_int_equal(out.g, cases[i].g);
	}
}

static void test_segment_flat_is_base_0_limit_4_gib_present_dpl_0(void **state)
{
	struct x86_segment seg;

	(void)state;
	x86_segment_flat(&seg, 0x10, 0x3, 1, 0);
	assert_int_equal(seg.selector, 0x10);
	assert_int_equal(seg.base, 0);
	assert_int_equal(seg.limit, 0xffffffffu);
	assert_int_equal(seg.present, 1);
	assert_int_equal(seg.s, 1);
	assert_int_equal(seg.dpl, 0);
	assert_int_equal(seg.g, 1);
	assert_int_equal(seg.unusable, 0);
}

static void test_segment_real_base_is_selector_times_16_with_64_kib_limit(void **state)
{
	struct x86_segment seg;

	(void)state;
	/* SDM Vol. 3A, "Address Translation in Real-Address Mode": linear = selector * 16 + offset, and
	 * the segment is 64 KiB. */
	x86_segment_real(&seg, 0x1234, 0x3);
	assert_int_equal(seg.selector, 0x1234);
	assert_int_equal(seg.base, 0x12340);
	assert_int_equal(seg.limit, 0xffff);
	assert_int_equal(seg.present, 1);
	x86_segment_real(&seg, 0xffff, 0xb);
	assert_int_equal(seg.base, 0xffff0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_descriptor_flat_64bit_code_encodes_as_00af9b000000ffff),
		cmocka_unit_test(test_descriptor_flat_32bit_data_encodes_as_00cf93000000ffff),
		cmocka_unit_test(test_descriptor_flat_32bit_code_encodes_as_00cf9b000000ffff),
		cmocka_unit_test(test_descriptor_encode_places_every_field),
		cmocka_unit_test(test_descriptor_decode_splits_every_field),
		cmocka_unit_test(test_descriptor_decode_of_g1_limit_yields_scaled_byte_limit),
		cmocka_unit_test(test_descriptor_decode_of_64bit_code_sets_l_and_clears_db),
		cmocka_unit_test(test_descriptor_encode_decode_round_trip),
		cmocka_unit_test(test_segment_flat_is_base_0_limit_4_gib_present_dpl_0),
		cmocka_unit_test(test_segment_real_base_is_selector_times_16_with_64_kib_limit),
	};

	return cmocka_run_group_tests_name("descriptor", tests, NULL, NULL);
}
