/* Hostile guest, issue 11 class 7 (CS limit), 32-bit protected mode. The
 * code below runs in a code segment whose base is its page and whose limit
 * cuts it short. An instruction whose bytes go past the limit raises #GP(0)
 * before it executes, with CS:EIP at it, and everything before it has run
 * (SDM vol. 3A, 5.3: the limit check covers every byte fetched); a control
 * transfer to an offset beyond the limit raises #GP(0) at the transfer, with
 * the old CS (vol. 2A, far RET); an interrupt gate whose offset is beyond its
 * segment's limit raises #GP (vol. 2A, INT n: #GP(0) in older editions,
 * #GP(EXT) in newer ones) at the instruction that raised the first
 * exception. Cases:
 *   - limit 5: INC, INC, INC run; MOV EBX at offset 3 (bytes 3-7) faults;
 *   - limit 2: the same MOV, its first byte past the limit;
 *   - limit 7: the MOV runs; the INC at 8 faults;
 *   - limit 15: all runs (the check itself does not fault good code);
 *   - a far RET to offset 3 with limit 2: #GP at the RET, CS unchanged;
 *   - #UD through a gate to offset 3 with limit 2, right after the same
 *     bytes ran at that linear address in the flat segment: #GP(1) at UD2.
 * Before the fix, interp checked only a block's first EIP against the limit
 * (and not even that when its jump cache knew the linear address), and a far
 * RET loaded CS before it checked the offset. QEMU 7.2 TCG is no reference:
 * it checks none of these limits and hangs on the last case. */
#include <stdint.h>

#include "kernel32.h"
#include "test.h"

#define SEL_LIMITED (GDT_FIRST_SPARE * 8)
#define VEC_GP 13

/* Offsets: 0-2 INC EAX; 3-7 MOV EBX, imm32; 8 INC EAX; 9 a far jump out. */
__asm__(".pushsection .text.cslimit, \"ax\"\n"
	".balign 4096\n"
	".globl cs_page\n"
	"cs_page:\n"
	"incl %eax\n"
	"incl %eax\n"
	"incl %eax\n"
	"movl $0x12345678, %ebx\n"
	"incl %eax\n"
	"ljmp $8, $cs_back\n"
	".popsection\n");

extern char cs_page[], cs_back[], cs_lret[], cs_lret_fault[], gate_ud[], gate_back[];
static volatile uint32_t gp_resume, gp_eax, gp_ebx;

static void on_gp(struct trap_frame *f)
{
	gp_eax = f->eax;
	gp_ebx = f->ebx;
	/* A fault of the far RET itself left its two operands on the stack. */
	f->eip = f->eip == (uintptr_t)cs_lret ? (uintptr_t)cs_lret_fault : gp_resume;
	f->cs = SEL_KCODE;
}

static void set_limit(uint32_t limit)
{
	gdt[GDT_FIRST_SPARE] = seg_desc((uint32_t)(uintptr_t)cs_page, limit, ACC_CODE_XR, DF_DB);
}

/* Enters segment `sel` (SEL_LIMITED, or the flat SEL_KCODE with offset
 * cs_page + n) at `offset` with a far RET; back at cs_back, by the far jump
 * at offset 9 or by on_gp(). */
static __attribute__((noinline)) void run_in(uint32_t sel, uint32_t offset, uint32_t *eax, uint32_t *ebx)
{
	uint32_t a = 0, b = 0;

	gp_resume = (uintptr_t)cs_back;
	gp_eax = gp_ebx = 0xdead;
	trap_clear();
	__asm__ volatile("pushl %[sel]\n\t"
			 "pushl %[off]\n\t"
			 ".globl cs_lret\n"
			 "cs_lret: lretl\n"
			 ".globl cs_lret_fault\n"
			 "cs_lret_fault: addl $8, %%esp\n"
			 ".globl cs_back\n"
			 "cs_back:"
			 : "+a"(a), "+b"(b)
			 : [sel] "r"(sel), [off] "r"(offset)
			 : "memory");
	*eax = a;
	*ebx = b;
}

static void run(uint32_t offset, uint32_t *eax, uint32_t *ebx)
{
	run_in(SEL_LIMITED, offset, eax, ebx);
}

static void fault_at(const char *name, uint32_t limit, uint32_t at, uint32_t eax, uint32_t ebx)
{
	uint32_t a, b;

	set_limit(limit);
	run(0, &a, &b);
	if (!expect_trap(name, VEC_GP, 0, at))
		return;
	expect_eq("  ... in the limited segment", trap_last.cs, SEL_LIMITED);
	expect_eq("  ... after what came before (EAX)", a, eax);
	expect_eq("  ... (EBX)", b, ebx);
}

static void far_ret_beyond(void)
{
	uint32_t a, b;

	set_limit(2);
	run(3, &a, &b);
	if (!expect_trap("far RET to offset 3, limit 2: #GP(0) at the RET", VEC_GP, 0, (uintptr_t)cs_lret))
		return;
	expect_eq("  ... with the old CS", trap_last.cs, SEL_KCODE);
	expect_eq("  ... and nothing ran there", b, 0);
}

static void gate_beyond(void)
{
	uint32_t a, b;

	/* The same bytes at the same linear address, in the flat segment. */
	run_in(SEL_KCODE, (uintptr_t)cs_page + 3, &a, &b);
	set_limit(2);
	gate32_set(&idt[VEC_UD], 3, SEL_LIMITED, ACC_P | ACC_INT_GATE);
	gp_resume = (uintptr_t)gate_back;
	trap_clear();
	b = 0;
	__asm__ volatile(".globl gate_ud, gate_back\n"
			 "gate_ud: ud2\n"
			 "gate_back:"
			 : "+b"(b)
			 :
			 : "memory");
	trap_set_gate(VEC_UD, 0, ACC_INT_GATE);
	/* Older SDMs list #GP(0) for this, newer pseudo-code #GP(EXT): either. */
	if (trap_last.count == 1 && trap_last.vector == VEC_GP && trap_last.error <= 1 &&
	    trap_last.eip == (uintptr_t)gate_ud)
		pass("#UD through a gate to offset 3, limit 2: #GP at the UD2");
	else
		fail("#UD through a gate to offset 3, limit 2: #GP at the UD2",
		     "%u trap(s), last vector %u error 0x%x at %x:%x", trap_last.count, trap_last.vector,
		     trap_last.error, trap_last.cs, trap_last.eip);
	expect_eq("  ... and nothing ran there", b, 0);
}

int main(void)
{
	uint32_t a, b;

	printf("hostile: the CS limit in 32-bit protected mode\n");
	kernel32_init();
	trap_set_handler(VEC_GP, on_gp);
	fault_at("limit 5: #GP(0) at the MOV that crosses it", 5, 3, 3, 0);
	fault_at("limit 2: #GP(0) at the MOV that starts past it", 2, 3, 3, 0);
	fault_at("limit 7: #GP(0) at the INC past it", 7, 8, 3, 0x12345678);
	set_limit(15);
	run(0, &a, &b);
	expect_no_trap("limit 15: the code runs");
	expect_eq("  ... all of it", a == 4 && b == 0x12345678, 1);
	far_ret_beyond();
	gate_beyond();
	test_done();
}
