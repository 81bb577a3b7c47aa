/* Hostile guest for dbt's links (commit 23e7d27) under a full translation
 * cache: run with --dbt-cache-size 1 (hostile_dbt_flush.args). 3000 blocks,
 * one per 64 bytes of a buffer, form one cycle: each adds 1 to RAX and goes
 * to the next by a direct JMP (a link site), every 16th by an indirect JMP
 * (the inline lookup); the last counts passes in ECX. Their host code comes
 * near 1 MiB, so the cache fills and is flushed while about half the link
 * sites are linked (measured with --stats on 23e7d27; with 3500 blocks every
 * pass flushes and links never form, with 2048 nothing flushes); links and
 * lookup entries made before a flush must never be followed after it. The
 * guest writes the blocks, then runs them 20 passes: RAX must be 20 * 3000
 * (each instruction as the SDM defines it).
 * Status 1 if every check passed. */
#include <stdint.h>

#include "kernel64.h"
#include "test.h"

#define SLOTS 3000
#define PASSES 20

static uint8_t code[SLOTS][64] __attribute__((aligned(4096)));

static void put32(uint8_t *at, uint32_t v)
{
	for (unsigned int i = 0; i < 4; i++)
		at[i] = (uint8_t)(v >> (8 * i));
}

int main(void)
{
	uint64_t rax;

	printf("hostile: dbt, linked blocks through translation cache flushes\n");
	kernel64_init();
	for (unsigned int k = 0; k < SLOTS; k++) {
		uint8_t *s = code[k];

		for (unsigned int i = 0; i < 64; i++)
			s[i] = 0xcc;
		s[0] = 0x48; /* ADD RAX, 1 */
		s[1] = 0x83;
		s[2] = 0xc0;
		s[3] = 0x01;
		if (k == SLOTS - 1) {
			static const uint8_t tail[] = { 0xff, 0xc9, 0x0f, 0x85 }; /* DEC ECX; JNZ rel32 */

			for (unsigned int i = 0; i < 4; i++)
				s[4 + i] = tail[i];
			put32(s + 8, (uint32_t)((uintptr_t)code[0] - (uintptr_t)(s + 12)));
			s[12] = 0xc3;
		} else if (k % 16 == 15) {
			s[4] = 0x48; /* LEA RDX, [RIP + to the next slot] */
			s[5] = 0x8d;
			s[6] = 0x15;
			put32(s + 7, 64 - 11);
			s[11] = 0xff; /* JMP RDX */
			s[12] = 0xe2;
		} else {
			s[4] = 0xe9; /* JMP rel32 to the next slot */
			put32(s + 5, 64 - 9);
		}
	}
	__asm__ volatile("call *%3"
			 : "=a"(rax)
			 : "a"(0ul), "c"(PASSES), "r"(code[0])
			 : "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
	expect_eq("20 passes through 3000 linked blocks, the cache flushed under them: RAX", rax,
		  (uint64_t)PASSES * SLOTS);
	test_done();
}
