#include "vm/memory.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <unistd.h>

#define POPULATE_SHIFT 21
#define POPULATE_SIZE (1ull << POPULATE_SHIFT)

static int check_size(uint64_t size, char *why, size_t why_len)
{
	if (size < MEM_MIN_SIZE || size > MEM_MAX_SIZE || size % 4096) {
		snprintf(why, why_len, "memory size %llu bytes is out of range (2 MiB to 1 TiB, whole pages)",
			 (unsigned long long)size);
		return -1;
	}
	return 0;
}

/* Maps mem->fd with the given sharing and lays the regions out. */
static int map_ram(struct guest_memory *mem, uint64_t size, int sharing, char *why, size_t why_len)
{
	uint64_t low = size < MEM_LOW_LIMIT ? size : MEM_LOW_LIMIT;

	/* MAP_NORESERVE: RAM the guest never touches costs the host nothing. */
	mem->base = mmap(NULL, size, PROT_READ | PROT_WRITE, sharing | MAP_NORESERVE, mem->fd, 0);
	if (mem->base == MAP_FAILED) {
		mem->base = NULL;
		snprintf(why, why_len, "cannot map %llu bytes of guest memory: %s", (unsigned long long)size,
			 strerror(errno));
		return -1;
	}
	/* calloc of a large zeroed area costs pages only where bytes get set.
	 * A snapshot's RAM is not populated: copying 2 MiB of the file at a
	 * time cost 2.8 ms a piece, most of a restore's time to its first
	 * instruction; its pages load one by one as they are touched. */
	if (sharing != MAP_PRIVATE && !(mem->populated = calloc((size >> POPULATE_SHIFT) + 1, 1))) {
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	mem->size = size;
	mem->region[0] = (struct mem_region){ .gpa = 0, .size = low, .hva = mem->base };
	mem->nregions = 1;
	if (size > low) {
		mem->region[1] =
		    (struct mem_region){ .gpa = MEM_HIGH_START, .size = size - low, .hva = mem->base + low };
		mem->nregions = 2;
	}
	return 0;
}

int guest_memory_init(struct guest_memory *mem, uint64_t size, char *why, size_t why_len)
{
	memset(mem, 0, sizeof(*mem));
	mem->fd = -1;
	if (check_size(size, why, why_len))
		return -1;
	mem->fd = memfd_create("ringvisor-ram", MFD_CLOEXEC);
	if (mem->fd < 0 || ftruncate(mem->fd, (off_t)size) < 0) {
		snprintf(why, why_len, "cannot create %llu bytes of guest memory: %s", (unsigned long long)size,
			 strerror(errno));
		goto fail;
	}
	if (map_ram(mem, size, MAP_SHARED, why, why_len))
		goto fail;
	return 0;
fail:
	guest_memory_destroy(mem);
	return -1;
}

int guest_memory_init_file(struct guest_memory *mem, int fd, uint64_t size, char *why, size_t why_len)
{
	memset(mem, 0, sizeof(*mem));
	mem->fd = fd;
	mem->private_file = true;
	if (check_size(size, why, why_len) || map_ram(mem, size, MAP_PRIVATE, why, why_len)) {
		guest_memory_destroy(mem);
		return -1;
	}
	return 0;
}

void guest_memory_destroy(struct guest_memory *mem)
{
	if (mem->base)
		munmap(mem->base, mem->size);
	if (mem->fd >= 0)
		close(mem->fd);
	free(mem->populated);
	mem->populated = NULL;
	free(mem->dirty);
	mem->dirty = NULL;
	mem->base = NULL;
	mem->fd = -1;
	mem->nregions = 0;
}

/* Maps in the 2 MiB pieces of the mapping that [off, off + len) touches, each
 * once. A Linux boot took about 38,000 page faults on guest RAM, each a trip
 * through the host kernel (and, in a nested VM, its hypervisor); with THP for
 * shared memory off (Debian's default) a memfd gets no 2 MiB faults either.
 * RAM is then committed in 2 MiB pieces, as a THP-backed anonymous mapping
 * (QEMU's default) commits it. Before Linux 5.14 the advice is refused and
 * pages fault in one by one as before. Threads may race to one piece: both
 * populate it, which is harmless. */
static void populate(const struct guest_memory *mem, uint64_t off, uint64_t len)
{
	uint64_t first = off >> POPULATE_SHIFT, last = (off + len - (len != 0)) >> POPULATE_SHIFT;

	for (uint64_t c = first; c <= last; c++) {
		uint64_t start = c << POPULATE_SHIFT;
		uint64_t n = mem->size - start < POPULATE_SIZE ? mem->size - start : POPULATE_SIZE;

		if (__atomic_load_n(&mem->populated[c], __ATOMIC_RELAXED))
			continue;
		/* Done, or never possible here (EINVAL: before Linux 5.14); another
		 * failure (EINTR, ENOMEM) is tried again next time. */
		if (madvise(mem->base + start, n, MADV_POPULATE_WRITE) == 0 || errno == EINVAL)
			__atomic_store_n(&mem->populated[c], 1, __ATOMIC_RELAXED);
	}
}

void *guest_memory_ptr(const struct guest_memory *mem, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct mem_region *r = &mem->region[i];

		/* Written so that no sum can overflow, whatever the guest passes. */
		if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa)) {
			uint8_t *p = r->hva + (gpa - r->gpa);

			/* At most the pieces of the range's first 2 MiB: a guest can
			 * pass any length (a hypercall checking a whole buffer), and
			 * one call must not commit its RAM wholesale; larger ranges
			 * fault in as they are touched. */
			if (mem->populated)
				populate(mem, (uint64_t)(p - mem->base), len < POPULATE_SIZE ? len : POPULATE_SIZE);
			return p;
		}
	}
	return NULL;
}

int guest_memory_write(const struct guest_memory *mem, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = guest_memory_ptr(mem, gpa, len);

	if (!p)
		return -1;
	memcpy(p, src, len);
	guest_memory_written(mem, gpa, len);
	return 0;
}

int guest_memory_read(const struct guest_memory *mem, uint64_t gpa, void *dst, uint64_t len)
{
	const void *p = guest_memory_ptr(mem, gpa, len);

	if (!p)
		return -1;
	memcpy(dst, p, len);
	return 0;
}

void guest_memory_written(const struct guest_memory *mem, uint64_t gpa, uint64_t len)
{
	guest_memory_mark_dirty(mem, gpa, len);
	for (struct guest_memory_listener *l = mem->listeners; l; l = l->next)
		l->written(l->opaque, gpa, len);
}

void guest_memory_listen(struct guest_memory *mem, struct guest_memory_listener *l)
{
	l->next = mem->listeners;
	mem->listeners = l;
}

void guest_memory_unlisten(struct guest_memory *mem, struct guest_memory_listener *l)
{
	struct guest_memory_listener **pp = &mem->listeners;

	while (*pp && *pp != l)
		pp = &(*pp)->next;
	if (*pp)
		*pp = l->next;
}

uint64_t guest_memory_low_end(const struct guest_memory *mem)
{
	return mem->nregions ? mem->region[0].size : 0;
}

uint64_t guest_memory_gpa_of_offset(const struct guest_memory *mem, uint64_t off)
{
	for (unsigned i = 0; i < mem->nregions; i++) {
		uint64_t start = (uint64_t)(mem->region[i].hva - mem->base);

		if (off - start < mem->region[i].size)
			return mem->region[i].gpa + (off - start);
	}
	return ~0ull;
}

/* Byte offset in the mapping of guest-physical gpa, or ~0 outside RAM. */
static uint64_t offset_of_gpa(const struct guest_memory *mem, uint64_t gpa)
{
	for (unsigned i = 0; i < mem->nregions; i++)
		if (gpa - mem->region[i].gpa < mem->region[i].size)
			return (uint64_t)(mem->region[i].hva - mem->base) + (gpa - mem->region[i].gpa);
	return ~0ull;
}

void guest_memory_mark_dirty_slow(const struct guest_memory *mem, uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + (len ? len : 1);

	/* Page by page: a range may run from one region's end into the next
	 * one's start only in the gpa space of a caller's mistake, and a page
	 * outside RAM has nothing to send. */
	for (uint64_t page = gpa & ~0xfffull; page < end && page >= (gpa & ~0xfffull); page += 4096) {
		uint64_t off = offset_of_gpa(mem, page);

		if (off < mem->size)
			__atomic_fetch_or(&mem->dirty[off >> 18], 1ull << ((off >> 12) & 63), __ATOMIC_RELAXED);
	}
}

bool guest_page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;
	uint64_t any = 0;

	for (size_t i = 0; i < 4096 / sizeof(*w); i++)
		any |= w[i];
	return any == 0;
}

bool guest_memory_next_data(const struct guest_memory *mem, uint64_t off, uint64_t *start, uint64_t *end)
{
	off_t s, e;

	if (mem->private_file) {
		/* Pages copied on write are not the file's: read the mapping. */
		*start = off;
		*end = mem->size;
		return off < mem->size;
	}
	s = lseek(mem->fd, (off_t)off, SEEK_DATA);
	if (s < 0) {
		*start = off;
		*end = mem->size;
		return errno != ENXIO && off < mem->size;
	}
	e = lseek(mem->fd, s, SEEK_HOLE);
	*start = (uint64_t)s & ~4095ull;
	*end = e < 0 || (uint64_t)e > mem->size ? mem->size : ((uint64_t)e + 4095ull) & ~4095ull;
	return true;
}
