/* QEMU's isa-debug-exit device: a write of value v ends the VM with exit status
 * (v << 1) | 1, so test kernels written for QEMU run unchanged. Reads return all
 * ones. */
#ifndef RV_DEBUG_EXIT_H
#define RV_DEBUG_EXIT_H

#include <stdint.h>

#include "state/device_state.h"
#include "vm/bus.h"

#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_LEN 4

struct debug_exit {
	void (*stop)(void *opaque, int status);
	void *opaque;
};

extern const struct io_device_ops debug_exit_ops;

/* Saved state (docs/snapshot-format.md, section "debug-exit"): the device
 * holds none, so version 1 is an empty payload; registered so that every
 * device of the machine has its section, and a later field its place. */
extern const struct device_state_ops debug_exit_state_ops;

/* The process exit status that a write of `value` produces. */
int debug_exit_status(uint64_t value);

#endif
