#include "engine/softcpu/avx.h"

#include <string.h>

#include "x86/arch.h"

void avx_check(struct soft_cpu *cpu)
{
	if (cpu->mode == MODE_REAL || !(cpu->cr4 & CR4_OSXSAVE) ||
	    (cpu->xcr0 & (XCR0_SSE | XCR0_AVX)) != (XCR0_SSE | XCR0_AVX))
		cpu_raise_ud(cpu);
	if (cpu->cr0 & CR0_TS)
		cpu_raise(cpu, EXC_NM, false, 0);
}

bool avx_allowed(const struct soft_cpu *cpu)
{
	return cpu->mode != MODE_REAL && (cpu->cr4 & CR4_OSXSAVE) &&
	       (cpu->xcr0 & (XCR0_SSE | XCR0_AVX)) == (XCR0_SSE | XCR0_AVX) && !(cpu->cr0 & CR0_TS);
}

ymm_t ymm_get(const struct soft_cpu *cpu, unsigned n)
{
	ymm_t v;

	memcpy(&v.lane[0], cpu->fpu.xmm[n], 16);
	memcpy(&v.lane[1], cpu->fpu.ymm_hi[n], 16);
	return v;
}

void ymm_set(struct soft_cpu *cpu, unsigned n, const ymm_t *v, unsigned bytes)
{
	memcpy(cpu->fpu.xmm[n], &v->lane[0], 16);
	if (bytes == 32)
		memcpy(cpu->fpu.ymm_hi[n], &v->lane[1], 16);
	else
		memset(cpu->fpu.ymm_hi[n], 0, 16);
}

ymm_t avx_src(struct soft_cpu *cpu, const struct insn *in, const struct operand *o)
{
	ymm_t v;

	memset(&v, 0, sizeof(v));
	switch (o->kind) {
	case OK_XMM:
		v = ymm_get(cpu, o->reg);
		if (o->size < 32)
			memset(&v.lane[1], 0, 16);
		return v;
	case OK_MEM:
		mem_read_block(cpu, o->seg, insn_ea(cpu, in, o), &v, o->size, 0);
		return v;
	default:
		v.q[0] = op_read(cpu, in, o);
		return v;
	}
}

void avx_dst(struct soft_cpu *cpu, const struct insn *in, const struct operand *o, const ymm_t *v, unsigned align)
{
	if (o->kind == OK_XMM)
		ymm_set(cpu, o->reg, v, o->size);
	else if (o->kind == OK_MEM)
		mem_write_block(cpu, o->seg, insn_ea(cpu, in, o), v, o->size, align);
	else
		op_write(cpu, in, o, v->q[0]);
}

static void move(struct soft_cpu *cpu, const struct insn *in, unsigned align)
{
	const struct operand *s = &in->op[1];
	ymm_t v;

	avx_check(cpu);
	if (s->kind == OK_MEM) {
		memset(&v, 0, sizeof(v));
		mem_read_block(cpu, s->seg, insn_ea(cpu, in, s), &v, s->size, align);
	} else {
		v = avx_src(cpu, in, s);
	}
	avx_dst(cpu, in, &in->op[0], &v, align);
}

void avx_move_aligned(struct soft_cpu *cpu, const struct insn *in)
{
	move(cpu, in, in->op[0].size);
}

void avx_move_unaligned(struct soft_cpu *cpu, const struct insn *in)
{
	move(cpu, in, 0);
}

uint64_t avx_element_read(struct soft_cpu *cpu, unsigned seg, uint64_t ea, unsigned size)
{
	return mem_read_lin(cpu, seg_lin(cpu, seg, ea, size, ACC_READ), size, ACC_READ | ACC_NO_ALIGN);
}
