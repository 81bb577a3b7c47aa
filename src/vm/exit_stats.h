/* Per-vCPU counts and times of VM exits, for --stats. Owned by one vCPU thread;
 * merged after the threads have stopped. */
#ifndef RV_EXIT_STATS_H
#define RV_EXIT_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"
#include "engine/vm_exit.h"

struct exit_stats {
	uint64_t count[EXIT_REASON_COUNT];
	uint64_t handle_ns[EXIT_REASON_COUNT]; /* time in the VMM handling the exit */
	uint64_t guest_ns;		       /* time inside the engine's run() */
};

void exit_stats_add(struct exit_stats *total, const struct exit_stats *part);
void exit_stats_print(FILE *out, const struct exit_stats *s, uint64_t wall_ns);
/* The counters of a software engine; prints nothing when it counted no
 * instructions (the kvm engine does not count them). */
void engine_stats_print(FILE *out, const struct engine_stats *e, uint64_t guest_ns);

#endif
