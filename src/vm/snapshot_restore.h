/* Reading a snapshot directory back (vm/snapshot.h): config.json into a
 * struct snapshot_config, then the VM built from it (with the command
 * line's overrides) on guest RAM mapped privately from the memory file, and
 * its devices and vCPUs loaded from the state stream. Every file is checked
 * before anything large is read or the VM is built: config.json's size and
 * fields, the state's size, header and CRC-32, the memory file's length. */
#ifndef RV_VM_SNAPSHOT_RESTORE_H
#define RV_VM_SNAPSHOT_RESTORE_H

#include <stddef.h>

#include "vm/config.h"
#include "vm/snapshot_config.h"

/* The state file is refused larger than this before it is read (a VM's
 * devices save far less; guest RAM is never in it). */
#define SNAPSHOT_STATE_MAX_BYTES (256u << 20)

struct vm;

/* Reads dir/config.json. 0, or -1 with a one-line reason. */
int snapshot_config_load(const char *dir, struct snapshot_config *c, char *why, size_t why_len);
/* Builds vm as cfg says (its engine and CPU model chosen) from dir's state
 * and memory, ready for vm_run (and vm_destroy after it). 0, or -1 with a
 * one-line reason, and then nothing is left to destroy. */
int vm_restore(struct vm *vm, const struct vm_config *cfg, const char *dir, char *why, size_t why_len);
/* Loads a whole state stream (vm_state_save's) into vm's devices and vCPUs,
 * rebasing time onto the platform clock's now. 0, or -1 with a reason. */
int vm_state_load(struct vm *vm, const void *buf, size_t len, char *why, size_t why_len);

#endif
