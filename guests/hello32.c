/* Plain ELF32 guest (no Multiboot header): Ringvisor enters it in 32-bit
 * protected mode with paging off (docs/guest-abi.md, "ELF32"). Checks that
 * entry state, then ends through the debug exit (status 1 if all passed). */
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
	if (ds == SEL_DATA32 && es == SEL_DATA32 && ss == SEL_DATA32 &&
	    fs == SEL_DATA32 && gs == SEL_DATA32)
		pass("data segments are 0x10");
	else
		fail("data segments are 0x10",
		     "DS=0x%x ES=0x%x SS=0x%x FS=0x%x GS=0x%x", ds, es, ss, fs,
		     gs);
}

static void check_entry_registers(void)
{
	const struct boot_regs *r = &boot_regs;

	expect_eq("EFLAGS is 0x2 at entry", r->eflags, 0x2);
	if (!(r->eax | r->ebx | r->ecx | r->edx | r->esi | r->edi | r->ebp |
	      r->esp))
		pass("general-purpose registers zero at entry");
	else
		fail("general-purpose registers zero at entry",
		     "EAX=%x EBX=%x ECX=%x EDX=%x ESI=%x EDI=%x EBP=%x ESP=%x",
		     r->eax, r->ebx, r->ecx, r->edx, r->esi, r->edi, r->ebp,
		     r->esp);
}

int main(void)
{
	printf("Hello from 32-bit protected mode\n");
	check_cr0();
	check_segments();
	check_entry_registers();
	test_done();
}
