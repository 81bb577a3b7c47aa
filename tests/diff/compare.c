#include "compare.h"

#include <stdarg.h>
#include <string.h>

#include "known_bugs.h"

static const char *const vector_names[GI_VECTORS] = {
	"#DE", "#DB", "NMI", "#BP", "#OF",   "#BR", "#UD", "#NM", "#DF", "vec9", "#TS",
	"#NP", "#SS", "#GP", "#PF", "vec15", "#MF", "#AC", "#MC", "#XM", "#VE",	 "#CP",
	"v22", "v23", "v24", "v25", "v26",   "v27", "v28", "v29", "#SX", "v31",
};

static const char *const gpr_names[GPR_COUNT] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

/* AC in the handler's RFLAGS: cleared by the nested host's emulated delivery. */
#define HOST_HANDLER_FLAGS (1ull << 18)

__attribute__((format(printf, 3, 4))) static void note(struct mismatch *m, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (m->count < MISMATCH_LINES) {
		int n = snprintf(m->lines[m->count], sizeof(m->lines[0]), "%-18s ", name);

		snprintf(m->fields[m->count], sizeof(m->fields[0]), "%s", name);
		va_start(ap, fmt);
		vsnprintf(m->lines[m->count] + n, sizeof(m->lines[0]) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	m->count++;
}

static void field(struct mismatch *m, const char *name, uint64_t hw, uint64_t sw)
{
	if (hw != sw)
		note(m, name, "%s=%#llx %s=%#llx", m->ref_name, (unsigned long long)hw, m->sub_name,
		     (unsigned long long)sw);
}

static void flags_field(struct mismatch *m, const char *name, uint64_t hw, uint64_t sw, uint64_t ignore)
{
	if ((hw & ~ignore) != (sw & ~ignore))
		note(m, name, "%s=%#llx %s=%#llx (ignoring %#llx)", m->ref_name, (unsigned long long)hw, m->sub_name,
		     (unsigned long long)sw, (unsigned long long)ignore);
}

void outcome_describe(const struct outcome *o, char *buf, size_t len)
{
	switch (o->kind) {
	case OC_END:
		snprintf(buf, len, "INT3 at the end");
		break;
	case OC_EXCEPTION:
		snprintf(buf, len, "%s at %#llx", vector_names[o->vector % GI_VECTORS],
			 (unsigned long long)o->frame.rip);
		break;
	case OC_OTHER:
		snprintf(buf, len, "exit %s port %#x %s", vm_exit_reason_name(o->reason), o->port, o->note);
		break;
	case OC_FAILED:
	case OC_TIMEOUT:
		snprintf(buf, len, "%s", o->note);
		break;
	}
}

int outcome_class(const struct outcome *o)
{
	return (int)o->kind * 256 + (o->kind == OC_EXCEPTION ? (int)o->vector : (int)o->reason);
}

/* Flags that may be undefined where the run stopped: after the last instruction,
 * or before the faulting one. */
static uint64_t undefined_flags(const struct test_case *tc, const struct layout *l, const struct outcome *o)
{
	if (o->kind == OC_END)
		return l->undef_in[tc->seq.n];
	return layout_undef_at(&tc->seq, l, o->frame.rip);
}

static void compare_pages(struct mismatch *m, const char *name, uint64_t base, const uint8_t *hw, const uint8_t *sw)
{
	for (unsigned i = 0; i < PAGE; i += 8) {
		uint64_t a, b;
		char what[32];

		if (memcmp(hw + i, sw + i, 8) == 0)
			continue;
		memcpy(&a, hw + i, 8);
		memcpy(&b, sw + i, 8);
		snprintf(what, sizeof(what), "%s[%#llx]", name, (unsigned long long)(base + i));
		field(m, what, a, b);
	}
}

static void compare_frames(struct mismatch *m, const struct outcome *hw, const struct outcome *sw, uint64_t ignore)
{
	field(m, "frame error code", hw->frame.error, sw->frame.error);
	field(m, "frame rip", hw->frame.rip, sw->frame.rip);
	field(m, "frame cs", hw->frame.cs, sw->frame.cs);
	flags_field(m, "frame rflags", hw->frame.rflags, sw->frame.rflags, ignore);
	field(m, "frame rsp", hw->frame.rsp, sw->frame.rsp);
	field(m, "frame ss", hw->frame.ss, sw->frame.ss);
}

/* Without the guest's handler (the native reference) RSP is the user's, which
 * the frame already holds; the engine's is the handler's. */
static void compare_states(struct mismatch *m, const struct outcome *hw, const struct outcome *sw, uint64_t ignore)
{
	bool handlers = hw->has_handler && sw->has_handler;

	for (unsigned i = 0; i < GPR_COUNT; i++)
		if (handlers || i != GPR_RSP)
			field(m, gpr_names[i], hw->state.gpr[i], sw->state.gpr[i]);
	if (handlers) {
		flags_field(m, "handler rflags", hw->state.rflags, sw->state.rflags, ignore | HOST_HANDLER_FLAGS);
		field(m, "handler cs", hw->state.seg[SREG_CS].selector, sw->state.seg[SREG_CS].selector);
		field(m, "handler ss", hw->state.seg[SREG_SS].selector, sw->state.seg[SREG_SS].selector);
	}
	if (hw->vector == 14)
		field(m, "cr2", hw->state.cr2, sw->state.cr2);
}

static bool stopped_in_handler(const struct outcome *o)
{
	return o->kind == OC_END || o->kind == OC_EXCEPTION;
}

unsigned outcome_compare(const struct test_case *tc, const struct layout *l, const struct outcome *hw,
			 const struct outcome *sw, struct mismatch *m)
{
	unsigned ref = m->ref, sub = m->sub;
	const char *ref_name = m->ref_name, *sub_name = m->sub_name;
	uint64_t ignore;

	memset(m, 0, sizeof(*m));
	m->ref = ref, m->sub = sub, m->ref_name = ref_name, m->sub_name = sub_name;
	outcome_describe(hw, m->hw, sizeof(m->hw));
	outcome_describe(sw, m->sw, sizeof(m->sw));
	m->hw_class = outcome_class(hw);
	m->sw_class = outcome_class(sw);
	m->hw_rip = hw->kind == OC_EXCEPTION ? hw->frame.rip : 0;
	memcpy(m->hw_gpr, hw->state.gpr, sizeof(m->hw_gpr));
	if (strcmp(m->hw, m->sw) != 0)
		note(m, "outcome", "%s: %s; %s: %s", m->ref_name, m->hw, m->sub_name, m->sw);
	if (!stopped_in_handler(hw) || !stopped_in_handler(sw))
		return m->count; /* nothing more to compare: no frame, no meaningful state */
	ignore = undefined_flags(tc, l, hw) | undefined_flags(tc, l, sw);
	if (hw->vector == sw->vector)
		ignore |= known_bug_frame_flags(hw->vector);
	compare_frames(m, hw, sw, ignore);
	compare_states(m, hw, sw, ignore);
	compare_pages(m, "data", GI_DATA, hw->data, sw->data);
	compare_pages(m, "stack", GI_STACK, hw->stack, sw->stack);
	return m->count;
}

static bool has_field(const struct mismatch *m, const char *name)
{
	for (unsigned i = 0; i < m->count && i < MISMATCH_LINES; i++)
		if (!strcmp(m->fields[i], name))
			return true;
	return false;
}

bool mismatch_same(const struct mismatch *orig, const struct mismatch *m)
{
	if (!m->count || orig->ref != m->ref || orig->sub != m->sub || orig->hw_class != m->hw_class ||
	    orig->sw_class != m->sw_class)
		return false;
	for (unsigned i = 0; i < m->count && i < MISMATCH_LINES; i++)
		if (!has_field(orig, m->fields[i]))
			return false;
	return true;
}

void mismatch_print(FILE *f, const struct mismatch *m, const char *indent)
{
	unsigned shown = m->count < MISMATCH_LINES ? m->count : MISMATCH_LINES;

	for (unsigned i = 0; i < shown; i++)
		fprintf(f, "%s%s\n", indent, m->lines[i]);
	if (m->count > shown)
		fprintf(f, "%s... and %u more\n", indent, m->count - shown);
}
