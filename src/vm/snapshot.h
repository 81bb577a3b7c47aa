/* A snapshot of a paused VM as a directory (docs/snapshot-format.md, "The
 * directory"): config.json, the machine (vm/snapshot_config.h); state, the
 * devices' and vCPUs' state stream (state/state_stream.h); memory, guest RAM
 * (vm/snapshot_memory.h). Written atomically (host/atomic_dir.h): DIR is
 * either untouched or complete. vm/snapshot_restore.h reads it back. */
#ifndef RV_VM_SNAPSHOT_H
#define RV_VM_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "state/state_stream.h"

#define SNAPSHOT_CONFIG_FILE "config.json"
#define SNAPSHOT_STATE_FILE "state"
#define SNAPSHOT_MEMORY_FILE "memory"

struct vm;

/* What a snapshot cost. */
struct snapshot_stats {
	uint64_t state_bytes;
	uint64_t memory_bytes;	    /* the memory file's length: guest RAM */
	uint64_t memory_data_bytes; /* of it, pages written (the rest are holes) */
	uint64_t ns;		    /* from the start to the directory in place */
};

/* Writes the paused VM (vm_control.h) to dir, which must not exist or be an
 * empty directory. 0, or -1 with a one-line reason (dir then as it was). */
int vm_snapshot(struct vm *vm, const char *dir, char *why, size_t why_len);
/* The same for a VM in any state: a running one is paused for the time the
 * snapshot takes and then runs on (as QEMU's savevm); a paused one stays
 * paused. For one controller at a time, as vm_pause. */
int vm_snapshot_pausing(struct vm *vm, const char *dir, char *why, size_t why_len);
/* The same, telling what it cost in *st. */
int vm_snapshot_measured(struct vm *vm, const char *dir, struct snapshot_stats *st, char *why, size_t why_len);
/* The VM's whole state stream into w (initialised, empty): the header, one
 * section per registered device and vCPU at the platform clock's now, the
 * end. 0, or -1 with a reason if a device could not give its state. */
int vm_state_save(struct vm *vm, struct state_writer *w, char *why, size_t why_len);

#endif
