/* The saved state of the virtio-mmio transport and its virtqueues
 * (src/devices/virtio/virtio_mmio_state.c, virtqueue_state.c) with a fake
 * back end: a device driven through its registers and rings saves, loads
 * into a fresh device on a copy of guest RAM and saves the same bytes, and
 * the restored device answers the driver as the saved one would (registers,
 * interrupt line, the chain made available and not yet taken). A payload
 * of values no device could reach is refused, and the device refusing it
 * is left at power-on and usable. Offsets into the payload are those
 * docs/snapshot-format.md gives for the transport's part. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/virtio/virtio_mmio.h"
#include "unit_helpers.h"
#include "virtio_state_harness.h"

#define QMAX 16
#define DEVICE_BIT3 (1u << 3)
#define OWN_REFUSED 0xdeadu
/* Registers beyond the harness's (§4.2.2). */
#define R_DRIVER_FEATURES_SEL 0x024
#define R_QUEUE_READY 0x044
#define R_CONFIG_GENERATION 0x0fc

/* The transport's part, byte offsets (docs/snapshot-format.md). */
#define AT_VERSION 0
#define AT_NQUEUES 4
#define AT_DRIVER_FEATURES 5
#define AT_STATUS 25
#define AT_INTERRUPT 29
#define AT_Q0 37
#define AT_Q0_NUM (AT_Q0 + 0)
#define AT_Q0_READY (AT_Q0 + 2)
#define AT_Q0_DESC (AT_Q0 + 3)
#define AT_Q0_EVENT_IDX (AT_Q0 + 27)
#define AT_Q0_LAST_AVAIL (AT_Q0 + 29)
#define AT_Q0_USED_IDX (AT_Q0 + 31)
#define AT_Q0_IN_FLIGHT (AT_Q0 + 37)
#define AT_Q0_HEAD0 (AT_Q0 + 39)

struct fake_dev {
	struct virtio_mmio mmio;
	unsigned works;
	uint32_t own; /* the back end's own part: one number */
	unsigned own_resets;
};

static void fake_work(void *opaque)
{
	struct fake_dev *d = opaque;

	d->works++;
}

static const struct virtio_device_ops fake_ops = {
	.device_id = 4,
	.num_queues = 2,
	.queue_num_max = QMAX,
	.work = fake_work,
};

static void own_save(void *opaque, struct state_writer *w)
{
	struct fake_dev *d = opaque;

	state_put_u32(w, d->own);
}

static int own_load(void *opaque, struct state_reader *r, uint32_t version)
{
	struct fake_dev *d = opaque;

	(void)version;
	d->own = state_get_u32(r);
	if (d->own == OWN_REFUSED)
		state_reader_fail(r);
	return state_reader_ok(r, false) ? 0 : -1;
}

static void own_reset(void *opaque)
{
	struct fake_dev *d = opaque;

	d->own = 0;
	d->own_resets++;
}

static const struct virtio_state_part fake_own = { .save = own_save, .load = own_load, .reset = own_reset };

static void fake_state_reset(void *dev)
{
	struct fake_dev *d = dev;

	virtio_mmio_state_reset(&d->mmio, &fake_own);
}

static void fake_state_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	struct fake_dev *d = dev;

	(void)now_ns;
	virtio_mmio_state_save(&d->mmio, &fake_own, w);
}

static int fake_state_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct fake_dev *d = dev;

	(void)now_ns;
	return virtio_mmio_state_load(&d->mmio, &fake_own, r, version);
}

static const struct device_state_ops fake_state_ops = {
	.version = 1, .reset = fake_state_reset, .save = fake_state_save, .load = fake_state_load
};

/* A device on its own RAM and bus. */
struct side {
	struct vh *vh;
	struct fake_dev dev;
};

struct harness {
	struct side a, b; /* b: the fresh device a restore loads into */
};

static void side_init(struct side *s, struct vh *vh)
{
	char why[128];

	s->vh = vh;
	assert_int_equal(virtio_mmio_init(&s->dev.mmio, "fake", &vh->mem, &fake_ops, &s->dev, DEVICE_BIT3,
					  vh_irq_line(vh), why, sizeof(why)),
			 0);
	assert_int_equal(vh_attach(vh, &s->dev.mmio), 0);
}

static void side_destroy(struct side *s)
{
	if (!s->vh)
		return;
	virtio_mmio_destroy(&s->dev.mmio);
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

/* b: a fresh device on a copy of a's RAM as it is now. */
static void make_b(struct harness *h)
{
	side_init(&h->b, vh_clone(h->a.vh));
}

static struct virtq_chain chain_with(struct virtq_seg *segs, unsigned cap)
{
	return (struct virtq_chain){ .segs = segs, .cap = cap };
}

/* Descriptor `head` of queue q: 16 device-writable bytes at its own buffer. */
static void offer_writable(struct vh *vh, unsigned q, uint16_t head)
{
	vh_put_desc(vh, q, head, VH_BUF + 0x1000ull * q + 0x100ull * head, 16, VH_F_WRITE, 0);
	vh_offer(vh, q, head);
}

/* The back end's side: pop the next chain of q and push it with 16 bytes. */
static uint16_t serve_one(struct side *s, unsigned q)
{
	struct virtq_seg segs[4];
	struct virtq_chain c = chain_with(segs, 4);

	assert_int_equal(virtio_mmio_pop(&s->dev.mmio, q, &c), 1);
	memset(segs[0].host, 0x40 + c.head, 16);
	assert_int_equal(virtio_mmio_push(&s->dev.mmio, q, c.head, 16), 0);
	virtio_mmio_notify_used(&s->dev.mmio, q);
	return c.head;
}

/* A device in the middle of things: both queues used, an interrupt for
 * each reason pending, registers selected away from 0, one chain available
 * on queue 0 that the device has not taken, and the back end's own value. */
static void drive_a(struct harness *h)
{
	struct vh *vh = h->a.vh;

	vh_bring_up(vh, DEVICE_BIT3);
	offer_writable(vh, 0, 0);
	offer_writable(vh, 0, 1);
	serve_one(&h->a, 0);
	serve_one(&h->a, 0);
	offer_writable(vh, 1, 3);
	serve_one(&h->a, 1);
	virtio_mmio_config_changed(&h->a.dev.mmio);
	offer_writable(vh, 0, 2); /* notified, not taken */
	vh_set_reg(vh, VH_R_DEVICE_FEATURES_SEL, 1);
	vh_set_reg(vh, R_DRIVER_FEATURES_SEL, 1);
	vh_set_reg(vh, VH_R_QUEUE_SEL, 1);
	h->a.dev.own = 77;
}

static void test_transport_round_trip_gives_the_same_bytes(void **state)
{
	struct harness *h = *state;
	struct state_writer w;

	drive_a(h);
	make_b(h);
	vs_assert_round_trip(&fake_state_ops, &h->a.dev, &h->b.dev, &w);
	assert_int_equal(h->b.dev.own, 77);
	/* Loading wrote nothing into guest RAM. */
	assert_true(vh_same_ram(h->a.vh, h->b.vh));
	state_writer_free(&w);
}

static void test_transport_restored_registers_read_the_same(void **state)
{
	static const uint64_t regs[] = { VH_R_DEVICE_FEATURES, VH_R_STATUS, VH_R_INTERRUPT_STATUS, R_CONFIG_GENERATION,
					 R_QUEUE_READY };
	struct harness *h = *state;
	struct state_writer w;

	drive_a(h);
	make_b(h);
	vs_assert_round_trip(&fake_state_ops, &h->a.dev, &h->b.dev, &w);
	for (unsigned q = 0; q < 3; q++) {
		vh_set_reg(h->a.vh, VH_R_QUEUE_SEL, q);
		vh_set_reg(h->b.vh, VH_R_QUEUE_SEL, q);
		for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
			assert_int_equal(vh_reg(h->b.vh, regs[i]), vh_reg(h->a.vh, regs[i]));
	}
	assert_int_equal(vh_reg(h->b.vh, VH_R_INTERRUPT_STATUS), 3);
	assert_int_equal(vh_reg(h->b.vh, R_CONFIG_GENERATION), 1);
	assert_int_equal(virtio_mmio_features(&h->b.dev.mmio), virtio_mmio_features(&h->a.dev.mmio));
	/* The line follows the restored InterruptStatus. */
	assert_int_equal(h->b.vh->irq.level, 1);
	state_writer_free(&w);
}

/* The chain made available before the save: the restored device is kicked
 * and takes it, and both devices then leave the same bytes in RAM. */
static void test_transport_restored_device_takes_the_pending_chain(void **state)
{
	struct harness *h = *state;
	struct state_writer w;

	drive_a(h);
	make_b(h);
	while (vh_kicked(h->b.vh))
		virtio_worker_run(h->b.vh->worker);
	vs_assert_round_trip(&fake_state_ops, &h->a.dev, &h->b.dev, &w);
	assert_true(vh_kicked(h->b.vh));
	assert_int_equal(serve_one(&h->b, 0), 2);
	assert_int_equal(serve_one(&h->a, 0), 2);
	assert_true(vh_same_ram(h->a.vh, h->b.vh));
	/* Acknowledging clears the restored interrupt as it does the saved one. */
	vh_set_reg(h->b.vh, VH_R_INTERRUPT_ACK, 3);
	assert_int_equal(h->b.vh->irq.level, 0);
	state_writer_free(&w);
}

/* A chain popped by a back end that then found it broke the device type's
 * rules: the device needs reset and the chain stays in flight. */
static void break_a_with_a_chain_in_flight(struct harness *h)
{
	struct virtq_seg segs[4];
	struct virtq_chain c = chain_with(segs, 4);

	vh_bring_up(h->a.vh, DEVICE_BIT3);
	offer_writable(h->a.vh, 0, 5);
	assert_int_equal(virtio_mmio_pop(&h->a.dev.mmio, 0, &c), 1);
	virtio_mmio_device_error(&h->a.dev.mmio, 0, "a test's broken chain");
	assert_true(vh_needs_reset(h->a.vh));
}

static void test_transport_chain_in_flight_of_a_device_needing_reset_round_trips(void **state)
{
	struct harness *h = *state;
	struct state_writer w;

	break_a_with_a_chain_in_flight(h);
	make_b(h);
	vs_assert_round_trip(&fake_state_ops, &h->a.dev, &h->b.dev, &w);
	assert_int_equal(vs_le16(w.buf + AT_Q0_IN_FLIGHT), 1);
	assert_int_equal(vs_le16(w.buf + AT_Q0_HEAD0), 5);
	assert_true(vh_needs_reset(h->b.vh));
	/* The driver's reset brings the restored device back as it would the saved one. */
	vh_bring_up(h->b.vh, DEVICE_BIT3);
	offer_writable(h->b.vh, 0, 5);
	assert_int_equal(serve_one(&h->b, 0), 5);
	state_writer_free(&w);
}

static void test_transport_reset_op_is_power_on(void **state)
{
	struct harness *h = *state;

	drive_a(h);
	fake_state_ops.reset(&h->a.dev);
	assert_int_equal(vh_reg(h->a.vh, VH_R_STATUS), 0);
	assert_int_equal(vh_reg(h->a.vh, VH_R_INTERRUPT_STATUS), 0);
	assert_int_equal(vh_reg(h->a.vh, R_CONFIG_GENERATION), 0);
	assert_int_equal(vh_reg(h->a.vh, R_QUEUE_READY), 0);
	assert_int_equal(h->a.vh->irq.level, 0);
	assert_int_equal(h->a.dev.own, 0);
	assert_int_equal(h->a.dev.own_resets, 1);
}

/* The fresh device refused a payload: it is as at power-on, and a driver
 * brings it up and gets a chain served. */
static void assert_b_at_power_on_and_usable(struct harness *h)
{
	assert_int_equal(vh_reg(h->b.vh, VH_R_STATUS), 0);
	assert_int_equal(vh_reg(h->b.vh, VH_R_INTERRUPT_STATUS), 0);
	assert_int_equal(h->b.vh->irq.level, 0);
	vh_bring_up(h->b.vh, DEVICE_BIT3);
	offer_writable(h->b.vh, 0, 0);
	assert_int_equal(serve_one(&h->b, 0), 0);
	assert_int_equal(vh_used_idx(h->b.vh, 0), 1);
	assert_false(vh_needs_reset(h->b.vh));
}

/* w's payload with `len` bytes at `at` replaced by v (little-endian). */
static uint8_t *mutated(const struct state_writer *w, size_t at, unsigned len, uint64_t v)
{
	uint8_t *p = malloc(w->len);

	assert_non_null(p);
	memcpy(p, w->buf, w->len);
	for (unsigned i = 0; i < len; i++)
		p[at + i] = (uint8_t)(v >> (8 * i));
	return p;
}

static void assert_refused(struct harness *h, const struct state_writer *w, size_t at, unsigned len, uint64_t v)
{
	uint8_t *p = mutated(w, at, len, v);

	assert_int_equal(vs_load(&fake_state_ops, &h->b.dev, p, w->len), -1);
	free(p);
	assert_b_at_power_on_and_usable(h);
}

/* a's payload after drive_a, its layout checked where the tests change it. */
static void baseline(struct harness *h, struct state_writer *w)
{
	drive_a(h);
	make_b(h);
	vs_save(&fake_state_ops, &h->a.dev, w);
	assert_int_equal(get_le32(w->buf + AT_VERSION), 1);
	assert_int_equal(w->buf[AT_NQUEUES], 2);
	assert_int_equal(get_le32(w->buf + AT_STATUS), ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
	assert_int_equal(get_le32(w->buf + AT_INTERRUPT), 3);
	assert_int_equal(vs_le16(w->buf + AT_Q0_NUM), VH_QSIZE);
	assert_int_equal(w->buf[AT_Q0_READY], 1);
	assert_int_equal(get_le64(w->buf + AT_Q0_DESC), vh_desc(0));
	assert_int_equal(w->buf[AT_Q0_EVENT_IDX], 1);
	assert_int_equal(vs_le16(w->buf + AT_Q0_LAST_AVAIL), 2);
	assert_int_equal(vs_le16(w->buf + AT_Q0_USED_IDX), 2);
	assert_int_equal(vs_le16(w->buf + AT_Q0_IN_FLIGHT), 0);
}

static void test_transport_refuses_a_queue_size_not_a_power_of_two(void **state)
{
	struct harness *h = *state;
	struct state_writer w;

	baseline(h, &w);
	assert_refused(h, &w, AT_Q0_NUM, 2, 6);
	state_writer_free(&w);
}

static void test_transport_refuses_a_queue_size_above_the_devices_max(void **state)
{
	struct harness *h = *state;
	struct state_writer w;

	baseline(h, &w);
	assert_refused(h, &w, AT_Q0_NUM, 2, 2 * QMAX);
	state_writer_free(&w);
}

static void test_transport_refuses_a_ready_queue_of_size_zero(void **state)
{
	struct harness *h = *state;
	struct state_writer w;

	baseline(h, &w);
	assert_refused(h, &w, AT_Q0_NUM, 2, 0);
	state_writer_free(&w);
}

/* last_avail one past used_idx with nothing in flight: an index no run of
 * the queue reaches. */
static void test_transport_refuses_ring_indices_apart_by_other_than_in_flight(void **state)
{
	struct harness *h = *state;
	struct state_writer w;

	baseline(h, &w);
	assert_refused(h, &w, AT_Q0_LAST_AVAIL, 2, 3);
	assert_refused(h, &w, AT_Q0_USED_IDX, 2, 0xffff);
	state_writer_free(&w);
}

static void test_transport_refuses_a_head_in_flight_beyond_the_queue(void **state)
{
	struct harness *h = *state;
	struct state_writer w;

	break_a_with_a_chain_in_flight(h);
	make_b(h);
	vs_save(&fake_state_ops, &h->a.dev, &w);
	assert_int_equal(vs_le16(w.buf + AT_Q0_HEAD0), 5);
	assert_refused(h, &w, AT_Q0_HEAD0, 2, VH_QSIZE);
	/* ... and one in flight in a device that does not need reset: the
	 * drain leaves none. */
	assert_refused(h, &w, AT_STATUS, 4, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
	state_writer_free(&w);
}

static void test_transport_refuses_unknown_status_bits(void **state)
{
	struct harness *h = *state;
	struct state_writer w;

	baseline(h, &w);
	assert_refused(h, &w, AT_STATUS, 4, 0x1f);
	assert_refused(h, &w, AT_STATUS, 4, 0x2f);
	assert_refused(h, &w, AT_STATUS, 4, 0x10000f);
	assert_refused(h, &w, AT_INTERRUPT, 4, 4);
	state_writer_free(&w);
}

static void test_transport_refuses_features_never_offered_or_without_version_1(void **state)
{
	struct harness *h = *state;
	uint64_t accepted;
	struct state_writer w;

	baseline(h, &w);
	accepted = get_le64(w.buf + AT_DRIVER_FEATURES);
	assert_int_equal(accepted, (1ull << 32) | F_EVENT_IDX | F_INDIRECT | DEVICE_BIT3);
	assert_refused(h, &w, AT_DRIVER_FEATURES, 8, accepted | (1u << 7));
	assert_refused(h, &w, AT_DRIVER_FEATURES, 8, accepted & ~(1ull << 32));
	/* A queue enabled with EVENT_IDX that the features do not hold. */
	assert_refused(h, &w, AT_DRIVER_FEATURES, 8, accepted & ~(uint64_t)F_EVENT_IDX);
	state_writer_free(&w);
}

static void test_transport_refuses_rings_outside_ram_or_misaligned(void **state)
{
	struct harness *h = *state;
	struct state_writer w;

	baseline(h, &w);
	assert_refused(h, &w, AT_Q0_DESC, 8, VH_RAM_SIZE);
	assert_refused(h, &w, AT_Q0_DESC, 8, vh_desc(0) + 8);
	assert_refused(h, &w, AT_Q0_DESC, 8, 0xfee00000ull);
	state_writer_free(&w);
}

static void test_transport_refuses_other_versions_queue_counts_and_bools(void **state)
{
	struct harness *h = *state;
	struct state_writer w;

	baseline(h, &w);
	assert_refused(h, &w, AT_VERSION, 4, 2);
	assert_refused(h, &w, AT_VERSION, 4, 0);
	assert_refused(h, &w, AT_NQUEUES, 1, 3);
	assert_refused(h, &w, AT_Q0_READY, 1, 2);
	assert_refused(h, &w, AT_Q0_EVENT_IDX, 1, 2);
	state_writer_free(&w);
}

static void test_transport_refuses_every_truncation_and_trailing_bytes(void **state)
{
	struct harness *h = *state;
	struct state_writer w;
	uint8_t *longer;

	baseline(h, &w);
	for (size_t len = 0; len < w.len; len++) {
		assert_int_equal(vs_load(&fake_state_ops, &h->b.dev, w.buf, len), -1);
		assert_int_equal(vh_reg(h->b.vh, VH_R_STATUS), 0);
	}
	longer = calloc(1, w.len + 1);
	memcpy(longer, w.buf, w.len);
	assert_int_equal(vs_load(&fake_state_ops, &h->b.dev, longer, w.len + 1), -1);
	free(longer);
	state_writer_free(&w);
}

/* The back end refusing its own part undoes the transport's too. */
static void test_transport_back_end_refusal_leaves_power_on(void **state)
{
	struct harness *h = *state;
	struct state_writer w;

	baseline(h, &w);
	h->b.dev.own = 5;
	assert_refused(h, &w, w.len - 4, 4, OWN_REFUSED);
	assert_int_equal(h->b.dev.own, 0);
	assert_true(h->b.dev.own_resets >= 1);
	state_writer_free(&w);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_transport_round_trip_gives_the_same_bytes),
		T(test_transport_restored_registers_read_the_same),
		T(test_transport_restored_device_takes_the_pending_chain),
		T(test_transport_chain_in_flight_of_a_device_needing_reset_round_trips),
		T(test_transport_reset_op_is_power_on),
		T(test_transport_refuses_a_queue_size_not_a_power_of_two),
		T(test_transport_refuses_a_queue_size_above_the_devices_max),
		T(test_transport_refuses_a_ready_queue_of_size_zero),
		T(test_transport_refuses_ring_indices_apart_by_other_than_in_flight),
		T(test_transport_refuses_a_head_in_flight_beyond_the_queue),
		T(test_transport_refuses_unknown_status_bits),
		T(test_transport_refuses_features_never_offered_or_without_version_1),
		T(test_transport_refuses_rings_outside_ram_or_misaligned),
		T(test_transport_refuses_other_versions_queue_counts_and_bools),
		T(test_transport_refuses_every_truncation_and_trailing_bytes),
		T(test_transport_back_end_refusal_leaves_power_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
