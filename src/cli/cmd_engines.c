/* ringvisor engines: what this host can run, for people and for scripts (the
 * test runners rely on this format).
 *
 * One line per engine, in the order --engine auto prefers them:
 *   NAME available
 *   NAME unavailable: REASON
 * then, for each available engine, the CPU models (--cpu) it provides here and
 * why not the others, and the model a VM gets without --cpu:
 *   cpu NAME: MODEL MODEL (not MODEL: REASON; not MODEL: REASON)
 *   cpu default: MODEL
 * then one last line with what --engine auto would choose and why it passed
 * over the engines before it, the same words `run --engine auto` prints:
 *   auto: NAME
 *   auto: NAME (passed over NAME: REASON; NAME: REASON)
 *   auto: none (passed over NAME: REASON; ...)     no engine suits this host
 * The model lines start with "cpu" and the last line with "auto:", which no
 * engine is called, so a script that looks for "NAME available" in the second
 * word does not misread them. */
#include <stdio.h>

#include "cli/commands.h"
#include "engine/engine.h"
#include "x86/cpu_model.h"

static void print_models(const struct engine_ops *e)
{
	size_t n;
	const struct cpu_model *m = cpu_model_list(&n);
	const char *sep = " (";

	printf("cpu %s:", e->name);
	for (size_t i = 0; i < n; i++) {
		char why[256];

		if (e->provides_model(&m[i], why, sizeof(why)) == 0)
			printf(" %s", m[i].name);
	}
	for (size_t i = 0; i < n; i++) {
		char why[256];

		if (e->provides_model(&m[i], why, sizeof(why)) != 0) {
			printf("%snot %s: %s", sep, m[i].name, why);
			sep = "; ";
		}
	}
	printf("%s\n", sep[0] == ';' ? ")" : "");
}

int cmd_engines(int argc, char **argv)
{
	const struct engine_ops *chosen;
	char skipped[1024];

	(void)argv;
	if (argc > 1)
		return config_error("'engines' takes no arguments");
	for (const struct engine_ops *const *e = engine_list(); *e; e++) {
		char why[256];

		if ((*e)->probe(why, sizeof(why)) == 0)
			printf("%s available\n", (*e)->name);
		else
			printf("%s unavailable: %s\n", (*e)->name, why);
	}
	for (const struct engine_ops *const *e = engine_list(); *e; e++)
		if (engine_available(*e))
			print_models(*e);
	printf("cpu default: %s\n", engine_default_model()->name);
	chosen = engine_auto(skipped, sizeof(skipped));
	printf("auto: %s", chosen ? chosen->name : "none");
	if (skipped[0])
		printf(" (passed over %s)", skipped);
	printf("\n");
	return 0;
}
