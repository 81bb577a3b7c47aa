#include "engine/softcpu/mmx.h"

#include <string.h>

#include "x86/arch.h"

#define FSW_ES 0x0080u
#define FSW_TOP 0x3800u

static unsigned x87_top(const struct soft_cpu *cpu)
{
	return (cpu->fpu.fsw & FSW_TOP) >> 11;
}

void mmx_check(struct soft_cpu *cpu)
{
	if (cpu->cr0 & CR0_EM)
		cpu_raise_ud(cpu);
	if (cpu->cr0 & CR0_TS)
		cpu_raise(cpu, EXC_NM, false, 0);
	if ((cpu->fpu.fsw & FSW_ES) && (cpu->cr0 & CR0_NE))
		cpu_raise(cpu, EXC_MF, false, 0);
}

void mmx_sse_check(struct soft_cpu *cpu)
{
	if (!(cpu->cr4 & CR4_OSFXSR))
		cpu_raise_ud(cpu);
	mmx_check(cpu);
}

/* cpu->fpu.st[] holds ST(i) (x87.h), so Rn is st[(n - TOP) & 7]. */
uint64_t mmx_read(const struct soft_cpu *cpu, unsigned n)
{
	uint64_t v;

	memcpy(&v, cpu->fpu.st[(n - x87_top(cpu)) & 7], sizeof(v));
	return v;
}

/* TOP = 0 renames the registers: st[] turns so that st[n] is Rn. */
void mmx_enter(struct soft_cpu *cpu)
{
	unsigned top = x87_top(cpu);
	uint8_t old[8][16];

	if (top) {
		memcpy(old, cpu->fpu.st, sizeof(old));
		for (unsigned n = 0; n < 8; n++)
			memcpy(cpu->fpu.st[n], old[(n - top) & 7], 16);
		cpu->fpu.fsw &= (uint16_t)~FSW_TOP;
	}
	cpu->fpu.ftw = 0xff;
}

void mmx_write(struct soft_cpu *cpu, unsigned n, uint64_t v)
{
	static const uint8_t ones[2] = { 0xff, 0xff };

	mmx_enter(cpu);
	memcpy(cpu->fpu.st[n & 7], &v, sizeof(v));
	memcpy(cpu->fpu.st[n & 7] + 8, ones, sizeof(ones));
}

uint64_t mmx_src(struct soft_cpu *cpu, const struct insn *in, const struct operand *o)
{
	return o->kind == OK_MM ? mmx_read(cpu, o->reg) : op_read(cpu, in, o);
}

void mmx_int_binop(struct soft_cpu *cpu, const struct insn *in, simd_int_fn fn, enum mmx_form form)
{
	uint64_t a, b;
	__m128i r;

	mmx_check(cpu);
	b = mmx_src(cpu, in, &in->op[1]);
	a = mmx_read(cpu, in->op[0].reg);
	if (form == MMX_PACK) {
		r = fn(_mm_set_epi64x((long long)b, (long long)a), _mm_setzero_si128());
	} else if (form == MMX_HIGH_HALF) {
		r = fn(_mm_set_epi64x((long long)a, 0), _mm_set_epi64x((long long)b, 0));
		r = _mm_unpackhi_epi64(r, r);
	} else {
		r = fn(_mm_set_epi64x(0, (long long)a), _mm_set_epi64x(0, (long long)b));
	}
	mmx_write(cpu, in->op[0].reg, (uint64_t)_mm_cvtsi128_si64(r));
}
