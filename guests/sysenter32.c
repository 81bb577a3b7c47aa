/* SYSENTER and SYSEXIT in 32-bit protected mode (paging off): the CS, SS,
 * ESP and EIP they load from the IA32_SYSENTER_* MSRs, what SYSENTER does
 * to EFLAGS, and their #GP(0) cases. Facts from the Intel SDM vol. 2B
 * (SYSENTER, SYSEXIT); the AMD APM agrees outside long mode. In long mode
 * (the CPU model is AMD) both are #UD: see syscall.c.
 *
 * The user code passes its return EIP in EDX and ESP in ECX, the usual
 * convention, and the kernel entry returns with SYSEXIT. Status 1 through
 * the debug exit if every check passed. */
#include <stdint.h>

#include "deferred.h"
#include "kernel32.h"
#include "sysreg.h"
#include "test.h"

static uint8_t entry_stack[4096] __attribute__((aligned(16)));
#define ENTRY_ESP ((uintptr_t)(entry_stack + sizeof(entry_stack)))

/* What the SYSENTER entry saw, and the user code after SYSEXIT. */
volatile uint32_t se_cs, se_ss, se_esp, se_eflags, se_ecx, se_edx;
volatile uint32_t su_cs, su_ss, su_esp, su_esp_before;

/* Records, then SYSEXIT with the ECX and EDX the user passed. */
__asm__(".text\n"
	"sysenter_entry:\n\t"
	"movw %cs, se_cs\n\t"
	"movw %ss, se_ss\n\t"
	"movl %esp, se_esp\n\t"
	"movl %ecx, se_ecx\n\t"
	"movl %edx, se_edx\n\t"
	"pushfl\n\t"
	"popl se_eflags\n\t"
	"sysexit\n");

extern char sysenter_entry[];

/* At CPL 3: SYSENTER, and record what SYSEXIT brought back. Returns the
 * address SYSEXIT should come back to. */
static uint32_t user_sysenter(uint32_t arg)
{
	uint32_t back;

	(void)arg;
	__asm__ volatile("pushl %%ebp\n\t"
			 "movl %%esp, su_esp_before\n\t"
			 "movl %%esp, %%ecx\n\t"
			 "movl $1f, %%edx\n\t"
			 "sysenter\n"
			 "1:\tmovw %%cs, su_cs\n\t"
			 "movw %%ss, su_ss\n\t"
			 "movl %%esp, su_esp\n\t"
			 "popl %%ebp\n\t"
			 "movl $1b, %0"
			 : "=r"(back)
			 :
			 : "ecx", "edx", "memory", "cc");
	return back;
}

static void check_round_trip(void)
{
	uint32_t back;

	wrmsr(MSR_SYSENTER_ESP, ENTRY_ESP);
	wrmsr(MSR_SYSENTER_EIP, (uintptr_t)sysenter_entry);
	/* IF set at CPL 3, to see SYSENTER clear it. */
	user_eflags = 0x2 | FL_IF;
	back = user_call(user_sysenter, 0);
	user_eflags = 0x2;
	expect_eq("SYSENTER: CS = IA32_SYSENTER_CS", se_cs, SEL_KCODE);
	expect_eq("SYSENTER: SS = IA32_SYSENTER_CS + 8", se_ss, SEL_KDATA);
	expect_eq("SYSENTER: ESP = IA32_SYSENTER_ESP", se_esp, ENTRY_ESP);
	expect_eq("SYSENTER clears IF", se_eflags & FL_IF, 0);
	expect_eq("SYSENTER leaves ECX and EDX", (uint64_t)se_ecx << 32 | se_edx, (uint64_t)su_esp_before << 32 | back);
	expect_eq("SYSEXIT: CS = IA32_SYSENTER_CS + 16, RPL 3", su_cs, SEL_UCODE | 3);
	expect_eq("SYSEXIT: SS = IA32_SYSENTER_CS + 24, RPL 3", su_ss, SEL_UDATA | 3);
	expect_eq("SYSEXIT: ESP = ECX", su_esp, su_esp_before);
}

static uint32_t user_sysexit(uint32_t arg)
{
	uint32_t at;

	(void)arg;
	__asm__ volatile(TRAP_RESUME_AT_1F "movl $2f, %0\n"
					   "2:\tsysexit\n1:"
			 : "=r"(at)
			 :
			 : "ecx", "edx", "memory");
	return at;
}

/* At CPL 0: SYSENTER is allowed at any CPL, and IA32_SYSENTER_CS = 0 is
 * checked first. (At CPL 3 it could not be tried: user_call() needs that
 * MSR for its SYSEXIT, see kernel32.h.) */
static uint32_t sysenter_faulting(void)
{
	uint32_t at;

	__asm__ volatile(TRAP_RESUME_AT_1F "movl $2f, %0\n"
					   "2:\tsysenter\n1:"
			 : "=r"(at)
			 :
			 : "ecx", "edx", "memory");
	return at;
}

static void check_faults(void)
{
	uint32_t at;

	trap_clear();
	at = user_call(user_sysexit, 0);
	expect_trap("SYSEXIT at CPL 3: #GP(0)", VEC_GP, 0, at);

	wrmsr(MSR_SYSENTER_CS, 0);
	trap_clear();
	at = sysenter_faulting();
	wrmsr(MSR_SYSENTER_CS, SEL_KCODE);
	expect_trap("SYSENTER with IA32_SYSENTER_CS = 0: #GP(0)", VEC_GP, 0, at);
}

int main(void)
{
	kernel32_init();
	printf("SYSENTER/SYSEXIT tests (32-bit protected mode)\n");
	check_round_trip();
	check_faults();
	test_done();
}
