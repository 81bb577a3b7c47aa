#include "differ.h"

#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

#define CHUNK 64 /* memory is cleared in chunks of this many bytes while shrinking */

int differ_open(struct differ *d, const char *hw, const char *sw, char *why, size_t why_len)
{
	char inner[200];

	memset(d, 0, sizeof(*d));
	if (box_open(&d->hw, hw, inner, sizeof(inner))) {
		snprintf(why, why_len, "%s engine unavailable: %s", hw, inner);
		return -1;
	}
	if (box_open(&d->sw, sw, inner, sizeof(inner))) {
		snprintf(why, why_len, "%s engine unavailable: %s", sw, inner);
		box_close(&d->hw);
		return -1;
	}
	return 0;
}

void differ_close(struct differ *d)
{
	box_close(&d->hw);
	box_close(&d->sw);
}

static void make_input(const struct test_case *tc, const struct layout *l, struct test_input *in)
{
	memcpy(in->gpr, tc->gpr, sizeof(in->gpr));
	in->rflags = tc->rflags;
	memcpy(in->data, tc->data, PAGE);
	memcpy(in->stack, tc->stack, PAGE);
	in->code = l->code;
	in->code_len = l->len;
}

/* The big structures live on the heap: ASan builds have small stack frames to
 * spare. */
struct run_buffers {
	struct layout layout;
	struct test_input input;
	struct outcome hw, sw;
};

static enum verdict run_with(struct differ *d, const struct test_case *tc, struct run_buffers *b, struct mismatch *m,
			     char *why, size_t why_len)
{
	if (seq_layout(&tc->seq, &b->layout)) {
		snprintf(why, why_len, "the sequence cannot be laid out");
		return V_SKIP;
	}
	make_input(tc, &b->layout, &b->input);
	box_run(&d->hw, &b->input, &b->hw);
	if (b->hw.kind == OC_FAILED || b->hw.kind == OC_TIMEOUT) {
		snprintf(why, why_len, "silicon could not run it: %s", b->hw.note);
		return V_SKIP;
	}
	box_run(&d->sw, &b->input, &b->sw);
	return outcome_compare(tc, &b->layout, &b->hw, &b->sw, m) ? V_FAIL : V_PASS;
}

enum verdict differ_run(struct differ *d, const struct test_case *tc, struct mismatch *m, char *why, size_t why_len)
{
	struct run_buffers *b = malloc(sizeof(*b));
	enum verdict v;

	if (!b) {
		snprintf(why, why_len, "out of memory");
		return V_SKIP;
	}
	v = run_with(d, tc, b, m, why, why_len);
	free(b);
	return v;
}

/* ---- shrinking ------------------------------------------------------------------ */

struct shrink {
	struct differ *d;
	struct mismatch orig; /* the failure being kept */
	struct mismatch now;
};

static bool still_fails(struct shrink *k, const struct test_case *tc)
{
	char why[256];

	return tc->seq.n > 0 && differ_run(k->d, tc, &k->now, why, sizeof(why)) == V_FAIL &&
	       mismatch_same(&k->orig, &k->now);
}

static void drop_instructions(struct shrink *d, struct test_case *tc, struct test_case *c)
{
	bool changed = true;

	while (changed) {
		changed = false;
		for (unsigned i = tc->seq.n; i-- > 0 && tc->seq.n > 1;) {
			*c = *tc;
			seq_remove(&c->seq, i);
			if (still_fails(d, c)) {
				*tc = *c;
				changed = true;
			}
		}
	}
}

static void clear_registers(struct shrink *d, struct test_case *tc, struct test_case *c)
{
	for (unsigned i = 0; i < GPR_COUNT; i++) {
		if (i == GPR_RSP || tc->gpr[i] == 0)
			continue;
		*c = *tc;
		c->gpr[i] = 0;
		if (still_fails(d, c))
			*tc = *c;
	}
	*c = *tc;
	c->rflags = 0;
	if (tc->rflags && still_fails(d, c))
		*tc = *c;
}

static void clear_memory(struct shrink *d, struct test_case *tc, struct test_case *c, bool stack)
{
	static const uint8_t zero[PAGE];

	for (unsigned off = 0; off < PAGE; off += CHUNK) {
		uint8_t *page = stack ? tc->stack : tc->data;

		if (memcmp(page + off, zero, CHUNK) == 0)
			continue;
		*c = *tc;
		memset((stack ? c->stack : c->data) + off, 0, CHUNK);
		if (still_fails(d, c))
			*tc = *c;
	}
}

void differ_shrink(struct differ *d, struct test_case *tc)
{
	struct test_case *c = malloc(sizeof(*c));
	struct shrink *k = malloc(sizeof(*k));
	char why[256];

	if (!c || !k || differ_run(d, tc, &k->orig, why, sizeof(why)) != V_FAIL)
		goto out;
	k->d = d;
	drop_instructions(k, tc, c);
	clear_registers(k, tc, c);
	clear_memory(k, tc, c, false);
	clear_memory(k, tc, c, true);
out:
	free(c);
	free(k);
}

/* ---- the reproducer --------------------------------------------------------------- */

static void print_code(FILE *f, const struct test_case *tc, const struct layout *l)
{
	ZydisDecoder dec;
	ZydisFormatter fmt;

	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL);
	fprintf(f, "  code at %#llx (64-bit, CPL 3), %zu bytes:\n", (unsigned long long)GI_CODE, l->len);
	for (unsigned i = 0; i <= tc->seq.n; i++) {
		unsigned off = l->off[i], len = i < tc->seq.n ? l->off[i + 1] - off : 1;
		ZydisDecodedInstruction zi;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		char text[96] = "(undecodable)", hex[48] = "";

		for (unsigned k = 0; k < len && k < 15; k++)
			snprintf(hex + 3 * k, sizeof(hex) - 3 * k, "%02x ", l->code[off + k]);
		if (ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, l->code + off, len, &zi, ops)))
			ZydisFormatterFormatInstruction(&fmt, &zi, ops, zi.operand_count_visible, text, sizeof(text),
							GI_CODE + off, NULL);
		fprintf(f, "    %#llx  %-45s %s%s\n", (unsigned long long)(GI_CODE + off), hex, text,
			i == tc->seq.n ? "   ; end of the sequence" : "");
	}
}

static void print_page(FILE *f, const char *name, uint64_t base, const uint8_t *page)
{
	unsigned shown = 0;

	for (unsigned i = 0; i < PAGE; i += 8) {
		uint64_t v;

		memcpy(&v, page + i, 8);
		if (!v)
			continue;
		if (shown++ == 0)
			fprintf(f, "  %s page at %#llx, non-zero qwords (little-endian):\n", name,
				(unsigned long long)base);
		fprintf(f, "    [%#llx] = %#018llx\n", (unsigned long long)(base + i), (unsigned long long)v);
	}
	if (!shown)
		fprintf(f, "  %s page at %#llx: all zero\n", name, (unsigned long long)base);
}

static void print_state(FILE *f, const struct test_case *tc)
{
	static const char *const names[GPR_COUNT] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
						      "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15" };

	fprintf(f, "  initial state:\n");
	for (unsigned i = 0; i < GPR_COUNT; i++)
		fprintf(f, "%s%-3s=%#018llx%s", i % 4 == 0 ? "    " : "  ", names[i], (unsigned long long)tc->gpr[i],
			i % 4 == 3 ? "\n" : "");
	fprintf(f, "    rflags=%#llx (arithmetic flags and DF; also IF=1, IOPL=0)\n",
		(unsigned long long)(tc->rflags | 0x202));
	print_page(f, "data", GI_DATA, tc->data);
	print_page(f, "stack", GI_STACK, tc->stack);
}

void differ_report(FILE *f, struct differ *d, const struct test_case *tc, const char *title)
{
	struct run_buffers *b = malloc(sizeof(*b));
	struct mismatch *m = malloc(sizeof(*m));
	char why[256], hw[200], sw[200];

	if (!b || !m)
		goto out;
	fprintf(f, "MISMATCH %s\n", title);
	if (run_with(d, tc, b, m, why, sizeof(why)) != V_FAIL) {
		fprintf(f, "  (the shrunk case no longer fails: %s)\n", why);
		goto out;
	}
	print_code(f, tc, &b->layout);
	print_state(f, tc);
	outcome_describe(&b->hw, hw, sizeof(hw));
	outcome_describe(&b->sw, sw, sizeof(sw));
	fprintf(f, "  kvm (silicon): %s\n  interp:        %s\n  differences:\n", hw, sw);
	mismatch_print(f, m, "    ");
out:
	free(b);
	free(m);
}
