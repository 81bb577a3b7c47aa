/* SSE3 (x86-64-v2): the horizontal and alternating floating-point operations,
 * the duplicating moves and LDDQU. FISTTP, SSE3's x87 store, is with the other
 * x87 stores (exec_x87_ldst.c). MONITOR and MWAIT are not part of x86-64-v2 and
 * are left out (docs/cpu-model.md).
 *
 * The floating-point operations are made of host ADDPS/SUBPS/ADDPD/SUBPD runs
 * under the guest's MXCSR (sse.h), with the operands arranged so that each
 * result element is computed as the SSE3 instruction computes it, the same two
 * inputs in the same order (the first is the one a NaN pair resolves to, as
 * for ADDPS). Elements a run does not need are zero in both inputs: 0 + 0 and
 * 0 - 0 raise no flag, so the flags gathered are exactly the instruction's,
 * and the host needs no SSE3 of its own. */
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/sse.h"
#include "engine/softcpu/sse_ops.h"

/* ADDSUBPS: even elements d - s, odd ones d + s. */
void sse3_addsubps(xmm_t *d, const xmm_t *s, uint32_t *csr)
{
	xmm_t de = *d, se = *s, dodd = *d, sodd = *s;

	de.d[1] = de.d[3] = se.d[1] = se.d[3] = 0;
	dodd.d[0] = dodd.d[2] = sodd.d[0] = sodd.d[2] = 0;
	host_subps(&de, &se, csr);
	host_addps(&dodd, &sodd, csr);
	d->d[0] = de.d[0];
	d->d[1] = dodd.d[1];
	d->d[2] = de.d[2];
	d->d[3] = dodd.d[3];
}

/* ADDSUBPD: the low element d - s, the high one d + s. */
void sse3_addsubpd(xmm_t *d, const xmm_t *s, uint32_t *csr)
{
	xmm_t lo_d = { .q = { d->q[0], 0 } }, lo_s = { .q = { s->q[0], 0 } };
	xmm_t hi_d = { .q = { 0, d->q[1] } }, hi_s = { .q = { 0, s->q[1] } };

	host_subpd(&lo_d, &lo_s, csr);
	host_addpd(&hi_d, &hi_s, csr);
	d->q[0] = lo_d.q[0];
	d->q[1] = hi_d.q[1];
}

/* HADDPS/HSUBPS: (d0 op d1, d2 op d3, s0 op s1, s2 op s3), the even
 * elements first. */
static void horizontal_ps(xmm_t *d, const xmm_t *s, uint32_t *csr, fp_fn op)
{
	xmm_t even = { .d = { d->d[0], d->d[2], s->d[0], s->d[2] } };
	xmm_t odd = { .d = { d->d[1], d->d[3], s->d[1], s->d[3] } };

	op(&even, &odd, csr);
	*d = even;
}

/* HADDPD/HSUBPD: (d0 op d1, s0 op s1). */
static void horizontal_pd(xmm_t *d, const xmm_t *s, uint32_t *csr, fp_fn op)
{
	xmm_t even = { .q = { d->q[0], s->q[0] } }, odd = { .q = { d->q[1], s->q[1] } };

	op(&even, &odd, csr);
	*d = even;
}

void sse3_haddps(xmm_t *d, const xmm_t *s, uint32_t *csr)
{
	horizontal_ps(d, s, csr, host_addps);
}

void sse3_hsubps(xmm_t *d, const xmm_t *s, uint32_t *csr)
{
	horizontal_ps(d, s, csr, host_subps);
}

void sse3_haddpd(xmm_t *d, const xmm_t *s, uint32_t *csr)
{
	horizontal_pd(d, s, csr, host_addpd);
}

void sse3_hsubpd(xmm_t *d, const xmm_t *s, uint32_t *csr)
{
	horizontal_pd(d, s, csr, host_subpd);
}

FP_HANDLER(h_addsubps, sse3_addsubps, FP_PS)
FP_HANDLER(h_addsubpd, sse3_addsubpd, FP_PD)
FP_HANDLER(h_haddps, sse3_haddps, FP_PS)
FP_HANDLER(h_hsubps, sse3_hsubps, FP_PS)
FP_HANDLER(h_haddpd, sse3_haddpd, FP_PD)
FP_HANDLER(h_hsubpd, sse3_hsubpd, FP_PD)

/* ---- moves --------------------------------------------------------------------- */

/* MOVSLDUP (first = 0) and MOVSHDUP (first = 1): doublewords first and
 * first + 2 of the source, each twice. A memory source is an aligned m128. */
static void dup_singles(struct soft_cpu *cpu, const struct insn *in, unsigned first)
{
	xmm_t s, r;

	sse_check(cpu);
	s = sse_src(cpu, in, &in->op[1], false);
	r.d[0] = r.d[1] = s.d[first];
	r.d[2] = r.d[3] = s.d[first + 2];
	xmm_set(cpu, in->op[0].reg, &r);
}

static void h_movsldup(struct soft_cpu *cpu, const struct insn *in)
{
	dup_singles(cpu, in, 0);
}

static void h_movshdup(struct soft_cpu *cpu, const struct insn *in)
{
	dup_singles(cpu, in, 1);
}

/* MOVDDUP: the low quadword of an XMM register or an m64 (no alignment), twice. */
static void h_movddup(struct soft_cpu *cpu, const struct insn *in)
{
	xmm_t s;

	sse_check(cpu);
	s = sse_src(cpu, in, &in->op[1], false);
	s.q[1] = s.q[0];
	xmm_set(cpu, in->op[0].reg, &s);
}

/* LDDQU: a 16-byte load with no alignment requirement. */
static void h_lddqu(struct soft_cpu *cpu, const struct insn *in)
{
	xmm_t s;

	sse_check(cpu);
	s = sse_src(cpu, in, &in->op[1], true);
	xmm_set(cpu, in->op[0].reg, &s);
}

const struct dispatch_entry exec_sse3_table[] = {
	{ ZYDIS_MNEMONIC_ADDSUBPS, h_addsubps, 0 },
	{ ZYDIS_MNEMONIC_ADDSUBPD, h_addsubpd, 0 },
	{ ZYDIS_MNEMONIC_HADDPS, h_haddps, 0 },
	{ ZYDIS_MNEMONIC_HADDPD, h_haddpd, 0 },
	{ ZYDIS_MNEMONIC_HSUBPS, h_hsubps, 0 },
	{ ZYDIS_MNEMONIC_HSUBPD, h_hsubpd, 0 },
	{ ZYDIS_MNEMONIC_MOVSLDUP, h_movsldup, 0 },
	{ ZYDIS_MNEMONIC_MOVSHDUP, h_movshdup, 0 },
	{ ZYDIS_MNEMONIC_MOVDDUP, h_movddup, 0 },
	{ ZYDIS_MNEMONIC_LDDQU, h_lddqu, 0 },
	{ 0, NULL, 0 },
};
