/* A small printf to COM1: %s %c %d %u %x %p %%, the l and ll length
 * modifiers, and a width with optional 0 padding (%08x). */
#ifndef GUEST_PRINTF_H
#define GUEST_PRINTF_H

#include <stdarg.h>

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
