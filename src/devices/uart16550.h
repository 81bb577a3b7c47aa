/* A 16550A UART (National Semiconductor PC16550D data sheet): eight registers, a
 * 16-byte receive FIFO, the modem-control loopback that drivers use to detect the
 * chip, and one interrupt line.
 *
 * Transmission is instantaneous: a byte written to THR goes straight to the back
 * end, so the transmitter always reads empty.
 *
 * Threads: the vCPU thread accesses the registers; the I/O thread delivers host
 * input with uart_receive(). Both take the UART's lock; the IRQ line is driven
 * with the lock held (lock order: UART, then interrupt controller). */
#ifndef RV_UART16550_H
#define RV_UART16550_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/chardev.h"
#include "devices/irq.h"
#include "state/device_state.h"
#include "vm/bus.h"

#define UART_FIFO_SIZE 16
#define UART_COM1_BASE 0x3f8
#define UART_COM1_IRQ 4
#define UART_REG_COUNT 8

struct uart16550 {
	pthread_mutex_t lock;
	uint8_t rbr_fifo[UART_FIFO_SIZE];
	unsigned rx_head, rx_count;
	uint8_t ier, lcr, mcr, lsr_extra, msr_delta, scr, fcr;
	uint16_t divisor;
	bool thre_pending; /* THR-empty interrupt not yet acknowledged */
	bool irq_level;
	struct irq_line irq;
	struct chardev out;
	/* Called (with the lock held) when the guest drains the receive FIFO, so the
	 * back end can deliver input it had to hold back. May be NULL. */
	void (*rx_ready)(void *opaque);
	void *rx_ready_opaque;
};

extern const struct io_device_ops uart16550_ops;

void uart16550_init(struct uart16550 *u, struct irq_line irq, struct chardev out);
void uart16550_destroy(struct uart16550 *u);
/* The registers back to what uart16550_init leaves, the FIFO emptied; the
 * IRQ line is taken as low without being driven (a VM-wide reset: the
 * interrupt controllers reset too). */
void uart16550_reset(struct uart16550 *u);

/* Saved state (uart16550_state.c, docs/snapshot-format.md); dev: the struct
 * uart16550. */
extern const struct device_state_ops uart16550_state_ops;
/* For the state loader: whether the registers of u (its lock unused) hold
 * only what the chip can come to hold: no reserved IER, MCR or FCR bits, only
 * the modelled LSR error and MSR delta bits, no more received bytes than the
 * receive buffer holds in the FIFO mode FCR selects, a head inside the FIFO. */
bool uart16550_registers_valid(const struct uart16550 *u);
/* Host input: returns how many bytes of buf the receive FIFO took. */
size_t uart16550_receive(struct uart16550 *u, const uint8_t *buf, size_t len);

#endif
