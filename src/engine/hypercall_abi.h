/* The paravirtual hypercall ABI (docs/guest-abi.md, "Hypercalls"), shared by the
 * engines that recognise a hypercall and the VM layer that answers it. */
#ifndef RV_HYPERCALL_ABI_H
#define RV_HYPERCALL_ABI_H

/* A write to this port (one access, any width) is a hypercall: KVM delivers no
 * VMCALL to user space, a port write reaches the VMM under every engine. */
#define HC_PORT 0xe8

enum hypercall_nr {
	HC_ABI_VERSION = 0,
	HC_CONSOLE_WRITE = 1,
	HC_EXIT = 2,
	HC_CLOCK_MONOTONIC = 3,
};

#define HC_VERSION 1
#define HC_CONSOLE_WRITE_MAX 4096

/* Error results, as KVM's include/uapi/linux/kvm_para.h numbers them. */
#define HC_EFAULT 14
#define HC_ENOSYS 1000

#endif
