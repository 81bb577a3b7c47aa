/* The VEX integer instructions (AVX at 128 bits, AVX2 at 256) and the gathers
 * on the software engines (RINGVISOR_ENGINE picks one; `make unit-test` runs
 * this file on each), with model v3, CR4.OSXSAVE and XCR0 = 7. Most checks run
 * the same code on the host CPU (an AVX2 one) and compare registers, flags
 * and memory; YMM registers are stored whole, so upper halves (zeroed by a
 * VEX.128 write, or not) are compared too. The rest are exceptions whose
 * rules come from the Intel SDM (Vol. 2A, 2.8; the gathers' pages). */
#include "softcpu_harness.h"
#include "simd_values.h"

#include "engine/softcpu/simd_ops.h"

/* The case's data: inputs a at 0, b at 32, c at 64 (32 bytes each); results
 * from 96 on (160 bytes). */

/* ih_edge_value's, and now and then small shift counts with signs. */
static uint64_t edge_value(uint64_t *seed)
{
	if ((ih_random(seed) & 7) == 0)
		return ih_random(seed) & 0x8f1f3f7f8f1f3f7full;
	return ih_edge_value(seed);
}

static void run_bodies(const struct ih_body *b, unsigned n, unsigned iterations)
{
	struct ih *h = ih_new_avx("v3");
	uint64_t seed = 0x41565832u;

	for (unsigned k = 0; k < n; k++) {
		for (unsigned i = 0; i < iterations; i++) {
			struct ih_case c = { .ptr_regs = 1u << GPR_RDI };

			for (unsigned q = 0; q < IH_CMP_DATA / 8; q++) {
				uint64_t v = edge_value(&seed);

				memcpy(c.data + 8 * q, &v, 8);
			}
			/* the shift count's quadword: small most of the time */
			if (i % 4)
				c.data[32 + 1] = c.data[32 + 2] = c.data[32 + 3] = c.data[32 + 4] = c.data[32 + 5] =
				    c.data[32 + 6] = c.data[32 + 7] = 0;
			for (unsigned r = 0; r < GPR_COUNT; r++)
				c.regs.gpr[r] = r == GPR_RDI ? 0 : edge_value(&seed);
			c.regs.rflags = ih_random(&seed);
			ih_compare(h, &c, b[k].code, (size_t)(b[k].end - b[k].code), RFLAGS_ARITH_MASK, b[k].name);
		}
	}
	ih_free(h);
}

#define LOAD "vmovdqu ymm1, [rdi]\n vmovdqu ymm2, [rdi + 32]\n vmovdqu ymm3, [rdi + 64]\n vmovdqu ymm4, ymm3\n"
#define STORE                                                                                                          \
	"\n vmovdqu [rdi + 96], ymm0\n vmovdqu [rdi + 128], ymm3\n vmovdqu [rdi + 160], ymm4\n"                        \
	" vextracti128 [rdi + 192], ymm2, 1\n"

/* op ymm0, ymm1, ymm2; op xmm3, xmm1, m128 (unaligned; ymm3's upper half was
 * not zero); op ymm4, ymm1, m256. */
#define BINOP_BODY(name, ...)                                                                                          \
	IH_ASM(avx_##name, LOAD "v" #name " ymm0, ymm1, ymm2\n v" #name " xmm3, xmm1, [rdi + 33]\n v" #name            \
				" ymm4, ymm1, [rdi + 31]" STORE);
#define UNARY_BODY(name, ...)                                                                                          \
	IH_ASM(avx_##name,                                                                                             \
	       LOAD "v" #name " ymm0, ymm2\n v" #name " xmm3, [rdi + 33]\n v" #name " ymm4, [rdi + 31]" STORE);
/* Shifts: by xmm2, by an m128, by an imm8. */
#define SHIFT_BODY(name, ...)                                                                                          \
	IH_ASM(avx_##name, LOAD "v" #name " ymm0, ymm1, xmm2\n v" #name " xmm3, xmm1, [rdi + 32]\n v" #name            \
				" ymm4, ymm1, 13" STORE);

SSE2_LANE_OPS(BINOP_BODY)
SSE2_SHIFT_OPS(SHIFT_BODY)
SSSE3_LANE_OPS(BINOP_BODY)
SSSE3_UNARY_OPS(UNARY_BODY)
SSE41_LANE_OPS(BINOP_BODY)

#define BODY_ENTRY(name, ...) IH_BODY(avx_##name),

static const struct ih_body lane_bodies[] = {
	/* clang-format off */
	SSE2_LANE_OPS(BODY_ENTRY)
	SSE2_SHIFT_OPS(BODY_ENTRY)
	SSSE3_LANE_OPS(BODY_ENTRY)
	SSSE3_UNARY_OPS(BODY_ENTRY)
	SSE41_LANE_OPS(BODY_ENTRY)
	/* clang-format on */
};

static void test_avx_lane_operations_match_host(void **state)
{
	(void)state;
	run_bodies(lane_bodies, sizeof(lane_bodies) / sizeof(lane_bodies[0]), 48);
}

/* ---- immediates, whole-register operations ---------------------------------------- */

IH_ASM(avx_palignr, LOAD "vpalignr ymm0, ymm1, ymm2, 5\n vpalignr xmm3, xmm1, [rdi + 3], 19\n"
			 "vpalignr ymm4, ymm1, [rdi + 5], 33" STORE);
IH_ASM(avx_byte_shifts, LOAD "vpslldq ymm0, ymm1, 3\n vpsrldq xmm3, xmm1, 11\n vpsrldq ymm4, ymm2, 17" STORE);
IH_ASM(avx_shuffles,
       LOAD "vpshufd ymm0, ymm1, 0x1b\n vpshuflw xmm3, [rdi + 7], 0x9c\n vpshufhw ymm4, ymm2, 0xe1" STORE);
IH_ASM(avx_mpsadbw, LOAD "vmpsadbw ymm0, ymm1, ymm2, 0x2d\n vmpsadbw xmm3, xmm1, [rdi + 1], 0x3e\n"
			 "vmpsadbw ymm4, ymm2, [rdi + 9], 0x13" STORE);
IH_ASM(avx_blends, LOAD "vpblendw ymm0, ymm1, ymm2, 0xa6\n vpblendvb xmm3, xmm1, [rdi + 1], xmm4\n"
			"vpblendvb ymm4, ymm1, ymm2, ymm4\n vpblendd ymm2, ymm2, [rdi + 5], 0x5c" STORE
			"\n vpblendd xmm0, xmm1, xmm2, 0x0b\n vpblendd xmm3, xmm1, [rdi + 7], 0xf6" STORE);
IH_ASM(avx_extend_signed,
       LOAD "vpmovsxbw ymm0, xmm1\n vpmovsxbd xmm3, [rdi + 3]\n vpmovsxbq ymm4, [rdi + 5]\n"
	    "vpmovsxwd ymm2, [rdi + 9]" STORE "\n vpmovsxwq ymm0, xmm1\n vpmovsxdq ymm3, [rdi + 11]\n"
	    "vpmovsxwq xmm4, xmm1\n" STORE);
IH_ASM(avx_extend_unsigned,
       LOAD "vpmovzxbw ymm0, xmm1\n vpmovzxbd xmm3, [rdi + 3]\n vpmovzxbq ymm4, [rdi + 5]\n"
	    "vpmovzxwd ymm2, [rdi + 9]" STORE "\n vpmovzxwq ymm0, xmm1\n vpmovzxdq ymm3, [rdi + 11]\n"
	    "vpmovzxdq xmm4, xmm1\n vpmovzxbd ymm2, xmm2" STORE);
IH_ASM(avx_ptest_ymm, "vmovdqu ymm1, [rdi]\n vmovdqu ymm2, [rdi + 32]\n vptest ymm1, ymm2");
IH_ASM(avx_ptest_mem, "vmovdqu ymm1, [rdi]\n vptest ymm1, [rdi + 1]");
IH_ASM(avx_ptest_xmm, "vmovdqu ymm1, [rdi]\n vptest xmm1, [rdi + 32]");
IH_ASM(avx_ptest_self, "vmovdqu ymm1, [rdi + 32]\n vptest ymm1, ymm1");
IH_ASM(avx_misc, LOAD "vphminposuw xmm0, xmm1\n vpmovmskb eax, ymm1\n vpmovmskb rcx, xmm2\n"
		      "vpextrb edx, xmm1, 0x13\n vpextrw esi, xmm2, 5\n vpextrw word ptr [rdi + 200], xmm2, 9\n"
		      "vpextrd r8d, xmm1, 2\n vpextrq r9, xmm1, 1\n vpextrb byte ptr [rdi + 210], xmm2, 7\n"
		      "vpinsrb xmm3, xmm1, r10d, 0x1e\n vpinsrw xmm4, xmm2, word ptr [rdi + 3], 3\n"
		      "vpinsrd xmm5, xmm1, r11d, 2\n vpinsrq xmm6, xmm2, qword ptr [rdi + 1], 1\n"
		      "vmovdqu [rdi + 96], ymm0\n vmovdqu [rdi + 128], ymm3\n vmovdqu [rdi + 160], ymm4\n"
		      "vmovdqu [rdi + 192], xmm5\n vpxor ymm6, ymm6, ymm5\n vmovdqu [rdi + 224], ymm6");
IH_ASM(avx_moves,
       LOAD "vmovd xmm0, r8d\n vmovq xmm3, r9\n vmovq xmm4, [rdi + 3]\n vmovd r10d, xmm1\n"
	    "vmovq r11, xmm2\n vmovd dword ptr [rdi + 200], xmm2\n vmovq qword ptr [rdi + 204], xmm1\n"
	    "vmovdqu [rdi + 96], ymm0\n vmovdqu [rdi + 128], ymm3\n vmovdqu [rdi + 160], ymm4\n"
	    "vmovq xmm5, xmm1\n vmovdqu [rdi + 212], xmm5\n vlddqu ymm6, [rdi + 1]\n vmovdqu [rdi + 224], ymm6\n"
	    "lea rbx, [rsp - 96]\n and rbx, -32\n vmovdqa [rbx], ymm2\n vmovdqa ymm7, [rbx]\n"
	    "vmovntdqa ymm7, [rbx]\n vmovntdq [rbx], ymm1\n vmovdqa xmm8, [rbx]\n vmovdqu [rdi + 64], ymm8\n"
	    "vmovdqa ymm9, ymm7\n vmovdqu [rdi + 32], ymm9\n xor ebx, ebx");
IH_ASM(avx_maskmovdqu, "vmovdqu xmm1, [rdi]\n vmovdqu xmm2, [rdi + 32]\n lea rdi, [rdi + 100]\n"
		       "vmaskmovdqu xmm1, xmm2\n lea rdi, [rdi - 100]");
#define STR_BODY(name, op)                                                                                             \
	IH_ASM(name,                                                                                                   \
	       "vmovdqu xmm1, [rdi]\n vpcmpeqd ymm0, ymm0, ymm0\n mov eax, 7\n mov edx, 12\n .irp v, 0x00, 0x0c, "     \
	       "0x1a, 0x24, 0x38, 0x42, 0x6d\n" op                                                                     \
	       " xmm1, [rdi + 33], \\v\n pushfq\n pop r8\n and r8d, 0x8d5\n mov [rdi + 96 + 8 * (\\v & 7)], r8d\n"     \
	       " mov [rdi + 100 + 8 * (\\v & 7)], ecx\n vmovdqu [rdi + 160], ymm0\n .endr")
STR_BODY(avx_pcmpestri, "vpcmpestri");
STR_BODY(avx_pcmpestrm, "vpcmpestrm");
STR_BODY(avx_pcmpistri, "vpcmpistri");
STR_BODY(avx_pcmpistrm, "vpcmpistrm");

static const struct ih_body misc_bodies[] = {
	IH_BODY(avx_palignr),	IH_BODY(avx_byte_shifts),   IH_BODY(avx_shuffles),	  IH_BODY(avx_mpsadbw),
	IH_BODY(avx_blends),	IH_BODY(avx_extend_signed), IH_BODY(avx_extend_unsigned), IH_BODY(avx_ptest_ymm),
	IH_BODY(avx_ptest_mem), IH_BODY(avx_ptest_xmm),	    IH_BODY(avx_ptest_self),	  IH_BODY(avx_misc),
	IH_BODY(avx_moves),	IH_BODY(avx_maskmovdqu),    IH_BODY(avx_pcmpestri),	  IH_BODY(avx_pcmpestrm),
	IH_BODY(avx_pcmpistri), IH_BODY(avx_pcmpistrm),
};

static void test_avx_shuffles_extends_moves_and_string_compares_match_host(void **state)
{
	(void)state;
	run_bodies(misc_bodies, sizeof(misc_bodies) / sizeof(misc_bodies[0]), 64);
}

/* ---- AVX2's own ---------------------------------------------------------------------- */

IH_ASM(avx2_broadcasts,
       LOAD "vpbroadcastb ymm0, xmm1\n vpbroadcastw xmm3, [rdi + 3]\n vpbroadcastd ymm4, [rdi + 5]\n"
	    "vpbroadcastq ymm2, xmm2" STORE "\n vbroadcasti128 ymm0, [rdi + 7]\n vpbroadcastb xmm3, [rdi + 9]\n"
	    "vpbroadcastq xmm4, xmm1" STORE);
IH_ASM(avx2_permutes,
       LOAD "vpermd ymm0, ymm1, ymm2\n vpermq ymm3, [rdi + 1], 0x9c\n vperm2i128 ymm4, ymm1, ymm2, 0x31" STORE
	    "\n vperm2i128 ymm0, ymm1, [rdi + 3], 0x82\n vperm2i128 ymm3, ymm2, ymm1, 0x28\n"
	    "vpermd ymm4, ymm2, [rdi + 5]" STORE);
IH_ASM(avx2_lanes, LOAD "vinserti128 ymm0, ymm1, xmm2, 1\n vinserti128 ymm3, ymm2, [rdi + 3], 0\n"
			"vextracti128 xmm4, ymm1, 1\n vextracti128 xmm2, ymm2, 0" STORE);
IH_ASM(avx2_variable_shifts,
       LOAD "vpsllvd ymm0, ymm1, ymm2\n vpsrlvd xmm3, xmm1, [rdi + 32]\n vpsravd ymm4, ymm1, ymm2" STORE
	    "\n vpsllvq ymm0, ymm1, [rdi + 32]\n vpsrlvq xmm3, xmm1, xmm2\n"
	    "vpsravd xmm4, xmm2, xmm1\n vpsrlvq ymm2, ymm1, ymm2" STORE);
/* Masked loads and stores; the mask is c, the stores go to the results. */
IH_ASM(avx2_masked, LOAD "vpmaskmovd ymm0, ymm3, [rdi + 1]\n vpmaskmovq xmm4, xmm3, [rdi + 3]\n"
			 "vpmaskmovd [rdi + 200], ymm3, ymm1\n vpmaskmovq [rdi + 226], xmm3, xmm2\n"
			 "vmovdqu [rdi + 96], ymm0\n vmovdqu [rdi + 160], ymm4");

static const struct ih_body avx2_bodies[] = {
	IH_BODY(avx2_broadcasts),      IH_BODY(avx2_permutes), IH_BODY(avx2_lanes),
	IH_BODY(avx2_variable_shifts), IH_BODY(avx2_masked),
};

static void test_avx2_broadcasts_permutes_shifts_and_masked_moves_match_host(void **state)
{
	(void)state;
	run_bodies(avx2_bodies, sizeof(avx2_bodies) / sizeof(avx2_bodies[0]), 64);
}

/* ---- gathers -------------------------------------------------------------------------- */

/* Indexes in [-16, 15] from a (AND 31, minus 16), base rdi + 128, the mask
 * from c: every address inside the data. */
#define GATHER_SETUP                                                                                                   \
	"mov eax, 31\n vmovd xmm6, eax\n vpbroadcastd ymm6, xmm6\n mov eax, 16\n vmovd xmm7, eax\n"                    \
	"vpbroadcastd ymm7, xmm7\n vpand ymm5, ymm6, [rdi]\n vpsubd ymm5, ymm5, ymm7\n vpmovsxdq ymm8, xmm5\n"         \
	"vmovdqu ymm3, [rdi + 64]\n vmovdqu ymm0, [rdi + 32]\n"
#define GATHER_STORE(dst, mask) "\n vmovdqu [rdi + 96 + 32 * (\\k % 5)], " dst "\n vmovdqu [rdi + 192], " mask "\n"

IH_ASM(avx2_gathers, GATHER_SETUP
       ".set k, 0\n"
       "vmovdqu ymm9, ymm3\n vpgatherdd ymm0, [rdi + ymm5 * 4 + 128], ymm9\n"
       "vmovdqu [rdi + 96], ymm0\n vmovdqu [rdi + 128], ymm9\n"
       "vmovdqu ymm10, ymm3\n vmovdqu ymm11, [rdi + 32]\n vpgatherdq ymm11, [rdi + xmm5 * 2 + 128], ymm10\n"
       "vmovdqu [rdi + 160], ymm11\n vpxor ymm12, ymm12, ymm12\n vpaddq ymm12, ymm12, ymm10\n"
       "vmovdqu ymm10, ymm3\n vmovdqu ymm11, [rdi + 32]\n vpgatherqd xmm11, [rdi + ymm8 * 1 + 128], xmm10\n"
       "vpaddq ymm12, ymm12, ymm10\n vpaddq ymm12, ymm12, ymm11\n"
       "vmovdqu ymm10, ymm3\n vmovdqu ymm11, [rdi + 32]\n vpgatherqd xmm11, [rdi + xmm8 * 4 + 128], xmm10\n"
       "vpaddq ymm12, ymm12, ymm10\n vpaddq ymm12, ymm12, ymm11\n"
       "vmovdqu ymm10, ymm3\n vmovdqu ymm11, [rdi + 32]\n vpgatherqq ymm11, [rdi + ymm8 * 8 + 128], ymm10\n"
       "vpaddq ymm12, ymm12, ymm10\n vpaddq ymm12, ymm12, ymm11\n"
       "vmovdqu ymm10, ymm3\n vmovdqu ymm11, [rdi + 32]\n vgatherdps xmm11, [rdi + xmm5 * 4 + 128], xmm10\n"
       "vpaddq ymm12, ymm12, ymm10\n vpaddq ymm12, ymm12, ymm11\n"
       "vmovdqu ymm10, ymm3\n vmovdqu ymm11, [rdi + 32]\n vgatherdpd xmm11, [rdi + xmm5 * 8 + 128], xmm10\n"
       "vpaddq ymm12, ymm12, ymm10\n vpaddq ymm12, ymm12, ymm11\n"
       "vmovdqu ymm10, ymm3\n vmovdqu ymm11, [rdi + 32]\n vgatherqps xmm11, [rdi + ymm8 * 2 + 128], xmm10\n"
       "vpaddq ymm12, ymm12, ymm10\n vpaddq ymm12, ymm12, ymm11\n"
       "vmovdqu ymm10, ymm3\n vmovdqu ymm11, [rdi + 32]\n vgatherqpd xmm11, [rdi + xmm8 * 1 + 128], xmm10\n"
       "vpaddq ymm12, ymm12, ymm10\n vpaddq ymm12, ymm12, ymm11\n"
       "vmovdqu [rdi + 192], ymm12\n vmovdqu [rdi + 224], ymm10");

static const struct ih_body gather_bodies[] = { IH_BODY(avx2_gathers) };

static void test_avx2_gathers_match_host(void **state)
{
	(void)state;
	run_bodies(gather_bodies, 1, 256);
}

/* ---- exceptions ------------------------------------------------------------------------- */

static struct ih *start_with(const uint8_t *code, size_t len, uint64_t cr4_clear, uint64_t cr0_set, uint64_t xcr0)
{
	struct ih *h = ih_new_avx("v3");

	h->state = h->entry;
	h->state.cr4 &= ~cr4_clear;
	h->state.cr0 |= cr0_set;
	h->state.xcr0 = xcr0;
	h->state.gpr[GPR_RDI] = IH_DATA;
	ih_load(h, code, len);
	ih_start(h);
	ih_run(h);
	return h;
}

IH_ASM(vmovdqa_misaligned, "vmovdqa ymm0, [rdi + 16]");
IH_ASM(vmovdqa_xmm_misaligned, "vmovdqa [rdi + 8], xmm0");
IH_ASM(vmovntdqa_misaligned, "vmovntdqa ymm0, [rdi + 16]");
IH_ASM(vpaddb_misaligned_ok,
       "vpaddb ymm0, ymm1, [rdi + 1]\n vmovdqu ymm2, [rdi + 3]\n vpmaskmovd ymm3, ymm4, [rdi + 1]");

static void test_avx_alignment_only_for_vmovdqa_and_non_temporal(void **state)
{
	static const struct {
		const uint8_t *code, *end;
		int vector;
	} cases[] = {
		{ vmovdqa_misaligned, vmovdqa_misaligned_end, 13 },
		{ vmovdqa_xmm_misaligned, vmovdqa_xmm_misaligned_end, 13 },
		{ vmovntdqa_misaligned, vmovntdqa_misaligned_end, 13 },
		{ vpaddb_misaligned_ok, vpaddb_misaligned_ok_end, -1 },
	};

	(void)state;
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct ih *h = start_with(cases[k].code, (size_t)(cases[k].end - cases[k].code), 0, 0, 7);

		if (cases[k].vector < 0) {
			ih_expect_end(h);
		} else {
			ih_expect_exception(h, (uint8_t)cases[k].vector);
			assert_int_equal(ih_frame(h, 0), 0);
		}
		ih_free(h);
	}
}

IH_ASM(vpaddd_only, "vpaddd ymm0, ymm1, ymm2");

/* SDM Vol. 2A, table 2-21: #UD without CR4.OSXSAVE or with XCR0's SSE or AVX
 * bit clear, then #NM with CR0.TS. */
static void test_avx_needs_osxsave_and_xcr0_then_ts_gives_nm(void **state)
{
	struct ih *h;

	(void)state;
	h = start_with(vpaddd_only, IH_LEN(vpaddd_only), CR4_OSXSAVE, 0, 7);
	ih_expect_exception(h, 6);
	ih_free(h);
	h = start_with(vpaddd_only, IH_LEN(vpaddd_only), 0, 0, 3);
	ih_expect_exception(h, 6);
	ih_free(h);
	h = start_with(vpaddd_only, IH_LEN(vpaddd_only), 0, CR0_TS, 7);
	ih_expect_exception(h, 7);
	ih_free(h);
	h = start_with(vpaddd_only, IH_LEN(vpaddd_only), 0, 0, 7);
	ih_expect_end(h);
	ih_free(h);
}

/* A masked-off element of VPMASKMOV or of a gather is never accessed: a
 * non-canonical address there does not fault (as the AMD host does); a
 * selected one does (#GP(0)). */
IH_ASM(masked_off_non_canonical, "mov rax, 0x8000000000000000\n vpxor xmm2, xmm2, xmm2\n vpmaskmovq xmm0, xmm2, [rax]\n"
				 "vpmaskmovd [rax], ymm2, ymm0\n vpcmpeqd xmm3, xmm3, xmm3\n"
				 "vpgatherqq xmm0, [rax + xmm3], xmm2");
IH_ASM(maskmov_selected, "mov rax, 0x7ffffffffff8\n mov rcx, 0x8000000000000000\n"
			 "vmovq xmm2, rcx\n vpslldq xmm2, xmm2, 8\n vpmaskmovq [rax], xmm2, xmm0");

static void test_avx2_masked_off_elements_never_fault(void **state)
{
	struct ih *h;

	(void)state;
	h = start_with(masked_off_non_canonical, IH_LEN(masked_off_non_canonical), 0, 0, 7);
	ih_expect_end(h);
	ih_free(h);
	/* element 1, at 0x800000000000, selected */
	h = start_with(maskmov_selected, IH_LEN(maskmov_selected), 0, 0, 7);
	ih_expect_exception(h, 13);
	ih_free(h);
}

/* VPGATHERQQ (VEX.256) with element 1 at a non-canonical address: #GP(0),
 * element 0 loaded and its mask element cleared, the mask elements from 1 on
 * as they were (not made all ones or zeros), the destination's other
 * elements kept: as the AMD host leaves them (its signal frame after the
 * same fault). */
IH_ASM(gather_fault, "vpcmpeqd ymm0, ymm0, ymm0\n vpcmpeqd ymm2, ymm2, ymm2\n"
		     "mov rax, 0x7fffffffffffffff\n vmovq xmm3, rax\n mov rax, 0x8000000000000005\n"
		     "vpinsrq xmm3, xmm3, rax, 1\n vinserti128 ymm2, ymm2, xmm3, 1\n"
		     "mov rax, 0x8000000000000001\n vpxor xmm4, xmm4, xmm4\n vpinsrq xmm4, xmm4, rax, 1\n"
		     "vpblendd ymm2, ymm2, ymm4, 0x0c\n"
		     "mov eax, 0x10\n vmovq xmm1, rax\n mov rax, 0x8000000000000000\n vpinsrq xmm1, xmm1, rax, 1\n"
		     "vpgatherqq ymm0, [rdi + ymm1], ymm2");
IH_ASM(gather_same_registers, ".byte 0xc4, 0xe2, 0x79, 0x90, 0x04, 0x8f"); /* vpgatherdd xmm0, [rdi + xmm1 * 4], xmm0 */

static void test_avx2_gather_fault_leaves_partial_state_and_same_registers_are_ud(void **state)
{
	struct ih *h;
	struct vcpu_state *s;
	uint64_t mask[4], dst[4];

	(void)state;
	h = ih_new_avx("v3");
	h->state = h->entry;
	h->state.gpr[GPR_RDI] = IH_DATA;
	ih_put(h, IH_DATA + 0x10, 0x1122334455667788ull, 8);
	ih_load(h, gather_fault, IH_LEN(gather_fault));
	ih_start(h);
	ih_run(h);
	s = ih_expect_exception(h, 13);
	memcpy(mask, s->fpu.xmm[2], 16);
	memcpy(mask + 2, s->fpu.ymm_hi[2], 16);
	memcpy(dst, s->fpu.xmm[0], 16);
	memcpy(dst + 2, s->fpu.ymm_hi[0], 16);
	assert_int_equal(mask[0], 0);
	assert_int_equal(mask[1], 0x8000000000000001ull);
	assert_int_equal(mask[2], 0x7fffffffffffffffull);
	assert_int_equal(mask[3], 0x8000000000000005ull);
	assert_int_equal(dst[0], 0x1122334455667788ull);
	assert_int_equal(dst[1], ~0ull);
	assert_int_equal(dst[2], ~0ull);
	assert_int_equal(dst[3], ~0ull);
	ih_free(h);
	h = start_with(gather_same_registers, IH_LEN(gather_same_registers), 0, 0, 7);
	ih_expect_exception(h, 6);
	ih_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_avx_lane_operations_match_host),
		cmocka_unit_test(test_avx_shuffles_extends_moves_and_string_compares_match_host),
		cmocka_unit_test(test_avx2_broadcasts_permutes_shifts_and_masked_moves_match_host),
		cmocka_unit_test(test_avx2_gathers_match_host),
		cmocka_unit_test(test_avx_alignment_only_for_vmovdqa_and_non_temporal),
		cmocka_unit_test(test_avx_needs_osxsave_and_xcr0_then_ts_gives_nm),
		cmocka_unit_test(test_avx2_masked_off_elements_never_fault),
		cmocka_unit_test(test_avx2_gather_fault_leaves_partial_state_and_same_registers_are_ud),
	};

	printf("engine: %s\n", ih_engine_name());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
