/* virtio-blk's saved state (src/devices/virtio/virtio_blk_state.c) through
 * the device's registers and rings: a disk that has served a request and has
 * another made available saves, loads into a fresh device (on a copy of
 * guest RAM and of the image, as a restore of a snapshot has them) and saves
 * the same bytes; the restored device then completes the waiting request
 * exactly as the saved one does, used-ring entry, data and status byte,
 * whether the driver had notified it or not. A state of a disk of another
 * size or mode is refused. Request layout and values are the spec's
 * (virtio 1.x §5.2.6: a 16-byte header {le32 type, le32 reserved, le64
 * sector}, IN 0, OUT 1, status OK 0 in the last writable byte). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/virtio/virtio_blk.h"
#include "unit_helpers.h"
#include "virtio_state_harness.h"

#define SECTORS 64
#define T_IN 0
#define T_OUT 1
#define S_OK 0
/* SEG_MAX 2, BLK_SIZE 6, FLUSH 9, DISCARD 13 (§5.2.3). */
#define BLK_FEATURES ((1u << 2) | (1u << 6) | (1u << 9) | (1u << 13))
#define HDR(n) (VH_BUF + 0x100ull * (n))
#define STATUS(n) (VH_BUF + 0x800ull + (n))
#define DATA(n) (VH_BUF + 0x1000ull + 0x1000ull * (n))

struct side {
	struct vh *vh;
	struct virtio_blk blk;
	char path[128];
	bool open;
};

struct harness {
	struct side a, b;
};

static uint8_t pattern(uint64_t sector, unsigned j)
{
	return (uint8_t)(sector * 13 + j);
}

/* An image of `sectors` sectors: the pattern, or a copy of from's image. */
static void make_image(char *path, size_t len, unsigned sectors, const char *from)
{
	uint8_t *image = malloc((size_t)sectors * 512);

	assert_non_null(image);
	if (from) {
		int fd = open(from, O_RDONLY);

		assert_true(fd >= 0);
		assert_int_equal(pread(fd, image, (size_t)sectors * 512, 0), (ssize_t)sectors * 512);
		close(fd);
	} else {
		for (unsigned i = 0; i < sectors * 512; i++)
			image[i] = pattern(i / 512, i % 512);
	}
	assert_int_equal(temp_file_write(path, len, image, (size_t)sectors * 512), 0);
	free(image);
}

static void side_open(struct side *s, struct vh *vh, bool ro)
{
	char why[256];

	s->vh = vh;
	assert_int_equal(
	    virtio_blk_init(&s->blk, &vh->mem, vh_irq_line(vh), "vda", s->path, ro, true, why, sizeof(why)), 0);
	assert_int_equal(vh_attach(vh, &s->blk.mmio), 0);
	s->open = true;
}

static void side_close(struct side *s)
{
	if (s->open)
		virtio_blk_destroy(&s->blk);
	if (s->vh)
		vh_free(s->vh);
	if (s->path[0])
		unlink(s->path);
}

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));
	struct vh *vh = vh_new();

	if (!h || !vh)
		return -1;
	make_image(h->a.path, sizeof(h->a.path), SECTORS, NULL);
	side_open(&h->a, vh, false);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;

	side_close(&h->a);
	side_close(&h->b);
	free(h);
	return 0;
}

/* b: a fresh device on copies of a's RAM and image, of `sectors` sectors
 * (the image's first ones), read-only or not. */
static void make_b(struct harness *h, unsigned sectors, bool ro)
{
	make_image(h->b.path, sizeof(h->b.path), sectors, h->a.path);
	side_open(&h->b, vh_clone(h->a.vh), ro);
}

/* Request n in descriptors 3n..3n+2: header, `count` sectors of data
 * (device-writable for IN), status. */
static void put_request(struct vh *vh, unsigned n, uint32_t type, uint64_t sector, uint32_t count)
{
	uint8_t hdr[16] = { 0 };

	put_le32(hdr, type);
	put_le32(hdr + 8, (uint32_t)sector);
	vh_fill(vh, HDR(n), hdr, sizeof(hdr));
	*(uint8_t *)guest_memory_ptr(&vh->mem, STATUS(n), 1) = 0x5a;
	vh_put_desc(vh, 0, 3 * n, HDR(n), 16, VH_F_NEXT, (uint16_t)(3 * n + 1));
	vh_put_desc(vh, 0, 3 * n + 1, DATA(n), count * 512, VH_F_NEXT | (type == T_IN ? VH_F_WRITE : 0),
		    (uint16_t)(3 * n + 2));
	vh_put_desc(vh, 0, 3 * n + 2, STATUS(n), 1, VH_F_WRITE, 0);
}

/* Makes head available without a notification, as a driver does when the
 * device asked not to be notified (EVENT_IDX's avail_event behind). */
static void make_available_silently(struct vh *vh, uint16_t head)
{
	ring_put16(&vh->mem, vh_avail(0) + 4 + 2 * (vh->avail_idx[0] % VH_QSIZE), head);
	vh->avail_idx[0]++;
	ring_put16(&vh->mem, vh_avail(0) + 2, vh->avail_idx[0]);
}

/* a has written sector 5 and holds a read of sectors 7-8 it has not done. */
static void drive_a(struct harness *h, bool notify)
{
	struct vh *vh = h->a.vh;

	vh_bring_up(vh, BLK_FEATURES);
	memset(guest_memory_ptr(&vh->mem, DATA(0), 512), 0xc3, 512);
	put_request(vh, 0, T_OUT, 5, 1);
	vh_offer(vh, 0, 0);
	virtio_worker_run(vh->worker);
	assert_int_equal(vh_used_idx(vh, 0), 1);
	assert_int_equal(*(uint8_t *)guest_memory_ptr(&vh->mem, STATUS(0), 1), S_OK);
	put_request(vh, 1, T_IN, 7, 2);
	if (notify)
		vh_offer(vh, 0, 3);
	else
		make_available_silently(vh, 3);
}

static void restored_device_completes_the_waiting_read(struct harness *h, bool notify)
{
	struct state_writer w;

	drive_a(h, notify);
	make_b(h, SECTORS, false);
	vs_assert_round_trip(&virtio_blk_state_ops, &h->a.blk, &h->b.blk, &w);
	assert_int_equal(vh_used_idx(h->b.vh, 0), 1); /* nothing done by the load */
	assert_true(vh_kicked(h->b.vh));
	virtio_worker_run(h->b.vh->worker);
	assert_int_equal(vh_used_idx(h->b.vh, 0), 2);
	assert_int_equal(vh_used_id(h->b.vh, 0, 1), 3);
	assert_int_equal(vh_used_len(h->b.vh, 0, 1), 2 * 512 + 1);
	assert_int_equal(*(uint8_t *)guest_memory_ptr(&h->b.vh->mem, STATUS(1), 1), S_OK);
	for (unsigned j = 0; j < 1024; j++)
		assert_int_equal(((uint8_t *)guest_memory_ptr(&h->b.vh->mem, DATA(1), 1024))[j],
				 pattern(7 + j / 512, j % 512));
	/* The saved device, going on, leaves exactly the same RAM. */
	virtio_mmio_kick(&h->a.blk.mmio);
	virtio_worker_run(h->a.vh->worker);
	assert_true(vh_same_ram(h->a.vh, h->b.vh));
	assert_int_equal(h->b.vh->irq.level, h->a.vh->irq.level);
	state_writer_free(&w);
}

static void test_blk_restored_completes_a_notified_request(void **state)
{
	restored_device_completes_the_waiting_read(*state, true);
}

static void test_blk_restored_completes_a_request_never_notified(void **state)
{
	restored_device_completes_the_waiting_read(*state, false);
}

/* The restored disk keeps the features the driver negotiated and goes on
 * serving new requests. */
static void test_blk_restored_keeps_features_and_serves_more(void **state)
{
	struct harness *h = *state;
	struct state_writer w;

	drive_a(h, true);
	make_b(h, SECTORS, false);
	vs_assert_round_trip(&virtio_blk_state_ops, &h->a.blk, &h->b.blk, &w);
	assert_int_equal(virtio_mmio_features(&h->b.blk.mmio), virtio_mmio_features(&h->a.blk.mmio));
	assert_true(virtio_mmio_features(&h->b.blk.mmio) & (1u << 13));
	virtio_worker_run(h->b.vh->worker);
	memset(guest_memory_ptr(&h->b.vh->mem, DATA(0), 512), 0, 512);
	put_request(h->b.vh, 0, T_IN, 5, 1); /* descriptors 0-2 are free again */
	vh_offer(h->b.vh, 0, 0);
	virtio_worker_run(h->b.vh->worker);
	assert_int_equal(vh_used_idx(h->b.vh, 0), 3);
	assert_int_equal(vh_used_id(h->b.vh, 0, 2), 0);
	/* The copy of the image holds what a wrote before the save. */
	assert_int_equal(*(uint8_t *)guest_memory_ptr(&h->b.vh->mem, DATA(0), 1), 0xc3);
	state_writer_free(&w);
}

/* The state of a 64-sector read-write disk onto another disk: refused, and
 * the device is left at power-on and usable. */
static void assert_refused_onto(struct harness *h, unsigned sectors, bool ro)
{
	struct state_writer w;

	drive_a(h, true);
	make_b(h, sectors, ro);
	vs_save(&virtio_blk_state_ops, &h->a.blk, &w);
	assert_int_equal(vs_load(&virtio_blk_state_ops, &h->b.blk, w.buf, w.len), -1);
	assert_int_equal(vh_reg(h->b.vh, VH_R_STATUS), 0);
	vh_bring_up(h->b.vh, ro ? (1u << 5) : BLK_FEATURES);
	put_request(h->b.vh, 0, T_IN, 1, 1);
	vh_offer(h->b.vh, 0, 0);
	virtio_worker_run(h->b.vh->worker);
	assert_int_equal(vh_used_idx(h->b.vh, 0), 1);
	assert_int_equal(*(uint8_t *)guest_memory_ptr(&h->b.vh->mem, STATUS(0), 1), S_OK);
	state_writer_free(&w);
}

static void test_blk_refuses_the_state_of_a_disk_of_another_size(void **state)
{
	assert_refused_onto(*state, SECTORS / 2, false);
}

static void test_blk_refuses_the_state_of_a_disk_of_another_mode(void **state)
{
	assert_refused_onto(*state, SECTORS, true);
}

static void test_blk_refuses_truncated_state(void **state)
{
	struct harness *h = *state;
	struct state_writer w;

	drive_a(h, true);
	make_b(h, SECTORS, false);
	vs_save(&virtio_blk_state_ops, &h->a.blk, &w);
	for (size_t len = 0; len < w.len; len++)
		assert_int_equal(vs_load(&virtio_blk_state_ops, &h->b.blk, w.buf, len), -1);
	state_writer_free(&w);
}

static void test_blk_reset_op_is_power_on(void **state)
{
	struct harness *h = *state;

	drive_a(h, true);
	virtio_blk_state_ops.reset(&h->a.blk);
	assert_int_equal(vh_reg(h->a.vh, VH_R_STATUS), 0);
	assert_int_equal(virtio_mmio_features(&h->a.blk.mmio), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_blk_restored_completes_a_notified_request),
		T(test_blk_restored_completes_a_request_never_notified),
		T(test_blk_restored_keeps_features_and_serves_more),
		T(test_blk_refuses_the_state_of_a_disk_of_another_size),
		T(test_blk_refuses_the_state_of_a_disk_of_another_mode),
		T(test_blk_refuses_truncated_state),
		T(test_blk_reset_op_is_power_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
