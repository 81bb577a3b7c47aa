/* Families of data movement and miscellaneous instructions: SETcc, CMOVcc,
 * MOVZX/MOVSX, LEA, XCHG, the stack, string instructions, flag instructions. */
#include "gen_internal.h"

bool fam_setcc(struct gen *g)
{
	unsigned cc = rng_below(&g->r, 16);
	ZydisEncoderOperand dst;
	ZydisEncoderRequest q;

	gen_req_init(&q, gen_setcc[cc]);
	if (!gen_rm(g, 1, true, rng_chance(&g->r, 1, 3), 0, &dst, &q.prefixes))
		return false;
	gen_add_op(&q, &dst);
	return gen_emit(g, &q, gen_cc_reads(cc), 0, 0);
}

bool fam_cmovcc(struct gen *g)
{
	unsigned cc = rng_below(&g->r, 16), size = gen_size_no8(g);
	ZydisEncoderOperand src;
	ZydisEncoderRequest q;

	gen_req_init(&q, gen_cmovcc[cc]);
	gen_add_reg(&q, gen_gpr(size, gen_reg(g, size, true)));
	if (!gen_rm(g, size, false, rng_chance(&g->r, 1, 3), 0, &src, &q.prefixes))
		return false;
	gen_add_op(&q, &src);
	return gen_emit(g, &q, gen_cc_reads(cc), 0, 0);
}

bool fam_extend(struct gen *g)
{
	static const struct {
		ZydisMnemonic m;
		unsigned dst, src;
	} forms[] = {
		{ ZYDIS_MNEMONIC_MOVZX, 2, 1 }, { ZYDIS_MNEMONIC_MOVZX, 4, 1 },	 { ZYDIS_MNEMONIC_MOVZX, 8, 1 },
		{ ZYDIS_MNEMONIC_MOVZX, 4, 2 }, { ZYDIS_MNEMONIC_MOVZX, 8, 2 },	 { ZYDIS_MNEMONIC_MOVSX, 2, 1 },
		{ ZYDIS_MNEMONIC_MOVSX, 4, 1 }, { ZYDIS_MNEMONIC_MOVSX, 8, 1 },	 { ZYDIS_MNEMONIC_MOVSX, 4, 2 },
		{ ZYDIS_MNEMONIC_MOVSX, 8, 2 }, { ZYDIS_MNEMONIC_MOVSXD, 8, 4 },
	};
	unsigned k = rng_below(&g->r, ARRAY_LEN(forms));
	ZydisEncoderOperand src;
	ZydisEncoderRequest q;

	gen_req_init(&q, forms[k].m);
	gen_add_reg(&q, gen_gpr(forms[k].dst, gen_reg(g, forms[k].dst, true)));
	if (!gen_rm(g, forms[k].src, false, rng_chance(&g->r, 1, 3), 0, &src, &q.prefixes))
		return false;
	gen_add_op(&q, &src);
	return gen_emit(g, &q, 0, 0, 0);
}

/* LEA computes an address without touching memory: any registers will do. */
bool fam_lea(struct gen *g)
{
	unsigned size = gen_size_no8(g), asize = rng_chance(&g->r, 1, 4) ? 4 : 8;
	ZydisEncoderRequest q;
	ZydisEncoderOperand m = { .type = ZYDIS_OPERAND_TYPE_MEMORY };

	gen_req_init(&q, ZYDIS_MNEMONIC_LEA);
	gen_add_reg(&q, gen_gpr(size, gen_reg(g, size, true)));
	if (rng_chance(&g->r, 1, 8) && asize == 8)
		m.mem.base = ZYDIS_REGISTER_RIP;
	else if (!rng_chance(&g->r, 1, 6))
		m.mem.base = gen_gpr(asize, gen_reg(g, 8, false));
	if (m.mem.base != ZYDIS_REGISTER_RIP && rng_chance(&g->r, 1, 2)) {
		m.mem.index = gen_gpr(asize, gen_reg_avoid(g, 8, false, 1u << RSP_N));
		m.mem.scale = (ZyanU8)(1u << rng_below(&g->r, 4));
	}
	m.mem.displacement = rng_chance(&g->r, 1, 2) ? gen_disp(g) : gen_imm(&g->r, 32);
	m.mem.size = (ZyanU16)asize; /* the encoder wants LEA's operand in the address size */
	gen_add_op(&q, &m);
	return gen_emit(g, &q, 0, 0, 0);
}

bool fam_xchg(struct gen *g)
{
	unsigned size = gen_size(g);
	bool mem = rng_chance(&g->r, 1, 3);
	ZydisEncoderOperand a;
	ZydisEncoderRequest q;

	gen_req_init(&q, ZYDIS_MNEMONIC_XCHG);
	if (!gen_rm(g, size, true, mem, 0, &a, &q.prefixes))
		return false;
	gen_add_op(&q, &a);
	gen_add_reg(&q, gen_gpr(size, gen_reg(g, size, true)));
	return gen_emit(g, &q, 0, 0, 0);
}

bool fam_push_pop(struct gen *g)
{
	unsigned size = rng_chance(&g->r, 1, 4) ? 2 : 8;
	bool pop = rng_chance(&g->r, 1, 2), mem = rng_chance(&g->r, 1, 3);
	ZydisEncoderOperand op;
	ZydisEncoderRequest q;

	gen_req_init(&q, pop ? ZYDIS_MNEMONIC_POP : ZYDIS_MNEMONIC_PUSH);
	if (!pop && rng_chance(&g->r, 1, 4)) {
		gen_add_imm(&q, gen_imm(&g->r, rng_chance(&g->r, 1, 2) ? 8 : gen_imm_bits(size)));
		q.operand_size_hint = size == 2 ? ZYDIS_OPERAND_SIZE_HINT_16 : ZYDIS_OPERAND_SIZE_HINT_64;
		return gen_emit(g, &q, 0, 0, 0);
	}
	if (!gen_rm(g, size, pop, mem, 0, &op, &q.prefixes))
		return false;
	gen_add_op(&q, &op);
	return gen_emit(g, &q, 0, 0, 0);
}

/* PUSHF reads every flag. POPF gets a pushed immediate: arithmetic flags, DF,
 * and the system bits CPL 3 may or may not change (IF and IOPL stay; TF, AC and
 * ID change; RF clears). Not NT: the nested host clears it whenever it traps
 * into its kernel (to emulate SMSW under UMIP, for one). */
bool fam_flags_stack(struct gen *g)
{
	bool wide = rng_chance(&g->r, 3, 4);
	uint64_t v = (rng_next(&g->r) & (F_ALL | 0x100 | 0x200 | 0x400 | 0x3000 | 0x10000 | 0x40000 | 0x200000)) | 2;
	ZydisEncoderRequest q;
	struct item *it;

	/* Which misaligned vector accesses AC makes #AC differs between vendors
	 * (gen_sse4.c): AC stays clear where the references are not the model's
	 * vendor (gen_allow_vendor_specific). */
	if (!gen_vendor_specific_allowed)
		v &= ~(uint64_t)0x40000;
	if (rng_chance(&g->r, 1, 2))
		return gen_emit_plain(g, wide ? ZYDIS_MNEMONIC_PUSHFQ : ZYDIS_MNEMONIC_PUSHF, F_ALL, 0, 0);
	gen_req_init(&q, ZYDIS_MNEMONIC_PUSH);
	gen_add_imm(&q, wide ? (int64_t)v : (int64_t)(int16_t)v);
	q.operand_size_hint = wide ? ZYDIS_OPERAND_SIZE_HINT_64 : ZYDIS_OPERAND_SIZE_HINT_16;
	if (!gen_encodable(&q) || !(it = gen_append(g, &q, 0, 0, 0)))
		return false;
	it->setup = 1;
	g->popf_value = wide ? v : v & 0xffff;
	return gen_emit_plain(g, wide ? ZYDIS_MNEMONIC_POPFQ : ZYDIS_MNEMONIC_POPF, 0, F_ALL, 0);
}

/* LEAVE: RSP = RBP, then pop RBP; RBP is loaded with an address in the stack page. */
bool fam_leave(struct gen *g)
{
	ZydisEncoderRequest q;

	if (!gen_emit_setup(g, RBP_N, (int64_t)GEN_RSP + rng_range(&g->r, -0x100, 0x100)))
		return false;
	gen_req_init(&q, ZYDIS_MNEMONIC_LEAVE);
	if (rng_chance(&g->r, 1, 4))
		q.operand_size_hint = ZYDIS_OPERAND_SIZE_HINT_16;
	return gen_emit(g, &q, 0, 0, 0);
}

enum string_op { S_MOVS, S_STOS, S_LODS, S_CMPS, S_SCAS };

bool fam_string(struct gen *g)
{
	static const ZydisMnemonic ops[5][4] = {
		{ ZYDIS_MNEMONIC_MOVSB, ZYDIS_MNEMONIC_MOVSW, ZYDIS_MNEMONIC_MOVSD, ZYDIS_MNEMONIC_MOVSQ },
		{ ZYDIS_MNEMONIC_STOSB, ZYDIS_MNEMONIC_STOSW, ZYDIS_MNEMONIC_STOSD, ZYDIS_MNEMONIC_STOSQ },
		{ ZYDIS_MNEMONIC_LODSB, ZYDIS_MNEMONIC_LODSW, ZYDIS_MNEMONIC_LODSD, ZYDIS_MNEMONIC_LODSQ },
		{ ZYDIS_MNEMONIC_CMPSB, ZYDIS_MNEMONIC_CMPSW, ZYDIS_MNEMONIC_CMPSD, ZYDIS_MNEMONIC_CMPSQ },
		{ ZYDIS_MNEMONIC_SCASB, ZYDIS_MNEMONIC_SCASW, ZYDIS_MNEMONIC_SCASD, ZYDIS_MNEMONIC_SCASQ },
	};
	enum string_op op = (enum string_op)rng_below(&g->r, 5);
	bool compare = op == S_CMPS || op == S_SCAS, rep = rng_chance(&g->r, 2, 3);
	ZydisEncoderRequest q;

	gen_req_init(&q, ops[op][rng_below(&g->r, 4)]);
	if (op != S_STOS && op != S_SCAS && !gen_emit_setup(g, RSI_N, rng_range(&g->r, STR_LO, STR_HI)))
		return false;
	if (op != S_LODS && !gen_emit_setup(g, RDI_N, rng_range(&g->r, STR_LO, STR_HI)))
		return false;
	if (rep && !gen_emit_setup(g, RCX_N, rng_range(&g->r, 0, STR_COUNT_MAX)))
		return false;
	if (rep)
		q.prefixes |= compare && rng_chance(&g->r, 1, 2) ? ZYDIS_ATTRIB_HAS_REPNE : ZYDIS_ATTRIB_HAS_REP;
	if (rng_chance(&g->r, 1, 6))
		q.address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_32;
	if (op != S_STOS && op != S_SCAS && rng_chance(&g->r, 1, 8))
		q.prefixes |= rng_chance(&g->r, 1, 2) ? ZYDIS_ATTRIB_HAS_SEGMENT_FS : ZYDIS_ATTRIB_HAS_SEGMENT_GS;
	if (compare && (q.prefixes & ZYDIS_ATTRIB_HAS_REP)) {
		q.prefixes &= ~(ZydisInstructionAttributes)ZYDIS_ATTRIB_HAS_REP;
		q.prefixes |= ZYDIS_ATTRIB_HAS_REPE;
	}
	/* CMPS/SCAS set all flags, but a repeat with RCX = 0 leaves them alone. */
	return gen_emit_accessing(g, &q, 0, compare && !rep ? F_ALL : 0, 0, true);
}

bool fam_misc(struct gen *g)
{
	static const struct {
		ZydisMnemonic m;
		struct flag_effect fx;
	} ops[] = {
		{ ZYDIS_MNEMONIC_LAHF, { F_SZP | F_AF | F_CF, 0, 0 } },
		{ ZYDIS_MNEMONIC_SAHF, { 0, F_SZP | F_AF | F_CF, 0 } },
		{ ZYDIS_MNEMONIC_CBW, { 0, 0, 0 } },
		{ ZYDIS_MNEMONIC_CWDE, { 0, 0, 0 } },
		{ ZYDIS_MNEMONIC_CDQE, { 0, 0, 0 } },
		{ ZYDIS_MNEMONIC_CWD, { 0, 0, 0 } },
		{ ZYDIS_MNEMONIC_CDQ, { 0, 0, 0 } },
		{ ZYDIS_MNEMONIC_CQO, { 0, 0, 0 } },
		{ ZYDIS_MNEMONIC_CLC, { 0, F_CF, 0 } },
		{ ZYDIS_MNEMONIC_STC, { 0, F_CF, 0 } },
		{ ZYDIS_MNEMONIC_CMC, { F_CF, F_CF, 0 } },
		{ ZYDIS_MNEMONIC_CLD, { 0, 0, 0 } },
		{ ZYDIS_MNEMONIC_STD, { 0, 0, 0 } },
		{ ZYDIS_MNEMONIC_NOP, { 0, 0, 0 } },
	};
	unsigned k = rng_below(&g->r, ARRAY_LEN(ops));

	return gen_emit_plain(g, ops[k].m, ops[k].fx.rd, ops[k].fx.def, ops[k].fx.undef);
}

/* BSWAP of a 16-bit register is undefined (SDM): only 32 and 64 bits. */
bool fam_bswap(struct gen *g)
{
	unsigned size = rng_chance(&g->r, 1, 2) ? 4 : 8;
	ZydisEncoderRequest q;

	gen_req_init(&q, ZYDIS_MNEMONIC_BSWAP);
	gen_add_reg(&q, gen_gpr(size, gen_reg(g, size, true)));
	return gen_emit(g, &q, 0, 0, 0);
}

/* The hint NOP, 0F 1F /0, with a register or a (never accessed) memory operand. */
bool fam_long_nop(struct gen *g)
{
	unsigned size = rng_chance(&g->r, 1, 2) ? 4 : 2;
	ZydisEncoderOperand op;
	ZydisEncoderRequest q;

	gen_req_init(&q, ZYDIS_MNEMONIC_NOP);
	if (!gen_rm(g, size, false, rng_chance(&g->r, 1, 2), 0, &op, &q.prefixes))
		return false;
	gen_add_op(&q, &op);
	return gen_emit(g, &q, 0, 0, 0);
}

/* XLAT: AL = [RBX + AL]; RBX is loaded with a data address. */
bool fam_xlat(struct gen *g)
{
	ZydisEncoderRequest q;

	if (!gen_emit_setup(g, RBX_N, rng_range(&g->r, ADDR_LO, ADDR_HI)))
		return false;
	gen_req_init(&q, ZYDIS_MNEMONIC_XLAT);
	return gen_emit_accessing(g, &q, 0, 0, 0, true);
}

/* ENTER: RBP points into the stack page, so that nesting levels above 0 copy
 * frame pointers from there. */
bool fam_enter(struct gen *g)
{
	ZydisEncoderRequest q;

	if (!gen_emit_setup(g, RBP_N, (int64_t)GEN_RSP + rng_range(&g->r, -0x100, 0x100)))
		return false;
	gen_req_init(&q, ZYDIS_MNEMONIC_ENTER);
	gen_add_imm(&q, rng_chance(&g->r, 1, 2) ? 8 * rng_below(&g->r, 16) : rng_below(&g->r, 0x100));
	gen_add_imm(&q, rng_chance(&g->r, 1, 2) ? rng_below(&g->r, 4) : rng_below(&g->r, 256));
	if (rng_chance(&g->r, 1, 4))
		q.operand_size_hint = ZYDIS_OPERAND_SIZE_HINT_16;
	return gen_emit(g, &q, 0, 0, 0);
}
