/* Hostile guest: CPL-3 data accesses with alignment checking on (CR0.AM and
 * RFLAGS.AC), aimed at linear page 0. The software engines give such accesses
 * a soft-TLB set that never holds an entry, so every one reaches the core's
 * alignment check. That set once started as zeroes, which claimed linear page
 * 0 at host address 0: the first load below read host address 0x10 and the
 * VMM died of SIGSEGV (found by review, on interp and dbt alike).
 *
 * Asserts (SDM vol. 3A, 6.15, interrupt 17; vol. 1, 4.1.1): at CPL 3 with AM
 * and AC set, an aligned 8-byte load from 0x10 reads guest memory there; a
 * 2-byte load from 0x11 is #AC with error code 0 and RIP at the load, and
 * loads nothing; an aligned store to 0x18 writes guest memory; with AC clear
 * the same misaligned load reads. Status 1 if every check passed. */
#include <stdint.h>

#include "kernel64.h"
#include "sysreg.h"
#include "test.h"

#define PATTERN 0x1122334455667788ull

extern char ac_load[];

static uint64_t user_load8(uint64_t addr)
{
	uint64_t v;

	__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static uint64_t user_load2(uint64_t addr)
{
	uint64_t v = 0xdead;

	__asm__ volatile(TRAP_RESUME_AT_1F ".globl ac_load\n"
					   "ac_load:\n\t"
					   "movw (%1), %w0\n"
					   "1:"
			 : "+r"(v)
			 : "r"(addr)
			 : "memory");
	return v;
}

static uint64_t user_store8(uint64_t addr)
{
	__asm__ volatile("movq %1, (%0)" : : "r"(addr), "r"(~PATTERN) : "memory");
	return 0;
}

/* Page 0 through inline asm: a C access to it would be a null dereference. */
static uint64_t kernel_get8(uint64_t addr)
{
	uint64_t v;

	__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static void kernel_set8(uint64_t addr, uint64_t v)
{
	__asm__ volatile("movq %1, (%0)" : : "r"(addr), "r"(v) : "memory");
}

int main(void)
{
	uint64_t v;

	printf("hostile: CPL 3 accesses to page 0 with alignment checking on\n");
	kernel64_init();
	kernel_set8(0x10, PATTERN);
	kernel_set8(0x18, 0);
	write_cr0(read_cr0() | CR0_AM);
	user_rflags = 0x2 | FL_AC;

	trap_clear();
	v = user_call(user_load8, 0x10);
	expect_no_trap("aligned 8-byte load from 0x10: no trap");
	expect_eq("  it reads guest memory", v, PATTERN);

	trap_clear();
	v = user_call(user_load2, 0x11);
	expect_trap("2-byte load from 0x11: #AC(0) at the load", VEC_AC, 0, (uintptr_t)ac_load);
	expect_eq("  nothing loaded", v, 0xdead);

	trap_clear();
	user_call(user_store8, 0x18);
	expect_no_trap("aligned 8-byte store to 0x18: no trap");
	expect_eq("  it writes guest memory", kernel_get8(0x18), ~PATTERN);

	user_rflags = 0x2;
	trap_clear();
	v = user_call(user_load2, 0x11);
	expect_no_trap("the same load with AC clear: no trap");
	expect_eq("  it reads bytes 0x11-0x12", v, (PATTERN >> 8) & 0xffff);
	test_done();
}
