/* The virtio-mmio transport (src/devices/virtio/virtio_mmio.c) through the MMIO
 * bus, as a driver sees it. Offsets and values are the virtio 1.x spec's
 * (§4.2.2, Table 4.1; status bits §2.1; feature bits §6), written out here
 * rather than taken from the code under test. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/virtio/virtio_mmio.h"
#include "unit_helpers.h"
#include "virtio_driver.h"
#include "virtq_rings.h"
#include "vm/bus.h"
#include "vm/memory.h"

#define BASE 0xd0000000ull
#define RAM_SIZE (2ull << 20)
#define QMAX 16
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define BUF 0x10000
#define DEVICE_BIT3 (1u << 3) /* a device-specific feature the back end offers */

struct fake_backend {
	struct virtio_mmio *dev;
	unsigned works;
	unsigned resets;
	bool reset_excluded_work; /* the worker's lock was held during reset */
	uint8_t config[8];
	unsigned config_reads;
	unsigned config_writes;
	uint32_t write_offset;
	unsigned write_size;
	uint64_t write_value;
};

struct irq_record {
	int level;
	unsigned changes;
};

struct harness {
	struct guest_memory mem;
	struct io_bus bus;
	struct virtio_mmio dev;
	struct fake_backend be;
	struct irq_record irq;
};

static uint64_t fake_config_read(void *opaque, uint32_t offset, unsigned size)
{
	struct fake_backend *be = opaque;
	uint64_t v = 0;

	be->config_reads++;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)be->config[offset + i] << (8 * i);
	return v;
}

static void fake_config_write(void *opaque, uint32_t offset, unsigned size, uint64_t value)
{
	struct fake_backend *be = opaque;

	be->config_writes++;
	be->write_offset = offset;
	be->write_size = size;
	be->write_value = value;
}

static void fake_work(void *opaque)
{
	struct fake_backend *be = opaque;

	be->works++;
}

static void fake_reset(void *opaque)
{
	struct fake_backend *be = opaque;

	be->resets++;
	be->reset_excluded_work = pthread_mutex_trylock(&be->dev->worker.lock) != 0;
}

static const struct virtio_device_ops fake_ops = {
	.device_id = 4, /* entropy */
	.num_queues = 2,
	.queue_num_max = QMAX,
	.config_size = 8,
	.config_read = fake_config_read,
	.config_write = fake_config_write,
	.work = fake_work,
	.reset = fake_reset,
};

static void record_irq(void *controller, unsigned pin, int level)
{
	struct irq_record *r = controller;

	(void)pin;
	r->level = level;
	r->changes++;
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
	if (virtio_mmio_init(&h->dev, "test", &h->mem, &fake_ops, &h->be, DEVICE_BIT3,
			     (struct irq_line){ .set = record_irq, .controller = &h->irq, .pin = 5 }, why,
			     sizeof(why)) ||
	    io_bus_register(&h->bus, BASE, VIRTIO_MMIO_WINDOW, "virtio", &virtio_mmio_ops, &h->dev))
		return -1;
	h->be.dev = &h->dev;
	memcpy(h->be.config, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;

	io_bus_destroy(&h->bus);
	virtio_mmio_destroy(&h->dev);
	guest_memory_destroy(&h->mem);
	free(h);
	return 0;
}

static uint32_t reg(struct harness *h, uint64_t offset)
{
	return vdrv_reg(&h->bus, BASE, offset);
}

static void set_reg(struct harness *h, uint64_t offset, uint32_t value)
{
	vdrv_set_reg(&h->bus, BASE, offset, value);
}

static void negotiate(struct harness *h, uint32_t lo, uint32_t hi)
{
	vdrv_negotiate(&h->bus, BASE, lo, hi);
}

static void setup_queue(struct harness *h, uint32_t q, uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
	vdrv_setup_queue(&h->bus, BASE, q, num, desc, avail, used);
}

/* Whether the device kicked its work since the last look: what the I/O
 * thread would do, run here. */
static bool work_was_kicked(struct harness *h)
{
	unsigned before = h->be.works;

	virtio_worker_run(&h->dev.worker);
	return h->be.works != before;
}

/* A running device with queue 0 of 8 entries (no EVENT_IDX). */
static void bring_up(struct harness *h)
{
	negotiate(h, F_INDIRECT, F_VERSION_1_HI);
	setup_queue(h, 0, 8, DESC, AVAIL, USED);
	set_reg(h, 0x070, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
	assert_true(work_was_kicked(h)); /* DRIVER_OK's own look at the ready queue */
}

/* Descriptor 0 = one writable buffer of len bytes (or an out-of-RAM one),
 * offered as avail ring entry idx - 1. */
static void offer_desc0(struct harness *h, uint64_t addr, uint32_t len, uint16_t idx)
{
	ring_put_desc(&h->mem, DESC, 0, addr, len, 2 /* VIRTQ_DESC_F_WRITE */, 0);
	ring_put16(&h->mem, AVAIL + 4 + 2 * ((idx - 1) % 8), 0);
	ring_put16(&h->mem, AVAIL + 2, idx);
}

static int pop(struct harness *h, unsigned q)
{
	struct virtq_seg segs[4];
	struct virtq_chain chain = { .segs = segs, .cap = 4 };

	return virtio_mmio_pop(&h->dev, q, &chain);
}

static void test_mmio_identifies_as_modern_virtio(void **state)
{
	struct harness *h = *state;

	assert_int_equal(reg(h, 0x000), 0x74726976); /* "virt" */
	assert_int_equal(reg(h, 0x004), 2);	     /* not 1: no legacy interface */
	assert_int_equal(reg(h, 0x008), 4);
	assert_int_equal(reg(h, 0x00c), VIRTIO_MMIO_VENDOR_ID);
}

static void test_mmio_device_features_by_select(void **state)
{
	struct harness *h = *state;

	set_reg(h, 0x014, 0);
	assert_int_equal(reg(h, 0x010), DEVICE_BIT3 | F_INDIRECT | F_EVENT_IDX);
	set_reg(h, 0x014, 1);
	assert_int_equal(reg(h, 0x010), F_VERSION_1_HI);
	set_reg(h, 0x014, 2);
	assert_int_equal(reg(h, 0x010), 0);
}

static void test_mmio_features_ok_with_version_1_is_kept(void **state)
{
	struct harness *h = *state;

	negotiate(h, F_EVENT_IDX | DEVICE_BIT3, F_VERSION_1_HI);
	assert_int_equal(reg(h, 0x070), ACKNOWLEDGE | DRIVER | FEATURES_OK);
	assert_int_equal(virtio_mmio_features(&h->dev), (1ull << 32) | F_EVENT_IDX | DEVICE_BIT3);
}

static void test_mmio_features_ok_without_version_1_is_refused(void **state)
{
	struct harness *h = *state;

	negotiate(h, F_EVENT_IDX, 0);
	assert_int_equal(reg(h, 0x070), ACKNOWLEDGE | DRIVER);
	assert_int_equal(virtio_mmio_features(&h->dev), 0);
}

static void test_mmio_features_ok_with_unoffered_feature_is_refused(void **state)
{
	struct harness *h = *state;

	negotiate(h, 1u << 5, F_VERSION_1_HI); /* bit 5 was not offered */
	assert_int_equal(reg(h, 0x070), ACKNOWLEDGE | DRIVER);
	negotiate(h, 0, F_VERSION_1_HI | 2); /* bit 33 neither */
	assert_int_equal(reg(h, 0x070), ACKNOWLEDGE | DRIVER);
}

static void test_mmio_driver_features_frozen_after_features_ok(void **state)
{
	struct harness *h = *state;

	negotiate(h, 0, F_VERSION_1_HI);
	set_reg(h, 0x024, 0);
	set_reg(h, 0x020, F_EVENT_IDX);
	assert_int_equal(virtio_mmio_features(&h->dev), 1ull << 32);
}

static void test_mmio_queue_num_max_only_for_existing_queues(void **state)
{
	struct harness *h = *state;

	set_reg(h, 0x030, 1);
	assert_int_equal(reg(h, 0x034), QMAX);
	set_reg(h, 0x030, 2); /* the device has two queues */
	assert_int_equal(reg(h, 0x034), 0);
	assert_int_equal(reg(h, 0x044), 0);
}

static void test_mmio_queue_setup_makes_queue_ready(void **state)
{
	struct harness *h = *state;

	negotiate(h, 0, F_VERSION_1_HI);
	setup_queue(h, 1, 8, DESC, AVAIL, USED);
	assert_int_equal(reg(h, 0x044), 1);
	set_reg(h, 0x030, 0);
	assert_int_equal(reg(h, 0x044), 0);
	assert_int_equal(reg(h, 0x070) & NEEDS_RESET, 0);
}

static void test_mmio_queue_ready_zero_stops_the_queue(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	set_reg(h, 0x044, 0);
	assert_int_equal(reg(h, 0x044), 0);
	offer_desc0(h, BUF, 16, 1);
	assert_int_equal(pop(h, 0), 0);
}

static void test_mmio_queue_registers_ignored_while_ready(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	set_reg(h, 0x038, 3);	      /* not a power of two */
	set_reg(h, 0x080, 0x1234567); /* misaligned */
	set_reg(h, 0x044, 0);
	set_reg(h, 0x044, 1);
	/* The layout of before, still valid, was taken again. */
	assert_int_equal(reg(h, 0x044), 1);
	assert_int_equal(reg(h, 0x070) & NEEDS_RESET, 0);
}

static void test_mmio_bad_queue_layout_needs_reset_without_interrupt_before_driver_ok(void **state)
{
	struct harness *h = *state;

	negotiate(h, 0, F_VERSION_1_HI);
	setup_queue(h, 0, 8, DESC + 8, AVAIL, USED); /* table not 16-aligned */
	assert_int_equal(reg(h, 0x044), 0);
	assert_int_equal(reg(h, 0x070), ACKNOWLEDGE | DRIVER | FEATURES_OK | NEEDS_RESET);
	/* §2.1.2: the configuration-change notification is owed only after DRIVER_OK. */
	assert_int_equal(reg(h, 0x060), 0);
	assert_int_equal(h->irq.level, 0);
}

static void test_mmio_queue_address_high_dword_counts(void **state)
{
	struct harness *h = *state;

	/* 4 GiB above a valid table: not RAM in a 2 MiB guest. */
	negotiate(h, 0, F_VERSION_1_HI);
	setup_queue(h, 0, 8, (1ull << 32) | DESC, AVAIL, USED);
	assert_int_equal(reg(h, 0x044), 0);
	assert_true(reg(h, 0x070) & NEEDS_RESET);
}

static void test_mmio_queue_size_above_max_needs_reset(void **state)
{
	struct harness *h = *state;

	negotiate(h, 0, F_VERSION_1_HI);
	setup_queue(h, 0, 2 * QMAX, DESC, AVAIL, USED);
	assert_int_equal(reg(h, 0x044), 0);
	assert_true(reg(h, 0x070) & NEEDS_RESET);
}

static void test_mmio_notify_pop_push_interrupt_and_ack(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	offer_desc0(h, BUF, 16, 1);
	set_reg(h, 0x050, 0);
	assert_true(work_was_kicked(h));
	assert_int_equal(pop(h, 0), 1);
	assert_int_equal(virtio_mmio_push(&h->dev, 0, 0, 16), 0);
	virtio_mmio_notify_used(&h->dev, 0);
	assert_int_equal(reg(h, 0x060), 1); /* used buffer notification */
	assert_int_equal(h->irq.level, 1);
	set_reg(h, 0x064, 1);
	assert_int_equal(reg(h, 0x060), 0);
	assert_int_equal(h->irq.level, 0);
}

static void test_mmio_notify_ignored_for_absent_or_idle_queues(void **state)
{
	struct harness *h = *state;

	negotiate(h, 0, F_VERSION_1_HI);
	setup_queue(h, 0, 8, DESC, AVAIL, USED);
	set_reg(h, 0x050, 0); /* before DRIVER_OK */
	assert_false(work_was_kicked(h));
	set_reg(h, 0x070, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
	assert_true(work_was_kicked(h));
	set_reg(h, 0x050, 1); /* exists, not ready */
	set_reg(h, 0x050, 2); /* does not exist */
	set_reg(h, 0x050, 0xffffffff);
	assert_false(work_was_kicked(h));
}

static void test_mmio_driver_ok_kicks_the_work_once_if_a_queue_is_ready(void **state)
{
	struct harness *h = *state;

	negotiate(h, 0, F_VERSION_1_HI);
	setup_queue(h, 1, 8, DESC, AVAIL, USED);
	set_reg(h, 0x070, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
	assert_true(work_was_kicked(h));
	set_reg(h, 0x070, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
	assert_false(work_was_kicked(h));
}

static void test_mmio_driver_ok_without_a_ready_queue_kicks_nothing(void **state)
{
	struct harness *h = *state;

	negotiate(h, 0, F_VERSION_1_HI);
	set_reg(h, 0x070, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
	assert_false(work_was_kicked(h));
}

static void test_mmio_malformed_chain_needs_reset_and_raises_config_interrupt(void **state)
{
	struct harness *h = *state;
	struct stderr_capture cap;
	char *log;

	bring_up(h);
	offer_desc0(h, RAM_SIZE - 8, 16, 1); /* runs past the end of RAM */
	assert_int_equal(stderr_capture_begin(&cap), 0);
	assert_true(pop(h, 0) < 0);
	log = stderr_capture_end(&cap);
	assert_int_equal(count_lines_containing(log, "needs reset"), 1);
	free(log);
	assert_true(reg(h, 0x070) & NEEDS_RESET);
	assert_int_equal(reg(h, 0x060), 2); /* configuration change */
	assert_int_equal(h->irq.level, 1);
	/* Nothing more is taken from the guest until it resets the device. */
	assert_int_equal(pop(h, 0), 0);
	set_reg(h, 0x050, 0);
	assert_false(work_was_kicked(h));
}

static void test_mmio_driver_cannot_set_needs_reset(void **state)
{
	struct harness *h = *state;

	set_reg(h, 0x070, ACKNOWLEDGE | NEEDS_RESET);
	assert_int_equal(reg(h, 0x070), ACKNOWLEDGE);
}

static void test_mmio_status_zero_resets_everything(void **state)
{
	struct harness *h = *state;
	unsigned resets;

	bring_up(h);
	offer_desc0(h, BUF, 16, 1);
	assert_int_equal(pop(h, 0), 1);
	virtio_mmio_config_changed(&h->dev);
	assert_int_equal(h->irq.level, 1);
	resets = h->be.resets;
	set_reg(h, 0x070, 0);
	assert_int_equal(reg(h, 0x070), 0);
	assert_int_equal(reg(h, 0x060), 0);
	assert_int_equal(h->irq.level, 0);
	assert_int_equal(reg(h, 0x044), 0);
	assert_int_equal(virtio_mmio_features(&h->dev), 0);
	assert_int_equal(h->be.resets, resets + 1);
	assert_true(h->be.reset_excluded_work);
	/* A completion of before the reset lands nowhere. */
	assert_true(virtio_mmio_push(&h->dev, 0, 0, 0) < 0);
	assert_int_equal(reg(h, 0x070), 0);
}

static void test_mmio_reset_clears_needs_reset(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	offer_desc0(h, RAM_SIZE, 1, 1);
	assert_true(pop(h, 0) < 0);
	set_reg(h, 0x070, 0);
	assert_int_equal(reg(h, 0x070), 0);
	bring_up(h);
	offer_desc0(h, BUF, 16, 1);
	assert_int_equal(pop(h, 0), 1);
}

static void test_mmio_interrupt_ack_clears_only_acked_bits(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	offer_desc0(h, BUF, 16, 1);
	assert_int_equal(pop(h, 0), 1);
	assert_int_equal(virtio_mmio_push(&h->dev, 0, 0, 0), 0);
	virtio_mmio_notify_used(&h->dev, 0);
	virtio_mmio_config_changed(&h->dev);
	assert_int_equal(reg(h, 0x060), 3);
	assert_int_equal(h->irq.changes, 1); /* one rise for both events */
	set_reg(h, 0x064, 1);
	assert_int_equal(reg(h, 0x060), 2);
	/* A level: still an event pending, so the line never dropped. */
	assert_int_equal(h->irq.level, 1);
	assert_int_equal(h->irq.changes, 1);
	set_reg(h, 0x064, 2);
	assert_int_equal(h->irq.level, 0);
}

static void test_mmio_config_change_bumps_generation(void **state)
{
	struct harness *h = *state;
	uint32_t gen = reg(h, 0x0fc);

	virtio_mmio_config_changed(&h->dev);
	assert_int_not_equal(reg(h, 0x0fc), gen);
	/* Before DRIVER_OK nobody is told by interrupt. */
	assert_int_equal(reg(h, 0x060), 0);
}

static void test_mmio_config_space_reads_and_writes_reach_back_end(void **state)
{
	struct harness *h = *state;

	assert_int_equal(io_bus_read(&h->bus, BASE + 0x100, 4), 0x44332211);
	assert_int_equal(io_bus_read(&h->bus, BASE + 0x104, 2), 0x6655);
	assert_int_equal(io_bus_read(&h->bus, BASE + 0x107, 1), 0x88);
	io_bus_write(&h->bus, BASE + 0x106, 2, 0xbeef);
	assert_int_equal(h->be.config_writes, 1);
	assert_int_equal(h->be.write_offset, 6);
	assert_int_equal(h->be.write_size, 2);
	assert_int_equal(h->be.write_value, 0xbeef);
}

static void test_mmio_config_access_misaligned_or_outside_reads_zero(void **state)
{
	struct harness *h = *state;

	assert_int_equal(io_bus_read(&h->bus, BASE + 0x101, 2), 0); /* misaligned */
	assert_int_equal(io_bus_read(&h->bus, BASE + 0x102, 4), 0);
	assert_int_equal(io_bus_read(&h->bus, BASE + 0x108, 4), 0); /* past the 8 bytes */
	assert_int_equal(io_bus_read(&h->bus, BASE + 0x1fc, 4), 0);
	io_bus_write(&h->bus, BASE + 0x108, 1, 1);
	io_bus_write(&h->bus, BASE + 0x103, 2, 1);
	assert_int_equal(h->be.config_reads, 0);
	assert_int_equal(h->be.config_writes, 0);
}

static void test_mmio_odd_register_accesses_read_zero_and_are_ignored(void **state)
{
	struct harness *h = *state;
	struct stderr_capture cap;

	assert_int_equal(stderr_capture_begin(&cap), 0);
	assert_int_equal(io_bus_read(&h->bus, BASE + 0x000, 1), 0);
	assert_int_equal(io_bus_read(&h->bus, BASE + 0x000, 2), 0);
	assert_int_equal(io_bus_read(&h->bus, BASE + 0x002, 4), 0);
	set_reg(h, 0x070, ACKNOWLEDGE);
	io_bus_write(&h->bus, BASE + 0x070, 1, 0); /* a byte write of 0 is no reset */
	io_bus_write(&h->bus, BASE + 0x071, 4, 0);
	free(stderr_capture_end(&cap));
	assert_int_equal(reg(h, 0x070), ACKNOWLEDGE);
	assert_int_equal(h->be.resets, 0);
}

static void test_mmio_qword_read_is_two_dwords(void **state)
{
	struct harness *h = *state;

	assert_int_equal(io_bus_read(&h->bus, BASE, 8), 0x0000000274726976ull);
}

static void test_mmio_read_only_and_write_only_registers(void **state)
{
	struct harness *h = *state;

	set_reg(h, 0x000, 0);
	set_reg(h, 0x008, 0);
	set_reg(h, 0x060, 3);
	assert_int_equal(reg(h, 0x000), 0x74726976);
	assert_int_equal(reg(h, 0x008), 4);
	assert_int_equal(reg(h, 0x060), 0);
	set_reg(h, 0x030, 1);
	assert_int_equal(reg(h, 0x030), 0); /* QueueSel is write-only */
	/* No shared memory region: its length reads as -1 (virtio 1.2 §4.2.2). */
	assert_int_equal(reg(h, 0x0b0), 0xffffffff);
	assert_int_equal(reg(h, 0x0b4), 0xffffffff);
}

static void test_mmio_event_idx_negotiated_reaches_the_queue(void **state)
{
	struct harness *h = *state;

	negotiate(h, F_EVENT_IDX, F_VERSION_1_HI);
	setup_queue(h, 0, 8, DESC, AVAIL, USED);
	set_reg(h, 0x070, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
	offer_desc0(h, BUF, 16, 1);
	assert_int_equal(pop(h, 0), 1);
	/* With EVENT_IDX the device publishes avail_event after used->ring[8]. */
	assert_int_equal(ring_get16(&h->mem, USED + 4 + 8 * 8), 1);
	/* used_event = 5 not reached by the first used entry: no interrupt. */
	ring_put16(&h->mem, AVAIL + 4 + 2 * 8, 5);
	assert_int_equal(virtio_mmio_push(&h->dev, 0, 0, 0), 0);
	virtio_mmio_notify_used(&h->dev, 0);
	assert_int_equal(reg(h, 0x060), 0);
}

static void test_mmio_init_refuses_invalid_back_end(void **state)
{
	struct harness *h = *state;
	struct virtio_mmio dev;
	struct virtio_device_ops ops = fake_ops;
	char why[128];

	ops.num_queues = VIRTIO_MMIO_MAX_QUEUES + 1;
	assert_int_equal(virtio_mmio_init(&dev, "x", &h->mem, &ops, NULL, 0, (struct irq_line){ 0 }, why, sizeof(why)),
			 -1);
	ops = fake_ops;
	ops.queue_num_max = 24;
	assert_int_equal(virtio_mmio_init(&dev, "x", &h->mem, &ops, NULL, 0, (struct irq_line){ 0 }, why, sizeof(why)),
			 -1);
	ops = fake_ops;
	ops.config_size = VIRTIO_MMIO_CONFIG_MAX + 1;
	assert_int_equal(virtio_mmio_init(&dev, "x", &h->mem, &ops, NULL, 0, (struct irq_line){ 0 }, why, sizeof(why)),
			 -1);
	ops = fake_ops;
	ops.work = NULL;
	assert_int_equal(virtio_mmio_init(&dev, "x", &h->mem, &ops, NULL, 0, (struct irq_line){ 0 }, why, sizeof(why)),
			 -1);
	assert_non_null(strstr(why, "internal error"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_mmio_identifies_as_modern_virtio),
		T(test_mmio_device_features_by_select),
		T(test_mmio_features_ok_with_version_1_is_kept),
		T(test_mmio_features_ok_without_version_1_is_refused),
		T(test_mmio_features_ok_with_unoffered_feature_is_refused),
		T(test_mmio_driver_features_frozen_after_features_ok),
		T(test_mmio_queue_num_max_only_for_existing_queues),
		T(test_mmio_queue_setup_makes_queue_ready),
		T(test_mmio_queue_ready_zero_stops_the_queue),
		T(test_mmio_queue_registers_ignored_while_ready),
		T(test_mmio_bad_queue_layout_needs_reset_without_interrupt_before_driver_ok),
		T(test_mmio_queue_address_high_dword_counts),
		T(test_mmio_queue_size_above_max_needs_reset),
		T(test_mmio_notify_pop_push_interrupt_and_ack),
		T(test_mmio_notify_ignored_for_absent_or_idle_queues),
		T(test_mmio_driver_ok_kicks_the_work_once_if_a_queue_is_ready),
		T(test_mmio_driver_ok_without_a_ready_queue_kicks_nothing),
		T(test_mmio_malformed_chain_needs_reset_and_raises_config_interrupt),
		T(test_mmio_driver_cannot_set_needs_reset),
		T(test_mmio_status_zero_resets_everything),
		T(test_mmio_reset_clears_needs_reset),
		T(test_mmio_interrupt_ack_clears_only_acked_bits),
		T(test_mmio_config_change_bumps_generation),
		T(test_mmio_config_space_reads_and_writes_reach_back_end),
		T(test_mmio_config_access_misaligned_or_outside_reads_zero),
		T(test_mmio_odd_register_accesses_read_zero_and_are_ignored),
		T(test_mmio_qword_read_is_two_dwords),
		T(test_mmio_read_only_and_write_only_registers),
		T(test_mmio_event_idx_negotiated_reaches_the_queue),
		T(test_mmio_init_refuses_invalid_back_end),
	};

	return cmocka_run_group_tests_name("virtio_mmio", tests, NULL, NULL);
}
