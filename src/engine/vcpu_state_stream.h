/* struct vcpu_state in the saved-state format (state/state_stream.h), field by
 * field: the payload of a vCPU's section (docs/snapshot-format.md, "vcpu0").
 * The same bytes whichever engine wrote them, so a state saved under one
 * engine loads under any other. */
#ifndef RV_VCPU_STATE_STREAM_H
#define RV_VCPU_STATE_STREAM_H

#include <stdint.h>

#include "engine/vcpu_state.h"
#include "state/state_stream.h"

#define VCPU_STATE_STREAM_VERSION 1

void vcpu_state_write(struct state_writer *w, const struct vcpu_state *s);
/* Reads a payload of version (1..VCPU_STATE_STREAM_VERSION) into *s, and
 * checks every field the architecture bounds: flags as 0 or 1, descriptor
 * fields within their widths, reserved bits of RFLAGS, CR0, CR4 (the upper
 * half), CR8, EFER, APIC_BASE, DR6, DR7, MXCSR and XCR0 clear, XCR0 within
 * what the CPU models offer, each stored MSR one the model has and a value a
 * guest could write there, the pending event's type. Returns 0, or -1 with
 * r's error set (*s then unspecified). What a particular engine or CPU model
 * refuses beyond that is its set_state's to say. */
int vcpu_state_read(struct state_reader *r, uint32_t version, struct vcpu_state *s);

#endif
