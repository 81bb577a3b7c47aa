/* The incoming side of a live migration (src/migration/migration_recv.c)
 * as a hostile source drives it: any bytes as the stream, through the same
 * reader ringvisor run --incoming uses, into a sink of plain memory (RAM of
 * at most 16 MiB here, a state checked by state_open as the VM's load
 * does first). A refused stream must give one line of reason and leave
 * nothing built and no state loaded; an accepted one has been built once
 * and loaded once. Leaks are LeakSanitizer's to find. Seeds:
 * fuzz/seeds/migration_stream.py. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration/migration_recv.h"
#include "state/state_stream.h"

#define FUZZ_RAM_MAX (16ull << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void finding(const char *what)
{
	fprintf(stderr, "FINDING: %s\n", what);
	abort();
}

struct fuzz_sink {
	uint8_t *ram;
	uint64_t pages;
	int builds, discards, loads;
};

static int f_build(void *opaque, const struct snapshot_config *c, uint64_t *pages, char *why, size_t why_len)
{
	struct fuzz_sink *s = opaque;

	if (c->mem_size > FUZZ_RAM_MAX) {
		snprintf(why, why_len, "more RAM than the fuzzer gives");
		return -1;
	}
	s->ram = calloc(c->mem_size / 4096, 4096);
	if (!s->ram) {
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	s->builds++;
	s->pages = c->mem_size / 4096;
	*pages = s->pages;
	return 0;
}

static uint8_t *f_page(void *opaque, uint64_t index)
{
	struct fuzz_sink *s = opaque;

	if (index >= s->pages)
		finding("a page beyond RAM reached the sink");
	return s->ram + index * 4096;
}

static int f_load_state(void *opaque, const void *state, size_t len, char *why, size_t why_len)
{
	struct fuzz_sink *s = opaque;
	struct state_reader r;

	if (!s->ram)
		finding("a state loaded into nothing built");
	if (state_open(&r, state, len, why, why_len))
		return -1;
	s->loads++;
	return 0;
}

static void f_discard(void *opaque)
{
	struct fuzz_sink *s = opaque;

	s->discards++;
	free(s->ram);
	s->ram = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_sink s = { 0 };
	const struct mig_sink sink = {
		.build = f_build, .page = f_page, .load_state = f_load_state, .discard = f_discard, .opaque = &s
	};
	static struct mig_reader r;
	struct mig_mem_channel m;
	struct mig_channel ch;
	struct mig_recv_stats st;
	struct snapshot_config cfg;
	char why[512] = "";

	mig_mem_channel_init(&ch, &m, data, size);
	mig_reader_init(&r, &ch);
	if (migration_receive(&r, &sink, &cfg, &st, why, sizeof(why))) {
		if (!why[0] || strchr(why, '\n'))
			finding("a refusal without its one line");
		if (s.ram || s.builds != s.discards || s.loads)
			finding("a refused stream left something built or loaded");
		if (cfg.kernel || cfg.initrd || cfg.append || cfg.ndisks)
			finding("a refused stream left its config allocated");
		return 0;
	}
	if (s.builds != 1 || s.loads != 1 || s.discards)
		finding("an accepted stream not built and loaded exactly once");
	if (st.pages < st.zero_pages || st.bytes > size)
		finding("counts that do not add up");
	snapshot_config_free(&cfg);
	free(s.ram);
	return 0;
}
