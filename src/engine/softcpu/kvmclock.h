/* kvmclock on the interpreter: the MSRs of KVM's paravirtual clock
 * (x86/pvclock.h), answered from the software TSC (engine/soft_clock.h). */
#ifndef RV_SOFTCPU_KVMCLOCK_H
#define RV_SOFTCPU_KVMCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/softcpu/cpu.h"

/* Whether index is a kvmclock MSR; if so *v is its value. */
bool kvmclock_msr_read(const struct soft_cpu *cpu, uint32_t index, uint64_t *v);
/* Whether index is a kvmclock MSR; if so the write is done (as KVM does, an address
 * outside guest RAM is kept but nothing is written there). */
bool kvmclock_msr_write(struct soft_cpu *cpu, uint32_t index, uint64_t v);
/* The guest moved its TSC: rewrite the time record so kvmclock does not jump. */
void kvmclock_tsc_changed(struct soft_cpu *cpu);
/* kvmclock's system time now, in ns; and made to read ns now (a restored
 * guest's clock goes on from where it was saved), the record rewritten. */
uint64_t kvmclock_now_ns(const struct soft_cpu *cpu);
void kvmclock_set_now(struct soft_cpu *cpu, uint64_t ns);

#endif
