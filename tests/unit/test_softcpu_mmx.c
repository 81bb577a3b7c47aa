/* The MMX instructions on the software engines (RINGVISOR_ENGINE picks one;
 * `make unit-test` runs this file on each): results compared with the host
 * CPU, and the aliasing of the MMX registers onto the x87 registers, the
 * exceptions and EMMS checked against the manuals' rules (Intel SDM Vol. 1,
 * 9.5 and table 9-3; Vol. 3A, table 12-1 (CR0.EM, CR0.TS); AMD APM Vol. 1,
 * 5.1 and Vol. 2, 11.4). */
#include "softcpu_harness.h"

/* ---- results against the host -------------------------------------------------- */

/* Each operation with a register and with a memory source; the results go to
 * memory and RAX. EMMS at the end leaves the host's x87 usable. */
#define MMX_BINOP(name, reg_form, mem_form)                                                                            \
	IH_ASM(mmx_##name, "movq mm0, [rdi]\n movq mm1, [rdi + 8]\n movq mm2, [rdi]\n" reg_form "\n" mem_form          \
			   "\n movq [rdi + 16], mm0\n movq [rdi + 24], mm2\n movq rax, mm0\n emms");
#include "mmx_binops.inc"
#undef MMX_BINOP

struct mmx_body {
	const char *name;
	const uint8_t *code, *end;
};

#define MMX_BINOP(name, reg_form, mem_form) { #name, mmx_##name, mmx_##name##_end },
static const struct mmx_body binops[] = {
#include "mmx_binops.inc"
};
#undef MMX_BINOP

/* Edges more often than not: shift counts below the width, saturation limits. */
static uint64_t mmx_value(uint64_t *seed)
{
	static const uint64_t edges[] = { 0,
					  ~0ull,
					  0x8000800080008000ull,
					  0x7fff7fff7fff7fffull,
					  0x8080808080808080ull,
					  0x7f7f7f7f7f7f7f7full,
					  0x0000000180000000ull,
					  0x00ff00ff00ff00ffull };
	uint64_t r = ih_random(seed);

	switch (r & 3) {
	case 0:
		return edges[(r >> 8) & 7];
	case 1:
		return (r >> 8) & 0x47; /* counts 0-7 and 64-71 */
	default:
		return ih_random(seed);
	}
}

static void run_against_host(const struct mmx_body *b, unsigned n, unsigned iterations)
{
	struct ih *h = ih_new();
	uint64_t seed = 0x4d4d58u;

	h->entry.cr4 |= CR4_OSFXSR;
	for (unsigned k = 0; k < n; k++) {
		for (unsigned i = 0; i < iterations; i++) {
			struct ih_case c = { .ptr_regs = 1u << GPR_RDI };
			uint64_t v[4] = { mmx_value(&seed), mmx_value(&seed), mmx_value(&seed), mmx_value(&seed) };

			memcpy(c.data, v, sizeof(v));
			for (unsigned r = 0; r < GPR_COUNT; r++)
				c.regs.gpr[r] = r == GPR_RDI ? 0 : mmx_value(&seed);
			ih_compare(h, &c, b[k].code, (size_t)(b[k].end - b[k].code), RFLAGS_ARITH_MASK, b[k].name);
		}
	}
	ih_free(h);
}

static void test_mmx_packed_integer_operations_match_host(void **state)
{
	(void)state;
	run_against_host(binops, sizeof(binops) / sizeof(binops[0]), 64);
}

IH_ASM(mmx_shift_imm, "movq mm0, [rdi]\n movq mm1, mm0\n movq mm2, mm0\n movq mm3, mm0\n movq mm4, mm0\n"
		      "psllw mm0, 3\n psrlw mm1, 15\n psraw mm2, 16\n pslld mm3, 31\n psrad mm4, 7\n"
		      "movq mm5, mm4\n psrlq mm5, 33\n movq mm6, mm4\n psllq mm6, 64\n"
		      "movq [rdi + 32], mm0\n movq [rdi + 40], mm1\n movq [rdi + 48], mm2\n movq [rdi + 56], mm3\n"
		      "movq [rdi + 64], mm4\n movq [rdi + 72], mm5\n movq [rdi + 80], mm6\n emms");
IH_ASM(mmx_moves, "movd mm0, eax\n movq mm1, rbx\n movd mm2, [rdi]\n movq mm3, [rdi + 8]\n"
		  "movd ecx, mm1\n movq rdx, mm3\n movd [rdi + 32], mm0\n movq [rdi + 40], mm2\n"
		  "movq mm4, mm1\n movntq [rdi + 48], mm4\n movq mm5, [rdi + 16]\n movq [rdi + 56], mm5\n"
		  "movq rsi, mm0\n emms");
IH_ASM(mmx_words, "movq mm0, [rdi]\n movq mm1, [rdi + 8]\n pshufw mm2, mm0, 0x1b\n pshufw mm3, [rdi + 8], 0xe4\n"
		  "pinsrw mm0, eax, 2\n pinsrw mm1, [rdi + 16], 7\n pextrw ecx, mm0, 2\n pextrw rdx, mm1, 3\n"
		  "pmovmskb esi, mm1\n pmovmskb r8, mm3\n"
		  "movq [rdi + 32], mm0\n movq [rdi + 40], mm1\n movq [rdi + 48], mm2\n movq [rdi + 56], mm3\n emms");
IH_ASM(mmx_maskmovq, "movq mm0, [rdi]\n movq mm1, [rdi + 8]\n lea rdi, [rdi + 64]\n maskmovq mm0, mm1\n"
		     "lea rdi, [rdi - 64]\n emms");
IH_ASM(mmx_xmm_moves, "movq mm0, [rdi]\n movdqu xmm0, [rdi + 8]\n movq2dq xmm1, mm0\n movdq2q mm1, xmm0\n"
		      "movdqu [rdi + 32], xmm1\n movq [rdi + 48], mm1\n emms");
IH_ASM(mmx_conversions,
       "mov dword ptr [rdi + 132], 0x1f80\n ldmxcsr [rdi + 132]\n movq mm0, [rdi]\n movdqu xmm0, [rdi + 16]\n movdqu "
       "xmm1, xmm0\n"
       "cvtpi2ps xmm0, mm0\n cvtpi2ps xmm1, [rdi + 8]\n cvtpi2pd xmm2, mm0\n cvtpi2pd xmm3, [rdi + 8]\n"
       "movdqu [rdi + 32], xmm0\n movdqu [rdi + 48], xmm1\n movdqu [rdi + 64], xmm2\n"
       "movdqu [rdi + 80], xmm3\n cvtps2pi mm1, xmm0\n cvttps2pi mm2, [rdi + 16]\n"
       "cvtpd2pi mm3, xmm2\n cvttpd2pi mm4, xmm3\n movq [rdi + 96], mm1\n movq [rdi + 104], mm2\n"
       "movq [rdi + 112], mm3\n movq [rdi + 120], mm4\n stmxcsr [rdi + 128]\n emms");

#define BODY(n)                                                                                                        \
	{                                                                                                              \
#n, n, n##_end                                                                                         \
	}
static const struct mmx_body others[] = {
	BODY(mmx_shift_imm), BODY(mmx_moves),	  BODY(mmx_words),
	BODY(mmx_maskmovq),  BODY(mmx_xmm_moves), BODY(mmx_conversions),
};

static void test_mmx_moves_shuffles_and_conversions_match_host(void **state)
{
	(void)state;
	run_against_host(others, sizeof(others) / sizeof(others[0]), 256);
}

/* ---- aliasing onto the x87 registers ------------------------------------------- */

#define FSW_TOP(n) ((uint16_t)((n) << 11))

/* Physical register Rn is ST((n - TOP) & 7), which is where struct x86_fpu
 * keeps it. */
static uint8_t *phys(struct vcpu_state *s, unsigned n, unsigned top)
{
	return s->fpu.st[(n - top) & 7];
}

/* Registers R0-R7 hold distinct values with TOP = 5, every tag empty. */
static void aliasing_state(struct ih *h)
{
	h->state = h->entry;
	h->state.fpu.fsw = FSW_TOP(5) | 0x4100; /* C3, C0: kept by MMX instructions */
	h->state.fpu.ftw = 0;
	for (unsigned n = 0; n < 8; n++)
		for (unsigned b = 0; b < 10; b++)
			phys(&h->state, n, 5)[b] = (uint8_t)(0x10 * n + b);
}

IH_ASM(read_mm3, "movq rax, mm3");

/* A read of MM3 gives R3's significand whatever TOP is, then TOP = 0 and
 * every tag valid; no register changes. */
static void test_mmx_read_aliases_physical_register_and_sets_top0_all_valid(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s, before;
	uint64_t want;

	(void)state;
	aliasing_state(h);
	before = h->state;
	memcpy(&want, phys(&before, 3, 5), 8);
	s = ih_exec(h, read_mm3, IH_LEN(read_mm3));
	assert_int_equal(s->gpr[GPR_RAX], want);
	assert_int_equal(s->fpu.fsw, 0x4100); /* TOP 0, C3 and C0 kept */
	assert_int_equal(s->fpu.ftw, 0xff);
	for (unsigned n = 0; n < 8; n++)
		assert_memory_equal(phys(s, n, 0), phys(&before, n, 5), 10);
	ih_free(h);
}

IH_ASM(write_mm6, "movq mm6, rax");

/* A write of MM6 puts the value in R6's bits 63:0 and ones in 79:64. */
static void test_mmx_write_sets_exponent_and_sign_to_ones(void **state)
{
	static const uint8_t want[10] = { 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01, 0xff, 0xff };
	struct ih *h = ih_new();
	struct vcpu_state *s, before;

	(void)state;
	aliasing_state(h);
	h->state.gpr[GPR_RAX] = 0x0123456789abcdefull;
	before = h->state;
	s = ih_exec(h, write_mm6, IH_LEN(write_mm6));
	assert_memory_equal(phys(s, 6, 0), want, 10);
	for (unsigned n = 0; n < 8; n++)
		if (n != 6)
			assert_memory_equal(phys(s, n, 0), phys(&before, n, 5), 10);
	assert_int_equal(s->fpu.ftw, 0xff);
	assert_int_equal(s->fpu.fsw & 0x3800, 0);
	ih_free(h);
}

IH_ASM(emms_only, "emms");

/* EMMS: every tag empty, TOP = 0, the registers and the other status bits as
 * they were. */
static void test_mmx_emms_empties_every_tag_and_sets_top0(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s, before;

	(void)state;
	aliasing_state(h);
	h->state.fpu.ftw = 0xa5;
	before = h->state;
	s = ih_exec(h, emms_only, IH_LEN(emms_only));
	assert_int_equal(s->fpu.ftw, 0);
	assert_int_equal(s->fpu.fsw, 0x4100);
	for (unsigned n = 0; n < 8; n++)
		assert_memory_equal(phys(s, n, 0), phys(&before, n, 5), 10);
	ih_free(h);
}

IH_ASM(fld1_then_mmx, "fld1\n fld1\n movq mm0, rax\n movq rbx, mm7\n fnstsw ax\n fstp st(0)");

/* After two pushes (TOP = 6) MM0 is R0, not ST(0); the next x87 pop sees the
 * MMX state's TOP = 0 and pops R0, the register MMX just wrote. */
static void test_mmx_after_x87_pushes_uses_physical_registers(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	h->state = h->entry;
	h->state.gpr[GPR_RAX] = 0x1122334455667788ull;
	s = ih_exec(h, fld1_then_mmx, IH_LEN(fld1_then_mmx));
	assert_int_equal(s->gpr[GPR_RAX] & 0x3800, 0); /* TOP 0 after the MMX write */
	/* R7 holds the first 1.0 (significand 0x8000000000000000). */
	assert_int_equal(s->gpr[GPR_RBX], 0x8000000000000000ull);
	/* FSTP ST(0) emptied R0 and made TOP 1; R7 and R1-R6 stay valid. */
	assert_int_equal(s->fpu.fsw & 0x3800, FSW_TOP(1));
	assert_int_equal(s->fpu.ftw, 0xfe);
	ih_free(h);
}

/* ---- exceptions ---------------------------------------------------------------- */

IH_ASM(paddb_only, "paddb mm0, mm1");

static void expect_paddb_exception(uint64_t cr0_set, uint16_t fsw, uint8_t vector)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	h->state = h->entry;
	h->state.cr0 |= cr0_set;
	h->state.fpu.fsw = fsw;
	h->state.fpu.ftw = 0x0f;
	ih_load(h, paddb_only, IH_LEN(paddb_only));
	ih_start(h);
	ih_run(h);
	s = ih_expect_exception(h, vector);
	assert_int_equal(ih_frame(h, 0), IH_CODE); /* a fault at the instruction */
	assert_int_equal(s->fpu.ftw, 0x0f);	   /* no transition */
	ih_free(h);
}

/* CR0.EM: #UD (SDM Vol. 3A table 12-1), before CR0.TS's #NM. */
static void test_mmx_cr0_em_raises_ud(void **state)
{
	(void)state;
	expect_paddb_exception(CR0_EM | CR0_TS, 0, 6);
}

static void test_mmx_cr0_ts_raises_nm(void **state)
{
	(void)state;
	expect_paddb_exception(CR0_TS, 0x0081, 7); /* #NM before the pending #MF */
}

/* A pending unmasked x87 exception (ES) is #MF before the MMX instruction. */
static void test_mmx_pending_x87_exception_raises_mf(void **state)
{
	(void)state;
	expect_paddb_exception(0, 0x0081, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmx_packed_integer_operations_match_host),
		cmocka_unit_test(test_mmx_moves_shuffles_and_conversions_match_host),
		cmocka_unit_test(test_mmx_read_aliases_physical_register_and_sets_top0_all_valid),
		cmocka_unit_test(test_mmx_write_sets_exponent_and_sign_to_ones),
		cmocka_unit_test(test_mmx_emms_empties_every_tag_and_sets_top0),
		cmocka_unit_test(test_mmx_after_x87_pushes_uses_physical_registers),
		cmocka_unit_test(test_mmx_cr0_em_raises_ud),
		cmocka_unit_test(test_mmx_cr0_ts_raises_nm),
		cmocka_unit_test(test_mmx_pending_x87_exception_raises_mf),
	};

	printf("engine: %s\n", ih_engine_name());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
