/* The x86-64-v2 additions of SSE3, SSSE3 and POPCNT (and FISTTP, CMPXCHG16B, LAHF/SAHF in
 * 64-bit mode) on the software engines (RINGVISOR_ENGINE picks one; `make
 * unit-test` runs this file on each). Results, MXCSR and x87 status are
 * compared with the host CPU running the same bytes; the faults, which a
 * native run cannot take, are checked against the SDM's exception tables
 * (exceptions types 4 and 5; the x87 state of MMX forms, Vol. 1 table 9-3) and
 * were seen on the AMD development host too. */
#include "softcpu_harness.h"

/* ---- results against the host -------------------------------------------------- */

/* An XMM operation with a register and with an aligned memory source under the
 * MXCSR at [rdi + 128]; the results and the MXCSR it leaves go to memory, and
 * the host's MXCSR is put back. */
#define XMM_BINOP(name, op)                                                                                            \
	IH_ASM(name, "ldmxcsr [rdi + 128]\n movdqu xmm0, [rdi]\n movdqu xmm1, [rdi + 16]\n movdqu xmm2, [rdi]\n" op    \
		     " xmm0, xmm1\n" op " xmm2, [rdi + 16]\n movdqu [rdi + 32], xmm0\n movdqu [rdi + 48], xmm2\n"      \
		     "stmxcsr [rdi + 64]\n mov dword ptr [rdi + 68], 0x1f80\n ldmxcsr [rdi + 68]")
/* An SSSE3 operation in both forms: MMX (register and m64), then XMM. */
#define BOTH_FORMS(name, op)                                                                                           \
	IH_ASM(name, "movq mm0, [rdi]\n movq mm1, [rdi + 8]\n movq mm2, [rdi]\n" op " mm0, mm1\n" op                   \
		     " mm2, [rdi + 8]\n movq [rdi + 80], mm0\n movq [rdi + 88], mm2\n emms\n movdqu xmm0, [rdi]\n"     \
		     "movdqu xmm1, [rdi + 16]\n movdqu xmm2, [rdi]\n" op " xmm0, xmm1\n" op " xmm2, [rdi + 16]\n"      \
		     "movdqu [rdi + 32], xmm0\n movdqu [rdi + 48], xmm2")

XMM_BINOP(addsubps, "addsubps");
XMM_BINOP(addsubpd, "addsubpd");
XMM_BINOP(haddps, "haddps");
XMM_BINOP(haddpd, "haddpd");
XMM_BINOP(hsubps, "hsubps");
XMM_BINOP(hsubpd, "hsubpd");
XMM_BINOP(movshdup, "movshdup");
XMM_BINOP(movsldup, "movsldup");
/* MOVDDUP from m64 and LDDQU from m128 need no alignment. */
IH_ASM(sse3_unaligned_loads, "movdqu xmm0, [rdi]\n movddup xmm1, xmm0\n movddup xmm2, [rdi + 3]\n"
			     "lddqu xmm3, [rdi + 17]\n movdqu [rdi + 32], xmm1\n movdqu [rdi + 48], xmm2\n"
			     "movdqu [rdi + 80], xmm3");

static const struct ih_body sse3_bodies[] = {
	IH_BODY(addsubps), IH_BODY(addsubpd), IH_BODY(haddps),	 IH_BODY(haddpd),
	IH_BODY(hsubps),   IH_BODY(hsubpd),   IH_BODY(movshdup), IH_BODY(movsldup),
};

BOTH_FORMS(pshufb, "pshufb");
BOTH_FORMS(phaddw, "phaddw");
BOTH_FORMS(phaddd, "phaddd");
BOTH_FORMS(phaddsw, "phaddsw");
BOTH_FORMS(phsubw, "phsubw");
BOTH_FORMS(phsubd, "phsubd");
BOTH_FORMS(phsubsw, "phsubsw");
BOTH_FORMS(pmaddubsw, "pmaddubsw");
BOTH_FORMS(pmulhrsw, "pmulhrsw");
BOTH_FORMS(psignb, "psignb");
BOTH_FORMS(psignw, "psignw");
BOTH_FORMS(psignd, "psignd");
BOTH_FORMS(pabsb, "pabsb");
BOTH_FORMS(pabsw, "pabsw");
BOTH_FORMS(pabsd, "pabsd");
/* PALIGNR's counts across both halves and beyond them. */
IH_ASM(palignr, "movq mm0, [rdi]\n movq mm1, [rdi + 8]\n movq mm2, mm0\n movq mm3, mm0\n movq mm4, mm0\n"
		"palignr mm0, mm1, 3\n palignr mm2, [rdi + 8], 9\n palignr mm3, mm1, 16\n palignr mm4, mm1, 0\n"
		"movq [rdi + 80], mm0\n movq [rdi + 88], mm2\n movq [rdi + 96], mm3\n movq [rdi + 104], mm4\n emms\n"
		"movdqu xmm0, [rdi]\n movdqu xmm1, [rdi + 16]\n movdqa xmm2, xmm0\n movdqa xmm3, xmm0\n"
		"movdqa xmm4, xmm0\n palignr xmm0, xmm1, 5\n palignr xmm2, [rdi + 16], 17\n palignr xmm3, xmm1, 31\n"
		"palignr xmm4, xmm1, 200\n movdqu [rdi + 32], xmm0\n movdqu [rdi + 48], xmm2\n"
		"movdqu [rdi + 112], xmm3\n movdqu [rdi + 144], xmm4");

static const struct ih_body ssse3_bodies[] = {
	IH_BODY(pshufb),
	IH_BODY(phaddw),
	IH_BODY(phaddd),
	IH_BODY(phaddsw),
	IH_BODY(phsubw),
	IH_BODY(phsubd),
	IH_BODY(phsubsw),
	IH_BODY(pmaddubsw),
	IH_BODY(pmulhrsw),
	IH_BODY(psignb),
	IH_BODY(psignw),
	IH_BODY(psignd),
	IH_BODY(pabsb),
	IH_BODY(pabsw),
	IH_BODY(pabsd),
	IH_BODY(palignr),
	IH_BODY(sse3_unaligned_loads),
};

/* POPCNT at every size from registers and memory; the flags are those of the
 * last one, so each source is its own case. */
IH_ASM(popcnt64, "popcnt rax, rbx\n popcnt r9, [rdi]");
IH_ASM(popcnt32, "popcnt ecx, edx\n popcnt r10d, [rdi + 8]");
IH_ASM(popcnt16, "popcnt si, r8w\n popcnt r11w, [rdi + 16]");
IH_ASM(popcnt_zero_source, "popcnt rax, rbx");
/* CMPXCHG16B (also x86-64-v2), equal and not. */
IH_ASM(cmpxchg16b_body, "lock cmpxchg16b [rdi + 96]");
/* LAHF and SAHF in 64-bit mode. */
IH_ASM(sahf_lahf, "sahf\n lahf\n mov rcx, rax\n mov ah, dl\n sahf");
/* FISTTP m16/m32/m64 under the control word at [rdi + 128] (masked), then one
 * under any control word, loaded after the FLD and FNCLEX (an unmasked exception stops
 * the store; nothing waits after it). */
IH_ASM(fisttp_masked, "fninit\n fldcw [rdi + 128]\n fld qword ptr [rdi]\n fisttp word ptr [rdi + 32]\n"
		      "fld qword ptr [rdi + 8]\n fisttp dword ptr [rdi + 40]\n fld tbyte ptr [rdi + 16]\n"
		      "fisttp qword ptr [rdi + 48]\n fnstsw ax\n fninit");
IH_ASM(fisttp_any_control, "fninit\n fld qword ptr [rdi]\n fnclex\n fldcw [rdi + 130]\n fisttp dword ptr [rdi + 40]\n"
			   "fnstsw ax\n mov ebx, [rdi + 40]\n fninit");

static const struct ih_body integer_bodies[] = {
	IH_BODY(popcnt64),  IH_BODY(popcnt32),	    IH_BODY(popcnt16),		 IH_BODY(popcnt_zero_source),
	IH_BODY(sahf_lahf), IH_BODY(fisttp_masked), IH_BODY(fisttp_any_control), IH_BODY(cmpxchg16b_body),
};

/* Floats and doubles near the edges: zeros, denormals, infinities, quiet and
 * signalling NaNs, the largest and smallest normals, values around 2^15,
 * 2^31 and 2^63 (FISTTP's limits), halves. */
static uint64_t fp_value(uint64_t *seed)
{
	static const uint32_t singles[] = { 0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x7f800000,
					    0xff800000, 0x7fc00000, 0x7fa00000, 0xffc12345, 0x7f7fffff,
					    0x00800000, 0x3f800000, 0xbfc00000, 0x4f000000, 0x46fffe00 };
	static const uint64_t doubles[] = { 0x0000000000000000ull, 0x8000000000000000ull, 0x0000000000000001ull,
					    0x800fffffffffffffull, 0x7ff0000000000000ull, 0xfff0000000000000ull,
					    0x7ff8000000000000ull, 0x7ff4000000000000ull, 0x7fefffffffffffffull,
					    0x0010000000000000ull, 0x3ff8000000000000ull, 0xc0dfffe000000000ull,
					    0x41dfffffffe00000ull, 0xc1e0000000100000ull, 0x43e0000000000000ull,
					    0xc3e0000000000001ull, 0x40e0000000000000ull, 0xbfe0000000000000ull };
	uint64_t r = ih_random(seed);

	switch (r & 3) {
	case 0:
		return doubles[(r >> 8) % (sizeof(doubles) / sizeof(doubles[0]))];
	case 1:
		return singles[(r >> 8) % 15] | (uint64_t)singles[(r >> 16) % 15] << 32;
	case 2: /* small exponents, both signs: results near each other */
		return (r & 0x80000000807fffffull) | 0x3f0000003f000000ull;
	default:
		return ih_random(seed);
	}
}

/* Integer edges: saturation limits, sign bits, index bytes with bit 7. */
static uint64_t int_value(uint64_t *seed)
{
	static const uint64_t edges[] = { 0,
					  ~0ull,
					  0x8000800080008000ull,
					  0x7fff7fff7fff7fffull,
					  0x8080808080808080ull,
					  0x7f7f7f7f7f7f7f7full,
					  0x8000000080000000ull,
					  0x0f0e0d0c0b0a0908ull };
	uint64_t r = ih_random(seed);

	return (r & 3) == 0 ? edges[(r >> 8) & 7] : ih_random(seed);
}

static void run_against_host(const struct ih_body *b, unsigned n, unsigned iterations, uint64_t (*value)(uint64_t *))
{
	struct ih *h = ih_new();
	uint64_t seed = 0x55533533u;

	h->entry.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	for (unsigned k = 0; k < n; k++) {
		for (unsigned i = 0; i < iterations; i++) {
			struct ih_case c = { .ptr_regs = 1u << GPR_RDI };
			uint64_t v[16];
			/* Every exception masked, flags clear; any rounding, DAZ and FZ. */
			uint32_t mxcsr = ((uint32_t)ih_random(&seed) & 0xe040u) | 0x1f80u;
			/* An x87 control word with any rounding and precision, exceptions
			 * masked, and one with any masks too. */
			uint16_t fcw[2] = { (uint16_t)((ih_random(&seed) & 0x0f00u) | 0x037fu),
					    (uint16_t)((ih_random(&seed) & 0x0f3fu) | 0x0040u) };

			for (unsigned q = 0; q < 16; q++)
				v[q] = value(&seed);
			if (ih_random(&seed) & 1) /* the same operands both sides now and then */
				v[2] = v[0], v[3] = v[1];
			memcpy(c.data, v, sizeof(v));
			memcpy(c.data + 128, &mxcsr, 4);
			if (b[k].code == fisttp_masked || b[k].code == fisttp_any_control)
				memcpy(c.data + 128, fcw, sizeof(fcw));
			for (unsigned r = 0; r < GPR_COUNT; r++)
				c.regs.gpr[r] = r == GPR_RDI ? 0 : value(&seed);
			if (b[k].code == popcnt_zero_source && (i & 1))
				c.regs.gpr[GPR_RBX] = 0;
			if (b[k].code == cmpxchg16b_body && (i & 1)) {
				c.regs.gpr[GPR_RAX] = v[12];
				c.regs.gpr[GPR_RDX] = v[13];
			}
			c.regs.rflags = ih_random(&seed);
			ih_compare(h, &c, b[k].code, (size_t)(b[k].end - b[k].code), RFLAGS_ARITH_MASK, b[k].name);
		}
	}
	ih_free(h);
}

static void test_sse3_float_operations_and_mxcsr_match_host(void **state)
{
	(void)state;
	run_against_host(sse3_bodies, sizeof(sse3_bodies) / sizeof(sse3_bodies[0]), 512, fp_value);
}

static void test_ssse3_mmx_and_xmm_forms_match_host(void **state)
{
	(void)state;
	run_against_host(ssse3_bodies, sizeof(ssse3_bodies) / sizeof(ssse3_bodies[0]), 256, int_value);
}

static void test_popcnt_lahf_sahf_fisttp_cmpxchg16b_match_host(void **state)
{
	(void)state;
	run_against_host(integer_bodies, sizeof(integer_bodies) / sizeof(integer_bodies[0]), 256, fp_value);
}

/* ---- faults -------------------------------------------------------------------- */

/* Runs code with RDI = IH_DATA + rdi_off and expects the given vector at the
 * code's first instruction (#GP pushes an error code, 0 here, below RIP);
 * returns the state there. */
static struct vcpu_state *expect_fault(struct ih *h, const uint8_t *code, size_t len, uint64_t rdi_off, uint8_t vector)
{
	struct vcpu_state *s;

	h->state.gpr[GPR_RDI] = IH_DATA + rdi_off;
	ih_load(h, code, len);
	ih_start(h);
	ih_run(h);
	s = ih_expect_exception(h, vector);
	if (vector == 13) {
		assert_int_equal(ih_frame(h, 0), 0);
		assert_int_equal(ih_frame(h, 1), IH_CODE);
	} else {
		assert_int_equal(ih_frame(h, 0), IH_CODE);
	}
	return s;
}

IH_ASM(pshufb_mem, "pshufb xmm0, [rdi]");
IH_ASM(haddps_mem, "haddps xmm0, [rdi]");
IH_ASM(lddqu_mem, "lddqu xmm0, [rdi]");

/* Legacy SSE m128 operands of SSE3/SSSE3 arithmetic must be 16-byte aligned
 * (exceptions type 4: #GP(0)); LDDQU's need not. */
static void test_ssse3_and_sse3_misaligned_m128_raise_gp_but_lddqu_loads(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	h->entry.cr4 |= CR4_OSFXSR;
	h->state = h->entry;
	expect_fault(h, pshufb_mem, IH_LEN(pshufb_mem), 8, 13);
	h->state = h->entry;
	expect_fault(h, haddps_mem, IH_LEN(haddps_mem), 4, 13);
	h->state = h->entry;
	ih_put(h, IH_DATA + 8, 0x0706050403020100ull, 8);
	ih_put(h, IH_DATA + 16, 0x0f0e0d0c0b0a0908ull, 8);
	h->state.gpr[GPR_RDI] = IH_DATA + 8;
	s = ih_exec(h, lddqu_mem, IH_LEN(lddqu_mem));
	assert_int_equal(s->fpu.xmm[0][0], 0);
	assert_int_equal(s->fpu.xmm[0][15], 15);
	ih_free(h);
}

IH_ASM(pshufb_mm, "pshufb mm0, mm1");
IH_ASM(pshufb_xmm, "pshufb xmm0, xmm1");

/* The MMX forms: CR0.EM is #UD, CR0.TS #NM, CR4.OSFXSR clear #UD (exceptions
 * type 4 on MMX registers), a pending x87 exception #MF; none changes the x87
 * state. The XMM form: CR0.EM is #UD. */
static void test_ssse3_mmx_form_checks_before_entering_mmx_state(void **state)
{
	static const struct {
		uint64_t cr0_set, cr4_clear;
		uint16_t fsw;
		uint8_t vector;
	} cases[] = {
		{ CR0_EM, 0, 0, 6 },
		{ CR0_TS, 0, 0, 7 },
		{ 0, CR4_OSFXSR, 0, 6 },
		{ 0, 0, 0x0081, 16 },
	};
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	h->entry.cr4 |= CR4_OSFXSR;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		h->state = h->entry;
		h->state.cr0 |= cases[i].cr0_set;
		h->state.cr4 &= ~cases[i].cr4_clear;
		h->state.fpu.fsw = (uint16_t)(cases[i].fsw | 0x2800); /* TOP 5 */
		h->state.fpu.ftw = 0x0f;
		s = expect_fault(h, pshufb_mm, IH_LEN(pshufb_mm), 0, cases[i].vector);
		assert_int_equal(s->fpu.ftw, 0x0f);
		assert_int_equal(s->fpu.fsw & 0x3800, 0x2800);
	}
	h->state = h->entry;
	h->state.cr0 |= CR0_EM;
	expect_fault(h, pshufb_xmm, IH_LEN(pshufb_xmm), 0, 6);
	ih_free(h);
}

/* PSHUFB mm0, mm1 reads MM0 and MM1 as R0 and R1 whatever TOP is, then TOP = 0,
 * every tag valid, and R0's bits 79:64 all ones. */
static void test_ssse3_mmx_form_enters_mmx_state(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;
	uint64_t r0 = 0x8877665544332211ull, r1 = 0x0001020304050607ull, got;

	(void)state;
	h->entry.cr4 |= CR4_OSFXSR;
	h->state = h->entry;
	h->state.fpu.fsw = 0x1800; /* TOP 3: R0 is ST(5), R1 ST(6) */
	h->state.fpu.ftw = 0;
	memcpy(h->state.fpu.st[5], &r0, 8);
	memcpy(h->state.fpu.st[6], &r1, 8);
	s = ih_exec(h, pshufb_mm, IH_LEN(pshufb_mm));
	assert_int_equal(s->fpu.fsw & 0x3800, 0);
	assert_int_equal(s->fpu.ftw, 0xff);
	memcpy(&got, s->fpu.st[0], 8);
	assert_int_equal(got, 0x1122334455667788ull); /* bytes reversed */
	assert_int_equal(s->fpu.st[0][8], 0xff);
	assert_int_equal(s->fpu.st[0][9], 0xff);
	ih_free(h);
}

IH_ASM(haddps_reg, "haddps xmm0, xmm1");

/* An unmasked invalid operation (a signalling NaN) is #XM with CR4.OSXMMEXCPT
 * and #UD without; IE is set and the destination keeps its value. */
static void test_sse3_unmasked_exception_raises_xm_or_ud(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	h->entry.cr4 |= CR4_OSFXSR;
	for (unsigned osxmmexcpt = 0; osxmmexcpt < 2; osxmmexcpt++) {
		h->state = h->entry;
		if (osxmmexcpt)
			h->state.cr4 |= CR4_OSXMMEXCPT;
		h->state.fpu.mxcsr = 0x1f80 & ~0x80u; /* IM clear */
		memset(h->state.fpu.xmm[0], 0, 16);
		h->state.fpu.xmm[0][3] = 0x3f; /* 0.5 (a denormal would add DE) */
		memset(h->state.fpu.xmm[1], 0, 16);
		h->state.fpu.xmm[1][0] = 0x01; /* 0x7fa00001: a signalling NaN */
		h->state.fpu.xmm[1][2] = 0xa0;
		h->state.fpu.xmm[1][3] = 0x7f;
		s = expect_fault(h, haddps_reg, IH_LEN(haddps_reg), 0, osxmmexcpt ? 19 : 6);
		assert_int_equal(s->fpu.mxcsr & 0x3f, 0x01);
		assert_int_equal(s->fpu.xmm[0][3], 0x3f);
		assert_int_equal(s->fpu.xmm[0][4], 0);
	}
	ih_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sse3_float_operations_and_mxcsr_match_host),
		cmocka_unit_test(test_ssse3_mmx_and_xmm_forms_match_host),
		cmocka_unit_test(test_popcnt_lahf_sahf_fisttp_cmpxchg16b_match_host),
		cmocka_unit_test(test_ssse3_and_sse3_misaligned_m128_raise_gp_but_lddqu_loads),
		cmocka_unit_test(test_ssse3_mmx_form_checks_before_entering_mmx_state),
		cmocka_unit_test(test_ssse3_mmx_form_enters_mmx_state),
		cmocka_unit_test(test_sse3_unmasked_exception_raises_xm_or_ud),
	};

	printf("engine: %s\n", ih_engine_name());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
