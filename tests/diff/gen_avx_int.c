/* The VEX integer family (AVX at 128 bits, AVX2 at 256): every lane
 * operation of simd_ops.h's lists in its VEX form, the immediate-controlled
 * ones, AVX2's permutes, broadcasts, inserts/extracts, blends and shifts by a
 * count per element, PMOVSX/ZX and VPTEST, with a register or memory second
 * source (the moves, masked moves and gathers are gen_avx_data.c's).
 *
 * Registers are not compared, so a unit loads all 256 bits of every YMM
 * register it reads (the low half through GPRs as gen_sse4.c does, the high
 * half into XMM15 and then VINSERTI128) and shows the whole result: the low
 * half, then the high half through VEXTRACTI128 (so a VEX.128 write must
 * have zeroed it). XMM14 and XMM15 are the unit's temporaries. Memory
 * operands are aligned to their size, as with AC set the AMD host raises #AC
 * for some misaligned vector accesses that the engines do not model (the unit
 * tests check unaligned VEX operands); one in 12 lies in the unmapped page
 * after the data page (#PF). */
#include "gen_internal.h"

#include <string.h>

#include "engine/softcpu/simd_ops.h"
#include "guest_image.h"

enum shape {
	RVM,	     /* dst, vvvv, r/m */
	RVM_IMM,     /* dst, vvvv, r/m, imm8 */
	RVM_XCOUNT,  /* dst, vvvv, xmm/m128 count */
	RM,	     /* dst, r/m */
	RM_IMM,	     /* dst, r/m, imm8 */
	RV_IMM,	     /* dst, vvvv (register), imm8: shifts by an immediate */
	RVM_R,	     /* dst, vvvv, r/m, register (VPBLENDVB) */
	TEST,	     /* VPTEST: flags */
	HALF_SOURCE, /* dst, xmm/m of dst size / ratio (PMOVSX/ZX, broadcasts) */
	INSERT128,   /* dst, vvvv, xmm/m128, imm8 */
	EXTRACT128,  /* xmm, ymm, imm8 */
};

/* widths: bit 0 = 128, bit 1 = 256 */
struct vex_op {
	ZydisMnemonic m;
	uint8_t shape, widths, ratio;
};

#define LANE_OP(name, NAME, ...) { ZYDIS_MNEMONIC_V##NAME, RVM, 3, 1 },
#define SHIFT_OP(name, NAME, ...)                                                                                      \
	{ ZYDIS_MNEMONIC_V##NAME, RVM_XCOUNT, 3, 1 }, { ZYDIS_MNEMONIC_V##NAME, RV_IMM, 3, 1 },
#define UNARY_OP(name, NAME, ...) { ZYDIS_MNEMONIC_V##NAME, RM, 3, 1 },

static const struct vex_op lane_ops[] = {
	/* clang-format off */
	SSE2_LANE_OPS(LANE_OP)
	SSE2_SHIFT_OPS(SHIFT_OP)
	SSSE3_LANE_OPS(LANE_OP)
	SSSE3_UNARY_OPS(UNARY_OP)
	SSE41_LANE_OPS(LANE_OP)
	/* clang-format on */
	{ ZYDIS_MNEMONIC_VPALIGNR, RVM_IMM, 3, 1 },
	{ ZYDIS_MNEMONIC_VPBLENDW, RVM_IMM, 3, 1 },
	{ ZYDIS_MNEMONIC_VMPSADBW, RVM_IMM, 3, 1 },
	{ ZYDIS_MNEMONIC_VPBLENDD, RVM_IMM, 3, 1 },
	{ ZYDIS_MNEMONIC_VPERM2I128, RVM_IMM, 2, 1 },
	{ ZYDIS_MNEMONIC_VPSHUFD, RM_IMM, 3, 1 },
	{ ZYDIS_MNEMONIC_VPSHUFHW, RM_IMM, 3, 1 },
	{ ZYDIS_MNEMONIC_VPSHUFLW, RM_IMM, 3, 1 },
	{ ZYDIS_MNEMONIC_VPERMQ, RM_IMM, 2, 1 },
	{ ZYDIS_MNEMONIC_VPSLLDQ, RV_IMM, 3, 1 },
	{ ZYDIS_MNEMONIC_VPSRLDQ, RV_IMM, 3, 1 },
	{ ZYDIS_MNEMONIC_VPERMD, RVM, 2, 1 },
	{ ZYDIS_MNEMONIC_VPSLLVD, RVM, 3, 1 },
	{ ZYDIS_MNEMONIC_VPSLLVQ, RVM, 3, 1 },
	{ ZYDIS_MNEMONIC_VPSRLVD, RVM, 3, 1 },
	{ ZYDIS_MNEMONIC_VPSRLVQ, RVM, 3, 1 },
	{ ZYDIS_MNEMONIC_VPSRAVD, RVM, 3, 1 },
	{ ZYDIS_MNEMONIC_VPBLENDVB, RVM_R, 3, 1 },
	{ ZYDIS_MNEMONIC_VPTEST, TEST, 3, 1 },
	{ ZYDIS_MNEMONIC_VPMOVSXBW, HALF_SOURCE, 3, 2 },
	{ ZYDIS_MNEMONIC_VPMOVSXBD, HALF_SOURCE, 3, 4 },
	{ ZYDIS_MNEMONIC_VPMOVSXBQ, HALF_SOURCE, 3, 8 },
	{ ZYDIS_MNEMONIC_VPMOVSXWD, HALF_SOURCE, 3, 2 },
	{ ZYDIS_MNEMONIC_VPMOVSXWQ, HALF_SOURCE, 3, 4 },
	{ ZYDIS_MNEMONIC_VPMOVSXDQ, HALF_SOURCE, 3, 2 },
	{ ZYDIS_MNEMONIC_VPMOVZXBW, HALF_SOURCE, 3, 2 },
	{ ZYDIS_MNEMONIC_VPMOVZXBD, HALF_SOURCE, 3, 4 },
	{ ZYDIS_MNEMONIC_VPMOVZXBQ, HALF_SOURCE, 3, 8 },
	{ ZYDIS_MNEMONIC_VPMOVZXWD, HALF_SOURCE, 3, 2 },
	{ ZYDIS_MNEMONIC_VPMOVZXWQ, HALF_SOURCE, 3, 4 },
	{ ZYDIS_MNEMONIC_VPMOVZXDQ, HALF_SOURCE, 3, 2 },
	{ ZYDIS_MNEMONIC_VPBROADCASTB, HALF_SOURCE, 3, 0 },
	{ ZYDIS_MNEMONIC_VPBROADCASTW, HALF_SOURCE, 3, 0 },
	{ ZYDIS_MNEMONIC_VPBROADCASTD, HALF_SOURCE, 3, 0 },
	{ ZYDIS_MNEMONIC_VPBROADCASTQ, HALF_SOURCE, 3, 0 },
	{ ZYDIS_MNEMONIC_VINSERTI128, INSERT128, 2, 1 },
	{ ZYDIS_MNEMONIC_VEXTRACTI128, EXTRACT128, 2, 1 },
	{ ZYDIS_MNEMONIC_VPHMINPOSUW, RM, 1, 1 },
};

ZydisRegister gen_vreg(unsigned n, unsigned bytes)
{
	return (ZydisRegister)((bytes == 32 ? ZYDIS_REGISTER_YMM0 : ZYDIS_REGISTER_XMM0) + n);
}

bool gen_load_ymm_value(struct gen *g, unsigned n, const uint64_t q[4])
{
	ZydisEncoderRequest r;

	if (!gen_load_xmm_value(g, TEMP_HI, q[2], q[3], TEMP_LO) || !gen_load_xmm_value(g, n, q[0], q[1], TEMP_LO))
		return false;
	gen_req_init(&r, ZYDIS_MNEMONIC_VINSERTI128);
	gen_add_reg(&r, gen_vreg(n, 32));
	gen_add_reg(&r, gen_vreg(n, 32));
	gen_add_reg(&r, gen_vreg(TEMP_HI, 16));
	gen_add_imm(&r, 1);
	return gen_emit(g, &r, 0, 0, 0);
}

bool gen_load_ymm(struct gen *g, unsigned n)
{
	uint64_t q[4];

	for (unsigned i = 0; i < 4; i++)
		q[i] = gen_value(&g->r);
	return gen_load_ymm_value(g, n, q);
}

bool gen_show_ymm(struct gen *g, unsigned n)
{
	ZydisEncoderRequest q;

	gen_req_init(&q, ZYDIS_MNEMONIC_VEXTRACTI128);
	gen_add_reg(&q, gen_vreg(TEMP_HI, 16));
	gen_add_reg(&q, gen_vreg(n, 32));
	gen_add_imm(&q, 1);
	return gen_emit(g, &q, 0, 0, 0) && gen_show_xmm(g, n) && gen_show_xmm(g, TEMP_HI);
}

/* `size` bytes of the data page, aligned to size, through a loaded base; one
 * in 12 in the unmapped page after it. */
static bool vex_mem(struct gen *g, unsigned size, ZydisEncoderOperand *op)
{
	unsigned base = gen_reg(g, 8, true);
	int64_t addr;

	memset(op, 0, sizeof(*op));
	op->type = ZYDIS_OPERAND_TYPE_MEMORY;
	op->mem.size = (ZyanU16)size;
	if (rng_chance(&g->r, 1, 12)) {
		g->faulting = true;
		addr = (int64_t)(GI_DATA + 4096);
	} else {
		addr = (int64_t)rng_range(&g->r, ADDR_LO, ADDR_HI) & ~(int64_t)(size - 1);
	}
	if (!gen_emit_setup(g, base, addr))
		return false;
	op->mem.base = gen_gpr(8, base);
	return true;
}

/* A register (loaded whole) or memory source of `bytes`. */
static bool vex_source(struct gen *g, ZydisEncoderRequest *q, unsigned bytes, bool *mem)
{
	ZydisEncoderOperand m;
	unsigned s = rng_below(&g->r, YMM_USED);

	*mem = rng_chance(&g->r, 1, 3);
	if (!*mem) {
		gen_add_reg(q, gen_vreg(s, bytes < 16 ? 16 : bytes));
		return gen_load_ymm(g, s);
	}
	if (!vex_mem(g, bytes, &m))
		return false;
	gen_add_op(q, &m);
	return true;
}

/* A narrowing source's size; a broadcast's is its element's (Zydis's
 * mnemonics are in alphabetical order: VPBROADCASTMB2Q lies between D and
 * Q, so they cannot be indexed from B). */
static unsigned half_source_size(const struct vex_op *o, unsigned bytes)
{
	if (o->ratio)
		return bytes / o->ratio;
	switch (o->m) {
	case ZYDIS_MNEMONIC_VPBROADCASTB:
		return 1;
	case ZYDIS_MNEMONIC_VPBROADCASTW:
		return 2;
	case ZYDIS_MNEMONIC_VPBROADCASTD:
		return 4;
	default: /* VPBROADCASTQ */
		return 8;
	}
}

static bool avx_int_unit(struct gen *g)
{
	const struct vex_op *o = &lane_ops[rng_below(&g->r, ARRAY_LEN(lane_ops))];
	unsigned bytes = o->widths == 3 ? (rng_chance(&g->r, 1, 2) ? 32 : 16) : o->widths == 2 ? 32 : 16;
	unsigned d = rng_below(&g->r, YMM_USED), v = rng_below(&g->r, YMM_USED);
	ZydisEncoderRequest q;
	bool mem = false;

	if (!gen_load_ymm(g, d) || !gen_load_ymm(g, v))
		return false;
	gen_req_init(&q, o->m);
	switch (o->shape) {
	case TEST:
		gen_add_reg(&q, gen_vreg(d, bytes));
		if (!vex_source(g, &q, bytes, &mem))
			return false;
		return gen_emit_accessing(g, &q, 0, F_ALL, 0, mem);
	case EXTRACT128:
		gen_add_reg(&q, gen_vreg(d, 16));
		gen_add_reg(&q, gen_vreg(v, 32));
		gen_add_imm(&q, rng_below(&g->r, 256));
		return gen_emit(g, &q, 0, 0, 0) && gen_show_ymm(g, d);
	case RM:
	case RM_IMM:
	case HALF_SOURCE:
		gen_add_reg(&q, gen_vreg(d, bytes));
		if (!vex_source(g, &q, o->shape == HALF_SOURCE ? half_source_size(o, bytes) : bytes, &mem))
			return false;
		break;
	case RV_IMM:
		gen_add_reg(&q, gen_vreg(d, bytes));
		gen_add_reg(&q, gen_vreg(v, bytes));
		break;
	default:
		gen_add_reg(&q, gen_vreg(d, bytes));
		gen_add_reg(&q, gen_vreg(v, bytes));
		if (!vex_source(g, &q, o->shape == RVM_XCOUNT ? 16 : o->shape == INSERT128 ? 16 : bytes, &mem))
			return false;
		break;
	}
	if (o->shape == RVM_R) {
		unsigned k = rng_below(&g->r, YMM_USED);

		if (!gen_load_ymm(g, k))
			return false;
		gen_add_reg(&q, gen_vreg(k, bytes));
	}
	if (o->shape == RVM_IMM || o->shape == RM_IMM || o->shape == INSERT128)
		gen_add_imm(&q, rng_below(&g->r, 256));
	if (o->shape == RV_IMM)
		gen_add_imm(&q, rng_chance(&g->r, 3, 4) ? rng_below(&g->r, 20) : rng_below(&g->r, 256));
	return gen_emit_accessing(g, &q, 0, 0, 0, mem) && gen_show_ymm(g, d);
}

bool fam_avx_int(struct gen *g)
{
	return gen_joined_unit(g, avx_int_unit);
}
