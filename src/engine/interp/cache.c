#include "engine/interp/cache.h"

#include <stdlib.h>
#include <string.h>

#define HASH_BUCKETS (1u << 16)
#define PAGE_BUCKETS (1u << 12)
#define MAX_BLOCKS (1u << 16)

/* A guest-physical page that holds decoded code. */
struct code_page {
	uint64_t gpa_page;
	uint64_t code_mask; /* union of its blocks' 64-byte chunks */
	struct block *blocks;
	struct code_page *next;
};

/* Linear RIP -> block, in front of translation and the hash: valid only while the
 * TLB is, so it is emptied with every TLB flush and every dropped block. */
#define JUMP_CACHE_SIZE 4096

struct jump_entry {
	uint64_t lin;
	const struct block *block;
	uint32_t generation; /* valid while equal to the cache's */
	uint8_t mode;
	uint8_t cpl;
};

struct block_cache {
	struct jump_entry jump[JUMP_CACHE_SIZE];
	uint32_t generation;
	struct block *hash[HASH_BUCKETS];
	struct code_page *pages[PAGE_BUCKETS];
	uint8_t *page_bitmap; /* one bit per guest-physical page: holds code */
	uint64_t bitmap_pages;
	struct block *dead;
	unsigned nblocks;
	uint64_t hits, misses;
};

static unsigned block_hash(uint64_t gpa, uint8_t mode)
{
	return (unsigned)(((gpa >> 2) ^ (gpa >> 18) ^ ((uint64_t)mode << 13)) & (HASH_BUCKETS - 1));
}

static unsigned page_hash(uint64_t gpa_page)
{
	return (unsigned)(((gpa_page >> 12) ^ (gpa_page >> 24)) & (PAGE_BUCKETS - 1));
}

struct block_cache *cache_create(uint64_t max_gpa)
{
	struct block_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->generation = 1;
	c->bitmap_pages = (max_gpa >> 12) + 1;
	/* calloc of a large zeroed area costs pages only where bits get set. */
	c->page_bitmap = calloc(c->bitmap_pages / 8 + 1, 1);
	if (!c->page_bitmap) {
		free(c);
		return NULL;
	}
	return c;
}

static void free_block_list(struct block *b, size_t next_offset)
{
	while (b) {
		struct block *n = *(struct block **)((char *)b + next_offset);

		free(b);
		b = n;
	}
}

void cache_reap(struct block_cache *c)
{
	free_block_list(c->dead, offsetof(struct block, dead_next));
	c->dead = NULL;
}

void cache_forget_translations(struct block_cache *c)
{
	/* O(1): a new generation leaves every entry stale. */
	if (++c->generation == 0) {
		memset(c->jump, 0, sizeof(c->jump));
		c->generation = 1;
	}
}

static void drop_all(struct block_cache *c)
{
	cache_forget_translations(c);
	for (unsigned i = 0; i < HASH_BUCKETS; i++) {
		for (struct block *b = c->hash[i], *n; b; b = n) {
			n = b->hash_next;
			b->valid = false;
			b->dead_next = c->dead;
			c->dead = b;
		}
		c->hash[i] = NULL;
	}
	for (unsigned i = 0; i < PAGE_BUCKETS; i++) {
		for (struct code_page *p = c->pages[i], *n; p; p = n) {
			n = p->next;
			if (p->gpa_page >> 12 < c->bitmap_pages)
				c->page_bitmap[p->gpa_page >> 15] &= (uint8_t) ~(1u << ((p->gpa_page >> 12) & 7));
			free(p);
		}
		c->pages[i] = NULL;
	}
	c->nblocks = 0;
}

void cache_destroy(struct block_cache *c)
{
	if (!c)
		return;
	drop_all(c);
	cache_reap(c);
	free(c->page_bitmap);
	free(c);
}

bool cache_page_has_code(const struct block_cache *c, uint64_t gpa_page)
{
	uint64_t pfn = gpa_page >> 12;

	return pfn < c->bitmap_pages && (c->page_bitmap[pfn >> 3] & (1u << (pfn & 7)));
}

static struct code_page *find_page(struct block_cache *c, uint64_t gpa_page, bool create)
{
	unsigned h = page_hash(gpa_page);

	for (struct code_page *p = c->pages[h]; p; p = p->next)
		if (p->gpa_page == gpa_page)
			return p;
	if (!create)
		return NULL;
	struct code_page *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->gpa_page = gpa_page;
	p->next = c->pages[h];
	c->pages[h] = p;
	if ((gpa_page >> 12) < c->bitmap_pages)
		c->page_bitmap[gpa_page >> 15] |= (uint8_t)(1u << ((gpa_page >> 12) & 7));
	return p;
}

static void unlink_block(struct block_cache *c, struct block *b)
{
	struct block **pp = &c->hash[block_hash(b->gpa, b->mode)];

	while (*pp && *pp != b)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = b->hash_next;
	b->valid = false;
	b->dead_next = c->dead;
	c->dead = b;
	c->nblocks--;
	cache_forget_translations(c);
}

void cache_note_write(struct interp_cpu *cpu, uint64_t gpa, unsigned size)
{
	struct block_cache *c = cpu->cache;
	uint64_t page = gpa & ~0xfffull;
	struct code_page *p = find_page(c, page, false);
	unsigned first = (unsigned)((gpa & 0xfff) >> 6), last = (unsigned)(((gpa & 0xfff) + size - 1) >> 6);
	uint64_t hit = 0;

	if (!p)
		return;
	for (unsigned i = first; i <= last && i < 64; i++)
		hit |= 1ull << i;
	if (!(p->code_mask & hit))
		return; /* data beside code on the same page */
	/* Drop every block of the page whose chunks the write touched; keep the others. */
	p->code_mask = 0;
	for (struct block **bp = &p->blocks; *bp;) {
		struct block *b = *bp;

		if (b->code_mask & hit) {
			*bp = b->page_next;
			if (cpu->resume_block == b)
				cpu->resume_block = NULL;
			unlink_block(c, b);
		} else {
			p->code_mask |= b->code_mask;
			bp = &b->page_next;
		}
	}
	cpu->block_dirty = true;
}

void cache_flush(struct interp_cpu *cpu)
{
	drop_all(cpu->cache);
	cpu->resume_block = NULL;
	cpu->block_dirty = true;
}

static void register_block(struct interp_cpu *cpu, struct block *b)
{
	struct block_cache *c = cpu->cache;
	struct code_page *p = find_page(c, b->gpa & ~0xfffull, true);
	unsigned h = block_hash(b->gpa, b->mode);

	b->hash_next = c->hash[h];
	c->hash[h] = b;
	c->nblocks++;
	if (p) {
		b->page_next = p->blocks;
		p->blocks = b;
		p->code_mask |= b->code_mask;
	}
	tlb_flush_gpa_writes(cpu, b->gpa & ~0xfffull);
}

const struct block *cache_lookup(struct interp_cpu *cpu)
{
	struct block_cache *c = cpu->cache;
	uint64_t lin = cpu->mode == MODE_LONG64 ? cpu->rip : (cpu->seg[SREG_CS].base + cpu->rip) & 0xffffffffull;
	struct jump_entry *j = &c->jump[(lin ^ (lin >> 12)) & (JUMP_CACHE_SIZE - 1)];
	uint64_t gpa;
	struct block *b;

	if (j->generation == c->generation && j->lin == lin && j->mode == cpu->mode && j->cpl == cpu->cpl) {
		c->hits++;
		return j->block;
	}
	/* The instruction pointer must lie within CS (not checked in 64-bit mode). */
	if (cpu->mode != MODE_LONG64 && cpu->rip > cpu->seg[SREG_CS].limit)
		cpu_raise(cpu, EXC_GP, true, 0);
	gpa = mmu_translate(cpu, lin, ACC_EXEC);
	j->generation = 0; /* until a block is found */
	for (b = c->hash[block_hash(gpa, cpu->mode)]; b; b = b->hash_next) {
		if (b->gpa == gpa && b->mode == cpu->mode) {
			c->hits++;
			*j = (struct jump_entry){ lin, b, c->generation, cpu->mode, cpu->cpl };
			return b;
		}
	}
	c->misses++;
	if (c->nblocks >= MAX_BLOCKS)
		drop_all(c);
	b = decode_block(cpu, lin, gpa);
	if (b->gpa_last != (gpa & ~0xfffull)) {
		/* An instruction crossing a page boundary is decoded for this one
		 * execution and not kept: its code lives on two pages. */
		b->valid = false;
		b->dead_next = c->dead;
		c->dead = b;
		return b;
	}
	register_block(cpu, b);
	*j = (struct jump_entry){ lin, b, c->generation, cpu->mode, cpu->cpl };
	return b;
}

void cache_stats(const struct block_cache *c, uint64_t *hits, uint64_t *misses)
{
	*hits = c->hits;
	*misses = c->misses;
}
