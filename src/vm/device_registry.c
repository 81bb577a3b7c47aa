#include "vm/device_registry.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int device_registry_add(struct device_registry *reg, const char *name, const struct device_state_ops *ops, void *dev,
			char *why, size_t why_len)
{
	size_t n = strlen(name);

	if (n == 0 || n > STATE_NAME_MAX || reg->count == DEVICE_REGISTRY_MAX) {
		snprintf(why, why_len, "internal error: cannot register device state '%s'", name);
		return -1;
	}
	for (unsigned i = 0; i < reg->count; i++)
		if (!strcmp(reg->entry[i].name, name)) {
			snprintf(why, why_len, "internal error: device state '%s' registered twice", name);
			return -1;
		}
	memcpy(reg->entry[reg->count].name, name, n + 1);
	reg->entry[reg->count].ops = ops;
	reg->entry[reg->count].dev = dev;
	reg->count++;
	return 0;
}

void device_registry_reset(struct device_registry *reg)
{
	for (unsigned i = 0; i < reg->count; i++)
		reg->entry[i].ops->reset(reg->entry[i].dev);
}

void device_registry_save(const struct device_registry *reg, struct state_writer *w, uint64_t now_ns)
{
	for (unsigned i = 0; i < reg->count; i++) {
		const struct device_registry_entry *e = &reg->entry[i];

		state_section_begin(w, e->name, e->ops->version);
		e->ops->save(e->dev, w, now_ns);
		state_section_end(w);
	}
}

static struct device_registry_entry *find(struct device_registry *reg, const char *name)
{
	for (unsigned i = 0; i < reg->count; i++)
		if (!strcmp(reg->entry[i].name, name))
			return &reg->entry[i];
	return NULL;
}

int device_registry_load(struct device_registry *reg, struct state_reader *r, uint64_t now_ns, char *why,
			 size_t why_len)
{
	bool seen[DEVICE_REGISTRY_MAX] = { false };
	struct state_section s;
	int more;

	while ((more = state_next_section(r, &s, why, why_len)) == 1) {
		struct device_registry_entry *e = find(reg, s.name);
		unsigned i;

		if (!e) {
			snprintf(why, why_len, "the state has a device this VM lacks: '%s'", s.name);
			return -1;
		}
		i = (unsigned)(e - reg->entry);
		if (seen[i]) {
			snprintf(why, why_len, "the state gives device '%s' twice", s.name);
			return -1;
		}
		seen[i] = true;
		if (s.version == 0 || s.version > e->ops->version) {
			snprintf(why, why_len, "device '%s' is saved at version %u; this build reads 1 to %u", s.name,
				 s.version, e->ops->version);
			return -1;
		}
		if (e->ops->load(e->dev, &s.payload, s.version, now_ns) || !state_reader_ok(&s.payload, true)) {
			snprintf(why, why_len, "device '%s': its saved state is invalid", s.name);
			return -1;
		}
	}
	if (more < 0)
		return -1;
	for (unsigned i = 0; i < reg->count; i++)
		if (!seen[i]) {
			snprintf(why, why_len, "the state lacks device '%s'", reg->entry[i].name);
			return -1;
		}
	return 0;
}
