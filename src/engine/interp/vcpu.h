/* The interp engine's vCPU: the soft CPU (engine/softcpu/cpu.h) and what only
 * the interpreter adds to it — its decode cache and the block it is running. */
#ifndef RV_INTERP_VCPU_H
#define RV_INTERP_VCPU_H

#include <stddef.h>

#include "engine/softcpu/cpu.h"

struct block;
struct block_cache;
struct insn;

struct engine_vcpu {
	struct soft_cpu cpu; /* first: the core's hooks get &cpu and find the vCPU */
	struct block_cache *cache;
	struct block *decode_scratch;  /* block.c decodes here, then copies out */
	const struct block *cur_block; /* executing now */
	const struct insn *cur_insn;
	const struct block *resume_block; /* re-run resume_insn after an exit */
	const struct insn *resume_insn;
};

_Static_assert(offsetof(struct engine_vcpu, cpu) == 0, "the hooks find the vCPU from its soft CPU");

static inline struct engine_vcpu *interp_vcpu_of(struct soft_cpu *cpu)
{
	return (struct engine_vcpu *)cpu;
}

#endif
