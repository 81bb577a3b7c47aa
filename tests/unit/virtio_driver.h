/* A virtio-mmio driver's side, for the tests of the transport and of each back
 * end: register accesses through the MMIO bus and the initialisation sequence
 * of virtio 1.x §3.1.1, with the spec's offsets (§4.2.2, Table 4.1), status
 * bits (§2.1) and feature bits (§6) written out here rather than taken from
 * the code under test. */
#ifndef RV_VIRTIO_DRIVER_H
#define RV_VIRTIO_DRIVER_H

#include <stdint.h>

#include "vm/bus.h"

/* Status bits (§2.1). */
#define ACKNOWLEDGE 1u
#define DRIVER 2u
#define DRIVER_OK 4u
#define FEATURES_OK 8u
#define NEEDS_RESET 0x40u
/* Feature bits (§6): EVENT_IDX 29, INDIRECT_DESC 28 in word 0; VERSION_1 is bit 0 of word 1. */
#define F_INDIRECT (1u << 28)
#define F_EVENT_IDX (1u << 29)
#define F_VERSION_1_HI 1u

static inline uint32_t vdrv_reg(struct io_bus *bus, uint64_t base, uint64_t offset)
{
	return (uint32_t)io_bus_read(bus, base + offset, 4);
}

static inline void vdrv_set_reg(struct io_bus *bus, uint64_t base, uint64_t offset, uint32_t value)
{
	io_bus_write(bus, base + offset, 4, value);
}

/* §3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK. */
static inline void vdrv_negotiate(struct io_bus *bus, uint64_t base, uint32_t lo, uint32_t hi)
{
	vdrv_set_reg(bus, base, 0x070, 0);
	vdrv_set_reg(bus, base, 0x070, ACKNOWLEDGE);
	vdrv_set_reg(bus, base, 0x070, ACKNOWLEDGE | DRIVER);
	vdrv_set_reg(bus, base, 0x024, 0);
	vdrv_set_reg(bus, base, 0x020, lo);
	vdrv_set_reg(bus, base, 0x024, 1);
	vdrv_set_reg(bus, base, 0x020, hi);
	vdrv_set_reg(bus, base, 0x070, ACKNOWLEDGE | DRIVER | FEATURES_OK);
}

/* §4.2.3.2: QueueSel, QueueNum, the three ring addresses, QueueReady. */
static inline void vdrv_setup_queue(struct io_bus *bus, uint64_t base, uint32_t q, uint32_t num, uint64_t desc,
				    uint64_t avail, uint64_t used)
{
	vdrv_set_reg(bus, base, 0x030, q);
	vdrv_set_reg(bus, base, 0x038, num);
	vdrv_set_reg(bus, base, 0x080, (uint32_t)desc);
	vdrv_set_reg(bus, base, 0x084, (uint32_t)(desc >> 32));
	vdrv_set_reg(bus, base, 0x090, (uint32_t)avail);
	vdrv_set_reg(bus, base, 0x094, (uint32_t)(avail >> 32));
	vdrv_set_reg(bus, base, 0x0a0, (uint32_t)used);
	vdrv_set_reg(bus, base, 0x0a4, (uint32_t)(used >> 32));
	vdrv_set_reg(bus, base, 0x044, 1);
}

#endif
