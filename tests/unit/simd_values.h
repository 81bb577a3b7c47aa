/* What the SIMD floating-point unit tests share (after softcpu_harness.h):
 * floats and doubles around rounding ties, signed zeros, denormals,
 * infinities, NaNs, overflow and half precision's range; MXCSRs with every
 * exception masked; and the harness of the VEX tests (the v3 model with
 * CR4.OSXSAVE and XCR0 = x87 | SSE | AVX). */
#ifndef RV_TEST_SIMD_VALUES_H
#define RV_TEST_SIMD_VALUES_H

#include "softcpu_harness.h"

/* Two floats, a double or random bits. */
static inline uint64_t simd_fp_value(uint64_t *seed)
{
	static const uint32_t floats[] = {
		0x00000000,
		0x80000000,
		0x3f000000,
		0x3fc00000,
		0x40200000,
		0xc0200000,
		0xbf000000,
		0x00000001,
		0x807fffff,
		0x7f800000,
		0xff800000,
		0x7fc00000,
		0x7f800001,
		0xff812345,
		0x4b000001,
		0x4affffff,
		0x7f7fffff,
		0x00800000,
		0x3f7fffff,
		0xcb7fffff,
		0xcf000000,
		/* half precision's edges: its smallest denormal, just below its
		 * smallest normal, its largest, past it */
		0x33800000,
		0xb3000000,
		0x387fc000,
		0x38800000,
		0x477fe000,
		0xc77ff000,
	};
	static const uint64_t doubles[] = {
		0,
		0x8000000000000000ull,
		0x3fe0000000000000ull,
		0x3ff8000000000000ull,
		0x4004000000000000ull,
		0xc004000000000000ull,
		0x0000000000000001ull,
		0x7ff0000000000000ull,
		0x7ff8000000000000ull,
		0x7ff0000000000001ull,
		0x4330000000000001ull,
		0x7fefffffffffffffull,
		0x0010000000000000ull,
		0xc32fffffffffffffull,
		0xc3e0000000000000ull,
	};
	const unsigned nf = sizeof(floats) / sizeof(floats[0]), nd = sizeof(doubles) / sizeof(doubles[0]);
	uint64_t r = ih_random(seed);

	switch (r & 3) {
	case 0:
		return floats[(r >> 8) % nf] | ((uint64_t)floats[(r >> 16) % nf] << 32);
	case 1:
		return doubles[(r >> 8) % nd];
	default:
		return ih_random(seed);
	}
}

/* Every exception masked; any rounding, DAZ and FZ now and then. */
static inline uint32_t simd_csr_value(uint64_t *seed)
{
	uint64_t r = ih_random(seed);

	return 0x1f80u | ((uint32_t)(r & 3) << 13) | ((r & 4) ? 0x40u : 0) | ((r & 8) ? 0x8000u : 0);
}

static inline struct ih *ih_new_avx(const char *model)
{
	struct ih *h = ih_new_model(model);

	h->entry.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
	h->entry.xcr0 = XCR0_X87 | XCR0_SSE | XCR0_AVX;
	h->entry.fpu.mxcsr = 0x1f80;
	return h;
}

#endif
