/* The dbt engine's translation cache: host code in one memfd mapped twice, a
 * writable view and an executable view of the same pages, so that no mapping is
 * ever writable and executable at once (W^X) and translating needs no syscall.
 * Code is allocated upward and the cache is flushed whole when full, as
 * QEMU's tb-size cache is; a flush happens only where no translated code is
 * running (docs/dbt-design.md, section 2). */
#ifndef RV_DBT_CODE_CACHE_H
#define RV_DBT_CODE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --dbt-cache-size, in MiB: rel32 branches reach across the whole cache. */
#define CODE_CACHE_MIN_MIB 1
#define CODE_CACHE_MAX_MIB 1024
#define CODE_CACHE_DEFAULT_MIB 64

struct code_cache {
	uint8_t *rw; /* the writable view */
	uint8_t *rx; /* the executable view of the same pages */
	size_t size;
	size_t used;
	size_t populated; /* bytes from the start whose pages both views map */
	/* Written through rw since the last code_cache_serialize(). */
	bool written;
};

/* A cache of mib MiB; 0, or -1 with a one-line reason. */
int code_cache_init(struct code_cache *cc, unsigned mib, char *why, size_t why_len);
void code_cache_destroy(struct code_cache *cc);

/* Room for len bytes at an address aligned to align (a power of two), in the
 * writable view; NULL when the cache is full (flush it whole with
 * code_cache_reset and translate again). */
uint8_t *code_cache_alloc(struct code_cache *cc, size_t len, size_t align);
/* The allocation at rw, the last one made, needs only len bytes: give the rest back. */
void code_cache_shrink_last(struct code_cache *cc, const uint8_t *rw, size_t len);
/* Forget all code. */
void code_cache_reset(struct code_cache *cc);

/* The executable address of a byte of the writable view. */
static inline const uint8_t *code_cache_rx(const struct code_cache *cc, const uint8_t *rw)
{
	return cc->rx + (rw - cc->rw);
}

/* [rw, rw + len) was written: valgrind forgets its translations of it, and the
 * next entry into the cache serializes. */
void code_cache_wrote(struct code_cache *cc, const uint8_t *rw, size_t len);

/* Before running code written since the last call: code written through another
 * linear address than the one it runs from must be followed by a serializing
 * instruction (Intel SDM Vol. 3, 11.6, "Self-Modifying Code"; 9.1.3 for code one
 * processor writes for another). A no-op when nothing was written. */
void code_cache_serialize(struct code_cache *cc);

#endif
