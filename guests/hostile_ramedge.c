/* Hostile guest, issue 11 class 4: instructions that straddle the end of
 * RAM. Beyond RAM the bus reads all ones (docs/guest-abi.md), so the CPU
 * fetches FF bytes there, and FF FF is FF /7, an invalid encoding: #UD
 * (SDM vol. 2, table A-6, group 5). Cases, each with the code copied to the
 * last bytes of RAM:
 *   - B8 11 22 33 | FF: MOV EAX, 0xff332211 completes with its last
 *     immediate byte from beyond RAM, then #UD at the end of RAM + 1;
 *   - 0F | FF FF: UD0 (0F FF /r), #UD at the 0F;
 *   - EB | FF: JMP -1 jumps to the end of RAM, #UD there;
 *   - a NOP in the last byte, then #UD at the end of RAM;
 * and data accesses that straddle the end: the bytes in RAM are RAM, the
 * others read all ones and drop writes.
 * Run with --mem 64M (hostile_ramedge.args). Before the fix, interp decoded
 * an empty block and spun at one RIP forever. QEMU 7.2 TCG aborts
 * (translator_access: Assertion `phys_page != -1' failed) on the first case. */
#include <stdint.h>

#include "catch64.h"
#include "kernel64.h"
#include "test.h"

#define RAM_END 0x4000000ul

__asm__(".globl jump_body\n"
	"jump_body:\n"
	"xorl %eax, %eax\n"
	"jmp *%rdi\n");

void jump_body(void);

static uint8_t stack[4096] __attribute__((aligned(16)));

/* Copies `code` to the last `len` bytes of RAM and jumps to it. */
static uint64_t run_at_end(const char *name, const uint8_t *code, unsigned int len, uint64_t fault_at)
{
	volatile uint8_t *dst = (volatile uint8_t *)(RAM_END - len);
	uint64_t v;

	for (unsigned int i = 0; i < len; i++)
		dst[i] = code[i];
	catch_clear();
	v = catch_call(jump_body, (uintptr_t)(stack + sizeof(stack)), (uintptr_t)dst);
	if (expect_eq(name, v, VEC_UD)) {
		expect_eq("  ... once", caught.count, 1);
		expect_eq("  ... at the right instruction", caught.frame[0], fault_at);
	}
	return caught.rax;
}

static void data_across_end(void)
{
	volatile uint64_t *p = (volatile uint64_t *)(RAM_END - 4);
	volatile uint32_t *low = (volatile uint32_t *)(RAM_END - 4);

	*low = 0x11223344;
	expect_eq("a quadword read across the end of RAM: RAM, then all ones", *p, 0xffffffff11223344ull);
	*p = 0x5566778899aabbccull;
	expect_eq("a quadword write across the end of RAM writes the bytes in RAM", *low, 0x99aabbcc);
}

int main(void)
{
	static const uint8_t mov[] = { 0xb8, 0x11, 0x22, 0x33 };
	static const uint8_t ud0[] = { 0x0f };
	static const uint8_t jmp[] = { 0xeb };
	static const uint8_t nop[] = { 0x90 };
	uint64_t rax;

	printf("hostile: instructions across the end of RAM\n");
	kernel64_init();
	catch_gate(VEC_UD, 0);
	rax = run_at_end("MOV EAX, imm32 whose last byte is beyond RAM, then #UD", mov, sizeof(mov), RAM_END + 1);
	expect_eq("  ... EAX got 0xff as its top byte", rax, 0xff332211);
	run_at_end("0F in the last byte of RAM: #UD (UD0)", ud0, sizeof(ud0), RAM_END - 1);
	run_at_end("EB in the last byte of RAM: JMP -1, then #UD", jmp, sizeof(jmp), RAM_END);
	run_at_end("NOP in the last byte of RAM, then #UD", nop, sizeof(nop), RAM_END);
	data_across_end();
	test_done();
}
