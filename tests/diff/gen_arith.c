/* Families of arithmetic instructions, with their flags per the SDM's "Flags
 * Affected": ALU ops, INC/DEC/NEG/NOT, shifts and rotates, multiply and divide,
 * bit tests and scans, CMPXCHG/XADD/CMPXCHG8B/16B. */
#include "gen_internal.h"

static bool is_rotate(ZydisMnemonic m)
{
	return m == ZYDIS_MNEMONIC_ROL || m == ZYDIS_MNEMONIC_ROR || m == ZYDIS_MNEMONIC_RCL || m == ZYDIS_MNEMONIC_RCR;
}

/* Shifts and rotates; count < 0: by CL, unknown here. A masked count of 0
 * changes nothing; rotates leave SF, ZF, AF and PF alone; OF is defined only for
 * a count of 1; AF is undefined after a shift; CF is undefined for SHL/SHR when
 * the count is at least the operand width. Unknown counts take the union. */
static struct flag_effect shift_flags(ZydisMnemonic m, unsigned size, int count)
{
	bool rot = is_rotate(m), thru = m == ZYDIS_MNEMONIC_RCL || m == ZYDIS_MNEMONIC_RCR;
	bool cf_may_vanish = !rot && m != ZYDIS_MNEMONIC_SAR;
	struct flag_effect e = { thru ? F_CF : 0, 0, 0 };
	unsigned c;

	if (count < 0) {
		e.undef = F_OF | (rot ? 0 : F_AF) | (cf_may_vanish && size <= 2 ? F_CF : 0);
		return e;
	}
	c = (unsigned)count & (size == 8 ? 63 : 31);
	if (c == 0)
		return (struct flag_effect){ 0, 0, 0 };
	e.def = (uint16_t)(F_CF | (c == 1 ? F_OF : 0) | (rot ? 0 : F_SZP));
	e.undef = (uint16_t)((c == 1 ? 0 : F_OF) | (rot ? 0 : F_AF));
	if (cf_may_vanish && c >= size * 8) {
		e.def &= (uint16_t)~F_CF;
		e.undef |= F_CF;
	}
	return e;
}

/* SHLD/SHRD: like a shift, for counts up to the operand width. */
static struct flag_effect double_shift_flags(int count, unsigned size)
{
	unsigned c = (unsigned)count & (size == 8 ? 63 : 31);

	if (count < 0)
		return (struct flag_effect){ 0, 0, F_AF | F_OF };
	if (c == 0)
		return (struct flag_effect){ 0, 0, 0 };
	return (struct flag_effect){ 0, (uint16_t)(F_CF | F_SZP | (c == 1 ? F_OF : 0)),
				     (uint16_t)(F_AF | (c == 1 ? 0 : F_OF)) };
}

static struct flag_effect alu_flags(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_ADC:
	case ZYDIS_MNEMONIC_SBB:
		return (struct flag_effect){ F_CF, F_ALL, 0 };
	case ZYDIS_MNEMONIC_ADD:
	case ZYDIS_MNEMONIC_SUB:
	case ZYDIS_MNEMONIC_CMP:
		return (struct flag_effect){ 0, F_ALL, 0 };
	case ZYDIS_MNEMONIC_AND:
	case ZYDIS_MNEMONIC_OR:
	case ZYDIS_MNEMONIC_XOR:
	case ZYDIS_MNEMONIC_TEST: /* "The state of the AF flag is undefined." */
		return (struct flag_effect){ 0, F_ALL & ~F_AF, F_AF };
	default:
		return (struct flag_effect){ 0, 0, 0 };
	}
}

enum op_form { F_RR, F_RM, F_MR, F_RI, F_MI, F_FORMS };

bool fam_alu(struct gen *g)
{
	static const ZydisMnemonic ops[] = {
		ZYDIS_MNEMONIC_ADD, ZYDIS_MNEMONIC_OR,	ZYDIS_MNEMONIC_ADC, ZYDIS_MNEMONIC_SBB,	 ZYDIS_MNEMONIC_AND,
		ZYDIS_MNEMONIC_SUB, ZYDIS_MNEMONIC_XOR, ZYDIS_MNEMONIC_CMP, ZYDIS_MNEMONIC_TEST, ZYDIS_MNEMONIC_MOV,
	};
	ZydisMnemonic m = PICK(g, ops);
	unsigned size = gen_size(g);
	enum op_form f = (enum op_form)rng_below(&g->r, F_FORMS);
	ZydisEncoderOperand dst, src;
	ZydisEncoderRequest q;

	if (m == ZYDIS_MNEMONIC_TEST && f == F_RM)
		f = F_MR;
	gen_req_init(&q, m);
	if (!gen_rm(g, size, true, f == F_MR || f == F_MI, 0, &dst, &q.prefixes))
		return false;
	gen_add_op(&q, &dst);
	if (f == F_RI || f == F_MI)
		gen_add_imm(&q, m == ZYDIS_MNEMONIC_MOV && size == 8 && rng_chance(&g->r, 1, 2)
				    ? (int64_t)gen_value(&g->r)
				    : gen_imm(&g->r, gen_imm_bits(size)));
	else if (!gen_rm(g, size, false, f == F_RM, 0, &src, &q.prefixes))
		return false;
	else
		gen_add_op(&q, &src);
	if (m != ZYDIS_MNEMONIC_CMP && m != ZYDIS_MNEMONIC_TEST && m != ZYDIS_MNEMONIC_MOV)
		gen_maybe_lock(g, &q);
	return gen_emit_fx(g, &q, alu_flags(m));
}

bool fam_unary(struct gen *g)
{
	static const ZydisMnemonic ops[] = { ZYDIS_MNEMONIC_INC, ZYDIS_MNEMONIC_DEC, ZYDIS_MNEMONIC_NEG,
					     ZYDIS_MNEMONIC_NOT };
	static const struct flag_effect fx[] = {
		{ 0, F_ALL & ~F_CF, 0 }, /* INC, DEC: CF unaffected */
		{ 0, F_ALL & ~F_CF, 0 },
		{ 0, F_ALL, 0 },
		{ 0, 0, 0 },
	};
	unsigned k = rng_below(&g->r, ARRAY_LEN(ops)), size = gen_size(g);
	ZydisEncoderOperand dst;
	ZydisEncoderRequest q;

	gen_req_init(&q, ops[k]);
	if (!gen_rm(g, size, true, rng_chance(&g->r, 1, 3), 0, &dst, &q.prefixes))
		return false;
	gen_add_op(&q, &dst);
	gen_maybe_lock(g, &q);
	return gen_emit_fx(g, &q, fx[k]);
}

static int rand_count(struct gen *g, unsigned size)
{
	unsigned bits = size * 8;
	const int picks[] = { 1, 0, (int)bits - 1, (int)bits, (int)bits + 1, 31, 32, 33, 63, 64, 65 };

	if (rng_chance(&g->r, 1, 2))
		return picks[rng_below(&g->r, ARRAY_LEN(picks))];
	return (int)rng_below(&g->r, rng_chance(&g->r, 1, 2) ? bits + 2 : 256);
}

bool fam_shift(struct gen *g)
{
	static const ZydisMnemonic ops[] = { ZYDIS_MNEMONIC_ROL, ZYDIS_MNEMONIC_ROR, ZYDIS_MNEMONIC_RCL,
					     ZYDIS_MNEMONIC_RCR, ZYDIS_MNEMONIC_SHL, ZYDIS_MNEMONIC_SHR,
					     ZYDIS_MNEMONIC_SAR };
	ZydisMnemonic m = PICK(g, ops);
	unsigned size = gen_size(g);
	int count = rng_chance(&g->r, 1, 3) ? -1 : rand_count(g, size);
	ZydisEncoderOperand dst;
	ZydisEncoderRequest q;

	gen_req_init(&q, m);
	if (!gen_rm(g, size, true, rng_chance(&g->r, 1, 3), 0, &dst, &q.prefixes))
		return false;
	gen_add_op(&q, &dst);
	if (count < 0)
		gen_add_reg(&q, ZYDIS_REGISTER_CL);
	else
		gen_add_imm(&q, count & 0xff); /* shift counts are unsigned imm8 */
	return gen_emit_fx(g, &q, shift_flags(m, size, count));
}

bool fam_double_shift(struct gen *g)
{
	ZydisMnemonic m = rng_chance(&g->r, 1, 2) ? ZYDIS_MNEMONIC_SHLD : ZYDIS_MNEMONIC_SHRD;
	unsigned size = gen_size_no8(g);
	/* 16-bit operands: a count above 16 leaves the result undefined; not by CL. */
	bool by_cl = size != 2 && rng_chance(&g->r, 1, 3);
	int count = size == 2 ? (int)rng_below(&g->r, 17) : rand_count(g, size);
	ZydisEncoderOperand dst;
	ZydisEncoderRequest q;

	if (size == 2 && rng_chance(&g->r, 1, 4))
		count += 32; /* masks to the same count */
	gen_req_init(&q, m);
	if (!gen_rm(g, size, true, rng_chance(&g->r, 1, 3), 0, &dst, &q.prefixes))
		return false;
	gen_add_op(&q, &dst);
	gen_add_reg(&q, gen_gpr(size, gen_reg(g, size, false)));
	if (by_cl)
		gen_add_reg(&q, ZYDIS_REGISTER_CL);
	else
		gen_add_imm(&q, count & 0xff);
	return gen_emit_fx(g, &q, double_shift_flags(by_cl ? -1 : count, size));
}

/* DIV/IDIV: often load rDX (or AH) so that the quotient fits; #DE stays
 * possible and is compared like any other outcome. */
static bool divide_setup(struct gen *g, ZydisMnemonic m, unsigned size)
{
	static const ZydisMnemonic sign_extend[] = { ZYDIS_MNEMONIC_CBW, ZYDIS_MNEMONIC_CWD, ZYDIS_MNEMONIC_CDQ,
						     ZYDIS_MNEMONIC_CQO };
	ZydisEncoderRequest q;
	struct item *it;

	if (rng_chance(&g->r, 1, 4))
		return true;
	if (m == ZYDIS_MNEMONIC_IDIV) {
		gen_req_init(&q, sign_extend[size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3]);
	} else {
		gen_req_init(&q, ZYDIS_MNEMONIC_MOV);
		gen_add_reg(&q, size == 1 ? ZYDIS_REGISTER_AH : ZYDIS_REGISTER_EDX);
		gen_add_imm(&q, rng_range(&g->r, 0, 2));
	}
	if (!gen_encodable(&q) || !(it = gen_append(g, &q, 0, 0, 0)))
		return false;
	it->setup = 1;
	return true;
}

bool fam_muldiv(struct gen *g)
{
	static const ZydisMnemonic ops[] = { ZYDIS_MNEMONIC_MUL, ZYDIS_MNEMONIC_IMUL, ZYDIS_MNEMONIC_DIV,
					     ZYDIS_MNEMONIC_IDIV };
	ZydisMnemonic m = PICK(g, ops);
	unsigned size = gen_size(g);
	bool divide = m == ZYDIS_MNEMONIC_DIV || m == ZYDIS_MNEMONIC_IDIV;
	ZydisEncoderOperand src;
	ZydisEncoderRequest q;

	gen_req_init(&q, m);
	if (divide && !divide_setup(g, m, size))
		return false;
	if (!gen_rm(g, size, false, rng_chance(&g->r, 1, 3), (1u << RAX_N) | (1u << RDX_N), &src, &q.prefixes))
		return false;
	gen_add_op(&q, &src);
	if (divide)
		return gen_emit(g, &q, 0, 0, F_ALL);
	/* MUL, IMUL: CF and OF defined; SF, ZF, AF and PF undefined. */
	return gen_emit(g, &q, 0, F_CF | F_OF, F_SZP | F_AF);
}

bool fam_imul(struct gen *g)
{
	unsigned size = gen_size_no8(g);
	ZydisEncoderOperand src;
	ZydisEncoderRequest q;

	gen_req_init(&q, ZYDIS_MNEMONIC_IMUL);
	gen_add_reg(&q, gen_gpr(size, gen_reg(g, size, true)));
	if (!gen_rm(g, size, false, rng_chance(&g->r, 1, 3), 0, &src, &q.prefixes))
		return false;
	gen_add_op(&q, &src);
	if (rng_chance(&g->r, 1, 2))
		gen_add_imm(&q, gen_imm(&g->r, rng_chance(&g->r, 1, 2) ? 8 : gen_imm_bits(size)));
	return gen_emit(g, &q, 0, F_CF | F_OF, F_SZP | F_AF);
}

/* BT, BTS, BTR, BTC: CF is the bit; ZF unaffected; OF, SF, AF, PF undefined. A
 * register bit offset with a memory operand reaches outside the operand, so it is
 * loaded with a small signed value first. */
bool fam_bittest(struct gen *g)
{
	static const ZydisMnemonic ops[] = { ZYDIS_MNEMONIC_BT, ZYDIS_MNEMONIC_BTS, ZYDIS_MNEMONIC_BTR,
					     ZYDIS_MNEMONIC_BTC };
	ZydisMnemonic m = PICK(g, ops);
	unsigned size = gen_size_no8(g), off = 0;
	enum op_form f = (enum op_form[]){ F_RR, F_RI, F_MI, F_MR }[rng_below(&g->r, 4)];
	ZydisEncoderOperand dst;
	ZydisEncoderRequest q;

	gen_req_init(&q, m);
	if (f == F_MR) {
		off = gen_reg(g, size, true);
		if (!gen_emit_setup(g, off, rng_range(&g->r, -BITOFF_MAX, BITOFF_MAX)))
			return false;
	}
	if (!gen_rm(g, size, m != ZYDIS_MNEMONIC_BT, f == F_MI || f == F_MR, f == F_MR ? 1u << off : 0, &dst,
		    &q.prefixes))
		return false;
	gen_add_op(&q, &dst);
	if (f == F_RI || f == F_MI)
		gen_add_imm(&q, rng_below(&g->r, 256));
	else
		gen_add_reg(&q, gen_gpr(size, f == F_MR ? off : gen_reg(g, size, false)));
	if (m != ZYDIS_MNEMONIC_BT)
		gen_maybe_lock(g, &q);
	return gen_emit(g, &q, 0, F_CF, F_OF | F_SF | F_AF | F_PF);
}

/* BSF, BSR: ZF defined; the others undefined. */
bool fam_bitscan(struct gen *g)
{
	unsigned size = gen_size_no8(g);
	ZydisEncoderOperand src;
	ZydisEncoderRequest q;

	gen_req_init(&q, rng_chance(&g->r, 1, 2) ? ZYDIS_MNEMONIC_BSF : ZYDIS_MNEMONIC_BSR);
	gen_add_reg(&q, gen_gpr(size, gen_reg(g, size, true)));
	if (!gen_rm(g, size, false, rng_chance(&g->r, 1, 3), 0, &src, &q.prefixes))
		return false;
	gen_add_op(&q, &src);
	return gen_emit(g, &q, 0, F_ZF, F_ALL & ~F_ZF);
}
/* CMPXCHG and XADD: flags as CMP and ADD. */
bool fam_exchange_arith(struct gen *g)
{
	ZydisMnemonic m = rng_chance(&g->r, 1, 2) ? ZYDIS_MNEMONIC_CMPXCHG : ZYDIS_MNEMONIC_XADD;
	unsigned size = gen_size(g);
	ZydisEncoderOperand dst;
	ZydisEncoderRequest q;

	gen_req_init(&q, m);
	if (!gen_rm(g, size, true, rng_chance(&g->r, 1, 2), 0, &dst, &q.prefixes))
		return false;
	gen_add_op(&q, &dst);
	gen_add_reg(&q, gen_gpr(size, gen_reg(g, size, true)));
	gen_maybe_lock(g, &q);
	return gen_emit(g, &q, 0, F_ALL, 0);
}

/* CMPXCHG8B/16B: ZF defined, the other flags unaffected. CMPXCHG16B wants a
 * 16-byte aligned operand (#GP otherwise): mostly aligned, sometimes not. One
 * in 12 is aimed to fault (a #PF has W set, even on a page not present),
 * native only: the kvm reference on the nested development host emulates the
 * #GP of a misaligned non-canonical RBP as #SS (the AMD host: #GP, alignment
 * first). */
bool fam_cmpxchg_wide(struct gen *g)
{
	bool wide = rng_chance(&g->r, 1, 2), wild = gen_native_only_allowed && rng_chance(&g->r, 1, 12);
	unsigned base = gen_reg(g, 8, true);
	uint64_t addr = (uint64_t)rng_range(&g->r, ADDR_LO, ADDR_HI) & ~0xfull;
	ZydisEncoderOperand m = { .type = ZYDIS_OPERAND_TYPE_MEMORY };
	ZydisEncoderRequest q;

	if (wild) {
		addr = gen_wild_address(g, wide ? 16 : 8) & ~0xfull;
		g->native_only = true;
	}
	if (rng_chance(&g->r, 1, 4))
		addr += rng_below(&g->r, 16);
	if (!gen_emit_setup(g, base, (int64_t)addr))
		return false;
	gen_req_init(&q, wide ? ZYDIS_MNEMONIC_CMPXCHG16B : ZYDIS_MNEMONIC_CMPXCHG8B);
	m.mem.base = gen_gpr(8, base);
	m.mem.displacement = wild ? 0 : 16 * rng_range(&g->r, -8, 8);
	m.mem.size = wide ? 16 : 8;
	gen_add_op(&q, &m);
	if (rng_chance(&g->r, 1, 3))
		q.prefixes |= ZYDIS_ATTRIB_HAS_LOCK;
	return gen_emit(g, &q, 0, F_ZF, 0);
}
