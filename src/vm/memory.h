/* Guest RAM: one memfd mapped once, laid out like a PC's RAM.
 *
 * RAM fills guest-physical addresses from 0 up to MEM_LOW_LIMIT (3 GiB); the rest
 * continues at 4 GiB, leaving the 3-4 GiB hole for MMIO. The memfd lets a later
 * snapshot or a second process share the same pages.
 *
 * Writes that are not a vCPU's own stores — a device's DMA, a hypercall's
 * answer, the VM layer — are announced to listeners: a software engine keeps
 * code decoded or translated from guest RAM and must drop what such a write
 * overwrote, as hardware fetches what a device wrote (the kvm engine needs
 * nothing and listens to nothing). guest_memory_write announces itself;
 * whoever writes through guest_memory_ptr() while vCPUs may run calls
 * guest_memory_written() after the bytes are in place. A vCPU's own writes are
 * its engine's business and are not announced. */
#ifndef RV_MEMORY_H
#define RV_MEMORY_H

#include <stdbool.h>
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

/* Told of each announced write (guest_memory_written): called on the writer's
 * thread, after the bytes are in place, with the range known to be RAM. It must
 * not block for long, nor write guest RAM itself. */
struct guest_memory_listener {
	void (*written)(void *opaque, uint64_t gpa, uint64_t len);
	void *opaque;
	struct guest_memory_listener *next;
};

struct guest_memory {
	int fd;
	/* fd is a file mapped privately (a snapshot's memory, guest_memory_init_file),
	 * not the memfd whose pages are the mapping's. */
	bool private_file;
	uint8_t *base; /* the whole mapping; region hvas point into it */
	uint64_t size; /* total RAM */
	unsigned nregions;
	struct mem_region region[MEM_MAX_REGIONS];
	/* Added and removed only while no vCPU runs and no device can write (before
	 * the vCPU threads start, after they are joined), so announcing a write
	 * reads the list without a lock. */
	struct guest_memory_listener *listeners;
	/* One byte per 2 MiB of the mapping, set once its pages are mapped in
	 * (guest_memory_ptr); any thread. */
	uint8_t *populated;
	/* Dirty-page logging (vm/dirty_log.h): while dirty_logging is set, every
	 * page written is marked in dirty, one bit per 4 KiB of the mapping, by
	 * whoever writes (atomic OR: vCPUs and devices at once). Turned on and off
	 * only while the VM is paused; dirty is allocated at the first start and
	 * kept until destroy, so a late marker never writes freed memory. */
	bool dirty_logging;
	uint64_t *dirty;
};

/* Returns 0, or -1 with a one-line reason in why. */
int guest_memory_init(struct guest_memory *mem, uint64_t size, char *why, size_t why_len);
/* Guest RAM of size bytes (checked as guest_memory_init does) whose pages
 * are fd's, mapped privately: each page is read from the file when first
 * touched and copied when first written (page by page, never populated in
 * 2 MiB pieces), and the file never changes. The
 * memory takes fd, closing it on failure too. A snapshot's restore (a
 * regular file of exactly size bytes, which the caller checked). */
int guest_memory_init_file(struct guest_memory *mem, int fd, uint64_t size, char *why, size_t why_len);
void guest_memory_destroy(struct guest_memory *mem);

/* Host pointer to guest-physical [gpa, gpa + len) when the whole range is RAM of one
 * region, else NULL. The only way the VMM turns a guest address into a pointer.
 * The 2 MiB pieces of RAM the range's first 2 MiB lie in are mapped in first,
 * a piece at a time: one MADV_POPULATE_WRITE instead of a page fault per new
 * page. */
void *guest_memory_ptr(const struct guest_memory *mem, uint64_t gpa, uint64_t len);

/* Marks the pages of guest-physical [gpa, gpa + len) written, while dirty
 * logging is on (a branch when it is off). Announced writes
 * (guest_memory_written) mark themselves; a software engine marks its vCPU's
 * stores from its write slow path, kvm leaves them to KVM's own log. */
void guest_memory_mark_dirty_slow(const struct guest_memory *mem, uint64_t gpa, uint64_t len);
static inline void guest_memory_mark_dirty(const struct guest_memory *mem, uint64_t gpa, uint64_t len)
{
	if (__builtin_expect(__atomic_load_n(&mem->dirty_logging, __ATOMIC_RELAXED), 0))
		guest_memory_mark_dirty_slow(mem, gpa, len);
}

/* The guest-physical address of byte off of the RAM mapping (off < size):
 * region 0 first, then region 1 right after it. */
uint64_t guest_memory_gpa_of_offset(const struct guest_memory *mem, uint64_t off);

/* Copy to/from guest RAM; -1 (and nothing copied) unless the whole range is RAM.
 * A write is announced to the listeners (guest_memory_written). */
int guest_memory_write(const struct guest_memory *mem, uint64_t gpa, const void *src, uint64_t len);
int guest_memory_read(const struct guest_memory *mem, uint64_t gpa, void *dst, uint64_t len);

/* Tells every listener that [gpa, gpa + len), RAM, has just been written by
 * something other than a vCPU. Any thread. */
void guest_memory_written(const struct guest_memory *mem, uint64_t gpa, uint64_t len);
void guest_memory_listen(struct guest_memory *mem, struct guest_memory_listener *l);
void guest_memory_unlisten(struct guest_memory *mem, struct guest_memory_listener *l);

/* The next range of the mapping from byte off that may hold data: the
 * memfd's pages there, in whole pages (reading a hole through the mapping
 * would allocate it; a hole is all zeros). For RAM mapped privately from a
 * file, everything from off. false when there is none (or the file system
 * cannot say: then everything from off). */
bool guest_memory_next_data(const struct guest_memory *mem, uint64_t off, uint64_t *start, uint64_t *end);
/* Whether the 4096 bytes at p are all zeros. */
bool guest_page_is_zero(const uint8_t *p);

/* End of the RAM that starts at 0 (exclusive). */
uint64_t guest_memory_low_end(const struct guest_memory *mem);

#endif
