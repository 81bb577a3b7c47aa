/* The random test generator: the weighted table of instruction families, one
 * unit (an instruction with its setup) at a time, and the initial state. */
#include "gen_internal.h"

#include <string.h>

#define UNITS_MAX 24
#define UNIT_TRIES 64

struct family {
	const char *name;
	unsigned weight;
	bool (*gen)(struct gen *g);
};

static const struct family families[] = {
	{ "alu", 16, fam_alu },
	{ "unary", 5, fam_unary },
	{ "shift", 9, fam_shift },
	{ "double shift", 4, fam_double_shift },
	{ "mul/div", 4, fam_muldiv },
	{ "imul", 3, fam_imul },
	{ "bit test", 5, fam_bittest },
	{ "bit scan", 3, fam_bitscan },
	{ "setcc", 4, fam_setcc },
	{ "cmovcc", 4, fam_cmovcc },
	{ "extend", 4, fam_extend },
	{ "lea", 3, fam_lea },
	{ "xchg", 3, fam_xchg },
	{ "push/pop", 5, fam_push_pop },
	{ "pushf/popf", 2, fam_flags_stack },
	{ "leave", 1, fam_leave },
	{ "string", 4, fam_string },
	{ "misc", 4, fam_misc },
	{ "bswap", 1, fam_bswap },
	{ "long nop", 1, fam_long_nop },
	{ "branch", 6, fam_branch },
	{ "loop", 6, fam_loop },
	{ "cmpxchg/xadd", 4, fam_exchange_arith },
	{ "cmpxchg8b/16b", 2, fam_cmpxchg_wide },
	{ "xlat", 1, fam_xlat },
	{ "enter", 1, fam_enter },
	{ "faulting", 1, fam_faulting },
	{ "system read", 1, fam_system_read },
	{ "mmx arith", 4, fam_mmx_arith },
	{ "mmx move", 3, fam_mmx_move },
	{ "mmx/xmm", 2, fam_mmx_xmm },
	{ "mmx/x87", 2, fam_mmx_x87 },
	{ "x87 bcd/split", 2, fam_x87_bcd_split },
	{ "x87 fisttp", 1, fam_x87_fisttp },
	{ "sse3", 3, fam_sse3 },
	{ "ssse3", 4, fam_ssse3 },
	{ "popcnt", 2, fam_popcnt },
	{ "sse4.1 integer", 4, fam_sse41_int },
	{ "sse4.1 fp", 3, fam_sse41_fp },
	{ "sse4.2 string", 4, fam_sse42_string },
	{ "sse4.2 crc32/pcmpgtq", 2, fam_sse42_crc32 },
	{ "xsave", 2, fam_xsave },
	{ "save area at a page end", 1, fam_save_area_edge },
	{ "bmi1/lzcnt", 3, fam_bmi1 },
	{ "bmi2", 3, fam_bmi2 },
	{ "movbe", 1, fam_movbe },
	{ "adx", 2, fam_adx },
	{ "aes", 3, fam_aes },
	{ "pclmulqdq", 2, fam_pclmul },
	{ "sha", 3, fam_sha },
	{ "avx fp arith", 4, fam_avx_fp_arith },
	{ "avx fp data", 4, fam_avx_fp_data },
	{ "fma", 3, fam_avx_fma },
	{ "avx/avx2 integer", 6, fam_avx_int },
	{ "avx/avx2 moves, masks, gathers", 5, fam_avx_data },
	{ "lfs/lgs/lss", 2, fam_far_pointer },
	{ "far jmp/call/retf", 2, fam_far_transfer },
	{ "raw simd encodings", 0, fam_raw_simd }, /* gen_set_raw_simd */
};

unsigned gen_raw_simd_weight;
bool gen_raw_simd_only;

void gen_set_raw_simd(unsigned weight, bool only)
{
	gen_raw_simd_weight = weight;
	gen_raw_simd_only = only;
}

bool gen_vendor_specific_allowed = true;

void gen_allow_vendor_specific(bool allow)
{
	gen_vendor_specific_allowed = allow;
}

bool gen_host_state_allowed = true, gen_noncanonical_allowed = true, gen_unmasked_simd_allowed = false,
     gen_native_only_allowed = true;

void gen_allow_native_only(bool allow)
{
	gen_native_only_allowed = allow;
}

void gen_allow_host_state(bool allow)
{
	gen_host_state_allowed = allow;
}

void gen_allow_unmasked_simd(bool allow)
{
	gen_unmasked_simd_allowed = allow;
}

void gen_allow_noncanonical(bool allow)
{
	gen_noncanonical_allowed = allow;
}

/* The families gen_allow_vendor_specific() leaves out. */
static bool vendor_specific(const struct family *f)
{
	return f->gen == fam_xsave || f->gen == fam_save_area_edge || f->gen == fam_far_pointer ||
	       f->gen == fam_far_transfer;
}

static unsigned family_weight(const struct family *f)
{
	if (f->gen == fam_raw_simd)
		return gen_raw_simd_weight;
	if (gen_raw_simd_only || (!gen_vendor_specific_allowed && vendor_specific(f)))
		return 0;
	return f->gen == fam_system_read && !gen_host_state_allowed ? 0 : f->weight;
}

static const struct family *pick_family(struct gen *g)
{
	unsigned total = 0, x;

	for (unsigned i = 0; i < ARRAY_LEN(families); i++)
		total += family_weight(&families[i]);
	x = rng_below(&g->r, total);
	for (unsigned i = 0; i < ARRAY_LEN(families); i++) {
		if (x < family_weight(&families[i]))
			return &families[i];
		x -= family_weight(&families[i]);
	}
	return &families[0];
}

/* Whether some reference can run the whole sequence: none runs both a form
 * that shows the system state (kvm only) and one aimed at the canonical
 * boundary (native only). */
static bool some_reference_runs(const struct seq *s)
{
	bool host_state = false, native_only = false;

	for (unsigned i = 0; i < s->n; i++) {
		host_state |= s->it[i].host_state;
		native_only |= s->it[i].native_only;
	}
	return !(host_state && native_only);
}

/* One instruction with its setup; a family may fail (the encoder refuses an
 * operand combination, a flag it reads may be undefined here): try another. */
static void gen_unit(struct gen *g)
{
	for (unsigned t = 0; t < UNIT_TRIES; t++) {
		unsigned start = g->s->n;

		g->faulting = false;
		g->no_faults = false;
		g->native_only = false;
		g->popf_value = 0;
		if (pick_family(g)->gen(g) && seq_flags_ok(g->s) && some_reference_runs(g->s))
			return;
		g->s->n = start;
	}
}

static void gen_state(struct gen *g, struct test_case *tc)
{
	for (unsigned i = 0; i < GPR_COUNT; i++)
		tc->gpr[i] = gen_value(&g->r);
	tc->gpr[GPR_RSP] = GEN_RSP;
	if (rng_chance(&g->r, 1, 4))
		tc->gpr[GPR_RSP] += (uint64_t)rng_range(&g->r, -16, 16);
	tc->rflags = rng_next(&g->r) & F_ALL;
	if (rng_chance(&g->r, 1, 4))
		tc->rflags |= 0x400; /* DF */
	for (unsigned i = 0; i < PAGE; i += 8) {
		uint64_t v = gen_value(&g->r);

		memcpy(tc->data + i, &v, 8);
	}
	for (unsigned i = 0; i < PAGE; i += 8) {
		uint64_t v = rng_next(&g->r);

		memcpy(tc->stack + i, &v, 8);
	}
}

uint64_t gen_case_seed(uint64_t seed, uint64_t index)
{
	uint64_t x = seed ^ (index * 0xd1b54a32d192ed03ull);

	return rng_splitmix(&x);
}

void gen_case(uint64_t seed, struct test_case *tc)
{
	struct gen g = { .s = &tc->seq };
	unsigned units;

	memset(tc, 0, sizeof(*tc));
	rng_seed(&g.r, seed);
	gen_state(&g, tc);
	units = 1 + rng_below(&g.r, UNITS_MAX);
	for (unsigned u = 0; u < units && tc->seq.n < SEQ_MAX - 4; u++)
		gen_unit(&g);
	if (tc->seq.n == 0)
		gen_emit_plain(&g, ZYDIS_MNEMONIC_NOP, 0, 0, 0);
	seq_fit_branches(&tc->seq);
}
