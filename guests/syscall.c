/* SYSCALL and SYSRET in long mode, and SYSENTER where the CPU model (AMD)
 * makes it #UD. Facts from the Intel SDM vol. 2B (SYSCALL, SYSRET,
 * SYSENTER) and the AMD APM vol. 3, which the CPU model follows where they
 * differ: SYSCALL from compatibility mode enters at CSTAR, and SYSENTER is
 * invalid in long mode.
 *
 * SYSCALL is executed at CPL 0 here, from 64-bit and from compatibility
 * mode: on the nested kvm host of this project a SYSCALL at CPL 3 reaches
 * LSTAR still at CPL 3, and SYSRETL returns to 64-bit mode (both checked
 * in pvmgaps.c instead). SYSRETQ goes from CPL 0 to CPL 3; compatibility
 * mode at CPL 3 is entered by IRETQ. The user code comes back through the
 * UD2 at user_exit_ud2 (kernel64.h).
 *
 * RFLAGS.IF is left out of what CPL 3 code reads back: that host shows
 * IF = 1 to CPL 3 code whatever the guest loaded. Status 1 through the debug
 * exit if every check passed. */
#include <stdint.h>

#include "kernel64.h"
#include "sysreg.h"
#include "test.h"

/* SYSRET: CS = 0x23 + 16 = 0x33 (64-bit) or 0x23 (32-bit), SS = 0x2b.
 * SYSCALL: CS = 0x08, SS = 0x10. */
#define STAR_VALUE (((uint64_t)USER_CS32 << 48) | ((uint64_t)SEL_KCODE << 32))
#define SFMASK_VALUE (FL_TF | FL_IF | FL_DF | FL_OF | FL_AC)
/* RFLAGS before the SYSCALLs: some of each kind, TF excepted (it would
 * single-step the kernel). */
#define FLAGS_IN (0x2 | FL_CF | FL_PF | FL_ZF | FL_IF | FL_DF | FL_OF | FL_AC)
/* R11 for SYSRET: arithmetic flags, DF, and RF and VM, which SYSRET drops:
 * RFLAGS = (R11 & 0x3c7fd7) | 2. */
#define R11_OUT (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_DF | FL_OF | FL_RF | (1ul << 17))
#define RFLAGS_AFTER_SYSRET ((R11_OUT & 0x3c7fd7) | 2)

/* What the SYSCALL entry points saw (zeroed before each test). */
volatile uint64_t sc_rcx, sc_r11, sc_rsp, sc_rflags, sc_cs, sc_ss, sc_entry;
/* What the CPL 3 code after a SYSRET saw. */
volatile uint64_t su_rflags, su_cs, su_ss, su_rsp, su_mode;

/* Both entries record, then return to the caller at CPL 0: LSTAR's with a
 * near jump to RCX, CSTAR's with a far return to 32-bit code at RCX. */
__asm__(".text\n"
	"lstar_entry:\n\t"
	"movq $1, sc_entry(%rip)\n\t"
	"jmp record_syscall\n"
	"cstar_entry:\n\t"
	"movq $2, sc_entry(%rip)\n"
	"record_syscall:\n\t"
	"movq %rcx, sc_rcx(%rip)\n\t"
	"movq %r11, sc_r11(%rip)\n\t"
	"movq %rsp, sc_rsp(%rip)\n\t"
	"pushfq\n\t"
	"popq sc_rflags(%rip)\n\t"
	"movw %cs, sc_cs(%rip)\n\t"
	"movw %ss, sc_ss(%rip)\n\t"
	"cmpq $2, sc_entry(%rip)\n\t"
	"je 1f\n\t"
	"jmp *%rcx\n"
	"1:\tpushq $0x18\n\t" /* SEL_KCODE32 */
	"pushq %rcx\n\t"
	"lretq\n");

/* uint64_t sysret_to(uint64_t rip, uint64_t r11): SYSRETQ on the user
 * stack; returns when the user code ends at user_exit_ud2.
 * uint64_t iret_to_compat(uint64_t eip): the same by IRETQ to USER_CS32. */
__asm__(".text\n"
	"sysret_to:\n\t"
	"call save_kernel_context\n\t"
	"movq %rdi, %rcx\n\t"
	"movq %rsi, %r11\n\t"
	"movq $user_stack_top, %rsp\n\t"
	"sysretq\n"
	"iret_to_compat:\n\t"
	"call save_kernel_context\n\t"
	"pushq $0x2b\n\t" /* USER_SS */
	"pushq $user_stack_top\n\t"
	"pushq $2\n\t"
	"pushq $0x23\n\t" /* USER_CS32 */
	"pushq %rdi\n\t"
	"iretq\n"
	/* What user_call() saves for user_exit() (kernel64.h), under the
	 * caller's return address; DS and ES to user data. */
	"save_kernel_context:\n\t"
	"popq %rax\n\t"
	"pushq %rbp\n\t"
	"pushq %rbx\n\t"
	"pushq %r12\n\t"
	"pushq %r13\n\t"
	"pushq %r14\n\t"
	"pushq %r15\n\t"
	"movq %rsp, user_kernel_rsp(%rip)\n\t"
	"movl $0x2b, %ecx\n\t"
	"movl %ecx, %ds\n\t"
	"movl %ecx, %es\n\t"
	"jmp *%rax\n");

/* CPL 3 after SYSRETQ: record, then back to the kernel. */
__asm__(".text\n"
	"user64_after_sysret:\n\t"
	"pushfq\n\t"
	"popq su_rflags(%rip)\n\t"
	"movw %cs, su_cs(%rip)\n\t"
	"movw %ss, su_ss(%rip)\n\t"
	"movq %rsp, su_rsp(%rip)\n\t"
	"jmp user_exit_ud2\n");

/* CPL 3 in compatibility mode. 0x40 is INC EAX there (a REX prefix in
 * 64-bit mode), so su_mode = 1 proves 32-bit decoding. Then SYSENTER, #UD
 * in long mode on AMD. */
__asm__(".text\n"
	".code32\n"
	"user32_code:\n\t"
	"movw %cs, su_cs\n\t"
	"xorl %eax, %eax\n\t"
	".byte 0x40\n\t"
	"nop\n\t"
	"movl %eax, su_mode\n\t"
	"movl $1f, trap_resume\n\t"
	".globl user32_sysenter\n"
	"user32_sysenter:\n\t"
	"sysenter\n"
	"1:\tjmp user_exit_ud2\n\t"
	".code64\n");

extern char lstar_entry[], cstar_entry[], user64_after_sysret[], user32_code[], user32_sysenter[];
uint64_t sysret_to(uint64_t rip, uint64_t r11);
uint64_t iret_to_compat(uint64_t eip);

static void clear_records(void)
{
	sc_rcx = sc_r11 = sc_rsp = sc_rflags = sc_cs = sc_ss = sc_entry = 0;
	su_rflags = su_cs = su_ss = su_rsp = su_mode = 0;
}

static void setup_msrs(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, STAR_VALUE);
	wrmsr(MSR_LSTAR, (uintptr_t)lstar_entry);
	wrmsr(MSR_CSTAR, (uintptr_t)cstar_entry);
	wrmsr(MSR_SFMASK, SFMASK_VALUE);
	/* Valid SYSENTER MSRs, so that only long mode can make it fail. */
	wrmsr(MSR_SYSENTER_CS, SEL_KCODE);
	wrmsr(MSR_SYSENTER_ESP, tss.rsp[0]);
	wrmsr(MSR_SYSENTER_EIP, (uintptr_t)lstar_entry);
}

static void check_syscall64(void)
{
	uint64_t after, rsp;

	clear_records();
	__asm__ volatile("pushq %2\n\t"
			 "popfq\n\t"
			 "leaq 1f(%%rip), %0\n\t"
			 "movq %%rsp, %1\n\t"
			 "syscall\n"
			 "1:\tcld"
			 : "=&r"(after), "=&r"(rsp)
			 : "i"(FLAGS_IN)
			 : "rcx", "r11", "memory", "cc");
	expect_eq("64-bit SYSCALL enters at LSTAR", sc_entry, 1);
	expect_eq("SYSCALL: RCX = RIP of the next instruction", sc_rcx, after);
	expect_eq("SYSCALL: R11 = RFLAGS", sc_r11, FLAGS_IN);
	expect_eq("SYSCALL: RFLAGS &= ~SFMASK", sc_rflags, FLAGS_IN & ~SFMASK_VALUE);
	expect_eq("SYSCALL: CS = STAR[47:32]", sc_cs, SEL_KCODE);
	expect_eq("SYSCALL: SS = STAR[47:32] + 8", sc_ss, SEL_KDATA);
	expect_eq("SYSCALL leaves RSP alone", sc_rsp, rsp);
}

/* From 32-bit code (CS 0x18, compatibility mode) at CPL 0: CSTAR. */
static void check_syscall_compat(void)
{
	uint64_t after;

	clear_records();
	__asm__ volatile("pushq %1\n\t"
			 "leaq 2f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n\t"
			 ".code32\n"
			 "2:\tpushl %2\n\t"
			 "popfl\n\t"
			 "syscall\n"
			 "3:\tljmp %3, $4f\n\t"
			 ".code64\n"
			 "4:\tcld\n\t"
			 "leaq 3b(%%rip), %0"
			 : "=r"(after)
			 : "i"(SEL_KCODE32), "i"(FLAGS_IN), "i"(SEL_KCODE)
			 : "rax", "rcx", "r11", "memory", "cc");
	expect_eq("compatibility-mode SYSCALL enters at CSTAR (AMD)", sc_entry, 2);
	expect_eq("compatibility-mode SYSCALL: RCX = next EIP", sc_rcx, after);
	expect_eq("compatibility-mode SYSCALL: R11 = RFLAGS", sc_r11, FLAGS_IN);
	expect_eq("compatibility-mode SYSCALL: RFLAGS &= ~SFMASK", sc_rflags, FLAGS_IN & ~SFMASK_VALUE);
	expect_eq("compatibility-mode SYSCALL: CS = STAR[47:32]", sc_cs, SEL_KCODE);
}

static void check_syscall_disabled(void)
{
	uint64_t at;

	wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_SCE);
	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "leaq 2f(%%rip), %0\n"
					   "2:\tsyscall\n1:"
			 : "=r"(at)
			 :
			 : "rcx", "r11", "memory");
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	expect_trap("SYSCALL with EFER.SCE=0: #UD", VEC_UD, 0, at);
}

static void check_sysret64(void)
{
	clear_records();
	sysret_to((uintptr_t)user64_after_sysret, R11_OUT);
	expect_eq("SYSRETQ: CS = STAR[63:48] + 16, RPL 3", su_cs, USER_CS);
	expect_eq("SYSRETQ: SS = STAR[63:48] + 8, RPL 3", su_ss, USER_SS);
	expect_eq("SYSRETQ: RFLAGS = R11 without RF and VM", su_rflags & ~FL_IF, RFLAGS_AFTER_SYSRET);
	expect_eq("SYSRETQ leaves RSP alone", su_rsp, (uintptr_t)user_stack_top);
}

static void check_compat_sysenter(void)
{
	clear_records();
	trap_clear();
	iret_to_compat((uintptr_t)user32_code);
	expect_eq("IRETQ to CPL 3 compatibility mode (0x40 is INC EAX)", (su_cs << 8) | su_mode, (USER_CS32 << 8) | 1);
	expect_trap("SYSENTER in compatibility mode: #UD (AMD long mode)", VEC_UD, 0, (uintptr_t)user32_sysenter);
}

static uint64_t user_sysenter(uint64_t arg)
{
	uint64_t at;

	(void)arg;
	__asm__ volatile(TRAP_RESUME_AT_1F "leaq 2f(%%rip), %0\n"
					   "2:\tsysenter\n1:"
			 : "=r"(at)
			 :
			 : "memory");
	return at;
}

static uint64_t user_sysret(uint64_t arg)
{
	uint64_t at;

	(void)arg;
	__asm__ volatile(TRAP_RESUME_AT_1F "leaq 2f(%%rip), %0\n\t"
					   "leaq 1f(%%rip), %%rcx\n\t"
					   "movq $2, %%r11\n"
					   "2:\tsysretq\n1:"
			 : "=r"(at)
			 :
			 : "rcx", "r11", "memory");
	return at;
}

static void check_user_faults(void)
{
	uint64_t at;

	trap_clear();
	at = user_call(user_sysenter, 0);
	expect_trap("SYSENTER in 64-bit mode: #UD (AMD long mode)", VEC_UD, 0, at);
	trap_clear();
	at = user_call(user_sysret, 0);
	expect_trap("SYSRET at CPL 3: #GP(0)", VEC_GP, 0, at);
}

int main(void)
{
	kernel64_init();
	printf("SYSCALL/SYSRET tests\n");
	setup_msrs();
	check_syscall64();
	check_syscall_compat();
	check_syscall_disabled();
	check_sysret64();
	check_compat_sysenter();
	check_user_faults();
	test_done();
}
