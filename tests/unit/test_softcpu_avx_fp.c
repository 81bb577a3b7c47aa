/* The VEX floating-point instructions (AVX, AVX2's floating-point permutes)
 * on the software engines (RINGVISOR_ENGINE picks one; `make unit-test` runs
 * this file on each): the same code runs on the host CPU (an AMD Zen 3 with
 * AVX2) and on the engine from the same YMM inputs and MXCSR, and the
 * results, MXCSR after each instruction, flags and GPRs are compared.
 * The rest are the exceptions the SDM gives (Vol. 2, 2.5 and 2.8): the
 * aligned moves' #GP, #UD without CR4.OSXSAVE or XCR0.AVX, #NM with CR0.TS,
 * #XM for an unmasked exception with nothing written, masked-off VMASKMOV
 * elements not faulting. */
#include "simd_values.h"

/* The case's data: inputs a at 0, b at 32, c (the destination's old value,
 * or a mask) at 64, the MXCSR to run with at 96, 0x1f80 at 100; the MXCSR
 * after the register form at 104, after the memory form at 108; results from
 * 128 (four YMM registers). */
#define LOAD "vmovups ymm1, [rdi]\n vmovups ymm2, [rdi + 32]\n vmovups ymm0, [rdi + 64]\n vmovups ymm3, [rdi + 64]\n"
#define RUN(insn) "ldmxcsr [rdi + 96]\n " insn "\n"
#define STORE(n, off) "vmovups [rdi + " #off "], ymm" #n "\n"
#define END "ldmxcsr [rdi + 100]"

/* `op w0, w1, w2` and `op w3, w1, mem` (w: xmm or ymm). */
#define OP3(name, op, w, mem)                                                                                          \
	IH_ASM(name,                                                                                                   \
	       LOAD RUN(op " " w "0, " w "1, " w "2") "stmxcsr [rdi + 104]\n" RUN(                                     \
		   op " " w "3, " w "1, " mem " [rdi + 32]") "stmxcsr [rdi + 108]\n" STORE(0, 128) STORE(3, 160) END)
/* `op w0, w1` and `op w3, mem`. */
#define OP2(name, op, w0, w1, mem)                                                                                     \
	IH_ASM(name, LOAD RUN(op " " w0 "0, " w1 "1") "stmxcsr [rdi + 104]\n" RUN(                                     \
			 op " " w0 "3, " mem " [rdi + 32]") "stmxcsr [rdi + 108]\n" STORE(0, 128) STORE(3, 160) END)
/* With an imm8 last: `op w0, w1, w2, imm` and `op w3, w1, mem, imm`. */
#define OP3I(name, op, w, mem, imm)                                                                                    \
	IH_ASM(name, LOAD RUN(op " " w "0, " w "1, " w "2, " imm) "stmxcsr [rdi + 104]\n" RUN(                         \
			 op " " w "3, " w "1, " mem " [rdi + 32], " imm) "stmxcsr [rdi + 108]\n" STORE(0, 128)         \
			 STORE(3, 160) END)
#define OP2I(name, op, w, mem, imm)                                                                                    \
	IH_ASM(name,                                                                                                   \
	       LOAD RUN(op " " w "0, " w "1, " imm) "stmxcsr [rdi + 104]\n" RUN(                                       \
		   op " " w "3, " mem " [rdi + 32], " imm) "stmxcsr [rdi + 108]\n" STORE(0, 128) STORE(3, 160) END)

#define Y "ymm"
#define X "xmm"
#define M32 "dword ptr"
#define M64 "qword ptr"
#define M128 "xmmword ptr"
#define M256 "ymmword ptr"

/* Both widths of a packed operation, and the scalar forms. */
#define PACKED3(n, op)                                                                                                 \
	OP3(n##_y, op, Y, M256);                                                                                       \
	OP3(n##_x, op, X, M128)
#define ARITH(n)                                                                                                       \
	PACKED3(n##ps, "v" #n "ps");                                                                                   \
	PACKED3(n##pd, "v" #n "pd");                                                                                   \
	OP3(n##ss, "v" #n "ss", X, M32);                                                                               \
	OP3(n##sd, "v" #n "sd", X, M64)
#define ARITH_BODIES(n)                                                                                                \
	IH_BODY(n##ps_y), IH_BODY(n##ps_x), IH_BODY(n##pd_y), IH_BODY(n##pd_x), IH_BODY(n##ss), IH_BODY(n##sd)

ARITH(add);
ARITH(sub);
ARITH(mul);
ARITH(div);
ARITH(min);
ARITH(max);
OP2(sqrtps_y, "vsqrtps", Y, Y, M256);
OP2(sqrtps_x, "vsqrtps", X, X, M128);
OP2(sqrtpd_y, "vsqrtpd", Y, Y, M256);
OP2(sqrtpd_x, "vsqrtpd", X, X, M128);
OP3(sqrtss, "vsqrtss", X, M32);
OP3(sqrtsd, "vsqrtsd", X, M64);
OP2(rcpps_y, "vrcpps", Y, Y, M256);
OP2(rsqrtps_x, "vrsqrtps", X, X, M128);
OP3(rcpss, "vrcpss", X, M32);
OP3(rsqrtss, "vrsqrtss", X, M32);
PACKED3(addsubps, "vaddsubps");
PACKED3(addsubpd, "vaddsubpd");
PACKED3(haddps, "vhaddps");
PACKED3(haddpd, "vhaddpd");
PACKED3(hsubps, "vhsubps");
PACKED3(hsubpd, "vhsubpd");

static const struct ih_body arith_bodies[] = {
	ARITH_BODIES(add), ARITH_BODIES(sub),	ARITH_BODIES(mul),   ARITH_BODIES(div),	  ARITH_BODIES(min),
	ARITH_BODIES(max), IH_BODY(sqrtps_y),	IH_BODY(sqrtps_x),   IH_BODY(sqrtpd_y),	  IH_BODY(sqrtpd_x),
	IH_BODY(sqrtss),   IH_BODY(sqrtsd),	IH_BODY(rcpps_y),    IH_BODY(rsqrtps_x),  IH_BODY(rcpss),
	IH_BODY(rsqrtss),  IH_BODY(addsubps_y), IH_BODY(addsubps_x), IH_BODY(addsubpd_y), IH_BODY(addsubpd_x),
	IH_BODY(haddps_y), IH_BODY(haddps_x),	IH_BODY(haddpd_y),   IH_BODY(haddpd_x),	  IH_BODY(hsubps_y),
	IH_BODY(hsubps_x), IH_BODY(hsubpd_y),	IH_BODY(hsubpd_x),
};

/* ---- conversions ------------------------------------------------------------------- */

OP2(cvtdq2ps_y, "vcvtdq2ps", Y, Y, M256);
OP2(cvtps2dq_y, "vcvtps2dq", Y, Y, M256);
OP2(cvttps2dq_x, "vcvttps2dq", X, X, M128);
OP2(cvtdq2pd_y, "vcvtdq2pd", Y, X, M128);
OP2(cvtdq2pd_x, "vcvtdq2pd", X, X, M64);
OP2(cvtps2pd_y, "vcvtps2pd", Y, X, M128);
OP2(cvtps2pd_x, "vcvtps2pd", X, X, M64);
OP2(cvtpd2ps_y, "vcvtpd2ps", X, Y, M256);
OP2(cvtpd2ps_x, "vcvtpd2ps", X, X, M128);
OP2(cvtpd2dq_y, "vcvtpd2dq", X, Y, M256);
OP2(cvttpd2dq_x, "vcvttpd2dq", X, X, M128);
OP2(cvttpd2dq_y, "vcvttpd2dq", X, Y, M256);
OP3(cvtss2sd, "vcvtss2sd", X, M32);
OP3(cvtsd2ss, "vcvtsd2ss", X, M64);
/* With GPRs: results in RAX, RCX, RDX, RSI, R8-R11. */
IH_ASM(
    cvt_gpr,
    LOAD RUN(
	"vcvtss2si eax, xmm1\n vcvtss2si rcx, dword ptr [rdi + 32]\n vcvttss2si edx, xmm2\n"
	" vcvttss2si rsi, xmm1\n vcvtsd2si r8, xmm1\n vcvtsd2si r9d, qword ptr [rdi + 40]\n"
	" vcvttsd2si r10, xmm2\n vcvttsd2si r11d, xmm1") "stmxcsr [rdi + 104]\n" RUN("vcvtsi2ss xmm0, xmm1, r12d\n "
										     "vcvtsi2sd xmm3, xmm2, r13\n "
										     "vcvtsi2ss xmm4, xmm2, qword ptr "
										     "[rdi + 64]\n"
										     " vcvtsi2sd xmm5, xmm1, dword ptr "
										     "[rdi + 68]") "stmxcsr [rdi + "
												   "108]\n" STORE(0,
														  128)
												       STORE(
													   3,
													   160) "vmovup"
														"s "
														"[rdi "
														"+ "
														"192], "
														"xmm4\n"
														" vmovu"
														"ps "
														"[rdi "
														"+ "
														"208], "
														"xmm5"
														"\n" END);

static const struct ih_body convert_bodies[] = {
	IH_BODY(cvtdq2ps_y),  IH_BODY(cvtps2dq_y),  IH_BODY(cvttps2dq_x), IH_BODY(cvtdq2pd_y), IH_BODY(cvtdq2pd_x),
	IH_BODY(cvtps2pd_y),  IH_BODY(cvtps2pd_x),  IH_BODY(cvtpd2ps_y),  IH_BODY(cvtpd2ps_x), IH_BODY(cvtpd2dq_y),
	IH_BODY(cvttpd2dq_x), IH_BODY(cvttpd2dq_y), IH_BODY(cvtss2sd),	  IH_BODY(cvtsd2ss),   IH_BODY(cvt_gpr),
};

/* ---- comparisons, ROUND, DP -------------------------------------------------------- */

/* Four predicates per body, from k: packed ymm, packed xmm from memory,
 * scalar. */
#define CMP4(n, op, w, mem, k)                                                                                         \
	IH_ASM(n, LOAD ".irp v, 0, 1, 2, 3\n ldmxcsr [rdi + 96]\n vmovups ymm0, [rdi + 64]\n " op " " w "0, " w        \
		       "1, " mem " [rdi + 32], " #k " + \\v\n stmxcsr [rdi + 104]\n or eax, [rdi + 104]\n"             \
		       " rol eax, 7\n vmovups [rdi + 128 + 32 * \\v], ymm0\n .endr\n" END)
#define CMP_ALL(n, op, w, mem)                                                                                         \
	CMP4(n##0, op, w, mem, 0);                                                                                     \
	CMP4(n##4, op, w, mem, 4);                                                                                     \
	CMP4(n##8, op, w, mem, 8);                                                                                     \
	CMP4(n##12, op, w, mem, 12);                                                                                   \
	CMP4(n##16, op, w, mem, 16);                                                                                   \
	CMP4(n##20, op, w, mem, 20);                                                                                   \
	CMP4(n##24, op, w, mem, 24);                                                                                   \
	CMP4(n##28, op, w, mem, 28)
#define CMP_BODIES(n)                                                                                                  \
	IH_BODY(n##0), IH_BODY(n##4), IH_BODY(n##8), IH_BODY(n##12), IH_BODY(n##16), IH_BODY(n##20), IH_BODY(n##24),   \
	    IH_BODY(n##28)

CMP_ALL(cmpps_y, "vcmpps", Y, M256);
CMP_ALL(cmppd_x, "vcmppd", X, M128);
CMP_ALL(cmpss, "vcmpss", X, M32);
CMP_ALL(cmpsd, "vcmpsd", X, M64);

/* The flags of each in a GPR (the last one's stay in RFLAGS). */
IH_ASM(comis,
       LOAD RUN("vcomiss xmm1, xmm2\n pushfq\n pop rax\n vucomiss xmm1, dword ptr [rdi + 32]\n pushfq\n"
		" pop rcx\n vcomisd xmm2, qword ptr [rdi]\n pushfq\n pop rdx\n vucomisd xmm1, xmm2\n"
		" stmxcsr [rdi + 104]\n and eax, 0x8d5\n and ecx, 0x8d5\n and edx, 0x8d5") "ldmxcsr [rdi + 100]");

OP2I(roundps_y, "vroundps", Y, M256, "1");
OP2I(roundpd_x, "vroundpd", X, M128, "4");
OP3I(roundss, "vroundss", X, M32, "2");
OP3I(roundsd, "vroundsd", X, M64, "0xb");
OP3I(dpps_y, "vdpps", Y, M256, "0xf3");
OP3I(dpps_x, "vdpps", X, M128, "0x7c");
OP3I(dppd, "vdppd", X, M128, "0x31");

static const struct ih_body compare_bodies[] = {
	CMP_BODIES(cmpps_y), CMP_BODIES(cmppd_x), CMP_BODIES(cmpss),  CMP_BODIES(cmpsd),
	IH_BODY(comis),	     IH_BODY(roundps_y),  IH_BODY(roundpd_x), IH_BODY(roundss),
	IH_BODY(roundsd),    IH_BODY(dpps_y),	  IH_BODY(dpps_x),    IH_BODY(dppd),
};

/* ---- moves, logic, shuffles, blends, permutes ---------------------------------------- */

PACKED3(andps, "vandps");
PACKED3(andnpd, "vandnpd");
PACKED3(orps, "vorps");
PACKED3(xorpd, "vxorpd");
PACKED3(unpcklps, "vunpcklps");
PACKED3(unpckhps, "vunpckhps");
PACKED3(unpcklpd, "vunpcklpd");
PACKED3(unpckhpd, "vunpckhpd");
OP3I(shufps_y, "vshufps", Y, M256, "0x9c");
OP3I(shufpd_y, "vshufpd", Y, M256, "0x6");
OP3I(shufpd_x, "vshufpd", X, M128, "0x1");
OP3I(blendps_y, "vblendps", Y, M256, "0xa5");
OP3I(blendpd_y, "vblendpd", Y, M256, "0x6");
OP3I(blendps_x, "vblendps", X, M128, "0x3c");
OP3I(insertps, "vinsertps", X, M32, "0x9a");
IH_ASM(insertf128,
       LOAD "vinsertf128 ymm0, ymm1, xmm2, 1\n vinsertf128 ymm3, ymm2, [rdi + 48], 0\n" STORE(0, 128) STORE(3, 160));
OP3I(perm2f128_a, "vperm2f128", Y, M256, "0x31");
OP3I(perm2f128_b, "vperm2f128", Y, M256, "0x8a");
OP2I(permilps_i, "vpermilps", Y, M256, "0x1b");
OP2I(permilpd_i, "vpermilpd", Y, M256, "0x9");
OP2I(permpd, "vpermpd", Y, M256, "0x4e");
PACKED3(permilps, "vpermilps");
PACKED3(permilpd, "vpermilpd");
OP3(permps, "vpermps", Y, M256);
IH_ASM(blendv, LOAD "vblendvps ymm0, ymm1, ymm2, ymm3\n vblendvpd ymm4, ymm1, [rdi + 32], ymm3\n"
		    "vblendvps xmm5, xmm2, xmm1, xmm3\n vblendvpd xmm6, xmm2, [rdi + 32], xmm1\n" STORE(0, 128)
			STORE(4, 160) "vmovups [rdi + 192], xmm5\n vmovups [rdi + 208], xmm6");
IH_ASM(moves,
       LOAD "vmovss xmm0, xmm1, xmm2\n vmovsd xmm3, xmm2, xmm1\n vmovss xmm4, dword ptr [rdi + 4]\n"
	    "vmovsd xmm5, qword ptr [rdi + 40]\n vmovss dword ptr [rdi + 96], xmm2\n"
	    "vmovsd qword ptr [rdi + 112], xmm1\n vmovlps xmm6, xmm1, qword ptr [rdi + 32]\n"
	    "vmovhpd xmm7, xmm2, qword ptr [rdi + 8]\n vmovhps qword ptr [rdi + 104], xmm1\n"
	    "vmovhlps xmm8, xmm1, xmm2\n vmovlhps xmm9, xmm2, xmm1\n" STORE(0, 128) STORE(3, 160)
		STORE(4, 192) "vmovups [rdi + 224], xmm5\n vmovups [rdi + 240], xmm6\n vmovups [rdi + 64], xmm7\n"
			      "vmovups [rdi], ymm8\n vmovups [rdi + 32], ymm9");
IH_ASM(dups, LOAD "vmovsldup ymm0, ymm1\n vmovshdup ymm3, [rdi + 32]\n vmovddup ymm4, ymm2\n"
		  "vmovddup xmm5, qword ptr [rdi + 8]\n vmovshdup xmm6, xmm2\n vmovmskps eax, ymm1\n"
		  "vmovmskpd ecx, ymm2\n vmovmskps edx, xmm2\n vmovmskpd rsi, xmm1\n" STORE(0, 128) STORE(3, 160)
		      STORE(4, 192) "vmovups [rdi + 224], xmm5\n vmovups [rdi + 64], ymm6");
IH_ASM(broadcasts,
       LOAD "vbroadcastss ymm0, dword ptr [rdi + 4]\n vbroadcastsd ymm3, qword ptr [rdi + 40]\n"
	    "vbroadcastss xmm4, xmm2\n vbroadcastsd ymm5, xmm1\n vbroadcastf128 ymm6, [rdi + 16]\n"
	    "vextractf128 xmm7, ymm1, 1\n vextractf128 [rdi + 96], ymm2, 1\n vextractps eax, xmm1, 2\n"
	    "vextractps dword ptr [rdi + 112], xmm2, 7\n vbroadcastss xmm8, dword ptr [rdi + 8]\n" STORE(0, 128)
		STORE(3, 160) STORE(4, 192) "vmovups [rdi + 224], ymm5\n vmovups [rdi + 64], ymm6\n"
					    "vmovups [rdi], ymm7\n vmovups [rdi + 32], ymm8");
IH_ASM(maskmov, LOAD
       "vmaskmovps ymm0, ymm3, [rdi + 32]\n vmaskmovpd xmm4, xmm3, [rdi + 8]\n"
       "vmaskmovps [rdi + 4], xmm3, xmm1\n vmaskmovpd [rdi + 64], ymm3, ymm2\n" STORE(0,
										      128) "vmovups [rdi + 160], ymm4");
/* VTESTPS/PD: flags into GPRs, the last ones' in RFLAGS. */
IH_ASM(vtest, LOAD "vtestps ymm1, ymm2\n pushfq\n pop rax\n vtestpd xmm1, [rdi + 32]\n pushfq\n pop rcx\n"
		   "vtestps xmm3, xmm3\n pushfq\n pop rdx\n and eax, 0x8d5\n and ecx, 0x8d5\n and edx, 0x8d5\n"
		   "vtestpd ymm2, ymm3");

static const struct ih_body data_bodies[] = {
	IH_BODY(andps_y),     IH_BODY(andps_x),	   IH_BODY(andnpd_y),	IH_BODY(andnpd_x),   IH_BODY(orps_y),
	IH_BODY(orps_x),      IH_BODY(xorpd_y),	   IH_BODY(xorpd_x),	IH_BODY(unpcklps_y), IH_BODY(unpcklps_x),
	IH_BODY(unpckhps_y),  IH_BODY(unpckhps_x), IH_BODY(unpcklpd_y), IH_BODY(unpcklpd_x), IH_BODY(unpckhpd_y),
	IH_BODY(unpckhpd_x),  IH_BODY(shufps_y),   IH_BODY(shufpd_y),	IH_BODY(shufpd_x),   IH_BODY(blendps_y),
	IH_BODY(blendpd_y),   IH_BODY(blendps_x),  IH_BODY(insertps),	IH_BODY(insertf128), IH_BODY(perm2f128_a),
	IH_BODY(perm2f128_b), IH_BODY(permilps_i), IH_BODY(permilpd_i), IH_BODY(permpd),     IH_BODY(permilps_y),
	IH_BODY(permilps_x),  IH_BODY(permilpd_y), IH_BODY(permilpd_x), IH_BODY(permps),     IH_BODY(blendv),
	IH_BODY(moves),	      IH_BODY(dups),	   IH_BODY(broadcasts), IH_BODY(maskmov),    IH_BODY(vtest),
};

/* ---- F16C ------------------------------------------------------------------------------ */

OP2(cvtph2ps_y, "vcvtph2ps", Y, X, M128);
OP2(cvtph2ps_x, "vcvtph2ps", X, X, M64);
/* VCVTPS2PH with each rounding imm8 (bit 2: MXCSR.RC), register and memory
 * destinations. */
#define PS2PH(name, imm)                                                                                               \
	IH_ASM(name, LOAD RUN("vcvtps2ph xmm0, ymm1, " imm) "stmxcsr [rdi + 104]\n" RUN(                               \
			 "vcvtps2ph qword ptr [rdi + 160], xmm2, " imm) "stmxcsr [rdi + 108]\n" STORE(0, 128) END)
PS2PH(cvtps2ph_0, "0");
PS2PH(cvtps2ph_1, "1");
PS2PH(cvtps2ph_2, "2");
PS2PH(cvtps2ph_3, "3");
PS2PH(cvtps2ph_4, "4");
PS2PH(cvtps2ph_f9, "0xf9");
IH_ASM(cvtps2ph_m128, LOAD RUN("vcvtps2ph xmmword ptr [rdi + 128], ymm2, 4") "stmxcsr [rdi + 104]\n" END);

static const struct ih_body f16c_bodies[] = {
	IH_BODY(cvtph2ps_y), IH_BODY(cvtph2ps_x), IH_BODY(cvtps2ph_0),	IH_BODY(cvtps2ph_1),	IH_BODY(cvtps2ph_2),
	IH_BODY(cvtps2ph_3), IH_BODY(cvtps2ph_4), IH_BODY(cvtps2ph_f9), IH_BODY(cvtps2ph_m128),
};

/* ---- running them -------------------------------------------------------------------- */

static void run_bodies(const struct ih_body *b, unsigned n, unsigned iterations)
{
	struct ih *h = ih_new_avx("v3");
	uint64_t seed = 0x41565846u;

	for (unsigned k = 0; k < n; k++) {
		for (unsigned i = 0; i < iterations; i++) {
			struct ih_case c = { .ptr_regs = 1u << GPR_RDI };
			uint32_t csr = simd_csr_value(&seed), dflt = 0x1f80;

			for (unsigned q = 0; q < IH_CMP_DATA / 8; q++) {
				uint64_t v = simd_fp_value(&seed);

				memcpy(c.data + 8 * q, &v, 8);
			}
			memcpy(c.data + 96, &csr, 4);
			memcpy(c.data + 100, &dflt, 4);
			for (unsigned r = 0; r < GPR_COUNT; r++)
				c.regs.gpr[r] = r == GPR_RDI ? 0 : simd_fp_value(&seed);
			c.regs.rflags = ih_random(&seed);
			ih_compare(h, &c, b[k].code, (size_t)(b[k].end - b[k].code), RFLAGS_ARITH_MASK, b[k].name);
		}
	}
	ih_free(h);
}

#define RUN_ALL(bodies, iterations) run_bodies(bodies, sizeof(bodies) / sizeof(bodies[0]), iterations)

static void test_avx_arithmetic_matches_host(void **state)
{
	(void)state;
	RUN_ALL(arith_bodies, 64);
}

static void test_avx_conversions_match_host(void **state)
{
	(void)state;
	RUN_ALL(convert_bodies, 96);
}

static void test_avx_compares_round_and_dot_products_match_host(void **state)
{
	(void)state;
	RUN_ALL(compare_bodies, 64);
}

static void test_avx_moves_logic_shuffles_and_permutes_match_host(void **state)
{
	(void)state;
	RUN_ALL(data_bodies, 48);
}

static void test_f16c_conversions_match_host(void **state)
{
	(void)state;
	RUN_ALL(f16c_bodies, 256);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_avx_arithmetic_matches_host),
		cmocka_unit_test(test_avx_conversions_match_host),
		cmocka_unit_test(test_avx_compares_round_and_dot_products_match_host),
		cmocka_unit_test(test_avx_moves_logic_shuffles_and_permutes_match_host),
		cmocka_unit_test(test_f16c_conversions_match_host),
	};

	printf("engine: %s\n", ih_engine_name());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
