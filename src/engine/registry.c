#include <stdio.h>
#include <string.h>

#include "engine/engine.h"
#include "x86/cpu_model.h"

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

bool engine_available(const struct engine_ops *e)
{
	char why[256];

	return e->create && e->probe(why, sizeof(why)) == 0;
}

static bool every_available_engine_provides(const struct cpu_model *m)
{
	for (const struct engine_ops *const *e = engines; *e; e++) {
		char why[256];

		if (engine_available(*e) && (*e)->provides_model(m, why, sizeof(why)))
			return false;
	}
	return true;
}

const struct cpu_model *engine_default_model(void)
{
	const struct cpu_model *best = cpu_model_find("baseline");
	size_t n;
	const struct cpu_model *m = cpu_model_list(&n);

	for (size_t i = 0; i < n; i++)
		if (m[i].level > best->level && every_available_engine_provides(&m[i]))
			best = &m[i];
	return best;
}
