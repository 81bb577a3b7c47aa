/* The VEX forms (AVX, Intel SDM Vol. 2) of the SSE to SSE4.1 floating-point
 * moves, bitwise operations, unpacks, shuffles, blends and element inserts
 * and extracts, VTESTPS/PD, and VLDMXCSR/VSTMXCSR. None computes with floating
 * point, so none raises a SIMD exception: they are done in C, each 128-bit
 * lane of a 256-bit operand as the 128-bit form does it (SDM Vol. 1, 14.1).
 * A VEX.128 destination register has bits 128-255 zeroed (ymm_set). Only
 * VMOVAPS/VMOVAPD and VMOVNTPS/PD need an aligned memory operand (#GP(0),
 * SDM Vol. 2, 2.5, table 2-4); the full-width moves are avx.c's, shared with
 * the integer ones. */
#include <string.h>

#include "engine/softcpu/avx.h"
#include "engine/softcpu/flags.h"
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/sse_ops.h"

/* ---- moves ------------------------------------------------------------------------- */

/* VMOVSS/VMOVSD: xmm1, xmm2, xmm3 takes the low element of xmm3 and the rest
 * of xmm2; a load zeroes the rest of the register; a store writes the low
 * element. */
static void move_scalar(struct soft_cpu *cpu, const struct insn *in, unsigned size)
{
	ymm_t v;

	avx_check(cpu);
	if (in->nops == 3) {
		ymm_t low = avx_src(cpu, in, &in->op[2]);

		v = avx_src(cpu, in, &in->op[1]);
		memcpy(v.b, low.b, size);
		avx_dst(cpu, in, &in->op[0], &v, 0);
		return;
	}
	v = avx_src(cpu, in, &in->op[1]);
	if (in->op[0].kind == OK_XMM)
		ymm_set(cpu, in->op[0].reg, &v, 16);
	else /* one access: #AC before #PF, as the host has it */
		op_write(cpu, in, &in->op[0], v.q[0]);
}

static void h_vmovss(struct soft_cpu *cpu, const struct insn *in)
{
	move_scalar(cpu, in, 4);
}

static void h_vmovsd(struct soft_cpu *cpu, const struct insn *in)
{
	move_scalar(cpu, in, 8);
}

/* VMOVLPS/LPD/HPS/HPD xmm1, xmm2, m64: that half from memory, the other from
 * xmm2; the store forms write that half. */
static void move_half(struct soft_cpu *cpu, const struct insn *in, unsigned half)
{
	ymm_t v;

	avx_check(cpu);
	if (in->nops == 3) {
		v = avx_src(cpu, in, &in->op[1]);
		v.q[half] = avx_src(cpu, in, &in->op[2]).q[0];
		avx_dst(cpu, in, &in->op[0], &v, 0);
		return;
	}
	v = avx_src(cpu, in, &in->op[1]);
	op_write(cpu, in, &in->op[0], v.q[half]);
}

static void h_vmove_low(struct soft_cpu *cpu, const struct insn *in)
{
	move_half(cpu, in, 0);
}

static void h_vmove_high(struct soft_cpu *cpu, const struct insn *in)
{
	move_half(cpu, in, 1);
}

/* VMOVHLPS xmm1, xmm2, xmm3: (xmm3.high, xmm2.high); VMOVLHPS: (xmm2.low,
 * xmm3.low). */
static void h_vmovhlps(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t a, b;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	b = avx_src(cpu, in, &in->op[2]);
	a.q[0] = b.q[1];
	avx_dst(cpu, in, &in->op[0], &a, 0);
}

static void h_vmovlhps(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t a, b;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	b = avx_src(cpu, in, &in->op[2]);
	a.q[1] = b.q[0];
	avx_dst(cpu, in, &in->op[0], &a, 0);
}

/* VMOVSLDUP (first = 0) and VMOVSHDUP (first = 1): in each lane, doublewords
 * first and first + 2, each twice; VMOVDDUP: each lane's low quadword twice
 * (its 128-bit form reads an m64). */
static void dup_singles(struct soft_cpu *cpu, const struct insn *in, unsigned first)
{
	ymm_t s, r;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	for (unsigned i = 0; i < 8; i += 2)
		r.d[i] = r.d[i + 1] = s.d[i + first];
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

static void h_vmovsldup(struct soft_cpu *cpu, const struct insn *in)
{
	dup_singles(cpu, in, 0);
}

static void h_vmovshdup(struct soft_cpu *cpu, const struct insn *in)
{
	dup_singles(cpu, in, 1);
}

static void h_vmovddup(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t s;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	s.q[1] = s.q[0];
	s.q[3] = s.q[2];
	avx_dst(cpu, in, &in->op[0], &s, 0);
}

/* VMOVMSKPS/PD r32/r64, xmm/ymm: the sign bits, zero-extended. */
static void move_mask(struct soft_cpu *cpu, const struct insn *in, unsigned size)
{
	const struct operand *s = &in->op[1];
	uint64_t mask = 0;
	ymm_t v;

	avx_check(cpu);
	v = avx_src(cpu, in, s);
	for (unsigned i = 0; i < s->size / size; i++)
		if (v.b[i * size + size - 1] & 0x80)
			mask |= 1u << i;
	reg_write(cpu, in->op[0].reg, in->op[0].size, mask);
}

static void h_vmovmskps(struct soft_cpu *cpu, const struct insn *in)
{
	move_mask(cpu, in, 4);
}

static void h_vmovmskpd(struct soft_cpu *cpu, const struct insn *in)
{
	move_mask(cpu, in, 8);
}

/* ---- bitwise ------------------------------------------------------------------------ */

enum bitwise { BW_AND, BW_ANDN, BW_OR, BW_XOR };

/* VANDPS ... VXORPD dst, src1, src2: VANDN is (NOT src1) AND src2. */
static void bitwise(struct soft_cpu *cpu, const struct insn *in, enum bitwise op)
{
	ymm_t a, b;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	b = avx_src(cpu, in, &in->op[2]);
	for (unsigned i = 0; i < 4; i++) {
		switch (op) {
		case BW_AND:
			a.q[i] &= b.q[i];
			break;
		case BW_ANDN:
			a.q[i] = ~a.q[i] & b.q[i];
			break;
		case BW_OR:
			a.q[i] |= b.q[i];
			break;
		case BW_XOR:
			a.q[i] ^= b.q[i];
			break;
		}
	}
	avx_dst(cpu, in, &in->op[0], &a, 0);
}

static void h_vand(struct soft_cpu *cpu, const struct insn *in)
{
	bitwise(cpu, in, BW_AND);
}

static void h_vandn(struct soft_cpu *cpu, const struct insn *in)
{
	bitwise(cpu, in, BW_ANDN);
}

static void h_vor(struct soft_cpu *cpu, const struct insn *in)
{
	bitwise(cpu, in, BW_OR);
}

static void h_vxor(struct soft_cpu *cpu, const struct insn *in)
{
	bitwise(cpu, in, BW_XOR);
}

/* ---- unpacks, shuffles, blends (lane by lane, imm8 or a mask register) --------------- */

/* r = fn(lane of src1, lane of src2, imm, lane number) on each lane. */
typedef xmm_t (*lane_fn)(const xmm_t *a, const xmm_t *b, unsigned imm, unsigned lane);

static void by_lane(struct soft_cpu *cpu, const struct insn *in, lane_fn fn)
{
	unsigned imm = in->nops > 3 && in->op[3].kind == OK_IMM ? (unsigned)in->op[3].imm & 0xff : 0;
	ymm_t a, b, r;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	b = avx_src(cpu, in, &in->op[2]);
	if (in->nops > 3 && in->op[3].kind == OK_XMM) { /* VBLENDV: the mask's sign bits */
		ymm_t m = avx_src(cpu, in, &in->op[3]);

		imm = 0;
		for (unsigned i = 0; i < 8; i++)
			imm |= (m.d[i] >> 31) << i;
	}
	for (unsigned l = 0; l < in->op[0].size / 16u; l++)
		r.lane[l] = fn(&a.lane[l], &b.lane[l], imm, l);
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

static xmm_t unpcklps(const xmm_t *a, const xmm_t *b, unsigned imm, unsigned lane)
{
	(void)imm;
	(void)lane;
	return (xmm_t){ .d = { a->d[0], b->d[0], a->d[1], b->d[1] } };
}

static xmm_t unpckhps(const xmm_t *a, const xmm_t *b, unsigned imm, unsigned lane)
{
	(void)imm;
	(void)lane;
	return (xmm_t){ .d = { a->d[2], b->d[2], a->d[3], b->d[3] } };
}

static xmm_t unpcklpd(const xmm_t *a, const xmm_t *b, unsigned imm, unsigned lane)
{
	(void)imm;
	(void)lane;
	return (xmm_t){ .q = { a->q[0], b->q[0] } };
}

static xmm_t unpckhpd(const xmm_t *a, const xmm_t *b, unsigned imm, unsigned lane)
{
	(void)imm;
	(void)lane;
	return (xmm_t){ .q = { a->q[1], b->q[1] } };
}

/* VSHUFPS: the same imm8 in each lane; VSHUFPD: two bits per lane. */
static xmm_t shufps(const xmm_t *a, const xmm_t *b, unsigned imm, unsigned lane)
{
	(void)lane;
	return (xmm_t){ .d = { a->d[imm & 3], a->d[(imm >> 2) & 3], b->d[(imm >> 4) & 3], b->d[(imm >> 6) & 3] } };
}

static xmm_t shufpd(const xmm_t *a, const xmm_t *b, unsigned imm, unsigned lane)
{
	imm >>= 2 * lane;
	return (xmm_t){ .q = { a->q[imm & 1], b->q[(imm >> 1) & 1] } };
}

/* VBLENDPS/PD (imm8: a bit per element over the whole register; AVX2's
 * VPBLENDD is VBLENDPS) and VBLENDVPS/PD (the mask register's sign bits):
 * element from src2 where set. */
static xmm_t blendps(const xmm_t *a, const xmm_t *b, unsigned imm, unsigned lane)
{
	xmm_t r = *a;

	for (unsigned i = 0; i < 4; i++)
		if ((imm >> (4 * lane + i)) & 1)
			r.d[i] = b->d[i];
	return r;
}

static xmm_t blendpd(const xmm_t *a, const xmm_t *b, unsigned imm, unsigned lane)
{
	xmm_t r = *a;

	for (unsigned i = 0; i < 2; i++)
		if ((imm >> (2 * lane + i)) & 1)
			r.q[i] = b->q[i];
	return r;
}

#define BY_LANE(name, fn)                                                                                              \
	static void name(struct soft_cpu *cpu, const struct insn *in)                                                  \
	{                                                                                                              \
		by_lane(cpu, in, fn);                                                                                  \
	}

BY_LANE(h_vunpcklps, unpcklps)
BY_LANE(h_vunpckhps, unpckhps)
BY_LANE(h_vunpcklpd, unpcklpd)
BY_LANE(h_vunpckhpd, unpckhpd)
BY_LANE(h_vshufps, shufps)
BY_LANE(h_vshufpd, shufpd)
BY_LANE(h_vblendps, blendps)
BY_LANE(h_vblendvps, blendps)

/* VBLENDVPD's mask is the sign of each quadword: the odd doublewords'. */
static void h_vblendpd(struct soft_cpu *cpu, const struct insn *in)
{
	by_lane(cpu, in, blendpd);
}

static xmm_t blendvpd(const xmm_t *a, const xmm_t *b, unsigned sel, unsigned lane)
{
	xmm_t r = *a;

	for (unsigned i = 0; i < 2; i++)
		if ((sel >> (4 * lane + 2 * i + 1)) & 1)
			r.q[i] = b->q[i];
	return r;
}

BY_LANE(h_vblendvpd, blendvpd)

/* ---- element insert and extract ---------------------------------------------------- */

/* VINSERTPS xmm1, xmm2, xmm3/m32, imm8: xmm2 with a float (element imm[7:6]
 * of xmm3, or m32) at imm[5:4], then the elements of imm[3:0] cleared. */
static void h_vinsertps(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned imm = (unsigned)in->op[3].imm;
	ymm_t d, s;

	avx_check(cpu);
	d = avx_src(cpu, in, &in->op[1]);
	s = avx_src(cpu, in, &in->op[2]);
	d.d[(imm >> 4) & 3] = s.d[in->op[2].kind == OK_XMM ? (imm >> 6) & 3 : 0];
	for (unsigned i = 0; i < 4; i++)
		if (imm & (1u << i))
			d.d[i] = 0;
	avx_dst(cpu, in, &in->op[0], &d, 0);
}

/* VEXTRACTPS r32/r64/m32, xmm1, imm8: element imm[1:0], zero-extended. */
static void h_vextractps(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t s;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	op_write(cpu, in, &in->op[0], s.d[in->op[2].imm & 3]);
}

/* ---- VTESTPS/PD ---------------------------------------------------------------------- */

/* ZF: no element of src1 AND src2 has its sign set; CF: none of (NOT src1)
 * AND src2; AF OF PF SF cleared. */
static void vtest(struct soft_cpu *cpu, const struct insn *in, uint64_t sign)
{
	uint64_t and_bits = 0, andn_bits = 0, f = 0;
	ymm_t a, b;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[0]);
	b = avx_src(cpu, in, &in->op[1]);
	for (unsigned i = 0; i < 4; i++) {
		and_bits |= a.q[i] & b.q[i] & sign;
		andn_bits |= ~a.q[i] & b.q[i] & sign;
	}
	if (!and_bits)
		f |= RFLAGS_ZF;
	if (!andn_bits)
		f |= RFLAGS_CF;
	flags_set_arith(cpu, f);
}

static void h_vtestps(struct soft_cpu *cpu, const struct insn *in)
{
	vtest(cpu, in, 0x8000000080000000ull);
}

static void h_vtestpd(struct soft_cpu *cpu, const struct insn *in)
{
	vtest(cpu, in, 0x8000000000000000ull);
}

/* ---- MXCSR ------------------------------------------------------------------------- */

static void h_vldmxcsr(struct soft_cpu *cpu, const struct insn *in)
{
	avx_check(cpu);
	mxcsr_load(cpu, in);
}

static void h_vstmxcsr(struct soft_cpu *cpu, const struct insn *in)
{
	avx_check(cpu);
	mxcsr_store(cpu, in);
}

const struct dispatch_entry exec_avx_move_table[] = {
	{ ZYDIS_MNEMONIC_VMOVAPS, avx_move_aligned, 0 },
	{ ZYDIS_MNEMONIC_VMOVAPD, avx_move_aligned, 0 },
	{ ZYDIS_MNEMONIC_VMOVNTPS, avx_move_aligned, 0 },
	{ ZYDIS_MNEMONIC_VMOVNTPD, avx_move_aligned, 0 },
	{ ZYDIS_MNEMONIC_VMOVUPS, avx_move_unaligned, 0 },
	{ ZYDIS_MNEMONIC_VMOVUPD, avx_move_unaligned, 0 },
	{ ZYDIS_MNEMONIC_VMOVSS, h_vmovss, 0 },
	{ ZYDIS_MNEMONIC_VMOVSD, h_vmovsd, 0 },
	{ ZYDIS_MNEMONIC_VMOVLPS, h_vmove_low, 0 },
	{ ZYDIS_MNEMONIC_VMOVLPD, h_vmove_low, 0 },
	{ ZYDIS_MNEMONIC_VMOVHPS, h_vmove_high, 0 },
	{ ZYDIS_MNEMONIC_VMOVHPD, h_vmove_high, 0 },
	{ ZYDIS_MNEMONIC_VMOVHLPS, h_vmovhlps, 0 },
	{ ZYDIS_MNEMONIC_VMOVLHPS, h_vmovlhps, 0 },
	{ ZYDIS_MNEMONIC_VMOVSLDUP, h_vmovsldup, 0 },
	{ ZYDIS_MNEMONIC_VMOVSHDUP, h_vmovshdup, 0 },
	{ ZYDIS_MNEMONIC_VMOVDDUP, h_vmovddup, 0 },
	{ ZYDIS_MNEMONIC_VMOVMSKPS, h_vmovmskps, 0 },
	{ ZYDIS_MNEMONIC_VMOVMSKPD, h_vmovmskpd, 0 },
	{ ZYDIS_MNEMONIC_VANDPS, h_vand, 0 },
	{ ZYDIS_MNEMONIC_VANDPD, h_vand, 0 },
	{ ZYDIS_MNEMONIC_VANDNPS, h_vandn, 0 },
	{ ZYDIS_MNEMONIC_VANDNPD, h_vandn, 0 },
	{ ZYDIS_MNEMONIC_VORPS, h_vor, 0 },
	{ ZYDIS_MNEMONIC_VORPD, h_vor, 0 },
	{ ZYDIS_MNEMONIC_VXORPS, h_vxor, 0 },
	{ ZYDIS_MNEMONIC_VXORPD, h_vxor, 0 },
	{ ZYDIS_MNEMONIC_VUNPCKLPS, h_vunpcklps, 0 },
	{ ZYDIS_MNEMONIC_VUNPCKHPS, h_vunpckhps, 0 },
	{ ZYDIS_MNEMONIC_VUNPCKLPD, h_vunpcklpd, 0 },
	{ ZYDIS_MNEMONIC_VUNPCKHPD, h_vunpckhpd, 0 },
	{ ZYDIS_MNEMONIC_VSHUFPS, h_vshufps, 0 },
	{ ZYDIS_MNEMONIC_VSHUFPD, h_vshufpd, 0 },
	{ ZYDIS_MNEMONIC_VBLENDPS, h_vblendps, 0 },
	{ ZYDIS_MNEMONIC_VPBLENDD, h_vblendps, 0 }, /* AVX2: the same operation on doublewords */
	{ ZYDIS_MNEMONIC_VBLENDPD, h_vblendpd, 0 },
	{ ZYDIS_MNEMONIC_VBLENDVPS, h_vblendvps, 0 },
	{ ZYDIS_MNEMONIC_VBLENDVPD, h_vblendvpd, 0 },
	{ ZYDIS_MNEMONIC_VINSERTPS, h_vinsertps, 0 },
	{ ZYDIS_MNEMONIC_VEXTRACTPS, h_vextractps, 0 },
	{ ZYDIS_MNEMONIC_VTESTPS, h_vtestps, 0 },
	{ ZYDIS_MNEMONIC_VTESTPD, h_vtestpd, 0 },
	{ ZYDIS_MNEMONIC_VLDMXCSR, h_vldmxcsr, 0 },
	{ ZYDIS_MNEMONIC_VSTMXCSR, h_vstmxcsr, 0 },
	{ 0, NULL, 0 },
};
