/* The guests of the live-migration benchmark (bench/migrate.py), which
 * QEMU boots too (Multiboot entry, GUEST_MB64): "count N" every 10 ms of the
 * 8254 PIT at 1 kHz (IRQ 0 through the 8259A), for ever, and nothing else a
 * PC does not have — no hypercall, no kvmclock, which QEMU's TCG lacks.
 * migidle halts between ticks; migdirty (DIRTY_MIB set) writes instead, one
 * byte of every 4 KiB page across DIRTY_MIB MiB from 16 MiB up, pass after
 * pass, so that pre-copy always finds pages written since its last round,
 * and checks each page holds what its last pass left (a lost write shows). */
#include <stdint.h>

#include "io.h"
#include "kernel64.h"
#include "pic_pit.h"
#include "test.h"

#ifndef DIRTY_MIB
#define DIRTY_MIB 0
#endif
#define DIRTY_BASE (16ull << 20)
#define TICKS_PER_STEP 10

static volatile unsigned int ticks;

static void on_timer(struct trap_frame *f)
{
	(void)f;
	ticks++;
	pic_eoi();
}

/* Until the step's last tick: halted, or writing pages. */
#if DIRTY_MIB
/* Each pass adds one to the first byte of every page, so a page must hold
 * the pass's number (mod 256) when the pass reaches it: a migration that
 * lost a write (a page the dirty log missed, sent before its last write)
 * leaves an older number there, and the guest says so on a FAIL line. */
static void wait_step(unsigned int until)
{
	static uint64_t page, pass;
	static unsigned int reported;

	while ((int)(ticks - until) < 0) {
		__asm__ volatile("sti" ::: "memory");
		for (int i = 0; i < 256; i++) {
			volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)(DIRTY_BASE + page * 4096);

			if (*p != (uint8_t)pass && reported++ < 3)
				fail("a page written before", "page %lu holds %u in pass %lu", (unsigned long)page,
				     (unsigned int)*p, (unsigned long)pass);
			*p = (uint8_t)(pass + 1);
			if (++page == DIRTY_MIB * 256ull) {
				page = 0;
				pass++;
			}
		}
		__asm__ volatile("cli" ::: "memory");
	}
}
#else
static void wait_step(unsigned int until)
{
	while ((int)(ticks - until) < 0)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
}
#endif

int main(void)
{
	kernel64_init();
	printf("migration bench guest: a count every %d PIT ticks, %d MiB written over and over\n", TICKS_PER_STEP,
	       DIRTY_MIB);
	trap_set_handler(0x20, on_timer);
	pic_init();
	pit_start_1khz();
	for (unsigned int step = 0;; step++) {
		wait_step(ticks + TICKS_PER_STEP);
		printf("count %u\n", step);
	}
}
