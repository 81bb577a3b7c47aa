/* SSSE3 (x86-64-v2): byte shuffles, horizontal adds and subtracts, signs,
 * absolute values, the multiply-adds and PALIGNR, each in its MMX form (64-bit
 * operands, mmx.h) and its XMM form (128-bit).
 *
 * One function computes each operation on n bytes of operands (8 or 16), in
 * plain C: the host needs no SSSE3, and the two forms share it. The MMX forms
 * check as SSE instructions on MMX registers do (CR4.OSFXSR clear is #UD too;
 * SDM exceptions type 4 plus a pending x87 exception's #MF), read their
 * operands, then enter the MMX state; the XMM forms' m128 operands must be
 * 16-byte aligned (#GP(0)), as for every legacy SSE instruction of exceptions
 * type 4, and as the AMD host does. */
#include <stdint.h>

#include "engine/softcpu/handlers.h"
#include "engine/softcpu/mmx.h"
#include "engine/softcpu/simd_ops.h"
#include "engine/softcpu/sse.h"

/* The operations (simd_ops.h: ssse3_fn) are computed on n bytes; p is the
 * instruction's imm8 (PALIGNR) or the handler's parameter (the horizontal
 * operations' enum hop). */
static void ssse3_op(struct soft_cpu *cpu, const struct insn *in, ssse3_fn fn, unsigned param)
{
	const struct operand *d = &in->op[0];
	unsigned p = in->nops > 2 ? (unsigned)(in->op[2].imm & 0xff) : param;
	xmm_t a = { .q = { 0, 0 } }, b = { .q = { 0, 0 } }, r = { .q = { 0, 0 } };

	if (d->kind == OK_MM) {
		mmx_sse_check(cpu);
		b.q[0] = mmx_src(cpu, in, &in->op[1]);
		a.q[0] = mmx_read(cpu, d->reg);
		fn(&r, &a, &b, 8, p);
		mmx_write(cpu, d->reg, r.q[0]);
		return;
	}
	sse_check(cpu);
	b = sse_src(cpu, in, &in->op[1], false);
	a = xmm_get(cpu, d->reg);
	fn(&r, &a, &b, 16, p);
	xmm_set(cpu, d->reg, &r);
}

static int16_t saturate16(int32_t v)
{
	return (int16_t)(v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v);
}

/* ---- shuffles ------------------------------------------------------------------ */

/* PSHUFB: byte i is a's byte b[i] mod n, or zero when b[i] has bit 7 set. */
void simd_pshufb(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p)
{
	(void)p;
	for (unsigned i = 0; i < n; i++)
		r->b[i] = (b->b[i] & 0x80) ? 0 : a->b[b->b[i] & (n - 1)];
}

/* PALIGNR: a:b (a the high half) shifted right by imm bytes, the low n bytes
 * kept; bytes beyond the pair are zero. */
void simd_palignr(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
	uint8_t pair[32];

	for (unsigned i = 0; i < n; i++) {
		pair[i] = b->b[i];
		pair[n + i] = a->b[i];
	}
	for (unsigned i = 0; i < n; i++)
		r->b[i] = imm + i < 2 * n ? pair[imm + i] : 0;
}

/* ---- horizontal adds and subtracts --------------------------------------------- */

/* The pairs of a's words give the low half of the result, b's the high half:
 * r[i] = x[2i] op x[2i + 1]. */

static int32_t hop_words(enum hop op, int16_t x, int16_t y)
{
	switch (op) {
	case HOP_ADD:
		return (int16_t)(uint16_t)((uint16_t)x + (uint16_t)y);
	case HOP_SUB:
		return (int16_t)(uint16_t)((uint16_t)x - (uint16_t)y);
	case HOP_ADD_SATURATE:
		return saturate16((int32_t)x + y);
	default:
		return saturate16((int32_t)x - y);
	}
}

void simd_horizontal_words(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p)
{
	unsigned half = n / 4; /* result words from each operand */

	for (unsigned i = 0; i < half; i++) {
		r->sw[i] = (int16_t)hop_words((enum hop)p, a->sw[2 * i], a->sw[2 * i + 1]);
		r->sw[half + i] = (int16_t)hop_words((enum hop)p, b->sw[2 * i], b->sw[2 * i + 1]);
	}
}

/* PHADDD/PHSUBD: p is HOP_ADD or HOP_SUB (no saturating forms). */
void simd_horizontal_dwords(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p)
{
	unsigned half = n / 8;

	for (unsigned i = 0; i < half; i++) {
		r->d[i] = p == HOP_SUB ? a->d[2 * i] - a->d[2 * i + 1] : a->d[2 * i] + a->d[2 * i + 1];
		r->d[half + i] = p == HOP_SUB ? b->d[2 * i] - b->d[2 * i + 1] : b->d[2 * i] + b->d[2 * i + 1];
	}
}

/* ---- multiplies ---------------------------------------------------------------- */

/* PMADDUBSW: a's unsigned bytes times b's signed bytes, adjacent products
 * added into a signed word with saturation. */
void simd_pmaddubsw(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p)
{
	(void)p;
	for (unsigned i = 0; i < n / 2; i++)
		r->sw[i] = saturate16(a->b[2 * i] * b->sb[2 * i] + a->b[2 * i + 1] * b->sb[2 * i + 1]);
}

/* PMULHRSW: the 32-bit product of signed words, shifted right by 14, plus one,
 * shifted right by one more: bits 16:1 of (product >> 14) + 1. */
void simd_pmulhrsw(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p)
{
	(void)p;
	for (unsigned i = 0; i < n / 2; i++)
		r->w[i] = (uint16_t)((((int32_t)a->sw[i] * b->sw[i] >> 14) + 1) >> 1);
}

/* ---- signs and absolute values ------------------------------------------------- */

/* PSIGNB/W/D: a's element negated where b's is negative, zeroed where b's is
 * zero, kept where it is positive (the most negative value negates to itself). */
void simd_psignb(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p)
{
	(void)p;
	for (unsigned i = 0; i < n; i++)
		r->b[i] = b->sb[i] < 0 ? (uint8_t)-a->b[i] : b->sb[i] ? a->b[i] : 0;
}

void simd_psignw(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p)
{
	(void)p;
	for (unsigned i = 0; i < n / 2; i++)
		r->w[i] = b->sw[i] < 0 ? (uint16_t)-a->w[i] : b->sw[i] ? a->w[i] : 0;
}

void simd_psignd(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p)
{
	(void)p;
	for (unsigned i = 0; i < n / 4; i++)
		r->d[i] = b->sd[i] < 0 ? -a->d[i] : b->sd[i] ? a->d[i] : 0;
}

/* PABSB/W/D: the unsigned absolute value of each element of the source (the
 * destination's old value is not read; the most negative value gives 2^(w-1)). */
void simd_pabsb(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p)
{
	(void)a;
	(void)p;
	for (unsigned i = 0; i < n; i++)
		r->b[i] = b->sb[i] < 0 ? (uint8_t)-b->b[i] : b->b[i];
}

void simd_pabsw(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p)
{
	(void)a;
	(void)p;
	for (unsigned i = 0; i < n / 2; i++)
		r->w[i] = b->sw[i] < 0 ? (uint16_t)-b->w[i] : b->w[i];
}

void simd_pabsd(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p)
{
	(void)a;
	(void)p;
	for (unsigned i = 0; i < n / 4; i++)
		r->d[i] = b->sd[i] < 0 ? -b->d[i] : b->d[i];
}

#define SSSE3_HANDLER(name, fn, param)                                                                                 \
	static void name(struct soft_cpu *cpu, const struct insn *in)                                                  \
	{                                                                                                              \
		ssse3_op(cpu, in, fn, param);                                                                          \
	}

SSSE3_HANDLER(h_pshufb, simd_pshufb, 0)
SSSE3_HANDLER(h_palignr, simd_palignr, 0)
SSSE3_HANDLER(h_phaddw, simd_horizontal_words, HOP_ADD)
SSSE3_HANDLER(h_phaddd, simd_horizontal_dwords, HOP_ADD)
SSSE3_HANDLER(h_phaddsw, simd_horizontal_words, HOP_ADD_SATURATE)
SSSE3_HANDLER(h_phsubw, simd_horizontal_words, HOP_SUB)
SSSE3_HANDLER(h_phsubd, simd_horizontal_dwords, HOP_SUB)
SSSE3_HANDLER(h_phsubsw, simd_horizontal_words, HOP_SUB_SATURATE)
SSSE3_HANDLER(h_pmaddubsw, simd_pmaddubsw, 0)
SSSE3_HANDLER(h_pmulhrsw, simd_pmulhrsw, 0)
SSSE3_HANDLER(h_psignb, simd_psignb, 0)
SSSE3_HANDLER(h_psignw, simd_psignw, 0)
SSSE3_HANDLER(h_psignd, simd_psignd, 0)
SSSE3_HANDLER(h_pabsb, simd_pabsb, 0)
SSSE3_HANDLER(h_pabsw, simd_pabsw, 0)
SSSE3_HANDLER(h_pabsd, simd_pabsd, 0)

/* Zydis names the MMX and XMM forms alike; ssse3_op tells them apart. */
const struct dispatch_entry exec_ssse3_table[] = {
	{ ZYDIS_MNEMONIC_PSHUFB, h_pshufb, 0 },
	{ ZYDIS_MNEMONIC_PALIGNR, h_palignr, 0 },
	{ ZYDIS_MNEMONIC_PHADDW, h_phaddw, 0 },
	{ ZYDIS_MNEMONIC_PHADDD, h_phaddd, 0 },
	{ ZYDIS_MNEMONIC_PHADDSW, h_phaddsw, 0 },
	{ ZYDIS_MNEMONIC_PHSUBW, h_phsubw, 0 },
	{ ZYDIS_MNEMONIC_PHSUBD, h_phsubd, 0 },
	{ ZYDIS_MNEMONIC_PHSUBSW, h_phsubsw, 0 },
	{ ZYDIS_MNEMONIC_PMADDUBSW, h_pmaddubsw, 0 },
	{ ZYDIS_MNEMONIC_PMULHRSW, h_pmulhrsw, 0 },
	{ ZYDIS_MNEMONIC_PSIGNB, h_psignb, 0 },
	{ ZYDIS_MNEMONIC_PSIGNW, h_psignw, 0 },
	{ ZYDIS_MNEMONIC_PSIGND, h_psignd, 0 },
	{ ZYDIS_MNEMONIC_PABSB, h_pabsb, 0 },
	{ ZYDIS_MNEMONIC_PABSW, h_pabsw, 0 },
	{ ZYDIS_MNEMONIC_PABSD, h_pabsd, 0 },
	{ 0, NULL, 0 },
};
