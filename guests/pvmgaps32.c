/* 32-bit protected-mode checks of SDM behaviour that the nested kvm host of
 * this project does not reproduce: there, all code outside long mode runs
 * in the host's instruction emulator, which turns INT n, INT3 and INTO into
 * #UD, and stops the VM (emulation failure) at BOUND and at a protected-
 * mode IRET. So they are not in the per-engine suite; this guest is built
 * but not in run-guests.sh. Run it by hand on another engine, or on kvm on
 * a host without those limits, and compare with
 * tests/guests/pvmgaps32.stdout (status 1):
 *   ringvisor run --engine interp build/guests/pvmgaps32.elf
 * The checks that stop the VM on that host come last.
 *
 * Facts from the Intel SDM vol. 3A, 6.12 (delivery, gate DPL), vol. 2 for
 * INT n/INTO/INT3, BOUND and IRET (RETURN-TO-OUTER-PRIVILEGE-LEVEL nulls
 * data segment registers the new CPL may not use). Status 1 through the
 * debug exit if every check passed. */
#include <stdint.h>

#include "kernel32.h"
#include "sysreg.h"
#include "test.h"

#define VEC_SOFT 0x40

/* --- software interrupts at CPL 3 ----------------------------------------- */

static uint32_t user_int3(uint32_t arg)
{
	uint32_t after;

	(void)arg;
	__asm__ volatile(TRAP_RESUME_AT_1F "movl $1f, %0\n\t"
					   "int3\n1:"
			 : "=r"(after)
			 :
			 : "memory");
	return after;
}

static uint32_t user_into(uint32_t arg)
{
	uint32_t after;

	(void)arg;
	__asm__ volatile(TRAP_RESUME_AT_1F "movl $1f, %0\n\t"
					   "movl $0x7fffffff, %%eax\n\t"
					   "addl $1, %%eax\n\t"
					   "into\n1:"
			 : "=r"(after)
			 :
			 : "eax", "cc", "memory");
	return after;
}

static uint32_t user_int_soft(uint32_t arg)
{
	uint32_t at;

	(void)arg;
	__asm__ volatile(TRAP_RESUME_AT_1F "movl $2f, %0\n"
					   "2:\tint %1\n1:"
			 : "=r"(at)
			 : "i"(VEC_SOFT)
			 : "memory");
	return at;
}

static void check_user_int(void)
{
	uint32_t at;

	trap_set_gate(VEC_BP, 3, ACC_INT_GATE);
	trap_clear();
	at = user_call(user_int3, 0);
	expect_trap("CPL 3 INT3: #BP, EIP after the INT3", VEC_BP, 0, at);
	trap_set_gate(VEC_OF, 3, ACC_INT_GATE);
	trap_clear();
	at = user_call(user_into, 0);
	expect_trap("CPL 3 INTO with OF=1: #OF, EIP after the INTO", VEC_OF, 0, at);
	trap_set_gate(VEC_SOFT, 3, ACC_INT_GATE);
	trap_clear();
	at = user_call(user_int_soft, 0);
	expect_trap("CPL 3 INT 0x40 through a DPL 3 gate: EIP after the INT", VEC_SOFT, 0, at + 2);
	expect_eq("CPL 3 INT 0x40: frame on the TSS.ESP0 stack",
		  trap_last.vector == VEC_SOFT ? trap_last.frame_eip_addr : 0, tss.esp0 - 20);
	trap_set_gate(VEC_SOFT, 0, ACC_INT_GATE);
	trap_clear();
	at = user_call(user_int_soft, 0);
	expect_trap("CPL 3 INT 0x40 through a DPL 0 gate: #GP(0x40 << 3 | IDT)", VEC_GP, VEC_SOFT * 8 + 2, at);
}

/* --- BOUND and IRET (last: they stop the VM on that host) ------------------ */

static uint32_t do_bound(int32_t index)
{
	static const int32_t bounds[2] = { 10, 20 };
	uint32_t at;

	__asm__ volatile(TRAP_RESUME_AT_1F "movl $2f, %0\n"
					   "2:\tboundl %1, %2\n1:"
			 : "=&r"(at)
			 : "r"(index), "m"(bounds)
			 : "memory");
	return at;
}

static void check_bound(void)
{
	uint32_t at;

	trap_clear();
	do_bound(10);
	do_bound(20);
	expect_no_trap("BOUND with the index on either bound");
	trap_clear();
	at = do_bound(21);
	expect_trap("BOUND above the upper bound: #BR, EIP of the BOUND", VEC_BR, 0, at);
	trap_clear();
	at = do_bound(-1);
	expect_trap("BOUND below the lower bound: #BR", VEC_BR, 0, at);
}

/* IRET to the same privilege level: EIP, CS and EFLAGS from the stack. */
static void check_iret_same_level(void)
{
	uint32_t eflags, reached = 0;

	__asm__ volatile("pushl %2\n\t"
			 "pushl %%cs\n\t"
			 "pushl $1f\n\t"
			 "iretl\n\t"
			 "jmp 2f\n"
			 "1:\tmovl $1, %1\n"
			 "2:\tpushfl\n\t"
			 "popl %0"
			 : "=r"(eflags), "+r"(reached)
			 : "i"(0x2 | FL_CF | FL_ZF | FL_SF)
			 : "memory", "cc");
	expect_eq("IRET at CPL 0: EIP, CS and EFLAGS from the stack", (uint64_t)reached << 32 | (eflags & FL_ARITH),
		  (uint64_t)1 << 32 | FL_CF | FL_ZF | FL_SF);
}

volatile uint32_t su_segs, su_cs_ss;

/* uint32_t iret_to_user(void): IRET to CPL 3 with DS, ES = DPL 0 data and
 * FS = DPL 3 data; the user code records the selectors and comes back
 * through user_exit_ud2 (saving what user_call() saves, kernel32.h). */
__asm__(".text\n"
	"iret_to_user:\n\t"
	"pushl %ebp\n\t"
	"pushl %ebx\n\t"
	"pushl %esi\n\t"
	"pushl %edi\n\t"
	"movl %esp, user_kernel_esp\n\t"
	"movl $0x23, %eax\n\t" /* USER_SS */
	"movl %eax, %fs\n\t"
	"pushl $0x23\n\t"
	"pushl $user_stack_top\n\t"
	"pushl $2\n\t"
	"pushl $0x1b\n\t" /* USER_CS */
	"pushl $user_after_iret\n\t"
	"iretl\n"
	"user_after_iret:\n\t"
	/* Through SS: DS is null now, and a store through it would #GP. */
	"movw %ds, %ss:su_segs + 2\n\t"
	"movw %es, %ss:su_segs\n\t"
	"movw %cs, %ss:su_cs_ss + 2\n\t"
	"movw %ss, %ss:su_cs_ss\n\t"
	"movw %fs, %ax\n\t"
	"movzwl %ax, %eax\n\t"
	"jmp user_exit_ud2\n");

uint32_t iret_to_user(void);

static void check_iret_to_user(void)
{
	uint32_t fs;

	su_segs = su_cs_ss = ~0u;
	fs = iret_to_user();
	__asm__ volatile("movw %0, %%fs" : : "r"((uint16_t)SEL_KDATA));
	expect_eq("IRET to CPL 3: CS and SS from the stack", su_cs_ss, (uint32_t)USER_CS << 16 | USER_SS);
	expect_eq("IRET to CPL 3 nulls DS and ES holding DPL 0 data", su_segs, 0);
	expect_eq("IRET to CPL 3 keeps FS holding DPL 3 data", fs, USER_SS);
}

int main(void)
{
	kernel32_init();
	printf("32-bit checks the nested kvm host cannot run\n");
	check_user_int();
	check_bound();
	check_iret_same_level();
	check_iret_to_user();
	test_done();
}
