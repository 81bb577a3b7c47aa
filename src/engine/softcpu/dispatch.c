#include "engine/softcpu/dispatch.h"

#include <pthread.h>

/* One line each, so that a new file's table is a one-line change. */
/* clang-format off */
static const struct dispatch_entry *const tables[] = {
	exec_int_table,
	exec_muldiv_table,
	exec_flow_table,
	exec_string_table,
	exec_sys_table,
	exec_int2_table,
	exec_sse_table,
	exec_x87_ldst_table,
	exec_x87_arith_table,
	exec_x87_state_table,
	exec_mmx_table,
	exec_sse3_table,
	exec_ssse3_table,
	exec_sse41_table,
	exec_sse42_table,
	exec_xsave_table,
	exec_bmi_table,
	exec_adx_table,
	exec_rand_table,
	exec_fsgsbase_table,
	exec_aes_table,
	exec_clmul_table,
	exec_sha_table,
	exec_avx_fp_table,
	exec_avx_move_table,
	exec_avx_perm_table,
	exec_fma_table,
	exec_f16c_table,
	exec_avx_int_table,
	exec_avx_int_move_table,
	exec_avx2_table,
	exec_gather_table,
	exec_far_table,
};
/* clang-format on */

static const struct dispatch_entry *by_mnemonic[ZYDIS_MNEMONIC_MAX_VALUE + 1];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build(void)
{
	for (unsigned t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct dispatch_entry *e = tables[t]; e->fn; e++)
			by_mnemonic[e->mnemonic] = e;
}

const struct dispatch_entry *dispatch_find(ZydisMnemonic m)
{
	pthread_once(&once, build);
	return (unsigned)m <= ZYDIS_MNEMONIC_MAX_VALUE ? by_mnemonic[m] : NULL;
}

static const struct dispatch_entry *find_in(const struct dispatch_entry *table, ZydisMnemonic m)
{
	for (const struct dispatch_entry *e = table; e->fn; e++)
		if (e->mnemonic == m)
			return e;
	return NULL;
}

static bool has_mmx_register(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *zops)
{
	for (unsigned i = 0; i < zi->operand_count_visible; i++)
		if (zops[i].type == ZYDIS_OPERAND_TYPE_REGISTER && zops[i].reg.value >= ZYDIS_REGISTER_MM0 &&
		    zops[i].reg.value <= ZYDIS_REGISTER_MM7)
			return true;
	return false;
}

/* Zydis names the string instructions MOVSD and CMPSD like the SSE2 scalar-double
 * ones, and the MMX forms of MOVD, MOVQ, PINSRW, PEXTRW and PMOVMSKB like the
 * SSE2 ones: those forms are looked up in their own tables. (The packed integer
 * operations' handlers take either kind of register.) */
const struct dispatch_entry *dispatch_find_decoded(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *zops)
{
	const struct dispatch_entry *e = NULL;

	if (zi->meta.isa_ext == ZYDIS_ISA_EXT_SSE2)
		e = find_in(exec_sse_string_alias_table, zi->mnemonic);
	if (!e && has_mmx_register(zi, zops))
		e = find_in(exec_mmx_form_table, zi->mnemonic);
	return e ? e : dispatch_find(zi->mnemonic);
}

void h_ud(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	cpu_raise(cpu, EXC_UD, false, 0);
}

void h_gp0(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	cpu_raise_gp0(cpu);
}
