/* Register access with x86's width rules. Register numbers: 0-15 are the GPRs in
 * encoding order; for 8-bit accesses 16-19 are AH, CH, DH, BH. */
#ifndef RV_SOFTCPU_REGS_H
#define RV_SOFTCPU_REGS_H

#include "engine/softcpu/cpu.h"

#define REG_AH 16

static inline uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static inline uint64_t sign_extend(uint64_t v, unsigned size)
{
	unsigned shift = 64 - size * 8;

	return (uint64_t)((int64_t)(v << shift) >> shift);
}

/* A 48-bit linear address in canonical form: bits 63:47 all equal. */
static inline bool is_canonical(uint64_t lin)
{
	return (uint64_t)((int64_t)(lin << 16) >> 16) == lin;
}

static inline uint64_t reg_read(const struct soft_cpu *cpu, unsigned reg, unsigned size)
{
	if (size == 1 && reg >= REG_AH)
		return (cpu->gpr[reg - REG_AH] >> 8) & 0xff;
	return cpu->gpr[reg] & size_mask(size);
}

static inline void reg_write(struct soft_cpu *cpu, unsigned reg, unsigned size, uint64_t v)
{
	switch (size) {
	case 1:
		if (reg >= REG_AH)
			cpu->gpr[reg - REG_AH] = (cpu->gpr[reg - REG_AH] & ~0xff00ull) | ((v & 0xff) << 8);
		else
			cpu->gpr[reg] = (cpu->gpr[reg] & ~0xffull) | (v & 0xff);
		break;
	case 2:
		cpu->gpr[reg] = (cpu->gpr[reg] & ~0xffffull) | (v & 0xffff);
		break;
	case 4:
		/* A 32-bit write zero-extends into the whole register. */
		cpu->gpr[reg] = v & 0xffffffffull;
		break;
	default:
		cpu->gpr[reg] = v;
		break;
	}
}

#endif
