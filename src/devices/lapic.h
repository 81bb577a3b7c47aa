/* The local APIC of one vCPU in xAPIC mode: its 4 KiB of registers in memory
 * space (Intel SDM Vol. 3A, "Advanced Programmable Interrupt Controller (APIC)"),
 * the priority logic between its interrupt sources and the CPU, and its timer.
 *
 * Registration (done by the VM owner): MMIO at LAPIC_DEFAULT_BASE, length
 * LAPIC_MMIO_LEN, lapic_ops, opaque the struct lapic. IA32_APIC_BASE (relocation,
 * global disable, x2APIC) belongs to the CPU model, not to this device.
 *
 * Accesses: registers are 32 bits at 16-byte aligned offsets, and the device
 * implements accesses of 1, 2 and 4 bytes (lapic_ops.sizes). The SDM (Vol. 3A,
 * "Local APIC Register Address Map") has 32-bit registers accessed by 32-bit
 * loads and stores, leaves narrower ones model specific, makes an access that
 * touches bytes 4-15 of a register undefined, and has wider registers "accessed
 * using multiple 32-bit loads or stores": so the bus splits an 8-byte access into
 * two 4-byte ones (at a register's offset: the register, then its bytes 4-7,
 * which read 0 and ignore writes). A write counts only if it is 4 bytes wide at
 * the register's offset. A read of 1 or 2 bytes within a register's first 4
 * bytes returns those bytes; every other read returns 0 and every other write is
 * ignored. An access to an offset where no register is sets the
 * ESR's "illegal register address" error, as on Pentium 4 and later.
 *
 * Modelled: ID (read-only: the SDM makes writes model specific, and the firmware
 * tables name this ID), version 0x00050014 (integrated APIC 14H, six LVT entries,
 * no EOI-broadcast suppression), TPR, APR and PPR, EOI, LDR and DFR (flat and
 * cluster models), SVR (spurious vector and software enable), ISR/TMR/IRR, ESR,
 * ICR, the LVT timer, thermal, performance-counter, LINT0, LINT1 and error
 * entries, and the timer (one-shot and periodic, every divider). The thermal and
 * performance-counter entries are storage: nothing raises them. There is no CMCI
 * entry (0x2f0 is reserved, as the version's max LVT entry 5 says).
 *
 * Not modelled / choices where the SDM leaves room:
 * - TSC-deadline mode: CPUID does not advertise it, so LVT timer bit 18 is
 *   reserved: it reads 0 and a mode of 10b is one-shot, 11b periodic.
 * - A write that changes the timer mode stops the timer (SDM "TSC-Deadline Mode":
 *   it "disarms the local APIC timer"); a divider change keeps the count and goes
 *   on at the new rate.
 * - Initial state: what a PC BIOS leaves for an OS in MP "virtual wire mode",
 *   not the power-on state, so a guest that only programs the 8259 still gets its
 *   interrupts through LINT0: SVR 0x1ff (enabled, spurious vector 0xff), LINT0
 *   ExtINT unmasked (0x700), LINT1 NMI unmasked (0x400), the other LVT entries
 *   masked (0x10000), TPR 0, LDR 0, DFR 0xffffffff (flat), ID apic_id << 24, the
 *   timer stopped with divide configuration 0 (divide by 2).
 * - Software disabled (SVR bit 8 clear): every LVT entry is masked and stays
 *   masked until the guest unmasks it after enabling again; fixed and
 *   lowest-priority messages and ExtINT messages are not accepted; NMI still is.
 *   What is already in IRR and ISR is kept and still dispatched ("held and
 *   require masking or handling by the CPU", SDM "Local APIC State After It Has
 *   Been Software Disabled").
 * - Interrupt commands (ICR): there is one vCPU. A fixed (or lowest-priority)
 *   IPI whose destination includes this LAPIC (self or all-including-self
 *   shorthand, or a destination lapic_accepts()) is delivered to it as an edge;
 *   an NMI IPI to itself sets the pending NMI. Everything else (INIT, start-up,
 *   SMI, IPIs to other destinations) is accepted and dropped. Delivery status
 *   always reads 0 (idle): delivery is instantaneous.
 * - ESR: send and receive illegal vector (vectors 0-15) and illegal register
 *   address. Errors collect until an ESR write moves them into the register the
 *   guest reads; the first error after such a write (or after reset) raises the
 *   LVT error interrupt, and the write re-arms it.
 * - LINT pins: fixed delivery is edge (the rising edge of the asserted level,
 *   after the polarity bit) or level (while asserted: IRR with TMR set, remote IRR
 *   set until the EOI of that vector); NMI is the rising edge; ExtINT is the
 *   asserted level and bypasses IRR, ISR and PPR. SMI and INIT deliveries are not
 *   modelled (ignored), and so are SMI, INIT and start-up messages.
 * - NMI: kept as one pending flag (lapic_take_nmi); an engine that cannot inject
 *   NMIs yet leaves it set.
 * - When an ExtINT and a fixed interrupt are both ready, the ExtINT is taken
 *   first: it is outside the priority scheme.
 *
 * Threads: any thread may call every function here (the vCPU thread for MMIO,
 * pending and acknowledge; the timer thread for update and next_event; device
 * threads through the I/O APIC for deliver and set_lint). The LAPIC's mutex
 * serializes them. Callbacks: changed() and timer_changed() are called with the
 * lock held; extint_acknowledge() and eoi_broadcast() without it, so the 8259 and
 * the I/O APIC may call back into the LAPIC (the 8259's INTR callback may drive
 * lapic_set_lint, the I/O APIC may deliver again) and no lock order between the
 * LAPIC and them arises from the LAPIC's side. */
#ifndef RV_LAPIC_H
#define RV_LAPIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/lapic_timer.h"
#include "state/device_state.h"
#include "vm/bus.h"

#define LAPIC_DEFAULT_BASE 0xfee00000ull
#define LAPIC_MMIO_LEN 0x1000
/* LAPIC_TIMER_HZ, the timer's input clock before the divider, is in
 * devices/lapic_timer.h with the reason for its value. */

/* Delivery modes (SDM "Interrupt Command Register", "Local Vector Table"). */
#define LAPIC_DM_FIXED 0
#define LAPIC_DM_LOWEST 1
#define LAPIC_DM_SMI 2
#define LAPIC_DM_NMI 4
#define LAPIC_DM_INIT 5
#define LAPIC_DM_STARTUP 6
#define LAPIC_DM_EXTINT 7

/* The LVT entries, in register order from 0x320. */
enum lapic_lvt {
	LAPIC_LVT_TIMER,
	LAPIC_LVT_THERMAL,
	LAPIC_LVT_PERF,
	LAPIC_LVT_LINT0,
	LAPIC_LVT_LINT1,
	LAPIC_LVT_ERROR
};
#define LAPIC_LVT_COUNT 6
/* LVT timer bit 17: periodic mode (bit 18, TSC-deadline, is not offered). */
#define LAPIC_LVT_TIMER_PERIODIC (1u << 17)

struct lapic_env {
	uint64_t (*now_ns)(void *opaque); /* monotonic ns (tests pass a fake clock) */
	/* Called with the LAPIC lock held when lapic_pending() may have become true,
	 * or an NMI became pending: the VM wakes/kicks the vCPU. Must not call back
	 * into the LAPIC. May be NULL. */
	void (*changed)(void *opaque);
	/* INTA cycle to the 8259 for an ExtINT (through LINT0 or an ExtINT message);
	 * returns the vector. Called WITHOUT the LAPIC lock held from inside
	 * lapic_acknowledge(), so the 8259 may lower INTR into lapic_set_lint(). May
	 * be NULL: the spurious vector is answered. */
	int (*extint_acknowledge)(void *opaque);
	/* EOI of a level-triggered vector (TMR bit set): broadcast to the I/O APIC.
	 * Called WITHOUT the LAPIC lock held, because the I/O APIC may deliver
	 * again. May be NULL. */
	void (*eoi_broadcast)(void *opaque, uint8_t vector);
	/* Called with the LAPIC lock held when lapic_next_event_ns() may have become
	 * earlier (the guest started the timer, changed its divider or unmasked it),
	 * so that a sleeping timer thread looks again. Must not call back into the
	 * LAPIC. May be NULL. */
	void (*timer_changed)(void *opaque);
	void *opaque;
};

struct lapic {
	pthread_mutex_t lock;
	struct lapic_env env;
	uint8_t id;
	uint32_t tpr, ldr, dfr, svr;
	uint32_t icr_lo, icr_hi;
	uint32_t lvt[LAPIC_LVT_COUNT]; /* as read, remote IRR included */
	uint32_t divide_config;
	/* 256-bit sets, 32 vectors a word: word i is the register at base + 0x10 * i. */
	uint32_t irr[8], isr[8], tmr[8];
	uint32_t esr;		/* what the ESR reads: errors moved in by the last write */
	uint32_t esr_collected; /* errors since that write */
	bool esr_armed;		/* the next error raises the LVT error interrupt */
	bool lint_level[2];	/* the pins as driven (before the polarity bit) */
	bool extint_message;	/* an ExtINT message waits for its INTA */
	bool nmi_pending;
	bool kick; /* something new arrived during this call */
	struct lapic_timer timer;
};

extern const struct io_device_ops lapic_ops; /* opaque: struct lapic */

/* env is copied. */
void lapic_init(struct lapic *l, uint8_t apic_id, const struct lapic_env *env);
void lapic_destroy(struct lapic *l);
/* The registers back to what lapic_init leaves (the ID and env stay). */
void lapic_reset(struct lapic *l);

/* Saved state (lapic_state.c, docs/snapshot-format.md); dev: the struct
 * lapic. */
extern const struct device_state_ops lapic_state_ops;
/* For the state loader: whether the registers of l (its lock unused) hold
 * only bits a guest can set there: reserved and read-only bits clear (remote
 * IRR only in the LINT entries), every entry masked while the LAPIC is
 * software disabled, no vector below 16 in IRR, ISR or TMR, only modelled
 * ESR bits. */
bool lapic_registers_valid(const struct lapic *l);

/* An interrupt message (from the I/O APIC): delivery mode per the SDM encoding
 * (LAPIC_DM_*); level: level-triggered (sets TMR). Vectors 0-15 of fixed and
 * lowest-priority messages are refused with a receive-illegal-vector error. */
void lapic_deliver(struct lapic *l, uint8_t vector, unsigned delivery_mode, bool level);
/* Whether this LAPIC accepts a message with this destination (physical: APIC ID
 * or 0xff broadcast; logical: flat model, any common bit with LDR bits 31-24;
 * cluster model (any DFR model but 1111b), cluster LDR bits 31-28 or 0xf for all
 * clusters, and a common bit with LDR bits 27-24). */
bool lapic_accepts(struct lapic *l, uint8_t dest, bool logical);
/* Levels of the LINT0/LINT1 pins (LINT0 is wired to the 8259's INTR); other pins
 * are ignored. */
void lapic_set_lint(struct lapic *l, unsigned pin, int level);
/* CPU side: a maskable interrupt is ready (highest IRR priority class above
 * PPR's, or an ExtINT ready). */
bool lapic_pending(struct lapic *l);
/* The INTA cycle: the vector to deliver, IRR->ISR (fixed) or the 8259's vector
 * (ExtINT, no ISR bit); the spurious vector (SVR bits 7:0) if nothing is pending
 * any more. */
int lapic_acknowledge(struct lapic *l);
/* Returns and clears the pending NMI (LINT1, or an NMI message or self-IPI). */
bool lapic_take_nmi(struct lapic *l);
/* Timer: brings the timer up to date with now_ns (sets the timer vector in IRR
 * when it expired; periodic reloads), and the now_ns at which it next fires,
 * UINT64_MAX if none (stopped, or masked: a masked timer counts but raises
 * nothing). A timer thread calls both; guest MMIO accesses also bring the timer
 * up to date. */
void lapic_update(struct lapic *l);
/* lapic_update at the time now rather than the clock's (for saving). */
void lapic_update_at(struct lapic *l, uint64_t now);
uint64_t lapic_next_event_ns(struct lapic *l);

#endif
