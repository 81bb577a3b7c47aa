/* The PC's pair of 8259A programmable interrupt controllers (Intel 8259A data
 * sheet) and the PIIX edge/level control registers (ELCR).
 *
 * Wiring, as on the PC: the master answers ports 0x20-0x21, the slave 0xa0-0xa1,
 * and the slave's INT output drives the master's IR2. Inputs are numbered 0-15:
 * 0-7 on the master, 8-15 on the slave. Input 2 is the cascade and ignores
 * set_irq (a device on the ISA IRQ2/9 pin uses 9).
 *
 * Registration (done by the VM owner), one opaque per chip:
 *   port 0x20, length 2, pic8259_ops,      opaque pic8259_master(p)
 *   port 0xa0, length 2, pic8259_ops,      opaque pic8259_slave(p)
 *   port 0x4d0, length 2, pic8259_elcr_ops, opaque p (0x4d0 master, 0x4d1 slave)
 * Every access size is taken as byte accesses on consecutive ports; the bus
 * hands bytes past a chip's range to whatever owns them (vm/bus.h).
 *
 * Modelled: ICW1-ICW4 (edge/level, single/cascade, ICW4 optional, auto-EOI),
 * OCW1 (IMR), OCW2 (every EOI, rotate and set-priority form), OCW3 (IRR/ISR
 * read select, poll, special mask mode), fixed and rotating priority, the
 * default (spurious) IR7 answer of either chip.
 * Not modelled: special fully nested mode, buffered mode, MCS-80/85 mode (vectors
 * are always 8086 style: ICW2 & 0xf8 plus the IR), ICW3 on the master other than
 * the fixed cascade on IR2 (the slave is always wired to IR2).
 *
 * Choices where the data sheet leaves room:
 * - An edge-triggered request stays latched in IRR after its line falls, so a
 *   device that pulses its line (raise then lower at once) is not lost. (The
 *   data sheet requires the line to stay high until INTA, else a default IR7.)
 *   A level-triggered IRR bit follows its line.
 * - The cascade input (master IR2) follows the slave's INT output as a level,
 *   whatever mode the master's IR2 is in, so no slave request can be lost.
 * - Before the guest's ICW1 the pair is as a PC BIOS leaves it: vector bases
 *   0x08 and 0x70, cascade, 8086 mode, and every input masked.
 * - Level triggering of an input is ICW1.LTIM of its chip OR its ELCR bit.
 *
 * Threads: the vCPU thread accesses the ports and acknowledges; device threads
 * raise lines. Everything takes the PIC's lock. Lock order: a device's own lock,
 * then the PIC's lock (devices call pic8259_set_irq holding their lock). The PIC
 * never calls into a device. intr_changed is called with the PIC lock held: it
 * must not call back into the PIC; kicking a vCPU is what it is for. */
#ifndef RV_PIC8259_H
#define RV_PIC8259_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"
#include "state/device_state.h"
#include "vm/bus.h"

#define PIC_MASTER_BASE 0x20
#define PIC_SLAVE_BASE 0xa0
#define PIC_ELCR_BASE 0x4d0
#define PIC_PORT_COUNT 2
#define PIC_ELCR_PORT_COUNT 2
#define PIC_IRQ_COUNT 16
#define PIC_CASCADE_IR 2

struct pic8259;

struct pic8259_chip {
	struct pic8259 *pic;
	bool is_slave;
	uint8_t irr, isr, imr;
	uint8_t line;	     /* current level of each input */
	uint8_t elcr;	     /* PIIX edge/level control: 1 = level */
	uint8_t vector_base; /* ICW2 bits 7-3 */
	uint8_t icw3;	     /* kept for completeness; wiring is fixed */
	uint8_t lowest;	     /* the IR with the lowest priority (7 after ICW1) */
	unsigned init_step;  /* 0 = ready; 2, 3, 4 = the ICW expected next */
	bool ltim;	     /* ICW1 bit 3: level triggered */
	bool single;	     /* ICW1 bit 1: no ICW3 */
	bool icw4_needed;    /* ICW1 bit 0 */
	bool auto_eoi;	     /* ICW4 bit 1 */
	bool rotate_on_aeoi; /* OCW2 R=1 SL=0 EOI=0 */
	bool special_mask;   /* OCW3 SMM */
	bool read_isr;	     /* OCW3 RIS: the even port reads ISR, else IRR */
	bool poll;	     /* OCW3 P: the next read is a poll */
};

struct pic8259 {
	pthread_mutex_t lock;
	struct pic8259_chip chip[2]; /* [0] master, [1] slave */
	bool intr;		     /* the INTR line to the CPU */
	/* Set by the VM before vCPUs start; called with the PIC lock held whenever
	 * INTR changes. May be NULL. */
	void (*intr_changed)(void *opaque, bool asserted);
	void *intr_opaque;
};

extern const struct io_device_ops pic8259_ops;	    /* opaque: a struct pic8259_chip */
extern const struct io_device_ops pic8259_elcr_ops; /* opaque: the struct pic8259 */

void pic8259_init(struct pic8259 *p);
void pic8259_destroy(struct pic8259 *p);
/* Back to what pic8259_init leaves, every input low (a VM-wide reset: the
 * devices drop their lines too); INTR follows through intr_changed. */
void pic8259_reset(struct pic8259 *p);

/* Saved state (pic8259_state.c, docs/snapshot-format.md); dev: the struct
 * pic8259. */
extern const struct device_state_ops pic8259_state_ops;
/* For the state loader. Whether a chip's registers hold only what the chip
 * can come to hold: the vector base's low bits clear, a priority and an
 * initialization step in range, only writable ELCR bits, no input on the
 * master's cascade pin, level-triggered requests equal to their lines. */
bool pic8259_chip_valid(const struct pic8259_chip *c);
/* After the registers were replaced (PIC lock held): recomputes the cascade
 * input and INTR, telling intr_changed if INTR changed. */
void pic8259_resync_locked(struct pic8259 *p);

static inline struct pic8259_chip *pic8259_master(struct pic8259 *p)
{
	return &p->chip[0];
}

static inline struct pic8259_chip *pic8259_slave(struct pic8259 *p)
{
	return &p->chip[1];
}

/* Drive input irq (0-15; others ignored) to level (0 low, nonzero high). */
void pic8259_set_irq(struct pic8259 *p, unsigned irq, int level);
/* The same, with irq_line's signature (controller is the struct pic8259). */
void pic8259_irq_set(void *controller, unsigned pin, int level);

static inline struct irq_line pic8259_irq_line(struct pic8259 *p, unsigned irq)
{
	return (struct irq_line){ .set = pic8259_irq_set, .controller = p, .pin = irq };
}

/* Whether INTR is asserted. */
bool pic8259_pending(struct pic8259 *p);
/* The INTA cycle: returns the vector and moves the request from IRR to ISR
 * (in the slave too for a cascaded request). With no request to answer, the
 * chip answers with its IR7 vector and sets no ISR bit (the data sheet's
 * default IR7): base+7 from the master, or the slave's base+7 with master ISR
 * bit 2 set if the master chose the cascade and the slave had nothing. */
int pic8259_acknowledge(struct pic8259 *p);

#endif
