#include <string.h>

#include "engine/engine.h"

void engine_stats_add_ratio(struct engine_stats *st, const char *name, const char *of, uint64_t hits, uint64_t total)
{
	unsigned i = 0;

	while (i < st->nratios && strcmp(st->ratio[i].name, name))
		i++;
	if (i == ENGINE_STATS_RATIOS)
		return;
	if (i == st->nratios)
		st->ratio[st->nratios++] = (struct engine_ratio){ name, of, 0, 0 };
	st->ratio[i].hits += hits;
	st->ratio[i].total += total;
}
