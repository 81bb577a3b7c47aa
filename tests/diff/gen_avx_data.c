/* The VEX integer family's moves, inserts and extracts, string compares,
 * masked moves and gathers (AVX and AVX2), and legacy SSE instructions
 * keeping bits 128-255 of what they write. Registers are loaded and shown
 * whole as in gen_avx_int.c (gen_load_ymm, gen_show_ymm). Memory operands
 * in the data page, some aimed at the unmapped page after it; an aligned
 * move's operand misaligned (#GP(0)) only where no kvm reference runs. */
#include "gen_internal.h"

#include <string.h>

#include "guest_image.h"

/* `size` bytes at an address in the data page aligned to `align` (0: any
 * address but one 8 past a 16-byte boundary, where the AMD host's #AC rule
 * differs, gen_sse4.c), or one in 12 in, or running into, the unmapped page
 * after it; for an aligned operand one in 16 misaligned (#GP(0)) where
 * `misalign_faults` and no kvm reference runs (on the nested development host
 * that reference reports #UD for such a #GP, README.md). */
static bool data_mem(struct gen *g, unsigned size, unsigned align, bool misalign_faults, ZydisEncoderOperand *op)
{
	unsigned base = gen_reg(g, 8, true);
	int64_t addr = (int64_t)rng_range(&g->r, ADDR_LO, ADDR_HI);

	memset(op, 0, sizeof(*op));
	op->type = ZYDIS_OPERAND_TYPE_MEMORY;
	op->mem.size = (ZyanU16)size;
	if (rng_chance(&g->r, 1, 12)) {
		g->faulting = true;
		addr = (int64_t)(GI_DATA + 4096) - (align ? 0 : (int64_t)rng_below(&g->r, size));
	} else if (align && misalign_faults && !gen_host_state_allowed && rng_chance(&g->r, 1, 16)) {
		g->faulting = true;
		addr = (addr & ~(int64_t)(align - 1)) + 1 + (int64_t)rng_below(&g->r, align - 1);
	} else if (align) {
		addr &= ~(int64_t)(align - 1);
	}
	if (!align && (addr & 15) == 8)
		addr++;
	if (!gen_emit_setup(g, base, addr))
		return false;
	op->mem.base = gen_gpr(8, base);
	return true;
}

/* VMOVDQA/VMOVDQU/VLDDQU/VMOVNTDQ/VMOVNTDQA, both directions where they have
 * them, VMOVD/VMOVQ with GPRs, memory and XMM registers. */
static bool move_unit(struct gen *g)
{
	static const ZydisMnemonic moves[] = {
		ZYDIS_MNEMONIC_VMOVDQA,	  ZYDIS_MNEMONIC_VMOVDQU, ZYDIS_MNEMONIC_VLDDQU, ZYDIS_MNEMONIC_VMOVNTDQ,
		ZYDIS_MNEMONIC_VMOVNTDQA, ZYDIS_MNEMONIC_VMOVD,	  ZYDIS_MNEMONIC_VMOVQ,
	};
	ZydisMnemonic m = PICK(g, moves);
	bool scalar = m == ZYDIS_MNEMONIC_VMOVD || m == ZYDIS_MNEMONIC_VMOVQ;
	unsigned size = m == ZYDIS_MNEMONIC_VMOVD   ? 4
			: m == ZYDIS_MNEMONIC_VMOVQ ? 8
			: rng_chance(&g->r, 1, 2)   ? 32
						    : 16;
	bool aligned = m == ZYDIS_MNEMONIC_VMOVDQA || m == ZYDIS_MNEMONIC_VMOVNTDQ || m == ZYDIS_MNEMONIC_VMOVNTDQA;
	bool store = m == ZYDIS_MNEMONIC_VMOVNTDQ ||
		     (m != ZYDIS_MNEMONIC_VLDDQU && m != ZYDIS_MNEMONIC_VMOVNTDQA && rng_chance(&g->r, 1, 2));
	unsigned x = rng_below(&g->r, YMM_USED), y = rng_below(&g->r, YMM_USED);
	ZydisEncoderOperand mem;
	ZydisEncoderRequest q;
	bool to_mem = rng_chance(&g->r, 2, 3) || m == ZYDIS_MNEMONIC_VMOVNTDQ || m == ZYDIS_MNEMONIC_VMOVNTDQA ||
		      m == ZYDIS_MNEMONIC_VLDDQU;

	if (!gen_load_ymm(g, x) || !gen_load_ymm(g, y))
		return false;
	gen_req_init(&q, m);
	if (!to_mem) { /* register to register: a GPR for VMOVD/VMOVQ, else a vector register */
		if (scalar && rng_chance(&g->r, 2, 3)) {
			unsigned r = gen_reg(g, size, true);

			if (store) {
				gen_add_reg(&q, gen_gpr(size, r));
				gen_add_reg(&q, gen_vreg(x, 16));
			} else {
				gen_add_reg(&q, gen_vreg(x, 16));
				gen_add_reg(&q, gen_gpr(size, r));
			}
		} else {
			gen_add_reg(&q, gen_vreg(x, scalar ? 16 : size));
			gen_add_reg(&q, gen_vreg(y, scalar ? 16 : size));
		}
		return gen_emit(g, &q, 0, 0, 0) && gen_show_ymm(g, x);
	}
	if (!data_mem(g, size, aligned ? size : 0, aligned, &mem))
		return false;
	if (store) {
		gen_add_op(&q, &mem);
		gen_add_reg(&q, gen_vreg(x, scalar ? 16 : size));
		return gen_emit_accessing(g, &q, 0, 0, 0, true);
	}
	gen_add_reg(&q, gen_vreg(x, scalar ? 16 : size));
	gen_add_op(&q, &mem);
	return gen_emit_accessing(g, &q, 0, 0, 0, true) && gen_show_ymm(g, x);
}

/* VPEXTRB/W/D/Q to a GPR or memory, VPINSRB/W/D/Q from one, VPMOVMSKB. */
static bool element_unit(struct gen *g)
{
	static const ZydisMnemonic ops[] = {
		ZYDIS_MNEMONIC_VPEXTRB, ZYDIS_MNEMONIC_VPEXTRW, ZYDIS_MNEMONIC_VPEXTRD,
		ZYDIS_MNEMONIC_VPEXTRQ, ZYDIS_MNEMONIC_VPINSRB, ZYDIS_MNEMONIC_VPINSRW,
		ZYDIS_MNEMONIC_VPINSRD, ZYDIS_MNEMONIC_VPINSRQ, ZYDIS_MNEMONIC_VPMOVMSKB,
	};
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	unsigned k = rng_below(&g->r, ARRAY_LEN(ops)), size = sizes[k % 4];
	unsigned x = rng_below(&g->r, YMM_USED), v = rng_below(&g->r, YMM_USED);
	bool mem = rng_chance(&g->r, 1, 3), insert = k >= 4 && k < 8;
	unsigned gpr_size = size == 8 ? 8 : 4;
	ZydisEncoderOperand op;
	ZydisEncoderRequest q;

	if (!gen_load_ymm(g, x) || !gen_load_ymm(g, v))
		return false;
	gen_req_init(&q, ops[k]);
	if (ops[k] == ZYDIS_MNEMONIC_VPMOVMSKB) {
		gen_add_reg(&q, gen_gpr(rng_chance(&g->r, 1, 2) ? 8 : 4, gen_reg(g, 8, true)));
		gen_add_reg(&q, gen_vreg(x, rng_chance(&g->r, 1, 2) ? 32 : 16));
		return gen_emit(g, &q, 0, 0, 0);
	}
	if (insert) {
		gen_add_reg(&q, gen_vreg(x, 16));
		gen_add_reg(&q, gen_vreg(v, 16));
	}
	if (mem) {
		if (!data_mem(g, size, 0, false, &op))
			return false;
	} else {
		memset(&op, 0, sizeof(op));
		op.type = ZYDIS_OPERAND_TYPE_REGISTER;
		op.reg.value = gen_gpr(gpr_size, gen_reg(g, gpr_size, true));
	}
	gen_add_op(&q, &op);
	if (!insert)
		gen_add_reg(&q, gen_vreg(x, 16));
	gen_add_imm(&q, rng_below(&g->r, 256));
	return gen_emit_accessing(g, &q, 0, 0, 0, mem) && (!insert || gen_show_ymm(g, x));
}

/* The VEX string compares, with lengths small, negative or huge in RAX and
 * RDX; VEX.W1 forms (64-bit lengths) as raw bytes. */
static bool string_unit(struct gen *g)
{
	static const ZydisMnemonic ops[] = { ZYDIS_MNEMONIC_VPCMPESTRI, ZYDIS_MNEMONIC_VPCMPESTRM,
					     ZYDIS_MNEMONIC_VPCMPISTRI, ZYDIS_MNEMONIC_VPCMPISTRM };
	unsigned k = rng_below(&g->r, 4), a = rng_below(&g->r, 8), b = rng_below(&g->r, 8), imm = rng_below(&g->r, 256);
	bool mem = rng_chance(&g->r, 1, 3), mask = k == 1 || k == 3;
	ZydisEncoderOperand op;
	ZydisEncoderRequest q;

	if (!gen_load_ymm(g, a) || !gen_load_ymm(g, b) || !gen_load_ymm(g, 0))
		return false;
	if (k < 2 &&
	    (!gen_emit_setup(g, RAX_N, rng_range(&g->r, -20, 20) + (rng_chance(&g->r, 1, 4) ? (1ll << 32) : 0)) ||
	     !gen_emit_setup(g, RDX_N, rng_range(&g->r, -20, 20))))
		return false;
	if (k < 2 && !mem && rng_chance(&g->r, 1, 3)) {
		uint8_t bytes[] = {
			0xc4, 0xe3, 0xf9, mask ? 0x60 : 0x61, (uint8_t)(0xc0 | (a << 3) | b), (uint8_t)imm
		};

		if (!gen_emit_raw(g, bytes, sizeof(bytes)))
			return false;
	} else {
		gen_req_init(&q, ops[k]);
		gen_add_reg(&q, gen_vreg(a, 16));
		if (mem) {
			if (!data_mem(g, 16, 0, false, &op))
				return false;
			gen_add_op(&q, &op);
		} else {
			gen_add_reg(&q, gen_vreg(b, 16));
		}
		gen_add_imm(&q, imm);
		if (!gen_emit_accessing(g, &q, 0, F_ALL, 0, mem))
			return false;
	}
	return !mask || gen_show_ymm(g, 0);
}

/* VPMASKMOVD/Q and VMASKMOVPS/PD (the same operations) loads and stores and
 * VMASKMOVDQU with random masks, at any doubleword (no element is
 * alignment-checked, avx.h); the operand may run into the unmapped page,
 * which faults only where an element there is selected. */
static bool masked_unit(struct gen *g)
{
	static const ZydisMnemonic ops[] = { ZYDIS_MNEMONIC_VPMASKMOVD, ZYDIS_MNEMONIC_VPMASKMOVQ,
					     ZYDIS_MNEMONIC_VMASKMOVPS, ZYDIS_MNEMONIC_VMASKMOVPD,
					     ZYDIS_MNEMONIC_VMASKMOVDQU };
	ZydisMnemonic m = PICK(g, ops);
	unsigned bytes = m == ZYDIS_MNEMONIC_VMASKMOVDQU ? 16 : rng_chance(&g->r, 1, 2) ? 32 : 16;
	unsigned x = rng_below(&g->r, YMM_USED), k = rng_below(&g->r, YMM_USED);
	int64_t addr = (int64_t)rng_range(&g->r, ADDR_LO, ADDR_HI) & ~3ll;
	ZydisEncoderOperand op;
	ZydisEncoderRequest q;
	bool store = rng_chance(&g->r, 1, 2);
	unsigned base = gen_reg_avoid(g, 8, true, 1u << RDI_N);

	if (!gen_load_ymm(g, x) || !gen_load_ymm(g, k))
		return false;
	/* Which address the fault names differs between vendors. */
	if (gen_vendor_specific_allowed && rng_chance(&g->r, 1, 6)) {
		g->faulting = true;
		addr = (int64_t)(GI_DATA + 4096) - 4 * (int64_t)rng_below(&g->r, bytes / 4);
	}
	if (m == ZYDIS_MNEMONIC_VMASKMOVDQU) {
		if (!gen_emit_setup(g, RDI_N, addr))
			return false;
		gen_req_init(&q, m);
		gen_add_reg(&q, gen_vreg(x, 16));
		gen_add_reg(&q, gen_vreg(k, 16));
		return gen_emit_accessing(g, &q, 0, 0, 0, true);
	}
	if (!gen_emit_setup(g, base, addr))
		return false;
	memset(&op, 0, sizeof(op));
	op.type = ZYDIS_OPERAND_TYPE_MEMORY;
	op.mem.size = (ZyanU16)bytes;
	op.mem.base = gen_gpr(8, base);
	gen_req_init(&q, m);
	if (store) {
		gen_add_op(&q, &op);
		gen_add_reg(&q, gen_vreg(k, bytes));
		gen_add_reg(&q, gen_vreg(x, bytes));
		return gen_emit_accessing(g, &q, 0, 0, 0, true);
	}
	gen_add_reg(&q, gen_vreg(x, bytes));
	gen_add_reg(&q, gen_vreg(k, bytes));
	gen_add_op(&q, &op);
	return gen_emit_accessing(g, &q, 0, 0, 0, true) && gen_show_ymm(g, x);
}

/* A vector of small indexes (dwords or qwords in [-64, 63]). */
static bool load_indexes(struct gen *g, unsigned n, bool qwords)
{
	uint64_t v[4];

	for (unsigned i = 0; i < 4; i++) {
		int64_t a = rng_range(&g->r, -64, 63), b = rng_range(&g->r, -64, 63);

		v[i] = qwords ? (uint64_t)a : ((uint64_t)(uint32_t)a | (uint64_t)(uint32_t)b << 32);
	}
	return gen_load_ymm_value(g, n, v);
}

/* Every gather at both widths: a base in the data page (now and then at its
 * end, so that selected elements fault), small indexes, any scale, a random
 * mask; the destination and the mask shown. */
static bool gather_unit(struct gen *g)
{
	static const struct {
		ZydisMnemonic m;
		bool qword_index;
		unsigned elem;
	} ops[] = {
		{ ZYDIS_MNEMONIC_VPGATHERDD, false, 4 }, { ZYDIS_MNEMONIC_VPGATHERDQ, false, 8 },
		{ ZYDIS_MNEMONIC_VPGATHERQD, true, 4 },	 { ZYDIS_MNEMONIC_VPGATHERQQ, true, 8 },
		{ ZYDIS_MNEMONIC_VGATHERDPS, false, 4 }, { ZYDIS_MNEMONIC_VGATHERDPD, false, 8 },
		{ ZYDIS_MNEMONIC_VGATHERQPS, true, 4 },	 { ZYDIS_MNEMONIC_VGATHERQPD, true, 8 },
	};
	unsigned k = rng_below(&g->r, ARRAY_LEN(ops)), wide = rng_chance(&g->r, 1, 2);
	unsigned d = rng_below(&g->r, YMM_USED), x = (d + 1 + rng_below(&g->r, YMM_USED - 1)) % YMM_USED;
	unsigned mk = rng_below(&g->r, YMM_USED), base = gen_reg(g, 8, true);
	/* register widths: the index's is VEX.L's; the destination and mask are
	 * half of it for a qword index with dword elements */
	unsigned index_bytes = wide ? 32 : 16, dst_bytes = index_bytes;
	int64_t addr = (int64_t)rng_range(&g->r, ADDR_LO + 0x200, ADDR_HI - 0x200);
	ZydisEncoderOperand op;
	ZydisEncoderRequest q;

	while (mk == d || mk == x)
		mk = (mk + 1) % YMM_USED;
	if (ops[k].qword_index && ops[k].elem == 4)
		dst_bytes = 16;
	if (!ops[k].qword_index && ops[k].elem == 8)
		index_bytes = 16;
	if (rng_chance(&g->r, 1, 10)) {
		g->faulting = true;
		addr = (int64_t)(GI_DATA + 4096) - (int64_t)rng_below(&g->r, 64);
	}
	if (!gen_load_ymm(g, d) || !gen_load_ymm(g, mk) || !load_indexes(g, x, ops[k].qword_index) ||
	    !gen_emit_setup(g, base, addr))
		return false;
	memset(&op, 0, sizeof(op));
	op.type = ZYDIS_OPERAND_TYPE_MEMORY;
	op.mem.size = (ZyanU16)ops[k].elem;
	op.mem.base = gen_gpr(8, base);
	op.mem.index = gen_vreg(x, index_bytes);
	op.mem.scale = (ZyanU8)(1u << rng_below(&g->r, 4));
	op.mem.displacement = rng_range(&g->r, -32, 32);
	gen_req_init(&q, ops[k].m);
	gen_add_reg(&q, gen_vreg(d, dst_bytes));
	gen_add_op(&q, &op);
	gen_add_reg(&q, gen_vreg(mk, dst_bytes));
	return gen_emit_accessing(g, &q, 0, 0, 0, true) && gen_show_ymm(g, d) && gen_show_ymm(g, mk);
}

/* A legacy SSE instruction on an XMM register leaves bits 128-255 as they
 * were (SDM Vol. 1, 14.1.4); shown whole. */
static bool legacy_keeps_upper_unit(struct gen *g)
{
	static const ZydisMnemonic ops[] = { ZYDIS_MNEMONIC_PADDB,  ZYDIS_MNEMONIC_PSHUFB,  ZYDIS_MNEMONIC_PMINUD,
					     ZYDIS_MNEMONIC_MOVDQA, ZYDIS_MNEMONIC_PCMPGTQ, ZYDIS_MNEMONIC_PUNPCKHBW };
	unsigned d = rng_below(&g->r, YMM_USED), s = rng_below(&g->r, YMM_USED);

	return gen_load_ymm(g, d) && gen_load_ymm(g, s) &&
	       gen_emit_two(g, PICK(g, ops), gen_vreg(d, 16), gen_vreg(s, 16)) && gen_show_ymm(g, d);
}

static bool avx_data_unit(struct gen *g)
{
	switch (rng_below(&g->r, 12)) {
	case 0:
	case 1:
	case 2:
		return move_unit(g);
	case 3:
	case 4:
		return element_unit(g);
	case 5:
		return string_unit(g);
	case 6:
	case 7:
		return masked_unit(g);
	case 8:
	case 9:
	case 10:
		return gather_unit(g);
	default:
		return legacy_keeps_upper_unit(g);
	}
}

bool fam_avx_data(struct gen *g)
{
	return gen_joined_unit(g, avx_data_unit);
}
