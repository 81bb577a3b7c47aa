/* The debug architecture of the soft CPU (Intel SDM Vol. 3, chapter "Debug, Branch
 * Profile, TSC and Intel Resource Director Technology Features"; AMD APM Vol. 2,
 * chapter 13): DR0-DR7 and MOV DR, instruction, data and I/O breakpoints,
 * single-step (RFLAGS.TF), RF, and the MOV SS shadow over #DB.
 *
 * Costs nothing while no breakpoint is enabled and TF and RF are clear: the run
 * loop asks debug_slow_path() once per block; data breakpoints keep their pages
 * out of the soft TLB, so only accesses to those pages reach debug_data_access();
 * I/O breakpoints are looked at on port accesses, which exit to the VMM anyway. */
#ifndef RV_SOFTCPU_DEBUG_H
#define RV_SOFTCPU_DEBUG_H

#include "engine/softcpu/flags.h"
#include "engine/softcpu/insn.h"

#define DR6_BD (1ull << 13)
#define DR6_BS (1ull << 14)
#define DR6_BT (1ull << 15)
#define DR7_GD (1ull << 13)
#define CR4_DE (1ull << 3)

/* Whether the next instructions must run one by one through debug_step(): TF or
 * RF set, an instruction breakpoint enabled, or a #DB held by the MOV SS shadow. */
static inline bool debug_slow_path(const struct soft_cpu *cpu)
{
	return (cpu->rflags & (RFLAGS_TF | RFLAGS_RF)) || cpu->dbg.exec_bps || cpu->dbg.held;
}

/* MOV to or from a debug register (0F 21 / 0F 23). */
void debug_mov_dr(struct soft_cpu *cpu, const struct insn *in);
/* DR0-DR3, DR7 or CR4.DE changed (also after a state load): re-arm. */
void debug_update(struct soft_cpu *cpu);

/* Before an instruction on the debug path: the instruction breakpoints (a #DB
 * fault, unless RF is set), then RF is cleared. Raises. */
void debug_before_insn(struct soft_cpu *cpu);
/* After an instruction completed on the debug path (tf_before: RFLAGS.TF when it
 * began) or after one that hit a data or I/O breakpoint on the fast path: the #DB
 * trap, or holding it through the MOV SS shadow. */
void debug_after_insn(struct soft_cpu *cpu, const struct insn *in, bool tf_before);

#endif
