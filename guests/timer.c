/* Interrupts from the PC platform: the 8254 PIT's counter 0 in mode 2 at about
 * 1 kHz raises IRQ 0 through the 8259A, remapped to vector 0x20 as Linux does;
 * the guest halts with interrupts enabled and each tick wakes it. Checks that
 * ticks arrive, that they are paced by real time (50 ticks at 1193 input clocks
 * of 838 ns take at least 45 ms on the host's clock), and that EOI leaves the
 * in-service register empty. */
#include "hypercall.h"
#include "io.h"
#include "kernel64.h"
#include "test.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define PIT_CH0 0x40
#define PIT_CTRL 0x43
#define TICKS 50
#define DIVISOR 1193 /* 1193182 Hz / 1193 = 1000.15 Hz */

static volatile unsigned int ticks;

static void on_timer(struct trap_frame *f)
{
	(void)f;
	ticks++;
	outb(PIC1_CMD, 0x20); /* non-specific EOI */
}

static void pic_init(void)
{
	/* ICW1: edge, cascade, ICW4 follows; ICW2: vector bases; ICW3: slave on IR2
	 * (master) / cascade identity 2 (slave); ICW4: 8086 mode. */
	outb(PIC1_CMD, 0x11);
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, 0x20);
	outb(PIC2_DATA, 0x28);
	outb(PIC1_DATA, 0x04);
	outb(PIC2_DATA, 0x02);
	outb(PIC1_DATA, 0x01);
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0xfe); /* only IRQ 0 unmasked */
	outb(PIC2_DATA, 0xff);
}

int main(void)
{
	long t0, t1;
	unsigned int isr, seen;

	printf("PIT and PIC interrupt tests\n");
	kernel64_init();
	trap_set_handler(0x20, on_timer);
	pic_init();
	/* Counter 0, LSB then MSB, mode 2 (rate generator), binary. */
	outb(PIT_CTRL, 0x34);
	outb(PIT_CH0, DIVISOR & 0xff);
	outb(PIT_CH0, DIVISOR >> 8);
	t0 = hc_clock_monotonic();
	while (ticks < TICKS)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	t1 = hc_clock_monotonic();
	expect_eq("50 timer interrupts woke the halted CPU", ticks >= TICKS, 1);
	if (t1 - t0 >= 45000000)
		pass("the ticks follow real time (50 ticks took at least 45 ms)");
	else
		fail("the ticks follow real time", "50 ticks in %ld us", (t1 - t0) / 1000);
	outb(PIC1_CMD, 0x0b); /* OCW3: read ISR */
	isr = inb(PIC1_CMD);
	expect_eq("EOI leaves the in-service register empty", isr, 0);
	/* Masked: no more ticks, even with interrupts enabled for a while. */
	outb(PIC1_DATA, 0xff);
	seen = ticks;
	t0 = hc_clock_monotonic();
	__asm__ volatile("sti" ::: "memory");
	while (hc_clock_monotonic() - t0 < 20000000)
		;
	__asm__ volatile("cli" ::: "memory");
	expect_eq("a masked IRQ 0 raises no interrupt", ticks, seen);
	test_done();
}
