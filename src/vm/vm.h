/* The virtual machine: guest memory, the buses and devices, the vCPUs, and the
 * loop every hypervisor has — run the vCPU, take its exit, hand it to a device or
 * a policy, run again. Nothing here knows which engine runs the vCPUs.
 *
 * Threads: each vCPU runs vm_vcpu_thread on its own thread; the thread that calls
 * vm_run() serves host input and signals until the VM stops. */
#ifndef RV_VM_H
#define RV_VM_H

#include "vm/machine.h"
#include "vm/platform.h"
#include "vm/stop.h"

/* Builds the machine and loads the kernel. Returns 0, or -1 with a one-line reason
 * in why (a configuration error: nothing has run yet). */
int vm_create(struct vm *vm, const struct vm_config *cfg, char *why, size_t why_len);
/* The part of vm_create that builds the machine without a CPU: guest RAM and
 * every device on its bus (devices read clock, or the host's clocks if NULL).
 * No kernel is loaded and cfg->engine is not used: for the device fuzzer. Undo
 * with vm_destroy, also after a failure. */
int vm_init_machine(struct vm *vm, const struct vm_config *cfg, const struct platform_clock *clock, char *why,
		    size_t why_len);
/* The machine cfg describes, as vm_create builds it, on guest RAM mapped
 * privately from ram_fd (a snapshot's memory file of cfg->mem_size bytes,
 * which the VM takes, closing it on failure too): nothing is loaded and no
 * ACPI table written, the vCPUs are as after RESET. The state is loaded
 * next (vm/snapshot_restore.h). -1 with a one-line reason; vm_destroy
 * after a failure too. */
int vm_create_restored(struct vm *vm, const struct vm_config *cfg, int ram_fd, char *why, size_t why_len);
/* The machine cfg describes on fresh guest RAM, all zeros: nothing loaded,
 * no ACPI table written, the vCPUs as after RESET. An incoming migration
 * (migration/migration_recv.h) writes RAM and loads the state next. -1 with
 * a one-line reason; vm_destroy after a failure too. */
int vm_create_incoming(struct vm *vm, const struct vm_config *cfg, char *why, size_t why_len);
/* Runs the VM until it stops; returns the process exit status. */
int vm_run(struct vm *vm);
void vm_destroy(struct vm *vm);

#endif
