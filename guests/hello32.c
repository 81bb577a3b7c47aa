/* Plain ELF32 guest (no Multiboot header): Ringvisor enters it in 32-bit
 * protected mode with paging off (docs/guest-abi.md, "ELF32"). Checks that
 * entry state, then ends through the debug exit (status 1 if all passed). */
#include <stdbool.h>

#include "cpu.h"
#include "entry32.h"
#include "test.h"

#define SEL_DATA32 0x10
#define SEL_CODE32 0x18

static void check_cr0(void)
{
	unsigned long cr0 = read_cr0();

	if (cr0 & CR0_PE)
		pass("CR0.PE set");
	else
		fail("CR0.PE set", "CR0 = 0x%lx", cr0);
	if (!(cr0 & CR0_PG))
		pass("CR0.PG clear");
	else
		fail("CR0.PG clear", "CR0 = 0x%lx", cr0);
}

static void check_segments(void)
{
	uint16_t ds = read_ds(), es = read_es(), ss = read_ss();
	uint16_t fs = read_fs(), gs = read_gs();

	expect_eq("CS is 0x18", read_cs(), SEL_CODE32);
	if (ds == SEL_DATA32 && es == SEL_DATA32 && ss == SEL_DATA32 && fs == SEL_DATA32 && gs == SEL_DATA32)
		pass("data segments are 0x10");
	else
		fail("data segments are 0x10", "DS=0x%x ES=0x%x SS=0x%x FS=0x%x GS=0x%x", ds, es, ss, fs, gs);
}

/* Descriptor fields, from the 8 bytes of a GDT entry. */
#define DESC_TYPE_CODE (1ull << 43)
#define DESC_TYPE_WRITABLE (1ull << 41) /* for data segments */
#define DESC_S (1ull << 44)		/* code or data, not system */
#define DESC_P (1ull << 47)
#define DESC_L (1ull << 53)
#define DESC_DB (1ull << 54)
#define DESC_G (1ull << 55)

static uint32_t desc_base(uint64_t d)
{
	return (uint32_t)(((d >> 16) & 0xffffff) | ((d >> 56) << 24));
}

static uint32_t desc_limit(uint64_t d)
{
	uint32_t limit = (uint32_t)((d & 0xffff) | (((d >> 48) & 0xf) << 16));

	return (d & DESC_G) ? (limit << 12) | 0xfff : limit;
}

static void check_descriptor(const char *name, uint64_t d, uint64_t must_set, uint64_t must_clear, bool flat)
{
	if ((d & must_set) == must_set && !(d & must_clear) &&
	    (!flat || (desc_base(d) == 0 && desc_limit(d) == 0xffffffff)))
		pass(name);
	else
		fail(name, "descriptor 0x%016llx", (unsigned long long)d);
}

/* The GDT that docs/guest-abi.md says Ringvisor wrote at 0x1000. */
static void check_gdt(void)
{
	struct gdtr g = read_gdtr();
	const uint64_t *gdt = (const uint64_t *)g.base;

	if (g.base != 0x1000 || g.limit < 4 * 8 - 1) {
		fail("GDT at 0x1000", "GDTR base 0x%lx, limit 0x%x", g.base, g.limit);
		return;
	}
	pass("GDT at 0x1000");
	check_descriptor("GDT 0x08 is 64-bit code", gdt[1], DESC_P | DESC_S | DESC_TYPE_CODE | DESC_L, DESC_DB, false);
	check_descriptor("GDT 0x10 is flat 32-bit data", gdt[2], DESC_P | DESC_S | DESC_TYPE_WRITABLE | DESC_DB,
			 DESC_TYPE_CODE | DESC_L, true);
	check_descriptor("GDT 0x18 is flat 32-bit code", gdt[3], DESC_P | DESC_S | DESC_TYPE_CODE | DESC_DB, DESC_L,
			 true);
}

static void check_entry_registers(void)
{
	const struct boot_regs *r = &boot_regs;

	expect_eq("EFLAGS is 0x2 at entry", r->eflags, 0x2);
	if (!(r->eax | r->ebx | r->ecx | r->edx | r->esi | r->edi | r->ebp | r->esp))
		pass("general-purpose registers zero at entry");
	else
		fail("general-purpose registers zero at entry",
		     "EAX=%x EBX=%x ECX=%x EDX=%x ESI=%x EDI=%x EBP=%x ESP=%x", r->eax, r->ebx, r->ecx, r->edx, r->esi,
		     r->edi, r->ebp, r->esp);
}

int main(void)
{
	printf("Hello from 32-bit protected mode\n");
	check_cr0();
	check_segments();
	check_gdt();
	check_entry_registers();
	test_done();
}
