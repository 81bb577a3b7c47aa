/* The lockstep divergence finder (`ringvisor run --engine dbt --lockstep
 * interp`): each translated block runs twice from one state, first decoded, as
 * the interp engine runs it, then as dbt's host code, and the two results are
 * compared — registers, flags, the rest of the CPU state, where the block
 * stopped, the exception or exit it ended in, and every byte the decoded run
 * wrote to guest RAM. The first difference stops the guest with a report on
 * stderr: the block's guest code disassembled, the first instruction whose
 * result differs (found by translating ever longer prefixes of the block), and
 * each differing value. dbt's result is what the guest goes on with.
 *
 * Limits, by construction: the clock stands still while a block runs twice, so
 * RDTSC agrees; flags an instruction of the block leaves undefined are not
 * compared (dbt gives the host CPU's, interp the model's); a stray dbt write to
 * an address the decoded run did not write goes unseen unless a register shows
 * it; one vCPU only (another would write memory between the two runs). */
#ifndef RV_DBT_LOCKSTEP_H
#define RV_DBT_LOCKSTEP_H

#include <stdbool.h>

#include "engine/softcpu/block.h"

struct lockstep;

/* What lockstep needs from the engine: host code for the first count
 * instructions of b (NULL when there is no room), and running host code. */
struct lockstep_engine {
	const uint8_t *(*translate_prefix)(struct block_vcpu *v, const struct block *b, unsigned count);
	void (*run_host)(struct block_vcpu *v, const uint8_t *entry);
};

/* NULL when out of memory. */
struct lockstep *lockstep_new(const struct lockstep_engine *engine);
void lockstep_free(struct lockstep *ls);

/* Runs b (translated, entered at its first instruction, no event pending in
 * between) both ways from the vCPU's state. Leaves the state dbt's run left,
 * unwinding as that run did; on a divergence, reports it and leaves an
 * EXIT_INTERNAL_ERROR ready instead. */
void lockstep_run_block(struct lockstep *ls, struct block_vcpu *v, const struct block *b);

/* Blocks compared so far. A block that writes code the engine holds is not:
 * it changes the code-page records, which a second run would not find the
 * same, so its decoded run stands. */
uint64_t lockstep_compared(const struct lockstep *ls);

#endif
