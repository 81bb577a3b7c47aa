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
#include "virtio_guest.h"

#define VIRTIO_BASE 0xd0000000ul
#define RAM_END 0x10000000ul /* the default --mem */

static uint8_t buf[256] __attribute__((aligned(64)));

static uint16_t want_used;

static int used_reached(void)
{
	return vg_used_idx() == want_used;
}

/* The used-buffer interrupt status. A device may make a used element visible
 * before it raises the interrupt (this one pushes a batch, then interrupts
 * once), so a driver that saw the used index waits for it. */
static int int_used(void)
{
	return (vg_rd(VG_R_INTERRUPT_STATUS) & VG_INT_USED) != 0;
}

/* A good request: 64 bytes, filled, the used-buffer interrupt status. */
static void good_request(const char *name)
{
	unsigned same = 0;

	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = 0;
	vg_set_desc(0, (uintptr_t)buf, 64, VG_F_WRITE, 0);
	want_used = (uint16_t)(vg_used_idx() + 1);
	vg_offer(0, 1);
	if (!vg_wait_for(used_reached)) {
		fail(name, "used index stayed %u", vg_used_idx());
		return;
	}
	for (unsigned i = 1; i < 64; i++)
		same += buf[i] == buf[0];
	if (vg_used_len(0) != 64 || vg_used_id(0) != 0 || same == 63)
		fail(name, "used id %u len %u, %u bytes equal to the first", vg_used_id(0), vg_used_len(0), same);
	else if (!vg_wait_for(int_used))
		fail(name, "no used-buffer interrupt status");
	else if (buf[64] != 0)
		fail(name, "a byte past the buffer was written");
	else
		pass(name);
	vg_wr(VG_R_INTERRUPT_ACK, VG_INT_USED);
}

/* A scribble: the device needs reset, with the configuration interrupt,
 * and used nothing; then a reset and a good request. */
static void scribble(const char *what)
{
	uint16_t before = vg_used_idx();

	if (!vg_wait_for(vg_needs_reset)) {
		fail(what, "status 0x%x, no DEVICE_NEEDS_RESET", vg_rd(VG_R_STATUS));
	} else if (!(vg_rd(VG_R_INTERRUPT_STATUS) & VG_INT_CONFIG)) {
		fail(what, "no configuration-change interrupt status");
	} else if (vg_used_idx() != before) {
		fail(what, "the device used a chain");
	} else {
		pass(what);
	}
	vg_bring_up(0);
	good_request("after a reset the device serves again");
}

int main(void)
{
	vg_base = VIRTIO_BASE;
	printf("hostile: the virtio-rng queue\n");
	expect_eq("magic is \"virt\"", vg_rd(VG_R_MAGIC), 0x74726976);
	expect_eq("version 2 (modern)", vg_rd(VG_R_VERSION), 2);
	expect_eq("device ID 4 (entropy)", vg_rd(VG_R_DEVICE_ID), 4);
	vg_wr(VG_R_QUEUE_SEL, 0);
	expect_eq("queue 0 can hold 8 entries", vg_rd(VG_R_QUEUE_NUM_MAX) >= VG_QSIZE, 1);

	vg_bring_up(0);
	good_request("64 random bytes in a writable buffer");

	vg_set_desc(0, (uintptr_t)buf, 32, VG_F_WRITE | VG_F_NEXT, 0);
	vg_offer(0, 1);
	scribble("a descriptor chained to itself needs reset");

	vg_set_desc(0, RAM_END - 16, 64, VG_F_WRITE, 0);
	vg_offer(0, 1);
	scribble("a buffer running past RAM needs reset");

	vg_set_desc(0, 0xc0000000ul, 64, VG_F_WRITE, 0);
	vg_offer(0, 1);
	scribble("a buffer in MMIO space needs reset");

	vg_set_desc(0, (uintptr_t)buf, 32, 0, 0);
	vg_offer(0, 1);
	scribble("a device-readable buffer needs reset");

	vg_set_desc(0, (uintptr_t)buf, 0, VG_F_WRITE, 0);
	vg_offer(0, 1);
	scribble("a chain with no writable byte needs reset");

	vg_set_desc(0, (uintptr_t)buf, 64, VG_F_WRITE, 0);
	vg_offer(9, 1);
	scribble("a head beyond the queue needs reset");

	vg_set_desc(0, (uintptr_t)buf, 64, VG_F_WRITE, 0);
	vg_offer(0, VG_QSIZE + 1);
	scribble("an available index moved by more than the queue size needs reset");
	test_done();
}
