#include "loader/boot_place.h"

#include <stdio.h>

#include "vm/memory.h"

#define PAGE 4096ull
#define FOUR_GIB (1ull << 32)

static uint64_t page_up(uint64_t a)
{
	return (a + PAGE - 1) & ~(PAGE - 1);
}

void boot_used_add(struct boot_used *u, uint64_t start, uint64_t len)
{
	uint64_t end = start + len;

	if (!len)
		return;
	if (end < start)
		end = UINT64_MAX;
	if (u->n < BOOT_USED_MAX) {
		u->r[u->n].start = start;
		u->r[u->n].end = end;
		u->n++;
		return;
	}
	/* Full: the last slot covers both. */
	if (start < u->r[BOOT_USED_MAX - 1].start)
		u->r[BOOT_USED_MAX - 1].start = start;
	if (end > u->r[BOOT_USED_MAX - 1].end)
		u->r[BOOT_USED_MAX - 1].end = end;
}

/* The end of a range in use that [start, start + len) touches, or 0 if none. */
static uint64_t first_overlap_end(const struct boot_used *u, uint64_t start, uint64_t len)
{
	uint64_t end = start + len;

	for (unsigned i = 0; i < u->n; i++)
		if (start < u->r[i].end && end > u->r[i].start)
			return u->r[i].end;
	return 0;
}

int boot_used_overlaps(const struct boot_used *u, uint64_t start, uint64_t len)
{
	return len && first_overlap_end(u, start, len) != 0;
}

/* Is [start, start + len) inside one RAM range of the memory map, below 4 GiB
 * and above page 0 (the real-mode interrupt vector table)? */
static int in_usable_ram(const struct boot_mem_range *map, unsigned n, uint64_t start, uint64_t len)
{
	if (start < PAGE || start + len > FOUR_GIB || start + len < start)
		return 0;
	for (unsigned i = 0; i < n; i++)
		if (map[i].type == BOOT_MAP_RAM && start >= map[i].base && start + len <= map[i].base + map[i].len)
			return 1;
	return 0;
}

/* Is [a, a + len) usable RAM that nothing uses? */
static int is_free(const struct boot_mem_range *map, unsigned n, const struct boot_used *u, uint64_t a, uint64_t len)
{
	return a % PAGE == 0 && in_usable_ram(map, n, a, len) && !boot_used_overlaps(u, a, len);
}

static int take(struct boot_used *u, uint64_t a, uint64_t len, uint64_t *out)
{
	*out = a;
	boot_used_add(u, a, len);
	return 0;
}

int boot_alloc(const struct guest_memory *mem, struct boot_used *u, uint64_t preferred, uint64_t len, uint64_t *out)
{
	struct boot_mem_range map[BOOT_MAP_MAX];
	unsigned n = boot_memory_map(mem, map);
	uint64_t after = 0;

	if (preferred && is_free(map, n, u, preferred, len))
		return take(u, preferred, len, out);
	/* Next, the first page after everything loaded so far, where QEMU puts the
	 * Multiboot command lines and module list: kernels written for QEMU leave
	 * that memory alone. */
	for (unsigned i = 0; i < u->n; i++)
		if (u->r[i].end > after)
			after = u->r[i].end;
	if (after && after < UINT64_MAX - PAGE && is_free(map, n, u, page_up(after), len))
		return take(u, page_up(after), len, out);
	/* Last, the lowest free place: the map's ranges come in ascending order. */
	for (unsigned i = 0; i < n; i++) {
		uint64_t a, blocker;

		if (map[i].type != BOOT_MAP_RAM)
			continue;
		a = page_up(map[i].base < PAGE ? PAGE : map[i].base);
		while (in_usable_ram(map, n, a, len)) {
			blocker = first_overlap_end(u, a, len);
			if (!blocker)
				return take(u, a, len, out);
			if (blocker == UINT64_MAX || page_up(blocker) <= a)
				break;
			a = page_up(blocker);
		}
	}
	return -1;
}

int boot_place(const struct guest_memory *mem, struct boot_used *u, unsigned needs, struct boot_layout *l, char *why,
	       size_t why_len)
{
	const char *what;

	*l = (struct boot_layout){ 0 };
	what = "GDT";
	if (boot_alloc(mem, u, boot_layout_default.gdt, BOOT_GDT_SIZE, &l->gdt))
		goto full;
	what = "page tables";
	if ((needs & BOOT_NEED_TABLES) && boot_alloc(mem, u, boot_layout_default.tables, BOOT_TABLES_SIZE, &l->tables))
		goto full;
	what = "boot information";
	if ((needs & BOOT_NEED_INFO) && boot_alloc(mem, u, boot_layout_default.info, BOOT_INFO_SIZE, &l->info))
		goto full;
	return 0;
full:
	snprintf(why, why_len,
		 "no room for ringvisor's %s: the kernel and its modules leave no free page-aligned guest RAM for it "
		 "below 4 GiB (see --mem)",
		 what);
	return -1;
}
