#include "migration/migration_send.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/clock.h"
#include "host/tcp.h"
#include "migration/migration_stream.h"
#include "vm/dirty_log.h"
#include "vm/machine.h"
#include "vm/snapshot.h"
#include "vm/snapshot_config.h"
#include "vm/stop.h"
#include "vm/virtio_setup.h"
#include "vm/vm_control.h"

struct source {
	struct vm *vm;
	int fd;
	struct mig_tcp_channel t;
	struct mig_channel ch;
	struct mig_writer w;
	uint64_t *bitmap; /* pages to send (vm/dirty_log.h's layout) */
	uint64_t pages;
	uint32_t rounds;
	uint64_t page_records;
	uint64_t last_round_pages;
	uint64_t copy_ns; /* spent sending rounds while the VM ran */
	uint64_t copy_bytes;
	bool logging, paused;
	uint64_t start_ns, paused_ns;
};

static bool bit(const uint64_t *b, uint64_t n)
{
	return b[n / 64] >> (n % 64) & 1;
}

static uint64_t count_bits(const uint64_t *b, uint64_t pages)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < (pages + 63) / 64; i++)
		n += (uint64_t)__builtin_popcountll(b[i]);
	return n;
}

/* The pages of [off, end) marked in the bitmap. The first round skips
 * pages of zeros (the destination's RAM is all zeros); later ones send a
 * zero record, since the page was sent with data before. */
static void send_range(struct source *s, uint64_t off, uint64_t end, bool first, uint64_t *sent)
{
	const uint8_t *base = s->vm->mem.base;

	for (; off < end && !s->w.failed; off += MIG_PAGE_SIZE) {
		uint64_t n = off / MIG_PAGE_SIZE;

		if (!bit(s->bitmap, n))
			continue;
		if (!guest_page_is_zero(base + off))
			mig_put_page(&s->w, n, base + off);
		else if (!first)
			mig_put_zero(&s->w, n);
		else
			continue;
		(*sent)++;
	}
}

/* One round: the marked pages that hold data (a hole of the memfd has been
 * zeros all along and the destination's page is too), the round mark, the
 * bitmap cleared. 0, or -1 (s->w.why). */
static int send_round(struct source *s, bool first)
{
	uint64_t off = 0, start, end, sent = 0;

	while (!s->w.failed && guest_memory_next_data(&s->vm->mem, off, &start, &end)) {
		send_range(s, start, end, first, &sent);
		off = end;
	}
	s->rounds++;
	s->page_records += sent;
	s->last_round_pages = sent;
	mig_put_round(&s->w, s->rounds, sent);
	memset(s->bitmap, 0, (s->pages + 63) / 64 * 8);
	return mig_flush(&s->w);
}

/* The destination's answer to the end mark: 0 on ready, else -1 with a
 * reason (its refusal's, when it sent one). */
static int read_answer(struct source *s, int timeout_ms, char *why, size_t why_len)
{
	struct mig_reader *r = malloc(sizeof(*r));
	char reason[MIG_REASON_MAX + 1] = "";
	uint8_t type;
	uint16_t len;
	int rc = -1;

	if (!r) {
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	s->t.timeout_ms = timeout_ms;
	mig_reader_init(r, &s->ch);
	type = (uint8_t)mig_get_le(r, 1);
	if (r->failed) {
		snprintf(why, why_len, "no answer from the destination: %s", r->why);
	} else if (type == MIG_REPLY_READY) {
		rc = 0;
	} else if (type == MIG_REPLY_REFUSED && (len = (uint16_t)mig_get_le(r, 2)) <= MIG_REASON_MAX &&
		   !mig_get(r, reason, len)) {
		for (char *c = reason; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
				*c = '?';
		snprintf(why, why_len, "the destination refused: %s", reason);
	} else {
		snprintf(why, why_len, "the destination answered with something else (%u)", type);
	}
	free(r);
	return rc;
}

/* A send failed: the destination may have said why before it went. */
static int send_failed(struct source *s, const char *what, char *why, size_t why_len)
{
	char reason[400];

	if (read_answer(s, 100, reason, sizeof(reason)) && strncmp(reason, "the destination refused", 23) == 0)
		snprintf(why, why_len, "%s", reason);
	else
		snprintf(why, why_len, "%s: %s", what, s->w.why);
	return -1;
}

/* Rounds while the VM runs, until what is left would fit the downtime
 * target at the bandwidth seen so far, or rounds stop paying off. The
 * bitmap then holds the pages dirtied since the last round. */
static int precopy(struct source *s, char *why, size_t why_len)
{
	uint64_t remaining = s->pages, previous;

	memset(s->bitmap, 0xff, (s->pages + 63) / 64 * 8);
	for (;;) {
		uint64_t t0 = monotonic_ns(), b0 = s->w.bytes;
		double bytes_per_ns;

		if (send_round(s, s->rounds == 0))
			return send_failed(s, "pre-copy", why, why_len);
		s->copy_ns += monotonic_ns() - t0;
		s->copy_bytes += s->w.bytes - b0;
		if (vm_dirty_log_collect(s->vm, s->bitmap, why, why_len))
			return -1;
		previous = remaining;
		remaining = count_bits(s->bitmap, s->pages);
		bytes_per_ns = s->copy_ns ? (double)s->copy_bytes / (double)s->copy_ns : 1.0;
		if ((double)(remaining * MIG_PAGE_SIZE) / bytes_per_ns <= MIG_DOWNTIME_TARGET_MS * 1e6 ||
		    s->rounds >= MIG_MAX_ROUNDS || remaining >= previous)
			return 0;
	}
}

/* Stop and copy: the VM paused, the last pages, the state, the end. */
static int stop_and_copy(struct source *s, char *why, size_t why_len)
{
	struct state_writer st;
	int rc;

	if (vm_pause(s->vm, why, why_len))
		return -1;
	s->paused = true;
	s->paused_ns = monotonic_ns();
	if (vm_dirty_log_collect(s->vm, s->bitmap, why, why_len))
		return -1;
	if (send_round(s, false))
		return send_failed(s, "the last round", why, why_len);
	state_writer_init(&st);
	rc = vm_state_save(s->vm, &st, why, why_len);
	if (rc == 0 && st.len > MIG_STATE_MAX) {
		snprintf(why, why_len, "a state of %zu bytes: more than a destination takes", st.len);
		rc = -1;
	}
	if (rc == 0) {
		mig_put_blob(&s->w, MIG_REC_STATE, st.buf, (uint32_t)st.len);
		mig_put_end(&s->w, s->rounds, s->page_records);
		if (mig_flush(&s->w))
			rc = send_failed(s, "the state", why, why_len);
	}
	state_writer_free(&st);
	return rc;
}

static int begin(struct source *s, const char *uri, char *why, size_t why_len)
{
	char host[TCP_HOST_MAX + 1], *config;
	uint16_t port;

	if (tcp_uri_parse(uri, host, &port, why, why_len))
		return -1;
	if (vm_paused(s->vm) || vm_stopping(s->vm)) {
		snprintf(why, why_len, "the VM is %s", vm_stopping(s->vm) ? "stopping" : "paused: resume it first");
		return -1;
	}
	s->bitmap = calloc((s->pages + 63) / 64, 8);
	if (!s->bitmap || mig_writer_init(&s->w, &s->ch)) {
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	s->fd = tcp_connect(host, port, MIG_CONNECT_TIMEOUT_MS, why, why_len);
	if (s->fd < 0)
		return -1;
	mig_tcp_channel_init(&s->ch, &s->t, s->fd, MIG_SEND_TIMEOUT_MS);
	if (vm_dirty_log_start(s->vm, why, why_len))
		return -1;
	s->logging = true;
	config = snapshot_config_json(&s->vm->cfg, why, why_len);
	if (!config)
		return -1;
	mig_put_header(&s->w);
	mig_put_blob(&s->w, MIG_REC_CONFIG, config, (uint32_t)strlen(config));
	free(config);
	return 0;
}

static void print_stats(const struct source *s, uint64_t go_ns)
{
	fprintf(stderr,
		"migrate             %u rounds, %.1f MiB in %.1f ms; paused %.1f ms to the go (%llu pages in the "
		"last round)\n",
		s->rounds, (double)s->w.bytes / (1 << 20), (double)(go_ns - s->start_ns) / 1e6,
		(double)(go_ns - s->paused_ns) / 1e6, (unsigned long long)s->last_round_pages);
}

/* The destination is ready: from here this VM never runs again, whether the
 * go arrives or not (at most one of the two runs the guest). */
static int commit(struct source *s, char *why, size_t why_len)
{
	vm_request_stop(s->vm, STATUS_OK);
	/* Paused, and never to run again: the destination may take the disk
	 * images as soon as it has the go. */
	vm_disks_unlock(s->vm);
	mig_put_le(&s->w, MIG_REC_GO, 1);
	if (mig_flush(&s->w)) {
		snprintf(why, why_len, "the go was not sent (%s): this VM stops, the destination runs nothing",
			 s->w.why);
		return -1;
	}
	if (s->vm->cfg.stats)
		print_stats(s, monotonic_ns());
	return 0;
}

int vm_migrate(struct vm *vm, const char *uri, char *why, size_t why_len)
{
	struct source *s = calloc(1, sizeof(*s));
	int rc;

	if (!s) {
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	s->vm = vm;
	s->fd = -1;
	s->pages = vm_dirty_log_pages(vm);
	s->start_ns = monotonic_ns();
	rc = begin(s, uri, why, why_len) || precopy(s, why, why_len) || stop_and_copy(s, why, why_len) ? -1 : 0;
	if (rc == 0)
		rc = read_answer(s, MIG_READY_TIMEOUT_MS, why, why_len);
	if (rc == 0)
		rc = commit(s, why, why_len);
	else if (s->paused)
		vm_resume(vm);
	if (s->logging)
		vm_dirty_log_stop(vm);
	if (s->fd >= 0)
		close(s->fd);
	mig_writer_free(&s->w);
	free(s->bitmap);
	free(s);
	return rc;
}
