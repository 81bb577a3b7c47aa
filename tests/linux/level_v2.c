/* A static program built with -march=x86-64-v2, run in the Linux guest and on
 * the host (tests/integration/linux-boot.sh): one line per extension the
 * x86-64-v2 level adds, from its intrinsics and from loops the compiler
 * vectorises for it, so that the guest's output must equal the host's. On a
 * CPU model without them (--cpu baseline) the first of them raises #UD and the
 * program dies of SIGILL. */
#include <nmmintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "level_data.h"

/* A 32-bit mix of a 128-bit vector, to print. */
static uint32_t mix(__m128i v)
{
	uint32_t w[4];

	_mm_storeu_si128((__m128i *)w, v);
	return w[0] * 2654435761u ^ w[1] * 40503u ^ w[2] * 2246822519u ^ w[3];
}

static uint32_t mix_ps(__m128 v)
{
	return mix(_mm_castps_si128(v));
}

static void sse3(void)
{
	__m128 a = _mm_loadu_ps(floats), b = _mm_loadu_ps(floats + 4);
	__m128d c = _mm_setr_pd(floats[8] / 3.0, floats[9]), d = _mm_setr_pd(floats[10] * 1e10, floats[11]);
	long double x = (long double)floats[12] * -2.75L;

	printf("sse3 %08x %08x %08x %08x %08x %d\n", mix_ps(_mm_hadd_ps(a, b)), mix_ps(_mm_hsub_ps(a, b)),
	       mix_ps(_mm_addsub_ps(a, b)), mix(_mm_castpd_si128(_mm_addsub_pd(c, d))),
	       mix(_mm_lddqu_si128((const __m128i *)(bytes + 3))), (int)x);
}

static void ssse3(void)
{
	__m128i a = _mm_loadu_si128((const __m128i *)bytes), b = _mm_loadu_si128((const __m128i *)(bytes + 16));

	printf("ssse3 %08x %08x %08x %08x %08x %08x\n", mix(_mm_shuffle_epi8(a, b)), mix(_mm_abs_epi16(a)),
	       mix(_mm_alignr_epi8(a, b, 5)), mix(_mm_maddubs_epi16(a, b)), mix(_mm_hadds_epi16(a, b)),
	       mix(_mm_mulhrs_epi16(a, b)));
}

static void sse41(void)
{
	__m128i a = _mm_loadu_si128((const __m128i *)(bytes + 32)), b = _mm_loadu_si128((const __m128i *)(bytes + 48));
	__m128 f = _mm_loadu_ps(floats + 16), g = _mm_loadu_ps(floats + 20);

	printf("sse41 %08x %08x %08x %08x %08x %08x %08x %d %d\n", mix(_mm_blendv_epi8(a, b, _mm_xor_si128(a, b))),
	       mix(_mm_mullo_epi32(a, b)), mix(_mm_minpos_epu16(a)), mix(_mm_cvtepu8_epi32(a)),
	       mix(_mm_packus_epi32(a, b)), mix_ps(_mm_round_ps(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)),
	       mix_ps(_mm_dp_ps(f, g, 0xf1)), _mm_extract_epi8(a, 13), _mm_testz_si128(a, b));
}

static void sse42(void)
{
	static const char hay[16] = "virtual machine", set[16] = "aeiou";
	__m128i h = _mm_loadu_si128((const __m128i *)hay), s = _mm_loadu_si128((const __m128i *)set);
	uint64_t crc = 0;

	for (unsigned i = 0; i < sizeof(bytes); i += 8) {
		uint64_t q;

		memcpy(&q, bytes + i, 8);
		crc = _mm_crc32_u64(crc, q);
	}
	crc = _mm_crc32_u8((uint32_t)crc, 0x5a);
	printf("sse42 %d %08x %d %08x %08x\n", _mm_cmpistri(s, h, _SIDD_CMP_EQUAL_ANY),
	       mix(_mm_cmpestrm(s, 5, h, 15, _SIDD_CMP_EQUAL_ANY | _SIDD_BIT_MASK)),
	       _mm_cmpistri(h, h, _SIDD_CMP_EQUAL_ORDERED | _SIDD_NEGATIVE_POLARITY), (uint32_t)crc,
	       mix(_mm_cmpgt_epi64(_mm_loadu_si128((const __m128i *)ints), _mm_loadu_si128((const __m128i *)other))));
}

static void popcnt_cx16(void)
{
	unsigned __int128 cell = ((unsigned __int128)0x0123456789abcdefull << 64) | 0xfedcba9876543210ull;
	uint64_t bits = 0;
	int swapped;

	for (unsigned i = 0; i < sizeof(bytes); i += 8) {
		uint64_t q;

		memcpy(&q, bytes + i, 8);
		bits += (uint64_t)__builtin_popcountll(q);
	}
	swapped = __sync_bool_compare_and_swap(&cell, cell, cell + 1);
	printf("popcnt-cx16 %llu %d %016llx\n", (unsigned long long)bits, swapped, (unsigned long long)cell);
}

/* Loops -O2 -march=x86-64-v2 vectorises with SSE4.1 (PMULLD, PMINSD,
 * PMOVSX, BLENDV). */
static void loops(void)
{
	struct level_loops r = level_loops_run();

	printf("loops %lld %d %a\n", (long long)r.dot, r.lo, (double)r.sum);
}

int main(void)
{
	level_data_init();
	popcnt_cx16();
	sse3();
	ssse3();
	sse41();
	sse42();
	loops();
	return 0;
}
