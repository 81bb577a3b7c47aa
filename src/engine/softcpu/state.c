#include "engine/softcpu/state.h"

#include <string.h>

#include "engine/softcpu/debug.h"
#include "engine/softcpu/flags.h"
#include "engine/softcpu/kvmclock.h"
#include "engine/softcpu/mem.h"
#include "engine/softcpu/replay.h"
#include "vm/memory.h"
#include "x86/pvclock.h"

static uint64_t max_gpa(const struct guest_memory *mem)
{
	const struct mem_region *last = &mem->region[mem->nregions - 1];

	return last->gpa + last->size;
}

int softcpu_init(struct soft_cpu *cpu, struct guest_memory *mem, const struct cpu_model *model, int index,
		 const struct softcpu_hooks *hooks)
{
	cpu->mem = mem;
	cpu->model = model;
	cpu->index = index;
	cpu->hooks = hooks;
	cpu->pending_irq = -1;
	/* The TSC reads 0 at reset (SDM Vol. 3, table 10-1), and kvmclock starts at 0. */
	cpu->clock_base_ns = soft_clock_ns();
	cpu->tsc_offset = -cpu->clock_base_ns;
	if (code_pages_init(&cpu->code, max_gpa(mem)))
		return -1;
	debug_update(cpu); /* DR6 and DR7 as after RESET */
	tlb_flush(cpu, false);
	return 0;
}

void softcpu_fini(struct soft_cpu *cpu)
{
	code_pages_fini(&cpu->code);
}

void softcpu_get_state(struct soft_cpu *cpu, struct vcpu_state *s)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->gpr, cpu->gpr, sizeof(s->gpr));
	s->rip = cpu->rip;
	s->rflags = flags_get(cpu);
	memcpy(s->seg, cpu->seg, sizeof(s->seg));
	s->ldtr = cpu->ldtr;
	s->tr = cpu->tr;
	s->gdtr = cpu->gdtr;
	s->idtr = cpu->idtr;
	s->cr0 = cpu->cr0;
	s->cr2 = cpu->cr2;
	s->cr3 = cpu->cr3;
	s->cr4 = cpu->cr4;
	s->cr8 = cpu->cr8;
	s->efer = cpu->efer;
	s->apic_base = cpu->apic_base;
	memcpy(s->dr, cpu->dr, sizeof(s->dr));
	s->msr = cpu->msr;
	s->msr.tsc = cpu_read_tsc(cpu);
	s->msr.kvm_system_time = cpu->kvm_system_time;
	s->msr.kvm_wall_clock = cpu->kvm_wall_clock;
	s->fpu = cpu->fpu;
	s->xcr0 = cpu->xcr0;
	s->interrupt_shadow = cpu->interrupt_shadow;
	s->nmi_masked = cpu->nmi_masked;
	s->nmi_pending = cpu->nmi_pending;
	if (cpu->dbg.held)
		s->pending_debug = cpu->dbg.held_hits | (cpu->dbg.held_step ? (uint32_t)DR6_BS : 0);
	s->halted = cpu->halted;
	/* An interrupt injected but not yet taken belongs to the state. */
	if (cpu->pending_irq >= 0)
		s->pending = (struct x86_event){ EVENT_EXTINT, (uint8_t)cpu->pending_irq, false, 0 };
	/* So is a delivery an exit interrupted: RIP is still where it came from. */
	if (cpu->event_in_flight)
		s->pending = cpu->delivering;
}

void softcpu_set_state(struct soft_cpu *cpu, const struct vcpu_state *s)
{
	memcpy(cpu->gpr, s->gpr, sizeof(cpu->gpr));
	cpu->rip = s->rip;
	cpu->rflags = s->rflags | RFLAGS_FIXED;
	cpu->lf.op = LF_NONE;
	memcpy(cpu->seg, s->seg, sizeof(cpu->seg));
	cpu->ldtr = s->ldtr;
	cpu->tr = s->tr;
	cpu->gdtr = s->gdtr;
	cpu->idtr = s->idtr;
	cpu->cr0 = s->cr0;
	cpu->cr2 = s->cr2;
	cpu->cr3 = s->cr3;
	cpu->cr4 = s->cr4;
	cpu->cr8 = s->cr8;
	cpu->efer = s->efer;
	cpu->apic_base = s->apic_base;
	memcpy(cpu->dr, s->dr, sizeof(cpu->dr));
	memset(&cpu->dbg, 0, sizeof(cpu->dbg));
	cpu->msr = s->msr;
	cpu_write_tsc(cpu, s->msr.tsc);
	cpu->kvm_wall_clock = s->msr.kvm_wall_clock;
	kvmclock_msr_write(cpu, MSR_KVM_SYSTEM_TIME_NEW, s->msr.kvm_system_time);
	cpu->fpu = s->fpu;
	cpu->xcr0 = s->xcr0;
	cpu->interrupt_shadow = s->interrupt_shadow;
	cpu->nmi_masked = s->nmi_masked;
	cpu->nmi_pending = s->nmi_pending;
	cpu->dbg.held_hits = (uint8_t)(s->pending_debug & 0xf);
	cpu->dbg.held_step = (s->pending_debug & DR6_BS) != 0;
	cpu->dbg.held = cpu->dbg.held_hits || cpu->dbg.held_step;
	cpu->halted = s->halted;
	cpu->pending_irq = -1;
	cpu->fault_depth = 0;
	cpu->event_in_flight = false;
	if (s->pending.type == EVENT_EXTINT) {
		cpu->pending_irq = s->pending.vector;
	} else if (s->pending.type == EVENT_EXCEPTION || s->pending.type == EVENT_NMI) {
		/* Being delivered: the next run() delivers it from its start. */
		cpu->delivering = s->pending;
		cpu->event_in_flight = true;
	}
	/* A new state replaces any instruction waiting for its exit to complete. */
	replay_commit(cpu);
	cpu->hypercall_pending = false;
	cpu_update_mode(cpu);
	debug_update(cpu);
	tlb_flush(cpu, false);
	cpu->leave_block = true;
	/* PAE paging needs its PDPTE registers; a state load does not check them. */
	for (unsigned i = 0; i < 4; i++) {
		const uint64_t *p = guest_memory_ptr(cpu->mem, (cpu->cr3 & 0xffffffe0ull) + i * 8, 8);

		cpu->pdpte[i] = p ? *p : 0;
	}
}

void softcpu_stats(const struct soft_cpu *cpu, struct engine_stats *st)
{
	st->instructions += cpu->icount;
	engine_stats_add_ratio(st, "TLB hit", "accesses", cpu->tlb.hits, cpu->tlb.hits + cpu->tlb.misses);
}
