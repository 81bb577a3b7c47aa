#include "seq.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* buf holds ZYDIS_MAX_INSTRUCTION_LENGTH bytes. Raw prefixes go first; the
 * encoder's own prefixes and REX follow them, as they must. */
static int encode_at(const struct item *it, uint64_t addr, uint64_t target, uint8_t *buf, size_t *len)
{
	ZydisEncoderRequest req = it->req;
	ZyanUSize n = ZYDIS_MAX_INSTRUCTION_LENGTH - it->nprefix;

	if (it->kind == ITEM_RAW) {
		memcpy(buf, it->raw, it->rawlen);
		*len = it->rawlen;
		return 0;
	}
	memcpy(buf, it->prefix, it->nprefix);
	if (it->kind == ITEM_BRANCH)
		req.operands[0].imm.u = target;
	for (unsigned k = 0; it->kind == ITEM_ADDR && k < req.operand_count; k++)
		if (req.operands[k].type == ZYDIS_OPERAND_TYPE_MEMORY)
			req.operands[k].mem.displacement = (int64_t)target;
	if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstructionAbsolute(&req, buf + it->nprefix, &n, addr + it->nprefix)))
		return -1;
	*len = n + it->nprefix;
	return 0;
}

/* ---- loops (seq.h) ---- */

/* One past the last item of loop k. */
static unsigned loop_end(const struct seq *s, unsigned k)
{
	for (unsigned i = s->n; i-- > 0;)
		if (s->it[i].loop == k)
			return i + 1;
	return s->n;
}

/* Where its ways back go: past the preamble. */
static unsigned loop_top(const struct seq *s, unsigned k)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->it[i].loop == k && s->it[i].loop_role != LR_PRE && s->it[i].loop_role != LR_COUNT)
			return i;
	return s->n;
}

/* The step of its count, or s->n if it has none (the LOOP instruction is both
 * step and way back). */
static unsigned loop_step(const struct seq *s, unsigned k)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->it[i].loop == k && s->it[i].loop_role == LR_STEP)
			return i;
	return s->n;
}

/* A forward branch at i landing at t: out of the loop instead of inside it
 * from outside, or past the step of its count from before the step. */
static unsigned loop_landing(const struct seq *s, unsigned i, unsigned t)
{
	unsigned k, step;

	if (t == 0 || t >= s->n || !(k = s->it[t].loop) || s->it[t - 1].loop != k)
		return t; /* outside any loop, or at a loop's first item */
	if (s->it[i].loop != k)
		return loop_end(s, k);
	step = loop_step(s, k);
	return i < step && t > step && step < s->n ? loop_end(s, k) : t;
}

/* A branch skips `skip` items, and then the rest of a unit it would land in:
 * never between a setup `mov` and the instruction it loads registers for, nor
 * inside a joined unit; nor where a loop would lose its bound. A loop's way
 * back goes to its top, a way out past its end. */
static unsigned branch_target(const struct seq *s, unsigned i)
{
	const struct item *it = &s->it[i];
	unsigned t = i + 1 + it->skip, was;

	if (it->loop && it->loop_role == LR_BACK)
		return loop_top(s, it->loop);
	if (it->loop && it->loop_role == LR_EXIT)
		t = loop_end(s, it->loop) + it->skip;
	if (t > s->n)
		t = s->n;
	do {
		was = t;
		while (t < s->n && (s->it[t - 1].setup || s->it[t - 1].joined))
			t++;
		t = loop_landing(s, i, t);
	} while (t != was);
	return t;
}

/* Lengths do not depend on addresses (branch widths are fixed in the request,
 * RIP-relative displacements are always 32 bits), so one pass at a dummy address
 * finds the offsets and a second encodes for real. */
static int place(const struct seq *s, struct layout *l)
{
	uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
	size_t len;
	uint32_t off = 0;

	for (unsigned i = 0; i < s->n; i++) {
		l->off[i] = off;
		if (encode_at(&s->it[i], GI_CODE + off, GI_CODE + off, buf, &len))
			return -1;
		off += (uint32_t)len;
	}
	l->off[s->n] = off;
	return off + 1 <= sizeof(l->code) ? 0 : -1;
}

static int emit(const struct seq *s, struct layout *l)
{
	for (unsigned i = 0; i < s->n; i++) {
		uint64_t at = GI_CODE + l->off[i], target = GI_CODE + l->off[branch_target(s, i)];
		size_t len;

		if (encode_at(&s->it[i], at, target, l->code + l->off[i], &len) || len != l->off[i + 1] - l->off[i])
			return -1;
	}
	l->code[l->off[s->n]] = GI_END_INSN;
	l->len = l->off[s->n] + 1;
	return 0;
}

static bool flow_to(uint16_t *in, uint8_t *reach, unsigned t, uint16_t flags)
{
	bool changed = !reach[t] || (in[t] | flags) != in[t];

	in[t] |= flags;
	reach[t] = 1;
	return changed;
}

/* Data-flow of "may be undefined" over the arithmetic flags, to a fixed point
 * (a loop's way back carries a round's flags to its top). A point's set is
 * the union over the paths reaching it; unreachable items do not count. */
static int analyze(const struct seq *s, uint16_t *in, uint8_t *reach)
{
	bool changed = true;

	memset(in, 0, (SEQ_MAX + 1) * sizeof(in[0]));
	memset(reach, 0, SEQ_MAX + 1);
	reach[0] = 1;
	while (changed) {
		changed = false;
		for (unsigned i = 0; i < s->n; i++) {
			const struct item *it = &s->it[i];
			uint16_t out = (uint16_t)((in[i] & ~it->fl_def) | it->fl_undef);

			if (!reach[i])
				continue;
			if (it->kind == ITEM_BRANCH)
				changed |= flow_to(in, reach, branch_target(s, i), out);
			if (it->kind != ITEM_BRANCH || it->fallthru)
				changed |= flow_to(in, reach, i + 1, out);
		}
	}
	for (unsigned i = 0; i < s->n; i++)
		if (reach[i] && (in[i] & s->it[i].fl_read))
			return -1;
	return 0;
}

int seq_flags_ok(const struct seq *s)
{
	uint16_t in[SEQ_MAX + 1];
	uint8_t reach[SEQ_MAX + 1];

	return analyze(s, in, reach) == 0;
}

int seq_layout(const struct seq *s, struct layout *l)
{
	memset(l->code, 0, sizeof(l->code));
	if (place(s, l) || emit(s, l))
		return -1;
	return analyze(s, l->undef_in, l->reachable);
}

int layout_item_at(const struct seq *s, const struct layout *l, uint64_t rip)
{
	for (unsigned i = 0; i <= s->n; i++)
		if (GI_CODE + l->off[i] == rip)
			return (int)i;
	return -1;
}

uint16_t layout_undef_at(const struct seq *s, const struct layout *l, uint64_t rip)
{
	int i = layout_item_at(s, l, rip);

	return i < 0 ? F_ALL : l->undef_in[i];
}

static void remove_item(struct seq *s, unsigned i)
{
	memmove(&s->it[i], &s->it[i + 1], (s->n - i - 1) * sizeof(s->it[0]));
	s->n--;
}

void seq_drop(struct seq *s, unsigned i)
{
	unsigned k = s->it[i].loop;

	if (!k || !s->it[i].loop_ctl) {
		remove_item(s, i);
		return;
	}
	for (unsigned j = s->n; j-- > 0;) {
		struct item *it = &s->it[j];

		if (it->loop != k)
			continue;
		if (it->loop_ctl || it->loop_role == LR_BACK) {
			remove_item(s, j);
			continue;
		}
		it->loop = 0;
		it->loop_role = LR_BODY;
	}
}

unsigned seq_loops(const struct seq *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->n; i++)
		n += s->it[i].loop && (i == 0 || s->it[i - 1].loop != s->it[i].loop);
	return n;
}

/* The rel8 of a short branch at i reaches its target. */
static bool reaches(const struct seq *s, const struct layout *l, unsigned i)
{
	int64_t rel = (int64_t)l->off[branch_target(s, i)] - (int64_t)l->off[i + 1];

	return rel >= -128 && rel <= 127;
}

static bool short_only(ZydisMnemonic m)
{
	return m == ZYDIS_MNEMONIC_LOOP || m == ZYDIS_MNEMONIC_LOOPE || m == ZYDIS_MNEMONIC_LOOPNE ||
	       m == ZYDIS_MNEMONIC_JRCXZ || m == ZYDIS_MNEMONIC_JECXZ;
}

/* Makes a short branch at i that cannot reach its target near, or, for those
 * with no near form, skip fewer items. False if nothing is left to change. */
static bool fit(struct seq *s, unsigned i)
{
	struct item *it = &s->it[i];

	if (!short_only(it->req.mnemonic)) {
		it->req.branch_type = ZYDIS_BRANCH_TYPE_NEAR;
		it->req.branch_width = ZYDIS_BRANCH_WIDTH_32;
		return true;
	}
	if (it->skip == 0 || it->loop_role == LR_BACK)
		return false;
	it->skip--;
	return true;
}

void seq_fit_branches(struct seq *s)
{
	struct layout *l = malloc(sizeof(*l)); /* the offsets only; big for ASan's stacks */
	bool changed = true;

	while (l && changed && place(s, l) == 0) {
		changed = false;
		for (unsigned i = 0; i < s->n; i++)
			if (s->it[i].kind == ITEM_BRANCH && s->it[i].req.branch_width == ZYDIS_BRANCH_WIDTH_8 &&
			    !reaches(s, l, i))
				changed |= fit(s, i);
	}
	free(l);
}
