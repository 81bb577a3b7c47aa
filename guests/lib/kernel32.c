#include "kernel32.h"

#include "sysreg.h"
#include "test.h"

uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
struct gate32 idt[256] __attribute__((aligned(16)));
struct tss32 tss __attribute__((aligned(16)));
volatile struct trap_record trap_last;
volatile uint32_t trap_resume;
uint32_t user_eflags = 0x2;
uint16_t user_ds = USER_SS;

static uint8_t kstack[KSTACK_SIZE] __attribute__((aligned(16)));
static trap_handler_fn handlers[256];

__attribute__((noreturn)) void user_exit(uint32_t result);
void trap_dispatch(struct trap_frame *f);

static void load_gdt(void)
{
	const uint32_t flat = 0xfffff;

	gdt[SEL_KCODE / 8] = seg_desc(0, flat, ACC_CODE_XR, DF_DB | DF_G);
	gdt[SEL_KDATA / 8] = seg_desc(0, flat, ACC_DATA_RW, DF_DB | DF_G);
	gdt[SEL_UCODE / 8] = seg_desc(0, flat, ACC_CODE_XR | ACC_DPL(3), DF_DB | DF_G);
	gdt[SEL_UDATA / 8] = seg_desc(0, flat, ACC_DATA_RW | ACC_DPL(3), DF_DB | DF_G);
	gdt[SEL_TSS / 8] = seg_desc((uintptr_t)&tss, sizeof(tss) - 1, ACC_P | ACC_TSS_AVAIL, 0);
	lgdt(gdt, sizeof(gdt) - 1);
	__asm__ volatile("ljmp %0, $1f\n"
			 "1:\tmovl %1, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "movl %%eax, %%fs\n\t"
			 "movl %%eax, %%gs"
			 :
			 : "i"(SEL_KCODE), "i"(SEL_KDATA)
			 : "eax", "memory");
}

static void load_tss(void)
{
	tss.esp0 = (uintptr_t)(kstack + KSTACK_SIZE);
	tss.ss0 = SEL_KDATA;
	tss.iomap_base = sizeof(tss);
	ltr(SEL_TSS);
	/* SYSEXIT takes the user CS and SS from here (trap32.S). */
	wrmsr(MSR_SYSENTER_CS, SEL_KCODE);
	wrmsr(MSR_SYSENTER_ESP, tss.esp0);
}

void trap_set_gate(unsigned int vector, unsigned int dpl, uint8_t type)
{
	gate32_set(&idt[vector], (uintptr_t)(trap_stubs + 16 * vector), SEL_KCODE, ACC_P | ACC_DPL(dpl) | type);
}

static void load_idt(void)
{
	for (unsigned int v = 0; v < 256; v++)
		trap_set_gate(v, 0, ACC_INT_GATE);
	lidt(idt, sizeof(idt) - 1);
}

void kernel32_init(void)
{
	load_gdt();
	load_tss();
	load_idt();
}

void trap_set_handler(unsigned int vector, trap_handler_fn fn)
{
	handlers[vector & 255] = fn;
}

void trap_clear(void)
{
	trap_resume = 0;
	trap_last.count = 0;
	trap_last.vector = ~0u;
}

void trap_dispatch(struct trap_frame *f)
{
	bool from_user = (f->cs & 3) == 3;

	/* The end of user_call(), not a trap to record. */
	if (f->vector == VEC_UD && f->eip == (uintptr_t)user_exit_ud2 && from_user)
		user_exit(f->eax);
	trap_last.vector = f->vector;
	trap_last.error = f->error;
	trap_last.eip = f->eip;
	trap_last.cs = f->cs;
	trap_last.eflags = f->eflags;
	trap_last.esp = from_user ? f->esp : 0;
	trap_last.ss = from_user ? f->ss : 0;
	trap_last.frame_eip_addr = (uintptr_t)&f->eip;
	trap_last.count++;
	if (handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	if (trap_resume) {
		f->eip = trap_resume;
		trap_resume = 0;
		return;
	}
	fail("unexpected trap", "vector %u, error 0x%x, at %x:%x, EFLAGS 0x%x", f->vector, f->error, f->cs, f->eip,
	     f->eflags);
	test_done();
}

bool expect_trap(const char *name, unsigned int vector, uint32_t error, uint32_t eip)
{
	if (trap_last.count == 1 && trap_last.vector == vector && trap_last.error == error &&
	    (!eip || trap_last.eip == eip)) {
		pass(name);
		return true;
	}
	if (!trap_last.count)
		fail(name, "no trap, want vector %u error 0x%x", vector, error);
	else
		fail(name,
		     "%u trap(s), last vector %u error 0x%x at 0x%x; want "
		     "vector %u error 0x%x at 0x%x",
		     trap_last.count, trap_last.vector, trap_last.error, trap_last.eip, vector, error, eip);
	return false;
}

bool expect_no_trap(const char *name)
{
	trap_resume = 0;
	if (!trap_last.count) {
		pass(name);
		return true;
	}
	fail(name, "trap vector %u error 0x%x at 0x%x", trap_last.vector, trap_last.error, trap_last.eip);
	return false;
}
