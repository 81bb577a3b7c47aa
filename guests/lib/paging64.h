/* 4-level identity paging for ELF64 guests: the first GiB in 2 MiB pages,
 * present, writable and user-accessible at every level (Ringvisor's boot
 * tables have U/S clear, so CPL 3 could not run on them). Tests change
 * single entries, split a 2 MiB page into 4 KiB pages, or hang their own
 * tables below pml4/pdpt. Entry bits: SDM vol. 3A, tables 4-15 to 4-20. */
#ifndef GUEST_PAGING64_H
#define GUEST_PAGING64_H

#include <stdint.h>

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7) /* in a PDE: 2 MiB page */
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

#define PAGE_SIZE 4096ul
#define LARGE_PAGE_SIZE (2ul << 20)
#define IDENTITY_END (1ul << 30)
#define HIGH_GIB (3ul << 30) /* paging64_map_high(): the last GiB below 4 GiB */

/* #PF error code bits (SDM vol. 3A, figure 4-12). */
#define PF_P (1u << 0)
#define PF_W (1u << 1)
#define PF_U (1u << 2)
#define PF_RSVD (1u << 3)
#define PF_I (1u << 4)

extern uint64_t pml4[512], pdpt[512], pd[512];

/* Builds the tables and loads CR3. */
void paging64_init(void);
/* The PDE mapping va (va below IDENTITY_END). */
uint64_t *paging64_pde(uint64_t va);
/* The 4 KiB PTE mapping va (va below IDENTITY_END), splitting its 2 MiB
 * page into 512 identity 4 KiB pages with the same rights if needed. */
uint64_t *paging64_pte(uint64_t va);
/* Identity-maps the GiB below 4 GiB as well (the MMIO hole: local APIC,
 * I/O APIC), supervisor only, in 2 MiB pages. */
void paging64_map_high(void);

#endif
