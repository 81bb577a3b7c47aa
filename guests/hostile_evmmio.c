/* Hostile guest, issue 11 class 3: exceptions whose delivery touches MMIO.
 * What the CPU reads there (beyond RAM: all ones) decides what happens next,
 * and what it writes there is dropped (docs/guest-abi.md, "Machine"). Each
 * case asserts the architectural outcome (SDM vol. 3A, 6.12-6.14, and the
 * INT n pseudo-code of vol. 2A): the handler runs exactly once, and the
 * exception reported is the one hardware reports.
 *   - the stack beyond RAM, for a fault without and with an error code;
 *   - an IDT gate half beyond RAM: its upper half (offset bits 63:32)
 *     reads all ones, so the handler runs at 0xffffffff'xxxxxxxx, which this
 *     guest maps to its catch stubs;
 *   - the gate's code segment descriptor beyond the end of RAM (the GDT's
 *     last page): all ones is a conforming code segment of DPL 3 > CPL, so
 *     #GP(selector + EXT), delivered after the benign #UD (table 6-5);
 *   - the TSS's IST1 field beyond RAM: RSP = all ones, 16-byte aligned, and
 *     the first push faults (#PF, CR2 = 0xffff'ffff'ffff'ffe8, not mapped);
 *   - afterwards a plain #GP and a plain #PF are themselves, not a #DF left
 *     over from the deliveries above.
 * Run with --mem 64M (hostile_evmmio.args). Before the fix, interp resumed
 * at the last executed instruction instead of the event being delivered:
 * the fault was raised again forever (a hang). */
#include <stdint.h>

#include "catch64.h"
#include "kernel64.h"
#include "paging64.h"
#include "sysreg.h"
#include "test.h"

#define RAM_END 0x4000000ul
#define STACK_BEYOND_RAM (RAM_END + 0x10000)
#define HIGH_ALIAS 0xffffffff00000000ull /* + x maps x, for x below 1 GiB */
#define NONCANONICAL 0x8000000000000000ull

__asm__(".globl ud_body, ud_at, gp_body, gp_at\n"
	"ud_body:\n"
	"ud_at: ud2\n"
	"jmp catch_done\n"
	"gp_body:\n"
	"movabsq $0x8000000000000000, %rax\n"
	"gp_at: movq (%rax), %rax\n"
	"jmp catch_done\n");

void ud_body(void), gp_body(void);
extern char ud_at[], gp_at[];

static uint8_t stack[4096] __attribute__((aligned(16)));
/* Tables are put so that they cross from pages[0] (RAM) into pages[1],
 * which is remapped beyond RAM. */
static uint8_t pages[2][4096] __attribute__((aligned(4096)));
static uint64_t pdpt_high[512] __attribute__((aligned(4096)));

#define STACK_TOP ((uintptr_t)(stack + sizeof(stack)))

static void copy(void *dst, const void *src, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		((uint8_t *)dst)[i] = ((const uint8_t *)src)[i];
}

static void map_high_alias(void)
{
	pdpt_high[(HIGH_ALIAS >> 30) & 511] = (uintptr_t)pd | PTE_P | PTE_W;
	pml4[511] = (uintptr_t)pdpt_high | PTE_P | PTE_W;
	write_cr3(read_cr3());
}

static void stack_beyond_ram(void)
{
	uint64_t v;

	catch_gate(VEC_UD, 0);
	catch_gate(VEC_GP, 0);
	catch_clear();
	v = catch_call(ud_body, STACK_BEYOND_RAM, 0);
	if (expect_eq("#UD with the stack beyond RAM: the handler ran", v, VEC_UD)) {
		expect_eq("  ... exactly once", caught.count, 1);
		expect_eq("  ... RSP below the lost frame of 5 quadwords", caught.rsp, STACK_BEYOND_RAM - 40);
	}
	catch_clear();
	v = catch_call(gp_body, STACK_BEYOND_RAM, 0);
	if (expect_eq("#GP(0) with the stack beyond RAM: the handler ran", v, VEC_GP)) {
		expect_eq("  ... exactly once", caught.count, 1);
		expect_eq("  ... RSP below the lost frame of 6 quadwords", caught.rsp, STACK_BEYOND_RAM - 48);
	}
	trap_set_gate(VEC_UD, 0, 0, ACC_INT_GATE);
	trap_set_gate(VEC_GP, 0, 0, ACC_INT_GATE);
}

/* The gate of #UD: its lower half at the end of pages[0], its upper half at
 * the start of pages[1]. */
static void gate_half_beyond_ram(void)
{
	uint8_t *base = pages[1] - VEC_UD * sizeof(struct gate64) - 8;
	uint64_t v;

	catch_gate(VEC_UD, 0);
	copy(base, idt, VEC_UD * sizeof(struct gate64) + 8);
	lidt(base, 256 * sizeof(struct gate64) - 1);
	catch_clear();
	v = catch_call(ud_body, STACK_TOP, 0);
	lidt(idt, sizeof(idt) - 1);
	trap_set_gate(VEC_UD, 0, 0, ACC_INT_GATE);
	if (!expect_eq("#UD through a gate whose upper half is beyond RAM: the handler ran", v, VEC_UD))
		return;
	expect_eq("  ... exactly once", caught.count, 1);
	expect_eq("  ... at offset bits 63:32 all ones", caught.where >> 32, 0xffffffff);
	expect_eq("  ... with the frame of the #UD", caught.frame[0], (uintptr_t)ud_at);
}

/* GDT slots 0-15 (kernel64's) at the end of pages[0], slot 16 beyond RAM; the
 * gate of #UD names slot 16. */
static void code_segment_beyond_ram(void)
{
	uint8_t *base = pages[1] - sizeof(gdt);
	const uint16_t sel = GDT_ENTRIES * 8;
	uint64_t v;

	copy(base, gdt, sizeof(gdt));
	lgdt(base, 2 * sizeof(gdt) - 1);
	gate64_set(&idt[VEC_UD], (uintptr_t)(trap_stubs + 16 * VEC_UD), sel, 0, ACC_P | ACC_INT_GATE);
	catch_gate(VEC_GP, 0);
	catch_clear();
	v = catch_call(ud_body, STACK_TOP, 0);
	lgdt(gdt, sizeof(gdt) - 1);
	trap_set_gate(VEC_UD, 0, 0, ACC_INT_GATE);
	trap_set_gate(VEC_GP, 0, 0, ACC_INT_GATE);
	if (!expect_eq("#UD through a gate whose code segment is beyond RAM: #GP", v, VEC_GP))
		return;
	expect_eq("  ... exactly once", caught.count, 1);
	expect_eq("  ... error code: the selector, EXT set", caught.frame[0], sel | 1);
	expect_eq("  ... at the UD2", caught.frame[1], (uintptr_t)ud_at);
}

/* A second TSS whose IST1 field is the first quadword of pages[1]. */
static void ist_beyond_ram(void)
{
	struct tss64 *t = (struct tss64 *)(pages[1] - 0x24);
	const uint16_t sel = GDT_FIRST_SPARE * 8;
	uint64_t v;

	for (unsigned int i = 0; i < 0x24; i++)
		((uint8_t *)t)[i] = 0;
	tss64_desc(&gdt[GDT_FIRST_SPARE], (uintptr_t)t, sizeof(*t) - 1);
	ltr(sel);
	catch_gate(VEC_UD, 1);
	catch_gate(VEC_PF, 0);
	catch_clear();
	v = catch_call(ud_body, STACK_TOP, 0);
	/* Back to kernel64's TSS: LTR wants it available, not busy. */
	tss64_desc(&gdt[SEL_TSS / 8], (uintptr_t)&tss, sizeof(tss) - 1);
	ltr(SEL_TSS);
	trap_set_gate(VEC_UD, 0, 0, ACC_INT_GATE);
	trap_set_gate(VEC_PF, 0, 0, ACC_INT_GATE);
	if (!expect_eq("#UD through IST1, IST1 beyond RAM: #PF on the first push", v, VEC_PF))
		return;
	expect_eq("  ... exactly once", caught.count, 1);
	expect_eq("  ... CR2 is all ones, aligned, minus 8", caught.cr2, 0xffffffffffffffe8ull);
	expect_eq("  ... error code: a write, not present", caught.frame[0], PF_W);
	expect_eq("  ... at the UD2", caught.frame[1], (uintptr_t)ud_at);
}

static void no_stale_double_fault(void)
{
	uint64_t v = 0;

	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "movq (%1), %0\n1:" : "=r"(v) : "r"(NONCANONICAL) : "memory");
	expect_trap("afterwards, a plain #GP is a #GP", VEC_GP, 0, 0);
	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "movq (%1), %0\n1:" : "=r"(v) : "r"(0xffffffffffff0000ull) : "memory");
	expect_trap("afterwards, a plain #PF is a #PF", VEC_PF, 0, 0);
	(void)v;
}

int main(void)
{
	printf("hostile: exceptions whose delivery touches MMIO\n");
	kernel64_init();
	*paging64_pte((uintptr_t)pages[1]) = RAM_END | PTE_P | PTE_W;
	invlpg(pages[1]);
	map_high_alias();
	stack_beyond_ram();
	gate_half_beyond_ram();
	code_segment_beyond_ram();
	ist_beyond_ram();
	no_stale_double_fault();
	test_done();
}
