/* Parts of the interp engine shared between its files. */
#ifndef RV_INTERP_H
#define RV_INTERP_H

#include "engine/interp/cpu.h"

/* Deliver an exception or interrupt through the IDT/IVT of the current mode
 * (fault.c). Double and triple faults are handled inside; a triple fault leaves
 * EXIT_SHUTDOWN in cpu->exit with exit_ready set. */
void fault_deliver(struct interp_cpu *cpu, uint8_t vector, enum x86_event_type type, bool has_error, uint32_t error);
/* Delivers cpu->delivering again from its start: a delivery abandoned for an exit
 * (the IDT, GDT, TSS or stack in MMIO) once the VMM has answered. */
void fault_deliver_again(struct interp_cpu *cpu);
/* Delivers an event outside any instruction (an exception an instruction raised,
 * an external interrupt, a #DB trap after an instruction). If the delivery
 * exits, the next run() completes this delivery, not an instruction. */
void cpu_deliver_event(struct interp_cpu *cpu, uint8_t vector, enum x86_event_type type, bool has_error,
		       uint32_t error);

/* Load a segment register as MOV/POP/far transfers do, with the protected-mode
 * checks (segment.c). Raises #GP/#SS/#NP/#TS as the architecture says. */
void segment_load(struct interp_cpu *cpu, unsigned sreg, uint16_t selector);
/* Read the 8-byte descriptor of a selector from the GDT/LDT; raises #GP(selector)
 * if outside the table's limit. */
uint64_t segment_descriptor(struct interp_cpu *cpu, uint16_t selector, uint8_t vector);

/* After a write to CR0/CR3/CR4/EFER: flush what the architecture says. */
void cpu_paging_changed(struct interp_cpu *cpu, bool keep_global);

#endif
