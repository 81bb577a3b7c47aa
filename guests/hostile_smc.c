/* Hostile guest, issue 11 class 1: a store that rewrites the code of the
 * block it runs in, immediately followed by a fault whose delivery touches
 * MMIO. The store is the last instruction of a page and the next page is
 * not present, so the fault (#PF on the fetch) comes right after the store,
 * before any other code runs. Real hardware delivers the #PF; what the
 * delivery reads or writes beyond RAM reads all ones or is dropped
 * (docs/guest-abi.md, "Machine"). Cases:
 *   - the stack is beyond RAM: the handler runs once, with RSP where the
 *     CPU put its (lost) 48-byte frame, and CR2 = the page not present;
 *   - the IDT gate of #PF is beyond RAM: the gate reads all ones, which is
 *     no interrupt or trap gate (SDM vol. 3A, 6.14.1 and the INT n
 *     pseudo-code in vol. 2A: #GP(vector * 8 + 2 + EXT)); a #GP while
 *     delivering #PF is a double fault (table 6-5): the #DF handler runs
 *     once with error code 0.
 * Run with --mem 64M (tests/guests/hostile_smc.args): RAM ends at 64 MiB.
 * Before the fix, interp resumed into the freed block (ASan:
 * heap-use-after-free in step()). */
#include <stdint.h>

#include "catch64.h"
#include "kernel64.h"
#include "paging64.h"
#include "sysreg.h"
#include "test.h"

#define RAM_END 0x4000000ul
#define STACK_BEYOND_RAM (RAM_END + 0x10000)

/* smc_store is the last instruction of its page: a 7-byte MOV that writes
 * its own first byte (with the value it has). smc_next, the page after it,
 * is made not present. */
__asm__(".pushsection .text.smc, \"ax\"\n"
	".balign 4096\n"
	"smc_page:\n"
	".org smc_page + 4096 - 7, 0xcc\n"
	".globl smc_store\n"
	"smc_store:\n"
	"movb $0xc6, smc_store(%rip)\n"
	".globl smc_next\n"
	"smc_next:\n"
	".fill 4096, 1, 0xcc\n"
	".popsection\n"
	/* The body for catch_call(): straight into the store. */
	".globl smc_body\n"
	"smc_body:\n"
	"jmp smc_store\n");

extern char smc_store[], smc_next[];
void smc_body(void);

static uint8_t stack[4096] __attribute__((aligned(16)));
/* An IDT whose gates 0-13 lie at the end of idt_pages[0] and gates 14-255 on
 * idt_pages[1], which is remapped beyond RAM. */
static uint8_t idt_pages[2][4096] __attribute__((aligned(4096)));

static void remap(void *va, uint64_t pa)
{
	*paging64_pte((uintptr_t)va) = pa | PTE_P | PTE_W;
	invlpg(va);
}

static void stack_beyond_ram(void)
{
	uint64_t v;

	catch_clear();
	v = catch_call(smc_body, STACK_BEYOND_RAM, 0);
	if (!expect_eq("#PF right after a store into its own block, stack beyond RAM: the handler ran", v, VEC_PF))
		return;
	expect_eq("  ... exactly once", caught.count, 1);
	expect_eq("  ... CR2 is the page that is not present", caught.cr2, (uintptr_t)smc_next);
	expect_eq("  ... RSP is below the CPU's frame of 6 quadwords", caught.rsp, STACK_BEYOND_RAM - 48);
	expect_eq("  ... the frame reads back as all ones", caught.frame[0], ~0ull);
}

static void idt_beyond_ram(void)
{
	uint8_t *base = idt_pages[1] - VEC_PF * sizeof(struct gate64);
	uint64_t v;

	catch_gate(VEC_DF, 0);
	for (unsigned int i = 0; i < VEC_PF * sizeof(struct gate64); i++)
		base[i] = ((uint8_t *)idt)[i];
	remap(idt_pages[1], RAM_END);
	lidt(base, 256 * sizeof(struct gate64) - 1);
	catch_clear();
	v = catch_call(smc_body, (uintptr_t)(stack + sizeof(stack)), 0);
	lidt(idt, sizeof(idt) - 1);
	if (!expect_eq("#PF right after a store into its own block, #PF gate beyond RAM: #DF", v, VEC_DF))
		return;
	expect_eq("  ... exactly once", caught.count, 1);
	expect_eq("  ... with error code 0", caught.frame[0], 0);
}

int main(void)
{
	printf("hostile: self-modifying code, then a fault whose delivery touches MMIO\n");
	kernel64_init();
	catch_gate(VEC_PF, 0);
	*paging64_pte((uintptr_t)smc_next) &= ~PTE_P;
	invlpg(smc_next);
	stack_beyond_ram();
	idt_beyond_ram();
	test_done();
}
