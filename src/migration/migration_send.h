/* The source of a live migration (docs/migration.md): pre-copy of guest RAM
 * in rounds while the VM runs, then the VM paused for the rest and its
 * state, then the destination's ready and the source's go. The control
 * socket's `migrate` (api/api_commands.c) runs it on its own thread. */
#ifndef RV_MIGRATION_SEND_H
#define RV_MIGRATION_SEND_H

#include <stddef.h>

struct vm;

#define MIG_CONNECT_TIMEOUT_MS 5000
/* The destination took no byte for this long: it is gone or stuck. */
#define MIG_SEND_TIMEOUT_MS 10000
/* From the end mark to the destination's ready (it loads the state). */
#define MIG_READY_TIMEOUT_MS 30000
/* Pre-copy stops once what is left would go in this long at the bandwidth
 * seen so far... */
#define MIG_DOWNTIME_TARGET_MS 300
/* ...or after this many rounds, or at a round that did not leave less. */
#define MIG_MAX_ROUNDS 30

/* Sends vm to uri (tcp:HOST:PORT), a running VM, for one controller at a
 * time (as vm_pause), from a thread not the VM's own. 0: the destination
 * runs the guest and vm is stopping with status 0. -1 with a one-line
 * reason: the migration failed and vm runs on as before (or, when the
 * reason says so, the go may not have reached the destination: vm stops
 * all the same, so that at most one of the two runs the guest). */
int vm_migrate(struct vm *vm, const char *uri, char *why, size_t why_len);

#endif
