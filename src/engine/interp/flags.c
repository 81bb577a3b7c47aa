#include "engine/interp/flags.h"

#include "engine/interp/regs.h"

static uint64_t parity(uint64_t res)
{
	/* PF: set when the low byte has an even number of ones. */
	return __builtin_parity((unsigned)(res & 0xff)) ? 0 : FL_PF;
}

static uint64_t zf_sf_pf(uint64_t res, unsigned size)
{
	uint64_t m = size_mask(size);
	uint64_t f = parity(res);

	if ((res & m) == 0)
		f |= FL_ZF;
	if ((res >> (size * 8 - 1)) & 1)
		f |= FL_SF;
	return f;
}

uint64_t flags_arith(const struct interp_cpu *cpu)
{
	const struct lazy_flags *lf = &cpu->lf;
	unsigned size = lf->size, top = size * 8 - 1;
	uint64_t m = size_mask(size), res = lf->res & m, a = lf->src1 & m, b = lf->src2 & m;
	uint64_t f;

	switch (lf->op) {
	case LF_NONE:
		return cpu->rflags & RFLAGS_ARITH_MASK;
	case LF_ADD:
	case LF_ADC:
		f = zf_sf_pf(res, size) | ((a ^ b ^ res) & 0x10);
		/* Carry out: the result wrapped (for ADC with carry-in, res == a also wraps). */
		if (res < a || (lf->op == LF_ADC && lf->cf_in && res == a))
			f |= FL_CF;
		if ((((a ^ res) & (b ^ res)) >> top) & 1)
			f |= FL_OF;
		return f;
	case LF_SUB:
	case LF_SBB:
		f = zf_sf_pf(res, size) | ((a ^ b ^ res) & 0x10);
		if (a < b || (lf->op == LF_SBB && lf->cf_in && a == b))
			f |= FL_CF;
		if ((((a ^ b) & (a ^ res)) >> top) & 1)
			f |= FL_OF;
		return f;
	case LF_LOGIC:
		return zf_sf_pf(res, size);
	case LF_INC:
		f = zf_sf_pf(res, size) | ((a ^ 1 ^ res) & 0x10) | (lf->cf_in ? FL_CF : 0);
		if (res == (1ull << top))
			f |= FL_OF;
		return f;
	case LF_DEC:
		f = zf_sf_pf(res, size) | ((a ^ 1 ^ res) & 0x10) | (lf->cf_in ? FL_CF : 0);
		if (res == (1ull << top) - 1)
			f |= FL_OF;
		return f;
	case LF_NEG:
		f = zf_sf_pf(res, size) | ((b ^ res) & 0x10);
		if (b != 0)
			f |= FL_CF;
		if (res == (1ull << top))
			f |= FL_OF;
		return f;
	default:
		return cpu->rflags & RFLAGS_ARITH_MASK;
	}
}

uint64_t flags_get(struct interp_cpu *cpu)
{
	return (cpu->rflags & ~RFLAGS_ARITH_MASK) | flags_arith(cpu) | 0x2;
}

void flags_materialize(struct interp_cpu *cpu)
{
	cpu->rflags = flags_get(cpu);
	cpu->lf.op = LF_NONE;
}

void flags_set_arith(struct interp_cpu *cpu, uint64_t arith)
{
	cpu->rflags = (cpu->rflags & ~RFLAGS_ARITH_MASK) | (arith & RFLAGS_ARITH_MASK);
	cpu->lf.op = LF_NONE;
}

bool flags_cond(const struct interp_cpu *cpu, unsigned cc)
{
	uint64_t f = flags_arith(cpu);
	bool r;

	switch (cc >> 1) {
	case 0: /* O */
		r = f & FL_OF;
		break;
	case 1: /* B/C */
		r = f & FL_CF;
		break;
	case 2: /* Z/E */
		r = f & FL_ZF;
		break;
	case 3: /* BE */
		r = f & (FL_CF | FL_ZF);
		break;
	case 4: /* S */
		r = f & FL_SF;
		break;
	case 5: /* P */
		r = f & FL_PF;
		break;
	case 6: /* L: SF != OF */
		r = !(f & FL_SF) != !(f & FL_OF);
		break;
	default: /* LE: ZF or SF != OF */
		r = (f & FL_ZF) || (!(f & FL_SF) != !(f & FL_OF));
		break;
	}
	return (cc & 1) ? !r : r;
}
