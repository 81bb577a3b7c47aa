/* The debug architecture of the soft CPU (Intel SDM Vol. 3, chapter "Debug, Branch
 * Profile, TSC and Intel Resource Director Technology Features"; AMD APM Vol. 2,
 * chapter 13): DR0-DR7 and MOV DR, instruction, data and I/O breakpoints,
 * single-step (RFLAGS.TF), RF, and the MOV SS shadow over #DB.
 *
 * Costs nothing while no breakpoint is enabled and TF and RF are clear: the run
 * loop asks debug_slow_path() once per block; data breakpoints keep their pages
 * out of the soft TLB, so only accesses to those pages reach debug_data_access();
 * I/O breakpoints are looked at on port accesses, which exit to the VMM anyway. */
#ifndef RV_INTERP_DEBUG_H
#define RV_INTERP_DEBUG_H

#include "engine/interp/flags.h"
#include "engine/interp/insn.h"

#define DR6_BD (1ull << 13)
#define DR6_BS (1ull << 14)
#define DR6_BT (1ull << 15)
#define DR7_GD (1ull << 13)
#define CR4_DE (1ull << 3)

/* Whether the next instructions must run one by one through debug_step(): TF or
 * RF set, an instruction breakpoint enabled, or a #DB held by the MOV SS shadow. */
static inline bool debug_slow_path(const struct interp_cpu *cpu)
{
	return (cpu->rflags & (FL_TF | FL_RF)) || cpu->dbg.exec_bps || cpu->dbg.held;
}

/* MOV to or from a debug register (0F 21 / 0F 23). */
void debug_mov_dr(struct interp_cpu *cpu, const struct insn *in);
/* DR0-DR3, DR7 or CR4.DE changed (also after a state load): re-arm. */
void debug_update(struct interp_cpu *cpu);

/* Before an instruction on the debug path: the instruction breakpoints (a #DB
 * fault, unless RF is set), then RF is cleared. Raises. */
void debug_before_insn(struct interp_cpu *cpu);
/* After an instruction completed on the debug path (tf_before: RFLAGS.TF when it
 * began) or after one that hit a data or I/O breakpoint on the fast path: the #DB
 * trap, or holding it through the MOV SS shadow. */
void debug_after_insn(struct interp_cpu *cpu, const struct insn *in, bool tf_before);

/* A data access of the running instruction (not the CPU's own, such as
 * descriptor-table or event-delivery accesses) to a page the soft TLB leaves to
 * the slow path. kind: ACC_READ or ACC_WRITE. */
void debug_data_access(struct interp_cpu *cpu, uint64_t lin, unsigned size, unsigned kind);
/* An IN, OUT, INS or OUTS access to a port. */
void debug_io_access(struct interp_cpu *cpu, uint16_t port, unsigned size);
/* Whether the 4 KiB page at lin must stay out of the soft TLB for accesses of this
 * kind, because a data breakpoint watches it. */
bool debug_page_watched(const struct interp_cpu *cpu, uint64_t lin, unsigned kind);

#endif
