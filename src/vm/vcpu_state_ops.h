/* A vCPU's saved state: its entry in the VM's device registry ("vcpu0", ...),
 * whose dev is the struct vcpu. The state goes through the engine's get_state
 * and set_state, so it is the same struct vcpu_state, in the same bytes
 * (engine/vcpu_state_stream.h), whichever engine runs the VM. */
#ifndef RV_VM_VCPU_STATE_OPS_H
#define RV_VM_VCPU_STATE_OPS_H

#include "state/device_state.h"

/* save fails the writer if the engine cannot give the state; load returns -1
 * if the payload is invalid or the engine refuses it; reset gives the vCPU
 * the architectural state after RESET (vcpu_state_reset). */
extern const struct device_state_ops vcpu_state_ops;

#endif
