/* Loops: backward branches. A count (1 to LOOP_ROUNDS_MAX) is loaded before
 * the loop into a register the loop keeps for itself; a body of units from
 * the other families follows the top, with ways out of the loop (forward Jcc,
 * as its first instruction too), and Jcc, SETcc and CMOVcc there read the
 * flags the round before left; then the step of the count and the ways back
 * (seq.c keeps their targets):
 *
 *   WAY_DEC_JCC    top: body; DEC count; JNZ top           (or JG, JA)
 *   WAY_TOP_EXIT   top: JZ out; body; DEC count; JMP top   (or JLE, JBE)
 *   WAY_MID_EXIT   top: body; DEC count; JZ out; body, maybe with Jcc top;
 *                  JMP top (or nothing after a Jcc top)
 *   WAY_LOOP_INSN  top: body; LOOP top                     (RCX; LOOPE, LOOPNE)
 *
 * No way back can be taken once the count is 0 and every round steps it, so a
 * loop runs at most its count's rounds: the body never writes the registers
 * the loop keeps (each unit's bytes are decoded to make sure), and seq.c lets
 * no branch skip the step or land inside a loop from outside.
 *
 * In one loop in three, some memory operands of the body go through a pointer
 * the loop keeps too and moves once a round (gen_walk.c), so that an access
 * of a later round faults now and then. */
#include "gen_internal.h"

#include <string.h>

#define BODY_UNITS_MAX 5
#define BODY2_UNITS_MAX 3
#define WALK_ACCESSES_MAX 3
#define LOOP_TRIES 8
#define BODY_UNIT_TRIES 24

enum way { WAY_DEC_JCC, WAY_TOP_EXIT, WAY_MID_EXIT, WAY_LOOP_INSN, WAY_COUNT };

/* What a unit of the body is. */
enum slot { SLOT_ANY, SLOT_EXIT, SLOT_ACCESS, SLOT_MOVE };

struct loop_plan {
	unsigned k;	/* the loop's number */
	unsigned first; /* its first item */
	enum way way;
	unsigned count;	   /* its register */
	uint16_t reserved; /* registers the body does not write: the count, the pointer, the stride */
	bool moving;	   /* some accesses go through a pointer the loop moves */
	struct walk walk;
	enum slot body[BODY_UNITS_MAX];
	unsigned nbody;
};

/* The units of a loop's body: the families whose instructions the dbt
 * copies weigh most (a loop of them runs inside its host code), with INC and
 * DEC (CF passes through) and forward branches inside the body, and legacy
 * SSE (a loop of it holds its vector registers round: plan_vector_loop). */
static const struct body_family {
	unsigned weight;
	bool (*gen)(struct gen *g);
} body_families[] = {
	{ 14, fam_alu },      { 8, fam_unary },	   { 5, fam_shift },	{ 2, fam_double_shift },   { 3, fam_imul },
	{ 1, fam_muldiv },    { 4, fam_bittest },  { 2, fam_bitscan },	{ 4, fam_setcc },	   { 4, fam_cmovcc },
	{ 3, fam_extend },    { 3, fam_lea },	   { 2, fam_xchg },	{ 3, fam_exchange_arith }, { 3, fam_misc },
	{ 1, fam_bswap },     { 4, fam_branch },   { 2, fam_push_pop }, { 1, fam_flags_stack },	   { 1, fam_string },
	{ 1, fam_mmx_arith }, { 1, fam_bmi1 },	   { 1, fam_adx },	{ 1, fam_avx_int },	   { 2, fam_ssse3 },
	{ 2, fam_sse41_int }, { 1, fam_sse41_fp },
};

static bool any_body_family(struct gen *g)
{
	unsigned total = 0, x;

	/* The raw SIMD encodings, when asked for (gen_set_raw_simd). */
	if (gen_raw_simd_weight && rng_chance(&g->r, 1, 3))
		return fam_raw_simd(g);
	for (unsigned i = 0; i < ARRAY_LEN(body_families); i++)
		total += body_families[i].weight;
	x = rng_below(&g->r, total);
	for (unsigned i = 0; i < ARRAY_LEN(body_families); i++) {
		if (x < body_families[i].weight)
			return body_families[i].gen(g);
		x -= body_families[i].weight;
	}
	return false;
}

/* ---- items ------------------------------------------------------------------ */

/* The items appended since the loop began are its own. */
static void claim(struct gen *g, const struct loop_plan *p)
{
	for (unsigned i = p->first; i < g->s->n; i++)
		g->s->it[i].loop = (uint8_t)p->k;
}

static struct item *emit_mov(struct gen *g, unsigned size, unsigned n, int64_t value, enum loop_role role)
{
	ZydisEncoderRequest q;
	struct item *it;

	gen_req_init(&q, ZYDIS_MNEMONIC_MOV);
	gen_add_reg(&q, gen_gpr(size, n));
	gen_add_imm(&q, value);
	if (!gen_encodable(&q) || !(it = gen_append(g, &q, 0, 0, 0)))
		return NULL;
	it->loop_role = (uint8_t)role;
	return it;
}

/* A branch of the loop: a way back or out. Short now and then too far: the
 * generator makes those near (seq_fit_branches). */
static struct item *emit_branch(struct gen *g, ZydisMnemonic m, uint16_t rd, enum loop_role role, bool ctl)
{
	bool near = m != ZYDIS_MNEMONIC_LOOP && m != ZYDIS_MNEMONIC_LOOPE && m != ZYDIS_MNEMONIC_LOOPNE &&
		    rng_chance(&g->r, 1, 4);
	ZydisEncoderRequest q;
	struct item *it;

	gen_req_init(&q, m);
	q.branch_type = near ? ZYDIS_BRANCH_TYPE_NEAR : ZYDIS_BRANCH_TYPE_SHORT;
	q.branch_width = near ? ZYDIS_BRANCH_WIDTH_32 : ZYDIS_BRANCH_WIDTH_8;
	gen_add_imm(&q, (int64_t)GI_CODE);
	if (!(it = gen_append(g, &q, rd, 0, 0)))
		return NULL;
	it->kind = ITEM_BRANCH;
	it->fallthru = m != ZYDIS_MNEMONIC_JMP;
	it->loop_role = (uint8_t)role;
	it->loop_ctl = ctl;
	return it;
}

static struct item *emit_cc_branch(struct gen *g, unsigned cc, enum loop_role role, bool ctl)
{
	return emit_branch(g, gen_jcc[cc], gen_cc_reads(cc), role, ctl);
}

/* A way out on any condition: past the loop, or a little further. */
static bool emit_exit(struct gen *g)
{
	struct item *it = emit_cc_branch(g, rng_below(&g->r, 16), LR_EXIT, false);

	if (it && rng_chance(&g->r, 1, 4))
		it->skip = (uint8_t)rng_below(&g->r, 3);
	return it != NULL;
}

/* The general registers the item writes, hidden operands included (0xffff
 * when it cannot be encoded). */
static uint16_t gprs_written(const struct item *it)
{
	uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
	ZyanUSize len = sizeof(buf);
	ZydisEncoderRequest q = it->req;
	ZydisDecoder dec;
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	uint16_t written = 0;

	if (it->kind == ITEM_RAW)
		memcpy(buf, it->raw, len = it->rawlen);
	else if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstructionAbsolute(&q, buf, &len, GI_CODE)))
		return 0xffff;
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, buf, len, &zi, ops)))
		return 0; /* #UD: writes nothing */
	for (unsigned i = 0; i < zi.operand_count; i++) {
		ZydisRegister r;

		if (ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER || !(ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
			continue;
		r = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, ops[i].reg.value);
		if (r >= ZYDIS_REGISTER_RAX && r <= ZYDIS_REGISTER_R15)
			written |= (uint16_t)(1u << (r - ZYDIS_REGISTER_RAX));
	}
	return written;
}

static bool writes_any(const struct gen *g, unsigned from, uint16_t regs)
{
	for (unsigned i = from; i < g->s->n; i++)
		if (gprs_written(&g->s->it[i]) & regs)
			return true;
	return false;
}

/* The body's plan: how many units, which of them the pointer's step and its
 * accesses (the first access's place decides where the pointer starts), and
 * whether the first is a way out. */
static void plan_body(struct gen *g, struct loop_plan *p)
{
	unsigned move, uses;
	bool moved = false;

	p->nbody = rng_below(&g->r, BODY_UNITS_MAX + 1);
	if (p->moving && p->nbody < 2)
		p->nbody = 2;
	for (unsigned i = 0; i < p->nbody; i++)
		p->body[i] = rng_chance(&g->r, 1, 6) ? SLOT_EXIT : SLOT_ANY;
	if (p->nbody && rng_chance(&g->r, 1, 4))
		p->body[0] = SLOT_EXIT;
	if (!p->moving)
		return;
	move = rng_below(&g->r, p->nbody);
	p->body[move] = SLOT_MOVE;
	uses = 1 + rng_below(&g->r, WALK_ACCESSES_MAX);
	for (unsigned u = 0; u < uses; u++)
		p->body[(move + 1 + rng_below(&g->r, p->nbody - 1)) % p->nbody] = SLOT_ACCESS;
	for (unsigned i = 0; p->body[i] != SLOT_ACCESS; i++)
		moved |= p->body[i] == SLOT_MOVE;
	gen_walk_plan(g, &p->walk, moved);
}

/* ---- the body -------------------------------------------------------------------- */

static bool slot_unit(struct gen *g, const struct loop_plan *p, enum slot s, bool first_access)
{
	switch (s) {
	case SLOT_EXIT:
		return emit_exit(g);
	case SLOT_ACCESS:
		return gen_walk_access(g, &p->walk, first_access);
	case SLOT_MOVE:
		return gen_walk_step(g, &p->walk);
	default:
		return any_body_family(g);
	}
}

/* One unit of the body that writes none of the loop's registers (its own
 * step of the pointer aside) and reads no flag that may be undefined. */
static bool body_unit(struct gen *g, const struct loop_plan *p, enum slot s, bool first_access)
{
	for (unsigned t = 0; t < BODY_UNIT_TRIES; t++) {
		unsigned start = g->s->n;
		uint16_t keep = s == SLOT_MOVE ? (uint16_t)(p->reserved & ~(1u << p->walk.ptr)) : p->reserved;

		g->faulting = false;
		g->no_faults = false;
		g->native_only = false;
		g->popf_value = 0;
		g->reserved = p->reserved;
		if (slot_unit(g, p, s, first_access)) {
			claim(g, p);
			if (!writes_any(g, start, keep) && seq_flags_ok(g->s)) {
				g->reserved = 0;
				return true;
			}
		}
		g->s->n = start;
	}
	g->reserved = 0;
	return false;
}

/* A unit that cannot be made is left out, unless the pointer's walk was
 * planned with it. */
static bool body(struct gen *g, const struct loop_plan *p)
{
	bool first_access = true;

	for (unsigned i = 0; i < p->nbody; i++) {
		if (!body_unit(g, p, p->body[i], first_access) &&
		    (p->body[i] == SLOT_MOVE || p->body[i] == SLOT_ACCESS))
			return false;
		first_access &= p->body[i] != SLOT_ACCESS;
	}
	return true;
}

/* ---- the count and the ways back ---------------------------------------------------- */

/* DEC, SUB 1 or ADD -1 of the count, at 64 or 32 bits: ZF says whether it
 * reached 0. */
static bool emit_step(struct gen *g, const struct loop_plan *p)
{
	ZydisEncoderRequest q;
	unsigned kind = rng_below(&g->r, 4), size = rng_chance(&g->r, 1, 3) ? 4 : 8;
	struct item *it;

	gen_req_init(&q, kind < 2 ? ZYDIS_MNEMONIC_DEC : kind == 2 ? ZYDIS_MNEMONIC_SUB : ZYDIS_MNEMONIC_ADD);
	gen_add_reg(&q, gen_gpr(size, p->count));
	if (kind >= 2)
		gen_add_imm(&q, kind == 2 ? 1 : -1);
	if (!(it = gen_append(g, &q, 0, kind < 2 ? F_ALL & ~F_CF : F_ALL, 0)))
		return false;
	it->loop_role = LR_STEP;
	it->loop_ctl = 1;
	return true;
}

/* Conditions taken only while ZF = 0 (ways back after the step) and always
 * when ZF = 1 (ways out after it): NZ, NBE, NLE and Z, BE, LE. */
static unsigned while_nonzero(struct gen *g)
{
	static const unsigned cc[] = { 5, 5, 5, 7, 15 };

	return cc[rng_below(&g->r, ARRAY_LEN(cc))];
}

static unsigned until_zero(struct gen *g)
{
	static const unsigned cc[] = { 4, 4, 4, 6, 14 };

	return cc[rng_below(&g->r, ARRAY_LEN(cc))];
}

/* WAY_MID_EXIT after the way out: units, maybe a Jcc back on any condition
 * among them, then a JMP back (or, after a Jcc back, now and then nothing:
 * the last round goes on out through the rest). */
static bool mid_exit_tail(struct gen *g, const struct loop_plan *p)
{
	unsigned n = rng_below(&g->r, BODY2_UNITS_MAX + 1);
	unsigned back = rng_chance(&g->r, 1, 2) ? rng_below(&g->r, n + 1) : n + 1; /* n + 1: none */

	for (unsigned i = 0; i <= n; i++) {
		if (i == back && !emit_cc_branch(g, rng_below(&g->r, 16), LR_BACK, false))
			return false;
		claim(g, p);
		if (i < n)
			body_unit(g, p, rng_chance(&g->r, 1, 5) ? SLOT_EXIT : SLOT_ANY, false);
	}
	return (back <= n && rng_chance(&g->r, 1, 3)) || emit_branch(g, ZYDIS_MNEMONIC_JMP, 0, LR_BACK, false);
}

/* LOOP, LOOPE or LOOPNE back, by RCX or ECX: the way back only while the
 * count it steps is not 0. */
static bool emit_loop_insn(struct gen *g)
{
	static const ZydisMnemonic m[] = { ZYDIS_MNEMONIC_LOOP, ZYDIS_MNEMONIC_LOOP, ZYDIS_MNEMONIC_LOOPE,
					   ZYDIS_MNEMONIC_LOOPNE };
	ZydisMnemonic pick = PICK(g, m);
	struct item *it = emit_branch(g, pick, pick == ZYDIS_MNEMONIC_LOOP ? 0 : F_ZF, LR_BACK, false);

	if (it && rng_chance(&g->r, 1, 4))
		it->req.address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_32;
	return it != NULL;
}

static bool ways(struct gen *g, const struct loop_plan *p)
{
	bool ok;

	switch (p->way) {
	case WAY_DEC_JCC:
		ok = emit_step(g, p) && emit_cc_branch(g, while_nonzero(g), LR_BACK, false);
		break;
	case WAY_TOP_EXIT:
		ok = emit_step(g, p) && emit_branch(g, ZYDIS_MNEMONIC_JMP, 0, LR_BACK, false);
		break;
	case WAY_MID_EXIT:
		ok = emit_step(g, p) && emit_cc_branch(g, until_zero(g), LR_EXIT, true) && mid_exit_tail(g, p);
		break;
	default:
		ok = emit_loop_insn(g);
		break;
	}
	claim(g, p);
	return ok;
}

/* ---- the loop -------------------------------------------------------------------- */

static unsigned next_loop_number(const struct seq *s)
{
	unsigned k = 0;

	for (unsigned i = 0; i < s->n; i++)
		if (s->it[i].loop > k)
			k = s->it[i].loop;
	return k + 1;
}

/* The MOVs of the pointer, its stride and the count, and now and then a
 * flag writer reading the count (the first round's flags at the top). */
static bool preamble(struct gen *g, const struct loop_plan *p)
{
	ZydisEncoderRequest q;
	struct item *it;

	if (p->moving && !emit_mov(g, 8, p->walk.ptr, (int64_t)p->walk.ptr0, LR_PRE))
		return false;
	if (p->moving && p->walk.stride_reg != RSP_N && !emit_mov(g, 8, p->walk.stride_reg, p->walk.stride, LR_PRE))
		return false;
	if (!(it = emit_mov(g, rng_chance(&g->r, 1, 2) ? 4 : 8, p->count, rng_range(&g->r, 1, LOOP_ROUNDS_MAX),
			    LR_COUNT)))
		return false;
	it->loop_ctl = 1;
	if (!rng_chance(&g->r, 1, p->way == WAY_TOP_EXIT ? 2 : 4))
		return true;
	gen_req_init(&q, rng_chance(&g->r, 1, 2) ? ZYDIS_MNEMONIC_TEST : ZYDIS_MNEMONIC_CMP);
	gen_add_reg(&q, gen_gpr(8, p->count));
	if (q.mnemonic == ZYDIS_MNEMONIC_TEST)
		gen_add_reg(&q, gen_gpr(8, p->count));
	else
		gen_add_imm(&q, rng_range(&g->r, 0, LOOP_ROUNDS_MAX + 1));
	if (!(it = gen_append(g, &q, 0, q.mnemonic == ZYDIS_MNEMONIC_TEST ? F_ALL & ~F_AF : F_ALL,
			      q.mnemonic == ZYDIS_MNEMONIC_TEST ? F_AF : 0)))
		return false;
	it->loop_role = LR_PRE;
	return true;
}

static void plan_loop(struct gen *g, struct loop_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->k = next_loop_number(g->s);
	p->first = g->s->n;
	p->way = (enum way)rng_below(&g->r, WAY_COUNT);
	p->count = p->way == WAY_LOOP_INSN || rng_chance(&g->r, 1, 3) ? RCX_N : gen_reg(g, 8, true);
	p->reserved = (uint16_t)(1u << p->count);
	p->walk.stride_reg = RSP_N;
	p->moving = rng_chance(&g->r, 1, 3);
	if (p->moving) {
		p->walk.ptr = gen_reg_avoid(g, 8, true, p->reserved);
		p->reserved |= (uint16_t)(1u << p->walk.ptr);
	}
	plan_body(g, p);
	if (p->moving && (rng_chance(&g->r, 1, 3) || p->walk.stride != (int32_t)p->walk.stride)) {
		p->walk.stride_reg = gen_reg_avoid(g, 8, true, p->reserved);
		p->reserved |= (uint16_t)(1u << p->walk.stride_reg);
	}
}

/* A LOOP's rel8 must reach the top (LOOP has no other form). */
static bool loop_insn_reaches(const struct seq *s, unsigned top)
{
	unsigned bytes = 0;

	for (unsigned i = top; i < s->n; i++) {
		const struct item *it = &s->it[i];

		bytes += it->kind == ITEM_RAW ? it->rawlen : it->nprefix + gen_encoded_length(&it->req);
	}
	return bytes <= 128;
}

static bool make_loop(struct gen *g)
{
	struct loop_plan p;
	unsigned top;

	plan_loop(g, &p);
	if (!preamble(g, &p))
		return false;
	top = g->s->n;
	if (p.way == WAY_TOP_EXIT && !emit_cc_branch(g, until_zero(g), LR_EXIT, true))
		return false;
	claim(g, &p);
	if (!body(g, &p) || !ways(g, &p))
		return false;
	return p.way != WAY_LOOP_INSN || loop_insn_reaches(g->s, top);
}

bool fam_loop(struct gen *g)
{
	unsigned start = g->s->n;

	for (unsigned t = 0; t < LOOP_TRIES; t++) {
		if (make_loop(g) && seq_flags_ok(g->s))
			return true;
		g->s->n = start;
	}
	return false;
}

bool gen_loop_stop(const struct seq *s, unsigned i, const uint64_t gpr[GPR_COUNT], bool *stepped)
{
	const struct item *it = &s->it[i];

	if (i >= s->n || !it->loop || it->loop_role == LR_PRE || it->loop_role == LR_COUNT)
		return false;
	for (unsigned j = 0; j < i; j++) {
		const struct item *c = &s->it[j];
		ZydisRegister r =
		    ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, c->req.operands[0].reg.value);

		if (c->loop == it->loop && c->loop_role == LR_COUNT) {
			*stepped = gpr[r - ZYDIS_REGISTER_RAX] != c->req.operands[1].imm.u;
			return true;
		}
	}
	return false;
}
