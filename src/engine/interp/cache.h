/* The decode cache: blocks of decoded instructions keyed by the guest-physical
 * address of their first byte and the CPU mode they were decoded in.
 *
 * A block holds at most one page's worth of straight-line code and ends at the
 * first instruction that can change control flow or the mode. Each block registers
 * its 64-byte chunks with the core's code-page tracking (engine/softcpu/
 * code_pages.h); a guest write to such a chunk reaches cache_hooks.code_written,
 * which drops the page's blocks that hold it (self-modifying code), and the running
 * block is left after the writing instruction. Dropped blocks are freed only between blocks, so no
 * pointer into a running block dangles. */
#ifndef RV_INTERP_CACHE_H
#define RV_INTERP_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/interp/block.h"

struct block_cache;

struct block_cache *cache_create(void);
void cache_destroy(struct engine_vcpu *v);
/* The block starting at cpu->rip, decoding it on a miss. May raise a fetch fault. */
const struct block *cache_lookup(struct engine_vcpu *v);
/* Drop every block (state loads, the cache filling up). */
void cache_flush(struct engine_vcpu *v);
/* Free blocks dropped since the last call; only between blocks. */
void cache_reap(struct block_cache *c);
void cache_stats(const struct block_cache *c, uint64_t *hits, uint64_t *misses);
/* The core's hooks (engine/softcpu/cpu.h): code written, translations flushed. */
extern const struct softcpu_hooks cache_hooks;

#endif
