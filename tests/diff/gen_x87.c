/* x87 instructions with results in memory: FBLD and FBSTP (packed BCD),
 * FXTRACT, FPTAN and FSINCOS, each on a value loaded from the data page
 * (random bytes, or a double or an extended value made of them), every
 * result stored with FSTP m80 and the status word read with FNSTSW.
 *
 * The registers a unit reads are the ones it pushed, so what earlier
 * sequences left in the native child's registers never shows; the stack
 * may be full (an MMX unit before it tags every register valid), and then
 * the push overflows the same way everywhere. */
#include "gen_internal.h"

bool gen_emit_mem(struct gen *g, ZydisMnemonic m, unsigned size)
{
	ZydisEncoderOperand op;
	ZydisEncoderRequest q;
	unsigned used;

	gen_req_init(&q, m);
	if (!gen_mem(g, size, 0, &op, &used, &q.prefixes))
		return false;
	gen_add_op(&q, &op);
	return gen_emit_accessing(g, &q, 0, 0, 0, true);
}

static bool status_to_ax(struct gen *g)
{
	ZydisEncoderRequest q;

	gen_req_init(&q, ZYDIS_MNEMONIC_FNSTSW);
	gen_add_reg(&q, ZYDIS_REGISTER_AX);
	return gen_emit(g, &q, 0, 0, 0);
}

/* FXTRACT always pushes (masked, an overflow pushes the indefinite QNaN), so
 * both results are stored; FPTAN and FSINCOS push nothing when out of range
 * (C2), where a second FSTP would read a register no unit loaded: one is
 * stored, and FNSTSW shows C2. */
static bool bcd_split_unit(struct gen *g)
{
	static const ZydisMnemonic split[] = { ZYDIS_MNEMONIC_FXTRACT, ZYDIS_MNEMONIC_FPTAN, ZYDIS_MNEMONIC_FSINCOS };
	unsigned kind = rng_below(&g->r, 3);
	ZydisMnemonic m;

	if (kind == 0) /* FBLD of ten random bytes, digits above 9 included */
		return gen_emit_mem(g, ZYDIS_MNEMONIC_FBLD, 10) && status_to_ax(g) &&
		       gen_emit_mem(g, ZYDIS_MNEMONIC_FSTP, 10);
	if (!gen_emit_mem(g, ZYDIS_MNEMONIC_FLD, rng_chance(&g->r, 1, 2) ? 8 : 10))
		return false;
	if (kind == 1)
		return gen_emit_mem(g, ZYDIS_MNEMONIC_FBSTP, 10) && status_to_ax(g);
	m = PICK(g, split);
	if (!gen_emit_plain(g, m, 0, 0, 0) || !status_to_ax(g) || !gen_emit_mem(g, ZYDIS_MNEMONIC_FSTP, 10))
		return false;
	return m != ZYDIS_MNEMONIC_FXTRACT || gen_emit_mem(g, ZYDIS_MNEMONIC_FSTP, 10);
}

bool fam_x87_bcd_split(struct gen *g)
{
	return gen_joined_unit(g, bcd_split_unit);
}

/* FISTTP (SSE3) m16, m32 or m64 of a value loaded from the data page (a
 * double or an extended value of random bytes: NaNs, infinities and values
 * beyond the integer's range included), and the status word (IE, PE, C1). */
static bool fisttp_unit(struct gen *g)
{
	static const unsigned sizes[] = { 2, 4, 8 };

	return gen_emit_mem(g, ZYDIS_MNEMONIC_FLD, rng_chance(&g->r, 1, 2) ? 8 : 10) &&
	       gen_emit_mem(g, ZYDIS_MNEMONIC_FISTTP, sizes[rng_below(&g->r, 3)]) && status_to_ax(g);
}

bool fam_x87_fisttp(struct gen *g)
{
	return gen_joined_unit(g, fisttp_unit);
}
