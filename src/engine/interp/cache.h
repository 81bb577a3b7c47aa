/* The decode cache: blocks of decoded instructions keyed by the guest-physical
 * address of their first byte and the CPU mode they were decoded in.
 *
 * A block holds at most one page's worth of straight-line code and ends at the
 * first instruction that can change control flow or the mode. Pages holding
 * decoded code are tracked in 64-byte chunks; a guest write to such a chunk drops
 * the page's blocks (self-modifying code), and the running block is left after
 * the writing instruction. Dropped blocks are freed only between blocks, so no
 * pointer into a running block dangles. */
#ifndef RV_INTERP_CACHE_H
#define RV_INTERP_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/interp/insn.h"

struct block {
	uint64_t gpa;	    /* first byte */
	uint64_t gpa_last;  /* page of the last byte: another page only for a lone
			     * page-crossing instruction, which is never cached */
	uint64_t code_mask; /* 64-byte chunks of the first page this block covers */
	uint8_t mode;
	bool valid;
	uint16_t count;
	struct block *hash_next;
	struct block *page_next;
	struct block *dead_next;
	struct insn insns[];
};

struct block_cache;

struct block_cache *cache_create(uint64_t max_gpa);
void cache_destroy(struct block_cache *c);
/* The block starting at cpu->rip, decoding it on a miss. May raise a fetch fault. */
const struct block *cache_lookup(struct interp_cpu *cpu);
bool cache_page_has_code(const struct block_cache *c, uint64_t gpa_page);
/* A guest wrote [gpa, gpa + size) on a code page: drop the blocks whose code it
 * may have changed. */
void cache_note_write(struct interp_cpu *cpu, uint64_t gpa, unsigned size);
/* Drop every block (CR0/CR4 changes, state loads, the cache filling up). */
void cache_flush(struct interp_cpu *cpu);
/* Linear->physical translations changed (TLB flush): forget the linear-address
 * shortcuts to blocks. */
void cache_forget_translations(struct block_cache *c);
/* Free blocks dropped since the last call; only between blocks. */
void cache_reap(struct block_cache *c);
void cache_stats(const struct block_cache *c, uint64_t *hits, uint64_t *misses);

/* Decode one block at linear address lin, guest-physical gpa (decode.c). */
struct block *decode_block(struct interp_cpu *cpu, uint64_t lin, uint64_t gpa);
/* The scratch block decode_block() works in (one per vCPU; free() it). */
struct block *decode_scratch_new(void);

#endif
