/* The MMX families: packed integer operations, moves and conversions, and the
 * x87 state they share (EMMS, FLD1, FNSTSW, FSTP m80 of an MMX register).
 *
 * Registers do not carry over from one sequence to the next in the same way
 * on every reference (the native child's x87 registers hold what an earlier
 * sequence left), so every unit loads the MMX and XMM registers it reads from
 * GPRs first, and shows what it computed in a GPR or in memory. The x87 status
 * and tags start as FNINIT leaves them on every reference (native.c).
 *
 * No memory operand is aimed to fault, and CVT(T)PD2PI take no (16-byte
 * aligned) memory operand: on the nested development host the kvm reference
 * reports #UD where silicon raises #GP for an x87, MMX or SSE instruction with
 * a memory operand (README.md). */
#include "gen_internal.h"

ZydisRegister gen_mm_reg(unsigned n)
{
	return (ZydisRegister)(ZYDIS_REGISTER_MM0 + n);
}

ZydisRegister gen_xmm_reg(unsigned n)
{
	return (ZydisRegister)(ZYDIS_REGISTER_XMM0 + n);
}

bool gen_emit_two(struct gen *g, ZydisMnemonic m, ZydisRegister a, ZydisRegister b)
{
	ZydisEncoderRequest q;

	gen_req_init(&q, m);
	gen_add_reg(&q, a);
	gen_add_reg(&q, b);
	return gen_emit(g, &q, 0, 0, 0);
}

/* MOVQ mmN or xmmN from a GPR: a value known on every reference. */
bool gen_load_mm(struct gen *g, unsigned n)
{
	return gen_emit_two(g, ZYDIS_MNEMONIC_MOVQ, gen_mm_reg(n), gen_gpr(8, gen_reg(g, 8, false)));
}

bool gen_load_xmm(struct gen *g, unsigned n)
{
	return gen_emit_two(g, ZYDIS_MNEMONIC_MOVQ, gen_xmm_reg(n), gen_gpr(8, gen_reg(g, 8, false)));
}

bool gen_load_xmm_value(struct gen *g, unsigned n, uint64_t lo, uint64_t hi, unsigned tmp)
{
	unsigned r = gen_reg(g, 8, true);

	return gen_emit_setup(g, r, (int64_t)lo) &&
	       gen_emit_two(g, ZYDIS_MNEMONIC_MOVQ, gen_xmm_reg(n), gen_gpr(8, r)) &&
	       gen_emit_setup(g, r, (int64_t)hi) &&
	       gen_emit_two(g, ZYDIS_MNEMONIC_MOVQ, gen_xmm_reg(tmp), gen_gpr(8, r)) &&
	       gen_emit_two(g, ZYDIS_MNEMONIC_PUNPCKLQDQ, gen_xmm_reg(n), gen_xmm_reg(tmp));
}

/* reg (an MMX register, or an XMM register's low quadword) to a GPR or to
 * memory. */
bool gen_show(struct gen *g, ZydisRegister reg)
{
	ZydisEncoderOperand m;
	ZydisEncoderRequest q;
	unsigned used;

	if (rng_chance(&g->r, 1, 2))
		return gen_emit_two(g, ZYDIS_MNEMONIC_MOVQ, gen_gpr(8, gen_reg(g, 8, true)), reg);
	gen_req_init(&q, ZYDIS_MNEMONIC_MOVQ);
	if (!gen_mem(g, 8, 0, &m, &used, &q.prefixes))
		return false;
	gen_add_op(&q, &m);
	gen_add_reg(&q, reg);
	return gen_emit_accessing(g, &q, 0, 0, 0, true);
}

/* Both quadwords of an XMM register, one at a time: a 16-byte store would
 * meet an #AC difference of the SSE core's (MOVDQU at CPL 3 with AC set, 8-
 * but not 16-byte aligned: #AC on the AMD host, none on the software engines). */
bool gen_show_xmm(struct gen *g, unsigned n)
{
	return gen_show(g, gen_xmm_reg(n)) &&
	       gen_emit_two(g, ZYDIS_MNEMONIC_PUNPCKHQDQ, gen_xmm_reg(n), gen_xmm_reg(n)) &&
	       gen_show(g, gen_xmm_reg(n));
}

/* An MMX source: another register (loaded) or `size` bytes of memory. */
bool gen_mm_source(struct gen *g, unsigned dst, unsigned size, ZydisEncoderRequest *q)
{
	ZydisEncoderOperand m;
	unsigned used, s = rng_below(&g->r, 8);

	if (rng_chance(&g->r, 2, 3)) {
		if (s != dst && !gen_load_mm(g, s))
			return false;
		gen_add_reg(q, gen_mm_reg(s));
		return true;
	}
	if (!gen_mem(g, size, 0, &m, &used, &q->prefixes))
		return false;
	gen_add_op(q, &m);
	return true;
}

static bool is_shift(ZydisMnemonic m)
{
	return m == ZYDIS_MNEMONIC_PSLLW || m == ZYDIS_MNEMONIC_PSLLD || m == ZYDIS_MNEMONIC_PSLLQ ||
	       m == ZYDIS_MNEMONIC_PSRLW || m == ZYDIS_MNEMONIC_PSRLD || m == ZYDIS_MNEMONIC_PSRLQ ||
	       m == ZYDIS_MNEMONIC_PSRAW || m == ZYDIS_MNEMONIC_PSRAD;
}

/* PUNPCKL* read 32 bits of memory, the others 64. */
static unsigned source_size(ZydisMnemonic m)
{
	return m == ZYDIS_MNEMONIC_PUNPCKLBW || m == ZYDIS_MNEMONIC_PUNPCKLWD || m == ZYDIS_MNEMONIC_PUNPCKLDQ ? 4 : 8;
}

static bool mmx_arith_unit(struct gen *g)
{
	static const ZydisMnemonic ops[] = {
		ZYDIS_MNEMONIC_PADDB,	  ZYDIS_MNEMONIC_PADDW,	    ZYDIS_MNEMONIC_PADDD,     ZYDIS_MNEMONIC_PADDQ,
		ZYDIS_MNEMONIC_PSUBB,	  ZYDIS_MNEMONIC_PSUBW,	    ZYDIS_MNEMONIC_PSUBD,     ZYDIS_MNEMONIC_PSUBQ,
		ZYDIS_MNEMONIC_PADDSB,	  ZYDIS_MNEMONIC_PADDSW,    ZYDIS_MNEMONIC_PADDUSB,   ZYDIS_MNEMONIC_PADDUSW,
		ZYDIS_MNEMONIC_PSUBSB,	  ZYDIS_MNEMONIC_PSUBSW,    ZYDIS_MNEMONIC_PSUBUSB,   ZYDIS_MNEMONIC_PSUBUSW,
		ZYDIS_MNEMONIC_PCMPEQB,	  ZYDIS_MNEMONIC_PCMPEQW,   ZYDIS_MNEMONIC_PCMPEQD,   ZYDIS_MNEMONIC_PCMPGTB,
		ZYDIS_MNEMONIC_PCMPGTW,	  ZYDIS_MNEMONIC_PCMPGTD,   ZYDIS_MNEMONIC_PMULLW,    ZYDIS_MNEMONIC_PMULHW,
		ZYDIS_MNEMONIC_PMULHUW,	  ZYDIS_MNEMONIC_PMADDWD,   ZYDIS_MNEMONIC_PMULUDQ,   ZYDIS_MNEMONIC_PAND,
		ZYDIS_MNEMONIC_PANDN,	  ZYDIS_MNEMONIC_POR,	    ZYDIS_MNEMONIC_PXOR,      ZYDIS_MNEMONIC_PSLLW,
		ZYDIS_MNEMONIC_PSLLD,	  ZYDIS_MNEMONIC_PSLLQ,	    ZYDIS_MNEMONIC_PSRLW,     ZYDIS_MNEMONIC_PSRLD,
		ZYDIS_MNEMONIC_PSRLQ,	  ZYDIS_MNEMONIC_PSRAW,	    ZYDIS_MNEMONIC_PSRAD,     ZYDIS_MNEMONIC_PACKSSWB,
		ZYDIS_MNEMONIC_PACKSSDW,  ZYDIS_MNEMONIC_PACKUSWB,  ZYDIS_MNEMONIC_PUNPCKLBW, ZYDIS_MNEMONIC_PUNPCKLWD,
		ZYDIS_MNEMONIC_PUNPCKLDQ, ZYDIS_MNEMONIC_PUNPCKHBW, ZYDIS_MNEMONIC_PUNPCKHWD, ZYDIS_MNEMONIC_PUNPCKHDQ,
		ZYDIS_MNEMONIC_PMINUB,	  ZYDIS_MNEMONIC_PMAXUB,    ZYDIS_MNEMONIC_PMINSW,    ZYDIS_MNEMONIC_PMAXSW,
		ZYDIS_MNEMONIC_PAVGB,	  ZYDIS_MNEMONIC_PAVGW,	    ZYDIS_MNEMONIC_PSADBW,
	};
	ZydisMnemonic m = PICK(g, ops);
	unsigned d = rng_below(&g->r, 8);
	ZydisEncoderRequest q;

	if (!gen_load_mm(g, d))
		return false;
	gen_req_init(&q, m);
	gen_add_reg(&q, gen_mm_reg(d));
	if (is_shift(m) && rng_chance(&g->r, 1, 3))
		gen_add_imm(&q, rng_chance(&g->r, 3, 4) ? rng_below(&g->r, 66) : rng_below(&g->r, 256));
	else if (!gen_mm_source(g, d, source_size(m), &q))
		return false;
	return gen_emit_accessing(g, &q, 0, 0, 0, true) && gen_show(g, gen_mm_reg(d));
}

/* MOVD/MOVQ with GPRs and memory, MOVNTQ, the word operations, MASKMOVQ. */
static bool mmx_move(struct gen *g, unsigned form)
{
	unsigned n = rng_below(&g->r, 8), size = rng_chance(&g->r, 1, 2) ? 4 : 8;
	bool mem = rng_chance(&g->r, 1, 3);
	ZydisMnemonic mov = size == 4 ? ZYDIS_MNEMONIC_MOVD : ZYDIS_MNEMONIC_MOVQ;
	ZydisEncoderOperand rm;
	ZydisEncoderRequest q;

	switch (form) {
	case 0: /* into an MMX register */
		gen_req_init(&q, mov);
		gen_add_reg(&q, gen_mm_reg(n));
		if (!gen_rm(g, size, false, mem, 0, &rm, &q.prefixes))
			return false;
		gen_add_op(&q, &rm);
		return gen_emit_accessing(g, &q, 0, 0, 0, mem) && gen_show(g, gen_mm_reg(n));
	case 1: /* out of one */
		gen_req_init(&q, mem && rng_chance(&g->r, 1, 3) ? ZYDIS_MNEMONIC_MOVNTQ : mov);
		if (q.mnemonic == ZYDIS_MNEMONIC_MOVNTQ)
			size = 8;
		if (!gen_load_mm(g, n) || !gen_rm(g, size, true, mem, 0, &rm, &q.prefixes))
			return false;
		gen_add_op(&q, &rm);
		gen_add_reg(&q, gen_mm_reg(n));
		return gen_emit_accessing(g, &q, 0, 0, 0, mem);
	case 2: /* PSHUFW */
		gen_req_init(&q, ZYDIS_MNEMONIC_PSHUFW);
		gen_add_reg(&q, gen_mm_reg(n));
		if (!gen_mm_source(g, 8, 8, &q))
			return false;
		gen_add_imm(&q, rng_below(&g->r, 256));
		return gen_emit_accessing(g, &q, 0, 0, 0, true) && gen_show(g, gen_mm_reg(n));
	case 3: /* PINSRW */
		gen_req_init(&q, ZYDIS_MNEMONIC_PINSRW);
		gen_add_reg(&q, gen_mm_reg(n));
		if (!gen_load_mm(g, n) || !gen_rm(g, mem ? 2 : 4, false, mem, 0, &rm, &q.prefixes))
			return false;
		gen_add_op(&q, &rm);
		gen_add_imm(&q, rng_below(&g->r, 256));
		return gen_emit_accessing(g, &q, 0, 0, 0, mem) && gen_show(g, gen_mm_reg(n));
	case 4: /* PEXTRW, PMOVMSKB */
		gen_req_init(&q, rng_chance(&g->r, 1, 2) ? ZYDIS_MNEMONIC_PEXTRW : ZYDIS_MNEMONIC_PMOVMSKB);
		if (!gen_load_mm(g, n))
			return false;
		gen_add_reg(&q, gen_gpr(size, gen_reg(g, size, true)));
		gen_add_reg(&q, gen_mm_reg(n));
		if (q.mnemonic == ZYDIS_MNEMONIC_PEXTRW)
			gen_add_imm(&q, rng_below(&g->r, 256));
		return gen_emit(g, &q, 0, 0, 0);
	default: /* MASKMOVQ to DS:RDI */
		if (!gen_load_mm(g, n) || !gen_load_mm(g, (n + 1) & 7) ||
		    !gen_emit_setup(g, RDI_N, rng_range(&g->r, ADDR_LO, ADDR_HI)))
			return false;
		return gen_emit_two(g, ZYDIS_MNEMONIC_MASKMOVQ, gen_mm_reg(n), gen_mm_reg((n + 1) & 7));
	}
}

static bool mmx_move_unit(struct gen *g)
{
	return mmx_move(g, rng_below(&g->r, 6));
}

/* MOVQ2DQ, MOVDQ2Q and the conversions between MMX and XMM registers. */
static bool mmx_xmm_unit(struct gen *g)
{
	static const ZydisMnemonic to_mm[] = { ZYDIS_MNEMONIC_MOVDQ2Q, ZYDIS_MNEMONIC_CVTPS2PI,
					       ZYDIS_MNEMONIC_CVTTPS2PI, ZYDIS_MNEMONIC_CVTPD2PI,
					       ZYDIS_MNEMONIC_CVTTPD2PI };
	static const ZydisMnemonic to_xmm[] = { ZYDIS_MNEMONIC_MOVQ2DQ, ZYDIS_MNEMONIC_CVTPI2PS,
						ZYDIS_MNEMONIC_CVTPI2PD };
	unsigned n = rng_below(&g->r, 8), x = rng_below(&g->r, 16);
	bool mem = rng_chance(&g->r, 1, 3);
	ZydisEncoderOperand m;
	ZydisEncoderRequest q;
	unsigned used;

	if (rng_chance(&g->r, 1, 2)) {
		gen_req_init(&q, PICK(g, to_mm));
		gen_add_reg(&q, gen_mm_reg(n));
		if (mem && (q.mnemonic == ZYDIS_MNEMONIC_CVTPS2PI || q.mnemonic == ZYDIS_MNEMONIC_CVTTPS2PI)) {
			if (!gen_mem(g, 8, 0, &m, &used, &q.prefixes))
				return false;
			gen_add_op(&q, &m);
		} else {
			if (!gen_load_xmm(g, x))
				return false;
			gen_add_reg(&q, gen_xmm_reg(x));
		}
		return gen_emit_accessing(g, &q, 0, 0, 0, true) && gen_show(g, gen_mm_reg(n));
	}
	gen_req_init(&q, PICK(g, to_xmm));
	if (!gen_load_xmm(g, x))
		return false;
	gen_add_reg(&q, gen_xmm_reg(x));
	if (mem && q.mnemonic != ZYDIS_MNEMONIC_MOVQ2DQ) {
		if (!gen_mem(g, 8, 0, &m, &used, &q.prefixes))
			return false;
		gen_add_op(&q, &m);
	} else {
		if (!gen_load_mm(g, n))
			return false;
		gen_add_reg(&q, gen_mm_reg(n));
	}
	return gen_emit_accessing(g, &q, 0, 0, 0, true) && gen_show_xmm(g, x);
}

/* What MMX does to the x87 state, seen through the x87: EMMS, a push (an
 * overflow while every tag is valid), the status word (TOP), and FSTP m80 of
 * an MMX register just written (bits 79:64 all ones). */
static bool mmx_x87_unit(struct gen *g)
{
	ZydisEncoderOperand m;
	ZydisEncoderRequest q;
	unsigned used;

	switch (rng_below(&g->r, 4)) {
	case 0:
		return gen_emit_plain(g, ZYDIS_MNEMONIC_EMMS, 0, 0, 0);
	case 1:
		return gen_emit_plain(g, ZYDIS_MNEMONIC_FLD1, 0, 0, 0);
	case 2:
		gen_req_init(&q, ZYDIS_MNEMONIC_FNSTSW);
		gen_add_reg(&q, ZYDIS_REGISTER_AX);
		return gen_emit(g, &q, 0, 0, 0);
	default:
		if (!gen_load_mm(g, 0))
			return false;
		gen_req_init(&q, ZYDIS_MNEMONIC_FSTP);
		if (!gen_mem(g, 10, 0, &m, &used, &q.prefixes))
			return false;
		gen_add_op(&q, &m);
		return gen_emit_accessing(g, &q, 0, 0, 0, true);
	}
}

bool fam_mmx_arith(struct gen *g)
{
	return gen_joined_unit(g, mmx_arith_unit);
}

bool fam_mmx_move(struct gen *g)
{
	return gen_joined_unit(g, mmx_move_unit);
}

bool fam_mmx_xmm(struct gen *g)
{
	return gen_joined_unit(g, mmx_xmm_unit);
}

bool fam_mmx_x87(struct gen *g)
{
	return gen_joined_unit(g, mmx_x87_unit);
}
