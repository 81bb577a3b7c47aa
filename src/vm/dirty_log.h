/* Dirty-page logging, for live migration's pre-copy (docs/migration.md):
 * which pages of guest RAM were written — by a vCPU, a device's DMA, a
 * hypercall's answer, the VM layer — since logging started or since the last
 * collect.
 *
 * A bitmap has one bit per 4 KiB page of the RAM mapping, in its order: bit
 * n is the page at byte n * 4096 of guest_memory.base (region 0 from 0, then
 * region 1 right after it; guest_memory_gpa_of_offset turns it back into a
 * guest-physical address). vm_dirty_log_pages words of it are
 * (pages + 63) / 64.
 *
 * All three are for one controller at a time (the migration's thread), as
 * vm_pause is, and may be called while the VM runs or is paused. */
#ifndef RV_VM_DIRTY_LOG_H
#define RV_VM_DIRTY_LOG_H

#include <stddef.h>
#include <stdint.h>

struct vm;

/* The bitmap's length in pages: guest RAM's size / 4096. */
uint64_t vm_dirty_log_pages(const struct vm *vm);
/* From now on every write to guest RAM is recorded. 0, or -1 with a
 * one-line reason (the engine cannot log, logging already on). */
int vm_dirty_log_start(struct vm *vm, char *why, size_t why_len);
/* ORs into bitmap every page written since start or the last collect, and
 * starts recording afresh: a write that lands after collect returns is in
 * the next collect's answer, never lost between two. Called on a paused VM
 * it is exact (the final round); on a running one it pauses the VM for as
 * long as it takes. 0, or -1 with a reason (logging then stays on; stop
 * ends it). */
int vm_dirty_log_collect(struct vm *vm, uint64_t *bitmap, char *why, size_t why_len);
/* Logging off; harmless when it is not on. */
void vm_dirty_log_stop(struct vm *vm);

#endif
