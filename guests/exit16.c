/* Ends through the debug-exit port with a 16-bit write: value 0x1234 gives
 * Ringvisor status ((0x1234 << 1) | 1) & 0xff = 0x69 = 105. */
#include "cpu.h"
#include "io.h"
#include "printf.h"

int main(void)
{
	printf("exit16: outw 0x1234 to port 0xf4\n");
	outw(0xf4, 0x1234);
	printf("FAIL: exit16: the write did not end the run\n");
	halt_forever();
}
