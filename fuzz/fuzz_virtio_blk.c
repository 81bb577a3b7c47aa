/* The block device (src/devices/virtio/virtio_blk.c, blk_request.c,
 * blk_disk.c) against a driver that writes anything, through the virtio-mmio
 * transport on an MMIO bus, as a guest meets it: the input is guest RAM (the
 * descriptor table, the rings, request headers, data, discard segments,
 * indirect tables), the queue's size and features, which disk (read-write or
 * read-only), and how far the driver moves avail->idx in two rounds. After each
 * round the device's work runs as the I/O thread runs it.
 *
 *   header (8 bytes)
 *     0      queue size: 1 << (b % 9), 1..256 (the device's QueueNumMax)
 *     1      bit 0 EVENT_IDX, bit 1 INDIRECT_DESC, bit 2 the read-only disk,
 *            bit 3 read the whole configuration space at every width first
 *     2      avail->idx for the first round
 *     3      how much it moves for the second
 *     4-7    unused
 *   the rest: guest RAM from address 0 on. Fixed layout: the descriptor table
 *   at 0x0000, the driver area (avail) at 0x1000, the device area (used) at
 *   0x2000, anything else from 0x3000.
 *
 * The images are memfds, 64 sectors read-write and 16 read-only, opened once
 * through /proc/self/fd (the device holds a lock on each) and refilled with
 * their pattern before every input. RAM is two regions with guard pages
 * (fuzz/support/guarded_ram.h): 64 KiB at 0 and 4 KiB at 4 GiB. Checks
 * (FINDING): neither image changes size (nothing is written beyond the end),
 * the read-only image is never written. FUZZ_VIRTIO_BLK_TRACE=1 prints what
 * each input made the device do. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/virtio/virtio_blk.h"
#include "support/virtio_ram.h"
#include "vm/bus.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER 8
#define BASE 0xd0000000ull
#define DESC 0x0000
#define AVAIL 0x1000
#define USED 0x2000
#define RW_SECTORS 64
#define RO_SECTORS 16
#define FLAG_EVENT_IDX 0x01
#define FLAG_INDIRECT 0x02
#define FLAG_RO 0x04
#define FLAG_CONFIG 0x08

struct disk {
	int memfd;
	unsigned sectors;
	struct virtio_blk blk;
	struct io_bus bus;
};

static struct guarded_ram ram;
static struct disk disks[2]; /* read-write, read-only */
static bool trace;

static void finding(const char *what)
{
	fprintf(stderr, "FINDING: %s\n", what);
	abort();
}

static uint8_t pattern(unsigned i)
{
	return (uint8_t)(i * 13 + (i >> 9));
}

static void fill_image(struct disk *d)
{
	static uint8_t image[RW_SECTORS * 512];
	size_t len = (size_t)d->sectors * 512;

	for (size_t i = 0; i < len; i++)
		image[i] = pattern((unsigned)i);
	if (ftruncate(d->memfd, (off_t)len) || pwrite(d->memfd, image, len, 0) != (ssize_t)len)
		abort();
}

static void ignore_irq(void *controller, unsigned pin, int level)
{
	(void)controller;
	(void)pin;
	(void)level;
}

static void open_disk(struct disk *d, unsigned sectors, bool ro)
{
	char path[64], why[256];

	d->sectors = sectors;
	d->memfd = memfd_create(ro ? "fuzz-ro" : "fuzz-rw", 0);
	if (d->memfd < 0)
		abort();
	fill_image(d);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", d->memfd);
	io_bus_init(&d->bus, "mmio");
	if (virtio_blk_init(&d->blk, &ram.mem, (struct irq_line){ .set = ignore_irq }, ro ? "vdb" : "vda", path, ro,
			    true, why, sizeof(why)) ||
	    io_bus_register(&d->bus, BASE, VIRTIO_MMIO_WINDOW, "virtio-blk", &virtio_mmio_ops, &d->blk.mmio)) {
		fprintf(stderr, "fuzz_virtio_blk: %s\n", why);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	virtio_fuzz_ram_init(&ram);
	open_disk(&disks[0], RW_SECTORS, false);
	open_disk(&disks[1], RO_SECTORS, true);
	trace = getenv("FUZZ_VIRTIO_BLK_TRACE") != NULL;
	return 0;
}

static void set_reg(struct disk *d, uint64_t offset, uint32_t value)
{
	io_bus_write(&d->bus, BASE + offset, 4, value);
}

/* §3.1.1: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, the queue,
 * DRIVER_OK (which looks at the ready queue once). */
static void bring_up(struct disk *d, const uint8_t *h)
{
	uint32_t lo = (h[1] & FLAG_EVENT_IDX ? 1u << 29 : 0) | (h[1] & FLAG_INDIRECT ? 1u << 28 : 0);
	uint32_t offered;

	set_reg(d, R_STATUS, 0);
	set_reg(d, R_STATUS, 1);
	set_reg(d, R_STATUS, 3);
	set_reg(d, R_DEVICE_FEATURES_SEL, 0);
	offered = (uint32_t)io_bus_read(&d->bus, BASE + R_DEVICE_FEATURES, 4);
	set_reg(d, R_DRIVER_FEATURES_SEL, 0);
	/* Everything offered, as Linux accepts every block feature it knows. */
	set_reg(d, R_DRIVER_FEATURES, (offered & 0xffffff) | lo);
	set_reg(d, R_DRIVER_FEATURES_SEL, 1);
	set_reg(d, R_DRIVER_FEATURES, 1);
	set_reg(d, R_STATUS, 11);
	set_reg(d, R_QUEUE_SEL, 0);
	set_reg(d, R_QUEUE_NUM, 1u << (h[0] % 9));
	set_reg(d, R_QUEUE_DESC, DESC);
	set_reg(d, R_QUEUE_DRIVER, AVAIL);
	set_reg(d, R_QUEUE_DEVICE, USED);
	set_reg(d, R_QUEUE_READY, 1);
	set_reg(d, R_STATUS, 15);
	virtio_worker_run(&d->blk.mmio.worker);
}

static void read_config(struct disk *d)
{
	for (unsigned size = 1; size <= 4; size *= 2)
		for (unsigned off = 0; off < 0x50; off += size)
			io_bus_read(&d->bus, BASE + R_CONFIG + off, size);
}

static void driver_offers(struct disk *d, uint16_t idx)
{
	uint8_t *p = guarded_ram_ptr(&ram, AVAIL + 2, 2);

	p[0] = (uint8_t)idx;
	p[1] = (uint8_t)(idx >> 8);
	set_reg(d, R_QUEUE_NOTIFY, 0);
	/* The work yields after a bounded number of requests and kicks itself:
	 * run it as long as it asks, as the I/O thread would. */
	for (unsigned i = 0; i < 64; i++)
		virtio_worker_run(&d->blk.mmio.worker);
}

static void check_images(void)
{
	static uint8_t image[RO_SECTORS * 512];
	struct stat st;

	for (unsigned i = 0; i < 2; i++)
		if (fstat(disks[i].memfd, &st) || st.st_size != (off_t)disks[i].sectors * 512)
			finding("an image changed size: a write beyond the end");
	if (pread(disks[1].memfd, image, sizeof(image), 0) != (ssize_t)sizeof(image))
		abort();
	for (unsigned i = 0; i < sizeof(image); i++)
		if (image[i] != pattern(i))
			finding("the read-only image was written");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct disk *d;

	if (size < HEADER)
		return 0;
	d = &disks[data[1] & FLAG_RO ? 1 : 0];
	virtio_fuzz_ram_load(&ram, data + HEADER, size - HEADER);
	fill_image(&disks[0]);

	if (data[1] & FLAG_CONFIG)
		read_config(d);
	bring_up(d, data);
	driver_offers(d, data[2]);
	driver_offers(d, (uint16_t)(data[2] + data[3]));
	check_images();
	if (trace)
		fprintf(stderr, "%s: status 0x%x, used->idx %u, requests %llu, read %llu, written %llu\n", d->blk.name,
			d->blk.mmio.status, *(uint16_t *)guarded_ram_ptr(&ram, USED + 2, 2),
			(unsigned long long)d->blk.requests, (unsigned long long)d->blk.bytes_read,
			(unsigned long long)d->blk.bytes_written);
	return 0;
}
