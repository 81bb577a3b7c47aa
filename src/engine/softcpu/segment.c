/* Segment register loads (Intel SDM Vol. 3, 5.4-5.8 and the MOV/POP/far-transfer
 * pages): descriptor fetch from the GDT or LDT, the protected-mode checks, and the
 * accessed bit written back to the descriptor. */
#include "engine/softcpu/segment.h"
#include "engine/softcpu/mem.h"
#include "x86/descriptor.h"

uint64_t segment_descriptor(struct soft_cpu *cpu, uint16_t selector, uint8_t vector)
{
	const struct x86_dtable *t = &cpu->gdtr;
	uint64_t base, limit, index = selector & 0xfff8u;

	if (selector & 4) {
		if (cpu->ldtr.unusable || !cpu->ldtr.present)
			cpu_raise(cpu, vector, true, selector & 0xfffc);
		base = cpu->ldtr.base;
		limit = cpu->ldtr.limit;
	} else {
		base = t->base;
		limit = t->limit;
	}
	if (index + 7 > limit)
		cpu_raise(cpu, vector, true, selector & 0xfffc);
	return mem_read_lin(cpu, base + index, 8, ACC_READ | ACC_SYSTEM);
}

static void load_null(struct soft_cpu *cpu, unsigned sreg, uint16_t selector)
{
	struct x86_segment *s = &cpu->seg[sreg];

	s->selector = selector;
	s->unusable = 1;
	s->present = 0;
	s->base = 0;
	s->limit = 0;
}

void segment_load(struct soft_cpu *cpu, unsigned sreg, uint16_t selector)
{
	struct x86_segment s;
	uint64_t d;
	unsigned rpl = selector & 3;

	if (cpu->mode == MODE_REAL) {
		/* Real mode changes only the selector and the base; the rest of the cache
		 * stays (which is what "unreal mode" relies on). */
		cpu->seg[sreg].selector = selector;
		cpu->seg[sreg].base = (uint64_t)selector << 4;
		return;
	}
	if ((selector & 0xfffc) == 0) {
		if (sreg == SREG_CS)
			cpu_raise(cpu, EXC_GP, true, 0);
		/* A null SS is allowed only in 64-bit mode below ring 3. */
		if (sreg == SREG_SS && !(cpu->mode == MODE_LONG64 && cpu->cpl < 3 && rpl == cpu->cpl))
			cpu_raise(cpu, EXC_GP, true, 0);
		load_null(cpu, sreg, selector);
		return;
	}
	d = segment_descriptor(cpu, selector, EXC_GP);
	x86_descriptor_decode(d, selector, &s);
	if (!s.s)
		cpu_raise(cpu, EXC_GP, true, selector & 0xfffc);
	switch (sreg) {
	case SREG_SS:
		if (rpl != cpu->cpl || s.dpl != cpu->cpl || (s.type & 0xa) != 0x2)
			cpu_raise(cpu, EXC_GP, true, selector & 0xfffc);
		if (!s.present)
			cpu_raise(cpu, EXC_SS, true, selector & 0xfffc);
		break;
	case SREG_CS:
		/* Far transfers: the new CPL is the selector's RPL (callers set it to the
		 * CPL for JMP/CALL); conforming code may have a lower DPL. */
		if (!(s.type & 0x8))
			cpu_raise(cpu, EXC_GP, true, selector & 0xfffc);
		if ((s.type & 0x4) ? s.dpl > rpl : s.dpl != rpl)
			cpu_raise(cpu, EXC_GP, true, selector & 0xfffc);
		if (!s.present)
			cpu_raise(cpu, EXC_NP, true, selector & 0xfffc);
		s.dpl = (uint8_t)rpl;
		break;
	default:
		/* Data, or readable code; privilege unless conforming code. */
		if ((s.type & 0xa) == 0x8)
			cpu_raise(cpu, EXC_GP, true, selector & 0xfffc);
		if (!((s.type & 0x8) && (s.type & 0x4)) && (rpl > s.dpl || cpu->cpl > s.dpl))
			cpu_raise(cpu, EXC_GP, true, selector & 0xfffc);
		if (!s.present)
			cpu_raise(cpu, EXC_NP, true, selector & 0xfffc);
		break;
	}
	/* The processor marks the descriptor accessed (SDM 3.4.5.1, type bit 0). */
	if (!(s.type & 1)) {
		uint64_t base = (selector & 4) ? cpu->ldtr.base : cpu->gdtr.base;

		mem_write_lin(cpu, base + (selector & 0xfff8u) + 5, 1, (d >> 40 & 0xff) | 1, ACC_WRITE | ACC_SYSTEM);
		s.type |= 1;
	}
	/* In 64-bit mode FS and GS keep their 64-bit bases in MSRs; a load sets the low
	 * 32 bits from the descriptor, which is what x86_descriptor_decode gives. */
	cpu->seg[sreg] = s;
}
