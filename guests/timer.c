/* Interrupts from the PC platform: the 8254 PIT's counter 0 in mode 2 at about
 * 1 kHz raises IRQ 0 through the 8259A, remapped to vector 0x20 as Linux does;
 * the guest halts with interrupts enabled and each tick wakes it. Checks that
 * ticks arrive, that they are paced by real time (50 ticks at 1193 input clocks
 * of 838 ns take at least 45 ms on the host's clock), and that EOI leaves the
 * in-service register empty. */
#include "hypercall.h"
#include "io.h"
#include "kernel64.h"
#include "pic_pit.h"
#include "test.h"

#define TICKS 50

static volatile unsigned int ticks;

static void on_timer(struct trap_frame *f)
{
	(void)f;
	ticks++;
	pic_eoi();
}

int main(void)
{
	long t0, t1;
	unsigned int isr, seen;

	printf("PIT and PIC interrupt tests\n");
	kernel64_init();
	trap_set_handler(0x20, on_timer);
	pic_init();
	pit_start_1khz();
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
