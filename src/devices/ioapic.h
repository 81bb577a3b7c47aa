/* An I/O APIC: the Intel 82093AA (data sheet 290566, "82093AA I/O Advanced
 * Programmable Interrupt Controller") as integrated in the ICH chipsets, i.e.
 * version 0x20 with 24 input pins and the EOI register at offset 0x40.
 *
 * Registers, reached through the 4 KiB MMIO window (82093AA section 3.1):
 *   0x00 IOREGSEL  bits 7:0 select the indirect register; 31:8 read 0
 *   0x10 IOWIN     the selected indirect register
 *   0x40 EOI       a write clears Remote IRR of level entries with vector bits 7:0
 * Indirect registers (section 3.2), anything else reads 0 and ignores writes:
 *   0x00 ID        bits 27:24 R/W
 *   0x01 version   0x00170020: version 0x20, maximum redirection entry 0x17
 *   0x02 arbitration ID, bits 27:24 RO; loaded with the ID whenever the ID is
 *        written ("same data is loaded into both"), so it always reads as the ID
 *   0x10+2n, 0x11+2n  redirection entry n, low and high dword
 *
 * Access sizes: the data sheet says every register is accessed with 32-bit loads
 * and stores, and says nothing of wider ones. The device implements 1, 2 and 4
 * bytes (ioapic_ops.sizes); the bus splits a qword into two dwords, the two
 * accesses the data sheet allows in its place (as it does for the local APIC,
 * whose manual says so). Only an aligned 32-bit access at 0x00, 0x10 or 0x40 has
 * an effect. Every other access anywhere in the window (a byte or word, a dword
 * at another offset) reads 0 and its write is ignored; this includes a byte write
 * to IOREGSEL (which the 82093AA, behind the PIIX3, also accepted). Linux uses
 * dword accesses only.
 *
 * Redirection entry fields (section 3.2.4): vector 7:0, delivery mode 10:8,
 * destination mode 11, delivery status 12 (RO), polarity 13, Remote IRR 14 (RO),
 * trigger mode 15, mask 16, destination 63:56. Reserved bits read 0. After reset
 * every entry is masked (low dword 0x00010000, high dword 0).
 *
 * Delivery (section 3.2.4 and the ICH data sheets' EOI register):
 * - The input a pin presents is its level XOR the polarity bit (low active).
 * - Edge: a rising edge of that input while unmasked sends one message. An edge
 *   while masked is lost: "Edge-sensitive interrupts signaled on a masked
 *   interrupt pin are ignored (i.e., not delivered or held pending)." Rewriting an
 *   entry (polarity, mask, trigger mode) is not an edge and sends nothing.
 * - Level (fixed and lowest-priority modes): while the input is asserted,
 *   unmasked and Remote IRR is clear, one message is sent and Remote IRR set.
 *   An EOI with the entry's vector clears Remote IRR, and if the input is still
 *   asserted and unmasked the message is sent again at once. Unmasking (or
 *   switching to level) an asserted pin sends too: a level is sampled, not an event.
 * - SMI, NMI, INIT and ExtINT are edge triggered whatever the trigger mode bit
 *   says (the data sheet requires edge for them), and never set Remote IRR.
 * - Delivery modes 3 and 6 are reserved: such an entry sends nothing.
 * - Delivery is instant (the message reaches the local APICs inside the call), so
 *   Delivery Status always reads 0.
 * - Writing trigger mode = edge clears Remote IRR (its meaning is undefined for
 *   edge). Linux relies on real parts doing so to clear a stuck Remote IRR on
 *   I/O APICs without the EOI register (mask, set edge, set level, unmask).
 *
 * Not modelled: the ICH ID register's scratchpad bit 15, the pin assertion
 * register (version bit 15, PRQ, reads 0), the APIC serial bus (messages go
 * straight to the local APICs), interrupt remapping, a 64-bit access split into
 * two dwords.
 *
 * Registration (by the VM owner): MMIO at IOAPIC_DEFAULT_BASE, length
 * IOAPIC_MMIO_LEN, ioapic_ops, opaque the struct ioapic.
 *
 * Threads: one mutex serializes everything; any thread may call any function
 * (vCPUs for MMIO and EOIs, device threads for lines). env.deliver is called with
 * that mutex held. Lock order: a device's own lock, then the I/O APIC, then a
 * local APIC. So deliver must not call back into the I/O APIC, and ioapic_eoi
 * must be called without any local APIC lock held. */
#ifndef RV_IOAPIC_H
#define RV_IOAPIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"
#include "log.h"
#include "state/device_state.h"
#include "vm/bus.h"

#define IOAPIC_DEFAULT_BASE 0xfec00000ull
#define IOAPIC_MMIO_LEN 0x1000
#define IOAPIC_PINS 24

/* Delivery modes (redirection entry bits 10:8). */
#define IOAPIC_DM_FIXED 0
#define IOAPIC_DM_LOWEST 1
#define IOAPIC_DM_SMI 2
#define IOAPIC_DM_NMI 4
#define IOAPIC_DM_INIT 5
#define IOAPIC_DM_EXTINT 7

/* One interrupt message to the local APICs. */
struct ioapic_message {
	uint8_t vector;		/* as programmed; meaningless for SMI, NMI, INIT, ExtINT */
	uint8_t dest;		/* entry bits 63:56, unchanged */
	bool logical;		/* destination mode */
	unsigned delivery_mode; /* IOAPIC_DM_*; never a reserved mode */
	bool level;		/* level triggered: the local APIC sets TMR and broadcasts EOI */
};

struct ioapic_env {
	/* Deliver an interrupt message to the local APICs. Called with the I/O APIC
	 * lock held (lock order: I/O APIC, then LAPIC). May be NULL. */
	void (*deliver)(void *opaque, const struct ioapic_message *m);
	void *opaque;
};

struct ioapic {
	pthread_mutex_t lock;
	struct ioapic_env env;
	uint8_t id;		     /* ID register bits 27:24 */
	uint8_t power_on_id;	     /* what id is after init and reset */
	uint8_t regsel;		     /* IOREGSEL bits 7:0 */
	uint32_t pin_level;	     /* raw level of each input pin, before polarity */
	uint64_t redir[IOAPIC_PINS]; /* only the defined bits are ever set */
	struct log_ratelimit odd_access_log;
};

extern const struct io_device_ops ioapic_ops; /* opaque: struct ioapic */

/* id: the power-on ID (bits 3:0 used). env is copied. */
void ioapic_init(struct ioapic *io, uint8_t id, const struct ioapic_env *env);
void ioapic_destroy(struct ioapic *io);
/* Back to what ioapic_init leaves; every input low (a VM-wide reset: the
 * devices drop their lines too). */
void ioapic_reset(struct ioapic *io);

/* Saved state (ioapic_state.c, docs/snapshot-format.md); dev: the struct
 * ioapic. */
extern const struct device_state_ops ioapic_state_ops;
/* For the state loader: whether a redirection entry holds only defined bits,
 * with Remote IRR only in a level-triggered one. */
bool ioapic_entry_valid(uint64_t entry);

/* Drive input pin to level (0 low, nonzero high); pins >= IOAPIC_PINS are ignored. */
void ioapic_set_irq(struct ioapic *io, unsigned pin, int level);
/* The same with irq_line's signature (controller is the struct ioapic). */
void ioapic_irq_set(void *controller, unsigned pin, int level);

static inline struct irq_line ioapic_irq_line(struct ioapic *io, unsigned pin)
{
	return (struct irq_line){ .set = ioapic_irq_set, .controller = io, .pin = pin };
}

/* EOI broadcast from a local APIC: clear Remote IRR of level-triggered entries
 * with this vector; if the pin is still asserted and unmasked, deliver again.
 * Called without any local APIC lock held. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

#endif
