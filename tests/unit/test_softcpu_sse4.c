/* SSE4.1 and SSE4.2 on the software engines (RINGVISOR_ENGINE picks one;
 * `make unit-test` runs this file on each). Most checks run the same code on
 * the host CPU, which has both extensions, and compare registers, flags and
 * memory; the rest are hand-checked corners whose expected values come from
 * the Intel SDM's definitions (Vol. 2, the instructions' pages and section
 * 4.1 for the string compares) or from published check values. */
#include "simd_values.h"

/* Offsets into the case's data: inputs at 0 (a), 16 (b) and 48 (the blend
 * mask, XMM0), the MXCSR to run with at 32 and 0x1f80 at 36; results from 64. */
#define A 0
#define B 16
#define CSR 32
#define CSR_DEFAULT 36

/* RBX: 16 aligned bytes of scratch under RSP (in the red zone natively), for
 * the memory forms that need an aligned m128. RBX and the flags of the AND
 * depend on RSP, which differs between host and engine: XOR clears both at
 * the end, or MOV only RBX after an instruction that sets every flag. */
#define SCRATCH "lea rbx, [rsp - 64]\n and rbx, -16\n"
#define SCRATCH_END "\n xor ebx, ebx"
#define SCRATCH_END_KEEP_FLAGS "\n mov ebx, 0"

static struct ih *sse_harness(void)
{
	struct ih *h = ih_new();

	h->entry.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	h->entry.fpu.mxcsr = 0x1f80;
	return h;
}

/* Each body run `iterations` times from fresh values on host and engine. */
static void run_bodies(const struct ih_body *b, unsigned n, unsigned iterations, bool fp)
{
	struct ih *h = sse_harness();
	uint64_t seed = 0x53534534u;

	for (unsigned k = 0; k < n; k++) {
		for (unsigned i = 0; i < iterations; i++) {
			struct ih_case c = { .ptr_regs = 1u << GPR_RDI };
			uint32_t csr = simd_csr_value(&seed), dflt = 0x1f80;

			for (unsigned q = 0; q < IH_CMP_DATA / 8; q++) {
				uint64_t v = fp ? simd_fp_value(&seed) : ih_edge_value(&seed);

				memcpy(c.data + 8 * q, &v, 8);
			}
			memcpy(c.data + CSR, &csr, 4);
			memcpy(c.data + CSR_DEFAULT, &dflt, 4);
			for (unsigned r = 0; r < GPR_COUNT; r++)
				c.regs.gpr[r] = r == GPR_RDI ? 0 : ih_edge_value(&seed);
			c.regs.rflags = ih_random(&seed);
			ih_compare(h, &c, b[k].code, (size_t)(b[k].end - b[k].code), RFLAGS_ARITH_MASK, b[k].name);
		}
	}
	ih_free(h);
}

/* ---- SSE4.1 integer operations ---------------------------------------------------- */

/* op xmm0, xmm1 and op xmm2, m128 (aligned), from the same inputs. */
#define BINOP(name, op)                                                                                                \
	IH_ASM(name, SCRATCH                                                                                           \
	       "movdqu xmm0, [rdi]\n movdqu xmm1, [rdi + 16]\n movdqu xmm2, xmm0\n movdqa [rbx], xmm1\n" op            \
	       " xmm0, xmm1\n" op " xmm2, [rbx]\n movdqu [rdi + 64], xmm0\n movdqu [rdi + 80], xmm2" SCRATCH_END)

BINOP(s41_pmuldq, "pmuldq");
BINOP(s41_pmulld, "pmulld");
BINOP(s41_pcmpeqq, "pcmpeqq");
BINOP(s41_packusdw, "packusdw");
BINOP(s41_pminsb, "pminsb");
BINOP(s41_pminsd, "pminsd");
BINOP(s41_pminuw, "pminuw");
BINOP(s41_pminud, "pminud");
BINOP(s41_pmaxsb, "pmaxsb");
BINOP(s41_pmaxsd, "pmaxsd");
BINOP(s41_pmaxuw, "pmaxuw");
BINOP(s41_pmaxud, "pmaxud");
BINOP(s41_phminposuw, "phminposuw");
BINOP(s42_pcmpgtq, "pcmpgtq");
IH_ASM(s41_mpsadbw, SCRATCH "movdqu xmm1, [rdi + 16]\n movdqa [rbx], xmm1\n"
			    ".irp v, 0, 1, 2, 3, 4, 5, 6, 7\n movdqu xmm0, [rdi]\n mpsadbw xmm0, xmm1, \\v\n"
			    " movdqu [rdi + 64 + 16 * \\v], xmm0\n .endr\n"
			    "movdqu xmm2, [rdi]\n mpsadbw xmm2, [rbx], 0xfd\n movdqu [rdi + 192], xmm2" SCRATCH_END);

static const struct ih_body integer_bodies[] = {
	IH_BODY(s41_pmuldq), IH_BODY(s41_pmulld), IH_BODY(s41_pcmpeqq), IH_BODY(s41_packusdw),	 IH_BODY(s41_pminsb),
	IH_BODY(s41_pminsd), IH_BODY(s41_pminuw), IH_BODY(s41_pminud),	IH_BODY(s41_pmaxsb),	 IH_BODY(s41_pmaxsd),
	IH_BODY(s41_pmaxuw), IH_BODY(s41_pmaxud), IH_BODY(s41_mpsadbw), IH_BODY(s41_phminposuw), IH_BODY(s42_pcmpgtq),
};

static void test_sse41_integer_operations_match_host(void **state)
{
	(void)state;
	run_bodies(integer_bodies, sizeof(integer_bodies) / sizeof(integer_bodies[0]), 64, false);
}

/* ---- extensions, inserts, extracts, blends, PTEST, MOVNTDQA ----------------------- */

/* Each PMOVSX/PMOVZX from a register and from unaligned memory of its width. */
IH_ASM(s41_extend, "movdqu xmm1, [rdi + 16]\n"
		   "pmovsxbw xmm0, xmm1\n movdqu [rdi + 64], xmm0\n pmovsxbd xmm0, xmm1\n movdqu [rdi + 80], xmm0\n"
		   "pmovsxbq xmm0, xmm1\n movdqu [rdi + 96], xmm0\n pmovsxwd xmm0, xmm1\n movdqu [rdi + 112], xmm0\n"
		   "pmovsxwq xmm0, xmm1\n movdqu [rdi + 128], xmm0\n pmovsxdq xmm0, xmm1\n movdqu [rdi + 144], xmm0\n"
		   "pmovzxbw xmm2, qword ptr [rdi + 3]\n pmovzxbd xmm3, dword ptr [rdi + 5]\n"
		   "pmovzxbq xmm4, word ptr [rdi + 7]\n pmovzxwd xmm5, qword ptr [rdi + 9]\n"
		   "pmovzxwq xmm6, dword ptr [rdi + 1]\n pmovzxdq xmm7, qword ptr [rdi + 2]\n"
		   "pmovsxbq xmm8, word ptr [rdi + 11]\n pmovsxdq xmm9, qword ptr [rdi + 13]\n"
		   "movdqu [rdi + 160], xmm2\n movdqu [rdi + 176], xmm3\n movdqu [rdi + 192], xmm4\n"
		   "movdqu [rdi + 208], xmm5\n movdqu [rdi + 224], xmm6\n movdqu [rdi + 240], xmm7\n"
		   "movq rax, xmm8\n movhlps xmm8, xmm8\n movq rcx, xmm8\n movq rdx, xmm9\n movhlps xmm9, xmm9\n"
		   "movq rsi, xmm9");

/* Extracts to GPRs and memory with immediates beyond the element count, inserts
 * from GPRs and memory, INSERTPS's zero mask and source element. */
IH_ASM(
    s41_insert_extract,
    "movdqu xmm1, [rdi + 16]\n movdqu xmm2, [rdi]\n"
    "pextrb eax, xmm1, 0x13\n pextrb rcx, xmm1, 15\n pextrb byte ptr [rdi + 64], xmm1, 7\n"
    "pextrw edx, xmm1, 0x0b\n pextrw word ptr [rdi + 66], xmm1, 6\n"
    "pextrd esi, xmm1, 7\n pextrd dword ptr [rdi + 68], xmm1, 1\n pextrq r8, xmm1, 3\n pextrq qword ptr [rdi + 72], "
    "xmm1, 0\n"
    "extractps r9d, xmm1, 6\n extractps r10, xmm1, 1\n extractps dword ptr [rdi + 80], xmm1, 3\n"
    "pinsrb xmm2, r11d, 0x1e\n pinsrb xmm2, byte ptr [rdi + 40], 3\n pinsrd xmm2, r12d, 6\n pinsrd xmm2, dword ptr "
    "[rdi + 41], 0\n"
    "pinsrq xmm2, r13, 3\n movdqu [rdi + 96], xmm2\n pinsrq xmm2, qword ptr [rdi + 43], 0\n movdqu [rdi + 112], xmm2\n"
    "movdqu xmm3, [rdi]\n insertps xmm3, xmm1, 0xd2\n movdqu [rdi + 128], xmm3\n"
    "movdqu xmm3, [rdi]\n insertps xmm3, dword ptr [rdi + 21], 0x68\n movdqu [rdi + 144], xmm3\n"
    "movdqu xmm3, [rdi]\n insertps xmm3, xmm1, 0x3f\n movdqu [rdi + 160], xmm3");

/* The blends by immediate and by XMM0, register and memory sources. */
IH_ASM(s41_blends, SCRATCH "movdqu xmm1, [rdi + 16]\n movdqa [rbx], xmm1\n movdqu xmm0, [rdi + 48]\n"
			   "movdqu xmm2, [rdi]\n blendps xmm2, xmm1, 0x5\n movdqu [rdi + 64], xmm2\n"
			   "movdqu xmm2, [rdi]\n blendpd xmm2, [rbx], 0x2\n movdqu [rdi + 80], xmm2\n"
			   "movdqu xmm2, [rdi]\n pblendw xmm2, xmm1, 0xa6\n movdqu [rdi + 96], xmm2\n"
			   "movdqu xmm2, [rdi]\n pblendvb xmm2, xmm1, xmm0\n movdqu [rdi + 112], xmm2\n"
			   "movdqu xmm2, [rdi]\n blendvps xmm2, [rbx], xmm0\n movdqu [rdi + 128], xmm2\n"
			   "movdqu xmm2, [rdi]\n blendvpd xmm2, xmm1, xmm0\n movdqu [rdi + 144], xmm2\n"
			   "movdqu xmm2, [rdi]\n pblendvb xmm0, xmm2, xmm0\n movdqu [rdi + 160], xmm0\n"
			   "movdqu xmm2, [rdi]\n movntdqa xmm3, [rbx]\n movdqu [rdi + 176], xmm3" SCRATCH_END);

/* PTEST last: its flags are compared. */
IH_ASM(s41_ptest_reg, "movdqu xmm0, [rdi]\n movdqu xmm1, [rdi + 16]\n ptest xmm0, xmm1");
IH_ASM(s41_ptest_self, "movdqu xmm1, [rdi + 16]\n ptest xmm1, xmm1");
IH_ASM(s41_ptest_mem, SCRATCH "movdqu xmm0, [rdi]\n movdqu xmm1, [rdi + 16]\n movdqa [rbx], xmm1\n"
			      "ptest xmm0, [rbx]" SCRATCH_END_KEEP_FLAGS);

static const struct ih_body data_bodies[] = {
	IH_BODY(s41_extend),	IH_BODY(s41_insert_extract), IH_BODY(s41_blends),
	IH_BODY(s41_ptest_reg), IH_BODY(s41_ptest_self),     IH_BODY(s41_ptest_mem),
};

static void test_sse41_extends_inserts_blends_and_ptest_match_host(void **state)
{
	(void)state;
	run_bodies(data_bodies, sizeof(data_bodies) / sizeof(data_bodies[0]), 128, false);
}

/* ---- ROUND*, DPPS, DPPD under every masked MXCSR ------------------------------------ */

/* `op xmm0, src, imm` for imm in `list`, from fresh inputs each time, under
 * the case's MXCSR; each result and the MXCSR after it are stored. */
#define FP_IMM(name, op, src, list)                                                                                    \
	IH_ASM(name,                                                                                                   \
	       SCRATCH "movdqu xmm1, [rdi + 16]\n movdqa [rbx], xmm1\n .set s4_k, 0\n .irp v, " list "\n"              \
		       "ldmxcsr [rdi + 32]\n movdqu xmm0, [rdi]\n " op " xmm0, " src ", \\v\n"                         \
		       "stmxcsr [rdi + 192 + 4 * s4_k]\n movdqu [rdi + 64 + 16 * s4_k], xmm0\n .set s4_k, s4_k + 1\n"  \
		       ".endr\n ldmxcsr [rdi + 36]" SCRATCH_END)

#define IMM_LO "0, 1, 2, 3, 4, 5, 6, 7"
#define IMM_HI "8, 9, 10, 11, 12, 13, 14, 0xf5"
#define DPPS_A "0xff, 0xf1, 0x71, 0x3f, 0xb4, 0x5a, 0x0f, 0xf0"
#define DPPS_B "0x31, 0x12, 0xc8, 0xe7, 0x1e, 0x9d, 0x00, 0xa3"
#define DPPD_A "0x33, 0x31, 0x32, 0x13, 0x23, 0x30, 0x03, 0xff"

FP_IMM(s41_roundps_lo, "roundps", "xmm1", IMM_LO);
FP_IMM(s41_roundps_hi, "roundps", "[rbx]", IMM_HI);
FP_IMM(s41_roundpd_lo, "roundpd", "[rbx]", IMM_LO);
FP_IMM(s41_roundpd_hi, "roundpd", "xmm1", IMM_HI);
FP_IMM(s41_roundss_lo, "roundss", "xmm1", IMM_LO);
FP_IMM(s41_roundss_hi, "roundss", "dword ptr [rdi + 20]", IMM_HI);
FP_IMM(s41_roundsd_lo, "roundsd", "qword ptr [rdi + 17]", IMM_LO);
FP_IMM(s41_roundsd_hi, "roundsd", "xmm1", IMM_HI);
FP_IMM(s41_dpps_a, "dpps", "xmm1", DPPS_A);
FP_IMM(s41_dpps_b, "dpps", "[rbx]", DPPS_B);
FP_IMM(s41_dppd_a, "dppd", "xmm1", DPPD_A);
FP_IMM(s41_dppd_b, "dppd", "[rbx]", DPPD_A);

static const struct ih_body fp_bodies[] = {
	IH_BODY(s41_roundps_lo), IH_BODY(s41_roundps_hi), IH_BODY(s41_roundpd_lo), IH_BODY(s41_roundpd_hi),
	IH_BODY(s41_roundss_lo), IH_BODY(s41_roundss_hi), IH_BODY(s41_roundsd_lo), IH_BODY(s41_roundsd_hi),
	IH_BODY(s41_dpps_a),	 IH_BODY(s41_dpps_b),	  IH_BODY(s41_dppd_a),	   IH_BODY(s41_dppd_b),
};

static void test_sse41_round_and_dot_products_match_host(void **state)
{
	(void)state;
	run_bodies(fp_bodies, sizeof(fp_bodies) / sizeof(fp_bodies[0]), 96, true);
}

/* ---- SSE4.2 string compares, every imm8 ----------------------------------------------- */

/* For 32 imm8 values from base: the instruction on a (xmm1) and b (xmm2 or
 * unaligned memory at [rdi + 17]: no alignment is required), then a dword of
 * RFLAGS and ECX (xSTRI) or of RFLAGS and a fold of XMM0 (xSTRM). The explicit
 * forms run with REX.W when rex is "rex64". */
#define STRI_AFTER "shl ecx, 16\n or r8d, ecx\n mov ecx, 0x55"
#define STRM_AFTER                                                                                                     \
	"movq r9, xmm0\n movhlps xmm0, xmm0\n movq r10, xmm0\n imul r9, r9, 0x01000193\n add r9, r10\n mov r10, r9\n"  \
	" shr r10, 32\n xor r9d, r10d\n shl r9d, 16\n or r8d, r9d\n mov r9d, 0\n mov r10d, 0"
#define STR_BODIES(name, base_value)                                                                                   \
	IH_ASM(name##_estri, "movdqu xmm1, [rdi]\n movdqu xmm2, [rdi + 16]\n" STR_LOOP_B("pcmpestri", "xmm2",          \
											 STRI_AFTER, base_value));     \
	IH_ASM(name##_estri64,                                                                                         \
	       "movdqu xmm1, [rdi]\n" STR_LOOP_B("rex64 pcmpestri", "[rdi + 17]", STRI_AFTER, base_value));            \
	IH_ASM(name##_istri, "movdqu xmm1, [rdi]\n movdqu xmm2, [rdi + 16]\n" STR_LOOP_B("pcmpistri", "xmm2",          \
											 STRI_AFTER, base_value));     \
	IH_ASM(name##_estrm, "movdqu xmm1, [rdi]\n" STR_LOOP_B("pcmpestrm", "[rdi + 17]", STRM_AFTER, base_value));    \
	IH_ASM(name##_istrm, "movdqu xmm1, [rdi]\n movdqu xmm2, [rdi + 16]\n" STR_LOOP_B("pcmpistrm", "xmm2",          \
											 STRM_AFTER, base_value))
#define STR_LOOP_B(op, src, after, base_value)                                                                         \
	".set s4_i, " base_value "\n .rept 32\n" op " xmm1, " src ", s4_i\n pushfq\n pop r8\n and r8d, 0x8d5\n" after  \
	"\n mov [rdi + 64 + 4 * (s4_i - " base_value ")], r8d\n .set s4_i, s4_i + 1\n .endr"

STR_BODIES(s42_str0, "0");
STR_BODIES(s42_str1, "32");
STR_BODIES(s42_str2, "64");
STR_BODIES(s42_str3, "96");
STR_BODIES(s42_str4, "128");
STR_BODIES(s42_str5, "160");
STR_BODIES(s42_str6, "192");
STR_BODIES(s42_str7, "224");

#define STR_SET(n) IH_BODY(n##_estri), IH_BODY(n##_estri64), IH_BODY(n##_istri), IH_BODY(n##_estrm), IH_BODY(n##_istrm)
static const struct ih_body string_bodies[] = {
	STR_SET(s42_str0), STR_SET(s42_str1), STR_SET(s42_str2), STR_SET(s42_str3),
	STR_SET(s42_str4), STR_SET(s42_str5), STR_SET(s42_str6), STR_SET(s42_str7),
};

/* Short strings over a small alphabet, with zero elements here and there;
 * explicit lengths small, negative, past the register, or huge. */
static void string_case(uint64_t *seed, struct ih_case *c)
{
	static const int64_t lengths[] = { 0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, -1, -3, -8, -16, -17, 100 };

	for (unsigned i = 0; i < 64; i++) {
		uint64_t r = ih_random(seed);

		c->data[i] = (r & 7) == 0 ? 0 : (r & 8) ? (uint8_t)(0x61 + ((r >> 4) & 3)) : (uint8_t)(r >> 8);
	}
	for (unsigned g = 0; g < 2; g++) {
		uint64_t r = ih_random(seed);
		int64_t len = lengths[(r >> 8) % (sizeof(lengths) / sizeof(lengths[0]))];

		if ((r & 7) == 0)
			len = (int64_t)ih_random(seed);
		else if ((r & 7) == 1)
			len += (int64_t)1 << 32; /* only the 64-bit form sees it */
		else if ((r & 7) == 2)
			len = (int64_t)(int32_t)0x80000000;
		c->regs.gpr[g ? GPR_RDX : GPR_RAX] = (uint64_t)len;
	}
}

static void test_sse42_string_compares_match_host_for_every_imm8(void **state)
{
	struct ih *h = sse_harness();
	uint64_t seed = 0x50434d50u;

	(void)state;
	for (unsigned k = 0; k < sizeof(string_bodies) / sizeof(string_bodies[0]); k++) {
		for (unsigned i = 0; i < 48; i++) {
			struct ih_case c = { .ptr_regs = 1u << GPR_RDI };

			string_case(&seed, &c);
			c.regs.rflags = ih_random(&seed);
			ih_compare(h, &c, string_bodies[k].code, (size_t)(string_bodies[k].end - string_bodies[k].code),
				   RFLAGS_ARITH_MASK, string_bodies[k].name);
		}
	}
	ih_free(h);
}

/* ---- CRC32 ----------------------------------------------------------------------- */

IH_ASM(s42_crc32_forms, "crc32 eax, bl\n crc32 eax, bx\n crc32 eax, ebx\n crc32 rcx, rbx\n crc32 rcx, sil\n"
			"crc32 edx, byte ptr [rdi + 3]\n crc32 edx, word ptr [rdi + 5]\n"
			"crc32 edx, dword ptr [rdi + 9]\n crc32 r8, qword ptr [rdi + 13]\n crc32 esi, ah\n"
			"crc32 r10, r11b");

static void test_sse42_crc32_forms_match_host(void **state)
{
	static const struct ih_body b[] = { IH_BODY(s42_crc32_forms) };

	(void)state;
	run_bodies(b, 1, 256, false);
}

/* The CRC-32C check value: "123456789" from an all-ones start, inverted at the
 * end, is 0xe3069283 (the published check value of CRC-32C/Castagnoli). */
IH_ASM(crc32c_check, "lea rsi, [rip + crc32c_digits]\n crc32 rcx, qword ptr [rsi]\n"
		     "crc32 ecx, byte ptr [rsi + 8]\n not ecx\n jmp crc32c_done\n"
		     "crc32c_digits: .ascii \"123456789\"\n crc32c_done:");

static void test_sse42_crc32_gives_the_crc32c_check_value(void **state)
{
	struct ih *h = sse_harness();
	struct vcpu_state *s;

	(void)state;
	h->state = h->entry;
	h->state.gpr[GPR_RCX] = 0xdeadbeefffffffffull; /* the upper half is ignored, then cleared */
	s = ih_exec(h, crc32c_check, IH_LEN(crc32c_check));
	assert_int_equal(s->gpr[GPR_RCX], 0xe3069283u);
	ih_free(h);
}

/* ---- hand-checked string-compare corners ----------------------------------------- */

IH_ASM(istri_one, "movdqu xmm1, [rdi]\n movdqu xmm2, [rdi + 16]\n pcmpistri xmm1, xmm2, 0x0c");
IH_ASM(estri_one, "movdqu xmm1, [rdi]\n movdqu xmm2, [rdi + 16]\n pcmpestri xmm1, xmm2, 0x0c");
IH_ASM(estri64_one, "movdqu xmm1, [rdi]\n movdqu xmm2, [rdi + 16]\n rex64 pcmpestri xmm1, xmm2, 0x0c");
IH_ASM(istrm_ranges, "movdqu xmm1, [rdi]\n movdqu xmm2, [rdi + 16]\n pcmpistrm xmm1, xmm2, 0x44\n"
		     "movdqu [rdi + 32], xmm0");

static struct vcpu_state *run_strings(struct ih *h, const uint8_t *code, size_t len, const char *a, const char *b)
{
	uint8_t data[32] = { 0 };

	memcpy(data, a, strlen(a));
	memcpy(data + 16, b, strlen(b));
	ih_write(h, IH_DATA, data, sizeof(data));
	h->state.gpr[GPR_RDI] = IH_DATA;
	return ih_exec(h, code, len);
}

/* Equal ordered (imm 0x0c): "lo" in "hello" starts at index 3; CF (found), ZF
 * (b has a zero byte), SF (a has one), OF clear (no match at 0). */
static void test_sse42_pcmpistri_equal_ordered_finds_substring(void **state)
{
	struct ih *h = sse_harness();
	struct vcpu_state *s;

	(void)state;
	h->state = h->entry;
	s = run_strings(h, istri_one, IH_LEN(istri_one), "lo", "hello");
	assert_int_equal(s->gpr[GPR_RCX], 3);
	assert_int_equal(s->rflags & RFLAGS_ARITH_MASK, RFLAGS_CF | RFLAGS_ZF | RFLAGS_SF);
	ih_free(h);
}

/* Explicit lengths are absolute values saturated to 16: EAX = -2 is a
 * two-byte needle; with EDX = 3 the string is "hel", where "lo" does not
 * occur (the needle's "o" against the invalid byte 3 is no match): ECX = 16,
 * CF and OF clear; ZF and SF set (both lengths below 16). */
static void test_sse42_pcmpestri_takes_absolute_lengths(void **state)
{
	struct ih *h = sse_harness();
	struct vcpu_state *s;

	(void)state;
	h->state = h->entry;
	h->state.gpr[GPR_RAX] = (uint64_t)-2;
	h->state.gpr[GPR_RDX] = 3;
	s = run_strings(h, estri_one, IH_LEN(estri_one), "lo", "hello");
	assert_int_equal(s->gpr[GPR_RCX], 16);
	assert_int_equal(s->rflags & RFLAGS_ARITH_MASK, RFLAGS_ZF | RFLAGS_SF);
	ih_free(h);
}

/* Without REX.W only EAX and EDX count: RDX = 1 << 32 | 5 is length 5, and
 * "lo" is found at 3; with REX.W the same RDX saturates to 16 (ZF clear). */
static void test_sse42_pcmpestri_length_width_follows_rex_w(void **state)
{
	struct ih *h = sse_harness();
	struct vcpu_state *s;

	(void)state;
	h->state = h->entry;
	h->state.gpr[GPR_RAX] = 2;
	h->state.gpr[GPR_RDX] = (1ull << 32) | 5;
	s = run_strings(h, estri_one, IH_LEN(estri_one), "lo", "hello");
	assert_int_equal(s->gpr[GPR_RCX], 3);
	assert_int_equal(s->rflags & RFLAGS_ARITH_MASK, RFLAGS_CF | RFLAGS_ZF | RFLAGS_SF);
	h->state = h->entry;
	h->state.gpr[GPR_RAX] = 2;
	h->state.gpr[GPR_RDX] = (1ull << 32) | 5;
	s = run_strings(h, estri64_one, IH_LEN(estri64_one), "lo", "hello");
	assert_int_equal(s->gpr[GPR_RCX], 3);
	assert_int_equal(s->rflags & RFLAGS_ARITH_MASK, RFLAGS_CF | RFLAGS_SF);
	ih_free(h);
}

/* Ranges with a byte mask (imm 0x44): "az" is the range a..z; "Hi9x" marks
 * bytes 1 and 3; the bytes past b's terminator are not compared. */
static void test_sse42_pcmpistrm_ranges_byte_mask(void **state)
{
	struct ih *h = sse_harness();

	(void)state;
	h->state = h->entry;
	run_strings(h, istrm_ranges, IH_LEN(istrm_ranges), "az", "Hi9x");
	assert_int_equal(ih_read(h, IH_DATA + 32, 8), 0xff00ff00u); /* bytes 1 and 3 */
	assert_int_equal(ih_read(h, IH_DATA + 40, 8), 0);
	ih_free(h);
}

/* ---- exceptions ------------------------------------------------------------------ */

IH_ASM(ptest_misaligned, "ptest xmm0, [rdi + 1]");
IH_ASM(istri_misaligned, "pcmpistri xmm0, [rdi + 1], 0");
IH_ASM(roundps_nearest, "roundps xmm0, xmm1, 0");
IH_ASM(roundps_suppressed, "roundps xmm0, xmm1, 8");
IH_ASM(dpps_all, "dpps xmm0, xmm1, 0xff");

static void set_xmm_floats(struct vcpu_state *s, unsigned n, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		memcpy(s->fpu.xmm[n] + 4 * i, &v, 4);
}

static uint32_t xmm_dword(const struct vcpu_state *s, unsigned n, unsigned i)
{
	uint32_t v;

	memcpy(&v, s->fpu.xmm[n] + 4 * i, 4);
	return v;
}

static void expect_xmm_floats(const struct vcpu_state *s, unsigned n, uint32_t want)
{
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(xmm_dword(s, n, i), want);
}

static struct ih *start_with(const uint8_t *code, size_t len, uint32_t mxcsr, uint32_t in1, uint32_t in0)
{
	struct ih *h = sse_harness();

	h->state = h->entry;
	h->state.gpr[GPR_RDI] = IH_DATA;
	h->state.fpu.mxcsr = mxcsr;
	set_xmm_floats(&h->state, 0, in0);
	set_xmm_floats(&h->state, 1, in1);
	ih_load(h, code, len);
	ih_start(h);
	ih_run(h);
	return h;
}

IH_ASM(movntdqa_misaligned, "movntdqa xmm0, [rdi + 8]");
IH_ASM(roundps_misaligned, "roundps xmm0, [rdi + 4], 0");
IH_ASM(pmovsxbw_misaligned, "pmovsxbw xmm0, qword ptr [rdi + 1]");

/* A misaligned m128 is #GP(0) for PTEST, MOVNTDQA and ROUNDPS (legacy SSE
 * instructions) but not for PCMPISTRI, whose memory operand need not be
 * aligned; PMOVSXBW's m64 has no alignment rule. */
static void test_sse4_misaligned_m128_faults_except_string_compares(void **state)
{
	static const struct {
		const uint8_t *code, *end;
		int vector;
	} cases[] = {
		{ ptest_misaligned, ptest_misaligned_end, 13 },
		{ movntdqa_misaligned, movntdqa_misaligned_end, 13 },
		{ roundps_misaligned, roundps_misaligned_end, 13 },
		{ istri_misaligned, istri_misaligned_end, -1 },
		{ pmovsxbw_misaligned, pmovsxbw_misaligned_end, -1 },
	};

	(void)state;
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct ih *h = start_with(cases[k].code, (size_t)(cases[k].end - cases[k].code), 0x1f80, 0, 0);

		if (cases[k].vector < 0) {
			ih_expect_end(h);
		} else {
			ih_expect_exception(h, (uint8_t)cases[k].vector);
			assert_int_equal(ih_frame(h, 0), 0); /* error code 0 */
		}
		ih_free(h);
	}
}

IH_ASM(crc32_only, "crc32 eax, ebx");
IH_ASM(pcmpistri_only, "pcmpistri xmm0, xmm1, 0");

/* The SSE4 instructions on XMM registers are #UD without CR4.OSFXSR and #NM
 * with CR0.TS, as every SSE instruction; CRC32 works on GPRs and checks
 * neither (SDM: its only #UD causes are CPUID and LOCK). */
static void test_sse4_osfxsr_and_ts_checks_spare_crc32(void **state)
{
	static const struct {
		const uint8_t *code, *end;
		uint64_t cr0_set, cr4_clear;
		int vector;
	} cases[] = {
		{ pcmpistri_only, pcmpistri_only_end, 0, CR4_OSFXSR, 6 },
		{ pcmpistri_only, pcmpistri_only_end, CR0_TS, 0, 7 },
		{ crc32_only, crc32_only_end, CR0_TS, CR4_OSFXSR, -1 },
	};

	(void)state;
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct ih *h = sse_harness();

		h->state = h->entry;
		h->state.cr0 |= cases[k].cr0_set;
		h->state.cr4 &= ~cases[k].cr4_clear;
		ih_load(h, cases[k].code, (size_t)(cases[k].end - cases[k].code));
		ih_start(h);
		ih_run(h);
		if (cases[k].vector < 0)
			ih_expect_end(h);
		else
			ih_expect_exception(h, (uint8_t)cases[k].vector);
		ih_free(h);
	}
}

/* ROUNDPS of 1.5 to nearest is inexact: PE unmasked, #XM (19) with the
 * destination unchanged; imm8 bit 3 suppresses it: 2.0, no exception. */
static void test_sse41_round_precision_unmasked_and_suppressed(void **state)
{
	struct ih *h;
	struct vcpu_state *s;

	(void)state;
	h = start_with(roundps_nearest, IH_LEN(roundps_nearest), 0x1f80 & ~0x1000u, 0x3fc00000, 0x12345678);
	s = ih_expect_exception(h, 19);
	assert_int_equal(s->fpu.mxcsr & 0x3f, 0x20);
	expect_xmm_floats(s, 0, 0x12345678);
	ih_free(h);
	h = start_with(roundps_suppressed, IH_LEN(roundps_suppressed), 0x1f80 & ~0x1000u, 0x3fc00000, 0);
	s = ih_expect_end(h);
	assert_int_equal(s->fpu.mxcsr & 0x3f, 0);
	expect_xmm_floats(s, 0, 0x40000000);
	ih_free(h);
}

/* An SNaN is quieted with IE set when masked; unmasked, #XM, or #UD without
 * CR4.OSXMMEXCPT. */
static void test_sse41_round_snan_invalid(void **state)
{
	struct ih *h;
	struct vcpu_state *s;

	(void)state;
	h = start_with(roundps_nearest, IH_LEN(roundps_nearest), 0x1f80, 0x7f800001, 0);
	s = ih_expect_end(h);
	assert_int_equal(s->fpu.mxcsr & 0x3f, 0x01);
	expect_xmm_floats(s, 0, 0x7fc00001);
	ih_free(h);
	h = start_with(roundps_nearest, IH_LEN(roundps_nearest), 0x1f00, 0x7f800001, 0);
	ih_expect_exception(h, 19);
	ih_free(h);
	h = sse_harness();
	h->entry.cr4 &= ~CR4_OSXMMEXCPT;
	h->state = h->entry;
	h->state.fpu.mxcsr = 0x1f00;
	set_xmm_floats(&h->state, 1, 0x7f800001);
	ih_load(h, roundps_nearest, IH_LEN(roundps_nearest));
	ih_start(h);
	ih_run(h);
	ih_expect_exception(h, 6);
	ih_free(h);
}

/* DPPS of 2^100 squared overflows (each product): OE and PE masked give
 * +inf in every lane; OE unmasked is #XM. Four products of 1.5 * 2 sum to 12. */
static void test_sse41_dpps_overflow_and_sum(void **state)
{
	struct ih *h;
	struct vcpu_state *s;

	(void)state;
	h = start_with(dpps_all, IH_LEN(dpps_all), 0x1f80, 0x71800000, 0x71800000);
	s = ih_expect_end(h);
	assert_int_equal(s->fpu.mxcsr & 0x3f, 0x28);
	expect_xmm_floats(s, 0, 0x7f800000);
	ih_free(h);
	h = start_with(dpps_all, IH_LEN(dpps_all), 0x1f80 & ~0x0400u, 0x71800000, 0x71800000);
	ih_expect_exception(h, 19);
	ih_free(h);
	h = start_with(dpps_all, IH_LEN(dpps_all), 0x1f80, 0x3fc00000, 0x40000000);
	s = ih_expect_end(h);
	expect_xmm_floats(s, 0, 0x41400000);
	ih_free(h);
}

IH_ASM(dpps_sum_order, "dpps xmm0, xmm1, 0xf1");

/* DPPS adds the products pairwise, each sum rounded to single precision (SDM
 * DPPS operation: (p0 + p1) + (p2 + p3)). Products 2^24, 1, 1 and -2^24:
 * 2^24 + 1 rounds to 2^24 (a tie, to even), 1 - 2^24 is exact, the total 1.0;
 * an exact sum would be 2.0, a left-to-right one 0.0. Only lane 0 is written. */
static void test_sse41_dpps_rounds_each_pairwise_sum(void **state)
{
	static const uint32_t a[4] = { 0x4b800000, 0x3f800000, 0x3f800000, 0xcb800000 }; /* 2^24, 1, 1, -2^24 */
	static const uint32_t ones[4] = { 0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000 };
	struct ih *h = sse_harness();
	struct vcpu_state *s;

	(void)state;
	h->state = h->entry;
	memcpy(h->state.fpu.xmm[0], a, 16);
	memcpy(h->state.fpu.xmm[1], ones, 16);
	ih_load(h, dpps_sum_order, IH_LEN(dpps_sum_order));
	ih_start(h);
	ih_run(h);
	s = ih_expect_end(h);
	assert_int_equal(xmm_dword(s, 0, 0), 0x3f800000);
	for (unsigned i = 1; i < 4; i++)
		assert_int_equal(xmm_dword(s, 0, i), 0);
	assert_int_equal(s->fpu.mxcsr & 0x3f, 0x20); /* the tie was inexact */
	ih_free(h);
}

IH_ASM(dppd_tiny_product, "dppd xmm0, xmm1, 0x31");

/* 0.5 times a normal double just above the smallest, with an even
 * significand, is a denormal, exactly: with UM clear that underflow is #XM
 * (SDM Vol. 1, 11.5.2.4: an unmasked underflow is raised for any tiny
 * result) with UE alone, though only the sum it flows into (with a zero
 * product) would be stored. Masked, the exact tiny product raises no
 * underflow; the addition that reads it sets DE (the AMD host does so, and
 * the SDM lists the denormal exception for DPPD). */
static void test_sse41_dppd_exact_tiny_product_underflows_when_unmasked(void **state)
{
	static const uint64_t a[2] = { 0x3fe0000000000000ull, 0x3fe0000000000000ull }; /* 0.5, 0.5 */
	static const uint64_t b[2] = { 0x0010000000000002ull, 0 };
	struct ih *h;
	struct vcpu_state *s;
	uint64_t r;

	(void)state;
	for (int unmasked = 0; unmasked < 2; unmasked++) {
		h = sse_harness();
		h->state = h->entry;
		h->state.fpu.mxcsr = unmasked ? 0x1f80 & ~0x0800u : 0x1f80;
		memcpy(h->state.fpu.xmm[0], a, 16);
		memcpy(h->state.fpu.xmm[1], b, 16);
		ih_load(h, dppd_tiny_product, IH_LEN(dppd_tiny_product));
		ih_start(h);
		ih_run(h);
		if (unmasked) {
			s = ih_expect_exception(h, 19);
			assert_int_equal(s->fpu.mxcsr & 0x3f, 0x10);
		} else {
			s = ih_expect_end(h);
			memcpy(&r, s->fpu.xmm[0], 8);
			assert_int_equal(r, 0x0008000000000001ull);
			assert_int_equal(s->fpu.mxcsr & 0x3f, 0x02);
		}
		ih_free(h);
	}
}

/* DPPS of (2^100, 2^100) and (2^100, -2^100): the products overflow to
 * +inf and -inf (OE, PE), their sum is invalid (IE). Masked: the default NaN
 * and all three flags. With PM clear the products' step ends it: #XM with OE
 * and PE only; with IM clear the sum's: #XM with all three (the AMD host
 * does exactly this). */
static void test_sse41_dpps_unmasked_exception_stops_at_its_step(void **state)
{
	static const uint32_t a[4] = { 0x71800000, 0x71800000, 0, 0 }, b[4] = { 0x71800000, 0xf1800000, 0, 0 };
	static const struct {
		uint32_t mxcsr, flags;
		int vector;
	} cases[] = { { 0x1f80, 0x29, -1 }, { 0x1f80 & ~0x1000u, 0x28, 19 }, { 0x1f80 & ~0x0080u, 0x29, 19 } };

	(void)state;
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct ih *h = sse_harness();
		struct vcpu_state *s;

		h->state = h->entry;
		h->state.fpu.mxcsr = cases[k].mxcsr;
		memcpy(h->state.fpu.xmm[0], a, 16);
		memcpy(h->state.fpu.xmm[1], b, 16);
		ih_load(h, dpps_all, IH_LEN(dpps_all));
		ih_start(h);
		ih_run(h);
		if (cases[k].vector < 0) {
			s = ih_expect_end(h);
			expect_xmm_floats(s, 0, 0xffc00000);
		} else {
			s = ih_expect_exception(h, (uint8_t)cases[k].vector);
			assert_memory_equal(s->fpu.xmm[0], a, 16); /* unchanged */
		}
		assert_int_equal(s->fpu.mxcsr & 0x3f, cases[k].flags);
		ih_free(h);
	}
}

IH_ASM(roundss_up, "roundss xmm0, xmm1, 2");

/* ROUNDSS toward +inf of the smallest denormal is 1.0, inexact; with DAZ the
 * input is +0 and so is the result, exact. No denormal flag either way (the
 * SDM lists invalid and precision only). */
static void test_sse41_round_denormal_with_and_without_daz(void **state)
{
	struct ih *h;
	struct vcpu_state *s;

	(void)state;
	h = start_with(roundss_up, IH_LEN(roundss_up), 0x1f80, 0x00000001, 0);
	s = ih_expect_end(h);
	assert_int_equal(xmm_dword(s, 0, 0), 0x3f800000);
	assert_int_equal(s->fpu.mxcsr & 0x3f, 0x20);
	ih_free(h);
	h = start_with(roundss_up, IH_LEN(roundss_up), 0x1fc0, 0x00000001, 0);
	s = ih_expect_end(h);
	assert_int_equal(xmm_dword(s, 0, 0), 0);
	assert_int_equal(s->fpu.mxcsr & 0x3f, 0);
	ih_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sse41_integer_operations_match_host),
		cmocka_unit_test(test_sse41_extends_inserts_blends_and_ptest_match_host),
		cmocka_unit_test(test_sse41_round_and_dot_products_match_host),
		cmocka_unit_test(test_sse42_string_compares_match_host_for_every_imm8),
		cmocka_unit_test(test_sse42_crc32_forms_match_host),
		cmocka_unit_test(test_sse42_crc32_gives_the_crc32c_check_value),
		cmocka_unit_test(test_sse42_pcmpistri_equal_ordered_finds_substring),
		cmocka_unit_test(test_sse42_pcmpestri_takes_absolute_lengths),
		cmocka_unit_test(test_sse42_pcmpestri_length_width_follows_rex_w),
		cmocka_unit_test(test_sse42_pcmpistrm_ranges_byte_mask),
		cmocka_unit_test(test_sse4_misaligned_m128_faults_except_string_compares),
		cmocka_unit_test(test_sse4_osfxsr_and_ts_checks_spare_crc32),
		cmocka_unit_test(test_sse41_round_precision_unmasked_and_suppressed),
		cmocka_unit_test(test_sse41_round_snan_invalid),
		cmocka_unit_test(test_sse41_dpps_overflow_and_sum),
		cmocka_unit_test(test_sse41_dpps_rounds_each_pairwise_sum),
		cmocka_unit_test(test_sse41_round_denormal_with_and_without_daz),
		cmocka_unit_test(test_sse41_dppd_exact_tiny_product_underflows_when_unmasked),
		cmocka_unit_test(test_sse41_dpps_unmasked_exception_stops_at_its_step),
	};

	printf("engine: %s\n", ih_engine_name());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
