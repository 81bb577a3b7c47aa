/* ringvisor engines: one line per engine, "NAME available" or
 * "NAME unavailable: REASON". Scripts (the test runner) rely on this format. */
#include <stdio.h>

#include "cli/commands.h"
#include "engine/engine.h"

int cmd_engines(int argc, char **argv)
{
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
	return 0;
}
