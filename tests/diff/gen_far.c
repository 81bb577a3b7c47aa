/* Far pointers and far transfers: LFS, LGS and LSS; far JMP and CALL through
 * memory; RETF. Each unit writes the far pointer (or the return frame) with
 * a selector drawn from the guest image's GDT, which has Linux's layout
 * (guest_image.h), so that the native reference's process loads the same
 * kind of descriptor: its user data and code, the 32-bit code (never as a
 * far transfer's target: compatibility mode is out of scope here), kernel
 * code and data, the TSS, the empty LDT and TLS entries, the per-CPU entry,
 * null selectors of every RPL, LDT selectors (no LDT), and some past the
 * GDT's limit. Operand sizes 16, 32 and REX.W (which the AMD host takes as
 * 32 for the pointer, docs/cpu-model.md).
 *
 * Every unit is native_only: the kvm reference on the nested development
 * host runs guest user code with the host's selectors (README.md). A far
 * transfer's target is the item after it, its address a RIP-relative LEA
 * filled at layout (ITEM_ADDR); the units are joined, so that no branch
 * lands between the LEA and the transfer. */
#include "gen_internal.h"

/* Pointer registers: any but RSP, RBP, R12 and R13, whose ModRM forms need a
 * SIB byte or a displacement (raw encodings here). */
#define PTR_AVOID (1u << RSP_N | 1u << RBP_N | 1u << 12 | 1u << 13)
#define SREG_ES_N 0
#define SREG_SS_N 2
#define SREG_FS_N 4
#define SREG_GS_N 5

static const uint16_t data_selectors[] = {
	0,
	1,
	2,
	3,
	GI_SEL_UDATA,
	GI_SEL_UDATA & ~3,
	GI_SEL_UDATA - 1,
	GI_SEL_UDATA - 2,
	GI_SEL_UCODE,
	GI_SEL_UCODE & ~3,
	GI_SEL_UCODE32,
	GI_SEL_KCODE,
	GI_SEL_KCODE | 3,
	GI_SEL_KDATA,
	GI_SEL_KDATA | 3,
	GI_SEL_KCODE32 | 3,
	GI_SEL_CPUNODE,
	GI_SEL_CPUNODE & ~3,
	GI_SEL_TSS | 3,
	0x4b,
	0x53,
	0x3b,
	0x63,
	0x6b,
	0x73,
	0x80,
	0x83,
	0x7f,
	0x07,
	0xfffb,
};

/* CS: every one but the 32-bit code at any RPL (a far JMP or CALL takes it
 * with RPL 0 to 2 as well: a switch to compatibility mode), with RPL 3 and
 * below it (RETF reads SS:RSP first for those). */
static const uint16_t code_selectors[] = {
	GI_SEL_UCODE,
	GI_SEL_UCODE,
	GI_SEL_UCODE & ~3,
	GI_SEL_UCODE - 1,
	GI_SEL_UCODE - 2,
	0,
	3,
	1,
	GI_SEL_KCODE,
	GI_SEL_KCODE | 3,
	GI_SEL_KCODE32,
	GI_SEL_KCODE32 | 3,
	GI_SEL_UDATA,
	GI_SEL_UDATA & ~3,
	GI_SEL_KDATA,
	GI_SEL_CPUNODE,
	GI_SEL_TSS | 3,
	GI_SEL_TSS,
	0x53,
	0x63,
	0x83,
	0x07,
	0x3b,
};

static uint16_t pick_selector(struct gen *g, const uint16_t *list, unsigned n)
{
	uint16_t sel;

	if (!rng_chance(&g->r, 1, 12))
		return list[rng_below(&g->r, n)];
	do
		sel = (uint16_t)rng_next(&g->r);
	while ((sel & ~3u) == (GI_SEL_UCODE32 & ~3u) && list == code_selectors);
	return sel;
}

/* `mov [base + disp], imm` of size 2, 4 or 8 (imm32 sign-extended), or of
 * register src when src_reg. */
static bool store(struct gen *g, unsigned base, int64_t disp, unsigned size, bool src_reg, uint64_t v)
{
	ZydisEncoderRequest q;
	ZydisEncoderOperand op = { .type = ZYDIS_OPERAND_TYPE_MEMORY };

	gen_req_init(&q, ZYDIS_MNEMONIC_MOV);
	op.mem.base = gen_gpr(8, base);
	op.mem.displacement = disp;
	op.mem.size = (ZyanU16)size;
	gen_add_op(&q, &op);
	if (src_reg)
		gen_add_reg(&q, gen_gpr(size, (unsigned)v));
	else
		gen_add_imm(&q, size == 2 ? (int64_t)(int16_t)v : (int64_t)(int32_t)v);
	return gen_encodable(&q) && gen_append(g, &q, 0, 0, 0);
}

/* `lea reg, [rip + target]`, the target being the item `skip` items after it. */
static bool lea_target(struct gen *g, unsigned reg, unsigned skip)
{
	ZydisEncoderRequest q;
	ZydisEncoderOperand op = { .type = ZYDIS_OPERAND_TYPE_MEMORY };
	struct item *it;

	gen_req_init(&q, ZYDIS_MNEMONIC_LEA);
	gen_add_reg(&q, gen_gpr(8, reg));
	op.mem.base = ZYDIS_REGISTER_RIP;
	op.mem.displacement = GI_CODE;
	op.mem.size = 8;
	gen_add_op(&q, &op);
	if (!gen_encodable(&q) || !(it = gen_append(g, &q, 0, 0, 0)))
		return false;
	it->kind = ITEM_ADDR;
	it->skip = (uint8_t)skip;
	return true;
}

/* The raw bytes of `[66] [REX] opcode... modrm` with ModRM mod 00 (mod 11
 * when reg_rm), reg and rm; rex_w sets REX.W. */
static bool raw_modrm(struct gen *g, bool o16, bool rex_w, const uint8_t *op, unsigned oplen, unsigned reg, unsigned rm,
		      bool reg_rm)
{
	uint8_t b[8];
	unsigned n = 0;
	uint8_t rex = (uint8_t)(0x40 | (rex_w ? 8 : 0) | (reg >= 8 ? 4 : 0) | (rm >= 8 ? 1 : 0));

	if (o16)
		b[n++] = 0x66;
	if (rex != 0x40)
		b[n++] = rex;
	for (unsigned i = 0; i < oplen; i++)
		b[n++] = op[i];
	b[n++] = (uint8_t)((reg_rm ? 0xc0 : 0) | (reg & 7) << 3 | (rm & 7));
	return gen_emit_raw(g, b, n);
}

/* Every item the unit appended from `start` on runs on the native reference
 * alone. */
static void mark_native_only(struct gen *g, unsigned start)
{
	for (unsigned i = start; i < g->s->n; i++)
		g->s->it[i].native_only = 1;
}

/* Where the pointer is: in the data page, written by the unit; or, one time
 * in 8, where reading it faults (the page's last bytes, the offset or the
 * selector crossing into the unmapped page after it; the canonical boundary),
 * left as it is. */
static uint64_t pointer_address(struct gen *g, bool *write_it)
{
	*write_it = true;
	if (!rng_chance(&g->r, 1, 8))
		return (uint64_t)rng_range(&g->r, ADDR_LO, ADDR_HI);
	*write_it = false;
	if (gen_noncanonical_allowed && rng_chance(&g->r, 1, 3))
		return (1ull << 47) - (uint64_t)rng_range(&g->r, 1, 6);
	return GI_DATA + PAGE - (uint64_t)rng_range(&g->r, 1, 6);
}

/* ---- LFS, LGS, LSS ------------------------------------------------------------- */

static bool far_pointer_unit(struct gen *g)
{
	static const uint8_t opcodes[3] = { 0xb2, 0xb4, 0xb5 }; /* LSS, LFS, LGS */
	static const unsigned sregs[3] = { SREG_SS_N, SREG_FS_N, SREG_GS_N };
	unsigned k = rng_below(&g->r, 3), form = rng_below(&g->r, 3);
	bool o16 = form == 0, rex_w = form == 2, write_it;
	unsigned osz = o16 ? 2 : 4, ptr = gen_reg_avoid(g, 8, true, PTR_AVOID);
	unsigned dst = gen_reg_avoid(g, 8, true, 1u << ptr);
	uint64_t at = pointer_address(g, &write_it), off = gen_value(&g->r);
	uint16_t sel = pick_selector(g, data_selectors, ARRAY_LEN(data_selectors));
	uint8_t op[2] = { 0x0f, opcodes[k] };

	if (k == 0 && rng_chance(&g->r, 1, 3)) {
		sel = GI_SEL_UDATA; /* the stack switched within the stack page */
		if (rng_chance(&g->r, 1, 2)) {
			dst = RSP_N;
			off = o16 ? (GI_STACK & 0xffff) + (uint64_t)rng_range(&g->r, 0x100, 0xf00)
				  : GI_STACK + (uint64_t)rng_range(&g->r, 0x100, 0xf00);
		}
	}
	if (!gen_emit_setup(g, ptr, (int64_t)at))
		return false;
	if (write_it && (!store(g, ptr, 0, osz, false, off) || !store(g, ptr, osz, 2, false, sel)))
		return false;
	if (!raw_modrm(g, o16, rex_w, op, 2, dst, ptr, false))
		return false;
	if (k == 0 || rng_chance(&g->r, 1, 4))
		return true;
	/* The selector loaded, through MOV r32, Sreg; then a load through it
	 * (base 0 now, as in the native process). */
	{
		static const uint8_t mov_from_sreg = 0x8c;
		unsigned show = gen_reg_avoid(g, 8, true, 1u << ptr | 1u << dst);
		ZydisEncoderRequest q;
		ZydisEncoderOperand mem = { .type = ZYDIS_OPERAND_TYPE_MEMORY };

		if (!raw_modrm(g, false, false, &mov_from_sreg, 1, sregs[k], show, true) || !write_it)
			return true;
		gen_req_init(&q, ZYDIS_MNEMONIC_MOV);
		gen_add_reg(&q, gen_gpr(8, show));
		mem.mem.base = gen_gpr(8, ptr);
		mem.mem.size = 8;
		gen_add_op(&q, &mem);
		q.prefixes = k == 1 ? ZYDIS_ATTRIB_HAS_SEGMENT_FS : ZYDIS_ATTRIB_HAS_SEGMENT_GS;
		return gen_encodable(&q) && gen_append(g, &q, 0, 0, 0);
	}
}

bool fam_far_pointer(struct gen *g)
{
	unsigned start = g->s->n;

	if (!gen_native_only_allowed || !gen_joined_unit(g, far_pointer_unit))
		return false;
	mark_native_only(g, start);
	return true;
}

/* ---- far JMP, CALL and RETF ------------------------------------------------------ */

/* JMP or CALL m16:16/32 (REX.W: still m16:32 on the AMD host) to the next
 * item: lea rax, target; mov [ptr], eax; mov word [ptr + osz], sel; jmp far [ptr].
 * The 16-bit form's target is the low 16 bits of the address (nothing is
 * mapped there: #PF on the fetch). */
static bool far_branch_unit(struct gen *g)
{
	unsigned form = rng_below(&g->r, 3), osz = form == 0 ? 2 : 4, ptr = gen_reg_avoid(g, 8, true, PTR_AVOID);
	unsigned tmp = gen_reg_avoid(g, 8, true, 1u << ptr);
	bool call = rng_chance(&g->r, 1, 2), write_it;
	uint64_t at = pointer_address(g, &write_it);
	uint16_t sel = pick_selector(g, code_selectors, ARRAY_LEN(code_selectors));
	uint8_t op = 0xff;

	if (!gen_emit_setup(g, ptr, (int64_t)at))
		return false;
	if (write_it) {
		if (!lea_target(g, tmp, 3) || !store(g, ptr, 0, osz, true, tmp) || !store(g, ptr, osz, 2, false, sel))
			return false;
	}
	return raw_modrm(g, form == 0, form == 2, &op, 1, call ? 3 : 5, ptr, false);
}

/* RETF [imm16] at 32 or 64 bits to the next item, through a frame the unit
 * writes below RSP: RIP, then CS. Now and then RSP is first put at the end
 * of the stack page, so that the SS and RSP slots RETF reads for a CS whose
 * RPL is not 3 are in the unmapped page after it (#PF before the #GP). */
static bool retf_unit(struct gen *g)
{
	unsigned sz = rng_chance(&g->r, 1, 2) ? 8 : 4, tmp = gen_reg_avoid(g, 8, true, 0);
	uint16_t sel = pick_selector(g, code_selectors, ARRAY_LEN(code_selectors));
	uint16_t imm = rng_chance(&g->r, 1, 4) ? (uint16_t)(rng_below(&g->r, 5) * 8) : 0;
	uint8_t b[4], n = 0;

	if (rng_chance(&g->r, 1, 3) && !gen_emit_setup(g, RSP_N, (int64_t)(GI_STACK + PAGE)))
		return false;
	if (!lea_target(g, tmp, 4) || !store(g, RSP_N, -(int64_t)sz, sz, false, sel) ||
	    !store(g, RSP_N, -2 * (int64_t)sz, sz, true, tmp))
		return false;
	{
		ZydisEncoderRequest q;
		ZydisEncoderOperand mem = { .type = ZYDIS_OPERAND_TYPE_MEMORY };

		gen_req_init(&q, ZYDIS_MNEMONIC_LEA);
		gen_add_reg(&q, gen_gpr(8, RSP_N));
		mem.mem.base = ZYDIS_REGISTER_RSP;
		mem.mem.displacement = -2 * (int64_t)sz;
		mem.mem.size = 8;
		gen_add_op(&q, &mem);
		if (!gen_encodable(&q) || !gen_append(g, &q, 0, 0, 0))
			return false;
	}
	if (sz == 8)
		b[n++] = 0x48;
	if (imm) {
		b[n++] = 0xca;
		b[n++] = (uint8_t)imm;
		b[n++] = (uint8_t)(imm >> 8);
	} else {
		b[n++] = 0xcb;
	}
	return gen_emit_raw(g, b, n);
}

bool fam_far_transfer(struct gen *g)
{
	unsigned start = g->s->n;

	if (!gen_native_only_allowed || !gen_joined_unit(g, rng_chance(&g->r, 1, 2) ? far_branch_unit : retf_unit))
		return false;
	mark_native_only(g, start);
	return true;
}
