/* Condition flags, computed lazily from the last flag-setting operation. The bits
 * are named RFLAGS_* (x86/arch.h). */
#ifndef RV_SOFTCPU_FLAGS_H
#define RV_SOFTCPU_FLAGS_H

#include "engine/softcpu/cpu.h"
#include "x86/arch.h"

/* Record a flag-setting result; the flags are worked out only when read. */
static inline void flags_lazy(struct soft_cpu *cpu, enum lazy_op op, unsigned size, uint64_t res, uint64_t src1,
			      uint64_t src2)
{
	cpu->lf.op = (uint8_t)op;
	cpu->lf.size = (uint8_t)size;
	cpu->lf.res = res;
	cpu->lf.src1 = src1;
	cpu->lf.src2 = src2;
}

/* Arithmetic flags in the form LAHF and SETO AL leave them in AX (LF_HOST):
 * SF ZF AF PF CF at bits 15, 14, 12, 10 and 8 (RFLAGS' bits 7..0 moved up a
 * byte), OF at bit 0. The mask selects the image's bits of the given flags. */
static inline uint16_t flags_host_image_mask(uint64_t arith)
{
	return (uint16_t)(((arith & 0xd5) << 8) | ((arith >> 11) & 1));
}

static inline uint64_t flags_from_host_image(uint64_t image)
{
	return ((image >> 8) & 0xd5) | ((image & 1) << 11);
}

/* The arithmetic flags (CF PF AF ZF SF OF) of the last operation. */
uint64_t flags_arith(const struct soft_cpu *cpu);
/* The whole RFLAGS, materialized. */
uint64_t flags_get(struct soft_cpu *cpu);
/* Replace the arithmetic flags (and nothing else). */
void flags_set_arith(struct soft_cpu *cpu, uint64_t arith);
/* Condition code cc (the low nibble of Jcc/SETcc/CMOVcc) holds? */
bool flags_cond(const struct soft_cpu *cpu, unsigned cc);
/* Materialize into cpu->rflags and switch to LF_NONE. */
void flags_materialize(struct soft_cpu *cpu);

/* CF alone, without building the other flags (INC/DEC keep it, ADC/SBB read it). */
bool flags_cf(const struct soft_cpu *cpu);

#endif
