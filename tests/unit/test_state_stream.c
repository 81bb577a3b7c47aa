/* The saved-state byte format (src/state/state_stream.c): what is written
 * reads back field for field, and a stream cut short, with a byte changed, of
 * another major version or with a section running past its end is refused
 * before any payload is handed out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "state/state_stream.h"
#include "unit_helpers.h"

/* Two sections: "pic" version 2 with each width, "uart-com1" version 1 with
 * bytes and a bool. */
static void write_sample(struct state_writer *w)
{
	state_writer_init(w);
	state_write_header(w);
	state_section_begin(w, "pic", 2);
	state_put_u8(w, 0xa5);
	state_put_u16(w, 0x1234);
	state_put_u32(w, 0xdeadbeef);
	state_put_u64(w, 0x0123456789abcdefull);
	state_section_end(w);
	state_section_begin(w, "uart-com1", 1);
	state_put_bytes(w, "fifo", 4);
	state_put_bool(w, true);
	state_section_end(w);
	state_write_end(w);
	assert_false(w->failed);
}

static void test_sections_read_back_field_for_field(void **state)
{
	struct state_writer w;
	struct state_reader r;
	struct state_section s;
	char why[128], bytes[4];

	(void)state;
	write_sample(&w);
	/* The documented layout: header 16, "pic" 1+3+4+4+15, "uart-com1"
	 * 1+9+4+4+5, end mark 1, CRC 4; little-endian numbers. */
	assert_int_equal(w.len, 16 + 27 + 23 + 1 + 4);
	assert_memory_equal(w.buf, "RVSTATE\n\x01\x00\x00\x00\x00\x00\x00\x00", 16);
	assert_memory_equal(w.buf + 16, "\x03pic\x02\x00\x00\x00\x0f\x00\x00\x00\xa5\x34\x12", 15);
	assert_int_equal(state_open(&r, w.buf, w.len, why, sizeof(why)), 0);
	assert_int_equal(state_next_section(&r, &s, why, sizeof(why)), 1);
	assert_string_equal(s.name, "pic");
	assert_int_equal(s.version, 2);
	assert_int_equal(state_get_u8(&s.payload), 0xa5);
	assert_int_equal(state_get_u16(&s.payload), 0x1234);
	assert_int_equal(state_get_u32(&s.payload), 0xdeadbeef);
	assert_int_equal(state_get_u64(&s.payload), 0x0123456789abcdefull);
	assert_true(state_reader_ok(&s.payload, true));
	assert_int_equal(state_next_section(&r, &s, why, sizeof(why)), 1);
	assert_string_equal(s.name, "uart-com1");
	state_get_bytes(&s.payload, bytes, 4);
	assert_memory_equal(bytes, "fifo", 4);
	assert_true(state_get_bool(&s.payload));
	assert_true(state_reader_ok(&s.payload, true));
	assert_int_equal(state_next_section(&r, &s, why, sizeof(why)), 0);
	state_writer_free(&w);
}

/* A payload read past its end gives zeros and an error, never the next
 * section's bytes; one read short of its end is not whole. */
static void test_a_payload_never_reads_past_its_end(void **state)
{
	struct state_writer w;
	struct state_reader r;
	struct state_section s;
	char why[128];

	(void)state;
	write_sample(&w);
	assert_int_equal(state_open(&r, w.buf, w.len, why, sizeof(why)), 0);
	assert_int_equal(state_next_section(&r, &s, why, sizeof(why)), 1);
	state_get_u64(&s.payload);
	state_get_u32(&s.payload);
	assert_true(state_reader_ok(&s.payload, false));
	assert_false(state_reader_ok(&s.payload, true));
	assert_int_equal(state_get_u64(&s.payload), 0); /* 3 bytes left */
	assert_false(state_reader_ok(&s.payload, false));
	assert_int_equal(state_get_u8(&s.payload), 0); /* and nothing after an error */
	state_writer_free(&w);
}

static void test_a_bool_is_zero_or_one(void **state)
{
	struct state_reader r;

	(void)state;
	state_reader_init(&r, "\x02", 1);
	state_get_bool(&r);
	assert_false(state_reader_ok(&r, true));
}

/* Every prefix of the stream, and every single-bit change, is refused by
 * state_open (the CRC covers all but itself) or, for the CRC's own bytes,
 * too. */
static void test_cut_or_changed_streams_are_refused(void **state)
{
	struct state_writer w;
	struct state_reader r;
	char why[128];

	(void)state;
	write_sample(&w);
	for (size_t n = 0; n < w.len; n++)
		assert_int_equal(state_open(&r, w.buf, n, why, sizeof(why)), -1);
	for (size_t i = 0; i < w.len * 8; i++) {
		w.buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(state_open(&r, w.buf, w.len, why, sizeof(why)), -1);
		w.buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	assert_int_equal(state_open(&r, w.buf, w.len, why, sizeof(why)), 0);
	state_writer_free(&w);
}

/* Rewrites the CRC after a change, as a crafted file would. */
static void reseal(struct state_writer *w)
{
	uint32_t crc = (uint32_t)crc32(0L, w->buf, (uInt)(w->len - 4));

	for (unsigned i = 0; i < 4; i++)
		w->buf[w->len - 4 + i] = (uint8_t)(crc >> (8 * i));
}

static void test_another_major_version_is_refused_with_its_number(void **state)
{
	struct state_writer w;
	struct state_reader r;
	char why[128];

	(void)state;
	write_sample(&w);
	w.buf[8] = 2; /* major 2 */
	reseal(&w);
	assert_int_equal(state_open(&r, w.buf, w.len, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "2.0"));
	w.buf[8] = 1;
	w.buf[10] = 9; /* a newer minor reads */
	reseal(&w);
	assert_int_equal(state_open(&r, w.buf, w.len, why, sizeof(why)), 0);
	state_writer_free(&w);
}

/* A crafted, correctly sealed stream whose section length runs past the end,
 * or whose name has a NUL in it, stops the walk with a reason. */
static void test_crafted_section_headers_are_refused(void **state)
{
	struct state_writer w;
	struct state_reader r;
	struct state_section s;
	char why[128];

	(void)state;
	write_sample(&w);
	w.buf[16 + 8] = 0xff; /* "pic"'s length: 0x0000ff0f */
	reseal(&w);
	assert_int_equal(state_open(&r, w.buf, w.len, why, sizeof(why)), 0);
	assert_int_equal(state_next_section(&r, &s, why, sizeof(why)), -1);
	w.buf[16 + 8] = 0x0f;
	w.buf[16 + 2] = 0; /* "p\0c" */
	reseal(&w);
	assert_int_equal(state_open(&r, w.buf, w.len, why, sizeof(why)), 0);
	assert_int_equal(state_next_section(&r, &s, why, sizeof(why)), -1);
	state_writer_free(&w);
}

static void test_misnested_sections_fail_the_writer(void **state)
{
	struct state_writer w;

	(void)state;
	state_writer_init(&w);
	state_write_header(&w);
	state_section_begin(&w, "a", 1);
	state_section_begin(&w, "b", 1);
	assert_true(w.failed);
	state_writer_free(&w);
	state_writer_init(&w);
	state_section_end(&w);
	assert_true(w.failed);
	state_writer_free(&w);
	state_writer_init(&w);
	state_section_begin(&w, "", 1);
	assert_true(w.failed);
	state_writer_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections_read_back_field_for_field),
		cmocka_unit_test(test_a_payload_never_reads_past_its_end),
		cmocka_unit_test(test_a_bool_is_zero_or_one),
		cmocka_unit_test(test_cut_or_changed_streams_are_refused),
		cmocka_unit_test(test_another_major_version_is_refused_with_its_number),
		cmocka_unit_test(test_crafted_section_headers_are_refused),
		cmocka_unit_test(test_misnested_sections_fail_the_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
