/* Guest-physical addresses outside RAM but inside the 4 GiB identity map
 * are unbacked MMIO (docs/guest-abi.md): reads of every width return all
 * ones, writes are ignored, and many of them in a row do no harm. Also pins
 * down where RAM ends with the default --mem of 256 MiB. Status 1 through
 * the debug exit if every check passed.
 *
 * If Ringvisor ever puts a device at one of these addresses, move them. */
#include <stdint.h>

#include "test.h"

#define RAM_END 0x10000000ul /* default --mem, 256 MiB */
#define UNBACKED_A 0xc0000000ul
#define UNBACKED_B 0xfebf0000ul
#define SPRAY_BASE 0xc0010000ul /* 64 KiB written with a pattern */
#define SPRAY_WRITES 1024
#define SPRAY_STRIDE 64

/* Plain MOVs, one access each, so that every engine sees one MMIO access of
 * the given width. (Also keeps gcc from warning about constant pointers.) */
static inline uint8_t mmio_read8(uintptr_t a)
{
	uint8_t v;

	__asm__ volatile("movb (%1), %0" : "=q"(v) : "r"(a) : "memory");
	return v;
}

static inline uint16_t mmio_read16(uintptr_t a)
{
	uint16_t v;

	__asm__ volatile("movw (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline uint32_t mmio_read32(uintptr_t a)
{
	uint32_t v;

	__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline uint64_t mmio_read64(uintptr_t a)
{
	uint64_t v;

	__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline void mmio_write32(uintptr_t a, uint32_t v)
{
	__asm__ volatile("movl %0, (%1)" : : "r"(v), "r"(a) : "memory");
}

static inline void mmio_write64(uintptr_t a, uint64_t v)
{
	__asm__ volatile("movq %0, (%1)" : : "r"(v), "r"(a) : "memory");
}

static void test_reads(uintptr_t a, const char *n8, const char *n16, const char *n32, const char *n64)
{
	expect_eq(n8, mmio_read8(a), 0xff);
	expect_eq(n16, mmio_read16(a + 2), 0xffff);
	expect_eq(n32, mmio_read32(a + 4), 0xffffffff);
	expect_eq(n64, mmio_read64(a + 8), ~0ull);
}

static void test_ram_end(void)
{
	uintptr_t last = RAM_END - 8;

	mmio_write64(last, 0x0123456789abcdefull);
	expect_eq("the last RAM qword below 256 MiB holds a write", mmio_read64(last), 0x0123456789abcdefull);
	expect_eq("the first byte past RAM reads 0xff", mmio_read8(RAM_END), 0xff);
}

static void test_write_ignored(void)
{
	mmio_write32(UNBACKED_A, 0x12345678);
	expect_eq("a write to unbacked MMIO is ignored", mmio_read32(UNBACKED_A), 0xffffffff);
}

static void test_spray(void)
{
	const char *name = "1024 writes over 64 KiB of unbacked MMIO ignored";

	for (uint32_t i = 0; i < SPRAY_WRITES; i++)
		mmio_write32(SPRAY_BASE + i * SPRAY_STRIDE, 0xa5a50000u | i);
	if (mmio_read32(SPRAY_BASE) == 0xffffffff &&
	    mmio_read32(SPRAY_BASE + (SPRAY_WRITES - 1) * SPRAY_STRIDE) == 0xffffffff)
		pass(name);
	else
		fail(name, "a read after the writes was not all ones");
}

int main(void)
{
	printf("MMIO tests\n");
	test_reads(UNBACKED_A, "8-bit read at 0xc0000000 is all ones", "16-bit read at 0xc0000002 is all ones",
		   "32-bit read at 0xc0000004 is all ones", "64-bit read at 0xc0000008 is all ones");
	test_reads(UNBACKED_B, "8-bit read at 0xfebf0000 is all ones", "16-bit read at 0xfebf0002 is all ones",
		   "32-bit read at 0xfebf0004 is all ones", "64-bit read at 0xfebf0008 is all ones");
	test_ram_end();
	test_write_ignored();
	test_spray();
	test_done();
}
