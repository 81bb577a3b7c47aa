#include "engine/softcpu/run.h"

#include "engine/softcpu/events.h"
#include "engine/softcpu/replay.h"

void softcpu_run_begin(struct soft_cpu *cpu, const struct vm_exit *exit)
{
	replay_complete(cpu, exit);
	cpu->exit_ready = false;
}

enum softcpu_next softcpu_after_unwind(struct soft_cpu *cpu, int why, struct vm_exit *exit)
{
	/* Breakpoint hits of an instruction that did not complete are forgotten; it
	 * meets them again when it runs again. */
	cpu->dbg.hits = 0;
	if (why == UNWIND_EXIT) {
		cpu->replay_pos = 0;
		*exit = cpu->exit;
		if (cpu->event_in_flight)
			return SOFTCPU_RETURN; /* the delivery runs again on the next run() */
		/* Leave with the instruction unfinished; it runs again on the next run().
		 * An event it was delivering (INT n) is delivered again with it. */
		cpu->fault_depth = 0;
		return SOFTCPU_RETURN_RESUME;
	}
	if (why == UNWIND_EXCEPTION) {
		replay_commit(cpu);
		cpu->dbg.held = false; /* a #DB held by MOV SS goes with the faulting instruction */
		cpu_deliver_event(cpu, cpu->exc_vector, EVENT_EXCEPTION, cpu->exc_has_error, cpu->exc_error);
	} else if (cpu->event_in_flight) {
		/* Finish the delivery an exit interrupted, with the VMM's answer. */
		fault_deliver_again(cpu);
		cpu->event_in_flight = false;
		replay_commit(cpu);
	} else {
		return SOFTCPU_RUN;
	}
	if (cpu->exit_ready) {
		*exit = cpu->exit;
		return SOFTCPU_RETURN;
	}
	return SOFTCPU_RUN;
}
