/* The live-migration stream (src/migration/): what the source's writer
 * sends, the destination's reader loads into its sink — pages, zero pages,
 * rounds, the state — and a stream cut short, with a page index beyond RAM,
 * a length over its limit, the wrong magic, version or page size, counts
 * that do not add up or records out of order is refused with its reason,
 * leaving nothing built and no state loaded. Also the tcp:HOST:PORT
 * address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "host/tcp.h"
#include "migration/migration_recv.h"
#include "state/state_stream.h"
#include "unit_helpers.h"
#include "x86/cpu_model.h"

#define RAM_PAGES 512 /* 2 MiB, the smallest RAM */

/* A sink of plain memory. */
struct test_sink {
	uint8_t *ram;
	uint64_t pages;
	bool built;
	int builds, discards, loads;
	size_t state_len;
};

static int t_build(void *opaque, const struct snapshot_config *c, uint64_t *pages, char *why, size_t why_len)
{
	struct test_sink *s = opaque;

	(void)why;
	(void)why_len;
	s->builds++;
	s->pages = c->mem_size / 4096;
	s->ram = calloc(s->pages, 4096);
	s->built = true;
	*pages = s->pages;
	return 0;
}

static uint8_t *t_page(void *opaque, uint64_t index)
{
	struct test_sink *s = opaque;

	assert_true(index < s->pages);
	return s->ram + index * 4096;
}

static int t_load_state(void *opaque, const void *state, size_t len, char *why, size_t why_len)
{
	struct test_sink *s = opaque;
	struct state_reader r;

	if (state_open(&r, state, len, why, why_len))
		return -1;
	s->loads++;
	s->state_len = len;
	return 0;
}

static void t_discard(void *opaque)
{
	struct test_sink *s = opaque;

	s->discards++;
	free(s->ram);
	s->ram = NULL;
	s->built = false;
}

static void sink_free(struct test_sink *s)
{
	free(s->ram);
}

/* A writer into memory (w->ch points to *ch, whose opaque is *m). */
static void writer_open(struct mig_writer *w, struct mig_channel *ch, struct mig_mem_channel *m)
{
	mig_mem_channel_init(ch, m, NULL, 0);
	assert_int_equal(mig_writer_init(w, ch), 0);
}

/* What the writer wrote, as one buffer to free(). */
static uint8_t *writer_close(struct mig_writer *w, struct mig_mem_channel *m, size_t *len)
{
	assert_int_equal(mig_flush(w), 0);
	mig_writer_free(w);
	*len = m->out_len;
	return m->out;
}

static void put_config(struct mig_writer *w, uint64_t mem_size)
{
	struct vm_config cfg = { .mem_size = mem_size, .rng = true };
	char why[256], *json;

	cfg.engine = engine_find("interp");
	cfg.cpu_model = cpu_model_find("baseline");
	json = snapshot_config_json(&cfg, why, sizeof(why));
	assert_non_null(json);
	mig_put_blob(w, MIG_REC_CONFIG, json, (uint32_t)strlen(json));
	free(json);
}

static void put_state(struct mig_writer *w)
{
	struct state_writer st;

	state_writer_init(&st);
	state_write_header(&st);
	state_section_begin(&st, "test", 1);
	state_put_u32(&st, 42);
	state_section_end(&st);
	state_write_end(&st);
	mig_put_blob(w, MIG_REC_STATE, st.buf, (uint32_t)st.len);
	state_writer_free(&st);
}

/* A whole stream: round 1 with pages 0 and 7, round 2 with page 7 again and
 * page 0 as zeros, the state, the end. */
static uint8_t *good_stream(size_t *len)
{
	struct mig_mem_channel m;
	struct mig_channel ch;
	struct mig_writer w;
	uint8_t page[4096];

	writer_open(&w, &ch, &m);
	mig_put_header(&w);
	put_config(&w, RAM_PAGES * 4096ull);
	memset(page, 0xaa, sizeof(page));
	mig_put_page(&w, 0, page);
	memset(page, 0x11, sizeof(page));
	mig_put_page(&w, 7, page);
	mig_put_round(&w, 1, 2);
	memset(page, 0x22, sizeof(page));
	mig_put_page(&w, 7, page);
	mig_put_zero(&w, 0);
	mig_put_round(&w, 2, 2);
	put_state(&w);
	mig_put_end(&w, 2, 4);
	return writer_close(&w, &m, len);
}

/* Runs the reader over buf into *s: its return, the reason in why. */
static int receive(const uint8_t *buf, size_t len, struct test_sink *s, char *why, size_t why_len)
{
	const struct mig_sink sink = {
		.build = t_build, .page = t_page, .load_state = t_load_state, .discard = t_discard, .opaque = s
	};
	struct mig_mem_channel m;
	struct mig_channel ch;
	struct mig_recv_stats st;
	struct snapshot_config cfg;
	struct mig_reader *r = malloc(sizeof(*r));
	int rc;

	memset(s, 0, sizeof(*s));
	why[0] = '\0';
	mig_mem_channel_init(&ch, &m, buf, len);
	mig_reader_init(r, &ch);
	rc = migration_receive(r, &sink, &cfg, &st, why, why_len);
	if (rc == 0) {
		assert_int_equal(st.pages, 4);
		assert_int_equal(st.zero_pages, 1);
		assert_int_equal(st.rounds, 2);
		snapshot_config_free(&cfg);
	}
	free(m.out);
	free(r);
	return rc;
}

/* A refused stream: the reason, nothing built, no state loaded. */
static void assert_refused(const uint8_t *buf, size_t len, const char *reason)
{
	struct test_sink s;
	char why[512];

	assert_int_equal(receive(buf, len, &s, why, sizeof(why)), -1);
	if (!strstr(why, reason))
		fail_msg("reason '%s', expected '%s'", why, reason);
	assert_null(strchr(why, '\n'));
	assert_false(s.built);
	assert_int_equal(s.loads, 0);
	assert_int_equal(s.builds, s.discards);
	sink_free(&s);
}

static void test_a_whole_stream_loads_pages_zeros_and_state(void **state)
{
	struct test_sink s;
	size_t len;
	uint8_t *buf = good_stream(&len);
	char why[512];

	(void)state;
	assert_int_equal(receive(buf, len, &s, why, sizeof(why)), 0);
	assert_true(s.built);
	assert_int_equal(s.pages, RAM_PAGES);
	assert_int_equal(s.loads, 1);
	assert_int_equal(s.ram[0], 0x00); /* sent, then zeroed */
	assert_int_equal(s.ram[4095], 0x00);
	assert_int_equal(s.ram[7 * 4096], 0x22); /* the later round wins */
	assert_int_equal(s.ram[8 * 4096 - 1], 0x22);
	assert_int_equal(s.ram[8 * 4096], 0x00);
	sink_free(&s);
	free(buf);
}

static void test_a_stream_cut_anywhere_is_refused_with_nothing_built(void **state)
{
	size_t len;
	uint8_t *buf = good_stream(&len);

	(void)state;
	for (size_t cut = 0; cut < len; cut += cut < 64 ? 1 : 97)
		assert_refused(buf, cut, cut == 0 ? "the stream ended" : "");
	assert_refused(buf, len - 1, "the stream ended after");
	free(buf);
}

/* A stream of the header, the config if asked for, then what put writes:
 * refused for reason. */
static void refused(bool config, void (*put)(struct mig_writer *w), const char *reason)
{
	struct mig_mem_channel m;
	struct mig_channel ch;
	struct mig_writer w;
	size_t len;
	uint8_t *buf;

	writer_open(&w, &ch, &m);
	mig_put_header(&w);
	if (config)
		put_config(&w, RAM_PAGES * 4096ull);
	put(&w);
	buf = writer_close(&w, &m, &len);
	assert_refused(buf, len, reason);
	free(buf);
}

static void refused_with(void (*put)(struct mig_writer *w), const char *reason)
{
	refused(true, put, reason);
}

static void page_beyond_ram(struct mig_writer *w)
{
	uint8_t page[4096] = { 1 };

	mig_put_page(w, RAM_PAGES, page);
}

static void zero_far_beyond_ram(struct mig_writer *w)
{
	mig_put_zero(w, ~0ull);
}

static void test_a_page_index_beyond_ram_is_refused(void **state)
{
	(void)state;
	refused_with(page_beyond_ram, "page 512: RAM has 512 pages");
	refused_with(zero_far_beyond_ram, "page 18446744073709551615: RAM has 512 pages");
}

static void state_too_long(struct mig_writer *w)
{
	mig_put_le(w, MIG_REC_STATE, 1);
	mig_put_le(w, MIG_STATE_MAX + 1, 4);
}

static void state_longer_than_sent(struct mig_writer *w)
{
	mig_put_le(w, MIG_REC_STATE, 1);
	mig_put_le(w, MIG_STATE_MAX, 4);
	mig_put_bytes(w, "RVSTATE\n", 8);
}

static void config_too_long(struct mig_writer *w)
{
	mig_put_le(w, MIG_REC_CONFIG, 1);
	mig_put_le(w, MIG_CONFIG_MAX + 1, 4);
}

static void test_lengths_over_their_limits_are_refused(void **state)
{
	(void)state;
	refused_with(state_too_long, "state of 268435457 bytes (1 to 268435456)");
	refused_with(state_longer_than_sent, "the stream ended after");
	refused(false, config_too_long, "config of 1048577 bytes (1 to 1048576)");
}

static void test_wrong_magic_version_or_page_size_is_refused(void **state)
{
	size_t len;
	uint8_t *buf = good_stream(&len);

	(void)state;
	buf[0] = 'X';
	assert_refused(buf, len, "wrong magic");
	buf[0] = 'R';
	buf[8] = 2; /* major 2 */
	assert_refused(buf, len, "migration stream version 2.0: this ringvisor reads 1.x");
	buf[8] = 1;
	buf[13] = 0x20; /* 8192-byte pages */
	assert_refused(buf, len, "8192-byte pages");
	free(buf);
}

static void round_skipped(struct mig_writer *w)
{
	mig_put_round(w, 2, 0);
}

static void round_miscounted(struct mig_writer *w)
{
	mig_put_zero(w, 3);
	mig_put_round(w, 1, 2);
}

static void end_miscounted(struct mig_writer *w)
{
	mig_put_zero(w, 3);
	mig_put_round(w, 1, 1);
	put_state(w);
	mig_put_end(w, 1, 2);
}

static void end_without_state(struct mig_writer *w)
{
	mig_put_end(w, 0, 0);
}

static void page_after_state(struct mig_writer *w)
{
	put_state(w);
	mig_put_zero(w, 1);
}

static void state_before_round_mark(struct mig_writer *w)
{
	mig_put_zero(w, 1);
	put_state(w);
}

static void unknown_record(struct mig_writer *w)
{
	mig_put_le(w, 0x42, 1);
}

static void second_config(struct mig_writer *w)
{
	put_config(w, RAM_PAGES * 4096ull);
}

static void corrupt_state(struct mig_writer *w)
{
	mig_put_blob(w, MIG_REC_STATE, "RVSTATE\n\1\0\0\0", 12);
	mig_put_end(w, 0, 0);
}

static void test_records_out_of_order_or_miscounted_are_refused(void **state)
{
	(void)state;
	refused_with(round_skipped, "round 2 where round 1 was due");
	refused_with(round_miscounted, "round 1 says 2 pages, 1 came");
	refused_with(end_miscounted, "the end says 1 rounds and 2 pages, 1 and 1 came");
	refused_with(end_without_state, "the end before the state");
	refused_with(page_after_state, "a page after the state");
	refused_with(state_before_round_mark, "before the round mark");
	refused_with(unknown_record, "record type 66");
	refused_with(second_config, "record type 1");
	refused_with(corrupt_state, "state: ");
}

static void config_malformed(struct mig_writer *w)
{
	mig_put_blob(w, MIG_REC_CONFIG, "{\"format\": 1}", 13);
}

static void test_a_bad_config_is_refused_before_anything_is_built(void **state)
{
	(void)state;
	refused(false, config_malformed, "config: ");
	refused(false, zero_far_beyond_ram, "does not begin with the machine's config");
}

static void test_a_refusal_reason_is_cut_to_its_limit(void **state)
{
	struct mig_mem_channel m;
	struct mig_channel ch;
	struct mig_writer w;
	char reason[MIG_REASON_MAX + 50];
	size_t len;
	uint8_t *buf;

	(void)state;
	memset(reason, 'x', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	writer_open(&w, &ch, &m);
	mig_put_refused(&w, reason);
	buf = writer_close(&w, &m, &len);
	assert_int_equal(len, 3 + MIG_REASON_MAX);
	assert_int_equal(buf[0], MIG_REPLY_REFUSED);
	assert_int_equal(buf[1] | buf[2] << 8, MIG_REASON_MAX);
	free(buf);
}

static void test_tcp_addresses_are_checked(void **state)
{
	char host[TCP_HOST_MAX + 1], why[256];
	uint16_t port;

	(void)state;
	assert_int_equal(tcp_uri_parse("tcp:127.0.0.1:4444", host, &port, why, sizeof(why)), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 4444);
	assert_int_equal(tcp_uri_parse("tcp:[::1]:65535", host, &port, why, sizeof(why)), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 65535);
	assert_int_equal(tcp_uri_parse("tcp:localhost:1", host, &port, why, sizeof(why)), 0);
	assert_int_equal(tcp_uri_parse("unix:/tmp/x", host, &port, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "is not tcp:HOST:PORT"));
	assert_int_equal(tcp_uri_parse("tcp:host", host, &port, why, sizeof(why)), -1);
	assert_int_equal(tcp_uri_parse("tcp::80", host, &port, why, sizeof(why)), -1);
	assert_int_equal(tcp_uri_parse("tcp:h:0", host, &port, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "port is not a number from 1 to 65535"));
	assert_int_equal(tcp_uri_parse("tcp:h:65536", host, &port, why, sizeof(why)), -1);
	assert_int_equal(tcp_uri_parse("tcp:h:+80", host, &port, why, sizeof(why)), -1);
	assert_int_equal(tcp_uri_parse("tcp:h:80x", host, &port, why, sizeof(why)), -1);
	assert_int_equal(tcp_uri_parse("tcp:[]:80", host, &port, why, sizeof(why)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_whole_stream_loads_pages_zeros_and_state),
		cmocka_unit_test(test_a_stream_cut_anywhere_is_refused_with_nothing_built),
		cmocka_unit_test(test_a_page_index_beyond_ram_is_refused),
		cmocka_unit_test(test_lengths_over_their_limits_are_refused),
		cmocka_unit_test(test_wrong_magic_version_or_page_size_is_refused),
		cmocka_unit_test(test_records_out_of_order_or_miscounted_are_refused),
		cmocka_unit_test(test_a_bad_config_is_refused_before_anything_is_built),
		cmocka_unit_test(test_a_refusal_reason_is_cut_to_its_limit),
		cmocka_unit_test(test_tcp_addresses_are_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
