#include "uart.h"

#include "io.h"

#define UART_THR 0
#define UART_LSR 5
#define LSR_THR_EMPTY 0x20

void uart_putc(char c)
{
	while (!(inb(COM1_BASE + UART_LSR) & LSR_THR_EMPTY))
		;
	outb(COM1_BASE + UART_THR, (uint8_t)c);
}

void uart_write(const char *s, size_t len)
{
	while (len--)
		uart_putc(*s++);
}
