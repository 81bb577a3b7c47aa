/* SSE and SSE2, as compilers emit them for the x86-64 baseline and as C
 * libraries' string routines use them, with the MMX forms of the packed integer
 * operations (on 64 bits, mmx.h) and the conversions to and from MMX registers;
 * the other MMX instructions are in exec_mmx.c.
 *
 * Integer and bitwise operations are computed with host SSE2 intrinsics, which do
 * exactly what the guest instruction does. Floating-point operations run the very
 * same host instruction inside one asm statement that loads the guest's MXCSR
 * (rounding, FTZ, DAZ) with every exception masked and the flags clear, and
 * restores the host's before it ends: results, NaN propagation and exception
 * flags are the hardware's own, and the compiler cannot move other floating-point
 * code into the guest's rounding mode. The flags raised are then folded into the
 * guest MXCSR; one the guest left unmasked raises #XM instead of writing the
 * result.
 *
 * This file also holds the block accessors for memory operands wider than 8 bytes
 * (dispatch.h), which CMPXCHG16B and FXSAVE share. */
#include <emmintrin.h>
#include <string.h>

#include "engine/softcpu/handlers.h"
#include "engine/softcpu/flags.h"
#include "engine/softcpu/mem.h"
#include "engine/softcpu/mmx.h"
#include "engine/softcpu/simd_ops.h"
#include "engine/softcpu/sse.h"
#include "engine/softcpu/sse_ops.h"
#include "x86/arch.h"

/* ---- state and operands -------------------------------------------------------- */

/* #UD without CR4.OSFXSR or with CR0.EM, then #NM with CR0.TS. */
void sse_check(struct soft_cpu *cpu)
{
	if ((cpu->cr0 & CR0_EM) || !(cpu->cr4 & CR4_OSFXSR))
		cpu_raise_ud(cpu);
	if (cpu->cr0 & CR0_TS)
		cpu_raise(cpu, EXC_NM, false, 0);
}

bool sse_allowed(const struct soft_cpu *cpu)
{
	return !(cpu->cr0 & (CR0_EM | CR0_TS)) && (cpu->cr4 & CR4_OSFXSR);
}

xmm_t xmm_get(const struct soft_cpu *cpu, unsigned n)
{
	xmm_t x;

	memcpy(&x, cpu->fpu.xmm[n], sizeof(x));
	return x;
}

void xmm_set(struct soft_cpu *cpu, unsigned n, const xmm_t *x)
{
	memcpy(cpu->fpu.xmm[n], x, sizeof(*x));
}

/* A 16-byte memory operand of a legacy SSE instruction must be 16-byte aligned
 * (#GP(0)), except for the explicitly unaligned moves. */
static unsigned mem_align(const struct operand *o, bool unaligned)
{
	return o->size == 16 && !unaligned ? 16 : 0;
}

/* A source operand: a whole XMM register, or a GPR, an immediate or o->size bytes
 * of memory, zero-extended to 128 bits. */
xmm_t sse_src(struct soft_cpu *cpu, const struct insn *in, const struct operand *o, bool unaligned)
{
	xmm_t x = { .q = { 0, 0 } };

	switch (o->kind) {
	case OK_XMM:
		return xmm_get(cpu, o->reg);
	case OK_MEM:
		mem_read_block(cpu, o->seg, insn_ea(cpu, in, o), &x, o->size, mem_align(o, unaligned));
		return x;
	default:
		x.q[0] = op_read(cpu, in, o);
		return x;
	}
}

void sse_store(struct soft_cpu *cpu, const struct insn *in, const struct operand *o, const xmm_t *x, bool unaligned)
{
	mem_write_block(cpu, o->seg, insn_ea(cpu, in, o), x, o->size, mem_align(o, unaligned));
}

/* ---- moves --------------------------------------------------------------------- */

/* MOVAPS and friends: 128 bits between XMM registers and memory. */
static void move_full(struct soft_cpu *cpu, const struct insn *in, bool unaligned)
{
	const struct operand *d = &in->op[0];
	xmm_t v;

	sse_check(cpu);
	v = sse_src(cpu, in, &in->op[1], unaligned);
	if (d->kind == OK_XMM)
		xmm_set(cpu, d->reg, &v);
	else
		sse_store(cpu, in, d, &v, unaligned);
}

static void h_move_aligned(struct soft_cpu *cpu, const struct insn *in)
{
	move_full(cpu, in, false);
}

static void h_move_unaligned(struct soft_cpu *cpu, const struct insn *in)
{
	move_full(cpu, in, true);
}

/* MOVD/MOVQ: into an XMM register the value is zero-extended; out of one, the low
 * 32 or 64 bits go to a GPR or memory. */
static void h_movd_movq(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *d = &in->op[0], *s = &in->op[1];

	sse_check(cpu);
	if (d->kind == OK_XMM) {
		xmm_t v = sse_src(cpu, in, s, false);

		if (s->kind == OK_XMM) /* MOVQ xmm, xmm */
			v.q[1] = 0;
		xmm_set(cpu, d->reg, &v);
		return;
	}
	op_write(cpu, in, d, xmm_get(cpu, s->reg).q[0] & size_mask(d->size));
}

/* MOVSS/MOVSD: register to register moves the low element only; a load clears the
 * rest of the register. */
static void move_scalar(struct soft_cpu *cpu, const struct insn *in, unsigned size)
{
	const struct operand *d = &in->op[0], *s = &in->op[1];

	sse_check(cpu);
	if (d->kind == OK_XMM && s->kind == OK_XMM) {
		xmm_t dv = xmm_get(cpu, d->reg), sv = xmm_get(cpu, s->reg);

		memcpy(dv.b, sv.b, size);
		xmm_set(cpu, d->reg, &dv);
	} else if (d->kind == OK_XMM) {
		xmm_t v = sse_src(cpu, in, s, false);

		xmm_set(cpu, d->reg, &v);
	} else {
		op_write(cpu, in, d, xmm_get(cpu, s->reg).q[0] & size_mask(size));
	}
}

static void h_movss(struct soft_cpu *cpu, const struct insn *in)
{
	move_scalar(cpu, in, 4);
}

static void h_movsd_sse(struct soft_cpu *cpu, const struct insn *in)
{
	move_scalar(cpu, in, 8);
}

/* MOVLPS/MOVLPD/MOVHPS/MOVHPD: one 64-bit half between a register and memory. */
static void move_half(struct soft_cpu *cpu, const struct insn *in, unsigned half)
{
	const struct operand *d = &in->op[0], *s = &in->op[1];

	sse_check(cpu);
	if (d->kind == OK_XMM) {
		xmm_t v = xmm_get(cpu, d->reg);

		v.q[half] = op_read(cpu, in, s);
		xmm_set(cpu, d->reg, &v);
	} else {
		op_write(cpu, in, d, xmm_get(cpu, s->reg).q[half]);
	}
}

static void h_move_low(struct soft_cpu *cpu, const struct insn *in)
{
	move_half(cpu, in, 0);
}

static void h_move_high(struct soft_cpu *cpu, const struct insn *in)
{
	move_half(cpu, in, 1);
}

/* MOVHLPS: high half of the source to the low half; MOVLHPS the other way. */
static void move_between_halves(struct soft_cpu *cpu, const struct insn *in, unsigned to, unsigned from)
{
	xmm_t d, s;

	sse_check(cpu);
	d = xmm_get(cpu, in->op[0].reg);
	s = xmm_get(cpu, in->op[1].reg);
	d.q[to] = s.q[from];
	xmm_set(cpu, in->op[0].reg, &d);
}

static void h_movhlps(struct soft_cpu *cpu, const struct insn *in)
{
	move_between_halves(cpu, in, 0, 1);
}

static void h_movlhps(struct soft_cpu *cpu, const struct insn *in)
{
	move_between_halves(cpu, in, 1, 0);
}

/* MOVNTI: a GPR store with a non-temporal hint; it needs no SSE state. */
static void h_movnti(struct soft_cpu *cpu, const struct insn *in)
{
	op_write(cpu, in, &in->op[0], op_read(cpu, in, &in->op[1]));
}

/* MASKMOVDQU (and MASKMOVQ, exec_mmx.c): the bytes of the source whose mask
 * byte has its top bit set go to DS:rDI (segment override allowed), and no
 * other byte is touched (it may be MMIO). The n bytes are checked as a whole
 * first. */
void simd_masked_store(struct soft_cpu *cpu, const struct insn *in, const uint8_t *v, const uint8_t *mask, unsigned n)
{
	uint64_t ea = cpu->gpr[GPR_RDI] & size_mask(in->addrsize), lin;

	/* For alignment checking MASKMOVQ is one 8-byte access (the AMD host
	 * raises #AC for it; so does the APM), and so are MASKMOVDQU and
	 * VMASKMOVDQU: the AMD host raises #AC for them unless rDI is 8-byte
	 * aligned, whatever the mask, and before a #PF of the operand (found
	 * by the differential test). Bytes are written one by one. For the
	 * canonical checks the 16-byte forms are two 8-byte accesses, masked
	 * bytes or not (mem_check_pieces). */
	mem_check_alignment(cpu, seg_linear(cpu, in->seg, ea, n < 8 ? n : 8, ACC_WRITE), n < 8 ? n : 8, ACC_WRITE);
	mem_check_pieces(cpu, in->seg, ea, n, 8, ACC_WRITE, 0);
	lin = mem_block_writable(cpu, in->seg, ea, n, 0);
	for (unsigned i = 0; i < n; i++)
		if (mask[i] & 0x80)
			mem_write_lin(cpu, mem_lin_add(cpu, lin, i), 1, v[i], ACC_WRITE);
}

static void h_maskmovdqu(struct soft_cpu *cpu, const struct insn *in)
{
	xmm_t v, mask;

	sse_check(cpu);
	v = xmm_get(cpu, in->op[0].reg);
	mask = xmm_get(cpu, in->op[1].reg);
	simd_masked_store(cpu, in, v.b, mask.b, 16);
}

static void h_movmskps(struct soft_cpu *cpu, const struct insn *in)
{
	sse_check(cpu);
	reg_write(cpu, in->op[0].reg, in->op[0].size, (unsigned)_mm_movemask_ps(xmm_get(cpu, in->op[1].reg).ps));
}

static void h_movmskpd(struct soft_cpu *cpu, const struct insn *in)
{
	sse_check(cpu);
	reg_write(cpu, in->op[0].reg, in->op[0].size, (unsigned)_mm_movemask_pd(xmm_get(cpu, in->op[1].reg).pd));
}

static void h_pmovmskb(struct soft_cpu *cpu, const struct insn *in)
{
	sse_check(cpu);
	reg_write(cpu, in->op[0].reg, in->op[0].size, (unsigned)_mm_movemask_epi8(xmm_get(cpu, in->op[1].reg).i));
}

/* ---- integer and bitwise operations -------------------------------------------- */

/* dst = fn(dst, src). A shift count may be an immediate: zero-extended, it is
 * the same count as in the low quadword of a register. The MMX forms share the
 * handler (mmx.h). */
static void int_binop(struct soft_cpu *cpu, const struct insn *in, simd_int_fn fn, enum mmx_form form)
{
	xmm_t a, b;

	if (in->op[0].kind == OK_MM) {
		mmx_int_binop(cpu, in, fn, form);
		return;
	}
	sse_check(cpu);
	a = xmm_get(cpu, in->op[0].reg);
	b = sse_src(cpu, in, &in->op[1], false);
	a.i = fn(a.i, b.i);
	xmm_set(cpu, in->op[0].reg, &a);
}

/* simd_<name> is the operation on one 128-bit lane (simd_ops.h: the VEX
 * forms run it too), h_<name> the legacy handler. */
#define INT_OP_FORM(name, expr, form)                                                                                  \
	__m128i simd_##name(__m128i a, __m128i b)                                                                      \
	{                                                                                                              \
		return (expr);                                                                                         \
	}                                                                                                              \
	static void h_##name(struct soft_cpu *cpu, const struct insn *in)                                              \
	{                                                                                                              \
		int_binop(cpu, in, simd_##name, form);                                                                 \
	}
#define INT_OP(name, expr) INT_OP_FORM(name, expr, MMX_LANES)

INT_OP(pand, _mm_and_si128(a, b))
INT_OP(pandn, _mm_andnot_si128(a, b))
INT_OP(por, _mm_or_si128(a, b))
INT_OP(pxor, _mm_xor_si128(a, b))
INT_OP(paddb, _mm_add_epi8(a, b))
INT_OP(paddw, _mm_add_epi16(a, b))
INT_OP(paddd, _mm_add_epi32(a, b))
INT_OP(paddq, _mm_add_epi64(a, b))
INT_OP(psubb, _mm_sub_epi8(a, b))
INT_OP(psubw, _mm_sub_epi16(a, b))
INT_OP(psubd, _mm_sub_epi32(a, b))
INT_OP(psubq, _mm_sub_epi64(a, b))
INT_OP(paddsb, _mm_adds_epi8(a, b))
INT_OP(paddsw, _mm_adds_epi16(a, b))
INT_OP(psubsb, _mm_subs_epi8(a, b))
INT_OP(psubsw, _mm_subs_epi16(a, b))
INT_OP(paddusb, _mm_adds_epu8(a, b))
INT_OP(paddusw, _mm_adds_epu16(a, b))
INT_OP(psubusb, _mm_subs_epu8(a, b))
INT_OP(psubusw, _mm_subs_epu16(a, b))
INT_OP(pcmpeqb, _mm_cmpeq_epi8(a, b))
INT_OP(pcmpeqw, _mm_cmpeq_epi16(a, b))
INT_OP(pcmpeqd, _mm_cmpeq_epi32(a, b))
INT_OP(pcmpgtb, _mm_cmpgt_epi8(a, b))
INT_OP(pcmpgtw, _mm_cmpgt_epi16(a, b))
INT_OP(pcmpgtd, _mm_cmpgt_epi32(a, b))
INT_OP(pminub, _mm_min_epu8(a, b))
INT_OP(pmaxub, _mm_max_epu8(a, b))
INT_OP(pminsw, _mm_min_epi16(a, b))
INT_OP(pmaxsw, _mm_max_epi16(a, b))
INT_OP(pavgb, _mm_avg_epu8(a, b))
INT_OP(pavgw, _mm_avg_epu16(a, b))
INT_OP(psadbw, _mm_sad_epu8(a, b))
INT_OP(pmullw, _mm_mullo_epi16(a, b))
INT_OP(pmulhw, _mm_mulhi_epi16(a, b))
INT_OP(pmulhuw, _mm_mulhi_epu16(a, b))
INT_OP(pmuludq, _mm_mul_epu32(a, b))
INT_OP(pmaddwd, _mm_madd_epi16(a, b))
INT_OP_FORM(packuswb, _mm_packus_epi16(a, b), MMX_PACK)
INT_OP_FORM(packsswb, _mm_packs_epi16(a, b), MMX_PACK)
INT_OP_FORM(packssdw, _mm_packs_epi32(a, b), MMX_PACK)
INT_OP(punpcklbw, _mm_unpacklo_epi8(a, b))
INT_OP(punpcklwd, _mm_unpacklo_epi16(a, b))
INT_OP(punpckldq, _mm_unpacklo_epi32(a, b))
INT_OP(punpcklqdq, _mm_unpacklo_epi64(a, b))
INT_OP_FORM(punpckhbw, _mm_unpackhi_epi8(a, b), MMX_HIGH_HALF)
INT_OP_FORM(punpckhwd, _mm_unpackhi_epi16(a, b), MMX_HIGH_HALF)
INT_OP_FORM(punpckhdq, _mm_unpackhi_epi32(a, b), MMX_HIGH_HALF)
INT_OP(punpckhqdq, _mm_unpackhi_epi64(a, b))
INT_OP(psllw, _mm_sll_epi16(a, b))
INT_OP(pslld, _mm_sll_epi32(a, b))
INT_OP(psllq, _mm_sll_epi64(a, b))
INT_OP(psrlw, _mm_srl_epi16(a, b))
INT_OP(psrld, _mm_srl_epi32(a, b))
INT_OP(psrlq, _mm_srl_epi64(a, b))
INT_OP(psraw, _mm_sra_epi16(a, b))
INT_OP(psrad, _mm_sra_epi32(a, b))

/* PSLLDQ/PSRLDQ: a 128-bit lane shifted by n bytes; 16 or more clears. */
xmm_t simd_byte_shift(const xmm_t *a, unsigned n, bool left)
{
	xmm_t r = { .q = { 0, 0 } };

	for (unsigned i = n; i < 16; i++) {
		if (left)
			r.b[i] = a->b[i - n];
		else
			r.b[i - n] = a->b[i];
	}
	return r;
}

static void byte_shift(struct soft_cpu *cpu, const struct insn *in, bool left)
{
	xmm_t a;

	sse_check(cpu);
	a = xmm_get(cpu, in->op[0].reg);
	a = simd_byte_shift(&a, (unsigned)(in->op[1].imm & 0xff), left);
	xmm_set(cpu, in->op[0].reg, &a);
}

static void h_pslldq(struct soft_cpu *cpu, const struct insn *in)
{
	byte_shift(cpu, in, true);
}

static void h_psrldq(struct soft_cpu *cpu, const struct insn *in)
{
	byte_shift(cpu, in, false);
}

/* ---- shuffles and inserts (immediate-controlled) ------------------------------- */

/* dst = shuffle(dst, src, imm8) */
typedef xmm_t (*shuffle_fn)(const xmm_t *d, const xmm_t *s, unsigned imm);

static void shuffle(struct soft_cpu *cpu, const struct insn *in, shuffle_fn fn)
{
	xmm_t d, s;

	sse_check(cpu);
	s = sse_src(cpu, in, &in->op[1], false);
	d = xmm_get(cpu, in->op[0].reg);
	d = fn(&d, &s, (unsigned)in->op[2].imm);
	xmm_set(cpu, in->op[0].reg, &d);
}

xmm_t simd_pshufd(const xmm_t *d, const xmm_t *s, unsigned imm)
{
	xmm_t r;

	(void)d;
	for (unsigned i = 0; i < 4; i++)
		r.d[i] = s->d[(imm >> (2 * i)) & 3];
	return r;
}

xmm_t simd_pshuflw(const xmm_t *d, const xmm_t *s, unsigned imm)
{
	xmm_t r = *s;

	(void)d;
	for (unsigned i = 0; i < 4; i++)
		r.w[i] = s->w[(imm >> (2 * i)) & 3];
	return r;
}

xmm_t simd_pshufhw(const xmm_t *d, const xmm_t *s, unsigned imm)
{
	xmm_t r = *s;

	(void)d;
	for (unsigned i = 0; i < 4; i++)
		r.w[4 + i] = s->w[4 + ((imm >> (2 * i)) & 3)];
	return r;
}

/* SHUFPS/SHUFPD: the low result elements come from the destination, the high ones
 * from the source. */
static xmm_t shufps_fn(const xmm_t *d, const xmm_t *s, unsigned imm)
{
	xmm_t r;

	r.d[0] = d->d[imm & 3];
	r.d[1] = d->d[(imm >> 2) & 3];
	r.d[2] = s->d[(imm >> 4) & 3];
	r.d[3] = s->d[(imm >> 6) & 3];
	return r;
}

static xmm_t shufpd_fn(const xmm_t *d, const xmm_t *s, unsigned imm)
{
	xmm_t r;

	r.q[0] = d->q[imm & 1];
	r.q[1] = s->q[(imm >> 1) & 1];
	return r;
}

static void h_pshufd(struct soft_cpu *cpu, const struct insn *in)
{
	shuffle(cpu, in, simd_pshufd);
}

static void h_pshuflw(struct soft_cpu *cpu, const struct insn *in)
{
	shuffle(cpu, in, simd_pshuflw);
}

static void h_pshufhw(struct soft_cpu *cpu, const struct insn *in)
{
	shuffle(cpu, in, simd_pshufhw);
}

static void h_shufps(struct soft_cpu *cpu, const struct insn *in)
{
	shuffle(cpu, in, shufps_fn);
}

static void h_shufpd(struct soft_cpu *cpu, const struct insn *in)
{
	shuffle(cpu, in, shufpd_fn);
}

/* PINSRW xmm, r32/m16, imm8 and PEXTRW r32/m16, xmm, imm8. */
static void h_pinsrw(struct soft_cpu *cpu, const struct insn *in)
{
	xmm_t d;
	uint16_t v;

	sse_check(cpu);
	v = (uint16_t)op_read(cpu, in, &in->op[1]);
	d = xmm_get(cpu, in->op[0].reg);
	d.w[in->op[2].imm & 7] = v;
	xmm_set(cpu, in->op[0].reg, &d);
}

/* PEXTRW's SSE4.1 form (66 0F 3A 15) may store to m16. */
static void h_pextrw(struct soft_cpu *cpu, const struct insn *in)
{
	sse_check(cpu);
	op_write(cpu, in, &in->op[0], xmm_get(cpu, in->op[1].reg).w[in->op[2].imm & 7]);
}

/* ---- floating point on the host's SSE unit ------------------------------------- */

#define MXCSR_UE 0x10u
#define MXCSR_UM (MXCSR_UE << 7)
#define MXCSR_FZ 0x8000u

/* The MXCSR a guest operation runs with on the host: the guest's rounding, FZ and
 * DAZ, every exception masked, no flags. FZ applies only to masked underflows:
 * with UM clear a tiny result must come out as it is, to be seen below. */
uint32_t guest_csr(const struct soft_cpu *cpu)
{
	uint32_t csr = cpu->fpu.mxcsr & 0xffc0u;

	if (!(csr & MXCSR_UM))
		csr &= ~MXCSR_FZ;
	return csr | MXCSR_ALL_MASKED;
}

/* An unmasked underflow is raised for every tiny result, exact or not, where a
 * masked one needs it inexact too: with UM clear, a denormal result lane is an
 * underflow the masked host run did not report. */
uint32_t tiny_results(const struct soft_cpu *cpu, const xmm_t *r, enum fp_shape shape)
{
	unsigned lanes = shape == FP_PS ? 4 : shape == FP_PD || shape == FP_PS2 ? 2 : 1;
	bool wide = shape == FP_SD || shape == FP_PD;

	if (shape == FP_NONE || (cpu->fpu.mxcsr & MXCSR_UM))
		return 0;
	for (unsigned i = 0; i < lanes; i++) {
		bool denormal = wide ? !(r->q[i] & 0x7ff0000000000000ull) && (r->q[i] << 12)
				     : !(r->d[i] & 0x7f800000u) && (r->d[i] << 9);

		if (denormal)
			return MXCSR_UE;
	}
	return 0;
}

/* Fold the flags the host raised into the guest MXCSR. An exception the guest has
 * unmasked ends the instruction with #XM (#UD without CR4.OSXMMEXCPT) before its
 * result is written; the pre-computation ones (invalid, denormal, divide by zero)
 * stop it before post-computation ones (overflow, underflow, precision) are
 * looked for. Not exact: with an unmasked overflow or underflow, hardware reports
 * precision only if the result rounded with an unbounded exponent is inexact;
 * here it is reported as the masked computation found it. */
void fp_commit(struct soft_cpu *cpu, uint32_t csr)
{
	uint32_t raised = csr & MXCSR_FLAGS, unmasked = raised & ~(cpu->fpu.mxcsr >> 7) & MXCSR_FLAGS;

	if (unmasked) {
		if (unmasked & MXCSR_PRECOMPUTATION)
			raised &= MXCSR_PRECOMPUTATION;
		cpu->fpu.mxcsr |= raised;
		cpu_raise(cpu, (cpu->cr4 & CR4_OSXMMEXCPT) ? EXC_XM : EXC_UD, false, 0);
	}
	cpu->fpu.mxcsr |= raised;
}

HOST_SSE_OP(host_addss, "addss")
HOST_SSE_OP(host_addsd, "addsd")
HOST_SSE_OP(host_addps, "addps")
HOST_SSE_OP(host_addpd, "addpd")
HOST_SSE_OP(host_subss, "subss")
HOST_SSE_OP(host_subsd, "subsd")
HOST_SSE_OP(host_subps, "subps")
HOST_SSE_OP(host_subpd, "subpd")
HOST_SSE_OP(host_mulss, "mulss")
HOST_SSE_OP(host_mulsd, "mulsd")
HOST_SSE_OP(host_mulps, "mulps")
HOST_SSE_OP(host_mulpd, "mulpd")
HOST_SSE_OP(host_divss, "divss")
HOST_SSE_OP(host_divsd, "divsd")
HOST_SSE_OP(host_divps, "divps")
HOST_SSE_OP(host_divpd, "divpd")
HOST_SSE_OP(host_minss, "minss")
HOST_SSE_OP(host_minsd, "minsd")
HOST_SSE_OP(host_minps, "minps")
HOST_SSE_OP(host_minpd, "minpd")
HOST_SSE_OP(host_maxss, "maxss")
HOST_SSE_OP(host_maxsd, "maxsd")
HOST_SSE_OP(host_maxps, "maxps")
HOST_SSE_OP(host_maxpd, "maxpd")
HOST_SSE_OP(host_sqrtss, "sqrtss")
HOST_SSE_OP(host_sqrtsd, "sqrtsd")
HOST_SSE_OP(host_sqrtps, "sqrtps")
HOST_SSE_OP(host_sqrtpd, "sqrtpd")
HOST_SSE_OP(host_rcpss, "rcpss")
HOST_SSE_OP(host_rcpps, "rcpps")
HOST_SSE_OP(host_rsqrtss, "rsqrtss")
HOST_SSE_OP(host_rsqrtps, "rsqrtps")
HOST_SSE_OP(host_cvtss2sd, "cvtss2sd")
HOST_SSE_OP(host_cvtsd2ss, "cvtsd2ss")
HOST_SSE_OP(host_cvtps2pd, "cvtps2pd")
HOST_SSE_OP(host_cvtpd2ps, "cvtpd2ps")
HOST_SSE_OP(host_cvtdq2ps, "cvtdq2ps")
HOST_SSE_OP(host_cvtdq2pd, "cvtdq2pd")
HOST_SSE_OP(host_cvtps2dq, "cvtps2dq")
HOST_SSE_OP(host_cvttps2dq, "cvttps2dq")
HOST_SSE_OP(host_cvtpd2dq, "cvtpd2dq")
HOST_SSE_OP(host_cvttpd2dq, "cvttpd2dq")

/* CMPPS/CMPPD/CMPSS/CMPSD: predicates 0-7 (EQ LT LE UNORD NEQ NLT NLE ORD). */
static HOST_SSE_OP(host_cmpps0, "cmpps $0,") static HOST_SSE_OP(host_cmpps1, "cmpps $1,") static HOST_SSE_OP(host_cmpps2, "cmpps $2,") static HOST_SSE_OP(host_cmpps3, "cmpps $3,") static HOST_SSE_OP(
    host_cmpps4, "cmpps $4,") static HOST_SSE_OP(host_cmpps5,
						 "cmpps $5,") static HOST_SSE_OP(host_cmpps6,
										 "cmpps $6,") static HOST_SSE_OP(host_cmpps7, "cmpps $7,") static HOST_SSE_OP(host_cmppd0,
																			      "cmppd $0,") static HOST_SSE_OP(host_cmppd1, "cmppd $1,") static HOST_SSE_OP(host_cmppd2, "cmppd $2,") static HOST_SSE_OP(host_cmppd3, "cmppd $3,") static HOST_SSE_OP(host_cmppd4,
																																								     "cmppd $4,") static HOST_SSE_OP(host_cmppd5, "cmppd $5,") static HOST_SSE_OP(host_cmppd6,
																																																		  "cmppd $6,") static HOST_SSE_OP(host_cmppd7,
																																																						  "cmppd $7,") static HOST_SSE_OP(host_cmpss0,
																																																										  "cmpss $0,") static HOST_SSE_OP(host_cmpss1,
																																																														  "cmpss $1,") static HOST_SSE_OP(host_cmpss2,
																																																																		  "cmpss $2,") static HOST_SSE_OP(host_cmpss3,
																																																																						  "cmpss $3,") static HOST_SSE_OP(host_cmpss4,
																																																																										  "cmpss $4,") static HOST_SSE_OP(host_cmpss5, "cmpss $5,") static HOST_SSE_OP(host_cmpss6,
																																																																																			       "cmpss $6,") static HOST_SSE_OP(host_cmpss7,
																																																																																							       "cmpss $7,") static HOST_SSE_OP(host_cmpsd0, "cmpsd $0,") static HOST_SSE_OP(host_cmpsd1, "cmpsd $1,") static HOST_SSE_OP(host_cmpsd2, "cmpsd $2,") static HOST_SSE_OP(host_cmpsd3, "cmpsd $3,") static HOST_SSE_OP(host_cmpsd4, "cmpsd $4,") static HOST_SSE_OP(host_cmpsd5,
																																																																																																																								"cmpsd $5,") static HOST_SSE_OP(host_cmpsd6,
																																																																																																																												"cmpsd $6,") static HOST_SSE_OP(host_cmpsd7,
																																																																																																																																"cmpsd $7,")

    const fp_fn cmpps_fn[8] = { host_cmpps0, host_cmpps1, host_cmpps2, host_cmpps3,
				host_cmpps4, host_cmpps5, host_cmpps6, host_cmpps7 };
const fp_fn cmppd_fn[8] = { host_cmppd0, host_cmppd1, host_cmppd2, host_cmppd3,
			    host_cmppd4, host_cmppd5, host_cmppd6, host_cmppd7 };
const fp_fn cmpss_fn[8] = { host_cmpss0, host_cmpss1, host_cmpss2, host_cmpss3,
			    host_cmpss4, host_cmpss5, host_cmpss6, host_cmpss7 };
const fp_fn cmpsd_fn[8] = { host_cmpsd0, host_cmpsd1, host_cmpsd2, host_cmpsd3,
			    host_cmpsd4, host_cmpsd5, host_cmpsd6, host_cmpsd7 };

void fp_run_lanes(struct soft_cpu *cpu, const struct fp_lane_op *op, xmm_t *d, const xmm_t *s, unsigned lanes)
{
	uint32_t csr = guest_csr(cpu), tiny = 0;

	for (unsigned l = 0; l < lanes; l++) {
		if (op->fn)
			op->fn(&d[l], &s[l], &csr);
		else
			op->imm_fn(&d[l], &s[l], &csr, op->imm);
		tiny |= tiny_results(cpu, &d[l], op->shape);
	}
	fp_commit(cpu, csr | tiny);
}

/* dst = fn(dst, src): a scalar source from memory is read at its own width, so
 * only the bytes the instruction reads can fault. */
void fp_binop(struct soft_cpu *cpu, const struct insn *in, fp_fn fn, enum fp_shape shape)
{
	const struct fp_lane_op op = { fn, NULL, 0, shape };
	xmm_t d, s;

	sse_check(cpu);
	s = sse_src(cpu, in, &in->op[1], false);
	d = xmm_get(cpu, in->op[0].reg);
	fp_run_lanes(cpu, &op, &d, &s, 1);
	xmm_set(cpu, in->op[0].reg, &d);
}

FP_HANDLER(h_addss, host_addss, FP_SS)
FP_HANDLER(h_addsd, host_addsd, FP_SD)
FP_HANDLER(h_addps, host_addps, FP_PS)
FP_HANDLER(h_addpd, host_addpd, FP_PD)
FP_HANDLER(h_subss, host_subss, FP_SS)
FP_HANDLER(h_subsd, host_subsd, FP_SD)
FP_HANDLER(h_subps, host_subps, FP_PS)
FP_HANDLER(h_subpd, host_subpd, FP_PD)
FP_HANDLER(h_mulss, host_mulss, FP_SS)
FP_HANDLER(h_mulsd, host_mulsd, FP_SD)
FP_HANDLER(h_mulps, host_mulps, FP_PS)
FP_HANDLER(h_mulpd, host_mulpd, FP_PD)
FP_HANDLER(h_divss, host_divss, FP_SS)
FP_HANDLER(h_divsd, host_divsd, FP_SD)
FP_HANDLER(h_divps, host_divps, FP_PS)
FP_HANDLER(h_divpd, host_divpd, FP_PD)
FP_HANDLER(h_minss, host_minss, FP_NONE)
FP_HANDLER(h_minsd, host_minsd, FP_NONE)
FP_HANDLER(h_minps, host_minps, FP_NONE)
FP_HANDLER(h_minpd, host_minpd, FP_NONE)
FP_HANDLER(h_maxss, host_maxss, FP_NONE)
FP_HANDLER(h_maxsd, host_maxsd, FP_NONE)
FP_HANDLER(h_maxps, host_maxps, FP_NONE)
FP_HANDLER(h_maxpd, host_maxpd, FP_NONE)
FP_HANDLER(h_sqrtss, host_sqrtss, FP_NONE)
FP_HANDLER(h_sqrtsd, host_sqrtsd, FP_NONE)
FP_HANDLER(h_sqrtps, host_sqrtps, FP_NONE)
FP_HANDLER(h_sqrtpd, host_sqrtpd, FP_NONE)
FP_HANDLER(h_rcpss, host_rcpss, FP_NONE)
FP_HANDLER(h_rcpps, host_rcpps, FP_NONE)
FP_HANDLER(h_rsqrtss, host_rsqrtss, FP_NONE)
FP_HANDLER(h_rsqrtps, host_rsqrtps, FP_NONE)
FP_HANDLER(h_cvtss2sd, host_cvtss2sd, FP_NONE)
FP_HANDLER(h_cvtsd2ss, host_cvtsd2ss, FP_SS)
FP_HANDLER(h_cvtps2pd, host_cvtps2pd, FP_NONE)
FP_HANDLER(h_cvtpd2ps, host_cvtpd2ps, FP_PS2)
FP_HANDLER(h_cvtdq2ps, host_cvtdq2ps, FP_NONE)
FP_HANDLER(h_cvtdq2pd, host_cvtdq2pd, FP_NONE)
FP_HANDLER(h_cvtps2dq, host_cvtps2dq, FP_NONE)
FP_HANDLER(h_cvttps2dq, host_cvttps2dq, FP_NONE)
FP_HANDLER(h_cvtpd2dq, host_cvtpd2dq, FP_NONE)
FP_HANDLER(h_cvttpd2dq, host_cvttpd2dq, FP_NONE)

static void h_cmpps(struct soft_cpu *cpu, const struct insn *in)
{
	fp_binop(cpu, in, cmpps_fn[in->op[2].imm & 7], FP_NONE);
}

static void h_cmppd(struct soft_cpu *cpu, const struct insn *in)
{
	fp_binop(cpu, in, cmppd_fn[in->op[2].imm & 7], FP_NONE);
}

static void h_cmpss(struct soft_cpu *cpu, const struct insn *in)
{
	fp_binop(cpu, in, cmpss_fn[in->op[2].imm & 7], FP_NONE);
}

static void h_cmpsd_sse(struct soft_cpu *cpu, const struct insn *in)
{
	fp_binop(cpu, in, cmpsd_fn[in->op[2].imm & 7], FP_NONE);
}

/* ---- comparisons into RFLAGS --------------------------------------------------- */

#define HOST_SSE_COMPARE(name, insn)                                                                                   \
	uint64_t name(const xmm_t *a, const xmm_t *b, uint32_t *csr)                                                   \
	{                                                                                                              \
		uint32_t saved;                                                                                        \
		uint8_t z, p, c;                                                                                       \
		__asm__ volatile("stmxcsr %[saved]\n\tldmxcsr %[csr]\n\t" insn " %[b], %[a]\n\t"                       \
				 "setz %[z]\n\tsetp %[p]\n\tsetc %[c]\n\tstmxcsr %[csr]\n\tldmxcsr %[saved]"           \
				 : [z] "=qm"(z), [p] "=qm"(p), [c] "=qm"(c), [csr] "+m"(*csr), [saved] "=m"(saved)     \
				 : [a] "x"(a->i), [b] "x"(b->i)                                                        \
				 : "cc");                                                                              \
		return (z ? RFLAGS_ZF : 0) | (p ? RFLAGS_PF : 0) | (c ? RFLAGS_CF : 0);                                \
	}

HOST_SSE_COMPARE(host_comiss, "comiss")
HOST_SSE_COMPARE(host_comisd, "comisd")
HOST_SSE_COMPARE(host_ucomiss, "ucomiss")
HOST_SSE_COMPARE(host_ucomisd, "ucomisd")

void sse_compare_into_flags(struct soft_cpu *cpu, const xmm_t *a, const xmm_t *b, fp_compare_fn fn)
{
	uint32_t csr = guest_csr(cpu);
	uint64_t f = fn(a, b, &csr);

	fp_commit(cpu, csr);
	flags_set_arith(cpu, f);
}

static void fp_compare(struct soft_cpu *cpu, const struct insn *in, fp_compare_fn fn)
{
	xmm_t a, b;

	sse_check(cpu);
	b = sse_src(cpu, in, &in->op[1], false);
	a = xmm_get(cpu, in->op[0].reg);
	sse_compare_into_flags(cpu, &a, &b, fn);
}

static void h_comiss(struct soft_cpu *cpu, const struct insn *in)
{
	fp_compare(cpu, in, host_comiss);
}

static void h_comisd(struct soft_cpu *cpu, const struct insn *in)
{
	fp_compare(cpu, in, host_comisd);
}

static void h_ucomiss(struct soft_cpu *cpu, const struct insn *in)
{
	fp_compare(cpu, in, host_ucomiss);
}

static void h_ucomisd(struct soft_cpu *cpu, const struct insn *in)
{
	fp_compare(cpu, in, host_ucomisd);
}

/* ---- conversions with a general-purpose register ------------------------------- */

#define HOST_SSE_FROM_GPR(name, insn, type)                                                                            \
	void name(xmm_t *d, uint64_t v, uint32_t *csr)                                                                 \
	{                                                                                                              \
		uint32_t saved;                                                                                        \
		type s = (type)v;                                                                                      \
		__asm__ volatile("stmxcsr %[saved]\n\tldmxcsr %[csr]\n\t" insn " %[src], %[dst]\n\t"                   \
				 "stmxcsr %[csr]\n\tldmxcsr %[saved]"                                                  \
				 : [dst] "+x"(d->i), [csr] "+m"(*csr), [saved] "=m"(saved)                             \
				 : [src] "r"(s));                                                                      \
	}

HOST_SSE_FROM_GPR(host_cvtsi2ss32, "cvtsi2ssl", uint32_t)
HOST_SSE_FROM_GPR(host_cvtsi2ss64, "cvtsi2ssq", uint64_t)
HOST_SSE_FROM_GPR(host_cvtsi2sd32, "cvtsi2sdl", uint32_t)
HOST_SSE_FROM_GPR(host_cvtsi2sd64, "cvtsi2sdq", uint64_t)

void sse_from_gpr(struct soft_cpu *cpu, xmm_t *d, uint64_t v, unsigned size, from_gpr_fn fn32, from_gpr_fn fn64)
{
	uint32_t csr = guest_csr(cpu);

	(size == 8 ? fn64 : fn32)(d, v, &csr);
	fp_commit(cpu, csr);
}

static void from_gpr(struct soft_cpu *cpu, const struct insn *in, from_gpr_fn fn32, from_gpr_fn fn64)
{
	const struct operand *s = &in->op[1];
	uint64_t v;
	xmm_t d;

	sse_check(cpu);
	v = op_read(cpu, in, s);
	d = xmm_get(cpu, in->op[0].reg);
	sse_from_gpr(cpu, &d, v, s->size, fn32, fn64);
	xmm_set(cpu, in->op[0].reg, &d);
}

static void h_cvtsi2ss(struct soft_cpu *cpu, const struct insn *in)
{
	from_gpr(cpu, in, host_cvtsi2ss32, host_cvtsi2ss64);
}

static void h_cvtsi2sd(struct soft_cpu *cpu, const struct insn *in)
{
	from_gpr(cpu, in, host_cvtsi2sd32, host_cvtsi2sd64);
}

#define HOST_SSE_TO_GPR(name, insn, type)                                                                              \
	uint64_t name(const xmm_t *s, uint32_t *csr)                                                                   \
	{                                                                                                              \
		uint32_t saved;                                                                                        \
		type r;                                                                                                \
		__asm__ volatile("stmxcsr %[saved]\n\tldmxcsr %[csr]\n\t" insn " %[src], %[r]\n\t"                     \
				 "stmxcsr %[csr]\n\tldmxcsr %[saved]"                                                  \
				 : [r] "=r"(r), [csr] "+m"(*csr), [saved] "=m"(saved)                                  \
				 : [src] "x"(s->i));                                                                   \
		return r;                                                                                              \
	}

HOST_SSE_TO_GPR(host_cvtss2si32, "cvtss2si", uint32_t)
HOST_SSE_TO_GPR(host_cvtss2si64, "cvtss2si", uint64_t)
HOST_SSE_TO_GPR(host_cvttss2si32, "cvttss2si", uint32_t)
HOST_SSE_TO_GPR(host_cvttss2si64, "cvttss2si", uint64_t)
HOST_SSE_TO_GPR(host_cvtsd2si32, "cvtsd2si", uint32_t)
HOST_SSE_TO_GPR(host_cvtsd2si64, "cvtsd2si", uint64_t)
HOST_SSE_TO_GPR(host_cvttsd2si32, "cvttsd2si", uint32_t)
HOST_SSE_TO_GPR(host_cvttsd2si64, "cvttsd2si", uint64_t)

void sse_to_gpr(struct soft_cpu *cpu, const struct operand *d, const xmm_t *s, to_gpr_fn fn32, to_gpr_fn fn64)
{
	uint32_t csr = guest_csr(cpu);
	uint64_t r = (d->size == 8 ? fn64 : fn32)(s, &csr);

	fp_commit(cpu, csr);
	reg_write(cpu, d->reg, d->size, r);
}

static void to_gpr(struct soft_cpu *cpu, const struct insn *in, to_gpr_fn fn32, to_gpr_fn fn64)
{
	xmm_t s;

	sse_check(cpu);
	s = sse_src(cpu, in, &in->op[1], false);
	sse_to_gpr(cpu, &in->op[0], &s, fn32, fn64);
}

static void h_cvtss2si(struct soft_cpu *cpu, const struct insn *in)
{
	to_gpr(cpu, in, host_cvtss2si32, host_cvtss2si64);
}

static void h_cvttss2si(struct soft_cpu *cpu, const struct insn *in)
{
	to_gpr(cpu, in, host_cvttss2si32, host_cvttss2si64);
}

static void h_cvtsd2si(struct soft_cpu *cpu, const struct insn *in)
{
	to_gpr(cpu, in, host_cvtsd2si32, host_cvtsd2si64);
}

static void h_cvttsd2si(struct soft_cpu *cpu, const struct insn *in)
{
	to_gpr(cpu, in, host_cvttsd2si32, host_cvttsd2si64);
}

/* ---- conversions with an MMX register ------------------------------------------ */

/* CVTPI2PS and CVTPI2PD: two doublewords of an MMX register or of memory;
 * CVTPI2PS keeps the destination's high quadword. From memory neither enters
 * the MMX state nor takes a pending x87 exception: the SDM says so for
 * CVTPI2PD, and the AMD host does the same for CVTPI2PS (the SDM's text for
 * CVTPI2PS has it enter the MMX state whatever its source; the differential
 * test against the host showed otherwise). */
static void from_mmx(struct soft_cpu *cpu, const struct insn *in, fp_fn fn, bool keep_high)
{
	const struct operand *s = &in->op[1];
	bool mmx_state = s->kind == OK_MM;
	xmm_t d, r, v = { .q = { 0, 0 } };
	uint32_t csr;

	if (mmx_state)
		mmx_sse_check(cpu);
	else
		sse_check(cpu);
	v.q[0] = mmx_src(cpu, in, s);
	r = d = xmm_get(cpu, in->op[0].reg);
	csr = guest_csr(cpu);
	fn(&r, &v, &csr);
	fp_commit(cpu, csr);
	if (keep_high)
		r.q[1] = d.q[1];
	if (mmx_state)
		mmx_enter(cpu);
	xmm_set(cpu, in->op[0].reg, &r);
}

static void h_cvtpi2ps(struct soft_cpu *cpu, const struct insn *in)
{
	from_mmx(cpu, in, host_cvtdq2ps, true);
}

static void h_cvtpi2pd(struct soft_cpu *cpu, const struct insn *in)
{
	from_mmx(cpu, in, host_cvtdq2pd, false);
}

/* CVT(T)PS2PI: the low two floats of an XMM register or m64; CVT(T)PD2PI: two
 * doubles of an XMM register or an aligned m128. Lanes beyond those are zero,
 * which converts without raising anything. */
static void to_mmx(struct soft_cpu *cpu, const struct insn *in, fp_fn fn, bool two_floats)
{
	xmm_t s, r = { .q = { 0, 0 } };
	uint32_t csr;

	mmx_sse_check(cpu);
	s = sse_src(cpu, in, &in->op[1], false);
	if (two_floats)
		s.q[1] = 0;
	csr = guest_csr(cpu);
	fn(&r, &s, &csr);
	fp_commit(cpu, csr);
	mmx_write(cpu, in->op[0].reg, r.q[0]);
}

static void h_cvtps2pi(struct soft_cpu *cpu, const struct insn *in)
{
	to_mmx(cpu, in, host_cvtps2dq, true);
}

static void h_cvttps2pi(struct soft_cpu *cpu, const struct insn *in)
{
	to_mmx(cpu, in, host_cvttps2dq, true);
}

static void h_cvtpd2pi(struct soft_cpu *cpu, const struct insn *in)
{
	to_mmx(cpu, in, host_cvtpd2dq, false);
}

static void h_cvttpd2pi(struct soft_cpu *cpu, const struct insn *in)
{
	to_mmx(cpu, in, host_cvttpd2dq, false);
}

/* ---- MXCSR --------------------------------------------------------------------- */

void mxcsr_set(struct soft_cpu *cpu, uint32_t v)
{
	/* A translating engine runs floating-point code under the guest's
	 * control bits, and as itself only while every exception is masked:
	 * it must look again. */
	if ((cpu->fpu.mxcsr ^ v) & ~0x3fu)
		cpu->leave_block = true;
	cpu->fpu.mxcsr = v;
}

void mxcsr_load(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t v = op_read(cpu, in, &in->op[0]);

	if (v & ~0xffffull) /* reserved bits: #GP(0) */
		cpu_raise_gp0(cpu);
	mxcsr_set(cpu, (uint32_t)v);
}

void mxcsr_store(struct soft_cpu *cpu, const struct insn *in)
{
	op_write(cpu, in, &in->op[0], cpu->fpu.mxcsr);
}

static void h_ldmxcsr(struct soft_cpu *cpu, const struct insn *in)
{
	sse_check(cpu);
	mxcsr_load(cpu, in);
}

static void h_stmxcsr(struct soft_cpu *cpu, const struct insn *in)
{
	sse_check(cpu);
	mxcsr_store(cpu, in);
}

const struct dispatch_entry exec_sse_table[] = {
	/* moves */
	{ ZYDIS_MNEMONIC_MOVAPS, h_move_aligned, 0 },
	{ ZYDIS_MNEMONIC_MOVAPD, h_move_aligned, 0 },
	{ ZYDIS_MNEMONIC_MOVDQA, h_move_aligned, 0 },
	{ ZYDIS_MNEMONIC_MOVNTPS, h_move_aligned, 0 },
	{ ZYDIS_MNEMONIC_MOVNTPD, h_move_aligned, 0 },
	{ ZYDIS_MNEMONIC_MOVNTDQ, h_move_aligned, 0 },
	{ ZYDIS_MNEMONIC_MOVUPS, h_move_unaligned, 0 },
	{ ZYDIS_MNEMONIC_MOVUPD, h_move_unaligned, 0 },
	{ ZYDIS_MNEMONIC_MOVDQU, h_move_unaligned, 0 },
	{ ZYDIS_MNEMONIC_MOVD, h_movd_movq, 0 },
	{ ZYDIS_MNEMONIC_MOVQ, h_movd_movq, 0 },
	{ ZYDIS_MNEMONIC_MOVSS, h_movss, 0 },
	{ ZYDIS_MNEMONIC_MOVLPS, h_move_low, 0 },
	{ ZYDIS_MNEMONIC_MOVLPD, h_move_low, 0 },
	{ ZYDIS_MNEMONIC_MOVHPS, h_move_high, 0 },
	{ ZYDIS_MNEMONIC_MOVHPD, h_move_high, 0 },
	{ ZYDIS_MNEMONIC_MOVHLPS, h_movhlps, 0 },
	{ ZYDIS_MNEMONIC_MOVLHPS, h_movlhps, 0 },
	{ ZYDIS_MNEMONIC_MOVNTI, h_movnti, 0 },
	{ ZYDIS_MNEMONIC_MASKMOVDQU, h_maskmovdqu, 0 },
	{ ZYDIS_MNEMONIC_MOVMSKPS, h_movmskps, 0 },
	{ ZYDIS_MNEMONIC_MOVMSKPD, h_movmskpd, 0 },
	{ ZYDIS_MNEMONIC_PMOVMSKB, h_pmovmskb, 0 },
	/* bitwise */
	{ ZYDIS_MNEMONIC_PAND, h_pand, 0 },
	{ ZYDIS_MNEMONIC_PANDN, h_pandn, 0 },
	{ ZYDIS_MNEMONIC_POR, h_por, 0 },
	{ ZYDIS_MNEMONIC_PXOR, h_pxor, 0 },
	/* bitwise operations on floating-point vectors raise nothing */
	{ ZYDIS_MNEMONIC_ANDPS, h_pand, 0 },
	{ ZYDIS_MNEMONIC_ANDPD, h_pand, 0 },
	{ ZYDIS_MNEMONIC_ANDNPS, h_pandn, 0 },
	{ ZYDIS_MNEMONIC_ANDNPD, h_pandn, 0 },
	{ ZYDIS_MNEMONIC_ORPS, h_por, 0 },
	{ ZYDIS_MNEMONIC_ORPD, h_por, 0 },
	{ ZYDIS_MNEMONIC_XORPS, h_pxor, 0 },
	{ ZYDIS_MNEMONIC_XORPD, h_pxor, 0 },
	/* packed integers */
	{ ZYDIS_MNEMONIC_PADDB, h_paddb, 0 },
	{ ZYDIS_MNEMONIC_PADDW, h_paddw, 0 },
	{ ZYDIS_MNEMONIC_PADDD, h_paddd, 0 },
	{ ZYDIS_MNEMONIC_PADDQ, h_paddq, 0 },
	{ ZYDIS_MNEMONIC_PSUBB, h_psubb, 0 },
	{ ZYDIS_MNEMONIC_PSUBW, h_psubw, 0 },
	{ ZYDIS_MNEMONIC_PSUBD, h_psubd, 0 },
	{ ZYDIS_MNEMONIC_PSUBQ, h_psubq, 0 },
	{ ZYDIS_MNEMONIC_PADDSB, h_paddsb, 0 },
	{ ZYDIS_MNEMONIC_PADDSW, h_paddsw, 0 },
	{ ZYDIS_MNEMONIC_PSUBSB, h_psubsb, 0 },
	{ ZYDIS_MNEMONIC_PSUBSW, h_psubsw, 0 },
	{ ZYDIS_MNEMONIC_PADDUSB, h_paddusb, 0 },
	{ ZYDIS_MNEMONIC_PADDUSW, h_paddusw, 0 },
	{ ZYDIS_MNEMONIC_PSUBUSB, h_psubusb, 0 },
	{ ZYDIS_MNEMONIC_PSUBUSW, h_psubusw, 0 },
	{ ZYDIS_MNEMONIC_PCMPEQB, h_pcmpeqb, 0 },
	{ ZYDIS_MNEMONIC_PCMPEQW, h_pcmpeqw, 0 },
	{ ZYDIS_MNEMONIC_PCMPEQD, h_pcmpeqd, 0 },
	{ ZYDIS_MNEMONIC_PCMPGTB, h_pcmpgtb, 0 },
	{ ZYDIS_MNEMONIC_PCMPGTW, h_pcmpgtw, 0 },
	{ ZYDIS_MNEMONIC_PCMPGTD, h_pcmpgtd, 0 },
	{ ZYDIS_MNEMONIC_PMINUB, h_pminub, 0 },
	{ ZYDIS_MNEMONIC_PMAXUB, h_pmaxub, 0 },
	{ ZYDIS_MNEMONIC_PMINSW, h_pminsw, 0 },
	{ ZYDIS_MNEMONIC_PMAXSW, h_pmaxsw, 0 },
	{ ZYDIS_MNEMONIC_PAVGB, h_pavgb, 0 },
	{ ZYDIS_MNEMONIC_PAVGW, h_pavgw, 0 },
	{ ZYDIS_MNEMONIC_PSADBW, h_psadbw, 0 },
	{ ZYDIS_MNEMONIC_PMULLW, h_pmullw, 0 },
	{ ZYDIS_MNEMONIC_PMULHW, h_pmulhw, 0 },
	{ ZYDIS_MNEMONIC_PMULHUW, h_pmulhuw, 0 },
	{ ZYDIS_MNEMONIC_PMULUDQ, h_pmuludq, 0 },
	{ ZYDIS_MNEMONIC_PMADDWD, h_pmaddwd, 0 },
	{ ZYDIS_MNEMONIC_PACKUSWB, h_packuswb, 0 },
	{ ZYDIS_MNEMONIC_PACKSSWB, h_packsswb, 0 },
	{ ZYDIS_MNEMONIC_PACKSSDW, h_packssdw, 0 },
	{ ZYDIS_MNEMONIC_PUNPCKLBW, h_punpcklbw, 0 },
	{ ZYDIS_MNEMONIC_PUNPCKLWD, h_punpcklwd, 0 },
	{ ZYDIS_MNEMONIC_PUNPCKLDQ, h_punpckldq, 0 },
	{ ZYDIS_MNEMONIC_PUNPCKLQDQ, h_punpcklqdq, 0 },
	{ ZYDIS_MNEMONIC_PUNPCKHBW, h_punpckhbw, 0 },
	{ ZYDIS_MNEMONIC_PUNPCKHWD, h_punpckhwd, 0 },
	{ ZYDIS_MNEMONIC_PUNPCKHDQ, h_punpckhdq, 0 },
	{ ZYDIS_MNEMONIC_PUNPCKHQDQ, h_punpckhqdq, 0 },
	{ ZYDIS_MNEMONIC_UNPCKLPS, h_punpckldq, 0 },
	{ ZYDIS_MNEMONIC_UNPCKHPS, h_punpckhdq, 0 },
	{ ZYDIS_MNEMONIC_UNPCKLPD, h_punpcklqdq, 0 },
	{ ZYDIS_MNEMONIC_UNPCKHPD, h_punpckhqdq, 0 },
	{ ZYDIS_MNEMONIC_PSLLW, h_psllw, 0 },
	{ ZYDIS_MNEMONIC_PSLLD, h_pslld, 0 },
	{ ZYDIS_MNEMONIC_PSLLQ, h_psllq, 0 },
	{ ZYDIS_MNEMONIC_PSRLW, h_psrlw, 0 },
	{ ZYDIS_MNEMONIC_PSRLD, h_psrld, 0 },
	{ ZYDIS_MNEMONIC_PSRLQ, h_psrlq, 0 },
	{ ZYDIS_MNEMONIC_PSRAW, h_psraw, 0 },
	{ ZYDIS_MNEMONIC_PSRAD, h_psrad, 0 },
	{ ZYDIS_MNEMONIC_PSLLDQ, h_pslldq, 0 },
	{ ZYDIS_MNEMONIC_PSRLDQ, h_psrldq, 0 },
	{ ZYDIS_MNEMONIC_PSHUFD, h_pshufd, 0 },
	{ ZYDIS_MNEMONIC_PSHUFLW, h_pshuflw, 0 },
	{ ZYDIS_MNEMONIC_PSHUFHW, h_pshufhw, 0 },
	{ ZYDIS_MNEMONIC_SHUFPS, h_shufps, 0 },
	{ ZYDIS_MNEMONIC_SHUFPD, h_shufpd, 0 },
	{ ZYDIS_MNEMONIC_PINSRW, h_pinsrw, 0 },
	{ ZYDIS_MNEMONIC_PEXTRW, h_pextrw, 0 },
	/* floating point */
	{ ZYDIS_MNEMONIC_ADDSS, h_addss, 0 },
	{ ZYDIS_MNEMONIC_ADDSD, h_addsd, 0 },
	{ ZYDIS_MNEMONIC_ADDPS, h_addps, 0 },
	{ ZYDIS_MNEMONIC_ADDPD, h_addpd, 0 },
	{ ZYDIS_MNEMONIC_SUBSS, h_subss, 0 },
	{ ZYDIS_MNEMONIC_SUBSD, h_subsd, 0 },
	{ ZYDIS_MNEMONIC_SUBPS, h_subps, 0 },
	{ ZYDIS_MNEMONIC_SUBPD, h_subpd, 0 },
	{ ZYDIS_MNEMONIC_MULSS, h_mulss, 0 },
	{ ZYDIS_MNEMONIC_MULSD, h_mulsd, 0 },
	{ ZYDIS_MNEMONIC_MULPS, h_mulps, 0 },
	{ ZYDIS_MNEMONIC_MULPD, h_mulpd, 0 },
	{ ZYDIS_MNEMONIC_DIVSS, h_divss, 0 },
	{ ZYDIS_MNEMONIC_DIVSD, h_divsd, 0 },
	{ ZYDIS_MNEMONIC_DIVPS, h_divps, 0 },
	{ ZYDIS_MNEMONIC_DIVPD, h_divpd, 0 },
	{ ZYDIS_MNEMONIC_MINSS, h_minss, 0 },
	{ ZYDIS_MNEMONIC_MINSD, h_minsd, 0 },
	{ ZYDIS_MNEMONIC_MINPS, h_minps, 0 },
	{ ZYDIS_MNEMONIC_MINPD, h_minpd, 0 },
	{ ZYDIS_MNEMONIC_MAXSS, h_maxss, 0 },
	{ ZYDIS_MNEMONIC_MAXSD, h_maxsd, 0 },
	{ ZYDIS_MNEMONIC_MAXPS, h_maxps, 0 },
	{ ZYDIS_MNEMONIC_MAXPD, h_maxpd, 0 },
	{ ZYDIS_MNEMONIC_SQRTSS, h_sqrtss, 0 },
	{ ZYDIS_MNEMONIC_SQRTSD, h_sqrtsd, 0 },
	{ ZYDIS_MNEMONIC_SQRTPS, h_sqrtps, 0 },
	{ ZYDIS_MNEMONIC_SQRTPD, h_sqrtpd, 0 },
	{ ZYDIS_MNEMONIC_RCPSS, h_rcpss, 0 },
	{ ZYDIS_MNEMONIC_RCPPS, h_rcpps, 0 },
	{ ZYDIS_MNEMONIC_RSQRTSS, h_rsqrtss, 0 },
	{ ZYDIS_MNEMONIC_RSQRTPS, h_rsqrtps, 0 },
	{ ZYDIS_MNEMONIC_CMPPS, h_cmpps, 0 },
	{ ZYDIS_MNEMONIC_CMPPD, h_cmppd, 0 },
	{ ZYDIS_MNEMONIC_CMPSS, h_cmpss, 0 },
	{ ZYDIS_MNEMONIC_COMISS, h_comiss, 0 },
	{ ZYDIS_MNEMONIC_COMISD, h_comisd, 0 },
	{ ZYDIS_MNEMONIC_UCOMISS, h_ucomiss, 0 },
	{ ZYDIS_MNEMONIC_UCOMISD, h_ucomisd, 0 },
	{ ZYDIS_MNEMONIC_CVTSS2SD, h_cvtss2sd, 0 },
	{ ZYDIS_MNEMONIC_CVTSD2SS, h_cvtsd2ss, 0 },
	{ ZYDIS_MNEMONIC_CVTPS2PD, h_cvtps2pd, 0 },
	{ ZYDIS_MNEMONIC_CVTPD2PS, h_cvtpd2ps, 0 },
	{ ZYDIS_MNEMONIC_CVTDQ2PS, h_cvtdq2ps, 0 },
	{ ZYDIS_MNEMONIC_CVTDQ2PD, h_cvtdq2pd, 0 },
	{ ZYDIS_MNEMONIC_CVTPS2DQ, h_cvtps2dq, 0 },
	{ ZYDIS_MNEMONIC_CVTTPS2DQ, h_cvttps2dq, 0 },
	{ ZYDIS_MNEMONIC_CVTPD2DQ, h_cvtpd2dq, 0 },
	{ ZYDIS_MNEMONIC_CVTTPD2DQ, h_cvttpd2dq, 0 },
	{ ZYDIS_MNEMONIC_CVTPI2PS, h_cvtpi2ps, 0 },
	{ ZYDIS_MNEMONIC_CVTPI2PD, h_cvtpi2pd, 0 },
	{ ZYDIS_MNEMONIC_CVTPS2PI, h_cvtps2pi, 0 },
	{ ZYDIS_MNEMONIC_CVTTPS2PI, h_cvttps2pi, 0 },
	{ ZYDIS_MNEMONIC_CVTPD2PI, h_cvtpd2pi, 0 },
	{ ZYDIS_MNEMONIC_CVTTPD2PI, h_cvttpd2pi, 0 },
	{ ZYDIS_MNEMONIC_CVTSI2SS, h_cvtsi2ss, 0 },
	{ ZYDIS_MNEMONIC_CVTSI2SD, h_cvtsi2sd, 0 },
	{ ZYDIS_MNEMONIC_CVTSS2SI, h_cvtss2si, 0 },
	{ ZYDIS_MNEMONIC_CVTTSS2SI, h_cvttss2si, 0 },
	{ ZYDIS_MNEMONIC_CVTSD2SI, h_cvtsd2si, 0 },
	{ ZYDIS_MNEMONIC_CVTTSD2SI, h_cvttsd2si, 0 },
	{ ZYDIS_MNEMONIC_LDMXCSR, h_ldmxcsr, 0 },
	{ ZYDIS_MNEMONIC_STMXCSR, h_stmxcsr, 0 },
	{ 0, NULL, 0 },
};

/* Mnemonics Zydis shares with string instructions (dispatch_find_decoded). */
const struct dispatch_entry exec_sse_string_alias_table[] = {
	{ ZYDIS_MNEMONIC_MOVSD, h_movsd_sse, 0 },
	{ ZYDIS_MNEMONIC_CMPSD, h_cmpsd_sse, 0 },
	{ 0, NULL, 0 },
};
