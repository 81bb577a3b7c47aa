/* FMA3 on the software engines, and the software floating point under FMA3
 * and F16C (soft_fp.c) against the host's own VFMADD, VCVTPS2PH and
 * VCVTPH2PS (an AMD Zen 3): results and MXCSR flags for edge values (zeros,
 * denormals, infinities, NaNs, values whose product cancels the addend,
 * overflow and underflow) under every rounding mode with DAZ and FZ, with
 * exceptions masked and unmasked (the host's #XM arrives as SIGFPE, whose
 * frame holds its MXCSR); then the FMA instructions themselves, every form,
 * on the engine and the host from the same registers, and #XM on the
 * engine. */
#include <emmintrin.h>
#include <setjmp.h>
#include <signal.h>
#include <ucontext.h>

#include "simd_values.h"

#include "engine/softcpu/soft_fp.h"

/* ---- values ----------------------------------------------------------------------- */

static uint32_t float_value(uint64_t *seed)
{
	static const uint32_t floats[] = {
		0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3f000000, 0x00000001, 0x807fffff, 0x00400000,
		0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345, 0x7f800001, 0xff812345, 0x7f7fffff, 0xff7fffff,
		0x00800000, 0x80800000, 0x3f7fffff, 0x33800000, 0x1f800000, 0x5f800000, 0x4b800001, 0xcb800000,
	};
	uint64_t r = ih_random(seed);

	switch (r & 7) {
	case 0:
	case 1:
	case 2:
		return floats[(r >> 8) % (sizeof(floats) / sizeof(floats[0]))];
	case 3: /* near 1, so that products cancel addends */
		return 0x3f800000u + (uint32_t)((r >> 8) & 0xff) - 0x80u;
	case 4: /* small: products underflow */
		return (uint32_t)(r >> 8) & 0x80ffffffu;
	default:
		return (uint32_t)(r >> 16);
	}
}

static uint64_t double_value(uint64_t *seed)
{
	static const uint64_t doubles[] = {
		0,
		0x8000000000000000ull,
		0x3ff0000000000000ull,
		0xbff0000000000000ull,
		0x0000000000000001ull,
		0x800fffffffffffffull,
		0x7ff0000000000000ull,
		0xfff0000000000000ull,
		0x7ff8000000000000ull,
		0x7ff0000000000001ull,
		0xfff4000000000000ull,
		0x7fefffffffffffffull,
		0x0010000000000000ull,
		0x3fefffffffffffffull,
		0x3ca0000000000000ull,
		0x2000000000000000ull,
		0x5ff0000000000000ull,
	};
	uint64_t r = ih_random(seed);

	switch (r & 7) {
	case 0:
	case 1:
	case 2:
		return doubles[(r >> 8) % (sizeof(doubles) / sizeof(doubles[0]))];
	case 3:
		return 0x3ff0000000000000ull + ((r >> 8) & 0xffff) - 0x8000u;
	case 4:
		return (r >> 8) & 0x800fffffffffffffull;
	case 5:
		return ih_random(seed) & 0x801fffffffffffffull;
	default:
		return ih_random(seed);
	}
}

/* ---- the software FMA against the host's --------------------------------------------- */

/* `insn x0, x1, x2` under csr: x0 is dst, x1 src2, x2 src3; returns x0's low
 * element, *csr the MXCSR after. */
#define HOST_FMA(name, insn)                                                                                           \
	static uint64_t name(uint64_t dst, uint64_t s2, uint64_t s3, uint32_t *csr)                                    \
	{                                                                                                              \
		__m128i d = _mm_cvtsi64_si128((long long)dst), b = _mm_cvtsi64_si128((long long)s2),                   \
			c = _mm_cvtsi64_si128((long long)s3);                                                          \
		uint32_t saved;                                                                                        \
		__asm__ volatile("stmxcsr %[saved]\n ldmxcsr %[csr]\n " insn " %[c], %[b], %[d]\n stmxcsr %[csr]\n"    \
				 " ldmxcsr %[saved]"                                                                   \
				 : [d] "+x"(d), [csr] "+m"(*csr), [saved] "=m"(saved)                                  \
				 : [b] "x"(b), [c] "x"(c));                                                            \
		return (uint64_t)_mm_cvtsi128_si64(d);                                                                 \
	}

HOST_FMA(host_fmadd132ss, "vfmadd132ss")
HOST_FMA(host_fmadd213ss, "vfmadd213ss")
HOST_FMA(host_fmadd231ss, "vfmadd231ss")
HOST_FMA(host_fnmsub231ss, "vfnmsub231ss")
HOST_FMA(host_fmadd132sd, "vfmadd132sd")
HOST_FMA(host_fmadd213sd, "vfmadd213sd")
HOST_FMA(host_fmadd231sd, "vfmadd231sd")
HOST_FMA(host_fmsub213sd, "vfmsub213sd")
HOST_FMA(host_fnmadd132sd, "vfnmadd132sd")

/* One form: which operands are the multiplicands and the addend. */
struct fma_form {
	const char *name;
	uint64_t (*host)(uint64_t dst, uint64_t s2, uint64_t s3, uint32_t *csr);
	unsigned order;
	unsigned neg;
	bool single;
};

static const struct fma_form forms[] = {
	{ "vfmadd132ss", host_fmadd132ss, 132, 0, true },
	{ "vfmadd213ss", host_fmadd213ss, 213, 0, true },
	{ "vfmadd231ss", host_fmadd231ss, 231, 0, true },
	{ "vfnmsub231ss", host_fnmsub231ss, 231, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, true },
	{ "vfmadd132sd", host_fmadd132sd, 132, 0, false },
	{ "vfmadd213sd", host_fmadd213sd, 213, 0, false },
	{ "vfmadd231sd", host_fmadd231sd, 231, 0, false },
	{ "vfmsub213sd", host_fmsub213sd, 213, FMA_NEG_ADDEND, false },
	{ "vfnmadd132sd", host_fnmadd132sd, 132, FMA_NEG_PRODUCT, false },
};

static void check_soft_fma(const struct fma_form *f, uint64_t dst, uint64_t s2, uint64_t s3, uint32_t csr)
{
	uint32_t host_csr = csr, flags = 0;
	uint64_t a = f->order == 132 ? dst : s2, b = f->order == 213 ? dst : s3;
	uint64_t c = f->order == 132 ? s2 : f->order == 213 ? s3 : dst;
	uint64_t mask = f->single ? 0xffffffffull : ~0ull;
	uint64_t want = f->host(dst, s2, s3, &host_csr) & mask;
	uint64_t got = soft_fma(a, b, c, f->single, f->neg, csr, &flags);

	if (got != want || flags != (host_csr & 0x3f))
		fail_msg("%s dst 0x%llx src2 0x%llx src3 0x%llx mxcsr 0x%x: 0x%llx flags 0x%x, the host has 0x%llx "
			 "flags 0x%x",
			 f->name, (unsigned long long)dst, (unsigned long long)s2, (unsigned long long)s3, csr,
			 (unsigned long long)got, flags, (unsigned long long)want, host_csr & 0x3f);
}

static void test_soft_fma_matches_host_fma(void **state)
{
	uint64_t seed = 0x464d4133u;

	(void)state;
	for (unsigned k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
		for (unsigned i = 0; i < 60000; i++) {
			const struct fma_form *f = &forms[k];
			uint64_t x = f->single ? float_value(&seed) : double_value(&seed);
			uint64_t y = f->single ? float_value(&seed) : double_value(&seed);
			uint64_t z = f->single ? float_value(&seed) : double_value(&seed);

			check_soft_fma(f, x, y, z, simd_csr_value(&seed));
		}
	}
}

/* ---- the instructions on the engine against the host ------------------------------ */

/* Inputs at 0, 32 and 64 (YMM), the MXCSR at 96, 0x1f80 at 100: the form on
 * registers and with src3 in memory, results at 128 and 160, the MXCSR after
 * each at 104 and 108. */
#define FMA_BODY(name, op, w, mem)                                                                                     \
	IH_ASM(name, "vmovups ymm1, [rdi]\n vmovups ymm2, [rdi + 32]\n vmovups ymm0, [rdi + 64]\n"                     \
		     "vmovups ymm3, [rdi + 64]\n ldmxcsr [rdi + 96]\n " op " " w "0, " w "1, " w "2\n"                 \
		     " stmxcsr [rdi + 104]\n ldmxcsr [rdi + 96]\n " op " " w "3, " w "1, " mem " [rdi + 32]\n"         \
		     " stmxcsr [rdi + 108]\n vmovups [rdi + 128], ymm0\n vmovups [rdi + 160], ymm3\n"                  \
		     " ldmxcsr [rdi + 100]")
#define FMA_ORDERS(n, op, t, w, mem)                                                                                   \
	FMA_BODY(n##132##t, op "132" #t, w, mem);                                                                      \
	FMA_BODY(n##213##t, op "213" #t, w, mem);                                                                      \
	FMA_BODY(n##231##t, op "231" #t, w, mem)
#define FMA_PACKED(n, op)                                                                                              \
	FMA_ORDERS(n##_y, op, ps, "ymm", "ymmword ptr");                                                               \
	FMA_ORDERS(n##_x, op, ps, "xmm", "xmmword ptr");                                                               \
	FMA_ORDERS(n##_y, op, pd, "ymm", "ymmword ptr");                                                               \
	FMA_ORDERS(n##_x, op, pd, "xmm", "xmmword ptr")
#define FMA_SCALAR(n, op)                                                                                              \
	FMA_ORDERS(n, op, ss, "xmm", "dword ptr");                                                                     \
	FMA_ORDERS(n, op, sd, "xmm", "qword ptr")
#define ORDER_BODIES(n, t) IH_BODY(n##132##t), IH_BODY(n##213##t), IH_BODY(n##231##t)
#define PACKED_BODIES(n)                                                                                               \
	ORDER_BODIES(n##_y, ps), ORDER_BODIES(n##_x, ps), ORDER_BODIES(n##_y, pd), ORDER_BODIES(n##_x, pd)
#define SCALAR_BODIES(n) ORDER_BODIES(n, ss), ORDER_BODIES(n, sd)

FMA_PACKED(fmadd, "vfmadd");
FMA_PACKED(fmsub, "vfmsub");
FMA_PACKED(fnmadd, "vfnmadd");
FMA_PACKED(fnmsub, "vfnmsub");
FMA_PACKED(fmaddsub, "vfmaddsub");
FMA_PACKED(fmsubadd, "vfmsubadd");
FMA_SCALAR(fmadd, "vfmadd");
FMA_SCALAR(fmsub, "vfmsub");
FMA_SCALAR(fnmadd, "vfnmadd");
FMA_SCALAR(fnmsub, "vfnmsub");

static const struct ih_body fma_bodies[] = {
	PACKED_BODIES(fmadd),	 PACKED_BODIES(fmsub),	  PACKED_BODIES(fnmadd), PACKED_BODIES(fnmsub),
	PACKED_BODIES(fmaddsub), PACKED_BODIES(fmsubadd), SCALAR_BODIES(fmadd),	 SCALAR_BODIES(fmsub),
	SCALAR_BODIES(fnmadd),	 SCALAR_BODIES(fnmsub),
};

static void test_fma_instructions_match_host(void **state)
{
	struct ih *h = ih_new_avx("v3");
	uint64_t seed = 0x464d4134u;

	(void)state;
	for (unsigned k = 0; k < sizeof(fma_bodies) / sizeof(fma_bodies[0]); k++) {
		for (unsigned i = 0; i < 48; i++) {
			struct ih_case c = { .ptr_regs = 1u << GPR_RDI };
			uint32_t csr = simd_csr_value(&seed), dflt = 0x1f80;
			const char *t = fma_bodies[k].name + strlen(fma_bodies[k].name) - 2;
			bool single = t[1] == 's';

			for (unsigned q = 0; q < IH_CMP_DATA / 8; q++) {
				uint64_t v = single ? float_value(&seed) | (uint64_t)float_value(&seed) << 32
						    : double_value(&seed);

				memcpy(c.data + 8 * q, &v, 8);
			}
			memcpy(c.data + 96, &csr, 4);
			memcpy(c.data + 100, &dflt, 4);
			c.regs.rflags = ih_random(&seed);
			ih_compare(h, &c, fma_bodies[k].code, (size_t)(fma_bodies[k].end - fma_bodies[k].code),
				   RFLAGS_ARITH_MASK, fma_bodies[k].name);
		}
	}
	ih_free(h);
}

/* ---- exceptions ------------------------------------------------------------------- */

/* inf * 0 with invalid unmasked: #XM, XMM0 unchanged, MXCSR.IE set. */
IH_ASM(fma_invalid, "vfmadd231ps xmm0, xmm1, xmm2");

static void test_fma_unmasked_invalid_raises_xm_and_writes_nothing(void **state)
{
	struct ih *h = ih_new_avx("v3");
	struct vcpu_state *s;

	(void)state;
	h->state = h->entry;
	h->state.fpu.mxcsr = 0x1f80 & ~0x80u;
	memset(h->state.fpu.xmm, 0, sizeof(h->state.fpu.xmm));
	h->state.fpu.xmm[0][0] = 0x11;
	h->state.fpu.xmm[1][2] = 0x80;
	h->state.fpu.xmm[1][3] = 0x7f; /* +inf */
	ih_load(h, fma_invalid, IH_LEN(fma_invalid));
	ih_start(h);
	ih_run(h);
	s = ih_expect_exception(h, EXC_XM);
	assert_int_equal(s->fpu.xmm[0][0], 0x11);
	assert_int_equal(s->fpu.mxcsr & 0x3f, 0x01);
	ih_free(h);
}

/* An exact tiny result with underflow unmasked: #XM with UE (masked, the
 * same sum raises nothing). */
static void test_soft_fma_exact_tiny_result_underflows_only_when_unmasked(void **state)
{
	uint32_t flags = 0;
	uint64_t r;

	(void)state;
	/* 2^-70 * 2^-70 + 0: the single-precision denormal 2^-140, exact. */
	r = soft_fma(0x1c800000u, 0x1c800000u, 0, true, 0, 0x1f80, &flags);
	assert_int_equal(r, 0x00000200u);
	assert_int_equal(flags, 0);
	r = soft_fma(0x1c800000u, 0x1c800000u, 0, true, 0, 0x1f80 & ~0x800u, &flags);
	assert_int_equal(flags, 0x10);
	(void)r;
}

/* ---- unmasked exceptions: the host's MXCSR at its #XM -------------------------------- */

static sigjmp_buf xm_jump;
static volatile uint32_t xm_mxcsr;

static void on_sigfpe(int sig, siginfo_t *info, void *context)
{
	const ucontext_t *uc = context;

	(void)sig;
	(void)info;
	xm_mxcsr = uc->uc_mcontext.fpregs->mxcsr;
	siglongjmp(xm_jump, 1);
}

/* Runs the form on the host under *csr; true if it trapped, *csr then the
 * MXCSR of the trap's signal frame. */
static bool host_traps(const struct fma_form *f, uint64_t x, uint64_t y, uint64_t z, uint32_t *csr)
{
	if (sigsetjmp(xm_jump, 1)) {
		*csr = xm_mxcsr;
		return true;
	}
	(void)f->host(x, y, z, csr);
	return false;
}

/* The guest MXCSR's flags after the instruction (fp_commit's rule: an
 * unmasked pre-computation exception records only those). */
static uint32_t flags_after(uint32_t flags, uint32_t csr, bool *trapped)
{
	uint32_t unmasked = flags & ~(csr >> 7) & 0x3fu;

	*trapped = unmasked != 0;
	return unmasked & 0x07u ? flags & 0x07u : flags;
}

/* With some exceptions unmasked, the host either completes (same result and
 * flags as soft_fma) or traps (#XM as SIGFPE) with MXCSR's flags as the
 * guest must see them: which ones, and precision with an unmasked overflow
 * or underflow only if the unbounded result is inexact. */
static void test_soft_fma_unmasked_flags_match_host_traps(void **state)
{
	struct sigaction sa = { .sa_sigaction = on_sigfpe, .sa_flags = SA_SIGINFO | SA_NODEFER }, old;
	uint64_t seed = 0x464d4135u;
	unsigned traps = 0;

	(void)state;
	assert_int_equal(sigaction(SIGFPE, &sa, &old), 0);
	for (unsigned k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
		for (unsigned i = 0; i < 20000; i++) {
			const struct fma_form *f = &forms[k];
			uint64_t x = f->single ? float_value(&seed) : double_value(&seed);
			uint64_t y = f->single ? float_value(&seed) : double_value(&seed);
			uint64_t z = f->single ? float_value(&seed) : double_value(&seed);
			uint32_t csr = simd_csr_value(&seed) & ~((uint32_t)(ih_random(&seed) & 0x3f) << 7);
			uint64_t a = f->order == 132 ? x : y, b = f->order == 213 ? x : z;
			uint64_t c = f->order == 132 ? y : f->order == 213 ? z : x;
			uint32_t flags = 0, want, host_csr = csr;
			bool trapped, host_trapped;

			(void)soft_fma(a, b, c, f->single, f->neg, csr, &flags);
			want = flags_after(flags, csr, &trapped);
			host_trapped = host_traps(f, x, y, z, &host_csr);
			if (host_trapped != trapped || (host_csr & 0x3f) != want)
				fail_msg("%s 0x%llx 0x%llx 0x%llx mxcsr 0x%x: the host %s with flags 0x%x, soft_fma "
					 "has 0x%x (trap: %d)",
					 f->name, (unsigned long long)x, (unsigned long long)y, (unsigned long long)z,
					 csr, host_trapped ? "trapped" : "completed", host_csr & 0x3f, want, trapped);
			traps += host_trapped;
		}
	}
	assert_int_equal(sigaction(SIGFPE, &old, NULL), 0);
	assert_true(traps > 1000);
}

/* VCVTPS2PH (rounding by MXCSR.RC, imm8 4) or VCVTPH2PS of one element on
 * the host under *csr. */
static __attribute__((noinline)) uint64_t host_half(uint32_t x, bool to_half, uint32_t *csr)
{
	__m128i v = _mm_cvtsi32_si128((int)x), r = _mm_setzero_si128();
	uint32_t saved;

	if (to_half)
		__asm__ volatile("stmxcsr %[saved]\n ldmxcsr %[csr]\n vcvtps2ph $4, %[v], %[r]\n stmxcsr %[csr]\n"
				 " ldmxcsr %[saved]"
				 : [r] "+x"(r), [csr] "+m"(*csr), [saved] "=m"(saved)
				 : [v] "x"(v));
	else
		__asm__ volatile("stmxcsr %[saved]\n ldmxcsr %[csr]\n vcvtph2ps %[v], %[r]\n stmxcsr %[csr]\n"
				 " ldmxcsr %[saved]"
				 : [r] "+x"(r), [csr] "+m"(*csr), [saved] "=m"(saved)
				 : [v] "x"(v));
	return (uint64_t)(uint32_t)_mm_cvtsi128_si32(r);
}

/* host_half; true if it trapped (*csr: the frame's MXCSR). */
static bool host_half_traps(uint32_t x, bool to_half, uint64_t *result, uint32_t *csr)
{
	if (sigsetjmp(xm_jump, 1)) {
		*csr = xm_mxcsr;
		return true;
	}
	*result = host_half(x, to_half, csr);
	return false;
}

/* The half-precision conversions, masked or not, against the host. */
static void test_soft_half_conversions_match_host(void **state)
{
	struct sigaction sa = { .sa_sigaction = on_sigfpe, .sa_flags = SA_SIGINFO | SA_NODEFER }, old;
	uint64_t seed = 0x46313643u;

	(void)state;
	assert_int_equal(sigaction(SIGFPE, &sa, &old), 0);
	for (unsigned i = 0; i < 200000; i++) {
		bool to_half = i & 1, trapped, host_trapped;
		uint32_t x = to_half ? float_value(&seed) : (uint32_t)(ih_random(&seed) & 0xffff);
		uint32_t csr = simd_csr_value(&seed), flags = 0, host_csr, want;
		uint64_t got, host = 0;

		if (ih_random(&seed) & 1)
			csr &= ~((uint32_t)(ih_random(&seed) & 0x3f) << 7);
		host_csr = csr;
		got = to_half ? soft_single_to_half(x, (csr >> 13) & 3, csr, &flags)
			      : soft_half_to_single((uint16_t)x, &flags);
		want = flags_after(flags, csr, &trapped);
		host_trapped = host_half_traps(x, to_half, &host, &host_csr);
		/* An unmasked underflow's trap: the AMD development host (which
		 * soft_fp follows) leaves PE clear, an Intel one sets it. */
		if (trapped && host_trapped && !ih_host_is_model_vendor())
			host_csr = (host_csr & ~0x20u) | (want & 0x20u);
		if (host_trapped != trapped || (host_csr & 0x3f) != want || (!trapped && host != got))
			fail_msg(
			    "%s 0x%x mxcsr 0x%x: the host %s with 0x%llx flags 0x%x, soft_fp has 0x%llx flags 0x%x",
			    to_half ? "vcvtps2ph" : "vcvtph2ps", x, csr, host_trapped ? "trapped" : "completed",
			    (unsigned long long)host, host_csr & 0x3f, (unsigned long long)got, want);
	}
	assert_int_equal(sigaction(SIGFPE, &old, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soft_fma_matches_host_fma),
		cmocka_unit_test(test_fma_instructions_match_host),
		cmocka_unit_test(test_fma_unmasked_invalid_raises_xm_and_writes_nothing),
		cmocka_unit_test(test_soft_fma_exact_tiny_result_underflows_only_when_unmasked),
		cmocka_unit_test(test_soft_fma_unmasked_flags_match_host_traps),
		cmocka_unit_test(test_soft_half_conversions_match_host),
	};

	printf("engine: %s\n", ih_engine_name());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
