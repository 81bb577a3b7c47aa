/* Writes then reads every port at every width: all of 0x000-0x3ff, then
 * every HIGH_STRIDE-th port up to 0xffff. Ringvisor must survive whatever
 * sits (or does not) behind each port; the values read are not checked.
 *
 * Accesses that would touch the debug exit (0xf4-0xf7, the width QEMU's
 * isa-debug-exit claims with iosize=4), the hypercall port (0xe8) or the
 * UART (0x3f8-0x3ff) are skipped, including wide ones that start below them.
 * Every access is a VM exit, slow under nested KVM: about 9,000 in all. */
#include <stdbool.h>
#include <stdint.h>

#include "io.h"
#include "test.h"

#define LOW_END 0x400
#define HIGH_STRIDE 0x80

struct range {
	uint32_t first, last;
};

static const struct range skipped[] = {
	{ 0xe8, 0xe8 },	  /* hypercall */
	{ 0xf4, 0xf7 },	  /* debug exit */
	{ 0x3f8, 0x3ff }, /* COM1 */
};

static bool is_skipped(uint32_t port, uint32_t width)
{
	for (unsigned int i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
		if (port <= skipped[i].last && port + width - 1 >= skipped[i].first)
			return true;
	return false;
}

static unsigned long hammer(uint32_t port)
{
	unsigned long n = 0;

	/* Value 0: harmless to the devices a PC has at these ports (no reset
	 * command to 0x64, no reset bit to 0x92 or 0xcf9). */
	if (!is_skipped(port, 1)) {
		outb((uint16_t)port, 0);
		(void)inb((uint16_t)port);
		n += 2;
	}
	if (!is_skipped(port, 2)) {
		outw((uint16_t)port, 0);
		(void)inw((uint16_t)port);
		n += 2;
	}
	if (!is_skipped(port, 4)) {
		outl((uint16_t)port, 0);
		(void)inl((uint16_t)port);
		n += 2;
	}
	return n;
}

int main(void)
{
	unsigned long accesses = 0;

	printf("hammering ports\n");
	for (uint32_t port = 0; port < LOW_END; port++)
		accesses += hammer(port);
	for (uint32_t port = LOW_END; port <= 0xffff; port += HIGH_STRIDE)
		accesses += hammer(port);
	printf("%lu port accesses\n", accesses);
	pass("hammered ports");
	test_done();
}
