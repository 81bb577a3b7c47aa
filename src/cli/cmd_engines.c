/* ringvisor engines: what this host can run, for people and for scripts (the
 * test runners rely on this format).
 *
 * One line per engine, in the order --engine auto prefers them:
 *   NAME available
 *   NAME unavailable: REASON
 * then one last line with what --engine auto would choose and why it passed
 * over the engines before it, the same words `run --engine auto` prints:
 *   auto: NAME
 *   auto: NAME (passed over NAME: REASON; NAME: REASON)
 *   auto: none (passed over NAME: REASON; ...)     no engine suits this host
 * The last line starts with "auto:", which no engine is called, so a script
 * that looks for "NAME available" in the second word does not misread it. */
#include <stdio.h>

#include "cli/commands.h"
#include "engine/engine.h"

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
	chosen = engine_auto(skipped, sizeof(skipped));
	printf("auto: %s", chosen ? chosen->name : "none");
	if (skipped[0])
		printf(" (passed over %s)", skipped);
	printf("\n");
	return 0;
}
