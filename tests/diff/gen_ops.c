/* The generator's building blocks: values, registers, encoder requests, items
 * and memory operands. */
#include "gen_internal.h"

#include <string.h>

#include "engine/softcpu/dispatch.h"
#include "known_bugs.h"

/* ---- values ------------------------------------------------------------------- */

static const uint64_t edge_values[] = {
	0,
	1,
	2,
	~0ull,
	~1ull,
	0x7f,
	0x80,
	0xff,
	0x7fff,
	0x8000,
	0xffff,
	0x7fffffff,
	0x80000000,
	0xffffffff,
	0x100000000ull,
	0x7fffffffffffffffull,
	0x8000000000000000ull,
	0xffffffffffffff80ull,
	0xffffffff80000000ull,
	0x00000000ffff0000ull,
};

uint64_t gen_value(struct rng *r)
{
	switch (rng_below(r, 5)) {
	case 0:
		return edge_values[rng_below(r, ARRAY_LEN(edge_values))];
	case 1:
		return (uint64_t)rng_range(r, -70, 70);
	case 2: { /* a random value of a random width, sign-extended */
		unsigned shift = rng_below(r, 64);

		return (uint64_t)((int64_t)(rng_next(r) << shift) >> shift);
	}
	case 3: {
		unsigned shift = rng_below(r, 64);

		return rng_next(r) >> shift;
	}
	default:
		return rng_next(r);
	}
}

/* An immediate of `bits` bits as the encoder takes it: sign-extended. */
int64_t gen_imm(struct rng *r, unsigned bits)
{
	unsigned shift = 64 - bits;

	return (int64_t)(gen_value(r) << shift) >> shift;
}

unsigned gen_imm_bits(unsigned size)
{
	return size == 8 ? 32 : size * 8;
}

unsigned gen_size(struct gen *g)
{
	static const unsigned sizes[] = { 1, 2, 4, 8, 4, 8 };

	return sizes[rng_below(&g->r, ARRAY_LEN(sizes))];
}

unsigned gen_size_no8(struct gen *g)
{
	static const unsigned sizes[] = { 2, 4, 8, 4, 8 };

	return sizes[rng_below(&g->r, ARRAY_LEN(sizes))];
}

/* ---- registers ------------------------------------------------------------------ */

/* Register number n (0-15 in encoding order, 16-19 for AH-BH) at a size. */
ZydisRegister gen_gpr(unsigned size, unsigned n)
{
	switch (size) {
	case 1:
		if (n >= REG_HIGH8)
			return ZydisRegisterEncode(ZYDIS_REGCLASS_GPR8, (ZyanU8)(n - REG_HIGH8 + 4));
		return ZydisRegisterEncode(ZYDIS_REGCLASS_GPR8, (ZyanU8)(n < 4 ? n : n + 4));
	case 2:
		return ZydisRegisterEncode(ZYDIS_REGCLASS_GPR16, (ZyanU8)n);
	case 4:
		return ZydisRegisterEncode(ZYDIS_REGCLASS_GPR32, (ZyanU8)n);
	default:
		return ZydisRegisterEncode(ZYDIS_REGCLASS_GPR64, (ZyanU8)n);
	}
}

/* A register operand; destinations are never RSP (the stack must stay put).
 * avoid: a mask of numbers 0-15 not to use. */
unsigned gen_reg_avoid(struct gen *g, unsigned size, bool dst, unsigned avoid)
{
	if (dst)
		avoid |= 1u << RSP_N | g->reserved;
	if (size == 1 && rng_chance(&g->r, 1, 5)) {
		unsigned h = REG_HIGH8 + rng_below(&g->r, 4);

		if (!(avoid & (1u << (h - REG_HIGH8))))
			return h;
	}
	for (;;) {
		unsigned n = rng_below(&g->r, 16);

		if (!(avoid & (1u << n)))
			return n;
	}
}

unsigned gen_reg(struct gen *g, unsigned size, bool dst)
{
	return gen_reg_avoid(g, size, dst, 0);
}

/* ---- requests and items ------------------------------------------------------------ */

void gen_req_init(ZydisEncoderRequest *q, ZydisMnemonic m)
{
	memset(q, 0, sizeof(*q));
	q->machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
	q->mnemonic = m;
}

void gen_add_reg(ZydisEncoderRequest *q, ZydisRegister r)
{
	ZydisEncoderOperand *o = &q->operands[q->operand_count++];

	o->type = ZYDIS_OPERAND_TYPE_REGISTER;
	o->reg.value = r;
}

void gen_add_imm(ZydisEncoderRequest *q, int64_t v)
{
	ZydisEncoderOperand *o = &q->operands[q->operand_count++];

	o->type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
	o->imm.s = v;
}

void gen_add_op(ZydisEncoderRequest *q, const ZydisEncoderOperand *op)
{
	q->operands[q->operand_count++] = *op;
}

/* The encoded length, or 0 if the encoder refuses the request. */
unsigned gen_encoded_length(const ZydisEncoderRequest *q)
{
	ZydisEncoderRequest copy = *q;
	uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
	ZyanUSize len = sizeof(buf);

	return ZYAN_SUCCESS(ZydisEncoderEncodeInstructionAbsolute(&copy, buf, &len, GI_CODE)) ? (unsigned)len : 0;
}

bool gen_encodable(const ZydisEncoderRequest *q)
{
	return gen_encoded_length(q) != 0;
}

struct item *gen_append(struct gen *g, const ZydisEncoderRequest *q, uint16_t rd, uint16_t def, uint16_t undef)
{
	struct form f = { q, g->prefix, g->nprefix, g->faulting, g->popf_value, NULL, 0 };
	struct item *it;

	/* Only what the interpreter linked in implements: the table follows it. */
	if (g->s->n >= SEQ_MAX || !dispatch_find(q->mnemonic) || known_bug_excludes(&f))
		return NULL;
	it = &g->s->it[g->s->n++];
	memset(it, 0, sizeof(*it));
	it->req = *q;
	memcpy(it->prefix, g->prefix, sizeof(it->prefix));
	it->nprefix = (uint8_t)g->nprefix;
	it->kind = ITEM_INSN;
	it->fl_read = rd;
	it->fl_def = def;
	it->fl_undef = undef;
	it->native_only = g->native_only;
	return it;
}

static bool has_memory_operand(const ZydisEncoderRequest *q)
{
	for (unsigned i = 0; i < q->operand_count; i++)
		if (q->operands[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
			return true;
	return false;
}

#define SEGMENT_ATTRIBS                                                                                                \
	(ZYDIS_ATTRIB_HAS_SEGMENT_CS | ZYDIS_ATTRIB_HAS_SEGMENT_SS | ZYDIS_ATTRIB_HAS_SEGMENT_DS |                     \
	 ZYDIS_ATTRIB_HAS_SEGMENT_ES | ZYDIS_ATTRIB_HAS_SEGMENT_FS | ZYDIS_ATTRIB_HAS_SEGMENT_GS)

/* Now and then a raw segment-override prefix in front of an instruction that
 * accesses memory, for the instructions (string ones) whose request cannot carry
 * one and to vary where it sits among the other prefixes. The overrides show in
 * the data touched (FS and GS have bases) and in #SS versus #GP. Never two of
 * them: several prefixes of one group are unpredictable (SDM Vol. 2, 2.1.1), and
 * silicon indeed mixes them (the base of the last FS/GS, the fault type of the
 * last prefix). */
static void raw_segments(struct gen *g, const ZydisEncoderRequest *q, unsigned len)
{
	static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };

	g->nprefix = 0;
	if ((q->prefixes & SEGMENT_ATTRIBS) || !rng_chance(&g->r, 1, 10) || len + 1 > ZYDIS_MAX_INSTRUCTION_LENGTH)
		return;
	/* An FS or GS base that takes a non-canonical effective address to a
	 * canonical linear one: #GP on the modelled AMD processor, #PF on
	 * Intel's (gen_allow_vendor_specific). */
	if (g->native_only && !gen_vendor_specific_allowed)
		return;
	g->nprefix = 1;
	g->prefix[0] = segs[rng_below(&g->r, sizeof(segs))];
	/* Which fault a CS, DS, ES or SS override gives on a non-canonical address
	 * differs between processors (docs: ignored, #GP; some Intel parts: the
	 * last prefix's, #SS for SS): only FS and GS in front of a wild operand. */
	if (g->faulting && g->prefix[0] != 0x64 && g->prefix[0] != 0x65)
		g->prefix[0] = (g->prefix[0] & 1) ? 0x65 : 0x64;
}

/* The instruction itself; accesses memory: maybe with raw segment prefixes. */
bool gen_emit_accessing(struct gen *g, const ZydisEncoderRequest *q, uint16_t rd, uint16_t def, uint16_t undef,
			bool accesses)
{
	unsigned len = gen_encoded_length(q);
	bool ok;

	if (!len)
		return false;
	if (accesses)
		raw_segments(g, q, len);
	ok = gen_append(g, q, rd, def, undef) != NULL;
	g->nprefix = 0;
	return ok;
}

bool gen_emit(struct gen *g, const ZydisEncoderRequest *q, uint16_t rd, uint16_t def, uint16_t undef)
{
	return gen_emit_accessing(g, q, rd, def, undef, q->mnemonic != ZYDIS_MNEMONIC_LEA && has_memory_operand(q));
}

bool gen_emit_plain(struct gen *g, ZydisMnemonic m, uint16_t rd, uint16_t def, uint16_t undef)
{
	ZydisEncoderRequest q;

	gen_req_init(&q, m);
	return gen_emit(g, &q, rd, def, undef);
}

/* `mov r64, value` loading a register for the next instruction. */
/* The unit reads only registers it loaded itself: no branch lands inside it
 * (seq.c), and no memory operand is aimed to fault. */
bool gen_joined_unit(struct gen *g, bool (*unit)(struct gen *g))
{
	unsigned start = g->s->n;
	bool ok;

	g->no_faults = true;
	ok = unit(g);
	g->no_faults = false;
	for (unsigned i = start; ok && i + 1 < g->s->n; i++)
		g->s->it[i].joined = 1;
	return ok;
}

bool gen_emit_setup(struct gen *g, unsigned n, int64_t value)
{
	ZydisEncoderRequest q;
	struct item *it;

	gen_req_init(&q, ZYDIS_MNEMONIC_MOV);
	gen_add_reg(&q, gen_gpr(8, n));
	gen_add_imm(&q, value);
	if (!gen_encodable(&q) || !(it = gen_append(g, &q, 0, 0, 0)))
		return false;
	it->setup = 1;
	return true;
}

/* ---- memory operands ------------------------------------------------------------ */

enum mem_form { MF_BASE, MF_BASE_INDEX, MF_ABSOLUTE, MF_RIP, MF_RSP, MF_COUNT };

int64_t gen_disp(struct gen *g)
{
	if (rng_chance(&g->r, 1, 4))
		return 0;
	if (rng_chance(&g->r, 1, 2))
		return rng_range(&g->r, -128, 127);
	return rng_range(&g->r, -DISP_MAX, DISP_MAX);
}

static ZydisInstructionAttributes rand_segment(struct gen *g)
{
	static const ZydisInstructionAttributes segs[] = {
		ZYDIS_ATTRIB_HAS_SEGMENT_FS, ZYDIS_ATTRIB_HAS_SEGMENT_GS, ZYDIS_ATTRIB_HAS_SEGMENT_ES,
		ZYDIS_ATTRIB_HAS_SEGMENT_CS, ZYDIS_ATTRIB_HAS_SEGMENT_SS, ZYDIS_ATTRIB_HAS_SEGMENT_DS,
	};

	/* FS and GS add their small bases; the others are ignored in 64-bit mode. */
	if (!rng_chance(&g->r, 1, 8))
		return 0;
	return segs[rng_below(&g->r, ARRAY_LEN(segs))];
}

/* An address at the canonical boundary: an access that begins in the lower
 * half's last page (never present) and ends past 2^47, or that ends in the
 * upper half's first page, or that wraps at 2^64; some stay canonical. The
 * AMD host raises #GP (#SS through RSP or RBP) for any non-canonical byte of
 * an access, before paging; the kvm reference on the nested development
 * host answers #PF there (README.md): native only. */
static uint64_t edge_address(struct gen *g, unsigned size)
{
	static const uint64_t edges[] = { 0x0000800000000000ull, 0xffff800000000000ull, 0 };
	uint64_t back = 1 + rng_below(&g->r, 2 * size + 8);

	g->native_only = true;
	return edges[rng_below(&g->r, ARRAY_LEN(edges))] - back;
}

/* An address meant to fault: the unmapped page after the data page (also an
 * access that crosses into it), the read-only code page, a supervisor page, a
 * non-canonical address (#GP, or #SS with RSP or RBP as the base), or one at
 * the canonical boundary. */
uint64_t gen_wild_address(struct gen *g, unsigned size)
{
	g->faulting = true;
	if (gen_noncanonical_allowed && gen_native_only_allowed && rng_chance(&g->r, 1, 5))
		return edge_address(g, size);
	switch (rng_below(&g->r, 5)) {
	case 0:
		return GI_DATA + PAGE + rng_below(&g->r, 0x800);
	case 1:
		return GI_DATA + PAGE - 1 - rng_below(&g->r, size);
	case 2:
		return GI_CODE + PAGE + rng_below(&g->r, 0x800);
	case 3:
		return GI_TSS + rng_below(&g->r, 0x800);
	default: {
		uint64_t base = rng_chance(&g->r, 1, 2) ? 0x0000800000000000ull : 0xffff7ffffffff000ull;

		/* With 5-level paging these are canonical on the host (gen.h). */
		if (!gen_noncanonical_allowed)
			base = GI_DATA + PAGE;
		return base + rng_below(&g->r, 0x800);
	}
	}
}

static bool gen_wild_mem(struct gen *g, unsigned size, unsigned avoid, ZydisEncoderOperand *op, unsigned *used)
{
	unsigned base = gen_reg_avoid(g, 8, true, avoid);
	int64_t disp = gen_disp(g);

	*used = 1u << base;
	if (!gen_emit_setup(g, base, (int64_t)(gen_wild_address(g, size) - (uint64_t)disp)))
		return false;
	op->mem.base = gen_gpr(8, base);
	op->mem.displacement = disp;
	return true;
}

/* A memory operand of `size` bytes inside the data page (or, for RSP-based
 * ones, the stack page), now and then one meant to fault. Appends the `mov`s
 * that load its registers, which are chosen outside `avoid`; *used gets them. */
bool gen_mem(struct gen *g, unsigned size, unsigned avoid, ZydisEncoderOperand *op, unsigned *used,
	     ZydisInstructionAttributes *prefixes)
{
	enum mem_form form = (enum mem_form)rng_below(&g->r, MF_COUNT + 2) % MF_COUNT;
	unsigned asize = rng_chance(&g->r, 1, 8) ? 4 : 8;
	unsigned base, index;

	memset(op, 0, sizeof(*op));
	op->type = ZYDIS_OPERAND_TYPE_MEMORY;
	op->mem.size = (ZyanU16)size;
	*used = 0;
	if (g->moving && !g->no_faults && !(avoid & (1u << g->moving_base))) {
		op->mem.base = gen_gpr(8, g->moving_base);
		op->mem.displacement = g->moving_disp;
		*used = 1u << g->moving_base;
		g->moving = false;
		g->faulting = true; /* only FS or GS in front (raw_segments) */
		return true;
	}
	*prefixes |= rand_segment(g);
	if (!g->no_faults && rng_chance(&g->r, 1, 24)) {
		*prefixes &= ~(ZydisInstructionAttributes)(ZYDIS_ATTRIB_HAS_SEGMENT_CS | ZYDIS_ATTRIB_HAS_SEGMENT_SS |
							   ZYDIS_ATTRIB_HAS_SEGMENT_DS | ZYDIS_ATTRIB_HAS_SEGMENT_ES);
		if (!gen_wild_mem(g, size, avoid, op, used))
			return false;
		if (g->native_only && !gen_vendor_specific_allowed)
			*prefixes &=
			    ~(ZydisInstructionAttributes)(ZYDIS_ATTRIB_HAS_SEGMENT_FS | ZYDIS_ATTRIB_HAS_SEGMENT_GS);
		return true;
	}
	switch (form) {
	case MF_ABSOLUTE:
	case MF_RIP:
		op->mem.base = form == MF_RIP ? ZYDIS_REGISTER_RIP : ZYDIS_REGISTER_NONE;
		op->mem.displacement = (int64_t)rng_range(&g->r, ADDR_LO, ADDR_HI);
		return true;
	case MF_RSP:
		op->mem.base = ZYDIS_REGISTER_RSP;
		op->mem.displacement = gen_disp(g);
		return true;
	default:
		break;
	}
	base = gen_reg_avoid(g, 8, true, avoid);
	*used |= 1u << base;
	if (!gen_emit_setup(g, base, rng_range(&g->r, ADDR_LO, ADDR_HI)))
		return false;
	op->mem.base = gen_gpr(asize, base);
	op->mem.displacement = gen_disp(g);
	if (form == MF_BASE_INDEX) {
		index = gen_reg_avoid(g, 8, true, avoid | *used);
		*used |= 1u << index;
		if (!gen_emit_setup(g, index, rng_range(&g->r, -INDEX_MAX, INDEX_MAX)))
			return false;
		op->mem.index = gen_gpr(asize, index);
		op->mem.scale = (ZyanU8)(1u << rng_below(&g->r, 4));
	}
	return true;
}

/* A register or memory operand (destination or source), with its setup. */
bool gen_rm(struct gen *g, unsigned size, bool dst, bool mem, unsigned avoid, ZydisEncoderOperand *op,
	    ZydisInstructionAttributes *prefixes)
{
	unsigned used;

	if (mem)
		return gen_mem(g, size, avoid, op, &used, prefixes);
	memset(op, 0, sizeof(*op));
	op->type = ZYDIS_OPERAND_TYPE_REGISTER;
	op->reg.value = gen_gpr(size, gen_reg_avoid(g, size, dst, avoid));
	return true;
}

/* ---- flags and small helpers ---------------------------------------------------- */

/* The flags condition code cc (the low nibble of Jcc/SETcc/CMOVcc) reads. */
uint16_t gen_cc_reads(unsigned cc)
{
	static const uint16_t t[8] = { F_OF, F_CF, F_ZF, F_CF | F_ZF, F_SF, F_PF, F_SF | F_OF, F_ZF | F_SF | F_OF };

	return t[(cc >> 1) & 7];
}

bool gen_emit_fx(struct gen *g, const ZydisEncoderRequest *q, struct flag_effect e)
{
	return gen_emit(g, q, e.rd, e.def, e.undef);
}

ZydisMnemonic gen_pick(struct gen *g, const ZydisMnemonic *list, unsigned n)
{
	return list[rng_below(&g->r, n)];
}

static bool lockable(ZydisEncoderRequest *q)
{
	return q->operands[0].type == ZYDIS_OPERAND_TYPE_MEMORY;
}

void gen_maybe_lock(struct gen *g, ZydisEncoderRequest *q)
{
	if (lockable(q) && rng_chance(&g->r, 1, 4))
		q->prefixes |= ZYDIS_ATTRIB_HAS_LOCK;
}

const ZydisMnemonic gen_setcc[16] = {
	ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB,	 ZYDIS_MNEMONIC_SETNB,
	ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE,
	ZYDIS_MNEMONIC_SETS, ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP,	 ZYDIS_MNEMONIC_SETNP,
	ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNLE,
};
const ZydisMnemonic gen_cmovcc[16] = {
	ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB,  ZYDIS_MNEMONIC_CMOVNB,
	ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE,
	ZYDIS_MNEMONIC_CMOVS, ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP,  ZYDIS_MNEMONIC_CMOVNP,
	ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_CMOVNLE,
};
const ZydisMnemonic gen_jcc[16] = {
	ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB,  ZYDIS_MNEMONIC_JNB,
	ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE,
	ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP,  ZYDIS_MNEMONIC_JNP,
	ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE, ZYDIS_MNEMONIC_JNLE,
};

/* Raw bytes the encoder will not produce. */
bool gen_emit_raw(struct gen *g, const uint8_t *bytes, unsigned len)
{
	ZydisEncoderRequest q;
	struct item *it;

	gen_req_init(&q, ZYDIS_MNEMONIC_INVALID);
	if (g->s->n >= SEQ_MAX || known_bug_excludes(&(struct form){ &q, NULL, 0, false, 0, bytes, len }))
		return false;
	it = &g->s->it[g->s->n++];
	memset(it, 0, sizeof(*it));
	it->req = q;
	it->kind = ITEM_RAW;
	memcpy(it->raw, bytes, len);
	it->rawlen = (uint8_t)len;
	return true;
}
