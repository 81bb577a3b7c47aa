/* The SSE/SSE2 instructions gcc emits for ordinary C: 128-bit moves
 * (MOVDQA/MOVDQU/MOVAPS/MOVUPS), MOVD/MOVQ, PXOR/PAND/POR/PANDN, PCMPEQB
 * with PMOVMSKB, PADDD/PSUBQ, PSHUFD, PUNPCK*, ADDSD/MULSD/DIVSD/SQRTSD,
 * CVTSI2SD/CVTTSD2SI/CVTSD2SI, COMISD/UCOMISD, LDMXCSR/STMXCSR, with
 * results worked out by hand (IEEE 754 doubles written as bit patterns),
 * and #GP for a misaligned MOVDQA (Intel SDM vol. 3A, 13.1 and 2.5 for
 * enabling SSE; vol. 2 for each instruction; vol. 1, 4.8.3.5 and 4.2.2 for
 * the indefinite values).
 *
 * Everything runs at CPL 3 (on the kvm engine the processor runs it, not
 * the host's instruction emulator). #NM with CR0.TS and #UD with CR0.EM or
 * without CR4.OSFXSR are checked in pvmgaps.c instead: the nested kvm host
 * of this project runs CPL 3 code without applying those bits.
 *
 * The asm names XMM registers without declaring them clobbered: this file
 * is built with -mgeneral-regs-only, so gcc uses no XMM register itself
 * (and refuses them as clobbers). Status 1 through the debug exit if every check passed. */
#include <stdint.h>

#include "deferred.h"
#include "kernel64.h"
#include "sysreg.h"
#include "test.h"

#define D_0_5 0x3fe0000000000000ull
#define D_1_0 0x3ff0000000000000ull
#define D_1_5 0x3ff8000000000000ull
#define D_2_0 0x4000000000000000ull
#define D_2_25 0x4002000000000000ull
#define D_2_5 0x4004000000000000ull
#define D_2_9 0x4007333333333333ull
#define D_3_0 0x4008000000000000ull
#define D_3_5 0x400c000000000000ull
#define D_3_75 0x400e000000000000ull
#define D_4_0 0x4010000000000000ull
#define D_1E10 0x4202a05f20000000ull
#define D_THIRD 0x3fd5555555555555ull /* 1/3 rounded to nearest */
#define D_SQRT2 0x3ff6a09e667f3bcdull
#define D_INF 0x7ff0000000000000ull
#define D_QNAN 0x7ff8000000000000ull
#define D_INDEFINITE 0xfff8000000000000ull /* the default QNaN */
#define D_NEG(d) ((d) | 0x8000000000000000ull)
#define D_ZERO 0ull

/* MXCSR: every exception masked, round to nearest, no flags. */
#define MXCSR_DEFAULT 0x1f80u
#define MXCSR_ROUND_DOWN (MXCSR_DEFAULT | 0x2000u)
#define MXCSR_IE 0x01u
#define MXCSR_ZE 0x04u
#define MXCSR_PE 0x20u
#define MXCSR_FLAGS 0x3fu

struct v128 {
	uint64_t q[2];
} __attribute__((aligned(16)));

static const uint8_t text[48] __attribute__((aligned(16))) = "The quick brown fox jumps over the lazy dog 0123";

/* --- moves ------------------------------------------------------------- */

static uint64_t bytes_differ(const void *a, const void *b, unsigned int n)
{
	const uint8_t *x = a, *y = b;

	for (unsigned int i = 0; i < n; i++)
		if (x[i] != y[i])
			return i + 1;
	return 0;
}

static void check_moves(void)
{
	struct v128 out;
	uint8_t unaligned[24];
	uint64_t at, q;
	uint32_t d;

	__asm__ volatile("movdqu 1(%1), %%xmm0\n\t"
			 "movdqa %%xmm0, (%0)"
			 :
			 : "r"(&out), "r"(text)
			 : "memory");
	check_later("MOVDQU misaligned load, MOVDQA aligned store", bytes_differ(&out, text + 1, 16), 0);
	for (unsigned int i = 0; i < sizeof(unaligned); i++)
		unaligned[i] = 0;
	__asm__ volatile("movaps 16(%1), %%xmm1\n\t"
			 "movups %%xmm1, 3(%0)"
			 :
			 : "r"(unaligned), "r"(text)
			 : "memory");
	check_later("MOVAPS aligned load, MOVUPS misaligned store",
		    bytes_differ(unaligned + 3, text + 16, 16) | unaligned[2] | unaligned[19], 0);

	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "leaq 2f(%%rip), %0\n"
					   "2:\tmovdqa 1(%1), %%xmm0\n1:"
			 : "=&r"(at)
			 : "r"(text)
			 : "memory");
	check_later("MOVDQA from a misaligned address: #GP(0)",
		    trap_last.count << 16 | trap_last.vector << 8 | trap_last.error, 1 << 16 | VEC_GP << 8);
	check_later("MOVDQA from a misaligned address: #GP(0)", trap_last.rip, at);

	/* MOVD and MOVQ into XMM zero the rest of the register. */
	__asm__ volatile("pcmpeqb %%xmm2, %%xmm2\n\t"
			 "movd %1, %%xmm2\n\t"
			 "movdqa %%xmm2, (%0)"
			 :
			 : "r"(&out), "r"(0x89abcdefu)
			 : "memory");
	check_later("MOVD r32 to XMM zero-extends", out.q[0], 0x89abcdef);
	check_later("MOVD r32 to XMM zero-extends", out.q[1], 0);
	__asm__ volatile("pcmpeqb %%xmm3, %%xmm3\n\t"
			 "movq %1, %%xmm3\n\t"
			 "movdqa %%xmm3, (%0)"
			 :
			 : "r"(&out), "r"(0x0123456789abcdefull)
			 : "memory");
	check_later("MOVQ r64 to XMM zero-extends", out.q[0], 0x0123456789abcdef);
	check_later("MOVQ r64 to XMM zero-extends", out.q[1], 0);
	__asm__ volatile("pcmpeqb %%xmm4, %%xmm4\n\t"
			 "movq 8(%1), %%xmm4\n\t"
			 "movdqa %%xmm4, (%0)"
			 :
			 : "r"(&out), "r"(text)
			 : "memory");
	check_later("MOVQ m64 to XMM zero-extends", bytes_differ(&out, text + 8, 8) | out.q[1], 0);
	__asm__ volatile("movdqa (%2), %%xmm5\n\t"
			 "movq %%xmm5, %0\n\t"
			 "movd %%xmm5, %1"
			 : "=r"(q), "=r"(d)
			 : "r"(text));
	check_later("MOVQ and MOVD from XMM", bytes_differ(&q, text, 8) | bytes_differ(&d, text, 4), 0);
	for (unsigned int i = 0; i < sizeof(unaligned); i++)
		unaligned[i] = 0;
	__asm__ volatile("movdqa (%1), %%xmm6\n\t"
			 "movq %%xmm6, 5(%0)"
			 :
			 : "r"(unaligned), "r"(text)
			 : "memory");
	check_later("MOVQ XMM to m64 stores 8 bytes",
		    bytes_differ(unaligned + 5, text, 8) | unaligned[4] | unaligned[13], 0);
}

/* --- integer ------------------------------------------------------------ */

/* xmm0 = a; xmm0 = xmm0 op [b]; *r = xmm0. */
#define SSE_BINARY(fn, insn)                                                                                           \
	static void fn(const struct v128 *a, const struct v128 *b, struct v128 *r)                                     \
	{                                                                                                              \
		__asm__ volatile("movdqa (%1), %%xmm0\n\t" insn " (%2), %%xmm0\n\t"                                    \
				 "movdqa %%xmm0, (%0)"                                                                 \
				 :                                                                                     \
				 : "r"(r), "r"(a), "r"(b)                                                              \
				 : "memory");                                                                          \
	}

SSE_BINARY(sse_pxor, "pxor")
SSE_BINARY(sse_pand, "pand")
SSE_BINARY(sse_por, "por")
SSE_BINARY(sse_pandn, "pandn")
SSE_BINARY(sse_pcmpeqb, "pcmpeqb")
SSE_BINARY(sse_paddd, "paddd")
SSE_BINARY(sse_psubq, "psubq")
SSE_BINARY(sse_punpcklbw, "punpcklbw")
SSE_BINARY(sse_punpckhbw, "punpckhbw")
SSE_BINARY(sse_punpckldq, "punpckldq")
SSE_BINARY(sse_punpcklqdq, "punpcklqdq")
SSE_BINARY(sse_punpckhqdq, "punpckhqdq")
SSE_BINARY(sse_addsd, "addsd")
SSE_BINARY(sse_mulsd, "mulsd")
SSE_BINARY(sse_divsd, "divsd")
SSE_BINARY(sse_sqrtsd, "sqrtsd")

#define SSE_PSHUFD(fn, imm)                                                                                            \
	static void fn(const struct v128 *a, struct v128 *r)                                                           \
	{                                                                                                              \
		__asm__ volatile("pshufd $" #imm ", (%1), %%xmm1\n\t"                                                  \
				 "movdqa %%xmm1, (%0)"                                                                 \
				 :                                                                                     \
				 : "r"(r), "r"(a)                                                                      \
				 : "memory");                                                                          \
	}

SSE_PSHUFD(sse_pshufd_1b, 0x1b)
SSE_PSHUFD(sse_pshufd_00, 0x00)
SSE_PSHUFD(sse_pshufd_4e, 0x4e)

static uint64_t dwords(uint32_t d0, uint32_t d1)
{
	return (uint64_t)d1 << 32 | d0;
}

static void check_logic(void)
{
	const struct v128 a = { { 0xff00ff00f0f0cccc, 0x123456789abcdef0 } };
	const struct v128 b = { { 0x0ff00ff0ffff0000, 0xffffffff00000000 } };
	struct v128 r;
	uint32_t mask;

	sse_pxor(&a, &a, &r);
	check_later("PXOR of a register with itself is 0", r.q[0] | r.q[1], 0);
	sse_pxor(&a, &b, &r);
	check_later("PXOR", r.q[0], 0xf0f0f0f00f0fcccc);
	check_later("PXOR", r.q[1], 0xedcba9879abcdef0);
	sse_pand(&a, &b, &r);
	check_later("PAND", r.q[0], 0x0f000f00f0f00000);
	check_later("PAND", r.q[1], 0x1234567800000000);
	sse_por(&a, &b, &r);
	check_later("POR", r.q[0], 0xfff0fff0ffffcccc);
	check_later("POR", r.q[1], 0xffffffff9abcdef0);
	sse_pandn(&a, &b, &r);
	check_later("PANDN is (NOT dest) AND src", r.q[0], 0x00f000f00f0f0000);
	check_later("PANDN is (NOT dest) AND src", r.q[1], 0xedcba98700000000);

	/* "The quick brown " against "The quiCk brOwn!": bytes 7, 12 and
	 * 15 differ. */
	static const struct v128 other = { { 0x4369757120656854ull, 0x216e774f7262206bull } };
	const struct v128 *t = (const struct v128 *)text;

	sse_pcmpeqb(t, &other, &r);
	check_later("PCMPEQB", r.q[0], 0x00ffffffffffffffull);
	check_later("PCMPEQB", r.q[1], 0x00ffff00ffffffffull);
	__asm__ volatile("movdqa (%1), %%xmm0\n\t"
			 "pcmpeqb (%2), %%xmm0\n\t"
			 "pmovmskb %%xmm0, %0"
			 : "=r"(mask)
			 : "r"(t), "r"(&other));
	check_later("PCMPEQB then PMOVMSKB", mask, 0xffff & ~0x9080u);
}

static void check_arith_shuffles(void)
{
	const struct v128 a = { { dwords(1, 0x7fffffff), dwords(0xffffffff, 5) } };
	const struct v128 b = { { dwords(2, 1), dwords(1, 0xfffffffb) } };
	const struct v128 q = { { 0, 10 } }, q1 = { { 1, 3 } };
	const struct v128 n = { { dwords(10, 11), dwords(12, 13) } };
	const struct v128 x = { { 0x0706050403020100, 0x0f0e0d0c0b0a0908 } };
	const struct v128 y = { { 0x1716151413121110, 0x1f1e1d1c1b1a1918 } };
	struct v128 r;

	sse_paddd(&a, &b, &r);
	check_later("PADDD wraps each doubleword", r.q[0], dwords(3, 0x80000000));
	check_later("PADDD wraps each doubleword", r.q[1], dwords(0, 0));
	sse_psubq(&q, &q1, &r);
	check_later("PSUBQ", r.q[0], 0xffffffffffffffff);
	check_later("PSUBQ", r.q[1], 7);

	sse_pshufd_1b(&n, &r);
	check_later("PSHUFD 0x1b reverses the doublewords", r.q[0], dwords(13, 12));
	check_later("PSHUFD 0x1b reverses the doublewords", r.q[1], dwords(11, 10));
	sse_pshufd_00(&n, &r);
	check_later("PSHUFD 0x00 broadcasts doubleword 0", (r.q[0] ^ r.q[1]) | (r.q[0] ^ dwords(10, 10)), 0);
	sse_pshufd_4e(&n, &r);
	check_later("PSHUFD 0x4e swaps the quadwords", r.q[0], dwords(12, 13));
	check_later("PSHUFD 0x4e swaps the quadwords", r.q[1], dwords(10, 11));

	sse_punpcklbw(&x, &y, &r);
	check_later("PUNPCKLBW", r.q[0], 0x1303120211011000);
	check_later("PUNPCKLBW", r.q[1], 0x1707160615051404);
	sse_punpckhbw(&x, &y, &r);
	check_later("PUNPCKHBW", r.q[0], 0x1b0b1a0a19091808);
	check_later("PUNPCKHBW", r.q[1], 0x1f0f1e0e1d0d1c0c);
	sse_punpckldq(&x, &y, &r);
	check_later("PUNPCKLDQ", r.q[0], 0x1312111003020100);
	check_later("PUNPCKLDQ", r.q[1], 0x1716151407060504);
	sse_punpcklqdq(&x, &y, &r);
	check_later("PUNPCKLQDQ", r.q[0], x.q[0]);
	check_later("PUNPCKLQDQ", r.q[1], y.q[0]);
	sse_punpckhqdq(&x, &y, &r);
	check_later("PUNPCKHQDQ", r.q[0], x.q[1]);
	check_later("PUNPCKHQDQ", r.q[1], y.q[1]);
}

/* --- floating point ------------------------------------------------------- */

static void load_mxcsr(uint32_t v)
{
	__asm__ volatile("ldmxcsr %0" : : "m"(v));
}

static uint32_t store_mxcsr(void)
{
	uint32_t v;

	__asm__ volatile("stmxcsr %0" : "=m"(v));
	return v;
}

/* dest = { a, upper }, then dest.low = dest.low op b: the upper half
 * must survive. Returns the low result; *mxcsr gets the flags raised. */
static uint64_t scalar(void (*op)(const struct v128 *, const struct v128 *, struct v128 *), uint64_t a, uint64_t b,
		       uint32_t *flags)
{
	const struct v128 x = { { a, 0x5a5a5a5a5a5a5a5aull } };
	const struct v128 y = { { b, 0x1111111111111111ull } };
	struct v128 r;

	load_mxcsr(MXCSR_DEFAULT);
	op(&x, &y, &r);
	*flags = store_mxcsr() & MXCSR_FLAGS;
	if (r.q[1] != x.q[1])
		*flags |= 0x100; /* not a flag: marks a clobbered upper half */
	return r.q[0];
}

static void check_scalar(const char *name, void (*op)(const struct v128 *, const struct v128 *, struct v128 *),
			 uint64_t a, uint64_t b, uint64_t want, uint32_t want_flags)
{
	uint32_t flags;

	check_later(name, scalar(op, a, b, &flags), want);
	check_later(name, flags, want_flags);
}

static void check_double_arith(void)
{
	check_scalar("ADDSD 1.5 + 2.25 = 3.75", sse_addsd, D_1_5, D_2_25, D_3_75, 0);
	check_scalar("MULSD 3 * 0.5 = 1.5", sse_mulsd, D_3_0, D_0_5, D_1_5, 0);
	check_scalar("DIVSD 1 / 3, rounded, PE", sse_divsd, D_1_0, D_3_0, D_THIRD, MXCSR_PE);
	check_scalar("DIVSD 1 / 0 = +inf, ZE", sse_divsd, D_1_0, D_ZERO, D_INF, MXCSR_ZE);
	check_scalar("SQRTSD 4 = 2, exact", sse_sqrtsd, D_1_0, D_4_0, D_2_0, 0);
	check_scalar("SQRTSD 2, rounded, PE", sse_sqrtsd, D_1_0, D_2_0, D_SQRT2, MXCSR_PE);
	check_scalar("SQRTSD -1 = default NaN, IE", sse_sqrtsd, D_1_0, D_NEG(D_1_0), D_INDEFINITE, MXCSR_IE);
}

static uint64_t cvtsi2sd32(int32_t v)
{
	uint64_t r;

	__asm__ volatile("cvtsi2sdl %1, %%xmm0\n\tmovq %%xmm0, %0" : "=r"(r) : "r"(v));
	return r;
}

static uint64_t cvtsi2sd64(int64_t v)
{
	uint64_t r;

	__asm__ volatile("cvtsi2sdq %1, %%xmm0\n\tmovq %%xmm0, %0" : "=r"(r) : "r"(v));
	return r;
}

static uint32_t cvttsd2si32(uint64_t d)
{
	uint32_t r;

	__asm__ volatile("cvttsd2si %1, %0" : "=r"(r) : "m"(d));
	return r;
}

static uint64_t cvttsd2si64(uint64_t d)
{
	uint64_t r;

	__asm__ volatile("cvttsd2si %1, %0" : "=r"(r) : "m"(d));
	return r;
}

static uint32_t cvtsd2si32(uint64_t d)
{
	uint32_t r;

	__asm__ volatile("cvtsd2si %1, %0" : "=r"(r) : "m"(d));
	return r;
}

static void check_conversions(void)
{
	uint32_t flags;

	load_mxcsr(MXCSR_DEFAULT);
	check_later("CVTSI2SD -7", cvtsi2sd32(-7), D_NEG(0x401c000000000000ull));
	check_later("CVTSI2SD 64-bit 10000000000", cvtsi2sd64(10000000000ll), D_1E10);
	check_later("CVTTSD2SI 64-bit 1e10", cvttsd2si64(D_1E10), 10000000000ull);
	flags = store_mxcsr() & MXCSR_FLAGS;
	check_later("exact conversions raise no flag", flags, 0);
	load_mxcsr(MXCSR_DEFAULT);
	check_later("CVTTSD2SI truncates 2.9 to 2", cvttsd2si32(D_2_9), 2);
	check_later("CVTTSD2SI truncates -2.9 to -2", cvttsd2si32(D_NEG(D_2_9)), (uint32_t)-2);
	check_later("truncating conversions raise PE", store_mxcsr() & MXCSR_FLAGS, MXCSR_PE);

	load_mxcsr(MXCSR_DEFAULT);
	check_later("CVTTSD2SI 1e10 to 32 bits: integer indefinite, IE", cvttsd2si32(D_1E10), 0x80000000u);
	check_later("CVTTSD2SI 1e10 to 32 bits: integer indefinite, IE", store_mxcsr() & MXCSR_FLAGS, MXCSR_IE);
	load_mxcsr(MXCSR_DEFAULT);
	check_later("CVTTSD2SI NaN to 64 bits: integer indefinite, IE", cvttsd2si64(D_QNAN), 0x8000000000000000ull);
	check_later("CVTTSD2SI NaN to 64 bits: integer indefinite, IE", store_mxcsr() & MXCSR_FLAGS, MXCSR_IE);

	load_mxcsr(MXCSR_DEFAULT);
	check_later("CVTSD2SI rounds half to even: 2.5 -> 2, 3.5 -> 4",
		    (uint64_t)cvtsd2si32(D_2_5) << 32 | cvtsd2si32(D_3_5), (uint64_t)2 << 32 | 4);
	load_mxcsr(MXCSR_ROUND_DOWN);
	check_later("CVTSD2SI with MXCSR.RC down: 2.5 -> 2, -2.5 -> -3",
		    (uint64_t)cvtsd2si32(D_2_5) << 32 | cvtsd2si32(D_NEG(D_2_5)), (uint64_t)2 << 32 | (uint32_t)-3);
	load_mxcsr(MXCSR_DEFAULT);
}

/* RFLAGS.{ZF,PF,CF} and MXCSR flags after COMISD/UCOMISD a, b. */
static uint64_t compare(uint64_t a, uint64_t b, int quiet)
{
	uint64_t rflags;

	load_mxcsr(MXCSR_DEFAULT);
	if (quiet)
		__asm__ volatile("movsd %1, %%xmm0\n\t"
				 "ucomisd %2, %%xmm0\n\t"
				 "pushfq\n\t"
				 "popq %0"
				 : "=r"(rflags)
				 : "m"(a), "m"(b)
				 : "cc");
	else
		__asm__ volatile("movsd %1, %%xmm0\n\t"
				 "comisd %2, %%xmm0\n\t"
				 "pushfq\n\t"
				 "popq %0"
				 : "=r"(rflags)
				 : "m"(a), "m"(b)
				 : "cc");
	return (rflags & FL_ARITH) | (uint64_t)(store_mxcsr() & MXCSR_FLAGS) << 32;
}

static void check_compares(void)
{
	check_later("COMISD 1 < 2: CF", compare(D_1_0, D_2_0, 0), FL_CF);
	check_later("COMISD 2 = 2: ZF", compare(D_2_0, D_2_0, 0), FL_ZF);
	check_later("COMISD 3 > 2: no flag", compare(D_3_0, D_2_0, 0), 0);
	check_later("COMISD NaN: ZF PF CF, and IE for a QNaN", compare(D_QNAN, D_1_0, 0),
		    FL_ZF | FL_PF | FL_CF | (uint64_t)MXCSR_IE << 32);
	check_later("UCOMISD NaN: ZF PF CF, no IE for a QNaN", compare(D_1_0, D_QNAN, 1), FL_ZF | FL_PF | FL_CF);
	check_later("UCOMISD -2 < 1: CF, OF SF AF clear", compare(D_NEG(D_2_0), D_1_0, 1), FL_CF);
}

static uint64_t user_sse_tests(uint64_t arg)
{
	(void)arg;
	check_moves();
	check_logic();
	check_arith_shuffles();
	check_double_arith();
	check_conversions();
	check_compares();
	return 0;
}

int main(void)
{
	kernel64_init();
	printf("SSE tests (run at CPL 3)\n");
	/* SDM vol. 3A, 13.1: OSFXSR (and OSXMMEXCPT) set, EM clear, MP set. */
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	user_call(user_sse_tests, 0);
	print_checks(0);
	test_done();
}
