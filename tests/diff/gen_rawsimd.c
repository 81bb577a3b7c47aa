/* Random encodings of SSE to SSE4.2 and AVX/AVX2 instructions, as raw bytes:
 * whatever the core decodes (model max, 64-bit) and implements, odd prefixes,
 * VEX.W/L/vvvv bits and all, most of them ones dbt runs as themselves
 * (ident_simd.c), the rest run by the core in between. A unit loads all 256
 * bits of every vector register an instruction names before its first use
 * (registers are not compared: the native child's hold what earlier
 * sequences left), gives each memory operand its registers and a small
 * displacement so that it lands in the data or stack page (aligned, or not,
 * or across into the unmapped page, or in the code page, or wild), and at
 * the end stores every register it used into the data page, which is
 * compared. */
#include "gen_internal.h"

#include <string.h>

#include "engine/dbt/ident.h"
#include "engine/softcpu/decode.h"
#include "engine/softcpu/dispatch.h"
#include "engine/softcpu/insn.h"
#include "guest_image.h"
#include "x86/cpu_model.h"

#define RAW_TRIES 4000
#define SHOW_AT (GI_DATA + 0x100) /* 14 registers of 32 bytes: up to 0x2c0 */

static const uint8_t raw_pfx[] = { 0x66, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65, 0x67, 0xf0 };

static void raw_bytes(struct gen *g, uint8_t *b)
{
	unsigned n = 0, npfx = rng_chance(&g->r, 1, 4) ? rng_below(&g->r, 4) : rng_below(&g->r, 2);

	for (unsigned i = 0; i < npfx; i++)
		b[n++] = raw_pfx[rng_below(&g->r, ARRAY_LEN(raw_pfx))];
	switch (rng_below(&g->r, 5)) {
	case 0:
		if (rng_chance(&g->r, 1, 2))
			b[n++] = (uint8_t)(0x40 | rng_below(&g->r, 16));
		b[n++] = 0x0f;
		b[n++] = (uint8_t)rng_next(&g->r);
		break;
	case 1:
		if (rng_chance(&g->r, 1, 2))
			b[n++] = (uint8_t)(0x40 | rng_below(&g->r, 16));
		b[n++] = 0x0f;
		b[n++] = rng_chance(&g->r, 1, 2) ? 0x38 : 0x3a;
		b[n++] = (uint8_t)rng_next(&g->r);
		break;
	case 2:
		b[n++] = 0xc5;
		b[n++] = (uint8_t)rng_next(&g->r);
		b[n++] = (uint8_t)rng_next(&g->r);
		break;
	default:
		b[n++] = 0xc4;
		b[n++] = (uint8_t)((rng_next(&g->r) & 0xe0) | (1 + rng_below(&g->r, 3)));
		b[n++] = (uint8_t)rng_next(&g->r);
		b[n++] = (uint8_t)rng_next(&g->r);
		break;
	}
	/* A register ModRM half the time. */
	b[n] = (uint8_t)rng_next(&g->r);
	if (rng_chance(&g->r, 1, 2))
		b[n] |= 0xc0;
	for (n++; n < 15; n++)
		b[n] = (uint8_t)rng_next(&g->r);
}

static bool isa_ok(ZydisISASet s)
{
	switch (s) {
	case ZYDIS_ISA_SET_SSE:
	case ZYDIS_ISA_SET_SSE2:
	case ZYDIS_ISA_SET_SSE3:
	case ZYDIS_ISA_SET_SSSE3:
	case ZYDIS_ISA_SET_SSE4:
	case ZYDIS_ISA_SET_SSE42:
	case ZYDIS_ISA_SET_AVX:
	case ZYDIS_ISA_SET_AVX2:
		return true;
	default:
		return false;
	}
}

static bool mnemonic_ok(ZydisMnemonic m)
{
	switch (m) {
	/* implementation-specific approximations */
	case ZYDIS_MNEMONIC_RCPPS:
	case ZYDIS_MNEMONIC_RCPSS:
	case ZYDIS_MNEMONIC_RSQRTPS:
	case ZYDIS_MNEMONIC_RSQRTSS:
	case ZYDIS_MNEMONIC_VRCPPS:
	case ZYDIS_MNEMONIC_VRCPSS:
	case ZYDIS_MNEMONIC_VRSQRTPS:
	case ZYDIS_MNEMONIC_VRSQRTSS:
	/* MXCSR */
	case ZYDIS_MNEMONIC_LDMXCSR:
	case ZYDIS_MNEMONIC_STMXCSR:
	case ZYDIS_MNEMONIC_VLDMXCSR:
	case ZYDIS_MNEMONIC_VSTMXCSR:
	/* implicit or per-element memory */
	case ZYDIS_MNEMONIC_MASKMOVDQU:
	case ZYDIS_MNEMONIC_VMASKMOVDQU:
	case ZYDIS_MNEMONIC_VMASKMOVPS:
	case ZYDIS_MNEMONIC_VMASKMOVPD:
	case ZYDIS_MNEMONIC_VPMASKMOVD:
	case ZYDIS_MNEMONIC_VPMASKMOVQ:
	case ZYDIS_MNEMONIC_PREFETCHNTA:
	case ZYDIS_MNEMONIC_PREFETCHT0:
	case ZYDIS_MNEMONIC_PREFETCHT1:
	case ZYDIS_MNEMONIC_PREFETCHT2:
		return false;
	default:
		return true;
	}
}

struct raw_insn {
	uint8_t b[16];
	unsigned len;
	uint16_t vec_used;
	bool ident;
	bool mem;
	int base, index; /* GPR numbers or -1; RSP_N as base is the stack page */
	unsigned scale, seg_base, mem_size, disp_off, disp_size;
	bool addr32;
	struct flag_effect fx;
};

/* Draws bytes until the core takes them as an instruction of the sets above
 * whose operands this unit can give values to. */
static bool draw(struct gen *g, struct raw_insn *ri)
{
	const struct cpu_model *model = cpu_model_find("max");
	ZydisDecoder dec;

	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	for (unsigned t = 0; t < RAW_TRIES; t++) {
		ZydisDecodedInstruction zi;
		ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
		struct insn in;
		struct ident_use use;
		bool ends, ok = true;

		memset(ri, 0, sizeof(*ri));
		raw_bytes(g, ri->b);
		if (decode_insn(model, MODE_LONG64, ri->b, 15, &in, &ends) != DECODE_INSN || in.fn == h_ud ||
		    in.fn == h_gp0)
			continue;
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, ri->b, in.len, &zi, zo)) || zi.length != in.len ||
		    !isa_ok(zi.meta.isa_set) || !mnemonic_ok(zi.mnemonic) || !dispatch_find(zi.mnemonic))
			continue;
		ri->len = in.len;
		ri->base = ri->index = -1;
		for (unsigned i = 0; i < zi.operand_count && ok; i++) {
			const ZydisDecodedOperand *o = &zo[i];
			ZydisRegisterClass c;

			if (o->type == ZYDIS_OPERAND_TYPE_REGISTER) {
				c = ZydisRegisterGetClass(o->reg.value);
				if (c == ZYDIS_REGCLASS_XMM || c == ZYDIS_REGCLASS_YMM) {
					int n = ZydisRegisterGetId(o->reg.value);

					if (n >= YMM_USED)
						ok = false;
					ri->vec_used |= (uint16_t)(1u << n);
				} else if (c == ZYDIS_REGCLASS_GPR8 || c == ZYDIS_REGCLASS_GPR16 ||
					   c == ZYDIS_REGCLASS_GPR32 || c == ZYDIS_REGCLASS_GPR64) {
					ZydisRegister full =
					    ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, o->reg.value);

					/* Never RSP, nor a loop's count or pointer. */
					if (full == ZYDIS_REGISTER_RSP ||
					    (g->reserved & (1u << ZydisRegisterGetId(full))))
						ok = false;
				} else if (c != ZYDIS_REGCLASS_FLAGS && c != ZYDIS_REGCLASS_IP) {
					ok = false; /* MMX, x87, MXCSR... */
				}
			} else if (o->type == ZYDIS_OPERAND_TYPE_MEMORY) {
				if (o->mem.type != ZYDIS_MEMOP_TYPE_MEM || ri->mem ||
				    o->visibility != ZYDIS_OPERAND_VISIBILITY_EXPLICIT ||
				    o->mem.base == ZYDIS_REGISTER_RIP) {
					ok = false;
					break;
				}
				ri->mem = true;
				ri->mem_size = o->size / 8;
				if (o->mem.base != ZYDIS_REGISTER_NONE)
					ri->base = ZydisRegisterGetId(
					    ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, o->mem.base));
				if (o->mem.index != ZYDIS_REGISTER_NONE)
					ri->index = ZydisRegisterGetId(
					    ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, o->mem.index));
				ri->scale = o->mem.scale ? o->mem.scale : 1;
				ri->seg_base = o->mem.segment == ZYDIS_REGISTER_FS   ? GI_FS_BASE
					       : o->mem.segment == ZYDIS_REGISTER_GS ? GI_GS_BASE
										     : 0;
				ri->addr32 = zi.address_width == 32;
				if (ri->base < 0 || ri->index == RSP_N || ri->base == ri->index ||
				    (ri->base != RSP_N && (g->reserved & (1u << ri->base))) ||
				    (ri->index >= 0 && (g->reserved & (1u << ri->index))))
					ok = false;
			}
		}
		if (!ok)
			continue;
		ri->disp_off = zi.raw.disp.offset;
		ri->disp_size = zi.raw.disp.size / 8;
		ri->ident = ident_classify(&in, ri->b, &use) && use.simd;
		if (zi.cpu_flags) {
			ri->fx.rd = (uint16_t)(zi.cpu_flags->tested & F_ALL);
			ri->fx.def =
			    (uint16_t)((zi.cpu_flags->modified | zi.cpu_flags->set_0 | zi.cpu_flags->set_1) & F_ALL);
			ri->fx.undef = (uint16_t)(zi.cpu_flags->undefined & F_ALL);
			if (zi.mnemonic == ZYDIS_MNEMONIC_VPTEST || zi.mnemonic == ZYDIS_MNEMONIC_VTESTPS ||
			    zi.mnemonic == ZYDIS_MNEMONIC_VTESTPD)
				ri->fx.def = F_ALL;
		}
		/* Mostly the ones dbt copies. */
		if (!ri->ident && rng_chance(&g->r, 3, 4))
			continue;
		return true;
	}
	return false;
}

/* The registers of ri's memory operand, and its displacement, for an access
 * at a target: in the data page (aligned to 32, or anywhere), into the
 * unmapped page after it, or meant to fault (gen_wild_address). */
static bool place_memory(struct gen *g, struct raw_insn *ri)
{
	uint64_t target, index_v = 0;
	int64_t disp = 0;

	switch (rng_below(&g->r, 10)) {
	case 0:
		target = GI_DATA + PAGE - 1 - rng_below(&g->r, ri->mem_size ? ri->mem_size : 1);
		g->faulting = true;
		break;
	case 1:
		target = gen_wild_address(g, ri->mem_size ? ri->mem_size : 1);
		break;
	case 2:
	case 3:
		target = rng_range(&g->r, ADDR_LO, ADDR_HI);
		break;
	case 4:
		target =
		    (rng_range(&g->r, ADDR_LO, ADDR_HI) & ~15ull) + 16 * rng_below(&g->r, 2) - 8 * rng_below(&g->r, 2);
		break;
	default:
		target = rng_range(&g->r, ADDR_LO, ADDR_HI) & ~31ull;
		break;
	}
	if (ri->base == RSP_N) {
		if (g->faulting)
			return false;
		target = GEN_RSP + (uint64_t)rng_range(&g->r, -0x100, 0x100);
		if (rng_chance(&g->r, 1, 2))
			target &= ~31ull;
	}
	if (ri->disp_size == 1)
		disp = rng_range(&g->r, -64, 63);
	else if (ri->disp_size == 4)
		disp = rng_range(&g->r, -0x100, 0x100);
	else if (ri->disp_size)
		return false;
	if (ri->base == RSP_N)
		disp = (int64_t)(target - GEN_RSP - ri->seg_base);
	if (ri->index >= 0)
		index_v = rng_below(&g->r, 4);
	for (unsigned k = 0; k < ri->disp_size; k++)
		ri->b[ri->disp_off + k] = (uint8_t)((uint64_t)disp >> (8 * k));
	if (ri->disp_size == 1 && (disp < -128 || disp > 127))
		return false;
	if (ri->base == RSP_N && ri->disp_size == 0 && disp != 0)
		return false;
	if (ri->index >= 0 && !gen_emit_setup(g, (unsigned)ri->index, (int64_t)index_v))
		return false;
	if (ri->base != RSP_N &&
	    !gen_emit_setup(g, (unsigned)ri->base,
			    (int64_t)(target - ri->seg_base - (uint64_t)disp - index_v * ri->scale)))
		return false;
	return true;
}

static bool raw_simd_unit(struct gen *g)
{
	uint16_t loaded = 0;
	unsigned count = 1 + rng_below(&g->r, 6);
	ZydisEncoderRequest q;
	unsigned b;

	for (unsigned k = 0; k < count && g->s->n < SEQ_MAX - 40; k++) {
		struct raw_insn ri;
		struct item *it;

		if (!draw(g, &ri))
			return false;
		for (unsigned n = 0; n < YMM_USED; n++)
			if ((ri.vec_used & ~loaded) & (1u << n)) {
				if (!gen_load_ymm(g, n))
					return false;
				loaded |= (uint16_t)(1u << n);
			}
		g->faulting = false;
		if (ri.mem && !place_memory(g, &ri))
			return false;
		if (!gen_emit_raw(g, ri.b, ri.len))
			return false;
		it = &g->s->it[g->s->n - 1];
		it->fl_read = ri.fx.rd;
		it->fl_def = ri.fx.def;
		it->fl_undef = ri.fx.undef;
		it->native_only = g->native_only;
		if (g->faulting)
			break; /* what follows a fault does not run */
	}
	if (!loaded)
		return true;
	b = gen_reg(g, 8, true);
	if (!gen_emit_setup(g, b, (int64_t)SHOW_AT))
		return false;
	for (unsigned n = 0; n < YMM_USED; n++) {
		ZydisEncoderOperand m = { .type = ZYDIS_OPERAND_TYPE_MEMORY };

		if (!(loaded & (1u << n)))
			continue;
		m.mem.base = gen_gpr(8, b);
		m.mem.displacement = 32 * n;
		m.mem.size = 32;
		gen_req_init(&q, ZYDIS_MNEMONIC_VMOVDQU);
		gen_add_op(&q, &m);
		gen_add_reg(&q, gen_vreg(n, 32));
		if (!gen_emit(g, &q, 0, 0, 0))
			return false;
	}
	return true;
}

/* Joined (gen_mmx.c): no branch lands inside, past a register's load. */
bool fam_raw_simd(struct gen *g)
{
	unsigned start = g->s->n;

	if (!raw_simd_unit(g))
		return false;
	for (unsigned i = start; i + 1 < g->s->n; i++)
		g->s->it[i].joined = 1;
	return true;
}
