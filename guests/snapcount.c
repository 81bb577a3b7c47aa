/* A counter for the snapshot tests (tests/integration/snapshot-guests.sh):
 * 60 steps, each 10 ticks of the 8254 PIT at 1 kHz (IRQ 0 through the
 * 8259A, the CPU halted in between), one line "count N" per step and
 * "SNAPSHOT-HERE" after step 20, the marker the test hook snapshots at
 * (cli/test_snapshot_hook.h). Run whole, or snapshotted on one engine and
 * restored on another, the output is the same: the test puts the two halves
 * together and compares them with tests/guests/snapcount.stdout, so no line
 * may be lost or repeated.
 *
 * At each step the guest reads its three clocks, which must go on across a
 * restore as if nothing had happened (docs/snapshot-format.md, "Time"): the
 * hypercall clock and kvmclock must have moved by about the 10 ms of the
 * step — at least 5 ms (no stall: the PIT ticks on the host's time) and at
 * most a second (no jump: the test waits longer than that between the
 * snapshot and the restore) — and the TSC must never go back. A step that
 * breaks one says so at once on a FAIL line. */
#include <stdint.h>

#include "hypercall.h"
#include "io.h"
#include "kernel64.h"
#include "pic_pit.h"
#include "sysreg.h"
#include "test.h"

/* guests/ticker.c sets its own. */
#ifndef STEPS
#define STEPS 60
#define MARK_AFTER 20
#endif
#define TICKS_PER_STEP 10
#define MIN_STEP_NS 5000000
#define MAX_STEP_NS 1000000000
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01u

/* KVM's pvclock_vcpu_time_info (Documentation/virt/kvm/x86/msr.rst). */
struct pvclock {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((packed));

static volatile struct pvclock clock_record __attribute__((aligned(64)));
static volatile unsigned int ticks;

static void on_timer(struct trap_frame *f)
{
	(void)f;
	ticks++;
	pic_eoi();
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* kvmclock's time now, as Linux's pvclock_clocksource_read computes it. */
static uint64_t kvmclock_ns(void)
{
	uint32_t version;
	uint64_t ns;

	do {
		uint64_t delta;

		version = clock_record.version;
		__asm__ volatile("" ::: "memory");
		delta = rdtsc() - clock_record.tsc_timestamp;
		if (clock_record.tsc_shift < 0)
			delta >>= -clock_record.tsc_shift;
		else
			delta <<= clock_record.tsc_shift;
		ns = clock_record.system_time +
		     (uint64_t)(((unsigned __int128)delta * clock_record.tsc_to_system_mul) >> 32);
		__asm__ volatile("" ::: "memory");
	} while ((version & 1) || version != clock_record.version);
	return ns;
}

static bool step_ok(const char *clock, unsigned int step, uint64_t before, uint64_t after)
{
	uint64_t d = after - before;

	if (after >= before && d >= MIN_STEP_NS && d <= MAX_STEP_NS)
		return true;
	fail(clock, "step %u moved it by %ld us", step, (long)(after - before) / 1000);
	return false;
}

int main(void)
{
	uint64_t hc, kc, tsc;
	unsigned int hc_bad = 0, kc_bad = 0, tsc_back = 0;

	kernel64_init();
	printf("snapshot counter: %d steps of %d PIT ticks\n", STEPS, TICKS_PER_STEP);
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)(uintptr_t)&clock_record | 1);
	trap_set_handler(0x20, on_timer);
	pic_init();
	pit_start_1khz();
	hc = (uint64_t)hc_clock_monotonic();
	kc = kvmclock_ns();
	tsc = rdtsc();
	for (unsigned int step = 0; step < STEPS; step++) {
		unsigned int until = ticks + TICKS_PER_STEP;
		uint64_t hc2, kc2, tsc2;

		while ((int)(ticks - until) < 0)
			__asm__ volatile("sti; hlt; cli" ::: "memory");
		hc2 = (uint64_t)hc_clock_monotonic();
		kc2 = kvmclock_ns();
		tsc2 = rdtsc();
		hc_bad += !step_ok("the hypercall clock", step, hc, hc2);
		kc_bad += !step_ok("kvmclock", step, kc, kc2);
		if (tsc2 < tsc) {
			fail("the TSC", "went back at step %u", step);
			tsc_back++;
		}
		hc = hc2;
		kc = kc2;
		tsc = tsc2;
		printf("count %u\n", step);
		if (step == MARK_AFTER)
			printf("SNAPSHOT-HERE\n");
	}
	expect_eq("the hypercall clock went on by about each step, no jump, no stall", hc_bad, 0);
	expect_eq("kvmclock went on by about each step, no jump, no stall", kc_bad, 0);
	expect_eq("the TSC never went back", tsc_back, 0);
	test_done();
}
