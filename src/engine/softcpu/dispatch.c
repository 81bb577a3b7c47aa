#include "engine/softcpu/dispatch.h"

#include <pthread.h>

static const struct dispatch_entry *const tables[] = {
	exec_int_table, exec_muldiv_table, exec_flow_table, exec_string_table,
	exec_sys_table, exec_int2_table,   exec_sse_table,  exec_x87_table,
};

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

/* Zydis names the string instructions MOVSD and CMPSD like the SSE2 scalar-double
 * ones; the SSE2 forms are looked up in their own table. */
const struct dispatch_entry *dispatch_find_decoded(const ZydisDecodedInstruction *zi)
{
	if (zi->meta.isa_ext == ZYDIS_ISA_EXT_SSE2)
		for (const struct dispatch_entry *e = exec_sse_string_alias_table; e->fn; e++)
			if (e->mnemonic == zi->mnemonic)
				return e;
	return dispatch_find(zi->mnemonic);
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
