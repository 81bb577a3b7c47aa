/* The MSRs a kernel's start-up code touches on an AMD processor, in kernel
 * mode, as such kernels do it: the legacy performance counters (used when
 * CPUID Fn8000_0001 ECX bit 23, PerfCtrExtCore, is clear; they exist on every
 * AMD64 processor either way) and the machine-check registers (when CPUID
 * leaf 1 EDX reports MCE and MCA).
 *
 * Facts: AMD APM vol. 2, 13.2 (PerfEvtSel0-3 at C001_0000h-C001_0003h,
 * PerfCtr0-3 at C001_0004h-C001_0007h; a counter whose EN bit is clear does not
 * count) and 9.3 (machine-check MSRs); Intel SDM vol. 3B, 16.3 (MCG_CAP:
 * bank count in bits 7:0, MCG_CTL_P bit 8; MCi_STATUS cleared by writing 0;
 * IA32_MCG_CTL and MCi_CTL: writing all 1s enables every error) and vol. 2A
 * (CPUID leaf 1 EDX: MCE bit 7, MCA bit 14).
 *
 * Written with QEMU as the second reference:
 *   qemu-system-x86_64 -accel tcg -cpu EPYC -m 64M -kernel build/guests/amdmsrs.elf
 *       -device isa-debug-exit,iobase=0xf4,iosize=0x04 -display none
 *       -serial stdio -no-reboot
 * Only what a processor with no errors must show is checked, not the bank
 * count (QEMU has 10 banks, the modelled family 5) nor reset values QEMU sets
 * differently. QEMU 7.2 (TCG) passes the machine-check lines and fails the
 * eight PERF_CTLn/PERF_CTRn read-backs: it takes the writes without #GP but
 * keeps nothing (reads 0), where the APM makes them read/write registers. The
 * #GP cases (unknown MSRs, reserved bits), which TCG does not raise, are unit
 * tests (tests/unit/test_msr_model.c). Status 1 through the debug exit if every
 * check passed. */
#include <stdbool.h>
#include <stdint.h>

#include "kernel32.h"
#include "sysreg.h"
#include "test.h"

#define PERF_CTL0 0xc0010000u
#define PERF_CTR0 0xc0010004u
#define MCG_CAP 0x179u
#define MCG_STATUS 0x17au
#define MCG_CTL 0x17bu
#define MC0_CTL 0x400u
#define MCG_CTL_P (1ull << 8)

#define CPUID1_EDX_MCE (1u << 7)
#define CPUID1_EDX_MCA (1u << 14)

/* Event 0x76 (CPU clocks not halted), unit mask 0, OS and USR; EN clear. */
#define EVENT_CYCLES_OFF ((1u << 17) | (1u << 16) | 0x76u)

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	*a = leaf;
	*c = 0;
	__asm__ volatile("cpuid" : "+a"(*a), "=b"(*b), "+c"(*c), "=d"(*d));
}

/* RDMSR that may fault: true, with *v, if it did not. */
static bool try_rdmsr(uint32_t index, uint64_t *v)
{
	uint32_t lo = 0, hi = 0;

	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "rdmsr\n1:" : "+a"(lo), "+d"(hi) : "c"(index) : "memory");
	*v = ((uint64_t)hi << 32) | lo;
	return trap_last.count == 0;
}

/* WRMSR that may fault: true if it did not. */
static bool try_wrmsr(uint32_t index, uint64_t v)
{
	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "wrmsr\n1:"
			 :
			 : "c"(index), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
	return trap_last.count == 0;
}

/* Reads index; FAIL (with the vector) if that faults. */
static bool read_ok(const char *name, uint32_t index, uint64_t *v)
{
	if (try_rdmsr(index, v))
		return true;
	fail(name, "RDMSR 0x%x raised vector %u", (unsigned int)index, (unsigned int)trap_last.vector);
	return false;
}

static bool write_ok(const char *name, uint32_t index, uint64_t v)
{
	if (try_wrmsr(index, v))
		return true;
	fail(name, "WRMSR 0x%x raised vector %u", (unsigned int)index, (unsigned int)trap_last.vector);
	return false;
}

static const char *const perf_names[4][3] = {
	{ "PERF_CTL0: an event with EN clear reads back", "PERF_CTR0: a stopped counter keeps what was written",
	  "PERF_CTL0: cleared again" },
	{ "PERF_CTL1: an event with EN clear reads back", "PERF_CTR1: a stopped counter keeps what was written",
	  "PERF_CTL1: cleared again" },
	{ "PERF_CTL2: an event with EN clear reads back", "PERF_CTR2: a stopped counter keeps what was written",
	  "PERF_CTL2: cleared again" },
	{ "PERF_CTL3: an event with EN clear reads back", "PERF_CTR3: a stopped counter keeps what was written",
	  "PERF_CTL3: cleared again" },
};

static void check_perf_counters(void)
{
	uint64_t v;

	/* With PerfCtrExtCore the legacy MSRs alias the first four extended ones
	 * (APM 13.2.1), so the checks below hold whatever that bit says. */
	for (unsigned int n = 0; n < 4; n++) {
		const char *const *name = perf_names[n];
		uint64_t count = 0x123456789abull + n;

		/* Stop the counter, then load it: with EN clear it keeps the
		 * value written. */
		if (write_ok(name[0], PERF_CTL0 + n, EVENT_CYCLES_OFF) && read_ok(name[0], PERF_CTL0 + n, &v))
			expect_eq(name[0], v, EVENT_CYCLES_OFF);
		if (write_ok(name[1], PERF_CTR0 + n, count) && read_ok(name[1], PERF_CTR0 + n, &v))
			expect_eq(name[1], v, count);
		if (write_ok(name[2], PERF_CTL0 + n, 0) && read_ok(name[2], PERF_CTL0 + n, &v))
			expect_eq(name[2], v, 0);
	}
}

#define BANK_CTL "every bank: MCi_CTL takes all 1s"
#define BANK_STATUS "every bank: MCi_STATUS reads 0 (no error) and takes 0"
#define BANK_ADDR_MISC "every bank: MCi_ADDR and MCi_MISC read"

static void check_machine_check(void)
{
	uint32_t a, b, c, d;
	uint64_t cap, v, all;
	unsigned int banks;
	bool ctl_ok = true, status_ok = true, addr_misc_ok = true;

	cpuid(1, &a, &b, &c, &d);
	expect_eq("CPUID.1:EDX reports MCE and MCA", d & (CPUID1_EDX_MCE | CPUID1_EDX_MCA),
		  CPUID1_EDX_MCE | CPUID1_EDX_MCA);
	if (!read_ok("MCG_CAP reads", MCG_CAP, &cap))
		return;
	banks = (unsigned int)(cap & 0xff);
	if (banks == 0)
		fail("MCG_CAP reports error-reporting banks", "count 0");
	else
		pass("MCG_CAP reports error-reporting banks");
	if (read_ok("MCG_STATUS reads 0: no machine check in progress", MCG_STATUS, &v))
		expect_eq("MCG_STATUS reads 0: no machine check in progress", v, 0);
	/* Linux enables every bank: MCG_CTL all 1s (when present), each MCi_CTL
	 * all 1s, each MCi_STATUS cleared with 0. */
	all = banks >= 64 ? ~0ull : (1ull << banks) - 1;
	if (cap & MCG_CTL_P) {
		if (write_ok("MCG_CTL: all 1s enable every bank", MCG_CTL, ~0ull) &&
		    read_ok("MCG_CTL: all 1s enable every bank", MCG_CTL, &v))
			expect_eq("MCG_CTL: all 1s enable every bank", v & all, all);
	}
	for (unsigned int i = 0; i < banks; i++) {
		uint32_t base = MC0_CTL + 4 * i;

		ctl_ok = ctl_ok && write_ok(BANK_CTL, base, ~0ull);
		if (status_ok && !read_ok(BANK_STATUS, base + 1, &v)) {
			status_ok = false;
		} else if (status_ok && v != 0) {
			fail(BANK_STATUS, "MC%u_STATUS is 0x%llx", i, (unsigned long long)v);
			status_ok = false;
		}
		status_ok = status_ok && write_ok(BANK_STATUS, base + 1, 0);
		addr_misc_ok =
		    addr_misc_ok && read_ok(BANK_ADDR_MISC, base + 2, &v) && read_ok(BANK_ADDR_MISC, base + 3, &v);
	}
	if (banks && ctl_ok)
		pass(BANK_CTL);
	if (banks && status_ok)
		pass(BANK_STATUS);
	if (banks && addr_misc_ok)
		pass(BANK_ADDR_MISC);
}

int main(void)
{
	printf("AMD MSRs: legacy performance counters, machine check\n");
	kernel32_init();
	check_perf_counters();
	check_machine_check();
	test_done();
}
