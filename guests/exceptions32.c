/* Exceptions in 32-bit protected mode (paging off): vectors, error codes
 * and saved EIP, segment loads, segment limits (enforced here, unlike in
 * 64-bit mode) with expand-down and based segments, PUSHA/POPA, and the
 * ring switch to TSS.SS0:ESP0 for a trap from CPL 3 with the 32-bit frame
 * (SS and ESP pushed). Facts from the Intel SDM vol. 3A, chapters 5
 * (segment protection) and 6 (6.12 delivery, 6.13 error codes), vol. 2 for
 * PUSHA/POPA and INTO.
 *
 * On the nested kvm host of this project all code outside long mode runs
 * in the host's instruction emulator, which has no BOUND and no protected-
 * mode IRET and turns INT n, INT3 and INTO (with OF=1) into #UD; those
 * checks are in pvmgaps32.c. Status 1 through the debug exit if every
 * check passed. */
#include <stdint.h>

#include "deferred.h"
#include "kernel32.h"
#include "sysreg.h"
#include "test.h"

#define SEL_PAST_LIMIT (GDT_ENTRIES * 8)
#define SEL_ABSENT ((GDT_FIRST_SPARE + 0) * 8)	/* data, not present */
#define SEL_SMALL ((GDT_FIRST_SPARE + 1) * 8)	/* data, limit 0xfff */
#define SEL_EXPDOWN ((GDT_FIRST_SPARE + 2) * 8) /* expand-down above 4K */
#define SEL_BASED ((GDT_FIRST_SPARE + 3) * 8)	/* data based at `based` */
#define SEL_XONLY ((GDT_FIRST_SPARE + 4) * 8)	/* execute-only code */

/* --- faults at CPL 0 ---------------------------------------------------- */

static uint32_t do_divide_by_zero(void)
{
	uint32_t at;

	__asm__ volatile(TRAP_RESUME_AT_1F "movl $2f, %0\n\t"
					   "xorl %%ecx, %%ecx\n"
					   "2:\tdivl %%ecx\n1:"
			 : "=&r"(at)
			 :
			 : "eax", "ecx", "edx", "memory");
	return at;
}

static uint32_t do_ud2(void)
{
	uint32_t at;

	__asm__ volatile(TRAP_RESUME_AT_1F "movl $2f, %0\n"
					   "2:\tud2\n1:"
			 : "=r"(at)
			 :
			 : "memory");
	return at;
}

static uint32_t load_ds(uint16_t sel)
{
	uint32_t at;

	__asm__ volatile(TRAP_RESUME_AT_1F "movl $2f, %0\n"
					   "2:\tmovw %1, %%ds\n"
					   "1:\tmovw %2, %%ds"
			 : "=&r"(at)
			 : "r"(sel), "r"((uint16_t)SEL_KDATA)
			 : "memory");
	return at;
}

static uint32_t load_ss(uint16_t sel)
{
	uint32_t at;

	__asm__ volatile(TRAP_RESUME_AT_1F "movl $2f, %0\n"
					   "2:\tmovw %1, %%ss\n"
					   "1:\tmovw %2, %%ss"
			 : "=&r"(at)
			 : "r"(sel), "r"((uint16_t)SEL_KDATA)
			 : "memory");
	return at;
}

/* Reads ES:offset with `sel` in ES; the value, or 0 after a fault. */
static uint32_t read_es_at(uint16_t sel, uint32_t offset, uint32_t *at)
{
	uint32_t v = 0;

	__asm__ volatile("movw %3, %%es\n\t" TRAP_RESUME_AT_1F "movl $2f, %1\n"
			 "2:\tmovl %%es:(%2), %0\n"
			 "1:\tmovw %4, %%es"
			 : "+&r"(v), "=&r"(*at)
			 : "r"(offset), "r"(sel), "r"((uint16_t)SEL_KDATA)
			 : "memory");
	return v;
}

static void check_faults(void)
{
	uint32_t at;

	trap_clear();
	at = do_divide_by_zero();
	expect_trap("#DE: DIV by zero, EIP of the DIV", VEC_DE, 0, at);
	trap_clear();
	at = do_ud2();
	expect_trap("#UD: UD2, EIP of the UD2", VEC_UD, 0, at);
}

static volatile uint32_t based_target = 0x600d600d;

static void check_segments(void)
{
	uint32_t at, v;

	gdt[SEL_ABSENT / 8] = seg_desc(0, 0xfffff, ACC_S | ACC_WRITE, DF_DB | DF_G);
	gdt[SEL_SMALL / 8] = seg_desc(0, 0xfff, ACC_DATA_RW, DF_DB);
	/* Expand-down, big: offsets 0x1000-0xffffffff are valid. */
	gdt[SEL_EXPDOWN / 8] = seg_desc(0, 0xfff, ACC_DATA_RW | 0x4, DF_DB);
	gdt[SEL_BASED / 8] = seg_desc((uintptr_t)&based_target - 0x10, 0xfffff, ACC_DATA_RW, DF_DB | DF_G);
	gdt[SEL_XONLY / 8] = seg_desc(0, 0xfffff, ACC_P | ACC_S | ACC_CODE, DF_DB | DF_G);

	trap_clear();
	at = load_ds(SEL_PAST_LIMIT);
	expect_trap("#GP(sel): DS selector past the GDT limit", VEC_GP, SEL_PAST_LIMIT, at);
	trap_clear();
	at = load_ds(SEL_KDATA | 3);
	expect_trap("#GP(sel): DS with RPL 3 for a DPL 0 segment", VEC_GP, SEL_KDATA, at);
	trap_clear();
	at = load_ds(SEL_XONLY);
	expect_trap("#GP(sel): DS with execute-only code", VEC_GP, SEL_XONLY, at);
	trap_clear();
	at = load_ds(SEL_TSS);
	expect_trap("#GP(sel): DS with a TSS descriptor", VEC_GP, SEL_TSS, at);
	trap_clear();
	at = load_ds(SEL_ABSENT);
	expect_trap("#NP(sel): DS with a not-present segment", VEC_NP, SEL_ABSENT, at);
	trap_clear();
	at = load_ss(USER_SS);
	expect_trap("#GP(sel): SS with a DPL 3 segment at CPL 0", VEC_GP, SEL_UDATA, at);

	trap_clear();
	read_es_at(SEL_SMALL, 0xffc, &at);
	expect_no_trap("a doubleword ending at the segment limit");
	trap_clear();
	read_es_at(SEL_SMALL, 0xffd, &at);
	expect_trap("#GP(0): a doubleword crossing the segment limit", VEC_GP, 0, at);
	trap_clear();
	read_es_at(SEL_EXPDOWN, 0xffc, &at);
	expect_trap("#GP(0): expand-down segment below its limit", VEC_GP, 0, at);
	trap_clear();
	v = read_es_at(SEL_EXPDOWN, (uint32_t)(uintptr_t)&based_target, &at);
	if (!trap_last.count && v == 0x600d600d)
		pass("expand-down segment above its limit");
	else
		fail("expand-down segment above its limit", "%u trap(s), read 0x%x", trap_last.count, v);
	trap_clear();
	v = read_es_at(SEL_BASED, 0x10, &at);
	if (!trap_last.count && v == 0x600d600d)
		pass("segment base added to the offset");
	else
		fail("segment base added to the offset", "%u trap(s), read 0x%x", trap_last.count, v);
}

/* --- PUSHA and POPA (gone in 64-bit mode) --------------------------------- */

/* PUSHA's image, lowest address first: EDI ESI EBP ESP EBX EDX ECX EAX. */
uint32_t pusha_image[8], pusha_esp;
/* EAX ECX EDX EBX EBP ESI EDI and ESP after a POPA. */
uint32_t popa_regs[8];

static void check_pusha_popa(void)
{
	static const uint32_t want_push[8] = { 0xd1, 0x51, 0xb2, 0, 0xb1, 0xd0, 0xc1, 0xa1 };
	static const uint32_t want_pop[7] = { 0xa2, 0xc2, 0xd2, 0xb3, 0xb4, 0x52, 0xd3 };
	uint32_t bad = 0;

	trap_clear();
	/* Only absolute addresses inside: every register is in use. A trap
	 * (an engine without PUSHA) resumes at 3, which restores them. */
	__asm__ volatile("movl $3f, trap_resume\n\t"
			 "pushl %%ebp\n\t"
			 "pushl %%ebx\n\t"
			 "pushl %%esi\n\t"
			 "pushl %%edi\n\t"
			 "movl $0xa1, %%eax\n\t"
			 "movl $0xc1, %%ecx\n\t"
			 "movl $0xd0, %%edx\n\t"
			 "movl $0xb1, %%ebx\n\t"
			 "movl $0xb2, %%ebp\n\t"
			 "movl $0x51, %%esi\n\t"
			 "movl $0xd1, %%edi\n\t"
			 "movl %%esp, pusha_esp\n\t"
			 "pushal\n\t"
			 "popl pusha_image\n\t"
			 "popl pusha_image + 4\n\t"
			 "popl pusha_image + 8\n\t"
			 "popl pusha_image + 12\n\t"
			 "popl pusha_image + 16\n\t"
			 "popl pusha_image + 20\n\t"
			 "popl pusha_image + 24\n\t"
			 "popl pusha_image + 28\n\t"
			 /* What POPA pops, EAX pushed first; the ESP slot is
			  * skipped. */
			 "pushl $0xa2\n\t"
			 "pushl $0xc2\n\t"
			 "pushl $0xd2\n\t"
			 "pushl $0xb3\n\t"
			 "pushl $0x12345678\n\t"
			 "pushl $0xb4\n\t"
			 "pushl $0x52\n\t"
			 "pushl $0xd3\n\t"
			 "popal\n\t"
			 "movl %%eax, popa_regs\n\t"
			 "movl %%ecx, popa_regs + 4\n\t"
			 "movl %%edx, popa_regs + 8\n\t"
			 "movl %%ebx, popa_regs + 12\n\t"
			 "movl %%ebp, popa_regs + 16\n\t"
			 "movl %%esi, popa_regs + 20\n\t"
			 "movl %%edi, popa_regs + 24\n\t"
			 "movl %%esp, popa_regs + 28\n"
			 "3:\tpopl %%edi\n\t"
			 "popl %%esi\n\t"
			 "popl %%ebx\n\t"
			 "popl %%ebp"
			 :
			 :
			 : "eax", "ecx", "edx", "memory");
	trap_resume = 0;
	if (trap_last.count) {
		fail("PUSHA and POPA", "trap vector %u at 0x%x", trap_last.vector, trap_last.eip);
		return;
	}
	for (int i = 0; i < 8; i++)
		if (pusha_image[i] != (i == 3 ? pusha_esp : want_push[i]))
			bad |= 1u << i;
	expect_eq("PUSHA stores EAX-EDI, ESP as before the PUSHA", bad, 0);
	bad = 0;
	for (int i = 0; i < 7; i++)
		if (popa_regs[i] != want_pop[i])
			bad |= 1u << i;
	if (popa_regs[7] != pusha_esp)
		bad |= 1u << 7;
	expect_eq("POPA loads EAX-EDI, skips the ESP slot", bad, 0);
}

/* --- CPL 3 ------------------------------------------------------------ */

static volatile uint32_t user_esp_at_fault;

static uint32_t user_ud2(uint32_t arg)
{
	uint32_t at;

	(void)arg;
	__asm__ volatile(TRAP_RESUME_AT_1F "movl $2f, %0\n\t"
					   "movl %%esp, user_esp_at_fault\n"
					   "2:\tud2\n1:"
			 : "=r"(at)
			 :
			 : "memory");
	return at;
}

static uint32_t user_ud2_keeps_registers(uint32_t arg)
{
	uint32_t esi = arg, edi = ~arg;

	__asm__ volatile(TRAP_RESUME_AT_1F "ud2\n1:" : "+S"(esi), "+D"(edi) : : "memory");
	return esi == arg && edi == ~arg;
}

static uint32_t user_into_no_overflow(uint32_t arg)
{
	(void)arg;
	__asm__ volatile(TRAP_RESUME_AT_1F "xorl %%eax, %%eax\n\t"
					   "into\n1:"
			 :
			 :
			 : "eax", "cc", "memory");
	return 0;
}

static void check_user(void)
{
	uint32_t at, ok;

	trap_clear();
	at = user_call(user_ud2, 0);
	expect_trap("CPL 3 #UD: EIP of the UD2", VEC_UD, 0, at);
	expect_eq("CPL 3 #UD: pushed CS is the user CS", trap_last.cs, USER_CS);
	expect_eq("CPL 3 #UD: pushed SS is the user SS", trap_last.ss, USER_SS);
	expect_eq("CPL 3 #UD: pushed ESP is the user ESP", trap_last.esp, user_esp_at_fault);
	expect_eq("CPL 3 #UD: frame on the TSS.ESP0 stack", trap_last.frame_eip_addr, tss.esp0 - 20);
	ok = user_call(user_ud2_keeps_registers, 0x12345678);
	expect_eq("back to CPL 3 with the registers intact", ok, 1);

	trap_clear();
	user_call(user_into_no_overflow, 0);
	expect_no_trap("CPL 3 INTO with OF=0 does nothing");
}

int main(void)
{
	kernel32_init();
	printf("32-bit protected-mode exception tests\n");
	check_faults();
	check_segments();
	check_user();
	check_pusha_popa();
	test_done();
}
