/* Exceptions and interrupts, in one place: what happens between instructions
 * (a kick, an NMI, an external interrupt, the interrupt window, HLT) and how an
 * event is delivered through the IVT/IDT of the current mode (events.c).
 *
 * An engine calls events_at_boundary before each block it runs; an exception an
 * instruction raised (UNWIND_EXCEPTION) goes to cpu_deliver_event. A delivery
 * that needs the VMM (the IDT, GDT, TSS or stack in MMIO) exits like an
 * instruction; the engine's next run() calls fault_deliver_again while
 * cpu->event_in_flight is set, after replay_complete. */
#ifndef RV_SOFTCPU_EVENTS_H
#define RV_SOFTCPU_EVENTS_H

#include "engine/softcpu/cpu.h"

/* Deliver an exception or interrupt through the IDT/IVT of the current mode.
 * Double and triple faults are handled inside; a triple fault leaves
 * EXIT_SHUTDOWN in cpu->exit with exit_ready set. Inside an instruction (INT n). */
void fault_deliver(struct soft_cpu *cpu, uint8_t vector, enum x86_event_type type, bool has_error, uint32_t error);
/* Delivers cpu->delivering again from its start: a delivery abandoned for an exit
 * once the VMM has answered. */
void fault_deliver_again(struct soft_cpu *cpu);
/* Delivers an event outside any instruction (an exception an instruction raised,
 * an external interrupt, a #DB trap after an instruction). If the delivery
 * exits, the next run() completes this delivery, not an instruction. */
void cpu_deliver_event(struct soft_cpu *cpu, uint8_t vector, enum x86_event_type type, bool has_error, uint32_t error);

/* events_at_boundary's work once something is pending. */
bool events_at_boundary_slow(struct soft_cpu *cpu);

/* Between blocks: a kick, a pending NMI, an injected interrupt, the interrupt
 * window, HLT. Returns true when the engine must return with cpu->exit. Inline:
 * it runs before every block, and usually nothing is pending. */
static inline bool events_at_boundary(struct soft_cpu *cpu)
{
	if (__builtin_expect(!__atomic_load_n(&cpu->kicked, __ATOMIC_RELAXED) && !cpu->nmi_pending &&
				 cpu->pending_irq < 0 && !cpu->want_irq_window && !cpu->halted,
			     1))
		return false;
	return events_at_boundary_slow(cpu);
}

/* RFLAGS.IF set and no STI / MOV SS shadow. */
static inline bool events_interrupts_open(const struct soft_cpu *cpu)
{
	return (cpu->rflags & RFLAGS_IF) && !cpu->interrupt_shadow;
}

/* The engine ops of the same names (engine.h), for any soft-CPU engine. */
int events_inject_interrupt(struct soft_cpu *cpu, uint8_t vector);
void events_inject_nmi(struct soft_cpu *cpu);
void events_kick(struct soft_cpu *cpu);

#endif
