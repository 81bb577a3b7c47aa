#include "migration/migration_stream.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/tcp.h"

/* --- a channel over memory ------------------------------------------------ */

static int mem_send(void *opaque, const void *p, size_t n, char *why, size_t why_len)
{
	struct mig_mem_channel *m = opaque;

	if (m->out_len + n > m->out_cap) {
		size_t cap = m->out_cap ? m->out_cap : 4096;
		uint8_t *out;

		while (cap < m->out_len + n)
			cap *= 2;
		out = realloc(m->out, cap);
		if (!out) {
			snprintf(why, why_len, "out of memory");
			return -1;
		}
		m->out = out;
		m->out_cap = cap;
	}
	memcpy(m->out + m->out_len, p, n);
	m->out_len += n;
	return 0;
}

static ssize_t mem_recv(void *opaque, void *p, size_t n, char *why, size_t why_len)
{
	struct mig_mem_channel *m = opaque;
	size_t left = m->in_len - m->in_pos;

	(void)why;
	(void)why_len;
	if (n > left)
		n = left;
	memcpy(p, m->in + m->in_pos, n);
	m->in_pos += n;
	return (ssize_t)n;
}

void mig_mem_channel_init(struct mig_channel *ch, struct mig_mem_channel *m, const void *in, size_t in_len)
{
	memset(m, 0, sizeof(*m));
	m->in = in;
	m->in_len = in_len;
	*ch = (struct mig_channel){ .send = mem_send, .recv = mem_recv, .opaque = m };
}

/* --- a channel over TCP --------------------------------------------------- */

static int tcp_send(void *opaque, const void *p, size_t n, char *why, size_t why_len)
{
	const struct mig_tcp_channel *t = opaque;

	return tcp_send_all(t->fd, p, n, t->timeout_ms, why, why_len);
}

static ssize_t tcp_recv(void *opaque, void *p, size_t n, char *why, size_t why_len)
{
	const struct mig_tcp_channel *t = opaque;

	return tcp_recv_some(t->fd, p, n, t->timeout_ms, why, why_len);
}

void mig_tcp_channel_init(struct mig_channel *ch, struct mig_tcp_channel *t, int fd, int timeout_ms)
{
	*t = (struct mig_tcp_channel){ .fd = fd, .timeout_ms = timeout_ms };
	*ch = (struct mig_channel){ .send = tcp_send, .recv = tcp_recv, .opaque = t };
}

/* --- the writer ----------------------------------------------------------- */

int mig_writer_init(struct mig_writer *w, const struct mig_channel *ch)
{
	memset(w, 0, sizeof(*w));
	w->ch = ch;
	w->buf = malloc(MIG_WRITER_BUF);
	return w->buf ? 0 : -1;
}

void mig_writer_free(struct mig_writer *w)
{
	free(w->buf);
	w->buf = NULL;
}

int mig_flush(struct mig_writer *w)
{
	if (!w->failed && w->len && w->ch->send(w->ch->opaque, w->buf, w->len, w->why, sizeof(w->why)))
		w->failed = true;
	w->len = 0;
	return w->failed ? -1 : 0;
}

void mig_put_bytes(struct mig_writer *w, const void *p, size_t n)
{
	const uint8_t *b = p;

	w->bytes += n;
	while (n && !w->failed) {
		size_t room = MIG_WRITER_BUF - w->len, k = n < room ? n : room;

		memcpy(w->buf + w->len, b, k);
		w->len += k;
		b += k;
		n -= k;
		if (w->len == MIG_WRITER_BUF)
			mig_flush(w);
	}
}

void mig_put_le(struct mig_writer *w, uint64_t v, unsigned bytes)
{
	uint8_t b[8];

	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	mig_put_bytes(w, b, bytes);
}

void mig_put_header(struct mig_writer *w)
{
	mig_put_bytes(w, MIG_MAGIC, MIG_MAGIC_LEN);
	mig_put_le(w, MIG_FORMAT_MAJOR, 2);
	mig_put_le(w, MIG_FORMAT_MINOR, 2);
	mig_put_le(w, MIG_PAGE_SIZE, 4);
}

void mig_put_blob(struct mig_writer *w, enum mig_record t, const void *p, uint32_t n)
{
	mig_put_le(w, (uint8_t)t, 1);
	mig_put_le(w, n, 4);
	mig_put_bytes(w, p, n);
}

void mig_put_page(struct mig_writer *w, uint64_t index, const void *page)
{
	mig_put_le(w, MIG_REC_PAGE, 1);
	mig_put_le(w, index, 8);
	mig_put_bytes(w, page, MIG_PAGE_SIZE);
}

void mig_put_zero(struct mig_writer *w, uint64_t index)
{
	mig_put_le(w, MIG_REC_ZERO, 1);
	mig_put_le(w, index, 8);
}

void mig_put_round(struct mig_writer *w, uint32_t round, uint64_t pages)
{
	mig_put_le(w, MIG_REC_ROUND, 1);
	mig_put_le(w, round, 4);
	mig_put_le(w, pages, 8);
}

void mig_put_end(struct mig_writer *w, uint32_t rounds, uint64_t pages)
{
	mig_put_le(w, MIG_REC_END, 1);
	mig_put_le(w, rounds, 4);
	mig_put_le(w, pages, 8);
}

void mig_put_refused(struct mig_writer *w, const char *reason)
{
	size_t n = strlen(reason);

	if (n > MIG_REASON_MAX)
		n = MIG_REASON_MAX;
	mig_put_le(w, MIG_REPLY_REFUSED, 1);
	mig_put_le(w, (uint16_t)n, 2);
	mig_put_bytes(w, reason, n);
}

/* --- the reader ----------------------------------------------------------- */

void mig_reader_init(struct mig_reader *r, const struct mig_channel *ch)
{
	r->ch = ch;
	r->pos = r->len = 0;
	r->bytes = 0;
	r->failed = false;
	r->why[0] = '\0';
}

void mig_reader_fail(struct mig_reader *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return;
	r->failed = true;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/* More bytes into the empty buffer: 0, or -1 (the reader failed). */
static int fill(struct mig_reader *r)
{
	char reason[200] = "";
	ssize_t n = r->ch->recv(r->ch->opaque, r->buf, sizeof(r->buf), reason, sizeof(reason));

	if (n > 0) {
		r->pos = 0;
		r->len = (size_t)n;
		return 0;
	}
	if (n == 0)
		mig_reader_fail(r, "the stream ended after %llu bytes, in the middle of a record",
				(unsigned long long)r->bytes);
	else
		mig_reader_fail(r, "%s", reason);
	return -1;
}

int mig_get(struct mig_reader *r, void *p, size_t n)
{
	uint8_t *b = p;

	while (n && !r->failed) {
		size_t k = r->len - r->pos;

		if (!k) {
			if (fill(r))
				break;
			continue;
		}
		if (k > n)
			k = n;
		memcpy(b, r->buf + r->pos, k);
		r->pos += k;
		r->bytes += k;
		b += k;
		n -= k;
	}
	if (r->failed) {
		memset(b, 0, n);
		return -1;
	}
	return 0;
}

uint64_t mig_get_le(struct mig_reader *r, unsigned bytes)
{
	uint8_t b[8];
	uint64_t v = 0;

	if (mig_get(r, b, bytes))
		return 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

int mig_get_header(struct mig_reader *r)
{
	char magic[MIG_MAGIC_LEN];
	uint16_t major, minor;
	uint32_t page;

	if (mig_get(r, magic, sizeof(magic)))
		return -1;
	if (memcmp(magic, MIG_MAGIC, MIG_MAGIC_LEN) != 0) {
		mig_reader_fail(r, "not a ringvisor migration stream (wrong magic)");
		return -1;
	}
	major = (uint16_t)mig_get_le(r, 2);
	minor = (uint16_t)mig_get_le(r, 2);
	page = (uint32_t)mig_get_le(r, 4);
	if (r->failed)
		return -1;
	if (major != MIG_FORMAT_MAJOR) {
		mig_reader_fail(r, "migration stream version %u.%u: this ringvisor reads %u.x", major, minor,
				MIG_FORMAT_MAJOR);
		return -1;
	}
	if (page != MIG_PAGE_SIZE) {
		mig_reader_fail(r, "migration stream of %u-byte pages: this ringvisor takes %u", page, MIG_PAGE_SIZE);
		return -1;
	}
	return 0;
}
