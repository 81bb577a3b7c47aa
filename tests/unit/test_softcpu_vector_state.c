/* Vector instructions whose code ran before, after the guest changes what
 * lets them run, on the software engine RINGVISOR_ENGINE names (`make
 * unit-test` runs this file on each). dbt copies SSE and AVX instructions as
 * themselves while CR0, CR4 and XCR0 allow them, so these are the cases a
 * stale translation would get wrong: a function runs once, the guest sets
 * CR0.TS, clears CR4.OSFXSR or drops AVX from XCR0, and the same function
 * must then fault as the SDM says (Vol. 2A, 2.8 for VEX: #UD without XCR0's
 * AVX; Vol. 3A, 13.1 and 2.5 for SSE: #UD without OSFXSR, #NM with TS).
 * Then the alignment rules of the operands dbt probes inline: legacy 16-byte
 * operands and VMOVDQA's must be aligned (#GP(0)), unaligned moves may cross
 * a page; and which upper halves legacy and VEX writes keep, against the
 * host. */
#include "softcpu_harness.h"
#include "simd_values.h"

#define UD 6
#define NM 7
#define GP 13

/* f: one vector instruction and RET, called (EBX = 1 once it returned), the
 * state changed by `change`, then called again. The harness runs at CPL 0. */
#define CALL_CHANGE_CALL(name, change, insn)                                                                           \
	IH_ASM(name, "call 1f\n mov ebx, 1\n" change "\n call 1f\n jmp 2f\n 1: " insn "\n ret\n 2:")

CALL_CHANGE_CALL(sse_then_ts, "mov rax, cr0\n or rax, 8\n mov cr0, rax", "paddd xmm1, xmm0");
CALL_CHANGE_CALL(sse_then_no_osfxsr, "mov rax, cr4\n and rax, ~0x200\n mov cr4, rax", "pshufb xmm1, xmm0");
CALL_CHANGE_CALL(avx_then_ts, "mov rax, cr0\n or rax, 8\n mov cr0, rax", "vpaddd ymm1, ymm0, ymm0");
CALL_CHANGE_CALL(avx_then_no_xcr0_avx, "xor ecx, ecx\n xor edx, edx\n mov eax, 3\n xsetbv", "vpaddd ymm1, ymm0, ymm0");
CALL_CHANGE_CALL(avx_then_no_osxsave, "mov rax, cr4\n and rax, ~0x40000\n mov cr4, rax", "vpxor xmm1, xmm1, xmm0");

/* The guest address of the last occurrence of insn's bytes in body: the
 * function's instruction, after the calls. */
static uint64_t address_of(const uint8_t *body, size_t len, const uint8_t *insn, size_t n)
{
	for (size_t at = len - n + 1; at-- > 0;)
		if (!memcmp(body + at, insn, n))
			return IH_CODE + at;
	fail_msg("instruction not found in the body");
	return 0;
}

/* The function ran once (its call returned: EBX is 1), then the second call
 * faults with vector at its instruction. */
static void expect_second_call_faults(const uint8_t *body, size_t len, const uint8_t *insn, size_t n, uint8_t vector)
{
	struct ih *h = ih_new_avx("v3");
	struct vcpu_state *s;

	h->state = h->entry;
	h->state.gpr[GPR_RBX] = 0;
	ih_load(h, body, len);
	ih_start(h);
	ih_run(h);
	s = ih_expect_exception(h, vector);
	assert_int_equal(s->gpr[GPR_RBX], 1);
	/* #UD and #NM push no error code: the frame starts with RIP. */
	assert_int_equal(ih_frame(h, 0), address_of(body, len, insn, n));
	ih_free(h);
}

static void test_sse_code_that_ran_gives_nm_once_cr0_ts_is_set(void **state)
{
	static const uint8_t paddd[] = { 0x66, 0x0f, 0xfe, 0xc8 };

	(void)state;
	expect_second_call_faults(sse_then_ts, IH_LEN(sse_then_ts), paddd, sizeof(paddd), NM);
}

static void test_sse_code_that_ran_gives_ud_once_cr4_osfxsr_is_clear(void **state)
{
	static const uint8_t pshufb[] = { 0x66, 0x0f, 0x38, 0x00, 0xc8 };

	(void)state;
	expect_second_call_faults(sse_then_no_osfxsr, IH_LEN(sse_then_no_osfxsr), pshufb, sizeof(pshufb), UD);
}

static void test_avx_code_that_ran_faults_once_ts_xcr0_or_osxsave_forbid_it(void **state)
{
	static const uint8_t vpaddd_ymm[] = { 0xc5, 0xfd, 0xfe, 0xc8 };
	static const uint8_t vpxor_xmm[] = { 0xc5, 0xf1, 0xef, 0xc8 };

	(void)state;
	expect_second_call_faults(avx_then_no_osxsave, IH_LEN(avx_then_no_osxsave), vpxor_xmm, sizeof(vpxor_xmm), UD);
	expect_second_call_faults(avx_then_ts, IH_LEN(avx_then_ts), vpaddd_ymm, sizeof(vpaddd_ymm), NM);
	expect_second_call_faults(avx_then_no_xcr0_avx, IH_LEN(avx_then_no_xcr0_avx), vpaddd_ymm, sizeof(vpaddd_ymm),
				  UD);
}

IH_ASM(movdqa_load, "movdqa xmm0, [rax]");
IH_ASM(paddb_mem, "paddb xmm0, [rax]");
IH_ASM(vmovdqa_ymm_store, "vmovdqa [rax], ymm0");
IH_ASM(unaligned_loads, "movdqu xmm0, [rax]\n movq rbx, xmm0\n psrldq xmm0, 8\n movq rcx, xmm0\n"
			"vmovdqu ymm1, [rax + 8]\n vextracti128 xmm1, ymm1, 1\n vmovq rdx, xmm1");

/* body with RAX = at: #GP(0) at its first instruction, or the end. */
static void run_at(const uint8_t *body, size_t len, uint64_t at, bool faults)
{
	struct ih *h = ih_new_avx("v3");
	struct vcpu_state *s;

	h->state = h->entry;
	h->state.gpr[GPR_RAX] = at;
	ih_load(h, body, len);
	ih_start(h);
	ih_run(h);
	if (!faults) {
		ih_expect_end(h);
	} else {
		s = ih_expect_exception(h, GP);
		(void)s;
		assert_int_equal(ih_frame(h, 0), 0);
		assert_int_equal(ih_frame(h, 1), IH_CODE);
	}
	ih_free(h);
}

static void test_aligned_operands_fault_when_misaligned_and_run_when_aligned(void **state)
{
	(void)state;
	run_at(movdqa_load, IH_LEN(movdqa_load), IH_DATA + 8, true);
	run_at(movdqa_load, IH_LEN(movdqa_load), IH_DATA + 16, false);
	run_at(paddb_mem, IH_LEN(paddb_mem), IH_DATA + 1, true);
	run_at(paddb_mem, IH_LEN(paddb_mem), IH_DATA + 0x40, false);
	/* VEX.256 VMOVDQA: 32 bytes, so 16-byte alignment is not enough. */
	run_at(vmovdqa_ymm_store, IH_LEN(vmovdqa_ymm_store), IH_DATA + 16, true);
	run_at(vmovdqa_ymm_store, IH_LEN(vmovdqa_ymm_store), IH_DATA + 32, false);
}

/* MOVDQU and VMOVDQU across a page boundary read the bytes of both pages. */
static void test_unaligned_moves_read_across_a_page(void **state)
{
	struct ih *h = ih_new_avx("v3");
	struct vcpu_state *s;
	const uint64_t at = IH_DATA + 0x1000 - 12;

	(void)state;
	for (unsigned i = 0; i < 48; i++)
		ih_put(h, at + i, 0x10 + i, 1);
	h->state = h->entry;
	h->state.gpr[GPR_RAX] = at;
	ih_load(h, unaligned_loads, IH_LEN(unaligned_loads));
	ih_start(h);
	ih_run(h);
	s = ih_expect_end(h);
	assert_int_equal(s->gpr[GPR_RBX], 0x1716151413121110ull);
	assert_int_equal(s->gpr[GPR_RCX], 0x1f1e1d1c1b1a1918ull);
	/* bytes 24..31 of the 32 read at at + 8 */
	assert_int_equal(s->gpr[GPR_RDX], 0x2f2e2d2c2b2a2928ull);
	ih_free(h);
}

/* Upper halves: a legacy SSE write keeps YMM's bits 128-255, a VEX.128
 * write zeroes them, VZEROUPPER zeroes every one; compared with the host. */
IH_ASM(upper_halves, "vmovdqu ymm1, [rdi]\n vmovdqu ymm2, [rdi + 32]\n vmovdqu ymm3, [rdi + 64]\n"
		     "paddd xmm1, xmm2\n vpaddd xmm2, xmm2, xmm1\n vmovdqu [rdi + 96], ymm1\n"
		     "vmovdqu [rdi + 128], ymm2\n vzeroupper\n vmovdqu [rdi + 160], ymm3\n"
		     "vpcmpeqb ymm4, ymm3, [rdi + 1]\n vpmovmskb eax, ymm4\n ptest xmm1, xmm2\n"
		     "vmovdqu [rdi + 192], ymm4");

static void test_upper_halves_follow_legacy_and_vex_writes_as_on_the_host(void **state)
{
	static const struct ih_body body[] = { IH_BODY(upper_halves) };
	struct ih *h;

	(void)state;
	if (!__builtin_cpu_supports("avx2"))
		skip();
	h = ih_new_avx("v3");
	ih_compare_bodies(h, body, 1, 32, ih_random, 0x55505045u);
	ih_compare_bodies(h, body, 1, 32, ih_edge_value, 0x55505046u);
	ih_free(h);
}

/* Floating point under the guest's MXCSR: the flags an instruction raises
 * reach MXCSR (1.0 / 0.0: ZE, bit 2), and once the guest unmasks the
 * exception the same code, run before, raises #XM (19) with CR4.OSXMMEXCPT
 * (SDM Vol. 1, 11.5; Vol. 3A, 2.5) instead of passing on the host. RDI
 * points at data: the MXCSR images at 0 and 4, 1.0 at 8, 0.0 at 12, and
 * STMXCSR's result at 16. */
IH_ASM(fp_flags_then_unmask, "ldmxcsr [rdi]\n call 1f\n stmxcsr [rdi + 16]\n mov ebx, 1\n"
			     "ldmxcsr [rdi + 4]\n call 1f\n jmp 2f\n"
			     "1: movss xmm0, [rdi + 8]\n divss xmm0, [rdi + 12]\n ret\n 2:");

static void test_fp_flags_reach_mxcsr_and_an_unmasked_exception_is_xm(void **state)
{
	static const uint8_t divss[] = { 0xf3, 0x0f, 0x5e, 0x47, 0x0c };
	struct ih *h = ih_new_avx("v3");
	struct vcpu_state *s;
	const float one = 1.0f, zero = 0.0f;

	(void)state;
	h->state = h->entry;
	h->state.gpr[GPR_RDI] = IH_DATA;
	h->state.gpr[GPR_RBX] = 0;
	ih_put(h, IH_DATA, 0x1f80, 4);
	ih_put(h, IH_DATA + 4, 0x1f80 & ~0x200u, 4); /* ZM clear */
	ih_write(h, IH_DATA + 8, &one, 4);
	ih_write(h, IH_DATA + 12, &zero, 4);
	ih_load(h, fp_flags_then_unmask, IH_LEN(fp_flags_then_unmask));
	ih_start(h);
	ih_run(h);
	s = ih_expect_exception(h, 19);
	assert_int_equal(s->gpr[GPR_RBX], 1);
	assert_int_equal(ih_read(h, IH_DATA + 16, 4), 0x1f80 | 0x4);
	assert_int_equal(ih_frame(h, 0),
			 address_of(fp_flags_then_unmask, IH_LEN(fp_flags_then_unmask), divss, sizeof(divss)));
	ih_free(h);
}

/* Rounding toward zero, flush to zero and denormals as zero set by the
 * guest, then arithmetic and conversions whose results and flags depend on
 * them; MXCSR stored and the host's put back. Compared with the host. */
IH_ASM(fp_control_bits, "stmxcsr [rdi + 252]\n ldmxcsr [rdi + 248]\n vxorps ymm3, ymm3, ymm3\n movups xmm0, [rdi]\n "
			"movups xmm1, [rdi + 16]\n"
			"addps xmm0, xmm1\n mulsd xmm1, [rdi + 32]\n cvtps2dq xmm2, xmm1\n cvtsd2si rax, xmm1\n"
			"vfmadd231ps ymm3, ymm0, ymm1\n vsqrtpd ymm4, [rdi + 64]\n ucomiss xmm0, xmm1\n"
			"movups [rdi + 96], xmm0\n movups [rdi + 112], xmm1\n movups [rdi + 128], xmm2\n"
			"vmovups [rdi + 144], ymm3\n vmovups [rdi + 176], ymm4\n stmxcsr [rdi + 208]\n"
			"ldmxcsr [rdi + 252]\n mov dword ptr [rdi + 252], 0");

static void test_fp_follows_the_guests_rounding_flush_and_daz_bits_as_on_the_host(void **state)
{
	static const uint32_t controls[] = { 0x1f80, 0x7f80, 0x9fc0, 0x3f80, 0xdfc0 };
	struct ih *h = ih_new_avx("v3");
	uint64_t seed = 0x4d584353u;

	(void)state;
	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
		skip();
	for (unsigned i = 0; i < 80; i++) {
		struct ih_case c = { .ptr_regs = 1u << GPR_RDI };
		const uint32_t mxcsr = controls[i % 5];

		for (unsigned q = 0; q < 96 / 8; q++) {
			uint64_t v = ih_edge_value(&seed);

			memcpy(c.data + 8 * q, &v, 8);
		}
		memcpy(c.data + 248, &mxcsr, 4);
		for (unsigned r = 0; r < GPR_COUNT; r++)
			c.regs.gpr[r] = r == GPR_RDI ? 0 : ih_random(&seed);
		c.regs.rflags = ih_random(&seed);
		ih_compare(h, &c, fp_control_bits, IH_LEN(fp_control_bits), RFLAGS_ARITH_MASK, "MXCSR control bits");
	}
	ih_free(h);
}

/* A legacy SSE write keeps bits 128-255, also those a VEX write just set and
 * dbt has not stored into the soft CPU yet (its stores wait for the next
 * probe or branch): the differential test's raw SIMD encodings found two
 * such runs losing the VEX write's upper half. */
IH_ASM(legacy_after_pending_vex,
       "vmovdqu ymm9, [rdi]\n vmovdqu ymm2, [rdi + 32]\n movq xmm15, rax\n"
       "vinserti128 ymm9, ymm9, xmm15, 1\n vpblendd xmm1, xmm9, xmm2, 0x8d\n unpckhps xmm9, xmm2\n"
       "vmovdqu [rdi + 64], ymm9\n"
       "vinserti128 ymm2, ymm2, xmm15, 1\n mov rcx, rdx\n vpunpckhwd xmm2, xmm2, xmm9\n movsd xmm2, xmm2\n"
       "vmovdqu [rdi + 96], ymm2\n"
       "vpaddd ymm3, ymm9, ymm2\n vpxor xmm4, xmm4, xmm4\n paddd xmm3, xmm2\n jmp 1f\n 1:\n"
       "vmovdqu [rdi + 128], ymm3");

static void test_legacy_writes_keep_a_pending_vex_upper_half(void **state)
{
	static const struct ih_body body[] = { IH_BODY(legacy_after_pending_vex) };
	struct ih *h;

	(void)state;
	if (!__builtin_cpu_supports("avx2"))
		skip();
	h = ih_new_avx("v3");
	ih_compare_bodies(h, body, 1, 16, ih_random, 0x4c454756u);
	ih_free(h);
}

/* A loop of legacy SSE, whose registers dbt holds in host registers all the
 * way round (plan_vector_loop): XMM1 sums XMM2 and 16 bytes a round from a
 * walk that crosses into a page no access touched before (a soft-TLB miss in
 * round 5, whose slow path runs PADDD in the core on XMM1 as held), and the
 * loop is left by a side exit after 10 rounds. PADDD adds each doubleword
 * modulo 2^32 (SDM Vol. 2B, PADDB/PADDW/PADDD/PADDQ). */
IH_ASM(held_sse_loop, "pxor xmm1, xmm1\n movdqu xmm2, [rdi]\n mov ecx, 12\n"
		      "1: paddd xmm1, xmm2\n paddd xmm1, [rsi]\n add rsi, 16\n cmp ecx, 3\n je 2f\n"
		      "dec ecx\n jnz 1b\n"
		      "2: movq rax, xmm1\n pshufd xmm3, xmm1, 0x4e\n movq rbx, xmm3");

static void test_a_loops_held_registers_meet_its_slow_path_and_side_exit(void **state)
{
	const uint64_t walk = IH_DATA + 0x3000 - 0x40;
	struct ih *h = ih_new_avx("v3"); /* CR4.OSFXSR set */
	struct vcpu_state *s;
	uint32_t sum[4] = { 0 }, inc[4] = { 0x11111111, 0x80000000, 0xfffffff0, 7 };

	(void)state;
	for (unsigned k = 0; k < 4; k++)
		ih_put(h, IH_DATA + 4 * k, inc[k], 4);
	for (unsigned r = 0; r < 12; r++) {
		for (unsigned k = 0; k < 4; k++) {
			const uint32_t v = 0x01020304u * (r + 1) + 0x10000000u * k;

			ih_put(h, walk + 16 * r + 4 * k, v, 4);
			if (r < 10)
				sum[k] += inc[k] + v;
		}
	}
	h->state = h->entry;
	h->state.gpr[GPR_RDI] = IH_DATA;
	h->state.gpr[GPR_RSI] = walk;
	s = ih_exec(h, held_sse_loop, IH_LEN(held_sse_loop));
	assert_int_equal(s->gpr[GPR_RCX], 3);
	assert_int_equal(s->gpr[GPR_RSI], walk + 16 * 10);
	assert_int_equal(s->gpr[GPR_RAX], (uint64_t)sum[1] << 32 | sum[0]);
	assert_int_equal(s->gpr[GPR_RBX], (uint64_t)sum[3] << 32 | sum[2]);
	ih_free(h);
}

/* Two loops in one block: the first with a stack access whose hoisted probe
 * always misses (its span [RSP - 4, RSP + 4) crosses a page), so that its
 * cold copy runs; the second held (plan_vector_loop) and ending the block by
 * JMP back to its start. The cold copy is emitted after the main line: it
 * must not see the second loop's held registers as its own. */
IH_ASM(held_loop_after_cold_copy, "pxor xmm1, xmm1\n movdqu xmm2, [rdi]\n mov ecx, 40\n mov edx, 40\n"
				  "1: mov [rsp - 4], rax\n paddd xmm1, xmm2\n dec ecx\n jnz 1b\n"
				  "cld\n"
				  "2: paddd xmm1, xmm2\n dec edx\n jz 3f\n jmp 2b\n"
				  "3: movq rax, xmm1\n pshufd xmm3, xmm1, 0x4e\n movq rbx, xmm3");

static void test_a_cold_copy_after_a_held_loop_loads_and_stores_its_registers(void **state)
{
	struct ih *h = ih_new_avx("v3");
	struct vcpu_state *s;
	uint32_t sum[4], inc[4] = { 0x11111111, 0x80000000, 0xfffffff0, 7 };

	(void)state;
	for (unsigned k = 0; k < 4; k++) {
		ih_put(h, IH_DATA + 4 * k, inc[k], 4);
		sum[k] = inc[k] * 80u;
	}
	h->state = h->entry;
	h->state.gpr[GPR_RDI] = IH_DATA;
	s = ih_exec(h, held_loop_after_cold_copy, IH_LEN(held_loop_after_cold_copy));
	assert_int_equal(s->gpr[GPR_RAX], (uint64_t)sum[1] << 32 | sum[0]);
	assert_int_equal(s->gpr[GPR_RBX], (uint64_t)sum[3] << 32 | sum[2]);
	ih_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sse_code_that_ran_gives_nm_once_cr0_ts_is_set),
		cmocka_unit_test(test_sse_code_that_ran_gives_ud_once_cr4_osfxsr_is_clear),
		cmocka_unit_test(test_avx_code_that_ran_faults_once_ts_xcr0_or_osxsave_forbid_it),
		cmocka_unit_test(test_aligned_operands_fault_when_misaligned_and_run_when_aligned),
		cmocka_unit_test(test_unaligned_moves_read_across_a_page),
		cmocka_unit_test(test_upper_halves_follow_legacy_and_vex_writes_as_on_the_host),
		cmocka_unit_test(test_fp_flags_reach_mxcsr_and_an_unmasked_exception_is_xm),
		cmocka_unit_test(test_fp_follows_the_guests_rounding_flush_and_daz_bits_as_on_the_host),
		cmocka_unit_test(test_legacy_writes_keep_a_pending_vex_upper_half),
		cmocka_unit_test(test_a_loops_held_registers_meet_its_slow_path_and_side_exit),
		cmocka_unit_test(test_a_cold_copy_after_a_held_loop_loads_and_stores_its_registers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
