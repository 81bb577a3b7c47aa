/* Hostile guest for dbt's traces (run with --dbt-traces all, so that its
 * CPL 0 code is decoded as traces): blocks that go on through a direct CALL
 * into a callee on another page and back through its RET, with the return
 * address predicted. A trace holds only while each of its pages maps where
 * it did and nothing wrote its code; a RET that returns elsewhere goes
 * elsewhere. Every case asserts what the processor does (SDM vol. 3A,
 * 4.10.4: after INVLPG no stale translation of the page is used; 11.6: a
 * store to code is seen by later fetches of it; vol. 2A CALL and RET: RET
 * goes to the address on the stack, whatever pushed it):
 *   1. the callee's page remapped (PTE + INVLPG) between two frames, 2000
 *      times: each call runs the frame mapped then;
 *   2. the callee rewritten by a store between calls, 2000 times;
 *   3. a callee that returns past its return address (POP, ADD, PUSH, RET),
 *      alternating with one that returns normally, 2000 times each;
 *   4. a retpoline: CALL to a thunk that CALLs ahead, overwrites the return
 *      address with RAX and RETs there, 2000 times;
 *   5. a loop of 20000 passes calling a callee on another page;
 *   6. the callee's page made not present after the trace ran: the CALL
 *      pushes its return address and faults at the callee, #PF with CR2 the
 *      callee, then present again: the call returns.
 * Status 1 if every check passed. */
#include <stdint.h>

#include "codegen.h"
#include "kernel64.h"
#include "paging64.h"
#include "sysreg.h"
#include "test.h"
#include "window64.h"

#define ROUNDS 2000
#define PASSES 20000

static uint8_t frames[8][4096] __attribute__((aligned(4096)));

static void put(uint8_t *at, const uint8_t *bytes, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		((volatile uint8_t *)at)[i] = bytes[i];
}

/* CALL rel32 at `at` (in a page placed at linear `from`) to linear `to`. */
static void put_call(uint8_t *at, uint64_t from, uint64_t to)
{
	((volatile uint8_t *)at)[0] = 0xe8;
	put32(at + 1, (uint32_t)(to - (from + 5)));
}

/* ADD EAX, imm32 */
static void put_add_eax(uint8_t *at, uint32_t v)
{
	((volatile uint8_t *)at)[0] = 0x05;
	put32(at + 1, v);
}

static void clear_frames(void)
{
	for (unsigned int f = 0; f < 8; f++)
		for (unsigned int i = 0; i < 4096; i++)
			frames[f][i] = 0xcc;
}

/* Page 0 := frame 0: CALL page 1; ADD EAX, 0x100000; ADD EAX, 0x200000; RET. */
static void caller(void)
{
	put_call(frames[0], WIN, WIN + 4096);
	put_add_eax(frames[0] + 5, 0x100000);
	put_add_eax(frames[0] + 10, 0x200000);
	frames[0][15] = 0xc3;
	map(0, frames[0]);
}

/* 1 and 2. */
static void remapped_and_rewritten(void)
{
	unsigned int bad = 0;

	clear_frames();
	caller();
	put_ret_value(frames[1], 0x11);
	put_ret_value(frames[2], 0x22);
	for (unsigned int i = 0; i < ROUNDS; i++) {
		uint32_t want = 0x300000 + (i & 1 ? 0x22 : 0x11);

		map(1, frames[1 + (i & 1)]);
		bad += call_at(WIN) != want;
		bad += call_at(WIN) != want;
	}
	expect_eq("1. the callee's page remapped (PTE + INVLPG) between calls, 2000 times", bad, 0);
	bad = 0;
	map(1, frames[1]);
	for (uint32_t i = 0; i < ROUNDS; i++) {
		put_ret_value(frames[1], i);
		bad += call_at(WIN) != 0x300000 + i;
		bad += call_at(WIN) != 0x300000 + i;
	}
	expect_eq("2. the callee rewritten by a store between calls, 2000 times", bad, 0);
}

/* 3. Frame 3: POP RCX; ADD RCX, 5; PUSH RCX; MOV EAX, 0x44; RET: back to the
 * second ADD, past the first. */
static void returns_elsewhere(void)
{
	static const uint8_t skip[] = { 0x59, 0x48, 0x83, 0xc1, 0x05, 0x51 };
	unsigned int bad_normal = 0, bad_skip = 0;

	clear_frames();
	caller();
	put_ret_value(frames[1], 0x11);
	put(frames[3], skip, sizeof(skip));
	put_ret_value(frames[3] + sizeof(skip), 0x44);
	for (unsigned int i = 0; i < ROUNDS; i++) {
		map(1, frames[1]);
		bad_normal += call_at(WIN) != 0x300011;
		map(1, frames[3]);
		bad_skip += call_at(WIN) != 0x200044;
		bad_skip += call_at(WIN) != 0x200044;
	}
	expect_eq("3. a callee returning normally, between others that do not", bad_normal, 0);
	expect_eq("3.   ... one returning past its return address: RET goes where the stack says", bad_skip, 0);
}

/* 4. Page 0 := frame 4:
 *   0x00: LEA RAX, [RIP + 0x40 - 7]; CALL page 1; ADD EAX, 0x100000; RET
 *   0x40: MOV EAX, 0x55; RET
 * page 1 := frame 5, the thunk: CALL 0x10; PAUSE; LFENCE; JMP 0x05;
 *   0x10: MOV [RSP], RAX; RET. */
static void retpoline(void)
{
	static const uint8_t lea[] = { 0x48, 0x8d, 0x05, 0x39, 0x00, 0x00, 0x00 };
	static const uint8_t trap[] = { 0xf3, 0x90, 0x0f, 0xae, 0xe8, 0xeb, 0xf9 };
	static const uint8_t to_rax[] = { 0x48, 0x89, 0x04, 0x24, 0xc3 };
	unsigned int bad = 0;

	clear_frames();
	put(frames[4], lea, sizeof(lea));
	put_call(frames[4] + 7, WIN + 7, WIN + 4096);
	put_add_eax(frames[4] + 12, 0x100000);
	frames[4][17] = 0xc3;
	put_ret_value(frames[4] + 0x40, 0x55);
	put_call(frames[5], WIN + 4096, WIN + 4096 + 0x10);
	put(frames[5] + 5, trap, sizeof(trap));
	put(frames[5] + 0x10, to_rax, sizeof(to_rax));
	map(0, frames[4]);
	map(1, frames[5]);
	for (unsigned int i = 0; i < ROUNDS; i++)
		bad += call_at(WIN) != 0x100055;
	expect_eq("4. a retpoline: its RET goes to RAX, not after its CALL, 2000 times", bad, 0);
}

/* 5. Page 0 := frame 6: XOR EAX, EAX; 0x02: CALL page 1; DEC ECX; JNZ 0x02;
 * RET. Page 1 := frame 7: INC EAX; RET. */
static void loop_calls(void)
{
	static const uint8_t xor_eax[] = { 0x31, 0xc0 }, dec_jnz[] = { 0xff, 0xc9, 0x75, 0xf7 };
	static const uint8_t inc_ret[] = { 0xff, 0xc0, 0xc3 };
	uint64_t rax;

	clear_frames();
	put(frames[6], xor_eax, sizeof(xor_eax));
	put_call(frames[6] + 2, WIN + 2, WIN + 4096);
	put(frames[6] + 7, dec_jnz, sizeof(dec_jnz));
	frames[6][11] = 0xc3;
	put(frames[7], inc_ret, sizeof(inc_ret));
	map(0, frames[6]);
	map(1, frames[7]);
	__asm__ volatile("call *%1"
			 : "=a"(rax)
			 : "r"(WIN), "c"(PASSES)
			 : "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
	expect_eq("5. a loop calling a callee on another page, 20000 passes", rax, PASSES);
}

/* 6. */
static void callee_not_present(void)
{
	uint64_t callee = WIN + 4096, pushed = 0, efer = rdmsr(MSR_EFER);
	uint32_t err = (efer & EFER_NXE) ? PF_I : 0;
	unsigned int bad = 0;

	clear_frames();
	caller();
	put_ret_value(frames[1], 0x11);
	map(1, frames[1]);
	for (unsigned int i = 0; i < 8; i++)
		bad += call_at(WIN) != 0x300011;
	expect_eq("6. the trace runs while the callee's page is present", bad, 0);
	pt_win[1] &= ~PTE_P;
	invlpg(win(1));
	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "movq %%rsp, %%rbx\n\t"
					   "call *%1\n1:\tmovq -16(%%rbx), %0\n\t"
					   "movq %%rbx, %%rsp"
			 : "=r"(pushed)
			 : "r"((uint64_t)WIN)
			 : "rbx", "memory");
	expect_trap("6. then not present: #PF at the callee", VEC_PF, err, callee);
	expect_eq("6.   ... CR2 the callee", trap_last.cr2, callee);
	expect_eq("6.   ... the CALL pushed its return address first", pushed, WIN + 5);
	map(1, frames[1]);
	expect_eq("6. present again: the call returns", call_at(WIN), 0x300011);
}

int main(void)
{
	printf("hostile: dbt traces, code followed through CALL and RET that changes under them\n");
	kernel64_init();
	window_init();
	remapped_and_rewritten();
	returns_elsewhere();
	retpoline();
	loop_calls();
	callee_not_present();
	test_done();
}
