#include "devices/uart16550.h"

#include <string.h>

/* Register offsets from the base port. */
enum { REG_RBR_THR, REG_IER, REG_IIR_FCR, REG_LCR, REG_MCR, REG_LSR, REG_MSR, REG_SCR };

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
#define IER_MSI 0x08
#define IIR_NONE 0x01
#define IIR_MSI 0x00
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_RLS 0x06
#define IIR_FIFO_ENABLED 0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_TRIGGER 0xc0
#define FCR_STORED (FCR_ENABLE | FCR_TRIGGER)
#define IER_MASK 0x0f /* bits 7-4 read 0 */
#define MCR_MASK 0x1f /* bits 7-5 read 0 */
#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

/* The registers after init and reset. */
static void registers_reset(struct uart16550 *u)
{
	memset(u->rbr_fifo, 0, sizeof(u->rbr_fifo));
	u->rx_head = u->rx_count = 0;
	u->ier = u->mcr = u->lsr_extra = u->msr_delta = u->scr = u->fcr = 0;
	u->divisor = 12; /* 9600 baud from the 1.8432 MHz clock */
	u->lcr = 0x03;	 /* 8N1 */
	u->thre_pending = false;
	u->irq_level = false;
}

void uart16550_init(struct uart16550 *u, struct irq_line irq, struct chardev out)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->irq = irq;
	u->out = out;
	registers_reset(u);
}

void uart16550_destroy(struct uart16550 *u)
{
	pthread_mutex_destroy(&u->lock);
}

void uart16550_reset(struct uart16550 *u)
{
	pthread_mutex_lock(&u->lock);
	registers_reset(u);
	pthread_mutex_unlock(&u->lock);
}

static unsigned rx_capacity(const struct uart16550 *u)
{
	/* With the FIFO disabled the chip holds one byte, like a 16450. */
	return (u->fcr & FCR_ENABLE) ? UART_FIFO_SIZE : 1;
}

bool uart16550_registers_valid(const struct uart16550 *u)
{
	if ((u->ier & ~IER_MASK) || (u->mcr & ~MCR_MASK) || (u->fcr & ~FCR_STORED))
		return false;
	if ((u->lsr_extra & ~LSR_OE) || (u->msr_delta & ~(MSR_DCTS | MSR_DDSR | MSR_TERI | MSR_DDCD)))
		return false;
	return u->rx_head < UART_FIFO_SIZE && u->rx_count <= rx_capacity(u);
}

static uint8_t current_iir(const struct uart16550 *u)
{
	if ((u->ier & IER_RLS) && (u->lsr_extra & LSR_OE))
		return IIR_RLS;
	if ((u->ier & IER_RDA) && u->rx_count)
		return IIR_RDA;
	if ((u->ier & IER_THRE) && u->thre_pending)
		return IIR_THRE;
	if ((u->ier & IER_MSI) && u->msr_delta)
		return IIR_MSI;
	return IIR_NONE;
}

static void update_irq(struct uart16550 *u)
{
	/* On the PC, OUT2 gates the chip's interrupt onto the bus; loopback disconnects it. */
	bool level = current_iir(u) != IIR_NONE && (u->mcr & MCR_OUT2) && !(u->mcr & MCR_LOOP);

	if (level != u->irq_level) {
		u->irq_level = level;
		irq_line_set(&u->irq, level);
	}
}

static bool rx_push(struct uart16550 *u, uint8_t byte)
{
	if (u->rx_count >= rx_capacity(u)) {
		u->lsr_extra |= LSR_OE;
		/* Without the FIFO the new character replaces the unread one in RBR; with
		 * it, the character in the shift register is lost and the FIFO kept. */
		if (!(u->fcr & FCR_ENABLE))
			u->rbr_fifo[u->rx_head] = byte;
		return false;
	}
	u->rbr_fifo[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
	u->rx_count++;
	return true;
}

static uint8_t rx_pop(struct uart16550 *u)
{
	uint8_t byte;

	if (!u->rx_count)
		return 0;
	byte = u->rbr_fifo[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	u->rx_count--;
	if (!u->rx_count && u->rx_ready)
		u->rx_ready(u->rx_ready_opaque);
	return byte;
}

static uint8_t modem_status(const struct uart16550 *u)
{
	if (u->mcr & MCR_LOOP) {
		/* Loopback wires the modem outputs back to the inputs. */
		return (uint8_t)(((u->mcr & MCR_RTS) ? MSR_CTS : 0) | ((u->mcr & MCR_DTR) ? MSR_DSR : 0) |
				 ((u->mcr & MCR_OUT1) ? MSR_RI : 0) | ((u->mcr & MCR_OUT2) ? MSR_DCD : 0));
	}
	return MSR_DCD | MSR_DSR | MSR_CTS; /* a connected, ready line */
}

static uint8_t read_reg(struct uart16550 *u, unsigned reg)
{
	uint8_t v;

	switch (reg) {
	case REG_RBR_THR:
		return (u->lcr & LCR_DLAB) ? (uint8_t)u->divisor : rx_pop(u);
	case REG_IER:
		return (u->lcr & LCR_DLAB) ? (uint8_t)(u->divisor >> 8) : u->ier;
	case REG_IIR_FCR:
		v = current_iir(u);
		/* Reading IIR while it reports THR empty acknowledges that interrupt. */
		if (v == IIR_THRE)
			u->thre_pending = false;
		return v | ((u->fcr & FCR_ENABLE) ? IIR_FIFO_ENABLED : 0);
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		v = (u->rx_count ? LSR_DR : 0) | LSR_THRE | LSR_TEMT | u->lsr_extra;
		u->lsr_extra = 0;
		return v;
	case REG_MSR:
		v = modem_status(u) | u->msr_delta;
		u->msr_delta = 0;
		return v;
	default:
		return u->scr;
	}
}

static void write_reg(struct uart16550 *u, unsigned reg, uint8_t v)
{
	switch (reg) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB) {
			u->divisor = (uint16_t)((u->divisor & 0xff00) | v);
			return;
		}
		if (u->mcr & MCR_LOOP)
			rx_push(u, v);
		else
			chardev_write(&u->out, &v, 1);
		u->thre_pending = true; /* sent at once: the holding register is empty again */
		return;
	case REG_IER:
		if (u->lcr & LCR_DLAB) {
			u->divisor = (uint16_t)((u->divisor & 0x00ff) | (v << 8));
			return;
		}
		/* Enabling the THR-empty interrupt while THR is empty raises it at once;
		 * drivers rely on this to start transmission. */
		if ((v & IER_THRE) && !(u->ier & IER_THRE))
			u->thre_pending = true;
		u->ier = v & IER_MASK;
		return;
	case REG_IIR_FCR:
		/* Changing FCR0 (FIFO enable) clears both FIFOs, as does FCR1. */
		if ((v & FCR_CLEAR_RX) || ((v ^ u->fcr) & FCR_ENABLE))
			u->rx_head = u->rx_count = 0;
		u->fcr = v & FCR_STORED;
		return;
	case REG_LCR:
		u->lcr = v;
		return;
	case REG_MCR: {
		uint8_t before = modem_status(u), after;

		u->mcr = v & MCR_MASK;
		after = modem_status(u);
		/* In loopback the modem inputs follow MCR, and their changes are recorded
		 * like a real line's: DCTS, DDSR, DDCD on any change, TERI when RI falls. */
		u->msr_delta |= (uint8_t)((((before ^ after) & MSR_CTS) ? MSR_DCTS : 0) |
					  (((before ^ after) & MSR_DSR) ? MSR_DDSR : 0) |
					  (((before & ~after) & MSR_RI) ? MSR_TERI : 0) |
					  (((before ^ after) & MSR_DCD) ? MSR_DDCD : 0));
		return;
	}
	case REG_SCR:
		u->scr = v;
		return;
	default: /* LSR and MSR are read-only: writes do nothing */
		return;
	}
}

/* A wider access reaches consecutive registers one byte at a time, as on the ISA bus. */
static uint64_t uart_read(void *opaque, uint64_t offset, unsigned size)
{
	struct uart16550 *u = opaque;
	uint64_t value = 0;

	pthread_mutex_lock(&u->lock);
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = offset + i < UART_REG_COUNT ? read_reg(u, (unsigned)(offset + i)) : 0xff;

		value |= (uint64_t)b << (8 * i);
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return value;
}

static void uart_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct uart16550 *u = opaque;

	pthread_mutex_lock(&u->lock);
	for (unsigned i = 0; i < size && offset + i < UART_REG_COUNT; i++)
		write_reg(u, (unsigned)(offset + i), (uint8_t)(value >> (8 * i)));
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

const struct io_device_ops uart16550_ops = { .read = uart_read, .write = uart_write, .sizes = IO_SIZES_ALL };

size_t uart16550_receive(struct uart16550 *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	while (n < len && u->rx_count < rx_capacity(u))
		rx_push(u, buf[n++]);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}
