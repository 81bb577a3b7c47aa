#include "engine/softcpu/block_cache.h"

#include <stdlib.h>
#include <string.h>

#include "engine/softcpu/decode.h"
#include "engine/softcpu/mem.h"
#include "vm/memory.h"

#define HASH_BUCKETS (1u << 16)
#define MAX_BLOCKS (1u << 16)

/* Linear RIP -> block, in front of translation and the hash: valid only while the
 * TLB is, so it is emptied with every TLB flush and every dropped block. */
#define JUMP_CACHE_SIZE 4096

struct jump_entry {
	uint64_t lin;
	struct block *block;
	uint32_t generation; /* valid while equal to the cache's (global_generation for a global page) */
	uint8_t mode;
	uint8_t cpl;
	bool global; /* lin's page was global in the soft TLB */
};

struct block_cache {
	struct jump_entry jump[JUMP_CACHE_SIZE];
	uint32_t generation;
	/* Not advanced by flushes that keep global pages (MOV CR3): the
	 * kernel's code stays reachable across context switches. */
	uint32_t global_generation;
	uint64_t wraps; /* times either went round to 1 */
	struct block *hash[HASH_BUCKETS];
	struct block *dead;
	unsigned nblocks;
	uint64_t hits, misses;
};

static unsigned block_hash(uint64_t gpa, uint8_t mode)
{
	return (unsigned)(((gpa >> 2) ^ (gpa >> 18) ^ ((uint64_t)mode << 13)) & (HASH_BUCKETS - 1));
}

struct block_cache *block_cache_create(void)
{
	struct block_cache *c = calloc(1, sizeof(*c));

	if (c)
		c->generation = c->global_generation = 1;
	return c;
}

void block_cache_reap(struct block_cache *c)
{
	for (struct block *b = c->dead, *n; b; b = n) {
		n = b->dead_next;
		free(b);
	}
	c->dead = NULL;
}

static void forget_translations(struct block_vcpu *v, bool keep_global)
{
	struct block_cache *c = v->cache;

	if (v->lookups_forgotten)
		v->lookups_forgotten(v);
	/* O(1): a new generation leaves every entry stale. */
	++c->generation;
	if (!keep_global)
		++c->global_generation;
	if (c->generation == 0 || c->global_generation == 0) {
		memset(c->jump, 0, sizeof(c->jump));
		c->generation = c->global_generation = 1;
		c->wraps++;
	}
}

static struct jump_entry *jump_entry_of(struct block_cache *c, uint64_t lin)
{
	return &c->jump[(lin ^ (lin >> 12)) & (JUMP_CACHE_SIZE - 1)];
}

/* b is dropped: what linked to it, or looks it up, must not any more. Links
 * come only from blocks of its first page: the engine unlinks that page's
 * (page_dropped). Lookups: the jump cache's entry and the engine's
 * (lin_forgotten) for the one address b was entered at, or every entry when
 * it was entered at more than one. */
static void forget_block(struct block_vcpu *v, struct block *b)
{
	struct block_cache *c = v->cache;

	if (v->page_dropped)
		v->page_dropped(v, b->gpa & ~0xfffull);
	if (b->entered > 1) {
		forget_translations(v, false);
	} else if (b->entered) {
		struct jump_entry *j = jump_entry_of(c, b->entered_lin);

		if (j->block == b)
			j->generation = 0;
		if (v->lin_forgotten)
			v->lin_forgotten(v, b->entered_lin);
	}
}

uint64_t block_cache_wraps(const struct block_cache *c)
{
	return c->wraps;
}

void block_cache_drop_all(struct block_vcpu *v)
{
	struct block_cache *c = v->cache;

	forget_translations(v, false);
	for (unsigned i = 0; i < HASH_BUCKETS; i++) {
		for (struct block *b = c->hash[i], *n; b; b = n) {
			n = b->hash_next;
			b->valid = false;
			b->dead_next = c->dead;
			c->dead = b;
		}
		c->hash[i] = NULL;
	}
	code_pages_clear(&v->cpu.code);
	c->nblocks = 0;
}

void block_cache_destroy(struct block_vcpu *v)
{
	if (!v->cache)
		return;
	block_cache_drop_all(v);
	block_cache_reap(v->cache);
	free(v->cache);
	v->cache = NULL;
}

static void unlink_block(struct block_vcpu *v, struct block *b)
{
	struct block_cache *c = v->cache;
	struct block **pp = &c->hash[block_hash(b->gpa, b->mode)];

	while (*pp && *pp != b)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = b->hash_next;
	b->valid = false;
	b->dead_next = c->dead;
	c->dead = b;
	c->nblocks--;
	forget_block(v, b);
}

/* The page of b whose list gpa_page's is: the listed one with that gpa. */
static struct block_page *page_of(struct block *b, uint64_t gpa_page)
{
	for (unsigned k = 0; k < b->npages; k++)
		if (b->pages[k].listed && b->pages[k].gpa == gpa_page)
			return &b->pages[k];
	return &b->pages[0]; /* cannot happen: b is on gpa_page's list */
}

static struct block **page_link(struct block *b, uint64_t gpa_page)
{
	return &page_of(b, gpa_page)->next;
}

/* b off the list of page gpa_page (its chunks stay in the page's code_mask
 * until the next write there recomputes it: a spurious hit at worst). */
static void unlist(struct block_vcpu *v, struct block *b, uint64_t gpa_page)
{
	struct code_page *p = code_pages_get(&v->cpu.code, gpa_page, false);

	if (!p)
		return;
	for (struct block **bp = (struct block **)&p->translations; *bp; bp = page_link(*bp, gpa_page))
		if (*bp == b) {
			*bp = *page_link(b, gpa_page);
			return;
		}
}

/* b goes: off the code lists of its pages but listed_off (whose list the
 * caller took it from; ~0 for none), out of the hash, forgotten. */
static void drop_block(struct block_vcpu *v, struct block *b, uint64_t listed_off)
{
	for (unsigned k = 0; k < b->npages; k++)
		if (b->pages[k].listed && b->pages[k].gpa != listed_off)
			unlist(v, b, b->pages[k].gpa);
	if (v->resume_block == b)
		v->resume_block = NULL;
	unlink_block(v, b);
}

void block_cache_drop(struct block_vcpu *v, struct block *b)
{
	if (b->valid)
		drop_block(v, b, ~0ull);
}

/* The core's code_written hook: drop every block of the page whose chunks the
 * write touched; keep the others. */
static void code_written(struct soft_cpu *cpu, struct code_page *p, uint64_t hit)
{
	struct block_vcpu *v = block_vcpu_of(cpu);

	p->code_mask = 0;
	for (struct block **bp = (struct block **)&p->translations; *bp;) {
		struct block *b = *bp;
		struct block_page *mine = page_of(b, p->gpa_page);

		if (mine->code_mask & hit) {
			*bp = mine->next;
			drop_block(v, b, p->gpa_page);
		} else {
			p->code_mask |= mine->code_mask;
			bp = &mine->next;
		}
	}
}

static void translations_flushed(struct soft_cpu *cpu, bool keep_global)
{
	struct block_vcpu *v = block_vcpu_of(cpu);

	if (v->cache)
		forget_translations(v, keep_global);
}

const struct softcpu_hooks block_cache_hooks = {
	.code_written = code_written,
	.translations_flushed = translations_flushed,
};

void block_cache_flush(struct block_vcpu *v)
{
	block_cache_drop_all(v);
	v->resume_block = NULL;
	v->cpu.leave_block = true;
}

/* Keeps b; false if one of its pages cannot be tracked (out of memory): a
 * block whose code writes would go unnoticed must not be kept. */
static bool register_block(struct block_vcpu *v, struct block *b)
{
	struct block_cache *c = v->cache;
	struct code_page *p[DECODE_MAX_PAGES];
	bool had_code[DECODE_MAX_PAGES];
	unsigned h = block_hash(b->gpa, b->mode);

	/* A page that is an earlier one again (a crossing instruction's next
	 * linear page mapped to its first) is that page's list entry. */
	for (unsigned k = 0; k < b->npages; k++) {
		struct block_page *bp = &b->pages[k];

		bp->listed = true;
		for (unsigned j = 0; j < k; j++)
			if (b->pages[j].gpa == bp->gpa) {
				b->pages[j].code_mask |= bp->code_mask;
				bp->listed = false;
			}
		/* A page that holds code already has no write entries (none is
		 * made for it while it does): only its first block needs the
		 * flush below. */
		had_code[k] = bp->listed && code_pages_has_code(&v->cpu.code, bp->gpa);
		p[k] = bp->listed ? code_pages_get(&v->cpu.code, bp->gpa, true) : NULL;
		if (bp->listed && !p[k])
			return false;
	}
	b->hash_next = c->hash[h];
	c->hash[h] = b;
	c->nblocks++;
	for (unsigned k = 0; k < b->npages; k++) {
		if (!p[k])
			continue;
		b->pages[k].next = p[k]->translations;
		p[k]->translations = b;
		p[k]->code_mask |= b->pages[k].code_mask;
		/* Writes to the page now take the slow path, which reports them. */
		if (!had_code[k])
			tlb_flush_gpa_writes(&v->cpu, b->pages[k].gpa);
	}
	return true;
}

static uint64_t linear_rip(const struct soft_cpu *cpu)
{
	return cpu->mode == MODE_LONG64 ? cpu->rip : (cpu->seg[SREG_CS].base + cpu->rip) & 0xffffffffull;
}

/* The linear address of b's page bp when b is entered at lin, in the CPU's
 * address size. */
static uint64_t page_lin(const struct soft_cpu *cpu, uint64_t lin, const struct block_page *bp)
{
	uint64_t at = (lin & ~0xfffull) + bp->lin_off;

	return cpu->mode == MODE_LONG64 ? at : at & 0xffffffffull;
}

/* Whether b's pages after the first still map where they did, entered at
 * lin, as far as the soft TLB knows them. */
static bool pages_in_tlb(struct soft_cpu *cpu, const struct block *b, uint64_t lin)
{
	uint64_t gpa;

	for (unsigned k = 1; k < b->npages; k++)
		if (!tlb_fetch_gpa(cpu, page_lin(cpu, lin, &b->pages[k]), &gpa) || (gpa & ~0xfffull) != b->pages[k].gpa)
			return false;
	return true;
}

/* The same through the page tables, for the lookup: a crossing instruction
 * faults fetching its next page as decoding it again would; a trace's pages
 * are fetched ahead, without a fault. */
static bool pages_still_map(struct soft_cpu *cpu, const struct block *b, uint64_t lin)
{
	for (unsigned k = 1; k < b->npages; k++) {
		uint64_t at = page_lin(cpu, lin, &b->pages[k]), gpa;

		if (b->crosses)
			gpa = mmu_translate_fetch(cpu, at);
		else if (!mmu_translate_fetch_try(cpu, at, &gpa))
			return false;
		if ((gpa & ~0xfffull) != b->pages[k].gpa)
			return false;
	}
	return true;
}

/* The generation an entry for a page global or not holds in. */
static const uint32_t *generation_for(const struct block_cache *c, bool global)
{
	return global ? &c->global_generation : &c->generation;
}

/* Whether the jump cache's entry j holds RIP's block for how the CPU runs now. */
static bool jump_hit(const struct block_cache *c, const struct jump_entry *j, const struct soft_cpu *cpu, uint64_t lin)
{
	return j->generation == *generation_for(c, j->global) && j->lin == lin && j->mode == cpu->mode &&
	       j->cpl == cpu->cpl;
}

/* A jump cache entry for lin's block b, the execute entry's global bit (if
 * the soft TLB has one: else not global) deciding which generation it holds
 * in. */
static struct jump_entry jump_entry_for(struct block_vcpu *v, uint64_t lin, struct block *b)
{
	struct soft_cpu *cpu = &v->cpu;
	const struct tlb_entry *e = tlb_find(cpu, lin, ACC_EXEC);
	bool global = e && tlb_entry_global(cpu, e);

	/* Where b was entered, so that dropping it forgets just that. */
	if (!b->entered || (b->entered == 1 && b->entered_lin != lin)) {
		b->entered++;
		b->entered_lin = lin;
	}

	/* A block on several pages holds while each page's translation does. */
	for (unsigned k = 1; global && k < b->npages; k++) {
		e = tlb_find(cpu, page_lin(cpu, lin, &b->pages[k]), ACC_EXEC);
		global = e && tlb_entry_global(cpu, e);
	}

	return (struct jump_entry){ lin, b, *generation_for(v->cache, global), cpu->mode, cpu->cpl, global };
}

/* The block decoded at gpa in mode, if the cache holds one. */
static struct block *hashed_block(const struct block_cache *c, uint64_t gpa, uint8_t mode)
{
	for (struct block *b = c->hash[block_hash(gpa, mode)]; b; b = b->hash_next)
		if (b->gpa == gpa && b->mode == mode)
			return b;
	return NULL;
}

struct block *block_cache_find(struct block_vcpu *v, const uint32_t **generation)
{
	struct soft_cpu *cpu = &v->cpu;
	struct block_cache *c = v->cache;
	uint64_t lin = linear_rip(cpu), gpa;
	struct jump_entry *j = jump_entry_of(c, lin);
	struct block *b;

	if (!jump_hit(c, j, cpu, lin)) {
		/* Outside 64-bit mode the CS limit is checked on the way in. */
		if (cpu->mode != MODE_LONG64 || !tlb_fetch_gpa(cpu, lin, &gpa) ||
		    !(b = hashed_block(c, gpa, cpu->mode)))
			return NULL;
		if (!pages_in_tlb(cpu, b, lin))
			return NULL;
		*j = jump_entry_for(v, lin, b);
	}
	*generation = generation_for(c, j->global);
	return j->block;
}

struct block *block_cache_lookup(struct block_vcpu *v)
{
	struct soft_cpu *cpu = &v->cpu;
	struct block_cache *c = v->cache;
	uint64_t lin = linear_rip(cpu);
	struct jump_entry *j = jump_entry_of(c, lin);
	uint64_t gpa;
	struct block *b;

	if (jump_hit(c, j, cpu, lin)) {
		c->hits++;
		return j->block;
	}
	/* The instruction pointer must lie within CS (not checked in 64-bit mode). */
	if (cpu->mode != MODE_LONG64 && cpu->rip > cpu->seg[SREG_CS].limit)
		cpu_raise(cpu, EXC_GP, true, 0);
	gpa = mmu_translate_fetch(cpu, lin);
	j->generation = 0; /* until a block is found */
	if ((b = hashed_block(c, gpa, cpu->mode))) {
		/* A block whose other pages now map elsewhere goes. */
		if (pages_still_map(cpu, b, lin)) {
			c->hits++;
			*j = jump_entry_for(v, lin, b);
			return b;
		}
		drop_block(v, b, ~0ull);
	}
	c->misses++;
	if (c->nblocks >= MAX_BLOCKS)
		block_cache_drop_all(v);
	b = decode_block(v, lin, gpa);
	/* An instruction crossing into a page outside RAM is decoded for this one
	 * execution and not kept: nothing reports writes there. */
	if ((b->crosses && !guest_memory_ptr(cpu->mem, b->pages[1].gpa, 1)) || !register_block(v, b)) {
		b->valid = false;
		b->dead_next = c->dead;
		c->dead = b;
		return b;
	}
	*j = jump_entry_for(v, lin, b);
	return b;
}

void block_cache_stats(const struct block_cache *c, uint64_t *hits, uint64_t *misses)
{
	*hits = c->hits;
	*misses = c->misses;
}
