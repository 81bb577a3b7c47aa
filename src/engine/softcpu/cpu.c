/* Leaving an instruction (exceptions, exits), the mode the CPU is in, and code
 * writes reported to the engine: the few things every other part of the core
 * calls. */
#include "engine/softcpu/cpu.h"

#include "x86/arch.h"

void cpu_raise(struct soft_cpu *cpu, uint8_t vector, bool has_error, uint32_t error)
{
	cpu->exc_vector = vector;
	cpu->exc_has_error = has_error;
	cpu->exc_error = error;
	longjmp(cpu->unwind, UNWIND_EXCEPTION);
}

void cpu_exit_and_replay(struct soft_cpu *cpu)
{
	longjmp(cpu->unwind, UNWIND_EXIT);
}

void cpu_update_mode(struct soft_cpu *cpu)
{
	const struct x86_segment *cs = &cpu->seg[SREG_CS];
	uint8_t old = cpu->mode, old_cpl = cpu->cpl, old_set = cpu->user_data_set;

	if (!(cpu->cr0 & CR0_PE))
		cpu->mode = MODE_REAL;
	else if ((cpu->efer & EFER_LMA) && cs->l)
		cpu->mode = MODE_LONG64;
	else if (cpu->efer & EFER_LMA)
		cpu->mode = cs->db ? MODE_LONG_COMPAT32 : MODE_LONG_COMPAT16;
	else
		cpu->mode = cs->db ? MODE_PROT32 : MODE_PROT16;
	cpu->cpl = cpu->mode == MODE_REAL ? 0 : (cpu->rflags & RFLAGS_VM) ? 3 : cs->dpl;
	cpu->user_data_set = (cpu->cr0 & CR0_AM) && (cpu->rflags & RFLAGS_AC) ? TLB_SET_ALIGN_CHECK : 1;
	if (cpu->mode == MODE_REAL || cpu->mode == MODE_PROT16 || cpu->mode == MODE_LONG_COMPAT16)
		cpu->ip_mask = 0xffff;
	else if (cpu->mode == MODE_LONG64)
		cpu->ip_mask = ~0ull;
	else
		cpu->ip_mask = 0xffffffff;
	/* A translating engine's code holds for one mode and one soft-TLB set
	 * (the CPL's, and #AC checks at CPL 3): it must not run on after them. */
	if (old != cpu->mode || old_cpl != cpu->cpl || old_set != cpu->user_data_set)
		cpu->leave_block = true;
}

void cpu_code_written(struct soft_cpu *cpu, uint64_t gpa, unsigned size)
{
	uint64_t hit;
	struct code_page *p = code_pages_hit(&cpu->code, gpa, size, &hit);

	if (!p)
		return;
	cpu->leave_block = true;
	cpu->code_hits++;
	if (cpu->hooks && cpu->hooks->code_written)
		cpu->hooks->code_written(cpu, p, hit);
}
