/* The two encodings of an instruction that has a legacy SSE form and a
 * VEX.128 one (AES, PCLMULQDQ): where its sources are, which checks it makes
 * and how it writes its result.
 *
 * Legacy: `op xmm1, xmm2/m128`, xmm1 both the first source and the
 * destination; the SSE checks (sse_check); a memory source 16-byte aligned
 * or #GP(0) (exception type 4, SDM Vol. 2A, 2.5); bits 128-255 of YMM1 kept.
 * VEX.128: `op xmm1, xmm2, xmm3/m128`, xmm2 the first source; the VEX checks
 * (avx_check); any alignment; bits 128-255 of YMM1 zeroed. The VEX.256 forms
 * (VAES, VPCLMULQDQ) are not implemented: isa_gate.c refuses them, and they
 * would be #UD here too. */
#ifndef RV_SOFTCPU_XMM_FORMS_H
#define RV_SOFTCPU_XMM_FORMS_H

#include <stdbool.h>

#include "engine/softcpu/sse.h"

/* The first source (*a, unless a is NULL: one-source instructions such as
 * AESIMC, whose only source is the last operand) and the last source *b.
 * Returns the index of the operand after the sources (an imm8's). */
unsigned xmm_forms_sources(struct soft_cpu *cpu, const struct insn *in, bool vex, xmm_t *a, xmm_t *b);

/* Writes r to the destination, op[0]. */
void xmm_forms_result(struct soft_cpu *cpu, const struct insn *in, bool vex, const xmm_t *r);

#endif
