/* The lockstep divergence finder: lockstep.h says what it compares and what it
 * cannot see. */
#include "engine/dbt/lockstep.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/softcpu/decode.h"
#include "engine/softcpu/flags.h"
#include "engine/softcpu/step.h"
#include "engine/softcpu/write_log.h"
#include "vm/memory.h"

/* One run's outcome: the CPU state it left, where it stopped, how it unwound. */
struct outcome {
	struct soft_cpu cpu;
	const struct insn *stopped_at; /* the block's instruction running last */
	int unwound;		       /* enum unwind_reason */
};

struct lockstep {
	struct lockstep_engine engine;
	struct write_log log;
	uint8_t (*written)[8]; /* per log entry: the bytes the decoded run left */
	size_t written_cap;
	struct soft_cpu pre; /* the state both runs start from */
	const struct insn *pre_insn;
	struct outcome interp, dbt;
	uint64_t undefined_differ; /* see prefix_agrees */
	uint64_t blocks;
};

struct lockstep *lockstep_new(const struct lockstep_engine *engine)
{
	struct lockstep *ls = calloc(1, sizeof(*ls));

	if (ls)
		ls->engine = *engine;
	return ls;
}

void lockstep_free(struct lockstep *ls)
{
	if (!ls)
		return;
	write_log_free(&ls->log);
	free(ls->written);
	free(ls);
}

uint64_t lockstep_compared(const struct lockstep *ls)
{
	return ls->blocks;
}

/* ---- running a block twice ------------------------------------------------- */

/* Copies the CPU state a run changes, leaving what only the engine owns: the
 * kick flag (another thread sets it: a kick must never be lost), the unwind
 * target, the hooks and the registered code pages, the write log. */
/* The ranges below rely on this order of struct soft_cpu's fields. */
_Static_assert(offsetof(struct soft_cpu, kicked) < offsetof(struct soft_cpu, io_buf) &&
		   offsetof(struct soft_cpu, io_buf) < offsetof(struct soft_cpu, unwind) &&
		   offsetof(struct soft_cpu, unwind) < offsetof(struct soft_cpu, exc_vector) &&
		   offsetof(struct soft_cpu, exc_vector) < offsetof(struct soft_cpu, hooks) &&
		   offsetof(struct soft_cpu, hooks) < offsetof(struct soft_cpu, code) &&
		   offsetof(struct soft_cpu, code) < offsetof(struct soft_cpu, mem) &&
		   offsetof(struct soft_cpu, mem) < offsetof(struct soft_cpu, write_log),
	       "copy_state's ranges follow struct soft_cpu's layout");

static void copy_state(struct soft_cpu *dst, const struct soft_cpu *src)
{
	static const struct {
		size_t from, to;
	} ranges[] = {
		{ 0, offsetof(struct soft_cpu, kicked) },
		{ offsetof(struct soft_cpu, io_buf), offsetof(struct soft_cpu, unwind) },
		{ offsetof(struct soft_cpu, exc_vector), offsetof(struct soft_cpu, hooks) },
		{ offsetof(struct soft_cpu, mem), offsetof(struct soft_cpu, write_log) },
	};

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		memcpy((char *)dst + ranges[i].from, (const char *)src + ranges[i].from, ranges[i].to - ranges[i].from);
}

enum how { RUN_DECODED, RUN_HOST };

/* Runs the first count instructions of b one way, catching the longjmp an
 * exception or exit ends it with; returns the unwind reason (0: none). */
static __attribute__((noinline)) int run_caught(struct lockstep *ls, struct block_vcpu *v, const struct block *b,
						unsigned count, enum how how, const uint8_t *entry)
{
	int why = setjmp(v->cpu.unwind);

	if (why)
		return why;
	if (how == RUN_HOST) {
		ls->engine.run_host(v, entry);
		return 0;
	}
	for (unsigned i = 0; i < count; i++) {
		v->cur_insn = &b->insns[i];
		if (!softcpu_step(&v->cpu, &b->insns[i]))
			break;
	}
	return 0;
}

static void keep_outcome(struct outcome *o, struct block_vcpu *v, int why)
{
	copy_state(&o->cpu, &v->cpu);
	o->stopped_at = v->cur_insn;
	o->unwound = why;
}

static void back_to_pre(struct lockstep *ls, struct block_vcpu *v)
{
	copy_state(&v->cpu, &ls->pre);
	v->cur_insn = ls->pre_insn;
}

/* The decoded run with its writes recorded: the bytes it wrote are kept in
 * ls->written. Every write then comes to the slow path, which records it: no
 * write entries in the TLB (the pre state has them back). */
static void run_decoded(struct lockstep *ls, struct block_vcpu *v, const struct block *b, unsigned count)
{
	struct soft_cpu *cpu = &v->cpu;
	int why;

	for (unsigned s = 0; s < 3; s++)
		for (unsigned i = 0; i < TLB_SIZE; i++)
			for (unsigned w = 0; w < TLB_WAYS; w++)
				cpu->tlb.e[s][ACC_WRITE][i][w].tag = TLB_INVALID;
	write_log_clear(&ls->log);
	cpu->write_log = &ls->log;
	why = run_caught(ls, v, b, count, RUN_DECODED, NULL);
	cpu->write_log = NULL;
	keep_outcome(&ls->interp, v, why);
	if (ls->log.count > ls->written_cap) {
		free(ls->written);
		ls->written_cap = ls->log.count * 2;
		ls->written = malloc(ls->written_cap * sizeof(*ls->written));
		if (!ls->written)
			abort(); /* out of host memory: a debugging mode has no way on */
	}
	for (size_t i = 0; i < ls->log.count; i++)
		memcpy(ls->written[i], ls->log.e[i].host, ls->log.e[i].size);
}

/* Memory and the CPU back as they were before the decoded run. */
static void undo_decoded(struct lockstep *ls, struct block_vcpu *v)
{
	write_log_undo(&ls->log);
	back_to_pre(ls, v);
}

/* ---- comparing -------------------------------------------------------------- */

static const char *const gpr_names[GPR_COUNT] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
						  "r8",	 "r9",	"r10", "r11", "r12", "r13", "r14", "r15" };

struct diff_report {
	FILE *out; /* NULL: count only */
	unsigned count;
};

static void differs(struct diff_report *r, const char *what, uint64_t interp, uint64_t dbt)
{
	r->count++;
	if (r->out)
		fprintf(r->out, "lockstep:   %-22s interp %#018" PRIx64 "  dbt %#018" PRIx64 "\n", what, interp, dbt);
}

static void cmp_u64(struct diff_report *r, const char *what, uint64_t interp, uint64_t dbt)
{
	if (interp != dbt)
		differs(r, what, interp, dbt);
}

static void cmp_bytes(struct diff_report *r, const char *what, const void *interp, const void *dbt, size_t n)
{
	if (memcmp(interp, dbt, n))
		differs(r, what, 0, 1);
}

static void cmp_segment(struct diff_report *r, const char *what, const struct x86_segment *a,
			const struct x86_segment *b)
{
	if (a->base != b->base || a->limit != b->limit || a->selector != b->selector || a->type != b->type ||
	    a->s != b->s || a->dpl != b->dpl || a->present != b->present || a->l != b->l || a->db != b->db ||
	    a->g != b->g || a->unusable != b->unusable)
		differs(r, what, a->selector, b->selector);
}

static void cmp_fpu(struct diff_report *r, const struct x86_fpu *a, const struct x86_fpu *b)
{
	cmp_u64(r, "fcw", a->fcw, b->fcw);
	cmp_u64(r, "fsw", a->fsw, b->fsw);
	cmp_u64(r, "ftw", a->ftw, b->ftw);
	cmp_u64(r, "mxcsr", a->mxcsr, b->mxcsr);
	for (unsigned i = 0; i < 8; i++)
		cmp_bytes(r, "st register", a->st[i], b->st[i], 10);
	for (unsigned i = 0; i < 16; i++)
		cmp_bytes(r, "xmm register", a->xmm[i], b->xmm[i], 16);
	for (unsigned i = 0; i < 16; i++)
		cmp_bytes(r, "ymm upper half", a->ymm_hi[i], b->ymm_hi[i], 16);
}

/* Everything either run can change. undefined: flags not compared. */
static void compare(struct lockstep *ls, const struct block *b, uint64_t undefined, struct diff_report *r)
{
	struct soft_cpu *i = &ls->interp.cpu, *d = &ls->dbt.cpu;

	/* Where a run stopped is known when it unwound (the core's step
	 * records each instruction it runs; ident code records none): else RIP
	 * and the instruction count tell. */
	if (ls->interp.unwound && ls->dbt.unwound)
		cmp_u64(r, "stopped at instruction", (uint64_t)(ls->interp.stopped_at - b->insns),
			(uint64_t)(ls->dbt.stopped_at - b->insns));
	cmp_u64(r, "unwound (1 exc, 2 exit)", (uint64_t)ls->interp.unwound, (uint64_t)ls->dbt.unwound);
	for (unsigned g = 0; g < GPR_COUNT; g++)
		cmp_u64(r, gpr_names[g], i->gpr[g], d->gpr[g]);
	cmp_u64(r, "rip", i->rip, d->rip);
	cmp_u64(r, "rflags", flags_get(i) & ~undefined, flags_get(d) & ~undefined);
	cmp_u64(r, "instructions retired", i->icount, d->icount);
	if (ls->interp.unwound == UNWIND_EXCEPTION && ls->dbt.unwound == UNWIND_EXCEPTION) {
		cmp_u64(r, "exception vector", i->exc_vector, d->exc_vector);
		cmp_u64(r, "exception error code", i->exc_has_error ? i->exc_error : ~0ull,
			d->exc_has_error ? d->exc_error : ~0ull);
	}
	cmp_u64(r, "exit ready", i->exit_ready, d->exit_ready);
	cmp_u64(r, "exit reason", i->exit.reason, d->exit.reason);
	cmp_u64(r, "replay entries", i->replay_count, d->replay_count);
	cmp_u64(r, "leave block", i->leave_block, d->leave_block);
	for (unsigned s = 0; s < SREG_COUNT; s++)
		cmp_segment(r, "segment register", &i->seg[s], &d->seg[s]);
	cmp_segment(r, "ldtr", &i->ldtr, &d->ldtr);
	cmp_segment(r, "tr", &i->tr, &d->tr);
	cmp_u64(r, "gdtr", i->gdtr.base ^ i->gdtr.limit, d->gdtr.base ^ d->gdtr.limit);
	cmp_u64(r, "idtr", i->idtr.base ^ i->idtr.limit, d->idtr.base ^ d->idtr.limit);
	cmp_u64(r, "cr0", i->cr0, d->cr0);
	cmp_u64(r, "cr2", i->cr2, d->cr2);
	cmp_u64(r, "cr3", i->cr3, d->cr3);
	cmp_u64(r, "cr4", i->cr4, d->cr4);
	cmp_u64(r, "cr8", i->cr8, d->cr8);
	cmp_u64(r, "xcr0", i->xcr0, d->xcr0);
	cmp_u64(r, "efer", i->efer, d->efer);
	for (unsigned n = 0; n < 8; n++)
		cmp_u64(r, "debug register", i->dr[n], d->dr[n]);
	cmp_bytes(r, "msrs", &i->msr, &d->msr, sizeof(i->msr));
	cmp_fpu(r, &i->fpu, &d->fpu);
	cmp_u64(r, "cpl", i->cpl, d->cpl);
	cmp_u64(r, "interrupt shadow", i->interrupt_shadow, d->interrupt_shadow);
	cmp_u64(r, "halted", i->halted, d->halted);
	cmp_u64(r, "nmi masked", i->nmi_masked, d->nmi_masked);
	for (size_t e = 0; e < ls->log.count; e++) {
		const struct write_log_entry *w = &ls->log.e[e];
		uint64_t want = 0, got = 0;

		memcpy(&want, ls->written[e], w->size);
		memcpy(&got, w->host, w->size);
		if (want != got) {
			char what[40];
			snprintf(what, sizeof(what), "memory at gpa %#" PRIx64, w->gpa);
			differs(r, what, want, got);
		}
	}
}

/* ---- reporting ------------------------------------------------------------- */

/* The guest bytes of instruction i of b (entered at first_lin; the
 * instruction at *lin, which moves on to the next), or NULL. */
static const uint8_t *insn_bytes(const struct lockstep *ls, const struct block *b, unsigned i, uint64_t first_lin,
				 uint64_t *lin)
{
	const uint8_t *code = guest_memory_ptr(ls->pre.mem, block_gpa_of(b, first_lin, *lin), b->insns[i].len);

	*lin = insn_next_lin(&b->insns[i], *lin);
	return code;
}

/* The flags instructions [0, upto] of b leave undefined (Zydis's tables). */
static uint64_t undefined_flags(const struct lockstep *ls, const struct block *b, unsigned upto)
{
	uint64_t undefined = 0, lin = ls->pre.rip;

	for (unsigned i = 0; i <= upto && i < b->count; i++) {
		ZydisDisassembledInstruction zi;
		const uint8_t *code = insn_bytes(ls, b, i, ls->pre.rip, &lin);

		if (code && decode_disassemble(b->mode, 0, code, b->insns[i].len, &zi) && zi.info.cpu_flags) {
			const ZydisAccessedFlags *f = zi.info.cpu_flags;

			undefined &= ~(uint64_t)(f->modified | f->set_0 | f->set_1);
			undefined |= f->undefined;
		}
	}
	return undefined;
}

static void print_block(const struct lockstep *ls, const struct block *b, int mark)
{
	uint64_t lin = ls->pre.rip;

	for (unsigned i = 0; i < b->count; i++) {
		ZydisDisassembledInstruction zi;
		uint64_t rip = lin;
		const uint8_t *code = insn_bytes(ls, b, i, ls->pre.rip, &lin);

		fprintf(stderr, "lockstep: %s %#" PRIx64 "  %s\n", (int)i == mark ? ">" : " ", rip,
			code && decode_disassemble(b->mode, rip, code, b->insns[i].len, &zi) ? zi.text : "?");
	}
}

/* Runs the prefix of count instructions both ways from the pre state; true if
 * they agree (or the prefix cannot be translated), and the pre state is back,
 * with ls->undefined_differ the undefined flags in which they differ. False:
 * the outcomes stay, memory as dbt's run left it. */
static bool prefix_agrees(struct lockstep *ls, struct block_vcpu *v, const struct block *b, unsigned count)
{
	const uint8_t *entry = ls->engine.translate_prefix(v, b, count);
	uint64_t undefined = undefined_flags(ls, b, count - 1);
	struct diff_report r = { 0 };
	int why;

	ls->undefined_differ = 0;
	if (!entry)
		return true;
	run_decoded(ls, v, b, count);
	undo_decoded(ls, v);
	why = run_caught(ls, v, b, count, RUN_HOST, entry);
	keep_outcome(&ls->dbt, v, why);
	compare(ls, b, undefined, &r);
	if (r.count)
		return false;
	ls->undefined_differ = (flags_get(&ls->interp.cpu) ^ flags_get(&ls->dbt.cpu)) & undefined;
	/* The decoded run's log covers dbt's writes too (they agreed). */
	undo_decoded(ls, v);
	return true;
}

/* The first instruction of b whose result differs: the shortest prefix that
 * diverges, -1 if none does alone. *by_undefined: the instructions before it
 * agreed except in flags they left undefined, which it then read — the two
 * engines are different processors there, both right. Memory must be as the
 * whole block's decoded run found it plus what dbt's run wrote: whole, that
 * run's log, covers both. */
static int first_divergent(struct lockstep *ls, struct block_vcpu *v, const struct block *b,
			   const struct write_log *whole, bool *by_undefined)
{
	uint64_t before = 0;

	write_log_undo(whole);
	back_to_pre(ls, v);
	for (unsigned n = 1; n <= b->count; n++) {
		if (!prefix_agrees(ls, v, b, n)) {
			*by_undefined = before != 0;
			return (int)n - 1;
		}
		before = ls->undefined_differ;
	}
	*by_undefined = false;
	return -1;
}

static void report(struct lockstep *ls, const struct block *b, int at)
{
	struct diff_report r = { .out = stderr };

	fprintf(stderr,
		"lockstep: dbt diverges from interp in the block at rip %#" PRIx64 " (gpa %#" PRIx64
		"), %u instructions, after %" PRIu64 " blocks agreed\n",
		ls->pre.rip, b->gpa, b->count, ls->blocks);
	if (at >= 0) {
		uint64_t rip = ls->pre.rip;

		for (int i = 0; i < at; i++)
			rip = insn_next_lin(&b->insns[i], rip);
		fprintf(stderr, "lockstep: first divergent instruction: #%d at rip %#" PRIx64 "; its results:\n", at,
			rip);
	} else {
		fprintf(stderr, "lockstep: no prefix diverges alone; the whole block's results:\n");
	}
	compare(ls, b, undefined_flags(ls, b, at >= 0 ? (unsigned)at : (unsigned)b->count - 1), &r);
	fprintf(stderr, "lockstep: the block:\n");
	print_block(ls, b, at);
}

/* ---- the entry point -------------------------------------------------------- */

/* The clock runs again, and the block's run unwinds as it did. */
static void finish(struct soft_cpu *cpu, jmp_buf outer, int why)
{
	cpu->frozen_clock_ns = 0;
	memcpy(cpu->unwind, outer, sizeof(jmp_buf));
	if (why)
		longjmp(cpu->unwind, why);
}

/* The whole block's runs differ: find where. True if undefined flags explain
 * it, and then the state is dbt's whole run's again; false after the report,
 * in the state of dbt's run of the shortest divergent prefix. */
static bool explained(struct lockstep *ls, struct block_vcpu *v, const struct block *b, int *why)
{
	struct write_log whole = ls->log;
	struct outcome interp_whole = ls->interp, dbt_whole = ls->dbt;
	bool by_undefined;
	int at;

	/* The bisection records in a log of its own. */
	ls->log = (struct write_log){ 0 };
	at = first_divergent(ls, v, b, &whole, &by_undefined);
	if (at < 0) {
		ls->interp = interp_whole;
		ls->dbt = dbt_whole;
	}
	if (at >= 0 && by_undefined) {
		write_log_undo(&whole);
		back_to_pre(ls, v);
		*why = run_caught(ls, v, b, b->count, RUN_HOST, b->host);
	} else {
		report(ls, b, at);
	}
	write_log_free(&ls->log);
	ls->log = whole;
	return at >= 0 && by_undefined;
}

void lockstep_run_block(struct lockstep *ls, struct block_vcpu *v, const struct block *b)
{
	struct soft_cpu *cpu = &v->cpu;
	struct diff_report r = { 0 };
	jmp_buf outer;
	int why;

	if (cpu->leave_block) {
		/* An event was just delivered: decoded, the block would stop after
		 * its first instruction to look at events, translated at its first
		 * callout — the same guest state, split differently. Not compared. */
		ls->engine.run_host(v, b->host);
		return;
	}
	memcpy(outer, cpu->unwind, sizeof(jmp_buf));
	/* The clock stands still until both runs are done (1: never 0, "live"). */
	cpu->frozen_clock_ns = soft_clock_ns() | 1;
	copy_state(&ls->pre, cpu);
	ls->pre_insn = v->cur_insn;
	run_decoded(ls, v, b, b->count);
	if (cpu->code_hits != ls->pre.code_hits) {
		/* The block wrote code the engine holds (maybe its own): the code-page
		 * records changed, which a second run would not see the same. The
		 * decoded run's result stands. */
		finish(cpu, outer, ls->interp.unwound);
		return;
	}
	undo_decoded(ls, v);
	why = run_caught(ls, v, b, b->count, RUN_HOST, b->host);
	keep_outcome(&ls->dbt, v, why);
	compare(ls, b, undefined_flags(ls, b, (unsigned)(ls->interp.stopped_at - b->insns)), &r);
	if (r.count && !explained(ls, v, b, &why)) {
		/* Stop here, in dbt's state. */
		cpu->frozen_clock_ns = 0;
		memcpy(cpu->unwind, outer, sizeof(jmp_buf));
		cpu->exit = (struct vm_exit){ .reason = EXIT_INTERNAL_ERROR, .rip = cpu->rip };
		cpu->exit.internal.what = "lockstep: dbt diverged from interp";
		cpu->exit_ready = true;
		cpu->leave_block = true;
		return;
	}
	ls->blocks++;
	finish(cpu, outer, why);
}
