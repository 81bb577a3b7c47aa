/* The frame of a software engine's run(): what happens before the guest runs and
 * after a handler unwound out of it, the same for every engine. An engine's run()
 * is:
 *
 *	softcpu_run_begin(cpu, exit);
 *	why = setjmp(cpu->unwind);
 *	switch (softcpu_after_unwind(cpu, why, exit)) {
 *	case SOFTCPU_RETURN_RESUME: remember the instruction that was running, so
 *		that the next run() runs it again first; return
 *	case SOFTCPU_RETURN: return
 *	case SOFTCPU_RUN: run guest code until cpu->exit_ready, then return cpu->exit
 *	}
 *
 * and when why is UNWIND_EXCEPTION it forgets any instruction it meant to resume
 * *before* calling softcpu_after_unwind: if the exception's delivery exits, the
 * call says SOFTCPU_RETURN, and a stale resume point would run the faulting
 * instruction again. */
#ifndef RV_SOFTCPU_RUN_H
#define RV_SOFTCPU_RUN_H

#include "engine/softcpu/cpu.h"

enum softcpu_next {
	SOFTCPU_RUN,	       /* run guest code */
	SOFTCPU_RETURN,	       /* return *exit */
	SOFTCPU_RETURN_RESUME, /* return *exit; the running instruction runs again first next time */
};

/* Before the guest runs: the VMM's answer to the last exit goes into the replay log. */
void softcpu_run_begin(struct soft_cpu *cpu, const struct vm_exit *exit);

/* After setjmp(cpu->unwind) returned why (0 on the way in): takes an exit a
 * handler or a delivery left with, delivers an exception a handler raised, or
 * finishes a delivery an exit interrupted. Fills *exit when it says return. */
enum softcpu_next softcpu_after_unwind(struct soft_cpu *cpu, int why, struct vm_exit *exit);

#endif
