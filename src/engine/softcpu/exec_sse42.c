/* SSE4.2 (Intel SDM Vol. 2, PCMPESTRI and section 4.1 "Imm8 control byte
 * operation for PCMPESTRI / PCMPESTRM / PCMPISTRI / PCMPISTRM"; CRC32;
 * PCMPGTQ): the packed string compares, CRC-32C and the signed quadword
 * compare. POPCNT, also SSE4.2-era, is not here. */
#include <string.h>

#include "engine/softcpu/flags.h"
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/avx.h"
#include "engine/softcpu/simd_ops.h"
#include "engine/softcpu/sse.h"

/* ---- PCMPGTQ -------------------------------------------------------------------- */

void simd_pcmpgtq(xmm_t *d, const xmm_t *s)
{
	for (unsigned i = 0; i < 2; i++)
		d->q[i] = d->sq[i] > s->sq[i] ? ~0ull : 0;
}

static void h_pcmpgtq(struct soft_cpu *cpu, const struct insn *in)
{
	xmm_t d, s;

	sse_check(cpu);
	s = sse_src(cpu, in, &in->op[1], false);
	d = xmm_get(cpu, in->op[0].reg);
	simd_pcmpgtq(&d, &s);
	xmm_set(cpu, in->op[0].reg, &d);
}

/* ---- CRC32 ---------------------------------------------------------------------- */

/* The CRC-32C polynomial 11EDC6F41H, bit-reflected (bit 32 dropped). */
#define CRC32C_REFLECTED 0x82f63b78u

/* The SDM defines CRC32 on bit-reflected operands: the destination and source
 * reflected, the remainder of (src << 32) XOR (dest << n) by the polynomial,
 * reflected back. On reflected values that is the shift-right form below, a
 * byte at a time from the least significant, with no initial or final
 * inversion. */
static uint32_t crc32c(uint32_t crc, uint64_t data, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++) {
		crc ^= (uint8_t)(data >> (8 * i));
		for (unsigned bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (CRC32C_REFLECTED & (0u - (crc & 1)));
	}
	return crc;
}

/* CRC32 r32/r64, r/m8/16/32/64: the upper half of a 64-bit destination is
 * ignored on input and zero on output. No SSE state is involved. */
static void h_crc32(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *d = &in->op[0], *s = &in->op[1];
	uint32_t crc = (uint32_t)reg_read(cpu, d->reg, d->size);
	uint64_t v = op_read(cpu, in, s);

	reg_write(cpu, d->reg, d->size, crc32c(crc, v, s->size));
}

/* ---- PCMPESTRI, PCMPESTRM, PCMPISTRI, PCMPISTRM ------------------------------------ */

/* imm8 */
#define STR_WORDS 0x01	      /* bit 0: words, else bytes */
#define STR_SIGNED 0x02	      /* bit 1: signed elements */
#define STR_AGGREGATION 0x0c  /* bits 3:2 */
#define STR_POLARITY 0x30     /* bits 5:4 */
#define STR_MOST_OR_MASK 0x40 /* bit 6: most significant index (xSTRI), element mask (xSTRM) */

enum str_aggregation { AGG_EQUAL_ANY, AGG_RANGES, AGG_EQUAL_EACH, AGG_EQUAL_ORDERED };
enum str_polarity { POL_POSITIVE, POL_NEGATIVE, POL_MASKED_POSITIVE, POL_MASKED_NEGATIVE };

/* The two operands as the compare sees them: a is the first operand (xmm1),
 * b the second (xmm2/m128); la and lb their valid lengths in elements. */
struct str_operands {
	int32_t a[16], b[16];
	unsigned la, lb, n; /* n: 16 bytes or 8 words */
};

/* The two aggregations that search: bit j of the result for element j of b. */
static uint32_t equal_any(const struct str_operands *o)
{
	uint32_t r = 0;

	for (unsigned j = 0; j < o->lb; j++)
		for (unsigned i = 0; i < o->la; i++)
			if (o->b[j] == o->a[i])
				r |= 1u << j;
	return r;
}

/* a holds (low, high) pairs; an unpaired last element of a matches nothing. */
static uint32_t ranges(const struct str_operands *o)
{
	uint32_t r = 0;

	for (unsigned j = 0; j < o->lb; j++)
		for (unsigned i = 0; i + 1 < o->la; i += 2)
			if (o->b[j] >= o->a[i] && o->b[j] <= o->a[i + 1])
				r |= 1u << j;
	return r;
}

/* Element by element; positions past both ends compare equal, a position
 * past one end only does not. */
static uint32_t equal_each(const struct str_operands *o)
{
	uint32_t r = 0;

	for (unsigned i = 0; i < o->n; i++) {
		bool va = i < o->la, vb = i < o->lb;

		if (va && vb ? o->a[i] == o->b[i] : !va && !vb)
			r |= 1u << i;
	}
	return r;
}

/* Bit j: a (the needle) occurs in b from element j on. Needle elements past
 * its end match anything; a needle element against b past its end does not
 * match. */
static uint32_t equal_ordered(const struct str_operands *o)
{
	uint32_t r = 0;

	for (unsigned j = 0; j < o->n; j++) {
		bool match = true;

		for (unsigned k = 0; j + k < o->n && match; k++)
			if (k < o->la)
				match = j + k < o->lb && o->b[j + k] == o->a[k];
		if (match)
			r |= 1u << j;
	}
	return r;
}

/* IntRes2: the aggregation's result (IntRes1) after the polarity. */
static uint32_t string_compare(const struct str_operands *o, unsigned imm)
{
	uint32_t all = (1u << o->n) - 1, valid_b = (1u << o->lb) - 1, r;

	switch ((enum str_aggregation)((imm & STR_AGGREGATION) >> 2)) {
	case AGG_EQUAL_ANY:
		r = equal_any(o);
		break;
	case AGG_RANGES:
		r = ranges(o);
		break;
	case AGG_EQUAL_EACH:
		r = equal_each(o);
		break;
	default:
		r = equal_ordered(o);
		break;
	}
	switch ((enum str_polarity)((imm & STR_POLARITY) >> 4)) {
	case POL_NEGATIVE:
		return ~r & all;
	case POL_MASKED_NEGATIVE:
		return (r ^ valid_b) & all;
	default:
		return r;
	}
}

/* An explicit length (EAX/RAX or EDX/RDX): its absolute value, saturated to
 * the element count. */
static unsigned explicit_length(uint64_t v, unsigned opsize, unsigned n)
{
	int64_t sv = opsize == 8 ? (int64_t)v : (int32_t)v;
	uint64_t mag = sv < 0 ? 0 - (uint64_t)sv : (uint64_t)sv;

	return mag < n ? (unsigned)mag : n;
}

/* An implicit length: the elements before the first zero one. */
static unsigned implicit_length(const int32_t *e, unsigned n)
{
	unsigned len = 0;

	while (len < n && e[len])
		len++;
	return len;
}

static void elements(const xmm_t *x, unsigned imm, int32_t *e)
{
	bool words = imm & STR_WORDS, is_signed = imm & STR_SIGNED;

	for (unsigned i = 0; i < (words ? 8u : 16u); i++)
		e[i] = words ? (is_signed ? x->sw[i] : x->w[i]) : (is_signed ? x->sb[i] : x->b[i]);
}

/* Runs the compare; sets CF (result not zero), ZF (b shorter than the
 * register), SF (a shorter), OF (result bit 0), clears AF and PF. Returns
 * IntRes2; *n gets the element count. */
static uint32_t pcmpstr(struct soft_cpu *cpu, const struct insn *in, bool explicit_len, bool vex, unsigned *n)
{
	unsigned imm = (unsigned)in->op[2].imm;
	struct str_operands o;
	uint32_t r;
	uint64_t f = 0;
	xmm_t a, b;

	if (vex)
		avx_check(cpu);
	else
		sse_check(cpu);
	b = sse_src(cpu, in, &in->op[1], true); /* the memory operand need not be aligned */
	a = xmm_get(cpu, in->op[0].reg);
	o.n = (imm & STR_WORDS) ? 8 : 16;
	elements(&a, imm, o.a);
	elements(&b, imm, o.b);
	if (explicit_len) {
		o.la = explicit_length(reg_read(cpu, GPR_RAX, in->opsize), in->opsize, o.n);
		o.lb = explicit_length(reg_read(cpu, GPR_RDX, in->opsize), in->opsize, o.n);
	} else {
		o.la = implicit_length(o.a, o.n);
		o.lb = implicit_length(o.b, o.n);
	}
	r = string_compare(&o, imm);
	if (r)
		f |= RFLAGS_CF;
	if (o.lb < o.n)
		f |= RFLAGS_ZF;
	if (o.la < o.n)
		f |= RFLAGS_SF;
	if (r & 1)
		f |= RFLAGS_OF;
	flags_set_arith(cpu, f);
	*n = o.n;
	return r;
}

/* xSTRI: ECX gets the index of the least (or, with imm[6], the most)
 * significant set bit of the result, or the element count if none is. */
void simd_str_index(struct soft_cpu *cpu, const struct insn *in, bool explicit_len, bool vex)
{
	unsigned n, index;
	uint32_t r = pcmpstr(cpu, in, explicit_len, vex, &n);

	if (!r)
		index = n;
	else if (in->op[2].imm & STR_MOST_OR_MASK)
		index = 31 - (unsigned)__builtin_clz(r);
	else
		index = (unsigned)__builtin_ctz(r);
	reg_write(cpu, GPR_RCX, 4, index);
}

/* xSTRM: XMM0 gets the result as a bit mask, zero-extended, or with imm[6]
 * as a mask of whole elements (the VEX form zeroes bits 128-255 of YMM0). */
void simd_str_mask(struct soft_cpu *cpu, const struct insn *in, bool explicit_len, bool vex)
{
	unsigned n;
	uint32_t r = pcmpstr(cpu, in, explicit_len, vex, &n);
	ymm_t m;

	memset(&m, 0, sizeof(m));
	if (in->op[2].imm & STR_MOST_OR_MASK) {
		for (unsigned i = 0; i < n; i++)
			if (r & (1u << i))
				memset(m.b + i * (16 / n), 0xff, 16 / n);
	} else {
		m.w[0] = (uint16_t)r;
	}
	if (vex)
		ymm_set(cpu, 0, &m, 16);
	else
		xmm_set(cpu, 0, &m.lane[0]);
}

static void h_pcmpestri(struct soft_cpu *cpu, const struct insn *in)
{
	simd_str_index(cpu, in, true, false);
}

static void h_pcmpistri(struct soft_cpu *cpu, const struct insn *in)
{
	simd_str_index(cpu, in, false, false);
}

static void h_pcmpestrm(struct soft_cpu *cpu, const struct insn *in)
{
	simd_str_mask(cpu, in, true, false);
}

static void h_pcmpistrm(struct soft_cpu *cpu, const struct insn *in)
{
	simd_str_mask(cpu, in, false, false);
}

const struct dispatch_entry exec_sse42_table[] = {
	{ ZYDIS_MNEMONIC_PCMPGTQ, h_pcmpgtq, 0 },
	{ ZYDIS_MNEMONIC_CRC32, h_crc32, 0 },
	{ ZYDIS_MNEMONIC_PCMPESTRI, h_pcmpestri, 0 },
	{ ZYDIS_MNEMONIC_PCMPESTRM, h_pcmpestrm, 0 },
	{ ZYDIS_MNEMONIC_PCMPISTRI, h_pcmpistri, 0 },
	{ ZYDIS_MNEMONIC_PCMPISTRM, h_pcmpistrm, 0 },
	{ 0, NULL, 0 },
};
