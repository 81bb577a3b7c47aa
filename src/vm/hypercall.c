#include "vm/hypercall.h"

#include "engine/hypercall_abi.h"
#include "vm/machine.h"
#include "vm/stop.h"
#include "vm/vm_clock.h"

static uint64_t console_write(struct vm *vm, uint64_t gpa, uint64_t len)
{
	/* The whole range the guest named must be RAM, even the part beyond one call's
	 * limit: an error should not depend on how much a call happens to write. */
	const uint8_t *p = guest_memory_ptr(&vm->mem, gpa, len);

	if (!p)
		return (uint64_t)-HC_EFAULT;
	if (len > HC_CONSOLE_WRITE_MAX)
		len = HC_CONSOLE_WRITE_MAX;
	chardev_write(&vm->console, p, len);
	return len;
}

uint64_t hypercall_handle(struct vm *vm, uint64_t nr, const uint64_t args[4])
{
	switch (nr) {
	case HC_ABI_VERSION:
		return HC_VERSION;
	case HC_CONSOLE_WRITE:
		return console_write(vm, args[0], args[1]);
	case HC_EXIT:
		vm_request_stop(vm, (int)(args[0] & 0xff));
		return 0;
	case HC_CLOCK_MONOTONIC:
		return vm_clock_hypercall_ns(vm);
	default:
		return (uint64_t)-HC_ENOSYS;
	}
}

/* No handlers: the bus answers reads with all ones and drops writes. */
const struct io_device_ops hypercall_port_ops = { .read = NULL, .write = NULL, .sizes = IO_SIZES_BYTE };
