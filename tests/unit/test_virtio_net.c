/* The network device (src/devices/virtio/virtio_net.c) through the
 * virtio-mmio transport, with a fake back end in place of user networking.
 * Expected values are the spec's (virtio 1.x §5.1: device ID 1, receiveq 0
 * and transmitq 1; feature bits MAC 5 and STATUS 16; the configuration's mac
 * at 0 and status at 6 with VIRTIO_NET_S_LINK_UP 1; the 12-byte
 * virtio_net_hdr before every frame, num_buffers 1 without MRG_RXBUF) and the
 * rules virtio_net.h states for what the guest gets wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/virtio/virtio_net.h"
#include "virtio_device_harness.h"

#define RXQ 0
#define TXQ 1
#define HDR 12
#define F_MAC (1u << 5)
#define F_STATUS (1u << 16)

struct fake_link {
	uint8_t frame[2048];
	size_t len;
	unsigned frames;
};

struct net_harness {
	struct vh *vh;
	struct virtio_net net;
	struct fake_link link;
};

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void fake_send(void *opaque, const uint8_t *frame, size_t len)
{
	struct fake_link *l = opaque;

	l->len = len < sizeof(l->frame) ? len : sizeof(l->frame);
	memcpy(l->frame, frame, l->len);
	l->frames++;
}

static int setup(void **state)
{
	struct net_harness *h = calloc(1, sizeof(*h));
	char why[128];

	if (!h || !(h->vh = vh_new()))
		return -1;
	if (virtio_net_init(&h->net, &h->vh->mem, vh_irq_line(h->vh), mac,
			    (struct netdev){ .send = fake_send, .opaque = &h->link }, why, sizeof(why)) ||
	    vh_attach(h->vh, &h->net.mmio))
		return -1;
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct net_harness *h = *state;

	virtio_net_destroy(&h->net);
	vh_free(h->vh);
	free(h);
	return 0;
}

static void bring_up(struct net_harness *h)
{
	vh_bring_up(h->vh, F_MAC | F_STATUS);
}

/* A frame of len bytes whose byte i is seed + i. */
static void make_frame(uint8_t *f, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		f[i] = (uint8_t)(seed + i);
}

static void test_net_identifies_with_mac_status_and_two_queues(void **state)
{
	struct net_harness *h = *state;
	uint32_t features;

	assert_int_equal(vh_reg(h->vh, VH_R_DEVICE_ID), 1);
	for (unsigned q = 0; q < 3; q++) {
		vh_set_reg(h->vh, VH_R_QUEUE_SEL, q);
		if (q < 2)
			assert_true(vh_reg(h->vh, VH_R_QUEUE_NUM_MAX) > 0);
		else
			assert_int_equal(vh_reg(h->vh, VH_R_QUEUE_NUM_MAX), 0);
	}
	vh_set_reg(h->vh, VH_R_DEVICE_FEATURES_SEL, 0);
	features = vh_reg(h->vh, VH_R_DEVICE_FEATURES);
	assert_int_equal(features & (F_MAC | F_STATUS), F_MAC | F_STATUS);
	/* No offloads, no merged buffers, no control queue: CSUM 0, GUEST_CSUM 1,
	 * GSO and TSO 6-14, MRG_RXBUF 15, CTRL_VQ 17, MQ 22. */
	assert_int_equal(features & 0x427fc3u, 0);
}

static void test_net_config_holds_the_mac_and_link_up(void **state)
{
	struct net_harness *h = *state;

	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(io_bus_read(&h->vh->bus, VH_BASE + VH_R_CONFIG + i, 1), mac[i]);
	assert_int_equal(io_bus_read(&h->vh->bus, VH_BASE + VH_R_CONFIG + 6, 2), 1);
	assert_int_equal(io_bus_read(&h->vh->bus, VH_BASE + VH_R_CONFIG + 4, 2), 0x5634);
	/* Beyond the configuration: reads 0, writes change nothing. */
	assert_int_equal(io_bus_read(&h->vh->bus, VH_BASE + VH_R_CONFIG + 12, 4), 0);
	io_bus_write(&h->vh->bus, VH_BASE + VH_R_CONFIG, 1, 0xff);
	assert_int_equal(io_bus_read(&h->vh->bus, VH_BASE + VH_R_CONFIG, 1), 0x52);
}

/* The header and the frame in two descriptors, as Linux sends without
 * headroom: the back end gets the frame alone, and the chain comes back. */
static void test_net_transmits_a_frame_to_the_back_end(void **state)
{
	struct net_harness *h = *state;
	uint8_t frame[60];

	bring_up(h);
	make_frame(frame, sizeof(frame), 7);
	memset(guest_memory_ptr(&h->vh->mem, VH_BUF, HDR), 0, HDR);
	vh_fill(h->vh, VH_BUF + 0x100, frame, sizeof(frame));
	vh_put_desc(h->vh, TXQ, 0, VH_BUF, HDR, VH_F_NEXT, 1);
	vh_put_desc(h->vh, TXQ, 1, VH_BUF + 0x100, sizeof(frame), 0, 0);
	vh_offer(h->vh, TXQ, 0);
	assert_true(vh_kicked(h->vh));
	assert_int_equal(h->link.frames, 0); /* nothing on the vCPU's thread */
	virtio_worker_run(&h->net.mmio.worker);
	assert_int_equal(h->link.frames, 1);
	assert_int_equal(h->link.len, sizeof(frame));
	assert_memory_equal(h->link.frame, frame, sizeof(frame));
	assert_int_equal(vh_used_idx(h->vh, TXQ), 1);
	assert_int_equal(vh_used_id(h->vh, TXQ, 0), 0);
	assert_int_equal(vh_used_len(h->vh, TXQ, 0), 0);
	assert_int_equal(h->vh->irq.level, 1);
	assert_false(vh_needs_reset(h->vh));
}

/* The header and frame in one buffer, as Linux sends with headroom. */
static void test_net_transmits_header_and_frame_in_one_buffer(void **state)
{
	struct net_harness *h = *state;
	uint8_t buf[HDR + 100];

	bring_up(h);
	memset(buf, 0, HDR);
	make_frame(buf + HDR, 100, 1);
	vh_fill(h->vh, VH_BUF, buf, sizeof(buf));
	vh_put_desc(h->vh, TXQ, 2, VH_BUF, sizeof(buf), 0, 0);
	vh_offer(h->vh, TXQ, 2);
	virtio_worker_run(&h->net.mmio.worker);
	assert_int_equal(h->link.len, 100);
	assert_memory_equal(h->link.frame, buf + HDR, 100);
}

static void expect_tx_needs_reset(struct net_harness *h)
{
	virtio_worker_run(&h->net.mmio.worker);
	assert_int_equal(h->link.frames, 0);
	assert_int_equal(vh_used_idx(h->vh, TXQ), 0);
	assert_true(vh_needs_reset(h->vh));
	assert_int_equal(vh_reg(h->vh, VH_R_INTERRUPT_STATUS) & 2, 2);
}

static void test_net_writable_buffer_in_transmitq_needs_reset(void **state)
{
	struct net_harness *h = *state;

	bring_up(h);
	vh_put_desc(h->vh, TXQ, 0, VH_BUF, HDR + 60, VH_F_NEXT, 1);
	vh_put_desc(h->vh, TXQ, 1, VH_BUF + 0x100, 64, VH_F_WRITE, 0);
	vh_offer(h->vh, TXQ, 0);
	expect_tx_needs_reset(h);
}

static void test_net_transmit_shorter_than_header_needs_reset(void **state)
{
	struct net_harness *h = *state;

	bring_up(h);
	vh_put_desc(h->vh, TXQ, 0, VH_BUF, HDR - 1, 0, 0);
	vh_offer(h->vh, TXQ, 0);
	expect_tx_needs_reset(h);
}

static void test_net_runt_and_giant_frames_are_dropped_not_sent(void **state)
{
	struct net_harness *h = *state;

	bring_up(h);
	vh_put_desc(h->vh, TXQ, 0, VH_BUF, HDR + 13, 0, 0);
	vh_put_desc(h->vh, TXQ, 1, 0x40000, HDR + VIRTIO_NET_MAX_FRAME + 1, 0, 0);
	vh_offer(h->vh, TXQ, 0);
	vh_offer(h->vh, TXQ, 1);
	virtio_worker_run(&h->net.mmio.worker);
	assert_int_equal(h->link.frames, 0);
	assert_int_equal(vh_used_idx(h->vh, TXQ), 2);
	assert_int_equal(h->net.stats.tx_dropped, 2);
	assert_false(vh_needs_reset(h->vh));
}

static void test_net_scribbled_transmit_chain_needs_reset(void **state)
{
	struct net_harness *h = *state;

	bring_up(h);
	vh_put_desc(h->vh, TXQ, 0, VH_BUF, HDR + 60, VH_F_NEXT, 0); /* a loop onto itself */
	vh_offer(h->vh, TXQ, 0);
	expect_tx_needs_reset(h);
}

/* A frame from the back end lands after a zeroed header with num_buffers 1. */
static void test_net_receives_a_frame_after_its_header(void **state)
{
	struct net_harness *h = *state;
	uint8_t frame[80], want_hdr[HDR] = { 0 };

	bring_up(h);
	memset(guest_memory_ptr(&h->vh->mem, VH_BUF, 0x800), VH_GUARD, 0x800);
	vh_put_desc(h->vh, RXQ, 0, VH_BUF, 1526, VH_F_WRITE, 0);
	vh_offer(h->vh, RXQ, 0);
	virtio_worker_run(&h->net.mmio.worker);
	assert_int_equal(vh_used_idx(h->vh, RXQ), 0); /* no frame yet: the buffer waits */
	make_frame(frame, sizeof(frame), 3);
	virtio_net_receive(&h->net, frame, sizeof(frame));
	assert_true(vh_kicked(h->vh));
	virtio_worker_run(&h->net.mmio.worker);
	assert_int_equal(vh_used_idx(h->vh, RXQ), 1);
	assert_int_equal(vh_used_len(h->vh, RXQ, 0), HDR + sizeof(frame));
	want_hdr[10] = 1;
	assert_memory_equal(guest_memory_ptr(&h->vh->mem, VH_BUF, HDR), want_hdr, HDR);
	assert_memory_equal(guest_memory_ptr(&h->vh->mem, VH_BUF + HDR, sizeof(frame)), frame, sizeof(frame));
	assert_int_equal(*(uint8_t *)guest_memory_ptr(&h->vh->mem, VH_BUF + HDR + sizeof(frame), 1), VH_GUARD);
	assert_int_equal(h->vh->irq.level, 1);
}

/* Frames wait while the guest offers no buffer, and go once it does. */
static void test_net_frames_wait_for_receive_buffers(void **state)
{
	struct net_harness *h = *state;
	uint8_t frame[64];

	bring_up(h);
	for (uint8_t i = 0; i < 3; i++) {
		make_frame(frame, sizeof(frame), (uint8_t)(i * 50));
		virtio_net_receive(&h->net, frame, sizeof(frame));
	}
	virtio_worker_run(&h->net.mmio.worker);
	assert_int_equal(h->net.backlog_len, 3);
	for (uint16_t i = 0; i < 3; i++) {
		vh_put_desc(h->vh, RXQ, i, VH_BUF + 0x100 * i, 0x100, VH_F_WRITE, 0);
		vh_offer(h->vh, RXQ, i);
	}
	virtio_worker_run(&h->net.mmio.worker);
	assert_int_equal(vh_used_idx(h->vh, RXQ), 3);
	for (uint16_t i = 0; i < 3; i++) {
		make_frame(frame, sizeof(frame), (uint8_t)(i * 50));
		assert_memory_equal(guest_memory_ptr(&h->vh->mem, VH_BUF + 0x100 * i + HDR, sizeof(frame)), frame,
				    sizeof(frame));
	}
	assert_int_equal(h->net.backlog_len, 0);
}

static void test_net_backlog_is_bounded(void **state)
{
	struct net_harness *h = *state;
	uint8_t frame[64] = { 0 };

	bring_up(h);
	for (unsigned i = 0; i < VIRTIO_NET_RX_BACKLOG + 10; i++)
		virtio_net_receive(&h->net, frame, sizeof(frame));
	assert_int_equal(h->net.backlog_len, VIRTIO_NET_RX_BACKLOG);
	assert_int_equal(h->net.stats.rx_dropped, 10);
}

static void test_net_receive_buffer_too_short_drops_the_frame(void **state)
{
	struct net_harness *h = *state;
	uint8_t frame[100] = { 0 };

	bring_up(h);
	memset(guest_memory_ptr(&h->vh->mem, VH_BUF, 0x100), VH_GUARD, 0x100);
	vh_put_desc(h->vh, RXQ, 0, VH_BUF, HDR + sizeof(frame) - 1, VH_F_WRITE, 0);
	vh_offer(h->vh, RXQ, 0);
	virtio_net_receive(&h->net, frame, sizeof(frame));
	virtio_worker_run(&h->net.mmio.worker);
	assert_int_equal(vh_used_idx(h->vh, RXQ), 1);
	assert_int_equal(vh_used_len(h->vh, RXQ, 0), 0);
	assert_int_equal(*(uint8_t *)guest_memory_ptr(&h->vh->mem, VH_BUF, 1), VH_GUARD);
	assert_int_equal(h->net.stats.rx_dropped, 1);
	assert_false(vh_needs_reset(h->vh));
}

static void test_net_readable_buffer_in_receiveq_needs_reset(void **state)
{
	struct net_harness *h = *state;
	uint8_t frame[64] = { 0 };

	bring_up(h);
	vh_put_desc(h->vh, RXQ, 0, VH_BUF, 0x800, 0, 0);
	vh_offer(h->vh, RXQ, 0);
	virtio_net_receive(&h->net, frame, sizeof(frame));
	virtio_worker_run(&h->net.mmio.worker);
	assert_int_equal(vh_used_idx(h->vh, RXQ), 0);
	assert_true(vh_needs_reset(h->vh));
}

/* A reset leaves waiting frames for the driver that comes next. */
static void test_net_reset_then_frames_still_flow(void **state)
{
	struct net_harness *h = *state;
	uint8_t frame[64];

	bring_up(h);
	make_frame(frame, sizeof(frame), 9);
	virtio_net_receive(&h->net, frame, sizeof(frame));
	vh_set_reg(h->vh, VH_R_STATUS, 0);
	bring_up(h);
	vh_put_desc(h->vh, RXQ, 0, VH_BUF, 0x800, VH_F_WRITE, 0);
	vh_offer(h->vh, RXQ, 0);
	virtio_worker_run(&h->net.mmio.worker);
	assert_int_equal(vh_used_idx(h->vh, RXQ), 1);
	assert_memory_equal(guest_memory_ptr(&h->vh->mem, VH_BUF + HDR, sizeof(frame)), frame, sizeof(frame));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_net_identifies_with_mac_status_and_two_queues),
		T(test_net_config_holds_the_mac_and_link_up),
		T(test_net_transmits_a_frame_to_the_back_end),
		T(test_net_transmits_header_and_frame_in_one_buffer),
		T(test_net_writable_buffer_in_transmitq_needs_reset),
		T(test_net_transmit_shorter_than_header_needs_reset),
		T(test_net_runt_and_giant_frames_are_dropped_not_sent),
		T(test_net_scribbled_transmit_chain_needs_reset),
		T(test_net_receives_a_frame_after_its_header),
		T(test_net_frames_wait_for_receive_buffers),
		T(test_net_backlog_is_bounded),
		T(test_net_receive_buffer_too_short_drops_the_frame),
		T(test_net_readable_buffer_in_receiveq_needs_reset),
		T(test_net_reset_then_frames_still_flow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
