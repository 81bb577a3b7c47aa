/* The virtual machine: guest memory, the buses and devices, the vCPUs, and the
 * loop every hypervisor has — run the vCPU, take its exit, hand it to a device or
 * a policy, run again. Nothing here knows which engine runs the vCPUs.
 *
 * Threads: each vCPU runs vm_vcpu_thread on its own thread; the thread that calls
 * vm_run() serves host input and signals until the VM stops. */
#ifndef RV_VM_H
#define RV_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/chardev.h"
#include "devices/debug_exit.h"
#include "devices/uart16550.h"
#include "engine/engine.h"
#include "vm/bus.h"
#include "vm/config.h"
#include "vm/exit_stats.h"
#include "vm/memory.h"
#include "vm/platform.h"

#define VM_MAX_VCPUS 1

/* Exit statuses of `ringvisor run` besides the guest's own (docs/guest-abi.md). */
#define STATUS_OK 0
#define STATUS_CONFIG 2
#define STATUS_TRIPLE_FAULT 4
#define STATUS_INTERNAL 6

struct vm;

struct vcpu {
	struct vm *vm;
	int index;
	struct engine_vcpu *ev;
	bool window_requested; /* waiting for EXIT_INTERRUPT_WINDOW */
	pthread_t thread;
	bool thread_started;
	struct vm_exit exit;
	struct exit_stats stats;
};

struct vm {
	struct vm_config cfg;
	const struct engine_ops *ops;
	struct engine *engine;
	struct guest_memory mem;
	struct io_bus pio;
	struct io_bus mmio;
	struct chardev console; /* the host's stdout */
	struct uart16550 com1;
	struct debug_exit debug_exit;
	struct pc_platform pc;
	int intr_asserted; /* the PIC's INTR line (atomic) */
	unsigned wake_seq; /* bumped (atomic) by platform_wake: a halted vCPU re-checks */
	int nvcpus;
	struct vcpu vcpus[VM_MAX_VCPUS];

	/* Stopping: the first request wins; stop_fd wakes the I/O thread. */
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond; /* CLOCK_MONOTONIC; broadcast on stop and when INTR rises */
	bool stopping;
	int exit_status;
	int stop_fd;
	uint64_t start_ns;
};

/* Builds the machine and loads the kernel. Returns 0, or -1 with a one-line reason
 * in why (a configuration error: nothing has run yet). */
int vm_create(struct vm *vm, const struct vm_config *cfg, char *why, size_t why_len);
/* The part of vm_create that builds the machine without a CPU: guest RAM and
 * every device on its bus (devices read clock, or the host's clocks if NULL).
 * No kernel is loaded and cfg->engine is not used: for the device fuzzer. Undo
 * with vm_destroy, also after a failure. */
int vm_init_machine(struct vm *vm, const struct vm_config *cfg, const struct platform_clock *clock, char *why,
		    size_t why_len);
/* Runs the VM until it stops; returns the process exit status. */
int vm_run(struct vm *vm);
void vm_destroy(struct vm *vm);

/* Ask the VM to stop with this exit status. Any thread; the first request wins. */
void vm_request_stop(struct vm *vm, int status);
bool vm_stopping(struct vm *vm);

uint64_t monotonic_ns(void);

#endif
