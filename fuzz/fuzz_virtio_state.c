/* The saved state of the virtio devices (the transport's and the back ends'
 * state files in src/devices/virtio/) as a hostile file gives it: a payload
 * for a virtio-net, virtio-console or virtio-rng section, loaded into a
 * fresh device over guest RAM that the input also gives, as
 * device_registry_load would.
 *
 *   byte 0     the device: % 3 (0 net, 1 console, 2 rng)
 *   bytes 1-2  the payload's length (le16), cut to what the input holds
 *   payload    the section's bytes (docs/snapshot-format.md)
 *   the rest   guest RAM from address 0 (64 KiB, guard pages around it)
 *
 * Checks (FINDING): a refused payload leaves the device at power-on (Status
 * and InterruptStatus 0, no waiting frame or input); an accepted one saves
 * bytes that a second fresh device accepts and saves again unchanged. Then
 * the accepted device runs as the restored VM's I/O thread would run it
 * (its work, a frame or input from the host, the work again) over the
 * input's RAM: no crash, the backlog within its bound.
 * FUZZ_VIRTIO_STATE_TRACE=1 prints what became of each input. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtio_console.h"
#include "devices/virtio/virtio_net.h"
#include "devices/virtio/virtio_rng.h"
#include "log.h"
#include "support/guarded_ram.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_SIZE 0x10000ull
#define HEADER 3
#define R_STATUS 0x070
#define R_INTERRUPT_STATUS 0x060

static struct guarded_ram ram;
static uint8_t frame[60];
static bool trace;

/* One device of the input's kind, whichever it is. */
struct device {
	struct virtio_net net;
	struct virtio_console con;
	struct virtio_rng rng;
	unsigned kind;
};

static struct device a, b;

static void finding(const char *what)
{
	fprintf(stderr, "FINDING: %s\n", what);
	abort();
}

static void no_irq(void *controller, unsigned pin, int level)
{
	(void)controller;
	(void)pin;
	(void)level;
}

static void sink(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque;
	if (len)
		frame[0] ^= buf[len - 1]; /* ASan sees a buffer that is not all there */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const struct guarded_region regions[] = { { 0, RAM_SIZE } };

	(void)argc;
	(void)argv;
	guarded_ram_init(&ram, regions, 1);
	log_set_level(LOG_ERROR);
	trace = getenv("FUZZ_VIRTIO_STATE_TRACE") != NULL;
	memset(frame, 0xff, 6);
	return 0;
}

static void create(struct device *d, unsigned kind)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct irq_line irq = { .set = no_irq };
	char why[128];
	int r;

	d->kind = kind;
	if (kind == 0)
		r = virtio_net_init(&d->net, &ram.mem, irq, mac, (struct netdev){ .send = sink }, why, sizeof(why));
	else if (kind == 1)
		r = virtio_console_init(&d->con, &ram.mem, irq, (struct chardev){ .write = sink }, why, sizeof(why));
	else
		r = virtio_rng_init(&d->rng, &ram.mem, irq, why, sizeof(why));
	if (r)
		finding(why);
}

static void destroy(struct device *d)
{
	if (d->kind == 0)
		virtio_net_destroy(&d->net);
	else if (d->kind == 1)
		virtio_console_destroy(&d->con);
	else
		virtio_rng_destroy(&d->rng);
}

static const struct device_state_ops *ops_of(const struct device *d)
{
	static const struct device_state_ops *const ops[] = { &virtio_net_state_ops, &virtio_console_state_ops,
							      &virtio_rng_state_ops };

	return ops[d->kind];
}

static void *dev_of(struct device *d)
{
	if (d->kind == 0)
		return &d->net;
	return d->kind == 1 ? (void *)&d->con : (void *)&d->rng;
}

static struct virtio_mmio *mmio_of(struct device *d)
{
	if (d->kind == 0)
		return &d->net.mmio;
	return d->kind == 1 ? &d->con.mmio : &d->rng.mmio;
}

/* 1 accepted and read whole, 0 refused, -1 accepted but not read whole
 * (the registry refuses that too, without a reset). */
static int load(struct device *d, const uint8_t *p, size_t len)
{
	struct state_reader r;

	state_reader_init(&r, p, len);
	if (ops_of(d)->load(dev_of(d), &r, ops_of(d)->version, 0)) {
		if (!r.error)
			finding("a refused load without the reader's error");
		return 0;
	}
	return state_reader_ok(&r, true) ? 1 : -1;
}

static void check_power_on(struct device *d)
{
	struct virtio_mmio *m = mmio_of(d);

	if (virtio_mmio_ops.read(m, R_STATUS, 4) || virtio_mmio_ops.read(m, R_INTERRUPT_STATUS, 4))
		finding("a refused load left registers set");
	if ((d->kind == 0 && d->net.backlog_len) || (d->kind == 1 && d->con.input_len))
		finding("a refused load left frames or input waiting");
}

static void save_again_unchanged(struct state_writer *w)
{
	struct state_writer again;

	create(&b, a.kind);
	if (load(&b, w->buf, w->len) != 1)
		finding("a saved state the next load refuses");
	state_writer_init(&again);
	ops_of(&b)->save(dev_of(&b), &again, 0);
	if (again.failed || again.len != w->len || memcmp(again.buf, w->buf, w->len))
		finding("a state saved after a load differs from the one loaded");
	state_writer_free(&again);
	destroy(&b);
}

/* What the restored VM's I/O thread does with the device. */
static void run(struct device *d)
{
	struct virtio_mmio *m = mmio_of(d);

	virtio_worker_run(&m->worker);
	if (d->kind == 0)
		virtio_net_receive(&d->net, frame, sizeof(frame));
	else if (d->kind == 1)
		virtio_console_receive(&d->con, frame, sizeof(frame));
	virtio_mmio_kick(m);
	virtio_worker_run(&m->worker);
	if (d->kind == 0 && d->net.backlog_len > VIRTIO_NET_RX_BACKLOG)
		finding("the receive backlog grew past its bound");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len, image;
	struct state_writer w;
	int r;

	if (size < HEADER)
		return 0;
	len = (size_t)data[1] | (size_t)data[2] << 8;
	if (len > size - HEADER)
		len = size - HEADER;
	image = size - HEADER - len;
	memset(ram.mem.region[0].hva, 0, RAM_SIZE);
	memcpy(ram.mem.region[0].hva, data + HEADER + len, image < RAM_SIZE ? image : RAM_SIZE);
	create(&a, data[0] % 3);
	r = load(&a, data + HEADER, len);
	if (r == 0)
		check_power_on(&a);
	if (r == 1) {
		state_writer_init(&w);
		ops_of(&a)->save(dev_of(&a), &w, 0);
		if (w.failed)
			finding("saving a loaded device failed");
		save_again_unchanged(&w);
		state_writer_free(&w);
		run(&a);
	}
	if (trace)
		fprintf(stderr, "device %u, %zu bytes: %s, status %#x\n", a.kind, len,
			r == 1 ? "loaded"
			: r    ? "not read whole"
			       : "refused",
			mmio_of(&a)->status);
	destroy(&a);
	return 0;
}
