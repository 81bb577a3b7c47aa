#include "seq.h"

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
	if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstructionAbsolute(&req, buf + it->nprefix, &n, addr + it->nprefix)))
		return -1;
	*len = n + it->nprefix;
	return 0;
}

/* A branch skips `skip` items, and then the rest of a unit it would land in:
 * never between a setup `mov` and the instruction it loads registers for, nor
 * inside a joined unit. */
static unsigned branch_target(const struct seq *s, unsigned i)
{
	unsigned t = i + 1 + s->it[i].skip;

	if (t > s->n)
		t = s->n;
	while (t < s->n && (s->it[t - 1].setup || s->it[t - 1].joined))
		t++;
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

/* Forward data-flow of "may be undefined" over the arithmetic flags. A point's
 * set is the union over the paths reaching it; unreachable items do not count. */
static int analyze(const struct seq *s, uint16_t *in, uint8_t *reach)
{
	memset(in, 0, (SEQ_MAX + 1) * sizeof(in[0]));
	memset(reach, 0, SEQ_MAX + 1);

	reach[0] = 1;
	for (unsigned i = 0; i < s->n; i++) {
		const struct item *it = &s->it[i];
		uint16_t out;

		if (!reach[i])
			continue;
		if (in[i] & it->fl_read)
			return -1;
		out = (uint16_t)((in[i] & ~it->fl_def) | it->fl_undef);
		if (it->kind == ITEM_BRANCH) {
			unsigned t = branch_target(s, i);

			in[t] |= out;
			reach[t] = 1;
		}
		if (it->kind != ITEM_BRANCH || it->fallthru) {
			in[i + 1] |= out;
			reach[i + 1] = 1;
		}
	}
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

void seq_remove(struct seq *s, unsigned i)
{
	memmove(&s->it[i], &s->it[i + 1], (s->n - i - 1) * sizeof(s->it[0]));
	s->n--;
}
