/* The vCPU of a block-running software engine (interp, dbt): the soft CPU
 * (engine/softcpu/cpu.h), its cache of decoded blocks, the block it is
 * running, and the guest RAM the VMM wrote that it has still to look at
 * (vmm_writes.h). Each engine's struct engine_vcpu starts with one, so the
 * core's hooks (given &cpu) and the shared engine ops (block_ops.h, given the
 * engine's vCPU) find it. */
#ifndef RV_SOFTCPU_BLOCK_VCPU_H
#define RV_SOFTCPU_BLOCK_VCPU_H

#include <stddef.h>

#include "engine/softcpu/cpu.h"
#include "engine/softcpu/vmm_writes.h"
#include "vm/memory.h"

struct block;
struct block_cache;
struct insn;

struct block_vcpu {
	struct soft_cpu cpu; /* first: the core's hooks get &cpu and find the vCPU */
	struct block_cache *cache;
	struct block *decode_scratch; /* block.c decodes here, then copies out */
	/* Which blocks follow branches (decode_limits.follow): none, those
	 * decoded at CPL 3, or all. */
	enum { DECODE_TRACES_NONE, DECODE_TRACES_USER, DECODE_TRACES_ALL } decode_traces;
	const struct block *cur_block; /* executing now */
	const struct insn *cur_insn;
	const struct block *resume_block; /* re-run resume_insn after an exit */
	const struct insn *resume_insn;
	/* A translating engine's own lookups of the block entered at lin (not
	 * at any other address) must forget it: it was dropped. NULL: none. */
	void (*lin_forgotten)(struct block_vcpu *v, uint64_t lin);
	/* A block starting in guest-physical page gpa_page was dropped: what
	 * the engine linked to the page's blocks must be unlinked. NULL: none. */
	void (*page_dropped)(struct block_vcpu *v, uint64_t gpa_page);
	/* The lookups forgot every block (a TLB flush, or every block went):
	 * what the engine linked to blocks on more than one page, which hold
	 * only while their other pages map where they did, must be unlinked.
	 * NULL: none. */
	void (*lookups_forgotten)(struct block_vcpu *v);
	struct vmm_writes vmm_writes;		   /* posted by ram_listener, any thread */
	struct guest_memory_listener ram_listener; /* on cpu.mem while the vCPU exists */
};

_Static_assert(offsetof(struct block_vcpu, cpu) == 0, "the hooks find the vCPU from its soft CPU");

static inline struct block_vcpu *block_vcpu_of(struct soft_cpu *cpu)
{
	return (struct block_vcpu *)cpu;
}

#endif
