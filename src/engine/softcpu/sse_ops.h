/* The floating-point operations the SSE and AVX handler files share: each is
 * one host instruction (or, for SSE3 and SSE4.1, a few) run under an MXCSR
 * (sse.h), so that a legacy SSE handler and its VEX form run the very same
 * operation. exec_sse.c defines the SSE and SSE2 ones, exec_sse3.c the
 * horizontal and alternating ones, exec_sse41.c ROUND* and the dot products. */
#ifndef RV_SOFTCPU_SSE_OPS_H
#define RV_SOFTCPU_SSE_OPS_H

#include "engine/softcpu/sse.h"

/* exec_sse.c: `insn src, dst` (fp_fn). */
void host_addss(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_addsd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_addps(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_addpd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_subss(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_subsd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_subps(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_subpd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_mulss(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_mulsd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_mulps(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_mulpd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_divss(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_divsd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_divps(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_divpd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_minss(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_minsd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_minps(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_minpd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_maxss(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_maxsd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_maxps(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_maxpd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_sqrtss(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_sqrtsd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_sqrtps(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_sqrtpd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_rcpss(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_rcpps(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_rsqrtss(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_rsqrtps(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_cvtss2sd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_cvtsd2ss(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_cvtps2pd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_cvtpd2ps(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_cvtdq2ps(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_cvtdq2pd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_cvtps2dq(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_cvttps2dq(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_cvtpd2dq(xmm_t *d, const xmm_t *s, uint32_t *csr);
void host_cvttpd2dq(xmm_t *d, const xmm_t *s, uint32_t *csr);

/* CMPPS/CMPPD/CMPSS/CMPSD with predicates 0-7 (EQ LT LE UNORD NEQ NLT NLE ORD). */
extern const fp_fn cmpps_fn[8];
extern const fp_fn cmppd_fn[8];
extern const fp_fn cmpss_fn[8];
extern const fp_fn cmpsd_fn[8];

/* ZF, PF, CF from (U)COMISS/(U)COMISD a, b; OF, SF and AF are cleared. */
typedef uint64_t (*fp_compare_fn)(const xmm_t *a, const xmm_t *b, uint32_t *csr);
/* (V)(U)COMISS/SD once the operands are read: fn under the guest MXCSR, the
 * flags committed, RFLAGS set. */
void sse_compare_into_flags(struct soft_cpu *cpu, const xmm_t *a, const xmm_t *b, fp_compare_fn fn);
uint64_t host_comiss(const xmm_t *a, const xmm_t *b, uint32_t *csr);
uint64_t host_comisd(const xmm_t *a, const xmm_t *b, uint32_t *csr);
uint64_t host_ucomiss(const xmm_t *a, const xmm_t *b, uint32_t *csr);
uint64_t host_ucomisd(const xmm_t *a, const xmm_t *b, uint32_t *csr);

/* CVTSI2SS/CVTSI2SD: from a 32- or 64-bit integer into the low element. */
typedef void (*from_gpr_fn)(xmm_t *d, uint64_t v, uint32_t *csr);
void host_cvtsi2ss32(xmm_t *d, uint64_t v, uint32_t *csr);
void host_cvtsi2ss64(xmm_t *d, uint64_t v, uint32_t *csr);
void host_cvtsi2sd32(xmm_t *d, uint64_t v, uint32_t *csr);
void host_cvtsi2sd64(xmm_t *d, uint64_t v, uint32_t *csr);
/* (V)CVTSI2SS/SD once the operands are read: v of size bytes into *d. */
void sse_from_gpr(struct soft_cpu *cpu, xmm_t *d, uint64_t v, unsigned size, from_gpr_fn fn32, from_gpr_fn fn64);

/* CVT(T)SS2SI/CVT(T)SD2SI: the low element to a 32- or 64-bit integer (the
 * "integer indefinite" on overflow, as the host produces it). */
typedef uint64_t (*to_gpr_fn)(const xmm_t *s, uint32_t *csr);
uint64_t host_cvtss2si32(const xmm_t *s, uint32_t *csr);
uint64_t host_cvtss2si64(const xmm_t *s, uint32_t *csr);
uint64_t host_cvttss2si32(const xmm_t *s, uint32_t *csr);
uint64_t host_cvttss2si64(const xmm_t *s, uint32_t *csr);
uint64_t host_cvtsd2si32(const xmm_t *s, uint32_t *csr);
uint64_t host_cvtsd2si64(const xmm_t *s, uint32_t *csr);
uint64_t host_cvttsd2si32(const xmm_t *s, uint32_t *csr);
uint64_t host_cvttsd2si64(const xmm_t *s, uint32_t *csr);
/* (V)CVT(T)SS2SI/SD2SI once the source is read: into the GPR d. */
void sse_to_gpr(struct soft_cpu *cpu, const struct operand *d, const xmm_t *s, to_gpr_fn fn32, to_gpr_fn fn64);

/* (V)LDMXCSR and (V)STMXCSR m32 after their checks: reserved bits set are
 * #GP(0). */
void mxcsr_load(struct soft_cpu *cpu, const struct insn *in);
void mxcsr_store(struct soft_cpu *cpu, const struct insn *in);

/* exec_sse3.c: ADDSUBPS/PD, HADDPS/PD, HSUBPS/PD (fp_fn). */
void sse3_addsubps(xmm_t *d, const xmm_t *s, uint32_t *csr);
void sse3_addsubpd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void sse3_haddps(xmm_t *d, const xmm_t *s, uint32_t *csr);
void sse3_hsubps(xmm_t *d, const xmm_t *s, uint32_t *csr);
void sse3_haddpd(xmm_t *d, const xmm_t *s, uint32_t *csr);
void sse3_hsubpd(xmm_t *d, const xmm_t *s, uint32_t *csr);

/* exec_sse41.c: `insn $imm, src, dst` under *csr. */
typedef void (*fp_imm_fn)(xmm_t *d, const xmm_t *s, uint32_t *csr, unsigned imm);
void host_roundps(xmm_t *d, const xmm_t *s, uint32_t *csr, unsigned imm);
void host_roundpd(xmm_t *d, const xmm_t *s, uint32_t *csr, unsigned imm);
void host_roundss(xmm_t *d, const xmm_t *s, uint32_t *csr, unsigned imm);
void host_roundsd(xmm_t *d, const xmm_t *s, uint32_t *csr, unsigned imm);
void host_dpps(xmm_t *d, const xmm_t *s, uint32_t *csr, unsigned imm);
void host_dppd(xmm_t *d, const xmm_t *s, uint32_t *csr, unsigned imm);

/* One operation on 128-bit lanes: fn, or imm_fn with imm; shape is its
 * results' (the underflow check, tiny_results). */
struct fp_lane_op {
	fp_fn fn;
	fp_imm_fn imm_fn;
	unsigned imm;
	enum fp_shape shape;
};

/* d[l] = op(d[l], s[l]) for `lanes` lanes (1, or 2 for a YMM operation)
 * under the guest's MXCSR, their flags committed together (fp_commit: #XM
 * before anything is written). exec_sse.c. */
void fp_run_lanes(struct soft_cpu *cpu, const struct fp_lane_op *op, xmm_t *d, const xmm_t *s, unsigned lanes);

/* DPPS/DPPD with an exception unmasked: the steps before the last, taken one
 * by one and committed (fp_commit), over `lanes` 128-bit lanes of d and s
 * at once (VDPPS on YMM registers: 2). */
void dp_steps_before_last(struct soft_cpu *cpu, const xmm_t *d, const xmm_t *s, unsigned lanes, unsigned imm,
			  bool single);

#endif
