/* A static program built with -march=x86-64-v3, run in the Linux guest and on
 * the host (tests/integration/linux-boot.sh): one line per extension the
 * x86-64-v3 level adds, from its intrinsics and from loops the compiler
 * vectorises for it, so that the guest's output must equal the host's. On a
 * CPU model without them (--cpu v2 or baseline) the first of them raises #UD
 * and the program dies of SIGILL; glibc's own start-up code checks nothing of
 * v3 before main (it picks its string functions by CPUID, which this program
 * does not depend on).
 *
 * The "xsave" line is what the processor and Linux say of the state: XCR0's
 * x87, SSE and AVX bits as XGETBV reads them (the host may enable more, which
 * is masked off), and AVX state surviving context switches: a YMM register
 * keeps its upper half across sched_yield() while a child process fills the
 * same register with ones. */
#include <immintrin.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "level_data.h"

static double doubles[512];

/* A 32-bit mix of a vector, to print: a sign flipped in every lane changes it
 * too (a plain XOR of products would cancel those). */
static uint32_t mix128(__m128i v)
{
	uint32_t w[4], h = 0x811c9dc5u;

	_mm_storeu_si128((__m128i *)w, v);
	for (unsigned i = 0; i < 4; i++) {
		h = (h ^ w[i]) * 2654435761u;
		h = h << 13 | h >> 19;
	}
	return h;
}

static uint32_t mix(__m256i v)
{
	return mix128(_mm256_castsi256_si128(v)) * 3266489917u ^ mix128(_mm256_extracti128_si256(v, 1));
}

static uint32_t mix_ps(__m256 v)
{
	return mix(_mm256_castps_si256(v));
}

static uint32_t mix_pd(__m256d v)
{
	return mix(_mm256_castpd_si256(v));
}

static void avx(void)
{
	__m256 a = _mm256_loadu_ps(floats), b = _mm256_loadu_ps(floats + 8);
	__m256d c = _mm256_loadu_pd(doubles), d = _mm256_loadu_pd(doubles + 4);
	__m128 lo = _mm_loadu_ps(floats + 16);

	printf("avx %08x %08x %08x %08x %08x %08x %08x %08x %d\n", mix_ps(_mm256_add_ps(a, b)),
	       mix_ps(_mm256_dp_ps(a, b, 0xf3)), mix_pd(_mm256_div_pd(c, d)),
	       mix_ps(_mm256_permute2f128_ps(a, b, 0x21)), mix_ps(_mm256_permutevar_ps(a, _mm256_castps_si256(b))),
	       mix_ps(_mm256_blendv_ps(a, b, _mm256_sub_ps(a, b))), mix_ps(_mm256_insertf128_ps(a, lo, 1)),
	       mix_pd(_mm256_cmp_pd(c, d, _CMP_NGE_UQ)), _mm256_movemask_ps(_mm256_cmp_ps(a, b, _CMP_LT_OQ)));
}

static void avx2(void)
{
	__m256i a = _mm256_loadu_si256((const __m256i *)bytes), b = _mm256_loadu_si256((const __m256i *)(bytes + 32));
	__m256i idx = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)ints), _mm256_set1_epi32(1023));

	printf("avx2 %08x %08x %08x %08x %08x %08x %08x %08x\n", mix(_mm256_shuffle_epi8(a, b)),
	       mix(_mm256_permutevar8x32_epi32(a, b)), mix(_mm256_permute4x64_epi64(a, 0x9c)),
	       mix(_mm256_sllv_epi32(a, _mm256_and_si256(b, _mm256_set1_epi32(31)))),
	       mix(_mm256_srav_epi32(a, _mm256_and_si256(b, _mm256_set1_epi32(63)))),
	       mix(_mm256_i32gather_epi32(other, idx, 4)), mix(_mm256_maddubs_epi16(a, b)),
	       mix(_mm256_broadcastb_epi8(_mm256_castsi256_si128(b))));
}

static void fma_f16c(void)
{
	__m256 a = _mm256_loadu_ps(floats + 24), b = _mm256_loadu_ps(floats + 32), c = _mm256_loadu_ps(floats + 40);
	__m256d x = _mm256_loadu_pd(doubles + 8), y = _mm256_loadu_pd(doubles + 12);
	__m128i half = _mm256_cvtps_ph(a, _MM_FROUND_TO_NEAREST_INT);

	printf("fma-f16c %08x %08x %08x %08x %08x\n", mix_ps(_mm256_fmadd_ps(a, b, c)),
	       mix_ps(_mm256_fnmsub_ps(a, b, c)), mix_pd(_mm256_fmaddsub_pd(x, y, x)), mix128(half),
	       mix_ps(_mm256_cvtph_ps(half)));
}

static void bmi(void)
{
	uint64_t acc = 0, hi = 0;

	for (unsigned i = 0; i + 8 <= sizeof(bytes); i += 8) {
		uint64_t q, lo;

		memcpy(&q, bytes + i, 8);
		acc ^= _andn_u64(q, acc) + _bextr_u64(q, i % 64, 13) + _blsi_u64(q) + _blsmsk_u64(q) + _blsr_u64(q);
		acc += _tzcnt_u64(q) + _lzcnt_u64(q) * 3 + _bzhi_u64(q, i % 70);
		acc ^= _pdep_u64(q, 0x0f0f33335555aaaaull) + _pext_u64(q, acc | 1);
		lo = _mulx_u64(q, acc | 1, (unsigned long long *)&hi);
		acc += lo ^ hi;
		/* Shifts by a variable count: SHLX, SARX, SHRX; the rotate: RORX. */
		acc = (acc >> 17 | acc << 47) + (q << (i % 64)) + (uint64_t)((int64_t)q >> (i % 61)) + (q >> (i % 59));
	}
	printf("bmi %016llx\n", (unsigned long long)acc);
}

static void movbe(void)
{
	uint32_t sum32 = 0;
	uint64_t sum64 = 0;

	for (unsigned i = 0; i + 8 <= sizeof(bytes); i += 4) {
		uint32_t d;
		uint64_t q;

		/* A byte swap of a load: MOVBE. */
		memcpy(&d, bytes + i, 4);
		memcpy(&q, bytes + i, 8);
		sum32 += __builtin_bswap32(d);
		sum64 ^= __builtin_bswap64(q) >> (i % 13);
	}
	sum64 = __builtin_bswap64(sum64);
	memcpy(bytes + 8, &sum64, 8);
	printf("movbe %08x %016llx %02x\n", sum32, (unsigned long long)sum64, bytes[8]);
}

/* ymm7 = v, sched_yield() by the syscall instruction (which preserves every
 * vector register: only RAX, RCX and R11 change), then ymm7 back. */
static __m256i yield_holding_ymm7(__m256i v)
{
	long nr = 24; /* __NR_sched_yield; RAX comes back with its result */
	__m256i out;

	__asm__ volatile("vmovdqu %2, %%ymm7\n\t"
			 "syscall\n\t"
			 "vmovdqu %%ymm7, %0"
			 : "=m"(out), "+a"(nr)
			 : "m"(v)
			 : "rcx", "r11", "xmm7", "memory");
	return out;
}

/* XCR0's low three bits, and YMM upper halves kept across context switches
 * while another process uses the same register (Linux saves and restores
 * them with XSAVE). */
static void xsave(void)
{
	uint32_t eax, edx;
	unsigned kept = 0;
	pid_t child;

	__asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
	child = fork();
	if (child == 0) {
		for (unsigned i = 0; i < 300; i++)
			yield_holding_ymm7(_mm256_set1_epi32(-1));
		_exit(0);
	}
	for (unsigned i = 0; i < 100; i++) {
		__m256i v = _mm256_set_epi64x((long long)i * 3, (long long)i * 5, 7, 9);
		uint64_t out[4];

		_mm256_storeu_si256((__m256i *)out, yield_holding_ymm7(v));
		kept += out[3] == (uint64_t)i * 3 && out[2] == (uint64_t)i * 5 && out[1] == 7;
	}
	waitpid(child, NULL, 0);
	printf("xsave xcr0 %x ymm-kept %u\n", eax & 7u, kept);
}

/* Loops -O2 -march=x86-64-v3 vectorises with AVX2 and FMA. */
static void loops(void)
{
	struct level_loops r = level_loops_run();
	double fsum = 0;

	for (unsigned i = 0; i < 512; i++)
		fsum += doubles[i] * doubles[(i * 7) % 512] + 1.5;
	printf("loops %lld %d %a %a\n", (long long)r.dot, r.lo, (double)r.sum, fsum);
}

int main(void)
{
	level_data_init();
	for (unsigned i = 0; i < 512; i++)
		doubles[i] = (double)ints[i] / 3.0 + (double)other[i] * 1e-3;
	/* Unbuffered: a SIGILL loses no line printed before it. */
	setvbuf(stdout, NULL, _IONBF, 0);
	bmi();
	movbe();
	avx();
	avx2();
	fma_f16c();
	xsave();
	loops();
	return 0;
}
