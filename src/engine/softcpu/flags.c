#include "engine/softcpu/flags.h"

#include "engine/softcpu/regs.h"

static uint64_t parity(uint64_t res)
{
	/* PF: set when the low byte has an even number of ones. */
	return __builtin_parity((unsigned)(res & 0xff)) ? 0 : RFLAGS_PF;
}

static uint64_t zf_sf_pf(uint64_t res, unsigned size)
{
	uint64_t m = size_mask(size);
	uint64_t f = parity(res);

	if ((res & m) == 0)
		f |= RFLAGS_ZF;
	if ((res >> (size * 8 - 1)) & 1)
		f |= RFLAGS_SF;
	return f;
}

/* CF of a shift: the last bit shifted out. */
static bool shift_cf(const struct lazy_flags *lf, uint64_t a, uint64_t n, unsigned size)
{
	unsigned bits = size * 8;

	if (lf->op == LF_SHL)
		return n <= bits ? (a >> (bits - n)) & 1 : 0;
	if (lf->op == LF_SHR)
		return n <= bits ? (a >> (n - 1)) & 1 : 0;
	return n <= bits ? ((int64_t)sign_extend(a, size) >> (n - 1)) & 1 : (a >> (bits - 1)) & 1;
}

static bool shift_of(const struct lazy_flags *lf, uint64_t a, uint64_t res, unsigned size)
{
	unsigned top = size * 8 - 1;

	if (lf->op == LF_SHL) /* top bit of the result XOR CF */
		return ((res >> top) & 1) != shift_cf(lf, a, lf->src2, size);
	if (lf->op == LF_SHR) /* the operand's original top bit */
		return (a >> top) & 1;
	return false; /* SAR */
}

uint64_t flags_arith(const struct soft_cpu *cpu)
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
			f |= RFLAGS_CF;
		if ((((a ^ res) & (b ^ res)) >> top) & 1)
			f |= RFLAGS_OF;
		return f;
	case LF_SUB:
	case LF_SBB:
		f = zf_sf_pf(res, size) | ((a ^ b ^ res) & 0x10);
		if (a < b || (lf->op == LF_SBB && lf->cf_in && a == b))
			f |= RFLAGS_CF;
		if ((((a ^ b) & (a ^ res)) >> top) & 1)
			f |= RFLAGS_OF;
		return f;
	case LF_LOGIC:
		return zf_sf_pf(res, size);
	case LF_INC:
		f = zf_sf_pf(res, size) | ((a ^ 1 ^ res) & 0x10) | (lf->cf_in ? RFLAGS_CF : 0);
		if (res == (1ull << top))
			f |= RFLAGS_OF;
		return f;
	case LF_DEC:
		f = zf_sf_pf(res, size) | ((a ^ 1 ^ res) & 0x10) | (lf->cf_in ? RFLAGS_CF : 0);
		if (res == (1ull << top) - 1)
			f |= RFLAGS_OF;
		return f;
	case LF_NEG:
		f = zf_sf_pf(res, size) | ((b ^ res) & 0x10);
		if (b != 0)
			f |= RFLAGS_CF;
		if (res == (1ull << top))
			f |= RFLAGS_OF;
		return f;
	case LF_SHL:
	case LF_SHR:
	case LF_SAR:
		/* AF is undefined after a shift: left clear. OF is defined for a count of
		 * 1 and computed by the same rule for larger counts. */
		return zf_sf_pf(res, size) | (shift_cf(lf, a, b, size) ? RFLAGS_CF : 0) |
		       (shift_of(lf, a, res, size) ? RFLAGS_OF : 0);
	case LF_HOST:
		return flags_from_host_image(lf->res);
	default:
		return cpu->rflags & RFLAGS_ARITH_MASK;
	}
}

bool flags_cf(const struct soft_cpu *cpu)
{
	const struct lazy_flags *lf = &cpu->lf;
	uint64_t m = size_mask(lf->size), res = lf->res & m, a = lf->src1 & m, b = lf->src2 & m;

	switch (lf->op) {
	case LF_ADD:
		return res < a;
	case LF_ADC:
		return res < a || (lf->cf_in && res == a);
	case LF_SUB:
		return a < b;
	case LF_SBB:
		return a < b || (lf->cf_in && a == b);
	case LF_LOGIC:
		return false;
	case LF_INC:
	case LF_DEC:
		return lf->cf_in;
	case LF_NEG:
		return b != 0;
	case LF_SHL:
	case LF_SHR:
	case LF_SAR:
		return shift_cf(lf, a, lf->src2, lf->size);
	case LF_HOST:
		return lf->res & 0x100;
	default:
		return cpu->rflags & RFLAGS_CF;
	}
}

uint64_t flags_get(struct soft_cpu *cpu)
{
	return (cpu->rflags & ~RFLAGS_ARITH_MASK) | flags_arith(cpu) | 0x2;
}

void flags_materialize(struct soft_cpu *cpu)
{
	cpu->rflags = flags_get(cpu);
	cpu->lf.op = LF_NONE;
}

void flags_set_arith(struct soft_cpu *cpu, uint64_t arith)
{
	cpu->rflags = (cpu->rflags & ~RFLAGS_ARITH_MASK) | (arith & RFLAGS_ARITH_MASK);
	cpu->lf.op = LF_NONE;
}

/* Conditions straight from the operands, without building the flags, for the
 * operations that most often precede a Jcc/SETcc/CMOVcc. Returns -1 when the
 * general path must answer. */
static int cond_fast(const struct lazy_flags *lf, unsigned cc)
{
	unsigned size = lf->size;
	uint64_t m, res;
	int64_t sres;

	/* Flags in rflags or in translated code's image: no operands to look at
	 * (and no size: LF_HOST leaves lf.size as it was, possibly 0). */
	if (lf->op == LF_NONE || lf->op == LF_HOST)
		return -1;
	m = size_mask(size);
	res = lf->res & m;
	sres = (int64_t)sign_extend(res, size);

	switch (lf->op) {
	case LF_SUB: {
		uint64_t a = lf->src1 & m, b = lf->src2 & m;
		int64_t sa = (int64_t)sign_extend(a, size), sb = (int64_t)sign_extend(b, size);

		switch (cc >> 1) {
		case 1: /* B: unsigned a < b */
			return (a < b) ^ (cc & 1);
		case 2: /* Z */
			return (a == b) ^ (cc & 1);
		case 3: /* BE */
			return (a <= b) ^ (cc & 1);
		case 4: /* S */
			return (sres < 0) ^ (cc & 1);
		case 6: /* L: signed a < b */
			return (sa < sb) ^ (cc & 1);
		case 7: /* LE */
			return (sa <= sb) ^ (cc & 1);
		default:
			return -1;
		}
	}
	case LF_LOGIC: /* CF = OF = 0 */
		switch (cc >> 1) {
		case 0:
		case 1:
			return cc & 1;
		case 2:
		case 3: /* BE = ZF with CF clear */
			return (res == 0) ^ (cc & 1);
		case 4:
		case 6: /* L = SF with OF clear */
			return (sres < 0) ^ (cc & 1);
		case 7:
			return (res == 0 || sres < 0) ^ (cc & 1);
		default:
			return -1;
		}
	case LF_INC:
	case LF_DEC:
	case LF_ADD:
	case LF_SHL:
	case LF_SHR:
	case LF_SAR:
		if ((cc >> 1) == 2)
			return (res == 0) ^ (cc & 1);
		if ((cc >> 1) == 4)
			return (sres < 0) ^ (cc & 1);
		return -1;
	default:
		return -1;
	}
}

bool flags_cond(const struct soft_cpu *cpu, unsigned cc)
{
	int fast = cond_fast(&cpu->lf, cc);
	uint64_t f;
	bool r;

	if (fast >= 0)
		return fast;
	f = flags_arith(cpu);

	switch (cc >> 1) {
	case 0: /* O */
		r = f & RFLAGS_OF;
		break;
	case 1: /* B/C */
		r = f & RFLAGS_CF;
		break;
	case 2: /* Z/E */
		r = f & RFLAGS_ZF;
		break;
	case 3: /* BE */
		r = f & (RFLAGS_CF | RFLAGS_ZF);
		break;
	case 4: /* S */
		r = f & RFLAGS_SF;
		break;
	case 5: /* P */
		r = f & RFLAGS_PF;
		break;
	case 6: /* L: SF != OF */
		r = !(f & RFLAGS_SF) != !(f & RFLAGS_OF);
		break;
	default: /* LE: ZF or SF != OF */
		r = (f & RFLAGS_ZF) || (!(f & RFLAGS_SF) != !(f & RFLAGS_OF));
		break;
	}
	return (cc & 1) ? !r : r;
}
