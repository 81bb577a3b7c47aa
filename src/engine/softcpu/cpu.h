/* The soft CPU: one vCPU's architectural state in the form the software engines
 * (interp, dbt) work on — lazy flags, a soft TLB, code-page tracking — plus the
 * machinery for exits and exceptions, and the hooks through which the core tells
 * the engine that runs it what happened (struct softcpu_hooks).
 *
 * Contract with an engine: it executes instructions by calling their handlers
 * (insn->fn) with cpu->rip, cpu->rip_next set, inside a setjmp on cpu->unwind;
 * a handler leaves by cpu_raise (an exception: UNWIND_EXCEPTION) or
 * cpu_exit_and_replay (an exit the VMM must answer: UNWIND_EXIT, the instruction
 * runs again after replay_complete()); after each instruction the engine looks at
 * cpu->leave_block and, when set, stops running straight-line code and returns to
 * events (events.h). */
#ifndef RV_SOFTCPU_CPU_H
#define RV_SOFTCPU_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/soft_clock.h"
#include "x86/arch.h"

#include "engine/softcpu/code_pages.h"

struct guest_memory;
struct insn;
struct soft_cpu;
struct write_log;

/* What the core tells the engine running it. Each is optional (NULL: nothing to
 * do). The engine finds its own vCPU from cpu (it embeds struct soft_cpu). */
struct softcpu_hooks {
	/* A guest write hit chunks of a code page that the engine registered
	 * (code_pages_get): it must drop what it translated from the chunks in hit
	 * (bit n: bytes 64n..64n+63 of the page), recompute page->code_mask from what
	 * it keeps, and not resume into dropped code. leave_block is already set. */
	void (*code_written)(struct soft_cpu *cpu, struct code_page *page, uint64_t hit);
	/* Linear-to-physical translations changed (a TLB flush): forget every
	 * shortcut from a linear address to translated code; with keep_global,
	 * those through global pages may stay (MOV CR3 keeps their TLB entries). */
	void (*translations_flushed)(struct soft_cpu *cpu, bool keep_global);
};

/* Lazy condition flags: the last flag-setting operation and its operands; a flag
 * is computed only when something reads it (flags.c). */
enum lazy_op {
	LF_NONE, /* CF..OF are in rflags as they are */
	LF_ADD,
	LF_ADC,
	LF_SUB,
	LF_SBB,
	LF_LOGIC, /* AND, OR, XOR, TEST: CF = OF = 0 */
	LF_INC,	  /* CF kept (in cf_in) */
	LF_DEC,
	LF_NEG,
	LF_SHL, /* src1 = operand, src2 = count (1..size*8-1 or more) */
	LF_SHR,
	LF_SAR,
	/* Translated code's (engine/dbt): CF..OF as LAHF and SETO AL left them in
	 * AX, kept in res (flags_from_host_image), so that leaving and entering a
	 * block costs no PUSHFQ/POPFQ. */
	LF_HOST,
};

struct lazy_flags {
	uint64_t res;
	uint64_t src1;
	uint64_t src2;
	uint8_t op;   /* enum lazy_op */
	uint8_t size; /* 1, 2, 4 or 8 */
	uint8_t cf_in;
};

#define RFLAGS_ARITH_MASK 0x8d5ull /* CF PF AF ZF SF OF */

/* One software TLB entry: linear page -> host address of that page. tag holds the
 * page-aligned linear address, or TLB_INVALID. Low tag bits never match an aligned
 * address, so slow-path pages (MMIO, cached code for writes) simply stay out. */
struct tlb_entry {
	uint64_t tag;
	uintptr_t host_minus_linear; /* host pointer = linear + this */
	uint64_t gpa_page;
	uint64_t span_mask; /* ~(size - 1) of the page that mapped it: 4 KiB, 2 or 4 MiB */
};

#define TLB_SIZE 256
/* Bit 11 alone: no page (low 12 bits clear) is it, nor an address masked to a
 * page and its low alignment bits (dbt's aligned probe). */
#define TLB_INVALID 0x800ull
/* Access kinds, also the TLB's index. */
enum { ACC_READ, ACC_WRITE, ACC_EXEC, ACC_KINDS };

/* Sets: [0] supervisor, [1] CPL 3, so that a privilege change needs no flush;
 * [2] stays empty: CPL-3 data accesses use it while alignment checking is on, so
 * that every one of them reaches the slow path, which checks alignment. */
#define TLB_SET_ALIGN_CHECK 2
/* Two ways per index (the newest install in way 0): with one, two hot pages
 * whose numbers agree in the low 8 bits evicted each other on every access,
 * and which pages met that way changed with the guest's address-space
 * randomization, so that one boot in four or five ran its user programs at
 * half speed. */
#define TLB_WAYS 2
#define TLB_ROWS (3 * ACC_KINDS * TLB_SIZE) /* a row: one index's ways, of one set and kind */
/* Rows listed as holding a non-global entry, for the flush of a CR3 write,
 * which looked at all 3,072 entries of sets 0 and 1, most of them empty, on
 * every switch between the two processes of a pipe (2% of the time there). */
#define TLB_LISTED_MAX 128
struct tlb {
	struct tlb_entry e[3][ACC_KINDS][TLB_SIZE][TLB_WAYS];
	bool global[3][ACC_KINDS][TLB_SIZE][TLB_WAYS]; /* entry came from a global page */
	uint64_t hits, misses;
	bool has_large; /* some entry came from a large page: INVLPG must scan */
	/* Every row with a non-global entry is in listed[0, nlisted) (once:
	 * is_listed), unless too many were (overflow: the flush scans). */
	uint16_t listed[TLB_LISTED_MAX];
	unsigned nlisted;
	bool overflow;
	uint64_t is_listed[TLB_ROWS / 64];
};

/* An access the VMM must perform (port I/O, MMIO), logged so that the instruction
 * can be re-executed after the exit and find its answer (see mem.c, "Replay"). */
struct replay_entry {
	uint8_t kind; /* REPLAY_IN, REPLAY_OUT, REPLAY_MMIO_READ, REPLAY_MMIO_WRITE */
	uint8_t size;
	bool done;
	uint64_t addr;
	uint64_t data;
};
enum { REPLAY_IN, REPLAY_OUT, REPLAY_MMIO_READ, REPLAY_MMIO_WRITE };
/* An instruction exits at most this often: FXSAVE/FXRSTOR with its 512-byte area
 * in MMIO, byte by byte where it crosses a page, and room for XSAVE. */
#define REPLAY_MAX 1024

/* The debug architecture's state beyond DR0-DR7 (debug.c): DR7 decoded into which
 * breakpoints are armed, and the #DB conditions the running instruction met. */
struct debug_state {
	uint8_t exec_bps;    /* DR0-DR3 enabled as instruction breakpoints (bit n: DRn) */
	uint8_t write_bps;   /* enabled as data breakpoints on writes (R/W 01 or 11) */
	uint8_t read_bps;    /* enabled as data breakpoints on reads too (R/W 11) */
	uint8_t io_bps;	     /* enabled as I/O breakpoints (R/W 10 with CR4.DE) */
	uint8_t hits;	     /* B0-B3: data or I/O breakpoints the running instruction hit */
	bool delivered;	     /* the running instruction delivered an event (INT n, INT1...) */
	bool rep_unfinished; /* a REP string instruction stopped with iterations left */
	/* #DB conditions held back by the MOV SS / POP SS shadow until the next
	 * instruction has run. */
	bool held;
	bool held_step;
	uint8_t held_hits;
};

/* Why the inner loop unwound with longjmp. */
enum unwind_reason { UNWIND_NONE, UNWIND_EXCEPTION, UNWIND_EXIT };

struct cpu_model;

struct soft_cpu {
	/* Hot state first. */
	uint64_t gpr[GPR_COUNT];
	uint64_t rip;	   /* of the instruction executing */
	uint64_t rip_next; /* of the next one; branches write it */
	uint64_t rflags;   /* all bits; CF..OF valid only when lf.op == LF_NONE */
	struct lazy_flags lf;
	struct tlb tlb;

	struct x86_segment seg[SREG_COUNT];
	struct x86_segment ldtr, tr;
	struct x86_dtable gdtr, idtr;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer, apic_base;
	uint64_t pdpte[4]; /* PAE paging: loaded with CR3, as the processor holds them */
	uint64_t dr[8];	   /* DR4/DR5 unused: they alias DR6/DR7 */
	struct debug_state dbg;
	struct x86_msrs msr;
	struct x86_fpu fpu;
	uint64_t xcr0; /* XCR0 (vcpu_state.xcr0) */
	uint8_t cpl;
	uint8_t mode;	       /* enum cpu_mode, derived from CR0/EFER/CS */
	uint64_t ip_mask;      /* RIP wraps at 16, 32 or 64 bits */
	uint8_t user_data_set; /* TLB set of CPL-3 data accesses: 1, or 2 with #AC checks */

	/* Events. */
	bool interrupt_shadow; /* STI / MOV SS: no interrupt before the next insn */
	bool nmi_masked;       /* an NMI handler runs: NMIs wait for IRET */
	bool nmi_pending;      /* injected by the VMM, not yet delivered */
	bool halted;
	int pending_irq; /* vector injected by the VMM, -1 if none */
	bool want_irq_window;
	struct x86_event delivering; /* for get_state while delivering */
	int fault_depth;	     /* 1 while an event is being delivered */
	/* An event is being delivered outside any instruction: an exit taken on the
	 * way resumes that delivery (cpu_deliver_event), not an instruction. */
	bool event_in_flight;

	/* Exits and replay. */
	struct replay_entry replay[REPLAY_MAX];
	unsigned replay_count, replay_pos;
	struct vm_exit exit; /* the exit being taken */
	bool exit_ready;
	volatile int kicked;
	uint8_t io_buf[8];

	/* Unwinding out of an instruction. */
	jmp_buf unwind;
	uint8_t exc_vector;
	bool exc_has_error;
	uint32_t exc_error;

	bool hypercall_pending; /* the last exit was a hypercall: its result goes to RAX */
	/* The engine must stop after this instruction and look at events: control,
	 * mode or paging changed, code was written, IF or a shadow changed, an event
	 * was delivered. Set by the core, cleared by the engine. */
	bool leave_block;

	/* The engine's hooks and the code pages it registered. */
	const struct softcpu_hooks *hooks;
	struct code_pages code;

	struct guest_memory *mem;
	int index;
	uint64_t icount;
	uint64_t tsc_offset;
	/* kvmclock (x86/pvclock.h): the MSR values the guest wrote; clock_base_ns is
	 * the soft_clock_ns() at which kvmclock's system time is 0 (vCPU creation). */
	uint64_t kvm_system_time;
	uint64_t kvm_wall_clock;
	uint32_t kvmclock_version;
	uint64_t clock_base_ns;

	/* Lockstep (engine/dbt/lockstep.h) runs a block twice from one state: the
	 * clock reads frozen_clock_ns while it is not 0, and guest-RAM writes are
	 * recorded in write_log while it is set (write_log.h). code_hits counts
	 * the writes that reached registered code (cpu_code_written). */
	uint64_t frozen_clock_ns;
	uint64_t code_hits;
	struct write_log *write_log;

	/* Scratch of a translating engine's code (dbt): the guest's arithmetic
	 * flags as LAHF and SETO AL give them (LF_HOST), kept around a soft-TLB
	 * probe, and a host register's value while the code borrows it. */
	uint64_t saved_flags;
	/* The host's arithmetic flags as the slow paths' shared stub found them
	 * (the same image): the guest's where a probe's slow path ran again the
	 * compare that set them (translate.c, flags_recipe). */
	uint64_t stub_flags;
	uint64_t spill;
	uint64_t scratch_spill[3]; /* guest values of registers lent as scratch */
	/* Where a loop's way back goes: [0] round again, [1] out when kicked
	 * (the low byte of `kicked`, 0 or 1, indexes it); set as the loop's run
	 * starts, so that the way back needs no flags-clobbering compare. */
	const void *loop_way[2];
	/* The host registers (by number; RSP's unused) while a probe's slow
	 * path runs the instruction in the core, and where it goes on after. */
	uint64_t host_regs[16];
	const void *slow_resume;
	/* While translated code runs floating-point instructions as
	 * themselves, the host's MXCSR holds the guest's control bits and
	 * gathers the flags they raise (engine/dbt/guest_mxcsr.h); the VMM's
	 * own value waits here. */
	uint32_t host_mxcsr;
	bool mxcsr_in_host;

	/* The guest CPU model (x86/cpu_model.h): CPUID answers from it, and the
	 * decoder refuses what it does not advertise. Fixed for the VM's life.
	 * Last, so that the fields above keep the offsets dbt's code uses. */
	const struct cpu_model *model;
};

enum cpu_mode { MODE_REAL, MODE_PROT16, MODE_PROT32, MODE_LONG_COMPAT16, MODE_LONG_COMPAT32, MODE_LONG64, MODE_COUNT };

/* The guest's time-stamp counter: the software engines' clock (engine/soft_clock.h),
 * plus an offset set at reset and by TSC writes. */
static inline uint64_t cpu_clock_ns(const struct soft_cpu *cpu)
{
	return __builtin_expect(cpu->frozen_clock_ns != 0, 0) ? cpu->frozen_clock_ns : soft_clock_ns();
}

static inline uint64_t cpu_read_tsc(const struct soft_cpu *cpu)
{
	return cpu_clock_ns(cpu) + cpu->tsc_offset;
}

static inline void cpu_write_tsc(struct soft_cpu *cpu, uint64_t value)
{
	cpu->tsc_offset = value - cpu_clock_ns(cpu);
}

static inline unsigned cpu_iopl(const struct soft_cpu *cpu)
{
	return (unsigned)((cpu->rflags & RFLAGS_IOPL_MASK) >> 12);
}

/* Recompute cpl/mode after CR0, EFER, CS or RFLAGS.VM change (cpu.c). */
void cpu_update_mode(struct soft_cpu *cpu);

/* A guest write to [gpa, gpa + size), on a page that holds registered code: if it
 * touched code, leave the block and tell the engine (hooks->code_written). */
void cpu_code_written(struct soft_cpu *cpu, uint64_t gpa, unsigned size);

/* Raise an exception from inside an instruction: unwinds to the run loop, which
 * delivers it with RIP at the faulting instruction. Never returns. */
__attribute__((noreturn)) void cpu_raise(struct soft_cpu *cpu, uint8_t vector, bool has_error, uint32_t error);
#define cpu_raise_gp0(cpu) cpu_raise((cpu), 13, true, 0)
#define cpu_raise_ud(cpu) cpu_raise((cpu), 6, false, 0)

/* Leave the instruction to take the exit in cpu->exit; it is re-executed after the
 * VMM has answered. Never returns. */
__attribute__((noreturn)) void cpu_exit_and_replay(struct soft_cpu *cpu);

/* Exception vectors. */
enum {
	EXC_DE = 0,
	EXC_DB = 1,
	EXC_NMI = 2,
	EXC_BP = 3,
	EXC_OF = 4,
	EXC_BR = 5,
	EXC_UD = 6,
	EXC_NM = 7,
	EXC_DF = 8,
	EXC_TS = 10,
	EXC_NP = 11,
	EXC_SS = 12,
	EXC_GP = 13,
	EXC_PF = 14,
	EXC_MF = 16,
	EXC_AC = 17,
	EXC_XM = 19,
};

#endif
