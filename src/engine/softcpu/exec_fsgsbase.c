/* FSGSBASE (Intel SDM Vol. 2, RDFSBASE/RDGSBASE and WRFSBASE/WRGSBASE): the
 * FS and GS base addresses read and written at any privilege level, in
 * 64-bit mode only (Zydis decodes them nowhere else), with CR4.FSGSBASE set
 * (#UD otherwise; MOV CR4 sets it only where the model advertises FSGSBASE).
 * A 32-bit operand reads the base's low half zero-extended, and writes the
 * base zero-extended; a non-canonical base is #GP(0). */
#include "engine/softcpu/handlers.h"
#include "x86/arch.h"

static unsigned sreg_of(const struct insn *in)
{
	return in->mnemonic == ZYDIS_MNEMONIC_RDFSBASE || in->mnemonic == ZYDIS_MNEMONIC_WRFSBASE ? SREG_FS : SREG_GS;
}

static void check(struct soft_cpu *cpu)
{
	if (!(cpu->cr4 & CR4_FSGSBASE))
		cpu_raise_ud(cpu);
}

static void h_rdbase(struct soft_cpu *cpu, const struct insn *in)
{
	check(cpu);
	reg_write(cpu, in->op[0].reg, in->op[0].size, cpu->seg[sreg_of(in)].base & size_mask(in->op[0].size));
}

static void h_wrbase(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t base;

	check(cpu);
	base = reg_read(cpu, in->op[0].reg, in->op[0].size);
	if (!is_canonical(base))
		cpu_raise_gp0(cpu);
	cpu->seg[sreg_of(in)].base = base;
}

/* The writes end the block: translated code may have used the old base. */
const struct dispatch_entry exec_fsgsbase_table[] = {
	{ ZYDIS_MNEMONIC_RDFSBASE, h_rdbase, 0 },
	{ ZYDIS_MNEMONIC_RDGSBASE, h_rdbase, 0 },
	{ ZYDIS_MNEMONIC_WRFSBASE, h_wrbase, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_WRGSBASE, h_wrbase, INSN_END_BLOCK },
	{ 0, NULL, 0 },
};
