/* Hostile guest for dbt's links between blocks and its inline lookup (commit
 * 23e7d27): code at one linear address that changes under it. A link (a
 * direct JMP patched to the next block's host code) and a lookup entry (RIP ->
 * host code, for exits after CALL/RET/indirect JMP) hold only while the code
 * they lead to is what the guest would fetch. Every case asserts what the
 * processor fetches (SDM vol. 3A, 4.10.4: after INVLPG or MOV CR3 no stale
 * translation of the page is used; 11.6: a store to code is seen by later
 * fetches of it):
 *   1. a page mapped at four linear addresses at once, whose block ends with
 *      a JMP into the next page, which the four mappings map to different
 *      frames: the JMP goes to the next page of the address it runs at;
 *   2. the page a linked JMP goes to remapped (PTE + INVLPG) between two
 *      frames, and the page holding the JMP remapped, 2000 times each;
 *   3. the same by MOV CR3 between two PML4s;
 *   4. a loop of linked blocks, all in guest code, that remaps the page its
 *      JMPs go to (PTE store + INVLPG) on every pass: 20000 passes;
 *   5. a hot JMP's target instruction rewritten by a store from the block
 *      before it, every pass (20000);
 *   6. a callee rewriting the instruction its RET returns to, every call;
 *   7. indirect CALL, JMP and RET to a page made not present after it was
 *      run and looked up: #PF at the target, CR2 = the target;
 *   8. an indirect CALL to code rewritten through another linear address;
 *   9. a linked JMP whose target, in another 64-byte chunk of the same page
 *      (so the JMP's own block stays), is rewritten between calls.
 * Status 1 if every check passed.
 * Bug this found (case 1): blocks are keyed by physical address, so both
 * mappings of the page run one translation, and its JMP's link site, linked
 * to the next page's block while it ran at the first address, took the
 * second address's run there too (the link is guarded only by the jump
 * cache's generation, which nothing moved): 0x11 instead of 0x22 on every
 * round after the first. interp and lockstep (no links) pass. */
#include <stdint.h>

#include "codegen.h"
#include "kernel64.h"
#include "paging64.h"
#include "sysreg.h"
#include "test.h"
#include "window64.h"

#define N_REMAP 2000
#define N_LOOP 20000

static uint8_t frames[12][4096] __attribute__((aligned(4096)));
/* The other address space (case 3): a copy of the kernel's with its own
 * window. */
static uint64_t pml4_b[512] __attribute__((aligned(4096)));
static uint64_t pdpt_b[512] __attribute__((aligned(4096)));
static uint64_t pd_b[512] __attribute__((aligned(4096)));
static uint64_t pt_b[512] __attribute__((aligned(4096)));

static void put(void *at, const uint8_t *bytes, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		((volatile uint8_t *)at)[i] = bytes[i];
}

static void clear_frames(void)
{
	for (unsigned int f = 0; f < 12; f++)
		for (unsigned int i = 0; i < 4096; i++)
			frames[f][i] = 0xcc;
}

/* 1. Pages 0, 2, 4 and 6 of the window map frame 0: NOP; JMP to the start
 * of the next page. Pages 1, 3, 5 and 7 map frames 1, 2, 3 and 6, which
 * return 0x11, 0x22, 0x33 and 0x66. Run at the four addresses in turn (more
 * than dbt keeps translations of one block for). */
static void alias(void)
{
	static const unsigned int next_frame[4] = { 1, 2, 3, 6 };
	unsigned int bad1 = 0, bad_more = 0;

	clear_frames();
	frames[0][0] = 0x90;
	put_jmp(&frames[0][1], WIN + 1, WIN + 4096);
	for (unsigned int a = 0; a < 4; a++) {
		put_ret_value(frames[next_frame[a]], 0x11 * next_frame[a]);
		map(2 * a, frames[0]);
		map(2 * a + 1, frames[next_frame[a]]);
	}
	for (unsigned int i = 0; i < 8; i++)
		for (unsigned int a = 0; a < 4; a++) {
			unsigned int got = (unsigned int)call_at(WIN + 2 * a * 4096);

			if (a == 0)
				bad1 += got != 0x11;
			else
				bad_more += got != 0x11 * next_frame[a];
		}
	expect_eq("1. one frame at four addresses, JMP to the next page: the next page of the first", bad1, 0);
	expect_eq("1.   ... and of the others (each its own next page, another frame)", bad_more, 0);
}

/* 2. Page 0: NOP; JMP page 1. Page 1 alternates between frames 1 and 2;
 * then page 0 alternates between frame 0 and frame 3 (returns 0x33). */
static void remap_pte(void)
{
	unsigned int bad = 0;

	clear_frames();
	frames[0][0] = 0x90;
	put_jmp(&frames[0][1], WIN + 1, WIN + 4096);
	put_ret_value(frames[1], 0x11);
	put_ret_value(frames[2], 0x22);
	put_ret_value(frames[3], 0x33);
	map(0, frames[0]);
	for (unsigned int i = 0; i < N_REMAP; i++) {
		map(1, frames[1 + (i & 1)]);
		bad += call_at(WIN) != (i & 1 ? 0x22u : 0x11u);
		bad += call_at(WIN) != (i & 1 ? 0x22u : 0x11u);
	}
	expect_eq("2. the linked JMP's target page remapped (PTE + INVLPG), 2000 times", bad, 0);
	bad = 0;
	map(1, frames[1]);
	for (unsigned int i = 0; i < N_REMAP; i++) {
		map(0, frames[i & 1 ? 3 : 0]);
		bad += call_at(WIN) != (i & 1 ? 0x33u : 0x11u);
		bad += call_at(WIN) != (i & 1 ? 0x33u : 0x11u);
	}
	expect_eq("2.   ... the JMP's own page remapped, 2000 times", bad, 0);
}

/* 3. Address space A (the kernel's) maps page 1 to frame 1, B to frame 2;
 * both map page 0 to frame 0. */
static void remap_cr3(void)
{
	uint64_t cr3_a = read_cr3(), cr3_b = pa(pml4_b);
	unsigned int bad = 0;

	clear_frames();
	frames[0][0] = 0x90;
	put_jmp(&frames[0][1], WIN + 1, WIN + 4096);
	put_ret_value(frames[1], 0x11);
	put_ret_value(frames[2], 0x22);
	map(0, frames[0]);
	map(1, frames[1]);
	for (unsigned int i = 0; i < 512; i++) {
		pml4_b[i] = pml4[i];
		pdpt_b[i] = pdpt[i];
		pd_b[i] = pd_win[i];
		pt_b[i] = pt_win[i];
	}
	pt_b[1] = pa(frames[2]) | RW;
	pd_b[0] = pa(pt_b) | RW;
	pdpt_b[1] = pa(pd_b) | RW;
	pml4_b[0] = pa(pdpt_b) | RW | PTE_U;
	for (unsigned int i = 0; i < N_REMAP; i++) {
		write_cr3(i & 1 ? cr3_b : cr3_a);
		bad += call_at(WIN) != (i & 1 ? 0x22u : 0x11u);
		bad += call_at(WIN) != (i & 1 ? 0x22u : 0x11u);
	}
	write_cr3(cr3_a);
	expect_eq("3. MOV CR3 between two PML4s mapping the JMP's target apart, 2000 times", bad, 0);
}

/* 4. Page 0 at frame 4:
 *   0x00: MOV [RSI], R8; INVLPG [RDI]; JMP page 1   (page 1 := frame 5)
 *   0x40: MOV [RSI], R9; INVLPG [RDI]; JMP page 1   (page 1 := frame 6)
 *   0x80: DEC ECX; JNZ 0x00; RET
 * frame 5: ADD RAX, 1; JMP 0x40. frame 6: ADD RAX, 0x100; JMP 0x80.
 * RSI = page 1's PTE, RDI = page 1. */
static void invlpg_loop(void)
{
	static const uint8_t mov_r8[] = { 0x4c, 0x89, 0x06 }, mov_r9[] = { 0x4c, 0x89, 0x0e };
	static const uint8_t inv[] = { 0x0f, 0x01, 0x3f }, dec_jnz[] = { 0xff, 0xc9, 0x0f, 0x85 };
	static const uint8_t add1[] = { 0x48, 0x83, 0xc0, 0x01 }, add100[] = { 0x48, 0x05, 0x00, 0x01, 0x00, 0x00 };
	uint8_t *p0 = frames[4];
	uint64_t rax;

	clear_frames();
	put(p0, mov_r8, 3);
	put(p0 + 3, inv, 3);
	put_jmp(p0 + 6, WIN + 6, WIN + 4096);
	put(p0 + 0x40, mov_r9, 3);
	put(p0 + 0x43, inv, 3);
	put_jmp(p0 + 0x46, WIN + 0x46, WIN + 4096);
	put(p0 + 0x80, dec_jnz, 4);
	put32(p0 + 0x84, (uint32_t)(0 - 0x88));
	p0[0x88] = 0xc3;
	put(frames[5], add1, 4);
	put_jmp(frames[5] + 4, WIN + 4096 + 4, WIN + 0x40);
	put(frames[6], add100, 6);
	put_jmp(frames[6] + 6, WIN + 4096 + 6, WIN + 0x80);
	map(0, frames[4]);
	map(1, frames[5]);
	{
		register uint64_t r8 __asm__("r8") = pa(frames[5]) | RW;
		register uint64_t r9 __asm__("r9") = pa(frames[6]) | RW;

		__asm__ volatile("call *%%rdx"
				 : "=a"(rax), "+r"(r8), "+r"(r9)
				 : "a"(0ul), "c"(N_LOOP), "d"(WIN), "S"(&pt_win[1]), "D"(WIN + 4096)
				 : "r10", "r11", "memory");
	}
	expect_eq("4. a loop of blocks remapping their JMPs' target (PTE + INVLPG) on every pass", rax,
		  (uint64_t)N_LOOP * 0x101);
}

/* 5. Page 0 at frame 7:
 *   0x00: MOV [RSI], R8B; JMP page 1      (RSI = page 1 + 3: ADD's imm8)
 *   0x40: INC R8D; DEC ECX; JNZ 0x00; RET
 * page 1 at frame 8: ADD RAX, imm8; JMP 0x40. */
static void smc_loop(void)
{
	static const uint8_t mov_r8b[] = { 0x44, 0x88, 0x06 }, tail[] = { 0x41, 0xff, 0xc0, 0xff, 0xc9, 0x0f, 0x85 };
	static const uint8_t add[] = { 0x48, 0x83, 0xc0, 0x00 };
	uint8_t *p0 = frames[7];
	uint64_t rax, want = 0;

	clear_frames();
	put(p0, mov_r8b, 3);
	put_jmp(p0 + 3, WIN + 3, WIN + 4096);
	put(p0 + 0x40, tail, 7);
	put32(p0 + 0x47, (uint32_t)(0 - 0x4b));
	p0[0x4b] = 0xc3;
	put(frames[8], add, 4);
	put_jmp(frames[8] + 4, WIN + 4096 + 4, WIN + 0x40);
	map(0, frames[7]);
	map(1, frames[8]);
	for (uint32_t i = 0; i < N_LOOP; i++)
		want += (uint64_t)(int64_t)(int8_t)(uint8_t)(i + 5);
	__asm__ volatile("movl $5, %%r8d\n\t"
			 "call *%%rdx"
			 : "=a"(rax)
			 : "a"(0ul), "c"(N_LOOP), "d"(WIN), "S"(WIN + 4096 + 3)
			 : "rdi", "r8", "r9", "r10", "r11", "memory");
	expect_eq("5. a hot JMP's target rewritten from the block before it, every pass", rax, want);
}

/* 6. Page 0 at frame 9:
 *   0x00: CALL 0x100; MOV EAX, imm32; RET
 *   0x100: MOV [RSI], EDI; RET            (RSI = page 0 + 6: the imm32)
 * Called with EDI = i: returns i. */
static void ret_target(void)
{
	static const uint8_t callee[] = { 0x89, 0x3e, 0xc3 };
	uint8_t *p0 = frames[9];
	unsigned int bad = 0;

	clear_frames();
	p0[0] = 0xe8;
	put32(p0 + 1, 0x100 - 5);
	put_ret_value(p0 + 5, 0);
	put(p0 + 0x100, callee, 3);
	map(0, frames[9]);
	for (uint32_t i = 1; i <= N_REMAP; i++) {
		uint64_t r;

		__asm__ volatile("call *%1"
				 : "=a"(r)
				 : "r"(WIN), "D"(i), "S"(WIN + 6)
				 : "rcx", "rdx", "r8", "r9", "r10", "r11", "memory");
		bad += r != i;
	}
	expect_eq("6. a callee rewriting the instruction it returns to, every call", bad, 0);
}

/* 7. Page 1 returns 0x11 (frame 1) and is run by CALL; then it is not
 * present. */
static void unmapped(void)
{
	uint64_t target = WIN + 4096, efer = rdmsr(MSR_EFER);
	uint32_t err = (efer & EFER_NXE) ? PF_I : 0;
	unsigned int bad = 0;

	clear_frames();
	put_ret_value(frames[1], 0x11);
	map(1, frames[1]);
	for (unsigned int i = 0; i < 8; i++)
		bad += call_at(target) != 0x11;
	expect_eq("7. CALL to the page while it is present", bad, 0);
	pt_win[1] &= ~PTE_P;
	invlpg(win(1));
	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "jmp *%0\n1:" : : "r"(target) : "memory");
	expect_trap("7. then JMP to it: #PF at the target", VEC_PF, err, target);
	expect_eq("7.   ... CR2 the target", trap_last.cr2, target);
	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "pushq %0\n\tret\n1:" : : "r"(target) : "memory");
	expect_trap("7. RET to it: #PF at the target", VEC_PF, err, target);
	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "movq %%rsp, %%rbx\n\t"
					   "call *%0\n1:\tmovq %%rbx, %%rsp"
			 :
			 : "r"(target)
			 : "rbx", "memory");
	expect_trap("7. CALL to it: #PF at the target", VEC_PF, err, target);
	map(1, frames[1]);
	expect_eq("7. present again: CALL returns", call_at(target), 0x11);
}

/* 8. Page 1 (frame 1) rewritten through its identity address between
 * calls at the window. */
static void rewritten(void)
{
	unsigned int bad = 0;

	clear_frames();
	map(1, frames[1]);
	for (uint32_t i = 0; i < N_REMAP; i++) {
		put_ret_value(frames[1], i);
		bad += call_at(WIN + 4096) != i;
		bad += call_at(WIN + 4096) != i;
	}
	expect_eq("8. CALL to code rewritten through another address, between calls", bad, 0);
}

/* 9. Page 0 (frame 10): NOP; JMP 0x80. At 0x80: MOV EAX, i; RET, rewritten
 * through the frame's identity address between calls. The JMP's block, at
 * 0x00, is not written: only the link to the block at 0x80 can go stale. */
static void link_target_rewritten(void)
{
	unsigned int bad = 0;

	clear_frames();
	frames[10][0] = 0x90;
	put_jmp(&frames[10][1], WIN + 1, WIN + 0x80);
	map(0, frames[10]);
	for (uint32_t i = 0; i < N_REMAP; i++) {
		put_ret_value(&frames[10][0x80], i);
		bad += call_at(WIN) != i;
		bad += call_at(WIN) != i;
	}
	expect_eq("9. a linked JMP's target rewritten between calls, the JMP's block kept", bad, 0);
}

int main(void)
{
	printf("hostile: dbt, code that changes under its links and lookups\n");
	kernel64_init();
	window_init();
	alias();
	remap_pte();
	remap_cr3();
	invlpg_loop();
	smc_loop();
	ret_target();
	unmapped();
	rewritten();
	link_target_rewritten();
	test_done();
}
