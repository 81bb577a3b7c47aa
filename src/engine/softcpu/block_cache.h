/* The block cache of the software engines: decoded blocks keyed by the
 * guest-physical address of their first byte and the CPU mode they were decoded
 * in, with a jump cache of linear RIPs in front.
 *
 * A block holds at most one page's worth of straight-line code and ends at the
 * first instruction that can change control flow or the mode. Each block registers
 * its 64-byte chunks with the core's code-page tracking (engine/softcpu/
 * code_pages.h); a guest write to such a chunk reaches block_cache_hooks.code_written,
 * which drops the page's blocks that hold it (self-modifying code), and the running
 * block is left after the writing instruction. Dropped blocks are freed only between
 * blocks, so no pointer into a running block dangles; a block's translated host code
 * (dbt) is never freed before a flush of the whole translation cache, which the
 * engine does only between blocks and together with block_cache_drop_all. */
#ifndef RV_SOFTCPU_BLOCK_CACHE_H
#define RV_SOFTCPU_BLOCK_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/softcpu/block.h"

struct block_cache;

struct block_cache *block_cache_create(void);
void block_cache_destroy(struct block_vcpu *v);
/* The block starting at cpu->rip, decoding it on a miss. May raise a fetch fault.
 * A block that cannot be kept (a lone instruction crossing into a page outside
 * RAM) comes back with valid false: run it this once. */
struct block *block_cache_lookup(struct block_vcpu *v);
/* The block at cpu->rip if the jump cache knows it or, in 64-bit code, the
 * blocks already decoded hold it, found through the soft TLB's execute entry
 * for RIP: no decoding, no walk, no fault (a translating engine going from
 * block to block inside its own code). Fills the jump cache. *generation is
 * the counter that RIP -> block holds while it stays, one of the jump cache's
 * two (never 0): for pages that are not global, advanced by every TLB flush;
 * for global pages, by the same but flushes that keep global pages (MOV
 * CR3); both by a dropped block that was entered at more than one address
 * (one entered at a single address is forgotten there alone, and the engine
 * told: block_vcpu.lin_forgotten). After 2^32 - 1 steps one comes back to 1, and
 * block_cache_wraps() counts up: lookups older than that must go. */
struct block *block_cache_find(struct block_vcpu *v, const uint32_t **generation);
/* Drop every block and forget any instruction waiting to resume (state loads). */
void block_cache_flush(struct block_vcpu *v);
/* Drop every block (the cache or the translation cache filling up); between blocks. */
void block_cache_drop_all(struct block_vcpu *v);
/* b goes, as a write to its code would make it go (its translation stays in
 * the engine's cache until the next flush, so code running in it may finish
 * the instruction it is at and leave). */
void block_cache_drop(struct block_vcpu *v, struct block *b);
/* Free blocks dropped since the last call; only between blocks. */
void block_cache_reap(struct block_cache *c);
uint64_t block_cache_wraps(const struct block_cache *c);
void block_cache_stats(const struct block_cache *c, uint64_t *hits, uint64_t *misses);
/* The core's hooks (engine/softcpu/cpu.h): code written, translations flushed. */
extern const struct softcpu_hooks block_cache_hooks;

#endif
