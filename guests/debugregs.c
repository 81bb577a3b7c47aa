/* Debug registers and the breakpoints they arm, as the Intel SDM vol. 3,
 * 17.2 and 17.3, vol. 2 (MOV DR, INT1) and the AMD APM vol. 2, chapter 13,
 * describe them:
 * - DR4/DR5 are DR6/DR7 while CR4.DE is clear, #UD while it is set; MOV DR
 *   at CPL 3 is #GP(0); DR6/DR7 with bits 63:32 set are #GP(0); DR6 reads
 *   0xffff0ff0 after a write of 0, DR7 0x400.
 * - DR7.GD: a MOV DR raises a #DB fault (RIP at the MOV) with DR6.BD, and
 *   GD is clear in the handler; faults push RF = 1. (QEMU 7.2 TCG ignores
 *   GD: the SDM decides.)
 * - Instruction breakpoints: #DB faults before the instruction, RIP at it,
 *   DR6.Bn; the pushed RF is 0; RF = 1 in the image IRETQ restores lets the
 *   instruction run, and RF is cleared once it completes.
 * - Data breakpoints: traps after the instruction; R/W 01 writes only, 11
 *   reads and writes; LEN 1, 2, 4, 8 bytes. In a REP string instruction the
 *   trap comes after the iteration that hit (RIP at the instruction, RF = 1
 *   pushed; QEMU 7.2 TCG pushes RF = 0, wrongly). I/O breakpoints (R/W 10, CR4.DE) on the port of IN/OUT.
 * - ICEBP (INT1, F1): a #DB trap delivered as a hardware exception would be:
 *   no gate-DPL check (INT 1 at CPL 3 with a DPL 0 gate is #GP), DR6 not
 *   changed.
 * - MOV SS holds back a data breakpoint its load hit until after the next
 *   instruction (SDM vol. 3, 6.8.3; QEMU 7.2 TCG delivers it right after the
 *   MOV SS, wrongly); a data breakpoint hit by that next instruction traps
 *   after it as usual.
 * Boots under QEMU (-kernel, lib/multiboot64.S) and Ringvisor alike:
 *   qemu-system-x86_64 -accel tcg -M pc -m 64M -kernel build/guests/debugregs.elf
 *       -device isa-debug-exit,iobase=0xf4,iosize=0x04 -display none
 *       -serial stdio -no-reboot
 * QEMU 7.2 TCG passes every check except those noted above as its errors.
 * Status 1 through the debug exit if every check passed. */
#include <stdint.h>

#include "dbtrace.h"
#include "io.h"
#include "kernel64.h"
#include "sysreg.h"
#include "test.h"

static void check_dr4_dr5(void)
{
	uint64_t v6, v7, at;

	write_cr4(read_cr4() & ~CR4_DE);
	write_dr(7, 0);
	write_dr(6, 0);
	__asm__ volatile("movq $1, %%rax\n\t"
			 "mov %%rax, %%dr4\n\t"
			 "mov %%dr6, %0\n\t"
			 "mov %%dr5, %1"
			 : "=r"(v6), "=r"(v7)
			 :
			 : "rax");
	expect_eq("CR4.DE=0: DR4 is DR6 (write B0 through DR4, read DR6)", v6, DR6_INIT | DR6_B0);
	expect_eq("CR4.DE=0: DR5 reads DR7", v7, DR7_INIT);
	write_dr(6, 0);
	expect_eq("DR6 reads 0xffff0ff0 after a write of 0", read_dr(6), DR6_INIT);
	expect_eq("DR7 reads 0x400 after a write of 0", read_dr(7), DR7_INIT);

	write_cr4(read_cr4() | CR4_DE);
	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "leaq 2f(%%rip), %0\n"
					   "2:\tmov %%dr4, %%rax\n"
					   "1:"
			 : "=r"(at)
			 :
			 : "rax", "memory");
	expect_trap("CR4.DE=1: MOV from DR4 is #UD", VEC_UD, 0, at);
	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "leaq 2f(%%rip), %0\n"
					   "xorl %%eax, %%eax\n"
					   "2:\tmov %%rax, %%dr5\n"
					   "1:"
			 : "=r"(at)
			 :
			 : "rax", "memory");
	expect_trap("CR4.DE=1: MOV to DR5 is #UD", VEC_UD, 0, at);
	write_cr4(read_cr4() & ~CR4_DE);
}

static void check_reserved(void)
{
	uint64_t at;

	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "leaq 2f(%%rip), %0\n\t"
					   "movq $0x100000000, %%rax\n"
					   "2:\tmov %%rax, %%dr7\n"
					   "1:"
			 : "=r"(at)
			 :
			 : "rax", "memory");
	expect_trap("MOV to DR7 with bit 32 set: #GP(0)", VEC_GP, 0, at);
	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "leaq 2f(%%rip), %0\n\t"
					   "movq $0x8000000000000000, %%rax\n"
					   "2:\tmov %%rax, %%dr6\n"
					   "1:"
			 : "=r"(at)
			 :
			 : "rax", "memory");
	expect_trap("MOV to DR6 with bit 63 set: #GP(0)", VEC_GP, 0, at);
}

__asm__(".text\n"
	".globl user_read_dr7, user_read_dr7_at, user_write_dr0, user_write_dr0_at\n"
	"user_read_dr7:\n\t"
	"leaq 1f(%rip), %rax\n\t"
	"movq %rax, trap_resume(%rip)\n"
	"user_read_dr7_at:\n\t"
	"mov %dr7, %rax\n"
	"1:\tjmp user_exit_ud2\n"
	"user_write_dr0:\n\t"
	"leaq 1f(%rip), %rax\n\t"
	"movq %rax, trap_resume(%rip)\n"
	"user_write_dr0_at:\n\t"
	"mov %rax, %dr0\n"
	"1:\tjmp user_exit_ud2\n");
extern char user_read_dr7[], user_read_dr7_at[], user_write_dr0[], user_write_dr0_at[];

static void check_cpl3(void)
{
	trap_clear();
	user_call((uint64_t(*)(uint64_t))(uintptr_t)user_read_dr7, 0);
	expect_trap("MOV from DR7 at CPL 3: #GP(0)", VEC_GP, 0, (uintptr_t)user_read_dr7_at);
	trap_clear();
	user_call((uint64_t(*)(uint64_t))(uintptr_t)user_write_dr0, 0);
	expect_trap("MOV to DR0 at CPL 3: #GP(0)", VEC_GP, 0, (uintptr_t)user_write_dr0_at);
}

static volatile uint64_t gd_dr7_in_handler;

static void gd_handler(struct trap_frame *f)
{
	gd_dr7_in_handler = read_dr(7);
	db_events[0].rip = f->rip;
	db_events[0].rflags = f->rflags;
	db_events[0].dr6 = read_dr(6);
	db_count++;
	write_dr(6, 0);
}

static void check_general_detect(void)
{
	uint64_t at, dr0 = 0x1234;

	write_dr(0, 0x5678);
	write_dr(6, 0);
	db_count = 0;
	trap_set_handler(VEC_DB, gd_handler);
	trap_clear();
	write_dr(7, DR7_GD);
	/* The handler returns to the MOV, which now runs (GD is clear). */
	__asm__ volatile("leaq 2f(%%rip), %0\n"
			 "2:\tmov %%dr0, %1"
			 : "=r"(at), "+r"(dr0)
			 :
			 : "memory");
	trap_set_handler(VEC_DB, 0);
	expect_eq("DR7.GD: one #DB fault at the MOV DR", db_count == 1 && db_events[0].rip == at, 1);
	expect_eq("DR7.GD: DR6.BD set", db_events[0].dr6, DR6_INIT | DR6_BD);
	expect_eq("DR7.GD: GD clear in the handler", gd_dr7_in_handler, DR7_INIT);
	expect_eq("DR7.GD: the fault pushes RF = 1", db_events[0].rflags & FL_RF, FL_RF);
	expect_eq("DR7.GD: the MOV DR runs after the handler", dr0, 0x5678);
	write_dr(7, 0);
}

/* Instruction breakpoints: the handler sets RF so that the instruction runs. */
static void exec_bp_handler(struct trap_frame *f)
{
	if (db_count < DB_EVENTS_MAX) {
		db_events[db_count].rip = f->rip;
		db_events[db_count].rflags = f->rflags;
		db_events[db_count].dr6 = read_dr(6);
	}
	db_count++;
	write_dr(6, 0);
	f->rflags |= FL_RF;
}

__asm__(".text\n"
	".globl bp_target, bp_target_insn\n"
	"bp_target:\n\t"
	"nop\n"
	"bp_target_insn:\n\t"
	"addq $1, %rdi\n\t"
	"movq %rdi, %rax\n\t"
	"ret\n");
extern char bp_target[], bp_target_insn[];
uint64_t bp_target_fn(uint64_t);

static void check_exec_breakpoint(void)
{
	uint64_t (*fn)(uint64_t) = (uint64_t(*)(uint64_t))(uintptr_t)bp_target;
	uint64_t a, b, user;

	db_count = 0;
	write_dr(6, 0);
	trap_set_handler(VEC_DB, exec_bp_handler);
	trap_clear();
	write_dr(1, (uintptr_t)bp_target_insn);
	write_dr(7, DR7_BP(1, DR7_RW_EXEC, DR7_LEN1));
	a = fn(10);
	b = fn(20);
	user = user_call(fn, 30);
	write_dr(7, 0);
	trap_set_handler(VEC_DB, 0);
	expect_eq("instruction breakpoint: a #DB each time the instruction runs (CPL 0 twice, CPL 3 once)", db_count,
		  3);
	expect_eq("instruction breakpoint: RIP at the instruction (a fault)",
		  db_events[0].rip == (uintptr_t)bp_target_insn && db_events[2].rip == (uintptr_t)bp_target_insn, 1);
	expect_eq("instruction breakpoint: DR6.B1", db_events[0].dr6, DR6_INIT | DR6_B1);
	expect_eq("instruction breakpoint: the pushed RF is 0", db_events[0].rflags & FL_RF, 0);
	expect_eq("instruction breakpoint: with RF = 1 the instruction runs once", a + b + user, 11 + 21 + 31);
}

volatile uint64_t watched[2] __attribute__((aligned(16)));

static void check_data_breakpoints(void)
{
	uint64_t r[1];

	write_dr(0, (uintptr_t)&watched[0]);
	write_dr(7, DR7_BP(0, DR7_RW_WRITE, DR7_LEN4));
	db_trace_start(0);
	__asm__ volatile("leaq 1f(%%rip), %0\n\t"
			 "movl watched(%%rip), %%eax\n\t" /* a read: no #DB */
			 "movl $1, watched+4(%%rip)\n\t"  /* past the 4 bytes */
			 "movb $2, watched+3(%%rip)\n"	  /* the last byte */
			 "1:\tnop"
			 : "=&r"(r[0])
			 :
			 : "rax", "memory");
	db_expect_rips("write breakpoint, LEN 4: a trap after the write to its last byte only", r, 1);
	db_expect_dr6("write breakpoint: DR6.B0", DR6_B0);

	write_dr(3, (uintptr_t)&watched[1]);
	write_dr(7, DR7_BP(3, DR7_RW_RW, DR7_LEN8));
	db_trace_start(0);
	__asm__ volatile("leaq 1f(%%rip), %0\n\t"
			 "movl watched+4(%%rip), %%eax\n\t" /* before the 8 bytes */
			 "movb watched+15(%%rip), %%al\n"   /* their last byte, a read */
			 "1:\tnop"
			 : "=&r"(r[0])
			 :
			 : "rax", "memory");
	db_expect_rips("read/write breakpoint, LEN 8: a trap after a read of its last byte only", r, 1);
	db_expect_dr6("read/write breakpoint: DR6.B3", DR6_B3);
	db_trace_stop();
}

uint8_t rep_target[16];

static void check_rep_data_breakpoint(void)
{
	uint64_t r[1];

	write_dr(2, (uintptr_t)&rep_target[5]);
	write_dr(7, DR7_BP(2, DR7_RW_WRITE, DR7_LEN1));
	db_trace_start(0);
	__asm__ volatile("leaq 1f(%%rip), %0\n\t"
			 "leaq rep_target(%%rip), %%rdi\n\t"
			 "movl $16, %%ecx\n\t"
			 "xorl %%eax, %%eax\n"
			 "1:\trep stosb"
			 : "=&r"(r[0])
			 :
			 : "rax", "rcx", "rdi", "memory");
	db_trace_stop();
	db_expect_rips("write breakpoint in REP STOSB: a trap after the iteration that hit, RIP at the REP", r, 1);
	expect_eq("... RCX then counts the 10 iterations left", db_events[0].rcx, 10);
	expect_eq("... and the pushed RF is 1", db_events[0].rflags & FL_RF, FL_RF);
}

static void check_io_breakpoint(void)
{
	uint64_t r[1];

	write_cr4(read_cr4() | CR4_DE);
	write_dr(1, 0x80);
	write_dr(7, DR7_BP(1, DR7_RW_IO, DR7_LEN1));
	db_trace_start(0);
	__asm__ volatile("leaq 1f(%%rip), %0\n\t"
			 "inb $0x61, %%al\n\t"
			 "outb %%al, $0x80\n"
			 "1:\tnop"
			 : "=&r"(r[0])
			 :
			 : "rax", "memory");
	db_trace_stop();
	write_cr4(read_cr4() & ~CR4_DE);
	db_expect_rips("I/O breakpoint (CR4.DE): a trap after OUT to its port, none for another port", r, 1);
	db_expect_dr6("I/O breakpoint: DR6.B1", DR6_B1);
}

/* QEMU 7.2 TCG raises #UD for ICEBP in 64-bit mode, and its #GP for INT 1
 * through a DPL 0 gate has error code 0x12 instead of 1 * 8 + 2 (IDT bit,
 * vector 1); the SDM (vol. 2, INT n/INTO/INT1/INT3, and vol. 3, 6.13) and
 * the APM decide. trap_resume skips the F1 if
 * it faults, so that the run goes on. */
__asm__(".text\n"
	".globl user_icebp, user_icebp_after, user_int1, user_int1_at\n"
	"user_icebp:\n\t"
	"leaq user_icebp_after(%rip), %rax\n\t"
	"movq %rax, trap_resume(%rip)\n\t"
	".byte 0xf1\n"
	"user_icebp_after:\n\t"
	"jmp user_exit_ud2\n"
	"user_int1:\n\t"
	"leaq 1f(%rip), %rax\n\t"
	"movq %rax, trap_resume(%rip)\n"
	"user_int1_at:\n\t"
	"int $1\n"
	"1:\tjmp user_exit_ud2\n");
extern char user_icebp[], user_icebp_after[], user_int1[], user_int1_at[];

static void check_icebp(void)
{
	db_trace_start(0);
	user_call((uint64_t(*)(uint64_t))(uintptr_t)user_icebp, 0);
	trap_set_handler(VEC_DB, 0);
	expect_eq("ICEBP at CPL 3 with a DPL 0 gate: a #DB trap, RIP after it",
		  db_count == 1 && db_events[0].rip == (uintptr_t)user_icebp_after && db_events[0].cs == USER_CS, 1);
	expect_eq("ICEBP leaves DR6 alone", db_events[0].dr6, DR6_INIT);
	trap_clear();
	user_call((uint64_t(*)(uint64_t))(uintptr_t)user_int1, 0);
	expect_trap("INT 1 at CPL 3 with a DPL 0 gate: #GP(vector 1 in the IDT)", VEC_GP, 1 * 8 + 2,
		    (uintptr_t)user_int1_at);
}

volatile uint16_t ss_word;

static void int80_nothing(struct trap_frame *f)
{
	(void)f;
}

static void check_mov_ss_watch(void)
{
	uint64_t r[1], skipped;

	ss_word = SEL_KDATA;
	write_dr(0, (uintptr_t)&ss_word);
	write_dr(7, DR7_BP(0, DR7_RW_RW, DR7_LEN2));
	db_trace_start(0);
	__asm__ volatile("leaq 2f(%%rip), %1\n\t"
			 "leaq 3f(%%rip), %0\n\t"
			 "movw ss_word(%%rip), %%ss\n"
			 "2:\tnop\n"
			 "3:\tnop"
			 : "=&r"(r[0]), "=&r"(skipped)
			 :
			 : "memory");
	db_expect_rips("a watchpoint hit by MOV SS traps after the next instruction", r, 1);
	db_expect_dr6("... with DR6.B0", DR6_B0);

	write_dr(7, DR7_BP(0, DR7_RW_WRITE, DR7_LEN2));
	db_trace_start(0);
	__asm__ volatile("leaq 2f(%%rip), %0\n\t"
			 "movl %%ss, %%eax\n\t"
			 "movl %%eax, %%ss\n\t"
			 "movw %%ax, ss_word(%%rip)\n"
			 "2:\tnop"
			 : "=&r"(r[0])
			 :
			 : "rax", "memory");
	db_expect_rips("a watchpoint hit by the instruction after MOV SS traps after it", r, 1);

	/* MOV SS, then INT n: the held #DB comes at the first instruction of the
	 * INT handler, at CPL 0 (what CVE-2018-8897 was about; kvm-unit-tests'
	 * x86/debug.c finds it on hardware too). */
	write_dr(7, DR7_BP(0, DR7_RW_RW, DR7_LEN2));
	trap_set_handler(0x80, int80_nothing);
	db_trace_start(0);
	__asm__ volatile("movw ss_word(%%rip), %%ss\n\t"
			 "int $0x80" ::
			     : "memory");
	db_trace_stop();
	trap_set_handler(0x80, 0);
	r[0] = (uintptr_t)(trap_stubs + 16 * 0x80);
	db_expect_rips("a watchpoint hit by MOV SS, then INT n: the #DB comes at the handler's first instruction", r,
		       1);
}

int main(void)
{
	kernel64_init();
	/* No interrupts from the legacy PIC (a BIOS may have left IRQ 0 on). */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	printf("debug register tests\n");
	check_dr4_dr5();
	check_reserved();
	check_cpl3();
	check_general_detect();
	check_exec_breakpoint();
	check_data_breakpoints();
	check_rep_data_breakpoint();
	check_io_breakpoint();
	check_mov_ss_watch();
	check_icebp();
	test_done();
}
