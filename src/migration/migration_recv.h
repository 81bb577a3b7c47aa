/* The destination's reading of a migration stream (docs/migration.md): the
 * header, the machine's config.json, pages in rounds, the state stream and
 * the end mark, each record checked before anything of it is used — every
 * length against its limit, every page index against RAM, every count
 * against what came — into a struct mig_sink, which builds the machine and
 * holds its RAM. The sink is ringvisor's VM (cli/incoming.c) or a test's
 * buffer, so that the reader runs without a network or a VM.
 *
 * Nothing runs while it reads: the state is loaded only once the whole
 * stream up to a correct end mark has come, and a stream refused at any
 * point has the sink discard what it built. */
#ifndef RV_MIGRATION_RECV_H
#define RV_MIGRATION_RECV_H

#include <stddef.h>
#include <stdint.h>

#include "migration/migration_stream.h"
#include "vm/snapshot_config.h"

struct mig_sink {
	/* Builds the machine c describes (c stays valid until the machine is
	 * gone), with RAM of *pages pages, all zeros: 0, or -1 with a reason. */
	int (*build)(void *opaque, const struct snapshot_config *c, uint64_t *pages, char *why, size_t why_len);
	/* The 4096 bytes of page index (< *pages), to write. */
	uint8_t *(*page)(void *opaque, uint64_t index);
	/* Loads the state stream into the built machine: 0, or -1 with a
	 * reason. */
	int (*load_state)(void *opaque, const void *state, size_t len, char *why, size_t why_len);
	/* Undoes build, after a refusal. */
	void (*discard)(void *opaque);
	void *opaque;
};

struct mig_recv_stats {
	uint64_t bytes;	      /* of the stream */
	uint64_t pages;	      /* page records: data and zero */
	uint64_t zero_pages;  /* of them, zero records */
	uint32_t rounds;      /* round marks */
	uint64_t state_bytes; /* the state stream */
};

/* Reads a whole stream from r into sink. 0: the machine is built and
 * loaded, *cfg is its config (snapshot_config_free after the machine).
 * -1: a one-line reason, nothing left built, *cfg freed. */
int migration_receive(struct mig_reader *r, const struct mig_sink *sink, struct snapshot_config *cfg,
		      struct mig_recv_stats *st, char *why, size_t why_len);

#endif
