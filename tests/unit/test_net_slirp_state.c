/* User networking's saved state (src/host/net_slirp_state.c): libslirp's
 * own state (slirp_state_save) in a section of its own, behind its state
 * version and length. A stack that has answered the guest saves, loads into
 * a fresh one and saves the same bytes, and still answers; a state of
 * another libslirp state version, a length beyond the payload, a blob cut
 * short or with bytes after it, are refused. Frames: RFC 826 ARP, as in
 * test_net_slirp.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <libslirp.h>

#include "host/net_slirp.h"
#include "state/device_state.h"
#include "unit_helpers.h"

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t host_ip[4] = { 10, 0, 2, 2 };
static const uint8_t guest_ip[4] = { 10, 0, 2, 15 };

struct recorder {
	unsigned frames;
	uint8_t frame[2048];
	size_t len;
};

struct side {
	struct net_slirp ns;
	struct recorder rec;
	bool up;
};

struct harness {
	struct side a, b;
};

static void record(void *opaque, const uint8_t *frame, size_t len)
{
	struct recorder *r = opaque;

	r->len = len < sizeof(r->frame) ? len : sizeof(r->frame);
	memcpy(r->frame, frame, r->len);
	r->frames++;
}

static void side_init(struct side *s)
{
	const struct net_config cfg = { .user = true };
	char why[256];

	assert_int_equal(net_slirp_init(&s->ns, &cfg, (struct net_receiver){ .receive = record, .opaque = &s->rec },
					why, sizeof(why)),
			 0);
	s->up = true;
}

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));

	if (!h)
		return -1;
	side_init(&h->a);
	side_init(&h->b);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;

	net_slirp_destroy(&h->a.ns);
	net_slirp_destroy(&h->b.ns);
	free(h);
	return 0;
}

/* The guest asks who has 10.0.2.2: 1 frame answered. */
static unsigned ask_for_the_gateway(struct side *s)
{
	static const uint8_t head[] = { 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01 };
	struct netdev nd = net_slirp_netdev(&s->ns);
	uint8_t f[60] = { 0 };
	unsigned before = s->rec.frames;

	memset(f, 0xff, 6);
	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	memcpy(f + 14, head, sizeof(head));
	memcpy(f + 22, guest_mac, 6);
	memcpy(f + 28, guest_ip, 4);
	memcpy(f + 38, host_ip, 4);
	netdev_send(&nd, f, sizeof(f));
	return s->rec.frames - before;
}

static void save(struct side *s, struct state_writer *w)
{
	state_writer_init(w);
	net_slirp_state_ops.save(&s->ns, w, 0);
	assert_false(w->failed);
}

static int load(struct side *s, const uint8_t *p, size_t len)
{
	struct state_reader r;

	state_reader_init(&r, p, len);
	if (net_slirp_state_ops.load(&s->ns, &r, net_slirp_state_ops.version, 0)) {
		assert_true(r.error);
		return -1;
	}
	return state_reader_ok(&r, true) ? 0 : -1;
}

static void test_slirp_round_trip_gives_the_same_bytes_and_still_answers(void **state)
{
	struct harness *h = *state;
	struct state_writer w, again;

	assert_int_equal(ask_for_the_gateway(&h->a), 1);
	save(&h->a, &w);
	assert_int_equal(get_le32(w.buf), (uint32_t)slirp_state_version());
	assert_int_equal(get_le32(w.buf + 4), w.len - 8);
	assert_true(w.len > 8);
	assert_int_equal(load(&h->b, w.buf, w.len), 0);
	save(&h->b, &again);
	assert_int_equal(again.len, w.len);
	assert_memory_equal(again.buf, w.buf, w.len);
	assert_int_equal(ask_for_the_gateway(&h->b), 1);
	state_writer_free(&w);
	state_writer_free(&again);
}

static void test_slirp_refuses_another_state_version_and_bad_lengths(void **state)
{
	struct harness *h = *state;
	struct state_writer w;
	uint8_t *p;

	save(&h->a, &w);
	p = malloc(w.len + 1);
	assert_non_null(p);
	memcpy(p, w.buf, w.len);
	put_le32(p, get_le32(w.buf) + 1);
	assert_int_equal(load(&h->b, p, w.len), -1);
	put_le32(p, get_le32(w.buf) - 1);
	assert_int_equal(load(&h->b, p, w.len), -1);
	memcpy(p, w.buf, w.len);
	put_le32(p + 4, (uint32_t)(w.len - 8 + 1)); /* beyond the payload */
	assert_int_equal(load(&h->b, p, w.len), -1);
	put_le32(p + 4, 0xffffffffu);
	assert_int_equal(load(&h->b, p, w.len), -1);
	/* The blob one byte longer than libslirp reads back: refused. */
	put_le32(p + 4, (uint32_t)(w.len - 8 + 1));
	p[w.len] = 0;
	assert_int_equal(load(&h->b, p, w.len + 1), -1);
	for (size_t len = 0; len < w.len; len++)
		assert_int_equal(load(&h->b, w.buf, len), -1);
	/* ... and libslirp cut short inside its own bytes. */
	for (size_t len = 8; len < w.len; len++) {
		memcpy(p, w.buf, len);
		put_le32(p + 4, (uint32_t)(len - 8));
		assert_int_equal(load(&h->b, p, len), -1);
	}
	assert_int_equal(ask_for_the_gateway(&h->b), 1);
	free(p);
	state_writer_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_slirp_round_trip_gives_the_same_bytes_and_still_answers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_slirp_refuses_another_state_version_and_bad_lengths, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
