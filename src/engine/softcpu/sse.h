/* What the SSE-family handler files share (exec_sse.c defines it, with the
 * SSE and SSE2 instructions; exec_sse3.c, exec_ssse3.c, exec_sse41.c and
 * exec_sse42.c use it): the XMM register as lanes, the checks every SSE
 * instruction makes, its operands, and the machinery that runs a
 * floating-point operation on the host's SSE unit under the guest's MXCSR and
 * folds the flags it raised back into the guest's (exec_sse.c's header comment
 * says how). */
#ifndef RV_SOFTCPU_SSE_H
#define RV_SOFTCPU_SSE_H

#include <emmintrin.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/softcpu/insn.h"

/* MXCSR: flags in bits 0-5, DAZ in 6, masks in 7-12, rounding in 13-14, FZ in 15.
 * Every bit of the low word is writable (DAZ included), as FXSAVE's MXCSR_MASK
 * says (exec_x87_state.c). */
#define MXCSR_FLAGS 0x3fu
#define MXCSR_PRECOMPUTATION 0x07u /* invalid, denormal, divide-by-zero */
#define MXCSR_ALL_MASKED 0x1f80u

typedef union {
	uint8_t b[16];
	int8_t sb[16];
	uint16_t w[8];
	int16_t sw[8];
	uint32_t d[4];
	int32_t sd[4];
	uint64_t q[2];
	int64_t sq[2];
	__m128i i;
	__m128 ps;
	__m128d pd;
} xmm_t;

/* #UD without CR4.OSFXSR or with CR0.EM, then #NM with CR0.TS. */
void sse_check(struct soft_cpu *cpu);
/* Whether sse_check passes now. */
bool sse_allowed(const struct soft_cpu *cpu);
/* MXCSR = v (LDMXCSR, FXRSTOR, XRSTOR): a change of its control bits ends
 * the block. */
void mxcsr_set(struct soft_cpu *cpu, uint32_t v);

xmm_t xmm_get(const struct soft_cpu *cpu, unsigned n);
void xmm_set(struct soft_cpu *cpu, unsigned n, const xmm_t *x);

/* A source operand: a whole XMM register, or a GPR, an immediate or o->size
 * bytes of memory, zero-extended to 128 bits. A 16-byte memory operand must be
 * 16-byte aligned (#GP(0)) unless `unaligned`. */
xmm_t sse_src(struct soft_cpu *cpu, const struct insn *in, const struct operand *o, bool unaligned);
void sse_store(struct soft_cpu *cpu, const struct insn *in, const struct operand *o, const xmm_t *x, bool unaligned);

/* The floating-point results an operation writes, for the underflow check. */
enum fp_shape { FP_NONE, FP_SS, FP_SD, FP_PS, FP_PD, FP_PS2 /* low two floats */ };

/* The MXCSR a guest operation runs with on the host: the guest's rounding,
 * DAZ and FZ, every exception masked, no flags. */
uint32_t guest_csr(const struct soft_cpu *cpu);

/* MXCSR_UE when the guest unmasked underflow and a result lane of r is
 * denormal (the masked host run reports only inexact tiny results). */
uint32_t tiny_results(const struct soft_cpu *cpu, const xmm_t *r, enum fp_shape shape);

/* Folds the flags in csr into the guest MXCSR; raises #XM (#UD without
 * CR4.OSXMMEXCPT) for one the guest left unmasked, before any result is
 * written. */
void fp_commit(struct soft_cpu *cpu, uint32_t csr);

/* `insn src, dst` on the host under *csr, which receives the flags raised
 * (sse_ops.h lists the ones the SSE and AVX handler files share). */
typedef void (*fp_fn)(xmm_t *d, const xmm_t *s, uint32_t *csr);

#define HOST_SSE_OP(name, insn)                                                                                        \
	void name(xmm_t *d, const xmm_t *s, uint32_t *csr)                                                             \
	{                                                                                                              \
		uint32_t saved;                                                                                        \
		__asm__ volatile("stmxcsr %[saved]\n\tldmxcsr %[csr]\n\t" insn " %[src], %[dst]\n\t"                   \
				 "stmxcsr %[csr]\n\tldmxcsr %[saved]"                                                  \
				 : [dst] "+x"(d->i), [csr] "+m"(*csr), [saved] "=m"(saved)                             \
				 : [src] "x"(s->i));                                                                   \
	}

/* dst = fn(dst, src) for an XMM destination and an XMM or (aligned) memory
 * source, under the guest's MXCSR. */
void fp_binop(struct soft_cpu *cpu, const struct insn *in, fp_fn fn, enum fp_shape shape);

/* A handler that is fp_binop of fn. */
#define FP_HANDLER(name, fn, shape)                                                                                    \
	static void name(struct soft_cpu *cpu, const struct insn *in)                                                  \
	{                                                                                                              \
		fp_binop(cpu, in, fn, shape);                                                                          \
	}

#endif
