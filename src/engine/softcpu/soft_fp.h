/* Floating-point operations the host's baseline SSE does not have, in
 * software under a guest MXCSR (rounding, DAZ, FZ, the underflow mask) with
 * the MXCSR flags they raise: the fused multiply-add of FMA3 (exec_fma.c)
 * and F16C's conversions to and from half precision (exec_f16c.c). */
#ifndef RV_SOFTCPU_SOFT_FP_H
#define RV_SOFTCPU_SOFT_FP_H

#include <stdbool.h>
#include <stdint.h>

/* Negations applied to a * b and to c before the sum (VFMSUB: c; VFNMADD:
 * the product; VFNMSUB: both); a NaN result is never negated. */
#define FMA_NEG_PRODUCT 1u
#define FMA_NEG_ADDEND 2u

/* Binary32 (single) or binary64 in the low bits of a, b, c. Flags (MXCSR bits
 * 0-5) are ORed into *flags; an underflow is reported as MXCSR.UM asks (any
 * tiny result when unmasked, an inexact one when masked). */
uint64_t soft_fma(uint64_t a, uint64_t b, uint64_t c, bool single, unsigned neg, uint32_t mxcsr, uint32_t *flags);

/* VCVTPH2PS: a binary16 to binary32, exactly (an SNaN raises invalid and
 * is quieted, a denormal input raises nothing and DAZ does not apply). */
uint32_t soft_half_to_single(uint16_t h, uint32_t *flags);

/* VCVTPS2PH: a binary32 to binary16 rounded as rc (0-3, MXCSR.RC's
 * encoding) asks, DAZ from mxcsr, FZ not applied. */
uint16_t soft_single_to_half(uint32_t x, unsigned rc, uint32_t mxcsr, uint32_t *flags);

#endif
