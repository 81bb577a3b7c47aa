#include "engine/softcpu/io.h"

#include "engine/softcpu/mem.h"
#include "engine/softcpu/regs.h"
#include "engine/softcpu/replay.h"
#include "engine/softcpu/watchpoints.h"
#include "x86/arch.h"

/* Protected mode with CPL > IOPL: every byte of the access must be allowed by the
 * TSS I/O permission bitmap (SDM Vol. 1, 19.5.2). */
void io_check_permission(struct soft_cpu *cpu, uint16_t port, unsigned size)
{
	uint64_t base;
	uint16_t map;

	if (cpu->mode == MODE_REAL || cpu->cpl <= cpu_iopl(cpu))
		return;
	/* Only a 32/64-bit TSS (type 9 or 11) has a bitmap. */
	if (cpu->tr.unusable || (cpu->tr.type & 0x7) != 0x1 || !(cpu->tr.type & 0x8) || cpu->tr.limit < 0x67)
		cpu_raise(cpu, EXC_GP, true, 0);
	map = (uint16_t)mem_read_lin(cpu, cpu->tr.base + 0x66, 2, ACC_READ | ACC_SYSTEM);
	base = (uint64_t)map + port / 8;
	if (base + 1 > cpu->tr.limit)
		cpu_raise(cpu, EXC_GP, true, 0);
	if ((mem_read_lin(cpu, cpu->tr.base + base, 2, ACC_READ | ACC_SYSTEM) >> (port & 7)) & ((1u << size) - 1))
		cpu_raise(cpu, EXC_GP, true, 0);
}

uint64_t io_port_read(struct soft_cpu *cpu, uint16_t port, unsigned size)
{
	if (cpu->dbg.io_bps)
		debug_io_access(cpu, port, size);
	return replay_access(cpu, REPLAY_IN, port, size, 0) & size_mask(size);
}

void io_port_write(struct soft_cpu *cpu, uint16_t port, unsigned size, uint64_t value)
{
	if (cpu->dbg.io_bps)
		debug_io_access(cpu, port, size);
	replay_access(cpu, REPLAY_OUT, port, size, value & size_mask(size));
}
