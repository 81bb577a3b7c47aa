/* The 16550A's saved state (docs/snapshot-format.md, section "uart-com1").
 *
 * Version 1: IER, LCR, MCR, the LSR error bits not yet read, the MSR delta
 * bits not yet read, SCR, FCR, the divisor latch, a THR-empty interrupt not
 * yet acknowledged, the IRQ line's level, then the number of received bytes
 * waiting and the bytes themselves, oldest first.
 *
 * The model has no transmit FIFO and no transmission in progress: a byte
 * written to THR reaches the back end inside the write (uart16550.h), and
 * what the guest can still see of it is the THR-empty interrupt, saved
 * above. */
#include "devices/uart16550.h"

#include <string.h>

static void uart_state_reset(void *dev)
{
	uart16550_reset(dev);
}

static void uart_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	struct uart16550 *u = dev;

	(void)now_ns;
	pthread_mutex_lock(&u->lock);
	state_put_u8(w, u->ier);
	state_put_u8(w, u->lcr);
	state_put_u8(w, u->mcr);
	state_put_u8(w, u->lsr_extra);
	state_put_u8(w, u->msr_delta);
	state_put_u8(w, u->scr);
	state_put_u8(w, u->fcr);
	state_put_u16(w, u->divisor);
	state_put_bool(w, u->thre_pending);
	state_put_bool(w, u->irq_level);
	state_put_u8(w, (uint8_t)u->rx_count);
	for (unsigned i = 0; i < u->rx_count; i++)
		state_put_u8(w, u->rbr_fifo[(u->rx_head + i) % UART_FIFO_SIZE]);
	pthread_mutex_unlock(&u->lock);
}

/* Reads the registers into s (whose lock is never used) and checks them. */
static void load_registers(struct state_reader *r, struct uart16550 *s)
{
	s->ier = state_get_u8(r);
	s->lcr = state_get_u8(r);
	s->mcr = state_get_u8(r);
	s->lsr_extra = state_get_u8(r);
	s->msr_delta = state_get_u8(r);
	s->scr = state_get_u8(r);
	s->fcr = state_get_u8(r);
	s->divisor = state_get_u16(r);
	s->thre_pending = state_get_bool(r);
	s->irq_level = state_get_bool(r);
	s->rx_head = 0;
	s->rx_count = state_get_u8(r);
	/* The count is checked before it sizes a read. */
	if (!uart16550_registers_valid(s)) {
		state_reader_fail(r);
		return;
	}
	state_get_bytes(r, s->rbr_fifo, s->rx_count);
}

static int uart_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct uart16550 *u = dev, s;

	(void)version;
	(void)now_ns;
	memset(&s, 0, sizeof(s));
	load_registers(r, &s);
	if (!state_reader_ok(r, false))
		return -1;
	pthread_mutex_lock(&u->lock);
	u->ier = s.ier;
	u->lcr = s.lcr;
	u->mcr = s.mcr;
	u->lsr_extra = s.lsr_extra;
	u->msr_delta = s.msr_delta;
	u->scr = s.scr;
	u->fcr = s.fcr;
	u->divisor = s.divisor;
	u->thre_pending = s.thre_pending;
	u->irq_level = s.irq_level;
	memcpy(u->rbr_fifo, s.rbr_fifo, sizeof(u->rbr_fifo));
	u->rx_head = 0;
	u->rx_count = s.rx_count;
	pthread_mutex_unlock(&u->lock);
	return 0;
}

const struct device_state_ops uart16550_state_ops = {
	.version = 1,
	.reset = uart_state_reset,
	.save = uart_save,
	.load = uart_load,
};
