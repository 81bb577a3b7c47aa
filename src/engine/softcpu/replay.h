/* Exits and their replay: how an instruction performs an access only the VMM can
 * answer (port I/O, MMIO, a hypercall).
 *
 * The access is appended to cpu->replay and the instruction is abandoned with the
 * exit in cpu->exit (cpu_exit_and_replay). After the VMM has answered, the engine
 * calls replay_complete with the answer and runs the same instruction again from
 * its start; its accesses are matched in order against the log, answered from it,
 * and only a new access exits again. Instructions commit registers after their
 * accesses, so running one again from the start is harmless. This is how KVM's
 * instruction emulator re-executes after an exit to user space. An event delivery
 * (events.h) that exits is completed the same way. */
#ifndef RV_SOFTCPU_REPLAY_H
#define RV_SOFTCPU_REPLAY_H

#include "engine/softcpu/cpu.h"

/* One access of kind REPLAY_* : its answer from the log, or an exit (never returns). */
uint64_t replay_access(struct soft_cpu *cpu, uint8_t kind, uint64_t addr, unsigned size, uint64_t data);

/* The instruction's accesses so far are complete (an instruction or a string
 * iteration retired, an event delivered): the log starts anew. */
static inline void replay_commit(struct soft_cpu *cpu)
{
	cpu->replay_count = cpu->replay_pos = 0;
}

/* Before the instruction that exited runs again: the VMM's answer to the exit. */
void replay_complete(struct soft_cpu *cpu, const struct vm_exit *exit);

/* Fill cpu->exit with an exit of this reason at the current RIP, not tied to an
 * access (HLT, interrupt window, a kick), and mark it ready. */
void replay_take_exit(struct soft_cpu *cpu, enum vm_exit_reason reason);

#endif
