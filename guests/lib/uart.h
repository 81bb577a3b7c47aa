/* Polled output on COM1. */
#ifndef GUEST_UART_H
#define GUEST_UART_H

#include <stddef.h>

#define COM1_BASE 0x3f8
#define COM1_SCRATCH (COM1_BASE + 7)

void uart_putc(char c);
void uart_write(const char *s, size_t len);

#endif
