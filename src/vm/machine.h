/* The machine's parts as one structure: guest memory, buses, devices, vCPUs and
 * the stop state. Every part of the VM layer reads it; vm.c builds and runs it. */
#ifndef RV_VM_MACHINE_H
#define RV_VM_MACHINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/chardev.h"
#include "devices/debug_exit.h"
#include "devices/uart16550.h"
#include "engine/engine.h"
#include "host/event_loop.h"
#include "vm/bus.h"
#include "vm/config.h"
#include "vm/device_registry.h"
#include "vm/exit_stats.h"
#include "vm/memory.h"
#include "vm/pc_platform.h"
#include "vm/virtio_devices.h"

#define VM_MAX_VCPUS 1

/* Exit statuses of `ringvisor run` besides the guest's own (docs/guest-abi.md). */
#define STATUS_OK 0
#define STATUS_CONFIG 2
#define STATUS_TRIPLE_FAULT 4
#define STATUS_INTERNAL 6

struct vm;

/* Pausing (vm/vm_control.h). Under the stop lock, but input_lock's. */
struct vm_pause {
	bool requested;	  /* vCPU and timer threads park; read without the lock too (atomic) */
	bool paused;	  /* vm_pause succeeded and vm_resume has not come yet */
	unsigned threads; /* threads that park when asked: running vCPU threads and the timer's */
	unsigned parked;  /* of them, parked now */
	bool input_held;  /* under input_lock: host input waits (vm_control_input_begin) */
	pthread_mutex_t input_lock;
};

struct vcpu {
	struct vm *vm;
	int index;
	struct engine_vcpu *ev;
	bool window_requested; /* waiting for EXIT_INTERRUPT_WINDOW */
	pthread_t thread;
	bool thread_started;
	struct vm_exit exit;
	struct exit_stats stats;
	uint64_t first_run_ns; /* monotonic_ns() as its thread began to run it */
};

struct vm {
	struct vm_config cfg;
	const struct engine_ops *ops;
	struct engine *engine;
	struct guest_memory mem;
	struct io_bus pio;
	struct io_bus mmio;
	struct chardev console;	     /* the guest's console output: host_console, then console_tap */
	struct chardev host_console; /* the host's stdout */
	/* Sees the console's output too, if set before vm_run (the test hook
	 * of cli/test_snapshot_hook.h); on the writing device's thread. */
	struct chardev console_tap;
	struct uart16550 com1;
	struct debug_exit debug_exit;
	struct pc_platform pc;
	struct vm_virtio virtio;
	/* Every device and vCPU whose state is saved, restored and reset. */
	struct device_registry devices;
	int intr_asserted; /* the PIC's INTR line (atomic) */
	unsigned wake_seq; /* bumped (atomic) by platform_wake: a halted vCPU re-checks */
	int nvcpus;
	struct vcpu vcpus[VM_MAX_VCPUS];
	/* The I/O thread: device back ends' work (docs/architecture.md, "Threads
	 * and locks"). Started by vm_run, stopped once the vCPUs have ended. */
	struct event_loop io_thread;

	/* Stopping: the first request wins; stop_fd wakes the I/O thread. */
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond; /* CLOCK_MONOTONIC; broadcast on stop and when INTR rises */
	bool stopping;
	int exit_status;
	int stop_fd;
	uint64_t start_ns;
	struct vm_pause pause;
	/* The clock HC_CLOCK_MONOTONIC answers: the platform clock plus this
	 * (vm/vm_clock.h), so that it goes on across a restore. */
	uint64_t clock_offset_ns;
};

#endif
