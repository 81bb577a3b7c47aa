/* Ends through the debug-exit port with a 32-bit write: value 0x12345678
 * gives Ringvisor status ((0x12345678 << 1) | 1) & 0xff = 0xf1 = 241. */
#include "cpu.h"
#include "io.h"
#include "printf.h"

int main(void)
{
	printf("exit32: outl 0x12345678 to port 0xf4\n");
	outl(0xf4, 0x12345678);
	printf("FAIL: exit32: the write did not end the run\n");
	halt_forever();
}
