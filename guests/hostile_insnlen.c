/* Hostile guest, a class found while writing issue 11's suite: the 15-byte
 * instruction length limit. An instruction longer than 15 bytes raises
 * #GP(0) (SDM vol. 2A, 2.3.11 "AVX instruction length" and vol. 3A, 6.15
 * interrupt 13: "exceeding the instruction length limit of 15 bytes"),
 * not #UD, whatever its bytes would have meant; 15 bytes are fine. Cases:
 * 14 prefixes + NOP (15 bytes) runs; 15 prefixes + NOP is #GP(0) at its
 * first byte; the same 15 prefixes in the last bytes of RAM, with the
 * opcode beyond (FF), is #GP(0) too.
 * Run with --mem 64M (hostile_insnlen.args). Before the fix, interp raised
 * #UD for the long instruction, and spun forever on the one across the end
 * of RAM. QEMU 7.2 agrees. */
#include <stdint.h>

#include "catch64.h"
#include "kernel64.h"
#include "test.h"

#define RAM_END 0x4000000ul

__asm__(".globl len_body, len15, len16\n"
	"len_body:\n"
	"jmp *%rdi\n"
	"len15:\n"
	".fill 14, 1, 0x66\n"
	"nop\n"
	"jmp catch_done\n"
	"len16:\n"
	".fill 15, 1, 0x66\n"
	"nop\n"
	"jmp catch_done\n");

void len_body(void);
extern char len15[], len16[];

static uint8_t stack[4096] __attribute__((aligned(16)));

static uint64_t run(uint64_t at)
{
	catch_clear();
	return catch_call(len_body, (uintptr_t)(stack + sizeof(stack)), at);
}

static void expect_gp_at(const char *name, uint64_t v, uint64_t at)
{
	if (expect_eq(name, v, VEC_GP)) {
		expect_eq("  ... error code 0", caught.frame[0], 0);
		expect_eq("  ... at the instruction's first byte", caught.frame[1], at);
	}
}

int main(void)
{
	volatile uint8_t *end = (volatile uint8_t *)(RAM_END - 15);

	printf("hostile: the 15-byte instruction length limit\n");
	kernel64_init();
	catch_gate(VEC_UD, 0);
	catch_gate(VEC_GP, 0);
	expect_eq("14 prefixes and a NOP (15 bytes) run", run((uintptr_t)len15), CATCH_NONE);
	expect_gp_at("15 prefixes and a NOP (16 bytes): #GP", run((uintptr_t)len16), (uintptr_t)len16);
	for (unsigned int i = 0; i < 15; i++)
		end[i] = 0x66;
	expect_gp_at("15 prefixes in the last bytes of RAM: #GP", run((uintptr_t)end), (uintptr_t)end);
	test_done();
}
