/* Condition flags, computed lazily from the last flag-setting operation. */
#ifndef RV_INTERP_FLAGS_H
#define RV_INTERP_FLAGS_H

#include "engine/interp/cpu.h"

#define FL_CF 0x001ull
#define FL_PF 0x004ull
#define FL_AF 0x010ull
#define FL_ZF 0x040ull
#define FL_SF 0x080ull
#define FL_TF 0x100ull
#define FL_IF 0x200ull
#define FL_DF 0x400ull
#define FL_OF 0x800ull
#define FL_IOPL 0x3000ull
#define FL_NT 0x4000ull
#define FL_RF 0x10000ull
#define FL_VM 0x20000ull
#define FL_AC 0x40000ull
#define FL_VIF 0x80000ull
#define FL_VIP 0x100000ull
#define FL_ID 0x200000ull

/* Record a flag-setting result; the flags are worked out only when read. */
static inline void flags_lazy(struct interp_cpu *cpu, enum lazy_op op, unsigned size, uint64_t res, uint64_t src1,
			      uint64_t src2)
{
	cpu->lf.op = (uint8_t)op;
	cpu->lf.size = (uint8_t)size;
	cpu->lf.res = res;
	cpu->lf.src1 = src1;
	cpu->lf.src2 = src2;
}

/* The arithmetic flags (CF PF AF ZF SF OF) of the last operation. */
uint64_t flags_arith(const struct interp_cpu *cpu);
/* The whole RFLAGS, materialized. */
uint64_t flags_get(struct interp_cpu *cpu);
/* Replace the arithmetic flags (and nothing else). */
void flags_set_arith(struct interp_cpu *cpu, uint64_t arith);
/* Condition code cc (the low nibble of Jcc/SETcc/CMOVcc) holds? */
bool flags_cond(const struct interp_cpu *cpu, unsigned cc);
/* Materialize into cpu->rflags and switch to LF_NONE. */
void flags_materialize(struct interp_cpu *cpu);

/* CF alone, without building the other flags (INC/DEC keep it, ADC/SBB read it). */
bool flags_cf(const struct interp_cpu *cpu);

#endif
