#include "engine/softcpu/insn.h"

uint64_t op_read_mem(struct soft_cpu *cpu, const struct insn *in, const struct operand *o)
{
	/* The read half of a read-modify-write is checked as a write, as the processor
	 * does: a fault there reports W in the #PF error code. */
	unsigned acc = (in->flags & INSN_RMW) && o == &in->op[0] ? ACC_WRITE : ACC_READ;
	uint64_t off = insn_ea(cpu, in, o);

	return mem_read_lin(cpu, seg_lin(cpu, o->seg, off, o->size, acc), o->size, acc);
}

void op_write_mem(struct soft_cpu *cpu, const struct insn *in, const struct operand *o, uint64_t v)
{
	mem_write(cpu, o->seg, insn_ea(cpu, in, o), o->size, v);
}
