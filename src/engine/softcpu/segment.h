/* Segment register loads with the protected-mode checks (segment.c). */
#ifndef RV_SOFTCPU_SEGMENT_H
#define RV_SOFTCPU_SEGMENT_H

#include "engine/softcpu/cpu.h"

/* Load a segment register as MOV/POP/far transfers do. Raises #GP/#SS/#NP/#TS as
 * the architecture says. */
void segment_load(struct soft_cpu *cpu, unsigned sreg, uint16_t selector);
/* Read the 8-byte descriptor of a selector from the GDT/LDT; raises
 * vector(selector) if outside the table's limit. */
uint64_t segment_descriptor(struct soft_cpu *cpu, uint16_t selector, uint8_t vector);

#endif
