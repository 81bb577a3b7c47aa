/* The dispatch loop of the block-running engines (interp, dbt): resume the
 * instruction an exit interrupted, check events between blocks, look the next
 * block up, and run it — instruction by instruction through the core's step, or,
 * when the engine translated it and the whole block runs, as host code. The
 * cases that need one instruction at a time (the debug path, an interrupt
 * shadow, the CS limit cutting a block short, a block the cache could not keep)
 * always take the step path, so a translator only ever runs whole blocks from
 * their first instruction on the fast path. */
#ifndef RV_SOFTCPU_BLOCK_LOOP_H
#define RV_SOFTCPU_BLOCK_LOOP_H

#include "engine/softcpu/block_cache.h"
#include "engine/softcpu/events.h"
#include "engine/softcpu/replay.h"
#include "engine/softcpu/step.h"

/* What a translating engine adds to the loop; interp passes NULL. */
struct block_translator {
	/* Before each lookup, where no block is running: make sure the next
	 * translation fits (flushing the translation cache with every block). */
	void (*make_room)(struct block_vcpu *v);
	/* Called for each block looked up that the cache keeps: gives b host code
	 * that fits how the CPU runs it now, unless it has that already, or leaves
	 * b->host NULL (then b runs decoded, and translation is tried again the
	 * next time it is looked up). */
	void (*translate)(struct block_vcpu *v, struct block *b);
	/* Runs b->host: b's instructions in order, each recorded in v->cur_insn,
	 * stopping after the first that sets leave_block. */
	void (*enter)(struct block_vcpu *v, const struct block *b);
};

/* The core's step, recording the instruction so that an exit resumes it. */
static inline __attribute__((always_inline)) bool block_step(struct block_vcpu *v, const struct insn *in)
{
	v->cur_insn = in;
	return softcpu_step(&v->cpu, in);
}

static inline bool block_debug_step(struct block_vcpu *v, const struct insn *in, bool resumed)
{
	v->cur_insn = in;
	return softcpu_debug_step(&v->cpu, in, resumed);
}

/* After the fast path stopped early after `in`: true when the engine must
 * return with cpu->exit. */
static inline bool block_stopped_early(struct soft_cpu *cpu, const struct insn *in)
{
	cpu->leave_block = false;
	if (cpu->exit_ready)
		return true;
	softcpu_after_early_stop(cpu, in);
	cpu->leave_block = false;
	return cpu->exit_ready;
}

/* Runs instructions until an exit is ready. Unwinds by longjmp on exceptions and
 * on exits in the middle of an instruction. Everything that ends a block early
 * (an exit, an interrupt shadow, written code, a mode change) sets leave_block. */
static inline __attribute__((always_inline)) void block_loop(struct block_vcpu *v, const struct block_translator *t)
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
				bool more = block_debug_step(v, in, true);

				replay_commit(cpu);
				if (cpu->exit_ready)
					return;
				if (!more)
					continue;
			} else if (!block_step(v, in)) {
				replay_commit(cpu);
				if (block_stopped_early(cpu, in))
					return;
				continue;
			}
			replay_commit(cpu);
			in++;
		} else {
			struct block *found;

			if (events_at_boundary(cpu))
				return;
			/* No block is running until the lookup returns one (it may fault). */
			v->cur_block = NULL;
			v->cur_insn = NULL;
			if (t)
				t->make_room(v);
			block_cache_reap(v->cache);
			found = block_cache_lookup(v);
			if (t && found->valid)
				t->translate(v, found);
			b = found;
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
				if (!block_debug_step(v, in, false))
					break;
			if (cpu->exit_ready)
				return;
			continue;
		}
		cpu->interrupt_shadow = false;
		if (t && b->host && in == b->insns && end == b->insns + b->count) {
			t->enter(v, b);
			if (cpu->leave_block && block_stopped_early(cpu, v->cur_insn))
				return;
			continue;
		}
		for (; in < end; in++) {
			if (!block_step(v, in)) {
				if (block_stopped_early(cpu, in))
					return;
				break;
			}
		}
	}
}

#endif
