/* Engines of later work: registered so that the command line knows their names,
 * and refusing with a clear reason until they exist. They have no create slot,
 * which is how the front end tells "not built yet" from "cannot run here". */
#include <stdio.h>

#include "engine/engine.h"

static int not_yet_probe(char *why, size_t why_len)
{
	snprintf(why, why_len, "not available yet");
	return -1;
}

const struct engine_ops dbt_engine_ops = {
	.name = "dbt",
	.description = "dynamic binary translation of guest basic blocks",
	.probe = not_yet_probe,
};
