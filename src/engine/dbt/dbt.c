/* The dbt engine: guest blocks translated into host code kept in a translation
 * cache (code_cache.h), run from the dispatch loop the interp engine uses
 * (softcpu/block_loop.h) on the same soft-CPU core; docs/dbt-design.md is the
 * plan. Stage 1: a block's host code calls the core's handler of each
 * instruction in turn (translate.h), so every semantic is the core's. A block
 * is translated the first time it runs whole; a full cache is flushed whole,
 * with every block, between blocks. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine/dbt/code_cache.h"
#include "engine/dbt/translate.h"
#include "engine/softcpu/block_engine.h"
#include "engine/softcpu/block_loop.h"
#include "log.h"

struct engine {
	struct guest_memory *mem;
	unsigned cache_mib;
};

struct engine_vcpu {
	struct block_vcpu b;
	struct code_cache cc;
	uint64_t blocks_translated, flushes, translate_ns;
	uint64_t runs_translated;
};

_Static_assert(offsetof(struct engine_vcpu, b) == 0, "the shared ops find the block vCPU first");

static struct engine_vcpu *dbt_vcpu_of(struct block_vcpu *b)
{
	return (struct engine_vcpu *)(void *)b;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* What the translated code calls for each instruction: the core's step. */
static bool callout_step(void *ctx, const struct insn *in)
{
	return block_step(ctx, in);
}

static void translate_block(struct block_vcpu *bv, struct block *b)
{
	struct engine_vcpu *v = dbt_vcpu_of(bv);
	uint64_t t0 = now_ns();

	b->host = translate_callout_run(&v->cc, bv, b->insns, b->count, callout_step);
	if (!b->host) {
		/* Full: nothing translated runs now (we are between blocks), so forget
		 * it all; b runs decoded this once and is translated afresh next time. */
		block_cache_drop_all(bv);
		code_cache_reset(&v->cc);
		v->flushes++;
	} else {
		v->blocks_translated++;
	}
	v->translate_ns += now_ns() - t0;
}

static void enter_block(struct block_vcpu *bv, const struct block *b)
{
	struct engine_vcpu *v = dbt_vcpu_of(bv);

	v->runs_translated++;
	code_cache_serialize(&v->cc);
	translate_enter(b->host);
}

static const struct block_translator translator = {
	.translate = translate_block,
	.enter = enter_block,
};

static void execute(struct block_vcpu *v)
{
	block_loop(v, &translator);
}

static int dbt_run(struct engine_vcpu *v, struct vm_exit *exit)
{
	return block_engine_run(&v->b, exit, execute);
}

static int dbt_create(const struct engine_env *env, struct engine **out, char *why, size_t why_len)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e) {
		snprintf(why, why_len, "dbt: out of memory");
		return -1;
	}
	e->mem = env->mem;
	e->cache_mib = env->code_cache_mib ? env->code_cache_mib : CODE_CACHE_DEFAULT_MIB;
	*out = e;
	return 0;
}

static void dbt_destroy(struct engine *e)
{
	free(e);
}

static void dbt_vcpu_destroy(struct engine_vcpu *v)
{
	block_engine_vcpu_fini(&v->b);
	code_cache_destroy(&v->cc);
	free(v);
}

static int dbt_vcpu_create(struct engine *e, int index, struct engine_vcpu **out)
{
	struct engine_vcpu *v = calloc(1, sizeof(*v));
	char why[256];

	if (!v)
		return -1;
	if (code_cache_init(&v->cc, e->cache_mib, why, sizeof(why))) {
		log_error("dbt: %s", why);
		free(v);
		return -1;
	}
	if (block_engine_vcpu_init(&v->b, e->mem, index)) {
		dbt_vcpu_destroy(v);
		return -1;
	}
	*out = v;
	return 0;
}

/* Until its code runs guest instructions as themselves, dbt is no faster than
 * interp (docs/dbt-design.md, stage 2 on), so auto does not choose it yet. */
static int dbt_auto_choice(char *why, size_t why_len)
{
	snprintf(why, why_len, "not faster than interp yet");
	return -1;
}

static void dbt_stats(struct engine_vcpu *v, struct engine_stats *st)
{
	uint64_t hits, misses;

	block_cache_stats(v->b.cache, &hits, &misses);
	engine_stats_add_ratio(st, "blocks run translated", "lookups", v->runs_translated, hits + misses);
	engine_stats_add_ratio(st, "translation cache used", "bytes", v->cc.used, v->cc.size);
	block_engine_stats(v, st);
}

const struct engine_ops dbt_engine_ops = {
	.name = "dbt",
	.description = "dynamic binary translation of guest basic blocks into host code",
	.probe = block_engine_probe,
	.auto_choice = dbt_auto_choice,
	.create = dbt_create,
	.destroy = dbt_destroy,
	.vcpu_create = dbt_vcpu_create,
	.vcpu_destroy = dbt_vcpu_destroy,
	.run = dbt_run,
	.get_state = block_engine_get_state,
	.set_state = block_engine_set_state,
	.kick = block_engine_kick,
	.interrupt_ready = block_engine_interrupt_ready,
	.inject_interrupt = block_engine_inject_interrupt,
	.inject_nmi = block_engine_inject_nmi,
	.request_interrupt_window = block_engine_request_interrupt_window,
	.stats = dbt_stats,
	.disassemble = block_engine_disassemble,
};
