#include "migration/migration_recv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the reading is: what came so far, what is allowed next. */
struct recv {
	struct mig_reader *r;
	const struct mig_sink *sink;
	struct snapshot_config *cfg;
	struct mig_recv_stats *st;
	bool built;
	uint64_t pages;	      /* RAM's, once built */
	uint64_t round_pages; /* page records since the last round mark */
	uint8_t *state;	      /* the state stream, once it came */
	size_t state_len;
};

/* The state stream grows as its bytes come, so that a length that lies
 * costs no more memory than the bytes actually sent. */
#define STATE_CHUNK (1u << 20)

static int read_config(struct recv *c)
{
	char reason[256];
	uint32_t len;
	char *text;

	if ((uint8_t)mig_get_le(c->r, 1) != MIG_REC_CONFIG) {
		mig_reader_fail(c->r, "the stream does not begin with the machine's config");
		return -1;
	}
	len = (uint32_t)mig_get_le(c->r, 4);
	if (c->r->failed)
		return -1;
	if (len == 0 || len > MIG_CONFIG_MAX) {
		mig_reader_fail(c->r, "config of %u bytes (1 to %u)", len, MIG_CONFIG_MAX);
		return -1;
	}
	text = malloc(len);
	if (!text) {
		mig_reader_fail(c->r, "out of memory");
		return -1;
	}
	if (mig_get(c->r, text, len) == 0 && snapshot_config_parse(text, len, c->cfg, reason, sizeof(reason)))
		mig_reader_fail(c->r, "config: %s", reason);
	free(text);
	if (c->r->failed)
		return -1;
	if (c->sink->build(c->sink->opaque, c->cfg, &c->pages, reason, sizeof(reason))) {
		mig_reader_fail(c->r, "%s", reason);
		return -1;
	}
	c->built = true;
	return 0;
}

static int read_page(struct recv *c, bool zero)
{
	uint64_t index = mig_get_le(c->r, 8);

	if (c->r->failed)
		return -1;
	if (c->state) {
		mig_reader_fail(c->r, "a page after the state");
		return -1;
	}
	if (index >= c->pages) {
		mig_reader_fail(c->r, "page %llu: RAM has %llu pages", (unsigned long long)index,
				(unsigned long long)c->pages);
		return -1;
	}
	c->st->pages++;
	c->round_pages++;
	if (zero) {
		c->st->zero_pages++;
		memset(c->sink->page(c->sink->opaque, index), 0, MIG_PAGE_SIZE);
		return 0;
	}
	return mig_get(c->r, c->sink->page(c->sink->opaque, index), MIG_PAGE_SIZE);
}

static int read_round(struct recv *c)
{
	uint32_t round = (uint32_t)mig_get_le(c->r, 4);
	uint64_t pages = mig_get_le(c->r, 8);

	if (c->r->failed)
		return -1;
	if (c->state || round != c->st->rounds + 1 || round > MIG_ROUNDS_MAX) {
		mig_reader_fail(c->r, "round %u where round %u was due (at most %u, before the state)", round,
				c->st->rounds + 1, MIG_ROUNDS_MAX);
		return -1;
	}
	if (pages != c->round_pages) {
		mig_reader_fail(c->r, "round %u says %llu pages, %llu came", round, (unsigned long long)pages,
				(unsigned long long)c->round_pages);
		return -1;
	}
	c->st->rounds = round;
	c->round_pages = 0;
	return 0;
}

static int read_state(struct recv *c)
{
	uint32_t len = (uint32_t)mig_get_le(c->r, 4);
	size_t cap = 0;

	if (c->r->failed)
		return -1;
	if (c->state || c->round_pages) {
		mig_reader_fail(c->r, "the state %s", c->state ? "twice" : "before the round mark of its pages");
		return -1;
	}
	if (len == 0 || len > MIG_STATE_MAX) {
		mig_reader_fail(c->r, "state of %u bytes (1 to %u)", len, MIG_STATE_MAX);
		return -1;
	}
	while (c->state_len < len) {
		size_t k = len - c->state_len < STATE_CHUNK ? len - c->state_len : STATE_CHUNK;
		uint8_t *grown = realloc(c->state, cap + k);

		if (!grown) {
			mig_reader_fail(c->r, "out of memory");
			return -1;
		}
		c->state = grown;
		cap += k;
		if (mig_get(c->r, c->state + c->state_len, k))
			return -1;
		c->state_len += k;
	}
	c->st->state_bytes = len;
	return 0;
}

/* The end mark: its counts must be what came. Then the state is loaded. */
static int read_end(struct recv *c)
{
	char reason[512];
	uint32_t rounds = (uint32_t)mig_get_le(c->r, 4);
	uint64_t pages = mig_get_le(c->r, 8);

	if (c->r->failed)
		return -1;
	if (!c->state) {
		mig_reader_fail(c->r, "the end before the state");
		return -1;
	}
	if (rounds != c->st->rounds || pages != c->st->pages) {
		mig_reader_fail(c->r, "the end says %u rounds and %llu pages, %u and %llu came", rounds,
				(unsigned long long)pages, c->st->rounds, (unsigned long long)c->st->pages);
		return -1;
	}
	if (c->sink->load_state(c->sink->opaque, c->state, c->state_len, reason, sizeof(reason))) {
		mig_reader_fail(c->r, "state: %s", reason);
		return -1;
	}
	return 0;
}

/* Records until the end: 0, or -1 (the reader failed). */
static int read_records(struct recv *c)
{
	for (;;) {
		uint8_t type = (uint8_t)mig_get_le(c->r, 1);
		int rc;

		if (c->r->failed)
			return -1;
		switch (type) {
		case MIG_REC_PAGE:
		case MIG_REC_ZERO:
			rc = read_page(c, type == MIG_REC_ZERO);
			break;
		case MIG_REC_ROUND:
			rc = read_round(c);
			break;
		case MIG_REC_STATE:
			rc = read_state(c);
			break;
		case MIG_REC_END:
			return read_end(c);
		default:
			mig_reader_fail(c->r, "record type %u where a page, round, state or end was due", type);
			return -1;
		}
		if (rc)
			return -1;
	}
}

/* A reason quotes the stream (a state section's name): its control bytes
 * become '?', so that it stays one line. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

int migration_receive(struct mig_reader *r, const struct mig_sink *sink, struct snapshot_config *cfg,
		      struct mig_recv_stats *st, char *why, size_t why_len)
{
	struct recv c = { .r = r, .sink = sink, .cfg = cfg, .st = st };
	int rc;

	memset(st, 0, sizeof(*st));
	memset(cfg, 0, sizeof(*cfg));
	rc = mig_get_header(r) || read_config(&c) || read_records(&c) ? -1 : 0;
	free(c.state);
	st->bytes = r->bytes;
	if (rc == 0)
		return 0;
	if (c.built)
		sink->discard(sink->opaque);
	snapshot_config_free(cfg);
	snprintf(why, why_len, "migration stream: %s", r->why);
	one_line(why);
	return -1;
}
