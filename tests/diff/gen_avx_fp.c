/* The VEX floating-point families: AVX's forms of the SSE to SSE4.1
 * floating-point instructions, at 128 and 256 bits, under a random MXCSR
 * (rounding, DAZ, FZ; exceptions masked, or some unmasked where only the
 * native reference runs, gen_random_csr); F16C; FMA3; and the moves,
 * shuffles, blends, permutes, broadcasts, inserts and extracts, VMASKMOV
 * and VTEST.
 *
 * Every unit loads the YMM registers it reads, whole (each 128-bit lane
 * through XMM15 and VINSERTF128), and shows the destination whole, its upper
 * lane through VEXTRACTF128, so that a VEX.128 result's zeroed upper half is
 * compared too; flags and GPR results are compared as they are. A unit that
 * changes MXCSR sets it first and puts back 0x1f80 at its end.
 *
 * Memory operands: vectors 16-byte aligned (the AMD host's #AC for a
 * 16- or 32-byte access 8 past a 16-byte boundary is not modelled,
 * docs/cpu-model.md), scalars anywhere; now and then in or into the unmapped
 * page after the data page (#PF). VMOVAPS/VMOVAPD/VMOVNTPS/VMOVNTPD of 32
 * bytes at a 16-aligned address raise #GP(0) half the time, generated only
 * where the native reference runs alone (the nested kvm turns such a #GP
 * into #UD, README.md). */
#include "gen_internal.h"

#include <string.h>

#include "guest_image.h"

/* ---- loading and showing YMM registers ------------------------------------------- */

/* As gen_internal.h has them for every YMM family: units use YMM0 to
 * YMM_USED - 1; XMM15 (TEMP_HI) is the temporary. */

/* xmmN = v:v through a GPR (legacy SSE: bits 128-255 kept). */
static bool load_lane(struct gen *g, unsigned n, uint64_t v)
{
	unsigned r = gen_reg(g, 8, true);

	return gen_emit_setup(g, r, (int64_t)v) &&
	       gen_emit_two(g, ZYDIS_MNEMONIC_MOVQ, gen_xmm_reg(n), gen_gpr(8, r)) &&
	       gen_emit_two(g, ZYDIS_MNEMONIC_PUNPCKLQDQ, gen_xmm_reg(n), gen_xmm_reg(n));
}

static bool vinsert_upper(struct gen *g, unsigned n, unsigned from)
{
	ZydisEncoderRequest q;

	gen_req_init(&q, ZYDIS_MNEMONIC_VINSERTF128);
	gen_add_reg(&q, gen_vreg(n, 32));
	gen_add_reg(&q, gen_vreg(n, 32));
	gen_add_reg(&q, gen_xmm_reg(from));
	gen_add_imm(&q, 1);
	return gen_emit(g, &q, 0, 0, 0);
}

/* YMMn, all 256 bits, from value(); the two lanes differ. */
static bool load_ymm(struct gen *g, unsigned n, uint64_t (*value)(struct gen *g))
{
	return load_lane(g, TEMP_HI, value(g)) && load_lane(g, n, value(g)) && vinsert_upper(g, n, TEMP_HI);
}

/* The whole of YMMn: the upper lane first (VEXTRACTF128 into XMM15), then
 * both lanes' quadwords. */
static bool show_ymm(struct gen *g, unsigned n)
{
	ZydisEncoderRequest q;

	gen_req_init(&q, ZYDIS_MNEMONIC_VEXTRACTF128);
	gen_add_reg(&q, gen_xmm_reg(TEMP_HI));
	gen_add_reg(&q, gen_vreg(n, 32));
	gen_add_imm(&q, 1);
	return gen_emit(g, &q, 0, 0, 0) && gen_show_xmm(g, n) && gen_show_xmm(g, TEMP_HI);
}

static uint64_t bits_value(struct gen *g)
{
	return gen_value(&g->r);
}

/* Memory of size bytes: vectors 16-byte aligned, scalars anywhere; in a unit
 * that changes MXCSR (csr) aligned and never aimed to fault, so that no #AC
 * or #PF leaves MXCSR changed for the next sequence on the kvm reference
 * (README.md), except where the native reference runs alone. */
static bool vmem(struct gen *g, unsigned size, bool csr, ZydisEncoderOperand *op, ZydisInstructionAttributes *prefixes)
{
	bool native_only = gen_unmasked_simd_allowed;

	return gen_sse_mem(g, size, size >= 16 || (csr && !native_only), !csr || native_only, 0, op, prefixes);
}

/* A source of width bytes: a register (loaded) or memory of mem_size bytes
 * (vmem). */
static bool vsource(struct gen *g, ZydisEncoderRequest *q, unsigned width, unsigned mem_size, bool csr,
		    uint64_t (*value)(struct gen *g), bool *mem)
{
	ZydisEncoderOperand m;
	unsigned s = rng_below(&g->r, YMM_USED);

	*mem = rng_chance(&g->r, 1, 3);
	if (!*mem) {
		if (!load_ymm(g, s, value))
			return false;
		gen_add_reg(q, gen_vreg(s, width));
		return true;
	}
	if (!vmem(g, mem_size, csr, &m, &q->prefixes))
		return false;
	gen_add_op(q, &m);
	return true;
}

/* ---- the arithmetic: one instruction under a random MXCSR --------------------------- */

enum form {
	P3,	  /* dst, src1, src2/m (packed, 128 or 256) */
	P2,	  /* dst, src/m */
	S3,	  /* xmm dst, xmm src1, xmm/m32 or m64 src2 */
	WIDEN,	  /* dst, xmm/m half the width (VCVTPS2PD, VCVTDQ2PD, VCVTPH2PS) */
	NARROW,	  /* xmm dst, src/m (VCVTPD2PS, VCVT(T)PD2DQ) */
	PS2PH,	  /* xmm/m dst, src, imm */
	TO_GPR,	  /* r32/r64, xmm/m */
	FROM_GPR, /* xmm, xmm, r/m32 or r/m64 */
	COMI,	  /* xmm, xmm/m: flags */
};

struct fp_op {
	ZydisMnemonic m;
	enum form form;
	unsigned elem; /* scalar element or conversion source size */
	bool imm;
	bool only128;
};

static const struct fp_op fp_ops[] = {
	{ ZYDIS_MNEMONIC_VADDPS, P3, 4, false, false },
	{ ZYDIS_MNEMONIC_VADDPD, P3, 8, false, false },
	{ ZYDIS_MNEMONIC_VSUBPS, P3, 4, false, false },
	{ ZYDIS_MNEMONIC_VMULPD, P3, 8, false, false },
	{ ZYDIS_MNEMONIC_VDIVPS, P3, 4, false, false },
	{ ZYDIS_MNEMONIC_VDIVPD, P3, 8, false, false },
	{ ZYDIS_MNEMONIC_VMINPS, P3, 4, false, false },
	{ ZYDIS_MNEMONIC_VMAXPD, P3, 8, false, false },
	{ ZYDIS_MNEMONIC_VADDSS, S3, 4, false, false },
	{ ZYDIS_MNEMONIC_VSUBSD, S3, 8, false, false },
	{ ZYDIS_MNEMONIC_VMULSS, S3, 4, false, false },
	{ ZYDIS_MNEMONIC_VDIVSD, S3, 8, false, false },
	{ ZYDIS_MNEMONIC_VMINSD, S3, 8, false, false },
	{ ZYDIS_MNEMONIC_VMAXSS, S3, 4, false, false },
	{ ZYDIS_MNEMONIC_VSQRTPS, P2, 4, false, false },
	{ ZYDIS_MNEMONIC_VSQRTPD, P2, 8, false, false },
	{ ZYDIS_MNEMONIC_VSQRTSS, S3, 4, false, false },
	{ ZYDIS_MNEMONIC_VSQRTSD, S3, 8, false, false },
	{ ZYDIS_MNEMONIC_VRCPPS, P2, 4, false, false },
	{ ZYDIS_MNEMONIC_VRSQRTPS, P2, 4, false, false },
	{ ZYDIS_MNEMONIC_VRCPSS, S3, 4, false, false },
	{ ZYDIS_MNEMONIC_VRSQRTSS, S3, 4, false, false },
	{ ZYDIS_MNEMONIC_VADDSUBPS, P3, 4, false, false },
	{ ZYDIS_MNEMONIC_VADDSUBPD, P3, 8, false, false },
	{ ZYDIS_MNEMONIC_VHADDPS, P3, 4, false, false },
	{ ZYDIS_MNEMONIC_VHSUBPD, P3, 8, false, false },
	{ ZYDIS_MNEMONIC_VCMPPS, P3, 4, true, false },
	{ ZYDIS_MNEMONIC_VCMPPD, P3, 8, true, false },
	{ ZYDIS_MNEMONIC_VCMPSS, S3, 4, true, false },
	{ ZYDIS_MNEMONIC_VCMPSD, S3, 8, true, false },
	{ ZYDIS_MNEMONIC_VROUNDPS, P2, 4, true, false },
	{ ZYDIS_MNEMONIC_VROUNDPD, P2, 8, true, false },
	{ ZYDIS_MNEMONIC_VROUNDSS, S3, 4, true, false },
	{ ZYDIS_MNEMONIC_VROUNDSD, S3, 8, true, false },
	{ ZYDIS_MNEMONIC_VDPPS, P3, 4, true, false },
	{ ZYDIS_MNEMONIC_VDPPD, P3, 8, true, true },
	{ ZYDIS_MNEMONIC_VCVTDQ2PS, P2, 4, false, false },
	{ ZYDIS_MNEMONIC_VCVTPS2DQ, P2, 4, false, false },
	{ ZYDIS_MNEMONIC_VCVTTPS2DQ, P2, 4, false, false },
	{ ZYDIS_MNEMONIC_VCVTPS2PD, WIDEN, 4, false, false },
	{ ZYDIS_MNEMONIC_VCVTDQ2PD, WIDEN, 4, false, false },
	{ ZYDIS_MNEMONIC_VCVTPH2PS, WIDEN, 2, false, false },
	{ ZYDIS_MNEMONIC_VCVTPD2PS, NARROW, 8, false, false },
	{ ZYDIS_MNEMONIC_VCVTPD2DQ, NARROW, 8, false, false },
	{ ZYDIS_MNEMONIC_VCVTTPD2DQ, NARROW, 8, false, false },
	{ ZYDIS_MNEMONIC_VCVTPS2PH, PS2PH, 4, true, false },
	{ ZYDIS_MNEMONIC_VCVTSS2SD, S3, 4, false, false },
	{ ZYDIS_MNEMONIC_VCVTSD2SS, S3, 8, false, false },
	{ ZYDIS_MNEMONIC_VCVTSS2SI, TO_GPR, 4, false, false },
	{ ZYDIS_MNEMONIC_VCVTTSD2SI, TO_GPR, 8, false, false },
	{ ZYDIS_MNEMONIC_VCVTSD2SI, TO_GPR, 8, false, false },
	{ ZYDIS_MNEMONIC_VCVTTSS2SI, TO_GPR, 4, false, false },
	{ ZYDIS_MNEMONIC_VCVTSI2SS, FROM_GPR, 4, false, false },
	{ ZYDIS_MNEMONIC_VCVTSI2SD, FROM_GPR, 8, false, false },
	{ ZYDIS_MNEMONIC_VCOMISS, COMI, 4, false, false },
	{ ZYDIS_MNEMONIC_VUCOMISD, COMI, 8, false, false },
	{ ZYDIS_MNEMONIC_VUCOMISS, COMI, 4, false, false },
	{ ZYDIS_MNEMONIC_VCOMISD, COMI, 8, false, false },
};

/* The imm8 of op: VCMP's 32 predicates, ROUND's 4 bits, DPPS's 8, any for
 * VCVTPS2PH (bits 7:3 ignored). */
static unsigned fp_imm(struct gen *g, ZydisMnemonic m)
{
	if (m == ZYDIS_MNEMONIC_VCMPPS || m == ZYDIS_MNEMONIC_VCMPPD || m == ZYDIS_MNEMONIC_VCMPSS ||
	    m == ZYDIS_MNEMONIC_VCMPSD)
		return rng_below(&g->r, 32);
	return rng_below(&g->r, 256);
}

/* The instruction of fp_ops[k] with its operands; *shown: the register to
 * show afterwards (or none: -1). */
static bool fp_instruction(struct gen *g, const struct fp_op *op, int *shown)
{
	unsigned width = op->only128 || rng_chance(&g->r, 1, 2) ? 16 : 32;
	unsigned d = rng_below(&g->r, YMM_USED), s1 = rng_below(&g->r, YMM_USED);
	uint16_t def = 0;
	ZydisEncoderRequest q;
	ZydisEncoderOperand m;
	bool mem = false;

	*shown = (int)d;
	gen_req_init(&q, op->m);
	switch (op->form) {
	case P3:
		if (!load_ymm(g, s1, gen_fp_value))
			return false;
		gen_add_reg(&q, gen_vreg(d, width));
		gen_add_reg(&q, gen_vreg(s1, width));
		if (!vsource(g, &q, width, width, true, gen_fp_value, &mem))
			return false;
		break;
	case P2:
		gen_add_reg(&q, gen_vreg(d, width));
		if (!vsource(g, &q, width, width, true, gen_fp_value, &mem))
			return false;
		break;
	case S3:
		if (!load_ymm(g, s1, gen_fp_value))
			return false;
		gen_add_reg(&q, gen_xmm_reg(d));
		gen_add_reg(&q, gen_xmm_reg(s1));
		if (!vsource(g, &q, 16, op->elem, true, gen_fp_value, &mem))
			return false;
		break;
	case WIDEN:
		gen_add_reg(&q, gen_vreg(d, width));
		if (!vsource(g, &q, 16, width / 2, true, op->elem == 2 ? bits_value : gen_fp_value, &mem))
			return false;
		break;
	case NARROW:
		gen_add_reg(&q, gen_xmm_reg(d));
		if (!vsource(g, &q, width, width, true, gen_fp_value, &mem))
			return false;
		break;
	case PS2PH:
		if (!load_ymm(g, s1, gen_fp_value))
			return false;
		if (rng_chance(&g->r, 1, 3)) {
			if (!vmem(g, width / 2, true, &m, &q.prefixes))
				return false;
			gen_add_op(&q, &m);
			mem = true;
			*shown = -1;
		} else {
			gen_add_reg(&q, gen_xmm_reg(d));
		}
		gen_add_reg(&q, gen_vreg(s1, width));
		break;
	case TO_GPR:
		*shown = -1;
		gen_add_reg(&q, gen_gpr(rng_chance(&g->r, 1, 2) ? 8 : 4, gen_reg(g, 8, true)));
		if (!vsource(g, &q, 16, op->elem, true, gen_fp_value, &mem))
			return false;
		break;
	case FROM_GPR: {
		unsigned size = rng_chance(&g->r, 1, 2) ? 8 : 4;

		if (!load_ymm(g, s1, gen_fp_value))
			return false;
		gen_add_reg(&q, gen_xmm_reg(d));
		gen_add_reg(&q, gen_xmm_reg(s1));
		if (rng_chance(&g->r, 1, 3)) {
			if (!vmem(g, size, true, &m, &q.prefixes))
				return false;
			gen_add_op(&q, &m);
			mem = true;
		} else {
			unsigned r = gen_reg(g, 8, true);

			if (!gen_emit_setup(g, r, (int64_t)gen_value(&g->r)))
				return false;
			gen_add_reg(&q, gen_gpr(size, r));
		}
		break;
	}
	case COMI:
		*shown = -1;
		def = F_ALL;
		if (!load_ymm(g, s1, gen_fp_value))
			return false;
		gen_add_reg(&q, gen_xmm_reg(s1));
		if (!vsource(g, &q, 16, op->elem, true, gen_fp_value, &mem))
			return false;
		break;
	}
	if (op->imm)
		gen_add_imm(&q, fp_imm(g, op->m));
	return gen_emit_accessing(g, &q, 0, def, 0, mem);
}

/* Sets MXCSR, runs fn's instruction, stores MXCSR, sets it back, shows the
 * destination. */
static bool under_random_csr(struct gen *g, bool (*fn)(struct gen *g, const void *op, int *shown), const void *op)
{
	int shown;

	return gen_store_dword(g, CSR_SET, gen_random_csr(g)) && gen_csr_op(g, ZYDIS_MNEMONIC_LDMXCSR, CSR_SET) &&
	       fn(g, op, &shown) && gen_csr_op(g, ZYDIS_MNEMONIC_VSTMXCSR, CSR_SEEN) &&
	       gen_store_dword(g, CSR_DEFAULT, 0x1f80) && gen_csr_op(g, ZYDIS_MNEMONIC_VLDMXCSR, CSR_DEFAULT) &&
	       (shown < 0 || show_ymm(g, (unsigned)shown));
}

static bool fp_instruction_any(struct gen *g, const void *op, int *shown)
{
	return fp_instruction(g, op, shown);
}

static bool avx_fp_arith_unit(struct gen *g)
{
	return under_random_csr(g, fp_instruction_any, &fp_ops[rng_below(&g->r, ARRAY_LEN(fp_ops))]);
}

/* ---- FMA3 --------------------------------------------------------------------------- */

static const ZydisMnemonic fma_ops[] = {
	ZYDIS_MNEMONIC_VFMADD132PS,    ZYDIS_MNEMONIC_VFMADD213PD,    ZYDIS_MNEMONIC_VFMADD231PS,
	ZYDIS_MNEMONIC_VFMSUB132PD,    ZYDIS_MNEMONIC_VFMSUB213PS,    ZYDIS_MNEMONIC_VFMSUB231PD,
	ZYDIS_MNEMONIC_VFNMADD132PS,   ZYDIS_MNEMONIC_VFNMADD213PD,   ZYDIS_MNEMONIC_VFNMADD231PS,
	ZYDIS_MNEMONIC_VFNMSUB132PD,   ZYDIS_MNEMONIC_VFNMSUB213PS,   ZYDIS_MNEMONIC_VFNMSUB231PD,
	ZYDIS_MNEMONIC_VFMADDSUB132PS, ZYDIS_MNEMONIC_VFMADDSUB213PD, ZYDIS_MNEMONIC_VFMSUBADD231PS,
	ZYDIS_MNEMONIC_VFMSUBADD132PD, ZYDIS_MNEMONIC_VFMADD132SS,    ZYDIS_MNEMONIC_VFMADD213SD,
	ZYDIS_MNEMONIC_VFMSUB231SS,    ZYDIS_MNEMONIC_VFNMADD132SD,   ZYDIS_MNEMONIC_VFNMSUB213SS,
	ZYDIS_MNEMONIC_VFNMSUB231SD,
};

static bool fma_instruction(struct gen *g, const void *opp, int *shown)
{
	ZydisMnemonic m = *(const ZydisMnemonic *)opp;
	const char *name = ZydisMnemonicGetString(m);
	char t = name[strlen(name) - 2], e = name[strlen(name) - 1];
	bool scalar = t == 's';
	unsigned elem = e == 's' ? 4 : 8, width = scalar || rng_chance(&g->r, 1, 2) ? 16 : 32;
	unsigned d = rng_below(&g->r, YMM_USED), s2 = rng_below(&g->r, YMM_USED);
	ZydisEncoderRequest q;
	bool mem;

	*shown = (int)d;
	if (!load_ymm(g, s2, gen_fp_value) || !load_ymm(g, d, gen_fp_value))
		return false;
	gen_req_init(&q, m);
	gen_add_reg(&q, gen_vreg(d, width));
	gen_add_reg(&q, gen_vreg(s2, width));
	return vsource(g, &q, width, scalar ? elem : width, true, gen_fp_value, &mem) &&
	       gen_emit_accessing(g, &q, 0, 0, 0, mem);
}

static bool avx_fma_unit(struct gen *g)
{
	return under_random_csr(g, fma_instruction, &fma_ops[rng_below(&g->r, ARRAY_LEN(fma_ops))]);
}

/* ---- data movement ------------------------------------------------------------------- */

/* dst, src1, src2/m [, imm8]: packed, no MXCSR. */
static const struct {
	ZydisMnemonic m;
	bool imm;
	bool only256;
} data3_ops[] = {
	{ ZYDIS_MNEMONIC_VANDPS, false, false },     { ZYDIS_MNEMONIC_VANDNPD, false, false },
	{ ZYDIS_MNEMONIC_VORPD, false, false },	     { ZYDIS_MNEMONIC_VXORPS, false, false },
	{ ZYDIS_MNEMONIC_VUNPCKLPS, false, false },  { ZYDIS_MNEMONIC_VUNPCKHPS, false, false },
	{ ZYDIS_MNEMONIC_VUNPCKLPD, false, false },  { ZYDIS_MNEMONIC_VUNPCKHPD, false, false },
	{ ZYDIS_MNEMONIC_VSHUFPS, true, false },     { ZYDIS_MNEMONIC_VSHUFPD, true, false },
	{ ZYDIS_MNEMONIC_VBLENDPS, true, false },    { ZYDIS_MNEMONIC_VBLENDPD, true, false },
	{ ZYDIS_MNEMONIC_VPERMILPS, false, false },  { ZYDIS_MNEMONIC_VPERMILPD, false, false },
	{ ZYDIS_MNEMONIC_VPERM2F128, true, true },   { ZYDIS_MNEMONIC_VPERMPS, false, true },
	{ ZYDIS_MNEMONIC_VINSERTPS, true, false },   { ZYDIS_MNEMONIC_VBLENDVPS, false, false },
	{ ZYDIS_MNEMONIC_VBLENDVPD, false, false },  { ZYDIS_MNEMONIC_VMASKMOVPS, false, false },
	{ ZYDIS_MNEMONIC_VMASKMOVPD, false, false },
};

/* dst, src/m [, imm8]. */
static const struct {
	ZydisMnemonic m;
	bool imm;
	bool only256;
	unsigned mem128; /* the memory source's size in the 128-bit form (0: 16) */
} data2_ops[] = {
	{ ZYDIS_MNEMONIC_VMOVUPS, false, false, 0 },	  { ZYDIS_MNEMONIC_VMOVAPD, false, false, 0 },
	{ ZYDIS_MNEMONIC_VMOVSLDUP, false, false, 0 },	  { ZYDIS_MNEMONIC_VMOVSHDUP, false, false, 0 },
	{ ZYDIS_MNEMONIC_VMOVDDUP, false, false, 8 },	  { ZYDIS_MNEMONIC_VPERMILPS, true, false, 0 },
	{ ZYDIS_MNEMONIC_VPERMILPD, true, false, 0 },	  { ZYDIS_MNEMONIC_VPERMPD, true, true, 0 },
	{ ZYDIS_MNEMONIC_VBROADCASTSS, false, false, 4 }, { ZYDIS_MNEMONIC_VBROADCASTSD, false, true, 8 },
};

static bool data3_unit(struct gen *g)
{
	unsigned k = rng_below(&g->r, ARRAY_LEN(data3_ops));
	ZydisMnemonic m = data3_ops[k].m;
	unsigned width = data3_ops[k].only256 || rng_chance(&g->r, 1, 2) ? 32 : 16;
	unsigned d = rng_below(&g->r, YMM_USED), s1 = rng_below(&g->r, YMM_USED), s3 = rng_below(&g->r, YMM_USED);
	bool masked = m == ZYDIS_MNEMONIC_VMASKMOVPS || m == ZYDIS_MNEMONIC_VMASKMOVPD;
	ZydisEncoderRequest q;
	ZydisEncoderOperand mo;
	bool mem = false;

	if (m == ZYDIS_MNEMONIC_VINSERTPS)
		width = 16;
	if (!load_ymm(g, s1, bits_value))
		return false;
	gen_req_init(&q, m);
	if (masked && rng_chance(&g->r, 1, 2)) { /* the store: elements of s3 where s1 has its sign set */
		if (!load_ymm(g, s3, bits_value) || !vmem(g, width, false, &mo, &q.prefixes))
			return false;
		gen_add_op(&q, &mo);
		gen_add_reg(&q, gen_vreg(s1, width));
		gen_add_reg(&q, gen_vreg(s3, width));
		return gen_emit_accessing(g, &q, 0, 0, 0, true);
	}
	gen_add_reg(&q, gen_vreg(d, width));
	gen_add_reg(&q, gen_vreg(s1, width));
	if (masked) {
		if (!vmem(g, width, false, &mo, &q.prefixes))
			return false;
		gen_add_op(&q, &mo);
		mem = true;
	} else if (!vsource(g, &q, width, m == ZYDIS_MNEMONIC_VINSERTPS ? 4 : width, false, bits_value, &mem)) {
		return false;
	}
	if (m == ZYDIS_MNEMONIC_VBLENDVPS || m == ZYDIS_MNEMONIC_VBLENDVPD) {
		if (!load_ymm(g, s3, bits_value))
			return false;
		gen_add_reg(&q, gen_vreg(s3, width));
	}
	if (data3_ops[k].imm)
		gen_add_imm(&q, rng_below(&g->r, 256));
	return gen_emit_accessing(g, &q, 0, 0, 0, mem) && show_ymm(g, d);
}

static bool data2_unit(struct gen *g)
{
	unsigned k = rng_below(&g->r, ARRAY_LEN(data2_ops));
	ZydisMnemonic m = data2_ops[k].m;
	unsigned width = data2_ops[k].only256 || rng_chance(&g->r, 1, 2) ? 32 : 16;
	unsigned d = rng_below(&g->r, YMM_USED), mem_size = width;
	ZydisEncoderRequest q;
	ZydisEncoderOperand mo;
	bool mem;

	if (data2_ops[k].mem128)
		mem_size = m == ZYDIS_MNEMONIC_VMOVDDUP && width == 32 ? 32 : data2_ops[k].mem128;
	gen_req_init(&q, m);
	gen_add_reg(&q, gen_vreg(d, width));
	if (m == ZYDIS_MNEMONIC_VMOVAPD && width == 32 && gen_unmasked_simd_allowed && rng_chance(&g->r, 1, 4)) {
		/* 16-aligned: #GP(0) when not 32-aligned */
		if (!gen_sse_mem(g, 32, true, false, 0, &mo, &q.prefixes))
			return false;
		gen_add_op(&q, &mo);
		mem = true;
	} else if ((mem_size < 16 && m != ZYDIS_MNEMONIC_VMOVDDUP && rng_chance(&g->r, 1, 2)) ||
		   (m == ZYDIS_MNEMONIC_VMOVAPD && width == 32)) { /* memory only 16-aligned: above */
		unsigned s = rng_below(&g->r, YMM_USED);	   /* VBROADCASTSS/SD from a register: AVX2 */

		if (!load_ymm(g, s, bits_value))
			return false;
		gen_add_reg(&q, gen_vreg(s, m == ZYDIS_MNEMONIC_VMOVAPD ? 32 : 16));
		mem = false;
	} else if (!vsource(g, &q, width, mem_size, false, bits_value, &mem)) {
		return false;
	}
	if (data2_ops[k].imm)
		gen_add_imm(&q, rng_below(&g->r, 256));
	return gen_emit_accessing(g, &q, 0, 0, 0, mem) && show_ymm(g, d);
}

/* Stores, extracts, VMOVMSK and VTEST: results in memory, GPRs or flags. */
static bool data_out_unit(struct gen *g)
{
	static const ZydisMnemonic ops[] = {
		ZYDIS_MNEMONIC_VMOVUPS,	  ZYDIS_MNEMONIC_VMOVAPS,      ZYDIS_MNEMONIC_VMOVNTPD,
		ZYDIS_MNEMONIC_VMOVSS,	  ZYDIS_MNEMONIC_VMOVSD,       ZYDIS_MNEMONIC_VMOVLPS,
		ZYDIS_MNEMONIC_VMOVHPD,	  ZYDIS_MNEMONIC_VEXTRACTF128, ZYDIS_MNEMONIC_VEXTRACTPS,
		ZYDIS_MNEMONIC_VMOVMSKPS, ZYDIS_MNEMONIC_VMOVMSKPD,    ZYDIS_MNEMONIC_VTESTPS,
		ZYDIS_MNEMONIC_VTESTPD,
	};
	ZydisMnemonic m = PICK(g, ops);
	unsigned s = rng_below(&g->r, YMM_USED), t = rng_below(&g->r, YMM_USED);
	unsigned width = rng_chance(&g->r, 1, 2) ? 32 : 16, size = width;
	ZydisEncoderRequest q;
	ZydisEncoderOperand mo;

	if (!load_ymm(g, s, bits_value))
		return false;
	gen_req_init(&q, m);
	switch (m) {
	case ZYDIS_MNEMONIC_VMOVMSKPS:
	case ZYDIS_MNEMONIC_VMOVMSKPD:
		gen_add_reg(&q, gen_gpr(rng_chance(&g->r, 1, 2) ? 8 : 4, gen_reg(g, 8, true)));
		gen_add_reg(&q, gen_vreg(s, width));
		return gen_emit(g, &q, 0, 0, 0);
	case ZYDIS_MNEMONIC_VTESTPS:
	case ZYDIS_MNEMONIC_VTESTPD:
		if (!load_ymm(g, t, bits_value))
			return false;
		gen_add_reg(&q, gen_vreg(t, width));
		gen_add_reg(&q, gen_vreg(s, width));
		return gen_emit(g, &q, 0, F_ALL, 0);
	case ZYDIS_MNEMONIC_VEXTRACTPS:
		if (rng_chance(&g->r, 1, 2)) {
			gen_add_reg(&q, gen_gpr(rng_chance(&g->r, 1, 2) ? 8 : 4, gen_reg(g, 8, true)));
			gen_add_reg(&q, gen_xmm_reg(s));
			gen_add_imm(&q, rng_below(&g->r, 256));
			return gen_emit(g, &q, 0, 0, 0);
		}
		size = 4;
		break;
	case ZYDIS_MNEMONIC_VMOVSS:
		size = 4;
		break;
	case ZYDIS_MNEMONIC_VMOVSD:
	case ZYDIS_MNEMONIC_VMOVLPS:
	case ZYDIS_MNEMONIC_VMOVHPD:
		size = 8;
		break;
	case ZYDIS_MNEMONIC_VEXTRACTF128:
		size = 16;
		width = 32;
		break;
	default:
		break;
	}
	/* 32 bytes 16-aligned: VMOVAPS and VMOVNTPD #GP(0) half the time */
	if ((m == ZYDIS_MNEMONIC_VMOVAPS || m == ZYDIS_MNEMONIC_VMOVNTPD) && !gen_unmasked_simd_allowed)
		width = size = 16;
	if (!vmem(g, size, false, &mo, &q.prefixes))
		return false;
	gen_add_op(&q, &mo);
	gen_add_reg(&q, gen_vreg(s, size < 16 ? 16 : width));
	if (m == ZYDIS_MNEMONIC_VEXTRACTF128 || m == ZYDIS_MNEMONIC_VEXTRACTPS)
		gen_add_imm(&q, rng_below(&g->r, 256));
	return gen_emit_accessing(g, &q, 0, 0, 0, true);
}

/* VMOVSS/VMOVSD/VMOVHLPS/VMOVLHPS on registers, VMOVLPD/VMOVHPS loads. */
static bool merge_unit(struct gen *g)
{
	static const ZydisMnemonic ops[] = {
		ZYDIS_MNEMONIC_VMOVSS,	 ZYDIS_MNEMONIC_VMOVSD,	 ZYDIS_MNEMONIC_VMOVHLPS,
		ZYDIS_MNEMONIC_VMOVLHPS, ZYDIS_MNEMONIC_VMOVLPD, ZYDIS_MNEMONIC_VMOVHPS,
	};
	ZydisMnemonic m = PICK(g, ops);
	unsigned d = rng_below(&g->r, YMM_USED), s1 = rng_below(&g->r, YMM_USED), s2 = rng_below(&g->r, YMM_USED);
	bool load = m == ZYDIS_MNEMONIC_VMOVLPD || m == ZYDIS_MNEMONIC_VMOVHPS;
	ZydisEncoderRequest q;
	ZydisEncoderOperand mo;

	if (!load_ymm(g, s1, bits_value) || (!load && !load_ymm(g, s2, bits_value)))
		return false;
	gen_req_init(&q, m);
	gen_add_reg(&q, gen_xmm_reg(d));
	if ((m == ZYDIS_MNEMONIC_VMOVSS || m == ZYDIS_MNEMONIC_VMOVSD) && rng_chance(&g->r, 1, 3)) {
		if (!vmem(g, m == ZYDIS_MNEMONIC_VMOVSS ? 4 : 8, false, &mo, &q.prefixes))
			return false;
		gen_add_op(&q, &mo);
		return gen_emit_accessing(g, &q, 0, 0, 0, true) && show_ymm(g, d);
	}
	gen_add_reg(&q, gen_xmm_reg(s1));
	if (load) {
		if (!vmem(g, 8, false, &mo, &q.prefixes))
			return false;
		gen_add_op(&q, &mo);
	} else {
		gen_add_reg(&q, gen_xmm_reg(s2));
	}
	return gen_emit_accessing(g, &q, 0, 0, 0, load) && show_ymm(g, d);
}

static bool avx_fp_data_unit(struct gen *g)
{
	switch (rng_below(&g->r, 4)) {
	case 0:
		return data3_unit(g);
	case 1:
		return data2_unit(g);
	case 2:
		return data_out_unit(g);
	default:
		return merge_unit(g);
	}
}

bool fam_avx_fp_arith(struct gen *g)
{
	return gen_joined_unit(g, avx_fp_arith_unit);
}

bool fam_avx_fp_data(struct gen *g)
{
	return gen_joined_unit(g, avx_fp_data_unit);
}

bool fam_avx_fma(struct gen *g)
{
	return gen_joined_unit(g, avx_fma_unit);
}
