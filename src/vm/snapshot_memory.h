/* The memory file of a snapshot directory: guest RAM, raw, in the order the
 * mapping lays it out (RAM below 3 GiB from guest-physical 0, then the rest
 * from 4 GiB: vm/memory.h), exactly as long as RAM. Pages of zeros are holes
 * (never written, the file's length set with ftruncate), so the file costs
 * the disk what the guest used, and a restore maps it privately
 * (guest_memory_init_file): a page is read when the guest first touches it. */
#ifndef RV_VM_SNAPSHOT_MEMORY_H
#define RV_VM_SNAPSHOT_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "vm/memory.h"

/* Writes mem into fd (a new, empty file); *data_bytes gets the bytes of
 * pages written (the rest are holes). 0, or -1 with a one-line reason. The
 * caller syncs. mem must not change meanwhile (the VM is paused). */
int snapshot_memory_write(const struct guest_memory *mem, int fd, uint64_t *data_bytes, char *why, size_t why_len);
/* Opens a memory file for a restore: a regular file of exactly size bytes
 * (config.json's memory_bytes). The descriptor, or -1 with a reason. */
int snapshot_memory_open(const char *path, uint64_t size, char *why, size_t why_len);

#endif
