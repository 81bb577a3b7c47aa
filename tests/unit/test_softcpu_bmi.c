/* BMI1, BMI2, LZCNT and MOVBE on the software engines (RINGVISOR_ENGINE picks
 * one; `make unit-test` runs this file on each), with the model v3. Every
 * form runs on the host CPU too (an AMD Zen 3 has them all) from the same
 * registers, flags and memory, and every arithmetic flag is compared,
 * including those the manuals leave undefined: the soft CPU sets them as
 * the AMD development host does (exec_bmi.c). On a host of another vendor
 * only CF and ZF are, which each of these instructions defines (SDM Vol.
 * 2A/2B: AF and PF, and for BEXTR SF, for TZCNT and LZCNT SF and OF, are
 * undefined; an Intel host sets them otherwise). */
#include "softcpu_harness.h"

/* Register values: edge values, or small fields (BEXTR's start and length,
 * BZHI's index, shift counts) in the low bytes. */
static uint64_t bmi_value(uint64_t *seed)
{
	static const uint64_t edges[] = {
		0, 1, ~0ull, 0x8000000000000000ull, 0x7fffffffffffffffull, 0x80000000ull, 0xffffffffull, 0x8000ull,
	};
	uint64_t r = ih_random(seed);

	switch (r & 3) {
	case 0:
		return edges[(r >> 8) % (sizeof(edges) / sizeof(edges[0]))];
	case 1: /* start (or index) and length from 0 to 71: in range and past it */
		return ((r >> 8) % 72) | (((r >> 16) % 72) << 8) | (ih_random(seed) & ~0xffffull & -(r >> 63));
	case 2:
		return ih_random(seed) & ih_random(seed); /* sparse masks for PDEP and PEXT */
	default:
		return ih_random(seed);
	}
}

static void run_bodies(const struct ih_body *b, unsigned n, unsigned iterations)
{
	struct ih *h = ih_new_model("v3");

	ih_compare_bodies_flags(h, b, n, iterations, bmi_value, 0x424d4932u,
				ih_host_is_model_vendor() ? RFLAGS_ARITH_MASK : RFLAGS_CF | RFLAGS_ZF);
	ih_free(h);
}

#define N(list) (sizeof(list) / sizeof((list)[0]))

/* ---- BMI1 ------------------------------------------------------------------------- */

IH_ASM(andn64, "andn rax, rbx, rcx");
IH_ASM(andn32, "andn r9d, r10d, r11d");
IH_ASM(andn_mem, "andn rax, rbx, [rdi + 8]");
IH_ASM(bextr64, "bextr rax, rbx, rcx");
IH_ASM(bextr32, "bextr eax, ebx, ecx");
IH_ASM(bextr_mem, "bextr r8d, [rdi + 16], r9d");
IH_ASM(blsi64, "blsi rax, rbx");
IH_ASM(blsi32_mem, "blsi r12d, [rdi + 24]");
IH_ASM(blsmsk64, "blsmsk rax, rbx");
IH_ASM(blsmsk32, "blsmsk eax, ebx");
IH_ASM(blsr64_mem, "blsr rax, [rdi + 32]");
IH_ASM(blsr32, "blsr eax, ebx");
IH_ASM(tzcnt64, "tzcnt rax, rbx");
IH_ASM(tzcnt32, "tzcnt eax, ebx");
IH_ASM(tzcnt16, "tzcnt ax, bx");
IH_ASM(tzcnt_mem, "tzcnt r13, [rdi + 40]");
IH_ASM(lzcnt64, "lzcnt rax, rbx");
IH_ASM(lzcnt32, "lzcnt eax, ebx");
IH_ASM(lzcnt16, "lzcnt ax, bx");
IH_ASM(lzcnt_mem16, "lzcnt r14w, [rdi + 48]");

static void test_bmi1_and_lzcnt_match_host_with_every_flag(void **state)
{
	static const struct ih_body b[] = {
		IH_BODY(andn64),     IH_BODY(andn32),  IH_BODY(andn_mem),   IH_BODY(bextr64),  IH_BODY(bextr32),
		IH_BODY(bextr_mem),  IH_BODY(blsi64),  IH_BODY(blsi32_mem), IH_BODY(blsmsk64), IH_BODY(blsmsk32),
		IH_BODY(blsr64_mem), IH_BODY(blsr32),  IH_BODY(tzcnt64),    IH_BODY(tzcnt32),  IH_BODY(tzcnt16),
		IH_BODY(tzcnt_mem),  IH_BODY(lzcnt64), IH_BODY(lzcnt32),    IH_BODY(lzcnt16),  IH_BODY(lzcnt_mem16),
	};

	(void)state;
	run_bodies(b, N(b), 300);
}

/* ---- BMI2 ------------------------------------------------------------------------- */

IH_ASM(bzhi64, "bzhi rax, rbx, rcx");
IH_ASM(bzhi32_mem, "bzhi eax, [rdi + 8], ecx");
IH_ASM(mulx64, "mulx rax, rbx, rcx");
IH_ASM(mulx32_mem, "mulx eax, ebx, [rdi + 16]");
IH_ASM(mulx_same, "mulx rax, rax, rcx");
IH_ASM(mulx_rdx, "mulx rdx, rbx, rdx");
IH_ASM(pdep64, "pdep rax, rbx, rcx");
IH_ASM(pdep32_mem, "pdep eax, ebx, [rdi + 24]");
IH_ASM(pext64_mem, "pext rax, rbx, [rdi + 32]");
IH_ASM(pext32, "pext eax, ebx, ecx");
IH_ASM(rorx64, "rorx rax, rbx, 13\n rorx rcx, rbx, 0\n rorx rdx, rbx, 127");
IH_ASM(rorx32, "rorx eax, ebx, 31\n rorx ecx, [rdi + 40], 7\n rorx esi, ebx, 33");
IH_ASM(sarx64, "sarx rax, rbx, rcx\n sarx r8d, ebx, ecx");
IH_ASM(shlx64, "shlx rax, rbx, rcx\n shlx r8d, [rdi + 48], ecx");
IH_ASM(shrx64, "shrx rax, [rdi + 56], rcx\n shrx r8d, ebx, ecx");

static void test_bmi2_matches_host(void **state)
{
	static const struct ih_body b[] = {
		IH_BODY(bzhi64),   IH_BODY(bzhi32_mem), IH_BODY(mulx64),     IH_BODY(mulx32_mem), IH_BODY(mulx_same),
		IH_BODY(mulx_rdx), IH_BODY(pdep64),	IH_BODY(pdep32_mem), IH_BODY(pext64_mem), IH_BODY(pext32),
		IH_BODY(rorx64),   IH_BODY(rorx32),	IH_BODY(sarx64),     IH_BODY(shlx64),	  IH_BODY(shrx64),
	};

	(void)state;
	run_bodies(b, N(b), 300);
}

/* ---- MOVBE -------------------------------------------------------------------------- */

IH_ASM(movbe_loads, "movbe rax, [rdi + 1]\n movbe ebx, [rdi + 9]\n movbe cx, [rdi + 17]\n movbe r9, [rdi + 64]");
IH_ASM(movbe_stores, "movbe [rdi + 3], rax\n movbe [rdi + 13], ebx\n movbe [rdi + 21], cx\n movbe [rdi + 70], r10w");

static void test_movbe_loads_and_stores_match_host(void **state)
{
	static const struct ih_body b[] = { IH_BODY(movbe_loads), IH_BODY(movbe_stores) };

	(void)state;
	run_bodies(b, N(b), 100);
}

/* ---- #UD and the checks BMI does not make --------------------------------------------- */

IH_ASM(andn_only, "andn rax, rbx, rcx");
IH_ASM(movbe_only, "movbe rax, [rsp - 8]");
IH_ASM(tzcnt_zero, "tzcnt rax, rbx");
IH_ASM(lzcnt_one, "lzcnt rax, rbx");

/* On v2 (no BMI1, BMI2, LZCNT or MOVBE) the VEX forms and MOVBE are #UD, and
 * F3 0F BC / BD run as BSF and BSR: a zero source sets ZF and leaves the
 * destination; LZCNT of 1 is BSR's 0, not 63. */
static void test_v2_refuses_bmi_and_runs_tzcnt_lzcnt_as_bsf_bsr(void **state)
{
	struct ih *h = ih_new_model("v2");
	struct vcpu_state *s;

	(void)state;
	ih_load(h, andn_only, IH_LEN(andn_only));
	ih_start(h);
	ih_run(h);
	ih_expect_exception(h, EXC_UD);
	h->state = h->entry;
	ih_load(h, movbe_only, IH_LEN(movbe_only));
	ih_start(h);
	ih_run(h);
	ih_expect_exception(h, EXC_UD);

	h->state = h->entry;
	h->state.gpr[GPR_RAX] = 0x1234;
	h->state.gpr[GPR_RBX] = 0;
	s = ih_exec(h, tzcnt_zero, IH_LEN(tzcnt_zero));
	assert_int_equal(s->gpr[GPR_RAX], 0x1234);
	assert_true(s->rflags & RFLAGS_ZF);
	h->state = h->entry;
	h->state.gpr[GPR_RBX] = 1;
	s = ih_exec(h, lzcnt_one, IH_LEN(lzcnt_one));
	assert_int_equal(s->gpr[GPR_RAX], 0);
	ih_free(h);

	h = ih_new_model("v3");
	h->state = h->entry;
	h->state.gpr[GPR_RBX] = 1;
	s = ih_exec(h, lzcnt_one, IH_LEN(lzcnt_one));
	assert_int_equal(s->gpr[GPR_RAX], 63);
	h->state = h->entry;
	h->state.gpr[GPR_RBX] = 0;
	s = ih_exec(h, tzcnt_zero, IH_LEN(tzcnt_zero));
	assert_int_equal(s->gpr[GPR_RAX], 64);
	assert_true(s->rflags & RFLAGS_CF);
	ih_free(h);
}

/* VEX-encoded GPR instructions touch no SIMD state: no #UD without
 * CR4.OSXSAVE or XCR0.AVX, no #NM with CR0.TS (SDM Vol. 2A, 2.8, class 13). */
static void test_bmi_needs_no_osxsave_and_ignores_ts(void **state)
{
	struct ih *h = ih_new_model("v3");
	struct vcpu_state *s;

	(void)state;
	h->state = h->entry;
	h->state.cr4 &= ~CR4_OSXSAVE;
	h->state.cr0 |= CR0_TS;
	h->state.gpr[GPR_RBX] = 0xf0;
	h->state.gpr[GPR_RCX] = 0xff;
	s = ih_exec(h, andn_only, IH_LEN(andn_only));
	assert_int_equal(s->gpr[GPR_RAX], 0x0f);
	ih_free(h);
}

/* In 32-bit code VEX.W is ignored: C4 E2 F0 F2 C3 is ANDN EAX, ECX, EBX
 * there, not a 64-bit ANDN (SDM Vol. 2A, 2.3.5: W "ignored" outside 64-bit
 * mode for these). */
static void test_vex_w_is_ignored_in_32_bit_code(void **state)
{
	static const uint8_t andn_w1[] = { 0xc4, 0xe2, 0xf0, 0xf2, 0xc3 };
	struct ih *h = ih_new_model("v3");
	struct vcpu_state *s;

	(void)state;
	boot_state_prot32(&h->state, (uint32_t)IH_CODE);
	h->state.gpr[GPR_RCX] = 0xf0;
	h->state.gpr[GPR_RBX] = 0xffffffff000000ffull;
	s = ih_exec(h, andn_w1, sizeof(andn_w1));
	assert_int_equal(s->gpr[GPR_RAX], 0x0f); /* 64 bits would give 0xffffffff0000000f */
	ih_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bmi1_and_lzcnt_match_host_with_every_flag),
		cmocka_unit_test(test_bmi2_matches_host),
		cmocka_unit_test(test_movbe_loads_and_stores_match_host),
		cmocka_unit_test(test_v2_refuses_bmi_and_runs_tzcnt_lzcnt_as_bsf_bsr),
		cmocka_unit_test(test_bmi_needs_no_osxsave_and_ignores_ts),
		cmocka_unit_test(test_vex_w_is_ignored_in_32_bit_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
