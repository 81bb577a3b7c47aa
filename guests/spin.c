/* Never ends by itself: prints one line, then spins with interrupts off.
 * The runner stops Ringvisor with SIGTERM (status 143) and checks that the
 * terminal settings are restored. */
#include "printf.h"

int main(void)
{
	printf("spinning\n");
	__asm__ volatile("cli\n1:\tjmp 1b");
	__builtin_unreachable();
}
