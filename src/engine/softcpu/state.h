/* The soft CPU's life: creation, the conversion to and from struct vcpu_state
 * (the form every engine shares), and its counters. */
#ifndef RV_SOFTCPU_STATE_H
#define RV_SOFTCPU_STATE_H

#include "engine/engine.h"
#include "engine/softcpu/cpu.h"

/* A vCPU at RESET over guest memory mem, reporting to hooks (which may be NULL).
 * 0, or -1 when out of memory. */
int softcpu_init(struct soft_cpu *cpu, struct guest_memory *mem, const struct cpu_model *model, int index,
		 const struct softcpu_hooks *hooks);
void softcpu_fini(struct soft_cpu *cpu);

void softcpu_get_state(struct soft_cpu *cpu, struct vcpu_state *s);
/* Loads s. The engine must then drop everything it translated (the TLB is
 * flushed here, the hooks are told). */
void softcpu_set_state(struct soft_cpu *cpu, const struct vcpu_state *s);

/* Adds the core's counters (instructions, the soft TLB) to st. */
void softcpu_stats(const struct soft_cpu *cpu, struct engine_stats *st);

#endif
