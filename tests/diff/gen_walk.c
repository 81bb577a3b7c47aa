/* A pointer a loop moves once a round (gen_loop.c), and the memory operands
 * of its body that go through it: the walk stays in the data page, or walks
 * off its end or its start, or jumps to a non-canonical address, so that an
 * access of a later round faults and the state at the fault is compared. */
#include "gen_internal.h"

enum walk_kind { WALK_STAY, WALK_UP, WALK_DOWN, WALK_WILD, WALK_KINDS };

/* A walk not aimed at the canonical boundary keeps this far past it: its
 * accesses other than the first (displacements +-16, a BT bit offset 256
 * bytes back) must not reach back across it, which only the native
 * reference shows as silicon does (item.native_only). */
#define WALK_MARGIN 0x200

/* Families with a memory operand from gen_mem, which takes the pointer's. */
static bool (*const access_families[])(struct gen *g) = {
	fam_alu,     fam_alu,	fam_alu,    fam_unary,	fam_shift, fam_double_shift, fam_imul,		 fam_bittest,
	fam_bitscan, fam_setcc, fam_cmovcc, fam_extend, fam_xchg,  fam_push_pop,     fam_exchange_arith, fam_movbe,
};

static int64_t small_stride(struct gen *g)
{
	return rng_chance(&g->r, 1, 2) ? 8 * rng_range(&g->r, 1, 0x30) : rng_range(&g->r, 1, 0x180);
}

void gen_walk_plan(struct gen *g, struct walk *w, bool after)
{
	int64_t round = rng_range(&g->r, 2, LOOP_ROUNDS_MAX + 1); /* of the first access out of the page */
	uint64_t at, first;

	w->disp = rng_range(&g->r, -0x80, 0x80);
	w->edge = false;
	switch ((enum walk_kind)rng_below(&g->r, WALK_KINDS)) {
	case WALK_STAY:
		w->stride = rng_range(&g->r, -0x40, 0x40);
		at = (uint64_t)rng_range(&g->r, ADDR_LO, ADDR_HI);
		round = 1;
		break;
	case WALK_UP: /* to an access at the page's end, across it or past it */
		w->stride = small_stride(g);
		at = GI_DATA + PAGE - 8 + rng_below(&g->r, 0x28);
		break;
	case WALK_DOWN:
		w->stride = -small_stride(g);
		at = GI_DATA - 0x20 + rng_below(&g->r, 0x28);
		break;
	default: /* in one step: what lies between is no page of the test's */
		first = (uint64_t)rng_range(&g->r, ADDR_LO, ADDR_HI);
		/* With 5-level paging these are canonical on the host (gen.h).
		 * Now and then at the canonical boundary, where an access of a
		 * later round begins canonical and ends past it (#GP on the AMD
		 * host and in the soft CPU, #PF on the nested kvm: native only). */
		w->edge = gen_noncanonical_allowed && gen_native_only_allowed && rng_chance(&g->r, 1, 3);
		at = !gen_noncanonical_allowed ? GI_DATA + PAGE + rng_below(&g->r, 0x800)
		     : w->edge		       ? 0x0000800000000000ull - 1 - rng_below(&g->r, 16)
		     : rng_chance(&g->r, 1, 2) ? 0x0000800000000000ull + WALK_MARGIN + rng_below(&g->r, 0x600)
					       : 0xffff7ffffffff000ull + rng_below(&g->r, 0x800);
		w->stride = (int64_t)(at - first);
		round = 2;
		break;
	}
	w->ptr0 = at - (uint64_t)((round - 1 + after) * w->stride) - (uint64_t)w->disp;
}

static bool step_by_lea(struct gen *g, const struct walk *w, ZydisEncoderRequest *q)
{
	ZydisEncoderOperand m = { .type = ZYDIS_OPERAND_TYPE_MEMORY };

	m.mem.base = gen_gpr(8, w->ptr);
	if (w->stride_reg != RSP_N) {
		m.mem.index = gen_gpr(8, w->stride_reg);
		m.mem.scale = 1;
	} else {
		m.mem.displacement = w->stride;
	}
	m.mem.size = 8; /* the encoder wants LEA's operand in the address size */
	gen_add_op(q, &m);
	return gen_emit(g, q, 0, 0, 0);
}

bool gen_walk_step(struct gen *g, const struct walk *w)
{
	bool lea = rng_chance(&g->r, 1, 3);
	ZydisEncoderRequest q;

	if (!lea && (w->stride == 1 || w->stride == -1) && w->stride_reg == RSP_N && rng_chance(&g->r, 1, 2)) {
		gen_req_init(&q, w->stride == 1 ? ZYDIS_MNEMONIC_INC : ZYDIS_MNEMONIC_DEC);
		gen_add_reg(&q, gen_gpr(8, w->ptr));
		return gen_emit(g, &q, 0, F_ALL & ~F_CF, 0);
	}
	gen_req_init(&q, lea ? ZYDIS_MNEMONIC_LEA : ZYDIS_MNEMONIC_ADD);
	gen_add_reg(&q, gen_gpr(8, w->ptr));
	if (lea)
		return step_by_lea(g, w, &q);
	if (w->stride_reg != RSP_N) {
		gen_add_reg(&q, gen_gpr(8, w->stride_reg));
	} else if (rng_chance(&g->r, 1, 3)) {
		q.mnemonic = ZYDIS_MNEMONIC_SUB;
		gen_add_imm(&q, -w->stride);
	} else {
		gen_add_imm(&q, w->stride);
	}
	return gen_emit(g, &q, 0, F_ALL, 0);
}

bool gen_walk_access(struct gen *g, const struct walk *w, bool first)
{
	bool ok;

	g->moving = true;
	g->native_only = w->edge;
	g->moving_base = w->ptr;
	g->moving_disp = first ? w->disp : w->disp + rng_range(&g->r, -16, 16);
	ok = access_families[rng_below(&g->r, ARRAY_LEN(access_families))](g);
	ok &= !g->moving; /* the family took it (gen_mem) */
	g->moving = false;
	return ok;
}
