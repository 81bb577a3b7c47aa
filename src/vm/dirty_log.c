#include "vm/dirty_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/machine.h"
#include "vm/vm_control.h"

/* Each step runs on a paused VM: a software vCPU's soft TLB is its own
 * thread's, and the log must not change between reading and clearing it.
 * Pausing costs a kick and a park per vCPU, about a millisecond; a
 * migration collects a handful of times. */

uint64_t vm_dirty_log_pages(const struct vm *vm)
{
	return vm->mem.size >> 12;
}

static size_t words(const struct vm *vm)
{
	return (size_t)((vm_dirty_log_pages(vm) + 63) / 64);
}

/* Pauses vm if it runs; *paused_here says whether to resume it. */
static int pause_if_running(struct vm *vm, bool *paused_here, char *why, size_t why_len)
{
	*paused_here = !vm_paused(vm);
	return *paused_here ? vm_pause(vm, why, why_len) : 0;
}

/* A new round for the software engines: each vCPU's next write to a page
 * comes to its slow path, which marks the page again. */
static void forget_writable(struct vm *vm)
{
	if (vm->ops->forget_writable)
		for (int i = 0; i < vm->nvcpus; i++)
			vm->ops->forget_writable(vm->vcpus[i].ev);
}

int vm_dirty_log_start(struct vm *vm, char *why, size_t why_len)
{
	bool paused_here;
	int rc = 0;

	if (vm->mem.dirty_logging) {
		snprintf(why, why_len, "dirty logging is on already");
		return -1;
	}
	if (!vm->ops->forget_writable && !vm->ops->dirty_log_start) {
		snprintf(why, why_len, "the %s engine cannot log dirty pages", vm->ops->name);
		return -1;
	}
	if (!vm->mem.dirty && !(vm->mem.dirty = calloc(words(vm), sizeof(uint64_t)))) {
		snprintf(why, why_len, "out of memory for the dirty log");
		return -1;
	}
	if (pause_if_running(vm, &paused_here, why, why_len))
		return -1;
	memset(vm->mem.dirty, 0, words(vm) * sizeof(uint64_t));
	if (vm->ops->dirty_log_start)
		rc = vm->ops->dirty_log_start(vm->engine, why, why_len);
	if (!rc) {
		__atomic_store_n(&vm->mem.dirty_logging, true, __ATOMIC_RELAXED);
		forget_writable(vm);
	}
	if (paused_here)
		vm_resume(vm);
	return rc;
}

int vm_dirty_log_collect(struct vm *vm, uint64_t *bitmap, char *why, size_t why_len)
{
	bool paused_here;
	int rc = 0;

	if (!vm->mem.dirty_logging) {
		snprintf(why, why_len, "dirty logging is not on");
		return -1;
	}
	if (pause_if_running(vm, &paused_here, why, why_len))
		return -1;
	for (size_t i = 0, n = words(vm); i < n; i++) {
		bitmap[i] |= vm->mem.dirty[i];
		vm->mem.dirty[i] = 0;
	}
	forget_writable(vm);
	if (vm->ops->dirty_log_collect)
		rc = vm->ops->dirty_log_collect(vm->engine, bitmap, why, why_len);
	if (paused_here)
		vm_resume(vm);
	return rc;
}

void vm_dirty_log_stop(struct vm *vm)
{
	bool paused_here;
	char why[200];

	if (!vm->mem.dirty_logging || pause_if_running(vm, &paused_here, why, sizeof(why)))
		return;
	__atomic_store_n(&vm->mem.dirty_logging, false, __ATOMIC_RELAXED);
	if (vm->ops->dirty_log_stop)
		vm->ops->dirty_log_stop(vm->engine);
	if (paused_here)
		vm_resume(vm);
}
