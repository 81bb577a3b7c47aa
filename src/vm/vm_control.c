#include "vm/vm_control.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "vm/machine.h"

void vm_control_init(struct vm *vm)
{
	pthread_mutex_init(&vm->pause.input_lock, NULL);
}

void vm_control_destroy(struct vm *vm)
{
	pthread_mutex_destroy(&vm->pause.input_lock);
}

void vm_control_thread_begin(struct vm *vm)
{
	pthread_mutex_lock(&vm->stop_lock);
	vm->pause.threads++;
	pthread_mutex_unlock(&vm->stop_lock);
}

void vm_control_thread_end(struct vm *vm)
{
	pthread_mutex_lock(&vm->stop_lock);
	vm->pause.threads--;
	pthread_cond_broadcast(&vm->stop_cond); /* a pause waiting for it stops waiting */
	pthread_mutex_unlock(&vm->stop_lock);
}

bool vm_control_pause_requested(const struct vm *vm)
{
	return __atomic_load_n(&vm->pause.requested, __ATOMIC_ACQUIRE);
}

void vm_control_park_locked(struct vm *vm)
{
	if (!vm->pause.requested || vm->stopping)
		return;
	vm->pause.parked++;
	pthread_cond_broadcast(&vm->stop_cond);
	while (vm->pause.requested && !vm->stopping)
		pthread_cond_wait(&vm->stop_cond, &vm->stop_lock);
	vm->pause.parked--;
}

void vm_control_park(struct vm *vm)
{
	pthread_mutex_lock(&vm->stop_lock);
	vm_control_park_locked(vm);
	pthread_mutex_unlock(&vm->stop_lock);
}

bool vm_control_input_begin(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause.input_lock);
	if (!vm->pause.input_held)
		return true;
	pthread_mutex_unlock(&vm->pause.input_lock);
	return false;
}

void vm_control_input_end(struct vm *vm)
{
	pthread_mutex_unlock(&vm->pause.input_lock);
}

static void hold_input(struct vm *vm, bool held)
{
	pthread_mutex_lock(&vm->pause.input_lock);
	vm->pause.input_held = held;
	pthread_mutex_unlock(&vm->pause.input_lock);
}

/* Ends the request (stop lock held): parked threads run on. */
static void unrequest_locked(struct vm *vm)
{
	__atomic_store_n(&vm->pause.requested, false, __ATOMIC_RELEASE);
	__atomic_store_n(&vm->pause.paused, false, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&vm->stop_cond);
}

/* Waits (stop lock held) until every counted thread is parked; false if the
 * VM began stopping or the time ran out. */
static bool wait_parked_locked(struct vm *vm, char *why, size_t why_len)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline); /* stop_cond's clock */
	deadline.tv_sec += VM_PAUSE_TIMEOUT_S;
	while (!vm->stopping && vm->pause.parked < vm->pause.threads)
		if (pthread_cond_timedwait(&vm->stop_cond, &vm->stop_lock, &deadline) == ETIMEDOUT)
			break;
	if (vm->stopping) {
		snprintf(why, why_len, "the VM stopped while pausing");
		return false;
	}
	if (vm->pause.parked < vm->pause.threads) {
		snprintf(why, why_len, "the VM's threads did not pause within %d s", VM_PAUSE_TIMEOUT_S);
		return false;
	}
	return true;
}

int vm_pause(struct vm *vm, char *why, size_t why_len)
{
	pthread_mutex_lock(&vm->stop_lock);
	if (vm->stopping || vm->pause.requested) {
		snprintf(why, why_len, vm->stopping ? "the VM is stopping" : "the VM is already paused");
		pthread_mutex_unlock(&vm->stop_lock);
		return -1;
	}
	__atomic_store_n(&vm->pause.requested, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&vm->stop_cond); /* a halted vCPU and the timer thread look */
	pthread_mutex_unlock(&vm->stop_lock);
	/* Not under the stop lock: a device taking input raises its IRQ, which
	 * takes the stop lock under input_lock. */
	hold_input(vm, true);
	for (int i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].ev)
			vm->ops->kick(vm->vcpus[i].ev);
	pthread_mutex_lock(&vm->stop_lock);
	if (!wait_parked_locked(vm, why, why_len)) {
		unrequest_locked(vm);
		pthread_mutex_unlock(&vm->stop_lock);
		hold_input(vm, false);
		return -1;
	}
	pthread_mutex_unlock(&vm->stop_lock);
	/* After the vCPUs: a vCPU resetting a virtio device waits for the I/O
	 * thread's work in progress. */
	event_loop_pause(&vm->io_thread);
	__atomic_store_n(&vm->pause.paused, true, __ATOMIC_RELEASE);
	return 0;
}

void vm_resume(struct vm *vm)
{
	if (!vm_control_pause_requested(vm))
		return;
	event_loop_resume(&vm->io_thread);
	hold_input(vm, false);
	pthread_mutex_lock(&vm->stop_lock);
	unrequest_locked(vm);
	pthread_mutex_unlock(&vm->stop_lock);
}

bool vm_paused(const struct vm *vm)
{
	return __atomic_load_n(&vm->pause.paused, __ATOMIC_ACQUIRE);
}
