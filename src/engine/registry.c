#include <stdio.h>
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

static int suits_auto(const struct engine_ops *e, char *why, size_t why_len)
{
	if (!e->create) {
		snprintf(why, why_len, "not available yet");
		return -1;
	}
	if (e->probe(why, why_len))
		return -1;
	return e->auto_choice ? e->auto_choice(why, why_len) : 0;
}

const struct engine_ops *engine_auto(char *skipped, size_t skipped_len)
{
	size_t used = 0;

	if (skipped_len)
		skipped[0] = '\0';
	for (const struct engine_ops *const *e = engines; *e; e++) {
		char why[256];
		int n;

		if (suits_auto(*e, why, sizeof(why)) == 0)
			return *e;
		n = snprintf(skipped + used, skipped_len - used, "%s%s: %s", used ? "; " : "", (*e)->name, why);
		if (n > 0 && (size_t)n < skipped_len - used)
			used += (size_t)n;
	}
	return NULL;
}
