/* Stopping the VM: any thread may ask, the first request's status wins, and
 * every vCPU and the I/O thread are woken to notice. */
#ifndef RV_VM_STOP_H
#define RV_VM_STOP_H

#include <stdbool.h>

#include "host/clock.h"

struct vm;

/* Ask the VM to stop with this exit status. Any thread; the first request wins. */
void vm_request_stop(struct vm *vm, int status);
bool vm_stopping(struct vm *vm);

#endif
