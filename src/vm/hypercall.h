/* Answers paravirtual hypercalls (docs/guest-abi.md). */
#ifndef RV_HYPERCALL_H
#define RV_HYPERCALL_H

#include <stdint.h>

#include "vm/bus.h"

struct vm;

/* The hypercall port on the port bus. The engines turn an OUT to port 0xe8 into
 * a hypercall exit before the bus sees it; every other access that reaches the
 * port (IN, INS, OUTS) is answered as an unclaimed port is answered — reads all
 * ones, writes ignored — but without a log line: the port is Ringvisor's own
 * (docs/guest-abi.md, "Hypercalls"). */
extern const struct io_device_ops hypercall_port_ops;

/* Performs hypercall nr and returns its result for the guest's RAX. */
uint64_t hypercall_handle(struct vm *vm, uint64_t nr, const uint64_t args[4]);

#endif
