/* Hostile guest, issue 11 class 7 (NMI): NMIs the guest sends itself.
 *   - an IPI with delivery mode NMI from the local APIC's ICR, to its own
 *     APIC ID (no shorthand: "self" allows only fixed delivery, SDM vol.
 *     3A, table 11-3/10-3) runs the NMI handler, vector 2, with interrupts
 *     disabled (NMIs ignore IF);
 *   - a second NMI sent from inside the handler waits until the handler's
 *     IRET (SDM vol. 3A, 6.7.1: NMIs are blocked until the next IRET);
 *   - an I/O APIC redirection entry with delivery mode NMI (the PIT's pin
 *     2) delivers NMIs too (82093AA datasheet, 3.2.4, IOREDTBL: delivery
 *     mode 100).
 * Before the fix, interp accepted both and delivered neither. */
#include <stdint.h>

#include "hypercall.h"
#include "io.h"
#include "kernel64.h"
#include "paging64.h"
#include "test.h"

#define VEC_NMI 2
#define APIC_BASE 0xfee00000ul
#define APIC_ID 0x20
#define APIC_SVR 0xf0
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define ICR_NMI (4u << 8)
#define ICR_ASSERT (1u << 14)
#define ICR_BUSY (1u << 12)
#define IOAPIC_BASE 0xfec00000ul
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))
#define REDTBL_MASKED (1u << 16)
#define PIT_PIN 2 /* IRQ 0 is on pin 2 */
#define PIT_CH0 0x40
#define PIT_CTRL 0x43
#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1
#define WAIT_NS 500000000l

static volatile unsigned int nmis, nmis_inside;
static volatile int send_inside;

static uint32_t apic_read(unsigned int reg)
{
	return *(volatile uint32_t *)(APIC_BASE + reg);
}

static void apic_write(unsigned int reg, uint32_t v)
{
	*(volatile uint32_t *)(APIC_BASE + reg) = v;
}

static void ioapic_write(unsigned int index, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC_BASE = index;
	*(volatile uint32_t *)(IOAPIC_BASE + 0x10) = v;
}

static void self_nmi(void)
{
	apic_write(APIC_ICR_HI, apic_read(APIC_ID) & 0xff000000u);
	apic_write(APIC_ICR_LO, ICR_NMI | ICR_ASSERT);
}

static void on_nmi(struct trap_frame *f)
{
	(void)f;
	nmis++;
	if (send_inside && nmis == 1) {
		self_nmi();
		for (volatile unsigned int i = 0; i < 100000; i++)
			;
		nmis_inside = nmis;
	}
}

/* Waits with interrupts disabled until `count` NMIs arrived or time is up. */
static void wait_for(unsigned int count)
{
	long t0 = hc_clock_monotonic();

	while (nmis < count && hc_clock_monotonic() - t0 < WAIT_NS)
		;
}

static void icr_nmi(void)
{
	nmis = 0;
	self_nmi();
	wait_for(1);
	expect_eq("ICR, delivery mode NMI, to itself with IF = 0: one NMI", nmis, 1);
}

static void nmi_blocked_until_iret(void)
{
	nmis = nmis_inside = 0;
	send_inside = 1;
	self_nmi();
	wait_for(2);
	send_inside = 0;
	expect_eq("an NMI sent inside the NMI handler waits for its IRET", nmis_inside, 1);
	expect_eq("  ... and then arrives", nmis, 2);
}

static void ioapic_nmi(void)
{
	outb(PIC1_DATA, 0xff); /* the 8259A stays out of it */
	outb(PIC2_DATA, 0xff);
	nmis = 0;
	ioapic_write(IOAPIC_REDTBL(PIT_PIN) + 1, apic_read(APIC_ID) & 0xff000000u);
	ioapic_write(IOAPIC_REDTBL(PIT_PIN), 4u << 8); /* NMI, physical, edge, unmasked */
	outb(PIT_CTRL, 0x34);			       /* counter 0, mode 2, 1 kHz */
	outb(PIT_CH0, 1193 & 0xff);
	outb(PIT_CH0, 1193 >> 8);
	wait_for(3);
	ioapic_write(IOAPIC_REDTBL(PIT_PIN), REDTBL_MASKED);
	expect_eq("I/O APIC entry with delivery mode NMI: NMIs arrive", nmis >= 3, 1);
}

int main(void)
{
	printf("hostile: NMIs sent by the guest\n");
	kernel64_init();
	paging64_map_high();
	trap_set_handler(VEC_NMI, on_nmi);
	apic_write(APIC_SVR, 0x1ff); /* software-enabled, spurious vector 0xff */
	__asm__ volatile("cli");
	icr_nmi();
	nmi_blocked_until_iret();
	ioapic_nmi();
	test_done();
}
