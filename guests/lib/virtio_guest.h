/* A minimal virtio-mmio driver for the test guests that drive Ringvisor's own
 * virtio devices (hostile_virtq, hostile_virtio_blk): the registers of virtio
 * 1.x §4.2.2, the status bits of §2.1, one split queue (§2.7) of VG_QSIZE
 * entries in the guest's static data, and polling with a bound, since the
 * back end runs on Ringvisor's I/O thread. Header-only: each guest includes it
 * once. The guest's identity mapping covers the virtio windows. */
#ifndef GUEST_VIRTIO_GUEST_H
#define GUEST_VIRTIO_GUEST_H

#include <stdint.h>

#define VG_R_MAGIC 0x000
#define VG_R_VERSION 0x004
#define VG_R_DEVICE_ID 0x008
#define VG_R_DEVICE_FEATURES 0x010
#define VG_R_DEVICE_FEATURES_SEL 0x014
#define VG_R_DRIVER_FEATURES 0x020
#define VG_R_DRIVER_FEATURES_SEL 0x024
#define VG_R_QUEUE_SEL 0x030
#define VG_R_QUEUE_NUM_MAX 0x034
#define VG_R_QUEUE_NUM 0x038
#define VG_R_QUEUE_READY 0x044
#define VG_R_QUEUE_NOTIFY 0x050
#define VG_R_INTERRUPT_STATUS 0x060
#define VG_R_INTERRUPT_ACK 0x064
#define VG_R_STATUS 0x070
#define VG_R_QUEUE_DESC 0x080
#define VG_R_QUEUE_DRIVER 0x090
#define VG_R_QUEUE_DEVICE 0x0a0
#define VG_R_CONFIG 0x100

#define VG_S_ACKNOWLEDGE 1u
#define VG_S_DRIVER 2u
#define VG_S_DRIVER_OK 4u
#define VG_S_FEATURES_OK 8u
#define VG_S_NEEDS_RESET 0x40u
#define VG_INT_USED 1u
#define VG_INT_CONFIG 2u
#define VG_F_VERSION_1_HI 1u /* bit 32 */

#define VG_QSIZE 8
#define VG_F_NEXT 1u
#define VG_F_WRITE 2u
/* Far beyond any time the I/O thread takes, at any engine's speed. */
#define VG_POLL_LIMIT 50000000u

struct vg_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static struct vg_desc vg_table[VG_QSIZE] __attribute__((aligned(16)));
static volatile uint16_t vg_avail[2 + VG_QSIZE + 1] __attribute__((aligned(2)));
static volatile uint32_t vg_used[1 + 2 * VG_QSIZE + 1] __attribute__((aligned(4)));
static uint16_t vg_avail_idx;
static uintptr_t vg_base;

static inline uint32_t vg_rd(unsigned off)
{
	return *(volatile uint32_t *)(vg_base + off);
}

static inline void vg_wr(unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(vg_base + off) = v;
}

static inline void vg_barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

static inline uint16_t vg_used_idx(void)
{
	return (uint16_t)(vg_used[0] >> 16);
}

/* The id and length of used ring entry i (modulo the queue size). */
static inline uint32_t vg_used_id(unsigned i)
{
	return vg_used[1 + 2 * (i % VG_QSIZE)];
}

static inline uint32_t vg_used_len(unsigned i)
{
	return vg_used[2 + 2 * (i % VG_QSIZE)];
}

/* §3.1.1 with fresh rings: reset, ACKNOWLEDGE, DRIVER, the feature bits
 * (VERSION_1 and features_lo), FEATURES_OK, queue 0, DRIVER_OK. */
static inline void vg_bring_up(uint32_t features_lo)
{
	vg_wr(VG_R_STATUS, 0);
	for (unsigned i = 0; i < sizeof(vg_avail) / sizeof(vg_avail[0]); i++)
		vg_avail[i] = 0;
	for (unsigned i = 0; i < sizeof(vg_used) / sizeof(vg_used[0]); i++)
		vg_used[i] = 0;
	vg_avail_idx = 0;
	vg_wr(VG_R_STATUS, VG_S_ACKNOWLEDGE);
	vg_wr(VG_R_STATUS, VG_S_ACKNOWLEDGE | VG_S_DRIVER);
	vg_wr(VG_R_DRIVER_FEATURES_SEL, 0);
	vg_wr(VG_R_DRIVER_FEATURES, features_lo);
	vg_wr(VG_R_DRIVER_FEATURES_SEL, 1);
	vg_wr(VG_R_DRIVER_FEATURES, VG_F_VERSION_1_HI);
	vg_wr(VG_R_STATUS, VG_S_ACKNOWLEDGE | VG_S_DRIVER | VG_S_FEATURES_OK);
	vg_wr(VG_R_QUEUE_SEL, 0);
	vg_wr(VG_R_QUEUE_NUM, VG_QSIZE);
	vg_wr(VG_R_QUEUE_DESC, (uint32_t)(uintptr_t)vg_table);
	vg_wr(VG_R_QUEUE_DESC + 4, 0);
	vg_wr(VG_R_QUEUE_DRIVER, (uint32_t)(uintptr_t)vg_avail);
	vg_wr(VG_R_QUEUE_DRIVER + 4, 0);
	vg_wr(VG_R_QUEUE_DEVICE, (uint32_t)(uintptr_t)vg_used);
	vg_wr(VG_R_QUEUE_DEVICE + 4, 0);
	vg_wr(VG_R_QUEUE_READY, 1);
	vg_wr(VG_R_STATUS, VG_S_ACKNOWLEDGE | VG_S_DRIVER | VG_S_FEATURES_OK | VG_S_DRIVER_OK);
}

/* Offers the chain at head, moving the available index by `step` (1 for a
 * well-behaved driver), and notifies. */
static inline void vg_offer(uint16_t head, uint16_t step)
{
	vg_avail[2 + vg_avail_idx % VG_QSIZE] = head;
	vg_barrier();
	vg_avail_idx = (uint16_t)(vg_avail_idx + step);
	vg_avail[1] = vg_avail_idx;
	vg_barrier();
	vg_wr(VG_R_QUEUE_NOTIFY, 0);
}

static inline void vg_set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	vg_table[i] = (struct vg_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

/* Polls until cond() holds; 0 if it never did. */
static inline int vg_wait_for(int (*cond)(void))
{
	for (uint32_t i = 0; i < VG_POLL_LIMIT; i++) {
		if (cond())
			return 1;
		__asm__ volatile("pause");
	}
	return 0;
}

static inline int vg_needs_reset(void)
{
	return (vg_rd(VG_R_STATUS) & VG_S_NEEDS_RESET) != 0;
}

#endif
