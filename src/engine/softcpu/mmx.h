/* The MMX registers, which are the x87 registers seen another way (Intel SDM
 * Vol. 1, 9.5; AMD APM Vol. 1, 5.1): MMi is the low 64 bits of the physical
 * register Ri, whatever TOP is. Every MMX instruction but EMMS makes the x87
 * state an MMX one, TOP = 0 with every tag valid; a write to MMi also sets bits
 * 79:64 of Ri (sign and exponent) to ones.
 *
 * A handler checks first (mmx_check), reads its operands and writes memory, and
 * only then enters the MMX state and writes registers, so that an instruction
 * that faults or exits for MMIO leaves the x87 state as it was. */
#ifndef RV_SOFTCPU_MMX_H
#define RV_SOFTCPU_MMX_H

#include <emmintrin.h>
#include <stdint.h>

#include "engine/softcpu/insn.h"

/* #UD with CR0.EM, then #NM with CR0.TS, then #MF for a pending unmasked x87
 * exception (with CR0.NE): the checks of every MMX instruction. */
void mmx_check(struct soft_cpu *cpu);

/* The same for the SSE and SSE2 instructions with an MMX operand (CVTPI2PS,
 * MOVQ2DQ, ...): CR4.OSFXSR clear is #UD as well. */
void mmx_sse_check(struct soft_cpu *cpu);

/* MMn, read without changing the x87 state. */
uint64_t mmx_read(const struct soft_cpu *cpu, unsigned n);

/* TOP = 0, every register valid. */
void mmx_enter(struct soft_cpu *cpu);

/* mmx_enter(), then MMn = v with bits 79:64 set. */
void mmx_write(struct soft_cpu *cpu, unsigned n, uint64_t v);

/* An MMX register or 8 bytes of memory (no alignment required), or a GPR. */
uint64_t mmx_src(struct soft_cpu *cpu, const struct insn *in, const struct operand *o);

/* A packed integer operation of exec_sse.c on 64-bit MMX operands, computed
 * by its 128-bit form: MMX_LANES with both operands in the low halves, the
 * result's low half kept; MMX_PACK with the source in the high half of the
 * destination's operand (a pack takes half its result from each operand);
 * MMX_HIGH_HALF with both operands in the high halves and the result's high
 * half kept (PUNPCKH interleaves the high halves of 64-bit operands). */
enum mmx_form { MMX_LANES, MMX_PACK, MMX_HIGH_HALF };
typedef __m128i (*simd_int_fn)(__m128i a, __m128i b);
void mmx_int_binop(struct soft_cpu *cpu, const struct insn *in, simd_int_fn fn, enum mmx_form form);

/* MASKMOVQ and MASKMOVDQU: n bytes of v to DS:rDI where mask's byte has bit 7
 * set (exec_sse.c). */
void simd_masked_store(struct soft_cpu *cpu, const struct insn *in, const uint8_t *v, const uint8_t *mask, unsigned n);

#endif
