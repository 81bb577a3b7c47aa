/* Floating point in software (soft_fp.h). The fused multiply-add uses exact integer arithmetic:
 * the product of the significands is exact in 128 bits, the addend is
 * aligned to it with the bits shifted out kept as a sticky bit, and the sum
 * is rounded once. What the x86 FMA instructions add to IEEE 754's fusedMultiplyAdd
 * (Intel SDM Vol. 1, 11.5 and 14.5; Vol. 2, VFMADD132PS "FMA
 * exceptions"), each checked against the AMD host (tests/unit/test_softcpu_fma.c):
 * - DAZ turns denormal inputs into zeros of the same sign; without it a
 *   denormal input raises the denormal flag.
 * - A NaN input gives the first NaN of the multiplicands and then the
 *   addend, quieted; an SNaN raises invalid. 0 * inf raises invalid and gives
 *   the default NaN (negative, quiet) unless an input is a NaN; so does
 *   inf - inf.
 * - Tininess is detected after rounding. A masked underflow is a tiny
 *   inexact result, but under FZ every tiny result is flushed to zero with
 *   underflow and precision raised, exact or not; with underflow or overflow unmasked
 *   precision is reported only if the result rounded with an unbounded
 *   exponent is inexact. */
#include "engine/softcpu/soft_fp.h"

#define F_IE 0x01u
#define F_DE 0x02u
#define F_OE 0x08u
#define F_UE 0x10u
#define F_PE 0x20u
#define CSR_DAZ 0x40u
#define CSR_OM 0x400u
#define CSR_UM 0x800u
#define CSR_FZ 0x8000u

enum rounding { RC_NEAREST, RC_DOWN, RC_UP, RC_ZERO };

typedef unsigned __int128 u128;

struct format {
	unsigned p;	/* precision, the implicit bit included */
	unsigned ebits; /* exponent field width */
	int bias;
};

static const struct format binary32 = { 24, 8, 127 };
static const struct format binary64 = { 53, 11, 1023 };
static const struct format binary16 = { 11, 5, 15 };

enum kind { K_ZERO, K_FINITE, K_INF, K_NAN };

/* An input: m * 2^e when finite. */
struct num {
	enum kind kind;
	bool sign;
	bool snan;
	bool denormal;
	uint64_t m;
	int e;
};

static unsigned sign_shift(const struct format *f)
{
	return f->p - 1 + f->ebits;
}

static struct num unpack(const struct format *f, uint64_t x, bool daz)
{
	uint64_t top = (1ull << f->ebits) - 1, frac = x & ((1ull << (f->p - 1)) - 1);
	uint64_t exp = (x >> (f->p - 1)) & top;
	struct num n = { .sign = (x >> sign_shift(f)) & 1 };

	if (exp == top) {
		n.kind = frac ? K_NAN : K_INF;
		n.snan = frac && !(frac >> (f->p - 2));
	} else if (exp == 0) {
		n.kind = frac && !daz ? K_FINITE : K_ZERO;
		n.denormal = frac && !daz;
		n.m = frac;
		n.e = 1 - f->bias - (int)(f->p - 1);
	} else {
		n.kind = K_FINITE;
		n.m = frac | (1ull << (f->p - 1));
		n.e = (int)exp - f->bias - (int)(f->p - 1);
	}
	return n;
}

static uint64_t pack_special(const struct format *f, bool sign, uint64_t exp, uint64_t frac)
{
	return ((uint64_t)sign << sign_shift(f)) | (exp << (f->p - 1)) | frac;
}

static uint64_t infinity(const struct format *f, bool sign)
{
	return pack_special(f, sign, (1ull << f->ebits) - 1, 0);
}

static uint64_t default_nan(const struct format *f)
{
	return pack_special(f, true, (1ull << f->ebits) - 1, 1ull << (f->p - 2));
}

static unsigned msb128(u128 m)
{
	uint64_t hi = (uint64_t)(m >> 64);

	return hi ? 127u - (unsigned)__builtin_clzll(hi) : 63u - (unsigned)__builtin_clzll((uint64_t)m);
}

/* m >> sh rounded as rc asks for a result of this sign; *inexact if bits
 * were lost. */
static u128 shift_round(u128 m, int sh, bool sign, enum rounding rc, bool *inexact)
{
	u128 kept, rem, half;
	bool up;

	if (sh <= 0) {
		*inexact = false;
		return m << -sh;
	}
	if (sh >= 128) {
		kept = 0;
		rem = m;
		half = (u128)1 << 127; /* above any m here: below half */
	} else {
		kept = m >> sh;
		rem = m & (((u128)1 << sh) - 1);
		half = (u128)1 << (sh - 1);
	}
	*inexact = rem != 0;
	switch (rc) {
	case RC_NEAREST:
		up = rem > half || (rem == half && (kept & 1));
		break;
	case RC_DOWN:
		up = rem && sign;
		break;
	case RC_UP:
		up = rem && !sign;
		break;
	default:
		up = false;
		break;
	}
	return kept + up;
}

/* The nonzero m * 2^e of this sign, rounded to the format under mxcsr. */
static uint64_t round_pack(const struct format *f, u128 m, int e, bool sign, uint32_t mxcsr, uint32_t *flags)
{
	enum rounding rc = (enum rounding)((mxcsr >> 13) & 3);
	int p = (int)f->p, emin = 1 - f->bias, big_e = (int)msb128(m) + e, lsb;
	u128 one = (u128)1 << (p - 1), kept;
	bool inexact_unbounded, inexact, tiny;

	/* Rounded with an unbounded exponent: overflow and tininess. */
	kept = shift_round(m, big_e - (p - 1) - e, sign, rc, &inexact_unbounded);
	if (kept >> p)
		big_e++;
	if (big_e > f->bias) {
		bool to_inf = rc == RC_NEAREST || (rc == RC_UP && !sign) || (rc == RC_DOWN && sign);

		*flags |= F_OE | ((mxcsr & CSR_OM) || inexact_unbounded ? F_PE : 0);
		return to_inf ? infinity(f, sign) : pack_special(f, sign, (1ull << f->ebits) - 2, one - 1);
	}
	tiny = big_e < emin;
	lsb = ((int)msb128(m) + e < emin ? emin : (int)msb128(m) + e) - (p - 1);
	kept = shift_round(m, lsb - e, sign, rc, &inexact);
	if (tiny && !(mxcsr & CSR_UM)) {
		*flags |= F_UE | (inexact_unbounded ? F_PE : 0);
	} else if (tiny && (mxcsr & CSR_FZ)) { /* exact or not */
		*flags |= F_UE | F_PE;
		return pack_special(f, sign, 0, 0);
	} else if (tiny && inexact) {
		*flags |= F_UE | F_PE;
	} else if (inexact) {
		*flags |= F_PE;
	}
	if (kept >> p) {
		kept >>= 1;
		lsb++;
	}
	if (kept >= one)
		return pack_special(f, sign, (uint64_t)(lsb + (p - 1) + f->bias), (uint64_t)(kept - one));
	return pack_special(f, sign, 0, (uint64_t)kept);
}

/* x normalized so that its top bit is bit 125 (x nonzero). */
static void normalize(u128 *m, int *e)
{
	int s = 125 - (int)msb128(*m);

	*m <<= s;
	*e -= s;
}

/* The exact sum of two nonzero values, rounded. */
static uint64_t add_round(const struct format *f, u128 mp, int ep, bool sp, u128 mc, int ec, bool sc, uint32_t mxcsr,
			  uint32_t *flags)
{
	u128 r;
	int d;

	normalize(&mp, &ep);
	normalize(&mc, &ec);
	if (ec > ep || (ec == ep && mc > mp)) { /* the larger magnitude first */
		u128 tm = mp;
		int te = ep;
		bool ts = sp;

		mp = mc;
		ep = ec;
		sp = sc;
		mc = tm;
		ec = te;
		sc = ts;
	}
	d = ep - ec;
	if (d >= 126)
		mc = 1; /* only a sticky bit */
	else if (d > 0)
		mc = (mc >> d) | ((mc & (((u128)1 << d) - 1)) != 0);
	r = sp == sc ? mp + mc : mp - mc;
	if (!r) /* exact cancellation: +0, or -0 rounding down */
		return pack_special(f, ((mxcsr >> 13) & 3) == RC_DOWN, 0, 0);
	return round_pack(f, r, ep, sp, mxcsr, flags);
}

uint64_t soft_fma(uint64_t a, uint64_t b, uint64_t c, bool single, unsigned neg, uint32_t mxcsr, uint32_t *flags)
{
	const struct format *f = single ? &binary32 : &binary64;
	bool daz = mxcsr & CSR_DAZ;
	struct num x = unpack(f, a, daz), y = unpack(f, b, daz), z = unpack(f, c, daz);
	uint64_t quiet = 1ull << (f->p - 2);
	bool sp, sc;

	if (x.kind == K_NAN || y.kind == K_NAN || z.kind == K_NAN) {
		if (x.snan || y.snan || z.snan)
			*flags |= F_IE;
		return (x.kind == K_NAN ? a : y.kind == K_NAN ? b : c) | quiet;
	}
	sp = x.sign ^ y.sign ^ ((neg & FMA_NEG_PRODUCT) != 0);
	sc = z.sign ^ ((neg & FMA_NEG_ADDEND) != 0);
	if ((x.kind == K_INF && y.kind == K_ZERO) || (x.kind == K_ZERO && y.kind == K_INF)) {
		*flags |= F_IE;
		return default_nan(f);
	}
	if (x.kind == K_INF || y.kind == K_INF) {
		if (z.kind == K_INF && sc != sp) {
			*flags |= F_IE;
			return default_nan(f);
		}
		*flags |= x.denormal || y.denormal || z.denormal ? F_DE : 0;
		return infinity(f, sp);
	}
	if (x.denormal || y.denormal || z.denormal)
		*flags |= F_DE;
	if (z.kind == K_INF)
		return infinity(f, sc);
	if (x.kind == K_ZERO || y.kind == K_ZERO) {
		if (z.kind == K_ZERO) /* same signs keep theirs; else +0, or -0 rounding down */
			return pack_special(f, sp == sc ? sp : ((mxcsr >> 13) & 3) == RC_DOWN, 0, 0);
		return round_pack(f, z.m, z.e, sc, mxcsr, flags);
	}
	if (z.kind == K_ZERO)
		return round_pack(f, (u128)x.m * y.m, x.e + y.e, sp, mxcsr, flags);
	return add_round(f, (u128)x.m * y.m, x.e + y.e, sp, z.m, z.e, sc, mxcsr, flags);
}

uint32_t soft_half_to_single(uint16_t h, uint32_t *flags)
{
	struct num n = unpack(&binary16, h, false);
	uint32_t sign = (uint32_t)n.sign << 31;

	switch (n.kind) {
	case K_NAN:
		*flags |= n.snan ? F_IE : 0;
		return sign | 0x7fc00000u | (uint32_t)(h & 0x3ff) << 13;
	case K_INF:
		return sign | 0x7f800000u;
	case K_ZERO:
		return sign;
	default: /* exact: 11 bits into 24 */
		return (uint32_t)round_pack(&binary32, n.m, n.e, n.sign, 0x1f80, flags);
	}
}

uint16_t soft_single_to_half(uint32_t x, unsigned rc, uint32_t mxcsr, uint32_t *flags)
{
	struct num n = unpack(&binary32, x, mxcsr & CSR_DAZ);
	uint16_t sign = (uint16_t)(n.sign << 15);

	switch (n.kind) {
	case K_NAN:
		*flags |= n.snan ? F_IE : 0;
		return sign | 0x7e00u | (uint16_t)((x >> 13) & 0x3ff);
	case K_INF:
		return sign | 0x7c00u;
	case K_ZERO:
		return sign;
	default:
		*flags |= n.denormal ? F_DE : 0;
		return (uint16_t)round_pack(&binary16, n.m, n.e, n.sign, (mxcsr & ~(CSR_FZ | 0x6000u)) | rc << 13,
					    flags);
	}
}
