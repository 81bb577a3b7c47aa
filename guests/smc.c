/* Self-modifying code: a store to an instruction that is about to run makes
 * the processor run the new bytes (Intel SDM vol. 3A, 11.6 "Self-Modifying
 * Code": stores to the code of the same linear address are checked against
 * instructions already fetched or decoded, and 8.1.3 for the general rule);
 * a translating engine must drop what it made of the old bytes, even inside
 * the block that is running. Each case gives the patched instruction a new
 * value every time and checks that exactly that value comes back:
 *   - the next instruction, patched by the one before it, 300000 times: run
 *     with a 2 MiB dbt cache (smc.args), so the cache fills and is flushed
 *     many times while this block is looked up and translated;
 *   - a later instruction of the running block, past instructions that run
 *     as themselves on dbt;
 *   - a function on another page, patched between calls;
 *   - a function written whole by REP MOVSB (alternating two bodies);
 *   - one linear page mapped to two physical frames in turn (PTE + INVLPG),
 *     each frame holding different code.
 * Status 1 through the debug exit if every check passed. */
#include <stdint.h>

#include "kernel64.h"
#include "paging64.h"
#include "sysreg.h"
#include "test.h"

/* The code the cases patch, in a writable section (identity mapped, no NX). */
__asm__(".pushsection .smc_code, \"awx\", @progbits\n"
	".balign 64\n"
	/* uint32_t smc_next(uint32_t v): returns v by patching the next instruction. */
	".globl smc_next\n"
	"smc_next:\n"
	"movl %edi, 1f+1(%rip)\n"
	"1: movl $0, %eax\n" /* B8 imm32 */
	"ret\n"
	".balign 64\n"
	/* uint32_t smc_later(uint32_t v): patches an instruction three further on. */
	".globl smc_later\n"
	"smc_later:\n"
	"movl %edi, 2f+1(%rip)\n"
	"leal 1(%rdi), %ecx\n"
	"xorl %edx, %edx\n"
	"addl %ecx, %edx\n"
	"2: movl $0, %eax\n"
	"ret\n"
	".balign 4096\n"
	/* On a page of its own: MOV EAX, imm32 (patched from C); RET. */
	".globl smc_other\n"
	"smc_other:\n"
	"movl $0, %eax\n"
	"ret\n"
	".balign 4096\n"
	/* Written whole by REP MOVSB. */
	".globl smc_buffer\n"
	"smc_buffer:\n"
	".fill 64, 1, 0xcc\n"
	".balign 4096\n"
	".popsection\n"
	/* The two bodies copied into smc_buffer. */
	".pushsection .rodata\n"
	".globl body_a, body_b\n"
	"body_a: movl $0xaaaa, %eax\n ret\n"
	"body_b: movl $0xbbbb, %eax\n ret\n"
	".popsection\n");

uint32_t smc_next(uint32_t v);
uint32_t smc_later(uint32_t v);
extern uint8_t smc_other[], smc_buffer[];
extern const uint8_t body_a[], body_b[];

typedef uint32_t (*code_fn)(void);

/* A 2 MiB region split into 4 KiB pages: one linear page, two frames. */
#define AREA 0x1000000ull
#define PG_CODE (AREA + 0 * PAGE_SIZE)
#define FRAME_A (AREA + 1 * PAGE_SIZE)
#define FRAME_B (AREA + 2 * PAGE_SIZE)

static unsigned count_wrong(uint32_t (*fn)(uint32_t), unsigned n)
{
	unsigned wrong = 0;

	for (uint32_t i = 1; i <= n; i++)
		if (fn(i * 2654435761u) != i * 2654435761u)
			wrong++;
	return wrong;
}

static void check_other_page(void)
{
	unsigned wrong = 0;

	for (uint32_t i = 1; i <= 20000; i++) {
		*(volatile uint32_t *)(smc_other + 1) = i;
		if (((code_fn)(uintptr_t)smc_other)() != i)
			wrong++;
	}
	expect_eq("a function on another page patched between calls", wrong, 0);
}

static void check_rep_movsb(void)
{
	unsigned wrong = 0;

	for (unsigned i = 0; i < 20000; i++) {
		const uint8_t *src = i & 1 ? body_b : body_a;
		uint8_t *dst = smc_buffer;
		unsigned long n = 6; /* MOV EAX, imm32 (5) and RET (1) */

		__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
		if (((code_fn)(uintptr_t)smc_buffer)() != (i & 1 ? 0xbbbbu : 0xaaaau))
			wrong++;
	}
	expect_eq("a function written by REP MOVSB runs as written", wrong, 0);
}

static void check_remap(void)
{
	static const uint8_t ret_a[] = { 0xb8, 0x0a, 0, 0, 0, 0xc3 }; /* mov eax, 0xa; ret */
	static const uint8_t ret_b[] = { 0xb8, 0x0b, 0, 0, 0, 0xc3 }; /* mov eax, 0xb; ret */
	uint64_t *pte = paging64_pte(PG_CODE);
	unsigned wrong = 0;

	for (unsigned i = 0; i < sizeof(ret_a); i++) {
		((volatile uint8_t *)FRAME_A)[i] = ret_a[i];
		((volatile uint8_t *)FRAME_B)[i] = ret_b[i];
	}
	for (unsigned i = 0; i < 2000; i++) {
		*pte = (i & 1 ? FRAME_B : FRAME_A) | PTE_P | PTE_W | PTE_U;
		invlpg((void *)PG_CODE);
		if (((code_fn)(uintptr_t)PG_CODE)() != (i & 1 ? 0xbu : 0xau))
			wrong++;
	}
	*pte = PG_CODE | PTE_P | PTE_W | PTE_U;
	invlpg((void *)PG_CODE);
	expect_eq("one linear page remapped between two frames of code", wrong, 0);
}

int main(void)
{
	kernel64_init();
	printf("Self-modifying code tests\n");
	expect_eq("the next instruction, patched by the one before it", count_wrong(smc_next, 300000), 0);
	expect_eq("a later instruction of the running block", count_wrong(smc_later, 100000), 0);
	check_other_page();
	check_rep_movsb();
	check_remap();
	test_done();
}
