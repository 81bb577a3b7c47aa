/* The general-register extensions of x86-64-v3: BMI1 (ANDN, BEXTR, BLSI,
 * BLSMSK, BLSR, TZCNT), BMI2 (BZHI, MULX, PDEP, PEXT, RORX, SARX, SHLX,
 * SHRX), LZCNT and MOVBE, at 32 and 64 bits (TZCNT, LZCNT and MOVBE at 16
 * too), register and memory sources, memory operands aimed to fault as the
 * integer families' are.
 *
 * Flags the SDM leaves undefined are declared so (masked, seq.c): the soft
 * CPU sets them as the AMD host does, which the unit tests check
 * (test_softcpu_bmi.c), and an Intel host may set them otherwise. BEXTR's
 * control and BZHI's index get small fields now and then, so that they
 * select bits inside the operand as well as past it. */
#include "gen_internal.h"

#include <string.h>

#include "seq.h"

/* A register loaded with a BEXTR control or BZHI index (start and length
 * 0-71) or an edge value; returns its number. */
static bool control_reg(struct gen *g, unsigned avoid, unsigned *n)
{
	uint64_t v = rng_below(&g->r, 72) | rng_below(&g->r, 72) << 8;

	*n = gen_reg_avoid(g, 8, false, avoid | 1u << RSP_N);
	if (rng_chance(&g->r, 1, 4))
		return true; /* whatever the register holds */
	if (rng_chance(&g->r, 1, 4))
		v |= gen_value(&g->r) & ~0xffffull;
	return gen_emit_setup(g, *n, (int64_t)v);
}

/* op dst, [src1,] r/m [, reg] as `shape` says: 'd' a destination register, 'r'
 * a source register, 'm' a register or memory source, 'c' a control register
 * (control_reg), 'i' an imm8. */
static bool emit_shape(struct gen *g, ZydisMnemonic m, unsigned size, const char *shape, struct flag_effect fx)
{
	ZydisEncoderRequest q;
	ZydisEncoderOperand rm;
	unsigned ctl = 0, avoid = 0;

	if (strchr(shape, 'c')) {
		if (!control_reg(g, 0, &ctl))
			return false;
		avoid = 1u << ctl;
	}
	gen_req_init(&q, m);
	for (const char *p = shape; *p; p++) {
		switch (*p) {
		case 'd':
			gen_add_reg(&q, gen_gpr(size, gen_reg(g, size, true)));
			break;
		case 'r':
			gen_add_reg(&q, gen_gpr(size, gen_reg(g, size, false)));
			break;
		case 'm':
			if (!gen_rm(g, size, false, rng_chance(&g->r, 1, 3), avoid, &rm, &q.prefixes))
				return false;
			gen_add_op(&q, &rm);
			break;
		case 'c':
			gen_add_reg(&q, gen_gpr(size, ctl));
			break;
		default:
			gen_add_imm(&q, (int64_t)rng_below(&g->r, 256));
			break;
		}
	}
	return gen_emit_fx(g, &q, fx);
}

/* One instruction form: its operands (emit_shape), whether it has a 16-bit
 * form, and the flags it defines and leaves undefined (SDM Vol. 2, "Flags
 * Affected"): ANDN, BLS*, BZHI define SF ZF CF OF; BEXTR ZF CF OF; TZCNT and
 * LZCNT CF ZF; the other BMI2 instructions leave the flags alone. MULX's two
 * destinations may be one register. */
struct bmi_form {
	ZydisMnemonic m;
	const char *shape;
	bool has16;
	uint16_t def, undef;
};

static const struct bmi_form bmi1_forms[] = {
	{ ZYDIS_MNEMONIC_ANDN, "drm", false, F_SF | F_ZF | F_CF | F_OF, F_AF | F_PF },
	{ ZYDIS_MNEMONIC_BEXTR, "dmc", false, F_ZF | F_CF | F_OF, F_AF | F_SF | F_PF },
	{ ZYDIS_MNEMONIC_BLSI, "dm", false, F_SF | F_ZF | F_CF | F_OF, F_AF | F_PF },
	{ ZYDIS_MNEMONIC_BLSMSK, "dm", false, F_SF | F_ZF | F_CF | F_OF, F_AF | F_PF },
	{ ZYDIS_MNEMONIC_BLSR, "dm", false, F_SF | F_ZF | F_CF | F_OF, F_AF | F_PF },
	{ ZYDIS_MNEMONIC_TZCNT, "dm", true, F_CF | F_ZF, F_OF | F_SF | F_AF | F_PF },
	{ ZYDIS_MNEMONIC_LZCNT, "dm", true, F_CF | F_ZF, F_OF | F_SF | F_AF | F_PF },
};

static const struct bmi_form bmi2_forms[] = {
	{ ZYDIS_MNEMONIC_BZHI, "dmc", false, F_SF | F_ZF | F_CF | F_OF, F_AF | F_PF },
	{ ZYDIS_MNEMONIC_MULX, "ddm", false, 0, 0 },
	{ ZYDIS_MNEMONIC_PDEP, "drm", false, 0, 0 },
	{ ZYDIS_MNEMONIC_PEXT, "drm", false, 0, 0 },
	{ ZYDIS_MNEMONIC_RORX, "dmi", false, 0, 0 },
	{ ZYDIS_MNEMONIC_SARX, "dmc", false, 0, 0 },
	{ ZYDIS_MNEMONIC_SHLX, "dmc", false, 0, 0 },
	{ ZYDIS_MNEMONIC_SHRX, "dmc", false, 0, 0 },
};

static bool emit_form(struct gen *g, const struct bmi_form *f)
{
	unsigned size = f->has16 ? gen_size_no8(g) : rng_chance(&g->r, 1, 2) ? 4 : 8;

	g->no_faults = gen_host_state_allowed; /* as POPCNT's (gen_ssse3.c) */
	return emit_shape(g, f->m, size, f->shape, (struct flag_effect){ 0, f->def, f->undef });
}

bool fam_bmi1(struct gen *g)
{
	return emit_form(g, &bmi1_forms[rng_below(&g->r, ARRAY_LEN(bmi1_forms))]);
}

bool fam_bmi2(struct gen *g)
{
	return emit_form(g, &bmi2_forms[rng_below(&g->r, ARRAY_LEN(bmi2_forms))]);
}

/* MOVBE r, m or m, r at 16, 32 and 64 bits. */
bool fam_movbe(struct gen *g)
{
	unsigned size = gen_size_no8(g), used;
	ZydisEncoderRequest q;
	ZydisEncoderOperand m;
	bool store = rng_chance(&g->r, 1, 2);

	g->no_faults = gen_host_state_allowed;
	gen_req_init(&q, ZYDIS_MNEMONIC_MOVBE);
	if (!gen_mem(g, size, 0, &m, &used, &q.prefixes))
		return false;
	if (store)
		gen_add_op(&q, &m);
	gen_add_reg(&q, gen_gpr(size, gen_reg(g, size, !store)));
	if (!store)
		gen_add_op(&q, &m);
	return gen_emit(g, &q, 0, 0, 0);
}
