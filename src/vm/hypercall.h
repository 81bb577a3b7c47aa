/* Answers paravirtual hypercalls (docs/guest-abi.md). */
#ifndef RV_HYPERCALL_H
#define RV_HYPERCALL_H

#include <stdint.h>

struct vm;

/* Performs hypercall nr and returns its result for the guest's RAX. */
uint64_t hypercall_handle(struct vm *vm, uint64_t nr, const uint64_t args[4]);

#endif
