/* Private to the kvm engine. */
#ifndef RV_KVM_INTERNAL_H
#define RV_KVM_INTERNAL_H

#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include "engine/engine.h"

struct engine {
	int kvm_fd;
	int vm_fd;
	int run_size;
	bool sync_sregs; /* KVM_CAP_SYNC_REGS offers KVM_SYNC_X86_SREGS */
	struct guest_memory *mem;
	const struct cpu_model *model;
	/* KVM_GET_SUPPORTED_CPUID, read at create: the host model's leaves. */
	struct kvm_cpuid2 *supported;
	/* KVM_CAP_XSAVE and KVM_CAP_XCRS, asked on first use (kvm_xstate.c). */
	bool xstate_probed, has_xsave, has_xcrs;
};

struct engine_vcpu {
	struct engine *kvm;
	int index;
	int fd;
	struct kvm_run *run;
	pthread_t thread; /* the thread inside run(), for kick() */
	volatile sig_atomic_t thread_known;
	enum vm_exit_reason last; /* exit whose completion the next run() applies */
	/* A state with the CPU halted was set (KVM takes no halted MP state
	 * without its own LAPIC): the next run() returns EXIT_HLT without
	 * entering the guest, unless an interrupt was injected or its window
	 * asked for meanwhile. */
	bool resume_halted;
};

int kvm_vcpu_create(struct engine *e, int index, struct engine_vcpu **out);
void kvm_vcpu_destroy(struct engine_vcpu *v);
int kvm_vcpu_run(struct engine_vcpu *v, struct vm_exit *exit);
void kvm_vcpu_kick(struct engine_vcpu *v);
int kvm_interrupt_ready(struct engine_vcpu *v);
int kvm_inject_interrupt(struct engine_vcpu *v, uint8_t vector);
int kvm_inject_nmi(struct engine_vcpu *v);
void kvm_request_interrupt_window(struct engine_vcpu *v, int on);
int kvm_get_state(struct engine_vcpu *v, struct vcpu_state *s);

/* Guest RAM's regions as KVM's memory slots 0 and 1, with these
 * KVM_MEM_* flags (set again to change them). 0, or -1 with why. */
int kvm_map_memory(struct engine *e, uint32_t flags, char *why, size_t why_len);
/* kvm_dirty_log.c: engine_ops' dirty-page logging on KVM's own log. */
int kvm_dirty_log_start(struct engine *e, char *why, size_t why_len);
int kvm_dirty_log_collect(struct engine *e, uint64_t *bitmap, char *why, size_t why_len);
void kvm_dirty_log_stop(struct engine *e);

/* Opens /dev/kvm and checks it has what the engine uses. Returns the fd, or -1
 * with the reason in why. */
int kvm_open(char *why, size_t why_len);

/* kvm_cpuid.c: the CPU model on KVM. */
/* KVM_GET_SUPPORTED_CPUID of the /dev/kvm fd (malloc'd), or NULL with why. */
struct kvm_cpuid2 *kvm_supported_cpuid(int kvm_fd, char *why, size_t why_len);
/* engine_ops.provides_model. */
int kvm_provides_model(const struct cpu_model *model, char *why, size_t why_len);
/* KVM_SET_CPUID2 on the vCPU: its engine's model, with its APIC ID. */
int kvm_vcpu_set_cpuid(struct engine_vcpu *v);
int kvm_set_state(struct engine_vcpu *v, const struct vcpu_state *s);
/* kvm_xstate.c: the YMM upper halves and XCR0 of the state, after the FPU. */
int kvm_xstate_get(struct engine_vcpu *v, struct vcpu_state *s);
int kvm_xstate_set(struct engine_vcpu *v, const struct vcpu_state *s);

#endif
