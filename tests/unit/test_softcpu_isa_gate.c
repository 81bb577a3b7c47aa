/* The CPU model on the software engines: CPUID answers from the chosen model,
 * and an instruction of an extension the model does not advertise raises #UD,
 * as a processor without the extension does (engine/softcpu/isa_gate.h). Runs
 * once per software engine (RINGVISOR_ENGINE; Makefile, SOFT_ENGINES).
 *
 * Expected behaviour from the manuals: SDM Vol. 2A, CMPXCHG8B/CMPXCHG16B ("#UD
 * If CPUID.01H:ECX.CMPXCHG16B[bit 13] = 0"), LAHF and SAHF ("#UD in 64-bit mode
 * if CPUID.80000001H:ECX.LAHF-SAHF[bit 0] = 0"; outside 64-bit mode always
 * valid), POPCNT ("#UD If CPUID.01H:ECX.POPCNT [Bit 23] = 0"), TZCNT and LZCNT
 * (executed as BSF and BSR with an ignored REP prefix where unsupported). */
#include "softcpu_harness.h"

#include "engine/softcpu/decode.h"
#include "engine/softcpu/dispatch.h"

#define UD 6

IH_ASM(cmpxchg16b_rsi, "cmpxchg16b xmmword ptr [rsi]");
IH_ASM(mov_then_cmpxchg16b, "mov eax, 1\ncmpxchg16b xmmword ptr [rsi]");
IH_ASM(lahf_, "lahf");
IH_ASM(sahf_, "sahf");
IH_ASM(popcnt_eax_ecx, "popcnt eax, ecx");
IH_ASM(tzcnt_eax_ecx, "tzcnt eax, ecx");
IH_ASM(lzcnt_eax_ecx, "lzcnt eax, ecx");
IH_ASM(cpuid_, "cpuid");

/* Runs body on a vCPU of that model from the harness's entry state with rax,
 * rcx, rsi set. */
static struct ih *run_on(const char *model, const uint8_t *body, size_t len, uint64_t rax, uint64_t rcx)
{
	struct ih *h = ih_new_model(model);

	h->state.gpr[GPR_RAX] = rax;
	h->state.gpr[GPR_RCX] = rcx;
	h->state.gpr[GPR_RSI] = IH_DATA;
	ih_load(h, body, len);
	ih_start(h);
	ih_run(h);
	return h;
}

/* #UD at the instruction itself: the frame's RIP (quadword 0) is its address. */
static void expect_ud_at(struct ih *h, uint64_t rip)
{
	ih_expect_exception(h, UD);
	assert_int_equal(ih_frame(h, 0), rip);
}

static void test_cmpxchg16b_is_ud_without_cx16(void **state)
{
	struct ih *h = run_on("baseline", cmpxchg16b_rsi, IH_LEN(cmpxchg16b_rsi), 0, 0);

	(void)state;
	expect_ud_at(h, IH_CODE);
	ih_free(h);
}

/* RDX:RAX equals m128: ZF set and RCX:RBX stored. */
static void test_cmpxchg16b_runs_with_cx16(void **state)
{
	struct ih *h = ih_new_model("v2");
	struct vcpu_state *s;

	(void)state;
	ih_put(h, IH_DATA, 0x1111111111111111ull, 8);
	ih_put(h, IH_DATA + 8, 0x2222222222222222ull, 8);
	h->state.gpr[GPR_RAX] = 0x1111111111111111ull;
	h->state.gpr[GPR_RDX] = 0x2222222222222222ull;
	h->state.gpr[GPR_RBX] = 0x3333333333333333ull;
	h->state.gpr[GPR_RCX] = 0x4444444444444444ull;
	h->state.gpr[GPR_RSI] = IH_DATA;
	s = ih_exec(h, cmpxchg16b_rsi, IH_LEN(cmpxchg16b_rsi));
	assert_true(s->rflags & RFLAGS_ZF);
	assert_int_equal(ih_read(h, IH_DATA, 8), 0x3333333333333333ull);
	assert_int_equal(ih_read(h, IH_DATA + 8, 8), 0x4444444444444444ull);
	ih_free(h);
}

/* The gate stops the block at the refused instruction with the state exact:
 * what came before it in the same block has run. */
static void test_refused_instruction_inside_a_block_faults_after_the_ones_before(void **state)
{
	struct ih *h = run_on("baseline", mov_then_cmpxchg16b, IH_LEN(mov_then_cmpxchg16b), 0, 0);

	(void)state;
	expect_ud_at(h, IH_CODE + 5); /* mov eax, imm32 is 5 bytes */
	assert_int_equal(h->state.gpr[GPR_RAX], 1);
	ih_free(h);
}

static void test_lahf_and_sahf_in_64_bit_mode_are_ud_without_lahf_sahf(void **state)
{
	struct ih *h = run_on("baseline", lahf_, IH_LEN(lahf_), 0, 0);

	(void)state;
	expect_ud_at(h, IH_CODE);
	ih_free(h);
	h = run_on("baseline", sahf_, IH_LEN(sahf_), 0, 0);
	expect_ud_at(h, IH_CODE);
	ih_free(h);
}

/* LAHF: AH = SF:ZF:0:AF:0:PF:1:CF. */
static void test_lahf_in_64_bit_mode_runs_with_lahf_sahf(void **state)
{
	struct ih *h = ih_new_model("v2");
	struct vcpu_state *s;

	(void)state;
	h->state.rflags = RFLAGS_FIXED | RFLAGS_ZF | RFLAGS_CF;
	h->state.gpr[GPR_RAX] = 0;
	s = ih_exec(h, lahf_, IH_LEN(lahf_));
	assert_int_equal((s->gpr[GPR_RAX] >> 8) & 0xff, 0x43);
	ih_free(h);
}

static void test_popcnt_is_ud_without_popcnt(void **state)
{
	struct ih *h = run_on("baseline", popcnt_eax_ecx, IH_LEN(popcnt_eax_ecx), 0, 0xff);

	(void)state;
	expect_ud_at(h, IH_CODE);
	ih_free(h);
}

/* F3 0F BC / F3 0F BD without BMI1 / LZCNT: BSF and BSR, not #UD. For 0x50
 * (bits 4 and 6) BSF gives 4 and BSR 6. */
static void test_tzcnt_and_lzcnt_run_as_bsf_and_bsr_without_bmi1_and_lzcnt(void **state)
{
	struct ih *h = run_on("baseline", tzcnt_eax_ecx, IH_LEN(tzcnt_eax_ecx), 0, 0x50);

	(void)state;
	assert_int_equal(ih_expect_end(h)->gpr[GPR_RAX], 4);
	ih_free(h);
	h = run_on("baseline", lzcnt_eax_ecx, IH_LEN(lzcnt_eax_ecx), 0, 0x50);
	assert_int_equal(ih_expect_end(h)->gpr[GPR_RAX], 6);
	ih_free(h);
}

/* CPUID.1:ECX on the vCPU is the chosen model's: SSE3 (bit 0), CMPXCHG16B (13),
 * POPCNT (23) in v2, none in the baseline; hypervisor (31) in both. */
static void test_cpuid_answers_from_the_chosen_model(void **state)
{
	struct ih *h = run_on("baseline", cpuid_, IH_LEN(cpuid_), 1, 0);
	uint32_t ecx;

	(void)state;
	ecx = (uint32_t)ih_expect_end(h)->gpr[GPR_RCX];
	assert_int_equal(ecx & ((1u << 0) | (1u << 13) | (1u << 23)), 0);
	assert_true(ecx & (1u << 31));
	ih_free(h);
	h = run_on("v2", cpuid_, IH_LEN(cpuid_), 1, 0);
	ecx = (uint32_t)ih_expect_end(h)->gpr[GPR_RCX];
	assert_int_equal(ecx & ((1u << 0) | (1u << 13) | (1u << 23)), (1u << 0) | (1u << 13) | (1u << 23));
	ih_free(h);
	/* LAHF-SAHF: 80000001h:ECX bit 0. */
	h = run_on("v2", cpuid_, IH_LEN(cpuid_), 0x80000001u, 0);
	assert_true(ih_expect_end(h)->gpr[GPR_RCX] & 1);
	ih_free(h);
}

/* ---- the decoder's gate, instruction by instruction ------------------------------------ */

struct gated {
	const char *what;
	uint8_t bytes[8];
	uint8_t len;
};

/* One of each extension of v2 (SDM Vol. 2 encodings). */
static const struct gated v2_only[] = {
	{ "addsubps xmm0, xmm1 (SSE3)", { 0xf2, 0x0f, 0xd0, 0xc1 }, 4 },
	{ "fisttp word [rsi] (SSE3)", { 0xdf, 0x0e }, 2 },
	{ "pshufb xmm0, xmm1 (SSSE3)", { 0x66, 0x0f, 0x38, 0x00, 0xc1 }, 5 },
	{ "pshufb mm0, mm1 (SSSE3)", { 0x0f, 0x38, 0x00, 0xc1 }, 4 },
	{ "ptest xmm0, xmm1 (SSE4.1)", { 0x66, 0x0f, 0x38, 0x17, 0xc1 }, 5 },
	{ "pcmpgtq xmm0, xmm1 (SSE4.2)", { 0x66, 0x0f, 0x38, 0x37, 0xc1 }, 5 },
	{ "crc32 eax, ecx (SSE4.2)", { 0xf2, 0x0f, 0x38, 0xf1, 0xc1 }, 5 },
	{ "popcnt eax, ecx", { 0xf3, 0x0f, 0xb8, 0xc1 }, 4 },
	{ "cmpxchg16b [rsi]", { 0x48, 0x0f, 0xc7, 0x0e }, 4 },
	{ "lahf", { 0x9f }, 1 },
	{ "sahf", { 0x9e }, 1 },
};

/* One of each extension of v3. */
static const struct gated v3_only[] = {
	{ "vaddps xmm0, xmm1, xmm2 (AVX)", { 0xc5, 0xf0, 0x58, 0xc2 }, 4 },
	{ "andn eax, ecx, edx (BMI1)", { 0xc4, 0xe2, 0x70, 0xf2, 0xc2 }, 5 },
	{ "movbe eax, [rsi] (MOVBE)", { 0x0f, 0x38, 0xf0, 0x06 }, 4 },
	{ "xgetbv (XSAVE)", { 0x0f, 0x01, 0xd0 }, 3 },
};

static bool decodes_to_ud(const char *model, uint8_t mode, const struct gated *g)
{
	struct insn in;
	bool ends;

	if (decode_insn(cpu_model_find(model), mode, g->bytes, g->len, &in, &ends) != DECODE_INSN)
		fail_msg("%s: does not decode", g->what);
	assert_int_equal(in.len, g->len);
	return in.fn == h_ud;
}

static void test_decoder_refuses_every_v2_extension_on_the_baseline(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(v2_only) / sizeof(v2_only[0]); i++)
		if (!decodes_to_ud("baseline", MODE_LONG64, &v2_only[i]))
			fail_msg("%s runs on the baseline", v2_only[i].what);
}

static void test_decoder_refuses_every_v3_extension_on_v2(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(v3_only) / sizeof(v3_only[0]); i++)
		if (!decodes_to_ud("v2", MODE_LONG64, &v3_only[i]))
			fail_msg("%s runs on v2", v3_only[i].what);
}

/* v2 lets its own instructions through where the soft CPU has them. */
static void test_decoder_passes_v2_instructions_it_implements_on_v2(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(v2_only) / sizeof(v2_only[0]); i++) {
		ZydisDecoder dec;
		ZydisDecodedInstruction zi;
		ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];

		ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
		assert_true(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, v2_only[i].bytes, v2_only[i].len, &zi, zo)));
		if (dispatch_find_decoded(&zi, zo) && decodes_to_ud("v2", MODE_LONG64, &v2_only[i]))
			fail_msg("%s has a handler but is refused on v2", v2_only[i].what);
	}
}

/* Outside 64-bit mode LAHF and SAHF need no CPUID flag. */
static void test_decoder_passes_lahf_outside_64_bit_mode_on_the_baseline(void **state)
{
	(void)state;
	assert_false(decodes_to_ud("baseline", MODE_LONG_COMPAT32, &v2_only[9]));
	assert_false(decodes_to_ud("baseline", MODE_PROT32, &v2_only[10]));
	assert_true(decodes_to_ud("baseline", MODE_LONG64, &v2_only[9]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmpxchg16b_is_ud_without_cx16),
		cmocka_unit_test(test_cmpxchg16b_runs_with_cx16),
		cmocka_unit_test(test_refused_instruction_inside_a_block_faults_after_the_ones_before),
		cmocka_unit_test(test_lahf_and_sahf_in_64_bit_mode_are_ud_without_lahf_sahf),
		cmocka_unit_test(test_lahf_in_64_bit_mode_runs_with_lahf_sahf),
		cmocka_unit_test(test_popcnt_is_ud_without_popcnt),
		cmocka_unit_test(test_tzcnt_and_lzcnt_run_as_bsf_and_bsr_without_bmi1_and_lzcnt),
		cmocka_unit_test(test_cpuid_answers_from_the_chosen_model),
		cmocka_unit_test(test_decoder_refuses_every_v2_extension_on_the_baseline),
		cmocka_unit_test(test_decoder_refuses_every_v3_extension_on_v2),
		cmocka_unit_test(test_decoder_passes_v2_instructions_it_implements_on_v2),
		cmocka_unit_test(test_decoder_passes_lahf_outside_64_bit_mode_on_the_baseline),
	};

	return cmocka_run_group_tests_name(ih_engine_name(), tests, NULL, NULL);
}
