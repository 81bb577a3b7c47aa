/* The 16550A's saved state (src/devices/uart16550_state.c): a UART with its
 * receive FIFO half full (and wrapped round its ring), interrupts pending and
 * its line raised comes back into a fresh UART that gives the guest the same
 * bytes, the same IIR and LSR and the same line; counts beyond the buffer,
 * reserved bits and short payloads are refused and change nothing. Payload
 * offsets (docs/snapshot-format.md, "uart-com1"): IER 0, LCR 1, MCR 2, LSR
 * errors 3, MSR deltas 4, SCR 5, FCR 6, divisor 7, THR-empty pending 9, line
 * 10, byte count 11, the bytes from 12. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/uart16550.h"
#include "device_state_harness.h"
#include "unit_helpers.h"

enum { RBR = 0, THR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };
#define NOW 1000000000ull
#define COUNT_AT 11

struct port {
	struct uart16550 uart;
	int level; /* the line as last driven */
	unsigned out_len;
};

static void record_irq(void *controller, unsigned pin, int level)
{
	(void)pin;
	((struct port *)controller)->level = level;
}

static void record_output(void *opaque, const uint8_t *buf, size_t len)
{
	(void)buf;
	((struct port *)opaque)->out_len += (unsigned)len;
}

static void port_init(struct port *p)
{
	memset(p, 0, sizeof(*p));
	uart16550_init(&p->uart, (struct irq_line){ .set = record_irq, .controller = p, .pin = 4 },
		       (struct chardev){ .write = record_output, .opaque = p });
}

static uint8_t rd(struct port *p, unsigned reg)
{
	return (uint8_t)uart16550_ops.read(&p->uart, reg, 1);
}

static void wr(struct port *p, unsigned reg, uint8_t v)
{
	uart16550_ops.write(&p->uart, reg, 1, v);
}

/* 38400 baud 7E1, FIFO on with a trigger level of 8, received-data,
 * THR-empty and line-status interrupts enabled, OUT2 (the PC's interrupt
 * gate), DTR and RTS; 14 bytes received and 12 read, then 6 more: 8 bytes
 * wait in the FIFO from slot 12 round to slot 3. A byte sent leaves a
 * THR-empty interrupt behind the received-data one. */
static void drive(struct port *p)
{
	uint8_t bytes[20];

	for (unsigned i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)(0x41 + i);
	wr(p, LCR, 0x80);
	wr(p, 0, 3);
	wr(p, 1, 0);
	wr(p, LCR, 0x1a);
	wr(p, FCR, 0x81);
	wr(p, MCR, 0x0b);
	wr(p, SCR, 0x5a);
	wr(p, IER, 0x07);
	assert_int_equal(uart16550_receive(&p->uart, bytes, 14), 14);
	for (int i = 0; i < 12; i++)
		(void)rd(p, RBR);
	assert_int_equal(uart16550_receive(&p->uart, bytes + 14, 6), 6);
	wr(p, THR, '!');
	assert_int_equal(p->level, 1);
}

/* What the guest reads from here: IIR, LSR, the bytes while LSR says data is
 * ready, IIR again (THR empty, acknowledged by the read), IIR once more (no
 * interrupt), and the line after each step. */
static void observe(struct port *p, uint8_t out[64])
{
	unsigned n = 0;

	memset(out, 0, 64);
	out[n++] = rd(p, IIR);
	out[n++] = rd(p, LSR);
	while ((rd(p, LSR) & 0x01) && n < 40) {
		out[n++] = rd(p, RBR);
		out[n++] = (uint8_t)p->level;
	}
	out[n++] = rd(p, IIR);
	out[n++] = (uint8_t)p->level;
	out[n++] = rd(p, IIR);
	out[n++] = (uint8_t)p->level;
	out[n++] = rd(p, LCR);
	out[n++] = rd(p, MCR);
	out[n++] = rd(p, SCR);
	out[n++] = rd(p, MSR);
}

static void test_uart_state_half_full_fifo_and_pending_interrupts_come_back(void **state)
{
	struct port *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer wa, wb;
	uint8_t seen_a[64], seen_b[64];

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	port_init(a);
	port_init(b);
	drive(a);
	payload_save(&uart16550_state_ops, &a->uart, NOW, &wa);
	assert_int_equal(wa.len, COUNT_AT + 1 + 8);
	assert_int_equal(payload_load(&uart16550_state_ops, &b->uart, wa.buf, wa.len, NOW), 0);
	payload_save(&uart16550_state_ops, &b->uart, NOW, &wb);
	assert_same_payload(&wa, &wb);
	/* The line's level came back with the state (the controller kept its own
	 * copy of it): the restored UART lowers it when the guest drains it. */
	b->level = 1;
	observe(a, seen_a);
	observe(b, seen_b);
	assert_memory_equal(seen_a, seen_b, sizeof(seen_a));
	assert_int_equal(seen_b[0], 0xc4); /* received data, FIFOs on */
	assert_int_equal(seen_b[2], 'A' + 12);
	assert_int_equal(seen_b[2 + 2 * 7], 'A' + 19);
	/* The divisor latch came back too. */
	wr(b, LCR, 0x9a);
	assert_int_equal(rd(b, 0), 3);
	uart16550_destroy(&a->uart);
	uart16550_destroy(&b->uart);
	free(a);
	free(b);
	state_writer_free(&wa);
	state_writer_free(&wb);
}

static void test_uart_state_refuses_counts_beyond_the_buffer_and_reserved_bits(void **state)
{
	struct port *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer w;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	port_init(a);
	port_init(b);
	drive(a);
	drive(b);
	(void)rd(b, RBR);
	payload_save(&uart16550_state_ops, &a->uart, NOW, &w);
	assert_field_refused(&uart16550_state_ops, &b->uart, &w, COUNT_AT, 1, 17, NOW); /* more than 16 */
	assert_field_refused(&uart16550_state_ops, &b->uart, &w, COUNT_AT, 1, 255, NOW);
	assert_field_refused(&uart16550_state_ops, &b->uart, &w, 6, 1, 0x80, NOW); /* FIFO off: room for 1 */
	assert_field_refused(&uart16550_state_ops, &b->uart, &w, 6, 1, 0x83, NOW); /* FCR bit 1 is a command */
	assert_field_refused(&uart16550_state_ops, &b->uart, &w, 0, 1, 0x17, NOW); /* IER bit 4 */
	assert_field_refused(&uart16550_state_ops, &b->uart, &w, 2, 1, 0x2b, NOW); /* MCR bit 5 */
	assert_field_refused(&uart16550_state_ops, &b->uart, &w, 3, 1, 0x01, NOW); /* LSR DR is no error */
	assert_field_refused(&uart16550_state_ops, &b->uart, &w, 4, 1, 0x10, NOW); /* MSR CTS is no delta */
	assert_field_refused(&uart16550_state_ops, &b->uart, &w, 9, 1, 2, NOW);
	/* Fewer bytes than the count says: short. */
	assert_field_refused(&uart16550_state_ops, &b->uart, &w, COUNT_AT, 1, 9, NOW);
	assert_field_accepted(&uart16550_state_ops, &b->uart, &w, 3, 1, 0x02, NOW); /* an overrun is fine */
	uart16550_destroy(&a->uart);
	uart16550_destroy(&b->uart);
	free(a);
	free(b);
	state_writer_free(&w);
}

static void test_uart_state_cut_short_is_refused_and_the_uart_goes_on(void **state)
{
	struct port *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_writer w;
	const uint8_t x = 'x';

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	port_init(a);
	port_init(b);
	drive(a);
	payload_save(&uart16550_state_ops, &a->uart, NOW, &w);
	assert_prefixes_refused(&uart16550_state_ops, &b->uart, &w, NOW);
	/* Still the fresh UART: 8N1, FIFO off, and it takes one byte. */
	assert_int_equal(rd(b, LCR), 0x03);
	assert_int_equal(uart16550_receive(&b->uart, &x, 1), 1);
	assert_int_equal(rd(b, RBR), 'x');
	uart16550_destroy(&a->uart);
	uart16550_destroy(&b->uart);
	free(a);
	free(b);
	state_writer_free(&w);
}

static void test_uart_reset_is_the_power_on_state(void **state)
{
	struct port *a = calloc(1, sizeof(*a)), *fresh = calloc(1, sizeof(*fresh));

	(void)state;
	assert_non_null(a);
	assert_non_null(fresh);
	port_init(a);
	port_init(fresh);
	drive(a);
	assert_reset_is_power_on(&uart16550_state_ops, &a->uart, NOW, &fresh->uart, NOW);
	uart16550_destroy(&a->uart);
	uart16550_destroy(&fresh->uart);
	free(a);
	free(fresh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uart_state_half_full_fifo_and_pending_interrupts_come_back),
		cmocka_unit_test(test_uart_state_refuses_counts_beyond_the_buffer_and_reserved_bits),
		cmocka_unit_test(test_uart_state_cut_short_is_refused_and_the_uart_goes_on),
		cmocka_unit_test(test_uart_reset_is_the_power_on_state),
	};

	return cmocka_run_group_tests_name("uart16550_state", tests, NULL, NULL);
}
