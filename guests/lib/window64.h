/* A window of 4 KiB pages at linear WIN (GiB 1) that a 64-bit test maps to
 * frames of its own through page tables of its own (pd_win, pt_win), to
 * remap code under one linear address. Include once per guest, after
 * kernel64.h and paging64.h; window_init() before the first map(). */
#ifndef GUEST_WINDOW64_H
#define GUEST_WINDOW64_H

#include <stdint.h>

#include "kernel64.h"
#include "paging64.h"
#include "sysreg.h"

#define WIN 0x40000000ul
#define RW (PTE_P | PTE_W)

static uint64_t pd_win[512] __attribute__((aligned(4096)));
static uint64_t pt_win[512] __attribute__((aligned(4096)));

/* Guest-physical address of the test's own data (identity-mapped). */
static inline uint64_t pa(const void *p)
{
	return (uintptr_t)p;
}

static inline void *win(unsigned int page)
{
	return (void *)(WIN + page * 4096ul);
}

/* Page `page` of the window to `frame`, writable (PTE + INVLPG). */
static inline void map(unsigned int page, const void *frame)
{
	pt_win[page] = pa(frame) | RW;
	invlpg(win(page));
}

/* The window in the kernel's tables, every page absent. */
static inline void window_init(void)
{
	for (unsigned int i = 0; i < 512; i++)
		pt_win[i] = 0;
	pd_win[0] = pa(pt_win) | RW;
	pdpt[1] = pa(pd_win) | RW;
	write_cr3(read_cr3());
}

#endif
