/* The VM's clocks that are neither a device's nor the vCPU's architectural
 * state, kept going across a save and a restore: the clock the hypercall
 * HC_CLOCK_MONOTONIC answers, and the paravirtual clock (kvmclock) the
 * engine keeps. Both are saved as they read at the save and read on from
 * there after a load, so the guest sees no jump and no stall however long
 * the snapshot lay on disk (docs/snapshot-format.md, "Time"). */
#ifndef RV_VM_CLOCK_H
#define RV_VM_CLOCK_H

#include <stdint.h>

#include "state/device_state.h"

struct vm;

/* What HC_CLOCK_MONOTONIC answers: the platform clock (the host's
 * CLOCK_MONOTONIC) plus the VM's offset, 0 until a restore sets it. */
uint64_t vm_clock_hypercall_ns(struct vm *vm);

/* The "vm-clock" section; dev: the struct vm. Version 1: the hypercall
 * clock's reading u64; whether kvmclock's is saved u8; vCPU 0's kvmclock
 * system time u64 (each at the save). Load makes both read on from there;
 * reset gives the hypercall clock the host's again. */
extern const struct device_state_ops vm_clock_state_ops;

#endif
