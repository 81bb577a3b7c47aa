/* virtio-console's saved state (src/devices/virtio/virtio_console_state.c)
 * through the device's registers and rings: a console that has written the
 * guest's output and holds host input the guest has no buffer for yet saves,
 * loads into a fresh device on a copy of guest RAM and saves the same bytes;
 * the restored console hands the waiting input to the next receive buffer
 * exactly as the saved one does. More input than the device buffers, and
 * truncated states, are refused. Queues: receiveq 0, transmitq 1 (§5.3.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/virtio/virtio_console.h"
#include "unit_helpers.h"
#include "virtio_state_harness.h"

#define RXQ 0
#define TXQ 1
#define RX_BUF(i) (VH_BUF + 0x100ull * (i))
#define TX_BUF (VH_BUF + 0x8000ull)

struct sink {
	char text[64];
	size_t len;
};

struct side {
	struct vh *vh;
	struct virtio_console con;
	struct sink out;
};

struct harness {
	struct side a, b;
};

static void sink_write(void *opaque, const uint8_t *buf, size_t len)
{
	struct sink *s = opaque;

	for (size_t i = 0; i < len && s->len < sizeof(s->text) - 1; i++)
		s->text[s->len++] = (char)buf[i];
}

static void side_init(struct side *s, struct vh *vh)
{
	char why[128];

	s->vh = vh;
	assert_int_equal(virtio_console_init(&s->con, &vh->mem, vh_irq_line(vh),
					     (struct chardev){ .write = sink_write, .opaque = &s->out }, why,
					     sizeof(why)),
			 0);
	assert_int_equal(vh_attach(vh, &s->con.mmio), 0);
}

static void side_destroy(struct side *s)
{
	if (!s->vh)
		return;
	virtio_console_destroy(&s->con);
	vh_free(s->vh);
}

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));
	struct vh *vh = vh_new();

	if (!h || !vh)
		return -1;
	side_init(&h->a, vh);
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

static void offer_rx(struct vh *vh, uint16_t i, uint32_t len)
{
	vh_put_desc(vh, RXQ, i, RX_BUF(i), len, VH_F_WRITE, 0);
	vh_offer(vh, RXQ, i);
}

/* a: "hello" written out; "abcdef" typed, "abcd" taken into a 4-byte
 * buffer, "ef" waiting for the next one. */
static void drive_a(struct harness *h)
{
	struct vh *vh = h->a.vh;

	vh_bring_up(vh, 0);
	vh_fill(vh, TX_BUF, "hello", 5);
	vh_put_desc(vh, TXQ, 0, TX_BUF, 5, 0, 0);
	vh_offer(vh, TXQ, 0);
	virtio_worker_run(vh->worker);
	assert_int_equal(h->a.out.len, 5);
	offer_rx(vh, 0, 4);
	assert_int_equal(virtio_console_receive(&h->a.con, (const uint8_t *)"abcdef", 6), 6);
	virtio_worker_run(vh->worker);
	assert_int_equal(vh_used_idx(vh, RXQ), 1);
	assert_int_equal(h->a.con.input_len, 2);
}

static void test_console_restored_delivers_the_waiting_input(void **state)
{
	struct harness *h = *state;
	struct state_writer w;

	drive_a(h);
	side_init(&h->b, vh_clone(h->a.vh));
	vs_assert_round_trip(&virtio_console_state_ops, &h->a.con, &h->b.con, &w);
	assert_int_equal(h->b.con.input_len, 2);
	assert_int_equal(h->b.out.len, 0); /* output is never replayed */
	virtio_worker_run(h->b.vh->worker);
	offer_rx(h->a.vh, 1, 16);
	offer_rx(h->b.vh, 1, 16);
	virtio_worker_run(h->a.vh->worker);
	virtio_worker_run(h->b.vh->worker);
	assert_int_equal(vh_used_idx(h->b.vh, RXQ), 2);
	assert_int_equal(vh_used_len(h->b.vh, RXQ, 1), 2);
	assert_memory_equal(guest_memory_ptr(&h->b.vh->mem, RX_BUF(1), 2), "ef", 2);
	assert_true(vh_same_ram(h->a.vh, h->b.vh));
	state_writer_free(&w);
}

static void assert_b_usable(struct harness *h)
{
	assert_int_equal(vh_reg(h->b.vh, VH_R_STATUS), 0);
	assert_int_equal(h->b.con.input_len, 0);
	vh_bring_up(h->b.vh, 0);
	vh_fill(h->b.vh, TX_BUF, "ok", 2);
	vh_put_desc(h->b.vh, TXQ, 0, TX_BUF, 2, 0, 0);
	vh_offer(h->b.vh, TXQ, 0);
	virtio_worker_run(h->b.vh->worker);
	assert_int_equal(h->b.out.len, 2);
	h->b.out.len = 0;
}

static void test_console_refuses_more_input_than_it_buffers_and_truncations(void **state)
{
	struct harness *h = *state;
	struct state_writer w;
	uint8_t *p;

	drive_a(h);
	side_init(&h->b, vh_clone(h->a.vh));
	vs_save(&virtio_console_state_ops, &h->a.con, &w);
	assert_int_equal(get_le32(w.buf + w.len - 6), 2);
	p = calloc(1, w.len + VIRTIO_CONSOLE_INPUT_SIZE);
	assert_non_null(p);
	memcpy(p, w.buf, w.len);
	put_le32(p + w.len - 6, VIRTIO_CONSOLE_INPUT_SIZE + 1);
	assert_int_equal(vs_load(&virtio_console_state_ops, &h->b.con, p, w.len - 2 + VIRTIO_CONSOLE_INPUT_SIZE + 1),
			 -1);
	assert_b_usable(h);
	/* A full buffer is fine. */
	put_le32(p + w.len - 6, VIRTIO_CONSOLE_INPUT_SIZE);
	assert_int_equal(vs_load(&virtio_console_state_ops, &h->b.con, p, w.len - 2 + VIRTIO_CONSOLE_INPUT_SIZE), 0);
	assert_int_equal(h->b.con.input_len, VIRTIO_CONSOLE_INPUT_SIZE);
	free(p);
	for (size_t len = 0; len < w.len; len++)
		assert_int_equal(vs_load(&virtio_console_state_ops, &h->b.con, w.buf, len), -1);
	assert_b_usable(h);
	state_writer_free(&w);
}

static void test_console_reset_op_drops_waiting_input(void **state)
{
	struct harness *h = *state;

	drive_a(h);
	virtio_console_state_ops.reset(&h->a.con);
	assert_int_equal(h->a.con.input_len, 0);
	assert_int_equal(vh_reg(h->a.vh, VH_R_STATUS), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_console_restored_delivers_the_waiting_input),
		T(test_console_refuses_more_input_than_it_buffers_and_truncations),
		T(test_console_reset_op_drops_waiting_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
