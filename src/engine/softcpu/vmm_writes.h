/* Guest RAM the VMM wrote behind a block-running vCPU's back (a device's DMA, a
 * hypercall's answer: the writes vm/memory.h announces), posted from any thread
 * and taken by the vCPU's own thread, the only one that may touch its block
 * cache; block_engine.c drops the blocks decoded from what was written.
 *
 * Threads and ordering (the rule every writer and the vCPU keep):
 *   - a writer puts the bytes in guest RAM, then posts the range
 *     (vmm_writes_post), then kicks the vCPU when the post says it is inside
 *     run(); the mailbox's lock is a leaf: nothing is called while it is held,
 *     so a writer may post under its own device lock;
 *   - the vCPU says it is inside run() (vmm_writes_enter) before it looks at
 *     what was posted, and takes the posts before it runs any block.
 * The flag and the "something posted" word are sequentially consistent on both
 * sides (each stores its own, then loads the other's), so a post is either
 * seen by the vCPU as it enters run() or sees the vCPU inside and kicks it; a
 * kick makes run() return at the next block boundary (translated code looks at
 * it at each block entry and in its loops), and the next run() takes the post.
 * So a block decoded before the write runs at most until the next block
 * boundary: the block running when the write lands finishes, as a processor
 * may still run instructions it fetched before another agent's write until it
 * serializes (SDM vol. 3A, 8.1.3, "Handling Self- and Cross-Modifying Code"). */
#ifndef RV_SOFTCPU_VMM_WRITES_H
#define RV_SOFTCPU_VMM_WRITES_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Ranges held before the next take; more, or one longer than
 * VMM_WRITES_RANGE_MAX, and the vCPU drops every block instead (dbt then
 * translates everything again). A post that overlaps or touches one of the
 * last VMM_WRITES_MERGE_RECENT ranges extends that range instead: a device
 * writes a frame's header and body side by side and a queue's used elements
 * one after another, so a burst of 64 received frames is about 64 ranges,
 * not 256 (which, at 16 ranges, flushed dbt's cache at every burst). */
#define VMM_WRITES_RANGES 128
#define VMM_WRITES_RANGE_MAX (16ull << 20)
#define VMM_WRITES_MERGE_RECENT 4

struct vmm_write_range {
	uint64_t gpa, len;
};

/* What a take hands the vCPU. */
struct vmm_writes_taken {
	bool everything; /* drop every block; range[] is then not filled */
	unsigned count;
	struct vmm_write_range range[VMM_WRITES_RANGES];
};

struct vmm_writes {
	pthread_mutex_t lock;
	int posted; /* atomic: something waits to be taken */
	int in_run; /* atomic: the vCPU is inside run() */
	/* Under lock. */
	bool everything;
	unsigned count;
	struct vmm_write_range range[VMM_WRITES_RANGES];
};

void vmm_writes_init(struct vmm_writes *w);
void vmm_writes_fini(struct vmm_writes *w);

/* Any thread, after writing [gpa, gpa + len): true when the vCPU is inside
 * run() and must be kicked to take it soon. */
bool vmm_writes_post(struct vmm_writes *w, uint64_t gpa, uint64_t len);

/* The vCPU, entering run(), before vmm_writes_pending. */
void vmm_writes_enter(struct vmm_writes *w);
/* The vCPU: true when something waits to be taken. */
bool vmm_writes_pending(struct vmm_writes *w);
/* The vCPU, leaving run(): later posts are taken when it enters again. */
void vmm_writes_leave(struct vmm_writes *w);
/* The vCPU: everything posted so far, leaving the mailbox empty. */
void vmm_writes_take(struct vmm_writes *w, struct vmm_writes_taken *out);

#endif
