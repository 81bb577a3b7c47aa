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
};

struct engine_vcpu {
	struct engine *kvm;
	int index;
	int fd;
	struct kvm_run *run;
	pthread_t thread; /* the thread inside run(), for kick() */
	volatile sig_atomic_t thread_known;
	enum vm_exit_reason last; /* exit whose completion the next run() applies */
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
int kvm_set_state(struct engine_vcpu *v, const struct vcpu_state *s);

#endif
