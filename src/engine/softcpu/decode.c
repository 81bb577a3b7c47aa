/* Zydis decodes; this file turns its output into struct insn, the form the
 * handlers execute (decode.h). */
#include "engine/softcpu/decode.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "engine/softcpu/dispatch.h"
#include "engine/softcpu/isa_gate.h"
#include "engine/softcpu/mem.h"
#include "log.h"
#include "vm/memory.h"

_Static_assert(DECODE_MAX_INSN_LEN == ZYDIS_MAX_INSTRUCTION_LENGTH, "one longest instruction");

static ZydisDecoder decoders[MODE_COUNT];
static pthread_once_t decoders_once = PTHREAD_ONCE_INIT;
static struct log_ratelimit unimplemented_log = LOG_RATELIMIT_INIT(32);

/* The decoder's machine mode and stack width in each CPU mode. */
static const struct {
	ZydisMachineMode machine;
	ZydisStackWidth stack;
} zydis_modes[MODE_COUNT] = {
	[MODE_REAL] = { ZYDIS_MACHINE_MODE_REAL_16, ZYDIS_STACK_WIDTH_16 },
	[MODE_PROT16] = { ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16 },
	[MODE_PROT32] = { ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32 },
	[MODE_LONG_COMPAT16] = { ZYDIS_MACHINE_MODE_LONG_COMPAT_16, ZYDIS_STACK_WIDTH_16 },
	[MODE_LONG_COMPAT32] = { ZYDIS_MACHINE_MODE_LONG_COMPAT_32, ZYDIS_STACK_WIDTH_32 },
	[MODE_LONG64] = { ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64 },
};

static void init_decoders(void)
{
	for (int m = 0; m < MODE_COUNT; m++)
		ZydisDecoderInit(&decoders[m], zydis_modes[m].machine, zydis_modes[m].stack);
}

/* Zydis register -> (kind, our number). Returns false for registers the handlers
 * do not take as operands. */
static bool map_register(ZydisRegister r, uint8_t *kind, uint8_t *num)
{
	*kind = OK_REG;
	if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_R15B) {
		unsigned i = r - ZYDIS_REGISTER_AL;

		/* Encoding order: AL CL DL BL AH CH DH BH SPL BPL SIL DIL R8B..R15B. */
		*num = (uint8_t)(i < 4 ? i : i < 8 ? REG_AH + (i - 4) : i < 12 ? i - 4 : i - 4);
		return true;
	}
	if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_R15W) {
		*num = (uint8_t)(r - ZYDIS_REGISTER_AX);
		return true;
	}
	if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_R15D) {
		*num = (uint8_t)(r - ZYDIS_REGISTER_EAX);
		return true;
	}
	if (r >= ZYDIS_REGISTER_RAX && r <= ZYDIS_REGISTER_R15) {
		*num = (uint8_t)(r - ZYDIS_REGISTER_RAX);
		return true;
	}
	if (r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS) {
		*kind = OK_SREG;
		*num = (uint8_t)(r - ZYDIS_REGISTER_ES);
		return true;
	}
	if (r >= ZYDIS_REGISTER_CR0 && r <= ZYDIS_REGISTER_CR15) {
		*kind = OK_CR;
		*num = (uint8_t)(r - ZYDIS_REGISTER_CR0);
		return true;
	}
	if (r >= ZYDIS_REGISTER_DR0 && r <= ZYDIS_REGISTER_DR15) {
		*kind = OK_DR;
		*num = (uint8_t)(r - ZYDIS_REGISTER_DR0);
		return true;
	}
	/* XMM16-31 exist only in EVEX encodings, which the CPU model does not have. */
	if (r >= ZYDIS_REGISTER_XMM0 && r <= ZYDIS_REGISTER_XMM15) {
		*kind = OK_XMM;
		*num = (uint8_t)(r - ZYDIS_REGISTER_XMM0);
		return true;
	}
	/* YMMn is XMMn with its upper half (x86_fpu.ymm_hi): OK_XMM of size 32. */
	if (r >= ZYDIS_REGISTER_YMM0 && r <= ZYDIS_REGISTER_YMM15) {
		*kind = OK_XMM;
		*num = (uint8_t)(r - ZYDIS_REGISTER_YMM0);
		return true;
	}
	if (r >= ZYDIS_REGISTER_MM0 && r <= ZYDIS_REGISTER_MM7) {
		*kind = OK_MM;
		*num = (uint8_t)(r - ZYDIS_REGISTER_MM0);
		return true;
	}
	if (r >= ZYDIS_REGISTER_ST0 && r <= ZYDIS_REGISTER_ST7) {
		*kind = OK_ST;
		*num = (uint8_t)(r - ZYDIS_REGISTER_ST0);
		return true;
	}
	return false;
}

static uint8_t gpr_of(ZydisRegister r)
{
	uint8_t kind, num;

	if (r == ZYDIS_REGISTER_NONE)
		return NOREG;
	if (r == ZYDIS_REGISTER_RIP || r == ZYDIS_REGISTER_EIP)
		return REG_RIP;
	if (!map_register(r, &kind, &num) || kind != OK_REG)
		return NOREG;
	return num;
}

/* VSIB (SDM Vol. 2A, 2.3.12): the index of a gather's memory operand is an
 * XMM or YMM register. */
static uint8_t vector_index_of(ZydisRegister r)
{
	uint8_t kind, num;

	if (r == ZYDIS_REGISTER_NONE || !map_register(r, &kind, &num) || kind != OK_XMM)
		return NOREG;
	return num;
}

static bool convert_operand(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *zo, struct operand *o)
{
	memset(o, 0, sizeof(*o));
	o->size = (uint8_t)(zo->size / 8);
	switch (zo->type) {
	case ZYDIS_OPERAND_TYPE_REGISTER:
		/* Zydis sizes a YMM source by what is read of it (VEXTRACTF128's:
		 * 128 bits); the operand is the whole register. */
		if (zo->reg.value >= ZYDIS_REGISTER_YMM0 && zo->reg.value <= ZYDIS_REGISTER_YMM15)
			o->size = 32;
		return map_register(zo->reg.value, &o->kind, &o->reg);
	case ZYDIS_OPERAND_TYPE_MEMORY:
		o->kind = OK_MEM;
		o->seg = (uint8_t)(zo->mem.segment - ZYDIS_REGISTER_ES);
		o->base = gpr_of(zo->mem.base);
		o->index = gpr_of(zo->mem.index);
		o->vsib = vector_index_of(zo->mem.index);
		o->scale = (uint8_t)(zo->mem.scale == 8 ? 3 : zo->mem.scale == 4 ? 2 : zo->mem.scale == 2 ? 1 : 0);
		o->disp = zo->mem.disp.has_displacement ? zo->mem.disp.value : 0;
		/* A SIB byte whose base field is 101b under mod 00 means no base
		 * and a disp32, whatever REX.B or VEX.B say (SDM Vol. 2A, table
		 * 2-3). Zydis 4.0 reads it as [R13D] without the displacement
		 * under 32-bit addressing with REX.B or VEX.B set (zydis#592,
		 * fixed upstream by zydis#593). */
		if (zo->encoding == ZYDIS_OPERAND_ENCODING_MODRM_RM && (zi->attributes & ZYDIS_ATTRIB_HAS_SIB) &&
		    zi->raw.modrm.mod == 0 && zi->raw.sib.base == 5) {
			o->base = NOREG;
			o->disp = zi->raw.disp.value;
		}
		/* In 64-bit mode CS, DS, ES and SS overrides are ignored (SDM Vol. 1 3.3.7.1,
		 * APM Vol. 1 4.5.3): a non-canonical address is #SS only for an RSP or RBP
		 * base, whatever the prefix. The modelled AMD processor does just that;
		 * some Intel processors raise #SS for an SS prefix too. Zydis agrees (DS). */
		/* LEA and friends have an "address generation" operand with no segment. */
		if (zo->mem.segment == ZYDIS_REGISTER_NONE)
			o->seg = SREG_DS;
		return o->index != REG_RIP;
	case ZYDIS_OPERAND_TYPE_IMMEDIATE:
		o->kind = OK_IMM;
		if (zo->imm.is_relative) {
			/* Branch target relative to the next instruction. */
			o->imm = zo->imm.value.u;
		} else {
			/* Immediates sign- or zero-extend to the operand size; keep that width. */
			unsigned bits = zi->operand_width ? zi->operand_width : zo->size;

			o->imm = zo->imm.is_signed ? (uint64_t)zo->imm.value.s : zo->imm.value.u;
			if (bits < 64)
				o->imm &= (1ull << bits) - 1;
		}
		return true;
	case ZYDIS_OPERAND_TYPE_POINTER:
		o->kind = OK_FAR;
		o->sel = zo->ptr.segment;
		o->imm = zo->ptr.offset;
		return true;
	default:
		return false;
	}
}

/* Fills in one instruction; returns its handler flags. */
static uint8_t convert(const struct cpu_model *model, uint8_t mode, const ZydisDecodedInstruction *zi,
		       const ZydisDecodedOperand *zops, struct insn *in)
{
	const struct dispatch_entry *d = dispatch_find_decoded(zi, zops);

	memset(in, 0, sizeof(*in));
	in->len = zi->length;
	in->mnemonic = (uint16_t)zi->mnemonic;
	in->opsize = (uint8_t)(zi->operand_width / 8);
	in->addrsize = (uint8_t)(zi->address_width / 8);
	if (zi->attributes & ZYDIS_ATTRIB_HAS_LOCK)
		in->flags |= INSN_LOCK;
	if (zi->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE))
		in->flags |= INSN_REP;
	if (zi->attributes & ZYDIS_ATTRIB_HAS_REPNE)
		in->flags |= INSN_REPNE;
	if (zi->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR)
		in->flags |= INSN_FAR;
	in->nops = zi->operand_count_visible > 4 ? 4 : zi->operand_count_visible;
	if (zi->operand_count && zops[0].type == ZYDIS_OPERAND_TYPE_MEMORY &&
	    (zops[0].actions & ZYDIS_OPERAND_ACTION_MASK_READ) && (zops[0].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
		in->flags |= INSN_RMW;
	for (unsigned i = 0; i < in->nops; i++) {
		if (!convert_operand(zi, &zops[i], &in->op[i])) {
			d = NULL;
			break;
		}
	}
	in->seg = SREG_DS;
	if (zi->attributes & ZYDIS_ATTRIB_HAS_SEGMENT_ES)
		in->seg = SREG_ES;
	else if (zi->attributes & ZYDIS_ATTRIB_HAS_SEGMENT_CS)
		in->seg = SREG_CS;
	else if (zi->attributes & ZYDIS_ATTRIB_HAS_SEGMENT_SS)
		in->seg = SREG_SS;
	else if (zi->attributes & ZYDIS_ATTRIB_HAS_SEGMENT_FS)
		in->seg = SREG_FS;
	else if (zi->attributes & ZYDIS_ATTRIB_HAS_SEGMENT_GS)
		in->seg = SREG_GS;
	/* Jcc, SETcc, CMOVcc: the condition is the low nibble of the last opcode byte. */
	in->cc = zi->opcode & 0xf;
	/* LOCK is legal only on read-modify-write instructions with a memory
	 * destination. Zydis already refuses the other uses (ZYDIS_STATUS_ILLEGAL_LOCK,
	 * which decode_insn turns into #UD); this keeps every handler safe from it. */
	if ((zi->attributes & ZYDIS_ATTRIB_HAS_LOCK) && !(zi->attributes & ZYDIS_ATTRIB_ACCEPTS_LOCK)) {
		in->fn = h_ud;
		return INSN_END_BLOCK;
	}
	/* An extension the CPU model does not advertise: #UD, as on a processor
	 * without it, whether or not the soft CPU has its handler. */
	if (isa_gate_refuses(model, mode, zi)) {
		in->fn = h_ud;
		return INSN_END_BLOCK;
	}
	if (!d) {
		if (log_ratelimit_allow(&unimplemented_log))
			log_warn("guest CPU: %s is not implemented (raising #UD)",
				 ZydisMnemonicGetString(zi->mnemonic));
		in->fn = h_ud;
		return INSN_END_BLOCK;
	}
	in->fn = d->fn;
	return d->flags;
}

enum decode_status decode_insn(const struct cpu_model *model, uint8_t mode, const uint8_t *bytes, size_t avail,
			       struct insn *in, bool *ends_block)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zops[ZYDIS_MAX_OPERAND_COUNT];
	ZyanStatus st;

	pthread_once(&decoders_once, init_decoders);
	st = ZydisDecoderDecodeFull(&decoders[mode], bytes, avail, &zi, zops);
	if (st == ZYDIS_STATUS_NO_MORE_DATA)
		return DECODE_TRUNCATED;
	if (!ZYAN_SUCCESS(st)) {
		/* Invalid encoding: #UD; longer than 15 bytes: #GP(0) (SDM Vol. 2,
		 * 2.3.11). */
		memset(in, 0, sizeof(*in));
		in->fn = st == ZYDIS_STATUS_INSTRUCTION_TOO_LONG ? h_gp0 : h_ud;
		in->len = 1;
		*ends_block = true;
		return DECODE_INVALID;
	}
	*ends_block = (convert(model, mode, &zi, zops, in) & INSN_END_BLOCK) != 0;
	return DECODE_INSN;
}

/* Bytes of an instruction that crosses into the next page. Bytes beyond RAM (the
 * next page is MMIO or nothing) read as the PC bus reads them, all ones; the
 * instruction then decodes as whatever that makes of it (FF FF is #UD). */
size_t decode_fetch_across(struct soft_cpu *cpu, uint64_t lin, uint64_t gpa, uint8_t *buf, uint64_t *gpa_next)
{
	size_t first = 4096 - (gpa & 0xfff);
	uint64_t next_lin = cpu->mode == MODE_LONG64 ? lin + first : (lin + first) & 0xffffffffull;
	const uint8_t *a = guest_memory_ptr(cpu->mem, gpa, first);
	const uint8_t *b;

	*gpa_next = mmu_translate_fetch(cpu, next_lin) & ~0xfffull;
	b = guest_memory_ptr(cpu->mem, *gpa_next, ZYDIS_MAX_INSTRUCTION_LENGTH - first);
	if (!a)
		return 0;
	memcpy(buf, a, first);
	if (b)
		memcpy(buf + first, b, ZYDIS_MAX_INSTRUCTION_LENGTH - first);
	else
		memset(buf + first, 0xff, ZYDIS_MAX_INSTRUCTION_LENGTH - first);
	return ZYDIS_MAX_INSTRUCTION_LENGTH;
}

bool decode_disassemble(uint8_t mode, uint64_t rip, const uint8_t *bytes, size_t n, ZydisDisassembledInstruction *out)
{
	return ZYAN_SUCCESS(ZydisDisassembleIntel(zydis_modes[mode].machine, rip, bytes, n, out));
}

int softcpu_disassemble(struct soft_cpu *cpu, char *buf, size_t len)
{
	uint64_t lin = cpu->mode == MODE_LONG64 ? cpu->rip : (cpu->seg[SREG_CS].base + cpu->rip) & 0xffffffffull;
	uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH];
	ZydisDisassembledInstruction insn;
	size_t n = 0;

	/* Byte by byte: the instruction may cross into another page. */
	for (; n < sizeof(bytes); n++) {
		uint64_t gpa;
		const uint8_t *p;

		if (!mmu_probe(cpu, lin + n, ACC_EXEC, &gpa) || !(p = guest_memory_ptr(cpu->mem, gpa, 1)))
			break;
		bytes[n] = *p;
	}
	if (!decode_disassemble(cpu->mode, cpu->rip, bytes, n, &insn))
		return -1;
	snprintf(buf, len, "%s", insn.text);
	return 0;
}

/* The 64-byte chunks of the page that [off, off + len) covers. */
static uint64_t chunks(unsigned off, unsigned len)
{
	uint64_t mask = 0;

	for (unsigned c = off >> 6; c <= ((off + len - 1) >> 6) && c < 64; c++)
		mask |= 1ull << c;
	return mask;
}

bool decode_is_jcc(uint16_t mnemonic)
{
	switch (mnemonic) {
	case ZYDIS_MNEMONIC_JB:
	case ZYDIS_MNEMONIC_JBE:
	case ZYDIS_MNEMONIC_JL:
	case ZYDIS_MNEMONIC_JLE:
	case ZYDIS_MNEMONIC_JNB:
	case ZYDIS_MNEMONIC_JNBE:
	case ZYDIS_MNEMONIC_JNL:
	case ZYDIS_MNEMONIC_JNLE:
	case ZYDIS_MNEMONIC_JNO:
	case ZYDIS_MNEMONIC_JNP:
	case ZYDIS_MNEMONIC_JNS:
	case ZYDIS_MNEMONIC_JNZ:
	case ZYDIS_MNEMONIC_JO:
	case ZYDIS_MNEMONIC_JP:
	case ZYDIS_MNEMONIC_JS:
	case ZYDIS_MNEMONIC_JZ:
		return true;
	default:
		return false;
	}
}

/* A block goes on past a Jcc (it becomes a side exit: INSN_SIDE_EXIT), as
 * the straight line after it is where it goes when not taken, and a block
 * ends at every other branch: a run of blocks each ending at a Jcc cost one
 * block exit and entry per Jcc, taken or not. A Jcc back to the block's first
 * instruction too: a loop whose other way round goes on past it (busybox's
 * head: a byte loop with two ways back) stays in one block, and the
 * translator loops in host code from either. */
static bool goes_on_after(struct insn *in)
{
	if (!decode_is_jcc(in->mnemonic) || in->op[0].kind != OK_IMM || in->fn == h_ud || in->fn == h_gp0)
		return false;
	in->flags |= INSN_SIDE_EXIT;
	return true;
}

/* A trace's calls not yet returned from, as decode_run follows them: a
 * block holds a followed CALL only with its RET, and a callee only when it
 * returns within CALLEE_MAX instructions. Bigger callees would be copied
 * into every trace that calls them: following every call, a boot
 * translated three times the instructions, in a cache half again as full,
 * and took twice as long. */
#define FOLLOW_DEPTH 4
#define CALLEE_MAX 24

struct follow_state {
	uint64_t returns[FOLLOW_DEPTH];
	/* The run as it was after each CALL, to go back to when its callee
	 * does not return in the block. */
	struct {
		unsigned count, npages;
		uint64_t masks[DECODE_MAX_PAGES];
	} at_call[FOLLOW_DEPTH];
	unsigned depth;
};

static void remember_call(struct follow_state *f, const struct decoded_run *out)
{
	f->at_call[f->depth].count = out->count;
	f->at_call[f->depth].npages = out->npages;
	for (unsigned k = 0; k < out->npages; k++)
		f->at_call[f->depth].masks[k] = out->pages[k].code_mask;
}

/* The run back to where it was after its outermost CALL still without its
 * RET, which now ends it. */
static void unfollow_calls(struct follow_state *f, struct insn *insns, struct decoded_run *out)
{
	out->count = f->at_call[0].count;
	out->npages = f->at_call[0].npages;
	for (unsigned k = 0; k < out->npages; k++)
		out->pages[k].code_mask = f->at_call[0].masks[k];
	insns[out->count - 1].flags &= (uint8_t)~INSN_FOLLOWED;
	f->depth = 0;
}

/* Where a followable branch `in` at lin goes on (decode_limits.follow), or
 * false: a direct JMP or CALL with a 64-bit operand size, a RET without
 * imm16 with a call to return to. */
static bool follow_target(const struct insn *in, uint64_t lin, const struct follow_state *f, uint64_t *target)
{
	uint64_t next = lin + in->len;

	if (in->fn == h_ud || in->fn == h_gp0 || in->opsize != 8 || (in->flags & INSN_FAR))
		return false;
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_JMP:
	case ZYDIS_MNEMONIC_CALL:
		if (in->op[0].kind != OK_IMM)
			return false;
		*target = next + in->op[0].imm;
		return is_canonical(*target);
	case ZYDIS_MNEMONIC_RET:
		if (in->nops || !f->depth)
			return false;
		*target = f->returns[f->depth - 1];
		return true;
	default:
		return false;
	}
}

/* The page of out holding linear lin (first_lin's page at pages[0]), added
 * when it is new and a run may use one more: its guest-physical page must be
 * RAM, found without a fault, and no other of the run's pages. -1: none. */
static int follow_page(struct soft_cpu *cpu, struct decoded_run *out, uint64_t first_lin, uint64_t lin)
{
	uint64_t lin_off = (lin & ~0xfffull) - (first_lin & ~0xfffull), gpa;
	unsigned k;

	for (k = 0; k < out->npages; k++)
		if (out->pages[k].lin_off == lin_off)
			return (int)k;
	if (out->npages == DECODE_MAX_PAGES || !mmu_translate_fetch_try(cpu, lin, &gpa) ||
	    !guest_memory_ptr(cpu->mem, gpa & ~0xfffull, 4096))
		return -1;
	for (k = 0; k < out->npages; k++)
		if (out->pages[k].gpa == (gpa & ~0xfffull))
			return -1;
	out->pages[out->npages] = (struct decoded_page){ .gpa = gpa & ~0xfffull, .lin_off = lin_off };
	return (int)out->npages++;
}

static bool already_in(const uint64_t *lins, unsigned n, uint64_t lin)
{
	for (unsigned k = 0; k < n; k++)
		if (lins[k] == lin)
			return true;
	return false;
}

/* An instruction that raises #UD where it is run: code outside RAM (the bus
 * reads all ones, FF FF is #UD). */
static void decode_ud(struct insn *in)
{
	memset(in, 0, sizeof(*in));
	in->fn = h_ud;
	in->len = 1;
}

void decode_run(struct soft_cpu *cpu, uint64_t lin, uint64_t gpa, struct insn *insns,
		const struct decode_limits *limits, struct decoded_run *out)
{
	const uint8_t *page = guest_memory_ptr(cpu->mem, gpa & ~0xfffull, 4096);
	unsigned off = (unsigned)(gpa & 0xfff), side_exits = 0, pg = 0;
	uint64_t at = lin; /* the linear address of the next instruction */
	uint64_t lins[DECODE_MAX_TRACE];
	struct follow_state f = { .depth = 0 };
	bool follow = limits->follow && cpu->mode == MODE_LONG64;

	*out = (struct decoded_run){ .npages = 1, .pages[0] = { .gpa = gpa & ~0xfffull } };
	while (out->count < limits->max_insns) {
		struct insn *in = &insns[out->count];
		uint8_t buf[DECODE_MAX_INSN_LEN];
		enum decode_status st;
		uint64_t target;
		bool ends;
		int to;

		if (f.depth && out->count - f.at_call[f.depth - 1].count >= CALLEE_MAX)
			break;
		if (!page) {
			decode_ud(in);
			out->count++;
			break;
		}
		st = decode_insn(cpu->model, cpu->mode, page + off, 4096 - off, in, &ends);
		if (st == DECODE_TRUNCATED) {
			uint64_t next;

			if (out->count) /* decode it as the first instruction of its own block */
				break;
			if (!decode_fetch_across(cpu, lin, gpa, buf, &next)) {
				decode_ud(in); /* cannot happen: the first page is RAM */
				out->count++;
				break;
			}
			st = decode_insn(cpu->model, cpu->mode, buf, sizeof(buf), in, &ends);
			out->pages[1] = (struct decoded_page){ .gpa = next, .lin_off = 4096, .code_mask = 1 };
			out->npages = 2;
			out->crosses = true;
			if (st == DECODE_TRUNCATED) { /* cannot happen: 15 bytes end any instruction */
				decode_ud(in);
				st = DECODE_INVALID;
			}
		}
		out->pages[pg].code_mask |= chunks(off, in->len);
		if (out->count < DECODE_MAX_TRACE)
			lins[out->count] = at;
		out->count++;
		off += in->len;
		at += in->len;
		if (st != DECODE_INSN || out->crosses)
			break;
		if (ends && side_exits < limits->side_exits && goes_on_after(in)) {
			side_exits++;
			ends = false;
		}
		if (!ends) {
			if (off >= 4096)
				break;
			continue;
		}
		/* A branch: followed only to code not in the run yet (a loop back to
		 * the first instruction stays a loop of one block), with room for
		 * more. */
		if (!follow || out->count >= limits->max_insns || out->count >= DECODE_MAX_TRACE ||
		    !follow_target(in, at - in->len, &f, &target) ||
		    (in->mnemonic == ZYDIS_MNEMONIC_CALL && f.depth == FOLLOW_DEPTH) ||
		    already_in(lins, out->count, target) || (to = follow_page(cpu, out, lin, target)) < 0)
			break;
		if (in->mnemonic == ZYDIS_MNEMONIC_CALL) {
			remember_call(&f, out);
			f.returns[f.depth++] = at;
		} else if (in->mnemonic == ZYDIS_MNEMONIC_RET) {
			f.depth--;
		}
		in->op[1].imm = target - at;
		in->flags |= INSN_FOLLOWED;
		pg = (unsigned)to;
		page = guest_memory_ptr(cpu->mem, out->pages[pg].gpa, 4096);
		off = (unsigned)(target & 0xfff);
		at = target;
	}
	if (f.depth)
		unfollow_calls(&f, insns, out);
}
