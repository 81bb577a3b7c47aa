#include "differ.h"

#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "native.h"

#define CHUNK 64 /* memory is cleared in chunks of this many bytes while shrinking */

/* Opens each name of a comma-separated list into boxes[]; a name that cannot
 * run is added to `left_out` (if given) or fails the whole list. */
static int open_list(struct engine_box *boxes, unsigned *n, const char *list, char *left_out, size_t left_len,
		     char *why, size_t why_len)
{
	char names[200], *save = NULL, inner[200];

	snprintf(names, sizeof(names), "%s", list);
	for (char *name = strtok_r(names, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		if (*n == DIFFER_MAX) {
			snprintf(why, why_len, "more than %d engines in '%s'", DIFFER_MAX, list);
			return -1;
		}
		if (box_open(&boxes[*n], name, inner, sizeof(inner)) == 0) {
			(*n)++;
		} else if (left_out) {
			size_t used = strlen(left_out);

			snprintf(left_out + used, left_len - used, "%s%s: %s", used ? "; " : "", name, inner);
		} else {
			snprintf(why, why_len, "%s unavailable: %s", name, inner);
			return -1;
		}
	}
	return 0;
}

int differ_open(struct differ *d, const char *refs, const char *subs, char *why, size_t why_len)
{
	memset(d, 0, sizeof(*d));
	/* References first: the native one forks, best before engines start threads. */
	if (open_list(d->ref, &d->nref, refs, d->left_out, sizeof(d->left_out), why, why_len))
		goto fail;
	if (!d->nref) {
		snprintf(why, why_len, "no reference can run here (%s)", d->left_out);
		goto fail;
	}
	if (open_list(d->sub, &d->nsub, subs, NULL, 0, why, why_len))
		goto fail;
	if (!d->nsub) {
		snprintf(why, why_len, "no engine to test");
		goto fail;
	}
	return 0;
fail:
	differ_close(d);
	return -1;
}

void differ_close(struct differ *d)
{
	for (unsigned i = 0; i < d->nref; i++)
		box_close(&d->ref[i]);
	for (unsigned i = 0; i < d->nsub; i++)
		box_close(&d->sub[i]);
	d->nref = d->nsub = 0;
}

bool differ_runs_noncanonical(const struct differ *d)
{
	for (unsigned i = 0; i < d->nref; i++)
		if (d->ref[i].native && native_host_la57())
			return false;
	return true;
}

bool differ_runs_native(const struct differ *d)
{
	for (unsigned i = 0; i < d->nref; i++)
		if (d->ref[i].native)
			return true;
	return false;
}

bool differ_runs_host_state(const struct differ *d)
{
	for (unsigned i = 0; i < d->nref; i++)
		if (!d->ref[i].native)
			return true;
	return false;
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
	struct outcome ref[DIFFER_MAX], sub[DIFFER_MAX];
	bool ref_ran[DIFFER_MAX];
};

static bool needs_host_state(const struct test_case *tc)
{
	for (unsigned i = 0; i < tc->seq.n; i++)
		if (tc->seq.it[i].host_state)
			return true;
	return false;
}

static bool needs_native(const struct test_case *tc)
{
	for (unsigned i = 0; i < tc->seq.n; i++)
		if (tc->seq.it[i].native_only)
			return true;
	return false;
}

/* Runs the references that can run this case; false (with why) if none could. */
static bool run_references(struct differ *d, const struct test_case *tc, struct run_buffers *b, char *why,
			   size_t why_len)
{
	bool any = false;

	snprintf(why, why_len, "no reference can run its system-state forms here");
	for (unsigned i = 0; i < d->nref; i++) {
		b->ref_ran[i] = false;
		if (d->ref[i].native ? needs_host_state(tc) : needs_native(tc))
			continue;
		box_run(&d->ref[i], &b->input, &b->ref[i]);
		if (b->ref[i].kind == OC_FAILED || b->ref[i].kind == OC_TIMEOUT) {
			snprintf(why, why_len, "silicon (%s) could not run it: %s", d->ref[i].name, b->ref[i].note);
			continue;
		}
		b->ref_ran[i] = any = true;
	}
	return any;
}

static enum verdict run_with(struct differ *d, const struct test_case *tc, struct run_buffers *b, struct mismatch *m,
			     char *why, size_t why_len)
{
	if (seq_layout(&tc->seq, &b->layout)) {
		snprintf(why, why_len, "the sequence cannot be laid out");
		return V_SKIP;
	}
	make_input(tc, &b->layout, &b->input);
	if (!run_references(d, tc, b, why, why_len))
		return V_SKIP;
	for (unsigned j = 0; j < d->nsub; j++) {
		box_run(&d->sub[j], &b->input, &b->sub[j]);
		for (unsigned i = 0; i < d->nref; i++) {
			if (!b->ref_ran[i])
				continue;
			m->ref = i, m->sub = j;
			m->ref_name = d->ref[i].name, m->sub_name = d->sub[j].name;
			if (outcome_compare(tc, &b->layout, &b->ref[i], &b->sub[j], m))
				return V_FAIL;
		}
	}
	return V_PASS;
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
			if (i >= tc->seq.n)
				continue; /* a loop's control went with an item after it */
			*c = *tc;
			seq_drop(&c->seq, i);
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
	enum verdict v;

	if (!b || !m)
		goto out;
	fprintf(f, "MISMATCH %s\n", title);
	v = run_with(d, tc, b, m, why, sizeof(why));
	if (v == V_SKIP) {
		fprintf(f, "  (the case cannot run: %s)\n", why);
		goto out;
	}
	print_code(f, tc, &b->layout);
	print_state(f, tc);
	outcome_describe(&b->ref[m->ref], hw, sizeof(hw));
	outcome_describe(&b->sub[m->sub], sw, sizeof(sw));
	if (v == V_PASS) {
		fprintf(f, "  (no mismatch: every engine agrees with silicon, %s: %s)\n", m->ref_name, hw);
		goto out;
	}
	fprintf(f, "  %s (silicon): %s\n  %s: %s\n  differences:\n", m->ref_name, hw, m->sub_name, sw);
	mismatch_print(f, m, "    ");
out:
	free(b);
	free(m);
}
