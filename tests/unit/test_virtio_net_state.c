/* virtio-net's saved state (src/devices/virtio/virtio_net_state.c) through
 * the device's registers and rings, with a fake back end: a device
 * mid-session (a frame sent, receive buffers used, a frame waiting for a
 * buffer) saves, loads into a fresh device on a copy of guest RAM and saves
 * the same bytes; the restored device keeps its negotiated features and
 * queues, delivers the waiting frame into the next buffer exactly as the
 * saved one does, and transmits. The MAC (§5.1.4) must match; a backlog
 * longer than the device's, a frame shorter than an Ethernet header, and
 * truncated states are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/virtio/virtio_net.h"
#include "unit_helpers.h"
#include "virtio_state_harness.h"

#define RXQ 0
#define TXQ 1
#define HDR 12
#define F_MAC (1u << 5)
#define F_STATUS (1u << 16)
#define FRAME 60
#define RX_BUF(i) (VH_BUF + 0x1000ull * (i))
#define TX_BUF (VH_BUF + 0x8000ull)

struct fake_link {
	unsigned frames;
	uint8_t last[FRAME];
};

struct side {
	struct vh *vh;
	struct virtio_net net;
	struct fake_link link;
};

struct harness {
	struct side a, b;
};

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t other_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };

static void fake_send(void *opaque, const uint8_t *frame, size_t len)
{
	struct fake_link *l = opaque;

	memcpy(l->last, frame, len < FRAME ? len : FRAME);
	l->frames++;
}

static void side_init(struct side *s, struct vh *vh, const uint8_t *m)
{
	char why[128];

	s->vh = vh;
	assert_int_equal(virtio_net_init(&s->net, &vh->mem, vh_irq_line(vh), m,
					 (struct netdev){ .send = fake_send, .opaque = &s->link }, why, sizeof(why)),
			 0);
	assert_int_equal(vh_attach(vh, &s->net.mmio), 0);
}

static void side_destroy(struct side *s)
{
	if (!s->vh)
		return;
	virtio_net_destroy(&s->net);
	vh_free(s->vh);
}

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));
	struct vh *vh = vh_new();

	if (!h || !vh)
		return -1;
	side_init(&h->a, vh, mac);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;

	side_destroy(&h->a);
	side_destroy(&h->b);
	free(h);
	return 0;
}

static void make_b(struct harness *h, const uint8_t *m)
{
	side_init(&h->b, vh_clone(h->a.vh), m);
}

static void make_frame(uint8_t *f, uint8_t seed)
{
	for (unsigned i = 0; i < FRAME; i++)
		f[i] = (uint8_t)(seed + i);
}

static void offer_rx(struct vh *vh, uint16_t i)
{
	vh_put_desc(vh, RXQ, i, RX_BUF(i), 0x800, VH_F_WRITE, 0);
	vh_offer(vh, RXQ, i);
}

static void transmit(struct side *s, uint8_t seed, uint16_t head)
{
	uint8_t buf[HDR + FRAME] = { 0 };

	make_frame(buf + HDR, seed);
	vh_fill(s->vh, TX_BUF, buf, sizeof(buf));
	vh_put_desc(s->vh, TXQ, head, TX_BUF, sizeof(buf), 0, 0);
	vh_offer(s->vh, TXQ, head);
	virtio_worker_run(s->vh->worker);
}

/* a mid-session: one frame sent, two received into the two buffers the
 * driver gave, a third waiting in the backlog for a buffer. */
static void drive_a(struct harness *h)
{
	uint8_t f[FRAME];

	vh_bring_up(h->a.vh, F_MAC | F_STATUS);
	transmit(&h->a, 1, 0);
	assert_int_equal(h->a.link.frames, 1);
	offer_rx(h->a.vh, 0);
	offer_rx(h->a.vh, 1);
	for (uint8_t i = 0; i < 3; i++) {
		make_frame(f, (uint8_t)(0x20 * (i + 1)));
		virtio_net_receive(&h->a.net, f, sizeof(f));
	}
	virtio_worker_run(h->a.vh->worker);
	assert_int_equal(vh_used_idx(h->a.vh, RXQ), 2);
	assert_int_equal(h->a.net.backlog_len, 1);
}

static void test_net_restored_mid_session_keeps_features_queues_and_backlog(void **state)
{
	struct harness *h = *state;
	struct state_writer w;
	uint8_t f[FRAME];

	drive_a(h);
	make_b(h, mac);
	vs_assert_round_trip(&virtio_net_state_ops, &h->a.net, &h->b.net, &w);
	assert_int_equal(virtio_mmio_features(&h->b.net.mmio), virtio_mmio_features(&h->a.net.mmio));
	assert_int_equal(virtio_mmio_features(&h->b.net.mmio) & (F_MAC | F_STATUS), F_MAC | F_STATUS);
	for (unsigned q = 0; q < 2; q++) {
		vh_set_reg(h->b.vh, VH_R_QUEUE_SEL, q);
		assert_int_equal(vh_reg(h->b.vh, 0x044), 1); /* QueueReady */
	}
	assert_int_equal(h->b.net.backlog_len, 1);
	/* The waiting frame goes into the next buffer, on both alike. */
	virtio_worker_run(h->b.vh->worker);
	offer_rx(h->a.vh, 2);
	offer_rx(h->b.vh, 2);
	virtio_worker_run(h->a.vh->worker);
	virtio_worker_run(h->b.vh->worker);
	assert_int_equal(vh_used_idx(h->b.vh, RXQ), 3);
	assert_int_equal(vh_used_id(h->b.vh, RXQ, 2), 2);
	assert_int_equal(vh_used_len(h->b.vh, RXQ, 2), HDR + FRAME);
	make_frame(f, 0x60);
	assert_memory_equal(guest_memory_ptr(&h->b.vh->mem, RX_BUF(2) + HDR, FRAME), f, FRAME);
	assert_true(vh_same_ram(h->a.vh, h->b.vh));
	/* And it transmits where the restored VM's back end is. */
	transmit(&h->b, 9, 1);
	assert_int_equal(h->b.link.frames, 1);
	make_frame(f, 9);
	assert_memory_equal(h->b.link.last, f, FRAME);
	assert_int_equal(vh_used_idx(h->b.vh, TXQ), 2);
	state_writer_free(&w);
}

/* Where the net's own part starts in a payload with one frame waiting. */
static size_t own_part(const struct state_writer *w)
{
	size_t at = w->len - (6 + 4 + 4 + FRAME);

	assert_memory_equal(w->buf + at, mac, 6);
	assert_int_equal(get_le32(w->buf + at + 6), 1);
	assert_int_equal(get_le32(w->buf + at + 10), FRAME);
	return at;
}

static void assert_b_usable(struct harness *h)
{
	uint8_t f[FRAME];

	assert_int_equal(vh_reg(h->b.vh, VH_R_STATUS), 0);
	assert_int_equal(h->b.net.backlog_len, 0);
	vh_bring_up(h->b.vh, F_MAC | F_STATUS);
	offer_rx(h->b.vh, 0);
	make_frame(f, 3);
	virtio_net_receive(&h->b.net, f, sizeof(f));
	virtio_worker_run(h->b.vh->worker);
	assert_int_equal(vh_used_idx(h->b.vh, RXQ), 1);
}

static void assert_refused(struct harness *h, const struct state_writer *w, size_t at, uint32_t v)
{
	uint8_t *p = malloc(w->len);

	assert_non_null(p);
	memcpy(p, w->buf, w->len);
	put_le32(p + at, v);
	assert_int_equal(vs_load(&virtio_net_state_ops, &h->b.net, p, w->len), -1);
	free(p);
	assert_b_usable(h);
}

/* w's transport part and MAC, then n whole frames in the backlog: load
 * gives `expect`; a refused device is usable. */
static void assert_refused_backlog_of(struct harness *h, const struct state_writer *w, size_t own, unsigned n,
				      int expect)
{
	size_t len = own + 6 + 4 + (size_t)n * (4 + FRAME);
	uint8_t *p = malloc(len), *q;

	assert_non_null(p);
	memcpy(p, w->buf, own + 6);
	put_le32(p + own + 6, n);
	q = p + own + 10;
	for (unsigned i = 0; i < n; i++, q += 4 + FRAME) {
		put_le32(q, FRAME);
		make_frame(q + 4, (uint8_t)i);
	}
	assert_int_equal(vs_load(&virtio_net_state_ops, &h->b.net, p, len), expect);
	free(p);
	if (expect)
		assert_b_usable(h);
	else
		assert_int_equal(h->b.net.backlog_len, n);
}

static void test_net_refuses_a_backlog_too_long_or_a_runt_frame(void **state)
{
	struct harness *h = *state;
	struct state_writer w;
	size_t at;

	drive_a(h);
	make_b(h, mac);
	vs_save(&virtio_net_state_ops, &h->a.net, &w);
	at = own_part(&w);
	assert_refused_backlog_of(h, &w, at, VIRTIO_NET_RX_BACKLOG + 1, -1);
	assert_refused_backlog_of(h, &w, at, VIRTIO_NET_RX_BACKLOG, 0); /* full is fine */
	assert_refused(h, &w, at + 10, 13);
	assert_refused(h, &w, at + 10, VIRTIO_NET_MAX_FRAME + 1);
	assert_refused(h, &w, at + 10, FRAME + 1); /* runs past the end */
	state_writer_free(&w);
}

static void test_net_refuses_the_state_of_another_mac(void **state)
{
	struct harness *h = *state;
	struct state_writer w;

	drive_a(h);
	make_b(h, other_mac);
	vs_save(&virtio_net_state_ops, &h->a.net, &w);
	assert_int_equal(vs_load(&virtio_net_state_ops, &h->b.net, w.buf, w.len), -1);
	assert_b_usable(h);
	state_writer_free(&w);
}

static void test_net_refuses_truncated_state(void **state)
{
	struct harness *h = *state;
	struct state_writer w;

	drive_a(h);
	make_b(h, mac);
	vs_save(&virtio_net_state_ops, &h->a.net, &w);
	for (size_t len = 0; len < w.len; len++)
		assert_int_equal(vs_load(&virtio_net_state_ops, &h->b.net, w.buf, len), -1);
	assert_b_usable(h);
	state_writer_free(&w);
}

static void test_net_reset_op_empties_the_backlog(void **state)
{
	struct harness *h = *state;

	drive_a(h);
	virtio_net_state_ops.reset(&h->a.net);
	assert_int_equal(h->a.net.backlog_len, 0);
	assert_int_equal(vh_reg(h->a.vh, VH_R_STATUS), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_net_restored_mid_session_keeps_features_queues_and_backlog),
		T(test_net_refuses_a_backlog_too_long_or_a_runt_frame),
		T(test_net_refuses_the_state_of_another_mac),
		T(test_net_refuses_truncated_state),
		T(test_net_reset_op_empties_the_backlog),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
