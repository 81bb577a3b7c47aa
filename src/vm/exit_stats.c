#include "vm/exit_stats.h"

void exit_stats_add(struct exit_stats *total, const struct exit_stats *part)
{
	for (int i = 0; i < EXIT_REASON_COUNT; i++) {
		total->count[i] += part->count[i];
		total->handle_ns[i] += part->handle_ns[i];
	}
	total->guest_ns += part->guest_ns;
}

void exit_stats_print(FILE *out, const struct exit_stats *s, uint64_t wall_ns)
{
	uint64_t all = 0, all_ns = 0;

	fprintf(out, "%-16s %12s %14s %12s\n", "exit reason", "count", "total ms", "mean us");
	for (int i = 0; i < EXIT_REASON_COUNT; i++) {
		if (!s->count[i])
			continue;
		all += s->count[i];
		all_ns += s->handle_ns[i];
		fprintf(out, "%-16s %12llu %14.3f %12.2f\n", vm_exit_reason_name(i), (unsigned long long)s->count[i],
			s->handle_ns[i] / 1e6, s->handle_ns[i] / 1e3 / s->count[i]);
	}
	fprintf(out, "%-16s %12llu %14.3f %12.2f\n", "all exits", (unsigned long long)all, all_ns / 1e6,
		all ? all_ns / 1e3 / all : 0.0);
	fprintf(out, "%-16s %12s %14.3f\n", "in guest", "", s->guest_ns / 1e6);
	fprintf(out, "%-16s %12s %14.3f\n", "wall time", "", wall_ns / 1e6);
}

static double percent(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

void engine_stats_print(FILE *out, const struct engine_stats *e, uint64_t guest_ns)
{
	if (!e->instructions)
		return;
	fprintf(out, "%-16s %12llu\n", "instructions", (unsigned long long)e->instructions);
	fprintf(out, "%-16s %12.1f\n", "MIPS in guest",
		guest_ns ? (double)e->instructions * 1e3 / (double)guest_ns : 0.0);
	for (unsigned i = 0; i < e->nratios; i++)
		fprintf(out, "%-16s %11.2f%% of %llu %s\n", e->ratio[i].name,
			percent(e->ratio[i].hits, e->ratio[i].total), (unsigned long long)e->ratio[i].total,
			e->ratio[i].of);
}
