#include "engine/softcpu/block_engine.h"

#include <stdlib.h>

#include "engine/softcpu/block_cache.h"
#include "engine/softcpu/decode.h"
#include "engine/softcpu/events.h"
#include "engine/softcpu/run.h"
#include "engine/softcpu/state.h"
#include "log.h"

/* The engine's vCPU begins with its block_vcpu (asserted where it is defined). */
static struct block_vcpu *bv(struct engine_vcpu *v)
{
	return (struct block_vcpu *)(void *)v;
}

int block_engine_vcpu_init(struct block_vcpu *v, struct guest_memory *mem, int index)
{
	v->cache = block_cache_create();
	v->decode_scratch = decode_scratch_new();
	if (!v->cache || softcpu_init(&v->cpu, mem, index, &block_cache_hooks))
		return -1;
	return 0;
}

void block_engine_vcpu_fini(struct block_vcpu *v)
{
	block_cache_destroy(v);
	free(v->decode_scratch);
	v->decode_scratch = NULL;
	softcpu_fini(&v->cpu);
}

int block_engine_run(struct block_vcpu *v, struct vm_exit *exit, void (*execute)(struct block_vcpu *v))
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
			log_error("exit outside an instruction at rip %#llx", (unsigned long long)cpu->rip);
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

int block_engine_probe(char *why, size_t why_len)
{
	(void)why;
	(void)why_len;
	return 0; /* runs wherever ringvisor runs */
}

int block_engine_get_state(struct engine_vcpu *v, struct vcpu_state *s)
{
	softcpu_get_state(&bv(v)->cpu, s);
	return 0;
}

int block_engine_set_state(struct engine_vcpu *v, const struct vcpu_state *s)
{
	softcpu_set_state(&bv(v)->cpu, s);
	/* A new state replaces any instruction waiting for its exit to complete. */
	block_cache_flush(bv(v));
	return 0;
}

void block_engine_kick(struct engine_vcpu *v)
{
	events_kick(&bv(v)->cpu);
}

int block_engine_interrupt_ready(struct engine_vcpu *v)
{
	return events_interrupts_open(&bv(v)->cpu) && bv(v)->cpu.pending_irq < 0;
}

int block_engine_inject_interrupt(struct engine_vcpu *v, uint8_t vector)
{
	return events_inject_interrupt(&bv(v)->cpu, vector);
}

int block_engine_inject_nmi(struct engine_vcpu *v)
{
	events_inject_nmi(&bv(v)->cpu);
	return 0;
}

void block_engine_request_interrupt_window(struct engine_vcpu *v, int on)
{
	bv(v)->cpu.want_irq_window = on != 0;
}

int block_engine_disassemble(struct engine_vcpu *v, char *buf, size_t len)
{
	return softcpu_disassemble(&bv(v)->cpu, buf, len);
}

void block_engine_stats(struct engine_vcpu *v, struct engine_stats *st)
{
	uint64_t hits, misses;

	block_cache_stats(bv(v)->cache, &hits, &misses);
	engine_stats_add_ratio(st, "decode cache hit", "lookups", hits, hits + misses);
	softcpu_stats(&bv(v)->cpu, st);
}
