/* The 16550A UART (src/devices/uart16550.c) against the National Semiconductor
 * PC16550D data sheet ("PC16550D Universal Asynchronous Receiver/Transmitter with
 * FIFOs"): its "Registers" section and the tables "Summary of Registers", "UART
 * Reset Configuration" and "Interrupt Control Functions". Register offsets (the
 * A2-A0 column): 0 RBR/THR (DLL with DLAB), 1 IER (DLM with DLAB), 2 IIR/FCR,
 * 3 LCR, 4 MCR, 5 LSR, 6 MSR, 7 SCR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/uart16550.h"
#include "unit_helpers.h"

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

/* Bits, from the data sheet's register tables. */
#define LCR_DLAB 0x80
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define IER_RDA 0x01
#define IER_THRE 0x02
#define IER_RLS 0x04
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
/* IIR bits 3:0: bit 0 = 1 means no interrupt pending; otherwise bits 3:1 name the
 * source ("Interrupt Control Functions"): 011 line status, 010 received data,
 * 001 THR empty, 000 modem status. */
#define IIR_NONE 0x01
#define IIR_RLS 0x06
#define IIR_RDA 0x04
#define IIR_THRE 0x02
#define IIR_FIFOS 0xc0
#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

#define TEST_PIN 4

struct harness {
	struct uart16550 uart;
	uint8_t out[256];
	size_t out_len;
	int levels[64]; /* every level the UART drove onto its line, in order */
	unsigned nlevels;
	unsigned bad_pin; /* set calls with a pin other than the line's */
	unsigned rx_ready_calls;
};

static void record_output(void *opaque, const uint8_t *buf, size_t len)
{
	struct harness *h = opaque;

	for (size_t i = 0; i < len && h->out_len < sizeof(h->out); i++)
		h->out[h->out_len++] = buf[i];
}

static void record_irq(void *controller, unsigned pin, int level)
{
	struct harness *h = controller;

	if (pin != TEST_PIN)
		h->bad_pin++;
	if (h->nlevels < sizeof(h->levels) / sizeof(h->levels[0]))
		h->levels[h->nlevels++] = level;
}

static void record_rx_ready(void *opaque)
{
	struct harness *h = opaque;

	h->rx_ready_calls++;
}

static int uart_setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));

	if (!h)
		return -1;
	uart16550_init(&h->uart, (struct irq_line){ .set = record_irq, .controller = h, .pin = TEST_PIN },
		       (struct chardev){ .write = record_output, .opaque = h });
	*state = h;
	return 0;
}

static int uart_teardown(void **state)
{
	struct harness *h = *state;

	uart16550_destroy(&h->uart);
	free(h);
	return 0;
}

static uint8_t rd(struct harness *h, unsigned reg)
{
	return (uint8_t)uart16550_ops.read(&h->uart, reg, 1);
}

static void wr(struct harness *h, unsigned reg, uint8_t value)
{
	uart16550_ops.write(&h->uart, reg, 1, value);
}

/* The level the line has now: the last one driven, low if never driven. */
static int irq_level(const struct harness *h)
{
	return h->nlevels ? h->levels[h->nlevels - 1] : 0;
}

static void test_uart_reset_values_match_data_sheet(void **state)
{
	struct harness *h = *state;

	/* "UART Reset Configuration": IER all bits low; IIR bit 0 high, the rest low. */
	assert_int_equal(rd(h, IER), 0x00);
	assert_int_equal(rd(h, IIR), 0x01);
	/* The chip resets LCR to 0; this model starts at 8N1 (0x03), as a BIOS leaves it. */
	assert_int_equal(rd(h, LCR), 0x03);
	assert_int_equal(rd(h, MCR), 0x00);
	/* LSR reset 0110 0000: transmitter holding register and transmitter empty. */
	assert_int_equal(rd(h, LSR), LSR_THRE | LSR_TEMT);
	/* MSR bits 3:0 (the deltas) reset low. */
	assert_int_equal(rd(h, MSR) & 0x0f, 0);
	assert_int_equal(h->nlevels, 0);
}

static void test_uart_divisor_latch_is_reached_only_with_dlab(void **state)
{
	struct harness *h = *state;

	wr(h, LCR, LCR_DLAB | 0x03);
	wr(h, DLL, 0x01); /* divisor 0x0201: two different bytes tell DLL from DLM */
	wr(h, DLM, 0x02);
	assert_int_equal(rd(h, DLL), 0x01);
	assert_int_equal(rd(h, DLM), 0x02);
	assert_int_equal(rd(h, LCR), LCR_DLAB | 0x03);
	/* The latch writes went neither to THR nor to IER. */
	assert_int_equal(h->out_len, 0);
	wr(h, LCR, 0x03);
	assert_int_equal(rd(h, IER), 0x00);
	assert_int_equal(rd(h, LSR) & LSR_DR, 0);
	/* And with DLAB clear again, offset 0 transmits. */
	wr(h, THR, 'Z');
	assert_int_equal(h->out_len, 1);
	assert_int_equal(h->out[0], 'Z');
	wr(h, LCR, LCR_DLAB | 0x03);
	assert_int_equal(rd(h, DLL), 0x01);
	assert_int_equal(rd(h, DLM), 0x02);
}

static void test_uart_thr_bytes_go_to_output_in_order(void **state)
{
	struct harness *h = *state;

	wr(h, THR, 'o');
	wr(h, THR, 'k');
	wr(h, THR, '\n');
	assert_int_equal(h->out_len, 3);
	assert_memory_equal(h->out, "ok\n", 3);
	/* Transmission is instantaneous: the transmitter reads empty right after. */
	assert_int_equal(rd(h, LSR) & (LSR_THRE | LSR_TEMT), LSR_THRE | LSR_TEMT);
}

static void test_uart_scratch_register_holds_any_byte(void **state)
{
	struct harness *h = *state;

	wr(h, SCR, 0x55);
	assert_int_equal(rd(h, SCR), 0x55);
	wr(h, SCR, 0xaa);
	assert_int_equal(rd(h, SCR), 0xaa);
	assert_int_equal(h->out_len, 0);
}

static void test_uart_ier_bits_7_4_and_mcr_bits_7_5_read_zero(void **state)
{
	struct harness *h = *state;

	/* "Summary of Registers": IER bits 4-7 and MCR bits 5-7 are always 0. */
	wr(h, IER, 0xf0);
	assert_int_equal(rd(h, IER), 0x00);
	wr(h, MCR, 0xe0);
	assert_int_equal(rd(h, MCR), 0x00);
}

static void test_uart_loopback_msr_reads_0x90_with_rts_and_out2(void **state)
{
	struct harness *h = *state;

	/* In loopback RTS drives CTS, DTR drives DSR, OUT1 drives RI and OUT2 drives DCD
	 * (MCR bit 4, loopback). Linux's 8250 probe writes MCR = 0x1a and expects
	 * MSR & 0xf0 == 0x90. The first read may carry delta bits from the switch. */
	wr(h, MCR, MCR_LOOP | MCR_OUT2 | MCR_RTS);
	assert_int_equal(rd(h, MSR) & 0xf0, MSR_CTS | MSR_DCD);
	/* Reading MSR clears the deltas; nothing changed since. */
	assert_int_equal(rd(h, MSR), 0x90);
	wr(h, MCR, MCR_LOOP | MCR_OUT1 | MCR_DTR);
	assert_int_equal(rd(h, MSR) & 0xf0, MSR_RI | MSR_DSR);
	wr(h, MCR, MCR_LOOP);
	assert_int_equal(rd(h, MSR) & 0xf0, 0x00);
}

static void test_uart_loopback_mcr_change_sets_msr_delta_bits(void **state)
{
	struct harness *h = *state;
	uint8_t msr;

	wr(h, MCR, MCR_LOOP);
	(void)rd(h, MSR); /* clear whatever entering loopback changed */
	wr(h, MCR, MCR_LOOP | MCR_DTR | MCR_RTS);
	msr = rd(h, MSR);
	assert_int_equal(msr & 0xf0, MSR_DSR | MSR_CTS);
	/* The data sheet, MSR bits 0 and 1 (DCTS/DDSR: "the CTS/DSR input to the chip has
	 * changed state since the last time the MSR was read"), and MCR bit 4: in loopback
	 * "the modem control interrupts are also operational, but the interrupts' sources
	 * are now the lower four bits of the MCR": DCTS and DDSR are set here. */
	assert_int_equal(msr, MSR_DSR | MSR_CTS | MSR_DDSR | MSR_DCTS);
}

static void test_uart_loopback_thr_byte_arrives_in_rbr_not_output(void **state)
{
	struct harness *h = *state;

	wr(h, MCR, MCR_LOOP);
	wr(h, THR, 0x5a);
	/* The transmitter output is looped back to the receiver input (MCR bit 4) and
	 * the serial output is held in the marking state: nothing leaves the chip. */
	assert_int_equal(h->out_len, 0);
	assert_int_equal(rd(h, LSR) & LSR_DR, LSR_DR);
	assert_int_equal(rd(h, RBR), 0x5a);
	assert_int_equal(rd(h, LSR) & LSR_DR, 0);
	/* Leaving loopback, THR goes to the line again. */
	wr(h, MCR, 0);
	wr(h, THR, 'x');
	assert_int_equal(h->out_len, 1);
	assert_int_equal(h->out[0], 'x');
	assert_int_equal(rd(h, LSR) & LSR_DR, 0);
}

static void test_uart_overrun_sets_lsr_oe_until_lsr_is_read(void **state)
{
	struct harness *h = *state;

	/* FIFO off: a second character before the first was read is an overrun (LSR bit 1). */
	wr(h, MCR, MCR_LOOP);
	wr(h, THR, 'A');
	wr(h, THR, 'B');
	assert_int_equal(rd(h, LSR), LSR_THRE | LSR_TEMT | LSR_OE | LSR_DR);
	/* "The OE indicator is reset whenever the CPU reads the contents of the LSR." */
	assert_int_equal(rd(h, LSR), LSR_THRE | LSR_TEMT | LSR_DR);
}

static void test_uart_overrun_without_fifo_keeps_the_newer_character(void **state)
{
	struct harness *h = *state;
	uint8_t byte;

	wr(h, MCR, MCR_LOOP);
	wr(h, THR, 'A');
	wr(h, THR, 'B');
	byte = rd(h, RBR);
	/* LSR bit 1 (OE), FIFO mode off: the data "was not read by the CPU before the next
	 * character was transferred into the Receiver Buffer Register, thereby destroying
	 * the previous character": RBR holds 'B'. (With the FIFO on, the old bytes stay.) */
	assert_int_equal(byte, 'B');
}

static void test_uart_fifo_enable_makes_iir_bits_7_6_read_one(void **state)
{
	struct harness *h = *state;

	/* IIR bits 6 and 7 "are set when FCR0 = 1". */
	wr(h, FCR, FCR_ENABLE);
	assert_int_equal(rd(h, IIR), IIR_FIFOS | IIR_NONE);
	wr(h, FCR, 0);
	assert_int_equal(rd(h, IIR), IIR_NONE);
}

static void test_uart_enabling_thre_interrupt_raises_it_and_reading_iir_clears_it(void **state)
{
	struct harness *h = *state;

	wr(h, IER, IER_THRE);
	assert_int_equal(rd(h, IIR), IIR_THRE);
	/* "Interrupt Control Functions": the THRE interrupt is reset by "reading the IIR register (if source
	 * of interrupt)". */
	assert_int_equal(rd(h, IIR), IIR_NONE);
}

static void test_uart_writing_thr_rearms_thre_interrupt(void **state)
{
	struct harness *h = *state;

	wr(h, IER, IER_THRE);
	assert_int_equal(rd(h, IIR), IIR_THRE);
	assert_int_equal(rd(h, IIR), IIR_NONE);
	/* The byte leaves at once, so the holding register is empty again. */
	wr(h, THR, '.');
	assert_int_equal(rd(h, IIR), IIR_THRE);
	assert_int_equal(rd(h, IIR), IIR_NONE);
}

static void test_uart_iir_reports_received_data_before_thr_empty(void **state)
{
	struct harness *h = *state;

	wr(h, IER, IER_RDA | IER_THRE);
	assert_int_equal(uart16550_receive(&h->uart, (const uint8_t *)"r", 1), 1);
	/* Priorities in "Interrupt Control Functions": received data available (2nd)
	 * over THR empty (3rd). */
	assert_int_equal(rd(h, IIR), IIR_RDA);
	/* Reading IIR while it shows received data must not drop the THRE interrupt. */
	assert_int_equal(rd(h, RBR), 'r');
	assert_int_equal(rd(h, IIR), IIR_THRE);
	assert_int_equal(rd(h, IIR), IIR_NONE);
}

static void test_uart_iir_reports_line_status_before_received_data(void **state)
{
	struct harness *h = *state;

	wr(h, MCR, MCR_LOOP);
	wr(h, THR, 'A');
	wr(h, THR, 'B'); /* overrun */
	wr(h, IER, IER_RDA | IER_RLS);
	/* Receiver line status is the highest priority, reset by reading LSR. */
	assert_int_equal(rd(h, IIR), IIR_RLS);
	(void)rd(h, LSR);
	assert_int_equal(rd(h, IIR), IIR_RDA);
}

static void test_uart_irq_stays_low_without_out2(void **state)
{
	struct harness *h = *state;

	wr(h, IER, IER_THRE | IER_RDA);
	assert_int_equal(uart16550_receive(&h->uart, (const uint8_t *)"q", 1), 1);
	/* Pending interrupts, but MCR.OUT2 (which gates INTR onto the PC's bus) is clear. */
	assert_int_equal(rd(h, IIR) & 0x01, 0);
	assert_int_equal(irq_level(h), 0);
}

static void test_uart_irq_follows_pending_interrupt_with_out2(void **state)
{
	struct harness *h = *state;

	wr(h, MCR, MCR_OUT2);
	assert_int_equal(irq_level(h), 0);
	wr(h, IER, IER_THRE);
	assert_int_equal(irq_level(h), 1);
	(void)rd(h, IIR); /* acknowledges THRE */
	assert_int_equal(irq_level(h), 0);
	wr(h, THR, '.');
	assert_int_equal(irq_level(h), 1);
	/* Dropping OUT2 takes the line down though the interrupt is still pending. */
	wr(h, MCR, 0);
	assert_int_equal(irq_level(h), 0);
	assert_int_equal(rd(h, IIR), IIR_THRE);
	assert_int_equal(h->bad_pin, 0);
}

static void test_uart_irq_is_raised_by_received_data_and_lowered_by_reading_it(void **state)
{
	struct harness *h = *state;

	wr(h, MCR, MCR_OUT2);
	wr(h, IER, IER_RDA);
	assert_int_equal(irq_level(h), 0);
	assert_int_equal(uart16550_receive(&h->uart, (const uint8_t *)"k", 1), 1);
	assert_int_equal(irq_level(h), 1);
	assert_int_equal(rd(h, RBR), 'k');
	assert_int_equal(irq_level(h), 0);
}

static void test_uart_loopback_keeps_irq_line_low(void **state)
{
	struct harness *h = *state;

	/* In loopback the OUT2 pin is forced inactive (MCR bit 4), and on the PC OUT2
	 * gates the interrupt: the IIR still reports the interrupt, the line stays low. */
	wr(h, MCR, MCR_LOOP | MCR_OUT2);
	wr(h, IER, IER_THRE);
	assert_int_equal(irq_level(h), 0);
	assert_int_equal(rd(h, IIR), IIR_THRE);
}

static void test_uart_receive_takes_16_bytes_with_fifo_on(void **state)
{
	struct harness *h = *state;
	const uint8_t in[20] = "0123456789abcdefghij";

	wr(h, FCR, FCR_ENABLE);
	assert_int_equal(uart16550_receive(&h->uart, in, sizeof(in)), 16);
	assert_int_equal(uart16550_receive(&h->uart, in + 16, 4), 0);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(rd(h, LSR) & LSR_DR, LSR_DR);
		assert_int_equal(rd(h, RBR), in[i]);
	}
	assert_int_equal(rd(h, LSR) & LSR_DR, 0);
	/* Host input that had to wait is taken again after the guest drained the FIFO. */
	assert_int_equal(uart16550_receive(&h->uart, in + 16, 4), 4);
	assert_int_equal(rd(h, RBR), 'g');
}

static void test_uart_receive_takes_1_byte_with_fifo_off(void **state)
{
	struct harness *h = *state;

	/* With FCR0 = 0 the chip works as a 16450, with a one-byte receiver buffer. */
	assert_int_equal(uart16550_receive(&h->uart, (const uint8_t *)"abc", 3), 1);
	assert_int_equal(uart16550_receive(&h->uart, (const uint8_t *)"bc", 2), 0);
	assert_int_equal(rd(h, RBR), 'a');
	assert_int_equal(uart16550_receive(&h->uart, (const uint8_t *)"bc", 2), 1);
	assert_int_equal(rd(h, RBR), 'b');
	/* Receiving what fits is no overrun. */
	assert_int_equal(rd(h, LSR) & LSR_OE, 0);
}

static void test_uart_fcr_clear_rx_empties_receive_fifo(void **state)
{
	struct harness *h = *state;

	wr(h, FCR, FCR_ENABLE);
	assert_int_equal(uart16550_receive(&h->uart, (const uint8_t *)"abcd", 4), 4);
	/* FCR1 "clears all bytes in the RCVR FIFO and resets its counter logic to 0". */
	wr(h, FCR, FCR_ENABLE | FCR_CLEAR_RX);
	assert_int_equal(rd(h, LSR) & LSR_DR, 0);
	assert_int_equal(uart16550_receive(&h->uart, (const uint8_t *)"z", 1), 1);
	assert_int_equal(rd(h, RBR), 'z');
}

static void test_uart_disabling_fifo_discards_received_bytes(void **state)
{
	struct harness *h = *state;
	uint8_t lsr;

	wr(h, FCR, FCR_ENABLE);
	assert_int_equal(uart16550_receive(&h->uart, (const uint8_t *)"abcd", 4), 4);
	wr(h, FCR, 0);
	lsr = rd(h, LSR);
	/* FCR bit 0: "Resetting FCR0 will clear all bytes in both FIFOs." */
	assert_int_equal(lsr & LSR_DR, 0);
}

static void test_uart_rx_ready_called_when_guest_drains_fifo(void **state)
{
	struct harness *h = *state;

	h->uart.rx_ready = record_rx_ready;
	h->uart.rx_ready_opaque = h;
	wr(h, FCR, FCR_ENABLE);
	assert_int_equal(uart16550_receive(&h->uart, (const uint8_t *)"ab", 2), 2);
	(void)rd(h, RBR);
	assert_int_equal(h->rx_ready_calls, 0);
	(void)rd(h, RBR);
	assert_int_equal(h->rx_ready_calls, 1);
}

static void test_uart_16bit_read_at_last_register_stays_in_register_file(void **state)
{
	struct harness *h = *state;
	uint64_t v;

	wr(h, SCR, 0x5a);
	/* Port 0x3ff is SCR; 0x400 belongs to no device, and an unclaimed port reads as
	 * all ones (docs/guest-abi.md), so the high byte must be 0xff, not another
	 * register of this UART. */
	v = uart16550_ops.read(&h->uart, 7, 2);
	assert_int_equal(v, 0xff5a);
	v = uart16550_ops.read(&h->uart, 6, 4);
	assert_int_equal(v >> 8, 0xffff5a);
}

static void test_uart_wide_write_at_last_register_stays_in_register_file(void **state)
{
	struct harness *h = *state;

	/* The low byte reaches SCR; the rest would fall on ports past the UART. */
	uart16550_ops.write(&h->uart, 7, 4, 0x11223344);
	assert_int_equal(rd(h, SCR), 0x44);
	assert_int_equal(rd(h, LCR), 0x03);
	assert_int_equal(rd(h, IER), 0x00);
	assert_int_equal(h->out_len, 0);
}

#define UART_TEST(f) cmocka_unit_test_setup_teardown(f, uart_setup, uart_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		UART_TEST(test_uart_reset_values_match_data_sheet),
		UART_TEST(test_uart_divisor_latch_is_reached_only_with_dlab),
		UART_TEST(test_uart_thr_bytes_go_to_output_in_order),
		UART_TEST(test_uart_scratch_register_holds_any_byte),
		UART_TEST(test_uart_ier_bits_7_4_and_mcr_bits_7_5_read_zero),
		UART_TEST(test_uart_loopback_msr_reads_0x90_with_rts_and_out2),
		UART_TEST(test_uart_loopback_mcr_change_sets_msr_delta_bits),
		UART_TEST(test_uart_loopback_thr_byte_arrives_in_rbr_not_output),
		UART_TEST(test_uart_overrun_sets_lsr_oe_until_lsr_is_read),
		UART_TEST(test_uart_overrun_without_fifo_keeps_the_newer_character),
		UART_TEST(test_uart_fifo_enable_makes_iir_bits_7_6_read_one),
		UART_TEST(test_uart_enabling_thre_interrupt_raises_it_and_reading_iir_clears_it),
		UART_TEST(test_uart_writing_thr_rearms_thre_interrupt),
		UART_TEST(test_uart_iir_reports_received_data_before_thr_empty),
		UART_TEST(test_uart_iir_reports_line_status_before_received_data),
		UART_TEST(test_uart_irq_stays_low_without_out2),
		UART_TEST(test_uart_irq_follows_pending_interrupt_with_out2),
		UART_TEST(test_uart_irq_is_raised_by_received_data_and_lowered_by_reading_it),
		UART_TEST(test_uart_loopback_keeps_irq_line_low),
		UART_TEST(test_uart_receive_takes_16_bytes_with_fifo_on),
		UART_TEST(test_uart_receive_takes_1_byte_with_fifo_off),
		UART_TEST(test_uart_fcr_clear_rx_empties_receive_fifo),
		UART_TEST(test_uart_disabling_fifo_discards_received_bytes),
		UART_TEST(test_uart_rx_ready_called_when_guest_drains_fifo),
		UART_TEST(test_uart_16bit_read_at_last_register_stays_in_register_file),
		UART_TEST(test_uart_wide_write_at_last_register_stays_in_register_file),
	};

	return cmocka_run_group_tests_name("uart16550", tests, NULL, NULL);
}
