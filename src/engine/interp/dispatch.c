#include "engine/interp/dispatch.h"

#include <pthread.h>

static const struct dispatch_entry *const tables[] = {
	exec_int_table, exec_muldiv_table, exec_flow_table, exec_string_table, exec_sys_table,
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

void h_ud(struct interp_cpu *cpu, const struct insn *in)
{
	(void)in;
	cpu_raise(cpu, EXC_UD, false, 0);
}
