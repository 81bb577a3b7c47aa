/* The run loop of one vCPU: run the engine, handle the exit, run again. */
#ifndef RV_VCPU_LOOP_H
#define RV_VCPU_LOOP_H

/* pthread entry point; arg is the struct vcpu. Returns when the VM stops. */
void *vm_vcpu_thread(void *arg);

#endif
