/* The interp engine: every guest instruction is decoded (once, into the block
 * cache) and emulated in software by the soft-CPU core (engine/softcpu/), so
 * every sensitive instruction is caught by construction. The loop, the block
 * cache and most ops are the core's, shared with dbt (softcpu/block_loop.h,
 * block_engine.h); this file is the ops table and the loop without a
 * translator. */
#include <stdio.h>
#include <stdlib.h>

#include "engine/softcpu/block_engine.h"
#include "engine/softcpu/block_loop.h"

struct engine {
	struct guest_memory *mem;
	const struct cpu_model *model;
};

struct engine_vcpu {
	struct block_vcpu b;
};

_Static_assert(offsetof(struct engine_vcpu, b) == 0, "the shared ops find the block vCPU first");

static void execute(struct block_vcpu *v)
{
	block_loop(v, NULL);
}

static int interp_run(struct engine_vcpu *v, struct vm_exit *exit)
{
	return block_engine_run(&v->b, exit, execute);
}

static int interp_create(const struct engine_env *env, struct engine **out, char *why, size_t why_len)
{
	struct engine *e;

	if (block_engine_check_env(env, "interp", why, why_len))
		return -1;
	e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(why, why_len, "interp: out of memory");
		return -1;
	}
	e->mem = env->mem;
	e->model = env->cpu_model;
	*out = e;
	return 0;
}

static void interp_destroy(struct engine *e)
{
	free(e);
}

static void interp_vcpu_destroy(struct engine_vcpu *v)
{
	block_engine_vcpu_fini(&v->b);
	free(v);
}

static int interp_vcpu_create(struct engine *e, int index, struct engine_vcpu **out)
{
	struct engine_vcpu *v = calloc(1, sizeof(*v));

	if (!v)
		return -1;
	if (block_engine_vcpu_init(&v->b, e->mem, e->model, index)) {
		interp_vcpu_destroy(v);
		return -1;
	}
	*out = v;
	return 0;
}

const struct engine_ops interp_engine_ops = {
	.name = "interp",
	.description = "x86-64 interpreter with a software MMU (trap-and-emulate in software)",
	.probe = block_engine_probe,
	.provides_model = block_engine_provides_model,
	.create = interp_create,
	.destroy = interp_destroy,
	.vcpu_create = interp_vcpu_create,
	.vcpu_destroy = interp_vcpu_destroy,
	.run = interp_run,
	.get_state = block_engine_get_state,
	.set_state = block_engine_set_state,
	.kick = block_engine_kick,
	.get_pvclock = block_engine_get_pvclock,
	.set_pvclock = block_engine_set_pvclock,
	.forget_writable = block_engine_forget_writable,
	.interrupt_ready = block_engine_interrupt_ready,
	.inject_interrupt = block_engine_inject_interrupt,
	.inject_nmi = block_engine_inject_nmi,
	.request_interrupt_window = block_engine_request_interrupt_window,
	.stats = block_engine_stats,
	.disassemble = block_engine_disassemble,
};
