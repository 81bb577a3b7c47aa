/* The byte format of a live migration (docs/migration.md, "The stream"):
 * what the source sends — a header, the machine's config.json, guest RAM
 * page by page in rounds, the state stream vm_state_save writes, an end
 * mark — and what the destination answers (ready or refused), then the
 * source's go. Every number is little-endian and of fixed width, written
 * field by field.
 *
 * Both ends go through a struct mig_channel, a pair of byte functions: a
 * TCP connection (host/tcp.h) in ringvisor, a buffer in the unit tests and
 * the fuzzer. The writer and the reader buffer what they move, so a page is
 * not a system call. The reader is bounded for hostile input: a read that
 * finds the stream ended, broken or silent fails the reader with a
 * one-line reason, and every later read fails too. */
#ifndef RV_MIGRATION_STREAM_H
#define RV_MIGRATION_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MIG_MAGIC "RVMIGRT\n"
#define MIG_MAGIC_LEN 8
/* The destination refuses another major version; a newer minor may add
 * record types the older reader refuses, so it is sent only when used. */
#define MIG_FORMAT_MAJOR 1
#define MIG_FORMAT_MINOR 0
#define MIG_PAGE_SIZE 4096u

/* The source's records: a type byte, then the fields docs/migration.md
 * lists. */
enum mig_record {
	MIG_REC_CONFIG = 1, /* u32 length, config.json's bytes */
	MIG_REC_PAGE = 2,   /* u64 page index, 4096 bytes */
	MIG_REC_ZERO = 3,   /* u64 page index: the page is all zeros */
	MIG_REC_ROUND = 4,  /* u32 round number, u64 page records in it */
	MIG_REC_STATE = 5,  /* u32 length, the state stream (vm_state_save) */
	MIG_REC_END = 6,    /* u32 rounds, u64 page records in the stream */
	MIG_REC_GO = 7,	    /* after the destination's ready: run */
};

/* The destination's answers. */
enum mig_reply {
	MIG_REPLY_READY = 0x81,	  /* everything loaded; waiting for go */
	MIG_REPLY_REFUSED = 0x82, /* u16 length, a one-line reason */
};

/* Limits the destination enforces (the source stays well inside them). */
#define MIG_CONFIG_MAX (1u << 20)  /* config.json, as SNAPSHOT_CONFIG_MAX_BYTES */
#define MIG_STATE_MAX (256u << 20) /* the state stream, as SNAPSHOT_STATE_MAX_BYTES */
#define MIG_ROUNDS_MAX 1000u	   /* rounds of pages before the end */
#define MIG_REASON_MAX 200u	   /* bytes of a refusal's reason */
#define MIG_READ_TIMEOUT_MS 30000  /* no byte for this long: the stream is broken */

/* A byte channel. send: all n bytes, 0, or -1 with a one-line reason.
 * recv: up to n bytes; how many (> 0), 0 at the end of the stream, or -1
 * with a reason. */
struct mig_channel {
	int (*send)(void *opaque, const void *p, size_t n, char *why, size_t why_len);
	ssize_t (*recv)(void *opaque, void *p, size_t n, char *why, size_t why_len);
	void *opaque;
};

/* A channel over memory: recv reads in[0..in_len), send appends to a
 * growable out (free() it). For tests and the fuzzer. */
struct mig_mem_channel {
	const uint8_t *in;
	size_t in_len, in_pos;
	uint8_t *out;
	size_t out_len, out_cap;
};
void mig_mem_channel_init(struct mig_channel *ch, struct mig_mem_channel *m, const void *in, size_t in_len);

/* A channel over a TCP connection (host/tcp.h): each wait for the peer at
 * most timeout_ms. */
struct mig_tcp_channel {
	int fd;
	int timeout_ms;
};
void mig_tcp_channel_init(struct mig_channel *ch, struct mig_tcp_channel *t, int fd, int timeout_ms);

#define MIG_WRITER_BUF (256u << 10)

struct mig_writer {
	const struct mig_channel *ch;
	uint8_t *buf; /* MIG_WRITER_BUF bytes */
	size_t len;
	uint64_t bytes; /* sent or buffered since init */
	bool failed;	/* a send failed: why says so; nothing more is sent */
	char why[256];
};

/* 0, or -1 if out of memory. */
int mig_writer_init(struct mig_writer *w, const struct mig_channel *ch);
void mig_writer_free(struct mig_writer *w);
/* Whatever is buffered, to the channel: 0, or -1 (w->why). */
int mig_flush(struct mig_writer *w);
void mig_put_header(struct mig_writer *w);
/* v's low bytes (1, 2, 4 or 8), little-endian. */
void mig_put_le(struct mig_writer *w, uint64_t v, unsigned bytes);
void mig_put_bytes(struct mig_writer *w, const void *p, size_t n);
/* A record of type t with a u32 length and its bytes (config, state). */
void mig_put_blob(struct mig_writer *w, enum mig_record t, const void *p, uint32_t n);
void mig_put_page(struct mig_writer *w, uint64_t index, const void *page);
void mig_put_zero(struct mig_writer *w, uint64_t index);
void mig_put_round(struct mig_writer *w, uint32_t round, uint64_t pages);
void mig_put_end(struct mig_writer *w, uint32_t rounds, uint64_t pages);
/* The destination's refusal, reason cut to MIG_REASON_MAX bytes. */
void mig_put_refused(struct mig_writer *w, const char *reason);

#define MIG_READER_BUF (64u << 10)

struct mig_reader {
	const struct mig_channel *ch;
	uint8_t buf[MIG_READER_BUF];
	size_t pos, len;
	uint64_t bytes; /* consumed so far */
	bool failed;
	char why[256];
};

void mig_reader_init(struct mig_reader *r, const struct mig_channel *ch);
/* n bytes into p: 0, or -1 with r->why set (at the first failure only). */
int mig_get(struct mig_reader *r, void *p, size_t n);
/* A little-endian number of 1, 2, 4 or 8 bytes (0 once the reader failed). */
uint64_t mig_get_le(struct mig_reader *r, unsigned bytes);
/* Fails the reader with a reason of the caller's (a value refused). */
void mig_reader_fail(struct mig_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reads and checks the header: 0, or -1 (r->why). */
int mig_get_header(struct mig_reader *r);

#endif
