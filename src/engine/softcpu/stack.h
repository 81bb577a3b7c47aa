/* The guest stack: SS:RSP with the stack-address size of the mode (64-bit in long
 * mode, else SS.B selects ESP or SP). Writes happen before RSP changes, so a
 * faulting push leaves RSP as it was. */
#ifndef RV_SOFTCPU_STACK_H
#define RV_SOFTCPU_STACK_H

#include "engine/softcpu/mem.h"
#include "engine/softcpu/regs.h"

static inline uint64_t stack_mask(const struct soft_cpu *cpu)
{
	if (cpu->mode == MODE_LONG64)
		return ~0ull;
	return cpu->seg[SREG_SS].db ? 0xffffffffull : 0xffffull;
}

static inline void stack_set_sp(struct soft_cpu *cpu, uint64_t sp)
{
	uint64_t m = stack_mask(cpu);

	cpu->gpr[GPR_RSP] = (cpu->gpr[GPR_RSP] & ~m) | (sp & m);
}

static inline void stack_push(struct soft_cpu *cpu, unsigned size, uint64_t v)
{
	uint64_t sp = (cpu->gpr[GPR_RSP] - size) & stack_mask(cpu);

	mem_write(cpu, SREG_SS, sp, size, v);
	stack_set_sp(cpu, sp);
}

/* Reads the value `depth` bytes above the top of the stack without popping it. */
static inline uint64_t stack_peek(struct soft_cpu *cpu, unsigned size, unsigned depth)
{
	return mem_read(cpu, SREG_SS, (cpu->gpr[GPR_RSP] + depth) & stack_mask(cpu), size);
}

static inline uint64_t stack_pop(struct soft_cpu *cpu, unsigned size)
{
	uint64_t v = stack_peek(cpu, size, 0);

	stack_set_sp(cpu, cpu->gpr[GPR_RSP] + size);
	return v;
}

#endif
