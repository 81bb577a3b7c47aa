/* The VM's one table of device instances whose state is saved, restored and
 * reset (docs/snapshot-format.md): each registers once, where it is created,
 * under a name unique in the VM, with its kind's device_state_ops. The table's
 * order is the order sections are written and devices reset. */
#ifndef RV_VM_DEVICE_REGISTRY_H
#define RV_VM_DEVICE_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "state/device_state.h"
#include "state/state_stream.h"

#define DEVICE_REGISTRY_MAX 64

struct device_registry_entry {
	char name[STATE_NAME_MAX + 1];
	const struct device_state_ops *ops;
	void *dev;
};

struct device_registry {
	struct device_registry_entry entry[DEVICE_REGISTRY_MAX];
	unsigned count;
};

/* Returns 0, or -1 with a reason (a name used twice, too long, a full table:
 * all are Ringvisor's own errors, never the guest's or a file's). */
int device_registry_add(struct device_registry *reg, const char *name, const struct device_state_ops *ops, void *dev,
			char *why, size_t why_len);
void device_registry_reset(struct device_registry *reg);
/* One section per device, in registration order. */
void device_registry_save(const struct device_registry *reg, struct state_writer *w, uint64_t now_ns);
/* Loads every device from the sections after r's position (state_open has
 * checked the stream) up to the end mark. Refused, with a one-line reason: a
 * section naming no registered device, one given twice, one of a version
 * newer than its device's, a payload its device rejects or does not read
 * whole, a device with no section. (The vCPUs are entries too: their ops go
 * through the engine's get_state and set_state.) On failure the devices are
 * valid but unspecified: reset them or end the VM. */
int device_registry_load(struct device_registry *reg, struct state_reader *r, uint64_t now_ns, char *why,
			 size_t why_len);

#endif
