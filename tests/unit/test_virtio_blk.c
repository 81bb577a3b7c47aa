/* The block device (src/devices/virtio/virtio_blk.c, blk_request.c,
 * blk_disk.c) through the virtio-mmio transport and the MMIO bus, on a
 * temporary raw image. Expected values are the spec's (virtio 1.x §5.2:
 * device ID 2; feature bits SEG_MAX 2, RO 5, BLK_SIZE 6, FLUSH 9, DISCARD 13;
 * the configuration layout of §5.2.4; request types IN 0, OUT 1, FLUSH 4,
 * GET_ID 8, DISCARD 11; status OK 0, IOERR 1, UNSUPP 2; "A device MUST set
 * the status byte to VIRTIO_BLK_S_IOERR for a write request if the
 * VIRTIO_BLK_F_RO feature if offered, and MUST NOT write any data"; UNSUPP
 * for a discard with the unmap flag) and the image's own bytes, read with
 * pread on the host. */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "devices/virtio/virtio_blk.h"
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
#define HDR 0x4000
#define STATUS 0x5000
#define BUF 0x10000
#define SECTORS 64
#define GUARD 0x5a
#define F_NEXT 1u
#define F_WRITE 2u
/* Requests and statuses (§5.2.6), written out rather than taken from the code. */
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WRITE_ZEROES 13
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2
#define R_DEVICE_ID 0x008
#define R_DEVICE_FEATURES 0x010
#define R_DEVICE_FEATURES_SEL 0x014
#define R_QUEUE_NOTIFY 0x050
#define R_STATUS 0x070
#define R_CONFIG 0x100

struct harness {
	struct guest_memory mem;
	struct io_bus bus;
	struct virtio_blk blk;
	char path[128];
	int host_fd; /* the image as the host test reads it */
	uint16_t avail_idx;
};

static void ignore_irq(void *controller, unsigned pin, int level)
{
	(void)controller;
	(void)pin;
	(void)level;
}

/* Sector i of the image holds byte (i * 7 + j) at offset j: every sector differs. */
static uint8_t pattern(uint64_t sector, unsigned j)
{
	return (uint8_t)(sector * 7 + j);
}

static int setup_disk(void **state, bool ro)
{
	struct harness *h = calloc(1, sizeof(*h));
	uint8_t *image = malloc(SECTORS * 512);
	char why[256];

	if (!h || !image)
		return -1;
	for (unsigned i = 0; i < SECTORS * 512; i++)
		image[i] = pattern(i / 512, i % 512);
	if (temp_file_write(h->path, sizeof(h->path), image, SECTORS * 512))
		return -1;
	free(image);
	h->host_fd = open(h->path, O_RDONLY);
	if (h->host_fd < 0 || guest_memory_init(&h->mem, RAM_SIZE, why, sizeof(why)))
		return -1;
	io_bus_init(&h->bus, "mmio");
	if (virtio_blk_init(&h->blk, &h->mem, (struct irq_line){ .set = ignore_irq }, "vda", h->path, ro, true, why,
			    sizeof(why)) ||
	    io_bus_register(&h->bus, BASE, VIRTIO_MMIO_WINDOW, "virtio-blk", &virtio_mmio_ops, &h->blk.mmio)) {
		print_error("%s\n", why);
		return -1;
	}
	*state = h;
	return 0;
}

static int setup_rw(void **state)
{
	return setup_disk(state, false);
}

static int setup_ro(void **state)
{
	return setup_disk(state, true);
}

static int teardown(void **state)
{
	struct harness *h = *state;

	io_bus_destroy(&h->bus);
	virtio_blk_destroy(&h->blk);
	guest_memory_destroy(&h->mem);
	close(h->host_fd);
	unlink(h->path);
	free(h);
	return 0;
}

static uint32_t reg(struct harness *h, uint64_t offset)
{
	return vdrv_reg(&h->bus, BASE, offset);
}

static uint64_t features(struct harness *h)
{
	uint64_t f;

	vdrv_set_reg(&h->bus, BASE, R_DEVICE_FEATURES_SEL, 0);
	f = reg(h, R_DEVICE_FEATURES);
	vdrv_set_reg(&h->bus, BASE, R_DEVICE_FEATURES_SEL, 1);
	return f | (uint64_t)reg(h, R_DEVICE_FEATURES) << 32;
}

static void bring_up(struct harness *h)
{
	memset(guest_memory_ptr(&h->mem, AVAIL, 0x1000), 0, 0x1000);
	memset(guest_memory_ptr(&h->mem, USED, 0x1000), 0, 0x1000);
	vdrv_negotiate(&h->bus, BASE, F_INDIRECT | F_EVENT_IDX | (1u << 9) | (1u << 13), F_VERSION_1_HI);
	vdrv_setup_queue(&h->bus, BASE, 0, QSIZE, DESC, AVAIL, USED);
	vdrv_set_reg(&h->bus, BASE, R_STATUS, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
	h->avail_idx = 0;
	virtio_worker_run(&h->blk.mmio.worker);
}

static void put_header(struct harness *h, uint32_t type, uint64_t sector)
{
	uint8_t b[16] = { 0 };

	put_le32(b, type);
	put_le32(b + 8, (uint32_t)sector);
	put_le32(b + 12, (uint32_t)(sector >> 32));
	assert_int_equal(guest_memory_write(&h->mem, HDR, b, sizeof(b)), 0);
}

/* Offers the chain at descriptor 0 and runs the device's work. */
static void offer_and_serve(struct harness *h)
{
	ring_put16(&h->mem, AVAIL + 4 + 2 * (h->avail_idx % QSIZE), 0);
	h->avail_idx++;
	ring_put16(&h->mem, AVAIL + 2, h->avail_idx);
	vdrv_set_reg(&h->bus, BASE, R_QUEUE_NOTIFY, 0);
	virtio_worker_run(&h->blk.mmio.worker);
}

static uint16_t used_idx(struct harness *h)
{
	return ring_get16(&h->mem, USED + 2);
}

static uint32_t last_used_len(struct harness *h)
{
	return ring_get32(&h->mem, USED + 8 + 8 * ((used_idx(h) - 1) % QSIZE));
}

static uint8_t status_byte(struct harness *h)
{
	return *(uint8_t *)guest_memory_ptr(&h->mem, STATUS, 1);
}

/* The usual three descriptors: header, data (writable or not), status. A
 * request without data has two. Returns the status byte the device wrote. */
static uint8_t request(struct harness *h, uint32_t type, uint64_t sector, uint32_t len, bool data_writable)
{
	put_header(h, type, sector);
	*(uint8_t *)guest_memory_ptr(&h->mem, STATUS, 1) = GUARD;
	if (len) {
		ring_put_desc(&h->mem, DESC, 0, HDR, 16, F_NEXT, 1);
		ring_put_desc(&h->mem, DESC, 1, BUF, len, F_NEXT | (data_writable ? F_WRITE : 0), 2);
		ring_put_desc(&h->mem, DESC, 2, STATUS, 1, F_WRITE, 0);
	} else {
		ring_put_desc(&h->mem, DESC, 0, HDR, 16, F_NEXT, 1);
		ring_put_desc(&h->mem, DESC, 1, STATUS, 1, F_WRITE, 0);
	}
	offer_and_serve(h);
	return status_byte(h);
}

static void fill(struct harness *h, uint64_t gpa, uint8_t v, size_t len)
{
	memset(guest_memory_ptr(&h->mem, gpa, len), v, len);
}

static bool image_is_pattern(struct harness *h, uint64_t first, uint64_t count)
{
	uint8_t s[512];

	for (uint64_t i = first; i < first + count; i++) {
		assert_int_equal(pread(h->host_fd, s, 512, (off_t)(i * 512)), 512);
		for (unsigned j = 0; j < 512; j++)
			if (s[j] != pattern(i, j))
				return false;
	}
	return true;
}

static bool image_all(struct harness *h, uint64_t first, uint64_t count, uint8_t v)
{
	uint8_t s[512];

	for (uint64_t i = first; i < first + count; i++) {
		assert_int_equal(pread(h->host_fd, s, 512, (off_t)(i * 512)), 512);
		for (unsigned j = 0; j < 512; j++)
			if (s[j] != v)
				return false;
	}
	return true;
}

static bool guest_is_pattern(struct harness *h, uint64_t gpa, uint64_t sector, uint64_t count)
{
	const uint8_t *p = guest_memory_ptr(&h->mem, gpa, count * 512);

	for (uint64_t i = 0; i < count * 512; i++)
		if (p[i] != pattern(sector + i / 512, i % 512))
			return false;
	return true;
}

static bool image_size_is(struct harness *h, off_t size)
{
	struct stat st;

	return fstat(h->host_fd, &st) == 0 && st.st_size == size;
}

static uint32_t config32(struct harness *h, unsigned offset)
{
	return reg(h, R_CONFIG + offset);
}

static void test_blk_identifies_with_capacity_and_features(void **state)
{
	struct harness *h = *state;
	uint64_t f = features(h);

	assert_int_equal(reg(h, R_DEVICE_ID), 2);
	assert_int_equal(config32(h, 0), SECTORS); /* capacity, low half */
	assert_int_equal(config32(h, 4), 0);
	assert_int_equal(config32(h, 20), 512); /* blk_size */
	assert_true(config32(h, 12) >= 1);	/* seg_max */
	assert_true(f & (1u << 2));		/* SEG_MAX */
	assert_true(f & (1u << 6));		/* BLK_SIZE */
	assert_true(f & (1u << 9));		/* FLUSH */
	assert_true(f & (1u << 13));		/* DISCARD */
	assert_false(f & (1u << 5));		/* RO */
	assert_true(f & (1ull << 32));		/* VERSION_1 */
	assert_true(config32(h, 36) >= 1);	/* max_discard_sectors */
	assert_true(config32(h, 40) >= 1);	/* max_discard_seg */
	assert_true(config32(h, 44) >= 1);	/* discard_sector_alignment */
}

static void test_blk_read_returns_the_image_bytes(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	fill(h, BUF, GUARD, 5 * 512);
	assert_int_equal(request(h, T_IN, 3, 4 * 512, true), S_OK);
	assert_true(guest_is_pattern(h, BUF, 3, 4));
	assert_true(*(uint8_t *)guest_memory_ptr(&h->mem, BUF + 4 * 512, 1) == GUARD);
	assert_int_equal(last_used_len(h), 4 * 512 + 1);
}

static void test_blk_write_reaches_the_image_and_reads_back(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	fill(h, BUF, 0xc3, 2 * 512);
	assert_int_equal(request(h, T_OUT, 10, 2 * 512, false), S_OK);
	assert_int_equal(last_used_len(h), 1);
	assert_true(image_all(h, 10, 2, 0xc3));
	assert_true(image_is_pattern(h, 9, 1));
	assert_true(image_is_pattern(h, 12, 1));
	fill(h, BUF, 0, 2 * 512);
	assert_int_equal(request(h, T_IN, 10, 2 * 512, true), S_OK);
	assert_true(*(uint8_t *)guest_memory_ptr(&h->mem, BUF + 1023, 1) == 0xc3);
	assert_int_equal(h->blk.bytes_written, 1024);
}

/* §2.6.4: no assumption about framing. Header and data in one descriptor,
 * the data split unevenly over two more, the status at the end of the last. */
static void test_blk_any_framing_of_header_data_and_status(void **state)
{
	struct harness *h = *state;
	uint8_t *p;

	bring_up(h);
	put_header(h, T_OUT, 20);
	memcpy(guest_memory_ptr(&h->mem, BUF, 16), guest_memory_ptr(&h->mem, HDR, 16), 16);
	fill(h, BUF + 16, 0x11, 100);
	fill(h, BUF + 0x1000, 0x11, 412);
	ring_put_desc(&h->mem, DESC, 0, BUF, 116, F_NEXT, 1);
	ring_put_desc(&h->mem, DESC, 1, BUF + 0x1000, 412, F_NEXT, 2);
	ring_put_desc(&h->mem, DESC, 2, STATUS, 1, F_WRITE, 0);
	offer_and_serve(h);
	assert_int_equal(status_byte(h), S_OK);
	assert_true(image_all(h, 20, 1, 0x11));

	/* A read whose status byte shares the last data descriptor. */
	put_header(h, T_IN, 5);
	ring_put_desc(&h->mem, DESC, 0, HDR, 16, F_NEXT, 1);
	ring_put_desc(&h->mem, DESC, 1, BUF, 300, F_NEXT | F_WRITE, 2);
	ring_put_desc(&h->mem, DESC, 2, BUF + 0x2000, 213, F_WRITE, 0);
	offer_and_serve(h);
	p = guest_memory_ptr(&h->mem, BUF + 0x2000, 213);
	assert_int_equal(p[212], S_OK);
	assert_int_equal(p[211], pattern(5, 511));
	assert_int_equal(*(uint8_t *)guest_memory_ptr(&h->mem, BUF + 299, 1), pattern(5, 299));
}

static void test_blk_flush_succeeds(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	assert_int_equal(request(h, T_FLUSH, 0, 0, false), S_OK);
}

/* "a NUL-padded ASCII string up to 20 bytes long": the image's file name,
 * ringvisor-unit-XXXXXX here, cut at 20. */
static void test_blk_get_id_is_the_image_name(void **state)
{
	struct harness *h = *state;
	const char *base = strrchr(h->path, '/') + 1;

	bring_up(h);
	fill(h, BUF, GUARD, 32);
	assert_int_equal(request(h, T_GET_ID, 0, 20, true), S_OK);
	assert_memory_equal(guest_memory_ptr(&h->mem, BUF, 20), base, 20);
	assert_int_equal(*(uint8_t *)guest_memory_ptr(&h->mem, BUF + 20, 1), GUARD);
}

static void put_discard_seg(struct harness *h, unsigned i, uint64_t sector, uint32_t n, uint32_t flags)
{
	uint8_t b[16];

	put_le32(b, (uint32_t)sector);
	put_le32(b + 4, (uint32_t)(sector >> 32));
	put_le32(b + 8, n);
	put_le32(b + 12, flags);
	assert_int_equal(guest_memory_write(&h->mem, BUF + 16 * i, b, 16), 0);
}

/* Two segments, sectors 8-15 and 30-31: they read as zeros in the image
 * afterwards, their neighbours are untouched, the size is kept. */
static void discard_two_ranges(struct harness *h)
{
	put_discard_seg(h, 0, 8, 8, 0);
	put_discard_seg(h, 1, 30, 2, 0);
	assert_int_equal(request(h, T_DISCARD, 0, 32, false), S_OK);
	assert_true(image_all(h, 8, 8, 0));
	assert_true(image_all(h, 30, 2, 0));
	assert_true(image_is_pattern(h, 7, 1));
	assert_true(image_is_pattern(h, 16, 14));
	assert_true(image_is_pattern(h, 32, 1));
	assert_true(image_size_is(h, SECTORS * 512));
}

static void test_blk_discard_zeroes_the_range(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	discard_two_ranges(h);
}

/* Where the file system cannot punch holes, the ranges are written with
 * zeros (blk_disk's fallback, forced here): the guest sees the same. */
static void test_blk_discard_writes_zeros_without_hole_punching(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	h->blk.disk.zero_fallback = true;
	discard_two_ranges(h);
}

/* §5.2.6.2: UNSUPP for a discard with the unmap flag or an unknown flag; a
 * segment outside the image is an IOERR; either way nothing is discarded,
 * not even the good segment before the bad one. */
static void test_blk_discard_refusals_discard_nothing(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	put_discard_seg(h, 0, 0, 1, 0);
	put_discard_seg(h, 1, 1, 1, 1);
	assert_int_equal(request(h, T_DISCARD, 0, 32, false), S_UNSUPP);
	put_discard_seg(h, 1, 1, 1, 0x80000000u);
	assert_int_equal(request(h, T_DISCARD, 0, 32, false), S_UNSUPP);
	put_discard_seg(h, 1, SECTORS - 1, 2, 0);
	assert_int_equal(request(h, T_DISCARD, 0, 32, false), S_IOERR);
	put_discard_seg(h, 1, UINT64_MAX, 2, 0);
	assert_int_equal(request(h, T_DISCARD, 0, 32, false), S_IOERR);
	/* Not a whole segment. */
	assert_int_equal(request(h, T_DISCARD, 0, 24, false), S_IOERR);
	assert_true(image_is_pattern(h, 0, SECTORS));
	assert_int_equal(reg(h, R_STATUS) & NEEDS_RESET, 0);
}

static void test_blk_read_beyond_the_end_is_ioerr(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	fill(h, BUF, GUARD, 1024);
	assert_int_equal(request(h, T_IN, SECTORS, 512, true), S_IOERR);
	assert_int_equal(request(h, T_IN, SECTORS - 1, 1024, true), S_IOERR);
	/* A sector whose byte offset overflows 64 bits. */
	assert_int_equal(request(h, T_IN, UINT64_MAX - 1, 512, true), S_IOERR);
	assert_int_equal(request(h, T_IN, 1ull << 55, 512, true), S_IOERR);
	assert_int_equal(*(uint8_t *)guest_memory_ptr(&h->mem, BUF, 1), GUARD);
	/* The last sector itself is fine. */
	assert_int_equal(request(h, T_IN, SECTORS - 1, 512, true), S_OK);
	assert_true(guest_is_pattern(h, BUF, SECTORS - 1, 1));
}

static void test_blk_write_beyond_the_end_writes_nothing(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	fill(h, BUF, 0xee, 1024);
	assert_int_equal(request(h, T_OUT, SECTORS - 1, 1024, false), S_IOERR);
	assert_int_equal(request(h, T_OUT, UINT64_MAX, 512, false), S_IOERR);
	assert_int_equal(request(h, T_OUT, 1ull << 55, 512, false), S_IOERR);
	assert_true(image_size_is(h, SECTORS * 512));
	assert_true(image_is_pattern(h, 0, SECTORS));
}

static void test_blk_partial_sector_is_ioerr(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	fill(h, BUF, 0xee, 1024);
	assert_int_equal(request(h, T_OUT, 0, 511, false), S_IOERR);
	assert_int_equal(request(h, T_OUT, 0, 513, false), S_IOERR);
	assert_int_equal(request(h, T_IN, 0, 100, true), S_IOERR);
	assert_true(image_is_pattern(h, 0, 2));
}

static void test_blk_unknown_request_is_unsupp(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	assert_int_equal(request(h, T_WRITE_ZEROES, 0, 16, false), S_UNSUPP);
	assert_int_equal(request(h, 0x7fffffff, 0, 0, false), S_UNSUPP);
	assert_int_equal(reg(h, R_STATUS) & NEEDS_RESET, 0);
}

/* A status byte to answer in: IOERR, and the device goes on serving. */
static void test_blk_malformed_requests_with_a_status_are_ioerr(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	/* Header of 8 bytes. */
	ring_put_desc(&h->mem, DESC, 0, HDR, 8, F_NEXT, 1);
	ring_put_desc(&h->mem, DESC, 1, STATUS, 1, F_WRITE, 0);
	offer_and_serve(h);
	assert_int_equal(status_byte(h), S_IOERR);
	/* A read whose data the device may not write; a write whose data it may. */
	assert_int_equal(request(h, T_IN, 0, 512, false), S_IOERR);
	fill(h, BUF, 0xee, 512);
	assert_int_equal(request(h, T_OUT, 0, 512, true), S_IOERR);
	assert_true(image_is_pattern(h, 0, 1));
	assert_int_equal(used_idx(h), 3);
	assert_int_equal(reg(h, R_STATUS) & NEEDS_RESET, 0);
	assert_int_equal(request(h, T_IN, 2, 512, true), S_OK);
}

/* No device-writable byte: nowhere to put a status. The device needs reset,
 * uses nothing, and a reset recovers it. */
static void test_blk_request_without_status_byte_needs_reset(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	put_header(h, T_OUT, 0);
	fill(h, BUF, 0xee, 512);
	ring_put_desc(&h->mem, DESC, 0, HDR, 16, F_NEXT, 1);
	ring_put_desc(&h->mem, DESC, 1, BUF, 512, 0, 0);
	offer_and_serve(h);
	assert_int_equal(reg(h, R_STATUS) & NEEDS_RESET, NEEDS_RESET);
	assert_int_equal(used_idx(h), 0);
	assert_true(image_is_pattern(h, 0, 1));

	bring_up(h);
	assert_int_equal(request(h, T_IN, 0, 512, true), S_OK);
	assert_true(guest_is_pattern(h, BUF, 0, 1));
}

static void test_blk_notify_only_kicks_the_io_thread(void **state)
{
	struct harness *h = *state;
	struct pollfd p = { .fd = h->blk.mmio.worker.kick.fd, .events = POLLIN };

	bring_up(h);
	put_header(h, T_IN, 0);
	fill(h, BUF, GUARD, 512);
	ring_put_desc(&h->mem, DESC, 0, HDR, 16, F_NEXT, 1);
	ring_put_desc(&h->mem, DESC, 1, BUF, 512, F_NEXT | F_WRITE, 2);
	ring_put_desc(&h->mem, DESC, 2, STATUS, 1, F_WRITE, 0);
	ring_put16(&h->mem, AVAIL + 4, 0);
	ring_put16(&h->mem, AVAIL + 2, 1);
	vdrv_set_reg(&h->bus, BASE, R_QUEUE_NOTIFY, 0);
	assert_int_equal(poll(&p, 1, 0), 1);
	assert_int_equal(used_idx(h), 0);
	assert_int_equal(*(uint8_t *)guest_memory_ptr(&h->mem, BUF, 1), GUARD);
	virtio_worker_run(&h->blk.mmio.worker);
	assert_int_equal(used_idx(h), 1);
	assert_true(guest_is_pattern(h, BUF, 0, 1));
}

static void test_ro_blk_offers_ro_and_opens_the_image_read_only(void **state)
{
	struct harness *h = *state;
	uint64_t f = features(h);

	assert_true(f & (1u << 5));
	assert_false(f & (1u << 13));
	assert_int_equal(fcntl(h->blk.disk.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
}

static void test_ro_blk_refuses_writes_and_discards_and_reads(void **state)
{
	struct harness *h = *state;

	bring_up(h);
	fill(h, BUF, 0xee, 512);
	assert_int_equal(request(h, T_OUT, 0, 512, false), S_IOERR);
	put_discard_seg(h, 0, 0, 1, 0);
	assert_int_equal(request(h, T_DISCARD, 0, 16, false), S_IOERR);
	assert_int_equal(request(h, T_FLUSH, 0, 0, false), S_OK);
	assert_true(image_is_pattern(h, 0, SECTORS));
	assert_int_equal(request(h, T_IN, 1, 512, true), S_OK);
	assert_true(guest_is_pattern(h, BUF, 1, 1));
	assert_int_equal(reg(h, R_STATUS) & NEEDS_RESET, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_blk_identifies_with_capacity_and_features, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_blk_read_returns_the_image_bytes, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_blk_write_reaches_the_image_and_reads_back, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_blk_any_framing_of_header_data_and_status, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_blk_flush_succeeds, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_blk_get_id_is_the_image_name, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_blk_discard_zeroes_the_range, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_blk_discard_writes_zeros_without_hole_punching, setup_rw,
						teardown),
		cmocka_unit_test_setup_teardown(test_blk_discard_refusals_discard_nothing, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_blk_read_beyond_the_end_is_ioerr, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_blk_write_beyond_the_end_writes_nothing, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_blk_partial_sector_is_ioerr, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_blk_unknown_request_is_unsupp, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_blk_malformed_requests_with_a_status_are_ioerr, setup_rw,
						teardown),
		cmocka_unit_test_setup_teardown(test_blk_request_without_status_byte_needs_reset, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_blk_notify_only_kicks_the_io_thread, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_ro_blk_offers_ro_and_opens_the_image_read_only, setup_ro,
						teardown),
		cmocka_unit_test_setup_teardown(test_ro_blk_refuses_writes_and_discards_and_reads, setup_ro, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
