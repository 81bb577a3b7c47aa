/* Segment-override prefixes in 64-bit mode, executed by the interp engine.
 *
 * SDM Vol. 1 3.3.7.1 and APM Vol. 1 4.5.3: in 64-bit mode the CS, DS, ES and SS
 * overrides are ignored; only FS and GS apply. A non-canonical address raises
 * #SS(0) for a stack reference (RSP or RBP as the base, PUSH/POP and the like)
 * and #GP(0) otherwise, so an SS prefix does not make a reference #SS, and a DS
 * prefix does not take an RBP-based one away from SS; an FS or GS prefix does.
 * This AMD host's silicon agrees (the differential test runs such forms
 * natively); some Intel processors raise #SS for an SS prefix. */
#include "softcpu_harness.h"

#define GP 13
#define SS_FAULT 12
#define NON_CANONICAL 0x0000800000000000ull

IH_ASM(prefix_ss_rax, ".byte 0x36\nmov eax, [rax]");
IH_ASM(prefix_none_rbp, "mov eax, [rbp]");
IH_ASM(prefix_ds_rbp, ".byte 0x3e\nmov eax, [rbp]");
IH_ASM(prefix_es_rbp, ".byte 0x26\nmov eax, [rbp]");
IH_ASM(prefix_fs_rbp, ".byte 0x64\nmov eax, [rbp]");
IH_ASM(prefix_gs_rax, ".byte 0x65\nmov eax, [rax]");

/* 67h with REX.B or VEX.B in front of a SIB whose base field is 101b under
 * mod 00: no base but a disp32 (SDM Vol. 2A, table 2-3), as on silicon; R13
 * points elsewhere. Zydis 4.0 reads [R13D] (zydis#592). */
IH_ASM(a32_rexb_nobase_mov, ".byte 0x67, 0x41, 0x8b, 0x04, 0x25\n .long 0x200010");
IH_ASM(a32_rexb_nobase_lea, ".byte 0x67, 0x41, 0x8d, 0x1c, 0x25\n .long 0x200010");
IH_ASM(a32_vexb_nobase_vmovdqu, ".byte 0x67, 0xc4, 0xc1, 0x7a, 0x6f, 0x04, 0x25\n .long 0x200010\n movq rcx, xmm0");

/* Runs body with RAX and RBP non-canonical; expects `vector` with error code 0
 * at the first instruction. */
static void expect_fault(const uint8_t *body, size_t len, uint8_t vector)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	h->state.gpr[GPR_RAX] = NON_CANONICAL;
	h->state.gpr[GPR_RBP] = NON_CANONICAL;
	ih_load(h, body, len);
	ih_start(h);
	ih_run(h);
	s = ih_expect_exception(h, vector);
	(void)s;
	assert_int_equal(ih_frame(h, 0), 0);	   /* error code */
	assert_int_equal(ih_frame(h, 1), IH_CODE); /* RIP of the faulting instruction */
	ih_free(h);
}

static void test_prefix64_ss_override_on_a_rax_base_is_gp(void **state)
{
	(void)state;
	expect_fault(prefix_ss_rax, IH_LEN(prefix_ss_rax), GP);
}

static void test_prefix64_rbp_base_is_a_stack_reference_ss(void **state)
{
	(void)state;
	expect_fault(prefix_none_rbp, IH_LEN(prefix_none_rbp), SS_FAULT);
}

static void test_prefix64_ds_or_es_override_keeps_rbp_on_the_stack_ss(void **state)
{
	(void)state;
	expect_fault(prefix_ds_rbp, IH_LEN(prefix_ds_rbp), SS_FAULT);
	expect_fault(prefix_es_rbp, IH_LEN(prefix_es_rbp), SS_FAULT);
}

static void test_prefix64_fs_or_gs_override_is_gp(void **state)
{
	(void)state;
	expect_fault(prefix_fs_rbp, IH_LEN(prefix_fs_rbp), GP);
	expect_fault(prefix_gs_rax, IH_LEN(prefix_gs_rax), GP);
}

static void test_prefix64_a32_sib_without_base_ignores_rex_b(void **state)
{
	const struct ih_body bodies[] = { IH_BODY(a32_rexb_nobase_mov), IH_BODY(a32_rexb_nobase_lea),
					  IH_BODY(a32_vexb_nobase_vmovdqu) };

	(void)state;
	for (unsigned i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct ih *h = ih_new_model("v3");
		struct vcpu_state *s;

		h->entry.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
		h->entry.xcr0 = 7;
		h->state = h->entry;
		h->state.gpr[GPR_R13] = IH_DATA + 0x100;
		ih_put(h, IH_DATA + 0x10, 0x1111111111111111ull, 8);
		ih_put(h, IH_DATA + 0x100, 0x2222222222222222ull, 8);
		ih_load(h, bodies[i].code, (size_t)(bodies[i].end - bodies[i].code));
		ih_start(h);
		ih_run(h);
		s = ih_expect_end(h);
		switch (i) {
		case 0:
			assert_int_equal(s->gpr[GPR_RAX] & 0xffffffff, 0x11111111);
			break;
		case 1:
			assert_int_equal(s->gpr[GPR_RBX] & 0xffffffff, IH_DATA + 0x10);
			break;
		default:
			assert_int_equal(s->gpr[GPR_RCX], 0x1111111111111111ull);
			break;
		}
		ih_free(h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix64_ss_override_on_a_rax_base_is_gp),
		cmocka_unit_test(test_prefix64_rbp_base_is_a_stack_reference_ss),
		cmocka_unit_test(test_prefix64_ds_or_es_override_keeps_rbp_on_the_stack_ss),
		cmocka_unit_test(test_prefix64_fs_or_gs_override_is_gp),
		cmocka_unit_test(test_prefix64_a32_sib_without_base_ignores_rex_b),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
