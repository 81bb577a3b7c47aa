/* Pausing and resuming a running VM, so that its state can be saved
 * (docs/snapshot-format.md): every vCPU thread parks between two guest
 * instructions, with nothing of an exit left to complete, the timer thread
 * parks between two updates, the I/O thread between two handlers (so no
 * virtio request is in flight), and host input waits. Guest RAM and every
 * device then stay as they are until vm_resume, which is what
 * device_state_ops' save and load require.
 *
 * vm_pause and vm_resume are for one controller at a time (the control
 * socket, the test hook of cli/test_snapshot_hook.h), from any thread that is
 * not one of the VM's own (vCPU, timer, I/O). The rest of this header is for
 * those threads. */
#ifndef RV_VM_CONTROL_H
#define RV_VM_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

struct vm;

/* Returns 0 once the VM is paused (at once when its threads are not
 * running); -1 with a one-line reason if it is stopping, already paused, or
 * a vCPU did not park within VM_PAUSE_TIMEOUT_S seconds (it is then left
 * running). */
#define VM_PAUSE_TIMEOUT_S 10
int vm_pause(struct vm *vm, char *why, size_t why_len);
/* Lets a paused VM run on; nothing if it is not paused. */
void vm_resume(struct vm *vm);
bool vm_paused(const struct vm *vm);

void vm_control_init(struct vm *vm);
void vm_control_destroy(struct vm *vm);
/* A thread that parks when asked (a vCPU's, the timer's) is counted from
 * before it is created (begin) until it ends (end), so that a pause never
 * misses one that is starting. */
void vm_control_thread_begin(struct vm *vm);
void vm_control_thread_end(struct vm *vm);
/* Cheap: whether a pause was asked for. */
bool vm_control_pause_requested(const struct vm *vm);
/* Parks the calling thread while a pause is asked for and the VM is not
 * stopping; _locked with the stop lock held (it waits on stop_cond). */
void vm_control_park(struct vm *vm);
void vm_control_park_locked(struct vm *vm);
/* Around handing host input to a device: false (and nothing to end) while
 * the VM is paused, so the input waits. */
bool vm_control_input_begin(struct vm *vm);
void vm_control_input_end(struct vm *vm);

#endif
