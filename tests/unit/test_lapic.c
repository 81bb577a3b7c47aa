/* The local APIC (src/devices/lapic.c) against the Intel SDM Vol. 3A chapter
 * "Advanced Programmable Interrupt Controller (APIC)": "Local APIC Register
 * Address Map", "Local APIC Version Register", "Local APIC State After It Has
 * Been Software Disabled", "Local Vector Table", "Error Handling", "APIC Timer",
 * "Interrupt Command Register (ICR)", "Determining IPI Destination", "Task and
 * Processor Priorities", "Interrupt Acceptance for Fixed Interrupts", "Signaling
 * Interrupt Servicing Completion" and "Spurious Interrupt".
 *
 * Vector sets: vector v is bit v % 32 of the 32-bit register at base + 0x10 *
 * (v / 32) (ISR 0x100, TMR 0x180, IRR 0x200).
 *
 * Time: the fake clock starts at T0; with LAPIC_TIMER_HZ input clocks per second
 * before the divider, one count lasts divider * 10^9 / LAPIC_TIMER_HZ ns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/lapic.h"
#include "unit_helpers.h"

#define APIC_ID 5
#define T0 1000000000000ull

#define ID 0x020
#define VERSION 0x030
#define TPR 0x080
#define APR 0x090
#define PPR 0x0a0
#define EOI 0x0b0
#define LDR 0x0d0
#define DFR 0x0e0
#define SVR 0x0f0
#define ISR 0x100
#define TMR 0x180
#define IRR 0x200
#define ESR 0x280
#define CMCI 0x2f0
#define ICR_LO 0x300
#define ICR_HI 0x310
#define LVT_TIMER 0x320
#define LVT_THERMAL 0x330
#define LVT_PERF 0x340
#define LVT_LINT0 0x350
#define LVT_LINT1 0x360
#define LVT_ERROR 0x370
#define INITIAL_COUNT 0x380
#define CURRENT_COUNT 0x390
#define DIVIDE 0x3e0

#define MASKED 0x10000u
#define PERIODIC 0x20000u
#define LEVEL 0x8000u
#define REMOTE_IRR 0x4000u
#define ACTIVE_LOW 0x2000u
#define DM_NMI 0x400u
#define DM_EXTINT 0x700u
#define ICR_SELF 0x40000u
#define ICR_ALL_INCLUDING_SELF 0x80000u
#define ICR_ALL_EXCLUDING_SELF 0xc0000u
#define ICR_LOGICAL 0x800u
#define ESR_SEND_ILLEGAL 0x20u
#define ESR_RECEIVE_ILLEGAL 0x40u
#define ESR_ILLEGAL_REGISTER 0x80u
#define DIVIDE_BY_1 0xbu
#define PIC_VECTOR 0x21

struct harness {
	struct lapic l;
	uint64_t now;
	unsigned changed;
	unsigned timer_changed;
	unsigned intas;
	bool inta_lowers_lint0; /* the 8259 drops INTR during its INTA */
	uint8_t broadcasts[16];
	unsigned nbroadcasts;
	int redeliver_on_eoi; /* vector the "I/O APIC" delivers again from eoi_broadcast, or -1 */
};

static uint64_t fake_now(void *opaque)
{
	return ((struct harness *)opaque)->now;
}

static void on_changed(void *opaque)
{
	((struct harness *)opaque)->changed++;
}

static void on_timer_changed(void *opaque)
{
	((struct harness *)opaque)->timer_changed++;
}

static int on_inta(void *opaque)
{
	struct harness *h = opaque;

	h->intas++;
	if (h->inta_lowers_lint0)
		lapic_set_lint(&h->l, 0, 0); /* deadlocks if the LAPIC lock were held */
	return PIC_VECTOR;
}

static void on_eoi_broadcast(void *opaque, uint8_t vector)
{
	struct harness *h = opaque;

	if (h->nbroadcasts < sizeof(h->broadcasts))
		h->broadcasts[h->nbroadcasts++] = vector;
	if (h->redeliver_on_eoi >= 0)
		lapic_deliver(&h->l, (uint8_t)h->redeliver_on_eoi, LAPIC_DM_FIXED, true);
}

static int lapic_setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));
	struct lapic_env env = {
		.now_ns = fake_now,
		.changed = on_changed,
		.extint_acknowledge = on_inta,
		.eoi_broadcast = on_eoi_broadcast,
		.timer_changed = on_timer_changed,
	};

	if (!h)
		return -1;
	h->now = T0;
	h->redeliver_on_eoi = -1;
	env.opaque = h;
	lapic_init(&h->l, APIC_ID, &env);
	*state = h;
	return 0;
}

static int lapic_teardown(void **state)
{
	struct harness *h = *state;

	lapic_destroy(&h->l);
	free(h);
	return 0;
}

static uint32_t rd(struct harness *h, unsigned offset)
{
	return (uint32_t)lapic_ops.read(&h->l, offset, 4);
}

static void wr(struct harness *h, unsigned offset, uint32_t value)
{
	lapic_ops.write(&h->l, offset, 4, value);
}

static bool in_set(struct harness *h, unsigned base, unsigned vector)
{
	return rd(h, base + 0x10 * (vector / 32)) & (1u << (vector % 32));
}

static uint32_t esr(struct harness *h)
{
	wr(h, ESR, 0); /* "software should first write to it" */
	return rd(h, ESR);
}

static void fixed(struct harness *h, uint8_t vector)
{
	lapic_deliver(&h->l, vector, LAPIC_DM_FIXED, false);
}

/* Acknowledge, expecting vector. */
static void take(struct harness *h, int vector)
{
	assert_true(lapic_pending(&h->l));
	assert_int_equal(lapic_acknowledge(&h->l), vector);
}

static void test_lapic_reset_is_bios_virtual_wire_state(void **state)
{
	struct harness *h = *state;

	assert_int_equal(rd(h, ID), APIC_ID << 24);
	/* Version 14H (integrated APIC, 10H-15H), max LVT entry = 6 entries - 1 in
	 * bits 23-16, no EOI-broadcast suppression (bit 24). */
	assert_int_equal(rd(h, VERSION), 0x00050014);
	assert_int_equal(rd(h, TPR), 0);
	assert_int_equal(rd(h, APR), 0);
	assert_int_equal(rd(h, PPR), 0);
	assert_int_equal(rd(h, LDR), 0);
	assert_int_equal(rd(h, DFR), 0xffffffff);
	/* BIOS virtual wire: enabled, spurious vector 0xff, LINT0 ExtINT, LINT1 NMI. */
	assert_int_equal(rd(h, SVR), 0x1ff);
	assert_int_equal(rd(h, LVT_TIMER), MASKED);
	assert_int_equal(rd(h, LVT_THERMAL), MASKED);
	assert_int_equal(rd(h, LVT_PERF), MASKED);
	assert_int_equal(rd(h, LVT_LINT0), 0x700);
	assert_int_equal(rd(h, LVT_LINT1), 0x400);
	assert_int_equal(rd(h, LVT_ERROR), MASKED);
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(rd(h, ISR + 0x10 * i), 0);
		assert_int_equal(rd(h, TMR + 0x10 * i), 0);
		assert_int_equal(rd(h, IRR + 0x10 * i), 0);
	}
	assert_int_equal(esr(h), 0);
	assert_int_equal(rd(h, ICR_LO), 0);
	assert_int_equal(rd(h, ICR_HI), 0);
	assert_int_equal(rd(h, INITIAL_COUNT), 0);
	assert_int_equal(rd(h, CURRENT_COUNT), 0);
	assert_int_equal(rd(h, DIVIDE), 0);
	assert_false(lapic_pending(&h->l));
	assert_false(lapic_take_nmi(&h->l));
	assert_int_equal(lapic_next_event_ns(&h->l), UINT64_MAX);
}

static void test_lapic_read_only_registers_ignore_writes(void **state)
{
	struct harness *h = *state;
	static const unsigned read_only[] = { ID, VERSION, APR, PPR, CURRENT_COUNT };

	fixed(h, 0x31);
	take(h, 0x31);					  /* ISR word 1 bit 17 */
	lapic_deliver(&h->l, 0x92, LAPIC_DM_FIXED, true); /* IRR and TMR word 4 bit 18 */
	for (unsigned i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++)
		wr(h, read_only[i], 0xa5a5a5a5);
	for (unsigned i = 0; i < 8; i++) {
		wr(h, ISR + 0x10 * i, 0xffffffff);
		wr(h, TMR + 0x10 * i, 0xffffffff);
		wr(h, IRR + 0x10 * i, 0);
	}
	assert_int_equal(rd(h, ID), APIC_ID << 24);
	assert_int_equal(rd(h, VERSION), 0x00050014);
	assert_int_equal(rd(h, PPR), 0x30);
	assert_int_equal(rd(h, CURRENT_COUNT), 0);
	assert_int_equal(rd(h, ISR + 0x10), 1u << 17);
	assert_int_equal(rd(h, ISR), 0);
	assert_int_equal(rd(h, TMR + 0x40), 1u << 18);
	assert_int_equal(rd(h, TMR), 0);
	assert_int_equal(rd(h, IRR + 0x40), 1u << 18);
}

static void test_lapic_reserved_bits_read_zero(void **state)
{
	struct harness *h = *state;

	/* Register figures: TPR bits 7-0; LDR 31-24; DFR model 31-28, the rest reads
	 * 1s; SVR 8-0 here (focus checking and EOI suppression not offered); divide
	 * bits 3, 1, 0; ICR high 31-24; ICR low without delivery status (12) and bits
	 * 13, 16-17, 20-31. */
	wr(h, TPR, 0xffffffff);
	assert_int_equal(rd(h, TPR), 0xff);
	wr(h, LDR, 0xffffffff);
	assert_int_equal(rd(h, LDR), 0xff000000);
	wr(h, DFR, 0);
	assert_int_equal(rd(h, DFR), 0x0fffffff);
	wr(h, SVR, 0xffffffff);
	assert_int_equal(rd(h, SVR), 0x1ff);
	wr(h, DIVIDE, 0xffffffff);
	assert_int_equal(rd(h, DIVIDE), 0xb);
	wr(h, ICR_HI, 0xffffffff);
	assert_int_equal(rd(h, ICR_HI), 0xff000000);
	wr(h, ICR_LO, 0xffffffff & ~0x700u); /* fixed, all excluding self */
	assert_int_equal(rd(h, ICR_LO), 0x000cc8ff);
	/* LVT figure: timer vector, mask, mode bit 17 (18 reserved without
	 * TSC-deadline); thermal/perf add delivery mode; LINT add polarity and
	 * trigger mode (remote IRR is read-only); error vector and mask. */
	wr(h, LVT_TIMER, 0xffffffff);
	assert_int_equal(rd(h, LVT_TIMER), 0x300ff);
	wr(h, LVT_THERMAL, 0xffffffff);
	assert_int_equal(rd(h, LVT_THERMAL), 0x107ff);
	wr(h, LVT_PERF, 0xffffffff);
	assert_int_equal(rd(h, LVT_PERF), 0x107ff);
	wr(h, LVT_LINT0, 0xffffffff);
	assert_int_equal(rd(h, LVT_LINT0), 0x1a7ff);
	wr(h, LVT_LINT1, 0xffffffff);
	assert_int_equal(rd(h, LVT_LINT1), 0x1a7ff);
	wr(h, LVT_ERROR, 0xffffffff);
	assert_int_equal(rd(h, LVT_ERROR), 0x100ff);
}

static void test_lapic_ppr_is_tpr_or_class_of_highest_isr(void **state)
{
	struct harness *h = *state;

	/* "IF TPR[7:4] >= ISRV[7:4] THEN PPR[7:0] <- TPR[7:0] ELSE PPR[7:4] <-
	 * ISRV[7:4], PPR[3:0] <- 0." */
	wr(h, TPR, 0x45);
	assert_int_equal(rd(h, PPR), 0x45);
	fixed(h, 0x61);
	take(h, 0x61);
	assert_int_equal(rd(h, PPR), 0x60);
	wr(h, TPR, 0x6a);
	assert_int_equal(rd(h, PPR), 0x6a);
	wr(h, TPR, 0x5f);
	assert_int_equal(rd(h, PPR), 0x60);
	wr(h, EOI, 0);
	assert_int_equal(rd(h, PPR), 0x5f);
}

static void test_lapic_tpr_holds_back_its_class_and_below(void **state)
{
	struct harness *h = *state;

	wr(h, TPR, 0x50);
	fixed(h, 0x5f);
	/* Only a priority class above the processor priority class is dispatched. */
	assert_false(lapic_pending(&h->l));
	assert_true(in_set(h, IRR, 0x5f));
	/* An INTA with nothing deliverable: the spurious vector, no ISR bit. */
	assert_int_equal(lapic_acknowledge(&h->l), 0xff);
	assert_int_equal(rd(h, ISR + 0x40), 0);
	assert_int_equal(rd(h, ISR + 0x20), 0);
	fixed(h, 0x61);
	take(h, 0x61);
	wr(h, EOI, 0);
	wr(h, TPR, 0x4f);
	take(h, 0x5f);
}

static void test_lapic_apr_from_tpr_irr_and_isr(void **state)
{
	struct harness *h = *state;

	/* "IF (TPR[7:4] >= IRRV[7:4]) AND (TPR[7:4] > ISRV[7:4]) THEN APR[7:0] <-
	 * TPR[7:0] ELSE APR[7:4] <- max(TPR[7:4], ISRV[7:4], IRRV[7:4]), APR[3:0] <- 0." */
	wr(h, TPR, 0x37);
	assert_int_equal(rd(h, APR), 0x37);
	fixed(h, 0x45);
	assert_int_equal(rd(h, APR), 0x40);
	wr(h, TPR, 0x57);
	assert_int_equal(rd(h, APR), 0x57);
	wr(h, TPR, 0);
	take(h, 0x45);
	wr(h, TPR, 0x47);
	assert_int_equal(rd(h, APR), 0x40); /* TPR class not above ISRV's */
}

static void test_lapic_acknowledge_moves_highest_irr_to_isr(void **state)
{
	struct harness *h = *state;

	fixed(h, 0x31);
	fixed(h, 0x92);
	fixed(h, 0x40);
	assert_int_equal(rd(h, IRR + 0x10), 1u << 17);
	assert_int_equal(rd(h, IRR + 0x20), 1u << 0);
	assert_int_equal(rd(h, IRR + 0x40), 1u << 18);
	take(h, 0x92);
	assert_int_equal(rd(h, IRR + 0x40), 0);
	assert_int_equal(rd(h, ISR + 0x40), 1u << 18);
	assert_int_equal(rd(h, PPR), 0x90);
	/* Both remaining requests are of lower classes than the one in service. */
	assert_false(lapic_pending(&h->l));
}

static void test_lapic_lower_class_waits_while_higher_is_in_service(void **state)
{
	struct harness *h = *state;

	fixed(h, 0x80);
	take(h, 0x80);
	fixed(h, 0x71);
	assert_false(lapic_pending(&h->l));
	fixed(h, 0x85); /* same class: not above PPR's */
	assert_false(lapic_pending(&h->l));
	fixed(h, 0x90); /* higher class nests */
	take(h, 0x90);
	assert_int_equal(rd(h, ISR + 0x40), (1u << 16) | (1u << 0));
	/* EOI: the highest-priority ISR bit is cleared. */
	wr(h, EOI, 0);
	assert_int_equal(rd(h, ISR + 0x40), 1u << 0);
	assert_false(lapic_pending(&h->l));
	wr(h, EOI, 0);
	assert_int_equal(rd(h, ISR + 0x40), 0);
	take(h, 0x85);
	wr(h, EOI, 0);
	take(h, 0x71);
	wr(h, EOI, 0);
	assert_false(lapic_pending(&h->l));
	wr(h, EOI, 0); /* nothing in service: no effect */
	assert_int_equal(rd(h, PPR), 0);
}

static void test_lapic_level_vector_sets_tmr_and_its_eoi_is_broadcast(void **state)
{
	struct harness *h = *state;

	lapic_deliver(&h->l, 0x41, LAPIC_DM_FIXED, true);
	assert_int_equal(rd(h, TMR + 0x20), 1u << 1);
	take(h, 0x41);
	wr(h, EOI, 0);
	assert_int_equal(h->nbroadcasts, 1);
	assert_int_equal(h->broadcasts[0], 0x41);
	/* Edge: TMR cleared on acceptance, no broadcast. */
	fixed(h, 0x41);
	assert_int_equal(rd(h, TMR + 0x20), 0);
	take(h, 0x41);
	wr(h, EOI, 0);
	assert_int_equal(h->nbroadcasts, 1);
}

static void test_lapic_eoi_broadcast_may_deliver_again(void **state)
{
	struct harness *h = *state;

	/* The I/O APIC sees its line still asserted and sends again from inside the
	 * broadcast; the LAPIC lock must not be held there. */
	h->redeliver_on_eoi = 0x52;
	lapic_deliver(&h->l, 0x52, LAPIC_DM_FIXED, true);
	take(h, 0x52);
	wr(h, EOI, 0);
	assert_int_equal(h->nbroadcasts, 1);
	h->redeliver_on_eoi = -1;
	take(h, 0x52);
	assert_true(in_set(h, TMR, 0x52));
}

static void test_lapic_svr_disable_masks_every_lvt_for_good(void **state)
{
	struct harness *h = *state;

	wr(h, LVT_TIMER, 0x40);
	wr(h, SVR, 0x0ff);
	/* "The mask bits for all the LVT entries are set. Attempts to reset these bits
	 * will be ignored." */
	assert_int_equal(rd(h, LVT_TIMER), MASKED | 0x40);
	assert_int_equal(rd(h, LVT_LINT0), MASKED | 0x700);
	assert_int_equal(rd(h, LVT_LINT1), MASKED | 0x400);
	wr(h, LVT_LINT0, 0x700);
	assert_int_equal(rd(h, LVT_LINT0), MASKED | 0x700);
	lapic_set_lint(&h->l, 0, 1);
	assert_false(lapic_pending(&h->l));
	/* Enabling again does not unmask; the guest does. */
	wr(h, SVR, 0x1ff);
	assert_int_equal(rd(h, LVT_LINT0), MASKED | 0x700);
	wr(h, LVT_LINT0, 0x700);
	assert_int_equal(rd(h, LVT_LINT0), 0x700);
	assert_true(lapic_pending(&h->l));
}

static void test_lapic_svr_disable_keeps_irr_and_refuses_new_fixed(void **state)
{
	struct harness *h = *state;

	fixed(h, 0x50);
	wr(h, SVR, 0x0ff);
	fixed(h, 0x60);
	assert_false(in_set(h, IRR, 0x60));
	wr(h, ICR_LO, ICR_SELF | 0x61);
	assert_false(in_set(h, IRR, 0x61));
	/* "respond normally to INIT, NMI, SMI, and SIPI messages" */
	lapic_deliver(&h->l, 0, LAPIC_DM_NMI, false);
	assert_true(lapic_take_nmi(&h->l));
	/* "Pending interrupts in the IRR and ISR registers are held and require
	 * masking or handling by the CPU." */
	take(h, 0x50);
}

static void test_lapic_spurious_vector_comes_from_svr(void **state)
{
	struct harness *h = *state;

	wr(h, SVR, 0x13f);
	assert_int_equal(lapic_acknowledge(&h->l), 0x3f);
	assert_int_equal(rd(h, PPR), 0);
}

static void test_lapic_esr_latches_on_write_illegal_vectors(void **state)
{
	struct harness *h = *state;

	/* Vectors 0-15 are illegal: "the APIC indicates an illegal vector in its
	 * Error Status Register"; the interrupt is not accepted. */
	fixed(h, 5);
	assert_int_equal(rd(h, IRR), 0);
	assert_false(lapic_pending(&h->l));
	/* Write, then read: the errors since the last write. */
	assert_int_equal(rd(h, ESR), 0);
	wr(h, ESR, 0);
	assert_int_equal(rd(h, ESR), ESR_RECEIVE_ILLEGAL);
	assert_int_equal(rd(h, ESR), ESR_RECEIVE_ILLEGAL);
	wr(h, ESR, 0xffffffff); /* the value written does not matter */
	assert_int_equal(rd(h, ESR), 0);
	/* Sent to another destination: send illegal vector only. */
	wr(h, ICR_HI, 0x07000000);
	wr(h, ICR_LO, 0x0f);
	assert_int_equal(esr(h), ESR_SEND_ILLEGAL);
	/* A self-interrupt is both sent and received. */
	wr(h, ICR_LO, ICR_SELF | 0x0f);
	assert_int_equal(esr(h), ESR_SEND_ILLEGAL | ESR_RECEIVE_ILLEGAL);
	/* "including an illegal vector code in the local vector table interrupts" */
	wr(h, LVT_TIMER, 0x03);
	wr(h, INITIAL_COUNT, 1);
	h->now += 2 * 1000000000ull / LAPIC_TIMER_HZ;
	lapic_update(&h->l);
	assert_int_equal(rd(h, IRR), 0);
	assert_int_equal(esr(h), ESR_RECEIVE_ILLEGAL);
	/* Vector 16 is legal ("does not treat vectors in this range as illegal"). */
	fixed(h, 16);
	assert_true(in_set(h, IRR, 16));
	assert_int_equal(esr(h), 0);
}

static void test_lapic_error_interrupt_until_esr_write_rearms(void **state)
{
	struct harness *h = *state;

	wr(h, LVT_ERROR, 0xfe);
	fixed(h, 3);
	take(h, 0xfe);
	wr(h, EOI, 0);
	fixed(h, 4); /* not re-armed yet */
	assert_false(lapic_pending(&h->l));
	assert_int_equal(esr(h), ESR_RECEIVE_ILLEGAL);
	fixed(h, 4);
	take(h, 0xfe);
}

static void test_lapic_reserved_register_offsets_read_zero_and_set_esr(void **state)
{
	struct harness *h = *state;

	/* "Addresses in one of the 0x10 byte regions marked reserved are illegal
	 * register addresses." The CMCI entry does not exist (max LVT entry 5). */
	assert_int_equal(rd(h, 0x040), 0);
	assert_int_equal(esr(h), ESR_ILLEGAL_REGISTER);
	wr(h, CMCI, 0x40);
	assert_int_equal(rd(h, CMCI), 0);
	assert_int_equal(esr(h), ESR_ILLEGAL_REGISTER);
	assert_int_equal(rd(h, 0xff0), 0);
	assert_int_equal(esr(h), ESR_ILLEGAL_REGISTER);
	/* Inside a register's 16 bytes, past its 32 bits: no error, reads 0. */
	assert_int_equal(rd(h, VERSION + 4), 0);
	assert_int_equal(rd(h, EOI), 0); /* write-only */
	assert_int_equal(esr(h), 0);
}

static void test_lapic_narrow_wide_and_unaligned_accesses(void **state)
{
	struct harness *h = *state;

	assert_int_equal(lapic_ops.read(&h->l, VERSION, 1), 0x14);
	assert_int_equal(lapic_ops.read(&h->l, VERSION + 2, 1), 0x05);
	assert_int_equal(lapic_ops.read(&h->l, VERSION + 2, 2), 0x0005);
	assert_int_equal(lapic_ops.read(&h->l, VERSION + 1, 4), 0); /* crosses the register */
	assert_int_equal(rd(h, TPR), 0);
	assert_int_equal(lapic_ops.read(&h->l, TPR, 8), 0); /* not a size it takes */
	lapic_ops.write(&h->l, TPR, 8, 0x33);
	assert_int_equal(rd(h, TPR), 0);
	lapic_ops.write(&h->l, TPR, 4, 0x33);
	lapic_ops.write(&h->l, TPR, 2, 0x44);
	lapic_ops.write(&h->l, TPR, 1, 0x44);
	lapic_ops.write(&h->l, TPR + 4, 4, 0x44);
	lapic_ops.write(&h->l, TPR + 1, 4, 0x44);
	assert_int_equal(rd(h, TPR), 0x33);
}

/* SDM: wider registers are accessed "using multiple 32-bit loads or stores";
 * the bus splits a qword into two dwords (lapic.h). */
static void test_lapic_qword_through_the_bus_is_two_dwords(void **state)
{
	struct harness *h = *state;
	struct io_bus bus;

	io_bus_init(&bus, "mmio");
	assert_int_equal(io_bus_register(&bus, LAPIC_DEFAULT_BASE, LAPIC_MMIO_LEN, "lapic", &lapic_ops, &h->l), 0);
	assert_int_equal(io_bus_read(&bus, LAPIC_DEFAULT_BASE + VERSION, 8), 0x00050014);
	io_bus_write(&bus, LAPIC_DEFAULT_BASE + TPR, 8, 0xaaaaaaaa00000033ull);
	assert_int_equal(rd(h, TPR), 0x33);
	/* From byte 12 of the ID register: its bytes 12-15 (0), then the version. */
	assert_int_equal(io_bus_read(&bus, LAPIC_DEFAULT_BASE + VERSION - 4, 8), 0x0005001400000000ull);
	io_bus_destroy(&bus);
}

static void test_lapic_hostile_accesses_every_offset_and_size(void **state)
{
	struct harness *h = *state;
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	static const uint64_t values[] = { 0, ~0ull, 0x0000000500000701ull, 0x12345678deadbeefull };

	for (unsigned v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
		for (unsigned s = 0; s < 4; s++) {
			for (uint64_t off = 0; off < LAPIC_MMIO_LEN; off++) {
				(void)lapic_ops.read(&h->l, off, sizes[s]);
				lapic_ops.write(&h->l, off, sizes[s], values[v]);
				h->now += 7;
				lapic_update(&h->l);
				(void)lapic_next_event_ns(&h->l);
				if (lapic_pending(&h->l))
					(void)lapic_acknowledge(&h->l);
			}
		}
	}
	/* Offsets past the page (the bus never sends them) are answered too. */
	assert_int_equal(lapic_ops.read(&h->l, LAPIC_MMIO_LEN, 4), 0);
	lapic_ops.write(&h->l, LAPIC_MMIO_LEN + 0x80, 4, 0xff);
	assert_int_equal(rd(h, ID), APIC_ID << 24);
	assert_int_equal(rd(h, VERSION), 0x00050014);
}

static void test_lapic_timer_one_shot_at_every_divider(void **state)
{
	struct harness *h = *state;
	/* Divide configuration bits 3, 1, 0: 000 /2, 001 /4, 010 /8, 011 /16, 100 /32,
	 * 101 /64, 110 /128, 111 /1. */
	static const struct {
		uint32_t config;
		uint64_t divider;
	} table[] = { { 0x0, 2 },  { 0x1, 4 },	{ 0x2, 8 },   { 0x3, 16 },
		      { 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 } };

	wr(h, LVT_TIMER, 0x40);
	for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		uint64_t tick = table[i].divider * 1000000000ull / LAPIC_TIMER_HZ, start;

		assert_int_equal(tick * LAPIC_TIMER_HZ, table[i].divider * 1000000000ull);
		wr(h, DIVIDE, table[i].config);
		start = h->now;
		h->timer_changed = 0;
		wr(h, INITIAL_COUNT, 1000);
		assert_true(h->timer_changed > 0);
		assert_int_equal(rd(h, CURRENT_COUNT), 1000);
		assert_int_equal(lapic_next_event_ns(&h->l), start + 1000 * tick);
		h->now = start + 250 * tick;
		assert_int_equal(rd(h, CURRENT_COUNT), 750);
		h->now = start + 251 * tick - 1;
		assert_int_equal(rd(h, CURRENT_COUNT), 750);
		h->now = start + 1000 * tick - 1;
		lapic_update(&h->l);
		assert_int_equal(rd(h, CURRENT_COUNT), 1);
		assert_false(lapic_pending(&h->l));
		h->now = start + 1000 * tick;
		lapic_update(&h->l);
		/* "After the timer reaches zero, an timer interrupt is generated and the
		 * timer remains at its 0 value until reprogrammed." */
		assert_int_equal(rd(h, CURRENT_COUNT), 0);
		assert_int_equal(rd(h, INITIAL_COUNT), 1000);
		take(h, 0x40);
		wr(h, EOI, 0);
		assert_int_equal(lapic_next_event_ns(&h->l), UINT64_MAX);
		h->now += 5000 * tick;
		lapic_update(&h->l);
		assert_false(lapic_pending(&h->l));
	}
}

static void test_lapic_timer_periodic_reloads_and_keeps_phase(void **state)
{
	struct harness *h = *state;

	wr(h, DIVIDE, DIVIDE_BY_1);
	wr(h, LVT_TIMER, PERIODIC | 0x50);
	wr(h, INITIAL_COUNT, 100);
	h->now = T0 + 99;
	assert_int_equal(rd(h, CURRENT_COUNT), 1);
	/* "the current-count register is automatically reloaded from the
	 * initial-count register when the count reaches 0 and a timer interrupt is
	 * generated" */
	h->now = T0 + 100;
	lapic_update(&h->l);
	assert_int_equal(rd(h, CURRENT_COUNT), 100);
	take(h, 0x50);
	wr(h, EOI, 0);
	assert_int_equal(lapic_next_event_ns(&h->l), T0 + 200);
	/* A late update (2.5 periods): one interrupt; the next on the original grid. */
	h->now = T0 + 350;
	lapic_update(&h->l);
	assert_int_equal(rd(h, CURRENT_COUNT), 50);
	take(h, 0x50);
	wr(h, EOI, 0);
	assert_false(lapic_pending(&h->l));
	assert_int_equal(lapic_next_event_ns(&h->l), T0 + 400);
	h->now = T0 + 400;
	lapic_update(&h->l);
	take(h, 0x50);
}

static void test_lapic_timer_initial_count_write_restarts_and_zero_stops(void **state)
{
	struct harness *h = *state;

	wr(h, DIVIDE, DIVIDE_BY_1);
	wr(h, LVT_TIMER, PERIODIC | 0x50);
	wr(h, INITIAL_COUNT, 100);
	h->now = T0 + 60;
	/* "If during the count-down process the initial-count register is set,
	 * counting will restart, using the new initial-count value." */
	wr(h, INITIAL_COUNT, 30);
	assert_int_equal(rd(h, CURRENT_COUNT), 30);
	assert_int_equal(lapic_next_event_ns(&h->l), T0 + 90);
	h->now = T0 + 80;
	/* "A write of 0 to the initial-count register effectively stops the local
	 * APIC timer, in both one-shot and periodic mode." */
	wr(h, INITIAL_COUNT, 0);
	assert_int_equal(rd(h, CURRENT_COUNT), 0);
	assert_int_equal(lapic_next_event_ns(&h->l), UINT64_MAX);
	h->now = T0 + 1000;
	lapic_update(&h->l);
	assert_false(lapic_pending(&h->l));
}

static void test_lapic_masked_timer_counts_but_sets_no_irr(void **state)
{
	struct harness *h = *state;

	wr(h, DIVIDE, DIVIDE_BY_1);
	wr(h, LVT_TIMER, MASKED | 0x50);
	wr(h, INITIAL_COUNT, 100);
	h->now = T0 + 40;
	assert_int_equal(rd(h, CURRENT_COUNT), 60);
	assert_int_equal(lapic_next_event_ns(&h->l), UINT64_MAX);
	h->now = T0 + 100;
	lapic_update(&h->l);
	assert_int_equal(rd(h, CURRENT_COUNT), 0);
	assert_false(in_set(h, IRR, 0x50));
	/* Unmasking later does not bring back the masked expiry. */
	h->changed = 0;
	wr(h, LVT_TIMER, 0x50);
	h->now = T0 + 500;
	lapic_update(&h->l);
	assert_false(lapic_pending(&h->l));
	assert_int_equal(h->changed, 0);
}

static void test_lapic_timer_mode_change_disarms(void **state)
{
	struct harness *h = *state;

	wr(h, DIVIDE, DIVIDE_BY_1);
	wr(h, LVT_TIMER, 0x50);
	wr(h, INITIAL_COUNT, 100);
	h->now = T0 + 10;
	/* "A write to the LVT Timer Register that changes the timer mode disarms the
	 * local APIC timer." Rewriting the same mode does not. */
	wr(h, LVT_TIMER, 0x51);
	assert_int_equal(rd(h, CURRENT_COUNT), 90);
	wr(h, LVT_TIMER, PERIODIC | 0x51);
	assert_int_equal(rd(h, CURRENT_COUNT), 0);
	assert_int_equal(lapic_next_event_ns(&h->l), UINT64_MAX);
	h->now = T0 + 1000;
	lapic_update(&h->l);
	assert_false(lapic_pending(&h->l));
	/* TSC-deadline (10b) is not offered: bit 18 is reserved and reads 0. */
	wr(h, LVT_TIMER, 0x40000 | 0x51);
	assert_int_equal(rd(h, LVT_TIMER), 0x51);
}

static void test_lapic_timer_divider_change_keeps_the_count(void **state)
{
	struct harness *h = *state;
	uint64_t changed_at, tick = 8 * 1000000000ull / LAPIC_TIMER_HZ;

	wr(h, LVT_TIMER, 0x50);
	wr(h, DIVIDE, 0x0); /* by 2 */
	wr(h, INITIAL_COUNT, 1000);
	h->now = T0 + 200 * 2 * 1000000000ull / LAPIC_TIMER_HZ;
	assert_int_equal(rd(h, CURRENT_COUNT), 800);
	wr(h, DIVIDE, 0x2); /* by 8: a model choice, counting goes on from 800 */
	assert_int_equal(rd(h, CURRENT_COUNT), 800);
	changed_at = h->now;
	h->now = changed_at + 100 * tick;
	assert_int_equal(rd(h, CURRENT_COUNT), 700);
	assert_int_equal(lapic_next_event_ns(&h->l), changed_at + 800 * tick);
	h->now = changed_at + 800 * tick;
	lapic_update(&h->l);
	take(h, 0x50);
}

static void test_lapic_lint0_extint_asks_the_8259_outside_the_lock(void **state)
{
	struct harness *h = *state;

	h->inta_lowers_lint0 = true;
	lapic_set_lint(&h->l, 0, 1);
	assert_int_equal(h->changed, 1);
	/* ExtINT is outside the priority scheme: not held back by TPR. */
	wr(h, TPR, 0xff);
	take(h, PIC_VECTOR);
	assert_int_equal(h->intas, 1);
	/* "bypass the IRR and ISR registers" */
	assert_int_equal(rd(h, ISR + 0x20), 0);
	assert_int_equal(rd(h, IRR + 0x20), 0);
	assert_int_equal(rd(h, PPR), 0xff);
	assert_false(lapic_pending(&h->l));
}

static void test_lapic_lint0_extint_follows_level_and_mask(void **state)
{
	struct harness *h = *state;

	wr(h, LVT_LINT0, MASKED | DM_EXTINT);
	lapic_set_lint(&h->l, 0, 1);
	assert_false(lapic_pending(&h->l));
	wr(h, LVT_LINT0, DM_EXTINT);
	assert_true(lapic_pending(&h->l));
	lapic_set_lint(&h->l, 0, 0);
	assert_false(lapic_pending(&h->l));
	/* No request left: the spurious vector, no INTA to the 8259. */
	assert_int_equal(lapic_acknowledge(&h->l), 0xff);
	assert_int_equal(h->intas, 0);
	/* Polarity bit 13 set: active low. */
	wr(h, LVT_LINT0, ACTIVE_LOW | DM_EXTINT);
	assert_true(lapic_pending(&h->l));
}

static void test_lapic_lint1_nmi_on_rising_edge(void **state)
{
	struct harness *h = *state;

	lapic_set_lint(&h->l, 1, 1);
	assert_int_equal(h->changed, 1);
	assert_true(lapic_take_nmi(&h->l));
	assert_false(lapic_take_nmi(&h->l));
	lapic_set_lint(&h->l, 1, 1); /* still high: no new edge */
	assert_false(lapic_take_nmi(&h->l));
	lapic_set_lint(&h->l, 1, 0);
	lapic_set_lint(&h->l, 1, 1);
	assert_true(lapic_take_nmi(&h->l));
	/* NMI is not a maskable interrupt. */
	assert_false(lapic_pending(&h->l));
	wr(h, LVT_LINT1, MASKED | DM_NMI);
	lapic_set_lint(&h->l, 1, 0);
	lapic_set_lint(&h->l, 1, 1);
	assert_false(lapic_take_nmi(&h->l));
	lapic_set_lint(&h->l, 2, 1); /* no such pin */
	lapic_set_lint(&h->l, ~0u, 1);
	assert_false(lapic_take_nmi(&h->l));
	assert_false(lapic_pending(&h->l));
}

static void test_lapic_lint_fixed_edge_once_per_rising_edge(void **state)
{
	struct harness *h = *state;

	wr(h, LVT_LINT0, 0x46);
	lapic_set_lint(&h->l, 0, 1);
	assert_false(in_set(h, TMR, 0x46));
	take(h, 0x46);
	wr(h, EOI, 0);
	lapic_set_lint(&h->l, 0, 1);
	assert_false(lapic_pending(&h->l));
	lapic_set_lint(&h->l, 0, 0);
	lapic_set_lint(&h->l, 0, 1);
	take(h, 0x46);
	wr(h, EOI, 0);
	assert_int_equal(h->nbroadcasts, 0);
}

static void test_lapic_lint_fixed_level_holds_remote_irr_until_eoi(void **state)
{
	struct harness *h = *state;

	wr(h, LVT_LINT0, LEVEL | 0x45);
	lapic_set_lint(&h->l, 0, 1);
	/* Remote IRR: "set when the local APIC accepts the interrupt for servicing and
	 * is reset when an EOI command is received". */
	assert_int_equal(rd(h, LVT_LINT0), REMOTE_IRR | LEVEL | 0x45);
	assert_true(in_set(h, TMR, 0x45));
	take(h, 0x45);
	lapic_set_lint(&h->l, 0, 1);
	assert_false(in_set(h, IRR, 0x45));
	wr(h, EOI, 0);
	assert_int_equal(h->nbroadcasts, 1);
	assert_int_equal(h->broadcasts[0], 0x45);
	/* Still asserted: requested again. */
	assert_int_equal(rd(h, LVT_LINT0), REMOTE_IRR | LEVEL | 0x45);
	take(h, 0x45);
	lapic_set_lint(&h->l, 0, 0);
	wr(h, EOI, 0);
	assert_int_equal(h->nbroadcasts, 2);
	assert_int_equal(rd(h, LVT_LINT0), LEVEL | 0x45);
	assert_false(lapic_pending(&h->l));
	/* Remote IRR is read-only. */
	wr(h, LVT_LINT0, REMOTE_IRR | LEVEL | 0x45);
	assert_int_equal(rd(h, LVT_LINT0), LEVEL | 0x45);
}

static void test_lapic_self_ipi_by_shorthand_and_by_destination(void **state)
{
	struct harness *h = *state;

	wr(h, ICR_LO, ICR_SELF | 0x66);
	assert_true(in_set(h, IRR, 0x66));
	assert_false(in_set(h, TMR, 0x66));
	assert_int_equal(rd(h, ICR_LO), ICR_SELF | 0x66); /* delivery status idle */
	assert_int_equal(h->changed, 1);
	wr(h, ICR_LO, ICR_ALL_INCLUDING_SELF | 0x67);
	assert_true(in_set(h, IRR, 0x67));
	wr(h, ICR_LO, ICR_ALL_EXCLUDING_SELF | 0x68);
	assert_false(in_set(h, IRR, 0x68));
	wr(h, ICR_HI, APIC_ID << 24);
	wr(h, ICR_LO, 0x69);
	assert_true(in_set(h, IRR, 0x69));
	wr(h, ICR_HI, 0xffu << 24);
	wr(h, ICR_LO, 0x6a);
	assert_true(in_set(h, IRR, 0x6a));
	wr(h, ICR_HI, (APIC_ID + 1) << 24);
	wr(h, ICR_LO, 0x6b);
	assert_false(in_set(h, IRR, 0x6b));
	wr(h, LDR, 0x02000000);
	wr(h, ICR_HI, 0x02000000);
	wr(h, ICR_LO, ICR_LOGICAL | 0x100 | 0x6c); /* lowest priority, logical */
	assert_true(in_set(h, IRR, 0x6c));
	/* INIT and start-up IPIs have no other vCPU to go to. */
	wr(h, ICR_LO, ICR_ALL_EXCLUDING_SELF | 0x500);
	wr(h, ICR_LO, ICR_ALL_EXCLUDING_SELF | 0x600 | 0x10);
	assert_false(lapic_take_nmi(&h->l));
	assert_int_equal(esr(h), 0);
	/* An NMI IPI to this APIC's own ID. */
	wr(h, ICR_HI, APIC_ID << 24);
	wr(h, ICR_LO, 0x400);
	assert_true(lapic_take_nmi(&h->l));
	take(h, 0x6c);
}

static void test_lapic_accepts_physical_flat_and_cluster_destinations(void **state)
{
	struct harness *h = *state;

	assert_true(lapic_accepts(&h->l, APIC_ID, false));
	assert_false(lapic_accepts(&h->l, APIC_ID + 1, false));
	assert_true(lapic_accepts(&h->l, 0xff, false));
	/* Flat model: a common bit between the MDA and LDR bits 31-24. */
	assert_false(lapic_accepts(&h->l, 0xff, true)); /* LDR 0: no logical ID */
	wr(h, LDR, 0x24000000);
	assert_true(lapic_accepts(&h->l, 0x04, true));
	assert_true(lapic_accepts(&h->l, 0x21, true));
	assert_false(lapic_accepts(&h->l, 0x01, true));
	assert_true(lapic_accepts(&h->l, 0xff, true));
	/* Cluster model (DFR bits 31-28 = 0): cluster in bits 7-4, members in 3-0;
	 * cluster 0xf addresses all clusters. */
	wr(h, DFR, 0x0fffffff);
	wr(h, LDR, 0x31000000);
	assert_true(lapic_accepts(&h->l, 0x31, true));
	assert_true(lapic_accepts(&h->l, 0x33, true));
	assert_false(lapic_accepts(&h->l, 0x21, true));
	assert_false(lapic_accepts(&h->l, 0x32, true));
	assert_true(lapic_accepts(&h->l, 0xf1, true));
	assert_true(lapic_accepts(&h->l, 0xff, true));
}

static void test_lapic_deliver_modes(void **state)
{
	struct harness *h = *state;

	lapic_deliver(&h->l, 0x33, LAPIC_DM_SMI, false);
	lapic_deliver(&h->l, 0x33, LAPIC_DM_INIT, false);
	lapic_deliver(&h->l, 0x33, LAPIC_DM_STARTUP, false);
	lapic_deliver(&h->l, 0x33, 3, false);
	lapic_deliver(&h->l, 0x33, 99, false);
	assert_false(lapic_pending(&h->l));
	assert_false(lapic_take_nmi(&h->l));
	assert_int_equal(h->changed, 0);
	lapic_deliver(&h->l, 0x00, LAPIC_DM_NMI, false); /* the vector is ignored */
	assert_int_equal(h->changed, 1);
	assert_true(lapic_take_nmi(&h->l));
	lapic_deliver(&h->l, 0x00, LAPIC_DM_EXTINT, false);
	take(h, PIC_VECTOR);
	assert_int_equal(h->intas, 1);
	assert_false(lapic_pending(&h->l)); /* one INTA per message */
	lapic_deliver(&h->l, 0x34, LAPIC_DM_LOWEST, false);
	take(h, 0x34);
}

static void test_lapic_changed_only_when_something_becomes_ready(void **state)
{
	struct harness *h = *state;

	wr(h, TPR, 0x60);
	fixed(h, 0x50); /* below PPR: nothing for the CPU */
	assert_int_equal(h->changed, 0);
	wr(h, TPR, 0);
	assert_int_equal(h->changed, 1);
	(void)rd(h, VERSION); /* no news */
	assert_int_equal(h->changed, 1);
	fixed(h, 0x70);
	assert_int_equal(h->changed, 2);
	take(h, 0x70);
	assert_int_equal(h->changed, 2);
	/* The EOI lowers PPR under 0x50's class again. */
	wr(h, EOI, 0);
	assert_int_equal(h->changed, 3);
	take(h, 0x50);
	wr(h, EOI, 0);
	/* A timer expiry is news; a masked one is not. */
	wr(h, DIVIDE, DIVIDE_BY_1);
	wr(h, LVT_TIMER, 0x80);
	wr(h, INITIAL_COUNT, 10);
	h->now += 10;
	lapic_update(&h->l);
	assert_int_equal(h->changed, 4);
	take(h, 0x80);
	wr(h, EOI, 0);
	wr(h, LVT_TIMER, MASKED | 0x80);
	wr(h, INITIAL_COUNT, 10);
	h->now += 10;
	lapic_update(&h->l);
	assert_int_equal(h->changed, 4);
}

#define LAPIC_TEST(f) cmocka_unit_test_setup_teardown(f, lapic_setup, lapic_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		LAPIC_TEST(test_lapic_reset_is_bios_virtual_wire_state),
		LAPIC_TEST(test_lapic_read_only_registers_ignore_writes),
		LAPIC_TEST(test_lapic_reserved_bits_read_zero),
		LAPIC_TEST(test_lapic_ppr_is_tpr_or_class_of_highest_isr),
		LAPIC_TEST(test_lapic_tpr_holds_back_its_class_and_below),
		LAPIC_TEST(test_lapic_apr_from_tpr_irr_and_isr),
		LAPIC_TEST(test_lapic_acknowledge_moves_highest_irr_to_isr),
		LAPIC_TEST(test_lapic_lower_class_waits_while_higher_is_in_service),
		LAPIC_TEST(test_lapic_level_vector_sets_tmr_and_its_eoi_is_broadcast),
		LAPIC_TEST(test_lapic_eoi_broadcast_may_deliver_again),
		LAPIC_TEST(test_lapic_svr_disable_masks_every_lvt_for_good),
		LAPIC_TEST(test_lapic_svr_disable_keeps_irr_and_refuses_new_fixed),
		LAPIC_TEST(test_lapic_spurious_vector_comes_from_svr),
		LAPIC_TEST(test_lapic_esr_latches_on_write_illegal_vectors),
		LAPIC_TEST(test_lapic_error_interrupt_until_esr_write_rearms),
		LAPIC_TEST(test_lapic_reserved_register_offsets_read_zero_and_set_esr),
		LAPIC_TEST(test_lapic_narrow_wide_and_unaligned_accesses),
		LAPIC_TEST(test_lapic_qword_through_the_bus_is_two_dwords),
		LAPIC_TEST(test_lapic_hostile_accesses_every_offset_and_size),
		LAPIC_TEST(test_lapic_timer_one_shot_at_every_divider),
		LAPIC_TEST(test_lapic_timer_periodic_reloads_and_keeps_phase),
		LAPIC_TEST(test_lapic_timer_initial_count_write_restarts_and_zero_stops),
		LAPIC_TEST(test_lapic_masked_timer_counts_but_sets_no_irr),
		LAPIC_TEST(test_lapic_timer_mode_change_disarms),
		LAPIC_TEST(test_lapic_timer_divider_change_keeps_the_count),
		LAPIC_TEST(test_lapic_lint0_extint_asks_the_8259_outside_the_lock),
		LAPIC_TEST(test_lapic_lint0_extint_follows_level_and_mask),
		LAPIC_TEST(test_lapic_lint1_nmi_on_rising_edge),
		LAPIC_TEST(test_lapic_lint_fixed_edge_once_per_rising_edge),
		LAPIC_TEST(test_lapic_lint_fixed_level_holds_remote_irr_until_eoi),
		LAPIC_TEST(test_lapic_self_ipi_by_shorthand_and_by_destination),
		LAPIC_TEST(test_lapic_accepts_physical_flat_and_cluster_destinations),
		LAPIC_TEST(test_lapic_deliver_modes),
		LAPIC_TEST(test_lapic_changed_only_when_something_becomes_ready),
	};

	return cmocka_run_group_tests_name("lapic", tests, NULL, NULL);
}
