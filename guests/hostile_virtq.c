/* Hostile guest: a driver of the virtio-rng that Ringvisor gives every VM
 * (docs/guest-abi.md, "Machine": virtio-mmio at 0xd0000000), which first
 * uses it as the spec says and then scribbles on its queue. Each scribble
 * must put the device into DEVICE_NEEDS_RESET (virtio 1.x §2.1.2) with the
 * configuration-change interrupt status bit, consume nothing, and leave the
 * VMM running; a reset must bring the device back. Values from the virtio
 * 1.x spec: §4.2.2 registers, §2.1 status bits, §2.7 split rings, §5.4 the
 * entropy device (ID 4).
 *
 * The back end runs on Ringvisor's I/O thread, so the guest polls the used
 * index and the status for a bounded number of iterations. Not for QEMU (no
 * device at this address there): an ELF64 guest, not Multiboot. */
#include <stdint.h>

#include "test.h"

#define VIRTIO_BASE 0xd0000000ul
#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DRIVER_FEATURES 0x020
#define R_DRIVER_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_INTERRUPT_STATUS 0x060
#define R_INTERRUPT_ACK 0x064
#define R_STATUS 0x070
#define R_QUEUE_DESC 0x080
#define R_QUEUE_DRIVER 0x090
#define R_QUEUE_DEVICE 0x0a0

#define S_ACKNOWLEDGE 1u
#define S_DRIVER 2u
#define S_DRIVER_OK 4u
#define S_FEATURES_OK 8u
#define S_NEEDS_RESET 0x40u
#define INT_USED 1u
#define INT_CONFIG 2u
#define F_VERSION_1_HI 1u /* bit 32 */

#define QSIZE 8
#define F_NEXT 1u
#define F_WRITE 2u
/* Far beyond any time the I/O thread takes, at any engine's speed. */
#define POLL_LIMIT 50000000u
#define RAM_END 0x10000000ul /* the default --mem */

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static struct desc table[QSIZE] __attribute__((aligned(16)));
static volatile uint16_t avail[2 + QSIZE + 1] __attribute__((aligned(2)));
static volatile uint32_t used[1 + 2 * QSIZE + 1] __attribute__((aligned(4)));
static uint8_t buf[256] __attribute__((aligned(64)));
static uint16_t avail_idx;

static uint32_t rd(unsigned off)
{
	return *(volatile uint32_t *)(VIRTIO_BASE + off);
}

static void wr(unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(VIRTIO_BASE + off) = v;
}

static void barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

static uint16_t used_idx(void)
{
	return (uint16_t)(used[0] >> 16);
}

/* §3.1.1 with fresh rings: reset, ACKNOWLEDGE, DRIVER, VERSION_1,
 * FEATURES_OK, queue 0, DRIVER_OK. */
static void bring_up(void)
{
	wr(R_STATUS, 0);
	for (unsigned i = 0; i < sizeof(avail) / sizeof(avail[0]); i++)
		avail[i] = 0;
	for (unsigned i = 0; i < sizeof(used) / sizeof(used[0]); i++)
		used[i] = 0;
	avail_idx = 0;
	wr(R_STATUS, S_ACKNOWLEDGE);
	wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER);
	wr(R_DRIVER_FEATURES_SEL, 1);
	wr(R_DRIVER_FEATURES, F_VERSION_1_HI);
	wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
	wr(R_QUEUE_SEL, 0);
	wr(R_QUEUE_NUM, QSIZE);
	wr(R_QUEUE_DESC, (uint32_t)(uintptr_t)table);
	wr(R_QUEUE_DESC + 4, 0);
	wr(R_QUEUE_DRIVER, (uint32_t)(uintptr_t)avail);
	wr(R_QUEUE_DRIVER + 4, 0);
	wr(R_QUEUE_DEVICE, (uint32_t)(uintptr_t)used);
	wr(R_QUEUE_DEVICE + 4, 0);
	wr(R_QUEUE_READY, 1);
	wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

/* Offers the chain at head, moving the available index by `step` (1 for a
 * well-behaved driver), and notifies. */
static void offer(uint16_t head, uint16_t step)
{
	avail[2 + avail_idx % QSIZE] = head;
	barrier();
	avail_idx = (uint16_t)(avail_idx + step);
	avail[1] = avail_idx;
	barrier();
	wr(R_QUEUE_NOTIFY, 0);
}

static void set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	table[i] = (struct desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

/* Polls until cond() holds; false if it never did. */
static int wait_for(int (*cond)(void))
{
	for (uint32_t i = 0; i < POLL_LIMIT; i++) {
		if (cond())
			return 1;
		__asm__ volatile("pause");
	}
	return 0;
}

static uint16_t want_used;

static int used_reached(void)
{
	return used_idx() == want_used;
}

static int needs_reset(void)
{
	return (rd(R_STATUS) & S_NEEDS_RESET) != 0;
}

/* A good request: 64 bytes, filled, the used-buffer interrupt status. */
static void good_request(const char *name)
{
	unsigned same = 0;

	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = 0;
	set_desc(0, (uintptr_t)buf, 64, F_WRITE, 0);
	want_used = (uint16_t)(used_idx() + 1);
	offer(0, 1);
	if (!wait_for(used_reached)) {
		fail(name, "used index stayed %u", used_idx());
		return;
	}
	for (unsigned i = 1; i < 64; i++)
		same += buf[i] == buf[0];
	if (used[2] != 64 || used[1] != 0 || same == 63)
		fail(name, "used id %u len %u, %u bytes equal to the first", used[1], used[2], same);
	else if (!(rd(R_INTERRUPT_STATUS) & INT_USED))
		fail(name, "no used-buffer interrupt status");
	else if (buf[64] != 0)
		fail(name, "a byte past the buffer was written");
	else
		pass(name);
	wr(R_INTERRUPT_ACK, INT_USED);
}

/* A scribble: the device needs reset, with the configuration interrupt,
 * and used nothing; then a reset and a good request. */
static void scribble(const char *what)
{
	uint16_t before = used_idx();

	if (!wait_for(needs_reset)) {
		fail(what, "status 0x%x, no DEVICE_NEEDS_RESET", rd(R_STATUS));
	} else if (!(rd(R_INTERRUPT_STATUS) & INT_CONFIG)) {
		fail(what, "no configuration-change interrupt status");
	} else if (used_idx() != before) {
		fail(what, "the device used a chain");
	} else {
		pass(what);
	}
	bring_up();
	good_request("after a reset the device serves again");
}

int main(void)
{
	printf("hostile: the virtio-rng queue\n");
	expect_eq("magic is \"virt\"", rd(R_MAGIC), 0x74726976);
	expect_eq("version 2 (modern)", rd(R_VERSION), 2);
	expect_eq("device ID 4 (entropy)", rd(R_DEVICE_ID), 4);
	wr(R_QUEUE_SEL, 0);
	expect_eq("queue 0 can hold 8 entries", rd(R_QUEUE_NUM_MAX) >= QSIZE, 1);

	bring_up();
	good_request("64 random bytes in a writable buffer");

	set_desc(0, (uintptr_t)buf, 32, F_WRITE | F_NEXT, 0);
	offer(0, 1);
	scribble("a descriptor chained to itself needs reset");

	set_desc(0, RAM_END - 16, 64, F_WRITE, 0);
	offer(0, 1);
	scribble("a buffer running past RAM needs reset");

	set_desc(0, 0xc0000000ul, 64, F_WRITE, 0);
	offer(0, 1);
	scribble("a buffer in MMIO space needs reset");

	set_desc(0, (uintptr_t)buf, 32, 0, 0);
	offer(0, 1);
	scribble("a device-readable buffer needs reset");

	set_desc(0, (uintptr_t)buf, 0, F_WRITE, 0);
	offer(0, 1);
	scribble("a chain with no writable byte needs reset");

	set_desc(0, (uintptr_t)buf, 64, F_WRITE, 0);
	offer(9, 1);
	scribble("a head beyond the queue needs reset");

	set_desc(0, (uintptr_t)buf, 64, F_WRITE, 0);
	offer(0, QSIZE + 1);
	scribble("an available index moved by more than the queue size needs reset");
	test_done();
}
