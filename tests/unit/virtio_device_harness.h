/* A driver's side of a virtio-mmio device with several queues, for the tests
 * of back ends (net, console): guest RAM, an MMIO bus with the device's
 * window on it, an interrupt line that records its level, and per queue the
 * rings at fixed guest addresses, set up as Linux's driver does (VERSION_1
 * and the ring features, every queue, DRIVER_OK). The test runs the back
 * end's work itself (virtio_worker_run) where the I/O thread would. */
#ifndef RV_VIRTIO_DEVICE_HARNESS_H
#define RV_VIRTIO_DEVICE_HARNESS_H

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtio_mmio.h"
#include "virtio_driver.h"
#include "virtq_rings.h"
#include "vm/bus.h"
#include "vm/memory.h"

#define VH_BASE 0xd0000000ull
#define VH_RAM_SIZE (2ull << 20)
#define VH_QSIZE 8
#define VH_QUEUES 2
#define VH_BUF 0x10000
#define VH_GUARD 0x5a
#define VH_F_NEXT 1u
#define VH_F_WRITE 2u
/* §4.2.2 registers beyond the driver's sequence. */
#define VH_R_DEVICE_ID 0x008
#define VH_R_DEVICE_FEATURES 0x010
#define VH_R_DEVICE_FEATURES_SEL 0x014
#define VH_R_QUEUE_SEL 0x030
#define VH_R_QUEUE_NUM_MAX 0x034
#define VH_R_QUEUE_NOTIFY 0x050
#define VH_R_INTERRUPT_STATUS 0x060
#define VH_R_INTERRUPT_ACK 0x064
#define VH_R_STATUS 0x070
#define VH_R_CONFIG 0x100

struct vh_irq {
	int level;
};

struct vh {
	struct guest_memory mem;
	struct io_bus bus;
	struct vh_irq irq;
	struct virtio_worker *worker; /* the back end's */
	uint16_t avail_idx[VH_QUEUES];
};

static inline uint64_t vh_desc(unsigned q)
{
	return 0x1000 + 0x4000ull * q;
}

static inline uint64_t vh_avail(unsigned q)
{
	return vh_desc(q) + 0x1000;
}

static inline uint64_t vh_used(unsigned q)
{
	return vh_desc(q) + 0x2000;
}

static inline void vh_record_irq(void *controller, unsigned pin, int level)
{
	struct vh_irq *r = controller;

	(void)pin;
	__atomic_store_n(&r->level, level, __ATOMIC_RELEASE);
}

static inline struct irq_line vh_irq_line(struct vh *h)
{
	return (struct irq_line){ .set = vh_record_irq, .controller = &h->irq };
}

/* RAM and the bus; the caller then creates its device with vh_irq_line and
 * calls vh_attach. */
static inline struct vh *vh_new(void)
{
	struct vh *h = calloc(1, sizeof(*h));
	char why[128];

	if (!h || guest_memory_init(&h->mem, VH_RAM_SIZE, why, sizeof(why))) {
		free(h);
		return NULL;
	}
	io_bus_init(&h->bus, "mmio");
	return h;
}

static inline int vh_attach(struct vh *h, struct virtio_mmio *mmio)
{
	h->worker = &mmio->worker;
	return io_bus_register(&h->bus, VH_BASE, VIRTIO_MMIO_WINDOW, "virtio", &virtio_mmio_ops, mmio);
}

static inline void vh_free(struct vh *h)
{
	io_bus_destroy(&h->bus);
	guest_memory_destroy(&h->mem);
	free(h);
}

static inline uint32_t vh_reg(struct vh *h, uint64_t offset)
{
	return vdrv_reg(&h->bus, VH_BASE, offset);
}

static inline void vh_set_reg(struct vh *h, uint64_t offset, uint32_t value)
{
	vdrv_set_reg(&h->bus, VH_BASE, offset, value);
}

/* Linux's sequence with fresh rings; the work DRIVER_OK kicks is run. */
static inline void vh_bring_up(struct vh *h, uint32_t features_lo)
{
	for (unsigned q = 0; q < VH_QUEUES; q++) {
		memset(guest_memory_ptr(&h->mem, vh_avail(q), 0x1000), 0, 0x1000);
		memset(guest_memory_ptr(&h->mem, vh_used(q), 0x1000), 0, 0x1000);
		h->avail_idx[q] = 0;
	}
	vdrv_negotiate(&h->bus, VH_BASE, features_lo | F_INDIRECT | F_EVENT_IDX, F_VERSION_1_HI);
	for (unsigned q = 0; q < VH_QUEUES; q++)
		vdrv_setup_queue(&h->bus, VH_BASE, q, VH_QSIZE, vh_desc(q), vh_avail(q), vh_used(q));
	vh_set_reg(h, VH_R_STATUS, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
	virtio_worker_run(h->worker);
}

static inline void vh_put_desc(struct vh *h, unsigned q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
			       uint16_t next)
{
	ring_put_desc(&h->mem, vh_desc(q), i, addr, len, flags, next);
}

/* Makes the chain at head available on queue q and notifies. */
static inline void vh_offer(struct vh *h, unsigned q, uint16_t head)
{
	ring_put16(&h->mem, vh_avail(q) + 4 + 2 * (h->avail_idx[q] % VH_QSIZE), head);
	h->avail_idx[q]++;
	ring_put16(&h->mem, vh_avail(q) + 2, h->avail_idx[q]);
	vh_set_reg(h, VH_R_QUEUE_NOTIFY, q);
}

static inline uint16_t vh_used_idx(struct vh *h, unsigned q)
{
	return ring_get16(&h->mem, vh_used(q) + 2);
}

static inline uint32_t vh_used_id(struct vh *h, unsigned q, unsigned i)
{
	return ring_get32(&h->mem, vh_used(q) + 4 + 8 * i);
}

static inline uint32_t vh_used_len(struct vh *h, unsigned q, unsigned i)
{
	return ring_get32(&h->mem, vh_used(q) + 8 + 8 * i);
}

static inline bool vh_kicked(struct vh *h)
{
	struct pollfd p = { .fd = h->worker->kick.fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static inline void vh_fill(struct vh *h, uint64_t gpa, const void *src, size_t len)
{
	memcpy(guest_memory_ptr(&h->mem, gpa, len), src, len);
}

static inline bool vh_needs_reset(struct vh *h)
{
	return (vh_reg(h, VH_R_STATUS) & NEEDS_RESET) != 0;
}

#endif
