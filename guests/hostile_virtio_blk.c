/* Hostile guest: a driver of a read-only virtio-blk disk (run-guests.sh gives
 * --disk tests/guests/hostile_virtio_blk.img,ro; the virtio-rng takes slot 0,
 * so the disk is slot 1 at 0xd0001000), which reads as the spec says and then
 * sends what a driver must not: a write and a discard to a read-only disk,
 * transfers beyond the end, with a sector whose byte offset overflows, of part
 * of a sector, a short header, an unknown type, data outside RAM and in MMIO
 * space, a request with no status byte. Each must be answered as virtio 1.x
 * §5.2.6 says (status IOERR or UNSUPP, the image untouched) or, where the
 * chain itself is broken, with DEVICE_NEEDS_RESET (§2.1.2), and the VMM must
 * go on; a reset brings the device back. Expected values: the image's bytes
 * (sector s, byte j holds (s * 7 + j) & 0xff, 8 sectors), its file name as the
 * serial (GET_ID, 20 bytes), and the spec's constants (device ID 2, request
 * types IN 0, OUT 1, GET_ID 8, DISCARD 11, status OK 0, IOERR 1, UNSUPP 2,
 * feature RO bit 5). Not for QEMU (no device at this address there). */
#include <stdint.h>

#include "test.h"
#include "virtio_guest.h"

#define BLK_BASE 0xd0001000ul
#define RAM_END 0x10000000ul /* the default --mem */
#define SECTORS 8
#define T_IN 0u
#define T_OUT 1u
#define T_GET_ID 8u
#define T_DISCARD 11u
#define T_WRITE_ZEROES 13u
#define S_OK 0u
#define S_IOERR 1u
#define S_UNSUPP 2u
#define GUARD 0x5a

struct blk_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static struct blk_header hdr __attribute__((aligned(16)));
static uint8_t data[1024] __attribute__((aligned(64)));
static volatile uint8_t status;
static uint16_t want_used;

static int used_reached(void)
{
	return vg_used_idx() == want_used;
}

static uint8_t pattern(uint64_t sector, unsigned j)
{
	return (uint8_t)(sector * 7 + j);
}

/* Header, data (len bytes at addr, device-writable or not), status; returns
 * the status byte, or 0xff if the request was never used. */
static uint8_t request(uint32_t type, uint64_t sector, uint64_t addr, uint32_t len, int writable)
{
	hdr = (struct blk_header){ .type = type, .sector = sector };
	status = GUARD;
	vg_set_desc(0, (uintptr_t)&hdr, sizeof(hdr), VG_F_NEXT, 1);
	vg_set_desc(1, addr, len, VG_F_NEXT | (writable ? VG_F_WRITE : 0), 2);
	vg_set_desc(2, (uintptr_t)&status, 1, VG_F_WRITE, 0);
	want_used = (uint16_t)(vg_used_idx() + 1);
	vg_offer(0, 1);
	if (!vg_wait_for(used_reached))
		return 0xff;
	vg_wr(VG_R_INTERRUPT_ACK, VG_INT_USED);
	return status;
}

static void fill(uint8_t v)
{
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = v;
}

static int data_is_sector(uint64_t sector)
{
	for (unsigned j = 0; j < 512; j++)
		if (data[j] != pattern(sector, j))
			return 0;
	return 1;
}

static void good_read(const char *name)
{
	uint8_t s;

	fill(0);
	s = request(T_IN, 3, (uintptr_t)data, 512, 1);
	if (s != S_OK)
		fail(name, "status 0x%x", s);
	else if (!data_is_sector(3) || data[512] != 0)
		fail(name, "data differs from sector 3 of the image");
	else
		pass(name);
}

static void expect_status(const char *name, uint8_t got, uint8_t want)
{
	if (got != want)
		fail(name, "status 0x%x, expected 0x%x", got, want);
	else if (vg_needs_reset())
		fail(name, "the device needs reset");
	else
		pass(name);
}

/* The chain itself is broken: the device needs reset and uses nothing; then
 * a reset and a good read. */
static void broken(const char *what, uint64_t addr, uint32_t len, uint16_t data_flags)
{
	uint16_t before = vg_used_idx();

	hdr = (struct blk_header){ .type = T_IN, .sector = 0 };
	vg_set_desc(0, (uintptr_t)&hdr, sizeof(hdr), VG_F_NEXT, 1);
	vg_set_desc(1, addr, len, data_flags, 0);
	vg_offer(0, 1);
	if (!vg_wait_for(vg_needs_reset))
		fail(what, "status 0x%x, no DEVICE_NEEDS_RESET", vg_rd(VG_R_STATUS));
	else if (vg_used_idx() != before)
		fail(what, "the device used a chain");
	else
		pass(what);
	vg_bring_up(0);
	good_read("after a reset the device serves again");
}

static void identify(void)
{
	expect_eq("device ID 2 (block)", vg_rd(VG_R_DEVICE_ID), 2);
	expect_eq("capacity: 8 sectors", vg_rd(VG_R_CONFIG), SECTORS);
	vg_wr(VG_R_DEVICE_FEATURES_SEL, 0);
	expect_eq("VIRTIO_BLK_F_RO offered", (vg_rd(VG_R_DEVICE_FEATURES) >> 5) & 1, 1);
}

static void get_id(void)
{
	static const char want[] = "hostile_virtio_blk.i"; /* the file name's first 20 bytes */
	unsigned i;

	fill(GUARD);
	expect_status("GET_ID answers OK", request(T_GET_ID, 0, (uintptr_t)data, 20, 1), S_OK);
	for (i = 0; i < 20 && data[i] == (uint8_t)want[i]; i++)
		;
	if (i != 20 || data[20] != GUARD)
		fail("the serial is the image's file name", "differs at byte %u", i);
	else
		pass("the serial is the image's file name");
}

static void refusals(void)
{
	uint8_t s;

	fill(0xee);
	expect_status("a write to the read-only disk is IOERR", request(T_OUT, 1, (uintptr_t)data, 512, 0), S_IOERR);
	expect_status("a discard on the read-only disk is IOERR", request(T_DISCARD, 0, (uintptr_t)data, 16, 0),
		      S_IOERR);
	fill(0);
	s = request(T_IN, 1, (uintptr_t)data, 512, 1);
	if (s != S_OK || !data_is_sector(1))
		fail("sector 1 is still the image's", "status 0x%x", s);
	else
		pass("sector 1 is still the image's");
	fill(GUARD);
	expect_status("a read beyond the end is IOERR", request(T_IN, SECTORS - 1, (uintptr_t)data, 1024, 1), S_IOERR);
	expect_status("a sector whose byte offset overflows is IOERR",
		      request(T_IN, 0x0080000000000000ull, (uintptr_t)data, 512, 1), S_IOERR);
	expect_status("part of a sector is IOERR", request(T_IN, 0, (uintptr_t)data, 100, 1), S_IOERR);
	expect_eq("nothing was read into the buffer", data[0], GUARD);
	expect_status("an unknown request type is UNSUPP", request(T_WRITE_ZEROES, 0, (uintptr_t)data, 16, 0),
		      S_UNSUPP);
	hdr = (struct blk_header){ .type = T_IN };
	status = GUARD;
	vg_set_desc(0, (uintptr_t)&hdr, 8, VG_F_NEXT, 1);
	vg_set_desc(1, (uintptr_t)&status, 1, VG_F_WRITE, 0);
	want_used = (uint16_t)(vg_used_idx() + 1);
	vg_offer(0, 1);
	expect_status("a header of 8 bytes is IOERR", vg_wait_for(used_reached) ? status : 0xff, S_IOERR);
}

int main(void)
{
	vg_base = BLK_BASE;
	printf("hostile: a read-only virtio-blk disk\n");
	identify();
	vg_bring_up(0);
	good_read("sector 3 reads as the image holds it");
	get_id();
	refusals();
	broken("data running past RAM needs reset", RAM_END - 256, 512, VG_F_WRITE);
	broken("data in MMIO space needs reset", 0xc0000000ul, 512, VG_F_WRITE);
	broken("a request with no status byte needs reset", (uintptr_t)data, 512, 0);
	test_done();
}
