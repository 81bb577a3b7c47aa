#include "decoder_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "engine/softcpu/block.h"
#include "engine/softcpu/dispatch.h"
#include "engine/softcpu/insn.h"
#include "engine/softcpu/isa_gate.h"
#include "gen.h"
#include "rng.h"
#include "vm/memory.h"
#include "x86/cpu_model.h"

#define CODE_GPA 0x10000ull /* two pages: blocks start in the first, may cross into the second */
#define CODE_END (CODE_GPA + 2 * PAGE)
#define BLOCK_LIMIT 64 /* decode.c's BLOCK_MAX_INSNS */

struct checker {
	struct block_vcpu *v; /* a vCPU of the block engines: their block builder is checked */
	struct guest_memory mem;
	uint8_t *code; /* host view of [CODE_GPA, CODE_END) */
	ZydisDecoder dec;
	ZydisFormatter fmt;
	struct rng r;
	unsigned reports, max_reports;
	unsigned insns;
	bool block_failed;
};

/* ---- reporting --------------------------------------------------------------- */

static void print_insn(const struct checker *c, uint64_t gpa)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	size_t avail = CODE_END - gpa < 15 ? CODE_END - gpa : 15;
	const uint8_t *p = c->code + (gpa - CODE_GPA);
	char text[96] = "(invalid)";

	if (ZYAN_SUCCESS(ZydisDecoderDecodeFull(&c->dec, p, avail, &zi, ops))) {
		ZydisFormatterFormatInstruction(&c->fmt, &zi, ops, zi.operand_count_visible, text, sizeof(text), gpa,
						NULL);
		avail = zi.length;
	}
	printf("    at %#llx:", (unsigned long long)gpa);
	for (size_t i = 0; i < avail; i++)
		printf(" %02x", p[i]);
	printf("   %s\n", text);
}

__attribute__((format(printf, 3, 4))) static void disagree(struct checker *c, uint64_t gpa, const char *fmt, ...)
{
	va_list ap;

	c->block_failed = true;
	if (c->reports++ >= c->max_reports)
		return;
	printf("DECODER DISAGREEMENT: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	print_insn(c, gpa);
}

/* ---- the independent reading ---------------------------------------------------- */

/* Our register numbering from Zydis's class and id (not from enum ranges, which
 * is what decode.c uses). Returns the operand kind, or -1 for a class the
 * interpreter does not take. */
static int expect_register(ZydisRegister r, uint8_t *num)
{
	int id = ZydisRegisterGetId(r);

	switch (ZydisRegisterGetClass(r)) {
	case ZYDIS_REGCLASS_GPR8:
		/* ids: AL CL DL BL AH CH DH BH SPL BPL SIL DIL R8B..R15B */
		*num = (uint8_t)(id < 4 ? id : id < 8 ? REG_AH + id - 4 : id - 4);
		return OK_REG;
	case ZYDIS_REGCLASS_GPR16:
	case ZYDIS_REGCLASS_GPR32:
	case ZYDIS_REGCLASS_GPR64:
		*num = (uint8_t)id;
		return OK_REG;
	case ZYDIS_REGCLASS_SEGMENT:
		*num = (uint8_t)id;
		return OK_SREG;
	case ZYDIS_REGCLASS_CONTROL:
		*num = (uint8_t)id;
		return OK_CR;
	case ZYDIS_REGCLASS_DEBUG:
		*num = (uint8_t)id;
		return OK_DR;
	case ZYDIS_REGCLASS_XMM: /* XMM16-31 need EVEX, which the CPU model lacks */
		*num = (uint8_t)id;
		return id < 16 ? OK_XMM : -1;
	case ZYDIS_REGCLASS_X87:
		*num = (uint8_t)id;
		return OK_ST;
	default:
		return -1;
	}
}

static bool has_prefix(const ZydisDecodedInstruction *zi, uint8_t byte)
{
	for (unsigned i = 0; i < zi->raw.prefix_count; i++)
		if (zi->raw.prefixes[i].value == byte)
			return true;
	return false;
}

/* The last of the given prefix bytes present, or 0. */
static uint8_t last_prefix_of(const ZydisDecodedInstruction *zi, const uint8_t *set, unsigned n)
{
	uint8_t last = 0;

	for (unsigned i = 0; i < zi->raw.prefix_count; i++)
		for (unsigned k = 0; k < n; k++)
			if (zi->raw.prefixes[i].value == set[k])
				last = set[k];
	return last;
}

static int segment_of_prefix(uint8_t p)
{
	switch (p) {
	case 0x26:
		return SREG_ES;
	case 0x2e:
		return SREG_CS;
	case 0x36:
		return SREG_SS;
	case 0x3e:
		return SREG_DS;
	case 0x64:
		return SREG_FS;
	case 0x65:
		return SREG_GS;
	default:
		return -1;
	}
}

static uint8_t last_segment_prefix(const ZydisDecodedInstruction *zi)
{
	static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };

	return last_prefix_of(zi, segs, sizeof(segs));
}

/* Little-endian signed or unsigned value of `bits` bits at bytes p. */
static uint64_t raw_value(const uint8_t *p, unsigned bits, bool is_signed)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bits / 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	if (is_signed && bits < 64)
		v = (uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits));
	return v;
}

struct expect_mem {
	uint8_t base, index, scale;
	int64_t disp;
	bool checkable;
};

/* ModRM/SIB memory operand of 64-bit mode (with or without 0x67), from the raw
 * fields: SDM Vol. 2, tables 2-2 and 2-3, with REX.B and REX.X. */
static struct expect_mem modrm_memory(const ZydisDecodedInstruction *zi, const uint8_t *bytes)
{
	struct expect_mem e = { NOREG, NOREG, 0, 0, true };
	unsigned mod = zi->raw.modrm.mod, rm = zi->raw.modrm.rm, b = zi->raw.rex.B, x = zi->raw.rex.X;

	if (rm == 4) {
		unsigned base = zi->raw.sib.base, index = zi->raw.sib.index | (x << 3);

		if (index != 4)
			e.index = (uint8_t)index, e.scale = zi->raw.sib.scale;
		if (!(base == 5 && mod == 0))
			e.base = (uint8_t)(base | (b << 3));
	} else if (rm == 5 && mod == 0) {
		e.base = REG_RIP;
	} else {
		e.base = (uint8_t)(rm | (b << 3));
	}
	if (zi->raw.disp.size)
		e.disp = (int64_t)raw_value(bytes + zi->raw.disp.offset, zi->raw.disp.size, true);
	return e;
}

/* ---- checking one instruction ---------------------------------------------------- */

struct ctx {
	struct checker *c;
	uint64_t gpa;
	const uint8_t *bytes;
	const ZydisDecodedInstruction *zi;
	const ZydisDecodedOperand *zo;
	const struct insn *in;
};

static void check_register(struct ctx *x, unsigned i)
{
	const struct operand *o = &x->in->op[i];
	unsigned width = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, x->zo[i].reg.value) / 8;
	uint8_t num = 0;
	int kind = expect_register(x->zo[i].reg.value, &num);

	if (kind < 0)
		return; /* a register class this test does not know (the interpreter may) */
	if (o->kind != kind || o->reg != num)
		disagree(x->c, x->gpa, "operand %u: register %s: kind %d number %u, expected kind %d number %u", i,
			 ZydisRegisterGetString(x->zo[i].reg.value), o->kind, o->reg, kind, num);
	else if (kind == OK_REG && o->size != width)
		disagree(x->c, x->gpa, "operand %u: register %s: size %u, expected %u", i,
			 ZydisRegisterGetString(x->zo[i].reg.value), o->size, width);
}

/* The last FS or GS prefix, or -1. */
static int fs_gs_override(const ZydisDecodedInstruction *zi)
{
	static const uint8_t fsgs[] = { 0x64, 0x65 };

	return segment_of_prefix(last_prefix_of(zi, fsgs, sizeof(fsgs)));
}

/* The segment an access uses in 64-bit mode, as silicon shows it: the last FS
 * or GS prefix wins over every other override; without one, the default is SS
 * for an RSP or RBP base, else DS. Returns -1 when a CS, DS, ES or SS override
 * makes the answer finer than FS/GS-or-not (SS vs DS for the canonical check:
 * the differential test checks that against silicon). */
static int expected_segment(const struct ctx *x, const struct expect_mem *e)
{
	int fsgs = fs_gs_override(x->zi);

	if (fsgs >= 0)
		return fsgs;
	if (segment_of_prefix(last_segment_prefix(x->zi)) >= 0)
		return -1;
	return e->base == 4 || e->base == 5 ? SREG_SS : SREG_DS;
}

static void check_memory(struct ctx *x, unsigned i)
{
	const ZydisDecodedOperand *zo = &x->zo[i];
	const struct operand *o = &x->in->op[i];
	struct expect_mem e = { NOREG, NOREG, 0, 0, false };
	uint64_t amask;
	int seg;

	if (o->kind != OK_MEM) {
		disagree(x->c, x->gpa, "operand %u: kind %d, expected memory", i, o->kind);
		return;
	}
	if (zo->encoding == ZYDIS_OPERAND_ENCODING_MODRM_RM)
		e = modrm_memory(x->zi, x->bytes);
	else if (zo->encoding == ZYDIS_OPERAND_ENCODING_DISP16_32_64) /* moffs */
		e = (struct expect_mem){
			NOREG, NOREG, 0,
			(int64_t)raw_value(x->bytes + x->zi->raw.disp.offset, x->zi->raw.disp.size, false), true
		};
	if (!e.checkable)
		return;
	if (x->zo[i].mem.type == ZYDIS_MEMOP_TYPE_AGEN) /* LEA: no access, no segment */
		seg = -2;
	else
		seg = expected_segment(x, &e);
	/* Displacements count modulo the address size (insn_ea() masks the sum). */
	amask = x->in->addrsize >= 8 ? ~0ull : (1ull << (x->in->addrsize * 8)) - 1;
	if (o->base != e.base || o->index != e.index || (e.index != NOREG && o->scale != e.scale) ||
	    ((uint64_t)o->disp & amask) != ((uint64_t)e.disp & amask))
		disagree(x->c, x->gpa,
			 "operand %u: memory base %u index %u scale %u disp %#llx, expected base %u index %u scale %u "
			 "disp %#llx",
			 i, o->base, o->index, o->scale, (unsigned long long)o->disp, e.base, e.index, e.scale,
			 (unsigned long long)e.disp);
	if (seg == -1 ? (o->seg == SREG_FS || o->seg == SREG_GS) : seg >= 0 && o->seg != seg)
		disagree(x->c, x->gpa, "operand %u: segment %u, expected %d", i, o->seg, seg);
}

static bool encoding_is(ZydisOperandEncoding enc, ZydisOperandEncoding lo, ZydisOperandEncoding hi)
{
	return enc >= lo && enc <= hi;
}

/* The size an immediate is extended to: the destination's, or for instructions
 * whose first operand is the immediate (PUSH, RET, ENTER, INT, OUT), the
 * operand size. */
static unsigned imm_target_bits(const struct ctx *x)
{
	const ZydisDecodedOperand *first = &x->zo[0];

	if (first->type == ZYDIS_OPERAND_TYPE_REGISTER || first->type == ZYDIS_OPERAND_TYPE_MEMORY)
		return first->size;
	return x->zi->operand_width ? x->zi->operand_width : first->size;
}

static void check_immediate(struct ctx *x, unsigned i, unsigned *raw_index)
{
	const ZydisDecodedOperand *zo = &x->zo[i];
	const struct operand *o = &x->in->op[i];
	ZydisOperandEncoding enc = zo->encoding;
	uint64_t want;

	if (o->kind != OK_IMM) {
		disagree(x->c, x->gpa, "operand %u: kind %d, expected an immediate", i, o->kind);
		return;
	}
	if (enc == ZYDIS_OPERAND_ENCODING_NONE) { /* an implied constant, e.g. the 1 of D1 /4 */
		want = zo->imm.value.u;
	} else {
		const struct ZydisDecodedInstructionRawImm_ *raw = &x->zi->raw.imm[(*raw_index)++ & 1];
		bool is_signed = !encoding_is(enc, ZYDIS_OPERAND_ENCODING_UIMM8, ZYDIS_OPERAND_ENCODING_UIMM16_32_32);
		unsigned bits = imm_target_bits(x);

		want = raw_value(x->bytes + raw->offset, raw->size, is_signed);
		if (!encoding_is(enc, ZYDIS_OPERAND_ENCODING_JIMM8, ZYDIS_OPERAND_ENCODING_JIMM16_32_32) && bits < 64)
			want &= (1ull << bits) - 1;
	}
	if (o->imm != want)
		disagree(x->c, x->gpa, "operand %u: immediate %#llx, expected %#llx", i, (unsigned long long)o->imm,
			 (unsigned long long)want);
}

/* Are all visible operands plain integer ones (GPRs, immediates, memory with
 * GPR or RIP addressing)? An implemented instruction with such operands must not
 * become #UD. */
static bool operands_integer(const struct ctx *x)
{
	for (unsigned i = 0; i < x->zi->operand_count_visible && i < 3; i++) {
		const ZydisDecodedOperand *zo = &x->zo[i];
		uint8_t num;

		if (zo->type == ZYDIS_OPERAND_TYPE_REGISTER && expect_register(zo->reg.value, &num) != OK_REG)
			return false;
		if (zo->type == ZYDIS_OPERAND_TYPE_MEMORY && zo->mem.index == ZYDIS_REGISTER_RIP)
			return false;
		if (zo->type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    ((zo->mem.base != ZYDIS_REGISTER_NONE && zo->mem.base != ZYDIS_REGISTER_RIP &&
		      zo->mem.base != ZYDIS_REGISTER_EIP && expect_register(zo->mem.base, &num) != OK_REG) ||
		     (zo->mem.index != ZYDIS_REGISTER_NONE && expect_register(zo->mem.index, &num) != OK_REG)))
			return false; /* vector-index (VSIB) operands and the like */
	}
	return true;
}

/* MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS: by opcode, in the one-byte map. */
static bool is_string(const ZydisDecodedInstruction *zi)
{
	uint8_t op = zi->opcode;

	if (zi->opcode_map != ZYDIS_OPCODE_MAP_DEFAULT)
		return false;
	return (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf) || (op >= 0x6c && op <= 0x6f);
}

/* MOVS, CMPS, LODS, OUTS read DS:rSI, which a prefix can override. */
static bool has_overridable_source(const ZydisDecodedInstruction *zi)
{
	uint8_t op = zi->opcode;

	return (op >= 0xa4 && op <= 0xa7) || op == 0xac || op == 0xad || op == 0x6e || op == 0x6f;
}

static void check_prefixes(struct ctx *x)
{
	static const uint8_t reps[] = { 0xf2, 0xf3 };
	const struct insn *in = x->in;
	unsigned want_addr = has_prefix(x->zi, 0x67) ? 4 : 8;

	if (in->addrsize != want_addr)
		disagree(x->c, x->gpa, "address size %u, expected %u", in->addrsize, want_addr);
	if (!!(in->flags & INSN_LOCK) != has_prefix(x->zi, 0xf0))
		disagree(x->c, x->gpa, "LOCK flag %d, prefix present %d", !!(in->flags & INSN_LOCK),
			 has_prefix(x->zi, 0xf0));
	if (is_string(x->zi)) {
		uint8_t last = last_prefix_of(x->zi, reps, 2);
		unsigned want = last == 0xf3 ? INSN_REP : last == 0xf2 ? INSN_REPNE : 0;
		int fsgs = fs_gs_override(x->zi);

		if ((in->flags & (INSN_REP | INSN_REPNE)) != want)
			disagree(x->c, x->gpa, "repeat flags %#x, expected %#x (the last of F2/F3 decides)",
				 in->flags & (INSN_REP | INSN_REPNE), want);
		/* Only the DS:rSI source can be overridden (MOVS, LODS, CMPS, OUTS). */
		if (has_overridable_source(x->zi) &&
		    (fsgs >= 0 ? in->seg != fsgs : (in->seg == SREG_FS || in->seg == SREG_GS)))
			disagree(x->c, x->gpa, "string source segment %u, expected %d", in->seg, fsgs);
	}
}

static int condition_of(ZydisMnemonic m)
{
	static const char *const cc[16] = { "o", "no", "b", "nb", "z", "nz", "be", "nbe",
					    "s", "ns", "p", "np", "l", "nl", "le", "nle" };
	const char *s = ZydisMnemonicGetString(m);
	const char *suffix = !strncmp(s, "set", 3)    ? s + 3
			     : !strncmp(s, "cmov", 4) ? s + 4
			     : s[0] == 'j'	      ? s + 1
						      : NULL;

	if (!suffix)
		return -1;
	for (int i = 0; i < 16; i++)
		if (!strcmp(suffix, cc[i]))
			return i;
	return -1;
}

static void check_operands(struct ctx *x)
{
	unsigned n = x->zi->operand_count_visible < 3 ? x->zi->operand_count_visible : 3, raw_imm = 0;
	int cc = condition_of(x->zi->mnemonic);

	if (x->in->nops != n)
		disagree(x->c, x->gpa, "%u operands, expected %u", x->in->nops, n);
	if (cc >= 0 && x->in->cc != cc)
		disagree(x->c, x->gpa, "condition %u, expected %d", x->in->cc, cc);
	for (unsigned i = 0; i < n; i++) {
		switch (x->zo[i].type) {
		case ZYDIS_OPERAND_TYPE_REGISTER:
			check_register(x, i);
			break;
		case ZYDIS_OPERAND_TYPE_MEMORY:
			check_memory(x, i);
			break;
		case ZYDIS_OPERAND_TYPE_IMMEDIATE:
			check_immediate(x, i, &raw_imm);
			break;
		default:
			break;
		}
	}
}

/* Checks insn against the bytes at gpa; returns its length, 0 if the block must
 * end here (invalid encoding). */
static unsigned check_insn(struct checker *c, uint64_t gpa, size_t avail, const struct insn *in)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
	struct ctx x = { c, gpa, c->code + (gpa - CODE_GPA), &zi, zo, in };
	const struct dispatch_entry *d;
	ZyanStatus st;

	c->insns++;
	st = ZydisDecoderDecodeFull(&c->dec, x.bytes, avail, &zi, zo);
	if (!ZYAN_SUCCESS(st)) {
		/* Longer than 15 bytes is #GP(0), anything else invalid #UD (SDM
		 * Vol. 2, 2.3.11; decode.c). */
		if (in->fn != (st == ZYDIS_STATUS_INSTRUCTION_TOO_LONG ? h_gp0 : h_ud) || in->len != 1)
			disagree(c, gpa, "invalid encoding decoded as length %u", in->len);
		return 0;
	}
	if (in->len != zi.length || in->mnemonic != zi.mnemonic) {
		disagree(c, gpa, "length %u mnemonic %s, expected %u %s", in->len,
			 ZydisMnemonicGetString((ZydisMnemonic)in->mnemonic), zi.length,
			 ZydisMnemonicGetString(zi.mnemonic));
		return zi.length;
	}
	d = dispatch_find(zi.mnemonic);
	if (in->fn == h_ud) {
		/* #UD is right where the model does not advertise the extension. */
		if (d && d->fn != h_ud && operands_integer(&x) && !isa_gate_refuses(c->v->cpu.model, MODE_LONG64, &zi))
			disagree(c, gpa, "#UD for an implemented instruction with integer operands");
		return zi.length;
	}
	check_prefixes(&x);
	check_operands(&x);
	return zi.length;
}

/* ---- blocks ------------------------------------------------------------------------ */

/* Does the block have to end after this instruction: #UD (invalid or not
 * implemented) or one that may change control flow or the mode? */
static bool ends_block(const struct insn *in)
{
	const struct dispatch_entry *d = dispatch_find((ZydisMnemonic)in->mnemonic);

	return in->fn == h_ud || !d || (d->flags & INSN_END_BLOCK);
}

/* A block that stops before an instruction it could have held (whole, inside
 * its page) must stop for a reason. */
static void check_block_end(struct checker *c, const struct block *b, uint64_t start, uint64_t next)
{
	uint64_t page_end = (start & ~0xfffull) + PAGE;
	ZydisDecodedInstruction zi;
	size_t avail;

	if (b->count == 0 || b->count >= BLOCK_LIMIT || next >= page_end || ends_block(&b->insns[b->count - 1]))
		return;
	avail = page_end - next < 15 ? page_end - next : 15;
	if (ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&c->dec, NULL, c->code + (next - CODE_GPA), avail, &zi)))
		disagree(c, next, "the block ended before this instruction for no reason");
}

static void check_block(struct checker *c, uint64_t start)
{
	struct block *b = decode_block(c->v, start, start);
	uint64_t gpa = start;
	bool invalid = false;

	c->block_failed = false;
	for (unsigned i = 0; i < b->count; i++) {
		/* Past the first instruction a block never crosses its first page. */
		uint64_t limit = i == 0 ? CODE_END : (start & ~0xfffull) + PAGE;
		size_t avail = limit - gpa < 15 ? limit - gpa : 15;
		unsigned len = check_insn(c, gpa, avail, &b->insns[i]);

		if (!len) {
			if (i + 1 != b->count)
				disagree(c, gpa, "the block goes on after an invalid instruction");
			invalid = true;
			break;
		}
		gpa += len;
	}
	if (b->count == 0 || b->count > BLOCK_LIMIT)
		disagree(c, start, "block of %u instructions", b->count);
	else if (!invalid)
		check_block_end(c, b, start, gpa);
	free(b);
}

/* ---- inputs ------------------------------------------------------------------------ */

static void fill_random(struct checker *c, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rng_next(&c->r);
}

/* Bytes that make decoders work: prefixes, REX, escape bytes, ModRM extremes. */
static uint8_t interesting_byte(struct checker *c)
{
	static const uint8_t bytes[] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65, 0x40,
					 0x41, 0x44, 0x48, 0x4c, 0x4f, 0x0f, 0x38, 0x3a, 0x04, 0x05, 0x24, 0x25,
					 0x44, 0x84, 0xc4, 0xc5, 0x8f, 0x62, 0xff, 0x00, 0x80, 0x7f };

	return bytes[rng_below(&c->r, sizeof(bytes))];
}

static void fill_from_generator(struct checker *c, uint8_t *p, size_t n)
{
	struct test_case *tc = malloc(sizeof(*tc));
	struct layout *l = malloc(sizeof(*l));
	size_t off = 0;

	fill_random(c, p, n);
	while (tc && l && off < n) {
		gen_case(rng_next(&c->r), tc);
		if (seq_layout(&tc->seq, l) == 0) {
			size_t k = l->len < n - off ? l->len : n - off;

			memcpy(p + off, l->code, k);
			off += k;
		} else {
			off++;
		}
	}
	/* Mutations: a few bytes replaced by interesting or random ones. */
	for (unsigned m = rng_below(&c->r, 6); m > 0; m--) {
		uint32_t at = rng_below(&c->r, (uint32_t)n);

		p[at] = rng_chance(&c->r, 1, 2) ? interesting_byte(c) : (uint8_t)rng_next(&c->r);
	}
	free(tc);
	free(l);
}

static void fill_prefix_soup(struct checker *c, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rng_chance(&c->r, 1, 2) ? interesting_byte(c) : (uint8_t)rng_next(&c->r);
}

static uint64_t pick_start(struct checker *c)
{
	if (rng_chance(&c->r, 1, 4)) /* near the end of the page: instructions that cross */
		return CODE_GPA + PAGE - 1 - rng_below(&c->r, 20);
	return CODE_GPA + rng_below(&c->r, PAGE);
}

static void next_input(struct checker *c)
{
	switch (rng_below(&c->r, 3)) {
	case 0:
		fill_random(c, c->code, 2 * PAGE);
		break;
	case 1:
		fill_prefix_soup(c, c->code, 2 * PAGE);
		break;
	default:
		fill_from_generator(c, c->code, 2 * PAGE);
		break;
	}
}

/* ---- the run ------------------------------------------------------------------------ */

static int checker_open(struct checker *c, uint64_t seed, unsigned max_reports)
{
	char why[200];

	memset(c, 0, sizeof(*c));
	if (guest_memory_init(&c->mem, 2ull << 20, why, sizeof(why))) {
		printf("decoder test: %s\n", why);
		return -1;
	}
	c->code = guest_memory_ptr(&c->mem, CODE_GPA, 2 * PAGE);
	c->v = calloc(1, sizeof(*c->v));
	if (!c->code || !c->v) {
		guest_memory_destroy(&c->mem);
		free(c->v);
		return -1;
	}
	/* A 64-bit CPU with paging off: linear = guest-physical for fetches. */
	c->v->cpu.mem = &c->mem;
	c->v->cpu.mode = MODE_LONG64;
	/* v2, as the engines under test run the sequences (harness.c). */
	c->v->cpu.model = cpu_model_find("v2");
	c->v->cpu.pending_irq = -1;
	c->v->decode_scratch = decode_scratch_new();
	ZydisDecoderInit(&c->dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	ZydisFormatterInit(&c->fmt, ZYDIS_FORMATTER_STYLE_INTEL);
	rng_seed(&c->r, seed);
	c->max_reports = max_reports;
	return 0;
}

static void checker_close(struct checker *c)
{
	free(c->v->decode_scratch);
	free(c->v);
	guest_memory_destroy(&c->mem);
}

void decoder_check_run(uint64_t seed, unsigned blocks, unsigned max_reports, struct decoder_result *r)
{
	struct checker c;

	memset(r, 0, sizeof(*r));
	if (checker_open(&c, seed, max_reports)) {
		r->failed = 1;
		return;
	}
	for (unsigned n = 0; n < blocks; n++) {
		if (n % 8 == 0)
			next_input(&c);
		check_block(&c, pick_start(&c));
		r->blocks++;
		if (c.block_failed)
			r->failed++;
		else
			r->passed++;
	}
	r->insns = c.insns;
	checker_close(&c);
}
