/* Code-page tracking: which guest-physical pages hold code that an engine has
 * decoded or translated, in 64-byte chunks, so that a guest write to such code
 * (self-modifying code, a loader reusing memory) reaches the engine.
 *
 * Invariants: a page with registered code never has a write entry in the soft
 * TLB (the engine calls tlb_flush_gpa_writes after code_pages_get), so every
 * write to it takes mem_write_slow, which calls cpu_code_written (cpu.h); a
 * write that touches a chunk in the page's code_mask (code_pages_hit) sets
 * leave_block and calls the engine's code_written hook. Writes beside the code on the same page cost the slow
 * path and nothing more. This module knows no CPU: cpu_code_written (cpu.h) is
 * what reports a hit. */
#ifndef RV_SOFTCPU_CODE_PAGES_H
#define RV_SOFTCPU_CODE_PAGES_H

#include <stdbool.h>
#include <stdint.h>

/* One guest-physical page holding registered code. */
struct code_page {
	uint64_t gpa_page;
	uint64_t code_mask; /* 64-byte chunks the engine holds code from */
	void *translations; /* the engine's own list of what it made of the page */
	struct code_page *next;
};

#define CODE_PAGE_BUCKETS (1u << 12)

struct code_pages {
	struct code_page *bucket[CODE_PAGE_BUCKETS];
	uint8_t *bitmap; /* one bit per guest-physical page: holds code */
	uint64_t bitmap_pages;
};

/* Room for pages below max_gpa; 0, or -1 when out of memory. */
int code_pages_init(struct code_pages *cp, uint64_t max_gpa);
void code_pages_fini(struct code_pages *cp);

static inline bool code_pages_has_code(const struct code_pages *cp, uint64_t gpa_page)
{
	uint64_t pfn = gpa_page >> 12;

	return pfn < cp->bitmap_pages && (cp->bitmap[pfn >> 3] & (1u << (pfn & 7)));
}

/* The page's record, created when create is set (NULL if absent, or out of memory). */
struct code_page *code_pages_get(struct code_pages *cp, uint64_t gpa_page, bool create);
/* Forget every page (the engine dropped all its code). */
void code_pages_clear(struct code_pages *cp);
/* A write to [gpa, gpa + size): the page record if it touches registered chunks,
 * with those chunks in *hit (bit n: bytes 64n..64n+63); NULL if it touches none. */
struct code_page *code_pages_hit(struct code_pages *cp, uint64_t gpa, unsigned size, uint64_t *hit);

#endif
