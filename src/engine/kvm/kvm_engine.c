/* The kvm engine: hardware-assisted virtualization through /dev/kvm. The vCPU runs
 * in KVM_RUN on its own thread; every exit KVM hands to user space is mapped onto
 * struct vm_exit and handled by the VM layer, as QEMU and kvmtool do. Interrupt
 * controllers and timers stay in user space (no KVM_CREATE_IRQCHIP), so that the
 * same device models serve every engine. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "engine/kvm/kvm_internal.h"
#include "vm/memory.h"

/* Three pages for the real-mode TSS that VT-x needs, in the 3-4 GiB hole. */
#define KVM_TSS_ADDR 0xfffbd000

static int kvm_probe(char *why, size_t why_len)
{
	int fd = kvm_open(why, why_len);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* The host CPU's hardware virtualization: VT-x (CPUID.1:ECX bit 5) or AMD-V
 * (CPUID.80000001h:ECX bit 2). */
static bool host_has_hardware_virtualization(void)
{
	unsigned a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (c & (1u << 5))
		return true;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000001u), "c"(0));
	return (c & (1u << 2)) != 0;
}

/* --engine auto chooses kvm only where KVM runs guest kernel code in hardware:
 * /dev/kvm backed by the vendor module (kvm_intel, kvm_amd). The PVM module
 * (kvm_pvm) runs guests without VT-x/AMD-V: user mode natively, kernel mode
 * emulated in the host kernel, slowly, and an unmodified Linux does not boot. */
static int kvm_auto_choice(char *why, size_t why_len)
{
	bool vendor = access("/sys/module/kvm_intel", F_OK) == 0 || access("/sys/module/kvm_amd", F_OK) == 0;

	if (vendor)
		return 0;
	if (access("/sys/module/kvm_pvm", F_OK) == 0) {
		snprintf(why, why_len, "/dev/kvm is the PVM module, which emulates guest kernel code");
		return -1;
	}
	if (!host_has_hardware_virtualization()) {
		snprintf(why, why_len,
			 "the host CPU has no VT-x or AMD-V, so KVM cannot run guest kernels in hardware");
		return -1;
	}
	return 0;
}

static void kvm_destroy(struct engine *e)
{
	free(e->supported);
	if (e->vm_fd >= 0)
		close(e->vm_fd);
	if (e->kvm_fd >= 0)
		close(e->kvm_fd);
	free(e);
}

static void kick_handler(int sig)
{
	(void)sig; /* its only job is to interrupt KVM_RUN */
}

static int kvm_create(const struct engine_env *env, struct engine **out, char *why, size_t why_len)
{
	struct engine *e = calloc(1, sizeof(*e));
	struct sigaction sa;

	if (!e) {
		snprintf(why, why_len, "kvm: out of memory");
		return -1;
	}
	e->vm_fd = -1;
	e->kvm_fd = -1;
	e->mem = env->mem;
	e->model = env->cpu_model;
	if (!e->model) {
		snprintf(why, why_len, "kvm: no CPU model given");
		goto fail;
	}
	e->kvm_fd = kvm_open(why, why_len);
	if (e->kvm_fd < 0)
		goto fail;
	e->supported = kvm_supported_cpuid(e->kvm_fd, why, why_len);
	if (!e->supported)
		goto fail;
	e->run_size = ioctl(e->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	e->sync_sregs = (ioctl(e->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) & KVM_SYNC_X86_SREGS) != 0;
	e->vm_fd = ioctl(e->kvm_fd, KVM_CREATE_VM, 0);
	if (e->vm_fd < 0 || e->run_size < (int)sizeof(struct kvm_run)) {
		snprintf(why, why_len, "kvm: cannot create a VM: %s", strerror(errno));
		goto fail;
	}
	if (ioctl(e->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0) {
		snprintf(why, why_len, "kvm: KVM_SET_TSS_ADDR: %s", strerror(errno));
		goto fail;
	}
	if (kvm_map_memory(e, 0, why, why_len))
		goto fail;
	/* kick() interrupts KVM_RUN with this signal; no SA_RESTART, so the ioctl
	 * returns EINTR. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	*out = e;
	return 0;
fail:
	kvm_destroy(e);
	return -1;
}

/* kvmclock is KVM's, one clock for the VM. */
static int kvm_get_pvclock(struct engine_vcpu *v, uint64_t *ns)
{
	struct kvm_clock_data data = { 0 };

	if (ioctl(v->kvm->vm_fd, KVM_GET_CLOCK, &data))
		return -1;
	*ns = data.clock;
	return 0;
}

static int kvm_set_pvclock(struct engine_vcpu *v, uint64_t ns)
{
	struct kvm_clock_data data = { .clock = ns };

	return ioctl(v->kvm->vm_fd, KVM_SET_CLOCK, &data) ? -1 : 0;
}

const struct engine_ops kvm_engine_ops = {
	.name = "kvm",
	.description = "hardware-assisted virtualization through /dev/kvm (VT-x / AMD-V)",
	.probe = kvm_probe,
	.auto_choice = kvm_auto_choice,
	.provides_model = kvm_provides_model,
	.create = kvm_create,
	.destroy = kvm_destroy,
	.vcpu_create = kvm_vcpu_create,
	.vcpu_destroy = kvm_vcpu_destroy,
	.run = kvm_vcpu_run,
	.get_state = kvm_get_state,
	.set_state = kvm_set_state,
	.kick = kvm_vcpu_kick,
	.interrupt_ready = kvm_interrupt_ready,
	.inject_interrupt = kvm_inject_interrupt,
	.inject_nmi = kvm_inject_nmi,
	.request_interrupt_window = kvm_request_interrupt_window,
	.get_pvclock = kvm_get_pvclock,
	.set_pvclock = kvm_set_pvclock,
	.dirty_log_start = kvm_dirty_log_start,
	.dirty_log_collect = kvm_dirty_log_collect,
	.dirty_log_stop = kvm_dirty_log_stop,
};
