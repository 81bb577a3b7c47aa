/* ADX (Intel SDM Vol. 2, ADCX and ADOX): an unsigned add with carry that
 * reads and writes one flag, CF for ADCX and OF for ADOX, and leaves every
 * other flag alone, so that two carry chains can interleave. 32 or 64 bits
 * (REX.W); a 32-bit destination is zero-extended. */
#include "engine/softcpu/flags.h"
#include "engine/softcpu/handlers.h"

static void do_add_carry(struct soft_cpu *cpu, const struct insn *in, uint64_t carry_flag)
{
	unsigned size = in->op[0].size;
	uint64_t a = reg_read(cpu, in->op[0].reg, size);
	uint64_t b = op_read(cpu, in, &in->op[1]) & size_mask(size);
	uint64_t fl = flags_arith(cpu);
	uint64_t c = (fl & carry_flag) ? 1 : 0;
	uint64_t sum = (a + b + c) & size_mask(size);
	bool out = size == 8 ? (sum < a || (c && sum == a)) : ((a + b + c) >> 32) != 0;

	reg_write(cpu, in->op[0].reg, size, sum);
	flags_set_arith(cpu, (fl & ~carry_flag) | (out ? carry_flag : 0));
}

static void h_adcx(struct soft_cpu *cpu, const struct insn *in)
{
	do_add_carry(cpu, in, RFLAGS_CF);
}

static void h_adox(struct soft_cpu *cpu, const struct insn *in)
{
	do_add_carry(cpu, in, RFLAGS_OF);
}

const struct dispatch_entry exec_adx_table[] = {
	{ ZYDIS_MNEMONIC_ADCX, h_adcx, 0 },
	{ ZYDIS_MNEMONIC_ADOX, h_adox, 0 },
	{ 0, NULL, 0 },
};
