/* Where a loader puts what it adds to guest RAM besides the kernel's own image:
 * Ringvisor's boot structures (GDT, page tables, boot information) and modules.
 *
 * A loader first records the ranges the kernel's image occupies, then asks for
 * room: each piece goes where it has always gone (its preferred address) when
 * that is free RAM; else to the first page after everything loaded so far, as
 * QEMU places its Multiboot data; else to the lowest free page-aligned RAM.
 * Always RAM below 4 GiB as the firmware's memory map reports it
 * (boot_memory_map), never page 0. So a kernel linked anywhere in RAM loads, and
 * only one that leaves no room is refused. */
#ifndef RV_BOOT_PLACE_H
#define RV_BOOT_PLACE_H

#include <stddef.h>
#include <stdint.h>

#include "loader/boot_setup.h"

struct guest_memory;

/* Guest-physical ranges in use: [start, end). When more ranges come than there
 * are slots, the last slot grows to cover them, which only ever keeps more
 * RAM out of reach. */
#define BOOT_USED_MAX 64
struct boot_used {
	unsigned n;
	struct {
		uint64_t start, end;
	} r[BOOT_USED_MAX];
};

void boot_used_add(struct boot_used *u, uint64_t start, uint64_t len);
/* Does [start, start + len) touch a range in use? */
int boot_used_overlaps(const struct boot_used *u, uint64_t start, uint64_t len);

/* len bytes of free RAM below 4 GiB, page-aligned and above page 0: at preferred
 * if that is free (pass 0 for no preference), else right after the highest range
 * in use, else the lowest such place. The place found is marked in use.
 * Returns 0 with *out, or -1 if there is none. */
int boot_alloc(const struct guest_memory *mem, struct boot_used *u, uint64_t preferred, uint64_t len, uint64_t *out);

/* What an entry needs besides the GDT. */
#define BOOT_NEED_TABLES (1u << 0) /* identity page tables: long-mode entries */
#define BOOT_NEED_INFO (1u << 1)   /* a page of boot information */

/* Places the GDT and what `needs` asks for outside every range in u (and marks
 * them used), at the addresses of boot_layout_default where those are free.
 * Returns 0, or -1 with a one-line reason when guest RAM has no room left. */
int boot_place(const struct guest_memory *mem, struct boot_used *u, unsigned needs, struct boot_layout *l, char *why,
	       size_t why_len);

#endif
