/* The entropy device (src/devices/virtio/virtio_rng.c) through the virtio-mmio
 * transport and the MMIO bus, as Linux's driver meets it. Expected values are
 * the spec's (virtio 1.x §5.4: device ID 4, one requestq, no features, no
 * configuration; "the device MUST place one or more random bytes into the
 * buffer, but it MAY use less than the entire buffer length"; "the driver MUST
 * NOT place device-readable buffers into the queue"; §2.1.2 DEVICE_NEEDS_RESET
 * for a device in an error state). */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "devices/virtio/virtio_rng.h"
#include "host/event_loop.h"
#include "unit_helpers.h"
#include "virtio_driver.h"
#include "virtq_rings.h"
#include "vm/bus.h"
#include "vm/memory.h"

#define BASE 0xd0000000ull
#define RAM_SIZE (2ull << 20)
#define QSIZE 8
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define BUF 0x10000
#define GUARD 0x5a
#define F_WRITE 2u
#define F_NEXT 1u
/* §4.2.2 registers used here beyond the driver's sequence. */
#define R_DEVICE_ID 0x008
#define R_DEVICE_FEATURES 0x010
#define R_DEVICE_FEATURES_SEL 0x014
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NOTIFY 0x050
#define R_INTERRUPT_STATUS 0x060
#define R_STATUS 0x070

struct irq_record {
	int level;
};

struct harness {
	struct guest_memory mem;
	struct io_bus bus;
	struct virtio_rng rng;
	struct irq_record irq;
	uint16_t avail_idx;
};

static void record_irq(void *controller, unsigned pin, int level)
{
	struct irq_record *r = controller;

	(void)pin;
	r->level = level;
}

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));
	char why[128];

	if (!h || guest_memory_init(&h->mem, RAM_SIZE, why, sizeof(why))) {
		free(h);
		return -1;
	}
	io_bus_init(&h->bus, "mmio");
	if (virtio_rng_init(&h->rng, &h->mem, (struct irq_line){ .set = record_irq, .controller = &h->irq }, why,
			    sizeof(why)) ||
	    io_bus_register(&h->bus, BASE, VIRTIO_MMIO_WINDOW, "virtio-rng", &virtio_mmio_ops, &h->rng.mmio))
		return -1;
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;

	io_bus_destroy(&h->bus);
	virtio_rng_destroy(&h->rng);
	guest_memory_destroy(&h->mem);
	free(h);
	return 0;
}

static uint32_t reg(struct harness *h, uint64_t offset)
{
	return vdrv_reg(&h->bus, BASE, offset);
}

/* Linux's sequence: VERSION_1 and the ring features, one queue, DRIVER_OK. */
static void bring_up(struct harness *h)
{
	/* Fresh rings, as a driver allocates after a reset. */
	memset(guest_memory_ptr(&h->mem, AVAIL, 0x1000), 0, 0x1000);
	memset(guest_memory_ptr(&h->mem, USED, 0x1000), 0, 0x1000);
	vdrv_negotiate(&h->bus, BASE, F_INDIRECT | F_EVENT_IDX, F_VERSION_1_HI);
	vdrv_setup_queue(&h->bus, BASE, 0, QSIZE, DESC, AVAIL, USED);
	vdrv_set_reg(&h->bus, BASE, R_STATUS, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
	h->avail_idx = 0;
	/* DRIVER_OK looks at the ready queue once; nothing is there yet. */
	virtio_worker_run(&h->rng.mmio.worker);
}

/* Offers the chain starting at descriptor head and notifies. */
static void offer(struct harness *h, uint16_t head)
{
	ring_put16(&h->mem, AVAIL + 4 + 2 * (h->avail_idx % QSIZE), head);
	h->avail_idx++;
	ring_put16(&h->mem, AVAIL + 2, h->avail_idx);
	vdrv_set_reg(&h->bus, BASE, R_QUEUE_NOTIFY, 0);
}

static void fill_guard(struct harness *h, uint64_t gpa, size_t len)
{
	uint8_t *p = guest_memory_ptr(&h->mem, gpa, len);

	memset(p, GUARD, len);
}

static bool all_bytes(struct harness *h, uint64_t gpa, size_t len, uint8_t v)
{
	const uint8_t *p = guest_memory_ptr(&h->mem, gpa, len);

	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* Random bytes: not one value repeated (for 16 bytes or more, a chance of
 * 2^-120 of a false failure). */
static bool looks_random(struct harness *h, uint64_t gpa, size_t len)
{
	const uint8_t *p = guest_memory_ptr(&h->mem, gpa, len);

	return !all_bytes(h, gpa, len, p[0]);
}

static uint16_t used_idx(struct harness *h)
{
	return ring_get16(&h->mem, USED + 2);
}

static uint32_t used_id(struct harness *h, unsigned i)
{
	return ring_get32(&h->mem, USED + 4 + 8 * i);
}

static uint32_t used_len(struct harness *h, unsigned i)
{
	return ring_get32(&h->mem, USED + 8 + 8 * i);
}

static bool kicked(struct harness *h)
{
	struct pollfd p = { .fd = h->rng.mmio.worker.kick.fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static void test_rng_identifies_as_entropy_device_with_one_queue(void **state)
{
	struct harness *h = *state;

	assert_int_equal(reg(h, R_DEVICE_ID), 4);
	vdrv_set_reg(&h->bus, BASE, R_QUEUE_SEL, 0);
	assert_true(reg(h, R_QUEUE_NUM_MAX) > 0);
	vdrv_set_reg(&h->bus, BASE, R_QUEUE_SEL, 1);
	assert_int_equal(reg(h, R_QUEUE_NUM_MAX), 0);
	/* No device feature bits (0-23) are defined for the entropy device. */
	vdrv_set_reg(&h->bus, BASE, R_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(reg(h, R_DEVICE_FEATURES) & 0xffffff, 0);
	/* No configuration space. */
	assert_int_equal(reg(h, 0x100), 0);
}

static void test_rng_notify_only_kicks_the_io_thread(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	fill_guard(h, BUF, 64);
	ring_put_desc(&h->mem, DESC, 0, BUF, 64, F_WRITE, 0);
	offer(h, 0);
	assert_true(kicked(h));
	/* Nothing was done on the notifying thread. */
	assert_int_equal(used_idx(h), 0);
	assert_true(all_bytes(h, BUF, 64, GUARD));
	assert_int_equal(h->irq.level, 0);
	virtio_worker_run(&h->rng.mmio.worker);
	assert_int_equal(used_idx(h), 1);
}

static void test_rng_fills_a_writable_buffer_and_interrupts(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	fill_guard(h, BUF - 16, 64 + 32);
	ring_put_desc(&h->mem, DESC, 3, BUF, 64, F_WRITE, 0);
	offer(h, 3);
	virtio_worker_run(&h->rng.mmio.worker);
	assert_int_equal(used_idx(h), 1);
	assert_int_equal(used_id(h, 0), 3);
	assert_int_equal(used_len(h, 0), 64);
	assert_true(looks_random(h, BUF, 64));
	assert_true(all_bytes(h, BUF - 16, 16, GUARD));
	assert_true(all_bytes(h, BUF + 64, 16, GUARD));
	assert_int_equal(reg(h, R_INTERRUPT_STATUS) & 1, 1);
	assert_int_equal(h->irq.level, 1);
	assert_int_equal(reg(h, R_STATUS) & NEEDS_RESET, 0);
}

static void test_rng_two_requests_get_different_bytes(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	ring_put_desc(&h->mem, DESC, 0, BUF, 32, F_WRITE, 0);
	ring_put_desc(&h->mem, DESC, 1, BUF + 0x100, 32, F_WRITE, 0);
	offer(h, 0);
	offer(h, 1);
	virtio_worker_run(&h->rng.mmio.worker);
	assert_int_equal(used_idx(h), 2);
	assert_memory_not_equal(guest_memory_ptr(&h->mem, BUF, 32), guest_memory_ptr(&h->mem, BUF + 0x100, 32), 32);
}

static void test_rng_fills_every_segment_of_a_chain(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	fill_guard(h, BUF, 0x200);
	ring_put_desc(&h->mem, DESC, 0, BUF, 24, F_WRITE | F_NEXT, 1);
	ring_put_desc(&h->mem, DESC, 1, BUF + 0x100, 40, F_WRITE, 0);
	offer(h, 0);
	virtio_worker_run(&h->rng.mmio.worker);
	assert_int_equal(used_len(h, 0), 64);
	assert_true(looks_random(h, BUF, 24));
	assert_true(looks_random(h, BUF + 0x100, 40));
	assert_true(all_bytes(h, BUF + 24, 0x100 - 24, GUARD));
	assert_true(all_bytes(h, BUF + 0x100 + 40, 0x100 - 40, GUARD));
}

/* The device may use less than the buffer, but at least one byte, and the
 * used length says exactly what was written. */
static void test_rng_large_buffer_gets_what_the_used_length_says(void **state)
{
	struct harness *h = *state;
	const uint32_t len = 1u << 20;
	uint32_t got;

	bring_up(h);
	fill_guard(h, 0x100000, len);
	ring_put_desc(&h->mem, DESC, 0, 0x100000, len, F_WRITE, 0);
	offer(h, 0);
	virtio_worker_run(&h->rng.mmio.worker);
	assert_int_equal(used_idx(h), 1);
	got = used_len(h, 0);
	assert_true(got >= 1 && got <= len);
	assert_true(all_bytes(h, 0x100000 + got, len - got, GUARD));
	assert_true(looks_random(h, 0x100000, got < 4096 ? got : 4096));
}

/* A driver error: the device needs reset, uses nothing, tells a running
 * driver through the configuration-change interrupt; a reset recovers it. */
static void expect_needs_reset_then_recover(struct harness *h)
{
	assert_int_equal(reg(h, R_STATUS) & NEEDS_RESET, NEEDS_RESET);
	assert_int_equal(used_idx(h), 0);
	assert_int_equal(reg(h, R_INTERRUPT_STATUS) & 2, 2);
	/* Nothing more is served until the reset, however often notified. */
	offer(h, 0);
	virtio_worker_run(&h->rng.mmio.worker);
	assert_int_equal(used_idx(h), 0);

	bring_up(h);
	assert_int_equal(reg(h, R_STATUS) & NEEDS_RESET, 0);
	ring_put_desc(&h->mem, DESC, 0, BUF, 16, F_WRITE, 0);
	offer(h, 0);
	virtio_worker_run(&h->rng.mmio.worker);
	assert_int_equal(used_idx(h), 1);
	assert_int_equal(used_len(h, 0), 16);
}

static void test_rng_readable_buffer_needs_reset(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	fill_guard(h, BUF, 64);
	ring_put_desc(&h->mem, DESC, 0, BUF, 32, 0, 0);
	offer(h, 0);
	virtio_worker_run(&h->rng.mmio.worker);
	assert_true(all_bytes(h, BUF, 64, GUARD));
	expect_needs_reset_then_recover(h);
}

static void test_rng_empty_readable_before_writable_needs_reset(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	fill_guard(h, BUF, 64);
	ring_put_desc(&h->mem, DESC, 0, BUF + 0x100, 0, F_NEXT, 1);
	ring_put_desc(&h->mem, DESC, 1, BUF, 32, F_WRITE, 0);
	offer(h, 0);
	virtio_worker_run(&h->rng.mmio.worker);
	assert_true(all_bytes(h, BUF, 64, GUARD));
	expect_needs_reset_then_recover(h);
}

static void test_rng_no_writable_byte_needs_reset(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	ring_put_desc(&h->mem, DESC, 0, BUF, 0, F_WRITE, 0);
	offer(h, 0);
	virtio_worker_run(&h->rng.mmio.worker);
	expect_needs_reset_then_recover(h);
}

static void test_rng_scribbled_ring_needs_reset(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	ring_put_desc(&h->mem, DESC, 0, BUF, 32, F_WRITE | F_NEXT, 0); /* a loop onto itself */
	offer(h, 0);
	virtio_worker_run(&h->rng.mmio.worker);
	expect_needs_reset_then_recover(h);
}

static void test_rng_buffer_outside_ram_needs_reset(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	ring_put_desc(&h->mem, DESC, 0, RAM_SIZE - 16, 32, F_WRITE, 0);
	offer(h, 0);
	virtio_worker_run(&h->rng.mmio.worker);
	expect_needs_reset_then_recover(h);
}

struct reset_call {
	struct harness *h;
	int done; /* atomic */
};

static void *write_status_zero(void *arg)
{
	struct reset_call *r = arg;

	vdrv_set_reg(&r->h->bus, BASE, R_STATUS, 0);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* virtio_mmio.h: a back end's reset returns only when it will push nothing
 * more from before the reset. The driver's Status write of 0 must wait for
 * work in progress on the I/O thread (here: the worker's lock held, as while
 * a chain is being filled). */
static void test_rng_reset_waits_for_work_in_progress(void **state)
{
	struct harness *h = *state;
	struct reset_call r = { .h = h };
	pthread_t t;

	bring_up(h);
	pthread_mutex_lock(&h->rng.mmio.worker.lock);
	assert_int_equal(pthread_create(&t, NULL, write_status_zero, &r), 0);
	usleep(50000);
	assert_int_equal(__atomic_load_n(&r.done, __ATOMIC_ACQUIRE), 0);
	pthread_mutex_unlock(&h->rng.mmio.worker.lock);
	pthread_join(t, NULL);
	assert_int_equal(r.done, 1);
	assert_int_equal(reg(h, R_STATUS), 0);
}

/* The whole path on threads: the notify here, the work on the event loop's
 * thread, the interrupt from there. */
static void test_rng_served_by_the_io_thread(void **state)
{
	struct harness *h = *state;
	struct event_loop loop;
	int waited_ms = 0;

	assert_int_equal(event_loop_init(&loop), 0);
	assert_int_equal(event_loop_add(&loop, &h->rng.mmio.worker.source), 0);
	assert_int_equal(event_loop_start(&loop), 0);
	vdrv_negotiate(&h->bus, BASE, 0, F_VERSION_1_HI);
	vdrv_setup_queue(&h->bus, BASE, 0, QSIZE, DESC, AVAIL, USED);
	vdrv_set_reg(&h->bus, BASE, R_STATUS, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
	ring_put_desc(&h->mem, DESC, 0, BUF, 64, F_WRITE, 0);
	offer(h, 0);
	while (__atomic_load_n(&h->irq.level, __ATOMIC_ACQUIRE) == 0 && waited_ms < 5000) {
		usleep(1000);
		waited_ms++;
	}
	event_loop_destroy(&loop);
	assert_int_equal(used_idx(h), 1);
	assert_int_equal(used_len(h, 0), 64);
	assert_true(looks_random(h, BUF, 64));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rng_identifies_as_entropy_device_with_one_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_notify_only_kicks_the_io_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_fills_a_writable_buffer_and_interrupts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_two_requests_get_different_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_fills_every_segment_of_a_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_large_buffer_gets_what_the_used_length_says, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_readable_buffer_needs_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_empty_readable_before_writable_needs_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_no_writable_byte_needs_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_scribbled_ring_needs_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_buffer_outside_ram_needs_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_reset_waits_for_work_in_progress, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_served_by_the_io_thread, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
