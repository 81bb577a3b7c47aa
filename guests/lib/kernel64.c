#include "kernel64.h"

#include "paging64.h"
#include "sysreg.h"
#include "test.h"

uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
struct gate64 idt[256] __attribute__((aligned(16)));
struct tss64 tss __attribute__((aligned(16)));
volatile struct trap_record trap_last;
volatile uint64_t trap_resume;
uint64_t user_rflags = 0x2;
uint16_t user_ds = USER_SS;

static uint8_t kstack[KSTACK_SIZE] __attribute__((aligned(16)));
static uint8_t ist_stacks[IST_STACKS][IST_STACK_SIZE] __attribute__((aligned(16)));
static trap_handler_fn handlers[256];

extern char user_exit_ud2[];
__attribute__((noreturn)) void user_exit(uint64_t result);

static void load_gdt(void)
{
	const uint32_t flat = 0xfffff;

	gdt[SEL_KCODE / 8] = seg_desc(0, flat, ACC_CODE_XR, DF_L | DF_G);
	gdt[SEL_KDATA / 8] = seg_desc(0, flat, ACC_DATA_RW, DF_DB | DF_G);
	gdt[SEL_KCODE32 / 8] = seg_desc(0, flat, ACC_CODE_XR, DF_DB | DF_G);
	gdt[SEL_UCODE32 / 8] = seg_desc(0, flat, ACC_CODE_XR | ACC_DPL(3), DF_DB | DF_G);
	gdt[SEL_UDATA / 8] = seg_desc(0, flat, ACC_DATA_RW | ACC_DPL(3), DF_DB | DF_G);
	gdt[SEL_UCODE / 8] = seg_desc(0, flat, ACC_CODE_XR | ACC_DPL(3), DF_L | DF_G);
	tss64_desc(&gdt[SEL_TSS / 8], (uintptr_t)&tss, sizeof(tss) - 1);
	lgdt(gdt, sizeof(gdt) - 1);
	/* Reload every segment register from the new table; CS by a far
	 * return. */
	__asm__ volatile("pushq %0\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\tmovl %1, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "movl %%eax, %%fs\n\t"
			 "movl %%eax, %%gs"
			 :
			 : "i"(SEL_KCODE), "i"(SEL_KDATA)
			 : "rax", "memory");
}

static void load_tss(void)
{
	tss.rsp[0] = (uintptr_t)(kstack + KSTACK_SIZE);
	for (int i = 0; i < IST_STACKS; i++)
		tss.ist[i + 1] = (uintptr_t)(ist_stacks[i] + IST_STACK_SIZE);
	/* I/O bitmap base past the limit: no bitmap, so port access above
	 * IOPL is #GP(0). */
	tss.iomap_base = sizeof(tss);
	ltr(SEL_TSS);
}

void trap_set_gate(unsigned int vector, unsigned int dpl, unsigned int ist, uint8_t type)
{
	gate64_set(&idt[vector], (uintptr_t)(trap_stubs + 16 * vector), SEL_KCODE, (uint8_t)ist,
		   ACC_P | ACC_DPL(dpl) | type);
}

static void load_idt(void)
{
	for (unsigned int v = 0; v < 256; v++)
		trap_set_gate(v, 0, 0, ACC_INT_GATE);
	lidt(idt, sizeof(idt) - 1);
}

void kernel64_init(void)
{
	load_gdt();
	load_tss();
	load_idt();
	paging64_init();
}

void trap_set_handler(unsigned int vector, trap_handler_fn fn)
{
	handlers[vector & 255] = fn;
}

void trap_clear(void)
{
	trap_resume = 0;
	trap_last.count = 0;
	trap_last.vector = ~0ull;
}

void trap_dispatch(struct trap_frame *f);

void trap_dispatch(struct trap_frame *f)
{
	/* The end of user_call(), not a trap to record. */
	if (f->vector == VEC_UD && f->rip == (uintptr_t)user_exit_ud2 && (f->cs & 3) == 3)
		user_exit(f->rax);
	trap_last.vector = f->vector;
	trap_last.error = f->error;
	trap_last.rip = f->rip;
	trap_last.cs = f->cs;
	trap_last.rflags = f->rflags;
	trap_last.rsp = f->rsp;
	trap_last.ss = f->ss;
	trap_last.cr2 = read_cr2();
	trap_last.frame_rip_addr = (uintptr_t)&f->rip;
	trap_last.count++;
	if (handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	if (trap_resume) {
		f->rip = trap_resume;
		trap_resume = 0;
		return;
	}
	fail("unexpected trap", "vector %llu, error 0x%llx, at %llx:%llx, RFLAGS 0x%llx, CR2 0x%llx",
	     (unsigned long long)f->vector, (unsigned long long)f->error, (unsigned long long)f->cs,
	     (unsigned long long)f->rip, (unsigned long long)f->rflags, (unsigned long long)trap_last.cr2);
	test_done();
}

bool expect_trap(const char *name, unsigned int vector, uint64_t error, uint64_t rip)
{
	if (trap_last.count == 1 && trap_last.vector == vector && trap_last.error == error &&
	    (!rip || trap_last.rip == rip)) {
		pass(name);
		return true;
	}
	if (!trap_last.count)
		fail(name, "no trap, want vector %u error 0x%llx", vector, (unsigned long long)error);
	else
		fail(name,
		     "%u trap(s), last vector %llu error 0x%llx at 0x%llx; "
		     "want vector %u error 0x%llx at 0x%llx",
		     trap_last.count, (unsigned long long)trap_last.vector, (unsigned long long)trap_last.error,
		     (unsigned long long)trap_last.rip, vector, (unsigned long long)error, (unsigned long long)rip);
	return false;
}

bool expect_no_trap(const char *name)
{
	trap_resume = 0;
	if (!trap_last.count) {
		pass(name);
		return true;
	}
	fail(name, "trap vector %llu error 0x%llx at 0x%llx", (unsigned long long)trap_last.vector,
	     (unsigned long long)trap_last.error, (unsigned long long)trap_last.rip);
	return false;
}
