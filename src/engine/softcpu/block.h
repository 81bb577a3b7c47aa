/* A block: guest code decoded once, ending at the first instruction that can
 * change control flow or the mode but for the Jcc it goes on past, which
 * leave it when taken, and (dbt: a trace) the direct JMP, CALL and predicted
 * RET it follows, which make it lie on up to DECODE_MAX_PAGES pages (block.c
 * builds them; block_cache.c keeps them). interp runs its instructions one
 * by one; dbt also runs it as host code it translated. */
#ifndef RV_SOFTCPU_BLOCK_H
#define RV_SOFTCPU_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/softcpu/block_vcpu.h"
#include "engine/softcpu/insn.h"

/* A guest page a block's code lies on (decoded_page), and the block on that
 * page's list of code (code_page.translations). */
struct block_page {
	uint64_t gpa;	    /* the guest-physical page */
	uint64_t lin_off;   /* its linear page minus the first page's */
	uint64_t code_mask; /* 64-byte chunks of it the block covers */
	struct block *next; /* the page's list */
	/* false: the page is an earlier one's again (a lone crossing
	 * instruction's next linear page mapped to its first page), whose
	 * code_mask holds both and whose list holds the block once */
	bool listed;
};

struct block {
	uint64_t gpa; /* first byte */
	uint8_t mode;
	bool valid;
	/* A lone instruction crossing into the next linear page (pages[1]). */
	bool crosses;
	/* pages[0] holds the first byte; the block holds only while each other
	 * page's linear page (lin_off from the first's) maps where it did
	 * (block_cache.c). They lie after insns[count]. */
	uint8_t npages;
	uint16_t count;
	struct block_page *pages;
	struct block *hash_next;
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

/* The guest-physical address of the byte at linear lin, on one of the pages
 * of block b entered at first_lin. */
static inline uint64_t block_gpa_of(const struct block *b, uint64_t first_lin, uint64_t lin)
{
	uint64_t off = (lin & ~0xfffull) - (first_lin & ~0xfffull);

	for (unsigned k = 0; k < b->npages; k++)
		if (b->pages[k].lin_off == off)
			return b->pages[k].gpa | (lin & 0xfff);
	return b->gpa; /* cannot happen for an instruction of b */
}

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
