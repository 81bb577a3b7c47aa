/* Multiboot kernel loaded through the a.out kludge: header flag bit 16 and
 * the header_addr/load_addr/load_end_addr/bss_end_addr/entry_addr fields
 * (lib/multiboot.S built with -DMB_AOUT, linked by lib/mbaout.ld, whose
 * comment explains the two traps for a loader that ignores those fields).
 * Status 1 through the debug exit if every check passed.
 *
 * On QEMU 7.2 (qemu-system-x86_64 -accel tcg -kernel build/guests/mbaout.elf
 * -m 64M -serial stdio -display none -monitor none -no-reboot
 * -device isa-debug-exit,iobase=0xf4,iosize=4) it prints the lines of
 * tests/guests/mbaout.stdout and ends with status 1: QEMU follows the kludge
 * fields, as the Multiboot spec asks. */
#include <stdint.h>

#include "cpu.h"
#include "multiboot.h"
#include "test.h"

#define PROBE_SIZE 8192

/* First in .bss (see mbaout.ld): the bytes right after load_end_addr. */
static uint8_t bss_probe[PROBE_SIZE] __attribute__((section(".bss.probe")));

extern char __load_end[], __bss_end[];

static void check_bss(void)
{
	const char *name = ".bss zeroed up to bss_end_addr";

	if ((uintptr_t)bss_probe != (uintptr_t)__load_end) {
		fail(name, "probe at %p, load_end_addr %p", (void *)bss_probe, (void *)__load_end);
		return;
	}
	for (uint32_t i = 0; i < PROBE_SIZE; i++) {
		if (bss_probe[i]) {
			fail(name, "byte 0x%x of .bss is 0x%x", i, bss_probe[i]);
			return;
		}
	}
	pass(name);
}

int main(uint32_t magic, const struct mb_info *mbi)
{
	unsigned long cr0 = read_cr0();

	(void)mbi;
	printf("Hello from a.out kludge\n");
	/* Nothing has written to the probe: the stack is at the end of .bss. */
	check_bss();
	expect_eq("EAX holds the Multiboot magic", magic, MB_BOOTLOADER_MAGIC);
	if ((cr0 & CR0_PE) && !(cr0 & CR0_PG))
		pass("protected mode, paging off");
	else
		fail("protected mode, paging off", "CR0 = 0x%lx", cr0);
	test_done();
}
