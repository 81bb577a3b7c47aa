/* Data and I/O breakpoints: which accesses hit what DR0-DR3 watch (debug.h has
 * the architecture's rules). */
#include "engine/softcpu/watchpoints.h"

/* Bytes of breakpoint n: DR7's LEN field. */
static uint64_t bp_len(const struct soft_cpu *cpu, unsigned n)
{
	static const uint8_t bytes[4] = { 1, 2, 8, 4 };

	return bytes[(cpu->dr[7] >> (18 + 4 * n)) & 3];
}

/* Whether [addr, addr + size) overlaps the range breakpoint n watches (compared by
 * last bytes, so that ranges ending at 2^64 do not wrap). */
static bool bp_overlaps(const struct soft_cpu *cpu, unsigned n, uint64_t addr, uint64_t size)
{
	uint64_t len = bp_len(cpu, n), start = cpu->dr[n] & ~(len - 1);

	return addr <= start + (len - 1) && start <= addr + (size - 1);
}

uint8_t debug_match(const struct soft_cpu *cpu, uint8_t armed, uint64_t addr, uint64_t size)
{
	uint8_t hits = 0;

	for (unsigned n = 0; n < 4; n++)
		if ((armed >> n) & 1 && bp_overlaps(cpu, n, addr, size))
			hits |= (uint8_t)(1u << n);
	return hits;
}

void debug_data_access(struct soft_cpu *cpu, uint64_t lin, unsigned size, unsigned kind)
{
	uint8_t hits = debug_match(cpu,
				   kind == ACC_WRITE  ? cpu->dbg.write_bps
				   : kind == ACC_READ ? cpu->dbg.read_bps
						      : 0,
				   lin, size);

	if (hits) {
		cpu->dbg.hits |= hits;
		cpu->leave_block = true; /* the trap comes after this instruction */
	}
}

void debug_io_access(struct soft_cpu *cpu, uint16_t port, unsigned size)
{
	uint8_t hits = debug_match(cpu, cpu->dbg.io_bps, port, size);

	if (hits) {
		cpu->dbg.hits |= hits;
		cpu->leave_block = true;
	}
}

bool debug_page_watched(const struct soft_cpu *cpu, uint64_t lin, unsigned kind)
{
	uint8_t armed = kind == ACC_WRITE ? cpu->dbg.write_bps : kind == ACC_READ ? cpu->dbg.read_bps : 0;

	return debug_match(cpu, armed, lin & ~0xfffull, 4096) != 0;
}
