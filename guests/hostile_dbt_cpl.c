/* Hostile guest for dbt's links and inline lookup (commit 23e7d27): one
 * linear code page run at CPL 0 and at CPL 3, reached both times by an exit
 * whose RIP only the run knows (an indirect JMP at CPL 0, SYSRET or IRETQ to
 * CPL 3), so that the lookup table of one privilege level holds the code's
 * translation when it runs at the other.
 *
 * The code reads (then writes) a page whose PTE has U/S = 0. At CPL 0 the
 * access succeeds; at CPL 3 it is a user-mode access to a supervisor page:
 * #PF with error code P | U (5) for the read, P | W | U (7) for the write,
 * CR2 the address, RIP the access, nothing read or written (SDM vol. 3A,
 * 4.6 "Access rights" and 4.7 "Page-fault exceptions"). SYSRET and IRETQ
 * flush no TLB and change no mapping (SDM vol. 2B SYSRET, vol. 2A IRET): only
 * the privilege changes. Each case runs several rounds, alternating the
 * levels, so that the CPL 0 translation is found, linked and looked up.
 *
 * Bug this found: SYSRETQ (64-bit to 64-bit, CPL 0 -> 3) does not leave the
 * block, so dbt's exit after it looked the user RIP up in the CPL 0 table
 * and ran the CPL 0 translation at CPL 3, whose inline probes use the
 * supervisor TLB set: user code read and wrote the supervisor page without
 * a #PF. */
#include <stdint.h>

#include "kernel64.h"
#include "paging64.h"
#include "sysreg.h"
#include "test.h"

#define STAR_VALUE (((uint64_t)USER_CS32 << 48) | ((uint64_t)SEL_KCODE << 32))
#define SECRET 0x5ec4e75ec4e7ull
#define PF_MARK 0xfa017fa017ull
#define ROUNDS 4

static uint64_t secret_page[512] __attribute__((aligned(4096)));
uint64_t k_rsp;

/* probe_r / probe_w: the code both levels run (RDI = the address); each ends
 * with SYSCALL back to lstar_entry, which returns RAX from run_k / run_u /
 * run_iret on the kernel stack they were called on. The #PF handler sends a
 * faulting CPL 3 run to the SYSCALL with RAX = PF_MARK. */
__asm__(".text\n"
	".balign 64\n"
	".globl probe_r, probe_r_sc, probe_w, probe_w_sc\n"
	"probe_r:\n\t"
	"movq (%rdi), %rax\n"
	"probe_r_sc:\n\t"
	"syscall\n\t"
	".balign 64\n"
	"probe_w:\n\t"
	"movq $0x1111, (%rdi)\n\t"
	"movl $1, %eax\n"
	"probe_w_sc:\n\t"
	"syscall\n\t"
	".balign 64\n"
	"lstar_entry:\n\t"
	"movq k_rsp(%rip), %rsp\n\t"
	"popq %r15\n\t"
	"popq %r14\n\t"
	"popq %r13\n\t"
	"popq %r12\n\t"
	"popq %rbp\n\t"
	"popq %rbx\n\t"
	"ret\n"
	/* uint64_t run_k(uint64_t addr, void *code): at CPL 0, by JMP *RSI. */
	".globl run_k\n"
	"run_k:\n\t"
	"pushq %rbx\n\t"
	"pushq %rbp\n\t"
	"pushq %r12\n\t"
	"pushq %r13\n\t"
	"pushq %r14\n\t"
	"pushq %r15\n\t"
	"movq %rsp, k_rsp(%rip)\n\t"
	"jmp *%rsi\n"
	/* uint64_t run_u(uint64_t addr, void *code): at CPL 3, by SYSRETQ. */
	".globl run_u\n"
	"run_u:\n\t"
	"pushq %rbx\n\t"
	"pushq %rbp\n\t"
	"pushq %r12\n\t"
	"pushq %r13\n\t"
	"pushq %r14\n\t"
	"pushq %r15\n\t"
	"movq %rsp, k_rsp(%rip)\n\t"
	"movq %rsi, %rcx\n\t"
	"movl $2, %r11d\n\t"
	"sysretq\n"
	/* uint64_t run_iret(uint64_t addr, void *code): at CPL 3, by IRETQ. */
	".globl run_iret\n"
	"run_iret:\n\t"
	"pushq %rbx\n\t"
	"pushq %rbp\n\t"
	"pushq %r12\n\t"
	"pushq %r13\n\t"
	"pushq %r14\n\t"
	"pushq %r15\n\t"
	"movq %rsp, k_rsp(%rip)\n\t"
	"pushq $0x2b\n\t"
	"pushq $user_stack_top\n\t"
	"pushq $2\n\t"
	"pushq $0x33\n\t"
	"pushq %rsi\n\t"
	"iretq\n");

extern char probe_r[], probe_r_sc[], probe_w[], probe_w_sc[], lstar_entry[];
uint64_t run_k(uint64_t addr, void *code);
uint64_t run_u(uint64_t addr, void *code);
uint64_t run_iret(uint64_t addr, void *code);

static volatile uint64_t pf_count, pf_error, pf_rip, pf_cr2, pf_cs;

static void on_pf(struct trap_frame *f)
{
	pf_count++;
	pf_error = f->error;
	pf_rip = f->rip;
	pf_cs = f->cs;
	pf_cr2 = read_cr2();
	if ((f->cs & 3) != 3) {
		fail("#PF at CPL 0", "at 0x%llx, CR2 0x%llx", (unsigned long long)f->rip, (unsigned long long)pf_cr2);
		test_done();
	}
	f->rip = f->rip == (uintptr_t)probe_r ? (uintptr_t)probe_r_sc : (uintptr_t)probe_w_sc;
	f->rax = PF_MARK;
}

static void one_case(const char *how, uint64_t (*to_user)(uint64_t, void *))
{
	unsigned int bad_k = 0, bad_pf = 0, leaked = 0, written = 0;

	for (unsigned int round = 0; round < ROUNDS; round++) {
		uint64_t v;

		/* Twice: the second run at CPL 0 finds the translation the first
		 * made (the lookup table is filled then). */
		secret_page[0] = SECRET;
		for (unsigned int k = 0; k < 2; k++)
			bad_k += run_k((uintptr_t)secret_page, probe_r) != SECRET;
		pf_count = 0;
		v = to_user((uintptr_t)secret_page, probe_r);
		leaked += v != PF_MARK;
		bad_pf += pf_count != 1 || pf_error != (PF_P | PF_U) || pf_rip != (uintptr_t)probe_r ||
			  pf_cr2 != (uintptr_t)secret_page || pf_cs != USER_CS;

		for (unsigned int k = 0; k < 2; k++) {
			secret_page[0] = SECRET;
			v = run_k((uintptr_t)secret_page, probe_w);
			bad_k += v != 1 || secret_page[0] != 0x1111;
		}
		secret_page[0] = SECRET;
		pf_count = 0;
		v = to_user((uintptr_t)secret_page, probe_w);
		written += v != PF_MARK || secret_page[0] != SECRET;
		bad_pf += pf_count != 1 || pf_error != (PF_P | PF_W | PF_U) || pf_rip != (uintptr_t)probe_w ||
			  pf_cr2 != (uintptr_t)secret_page;
	}
	printf("%s:\n", how);
	expect_eq("  CPL 0 reads and writes the supervisor page (every round)", bad_k, 0);
	expect_eq("  CPL 3 reads nothing from it: #PF (every round)", leaked, 0);
	expect_eq("  CPL 3 writes nothing to it: #PF (every round)", written, 0);
	expect_eq("  each #PF: error P|U (P|W|U for the write), CR2, RIP at the access, CS 0x33", bad_pf, 0);
}

int main(void)
{
	printf("hostile: dbt, one code page at CPL 0 and CPL 3\n");
	kernel64_init();
	trap_set_handler(VEC_PF, on_pf);
	*paging64_pte((uintptr_t)secret_page) &= ~PTE_U;
	invlpg(secret_page);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, STAR_VALUE);
	wrmsr(MSR_LSTAR, (uintptr_t)lstar_entry);
	wrmsr(MSR_SFMASK, FL_TF | FL_IF | FL_DF | FL_AC);
	one_case("to CPL 3 by IRETQ", run_iret);
	one_case("to CPL 3 by SYSRETQ", run_u);
	test_done();
}
