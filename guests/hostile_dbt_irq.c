/* Hostile guest for dbt's links (commit 23e7d27): with interrupts enabled,
 * the CPU spins in cycles of translated blocks that reach each other without
 * going back to the loop, and only the timer interrupt's handler can end the
 * spin (it clears the RCX saved in the interrupted frame after TICKS ticks).
 * A maskable interrupt is recognized at an instruction boundary when IF = 1
 * (SDM vol. 3A, 7.6 and 7.8): every spin must end. Cycles:
 *   1. one block jumping to itself (TEST; JNZ back to its start);
 *   2. two blocks on two pages, each ending in a direct JMP to the other
 *      (linked);
 *   3. two blocks reaching each other by indirect JMPs (the inline lookup);
 *   4. a CALL and a RET in each pass (lookups after the callouts);
 *   5. two blocks of one page linked by direct JMPs, one forward and one
 *      back (a forward link enters past the kick check, a backward one
 *      must not).
 * The PIT's counter 0 in mode 2 at about 1 kHz drives IRQ 0 through the
 * 8259A (vector 0x20), as in guests/timer.c. A spin that never ends is the
 * run-guests.sh watchdog's timeout. Status 1 if every check passed. */
#include <stdint.h>

#include "io.h"
#include "kernel64.h"
#include "test.h"

#define TICKS 20

static volatile unsigned int ticks;

static void on_timer(struct trap_frame *f)
{
	if (++ticks >= TICKS)
		f->rcx = 0;
	outb(0x20, 0x20);
}

__asm__(".text\n"
	".balign 4096\n"
	/* 1: RCX != 0: spin in one block. */
	"spin_self:\n\t"
	"1:\ttestq %rcx, %rcx\n\t"
	"jnz 1b\n\t"
	"ret\n\t"
	/* 2: two blocks, two pages, direct JMPs. */
	".balign 64\n"
	"spin_pair:\n\t"
	"testq %rcx, %rcx\n\t"
	"jz 2f\n\t"
	"addq $1, %rax\n\t"
	"jmp spin_pair_b\n"
	"2:\tret\n\t"
	/* 3: indirect JMPs: RDX = spin_ind_b, RSI = spin_ind. */
	".balign 64\n"
	"spin_ind:\n\t"
	"testq %rcx, %rcx\n\t"
	"jz 3f\n\t"
	"addq $1, %rax\n\t"
	"jmp *%rdx\n"
	"3:\tret\n\t"
	/* 4: CALL and RET in each pass. */
	".balign 64\n"
	"spin_call:\n\t"
	"call spin_callee\n\t"
	"testq %rcx, %rcx\n\t"
	"jnz spin_call\n\t"
	"ret\n\t"
	/* 5: two blocks, one page, direct JMPs forward and back. */
	".balign 64\n"
	"spin_near:\n\t"
	"testq %rcx, %rcx\n\t"
	"jz 5f\n\t"
	"addq $1, %rax\n\t"
	"jmp spin_near_b\n"
	"5:\tret\n\t"
	".balign 64\n"
	"spin_near_b:\n\t"
	"addq $2, %rax\n\t"
	"jmp spin_near\n\t"
	".balign 4096\n"
	"spin_pair_b:\n\t"
	"addq $2, %rax\n\t"
	"jmp spin_pair\n\t"
	".balign 64\n"
	"spin_ind_b:\n\t"
	"addq $2, %rax\n\t"
	"jmp *%rsi\n\t"
	".balign 64\n"
	"spin_callee:\n\t"
	"addq $1, %rax\n\t"
	"ret\n\t"
	".balign 4096\n");

extern char spin_self[], spin_pair[], spin_ind[], spin_ind_b[], spin_call[], spin_near[];

static void pic_init(void)
{
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, 0x20);
	outb(0xa1, 0x28);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xfe); /* only IRQ 0 */
	outb(0xa1, 0xff);
}

static void spin(const char *name, void *code)
{
	uint64_t rcx;

	ticks = 0;
	__asm__ volatile("sti\n\t"
			 "call *%2\n\t"
			 "cli"
			 : "=c"(rcx)
			 : "c"(1ul), "r"(code), "a"(0ul), "d"(spin_ind_b), "S"(spin_ind)
			 : "rdi", "r8", "r9", "r10", "r11", "memory");
	expect_eq(name, ticks >= TICKS && rcx == 0, 1);
}

int main(void)
{
	printf("hostile: dbt, timer interrupts while linked blocks spin\n");
	kernel64_init();
	trap_set_handler(0x20, on_timer);
	pic_init();
	outb(0x43, 0x34);
	outb(0x40, 1193 & 0xff);
	outb(0x40, 1193 >> 8);
	spin("1. a block jumping to itself: the interrupts end the spin", spin_self);
	spin("2. two blocks on two pages, linked by JMPs: the interrupts end the spin", spin_pair);
	spin("3. two blocks reaching each other by indirect JMPs: the interrupts end the spin", spin_ind);
	spin("4. a CALL and a RET in each pass: the interrupts end the spin", spin_call);
	spin("5. two blocks of one page, linked forward and back: the interrupts end the spin", spin_near);
	outb(0x21, 0xff);
	test_done();
}
