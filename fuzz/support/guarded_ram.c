#include "support/guarded_ram.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define GUARD 4096ull

void guarded_ram_init(struct guarded_ram *r, const struct guarded_region *regions, unsigned n)
{
	memset(r, 0, sizeof(*r));
	r->mem.fd = -1;
	if (n > MEM_MAX_REGIONS)
		abort();
	for (unsigned i = 0; i < n; i++) {
		uint64_t len = regions[i].size + 2 * GUARD;
		uint8_t *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED || mprotect(p + GUARD, regions[i].size, PROT_READ | PROT_WRITE)) {
			perror("guarded_ram_init");
			abort();
		}
		r->map[i] = p;
		r->map_len[i] = len;
		r->mem.region[i] =
		    (struct mem_region){ .gpa = regions[i].gpa, .size = regions[i].size, .hva = p + GUARD };
		r->mem.size += regions[i].size;
	}
	r->mem.nregions = n;
	r->mem.base = n ? r->mem.region[0].hva : NULL;
}

void guarded_ram_destroy(struct guarded_ram *r)
{
	for (unsigned i = 0; i < r->mem.nregions; i++)
		munmap(r->map[i], r->map_len[i]);
	memset(r, 0, sizeof(*r));
}

uint8_t *guarded_ram_ptr(struct guarded_ram *r, uint64_t gpa, uint64_t len)
{
	uint8_t *p = guest_memory_ptr(&r->mem, gpa, len);

	if (!p) {
		fprintf(stderr, "guarded_ram_ptr: 0x%llx+0x%llx is not RAM\n", (unsigned long long)gpa,
			(unsigned long long)len);
		abort();
	}
	return p;
}
