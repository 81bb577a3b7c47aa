#include "engine/softcpu/block_engine.h"

#include <stdio.h>
#include <stdlib.h>

#include "engine/softcpu/block_cache.h"
#include "engine/softcpu/decode.h"
#include "engine/softcpu/events.h"
#include "engine/softcpu/kvmclock.h"
#include "engine/softcpu/mem.h"
#include "engine/softcpu/run.h"
#include "engine/softcpu/state.h"
#include "engine/softcpu/vmm_writes.h"
#include "log.h"
#include "vm/memory.h"
#include "x86/cpu_model.h"

/* The engine's vCPU begins with its block_vcpu (asserted where it is defined). */
static struct block_vcpu *bv(struct engine_vcpu *v)
{
	return (struct block_vcpu *)(void *)v;
}

/* The VMM wrote guest RAM (vm/memory.h): on the writer's thread, post it for
 * the vCPU, and kick the vCPU if it is running guest code (vmm_writes.h). */
static void ram_written(void *opaque, uint64_t gpa, uint64_t len)
{
	struct block_vcpu *v = opaque;

	if (vmm_writes_post(&v->vmm_writes, gpa, len))
		events_kick(&v->cpu);
}

int block_engine_vcpu_init(struct block_vcpu *v, struct guest_memory *mem, const struct cpu_model *model, int index)
{
	v->cache = block_cache_create();
	v->decode_scratch = decode_scratch_new();
	if (!v->cache || softcpu_init(&v->cpu, mem, model, index, &block_cache_hooks))
		return -1;
	vmm_writes_init(&v->vmm_writes);
	v->ram_listener = (struct guest_memory_listener){ .written = ram_written, .opaque = v };
	guest_memory_listen(mem, &v->ram_listener);
	return 0;
}

void block_engine_vcpu_fini(struct block_vcpu *v)
{
	if (v->ram_listener.written) {
		guest_memory_unlisten(v->cpu.mem, &v->ram_listener);
		vmm_writes_fini(&v->vmm_writes);
	}
	block_cache_destroy(v);
	free(v->decode_scratch);
	v->decode_scratch = NULL;
	softcpu_fini(&v->cpu);
}

/* Whether r touches a page holding code; with drop, drops the blocks decoded
 * from what it touches, as a store of the vCPU's own would. */
static bool range_hits_code(struct block_vcpu *v, const struct vmm_write_range *r, bool drop)
{
	uint64_t gpa = r->gpa, end = r->gpa + r->len;
	bool hit = false;

	while (gpa < end) {
		uint64_t page_end = (gpa | 0xfff) + 1, n = (end < page_end ? end : page_end) - gpa;

		if (code_pages_has_code(&v->cpu.code, gpa & ~0xfffull)) {
			hit = true;
			if (drop)
				cpu_code_written(&v->cpu, gpa, (unsigned)n);
		}
		gpa += n;
	}
	return hit;
}

/* Before any block runs: drop the blocks decoded from guest RAM the VMM wrote
 * (vmm_writes.h). An instruction that exited and runs again first was fetched
 * before the write, so it completes as it was decoded, as on hardware; when
 * the write touched code, the posts go back, the instruction's block ends
 * after it (leave_block) and a kick brings run() back here at the next block
 * boundary, where no instruction is pending. */
static void take_vmm_writes(struct block_vcpu *v)
{
	struct vmm_writes_taken t;
	bool hit = false;

	if (!vmm_writes_pending(&v->vmm_writes))
		return;
	vmm_writes_take(&v->vmm_writes, &t);
	for (unsigned i = 0; i < t.count && !hit; i++)
		hit = range_hits_code(v, &t.range[i], false);
	if (!hit && !t.everything)
		return;
	if (v->resume_block) {
		if (t.everything)
			vmm_writes_post(&v->vmm_writes, 0, UINT64_MAX);
		for (unsigned i = 0; i < t.count; i++)
			vmm_writes_post(&v->vmm_writes, t.range[i].gpa, t.range[i].len);
		v->cpu.leave_block = true;
		events_kick(&v->cpu);
		return;
	}
	if (t.everything) {
		block_cache_flush(v);
		return;
	}
	for (unsigned i = 0; i < t.count; i++)
		range_hits_code(v, &t.range[i], true);
}

static int run_guest(struct block_vcpu *v, struct vm_exit *exit, void (*execute)(struct block_vcpu *v))
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
	take_vmm_writes(v);
	execute(v);
	*exit = cpu->exit;
	return 0;
}

int block_engine_run(struct block_vcpu *v, struct vm_exit *exit, void (*execute)(struct block_vcpu *v))
{
	int r;

	vmm_writes_enter(&v->vmm_writes);
	r = run_guest(v, exit, execute);
	vmm_writes_leave(&v->vmm_writes);
	return r;
}

int block_engine_probe(char *why, size_t why_len)
{
	(void)why;
	(void)why_len;
	return 0; /* runs wherever ringvisor runs */
}

int block_engine_provides_model(const struct cpu_model *model, char *why, size_t why_len)
{
	if (model->soft_cpu_implements)
		return 0;
	if (model->host_passthrough)
		snprintf(why, why_len, "the host's CPU is passed through by KVM only");
	else
		snprintf(why, why_len, "the software CPU does not implement all of %s's instructions yet", model->name);
	return -1;
}

int block_engine_check_env(const struct engine_env *env, const char *engine, char *why, size_t why_len)
{
	if (!env->cpu_model) {
		snprintf(why, why_len, "%s: no CPU model given", engine);
		return -1;
	}
	return 0;
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

int block_engine_get_pvclock(struct engine_vcpu *v, uint64_t *ns)
{
	*ns = kvmclock_now_ns(&bv(v)->cpu);
	return 0;
}

int block_engine_set_pvclock(struct engine_vcpu *v, uint64_t ns)
{
	kvmclock_set_now(&bv(v)->cpu, ns);
	return 0;
}

void block_engine_forget_writable(struct engine_vcpu *v)
{
	tlb_flush_writes(&bv(v)->cpu);
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
