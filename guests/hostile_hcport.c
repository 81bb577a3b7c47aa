/* Hostile guest, issue 11 class 2: the hypercall port 0xe8 used in ways the
 * ABI does not call a hypercall (docs/guest-abi.md: a hypercall is `out
 * 0xe8, al`; any other port access is a plain port access, and no device
 * answers reads of 0xe8 or 0xe9, so they read all ones):
 *   - IN of every width reads all ones;
 *   - REP INSB fills memory with all ones;
 *   - REP OUTSB (16 bytes, and 1 byte) is no hypercall: with RAX = the exit
 *     hypercall it does not end the run, and RAX is left alone;
 *   - a real hypercall still works afterwards (QEMU has none: that check
 *     alone fails there).
 * Before the fix, the port's ops were a compound literal on vm_create's
 * dead stack: ASan reported stack-use-after-return (a SEGV in the release
 * build, or whatever the stack held). */
#include <stdint.h>

#include "hypercall.h"
#include "io.h"
#include "test.h"

#define HC_PORT 0xe8

static uint8_t buf[64];

static uint64_t outsb_with_rax(uint64_t rax, const void *src, uint64_t count)
{
	__asm__ volatile("cld; rep outsb" : "+a"(rax), "+S"(src), "+c"(count) : "d"(HC_PORT), "b"(77) : "memory");
	return rax;
}

int main(void)
{
	unsigned int ones = 0;

	printf("hostile: the hypercall port\n");
	expect_eq("IN AL from 0xe8 reads all ones", inb(HC_PORT), 0xff);
	expect_eq("IN AX from 0xe8 reads all ones", inw(HC_PORT), 0xffff);
	expect_eq("IN EAX from 0xe8 reads all ones", inl(HC_PORT), 0xffffffff);
	insb(HC_PORT, buf, sizeof(buf));
	for (unsigned int i = 0; i < sizeof(buf); i++)
		ones += buf[i] == 0xff;
	expect_eq("REP INSB from 0xe8 stores all ones", ones, sizeof(buf));
	expect_eq("REP OUTSB of 16 bytes to 0xe8 is no hypercall", outsb_with_rax(HC_EXIT, buf, 16), HC_EXIT);
	expect_eq("REP OUTSB of 1 byte to 0xe8 is no hypercall", outsb_with_rax(HC_EXIT, buf, 1), HC_EXIT);
	for (unsigned int i = 0; i < 256; i++)
		outsb_with_rax(HC_EXIT, buf, 8);
	pass("256 more REP OUTSB to 0xe8 did no harm");
	expect_eq("then a hypercall still works", hc_abi_version(), 1);
	test_done();
}
