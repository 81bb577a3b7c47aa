/* Hostile guest for dbt's links and inline lookup (commit 23e7d27): the
 * same linear bytes run as 64-bit code and as 32-bit compatibility-mode code
 * in turn, each time reached by a transfer whose target only the run knows
 * (an indirect JMP in 64-bit mode, a far return into compatibility mode), and
 * each ending in a direct JMP (a link site in 64-bit code) to a far return.
 * The bytes 31 C0 40 90 decode as XOR EAX, EAX; REX NOP in 64-bit mode but
 * as XOR EAX, EAX; INC EAX; NOP in compatibility mode, where 40 is INC EAX
 * (SDM vol. 2A, 2.2.1: REX prefixes exist only in 64-bit mode). The far
 * return at the end (CB: RETF with the default 32-bit operand size in both
 * modes, vol. 2B RET) pops EIP and CS back to the 64-bit caller. So EAX is
 * 0 after the 64-bit run and 1 after the compatibility-mode run: the
 * translation of one mode must never run in the other. 1000 rounds.
 * Status 1 if every check passed. */
#include <stdint.h>

#include "kernel64.h"
#include "test.h"

#define ROUNDS 1000

__asm__(".text\n"
	".balign 64\n"
	".globl mixed\n"
	"mixed:\n\t"
	"xorl %eax, %eax\n\t"
	".byte 0x40, 0x90\n\t"
	"nop\n\t"
	"jmp mixed_end\n\t"
	".balign 64\n"
	"mixed_end:\n\t"
	"lretl\n\t"
	/* uint32_t run64(void): MIXED in 64-bit mode, by JMP *RDX. */
	".globl run64\n"
	"run64:\n\t"
	"subq $8, %rsp\n\t"
	"movl $1f, (%rsp)\n\t"
	"movl $0x08, 4(%rsp)\n\t"
	"leaq mixed(%rip), %rdx\n\t"
	"jmp *%rdx\n"
	"1:\tret\n\t"
	/* uint32_t run32(void): MIXED in compatibility mode (CS 0x18), by a
	 * far return. */
	".globl run32\n"
	"run32:\n\t"
	"subq $8, %rsp\n\t"
	"movl $2f, (%rsp)\n\t"
	"movl $0x08, 4(%rsp)\n\t"
	"pushq $0x18\n\t"
	"leaq mixed(%rip), %rdx\n\t"
	"pushq %rdx\n\t"
	"lretq\n"
	"2:\tret\n");

uint32_t run64(void);
uint32_t run32(void);

int main(void)
{
	unsigned int bad64 = 0, bad32 = 0, bad64b = 0;

	printf("hostile: dbt, the same bytes as 64-bit and compatibility-mode code\n");
	kernel64_init();
	for (unsigned int i = 0; i < ROUNDS; i++) {
		bad64 += run64() != 0;
		bad64 += run64() != 0;
		bad32 += run32() != 1;
		bad32 += run32() != 1;
		bad64b += run64() != 0;
	}
	expect_eq("64-bit mode: 40 is a REX prefix (EAX 0), every round", bad64, 0);
	expect_eq("compatibility mode: 40 is INC EAX (EAX 1), every round", bad32, 0);
	expect_eq("64-bit mode right after compatibility mode: EAX 0, every round", bad64b, 0);
	test_done();
}
