/* A block: straight-line guest code decoded once, at most a page of it, ending at
 * the first instruction that can change control flow or the mode but for up to
 * two Jcc it goes on past, which leave it when taken (block.c builds them;
 * block_cache.c keeps them). interp runs its instructions one by one; dbt
 * also runs it as host code it translated. */
#ifndef RV_SOFTCPU_BLOCK_H
#define RV_SOFTCPU_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/softcpu/block_vcpu.h"
#include "engine/softcpu/insn.h"

struct block {
	uint64_t gpa;	    /* first byte */
	uint64_t gpa_last;  /* page of the last byte: another page only for a lone
			     * page-crossing instruction */
	uint64_t code_mask; /* 64-byte chunks of the first page this block covers */
	uint8_t mode;
	bool valid;
	/* A lone instruction crossing into the next linear page: its last bytes
	 * are at the start of page gpa_last (chunk 0), and the block holds only
	 * while the next linear page still maps there (block_cache.c). */
	bool crosses;
	uint16_t count;
	struct block *hash_next;
	struct block *page_next;  /* the code page's list (code_page.translations) */
	struct block *page2_next; /* crosses: gpa_last's list */
	struct block *dead_next;
	/* The linear address the jump cache and the engine's lookups hold b
	 * for (entered 1), or more than one (entered 2): what dropping b must
	 * make them forget. */
	uint64_t entered_lin;
	uint8_t entered;
	/* dbt: the host code running insns[0..count) in order, NULL until translated,
	 * made for the TLB set host_key at the linear address host_lin. It lives in
	 * the engine's translation cache, which is flushed only together with
	 * every block (block_cache_drop_all). host_other keeps the translations
	 * made before for other sets or addresses (a frame mapped at several
	 * addresses: one library in several processes), which stay in the cache
	 * for the links and lookups that lead to them. */
	const uint8_t *host;
	uint8_t host_key;
	uint64_t host_lin;
	struct block_host {
		const uint8_t *host;
		uint64_t lin;
		uint8_t key;
	} host_other[2];
	struct insn insns[];
};

/* The most instructions a block holds. */
#define BLOCK_MAX_INSNS 64

/* The block an instruction of a decoded block belongs to. */
static inline struct block *block_of_insn(const struct insn *in)
{
	return (struct block *)(void *)((char *)(uintptr_t)(in - in->index) - offsetof(struct block, insns));
}

/* Decode one block at linear address lin, guest-physical gpa: it may raise a fetch fault. */
struct block *decode_block(struct block_vcpu *v, uint64_t lin, uint64_t gpa);
/* The scratch block decode_block() works in (one per vCPU; free() it). */
struct block *decode_scratch_new(void);

#endif
