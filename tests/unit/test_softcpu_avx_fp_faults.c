/* The exceptions of the VEX floating-point instructions on the software
 * engines, as the SDM gives them (Vol. 2, 2.5 table 2-4 for alignment, 2.8
 * table 2-21 for #UD and #NM; Vol. 1, 11.5 and 14.5 for #XM): VMOVAPS/PD and
 * VMOVNTPS/PD need their 16 or 32 bytes aligned, other VEX memory operands
 * none; #UD without CR4.OSXSAVE, without XCR0.AVX or in a model without AVX;
 * #NM with CR0.TS; an unmasked exception in either lane of a 256-bit
 * operation raises #XM with nothing written; masked-off VMASKMOV elements are
 * never accessed (the host does not fault for them either, even at a
 * non-canonical address), and no element of VMASKMOVPS/PD or VPMASKMOVD/Q
 * (one handler for both) is alignment-checked, as on the host. */
#include "simd_values.h"

#include "engine/softcpu/decode.h"
#include "engine/softcpu/step.h"

/* Runs code from the entry state changed by edit (may be NULL). */
static struct ih *run_code(const char *model, const uint8_t *code, size_t len, void (*edit)(struct vcpu_state *s))
{
	struct ih *h = ih_new_avx(model);

	h->entry.gpr[GPR_RDI] = IH_DATA;

	h->state = h->entry;
	if (edit)
		edit(&h->state);
	ih_load(h, code, len);
	ih_start(h);
	ih_run(h);
	return h;
}

IH_ASM(movaps_y_load, "vmovaps ymm0, [rdi + 16]");
IH_ASM(movaps_y_store, "vmovaps [rdi + 16], ymm0");
IH_ASM(movapd_x_load, "vmovapd xmm0, [rdi + 8]");
IH_ASM(movntps_y, "vmovntps [rdi + 48], ymm1");
IH_ASM(movntpd_x, "vmovntpd [rdi + 24], xmm1");
IH_ASM(movaps_y_aligned, "vmovaps ymm0, [rdi + 32]\n vmovaps [rdi + 64], ymm0\n vmovapd xmm1, [rdi + 16]");
IH_ASM(unaligned_forms,
       "vmovups ymm0, [rdi + 1]\n vaddps ymm1, ymm0, [rdi + 3]\n vmulpd xmm2, xmm1, [rdi + 7]\n"
       "vdpps ymm3, ymm1, [rdi + 9], 0xff\n vmovupd [rdi + 5], ymm3\n vcmpps ymm4, ymm3, [rdi + 2], 17");

static void test_avx_aligned_moves_fault_when_misaligned_and_nothing_else_does(void **state)
{
	static const struct ih_body faulting[] = {
		IH_BODY(movaps_y_load), IH_BODY(movaps_y_store), IH_BODY(movapd_x_load),
		IH_BODY(movntps_y),	IH_BODY(movntpd_x),
	};
	struct ih *h;

	(void)state;
	for (unsigned k = 0; k < sizeof(faulting) / sizeof(faulting[0]); k++) {
		h = run_code("v3", faulting[k].code, (size_t)(faulting[k].end - faulting[k].code), NULL);
		ih_expect_exception(h, EXC_GP);
		assert_int_equal(ih_frame(h, 0), 0);
		ih_free(h);
	}
	h = run_code("v3", movaps_y_aligned, IH_LEN(movaps_y_aligned), NULL);
	ih_expect_end(h);
	ih_free(h);
	h = run_code("v3", unaligned_forms, IH_LEN(unaligned_forms), NULL);
	ih_expect_end(h);
	ih_free(h);
}

IH_ASM(vaddps_only, "vaddps ymm0, ymm1, ymm2");
IH_ASM(vfmadd_only, "vfmadd231pd xmm0, xmm1, xmm2");
IH_ASM(vcvtph2ps_only, "vcvtph2ps ymm0, xmm1");
IH_ASM(vbroadcastss_only, "vbroadcastss ymm0, dword ptr [rdi]");

static void no_osxsave(struct vcpu_state *s)
{
	s->cr4 &= ~(uint64_t)CR4_OSXSAVE;
}

static void no_avx_state(struct vcpu_state *s)
{
	s->xcr0 = 3;
}

static void task_switched(struct vcpu_state *s)
{
	s->cr0 |= CR0_TS;
}

static void test_avx_ud_and_nm_rules(void **state)
{
	static const struct ih_body bodies[] = {
		IH_BODY(vaddps_only),
		IH_BODY(vfmadd_only),
		IH_BODY(vcvtph2ps_only),
		IH_BODY(vbroadcastss_only),
	};
	static const struct {
		const char *model;
		void (*edit)(struct vcpu_state *s);
		int vector;
	} cases[] = {
		{ "v3", NULL, -1 },
		{ "v3", no_osxsave, EXC_UD },
		{ "v3", no_avx_state, EXC_UD },
		{ "v3", task_switched, EXC_NM },
		{ "v2", NULL, EXC_UD },
	};

	(void)state;
	for (unsigned b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++) {
		for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			struct ih *h = run_code(cases[k].model, bodies[b].code,
						(size_t)(bodies[b].end - bodies[b].code), cases[k].edit);

			if (cases[k].vector < 0)
				ih_expect_end(h);
			else
				ih_expect_exception(h, (uint8_t)cases[k].vector);
			ih_free(h);
		}
	}
}

/* 1.0 / 3.0 in the upper lane of a 256-bit VDIVPS with precision unmasked:
 * #XM, YMM0 as it was, PE set. */
IH_ASM(vdivps_y, "vdivps ymm0, ymm1, ymm2");

static void inexact_upper_lane(struct vcpu_state *s)
{
	static const float one = 1.0f, three = 3.0f;

	s->fpu.mxcsr = 0x1f80 & ~0x1000u;
	for (unsigned i = 0; i < 16; i += 4) {
		memcpy(&s->fpu.xmm[1][i], &one, 4);
		memcpy(&s->fpu.xmm[2][i], &one, 4);
		memcpy(&s->fpu.ymm_hi[1][i], &one, 4);
		memcpy(&s->fpu.ymm_hi[2][i], &three, 4);
	}
	memset(s->fpu.xmm[0], 0x5a, 16);
	memset(s->fpu.ymm_hi[0], 0xa5, 16);
}

static void test_avx_unmasked_exception_in_upper_lane_writes_nothing(void **state)
{
	struct ih *h = run_code("v3", vdivps_y, IH_LEN(vdivps_y), inexact_upper_lane);
	struct vcpu_state *s;

	(void)state;
	s = ih_expect_exception(h, EXC_XM);
	assert_int_equal(s->fpu.mxcsr & 0x3f, 0x20);
	assert_int_equal(s->fpu.xmm[0][0], 0x5a);
	assert_int_equal(s->fpu.ymm_hi[0][15], 0xa5);
	ih_free(h);
}

/* VMASKMOVPS with an all-zero mask at a non-canonical address and at the
 * top of memory's page tables touches nothing; with element 7 selected the
 * access faults (#GP(0) for the non-canonical address). */
IH_ASM(maskmov_zero, "vxorps xmm1, xmm1, xmm1\n mov rax, 0x8000000000000000\n vmaskmovps ymm0, ymm1, [rax]\n"
		     "vmaskmovps [rax], ymm1, ymm0\n vmaskmovpd [rax - 8], xmm1, xmm0");
IH_ASM(maskmov_one, "mov rax, 0x8000000000000000\n vmaskmovps [rax], ymm1, ymm0");

/* YMM1's element 7 alone has its sign set. */
static void mask_element_7(struct vcpu_state *s)
{
	memset(s->fpu.xmm[1], 0, 16);
	memset(s->fpu.ymm_hi[1], 0, 16);
	s->fpu.ymm_hi[1][15] = 0x80;
}

static void test_avx_maskmov_masked_off_elements_never_fault(void **state)
{
	struct ih *h;

	(void)state;
	h = run_code("v3", maskmov_zero, IH_LEN(maskmov_zero), NULL);
	ih_expect_end(h);
	ih_free(h);
	h = run_code("v3", maskmov_one, IH_LEN(maskmov_one), mask_element_7);
	ih_expect_exception(h, EXC_GP);
	ih_free(h);
}

/* ---- alignment checking ------------------------------------------------------------ */

#define AC_DATA 0x200000ull /* where RAX points */

/* The core alone (no engine: no TSS or user pages to build), at CPL 3 in
 * 64-bit mode without paging, with CR0.AM and RFLAGS.AC set. */
static struct icpu *user_cpu_checking_alignment(void)
{
	struct icpu *h = icpu_new();
	struct soft_cpu *cpu = h->cpu;

	cpu->cr0 = CR0_PE | CR0_ET | CR0_AM;
	cpu->cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
	cpu->xcr0 = 7;
	cpu->efer = EFER_LME | EFER_LMA;
	cpu->seg[SREG_CS].l = 1;
	cpu->seg[SREG_CS].dpl = 3;
	cpu->seg[SREG_SS].dpl = 3;
	cpu->rflags = RFLAGS_FIXED | RFLAGS_AC;
	cpu_update_mode(cpu);
	assert_int_equal(cpu->mode, MODE_LONG64);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->user_data_set, TLB_SET_ALIGN_CHECK);
	cpu->rip = 0x1000;
	cpu->leave_block = false;
	return h;
}

static void step_decoded(struct soft_cpu *cpu, void *in)
{
	softcpu_step(cpu, in);
}

/* Runs the one instruction of code[0..len) on h's CPU. */
static struct ih_fault run_one(struct icpu *h, const uint8_t *code, size_t len)
{
	struct insn in;
	bool ends;

	assert_int_equal(decode_insn(cpu_model_find("v3"), MODE_LONG64, code, len, &in, &ends), DECODE_INSN);
	assert_int_equal(in.len, len);
	return icpu_call(h->cpu, step_decoded, &in);
}

/* Every element selected (YMM1 all ones), every element misaligned. */
IH_ASM(ac_mov, "mov eax, [rax + 1]");
IH_ASM(ac_vmaskmovps_load, "vmaskmovps ymm0, ymm1, [rax + 1]");
IH_ASM(ac_vmaskmovpd_load, "vmaskmovpd ymm0, ymm1, [rax + 1]");
IH_ASM(ac_vpmaskmovd_load, "vpmaskmovd ymm0, ymm1, [rax + 1]");
IH_ASM(ac_vpmaskmovq_load, "vpmaskmovq ymm0, ymm1, [rax + 1]");
IH_ASM(ac_vmaskmovps_store, "vmaskmovps [rax + 1], ymm1, ymm2");
IH_ASM(ac_vmaskmovpd_store, "vmaskmovpd [rax + 1], ymm1, ymm2");
IH_ASM(ac_vpmaskmovd_store, "vpmaskmovd [rax + 1], ymm1, ymm2");
IH_ASM(ac_vpmaskmovq_store, "vpmaskmovq [rax + 1], ymm1, ymm2");

static const uint8_t *ac_pattern(void)
{
	static uint8_t p[32];

	for (unsigned i = 0; i < 32; i++)
		p[i] = (uint8_t)(0x11 * i + 3);
	return p;
}

/* h's CPU with every element of YMM1 selected, YMM2 holding the pattern, and
 * at AC_DATA + 1 the pattern (a load's source) or zeros (a store's target). */
static struct icpu *masked_move_cpu(bool load)
{
	struct icpu *h = user_cpu_checking_alignment();
	struct soft_cpu *cpu = h->cpu;

	cpu->gpr[GPR_RAX] = AC_DATA;
	memset(cpu->fpu.xmm[1], 0xff, 16);
	memset(cpu->fpu.ymm_hi[1], 0xff, 16);
	memcpy(cpu->fpu.xmm[2], ac_pattern(), 16);
	memcpy(cpu->fpu.ymm_hi[2], ac_pattern() + 16, 16);
	if (load)
		memcpy(icpu_ptr(h, AC_DATA + 1, 32), ac_pattern(), 32);
	else
		memset(icpu_ptr(h, AC_DATA + 1, 32), 0, 32);
	return h;
}

/* A misaligned MOV raises #AC(0); no element of VMASKMOVPS/PD or
 * VPMASKMOVD/Q does, load or store, and the data moves: as on the AMD host,
 * where the same instructions with RFLAGS.AC set at CPL 3 raise no SIGBUS
 * and the MOV does. */
static void test_avx_masked_moves_never_alignment_check_an_element(void **state)
{
	static const struct ih_body loads[] = {
		IH_BODY(ac_vmaskmovps_load),
		IH_BODY(ac_vmaskmovpd_load),
		IH_BODY(ac_vpmaskmovd_load),
		IH_BODY(ac_vpmaskmovq_load),
	};
	static const struct ih_body stores[] = {
		IH_BODY(ac_vmaskmovps_store),
		IH_BODY(ac_vmaskmovpd_store),
		IH_BODY(ac_vpmaskmovd_store),
		IH_BODY(ac_vpmaskmovq_store),
	};
	struct icpu *h;
	uint8_t got[32];

	(void)state;
	h = masked_move_cpu(true);
	ih_expect_fault(run_one(h, ac_mov, IH_LEN(ac_mov)), EXC_AC, 0, "mov eax, [rax + 1]");
	icpu_free(h);
	for (unsigned k = 0; k < sizeof(loads) / sizeof(loads[0]); k++) {
		h = masked_move_cpu(true);
		ih_expect_no_fault(run_one(h, loads[k].code, (size_t)(loads[k].end - loads[k].code)), loads[k].name);
		memcpy(got, h->cpu->fpu.xmm[0], 16);
		memcpy(got + 16, h->cpu->fpu.ymm_hi[0], 16);
		assert_memory_equal(got, ac_pattern(), 32);
		icpu_free(h);
	}
	for (unsigned k = 0; k < sizeof(stores) / sizeof(stores[0]); k++) {
		h = masked_move_cpu(false);
		ih_expect_no_fault(run_one(h, stores[k].code, (size_t)(stores[k].end - stores[k].code)),
				   stores[k].name);
		assert_memory_equal(icpu_ptr(h, AC_DATA + 1, 32), ac_pattern(), 32);
		icpu_free(h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_avx_aligned_moves_fault_when_misaligned_and_nothing_else_does),
		cmocka_unit_test(test_avx_ud_and_nm_rules),
		cmocka_unit_test(test_avx_unmasked_exception_in_upper_lane_writes_nothing),
		cmocka_unit_test(test_avx_maskmov_masked_off_elements_never_fault),
		cmocka_unit_test(test_avx_masked_moves_never_alignment_check_an_element),
	};

	printf("engine: %s\n", ih_engine_name());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
