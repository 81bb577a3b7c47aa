#include "paging64.h"

#include "sysreg.h"
#include "test.h"

#define PT_POOL 8
#define RIGHTS (PTE_P | PTE_W | PTE_U)

uint64_t pml4[512] __attribute__((aligned(4096)));
uint64_t pdpt[512] __attribute__((aligned(4096)));
uint64_t pd[512] __attribute__((aligned(4096)));
static uint64_t pt_pool[PT_POOL][512] __attribute__((aligned(4096)));
static uint64_t pd_high[512] __attribute__((aligned(4096)));
static unsigned int pt_used;

void paging64_init(void)
{
	pml4[0] = (uint64_t)(uintptr_t)pdpt | RIGHTS;
	pdpt[0] = (uint64_t)(uintptr_t)pd | RIGHTS;
	for (uint64_t i = 0; i < 512; i++)
		pd[i] = (i * LARGE_PAGE_SIZE) | RIGHTS | PTE_PS;
	write_cr3((uintptr_t)pml4);
}

uint64_t *paging64_pde(uint64_t va)
{
	return &pd[(va >> 21) & 511];
}

/* 512 PTEs mapping what a 2 MiB PDE mapped, with its rights. */
static uint64_t split(uint64_t pde)
{
	uint64_t *pt, keep = pde & (RIGHTS | PTE_NX);

	if (pt_used == PT_POOL) {
		fail("paging64_pte", "out of page tables");
		test_done();
	}
	pt = pt_pool[pt_used++];
	for (uint64_t i = 0; i < 512; i++)
		pt[i] = ((pde & PTE_ADDR & ~(LARGE_PAGE_SIZE - 1)) + i * PAGE_SIZE) | keep;
	return (uint64_t)(uintptr_t)pt | keep;
}

uint64_t *paging64_pte(uint64_t va)
{
	uint64_t *pde = paging64_pde(va);

	if (*pde & PTE_PS) {
		*pde = split(*pde);
		/* The 2 MiB translation may be cached. */
		write_cr3(read_cr3());
	}
	return (uint64_t *)(uintptr_t)(*pde & PTE_ADDR) + ((va >> 12) & 511);
}

void paging64_map_high(void)
{
	for (uint64_t i = 0; i < 512; i++)
		pd_high[i] = (HIGH_GIB + i * LARGE_PAGE_SIZE) | PTE_P | PTE_W | PTE_PS;
	pdpt[HIGH_GIB >> 30] = (uint64_t)(uintptr_t)pd_high | PTE_P | PTE_W;
	write_cr3(read_cr3());
}
