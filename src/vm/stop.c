#include "vm/stop.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "vm/machine.h"

void vm_request_stop(struct vm *vm, int status)
{
	uint64_t one = 1;

	pthread_mutex_lock(&vm->stop_lock);
	if (!vm->stopping) {
		vm->stopping = true;
		vm->exit_status = status;
		pthread_cond_broadcast(&vm->stop_cond);
	}
	pthread_mutex_unlock(&vm->stop_lock);
	for (int i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].ev)
			vm->ops->kick(vm->vcpus[i].ev);
	if (write(vm->stop_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("cannot wake the I/O thread: %s", strerror(errno));
}

bool vm_stopping(struct vm *vm)
{
	bool s;

	pthread_mutex_lock(&vm->stop_lock);
	s = vm->stopping;
	pthread_mutex_unlock(&vm->stop_lock);
	return s;
}
