/* Guest RAM: one memfd mapped once, laid out like a PC's RAM.
 *
 * RAM fills guest-physical addresses from 0 up to MEM_LOW_LIMIT (3 GiB); the rest
 * continues at 4 GiB, leaving the 3-4 GiB hole for MMIO. The memfd lets a later
 * snapshot or a second process share the same pages. */
#ifndef RV_MEMORY_H
#define RV_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#define MEM_LOW_LIMIT 0xc0000000ull
#define MEM_HIGH_START 0x100000000ull
#define MEM_MAX_REGIONS 2
/* 1 TiB: stays below the guest CPU model's 40 physical address bits. */
#define MEM_MAX_SIZE (1ull << 40)
#define MEM_MIN_SIZE (2ull << 20)

struct mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

struct guest_memory {
	int fd;
	uint8_t *base; /* the whole mapping; region hvas point into it */
	uint64_t size; /* total RAM */
	unsigned nregions;
	struct mem_region region[MEM_MAX_REGIONS];
};

/* Returns 0, or -1 with a one-line reason in why. */
int guest_memory_init(struct guest_memory *mem, uint64_t size, char *why, size_t why_len);
void guest_memory_destroy(struct guest_memory *mem);

/* Host pointer to guest-physical [gpa, gpa + len) when the whole range is RAM of one
 * region, else NULL. The only way the VMM turns a guest address into a pointer. */
void *guest_memory_ptr(const struct guest_memory *mem, uint64_t gpa, uint64_t len);

/* Copy to/from guest RAM; -1 (and nothing copied) unless the whole range is RAM. */
int guest_memory_write(const struct guest_memory *mem, uint64_t gpa, const void *src, uint64_t len);
int guest_memory_read(const struct guest_memory *mem, uint64_t gpa, void *dst, uint64_t len);

/* End of the RAM that starts at 0 (exclusive). */
uint64_t guest_memory_low_end(const struct guest_memory *mem);

#endif
