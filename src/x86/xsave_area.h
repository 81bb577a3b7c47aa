/* The XSAVE area of the state components the CPU models support (x87, SSE,
 * AVX), shared by CPUID leaf 0xD, the soft CPU's XSAVE family and the kvm
 * engine's KVM_GET/SET_XSAVE (Intel SDM Vol. 1, 13.4 and 13.5). */
#ifndef RV_X86_XSAVE_AREA_H
#define RV_X86_XSAVE_AREA_H

#include <stdint.h>

#include "x86/arch.h"

/* XCR0 bits a model with XSAVE supports (CPUID.(EAX=0DH,ECX=0):EDX:EAX). */
#define XSAVE_MODEL_XCR0 (XCR0_X87 | XCR0_SSE | XCR0_AVX)

/* The legacy region (the FXSAVE image, 13.4.1) and the header (13.4.2). */
#define XSAVE_LEGACY_SIZE 512u
#define XSAVE_HEADER_OFFSET 512u
#define XSAVE_HEADER_SIZE 64u
/* Component 2 (YMM bits 128-255) in the standard format: CPUID.(EAX=0DH,ECX=2). */
#define XSAVE_AVX_OFFSET 576u
#define XSAVE_AVX_SIZE 256u
/* The XSAVE area is 64-byte aligned (13.4). */
#define XSAVE_ALIGN 64u

/* XCOMP_BV bit 63: the area is in the compacted format (13.4.3). */
#define XSAVE_COMPACTED (1ull << 63)

/* Bytes of an XSAVE area holding the components of xcr0: the standard format
 * reaches the end of the highest one; the compacted one packs them after the
 * header (13.4.3). With components 0-2 only, the two agree: 576 for x87 and
 * SSE, 832 with AVX. */
static inline uint32_t xsave_area_size(uint64_t xcr0)
{
	return XSAVE_LEGACY_SIZE + XSAVE_HEADER_SIZE + ((xcr0 & XCR0_AVX) ? XSAVE_AVX_SIZE : 0);
}

#endif
