/* Reads COM1 and writes back what it receives, letters upper-cased (so the test
 * sees the bytes went through the guest), until a '.' arrives; then prints "bye"
 * and halts with interrupts off (status 0). Exercises the UART's receive path
 * and Ringvisor's host input: pipes, terminals, and input faster than the FIFO. */
#include "io.h"
#include "printf.h"
#include "uart.h"

#define COM1_LSR (COM1_BASE + 5)
#define LSR_DATA_READY 0x01

static char getc_polled(void)
{
	while (!(inb(COM1_LSR) & LSR_DATA_READY))
		;
	return (char)inb(COM1_BASE);
}

int main(void)
{
	char c;

	printf("echo ready\n");
	while ((c = getc_polled()) != '.')
		uart_putc(c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c);
	printf("\nbye\n");
	__asm__ volatile("cli\n1:\thlt\n\tjmp 1b");
	__builtin_unreachable();
}
