/* A minimal 32-bit protected-mode test kernel for ELF32 guests (paging
 * off): its own GDT with user segments and a 32-bit TSS, an IDT whose 256
 * gates lead to trap_dispatch(), and user_call() to run a function at
 * CPL 3. The same rules as kernel64.h: trap_dispatch() records each trap
 * in trap_last; then a handler from trap_set_handler() decides, or the code
 * resumes at trap_resume (armed with TRAP_RESUME_AT_1F), or the trap was
 * unexpected: a FAIL line and the end of the run.
 *
 * The GDT is laid out for SYSENTER/SYSEXIT (SDM vol. 2B): kernel code,
 * kernel data, user code and user data in consecutive slots. There is no
 * IRET anywhere (see trap32.S for why): traps return with a far return or
 * SYSEXIT, and user_call() enters CPL 3 with SYSEXIT, so IA32_SYSENTER_CS
 * must stay SEL_KCODE. */
#ifndef GUEST_KERNEL32_H
#define GUEST_KERNEL32_H

#include <stdbool.h>
#include <stdint.h>

#include "desc.h"

#define SEL_KCODE 0x08 /* flat 32-bit code, DPL 0 (IA32_SYSENTER_CS) */
#define SEL_KDATA 0x10 /* flat data, DPL 0 (SYSENTER_CS + 8) */
#define SEL_UCODE 0x18 /* flat 32-bit code, DPL 3 (SYSENTER_CS + 16) */
#define SEL_UDATA 0x20 /* flat data, DPL 3 (SYSENTER_CS + 24) */
#define SEL_TSS 0x28
#define GDT_FIRST_SPARE 6 /* slots 6..GDT_ENTRIES-1 are the tests' own */
#define GDT_ENTRIES 16

#define USER_CS (SEL_UCODE | 3)
#define USER_SS (SEL_UDATA | 3)

#define VEC_DE 0
#define VEC_DB 1
#define VEC_BP 3
#define VEC_OF 4
#define VEC_BR 5
#define VEC_UD 6
#define VEC_DF 8
#define VEC_NP 11
#define VEC_SS 12
#define VEC_GP 13
#define VEC_PF 14

#define KSTACK_SIZE 8192

/* What trap_common pushes below the CPU's frame; esp and ss are only
 * there for traps from CPL 3. */
struct trap_frame {
	uint32_t es, ds;
	uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
	uint32_t vector, error;
	uint32_t eip, cs, eflags; /* pushed by the CPU */
	uint32_t esp, ss;	  /* pushed by the CPU on a privilege change */
};

struct trap_record {
	uint32_t vector, error, eip, cs, eflags, esp, ss;
	uint32_t frame_eip_addr; /* where the CPU stored EIP: which stack */
	unsigned int count;	 /* traps since trap_clear() */
};

typedef void (*trap_handler_fn)(struct trap_frame *f);

extern uint64_t gdt[GDT_ENTRIES];
extern struct gate32 idt[256];
/* esp0/ss0: the CPL 0 stack for traps from CPL 3. */
extern struct tss32 tss;
extern char trap_stubs[]; /* stub of vector v at trap_stubs + 16 * v */
extern volatile struct trap_record trap_last;
extern volatile uint32_t trap_resume;
/* EFLAGS user_call() starts user code with (default 0x2). */
extern uint32_t user_eflags;
/* What user_call() loads into DS and ES before it enters CPL 3 (default
 * USER_SS). */
extern uint16_t user_ds;

#define TRAP_RESUME_AT_1F "movl $1f, trap_resume\n\t"

/* GDT, TSS, IDT; call once, first. */
void kernel32_init(void);
void trap_set_handler(unsigned int vector, trap_handler_fn fn);
void trap_set_gate(unsigned int vector, unsigned int dpl, uint8_t type);
/* Forgets the traps so far and disarms trap_resume (an armed trap_resume
 * outlives an instruction that did not trap). */
void trap_clear(void);
/* PASS if exactly one trap with this vector and error code happened since
 * trap_clear(), at `eip` (unless eip is 0); else FAIL. */
bool expect_trap(const char *name, unsigned int vector, uint32_t error, uint32_t eip);
/* PASS if no trap happened since trap_clear(). Both disarm trap_resume. */
bool expect_no_trap(const char *name);

/* Runs fn(arg) at CPL 3 (CS USER_CS, SS USER_SS, DS = ES = user_ds, its
 * own stack, EFLAGS user_eflags) and returns what it returned. It comes back
 * through the #UD of the UD2 at user_exit_ud2. */
uint32_t user_call(uint32_t (*fn)(uint32_t), uint32_t arg);
extern char user_exit_ud2[], user_stack_top[];
/* Saved by user_call() for the way back; code that enters CPL 3 another
 * way (SYSEXIT) saves EBX, ESI, EDI, EBP and then ESP here. */
extern uint32_t user_kernel_esp;

#endif
