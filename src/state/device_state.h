/* What a device gives the VM so that its state can be saved, restored and
 * reset: one object per device kind, registered with each instance in the
 * VM's one table (vm/device_registry.h). The engine-independent device
 * models own all their state, so a VM saved while one engine runs it loads
 * under any other.
 *
 * save and load are called with the VM paused (no vCPU runs, no device
 * thread is inside the device); each takes the device's own lock if it has
 * one. Time: a device's deadlines and counters are saved relative to now_ns,
 * the platform clock at the save, and rebased onto the now_ns given to load,
 * so that the guest's clock neither jumps nor stalls across a restore. */
#ifndef RV_DEVICE_STATE_H
#define RV_DEVICE_STATE_H

#include <stdint.h>

#include "state/state_stream.h"

struct device_state_ops {
	/* The version save writes. A new field bumps it; load reads every
	 * version from 1 up to it, giving fields newer than the payload's
	 * version their defaults. */
	uint32_t version;
	/* The state at power-on (what the device's init leaves). */
	void (*reset)(void *dev);
	void (*save)(void *dev, struct state_writer *w, uint64_t now_ns);
	/* Reads a payload of version (1..ops->version) from r. Every value is
	 * checked (indices, counts, sizes against the device's limits); on any
	 * error the device is left valid but unspecified, and load returns -1
	 * with r's error set. The caller checks that the payload was read whole. */
	int (*load)(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns);
};

#endif
