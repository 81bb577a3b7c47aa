/* Hostile guest for the jump cache and dbt's inline lookup keeping the
 * entries of code in GLOBAL pages across MOV CR3 (commit a4b9019): code at
 * one linear address, in or next to a global page (PTE.G, CR4.PGE = 1), that
 * changes under it. Keeping a global translation across MOV CR3 is allowed
 * (SDM vol. 3A, 4.10.2.4 and 4.10.4.1), so nothing here asserts that a stale
 * global translation is used; every case asserts only what the processor must
 * fetch:
 *   1. a global code page remapped (PTE + INVLPG of that page) between two
 *      frames, 2000 times: the next call runs the new frame's code (4.10.4.1:
 *      INVLPG invalidates the page's translations, global or not). Also an
 *      instruction that starts in a global page that is not remapped and ends
 *      in the remapped one (INVLPG of the second page only), and a JMP from
 *      the unchanged global page into the remapped one;
 *   2. the same with the PTE change followed by MOV CR4 clearing CR4.PGE and
 *      setting it again (4.10.4.1: a MOV to CR4 that changes PGE invalidates
 *      all TLB entries, global ones too) instead of INVLPG;
 *   3. non-global code pages mapped to different frames by two PML4s that
 *      both map the kernel and one code page global, MOV CR3 between them
 *      every round (4.10.4.1: MOV CR3 invalidates every non-global
 *      translation): the whole page, the straddling instruction (which starts
 *      in the global page) and the JMP from the global page all run the
 *      current hierarchy's code;
 *   4. a global code page rewritten by a store, through the same linear
 *      address or through another (global) one, followed only by the CALL to
 *      it (SDM vol. 3A, 11.6: a store to code is seen by later fetches);
 *   5. CR4.PGE = 0 with the PTEs' G flags still set: the PTE change followed
 *      by MOV CR3 alone (table 4-20: G is ignored unless CR4.PGE = 1, so no
 *      translation is global and MOV CR3 invalidates them all).
 * Each property is one line; a failure also prints its first wrong round.
 * Status 1 if every check passed. */
#include <stdint.h>

#include "codegen.h"
#include "kernel64.h"
#include "paging64.h"
#include "sysreg.h"
#include "test.h"
#include "window64.h"

#define N_ROUNDS 2000
#define CALLS 3 /* calls per round and variant */

/* Frames: page 0 (whole-page code) A and B; page 1 (global, never changed:
 * the JMP at 0 and the straddling instruction's first byte at 0xfff); page 2
 * (the straddling instruction's imm32 and RET) A and B; page 3 (JMP target)
 * A and B; the self-modified page. */
enum { F_P0A, F_P0B, F_P1, F_P2A, F_P2B, F_P3A, F_P3B, F_SMC, N_FRAMES };

static uint8_t frames[N_FRAMES][4096] __attribute__((aligned(4096)));
/* The other address space (case 3). */
static uint64_t pml4_b[512] __attribute__((aligned(4096)));
static uint64_t pdpt_b[512] __attribute__((aligned(4096)));
static uint64_t pd_b[512] __attribute__((aligned(4096)));
static uint64_t pt_b[512] __attribute__((aligned(4096)));

enum method { BY_INVLPG, BY_PGE_TOGGLE, BY_CR3_NO_PGE };

/* Linear entry points of the three variants. */
#define AT_WHOLE WIN
#define AT_STRADDLE (WIN + 4096 + 0xfff)
#define AT_JMP (WIN + 4096)

/* Code for case `base`: variant v (0 = A, 1 = B) returns base + 0xa0/0xb0
 * (whole page), + 0xa2/0xb2 (straddling), + 0xa3/0xb3 (JMP target). */
static uint32_t want_of(uint32_t base, unsigned int variant, unsigned int v)
{
	return base + (v ? 0xb0 : 0xa0) + variant;
}

static void write_code(uint32_t base)
{
	uint8_t *p1 = frames[F_P1];

	for (unsigned int f = 0; f < N_FRAMES; f++)
		for (unsigned int i = 0; i < 4096; i++)
			((volatile uint8_t *)frames[f])[i] = 0xcc;
	put_ret_value(frames[F_P0A], want_of(base, 0, 0));
	put_ret_value(frames[F_P0B], want_of(base, 0, 1));
	/* Page 1: NOP; JMP page 3, and MOV EAX's opcode as its last byte. */
	p1[0] = 0x90;
	p1[1] = 0xe9;
	put32(p1 + 2, (uint32_t)(3 * 4096 - (4096 + 6)));
	p1[0xfff] = 0xb8;
	put32(frames[F_P2A], want_of(base, 2, 0));
	frames[F_P2A][4] = 0xc3;
	put32(frames[F_P2B], want_of(base, 2, 1));
	frames[F_P2B][4] = 0xc3;
	put_ret_value(frames[F_P3A], want_of(base, 3, 0));
	put_ret_value(frames[F_P3B], want_of(base, 3, 1));
}

struct tally {
	unsigned int bad, first_round;
	uint64_t first_got, first_want;
};

static void check(struct tally *t, unsigned int round, uint64_t got, uint64_t want)
{
	if (got == want)
		return;
	if (!t->bad++) {
		t->first_round = round;
		t->first_got = got;
		t->first_want = want;
	}
}

static void verdict(const char *name, const struct tally *t)
{
	if (!expect_eq(name, t->bad, 0))
		printf("  (%u of %u calls wrong; first in round %u: got 0x%x, want 0x%x)\n", t->bad, N_ROUNDS * CALLS,
		       t->first_round, (unsigned int)t->first_got, (unsigned int)t->first_want);
}

/* Runs the three variants CALLS times each for round `round`, variant v. */
static void run_round(struct tally t[3], uint32_t base, unsigned int round, unsigned int v)
{
	for (unsigned int c = 0; c < CALLS; c++) {
		check(&t[0], round, call_at(AT_WHOLE), want_of(base, 0, v));
		check(&t[1], round, call_at(AT_STRADDLE), want_of(base, 2, v));
		check(&t[2], round, call_at(AT_JMP), want_of(base, 3, v));
	}
}

static void map_window(unsigned int v, uint64_t g)
{
	pt_win[0] = pa(frames[v ? F_P0B : F_P0A]) | RW | g;
	pt_win[2] = pa(frames[v ? F_P2B : F_P2A]) | RW | g;
	pt_win[3] = pa(frames[v ? F_P3B : F_P3A]) | RW | g;
}

static void flush(enum method m)
{
	unsigned long cr4;

	switch (m) {
	case BY_INVLPG:
		/* Not page 1: it did not change. */
		invlpg(win(0));
		invlpg(win(2));
		invlpg(win(3));
		break;
	case BY_PGE_TOGGLE:
		cr4 = read_cr4();
		write_cr4(cr4 & ~CR4_PGE);
		write_cr4(cr4);
		break;
	case BY_CR3_NO_PGE:
		write_cr3(read_cr3());
		break;
	}
}

/* Cases 1, 2 and 5: the window's pages 0, 2 and 3 (G set) alternate between
 * frames A and B, each change followed by flush(m). */
static void remap_rounds(enum method m, uint32_t base, const char *const names[3])
{
	struct tally t[3] = { { 0 } };
	struct tally warm[3] = { { 0 } };

	write_code(base);
	pt_win[1] = pa(frames[F_P1]) | RW | PTE_G;
	map_window(0, PTE_G);
	invlpg(win(1));
	flush(BY_INVLPG);
	for (unsigned int i = 0; i < 8; i++)
		run_round(warm, base, 0, 0);
	for (unsigned int i = 0; i < N_ROUNDS; i++) {
		unsigned int v = (i + 1) & 1;

		map_window(v, PTE_G);
		flush(m);
		run_round(t, base, i, v);
	}
	for (unsigned int k = 0; k < 3; k++)
		t[k].bad += warm[k].bad;
	for (unsigned int k = 0; k < 3; k++)
		verdict(names[k], &t[k]);
}

/* 3. A (the kernel's tables) and B map pages 0, 2, 3 non-global to frames
 * A and B; both map page 1 global to the same frame and the kernel global. */
static void cr3_rounds(void)
{
	static const char *const names[3] = {
		"3. non-global code page, MOV CR3 between two PML4s, 2000 times",
		"3.   ... an instruction from a global page into a non-global one",
		"3.   ... a JMP from a global page into a non-global one",
	};
	uint64_t cr3_a = read_cr3(), cr3_b = pa(pml4_b);
	const uint32_t base = 0x300;
	struct tally t[3] = { { 0 } };
	struct tally warm[3] = { { 0 } };

	write_code(base);
	pt_win[1] = pa(frames[F_P1]) | RW | PTE_G;
	map_window(0, 0);
	invlpg(win(1));
	flush(BY_INVLPG);
	for (unsigned int i = 0; i < 512; i++) {
		pml4_b[i] = pml4[i];
		pdpt_b[i] = pdpt[i];
		pd_b[i] = pd_win[i];
		pt_b[i] = pt_win[i];
	}
	pt_b[0] = pa(frames[F_P0B]) | RW;
	pt_b[2] = pa(frames[F_P2B]) | RW;
	pt_b[3] = pa(frames[F_P3B]) | RW;
	pd_b[0] = pa(pt_b) | RW;
	pdpt_b[1] = pa(pd_b) | RW;
	pml4_b[0] = pa(pdpt_b) | RW | PTE_U;
	for (unsigned int i = 0; i < 8; i++)
		run_round(warm, base, 0, 0);
	for (unsigned int i = 0; i < N_ROUNDS; i++) {
		unsigned int v = (i + 1) & 1;

		write_cr3(v ? cr3_b : cr3_a);
		run_round(t, base, i, v);
	}
	write_cr3(cr3_a);
	for (unsigned int k = 0; k < 3; k++)
		t[k].bad += warm[k].bad;
	for (unsigned int k = 0; k < 3; k++)
		verdict(names[k], &t[k]);
}

/* 4. Page 4 of the window maps F_SMC global: MOV EAX, imm32; RET. The
 * imm32 is stored to, through the window or through the frame's identity
 * address (also global), and the store is followed directly by the CALL. */
static void smc_rounds(void)
{
	uint64_t at_win = WIN + 4 * 4096;
	struct tally t[2] = { { 0 } };

	put_ret_value(frames[F_SMC], 0);
	pt_win[4] = pa(frames[F_SMC]) | RW | PTE_G;
	invlpg(win(4));
	for (unsigned int i = 0; i < 8; i++)
		check(&t[0], 0, call_at(at_win), 0);
	for (unsigned int k = 0; k < 2; k++) {
		uint64_t imm = k ? pa(frames[F_SMC]) + 1 : at_win + 1;

		for (uint32_t i = 0; i < N_ROUNDS; i++) {
			uint32_t v = 0x4000 + k * 0x10000 + i;
			uint64_t r;

			__asm__ volatile("movl %k2, (%3)\n\t"
					 "call *%1"
					 : "=a"(r)
					 : "r"(at_win), "r"(v), "r"(imm)
					 : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
			check(&t[k], i, r, v);
			check(&t[k], i, call_at(at_win), v);
			check(&t[k], i, call_at(at_win), v);
		}
	}
	verdict("4. global code page rewritten through its own address, then CALL, 2000 times", &t[0]);
	verdict("4.   ... through another (global) address", &t[1]);
}

int main(void)
{
	static const char *const names1[3] = {
		"1. global code page remapped (PTE + INVLPG), 2000 times",
		"1.   ... an instruction from an unchanged global page into it",
		"1.   ... a JMP from an unchanged global page into it",
	};
	static const char *const names2[3] = {
		"2. global code page remapped (PTE + CR4.PGE cleared and set), 2000 times",
		"2.   ... an instruction from an unchanged global page into it",
		"2.   ... a JMP from an unchanged global page into it",
	};
	static const char *const names5[3] = {
		"5. G set but CR4.PGE clear: code page remapped (PTE + MOV CR3), 2000 times",
		"5.   ... an instruction from another G page into it",
		"5.   ... a JMP from another G page into it",
	};
	unsigned long cr4;

	printf("hostile: global code pages across INVLPG, CR4.PGE, MOV CR3 and stores\n");
	kernel64_init();
	/* The kernel global: every 2 MiB page of the first GiB. */
	for (unsigned int i = 0; i < 512; i++)
		pd[i] |= PTE_G;
	window_init();
	cr4 = read_cr4();
	write_cr4(cr4 | CR4_PGE);
	remap_rounds(BY_INVLPG, 0x100, names1);
	remap_rounds(BY_PGE_TOGGLE, 0x200, names2);
	cr3_rounds();
	smc_rounds();
	write_cr4(cr4 & ~CR4_PGE);
	remap_rounds(BY_CR3_NO_PGE, 0x500, names5);
	write_cr4(cr4 | CR4_PGE);
	test_done();
}
