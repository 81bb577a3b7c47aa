/* The SSE4.1 and SSE4.2 families: the packed integer operations, extends,
 * inserts and extracts, blends and PTEST; ROUND*, DPPS, DPPD and BLENDV* under
 * a random MXCSR; the string compares with random imm8 on short strings with
 * zero elements; CRC32 and PCMPGTQ.
 *
 * As in gen_mmx.c, every unit loads the XMM registers it reads (all 128 bits:
 * two quadwords through XMM15, which no unit uses otherwise) and shows what
 * it computed in GPRs or memory; flags and GPR results are compared as they
 * are. A unit that changes MXCSR sets it first and puts back 0x1f80, the
 * value every reference starts from, at its end; it aims nothing to fault,
 * but with exceptions unmasked (native reference only) it may end in #XM.
 *
 * Faulting cases: a memory operand now and then lies in, or runs into, the
 * unmapped page after the data page (#PF, a write that crosses into it
 * leaves the data page untouched). A 16-byte operand is always aligned, as
 * a misaligned one's #GP arrives as #UD on the nested kvm reference
 * (README.md); the unit tests check that #GP. */
#include "gen_internal.h"

#include <string.h>

#include "guest_image.h"

#define XMM_TEMP 15
#define XMM_USED 15 /* units use XMM0-XMM14 */

/* ---- values ------------------------------------------------------------------- */

static uint64_t int_value(struct gen *g)
{
	return gen_value(&g->r);
}

/* Floats (two to a quadword) or a double around rounding ties, signed zeros,
 * denormals, infinities, NaNs (quiet and signalling) and overflow. */
uint64_t gen_fp_value(struct gen *g)
{
	static const uint32_t floats[] = {
		0x00000000, 0x80000000, 0x3f000000, 0x3fc00000, 0x40200000, 0xc0200000, 0xbf400000,
		0x00000001, 0x807fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xff812345,
		0x4b000001, 0x4affffff, 0x7f7fffff, 0x00800000, 0x3f7fffff, 0x71800000, 0x0c000000,
	};
	static const uint64_t doubles[] = {
		0,
		0x8000000000000000ull,
		0x3fe0000000000000ull,
		0x3ff8000000000000ull,
		0xc004000000000000ull,
		0x0000000000000001ull,
		0x7ff0000000000000ull,
		0x7ff8000000000000ull,
		0x7ff0000000000001ull,
		0x4330000000000001ull,
		0x7fefffffffffffffull,
		0x0010000000000000ull,
		0x5ff0000000000000ull,
		0x2000000000000000ull,
	};

	uint64_t lo;

	switch (rng_below(&g->r, 4)) {
	case 0:
	case 1:
		lo = floats[rng_below(&g->r, ARRAY_LEN(floats))];
		return lo | (uint64_t)floats[rng_below(&g->r, ARRAY_LEN(floats))] << 32;
	case 2:
		return doubles[rng_below(&g->r, ARRAY_LEN(doubles))];
	default:
		return rng_next(&g->r);
	}
}

/* Eight bytes of a short string: a small alphabet (so that elements match),
 * a zero element now and then, any byte sometimes. */
static uint64_t string_value(struct gen *g)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++) {
		unsigned k = rng_below(&g->r, 12);
		uint64_t c = k == 0 ? 0 : k < 9 ? 0x61 + rng_below(&g->r, 4) : rng_below(&g->r, 256);

		v |= c << (8 * i);
	}
	if (rng_chance(&g->r, 1, 4)) /* words too: zero a word at an even offset */
		v &= ~(0xffffull << (16 * rng_below(&g->r, 4)));
	return v;
}

/* xmmN = v:v, shorter than two quadwords: a short branch over the unit
 * reaches only 127 bytes. */
static bool load_xmm_twice(struct gen *g, unsigned n, uint64_t v)
{
	unsigned r = gen_reg(g, 8, true);

	return gen_emit_setup(g, r, (int64_t)v) &&
	       gen_emit_two(g, ZYDIS_MNEMONIC_MOVQ, gen_xmm_reg(n), gen_gpr(8, r)) &&
	       gen_emit_two(g, ZYDIS_MNEMONIC_PUNPCKLQDQ, gen_xmm_reg(n), gen_xmm_reg(n));
}

/* 16 aligned bytes of the data page (edge values, gen_value's) by MOVDQU. */
static bool load_xmm_from_data(struct gen *g, unsigned n)
{
	ZydisEncoderOperand m;
	ZydisEncoderRequest q;

	memset(&m, 0, sizeof(m));
	m.type = ZYDIS_OPERAND_TYPE_MEMORY;
	m.mem.size = 16;
	m.mem.base = ZYDIS_REGISTER_NONE;
	m.mem.displacement = rng_range(&g->r, ADDR_LO, ADDR_HI) & ~15ll; /* no #AC (gen_sse_mem) */
	gen_req_init(&q, ZYDIS_MNEMONIC_MOVDQU);
	gen_add_reg(&q, gen_xmm_reg(n));
	gen_add_op(&q, &m);
	return gen_emit_accessing(g, &q, 0, 0, 0, false);
}

static bool load_xmm_with(struct gen *g, unsigned n, uint64_t (*value)(struct gen *g))
{
	uint64_t lo;

	if (value == int_value && rng_chance(&g->r, 1, 2))
		return load_xmm_from_data(g, n);
	lo = value(g);
	if (rng_chance(&g->r, 3, 4))
		return load_xmm_twice(g, n, lo);
	return gen_load_xmm_value(g, n, lo, value(g), XMM_TEMP);
}

/* ---- memory operands -------------------------------------------------------------- */

/* `size` bytes in the data page through a loaded base register: 16-aligned
 * when `aligned`; with `may_fault`, one in 12 in the unmapped page after it
 * (aligned) or crossing into it. Registers in `avoid` are not used. */
bool gen_sse_mem(struct gen *g, unsigned size, bool aligned, bool may_fault, unsigned avoid, ZydisEncoderOperand *op,
		 ZydisInstructionAttributes *prefixes)
{
	unsigned base = gen_reg_avoid(g, 8, true, avoid);
	int64_t addr, disp = 0;

	memset(op, 0, sizeof(*op));
	op->type = ZYDIS_OPERAND_TYPE_MEMORY;
	op->mem.size = (ZyanU16)size;
	if (may_fault && rng_chance(&g->r, 1, 12)) {
		g->faulting = true;
		addr = (int64_t)(GI_DATA + 4096) - (aligned || size == 1 ? 0 : (int64_t)rng_range(&g->r, 1, size - 1));
	} else {
		addr = (int64_t)rng_range(&g->r, ADDR_LO, ADDR_HI);
		disp = gen_disp(g);
		if (aligned) {
			addr &= ~15ll;
			disp &= ~15ll;
		}
		/* FS and GS bases (0x80, 0xc0) keep the alignment. */
		if (rng_chance(&g->r, 1, 8))
			*prefixes |=
			    rng_chance(&g->r, 1, 2) ? ZYDIS_ATTRIB_HAS_SEGMENT_FS : ZYDIS_ATTRIB_HAS_SEGMENT_GS;
	}
	/* With AC set at CPL 3 the AMD host raises #AC for a 16-byte access
	 * (MOVDQU, PCMPxSTRx) that is 8- but not 16-byte aligned, which the SDM
	 * leaves to the implementation and the software engines do not do (see
	 * docs/cpu-model.md): never such an address. */
	if (size == 16 && (addr & 15) == 8)
		addr++;
	if (!gen_emit_setup(g, base, addr - disp))
		return false;
	op->mem.base = gen_gpr(8, base);
	op->mem.displacement = disp;
	return true;
}

/* An XMM source: a register (loaded) or memory of `size` bytes, which may be
 * aimed to fault. */
static bool xmm_source(struct gen *g, ZydisEncoderRequest *q, unsigned size, bool aligned, bool may_fault,
		       uint64_t (*value)(struct gen *g), bool *mem)
{
	ZydisEncoderOperand m;
	unsigned s = rng_below(&g->r, XMM_USED);

	*mem = rng_chance(&g->r, 1, 3);
	if (!*mem) {
		if (!load_xmm_with(g, s, value))
			return false;
		gen_add_reg(q, gen_xmm_reg(s));
		return true;
	}
	if (!gen_sse_mem(g, size, aligned, may_fault, 0, &m, &q->prefixes))
		return false;
	gen_add_op(q, &m);
	return true;
}

/* ---- SSE4.1 integer --------------------------------------------------------------- */

static bool int_binop(struct gen *g)
{
	static const ZydisMnemonic ops[] = {
		ZYDIS_MNEMONIC_PMULDQ,	   ZYDIS_MNEMONIC_PMULLD,  ZYDIS_MNEMONIC_PCMPEQQ,  ZYDIS_MNEMONIC_PACKUSDW,
		ZYDIS_MNEMONIC_PMINSB,	   ZYDIS_MNEMONIC_PMINSD,  ZYDIS_MNEMONIC_PMINUW,   ZYDIS_MNEMONIC_PMINUD,
		ZYDIS_MNEMONIC_PMAXSB,	   ZYDIS_MNEMONIC_PMAXSD,  ZYDIS_MNEMONIC_PMAXUW,   ZYDIS_MNEMONIC_PMAXUD,
		ZYDIS_MNEMONIC_PHMINPOSUW, ZYDIS_MNEMONIC_PTEST,   ZYDIS_MNEMONIC_PBLENDW,  ZYDIS_MNEMONIC_BLENDPS,
		ZYDIS_MNEMONIC_BLENDPD,	   ZYDIS_MNEMONIC_MPSADBW, ZYDIS_MNEMONIC_PBLENDVB,
	};
	ZydisMnemonic m = PICK(g, ops);
	unsigned d = rng_below(&g->r, XMM_USED);
	ZydisEncoderRequest q;
	bool mem;

	if (m == ZYDIS_MNEMONIC_PBLENDVB && !load_xmm_with(g, 0, int_value))
		return false;
	if (!load_xmm_with(g, d, int_value))
		return false;
	gen_req_init(&q, m);
	gen_add_reg(&q, gen_xmm_reg(d));
	if (!xmm_source(g, &q, 16, true, true, int_value, &mem))
		return false;
	if (m == ZYDIS_MNEMONIC_PBLENDW || m == ZYDIS_MNEMONIC_BLENDPS || m == ZYDIS_MNEMONIC_BLENDPD ||
	    m == ZYDIS_MNEMONIC_MPSADBW)
		gen_add_imm(&q, rng_below(&g->r, 256));
	if (m == ZYDIS_MNEMONIC_PTEST)
		return gen_emit_accessing(g, &q, 0, F_ALL, 0, mem);
	return gen_emit_accessing(g, &q, 0, 0, 0, mem) && gen_show_xmm(g, d);
}

/* PMOVSX and PMOVZX read 2, 4 or 8 bytes of memory, unaligned. */
static bool int_extend(struct gen *g)
{
	static const struct {
		ZydisMnemonic m;
		unsigned size;
	} ops[] = {
		{ ZYDIS_MNEMONIC_PMOVSXBW, 8 }, { ZYDIS_MNEMONIC_PMOVSXBD, 4 }, { ZYDIS_MNEMONIC_PMOVSXBQ, 2 },
		{ ZYDIS_MNEMONIC_PMOVSXWD, 8 }, { ZYDIS_MNEMONIC_PMOVSXWQ, 4 }, { ZYDIS_MNEMONIC_PMOVSXDQ, 8 },
		{ ZYDIS_MNEMONIC_PMOVZXBW, 8 }, { ZYDIS_MNEMONIC_PMOVZXBD, 4 }, { ZYDIS_MNEMONIC_PMOVZXBQ, 2 },
		{ ZYDIS_MNEMONIC_PMOVZXWD, 8 }, { ZYDIS_MNEMONIC_PMOVZXWQ, 4 }, { ZYDIS_MNEMONIC_PMOVZXDQ, 8 },
	};
	unsigned k = rng_below(&g->r, ARRAY_LEN(ops)), d = rng_below(&g->r, XMM_USED);
	ZydisEncoderRequest q;
	bool mem;

	if (!load_xmm_with(g, d, int_value))
		return false;
	gen_req_init(&q, ops[k].m);
	gen_add_reg(&q, gen_xmm_reg(d));
	if (!xmm_source(g, &q, ops[k].size, false, true, int_value, &mem))
		return false;
	return gen_emit_accessing(g, &q, 0, 0, 0, mem) && gen_show_xmm(g, d);
}

/* PEXTRB/W/D/Q and EXTRACTPS to a GPR or memory (a store that may fault). */
static bool int_extract(struct gen *g)
{
	static const struct {
		ZydisMnemonic m;
		unsigned size, gpr_size;
	} ops[] = {
		{ ZYDIS_MNEMONIC_PEXTRB, 1, 4 }, { ZYDIS_MNEMONIC_PEXTRW, 2, 4 },    { ZYDIS_MNEMONIC_PEXTRD, 4, 4 },
		{ ZYDIS_MNEMONIC_PEXTRQ, 8, 8 }, { ZYDIS_MNEMONIC_EXTRACTPS, 4, 4 },
	};
	unsigned k = rng_below(&g->r, ARRAY_LEN(ops)), s = rng_below(&g->r, XMM_USED);
	bool mem = rng_chance(&g->r, 1, 2);
	ZydisEncoderOperand m;
	ZydisEncoderRequest q;

	if (!load_xmm_with(g, s, int_value))
		return false;
	gen_req_init(&q, ops[k].m);
	if (mem) {
		if (!gen_sse_mem(g, ops[k].size, false, true, 0, &m, &q.prefixes))
			return false;
		gen_add_op(&q, &m);
	} else {
		gen_add_reg(&q, gen_gpr(ops[k].gpr_size, gen_reg(g, ops[k].gpr_size, true)));
	}
	gen_add_reg(&q, gen_xmm_reg(s));
	gen_add_imm(&q, rng_below(&g->r, 256));
	return gen_emit_accessing(g, &q, 0, 0, 0, mem);
}

/* PINSRB/D/Q from a GPR or memory, INSERTPS from a register or m32. */
static bool int_insert(struct gen *g)
{
	static const struct {
		ZydisMnemonic m;
		unsigned size, gpr_size;
	} ops[] = {
		{ ZYDIS_MNEMONIC_PINSRB, 1, 4 },
		{ ZYDIS_MNEMONIC_PINSRD, 4, 4 },
		{ ZYDIS_MNEMONIC_PINSRQ, 8, 8 },
		{ ZYDIS_MNEMONIC_INSERTPS, 4, 0 },
	};
	unsigned k = rng_below(&g->r, ARRAY_LEN(ops)), d = rng_below(&g->r, XMM_USED);
	ZydisEncoderOperand m;
	ZydisEncoderRequest q;
	bool mem;

	if (!load_xmm_with(g, d, int_value))
		return false;
	gen_req_init(&q, ops[k].m);
	gen_add_reg(&q, gen_xmm_reg(d));
	if (ops[k].gpr_size == 0) {
		if (!xmm_source(g, &q, 4, false, true, int_value, &mem))
			return false;
	} else if ((mem = rng_chance(&g->r, 1, 3))) {
		if (!gen_sse_mem(g, ops[k].size, false, true, 0, &m, &q.prefixes))
			return false;
		gen_add_op(&q, &m);
	} else {
		gen_add_reg(&q, gen_gpr(ops[k].gpr_size, gen_reg(g, ops[k].gpr_size, false)));
	}
	gen_add_imm(&q, rng_below(&g->r, 256));
	return gen_emit_accessing(g, &q, 0, 0, 0, mem) && gen_show_xmm(g, d);
}

static bool movntdqa(struct gen *g)
{
	unsigned d = rng_below(&g->r, XMM_USED);
	ZydisEncoderOperand m;
	ZydisEncoderRequest q;

	gen_req_init(&q, ZYDIS_MNEMONIC_MOVNTDQA);
	gen_add_reg(&q, gen_xmm_reg(d));
	if (!gen_sse_mem(g, 16, true, true, 0, &m, &q.prefixes))
		return false;
	gen_add_op(&q, &m);
	return gen_emit_accessing(g, &q, 0, 0, 0, true) && gen_show_xmm(g, d);
}

static bool sse41_int_unit(struct gen *g)
{
	switch (rng_below(&g->r, 8)) {
	case 0:
		return int_extend(g);
	case 1:
		return int_extract(g);
	case 2:
		return int_insert(g);
	case 3:
		return movntdqa(g);
	default:
		return int_binop(g);
	}
}

/* ---- SSE4.1 floating point ---------------------------------------------------------- */

static ZydisEncoderOperand abs_mem(uint64_t addr, unsigned size)
{
	ZydisEncoderOperand m;

	memset(&m, 0, sizeof(m));
	m.type = ZYDIS_OPERAND_TYPE_MEMORY;
	m.mem.size = (ZyanU16)size;
	m.mem.base = ZYDIS_REGISTER_NONE;
	m.mem.displacement = (int64_t)addr;
	return m;
}

/* MOV dword [addr], v; then LDMXCSR or STMXCSR of addr. */
bool gen_csr_op(struct gen *g, ZydisMnemonic m, uint64_t addr)
{
	ZydisEncoderOperand op = abs_mem(addr, 4);
	ZydisEncoderRequest q;

	gen_req_init(&q, m);
	gen_add_op(&q, &op);
	return gen_emit_accessing(g, &q, 0, 0, 0, false); /* no segment prefix: the address is fixed */
}

bool gen_store_dword(struct gen *g, uint64_t addr, uint32_t v)
{
	ZydisEncoderOperand op = abs_mem(addr, 4);
	ZydisEncoderRequest q;

	gen_req_init(&q, ZYDIS_MNEMONIC_MOV);
	gen_add_op(&q, &op);
	gen_add_imm(&q, v);
	return gen_emit_accessing(g, &q, 0, 0, 0, false);
}

/* Any rounding, DAZ and FZ now and then, no flags; every exception masked,
 * or where only the native reference runs, now and then some unmasked
 * (gen_allow_unmasked_simd). */
uint32_t gen_random_csr(struct gen *g)
{
	uint32_t csr = 0x1f80u | rng_below(&g->r, 4) << 13;

	if (rng_chance(&g->r, 1, 3))
		csr |= 0x40u; /* DAZ */
	if (rng_chance(&g->r, 1, 3))
		csr |= 0x8000u;					  /* FZ */
	if (gen_unmasked_simd_allowed && rng_chance(&g->r, 1, 4)) /* unmask some: #XM */
		csr &= ~(rng_below(&g->r, 64) << 7);
	return csr;
}

static bool sse41_fp_unit(struct gen *g)
{
	static const struct {
		ZydisMnemonic m;
		unsigned size;
		bool imm;
	} ops[] = {
		{ ZYDIS_MNEMONIC_ROUNDPS, 16, true },	{ ZYDIS_MNEMONIC_ROUNDPD, 16, true },
		{ ZYDIS_MNEMONIC_ROUNDSS, 4, true },	{ ZYDIS_MNEMONIC_ROUNDSD, 8, true },
		{ ZYDIS_MNEMONIC_DPPS, 16, true },	{ ZYDIS_MNEMONIC_DPPD, 16, true },
		{ ZYDIS_MNEMONIC_BLENDVPS, 16, false }, { ZYDIS_MNEMONIC_BLENDVPD, 16, false },
	};
	unsigned k = rng_below(&g->r, ARRAY_LEN(ops)), d = rng_below(&g->r, XMM_USED);
	ZydisEncoderRequest q;
	bool mem;

	if (!gen_store_dword(g, CSR_SET, gen_random_csr(g)) || !gen_csr_op(g, ZYDIS_MNEMONIC_LDMXCSR, CSR_SET))
		return false;
	if (!ops[k].imm && !load_xmm_with(g, 0, gen_fp_value))
		return false;
	if (!load_xmm_with(g, d, gen_fp_value))
		return false;
	gen_req_init(&q, ops[k].m);
	gen_add_reg(&q, gen_xmm_reg(d));
	/* Aligned whatever the size: an #AC (AC set by a POPF) before MXCSR is
	 * set back would leave the kvm reference's MXCSR to the next sequence
	 * (README.md). */
	if (!xmm_source(g, &q, ops[k].size, true, false, gen_fp_value, &mem))
		return false;
	if (ops[k].imm) /* BLENDV*'s XMM0 is implicit */
		gen_add_imm(&q, rng_below(&g->r, 256));
	return gen_emit_accessing(g, &q, 0, 0, 0, mem) && gen_csr_op(g, ZYDIS_MNEMONIC_STMXCSR, CSR_SEEN) &&
	       gen_store_dword(g, CSR_DEFAULT, 0x1f80) && gen_csr_op(g, ZYDIS_MNEMONIC_LDMXCSR, CSR_DEFAULT) &&
	       gen_show_xmm(g, d);
}

/* ---- SSE4.2 --------------------------------------------------------------------------- */

/* An explicit length: small either way, past the element count, a big one,
 * or one whose upper half only the REX.W form sees. */
static int64_t string_length(struct gen *g)
{
	switch (rng_below(&g->r, 8)) {
	case 0:
		return (int64_t)rng_next(&g->r);
	case 1:
		return rng_range(&g->r, -20, 20) + ((int64_t)1 << 32);
	case 2:
		return (int32_t)0x80000000;
	default:
		return rng_range(&g->r, -20, 20);
	}
}

/* PCMPESTRI/M with REX.W, register operands, as raw bytes: the encoder picks
 * the operand size from the operands, and these have no 64-bit operand. */
static bool emit_pcmpestr_rexw(struct gen *g, bool mask, unsigned a, unsigned b, unsigned imm)
{
	uint8_t bytes[] = { 0x66,
			    (uint8_t)(0x48 | ((a >> 3) << 2) | (b >> 3)),
			    0x0f,
			    0x3a,
			    mask ? 0x60 : 0x61,
			    (uint8_t)(0xc0 | ((a & 7) << 3) | (b & 7)),
			    (uint8_t)imm };

	return gen_emit_raw(g, bytes, sizeof(bytes));
}

static bool sse42_string_unit(struct gen *g)
{
	static const ZydisMnemonic ops[] = { ZYDIS_MNEMONIC_PCMPESTRI, ZYDIS_MNEMONIC_PCMPESTRM,
					     ZYDIS_MNEMONIC_PCMPISTRI, ZYDIS_MNEMONIC_PCMPISTRM };
	ZydisMnemonic m = PICK(g, ops);
	bool explicit_len = m == ZYDIS_MNEMONIC_PCMPESTRI || m == ZYDIS_MNEMONIC_PCMPESTRM;
	bool mask = m == ZYDIS_MNEMONIC_PCMPESTRM || m == ZYDIS_MNEMONIC_PCMPISTRM;
	unsigned a = rng_below(&g->r, XMM_USED), imm = rng_below(&g->r, 256);
	ZydisEncoderOperand mop;
	ZydisEncoderRequest q;
	bool mem = rng_chance(&g->r, 1, 3), ok;

	if (!load_xmm_with(g, a, string_value))
		return false;
	gen_req_init(&q, m);
	gen_add_reg(&q, gen_xmm_reg(a));
	if (mem) {
		/* The lengths live in RAX and RDX: the base register is another. */
		if (!gen_sse_mem(g, 16, false, true, (1u << RAX_N) | (1u << RDX_N), &mop, &q.prefixes))
			return false;
		gen_add_op(&q, &mop);
	} else {
		unsigned b = rng_below(&g->r, XMM_USED);

		if (!load_xmm_with(g, b, string_value))
			return false;
		gen_add_reg(&q, gen_xmm_reg(b));
		mop.reg.value = gen_xmm_reg(b);
	}
	gen_add_imm(&q, imm);
	if (explicit_len &&
	    (!gen_emit_setup(g, RAX_N, string_length(g)) || !gen_emit_setup(g, RDX_N, string_length(g))))
		return false;
	if (explicit_len && !mem && rng_chance(&g->r, 1, 3))
		ok = emit_pcmpestr_rexw(g, mask, a, (unsigned)(mop.reg.value - ZYDIS_REGISTER_XMM0), imm);
	else
		ok = gen_emit_accessing(g, &q, 0, F_ALL, 0, mem);
	return ok && (!mask || gen_show_xmm(g, 0));
}

/* CRC32 r32/r64 with r/m8/16/32/64 (r64 only with r/m8 and r/m64), and
 * PCMPGTQ. */
static bool sse42_crc32_unit(struct gen *g)
{
	static const unsigned src_sizes[] = { 1, 2, 4, 8 };
	unsigned s = src_sizes[rng_below(&g->r, 4)], dsize = s == 8 || (s == 1 && rng_chance(&g->r, 1, 2)) ? 8 : 4;
	ZydisEncoderOperand src;
	ZydisEncoderRequest q;
	bool mem = rng_chance(&g->r, 1, 3);

	if (rng_chance(&g->r, 1, 4)) {
		unsigned d = rng_below(&g->r, XMM_USED);

		if (!load_xmm_with(g, d, int_value))
			return false;
		gen_req_init(&q, ZYDIS_MNEMONIC_PCMPGTQ);
		gen_add_reg(&q, gen_xmm_reg(d));
		if (!xmm_source(g, &q, 16, true, true, int_value, &mem))
			return false;
		return gen_emit_accessing(g, &q, 0, 0, 0, mem) && gen_show_xmm(g, d);
	}
	gen_req_init(&q, ZYDIS_MNEMONIC_CRC32);
	gen_add_reg(&q, gen_gpr(dsize, gen_reg(g, dsize, true)));
	if (mem) {
		if (!gen_sse_mem(g, s, false, true, 0, &src, &q.prefixes))
			return false;
	} else if (!gen_rm(g, s, false, false, 0, &src, &q.prefixes)) {
		return false;
	}
	gen_add_op(&q, &src);
	return gen_emit_accessing(g, &q, 0, 0, 0, mem);
}

bool fam_sse41_int(struct gen *g)
{
	return gen_joined_unit(g, sse41_int_unit);
}

bool fam_sse41_fp(struct gen *g)
{
	return gen_joined_unit(g, sse41_fp_unit);
}

bool fam_sse42_string(struct gen *g)
{
	return gen_joined_unit(g, sse42_string_unit);
}

bool fam_sse42_crc32(struct gen *g)
{
	return gen_joined_unit(g, sse42_crc32_unit);
}
