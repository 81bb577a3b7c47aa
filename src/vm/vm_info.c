#include "vm/vm_info.h"

#include "host/clock.h"
#include "vm/machine.h"
#include "x86/cpu_model.h"

void vm_info_get(struct vm *vm, struct vm_info *out)
{
	/* Set by vm_run on its own thread while others may already ask. */
	uint64_t start = __atomic_load_n(&vm->start_ns, __ATOMIC_ACQUIRE);

	out->engine = vm->ops->name;
	out->cpu_model = vm->cfg.cpu_model ? vm->cfg.cpu_model->name : "";
	out->vcpus = vm->nvcpus;
	out->mem_bytes = vm->cfg.mem_size;
	out->uptime_ns = start ? monotonic_ns() - start : 0;
	pthread_mutex_lock(&vm->stop_lock);
	out->stopping = vm->stopping;
	out->exit_status = vm->exit_status;
	pthread_mutex_unlock(&vm->stop_lock);
}
