/* The byte format of saved VM state: a header, then one section per device or
 * vCPU (a name, its own version, a length, the payload), then an end mark and
 * a CRC-32 of everything before it. docs/snapshot-format.md describes it.
 *
 * Every number is little-endian and of fixed width, written field by field
 * (never a struct's memory image, whose padding and layout belong to one
 * build). A section's payload is what its owner's save wrote; its version
 * says which fields are there, so that a build reads the sections of older
 * versions (fields added later get their defaults) and refuses newer ones.
 *
 * The reader treats its input as hostile: every read is bounded by what is
 * left, a short read yields 0 and sets the reader's error, and a loader
 * checks that flag once after its reads (state_reader_ok), so a truncated or
 * corrupted payload can never read outside its bytes. */
#ifndef RV_STATE_STREAM_H
#define RV_STATE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATE_MAGIC "RVSTATE\n"
#define STATE_MAGIC_LEN 8
/* A reader refuses another major version; a newer minor only adds sections
 * or section versions, which the section versions themselves guard. */
#define STATE_FORMAT_MAJOR 1
#define STATE_FORMAT_MINOR 0
#define STATE_NAME_MAX 47 /* bytes of a section name, not counting a NUL */
/* No section of a VM's device state comes near this; guest RAM is never in
 * the stream (a snapshot keeps it in its own file). */
#define STATE_SECTION_MAX (64u << 20)

/* A growable buffer that sections are written into. */
struct state_writer {
	uint8_t *buf;
	size_t len, cap;
	size_t section_start; /* offset of the open section's length field, or 0 */
	bool failed;	      /* out of memory, or sections misnested: the result is unusable */
};

void state_writer_init(struct state_writer *w);
void state_writer_free(struct state_writer *w);
/* The header; the first thing written. */
void state_write_header(struct state_writer *w);
/* Opens a section (closed by state_section_end); name is 1..STATE_NAME_MAX
 * bytes. */
void state_section_begin(struct state_writer *w, const char *name, uint32_t version);
void state_section_end(struct state_writer *w);
/* The end mark and the CRC-32; the last thing written. */
void state_write_end(struct state_writer *w);

void state_put_u8(struct state_writer *w, uint8_t v);
void state_put_u16(struct state_writer *w, uint16_t v);
void state_put_u32(struct state_writer *w, uint32_t v);
void state_put_u64(struct state_writer *w, uint64_t v);
void state_put_bool(struct state_writer *w, bool v);
void state_put_bytes(struct state_writer *w, const void *p, size_t n);
/* For savers that cannot get their state (an engine refusing get_state): the
 * result is unusable. */
void state_writer_fail(struct state_writer *w);

/* A bounded view of bytes: a whole stream, or one section's payload. */
struct state_reader {
	const uint8_t *p;
	size_t left;
	bool error; /* a read went past the end, or a loader rejected a value */
};

void state_reader_init(struct state_reader *r, const void *p, size_t len);

uint8_t state_get_u8(struct state_reader *r);
uint16_t state_get_u16(struct state_reader *r);
uint32_t state_get_u32(struct state_reader *r);
uint64_t state_get_u64(struct state_reader *r);
/* 0 or 1; any other byte is an error (and reads as false). */
bool state_get_bool(struct state_reader *r);
void state_get_bytes(struct state_reader *r, void *p, size_t n);
/* For loaders: a value out of its range makes the payload invalid. */
void state_reader_fail(struct state_reader *r);
/* True if no read failed and, when whole is set, every byte was read. */
bool state_reader_ok(const struct state_reader *r, bool whole);

/* One section of a stream, as state_next_section finds it. */
struct state_section {
	char name[STATE_NAME_MAX + 1];
	uint32_t version;
	struct state_reader payload;
};

/* Checks the header (magic, major version) and the CRC-32 of the whole stream,
 * and leaves r at the first section. Returns 0, or -1 with a one-line reason. */
int state_open(struct state_reader *r, const void *p, size_t len, char *why, size_t why_len);
/* The next section: 1, with *s filled; 0 at the end mark; -1 with a reason
 * when the stream is malformed. */
int state_next_section(struct state_reader *r, struct state_section *s, char *why, size_t why_len);

#endif
