/* A minimal 64-bit test kernel for ELF64 guests: its own GDT (with user
 * segments and a TSS), an IDT whose 256 gates all lead to trap_dispatch(),
 * user-accessible identity paging (paging64.h), and user_call() to run a
 * function at CPL3.
 *
 * Traps: trap_dispatch() records every trap in trap_last. Then, in order:
 * a handler set with trap_set_handler() decides; otherwise, if trap_resume
 * is set, the trapped code resumes there (and trap_resume is cleared);
 * otherwise the trap was unexpected: a FAIL line, and the run ends.
 * Inline asm arms trap_resume with TRAP_RESUME_AT_1F right before the
 * instruction that should trap, and puts the label "1:" where to go on. */
#ifndef GUEST_KERNEL64_H
#define GUEST_KERNEL64_H

#include <stdbool.h>
#include <stdint.h>

#include "desc.h"

#define SEL_KCODE 0x08	  /* 64-bit code, DPL 0 (as the boot GDT has it) */
#define SEL_KDATA 0x10	  /* flat data, DPL 0 */
#define SEL_KCODE32 0x18  /* flat 32-bit code, DPL 0 */
#define SEL_UCODE32 0x20  /* flat 32-bit code, DPL 3 (SYSRET to 32 bits) */
#define SEL_UDATA 0x28	  /* flat data, DPL 3 */
#define SEL_UCODE 0x30	  /* 64-bit code, DPL 3 */
#define SEL_TSS 0x38	  /* 64-bit TSS, two slots */
#define GDT_FIRST_SPARE 9 /* slots 9..GDT_ENTRIES-1 are the tests' own */
#define GDT_ENTRIES 16

#define USER_CS (SEL_UCODE | 3)
#define USER_SS (SEL_UDATA | 3)
#define USER_CS32 (SEL_UCODE32 | 3)

/* Vectors. */
#define VEC_DE 0
#define VEC_DB 1
#define VEC_BP 3
#define VEC_UD 6
#define VEC_NM 7
#define VEC_DF 8
#define VEC_TS 10
#define VEC_NP 11
#define VEC_SS 12
#define VEC_GP 13
#define VEC_PF 14
#define VEC_AC 17
#define VEC_XM 19

#define KSTACK_SIZE 8192
#define IST_STACK_SIZE 4096
#define IST_STACKS 3

/* What trap_common pushes below the CPU's frame. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

struct trap_record {
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
	uint64_t cr2;
	uint64_t frame_rip_addr; /* where the CPU stored RIP: which stack */
	unsigned int count;	 /* traps since trap_clear() */
};

typedef void (*trap_handler_fn)(struct trap_frame *f);

extern uint64_t gdt[GDT_ENTRIES];
extern struct gate64 idt[256];
/* rsp[0] is the top of the CPL 0 stack for traps from CPL 3; ist[1] to
 * ist[IST_STACKS] are the tops of the IST stacks. */
extern struct tss64 tss;
extern char trap_stubs[]; /* stub of vector v at trap_stubs + 16 * v */
extern volatile struct trap_record trap_last;
extern volatile uint64_t trap_resume;
/* RFLAGS that user_call() starts user code with (default 0x2). */
extern uint64_t user_rflags;
/* What user_call() loads into DS and ES before its IRETQ (default
 * USER_SS); IRETQ nulls them if this is a DPL 0 segment. */
extern uint16_t user_ds;

#define TRAP_RESUME_AT_1F "movq $1f, trap_resume(%%rip)\n\t"

/* GDT, TSS, IDT, paging; call once, first. */
void kernel64_init(void);
void trap_set_handler(unsigned int vector, trap_handler_fn fn);
/* The gate of `vector` to its stub again, with this DPL, IST and type. */
void trap_set_gate(unsigned int vector, unsigned int dpl, unsigned int ist, uint8_t type);
/* Forgets the traps so far and disarms trap_resume (an armed trap_resume
 * outlives an instruction that did not trap). */
void trap_clear(void);
/* PASS if exactly one trap with this vector and error code happened since
 * trap_clear(), at `rip` (unless rip is 0); else FAIL with what happened. */
bool expect_trap(const char *name, unsigned int vector, uint64_t error, uint64_t rip);
/* PASS if no trap happened since trap_clear(). Both disarm trap_resume. */
bool expect_no_trap(const char *name);

/* Runs fn(arg) at CPL 3 (CS USER_CS, SS USER_SS, its own stack, RFLAGS
 * user_rflags) and returns what it returned. */
uint64_t user_call(uint64_t (*fn)(uint64_t), uint64_t arg);

/* How user_call() works, for code that enters CPL 3 some other way (SYSRET):
 * push RBP, RBX, R12-R15, save RSP in user_kernel_rsp, and go to CPL 3 on
 * the stack that ends at user_stack_top. User code that then executes the
 * UD2 at user_exit_ud2 (in 64-bit or compatibility mode) makes that entry
 * point return RAX, as user_call() returns. */
extern uint64_t user_kernel_rsp;
extern char user_stack_top[], user_exit_ud2[];

#endif
