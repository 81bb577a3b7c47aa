/* The extensions beyond x86-64-v3 on the software engines: ADX, RDRAND,
 * RDSEED, RDTSCP and RDPID with IA32_TSC_AUX, FSGSBASE, AES-NI (and VAES*
 * xmm), PCLMULQDQ (and VPCLMULQDQ xmm) and SHA. No named model advertises
 * them yet, so the tests make their own: v3 with every one of their flags.
 * The computations run on the host CPU too (an AMD Zen 3 has them all) and
 * registers, flags and memory are compared. */
#include "softcpu_harness.h"

#include "engine/softcpu/handlers.h"

static struct cpu_model max_model, aes_without_avx_model;

/* v3 plus the beyond-v3 flags; and v2 plus AES and PCLMULQDQ but no AVX. */
static const struct cpu_model *beyond_model(void)
{
	max_model = *cpu_model_find("v3");
	max_model.name = "test-max";
	max_model.features[CPUID_1_ECX] |= CPUID_FEATURE_MASK(CPUID_F_AES) | CPUID_FEATURE_MASK(CPUID_F_PCLMULQDQ) |
					   CPUID_FEATURE_MASK(CPUID_F_RDRAND);
	max_model.features[CPUID_7_EBX] |= CPUID_FEATURE_MASK(CPUID_F_FSGSBASE) | CPUID_FEATURE_MASK(CPUID_F_RDSEED) |
					   CPUID_FEATURE_MASK(CPUID_F_ADX) | CPUID_FEATURE_MASK(CPUID_F_SHA);
	max_model.features[CPUID_7_ECX] |= CPUID_FEATURE_MASK(CPUID_F_RDPID);
	max_model.features[CPUID_80000001_EDX] |= CPUID_FEATURE_MASK(CPUID_F_RDTSCP);
	return &max_model;
}

static struct ih *max_harness(void)
{
	struct ih *h = ih_new_cpu_model(beyond_model());

	h->entry.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
	h->entry.xcr0 = XCR0_X87 | XCR0_SSE | XCR0_AVX;
	h->entry.fpu.mxcsr = 0x1f80;
	h->state = h->entry;
	return h;
}

static uint64_t any_value(uint64_t *seed)
{
	uint64_t r = ih_random(seed);

	switch (r & 7) {
	case 0:
		return 0;
	case 1:
		return ~0ull;
	case 2:
		return 0x8000000000000000ull >> ((r >> 8) & 63);
	default:
		return ih_random(seed);
	}
}

/* Each body `iterations` times from fresh values, host against engine. */
static void run_bodies(const struct ih_body *b, unsigned n, unsigned iterations)
{
	struct ih *h = max_harness();

	ih_compare_bodies(h, b, n, iterations, any_value, 0x62657964u);
	ih_free(h);
}

#define N(list) (sizeof(list) / sizeof((list)[0]))

static struct vcpu_state *run_to_end(struct ih *h, const uint8_t *code, size_t len)
{
	return ih_exec(h, code, len);
}

static void run_expecting(struct ih *h, const uint8_t *code, size_t len, uint8_t vector)
{
	ih_load(h, code, len);
	ih_start(h);
	ih_run(h);
	ih_expect_exception(h, vector);
}

/* ---- ADX ------------------------------------------------------------------------ */

IH_ASM(adx_chain, "adcx rax, rbx\n adox rcx, rdx\n adcx r8, [rdi]\n adox r9, [rdi + 8]\n"
		  "adcx r10d, r11d\n adox r12d, [rdi + 16]\n adcx r13d, r13d\n adox r14, r14");

static void test_adx_carry_chains_match_host(void **state)
{
	static const struct ih_body b[] = { IH_BODY(adx_chain) };

	(void)state;
	run_bodies(b, N(b), 500);
}

/* ---- AES ------------------------------------------------------------------------ */

/* xmm1 = [rdi], xmm2 = [rdi + 16], the result of op xmm1, ... at [rdi + 64];
 * the aligned memory form from [rdi + 32] at [rdi + 80]. */
#define AES2(name, op)                                                                                                 \
	IH_ASM(name, "movdqu xmm1, [rdi]\n movdqu xmm2, [rdi + 16]\n movdqu xmm3, xmm1\n " op " xmm1, xmm2\n"          \
		     "movdqu [rdi + 64], xmm1\n " op " xmm3, [rdi + 32]\n movdqu [rdi + 80], xmm3")
#define VAES3(name, op)                                                                                                \
	IH_ASM(name, "movdqu xmm1, [rdi]\n movdqu xmm2, [rdi + 16]\n " op " xmm4, xmm1, xmm2\n"                        \
		     "movdqu [rdi + 64], xmm4\n " op " xmm5, xmm2, [rdi + 33]\n movdqu [rdi + 80], xmm5")

AES2(aesenc_forms, "aesenc");
AES2(aesenclast_forms, "aesenclast");
AES2(aesdec_forms, "aesdec");
AES2(aesdeclast_forms, "aesdeclast");
AES2(aesimc_forms, "aesimc");
VAES3(vaesenc_forms, "vaesenc");
VAES3(vaesenclast_forms, "vaesenclast");
VAES3(vaesdec_forms, "vaesdec");
VAES3(vaesdeclast_forms, "vaesdeclast");
IH_ASM(vaesimc_forms, "movdqu xmm1, [rdi]\n vaesimc xmm4, xmm1\n movdqu [rdi + 64], xmm4\n"
		      "vaesimc xmm5, [rdi + 35]\n movdqu [rdi + 80], xmm5");
IH_ASM(keygen_forms, "movdqu xmm1, [rdi]\n"
		     ".irp v, 0, 1, 2, 4, 8, 0x10, 0x1b, 0x36, 0x80, 0xff\n aeskeygenassist xmm2, xmm1, \\v\n"
		     " movdqu [rdi + 48 + 16 * \\v / 32], xmm2\n .endr\n"
		     "aeskeygenassist xmm3, [rdi + 16], 0x8d\n movdqu [rdi + 224], xmm3\n"
		     "vaeskeygenassist xmm4, [rdi + 7], 0x63\n movdqu [rdi + 240], xmm4");

static void test_aes_rounds_match_host(void **state)
{
	static const struct ih_body b[] = {
		IH_BODY(aesenc_forms),	    IH_BODY(aesenclast_forms), IH_BODY(aesdec_forms),
		IH_BODY(aesdeclast_forms),  IH_BODY(aesimc_forms),     IH_BODY(vaesenc_forms),
		IH_BODY(vaesenclast_forms), IH_BODY(vaesdec_forms),    IH_BODY(vaesdeclast_forms),
		IH_BODY(vaesimc_forms),	    IH_BODY(keygen_forms),
	};

	(void)state;
	run_bodies(b, N(b), 100);
}

/* FIPS-197 appendix C.1: AES-128, key 000102..0f, plaintext 00112233..ff,
 * ciphertext 69c4e0d86a7b0430d8cdb78070b4c55a; the key schedule made with
 * AESKEYGENASSIST as Intel's AES-NI white paper lays it out, then decrypted
 * back with AESIMC'd keys. */
IH_ASM(aes128_fips197, "movdqu xmm1, [rdi]\n movdqu xmm0, [rdi + 16]\n lea rsi, [rdi + 32]\n"
		       "movdqa [rsi], xmm1\n pxor xmm0, xmm1\n"
		       ".irp rcon, 1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36\n"
		       " aeskeygenassist xmm2, xmm1, \\rcon\n pshufd xmm2, xmm2, 0xff\n"
		       " movdqa xmm3, xmm1\n pslldq xmm3, 4\n pxor xmm1, xmm3\n pslldq xmm3, 4\n pxor xmm1, xmm3\n"
		       " pslldq xmm3, 4\n pxor xmm1, xmm3\n pxor xmm1, xmm2\n add rsi, 16\n movdqa [rsi], xmm1\n"
		       " .endr\n"
		       ".irp i, 1, 2, 3, 4, 5, 6, 7, 8, 9\n aesenc xmm0, [rdi + 32 + 16 * \\i]\n .endr\n"
		       "aesenclast xmm0, [rdi + 192]\n movdqu [rdi + 208], xmm0\n"
		       "pxor xmm0, [rdi + 192]\n"
		       ".irp i, 9, 8, 7, 6, 5, 4, 3, 2, 1\n aesimc xmm4, [rdi + 32 + 16 * \\i]\n aesdec xmm0, xmm4\n"
		       " .endr\n"
		       "aesdeclast xmm0, [rdi + 32]\n movdqu [rdi + 224], xmm0");

static void test_aes128_encrypts_and_decrypts_the_fips197_example(void **state)
{
	static const uint8_t cipher[16] = { 0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
					    0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a };
	struct ih *h = max_harness();
	uint8_t in[32], out[32];

	(void)state;
	for (unsigned i = 0; i < 16; i++) {
		in[i] = (uint8_t)i;
		in[16 + i] = (uint8_t)(0x11 * i);
	}
	ih_write(h, IH_DATA, in, sizeof(in));
	h->state.gpr[GPR_RDI] = IH_DATA;
	run_to_end(h, aes128_fips197, IH_LEN(aes128_fips197));
	assert_int_equal(guest_memory_read(&h->mem, IH_DATA + 208, out, 32), 0);
	assert_memory_equal(out, cipher, 16);
	assert_memory_equal(out + 16, in + 16, 16);
	ih_free(h);
}

/* ---- PCLMULQDQ ---------------------------------------------------------------------- */

IH_ASM(pclmul_forms, "movdqu xmm1, [rdi]\n movdqu xmm2, [rdi + 16]\n"
		     ".irp v, 0x00, 0x01, 0x10, 0x11, 0xee\n movdqa xmm3, xmm1\n pclmulqdq xmm3, xmm2, \\v\n"
		     " movdqu [rdi + 48 + (\\v & 0x11) * 2], xmm3\n .endr\n"
		     "movdqa xmm4, xmm1\n pclmulqdq xmm4, [rdi + 16], 0x11\n movdqu [rdi + 128], xmm4\n"
		     "vpclmulqdq xmm5, xmm2, xmm1, 0x01\n movdqu [rdi + 144], xmm5\n"
		     "vpclmulqdq xmm6, xmm1, [rdi + 21], 0x10\n movdqu [rdi + 160], xmm6");

static void test_pclmulqdq_matches_host(void **state)
{
	static const struct ih_body b[] = { IH_BODY(pclmul_forms) };

	(void)state;
	run_bodies(b, N(b), 300);
}

/* ---- SHA ------------------------------------------------------------------------ */

AES2(sha1nexte_forms, "sha1nexte");
AES2(sha1msg1_forms, "sha1msg1");
AES2(sha1msg2_forms, "sha1msg2");
AES2(sha256msg1_forms, "sha256msg1");
AES2(sha256msg2_forms, "sha256msg2");
IH_ASM(sha1rnds4_forms, "movdqu xmm2, [rdi + 16]\n"
			".irp f, 0, 1, 2, 3\n movdqu xmm1, [rdi]\n sha1rnds4 xmm1, xmm2, \\f\n"
			" movdqu [rdi + 64 + 16 * \\f], xmm1\n .endr\n"
			"movdqu xmm1, [rdi]\n sha1rnds4 xmm1, [rdi + 32], 1\n movdqu [rdi + 128], xmm1");
IH_ASM(sha256rnds2_forms, "movdqu xmm1, [rdi]\n movdqu xmm2, [rdi + 16]\n movdqu xmm0, [rdi + 48]\n"
			  "movdqu xmm3, xmm1\n sha256rnds2 xmm1, xmm2\n movdqu [rdi + 64], xmm1\n"
			  "sha256rnds2 xmm3, [rdi + 32]\n movdqu [rdi + 80], xmm3");
/* Every SHA instruction on a misaligned m128: no #GP(0) on the host. */
IH_ASM(sha_misaligned_forms, "movdqu xmm0, [rdi + 48]\n"
			     ".irp op, sha1nexte, sha1msg1, sha1msg2, sha256msg1, sha256msg2, sha256rnds2\n"
			     " movdqu xmm1, [rdi]\n \\op xmm1, [rdi + 17]\n movdqu [rdi + 64], xmm1\n"
			     " add rdi, 16\n .endr\n"
			     "movdqu xmm1, [rdi]\n sha1rnds4 xmm1, [rdi + 3], 2\n movdqu [rdi + 64], xmm1\n"
			     "sub rdi, 96");

static void test_sha_matches_host(void **state)
{
	static const struct ih_body b[] = {
		IH_BODY(sha1nexte_forms),   IH_BODY(sha1msg1_forms),   IH_BODY(sha1msg2_forms),
		IH_BODY(sha256msg1_forms),  IH_BODY(sha256msg2_forms), IH_BODY(sha1rnds4_forms),
		IH_BODY(sha256rnds2_forms),
	};

	(void)state;
	run_bodies(b, N(b), 200);
}

/* ---- exceptions of the SIMD forms ------------------------------------------------------ */

IH_ASM(aesenc_misaligned, "aesenc xmm1, [rdi + 8]");
IH_ASM(pclmul_misaligned, "pclmulqdq xmm1, [rdi + 4], 0");
IH_ASM(sha1msg1_misaligned, "sha1msg1 xmm1, [rdi + 1]");
IH_ASM(vaesenc_misaligned, "vaesenc xmm1, xmm2, [rdi + 8]");
IH_ASM(aesenc_only, "aesenc xmm1, xmm2");
IH_ASM(vaesenc_only, "vaesenc xmm1, xmm2, xmm3");
IH_ASM(vpclmul_only, "vpclmulqdq xmm1, xmm2, xmm3, 0");
IH_ASM(vaesenc_ymm, "vaesenc ymm1, ymm2, ymm3");
IH_ASM(sha1nexte_only, "sha1nexte xmm1, xmm2");

/* Legacy AES and PCLMULQDQ: a misaligned m128 is #GP(0) (exception type 4),
 * on the host as here; the VEX form and SHA (as the host runs it) take any
 * address. */
static void test_legacy_aes_pclmul_fault_on_misaligned_m128_vex_and_sha_do_not(void **state)
{
	const struct ih_body faulting[] = { IH_BODY(aesenc_misaligned), IH_BODY(pclmul_misaligned) };
	struct ih *h = max_harness();

	(void)state;
	for (unsigned k = 0; k < N(faulting); k++) {
		h->state = h->entry;
		h->state.gpr[GPR_RDI] = IH_DATA;
		run_expecting(h, faulting[k].code, (size_t)(faulting[k].end - faulting[k].code), EXC_GP);
		assert_int_equal(ih_frame(h, 0), 0);
	}
	h->state = h->entry;
	h->state.gpr[GPR_RDI] = IH_DATA;
	run_to_end(h, vaesenc_misaligned, IH_LEN(vaesenc_misaligned));
	h->state = h->entry;
	h->state.gpr[GPR_RDI] = IH_DATA;
	run_to_end(h, sha1msg1_misaligned, IH_LEN(sha1msg1_misaligned));
	ih_free(h);
}

/* VEX.128 AES keeps YMM1's upper half to zero, the legacy form keeps it. */
static void test_vaes_zeroes_the_upper_half_aesenc_keeps_it(void **state)
{
	struct ih *h = max_harness();
	struct vcpu_state *s;

	(void)state;
	h->state = h->entry;
	memset(h->state.fpu.ymm_hi[1], 0xa5, 16);
	s = run_to_end(h, aesenc_only, IH_LEN(aesenc_only));
	assert_int_equal(s->fpu.ymm_hi[1][0], 0xa5);
	h->state = h->entry;
	memset(h->state.fpu.ymm_hi[1], 0xa5, 16);
	s = run_to_end(h, vaesenc_only, IH_LEN(vaesenc_only));
	assert_int_equal(s->fpu.ymm_hi[1][0], 0);
	ih_free(h);
}

/* Without the model's flag each is #UD; VAES* and VPCLMULQDQ need AVX too;
 * the 256-bit forms (VAES, VPCLMULQDQ flags) are not implemented; VEX needs
 * CR4.OSXSAVE, legacy SSE needs CR4.OSFXSR. */
static void test_each_extension_is_ud_without_its_flags(void **state)
{
	const struct ih_body v3_refuses[] = { IH_BODY(aesenc_only), IH_BODY(vaesenc_only), IH_BODY(vpclmul_only),
					      IH_BODY(sha1nexte_only), IH_BODY(adx_chain) };
	struct ih *h = ih_new_model("v3");

	(void)state;
	for (unsigned k = 0; k < N(v3_refuses); k++) {
		h->state = h->entry;
		h->state.cr4 |= CR4_OSXSAVE;
		h->state.xcr0 = 7;
		run_expecting(h, v3_refuses[k].code, (size_t)(v3_refuses[k].end - v3_refuses[k].code), EXC_UD);
	}
	ih_free(h);

	aes_without_avx_model = *cpu_model_find("v2");
	aes_without_avx_model.features[CPUID_1_ECX] |=
	    CPUID_FEATURE_MASK(CPUID_F_AES) | CPUID_FEATURE_MASK(CPUID_F_PCLMULQDQ);
	h = ih_new_cpu_model(&aes_without_avx_model);
	h->entry.cr4 |= CR4_OSFXSR;
	h->state = h->entry;
	run_to_end(h, aesenc_only, IH_LEN(aesenc_only));
	h->state = h->entry;
	run_expecting(h, vaesenc_only, IH_LEN(vaesenc_only), EXC_UD);
	h->state = h->entry;
	run_expecting(h, vpclmul_only, IH_LEN(vpclmul_only), EXC_UD);
	ih_free(h);

	h = max_harness();
	h->state = h->entry;
	run_expecting(h, vaesenc_ymm, IH_LEN(vaesenc_ymm), EXC_UD);
	h->state = h->entry;
	h->state.cr4 &= ~CR4_OSXSAVE;
	run_expecting(h, vaesenc_only, IH_LEN(vaesenc_only), EXC_UD);
	h->state = h->entry;
	h->state.cr4 &= ~CR4_OSFXSR;
	run_expecting(h, sha1nexte_only, IH_LEN(sha1nexte_only), EXC_UD);
	h->state = h->entry;
	h->state.cr0 |= CR0_TS;
	run_expecting(h, aesenc_only, IH_LEN(aesenc_only), EXC_NM);
	ih_free(h);
}

/* ---- RDRAND, RDSEED ------------------------------------------------------------------ */

IH_ASM(rand_draws, "rdrand rax\n setc r8b\n rdrand rbx\n setc r9b\n rdseed rcx\n setc r10b\n"
		   "rdseed rdx\n setc r11b\n rdrand si\n rdseed r12d\n");

static void test_rdrand_rdseed_give_host_randomness_with_cf(void **state)
{
	struct ih *h = max_harness();
	struct vcpu_state *s;

	(void)state;
	h->state = h->entry;
	h->state.gpr[GPR_RSI] = 0x1111222233334444ull;
	h->state.gpr[GPR_R12] = ~0ull;
	h->state.rflags |= RFLAGS_ZF | RFLAGS_OF | RFLAGS_SF;
	s = run_to_end(h, rand_draws, IH_LEN(rand_draws));
	assert_int_equal(s->gpr[GPR_R8] & 0xff, 1);
	assert_int_equal(s->gpr[GPR_R9] & 0xff, 1);
	assert_int_equal(s->gpr[GPR_R10] & 0xff, 1);
	assert_int_equal(s->gpr[GPR_R11] & 0xff, 1);
	/* Four 64-bit draws all equal by chance: 2^-192. */
	assert_false(s->gpr[GPR_RAX] == s->gpr[GPR_RBX] && s->gpr[GPR_RBX] == s->gpr[GPR_RCX] &&
		     s->gpr[GPR_RCX] == s->gpr[GPR_RDX]);
	assert_int_equal(s->gpr[GPR_RSI] >> 16, 0x111122223333ull); /* a 16-bit draw keeps the rest */
	assert_int_equal(s->gpr[GPR_R12] >> 32, 0);		    /* a 32-bit one zero-extends */
	assert_int_equal(s->rflags & RFLAGS_ARITH_MASK, RFLAGS_CF);
	ih_free(h);
}

static void test_rdrand_failure_gives_zero_and_clears_cf(void **state)
{
	struct ih *h = max_harness();
	struct vcpu_state *s;

	(void)state;
	exec_rand_fail_for_tests(true);
	h->state = h->entry;
	h->state.gpr[GPR_RAX] = h->state.gpr[GPR_RBX] = h->state.gpr[GPR_RCX] = h->state.gpr[GPR_RDX] = ~0ull;
	h->state.rflags |= RFLAGS_ARITH_MASK;
	s = run_to_end(h, rand_draws, IH_LEN(rand_draws));
	exec_rand_fail_for_tests(false);
	assert_int_equal(s->gpr[GPR_RAX], 0);
	assert_int_equal(s->gpr[GPR_RDX], 0);
	assert_int_equal(s->gpr[GPR_R8] & 0xff, 0);
	assert_int_equal(s->gpr[GPR_R11] & 0xff, 0);
	assert_int_equal(s->rflags & RFLAGS_ARITH_MASK, 0);
	ih_free(h);
}

/* ---- RDTSCP, RDPID, IA32_TSC_AUX ---------------------------------------------------------- */

IH_ASM(tsc_aux_roundtrip, "mov ecx, 0xc0000103\n mov eax, 0x12345678\n mov edx, 0xffffffff\n wrmsr\n"
			  "xor eax, eax\n rdmsr\n mov r8, rax\n mov r9, rdx\n"
			  "mov rcx, -1\n rdtscp\n mov r10, rcx\n mov r11, -1\n rdpid r11");
IH_ASM(tsc_aux_read, "mov ecx, 0xc0000103\n rdmsr");
IH_ASM(rdpid_only, "rdpid rax");
IH_ASM(rdtscp_only, "rdtscp");

/* TSC_AUX: bits 63:32 dropped as AMD does; RDTSCP's ECX and RDPID read it. */
static void test_tsc_aux_is_an_msr_that_rdtscp_and_rdpid_read(void **state)
{
	struct ih *h = max_harness();
	struct vcpu_state *s;

	(void)state;
	h->state = h->entry;
	s = run_to_end(h, tsc_aux_roundtrip, IH_LEN(tsc_aux_roundtrip));
	assert_int_equal(s->gpr[GPR_R8], 0x12345678);
	assert_int_equal(s->gpr[GPR_R9], 0);
	assert_int_equal(s->gpr[GPR_R10], 0x12345678);
	assert_int_equal(s->gpr[GPR_R11], 0x12345678);
	assert_int_equal(s->msr.tsc_aux, 0x12345678);

	/* It travels in the vCPU state. */
	h->state = h->entry;
	h->state.msr.tsc_aux = 7;
	s = run_to_end(h, rdpid_only, IH_LEN(rdpid_only));
	assert_int_equal(s->gpr[GPR_RAX], 7);
	ih_free(h);

	/* A model without RDTSCP and RDPID has no such MSR. */
	h = ih_new_model("v3");
	h->state = h->entry;
	run_expecting(h, tsc_aux_read, IH_LEN(tsc_aux_read), EXC_GP);
	h->state = h->entry;
	run_expecting(h, rdtscp_only, IH_LEN(rdtscp_only), EXC_UD);
	h->state = h->entry;
	run_expecting(h, rdpid_only, IH_LEN(rdpid_only), EXC_UD);
	ih_free(h);
}

/* RDTSCP gives RDTSC's counter: the TSC's value set through the state,
 * and CR4.TSD makes it #GP outside CPL 0 (checked at CPL 0 here: it runs). */
IH_ASM(rdtscp_twice, "rdtsc\n mov r8, rax\n mov r9, rdx\n rdtscp\n");

static void test_rdtscp_reads_the_guest_tsc(void **state)
{
	struct ih *h = max_harness();
	struct vcpu_state *s;
	uint64_t first, second;

	(void)state;
	h->state = h->entry;
	h->state.msr.tsc = 1ull << 50;
	h->state.cr4 |= 1ull << 2; /* TSD: CPL 0 still reads it */
	s = run_to_end(h, rdtscp_twice, IH_LEN(rdtscp_twice));
	first = s->gpr[GPR_R8] | s->gpr[GPR_R9] << 32;
	second = (s->gpr[GPR_RAX] & 0xffffffff) | s->gpr[GPR_RDX] << 32;
	assert_true(first >= 1ull << 50 && first < (1ull << 50) + (1ull << 40));
	assert_true(second >= first);
	ih_free(h);
}

/* ---- FSGSBASE ------------------------------------------------------------------------ */

IH_ASM(fsgs_use, "mov rax, 0x201000\n wrfsbase rax\n mov ebx, 0x202000\n wrgsbase ebx\n"
		 "mov rcx, fs:[8]\n mov rdx, gs:[16]\n rdfsbase r8\n rdgsbase r9d\n"
		 "mov r10, 0xffff800000001000\n wrfsbase r10\n rdfsbase r11d\n rdfsbase r12");
IH_ASM(wrfsbase_noncanonical, "mov rax, 0x0000800000000000\n wrfsbase rax");
IH_ASM(rdgsbase_only, "rdgsbase rax");
IH_ASM(cr4_set_fsgsbase, "mov rax, cr4\n or rax, 0x10000\n mov cr4, rax");

static void test_fsgsbase_reads_and_writes_the_bases(void **state)
{
	struct ih *h = max_harness();
	struct vcpu_state *s;

	(void)state;
	ih_put(h, 0x201008, 0x1111111111111111ull, 8);
	ih_put(h, 0x202010, 0x2222222222222222ull, 8);
	h->state = h->entry;
	h->state.cr4 |= CR4_FSGSBASE;
	s = run_to_end(h, fsgs_use, IH_LEN(fsgs_use));
	assert_int_equal(s->gpr[GPR_RCX], 0x1111111111111111ull);
	assert_int_equal(s->gpr[GPR_RDX], 0x2222222222222222ull);
	assert_int_equal(s->gpr[GPR_R8], 0x201000);
	assert_int_equal(s->gpr[GPR_R9], 0x202000);
	assert_int_equal(s->gpr[GPR_R11], 0x1000); /* the low half, zero-extended */
	assert_int_equal(s->gpr[GPR_R12], 0xffff800000001000ull);
	assert_int_equal(s->seg[SREG_FS].base, 0xffff800000001000ull);

	h->state = h->entry;
	h->state.cr4 |= CR4_FSGSBASE;
	run_expecting(h, wrfsbase_noncanonical, IH_LEN(wrfsbase_noncanonical), EXC_GP);
	assert_int_equal(ih_frame(h, 0), 0);
	h->state = h->entry;
	run_expecting(h, rdgsbase_only, IH_LEN(rdgsbase_only), EXC_UD); /* CR4.FSGSBASE clear */
	h->state = h->entry;
	h->state.cr4 &= ~CR4_OSXSAVE; /* not this test's (MOV CR4 may not know it yet) */
	s = run_to_end(h, cr4_set_fsgsbase, IH_LEN(cr4_set_fsgsbase));
	assert_true(s->cr4 & CR4_FSGSBASE);
	ih_free(h);

	/* v3 has no FSGSBASE: MOV CR4 may not set it. */
	h = ih_new_model("v3");
	h->state = h->entry;
	run_expecting(h, cr4_set_fsgsbase, IH_LEN(cr4_set_fsgsbase), EXC_GP);
	ih_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adx_carry_chains_match_host),
		cmocka_unit_test(test_aes_rounds_match_host),
		cmocka_unit_test(test_aes128_encrypts_and_decrypts_the_fips197_example),
		cmocka_unit_test(test_pclmulqdq_matches_host),
		cmocka_unit_test(test_sha_matches_host),
		cmocka_unit_test(test_legacy_aes_pclmul_fault_on_misaligned_m128_vex_and_sha_do_not),
		cmocka_unit_test(test_vaes_zeroes_the_upper_half_aesenc_keeps_it),
		cmocka_unit_test(test_each_extension_is_ud_without_its_flags),
		cmocka_unit_test(test_rdrand_rdseed_give_host_randomness_with_cf),
		cmocka_unit_test(test_rdrand_failure_gives_zero_and_clears_cf),
		cmocka_unit_test(test_tsc_aux_is_an_msr_that_rdtscp_and_rdpid_read),
		cmocka_unit_test(test_rdtscp_reads_the_guest_tsc),
		cmocka_unit_test(test_fsgsbase_reads_and_writes_the_bases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
