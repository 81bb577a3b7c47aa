/* The console device (src/devices/virtio/virtio_console.c) through the
 * virtio-mmio transport, its output into a recording chardev. Expected values
 * are the spec's (virtio 1.x §5.3: device ID 3; without MULTIPORT, receiveq 0
 * and transmitq 1 of port 0) and the rules virtio_console.h states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/virtio/virtio_console.h"
#include "virtio_device_harness.h"

#define RXQ 0
#define TXQ 1

struct recorder {
	uint8_t out[256];
	size_t len;
};

struct console_harness {
	struct vh *vh;
	struct virtio_console con;
	struct recorder rec;
};

static void record(void *opaque, const uint8_t *buf, size_t len)
{
	struct recorder *r = opaque;
	size_t n = len < sizeof(r->out) - r->len ? len : sizeof(r->out) - r->len;

	memcpy(r->out + r->len, buf, n);
	r->len += n;
}

static int setup(void **state)
{
	struct console_harness *h = calloc(1, sizeof(*h));
	char why[128];

	if (!h || !(h->vh = vh_new()))
		return -1;
	if (virtio_console_init(&h->con, &h->vh->mem, vh_irq_line(h->vh),
				(struct chardev){ .write = record, .opaque = &h->rec }, why, sizeof(why)) ||
	    vh_attach(h->vh, &h->con.mmio))
		return -1;
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct console_harness *h = *state;

	virtio_console_destroy(&h->con);
	vh_free(h->vh);
	free(h);
	return 0;
}

static void test_console_identifies_with_two_queues_and_no_features(void **state)
{
	struct console_harness *h = *state;

	assert_int_equal(vh_reg(h->vh, VH_R_DEVICE_ID), 3);
	vh_set_reg(h->vh, VH_R_QUEUE_SEL, 1);
	assert_true(vh_reg(h->vh, VH_R_QUEUE_NUM_MAX) > 0);
	vh_set_reg(h->vh, VH_R_QUEUE_SEL, 2);
	assert_int_equal(vh_reg(h->vh, VH_R_QUEUE_NUM_MAX), 0);
	/* No SIZE (0), MULTIPORT (1) or EMERG_WRITE (2). */
	vh_set_reg(h->vh, VH_R_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(vh_reg(h->vh, VH_R_DEVICE_FEATURES) & 0xffffff, 0);
}

static void test_console_output_goes_to_the_chardev_in_order(void **state)
{
	struct console_harness *h = *state;

	vh_bring_up(h->vh, 0);
	vh_fill(h->vh, VH_BUF, "hello, ", 7);
	vh_fill(h->vh, VH_BUF + 0x100, "hvc0\n", 5);
	vh_put_desc(h->vh, TXQ, 0, VH_BUF, 7, VH_F_NEXT, 1);
	vh_put_desc(h->vh, TXQ, 1, VH_BUF + 0x100, 5, 0, 0);
	vh_offer(h->vh, TXQ, 0);
	vh_fill(h->vh, VH_BUF + 0x200, "bye\n", 4);
	vh_put_desc(h->vh, TXQ, 2, VH_BUF + 0x200, 4, 0, 0);
	vh_offer(h->vh, TXQ, 2);
	assert_int_equal(h->rec.len, 0); /* nothing on the vCPU's thread */
	virtio_worker_run(&h->con.mmio.worker);
	assert_int_equal(h->rec.len, 16);
	assert_memory_equal(h->rec.out, "hello, hvc0\nbye\n", 16);
	assert_int_equal(vh_used_idx(h->vh, TXQ), 2);
	assert_int_equal(vh_used_len(h->vh, TXQ, 0), 0);
	assert_int_equal(h->vh->irq.level, 1);
}

static void test_console_writable_buffer_in_transmitq_needs_reset(void **state)
{
	struct console_harness *h = *state;

	vh_bring_up(h->vh, 0);
	vh_put_desc(h->vh, TXQ, 0, VH_BUF, 8, VH_F_WRITE, 0);
	vh_offer(h->vh, TXQ, 0);
	virtio_worker_run(&h->con.mmio.worker);
	assert_int_equal(h->rec.len, 0);
	assert_true(vh_needs_reset(h->vh));
}

/* Input waits for a receive buffer, then fills it; the used length says how
 * much. */
static void test_console_input_reaches_a_receive_buffer(void **state)
{
	struct console_harness *h = *state;

	vh_bring_up(h->vh, 0);
	assert_int_equal(virtio_console_receive(&h->con, (const uint8_t *)"ls\n", 3), 3);
	assert_true(vh_kicked(h->vh));
	virtio_worker_run(&h->con.mmio.worker);
	assert_int_equal(vh_used_idx(h->vh, RXQ), 0);
	memset(guest_memory_ptr(&h->vh->mem, VH_BUF, 64), 0, 64);
	vh_put_desc(h->vh, RXQ, 0, VH_BUF, 64, VH_F_WRITE, 0);
	vh_offer(h->vh, RXQ, 0);
	virtio_worker_run(&h->con.mmio.worker);
	assert_int_equal(vh_used_idx(h->vh, RXQ), 1);
	assert_int_equal(vh_used_len(h->vh, RXQ, 0), 3);
	assert_memory_equal(guest_memory_ptr(&h->vh->mem, VH_BUF, 3), "ls\n", 3);
}

/* More input than one small buffer holds goes on in the next, in order. */
static void test_console_input_spans_buffers(void **state)
{
	struct console_harness *h = *state;

	vh_bring_up(h->vh, 0);
	vh_put_desc(h->vh, RXQ, 0, VH_BUF, 4, VH_F_WRITE, 0);
	vh_put_desc(h->vh, RXQ, 1, VH_BUF + 0x100, 4, VH_F_WRITE, 0);
	vh_offer(h->vh, RXQ, 0);
	vh_offer(h->vh, RXQ, 1);
	virtio_console_receive(&h->con, (const uint8_t *)"abcdef", 6);
	virtio_worker_run(&h->con.mmio.worker);
	assert_int_equal(vh_used_idx(h->vh, RXQ), 2);
	assert_int_equal(vh_used_len(h->vh, RXQ, 0), 4);
	assert_int_equal(vh_used_len(h->vh, RXQ, 1), 2);
	assert_memory_equal(guest_memory_ptr(&h->vh->mem, VH_BUF, 4), "abcd", 4);
	assert_memory_equal(guest_memory_ptr(&h->vh->mem, VH_BUF + 0x100, 2), "ef", 2);
}

static void test_console_full_input_buffer_refuses_the_rest(void **state)
{
	struct console_harness *h = *state;
	uint8_t lots[VIRTIO_CONSOLE_INPUT_SIZE + 10] = { 0 };

	assert_int_equal(virtio_console_receive(&h->con, lots, sizeof(lots)), VIRTIO_CONSOLE_INPUT_SIZE);
	assert_int_equal(virtio_console_receive(&h->con, lots, 1), 0);
}

static void test_console_readable_buffer_in_receiveq_needs_reset(void **state)
{
	struct console_harness *h = *state;

	vh_bring_up(h->vh, 0);
	vh_put_desc(h->vh, RXQ, 0, VH_BUF, 8, 0, 0);
	vh_offer(h->vh, RXQ, 0);
	virtio_console_receive(&h->con, (const uint8_t *)"x", 1);
	virtio_worker_run(&h->con.mmio.worker);
	assert_int_equal(vh_used_idx(h->vh, RXQ), 0);
	assert_true(vh_needs_reset(h->vh));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_console_identifies_with_two_queues_and_no_features),
		T(test_console_output_goes_to_the_chardev_in_order),
		T(test_console_writable_buffer_in_transmitq_needs_reset),
		T(test_console_input_reaches_a_receive_buffer),
		T(test_console_input_spans_buffers),
		T(test_console_full_input_buffer_refuses_the_rest),
		T(test_console_readable_buffer_in_receiveq_needs_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
