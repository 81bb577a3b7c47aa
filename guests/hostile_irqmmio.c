/* Hostile guest, issue 11 class 3: an external interrupt whose delivery
 * touches MMIO. The PIT ticks at 1 kHz (IRQ 0 through the 8259A, vector
 * 0x20) while the CPU runs a loop with interrupts enabled and its stack
 * beyond the end of RAM: the CPU's frame is dropped, but the interrupt is
 * delivered (SDM vol. 3A, 6.12.1), so its handler (a catch stub, which
 * needs no stack) runs once, and no instruction runs twice. The loop
 * increments RBX, then RCX: wherever the interrupt lands, RBX - RCX is 0 or
 * 1; an instruction executed again would make it -1 or 2.
 * Run with --mem 64M (hostile_irqmmio.args). Before the fix, interp lost
 * the interrupt and ran the instruction before it twice. */
#include <stdint.h>

#include "catch64.h"
#include "io.h"
#include "kernel64.h"
#include "test.h"

#define RAM_END 0x4000000ul
#define STACK_BEYOND_RAM (RAM_END + 0x10000)
#define VEC_IRQ0 0x20
#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define PIT_CH0 0x40
#define PIT_CTRL 0x43
#define PIT_1KHZ 1193
/* Iterations before the loop gives up: seconds of guest time at any speed
 * this project's engines run, against a tick every millisecond. */
#define LOOP_LIMIT 40000000

/* 64 pairs per iteration, so that blocks of straight-line code end between
 * two INCs, where an instruction run twice shows. */
__asm__(".globl irq_body\n"
	"irq_body:\n"
	"xorl %ebx, %ebx\n"
	"xorl %ecx, %ecx\n"
	"sti\n"
	"1:\n"
	".rept 64\n"
	"incq %rbx\n"
	"incq %rcx\n"
	".endr\n"
	"cmpq %rdi, %rcx\n"
	"jb 1b\n"
	"cli\n"
	"jmp catch_done\n");

void irq_body(void);

static void pic_init(void)
{
	outb(PIC1_CMD, 0x11);
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, VEC_IRQ0);
	outb(PIC2_DATA, VEC_IRQ0 + 8);
	outb(PIC1_DATA, 0x04);
	outb(PIC2_DATA, 0x02);
	outb(PIC1_DATA, 0x01);
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0xfe); /* only IRQ 0 */
	outb(PIC2_DATA, 0xff);
}

int main(void)
{
	uint64_t v;
	int64_t diff;

	printf("hostile: an interrupt whose delivery touches MMIO\n");
	kernel64_init();
	catch_gate(VEC_IRQ0, 0);
	pic_init();
	outb(PIT_CTRL, 0x34); /* counter 0, LSB then MSB, mode 2 */
	outb(PIT_CH0, PIT_1KHZ & 0xff);
	outb(PIT_CH0, PIT_1KHZ >> 8);
	catch_clear();
	v = catch_call(irq_body, STACK_BEYOND_RAM, LOOP_LIMIT);
	outb(PIC1_DATA, 0xff);
	outb(PIC1_CMD, 0x20); /* EOI */
	diff = (int64_t)(caught.rbx - caught.rcx);
	if (!expect_eq("timer interrupt with the stack beyond RAM: the handler ran", v, VEC_IRQ0)) {
		printf("  (the loop ended after %llu iterations: the interrupt was lost)\n",
		       (unsigned long long)caught.rcx / 64);
		test_done();
	}
	expect_eq("  ... exactly once", caught.count, 1);
	expect_eq("  ... RSP below the lost frame of 5 quadwords", caught.rsp, STACK_BEYOND_RAM - 40);
	if (diff == 0 || diff == 1)
		pass("  ... no instruction ran twice (RBX - RCX is 0 or 1)");
	else
		fail("  ... no instruction ran twice (RBX - RCX is 0 or 1)", "RBX 0x%llx, RCX 0x%llx",
		     (unsigned long long)caught.rbx, (unsigned long long)caught.rcx);
	test_done();
}
