#include "vm/vm_clock.h"

#include "vm/machine.h"

static uint64_t platform_now(struct vm *vm)
{
	return vm->pc.clock.now_ns(vm->pc.clock.opaque);
}

uint64_t vm_clock_hypercall_ns(struct vm *vm)
{
	return platform_now(vm) + __atomic_load_n(&vm->clock_offset_ns, __ATOMIC_RELAXED);
}

static void clock_reset(void *dev)
{
	struct vm *vm = dev;

	vm->clock_offset_ns = 0;
}

static void clock_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	struct vm *vm = dev;
	uint64_t pv = 0;
	bool has_pv =
	    vm->nvcpus > 0 && vm->ops && vm->ops->get_pvclock && vm->ops->get_pvclock(vm->vcpus[0].ev, &pv) == 0;

	state_put_u64(w, now_ns + vm->clock_offset_ns);
	state_put_bool(w, has_pv);
	state_put_u64(w, has_pv ? pv : 0);
}

/* One kvmclock for every vCPU: vCPU 0's, as KVM keeps one per VM. An engine
 * without the slot lets its clock run from its own start. */
static int set_pvclock(struct vm *vm, uint64_t ns)
{
	if (!vm->ops || !vm->ops->set_pvclock)
		return 0;
	for (int i = 0; i < vm->nvcpus; i++)
		if (vm->ops->set_pvclock(vm->vcpus[i].ev, ns))
			return -1;
	return 0;
}

static int clock_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct vm *vm = dev;
	uint64_t hc = state_get_u64(r);
	bool has_pv = state_get_bool(r);
	uint64_t pv = state_get_u64(r);

	(void)version;
	if (!state_reader_ok(r, false) || (!has_pv && pv)) {
		state_reader_fail(r);
		return -1;
	}
	/* Unsigned arithmetic: the offset wraps when the saved clock is behind
	 * this host's, and the sum still gives hc + time since the load. */
	__atomic_store_n(&vm->clock_offset_ns, hc - now_ns, __ATOMIC_RELAXED);
	if (has_pv && set_pvclock(vm, pv)) {
		state_reader_fail(r);
		return -1;
	}
	return 0;
}

const struct device_state_ops vm_clock_state_ops = {
	.version = 1,
	.reset = clock_reset,
	.save = clock_save,
	.load = clock_load,
};
