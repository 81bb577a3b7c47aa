#include "engine/softcpu/step.h"

bool softcpu_debug_step(struct soft_cpu *cpu, const struct insn *in, bool resumed)
{
	bool tf_before = cpu->rflags & RFLAGS_TF;

	if (!resumed)
		debug_before_insn(cpu);
	cpu->interrupt_shadow = false;
	cpu->dbg.delivered = false;
	softcpu_step(cpu, in);
	if (cpu->exit_ready) {
		cpu->leave_block = false;
		return false;
	}
	debug_after_insn(cpu, in, tf_before);
	if (cpu->leave_block) {
		cpu->leave_block = false;
		return false;
	}
	return true;
}

/* A run is at most a page plus one instruction long, so flat segments skip the
 * walk. */
const struct insn *softcpu_cs_limit_end(const struct soft_cpu *cpu, const struct insn *in, const struct insn *end)
{
	uint64_t limit = cpu->seg[SREG_CS].limit, off = cpu->rip;

	if (off + 4096 + 16 <= limit)
		return end;
	for (; in < end; in++) {
		if (off + in->len - 1 > limit)
			return in;
		off += in->len;
	}
	return end;
}
