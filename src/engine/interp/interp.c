/* The interp engine: every guest instruction is decoded (once, into the decode
 * cache) and emulated in software by the soft-CPU core (engine/softcpu/), so
 * every sensitive instruction is caught by construction. This file holds the ops
 * table and the dispatch loop; cache.c and block.c the decode cache. Everything
 * else — handlers, the soft MMU, event delivery, exits and replay — is the core's,
 * shared with any other software engine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/interp/cache.h"
#include "engine/softcpu/debug.h"
#include "engine/softcpu/decode.h"
#include "engine/softcpu/events.h"
#include "engine/softcpu/replay.h"
#include "engine/softcpu/run.h"
#include "engine/softcpu/state.h"
#include "engine/softcpu/step.h"
#include "log.h"

struct engine {
	struct guest_memory *mem;
};

/* ---- the run loop ---------------------------------------------------------- */

/* The core's step, recording the instruction so that an exit resumes it. */
static inline __attribute__((always_inline)) bool step(struct engine_vcpu *v, const struct insn *in)
{
	v->cur_insn = in;
	return softcpu_step(&v->cpu, in);
}

static bool debug_step(struct engine_vcpu *v, const struct insn *in, bool resumed)
{
	v->cur_insn = in;
	return softcpu_debug_step(&v->cpu, in, resumed);
}

/* Runs instructions until an exit is ready. Unwinds by longjmp on exceptions and
 * on exits in the middle of an instruction. Everything that ends a block early
 * (an exit, an interrupt shadow, written code, a mode change) sets leave_block. */
static void execute(struct engine_vcpu *v)
{
	struct soft_cpu *cpu = &v->cpu;

	for (;;) {
		const struct block *b;
		const struct insn *in, *end;
		bool shadow;

		if (v->resume_block) {
			/* Re-run the instruction that exited, with its answer, before anything
			 * else: it is atomic, no event may come between. */
			b = v->resume_block;
			in = v->resume_insn;
			v->resume_block = NULL;
			v->cur_block = b;
			if (debug_slow_path(cpu)) {
				bool more = debug_step(v, in, true);

				replay_commit(cpu);
				if (cpu->exit_ready)
					return;
				if (!more)
					continue;
			} else if (!step(v, in)) {
				replay_commit(cpu);
				cpu->leave_block = false;
				if (cpu->exit_ready)
					return;
				softcpu_after_early_stop(cpu, in);
				cpu->leave_block = false;
				if (cpu->exit_ready)
					return;
				continue;
			}
			replay_commit(cpu);
			in++;
		} else {
			if (events_at_boundary(cpu))
				return;
			/* No block is running until the lookup returns one (it may fault). */
			v->cur_block = NULL;
			v->cur_insn = NULL;
			cache_reap(v->cache);
			b = cache_lookup(v);
			in = b->insns;
			v->cur_block = b;
		}
		/* The instruction after STI or MOV SS runs alone, then events are checked. */
		shadow = cpu->interrupt_shadow;
		end = b->insns + b->count;
		if (shadow && in < end)
			end = in + 1;
		if (cpu->mode != MODE_LONG64) {
			end = softcpu_cs_limit_end(cpu, in, end);
			if (in == end && in < b->insns + b->count)
				cpu_raise(cpu, EXC_GP, true, 0);
		}
		if (__builtin_expect(debug_slow_path(cpu), 0)) {
			for (; in < end; in++)
				if (!debug_step(v, in, false))
					break;
			if (cpu->exit_ready)
				return;
			continue;
		}
		cpu->interrupt_shadow = false;
		for (; in < end; in++) {
			if (!step(v, in)) {
				cpu->leave_block = false;
				if (cpu->exit_ready)
					return;
				softcpu_after_early_stop(cpu, in);
				cpu->leave_block = false;
				if (cpu->exit_ready)
					return;
				break;
			}
		}
	}
}

static int interp_run(struct engine_vcpu *v, struct vm_exit *exit)
{
	struct soft_cpu *cpu = &v->cpu;
	int why;

	softcpu_run_begin(cpu, exit);
	why = setjmp(cpu->unwind);
	if (why == UNWIND_EXCEPTION)
		v->resume_block = NULL;
	switch (softcpu_after_unwind(cpu, why, exit)) {
	case SOFTCPU_RETURN_RESUME:
		v->resume_block = v->cur_block;
		v->resume_insn = v->cur_insn;
		if (!v->cur_block) {
			/* Only instructions and deliveries exit; anything else is a bug
			 * that must not resume into a block. */
			log_error("interp: exit outside an instruction at rip %#llx", (unsigned long long)cpu->rip);
			exit->reason = EXIT_INTERNAL_ERROR;
		}
		return 0;
	case SOFTCPU_RETURN:
		return 0;
	case SOFTCPU_RUN:
		break;
	}
	execute(v);
	*exit = cpu->exit;
	return 0;
}

/* ---- state ------------------------------------------------------------------- */

static int interp_get_state(struct engine_vcpu *v, struct vcpu_state *s)
{
	softcpu_get_state(&v->cpu, s);
	return 0;
}

static int interp_set_state(struct engine_vcpu *v, const struct vcpu_state *s)
{
	softcpu_set_state(&v->cpu, s);
	/* A new state replaces any instruction waiting for its exit to complete. */
	v->resume_block = NULL;
	cache_flush(v);
	return 0;
}

/* ---- the ops table ----------------------------------------------------------- */

static int interp_probe(char *why, size_t why_len)
{
	(void)why;
	(void)why_len;
	return 0; /* runs wherever ringvisor runs */
}

static int interp_create(const struct engine_env *env, struct engine **out, char *why, size_t why_len)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e) {
		snprintf(why, why_len, "interp: out of memory");
		return -1;
	}
	e->mem = env->mem;
	*out = e;
	return 0;
}

static void interp_destroy(struct engine *e)
{
	free(e);
}

static void interp_vcpu_destroy(struct engine_vcpu *v)
{
	cache_destroy(v);
	free(v->decode_scratch);
	softcpu_fini(&v->cpu);
	free(v);
}

static int interp_vcpu_create(struct engine *e, int index, struct engine_vcpu **out)
{
	struct engine_vcpu *v = calloc(1, sizeof(*v));

	if (!v)
		return -1;
	v->cache = cache_create();
	v->decode_scratch = decode_scratch_new();
	if (!v->cache || softcpu_init(&v->cpu, e->mem, index, &cache_hooks)) {
		interp_vcpu_destroy(v);
		return -1;
	}
	*out = v;
	return 0;
}

static void interp_kick(struct engine_vcpu *v)
{
	events_kick(&v->cpu);
}

static int interp_interrupt_ready(struct engine_vcpu *v)
{
	return events_interrupts_open(&v->cpu) && v->cpu.pending_irq < 0;
}

static int interp_inject_interrupt(struct engine_vcpu *v, uint8_t vector)
{
	return events_inject_interrupt(&v->cpu, vector);
}

static int interp_inject_nmi(struct engine_vcpu *v)
{
	events_inject_nmi(&v->cpu);
	return 0;
}

static void interp_request_interrupt_window(struct engine_vcpu *v, int on)
{
	v->cpu.want_irq_window = on != 0;
}

static int interp_disassemble(struct engine_vcpu *v, char *buf, size_t len)
{
	return softcpu_disassemble(&v->cpu, buf, len);
}

static void interp_stats(struct engine_vcpu *v, struct engine_stats *st)
{
	uint64_t hits, misses;

	cache_stats(v->cache, &hits, &misses);
	engine_stats_add_ratio(st, "decode cache hit", "lookups", hits, hits + misses);
	softcpu_stats(&v->cpu, st);
}

const struct engine_ops interp_engine_ops = {
	.name = "interp",
	.description = "x86-64 interpreter with a software MMU (trap-and-emulate in software)",
	.probe = interp_probe,
	.create = interp_create,
	.destroy = interp_destroy,
	.vcpu_create = interp_vcpu_create,
	.vcpu_destroy = interp_vcpu_destroy,
	.run = interp_run,
	.get_state = interp_get_state,
	.set_state = interp_set_state,
	.kick = interp_kick,
	.interrupt_ready = interp_interrupt_ready,
	.inject_interrupt = interp_inject_interrupt,
	.inject_nmi = interp_inject_nmi,
	.request_interrupt_window = interp_request_interrupt_window,
	.stats = interp_stats,
	.disassemble = interp_disassemble,
};
