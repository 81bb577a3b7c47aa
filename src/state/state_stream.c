#include "state/state_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Layout (docs/snapshot-format.md):
 *   header:  magic (8), major u16, minor u16, reserved u32 (0)
 *   section: name length u8 (1..STATE_NAME_MAX), name, version u32,
 *            payload length u32, payload
 *   end:     a name length of 0, then the CRC-32 (zlib's, ISO-HDLC) u32 of
 *            every byte before it. */
#define HEADER_LEN (STATE_MAGIC_LEN + 2 + 2 + 4)

void state_writer_init(struct state_writer *w)
{
	*w = (struct state_writer){ .buf = NULL };
}

void state_writer_free(struct state_writer *w)
{
	free(w->buf);
	*w = (struct state_writer){ .failed = true };
}

static void put(struct state_writer *w, const void *p, size_t n)
{
	if (w->failed)
		return;
	if (n > w->cap - w->len) {
		size_t cap = w->cap ? w->cap : 4096;
		uint8_t *b;

		while (cap - w->len < n)
			cap *= 2;
		b = realloc(w->buf, cap);
		if (!b) {
			w->failed = true;
			return;
		}
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void put_le(struct state_writer *w, uint64_t v, unsigned bytes)
{
	uint8_t b[8];

	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put(w, b, bytes);
}

void state_put_u8(struct state_writer *w, uint8_t v)
{
	put_le(w, v, 1);
}

void state_put_u16(struct state_writer *w, uint16_t v)
{
	put_le(w, v, 2);
}

void state_put_u32(struct state_writer *w, uint32_t v)
{
	put_le(w, v, 4);
}

void state_put_u64(struct state_writer *w, uint64_t v)
{
	put_le(w, v, 8);
}

void state_put_bool(struct state_writer *w, bool v)
{
	put_le(w, v ? 1 : 0, 1);
}

void state_put_bytes(struct state_writer *w, const void *p, size_t n)
{
	put(w, p, n);
}

void state_writer_fail(struct state_writer *w)
{
	w->failed = true;
}

void state_write_header(struct state_writer *w)
{
	put(w, STATE_MAGIC, STATE_MAGIC_LEN);
	state_put_u16(w, STATE_FORMAT_MAJOR);
	state_put_u16(w, STATE_FORMAT_MINOR);
	state_put_u32(w, 0);
}

void state_section_begin(struct state_writer *w, const char *name, uint32_t version)
{
	size_t n = strlen(name);

	if (w->section_start || n == 0 || n > STATE_NAME_MAX) {
		w->failed = true;
		return;
	}
	state_put_u8(w, (uint8_t)n);
	put(w, name, n);
	state_put_u32(w, version);
	w->section_start = w->len;
	state_put_u32(w, 0); /* the length, filled in by state_section_end */
}

void state_section_end(struct state_writer *w)
{
	size_t payload;

	if (!w->section_start) {
		w->failed = true;
		return;
	}
	payload = w->len - w->section_start - 4;
	if (payload > STATE_SECTION_MAX)
		w->failed = true;
	if (!w->failed)
		for (unsigned i = 0; i < 4; i++)
			w->buf[w->section_start + i] = (uint8_t)(payload >> (8 * i));
	w->section_start = 0;
}

void state_write_end(struct state_writer *w)
{
	if (w->section_start)
		w->failed = true;
	state_put_u8(w, 0);
	if (!w->failed)
		state_put_u32(w, (uint32_t)crc32(0L, w->buf, (uInt)w->len));
}

void state_reader_init(struct state_reader *r, const void *p, size_t len)
{
	*r = (struct state_reader){ .p = p, .left = len };
}

static uint64_t get_le(struct state_reader *r, unsigned bytes)
{
	uint64_t v = 0;

	if (r->error || r->left < bytes) {
		r->error = true;
		return 0;
	}
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += bytes;
	r->left -= bytes;
	return v;
}

uint8_t state_get_u8(struct state_reader *r)
{
	return (uint8_t)get_le(r, 1);
}

uint16_t state_get_u16(struct state_reader *r)
{
	return (uint16_t)get_le(r, 2);
}

uint32_t state_get_u32(struct state_reader *r)
{
	return (uint32_t)get_le(r, 4);
}

uint64_t state_get_u64(struct state_reader *r)
{
	return get_le(r, 8);
}

bool state_get_bool(struct state_reader *r)
{
	uint8_t b = state_get_u8(r);

	if (b > 1)
		r->error = true;
	return b == 1;
}

void state_get_bytes(struct state_reader *r, void *p, size_t n)
{
	if (r->error || r->left < n) {
		r->error = true;
		memset(p, 0, n);
		return;
	}
	memcpy(p, r->p, n);
	r->p += n;
	r->left -= n;
}

void state_reader_fail(struct state_reader *r)
{
	r->error = true;
}

bool state_reader_ok(const struct state_reader *r, bool whole)
{
	return !r->error && (!whole || r->left == 0);
}

int state_open(struct state_reader *r, const void *p, size_t len, char *why, size_t why_len)
{
	struct state_reader h;
	uint16_t major, minor;
	uint32_t stored;

	if (len < HEADER_LEN + 1 + 4 || memcmp(p, STATE_MAGIC, STATE_MAGIC_LEN)) {
		snprintf(why, why_len, "not a Ringvisor state file (no %s header)", "RVSTATE");
		return -1;
	}
	state_reader_init(&h, (const uint8_t *)p + STATE_MAGIC_LEN, len - STATE_MAGIC_LEN);
	major = state_get_u16(&h);
	minor = state_get_u16(&h);
	if (major != STATE_FORMAT_MAJOR) {
		snprintf(why, why_len, "state format %u.%u is not this build's %u.x", major, minor, STATE_FORMAT_MAJOR);
		return -1;
	}
	state_reader_init(&h, (const uint8_t *)p + len - 4, 4);
	stored = state_get_u32(&h);
	if (stored != (uint32_t)crc32(0L, p, (uInt)(len - 4))) {
		snprintf(why, why_len, "the state's checksum does not match: truncated or corrupted");
		return -1;
	}
	state_reader_init(r, (const uint8_t *)p + HEADER_LEN, len - HEADER_LEN - 4);
	return 0;
}

int state_next_section(struct state_reader *r, struct state_section *s, char *why, size_t why_len)
{
	uint8_t n = state_get_u8(r);
	uint32_t len;

	if (r->error) {
		snprintf(why, why_len, "the state ends without its end mark");
		return -1;
	}
	if (n == 0) {
		if (r->left) {
			snprintf(why, why_len, "%zu bytes after the state's end mark", r->left);
			return -1;
		}
		return 0;
	}
	if (n > STATE_NAME_MAX) {
		snprintf(why, why_len, "a section name of %u bytes (at most %d)", n, STATE_NAME_MAX);
		return -1;
	}
	state_get_bytes(r, s->name, n);
	s->name[n] = '\0';
	s->version = state_get_u32(r);
	len = state_get_u32(r);
	if (r->error || len > r->left || len > STATE_SECTION_MAX || memchr(s->name, '\0', n)) {
		snprintf(why, why_len, "section '%.*s' is malformed or runs past the end", (int)n,
			 r->error ? "?" : s->name);
		return -1;
	}
	state_reader_init(&s->payload, r->p, len);
	r->p += len;
	r->left -= len;
	return 1;
}
