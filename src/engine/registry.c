#include <string.h>

#include "engine/engine.h"

extern const struct engine_ops kvm_engine_ops;
extern const struct engine_ops interp_engine_ops;
extern const struct engine_ops dbt_engine_ops;

/* Explicit registration; order is the preference of --engine auto. */
static const struct engine_ops *const engines[] = {
	&kvm_engine_ops,
	&dbt_engine_ops,
	&interp_engine_ops,
	NULL,
};

const struct engine_ops *const *engine_list(void)
{
	return engines;
}

const struct engine_ops *engine_find(const char *name)
{
	for (const struct engine_ops *const *e = engines; *e; e++)
		if (strcmp((*e)->name, name) == 0)
			return *e;
	return NULL;
}

const struct engine_ops *engine_auto(void)
{
	char why[256];

	for (const struct engine_ops *const *e = engines; *e; e++)
		if ((*e)->probe(why, sizeof(why)) == 0)
			return *e;
	return NULL;
}
