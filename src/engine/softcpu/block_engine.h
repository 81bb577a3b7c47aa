/* What the block-running engines (interp, dbt) share beyond the loop
 * (block_loop.h): the vCPU's set-up, the frame of run(), and the engine ops that
 * are the same for both. Each engine's struct engine_vcpu begins with a struct
 * block_vcpu (each asserts it), so the ops below take the engine's vCPU as it
 * is and go straight into the ops table. */
#ifndef RV_SOFTCPU_BLOCK_ENGINE_H
#define RV_SOFTCPU_BLOCK_ENGINE_H

#include "engine/engine.h"
#include "engine/softcpu/block_vcpu.h"

/* Sets up v (zeroed); -1 when out of memory (call block_engine_vcpu_fini then). */
int block_engine_vcpu_init(struct block_vcpu *v, struct guest_memory *mem, const struct cpu_model *model, int index);
void block_engine_vcpu_fini(struct block_vcpu *v);

/* The engine's run(): completes the last exit, then execute(v) runs guest code
 * until an exit is ready (block_loop with the engine's translator). */
int block_engine_run(struct block_vcpu *v, struct vm_exit *exit, void (*execute)(struct block_vcpu *v));

int block_engine_probe(char *why, size_t why_len);
/* The models whose cpu_model.soft_cpu_implements is set. */
int block_engine_provides_model(const struct cpu_model *model, char *why, size_t why_len);
/* The checks of create() that every block engine makes (a CPU model given). */
int block_engine_check_env(const struct engine_env *env, const char *engine, char *why, size_t why_len);
int block_engine_get_state(struct engine_vcpu *v, struct vcpu_state *s);
int block_engine_set_state(struct engine_vcpu *v, const struct vcpu_state *s);
void block_engine_kick(struct engine_vcpu *v);
int block_engine_get_pvclock(struct engine_vcpu *v, uint64_t *ns);
int block_engine_set_pvclock(struct engine_vcpu *v, uint64_t ns);
/* Every write entry of the soft TLB forgotten (dirty logging's new round). */
void block_engine_forget_writable(struct engine_vcpu *v);
int block_engine_interrupt_ready(struct engine_vcpu *v);
int block_engine_inject_interrupt(struct engine_vcpu *v, uint8_t vector);
int block_engine_inject_nmi(struct engine_vcpu *v);
void block_engine_request_interrupt_window(struct engine_vcpu *v, int on);
int block_engine_disassemble(struct engine_vcpu *v, char *buf, size_t len);
/* The block cache's and the core's counters. */
void block_engine_stats(struct engine_vcpu *v, struct engine_stats *st);

#endif
