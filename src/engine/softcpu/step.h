/* Running decoded instructions one at a time, the same for every software
 * engine: the plain step, the debug path around it (instruction breakpoints and
 * RF before, #DB traps after), what follows leaving a run of instructions early,
 * and the CS-limit check of a run (step.c). An engine records which instruction
 * it is running (to resume it after an exit) before calling these. */
#ifndef RV_SOFTCPU_STEP_H
#define RV_SOFTCPU_STEP_H

#include "engine/softcpu/debug.h"
#include "engine/softcpu/insn.h"

/* Runs one instruction at cpu->rip; returns false when the engine must stop its
 * straight-line run (cpu->leave_block: control or mode changed, code was written,
 * an event needs looking at). */
static inline __attribute__((always_inline)) bool softcpu_step(struct soft_cpu *cpu, const struct insn *in)
{
	cpu->rip_next = cpu->rip + in->len;
	in->fn(cpu, in);
	cpu->rip = cpu->rip_next & cpu->ip_mask;
	cpu->icount++;
	return !__builtin_expect(cpu->leave_block, 0);
}

/* One instruction on the debug path (debug_slow_path() is true); resumed: it runs
 * again after an exit and passed its breakpoint check the first time. Returns
 * false when the run must stop; leave_block is cleared. */
bool softcpu_debug_step(struct soft_cpu *cpu, const struct insn *in, bool resumed);

/* The fast path stopped early after `in`: a data or I/O breakpoint hit, or a
 * SYSRET that set TF, traps now. */
static inline void softcpu_after_early_stop(struct soft_cpu *cpu, const struct insn *in)
{
	if (__builtin_expect(cpu->dbg.hits || (cpu->rflags & RFLAGS_TF), 0))
		debug_after_insn(cpu, in, false);
}

/* Outside 64-bit mode every byte of an instruction must lie within CS (SDM Vol. 3,
 * 5.3; in real mode too, where IP does not wrap but faults): the first
 * instruction of the run [in, end), starting at RIP, that is not wholly within
 * the limit (end if all are). */
const struct insn *softcpu_cs_limit_end(const struct soft_cpu *cpu, const struct insn *in, const struct insn *end);

#endif
