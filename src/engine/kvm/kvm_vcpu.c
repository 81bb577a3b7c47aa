/* A kvm vCPU: CPUID from the guest CPU model (kvm_cpuid.c), KVM_RUN, and the mapping of KVM's
 * exits onto struct vm_exit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/hypercall_abi.h"
#include "engine/kvm/kvm_internal.h"
#include "x86/arch.h"
#include "x86/msr_model.h"

/* The machine-check banks of the model (x86/msr_model.h) instead of KVM's default
 * of 32 banks without MCG_CTL, so that MCG_CAP reads the same on every engine.
 * A KVM that cannot do it keeps its default: the guest still finds working
 * machine-check MSRs. */
static void setup_mce(struct engine_vcpu *v)
{
	uint64_t mcg_cap = CPU_MODEL_MCG_CAP;

	if (ioctl(v->kvm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MCE) > 0)
		(void)ioctl(v->fd, KVM_X86_SETUP_MCE, &mcg_cap);
}

int kvm_vcpu_create(struct engine *e, int index, struct engine_vcpu **out)
{
	struct engine_vcpu *v = calloc(1, sizeof(*v));

	if (!v)
		return -1;
	v->kvm = e;
	v->index = index;
	v->fd = ioctl(e->vm_fd, KVM_CREATE_VCPU, index);
	if (v->fd < 0)
		goto fail;
	v->run = mmap(NULL, (size_t)e->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		goto fail;
	}
	/* After every exit KVM leaves the general registers in run->s.regs, so I/O and
	 * hypercall exits need no KVM_GET_REGS. */
	v->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	if (kvm_vcpu_set_cpuid(v))
		goto fail;
	setup_mce(v);
	*out = v;
	return 0;
fail:
	kvm_vcpu_destroy(v);
	return -1;
}

void kvm_vcpu_destroy(struct engine_vcpu *v)
{
	if (v->run)
		munmap(v->run, (size_t)v->kvm->run_size);
	if (v->fd >= 0)
		close(v->fd);
	free(v);
}

void kvm_vcpu_kick(struct engine_vcpu *v)
{
	/* immediate_exit covers a kick that lands before the thread enters KVM_RUN;
	 * the signal covers one that lands while it is inside. */
	v->run->immediate_exit = 1;
	if (v->thread_known)
		pthread_kill(v->thread, SIGUSR1);
}

int kvm_interrupt_ready(struct engine_vcpu *v)
{
	return v->run->ready_for_interrupt_injection && v->run->if_flag;
}

int kvm_inject_interrupt(struct engine_vcpu *v, uint8_t vector)
{
	struct kvm_interrupt irq = { .irq = vector };

	if (!v->run->ready_for_interrupt_injection)
		return -1;
	v->resume_halted = false;
	return ioctl(v->fd, KVM_INTERRUPT, &irq);
}

int kvm_inject_nmi(struct engine_vcpu *v)
{
	v->resume_halted = false;
	return ioctl(v->fd, KVM_NMI);
}

void kvm_request_interrupt_window(struct engine_vcpu *v, int on)
{
	v->run->request_interrupt_window = (uint8_t)(on != 0);
}

/* Apply what the VMM filled in for the previous exit. */
static void complete_exit(struct engine_vcpu *v, const struct vm_exit *exit)
{
	struct kvm_run *run = v->run;

	switch (v->last) {
	case EXIT_MMIO:
		if (!exit->mmio.is_write)
			memcpy(run->mmio.data, exit->mmio.data, sizeof(run->mmio.data));
		break;
	case EXIT_HYPERCALL:
		run->s.regs.regs.rax = exit->hypercall.result;
		run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		break;
	default:
		break; /* IN data was written straight into the run page */
	}
	v->last = EXIT_NONE;
}

/* A hypercall needs the CPU mode. The first one asks KVM_GET_SREGS and, where
 * the host can, has KVM leave the segment registers in the run page after every
 * later exit: measured on the nested development host, that makes a hypercall
 * round trip 11.7 us instead of 16.4 us and other exits ~0.15 us dearer (8.3 us
 * instead of 8.2), so only guests that make hypercalls pay it. */
static bool in_64bit_mode(struct engine_vcpu *v)
{
	struct kvm_sregs sregs;

	if (v->run->kvm_valid_regs & KVM_SYNC_X86_SREGS)
		return (v->run->s.regs.sregs.efer & EFER_LMA) && v->run->s.regs.sregs.cs.l;
	if (v->kvm->sync_sregs)
		v->run->kvm_valid_regs |= KVM_SYNC_X86_SREGS;
	return ioctl(v->fd, KVM_GET_SREGS, &sregs) == 0 && (sregs.efer & EFER_LMA) && sregs.cs.l;
}

static void map_io(struct engine_vcpu *v, struct vm_exit *exit)
{
	struct kvm_run *run = v->run;
	struct kvm_regs *r = &run->s.regs.regs;

	if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == HC_PORT && run->io.count == 1) {
		/* Outside 64-bit mode only the low halves of the registers are defined. */
		uint64_t mask = in_64bit_mode(v) ? ~0ull : 0xffffffffull;

		exit->reason = EXIT_HYPERCALL;
		exit->hypercall.nr = r->rax & mask;
		exit->hypercall.args[0] = r->rbx & mask;
		exit->hypercall.args[1] = r->rcx & mask;
		exit->hypercall.args[2] = r->rdx & mask;
		exit->hypercall.args[3] = r->rsi & mask;
		exit->hypercall.result = 0;
		return;
	}
	exit->reason = EXIT_IO;
	exit->io.port = run->io.port;
	exit->io.size = run->io.size;
	exit->io.is_write = run->io.direction == KVM_EXIT_IO_OUT;
	exit->io.count = run->io.count;
	exit->io.data = (uint8_t *)run + run->io.data_offset;
}

static void map_exit(struct engine_vcpu *v, struct vm_exit *exit)
{
	struct kvm_run *run = v->run;

	exit->rip = run->s.regs.regs.rip;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		map_io(v, exit);
		break;
	case KVM_EXIT_MMIO:
		exit->reason = EXIT_MMIO;
		exit->mmio.gpa = run->mmio.phys_addr;
		exit->mmio.size = (uint8_t)(run->mmio.len <= 8 ? run->mmio.len : 8);
		exit->mmio.is_write = run->mmio.is_write;
		memcpy(exit->mmio.data, run->mmio.data, sizeof(exit->mmio.data));
		break;
	case KVM_EXIT_HLT:
		exit->reason = EXIT_HLT;
		exit->hlt.interrupts_enabled = run->if_flag;
		break;
	case KVM_EXIT_SHUTDOWN:
		exit->reason = EXIT_SHUTDOWN;
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		exit->reason = EXIT_INTERRUPT_WINDOW;
		break;
	case KVM_EXIT_INTR:
		exit->reason = EXIT_INTERRUPTED;
		break;
	case KVM_EXIT_DEBUG:
		exit->reason = EXIT_DEBUG;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		exit->reason = EXIT_INTERNAL_ERROR;
		exit->internal.what = "KVM_EXIT_INTERNAL_ERROR";
		exit->internal.code = run->internal.suberror;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		exit->reason = EXIT_INTERNAL_ERROR;
		exit->internal.what = "KVM_EXIT_FAIL_ENTRY";
		exit->internal.code = run->fail_entry.hardware_entry_failure_reason;
		break;
	default:
		exit->reason = EXIT_INTERNAL_ERROR;
		exit->internal.what = "unexpected KVM exit reason";
		exit->internal.code = run->exit_reason;
		break;
	}
	v->last = exit->reason;
}

/* The HLT exit of a vCPU whose restored state was halted. */
static int halted_exit(struct engine_vcpu *v, struct vm_exit *exit)
{
	struct kvm_regs regs;

	if (ioctl(v->fd, KVM_GET_REGS, &regs))
		return -1;
	v->resume_halted = false;
	exit->reason = EXIT_HLT;
	exit->rip = regs.rip;
	exit->hlt.interrupts_enabled = (regs.rflags & RFLAGS_IF) != 0;
	v->last = EXIT_HLT;
	return 0;
}

int kvm_vcpu_run(struct engine_vcpu *v, struct vm_exit *exit)
{
	if (!v->thread_known) {
		v->thread = pthread_self();
		v->thread_known = 1;
	}
	if (v->resume_halted && !v->run->request_interrupt_window)
		return halted_exit(v, exit);
	v->resume_halted = false;
	complete_exit(v, exit);
	if (ioctl(v->fd, KVM_RUN, 0) < 0) {
		if (errno != EINTR && errno != EAGAIN)
			return -1;
		/* Kicked: KVM_RUN left without running, or was interrupted. */
		v->run->immediate_exit = 0;
		exit->reason = EXIT_INTERRUPTED;
		exit->rip = 0;
		v->last = EXIT_NONE;
		return 0;
	}
	map_exit(v, exit);
	return 0;
}
