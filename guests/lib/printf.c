#include "printf.h"

#include <stdbool.h>
#include <stdint.h>

#include "uart.h"

/* Divides *v by 10 and returns the remainder, in 32-bit pieces so that
 * 32-bit guests need no libgcc helper (__udivdi3). */
static unsigned int div10(uint64_t *v)
{
	uint32_t hi = (uint32_t)(*v >> 32), lo = (uint32_t)*v;
	uint32_t qhi = hi / 10, r = hi % 10;
	uint32_t mid = (r << 16) | (lo >> 16);
	uint32_t qmid = mid / 10;
	uint32_t low;

	r = mid % 10;
	low = (r << 16) | (lo & 0xffff);
	*v = ((uint64_t)qhi << 32) | ((uint64_t)qmid << 16) | (low / 10);
	return low % 10;
}

struct spec {
	int width;
	char pad;
	int longs;
};

static int put_num(uint64_t v, unsigned int base, bool neg, const struct spec *sp)
{
	char digits[24];
	int n = 0, len, out = 0, width = sp->width;

	do {
		unsigned int d;

		if (base == 16) {
			d = v & 0xf;
			v >>= 4;
		} else {
			d = div10(&v);
		}
		digits[n++] = "0123456789abcdef"[d];
	} while (v);
	len = n + neg;
	if (neg && sp->pad == '0')
		uart_putc('-');
	for (; width > len; width--, out++)
		uart_putc(sp->pad);
	if (neg && sp->pad != '0')
		uart_putc('-');
	while (n)
		uart_putc(digits[--n]);
	return out + len;
}

static uint64_t arg_unsigned(va_list *ap, int longs)
{
	if (longs >= 2)
		return va_arg(*ap, unsigned long long);
	if (longs == 1)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

static int64_t arg_signed(va_list *ap, int longs)
{
	if (longs >= 2)
		return va_arg(*ap, long long);
	if (longs == 1)
		return va_arg(*ap, long);
	return va_arg(*ap, int);
}

static int put_str(const char *s)
{
	int n = 0;

	if (!s)
		s = "(null)";
	for (; *s; s++, n++)
		uart_putc(*s);
	return n;
}

static const char *parse_spec(const char *fmt, struct spec *sp)
{
	sp->width = 0;
	sp->pad = ' ';
	sp->longs = 0;
	if (*fmt == '0') {
		sp->pad = '0';
		fmt++;
	}
	for (; *fmt >= '0' && *fmt <= '9'; fmt++)
		sp->width = sp->width * 10 + (*fmt - '0');
	for (; *fmt == 'l'; fmt++)
		sp->longs++;
	return fmt;
}

static int put_conv(char conv, const struct spec *sp, va_list *ap)
{
	int64_t s;

	switch (conv) {
	case 'd':
		s = arg_signed(ap, sp->longs);
		return put_num(s < 0 ? -(uint64_t)s : (uint64_t)s, 10, s < 0, sp);
	case 'u':
		return put_num(arg_unsigned(ap, sp->longs), 10, false, sp);
	case 'x':
		return put_num(arg_unsigned(ap, sp->longs), 16, false, sp);
	case 'p':
		uart_write("0x", 2);
		return 2 + put_num((uintptr_t)va_arg(*ap, void *), 16, false, sp);
	case 's':
		return put_str(va_arg(*ap, const char *));
	case 'c':
		uart_putc((char)va_arg(*ap, int));
		return 1;
	case '%':
		uart_putc('%');
		return 1;
	default:
		uart_putc('%');
		uart_putc(conv);
		return 2;
	}
}

int vprintf(const char *fmt, va_list ap)
{
	struct spec sp;
	va_list aq;
	int n = 0;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%') {
			uart_putc(*fmt++);
			n++;
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp);
		if (!*fmt)
			break;
		n += put_conv(*fmt++, &sp, &aq);
	}
	va_end(aq);
	return n;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}
