/* The VEX forms (AVX, Intel SDM Vol. 2, chapter 5 and each instruction's
 * VEX rows) of the SSE to SSE4.1 floating-point arithmetic, comparisons and
 * conversions, at 128 and 256 bits.
 *
 * Each runs the same operation as its legacy SSE handler (sse_ops.h: the
 * host's SSE instruction under the guest's MXCSR), once per 128-bit lane:
 * the VEX instructions are defined lane by lane (SDM Vol. 1, 14.1), a 256-bit
 * one being its 128-bit operation on both halves. The three-operand form
 * takes the first source from VEX.vvvv and leaves the destination's old
 * value out; a scalar operation keeps bits 32 (or 64) to 127 of the first
 * source, as the host instruction keeps its destination's. The flags of both
 * lanes are folded into MXCSR together, and an unmasked one raises #XM
 * before anything is written (fp_commit); a 128-bit result zeroes bits
 * 128-255 of its register (ymm_set). The host needs nothing beyond SSE4.1. */
#include "engine/softcpu/avx.h"
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/sse_ops.h"

/* ---- lane by lane --------------------------------------------------------------- */

/* a = op(a, b) on the first `bytes` / 16 lanes (fp_run_lanes). */
static void run_lanes(struct soft_cpu *cpu, const struct fp_lane_op *op, ymm_t *a, const ymm_t *b, unsigned bytes)
{
	fp_run_lanes(cpu, op, a->lane, b->lane, bytes / 16);
}

/* dst = op(src1, src2): VADDPS ymm1, ymm2, ymm3/m256 and the scalar forms. */
static void vex_three(struct soft_cpu *cpu, const struct insn *in, const struct fp_lane_op *op)
{
	ymm_t a, b;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	b = avx_src(cpu, in, &in->op[2]);
	run_lanes(cpu, op, &a, &b, in->op[0].size);
	avx_dst(cpu, in, &in->op[0], &a, 0);
}

/* dst = op(src): VSQRTPS ymm1, ymm2/m256 and the like (the host instruction
 * reads only its source). */
static void vex_two(struct soft_cpu *cpu, const struct insn *in, const struct fp_lane_op *op)
{
	ymm_t a;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	run_lanes(cpu, op, &a, &a, in->op[0].size);
	avx_dst(cpu, in, &in->op[0], &a, 0);
}

#define VEX_THREE(name, host, shape)                                                                                   \
	static void name(struct soft_cpu *cpu, const struct insn *in)                                                  \
	{                                                                                                              \
		const struct fp_lane_op op = { host, NULL, 0, shape };                                                 \
		vex_three(cpu, in, &op);                                                                               \
	}
#define VEX_TWO(name, host, shape)                                                                                     \
	static void name(struct soft_cpu *cpu, const struct insn *in)                                                  \
	{                                                                                                              \
		const struct fp_lane_op op = { host, NULL, 0, shape };                                                 \
		vex_two(cpu, in, &op);                                                                                 \
	}

VEX_THREE(h_vaddss, host_addss, FP_SS)
VEX_THREE(h_vaddsd, host_addsd, FP_SD)
VEX_THREE(h_vaddps, host_addps, FP_PS)
VEX_THREE(h_vaddpd, host_addpd, FP_PD)
VEX_THREE(h_vsubss, host_subss, FP_SS)
VEX_THREE(h_vsubsd, host_subsd, FP_SD)
VEX_THREE(h_vsubps, host_subps, FP_PS)
VEX_THREE(h_vsubpd, host_subpd, FP_PD)
VEX_THREE(h_vmulss, host_mulss, FP_SS)
VEX_THREE(h_vmulsd, host_mulsd, FP_SD)
VEX_THREE(h_vmulps, host_mulps, FP_PS)
VEX_THREE(h_vmulpd, host_mulpd, FP_PD)
VEX_THREE(h_vdivss, host_divss, FP_SS)
VEX_THREE(h_vdivsd, host_divsd, FP_SD)
VEX_THREE(h_vdivps, host_divps, FP_PS)
VEX_THREE(h_vdivpd, host_divpd, FP_PD)
VEX_THREE(h_vminss, host_minss, FP_NONE)
VEX_THREE(h_vminsd, host_minsd, FP_NONE)
VEX_THREE(h_vminps, host_minps, FP_NONE)
VEX_THREE(h_vminpd, host_minpd, FP_NONE)
VEX_THREE(h_vmaxss, host_maxss, FP_NONE)
VEX_THREE(h_vmaxsd, host_maxsd, FP_NONE)
VEX_THREE(h_vmaxps, host_maxps, FP_NONE)
VEX_THREE(h_vmaxpd, host_maxpd, FP_NONE)
VEX_THREE(h_vsqrtss, host_sqrtss, FP_NONE)
VEX_THREE(h_vsqrtsd, host_sqrtsd, FP_NONE)
VEX_TWO(h_vsqrtps, host_sqrtps, FP_NONE)
VEX_TWO(h_vsqrtpd, host_sqrtpd, FP_NONE)
/* RCP and RSQRT approximations are the host's own (the SDM bounds their
 * error only): the guest sees this AMD host's values, as with RCPPS. */
VEX_THREE(h_vrcpss, host_rcpss, FP_NONE)
VEX_TWO(h_vrcpps, host_rcpps, FP_NONE)
VEX_THREE(h_vrsqrtss, host_rsqrtss, FP_NONE)
VEX_TWO(h_vrsqrtps, host_rsqrtps, FP_NONE)
VEX_THREE(h_vaddsubps, sse3_addsubps, FP_PS)
VEX_THREE(h_vaddsubpd, sse3_addsubpd, FP_PD)
VEX_THREE(h_vhaddps, sse3_haddps, FP_PS)
VEX_THREE(h_vhaddpd, sse3_haddpd, FP_PD)
VEX_THREE(h_vhsubps, sse3_hsubps, FP_PS)
VEX_THREE(h_vhsubpd, sse3_hsubpd, FP_PD)
VEX_THREE(h_vcvtss2sd, host_cvtss2sd, FP_NONE)
VEX_THREE(h_vcvtsd2ss, host_cvtsd2ss, FP_SS)
VEX_TWO(h_vcvtdq2ps, host_cvtdq2ps, FP_NONE)
VEX_TWO(h_vcvtps2dq, host_cvtps2dq, FP_NONE)
VEX_TWO(h_vcvttps2dq, host_cvttps2dq, FP_NONE)

/* ---- ROUND* and the dot products (imm8) ----------------------------------------- */

/* VROUNDPS/PD ymm1, ymm2/m256, imm8. */
static void vex_two_imm(struct soft_cpu *cpu, const struct insn *in, fp_imm_fn fn)
{
	const struct fp_lane_op op = { NULL, fn, (unsigned)in->op[2].imm & 0xff, FP_NONE };

	vex_two(cpu, in, &op);
}

/* VROUNDSS/SD xmm1, xmm2, xmm3/m, imm8 and VDPPS/VDPPD ymm1, ymm2, ymm3/m256,
 * imm8: the dot products take their steps one by one first when the guest
 * unmasked an exception (exec_sse41.c), both lanes' at once. */
static void vex_three_imm(struct soft_cpu *cpu, const struct insn *in, fp_imm_fn fn, enum fp_shape shape, bool dot)
{
	const struct fp_lane_op op = { NULL, fn, (unsigned)in->op[3].imm & 0xff, shape };
	ymm_t a, b;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	b = avx_src(cpu, in, &in->op[2]);
	if (dot)
		dp_steps_before_last(cpu, a.lane, b.lane, in->op[0].size / 16, op.imm, shape == FP_PS);
	run_lanes(cpu, &op, &a, &b, in->op[0].size);
	avx_dst(cpu, in, &in->op[0], &a, 0);
}

static void h_vroundps(struct soft_cpu *cpu, const struct insn *in)
{
	vex_two_imm(cpu, in, host_roundps);
}

static void h_vroundpd(struct soft_cpu *cpu, const struct insn *in)
{
	vex_two_imm(cpu, in, host_roundpd);
}

static void h_vroundss(struct soft_cpu *cpu, const struct insn *in)
{
	vex_three_imm(cpu, in, host_roundss, FP_NONE, false);
}

static void h_vroundsd(struct soft_cpu *cpu, const struct insn *in)
{
	vex_three_imm(cpu, in, host_roundsd, FP_NONE, false);
}

static void h_vdpps(struct soft_cpu *cpu, const struct insn *in)
{
	vex_three_imm(cpu, in, host_dpps, FP_PS, true);
}

static void h_vdppd(struct soft_cpu *cpu, const struct insn *in)
{
	vex_three_imm(cpu, in, host_dppd, FP_PD, true);
}

/* ---- conversions that change the width ------------------------------------------ */

/* VCVTPS2PD and VCVTDQ2PD: each 128-bit lane of the destination from a
 * quadword (two elements) of the source, xmm2/m64 or xmm2/m128. */
static void widen(struct soft_cpu *cpu, const struct insn *in, fp_fn fn)
{
	ymm_t s, r = { .q = { 0, 0, 0, 0 } };
	uint32_t csr;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	csr = guest_csr(cpu);
	for (unsigned l = 0; l < in->op[0].size / 16u; l++) {
		xmm_t x = { .q = { s.q[l], 0 } };

		fn(&r.lane[l], &x, &csr);
	}
	fp_commit(cpu, csr);
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

/* VCVTPD2PS, VCVT(T)PD2DQ: each 128-bit lane of the source (xmm2/m128 or
 * ymm2/m256) to a quadword of the XMM destination. */
static void narrow(struct soft_cpu *cpu, const struct insn *in, fp_fn fn, enum fp_shape shape)
{
	ymm_t s, r = { .q = { 0, 0, 0, 0 } };
	uint32_t csr, tiny = 0;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	csr = guest_csr(cpu);
	for (unsigned l = 0; l < in->op[1].size / 16u; l++) {
		xmm_t t = { .q = { 0, 0 } };

		fn(&t, &s.lane[l], &csr);
		tiny |= tiny_results(cpu, &t, shape);
		r.q[l] = t.q[0];
	}
	fp_commit(cpu, csr | tiny);
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

static void h_vcvtps2pd(struct soft_cpu *cpu, const struct insn *in)
{
	widen(cpu, in, host_cvtps2pd);
}

static void h_vcvtdq2pd(struct soft_cpu *cpu, const struct insn *in)
{
	widen(cpu, in, host_cvtdq2pd);
}

static void h_vcvtpd2ps(struct soft_cpu *cpu, const struct insn *in)
{
	narrow(cpu, in, host_cvtpd2ps, FP_PS2);
}

static void h_vcvtpd2dq(struct soft_cpu *cpu, const struct insn *in)
{
	narrow(cpu, in, host_cvtpd2dq, FP_NONE);
}

static void h_vcvttpd2dq(struct soft_cpu *cpu, const struct insn *in)
{
	narrow(cpu, in, host_cvttpd2dq, FP_NONE);
}

/* ---- conversions with a general-purpose register --------------------------------- */

/* VCVTSI2SS/SD xmm1, xmm2, r/m32 or r/m64: the rest of the low 128 bits from
 * xmm2. */
static void from_gpr(struct soft_cpu *cpu, const struct insn *in, from_gpr_fn fn32, from_gpr_fn fn64)
{
	const struct operand *s = &in->op[2];
	uint64_t v;
	ymm_t d;

	avx_check(cpu);
	v = op_read(cpu, in, s);
	d = avx_src(cpu, in, &in->op[1]);
	sse_from_gpr(cpu, &d.lane[0], v, s->size, fn32, fn64);
	avx_dst(cpu, in, &in->op[0], &d, 0);
}

static void h_vcvtsi2ss(struct soft_cpu *cpu, const struct insn *in)
{
	from_gpr(cpu, in, host_cvtsi2ss32, host_cvtsi2ss64);
}

static void h_vcvtsi2sd(struct soft_cpu *cpu, const struct insn *in)
{
	from_gpr(cpu, in, host_cvtsi2sd32, host_cvtsi2sd64);
}

/* VCVT(T)SS2SI/VCVT(T)SD2SI r32/r64, xmm1/m. */
static void to_gpr(struct soft_cpu *cpu, const struct insn *in, to_gpr_fn fn32, to_gpr_fn fn64)
{
	ymm_t s;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	sse_to_gpr(cpu, &in->op[0], &s.lane[0], fn32, fn64);
}

static void h_vcvtss2si(struct soft_cpu *cpu, const struct insn *in)
{
	to_gpr(cpu, in, host_cvtss2si32, host_cvtss2si64);
}

static void h_vcvttss2si(struct soft_cpu *cpu, const struct insn *in)
{
	to_gpr(cpu, in, host_cvttss2si32, host_cvttss2si64);
}

static void h_vcvtsd2si(struct soft_cpu *cpu, const struct insn *in)
{
	to_gpr(cpu, in, host_cvtsd2si32, host_cvtsd2si64);
}

static void h_vcvttsd2si(struct soft_cpu *cpu, const struct insn *in)
{
	to_gpr(cpu, in, host_cvttsd2si32, host_cvttsd2si64);
}

/* ---- comparisons ------------------------------------------------------------------- */

/* VCMPPS/PD/SS/SD's 32 predicates (SDM Vol. 2, CMPPS, table 3-1): imm[3:0]
 * picks which of less, equal, greater and unordered are true, imm[4]
 * toggles whether a QNaN operand signals invalid (an SNaN always does). The
 * relation comes from the host's CMPPS predicates EQ, UNORD (quiet) and LT
 * (signalling, both ways round), the flags from the quiet or the signalling
 * one, so DAZ and the denormal flag are the host's. */
#define REL_LT 1u
#define REL_EQ 2u
#define REL_GT 4u
#define REL_UN 8u
static const uint8_t predicate_true[16] = {
	REL_EQ,
	REL_LT,
	REL_LT | REL_EQ,
	REL_UN, /* EQ LT LE UNORD */
	REL_LT | REL_GT | REL_UN,
	REL_GT | REL_EQ | REL_UN,
	REL_GT | REL_UN,
	REL_LT | REL_EQ | REL_GT, /* NEQ NLT NLE ORD */
	REL_EQ | REL_UN,
	REL_LT | REL_UN,
	REL_LT | REL_EQ | REL_UN,
	0, /* EQ_UQ NGE NGT FALSE */
	REL_LT | REL_GT,
	REL_GT | REL_EQ,
	REL_GT,
	0xf, /* NEQ_OQ GE GT TRUE */
};
static const uint16_t predicate_signals = 0x6666; /* 1 2 5 6 9 10 13 14, for imm[4] = 0 */

static bool element(const xmm_t *x, unsigned i, bool single)
{
	return single ? x->d[i] != 0 : x->q[i] != 0;
}

static void compare_lane(xmm_t *a, const xmm_t *b, uint32_t *csr, unsigned pred, bool single)
{
	const fp_fn *host = single ? cmpps_fn : cmppd_fn;
	bool signals = ((predicate_signals >> (pred & 15)) & 1) ^ ((pred >> 4) & 1);
	xmm_t eq = *a, un = *a, lt = *a, gt = *b;
	uint32_t quiet = *csr, loud = *csr;

	host[0](&eq, b, &quiet);
	host[3](&un, b, &quiet);
	host[1](&lt, b, &loud);
	host[1](&gt, a, &loud);
	*csr = signals ? loud : quiet;
	for (unsigned i = 0; i < (single ? 4u : 2u); i++) {
		unsigned rel = (element(&lt, i, single) ? REL_LT : 0) | (element(&eq, i, single) ? REL_EQ : 0) |
			       (element(&gt, i, single) ? REL_GT : 0) | (element(&un, i, single) ? REL_UN : 0);
		bool r = predicate_true[pred & 15] & rel;

		if (single)
			a->d[i] = r ? ~0u : 0;
		else
			a->q[i] = r ? ~0ull : 0;
	}
}

static void h_vcmpps_lane(xmm_t *a, const xmm_t *b, uint32_t *csr, unsigned pred)
{
	compare_lane(a, b, csr, pred, true);
}

static void h_vcmppd_lane(xmm_t *a, const xmm_t *b, uint32_t *csr, unsigned pred)
{
	compare_lane(a, b, csr, pred, false);
}

/* The scalar forms compare the low elements alone (the others are +0.0,
 * which raise nothing) and keep the rest of the first source. */
static void h_vcmpss_lane(xmm_t *a, const xmm_t *b, uint32_t *csr, unsigned pred)
{
	xmm_t x = { .d = { a->d[0], 0, 0, 0 } }, y = { .d = { b->d[0], 0, 0, 0 } };

	compare_lane(&x, &y, csr, pred, true);
	a->d[0] = x.d[0];
}

static void h_vcmpsd_lane(xmm_t *a, const xmm_t *b, uint32_t *csr, unsigned pred)
{
	xmm_t x = { .q = { a->q[0], 0 } }, y = { .q = { b->q[0], 0 } };

	compare_lane(&x, &y, csr, pred, false);
	a->q[0] = x.q[0];
}

static void h_vcmpps(struct soft_cpu *cpu, const struct insn *in)
{
	vex_three_imm(cpu, in, h_vcmpps_lane, FP_NONE, false);
}

static void h_vcmppd(struct soft_cpu *cpu, const struct insn *in)
{
	vex_three_imm(cpu, in, h_vcmppd_lane, FP_NONE, false);
}

static void h_vcmpss(struct soft_cpu *cpu, const struct insn *in)
{
	vex_three_imm(cpu, in, h_vcmpss_lane, FP_NONE, false);
}

static void h_vcmpsd(struct soft_cpu *cpu, const struct insn *in)
{
	vex_three_imm(cpu, in, h_vcmpsd_lane, FP_NONE, false);
}

/* VCOMISS/VCOMISD/VUCOMISS/VUCOMISD xmm1, xmm2/m: ZF, PF, CF. */
static void compare_into_flags(struct soft_cpu *cpu, const struct insn *in, fp_compare_fn fn)
{
	ymm_t a, b;

	avx_check(cpu);
	b = avx_src(cpu, in, &in->op[1]);
	a = avx_src(cpu, in, &in->op[0]);
	sse_compare_into_flags(cpu, &a.lane[0], &b.lane[0], fn);
}

static void h_vcomiss(struct soft_cpu *cpu, const struct insn *in)
{
	compare_into_flags(cpu, in, host_comiss);
}

static void h_vcomisd(struct soft_cpu *cpu, const struct insn *in)
{
	compare_into_flags(cpu, in, host_comisd);
}

static void h_vucomiss(struct soft_cpu *cpu, const struct insn *in)
{
	compare_into_flags(cpu, in, host_ucomiss);
}

static void h_vucomisd(struct soft_cpu *cpu, const struct insn *in)
{
	compare_into_flags(cpu, in, host_ucomisd);
}

const struct dispatch_entry exec_avx_fp_table[] = {
	{ ZYDIS_MNEMONIC_VADDSS, h_vaddss, 0 },
	{ ZYDIS_MNEMONIC_VADDSD, h_vaddsd, 0 },
	{ ZYDIS_MNEMONIC_VADDPS, h_vaddps, 0 },
	{ ZYDIS_MNEMONIC_VADDPD, h_vaddpd, 0 },
	{ ZYDIS_MNEMONIC_VSUBSS, h_vsubss, 0 },
	{ ZYDIS_MNEMONIC_VSUBSD, h_vsubsd, 0 },
	{ ZYDIS_MNEMONIC_VSUBPS, h_vsubps, 0 },
	{ ZYDIS_MNEMONIC_VSUBPD, h_vsubpd, 0 },
	{ ZYDIS_MNEMONIC_VMULSS, h_vmulss, 0 },
	{ ZYDIS_MNEMONIC_VMULSD, h_vmulsd, 0 },
	{ ZYDIS_MNEMONIC_VMULPS, h_vmulps, 0 },
	{ ZYDIS_MNEMONIC_VMULPD, h_vmulpd, 0 },
	{ ZYDIS_MNEMONIC_VDIVSS, h_vdivss, 0 },
	{ ZYDIS_MNEMONIC_VDIVSD, h_vdivsd, 0 },
	{ ZYDIS_MNEMONIC_VDIVPS, h_vdivps, 0 },
	{ ZYDIS_MNEMONIC_VDIVPD, h_vdivpd, 0 },
	{ ZYDIS_MNEMONIC_VMINSS, h_vminss, 0 },
	{ ZYDIS_MNEMONIC_VMINSD, h_vminsd, 0 },
	{ ZYDIS_MNEMONIC_VMINPS, h_vminps, 0 },
	{ ZYDIS_MNEMONIC_VMINPD, h_vminpd, 0 },
	{ ZYDIS_MNEMONIC_VMAXSS, h_vmaxss, 0 },
	{ ZYDIS_MNEMONIC_VMAXSD, h_vmaxsd, 0 },
	{ ZYDIS_MNEMONIC_VMAXPS, h_vmaxps, 0 },
	{ ZYDIS_MNEMONIC_VMAXPD, h_vmaxpd, 0 },
	{ ZYDIS_MNEMONIC_VSQRTSS, h_vsqrtss, 0 },
	{ ZYDIS_MNEMONIC_VSQRTSD, h_vsqrtsd, 0 },
	{ ZYDIS_MNEMONIC_VSQRTPS, h_vsqrtps, 0 },
	{ ZYDIS_MNEMONIC_VSQRTPD, h_vsqrtpd, 0 },
	{ ZYDIS_MNEMONIC_VRCPSS, h_vrcpss, 0 },
	{ ZYDIS_MNEMONIC_VRCPPS, h_vrcpps, 0 },
	{ ZYDIS_MNEMONIC_VRSQRTSS, h_vrsqrtss, 0 },
	{ ZYDIS_MNEMONIC_VRSQRTPS, h_vrsqrtps, 0 },
	{ ZYDIS_MNEMONIC_VADDSUBPS, h_vaddsubps, 0 },
	{ ZYDIS_MNEMONIC_VADDSUBPD, h_vaddsubpd, 0 },
	{ ZYDIS_MNEMONIC_VHADDPS, h_vhaddps, 0 },
	{ ZYDIS_MNEMONIC_VHADDPD, h_vhaddpd, 0 },
	{ ZYDIS_MNEMONIC_VHSUBPS, h_vhsubps, 0 },
	{ ZYDIS_MNEMONIC_VHSUBPD, h_vhsubpd, 0 },
	{ ZYDIS_MNEMONIC_VROUNDPS, h_vroundps, 0 },
	{ ZYDIS_MNEMONIC_VROUNDPD, h_vroundpd, 0 },
	{ ZYDIS_MNEMONIC_VROUNDSS, h_vroundss, 0 },
	{ ZYDIS_MNEMONIC_VROUNDSD, h_vroundsd, 0 },
	{ ZYDIS_MNEMONIC_VDPPS, h_vdpps, 0 },
	{ ZYDIS_MNEMONIC_VDPPD, h_vdppd, 0 },
	{ ZYDIS_MNEMONIC_VCMPPS, h_vcmpps, 0 },
	{ ZYDIS_MNEMONIC_VCMPPD, h_vcmppd, 0 },
	{ ZYDIS_MNEMONIC_VCMPSS, h_vcmpss, 0 },
	{ ZYDIS_MNEMONIC_VCMPSD, h_vcmpsd, 0 },
	{ ZYDIS_MNEMONIC_VCOMISS, h_vcomiss, 0 },
	{ ZYDIS_MNEMONIC_VCOMISD, h_vcomisd, 0 },
	{ ZYDIS_MNEMONIC_VUCOMISS, h_vucomiss, 0 },
	{ ZYDIS_MNEMONIC_VUCOMISD, h_vucomisd, 0 },
	{ ZYDIS_MNEMONIC_VCVTSS2SD, h_vcvtss2sd, 0 },
	{ ZYDIS_MNEMONIC_VCVTSD2SS, h_vcvtsd2ss, 0 },
	{ ZYDIS_MNEMONIC_VCVTPS2PD, h_vcvtps2pd, 0 },
	{ ZYDIS_MNEMONIC_VCVTPD2PS, h_vcvtpd2ps, 0 },
	{ ZYDIS_MNEMONIC_VCVTDQ2PS, h_vcvtdq2ps, 0 },
	{ ZYDIS_MNEMONIC_VCVTDQ2PD, h_vcvtdq2pd, 0 },
	{ ZYDIS_MNEMONIC_VCVTPS2DQ, h_vcvtps2dq, 0 },
	{ ZYDIS_MNEMONIC_VCVTTPS2DQ, h_vcvttps2dq, 0 },
	{ ZYDIS_MNEMONIC_VCVTPD2DQ, h_vcvtpd2dq, 0 },
	{ ZYDIS_MNEMONIC_VCVTTPD2DQ, h_vcvttpd2dq, 0 },
	{ ZYDIS_MNEMONIC_VCVTSI2SS, h_vcvtsi2ss, 0 },
	{ ZYDIS_MNEMONIC_VCVTSI2SD, h_vcvtsi2sd, 0 },
	{ ZYDIS_MNEMONIC_VCVTSS2SI, h_vcvtss2si, 0 },
	{ ZYDIS_MNEMONIC_VCVTTSS2SI, h_vcvttss2si, 0 },
	{ ZYDIS_MNEMONIC_VCVTSD2SI, h_vcvtsd2si, 0 },
	{ ZYDIS_MNEMONIC_VCVTTSD2SI, h_vcvttsd2si, 0 },
	{ 0, NULL, 0 },
};
