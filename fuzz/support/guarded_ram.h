/* Guest RAM for fuzzers, mapped exactly: each region is followed (and preceded)
 * by an inaccessible guard page, so that any host read or write past the end of
 * guest RAM faults at once, even from code the sanitizers do not instrument
 * (libZydis). guest_memory_ptr() and everything above it work unchanged. */
#ifndef RV_FUZZ_GUARDED_RAM_H
#define RV_FUZZ_GUARDED_RAM_H

#include <stdint.h>

#include "vm/memory.h"

struct guarded_region {
	uint64_t gpa;
	uint64_t size; /* whole pages */
};

struct guarded_ram {
	struct guest_memory mem; /* never passed to guest_memory_destroy() */
	uint8_t *map[MEM_MAX_REGIONS];
	uint64_t map_len[MEM_MAX_REGIONS];
};

/* Maps n (at most MEM_MAX_REGIONS) regions in ascending gpa order; aborts on
 * failure (a fuzzer cannot go on without its RAM). */
void guarded_ram_init(struct guarded_ram *r, const struct guarded_region *regions, unsigned n);
void guarded_ram_destroy(struct guarded_ram *r);
/* Host pointer to [gpa, gpa + len), which must be RAM; aborts otherwise. */
uint8_t *guarded_ram_ptr(struct guarded_ram *r, uint64_t gpa, uint64_t len);

#endif
