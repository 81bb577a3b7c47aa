/* Hostile guest for instructions that cross a page boundary, which the
 * software engines keep decoded (and dbt translated) like any other block:
 * MOV EAX, imm32 whose opcode and first immediate byte end one linear page
 * and whose last three immediate bytes (then RET) start the next. Such a
 * block depends on two pages, so every case asserts what the processor
 * fetches (SDM vol. 3A, 4.10.4: no stale translation after INVLPG; 11.6: a
 * store to code is seen by later fetches of it):
 *   1. the instruction run 2000 times gives its immediate;
 *   2. the immediate's bytes on the second page rewritten between runs,
 *      through the page's own linear address and through another one;
 *   3. its byte on the first page rewritten between runs;
 *   4. the second linear page remapped (PTE + INVLPG) between two frames
 *      holding different bytes, 2000 times;
 *   5. both linear pages mapped to one frame, so the instruction's last
 *      bytes are at the start of the frame it begins at the end of, and those
 *      bytes rewritten between runs;
 *   6. the second page made not present: #PF at the instruction, CR2 the
 *      second page's first byte.
 * Status 1 if every check passed.
 * Bug this found (case 5, on interp and dbt alike, before crossing blocks
 * were kept): a crossing instruction whose next page maps to the same frame
 * was kept as an ordinary block, its code registered only where it begins,
 * so a store to its last bytes left the old instruction running. */
#include <stdint.h>

#include "codegen.h"
#include "kernel64.h"
#include "paging64.h"
#include "sysreg.h"
#include "test.h"
#include "window64.h"

#define N_RUNS 2000
#define AT (4096 - 2) /* the instruction's offset in its first page */

static uint8_t frames[4][4096] __attribute__((aligned(4096)));

static void poke(uint8_t *at, uint8_t v)
{
	*(volatile uint8_t *)at = v;
}

/* MOV EAX, imm32 at offset AT of `head` (opcode and the immediate's low
 * byte), the immediate's upper three bytes and RET at the start of `tail`. */
static void place(uint8_t *head, uint8_t *tail, uint32_t imm)
{
	poke(head + AT, 0xb8);
	poke(head + AT + 1, (uint8_t)imm);
	poke(tail, (uint8_t)(imm >> 8));
	poke(tail + 1, (uint8_t)(imm >> 16));
	poke(tail + 2, (uint8_t)(imm >> 24));
	poke(tail + 3, 0xc3);
}

static void setup(void)
{
	for (unsigned int f = 0; f < 4; f++)
		for (unsigned int i = 0; i < 4096; i++)
			frames[f][i] = 0xcc;
	map(0, frames[0]);
	map(1, frames[1]);
}

/* 1. */
static void plain(void)
{
	unsigned int bad = 0;

	setup();
	place(frames[0], frames[1], 0x44332211);
	for (unsigned int i = 0; i < N_RUNS; i++)
		bad += call_at(WIN + AT) != 0x44332211;
	expect_eq("1. MOV EAX, imm32 across a page boundary, 2000 runs", bad, 0);
}

/* 2 and 3: the immediate's byte at offset `off` of window page `page` (its
 * bits shift..shift+7) rewritten between runs, through the window and
 * through the frame's own address by turns. */
static void byte_rewritten(const char *what, unsigned int page, unsigned int off, unsigned int shift)
{
	unsigned int bad = 0;

	setup();
	place(frames[0], frames[1], 0x44332211);
	for (unsigned int i = 0; i < N_RUNS; i++) {
		uint8_t v = (uint8_t)(i * 7 + 1);

		poke(i & 1 ? frames[page] + off : (uint8_t *)win(page) + off, v);
		bad += call_at(WIN + AT) != ((0x44332211u & ~(0xffu << shift)) | (uint32_t)v << shift);
	}
	expect_eq(what, bad, 0);
}

/* 4. Frames 1 and 2 hold different upper bytes. */
static void tail_remapped(void)
{
	unsigned int bad = 0;

	setup();
	place(frames[0], frames[1], 0x44332211);
	place(frames[0], frames[2], 0x77665511);
	for (unsigned int i = 0; i < N_RUNS; i++) {
		map(1, frames[1 + (i & 1)]);
		bad += call_at(WIN + AT) != (i & 1 ? 0x77665511u : 0x44332211u);
		bad += call_at(WIN + AT) != (i & 1 ? 0x77665511u : 0x44332211u);
	}
	expect_eq("4. the second page remapped (PTE + INVLPG) between runs, 2000 times", bad, 0);
}

/* 5. Pages 2 and 3 both map frame 3. */
static void one_frame_twice(void)
{
	uint64_t at = WIN + 2 * 4096 + AT;
	unsigned int bad = 0;

	setup();
	map(2, frames[3]);
	map(3, frames[3]);
	place(frames[3], frames[3], 0x44332211);
	for (unsigned int i = 0; i < N_RUNS; i++) {
		uint8_t v = (uint8_t)(i * 3 + 2);

		poke(frames[3] + 1, v);
		bad += call_at(at) != (0x44002211u | (uint32_t)v << 16);
	}
	expect_eq("5. both pages one frame: the instruction's last bytes, at its start, rewritten", bad, 0);
}

/* 6. */
static void tail_absent(void)
{
	uint64_t efer = rdmsr(MSR_EFER);
	uint32_t err = (efer & EFER_NXE) ? PF_I : 0;

	setup();
	place(frames[0], frames[1], 0x44332211);
	for (unsigned int i = 0; i < 8; i++)
		call_at(WIN + AT);
	pt_win[1] &= ~PTE_P;
	invlpg(win(1));
	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "movq %%rsp, %%rbx\n\t"
					   "call *%0\n1:\tmovq %%rbx, %%rsp"
			 :
			 : "r"(WIN + AT)
			 : "rax", "rbx", "memory");
	expect_trap("6. the second page not present: #PF at the instruction", VEC_PF, err, WIN + AT);
	expect_eq("6.   ... CR2 the second page", trap_last.cr2, WIN + 4096);
	map(1, frames[1]);
	expect_eq("6. present again: the instruction runs", call_at(WIN + AT), 0x44332211);
}

int main(void)
{
	printf("hostile: instructions across a page boundary, kept decoded\n");
	kernel64_init();
	window_init();
	plain();
	byte_rewritten("2. its bytes on the second page rewritten between runs", 1, 1, 16);
	byte_rewritten("3. its byte on the first page rewritten between runs", 0, AT + 1, 0);
	tail_remapped();
	one_frame_twice();
	tail_absent();
	test_done();
}
