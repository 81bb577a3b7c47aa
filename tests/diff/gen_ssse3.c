/* The x86-64-v2 families: SSE3 (the floating-point operations under a random
 * MXCSR, the duplicating moves, LDDQU), SSSE3 in its MMX and XMM forms, and
 * POPCNT. FISTTP is with the x87 families (gen_x87.c).
 *
 * The SIMD units are joined, load the registers they read and show their
 * results as the MMX units do (gen_mmx.c). An XMM form's m128 operand must be
 * 16-byte aligned: it is, but for one in 16 that is not, to see #GP(0), and
 * only where no kvm reference runs (on the nested development host that
 * reference reports #UD for a #GP of an SSE instruction with a memory operand,
 * README.md). A unit that changes MXCSR sets it back to 0x1f80 right after
 * the operation, and every access between is aligned, so that no #AC (with
 * RFLAGS.AC set) ends the sequence before: on the nested development host
 * the kvm reference seemed to keep the MXCSR a sequence left for the next one
 * (a CVTPI2PS rounded otherwise only after such a sequence), whatever the
 * state loaded; the native child loads 0x1f80 before each (native_entry.S). */
#include "gen_internal.h"

#include <string.h>

/* Operands for the floating-point operations: two singles or a double, near
 * the edges (zeros, denormals, infinities, NaNs, extremes, ones). */
static uint64_t fp_bits(struct gen *g)
{
	static const uint32_t singles[] = { 0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x7f800000, 0xff800000,
					    0x7fc00000, 0x7fa00000, 0x7f7fffff, 0x00800000, 0x3f800000, 0xbfc00000 };
	static const uint64_t doubles[] = { 0x0000000000000000ull, 0x8000000000000001ull, 0x000fffffffffffffull,
					    0x7ff0000000000000ull, 0xfff8000000000000ull, 0x7ff4000000000000ull,
					    0x7fefffffffffffffull, 0x0010000000000000ull, 0x3ff0000000000000ull,
					    0xc008000000000000ull };

	switch (rng_below(&g->r, 4)) {
	case 0:
		return doubles[rng_below(&g->r, ARRAY_LEN(doubles))];
	case 1:
		return singles[rng_below(&g->r, ARRAY_LEN(singles))] |
		       (uint64_t)singles[rng_below(&g->r, ARRAY_LEN(singles))] << 32;
	case 2: /* near one another: results that round */
		return (rng_next(&g->r) & 0x807fffff807fffffull) | 0x3f0000003f000000ull;
	default:
		return rng_next(&g->r);
	}
}

static bool load_xmm_random(struct gen *g, unsigned n, bool fp)
{
	/* xmm((N + 1) & 15) is clobbered. */
	return gen_load_xmm_value(g, n, fp ? fp_bits(g) : gen_value(&g->r), fp ? fp_bits(g) : gen_value(&g->r),
				  (n + 1) & 15);
}

/* A memory operand of size bytes (16 or less) at a 16-byte aligned address in
 * the data page, or
 * (misaligned) at one that is not, nor 8 past one: with RFLAGS.AC set at CPL 3
 * the AMD host raises #AC for LDDQU there, and the software engines, which
 * check a 16-byte unaligned load as two 8-byte ones, do not (the difference
 * docs/cpu-model.md gives for MOVDQU). */
static bool aligned_mem(struct gen *g, unsigned size, bool misaligned, ZydisEncoderOperand *op)
{
	unsigned base = gen_reg(g, 8, true);
	uint64_t at = (uint64_t)rng_range(&g->r, ADDR_LO, ADDR_HI) & ~15ull, off = 1 + rng_below(&g->r, 14);

	if (misaligned)
		at += off < 8 ? off : off + 1;
	if (!gen_emit_setup(g, base, (int64_t)at))
		return false;
	memset(op, 0, sizeof(*op));
	op->type = ZYDIS_OPERAND_TYPE_MEMORY;
	op->mem.size = (ZyanU16)size;
	op->mem.base = gen_gpr(8, base);
	op->mem.displacement = 16 * rng_range(&g->r, -8, 8);
	return true;
}

/* Whether an aligned-only m128 is misaligned this time (see the top). */
static bool misalign(struct gen *g)
{
	return !gen_host_state_allowed && rng_chance(&g->r, 1, 16);
}

/* An XMM source for q: a register with values loaded, or memory of size bytes
 * (16: aligned unless unaligned_ok says any address will do). */
static bool xmm_source(struct gen *g, unsigned dst, unsigned size, bool unaligned_ok, bool may_fault, bool fp,
		       ZydisEncoderRequest *q)
{
	ZydisEncoderOperand m;
	unsigned s = rng_below(&g->r, 16), used;

	if (rng_chance(&g->r, 1, 2)) {
		if (s != dst && !load_xmm_random(g, s, fp))
			return false;
		gen_add_reg(q, gen_xmm_reg(s));
		return true;
	}
	if (size == 16 && !unaligned_ok) {
		if (!aligned_mem(g, 16, may_fault && misalign(g), &m))
			return false;
	} else if (!gen_mem(g, size, 0, &m, &used, &q->prefixes)) {
		return false;
	}
	gen_add_op(q, &m);
	return true;
}

/* `op m32` at an aligned address: no #AC, whatever RFLAGS.AC is. */
static bool emit_aligned_m32(struct gen *g, ZydisMnemonic op)
{
	ZydisEncoderOperand m;
	ZydisEncoderRequest q;

	if (!aligned_mem(g, 4, false, &m))
		return false;
	gen_req_init(&q, op);
	gen_add_op(&q, &m);
	return gen_encodable(&q) && gen_append(g, &q, 0, 0, 0);
}

/* MXCSR = v, through an aligned dword of the data page: MOV m32, imm32 and
 * LDMXCSR of the same operand. */
static bool set_mxcsr(struct gen *g, uint32_t v)
{
	ZydisEncoderOperand m;
	ZydisEncoderRequest q;

	if (!aligned_mem(g, 4, false, &m))
		return false;
	gen_req_init(&q, ZYDIS_MNEMONIC_MOV);
	gen_add_op(&q, &m);
	gen_add_imm(&q, v);
	if (!gen_encodable(&q) || !gen_append(g, &q, 0, 0, 0))
		return false;
	q.mnemonic = ZYDIS_MNEMONIC_LDMXCSR;
	q.operand_count = 1;
	return gen_encodable(&q) && gen_append(g, &q, 0, 0, 0);
}

/* ADDSUBPS/PD, HADDPS/PD, HSUBPS/PD under an MXCSR with every exception
 * masked and any rounding, DAZ and FZ; the result and the flags raised shown,
 * MXCSR set back. */
static bool sse3_fp(struct gen *g)
{
	static const ZydisMnemonic ops[] = { ZYDIS_MNEMONIC_ADDSUBPS, ZYDIS_MNEMONIC_ADDSUBPD, ZYDIS_MNEMONIC_HADDPS,
					     ZYDIS_MNEMONIC_HADDPD,   ZYDIS_MNEMONIC_HSUBPS,   ZYDIS_MNEMONIC_HSUBPD };
	unsigned d = rng_below(&g->r, 16);
	ZydisEncoderRequest q;

	if (!set_mxcsr(g, 0x1f80u | ((uint32_t)rng_next(&g->r) & 0xe040u)) || !load_xmm_random(g, d, true))
		return false;
	gen_req_init(&q, PICK(g, ops));
	gen_add_reg(&q, gen_xmm_reg(d));
	if (!xmm_source(g, d, 16, false, false, true, &q) || !gen_emit_accessing(g, &q, 0, 0, 0, true))
		return false;
	return emit_aligned_m32(g, ZYDIS_MNEMONIC_STMXCSR) && set_mxcsr(g, 0x1f80u) && gen_show_xmm(g, d);
}

/* MOVSHDUP, MOVSLDUP (aligned m128), MOVDDUP (m64), LDDQU (any m128). */
static bool sse3_move(struct gen *g)
{
	static const ZydisMnemonic ops[] = { ZYDIS_MNEMONIC_MOVSHDUP, ZYDIS_MNEMONIC_MOVSLDUP, ZYDIS_MNEMONIC_MOVDDUP,
					     ZYDIS_MNEMONIC_LDDQU };
	ZydisMnemonic m = PICK(g, ops);
	unsigned d = rng_below(&g->r, 16);
	ZydisEncoderOperand mem;
	ZydisEncoderRequest q;

	/* Loaded though overwritten: the source may be the same register. */
	if (!load_xmm_random(g, d, false))
		return false;
	gen_req_init(&q, m);
	gen_add_reg(&q, gen_xmm_reg(d));
	if (m == ZYDIS_MNEMONIC_LDDQU) { /* memory only, aligned or not */
		if (!aligned_mem(g, 16, rng_chance(&g->r, 1, 2), &mem))
			return false;
		gen_add_op(&q, &mem);
	} else if (!xmm_source(g, d, m == ZYDIS_MNEMONIC_MOVDDUP ? 8 : 16, false, true, false, &q)) {
		return false;
	}
	return gen_emit_accessing(g, &q, 0, 0, 0, true) && gen_show_xmm(g, d);
}

static bool sse3_unit(struct gen *g)
{
	return rng_chance(&g->r, 1, 2) ? sse3_fp(g) : sse3_move(g);
}

static bool ssse3_unit(struct gen *g)
{
	static const ZydisMnemonic ops[] = {
		ZYDIS_MNEMONIC_PSHUFB,	 ZYDIS_MNEMONIC_PHADDW, ZYDIS_MNEMONIC_PHADDD,	ZYDIS_MNEMONIC_PHADDSW,
		ZYDIS_MNEMONIC_PHSUBW,	 ZYDIS_MNEMONIC_PHSUBD, ZYDIS_MNEMONIC_PHSUBSW, ZYDIS_MNEMONIC_PMADDUBSW,
		ZYDIS_MNEMONIC_PMULHRSW, ZYDIS_MNEMONIC_PSIGNB, ZYDIS_MNEMONIC_PSIGNW,	ZYDIS_MNEMONIC_PSIGND,
		ZYDIS_MNEMONIC_PABSB,	 ZYDIS_MNEMONIC_PABSW,	ZYDIS_MNEMONIC_PABSD,	ZYDIS_MNEMONIC_PALIGNR,
	};
	ZydisMnemonic m = PICK(g, ops);
	bool mmx = rng_chance(&g->r, 1, 2);
	unsigned d = rng_below(&g->r, mmx ? 8 : 16);
	ZydisEncoderRequest q;

	gen_req_init(&q, m);
	if (mmx) {
		if (!gen_load_mm(g, d))
			return false;
		gen_add_reg(&q, gen_mm_reg(d));
		if (!gen_mm_source(g, d, 8, &q))
			return false;
	} else {
		if (!load_xmm_random(g, d, false))
			return false;
		gen_add_reg(&q, gen_xmm_reg(d));
		if (!xmm_source(g, d, 16, false, true, false, &q))
			return false;
	}
	if (m == ZYDIS_MNEMONIC_PALIGNR)
		gen_add_imm(&q, rng_chance(&g->r, 3, 4) ? rng_below(&g->r, 33) : rng_below(&g->r, 256));
	if (!gen_emit_accessing(g, &q, 0, 0, 0, true))
		return false;
	return mmx ? gen_show(g, gen_mm_reg(d)) : gen_show_xmm(g, d);
}

bool fam_sse3(struct gen *g)
{
	return gen_joined_unit(g, sse3_unit);
}

bool fam_ssse3(struct gen *g)
{
	return gen_joined_unit(g, ssse3_unit);
}

/* POPCNT r, r/m at 16, 32 and 64 bits: ZF defined, the others cleared. Its
 * memory operands may be aimed to fault, as the integer families' are. */
bool fam_popcnt(struct gen *g)
{
	unsigned size = gen_size_no8(g);
	ZydisEncoderOperand src;
	ZydisEncoderRequest q;

	/* Not where a kvm reference runs: the nested development host reports
	 * #UD for POPCNT's #GP, as for the SIMD instructions' (README.md). */
	g->no_faults = gen_host_state_allowed;
	gen_req_init(&q, ZYDIS_MNEMONIC_POPCNT);
	gen_add_reg(&q, gen_gpr(size, gen_reg(g, size, true)));
	if (!gen_rm(g, size, false, rng_chance(&g->r, 1, 3), 0, &src, &q.prefixes))
		return false;
	gen_add_op(&q, &src);
	return gen_emit(g, &q, 0, F_ALL, 0);
}
