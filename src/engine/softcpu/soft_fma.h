/* A fused multiply-add in software: a * b + c with one rounding, as the FMA3
 * instructions compute it, under a guest MXCSR (rounding, DAZ, FZ, the
 * underflow mask), with the MXCSR flags it raises. The VMM does not need the
 * host to have FMA (exec_fma.c). */
#ifndef RV_SOFTCPU_SOFT_FMA_H
#define RV_SOFTCPU_SOFT_FMA_H

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

#endif
