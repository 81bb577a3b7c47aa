/* SSE4.1 (Intel SDM Vol. 2, chapters 3-5; AMD APM Vol. 4), the part of
 * x86-64-v2 after SSSE3: packed integer extensions, blends, the dot products,
 * rounding, PTEST, MPSADBW and the element inserts and extracts.
 *
 * Integer work is done lane by lane in C. The floating-point instructions
 * (ROUNDPS/PD/SS/SD, DPPS, DPPD) run the host's own instruction under the
 * guest's MXCSR, as exec_sse.c does for SSE and SSE2 (sse.h): rounding (the
 * imm8's or MXCSR.RC), the precision-suppress bit, DAZ and FZ, SNaN quieting,
 * the order of DPPS's multiplications and additions with the rounding of each
 * intermediate sum, and the flags raised are then the hardware's. The imm8 is
 * an immediate of the host instruction, so each takes a switch over the
 * values it can have. */
#include <string.h>

#include "engine/softcpu/flags.h"
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/simd_ops.h"
#include "engine/softcpu/sse.h"
#include "engine/softcpu/sse_ops.h"

/* ---- lanes --------------------------------------------------------------------- */

/* Element i of `size` bytes, zero-extended. */
static uint64_t lane(const xmm_t *x, unsigned size, unsigned i)
{
	uint64_t v = 0;

	memcpy(&v, x->b + i * size, size);
	return v;
}

static void set_lane(xmm_t *x, unsigned size, unsigned i, uint64_t v)
{
	memcpy(x->b + i * size, &v, size);
}

/* ---- two-operand integer operations: dst = fn(dst, src) ------------------------ */

static void xmm_binop(struct soft_cpu *cpu, const struct insn *in, xmm_binop_fn fn)
{
	xmm_t d, s;

	sse_check(cpu);
	s = sse_src(cpu, in, &in->op[1], false);
	d = xmm_get(cpu, in->op[0].reg);
	fn(&d, &s);
	xmm_set(cpu, in->op[0].reg, &d);
}

#define XMM_BINOP(name)                                                                                                \
	static void h_##name(struct soft_cpu *cpu, const struct insn *in)                                              \
	{                                                                                                              \
		xmm_binop(cpu, in, simd_##name);                                                                       \
	}

/* PMULDQ: the signed doublewords 0 and 2 multiplied into two quadwords. */
void simd_pmuldq(xmm_t *d, const xmm_t *s)
{
	for (unsigned i = 0; i < 2; i++)
		d->sq[i] = (int64_t)d->sd[2 * i] * s->sd[2 * i];
}

/* PMULLD: the low 32 bits of each product. */
void simd_pmulld(xmm_t *d, const xmm_t *s)
{
	for (unsigned i = 0; i < 4; i++)
		d->d[i] = (uint32_t)((uint64_t)d->d[i] * s->d[i]);
}

void simd_pcmpeqq(xmm_t *d, const xmm_t *s)
{
	for (unsigned i = 0; i < 2; i++)
		d->q[i] = d->q[i] == s->q[i] ? ~0ull : 0;
}

static uint16_t saturate_u16(int32_t v)
{
	return v < 0 ? 0 : v > 0xffff ? 0xffff : (uint16_t)v;
}

/* PACKUSDW: the destination's signed doublewords into the low four words, the
 * source's into the high four, saturated to unsigned words. */
void simd_packusdw(xmm_t *d, const xmm_t *s)
{
	xmm_t r;

	for (unsigned i = 0; i < 4; i++) {
		r.w[i] = saturate_u16(d->sd[i]);
		r.w[4 + i] = saturate_u16(s->sd[i]);
	}
	*d = r;
}

#define MIN_MAX(name, field, lanes, op)                                                                                \
	void simd_##name(xmm_t *d, const xmm_t *s)                                                                     \
	{                                                                                                              \
		for (unsigned i = 0; i < (lanes); i++)                                                                 \
			if (s->field[i] op d->field[i])                                                                \
				d->field[i] = s->field[i];                                                             \
	}                                                                                                              \
	XMM_BINOP(name)

MIN_MAX(pminsb, sb, 16, <)
MIN_MAX(pminsd, sd, 4, <)
MIN_MAX(pminuw, w, 8, <)
MIN_MAX(pminud, d, 4, <)
MIN_MAX(pmaxsb, sb, 16, >)
MIN_MAX(pmaxsd, sd, 4, >)
MIN_MAX(pmaxuw, w, 8, >)
MIN_MAX(pmaxud, d, 4, >)
XMM_BINOP(pmuldq)
XMM_BINOP(pmulld)
XMM_BINOP(pcmpeqq)
XMM_BINOP(packusdw)

/* PHMINPOSUW: the smallest unsigned word in word 0, the index of its first
 * occurrence in bits 18:16, zeros above. */
void simd_phminposuw(xmm_t *d, const xmm_t *s)
{
	unsigned at = 0;

	for (unsigned i = 1; i < 8; i++)
		if (s->w[i] < s->w[at])
			at = i;
	d->q[0] = s->w[at] | ((uint64_t)at << 16);
	d->q[1] = 0;
}
XMM_BINOP(phminposuw)

/* MPSADBW on one 128-bit lane: eight sums of absolute differences between
 * four bytes of s (at 4 * imm[1:0]) and the bytes of d from 4 * imm[2] + i on. */
xmm_t simd_mpsadbw(const xmm_t *d, const xmm_t *s, unsigned imm)
{
	unsigned from_s = (imm & 3) * 4, from_d = ((imm >> 2) & 1) * 4;
	xmm_t r;

	for (unsigned i = 0; i < 8; i++) {
		unsigned sum = 0;

		for (unsigned j = 0; j < 4; j++) {
			int diff = d->b[from_d + i + j] - s->b[from_s + j];

			sum += (unsigned)(diff < 0 ? -diff : diff);
		}
		r.w[i] = (uint16_t)sum;
	}
	return r;
}

static void h_mpsadbw(struct soft_cpu *cpu, const struct insn *in)
{
	xmm_t d, s;

	sse_check(cpu);
	s = sse_src(cpu, in, &in->op[1], false);
	d = xmm_get(cpu, in->op[0].reg);
	d = simd_mpsadbw(&d, &s, (unsigned)in->op[2].imm);
	xmm_set(cpu, in->op[0].reg, &d);
}

/* ---- PMOVSX / PMOVZX ------------------------------------------------------------ */

/* The low `count` elements of `from` bytes of s extended to `to` bytes each
 * into r. */
void simd_extend(uint8_t *r, const uint8_t *s, unsigned count, unsigned from, unsigned to, bool is_signed)
{
	for (unsigned i = 0; i < count; i++) {
		uint64_t v = 0;

		memcpy(&v, s + i * from, from);
		if (is_signed)
			v = sign_extend(v, from);
		memcpy(r + i * to, &v, to);
	}
}

/* The source is a register, or just the bytes needed from memory: no
 * alignment. */
static void extend(struct soft_cpu *cpu, const struct insn *in, unsigned from, unsigned to, bool is_signed)
{
	xmm_t s, r;

	sse_check(cpu);
	s = sse_src(cpu, in, &in->op[1], false);
	simd_extend(r.b, s.b, 16 / to, from, to, is_signed);
	xmm_set(cpu, in->op[0].reg, &r);
}

#define EXTEND(name, NAME, from, to, is_signed)                                                                        \
	static void h_##name(struct soft_cpu *cpu, const struct insn *in)                                              \
	{                                                                                                              \
		extend(cpu, in, from, to, is_signed);                                                                  \
	}

SSE41_EXTEND_OPS(EXTEND)

/* ---- blends --------------------------------------------------------------------- */

/* Element i of `size` bytes of d is replaced by s's where bit i of sel is
 * set, for `count` elements. */
void simd_blend(uint8_t *d, const uint8_t *s, unsigned size, unsigned count, uint32_t sel)
{
	for (unsigned i = 0; i < count; i++)
		if (sel & (1u << i))
			memcpy(d + i * size, s + i * size, size);
}

/* The top bit of each element of `size` bytes of mask, as simd_blend's sel. */
uint32_t simd_blend_select(const uint8_t *mask, unsigned size, unsigned count)
{
	uint32_t sel = 0;

	for (unsigned i = 0; i < count; i++)
		if (mask[i * size + size - 1] & 0x80)
			sel |= 1u << i;
	return sel;
}

static void blend(struct soft_cpu *cpu, const struct insn *in, unsigned size, uint32_t sel)
{
	xmm_t d, s;

	s = sse_src(cpu, in, &in->op[1], false);
	d = xmm_get(cpu, in->op[0].reg);
	simd_blend(d.b, s.b, size, 16 / size, sel);
	xmm_set(cpu, in->op[0].reg, &d);
}

/* BLENDPS, BLENDPD, PBLENDW: the selection is imm8. */
static void blend_imm(struct soft_cpu *cpu, const struct insn *in, unsigned size)
{
	sse_check(cpu);
	blend(cpu, in, size, (uint32_t)in->op[2].imm);
}

/* PBLENDVB, BLENDVPS, BLENDVPD: the top bit of each lane of the implicit XMM0. */
static void blend_var(struct soft_cpu *cpu, const struct insn *in, unsigned size)
{
	xmm_t mask;

	sse_check(cpu);
	mask = xmm_get(cpu, 0);
	blend(cpu, in, size, simd_blend_select(mask.b, size, 16 / size));
}

/* A handler that calls helper(cpu, in, size). */
#define SIZED_HANDLER(name, helper, size)                                                                              \
	static void h_##name(struct soft_cpu *cpu, const struct insn *in)                                              \
	{                                                                                                              \
		helper(cpu, in, size);                                                                                 \
	}

SIZED_HANDLER(blendps, blend_imm, 4)
SIZED_HANDLER(blendpd, blend_imm, 8)
SIZED_HANDLER(pblendw, blend_imm, 2)
SIZED_HANDLER(pblendvb, blend_var, 1)
SIZED_HANDLER(blendvps, blend_var, 4)
SIZED_HANDLER(blendvpd, blend_var, 8)

/* ---- PTEST and MOVNTDQA ----------------------------------------------------------- */

/* PTEST's flags over `quads` quadwords: ZF when d AND s is zero, CF when s
 * AND NOT d is zero; AF OF PF SF cleared. */
uint64_t simd_ptest_flags(const uint64_t *d, const uint64_t *s, unsigned quads)
{
	uint64_t and = 0, andn = 0, f = 0;

	for (unsigned i = 0; i < quads; i++) {
		and |= d[i] & s[i];
		andn |= ~d[i] & s[i];
	}
	if (!and)
		f |= RFLAGS_ZF;
	if (!andn)
		f |= RFLAGS_CF;
	return f;
}

static void h_ptest(struct soft_cpu *cpu, const struct insn *in)
{
	xmm_t d, s;

	sse_check(cpu);
	s = sse_src(cpu, in, &in->op[1], false);
	d = xmm_get(cpu, in->op[0].reg);
	flags_set_arith(cpu, simd_ptest_flags(d.q, s.q, 2));
}

/* MOVNTDQA: a load with a non-temporal hint; its m128 must be aligned. */
static void h_movntdqa(struct soft_cpu *cpu, const struct insn *in)
{
	xmm_t v;

	sse_check(cpu);
	v = sse_src(cpu, in, &in->op[1], false);
	xmm_set(cpu, in->op[0].reg, &v);
}

/* ---- inserts and extracts --------------------------------------------------------- */

/* PEXTRB, PEXTRD, PEXTRQ, EXTRACTPS: element imm8 (modulo the count) of
 * `size` bytes of the XMM source to a GPR, zero-extended, or to memory. The
 * VEX forms have the same operands. */
void simd_extract(struct soft_cpu *cpu, const struct insn *in, unsigned size)
{
	unsigned i = (unsigned)in->op[2].imm & (16 / size - 1);
	xmm_t s = xmm_get(cpu, in->op[1].reg);

	op_write(cpu, in, &in->op[0], lane(&s, size, i));
}

static void extract(struct soft_cpu *cpu, const struct insn *in, unsigned size)
{
	sse_check(cpu);
	simd_extract(cpu, in, size);
}

/* PINSRB, PINSRD, PINSRQ: the low `size` bytes of v (a GPR or `size` bytes of
 * memory) into element imm8 (modulo the count) of d. */
void simd_insert(xmm_t *d, unsigned size, unsigned imm, uint64_t v)
{
	set_lane(d, size, imm & (16 / size - 1), v);
}

static void insert(struct soft_cpu *cpu, const struct insn *in, unsigned size)
{
	uint64_t v;
	xmm_t d;

	sse_check(cpu);
	v = op_read(cpu, in, &in->op[1]);
	d = xmm_get(cpu, in->op[0].reg);
	simd_insert(&d, size, (unsigned)in->op[2].imm, v);
	xmm_set(cpu, in->op[0].reg, &d);
}

SIZED_HANDLER(pextrb, extract, 1)
SIZED_HANDLER(pextrd, extract, 4)
SIZED_HANDLER(pextrq, extract, 8)
SIZED_HANDLER(pinsrb, insert, 1)
SIZED_HANDLER(pinsrd, insert, 4)
SIZED_HANDLER(pinsrq, insert, 8)

/* INSERTPS: a float (element imm[7:6] of a register, or m32) into element
 * imm[5:4], then the elements of the zero mask imm[3:0] cleared. */
static void h_insertps(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned imm = (unsigned)in->op[2].imm;
	xmm_t d, s;

	sse_check(cpu);
	s = sse_src(cpu, in, &in->op[1], false);
	d = xmm_get(cpu, in->op[0].reg);
	d.d[(imm >> 4) & 3] = s.d[in->op[1].kind == OK_XMM ? (imm >> 6) & 3 : 0];
	for (unsigned i = 0; i < 4; i++)
		if (imm & (1u << i))
			d.d[i] = 0;
	xmm_set(cpu, in->op[0].reg, &d);
}

/* ---- floating point with an immediate, on the host --------------------------------- */

/* One case of a switch over imm: `insn $imm, src, dst` under *csr. */
#define HOST_IMM_CASE(insn, n)                                                                                         \
	case (n):                                                                                                      \
		__asm__ volatile("stmxcsr %[saved]\n\tldmxcsr %[csr]\n\t" insn " %[imm], %[src], %[dst]\n\t"           \
				 "stmxcsr %[csr]\n\tldmxcsr %[saved]"                                                  \
				 : [dst] "+x"(d->i), [csr] "+m"(*csr), [saved] "=m"(saved)                             \
				 : [src] "x"(s->i), [imm] "i"(n));                                                     \
		break;
#define HOST_IMM_CASES4(insn, n)                                                                                       \
	HOST_IMM_CASE(insn, n)                                                                                         \
	HOST_IMM_CASE(insn, (n) + 1) HOST_IMM_CASE(insn, (n) + 2) HOST_IMM_CASE(insn, (n) + 3)
#define HOST_IMM_CASES16(insn, n)                                                                                      \
	HOST_IMM_CASES4(insn, n)                                                                                       \
	HOST_IMM_CASES4(insn, (n) + 4) HOST_IMM_CASES4(insn, (n) + 8) HOST_IMM_CASES4(insn, (n) + 12)
#define HOST_IMM_CASES64(insn, n)                                                                                      \
	HOST_IMM_CASES16(insn, n)                                                                                      \
	HOST_IMM_CASES16(insn, (n) + 16) HOST_IMM_CASES16(insn, (n) + 32) HOST_IMM_CASES16(insn, (n) + 48)

/* ROUND*: imm[3:0] (bit 3 suppresses precision, bit 2 picks MXCSR.RC over
 * imm[1:0]); bits 7:4 are reserved and ignored. */
#define HOST_ROUND(name, insn)                                                                                         \
	void name(xmm_t *d, const xmm_t *s, uint32_t *csr, unsigned imm)                                               \
	{                                                                                                              \
		uint32_t saved;                                                                                        \
		switch (imm & 0xf) {                                                                                   \
			HOST_IMM_CASES16(insn, 0)                                                                      \
		}                                                                                                      \
	}

HOST_ROUND(host_roundps, "roundps")
HOST_ROUND(host_roundpd, "roundpd")
HOST_ROUND(host_roundss, "roundss")
HOST_ROUND(host_roundsd, "roundsd")

/* DPPS: every bit of imm8 counts (products in 7:4, broadcast in 3:0). */
void host_dpps(xmm_t *d, const xmm_t *s, uint32_t *csr, unsigned imm)
{
	uint32_t saved;

	switch (imm & 0xff) {
		HOST_IMM_CASES64("dpps", 0)
		HOST_IMM_CASES64("dpps", 64)
		HOST_IMM_CASES64("dpps", 128)
		HOST_IMM_CASES64("dpps", 192)
	}
}

/* DPPD: imm[5:4] picks the products, imm[1:0] where the sum goes; the other
 * bits are ignored. */
void host_dppd(xmm_t *d, const xmm_t *s, uint32_t *csr, unsigned imm)
{
	uint32_t saved;

	switch (imm & 0x33) {
		HOST_IMM_CASES4("dppd", 0x00)
		HOST_IMM_CASES4("dppd", 0x10)
		HOST_IMM_CASES4("dppd", 0x20)
		HOST_IMM_CASES4("dppd", 0x30)
	}
}

/* DPPS and DPPD are steps (SDM: the products, for DPPS the two pairwise
 * sums, the final sum), and a step that signals an exception the guest
 * unmasked ends the instruction with #XM, the flags of the steps before it
 * set as they came, its own as fp_commit has them (an unmasked invalid
 * operation: that flag alone). The AMD host shows this: an unmasked
 * precision exception of the products stops before the invalid one their
 * sum (inf - inf) would add, and an unmasked invalid one in the sum leaves
 * the products' overflow and precision flags set. The host's DPPS runs all
 * steps masked, so with an exception unmasked the steps before the last are
 * taken again one by one (MULPS/ADDPS or MULPD under the same MXCSR,
 * unselected lanes +0.0), committed one after the other; a denormal
 * intermediate counts as an underflow with UM clear, exact or not. An
 * underflow of the final sum is tiny_results' to find. */
void dp_steps_before_last(struct soft_cpu *cpu, const xmm_t *d, const xmm_t *s, unsigned lanes, unsigned imm,
			  bool single)
{
	unsigned elems = single ? 4 : 2, size = single ? 4 : 8;
	uint32_t csr = guest_csr(cpu), tiny = 0;
	xmm_t p[2], x[2], y[2];

	if (!(~(cpu->fpu.mxcsr >> 7) & MXCSR_FLAGS))
		return; /* all masked: the host's run says it all */
	for (unsigned l = 0; l < lanes; l++) {
		xmm_t sl = s[l];

		p[l] = d[l];
		for (unsigned i = 0; i < elems; i++) {
			if (!(imm & (0x10u << i))) {
				memset(p[l].b + i * size, 0, size);
				memset(sl.b + i * size, 0, size);
			}
		}
		(single ? host_mulps : host_mulpd)(&p[l], &sl, &csr);
		tiny |= tiny_results(cpu, &p[l], single ? FP_PS : FP_PD);
	}
	fp_commit(cpu, csr | tiny);
	if (!single)
		return;
	csr = guest_csr(cpu);
	tiny = 0;
	for (unsigned l = 0; l < lanes; l++) {
		x[l] = (xmm_t){ .d = { p[l].d[0], p[l].d[2], 0, 0 } };
		y[l] = (xmm_t){ .d = { p[l].d[1], p[l].d[3], 0, 0 } };
		host_addps(&x[l], &y[l], &csr);
		tiny |= tiny_results(cpu, &x[l], FP_PS2);
	}
	fp_commit(cpu, csr | tiny);
}

/* dst = fn(dst, src, imm8) under the guest's MXCSR; for DPPS and DPPD
 * (dot) the steps before the last first. */
static void fp_imm_op(struct soft_cpu *cpu, const struct insn *in, fp_imm_fn fn, enum fp_shape shape, bool dot)
{
	const struct fp_lane_op op = { NULL, fn, (unsigned)in->op[2].imm, shape };
	xmm_t d, s;

	sse_check(cpu);
	s = sse_src(cpu, in, &in->op[1], false);
	d = xmm_get(cpu, in->op[0].reg);
	if (dot)
		dp_steps_before_last(cpu, &d, &s, 1, op.imm, shape == FP_PS);
	fp_run_lanes(cpu, &op, &d, &s, 1);
	xmm_set(cpu, in->op[0].reg, &d);
}

#define FP_IMM_HANDLER(name, shape, dot)                                                                               \
	static void h_##name(struct soft_cpu *cpu, const struct insn *in)                                              \
	{                                                                                                              \
		fp_imm_op(cpu, in, host_##name, shape, dot);                                                           \
	}

/* Rounding to an integer never makes a denormal: no underflow to look for. */
FP_IMM_HANDLER(roundps, FP_NONE, false)
FP_IMM_HANDLER(roundpd, FP_NONE, false)
FP_IMM_HANDLER(roundss, FP_NONE, false)
FP_IMM_HANDLER(roundsd, FP_NONE, false)
FP_IMM_HANDLER(dpps, FP_PS, true)
FP_IMM_HANDLER(dppd, FP_PD, true)

const struct dispatch_entry exec_sse41_table[] = {
#define EXTEND_ENTRY(name, NAME, ...) { ZYDIS_MNEMONIC_##NAME, h_##name, 0 },
	/* clang-format off */
	SSE41_EXTEND_OPS(EXTEND_ENTRY)
	/* clang-format on */
	{ ZYDIS_MNEMONIC_PMULDQ, h_pmuldq, 0 },
	{ ZYDIS_MNEMONIC_PMULLD, h_pmulld, 0 },
	{ ZYDIS_MNEMONIC_PCMPEQQ, h_pcmpeqq, 0 },
	{ ZYDIS_MNEMONIC_PACKUSDW, h_packusdw, 0 },
	{ ZYDIS_MNEMONIC_MOVNTDQA, h_movntdqa, 0 },
	{ ZYDIS_MNEMONIC_PMINSB, h_pminsb, 0 },
	{ ZYDIS_MNEMONIC_PMINSD, h_pminsd, 0 },
	{ ZYDIS_MNEMONIC_PMINUW, h_pminuw, 0 },
	{ ZYDIS_MNEMONIC_PMINUD, h_pminud, 0 },
	{ ZYDIS_MNEMONIC_PMAXSB, h_pmaxsb, 0 },
	{ ZYDIS_MNEMONIC_PMAXSD, h_pmaxsd, 0 },
	{ ZYDIS_MNEMONIC_PMAXUW, h_pmaxuw, 0 },
	{ ZYDIS_MNEMONIC_PMAXUD, h_pmaxud, 0 },
	{ ZYDIS_MNEMONIC_PHMINPOSUW, h_phminposuw, 0 },
	{ ZYDIS_MNEMONIC_PTEST, h_ptest, 0 },
	{ ZYDIS_MNEMONIC_PBLENDVB, h_pblendvb, 0 },
	{ ZYDIS_MNEMONIC_BLENDVPS, h_blendvps, 0 },
	{ ZYDIS_MNEMONIC_BLENDVPD, h_blendvpd, 0 },
	{ ZYDIS_MNEMONIC_BLENDPS, h_blendps, 0 },
	{ ZYDIS_MNEMONIC_BLENDPD, h_blendpd, 0 },
	{ ZYDIS_MNEMONIC_PBLENDW, h_pblendw, 0 },
	{ ZYDIS_MNEMONIC_ROUNDPS, h_roundps, 0 },
	{ ZYDIS_MNEMONIC_ROUNDPD, h_roundpd, 0 },
	{ ZYDIS_MNEMONIC_ROUNDSS, h_roundss, 0 },
	{ ZYDIS_MNEMONIC_ROUNDSD, h_roundsd, 0 },
	{ ZYDIS_MNEMONIC_DPPS, h_dpps, 0 },
	{ ZYDIS_MNEMONIC_DPPD, h_dppd, 0 },
	{ ZYDIS_MNEMONIC_MPSADBW, h_mpsadbw, 0 },
	{ ZYDIS_MNEMONIC_PEXTRB, h_pextrb, 0 },
	{ ZYDIS_MNEMONIC_PEXTRD, h_pextrd, 0 },
	{ ZYDIS_MNEMONIC_PEXTRQ, h_pextrq, 0 },
	{ ZYDIS_MNEMONIC_EXTRACTPS, h_pextrd, 0 },
	{ ZYDIS_MNEMONIC_PINSRB, h_pinsrb, 0 },
	{ ZYDIS_MNEMONIC_PINSRD, h_pinsrd, 0 },
	{ ZYDIS_MNEMONIC_PINSRQ, h_pinsrq, 0 },
	{ ZYDIS_MNEMONIC_INSERTPS, h_insertps, 0 },
	{ 0, NULL, 0 },
};
