/* Hostile guest, issue 11 class 7 (FXSAVE replay limit) and the class of
 * wide accesses beyond RAM found with it: one instruction whose memory
 * operand lies partly or wholly beyond RAM, where the bus reads all ones
 * and drops writes (docs/guest-abi.md). Hardware completes such an
 * instruction however many bus cycles it takes; no fault. Cases:
 *   - FXSAVE64 to an area whose second half is beyond RAM: the first half
 *     holds the state; FXRSTOR64 from it loads XMM6-XMM15 as all ones;
 *   - FXSAVE64 and FXRSTOR64 wholly beyond RAM (FXRSTOR's MXCSR then reads
 *     0xffffffff, reserved bits set: #GP(0), SDM vol. 2A FXRSTOR);
 *   - MOVUPS load and store of 16 bytes across a page boundary beyond RAM;
 *   - FLD of an 80-bit value across a page boundary beyond RAM (a QNaN of
 *     all ones).
 * Run with --mem 64M (hostile_wide.args). Before the fix, interp raised #GP
 * for every one of these that needs more than 8 bus accesses (its replay
 * log). */
#include <stdint.h>

/* -mgeneral-regs-only: gcc uses no XMM register, so the asm names none as
 * clobbered. */
#include "kernel64.h"
#include "sysreg.h"
#include "test.h"

#define RAM_END 0x4000000ul
#define HALF_OUT (RAM_END - 256)      /* an FXSAVE area half beyond RAM */
#define ALL_OUT (RAM_END + 0x100000)  /* one wholly beyond RAM */
#define ACROSS (RAM_END + 0x2000 - 4) /* 16 bytes across two pages beyond RAM */
#define PATTERN 0x0123456789abcdefull

static void sse_on(void)
{
	write_cr0((read_cr0() & ~CR0_EM) | CR0_MP);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	__asm__ volatile("fninit");
}

static void fxsave_half_out(void)
{
	volatile uint8_t *a = (volatile uint8_t *)HALF_OUT;
	uint64_t x0 = 0, x15 = 0;

	for (unsigned int i = 0; i < 256; i++)
		a[i] = 0;
	trap_clear();
	__asm__ volatile("movq %1, %%xmm0\n\t" TRAP_RESUME_AT_1F "fxsave64 (%0)\n1:"
			 :
			 : "r"(a), "r"(PATTERN)
			 : "memory");
	if (!expect_no_trap("FXSAVE64 to an area half beyond RAM: no fault"))
		return;
	expect_eq("  ... FCW in RAM", *(volatile uint16_t *)a, 0x037f);
	expect_eq("  ... MXCSR in RAM", *(volatile uint32_t *)(a + 24), 0x1f80);
	expect_eq("  ... XMM0 in RAM", *(volatile uint64_t *)(a + 160), PATTERN);
	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "fxrstor64 (%2)\n1:\n\t"
					   "movq %%xmm0, %0\n\t"
					   "movq %%xmm15, %1"
			 : "=r"(x0), "=r"(x15)
			 : "r"(a)
			 : "memory");
	if (!expect_no_trap("FXRSTOR64 from an area half beyond RAM: no fault"))
		return;
	expect_eq("  ... XMM0 from RAM", x0, PATTERN);
	expect_eq("  ... XMM15 from beyond RAM: all ones", x15, ~0ull);
}

static void fxsave_all_out(void)
{
	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "fxsave64 (%0)\n1:" : : "r"(ALL_OUT) : "memory");
	expect_no_trap("FXSAVE64 wholly beyond RAM: no fault");
	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "fxrstor64 (%0)\n1:" : : "r"(ALL_OUT) : "memory");
	expect_trap("FXRSTOR64 wholly beyond RAM: MXCSR all ones, #GP(0)", VEC_GP, 0, 0);
}

static void sse_across(void)
{
	uint64_t lo = 0, hi = 0;

	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "movups (%2), %%xmm1\n1:\n\t"
					   "movq %%xmm1, %0\n\t"
					   "psrldq $8, %%xmm1\n\t"
					   "movq %%xmm1, %1"
			 : "=r"(lo), "=r"(hi)
			 : "r"(ACROSS)
			 : "memory");
	if (expect_no_trap("MOVUPS load across two pages beyond RAM: no fault"))
		expect_eq("  ... all ones", lo & hi, ~0ull);
	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "movups %%xmm1, (%0)\n1:" : : "r"(ACROSS) : "memory");
	expect_no_trap("MOVUPS store across two pages beyond RAM: no fault");
}

static void x87_across(void)
{
	static uint8_t out[10];
	unsigned int ones = 0;

	trap_clear();
	__asm__ volatile("fninit\n\t" TRAP_RESUME_AT_1F "fldt (%0)\n1:\n\t"
			 "fstpt %1"
			 : /* out is written through memory */
			 : "r"(ACROSS + 2), "m"(out)
			 : "memory");
	if (!expect_no_trap("FLD m80 across two pages beyond RAM: no fault"))
		return;
	for (unsigned int i = 0; i < sizeof(out); i++)
		ones += out[i] == 0xff;
	expect_eq("  ... loaded all ones (a QNaN)", ones, sizeof(out));
}

int main(void)
{
	printf("hostile: wide accesses beyond RAM\n");
	kernel64_init();
	sse_on();
	fxsave_half_out();
	fxsave_all_out();
	sse_across();
	x87_across();
	test_done();
}
