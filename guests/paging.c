/* 4-level paging: #PF error codes (P, W, U, RSVD, I/D) with CR2 for each,
 * accessed and dirty bits set by the CPU, CR0.WP, U/S at the PTE and PDE
 * levels, NX with EFER.NXE, 2 MiB pages, and the TLB flushes the SDM
 * guarantees (INVLPG, CR3 reload for non-global pages, CR4.PGE toggle).
 * Facts from the Intel SDM vol. 3A, chapter 4 (4.5 paging structures, 4.6
 * access rights, 4.7 page-fault error code, 4.8 A/D bits, 4.10 TLBs).
 *
 * Not checked: that a global translation survives a CR3 reload, or that a
 * changed PTE stays invisible until a flush. The SDM allows a TLB to keep
 * such entries but never requires it, and the nested kvm host of this
 * project (shadow paging) always shows the new entry.
 *
 * Status 1 through the debug exit if every check passed. */
#include <stdint.h>

#include "kernel64.h"
#include "paging64.h"
#include "sysreg.h"
#include "test.h"

/* A 2 MiB region split into 4 KiB pages, one page per test. */
#define AREA 0x1000000ull
#define PG_ABSENT (AREA + 0 * PAGE_SIZE)
#define PG_READONLY (AREA + 1 * PAGE_SIZE)
#define PG_SUPER (AREA + 2 * PAGE_SIZE)
#define PG_AD (AREA + 3 * PAGE_SIZE)
#define PG_CODE (AREA + 4 * PAGE_SIZE)
#define PG_REMAP (AREA + 5 * PAGE_SIZE)
#define FRAME_A (AREA + 6 * PAGE_SIZE)
#define FRAME_B (AREA + 7 * PAGE_SIZE)
#define PG_RSVD (AREA + 8 * PAGE_SIZE)
#define PG_BEFORE_ABSENT (AREA + 9 * PAGE_SIZE) /* PG_ABSENT2 - 4 KiB */
#define PG_ABSENT2 (AREA + 10 * PAGE_SIZE)
/* A 2 MiB region whose PDE has U/S clear (PTEs have it set). */
#define SUPER_PDE_AREA 0x1400000ull
/* 2 MiB page at 1 GiB (pdpt[1]) mapping this physical 2 MiB. */
#define ALIAS_VA 0x40000000ull
#define ALIAS_PA 0x1200000ull
/* pml4[1] with the reserved PS bit. */
#define RSVD_PML4_VA 0x8000000000ull

#define RW (PTE_P | PTE_W | PTE_U)
#define RET_OPCODE 0xc3

static uint64_t alias_pd[512] __attribute__((aligned(4096)));

static void set_pte(uint64_t va, uint64_t entry)
{
	*paging64_pte(va) = entry;
	invlpg((void *)va);
}

/* Accesses that may fault: the trap handler resumes after them. */
static uint64_t read64(uint64_t va)
{
	uint64_t v = 0;

	__asm__ volatile(TRAP_RESUME_AT_1F "movq (%1), %0\n1:" : "+r"(v) : "r"(va) : "memory");
	return v;
}

static void write64(uint64_t va, uint64_t v)
{
	__asm__ volatile(TRAP_RESUME_AT_1F "movq %1, (%0)\n1:" : : "r"(va), "r"(v) : "memory");
}

/* Calls the code at va (a RET); the stack is put back if the fetch
 * faulted after the CALL pushed its return address. */
static void call_at(uint64_t va)
{
	__asm__ volatile(TRAP_RESUME_AT_1F "movq %%rsp, %%rbx\n\t"
					   "call *%0\n"
					   "1:\tmovq %%rbx, %%rsp"
			 :
			 : "r"(va)
			 : "rbx", "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
}

static uint64_t user_read(uint64_t va)
{
	return read64(va);
}

static uint64_t user_write(uint64_t va)
{
	write64(va, 0x5555);
	return 0;
}

static uint64_t user_call_at(uint64_t va)
{
	call_at(va);
	return 0;
}

static void expect_pf(const char *name, uint32_t error, uint64_t cr2)
{
	if (trap_last.count == 1 && trap_last.vector == VEC_PF && trap_last.error == error && trap_last.cr2 == cr2)
		pass(name);
	else
		fail(name,
		     "%u trap(s), vector %lld error 0x%llx CR2 0x%llx; want "
		     "#PF error 0x%x CR2 0x%llx",
		     trap_last.count, (long long)trap_last.vector, (unsigned long long)trap_last.error,
		     (unsigned long long)trap_last.cr2, error, (unsigned long long)cr2);
}

static void check_not_present(void)
{
	set_pte(PG_ABSENT, 0);
	trap_clear();
	read64(PG_ABSENT + 0x123);
	expect_pf("read of a not-present page: #PF(0), CR2", 0, PG_ABSENT + 0x123);
	trap_clear();
	write64(PG_ABSENT + 0x458, 1);
	expect_pf("write to a not-present page: #PF(W), CR2", PF_W, PG_ABSENT + 0x458);
	trap_clear();
	user_call(user_read, PG_ABSENT + 8);
	expect_pf("CPL 3 read of a not-present page: #PF(U)", PF_U, PG_ABSENT + 8);
	/* An 8-byte write whose second half is in an absent page: CR2 is the
	 * first byte of that page. What the first half left is not checked:
	 * the SDM does not say. */
	set_pte(PG_ABSENT2, 0);
	trap_clear();
	write64(PG_ABSENT2 - 4, 0);
	expect_pf("write across into a not-present page: CR2 at its start", PF_W, PG_ABSENT2);
	set_pte(PG_ABSENT, PG_ABSENT | RW);
	set_pte(PG_ABSENT2, PG_ABSENT2 | RW);
}

static void check_write_protect(void)
{
	volatile uint64_t *p = (volatile uint64_t *)PG_READONLY;
	unsigned long cr0 = read_cr0();

	*p = 1;
	set_pte(PG_READONLY, PG_READONLY | PTE_P | PTE_U);
	trap_clear();
	write64(PG_READONLY + 0x10, 2);
	expect_pf("CR0.WP=1: CPL 0 write to a read-only page: #PF(P|W)", PF_P | PF_W, PG_READONLY + 0x10);
	write_cr0(cr0 & ~CR0_WP);
	trap_clear();
	write64(PG_READONLY, 3);
	write_cr0(cr0);
	if (!trap_last.count && *p == 3)
		pass("CR0.WP=0: CPL 0 write to a read-only page succeeds");
	else
		fail("CR0.WP=0: CPL 0 write to a read-only page succeeds", "%u trap(s), value %llu", trap_last.count,
		     (unsigned long long)*p);
	trap_clear();
	user_call(user_write, PG_READONLY + 0x20);
	expect_pf("CPL 3 write to a read-only page: #PF(P|W|U)", PF_P | PF_W | PF_U, PG_READONLY + 0x20);
	trap_clear();
	user_call(user_read, PG_READONLY);
	expect_no_trap("CPL 3 read of a read-only user page");
	set_pte(PG_READONLY, PG_READONLY | RW);
}

static void check_user_supervisor(void)
{
	uint64_t *pde = paging64_pde(SUPER_PDE_AREA);

	set_pte(PG_SUPER, PG_SUPER | PTE_P | PTE_W);
	trap_clear();
	user_call(user_read, PG_SUPER + 0x30);
	expect_pf("CPL 3 read of a supervisor page: #PF(P|U)", PF_P | PF_U, PG_SUPER + 0x30);
	trap_clear();
	user_call(user_write, PG_SUPER + 0x38);
	expect_pf("CPL 3 write to a supervisor page: #PF(P|W|U)", PF_P | PF_W | PF_U, PG_SUPER + 0x38);
	trap_clear();
	read64(PG_SUPER);
	write64(PG_SUPER, 1);
	expect_no_trap("CPL 0 access to a supervisor page");
	set_pte(PG_SUPER, PG_SUPER | RW);

	/* U/S of every level counts: a user PTE under a supervisor PDE. */
	paging64_pte(SUPER_PDE_AREA);
	*pde &= ~PTE_U;
	write_cr3(read_cr3());
	trap_clear();
	user_call(user_read, SUPER_PDE_AREA + 0x40);
	expect_pf("CPL 3 read, user PTE under a supervisor PDE: #PF(P|U)", PF_P | PF_U, SUPER_PDE_AREA + 0x40);
	*pde |= PTE_U;
	write_cr3(read_cr3());
	trap_clear();
	user_call(user_read, SUPER_PDE_AREA + 0x40);
	expect_no_trap("CPL 3 read once the PDE allows user access");
}

static void check_reserved_bits(void)
{
	uint64_t *pde = paging64_pde(ALIAS_PA);
	uint64_t saved_pde = *pde;

	/* With EFER.NXE clear, bit 63 is reserved. */
	set_pte(PG_RSVD, PG_RSVD | RW | PTE_NX);
	trap_clear();
	read64(PG_RSVD + 0x18);
	expect_pf("NX bit with EFER.NXE=0: #PF(P|RSVD)", PF_P | PF_RSVD, PG_RSVD + 0x18);
	/* The CPU model has 40 physical address bits: 40-51 are reserved. */
	set_pte(PG_RSVD, PG_RSVD | RW | (1ull << 40));
	trap_clear();
	read64(PG_RSVD);
	expect_pf("PTE address bit 40 (MAXPHYADDR is 40): #PF(P|RSVD)", PF_P | PF_RSVD, PG_RSVD);
	set_pte(PG_RSVD, PG_RSVD | RW | (1ull << 51));
	trap_clear();
	write64(PG_RSVD, 0);
	expect_pf("PTE address bit 51 on a write: #PF(P|W|RSVD)", PF_P | PF_W | PF_RSVD, PG_RSVD);
	/* Bits 62:52 are ignored (no protection keys: CR4.PKE is 0). */
	set_pte(PG_RSVD, PG_RSVD | RW | (1ull << 62) | (1ull << 52));
	trap_clear();
	read64(PG_RSVD);
	expect_no_trap("PTE bits 52 and 62 are ignored");
	set_pte(PG_RSVD, PG_RSVD | RW);
	/* Bits 20:13 of a 2 MiB PDE are reserved. */
	*pde = ALIAS_PA | RW | PTE_PS | (1ull << 13);
	invlpg((void *)ALIAS_PA);
	trap_clear();
	read64(ALIAS_PA + 0x100);
	expect_pf("2 MiB PDE with bit 13 set: #PF(P|RSVD)", PF_P | PF_RSVD, ALIAS_PA + 0x100);
	*pde = saved_pde;
	invlpg((void *)ALIAS_PA);
	/* PS is reserved in a PML4E. */
	pml4[1] = (uintptr_t)pdpt | RW | PTE_PS;
	trap_clear();
	read64(RSVD_PML4_VA);
	expect_pf("PML4E with PS set: #PF(P|RSVD)", PF_P | PF_RSVD, RSVD_PML4_VA);
	pml4[1] = 0;
	write_cr3(read_cr3());
}

static void check_nx(void)
{
	*(volatile uint8_t *)PG_CODE = RET_OPCODE;
	set_pte(PG_CODE, PG_CODE | RW | PTE_NX);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	trap_clear();
	call_at(PG_CODE);
	expect_pf("NXE=1: CPL 0 fetch from an NX page: #PF(P|I)", PF_P | PF_I, PG_CODE);
	expect_eq("NXE=1: the #PF RIP is the fetched address", trap_last.rip, PG_CODE);
	trap_clear();
	user_call(user_call_at, PG_CODE);
	expect_pf("NXE=1: CPL 3 fetch from an NX page: #PF(P|U|I)", PF_P | PF_U | PF_I, PG_CODE);
	trap_clear();
	read64(PG_CODE);
	expect_no_trap("NXE=1: read of an NX page");
	set_pte(PG_CODE, PG_CODE | RW);
	trap_clear();
	call_at(PG_CODE);
	expect_no_trap("NXE=1: fetch from a page without NX");
	set_pte(PG_CODE, 0);
	trap_clear();
	call_at(PG_CODE);
	expect_pf("NXE=1: fetch from a not-present page: #PF(I)", PF_I, PG_CODE);
	set_pte(PG_CODE, PG_CODE | PTE_P | PTE_W);
	trap_clear();
	user_call(user_call_at, PG_CODE);
	expect_pf("NXE=1: CPL 3 fetch from a supervisor page: #PF(P|U|I)", PF_P | PF_U | PF_I, PG_CODE);
	/* I/D is reported only with EFER.NXE=1 (or CR4.SMEP) (SDM 4.7). */
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_NXE);
	set_pte(PG_CODE, 0);
	trap_clear();
	call_at(PG_CODE);
	expect_pf("NXE=0: fetch from a not-present page: #PF(0)", 0, PG_CODE);
	set_pte(PG_CODE, PG_CODE | RW);
}

static void check_accessed_dirty(void)
{
	/* The CPU writes these behind the compiler's back. */
	volatile uint64_t *pte = paging64_pte(PG_AD);
	volatile uint64_t *pde = paging64_pde(PG_AD);

	set_pte(PG_AD, PG_AD | RW);
	*pde &= ~PTE_A;
	write_cr3(read_cr3());
	expect_eq("A and D clear in a fresh PTE", *pte & (PTE_A | PTE_D), 0);
	(void)*(volatile uint64_t *)PG_AD;
	expect_eq("a read sets A, not D", *pte & (PTE_A | PTE_D), PTE_A);
	expect_eq("the walk sets A in the PDE", *pde & PTE_A, PTE_A);
	*(volatile uint64_t *)(PG_AD + 8) = 1;
	expect_eq("a write sets D", *pte & (PTE_A | PTE_D), PTE_A | PTE_D);
	set_pte(PG_AD, PG_AD | RW);
	*(volatile uint64_t *)(PG_AD + 16) = 2;
	expect_eq("a first write sets both A and D", *pte & (PTE_A | PTE_D), PTE_A | PTE_D);
}

static void check_large_pages(void)
{
	volatile uint64_t *pde = alias_pd;
	volatile uint64_t *phys = (volatile uint64_t *)(ALIAS_PA + 0x123450);
	volatile uint64_t *alias = (volatile uint64_t *)(ALIAS_VA + 0x123450);

	pdpt[1] = (uintptr_t)alias_pd | RW;
	alias_pd[0] = ALIAS_PA | RW | PTE_PS;
	write_cr3(read_cr3());
	*phys = 0x1122334455667788ull;
	expect_eq("2 MiB page: read through the alias", *alias, 0x1122334455667788ull);
	*alias = 0x8877665544332211ull;
	expect_eq("2 MiB page: write through the alias", *phys, 0x8877665544332211ull);
	expect_eq("2 MiB page: A and D set in the PDE", *pde & (PTE_A | PTE_D), PTE_A | PTE_D);
	alias_pd[0] = ALIAS_PA | PTE_P | PTE_U | PTE_PS;
	invlpg((void *)ALIAS_VA);
	trap_clear();
	write64(ALIAS_VA + 0x1ffff8, 0);
	expect_pf("read-only 2 MiB page: #PF(P|W), CR2", PF_P | PF_W, ALIAS_VA + 0x1ffff8);
	pdpt[1] = 0;
	write_cr3(read_cr3());
	trap_clear();
	read64(ALIAS_VA);
	expect_pf("absent PDPTE: #PF(0)", 0, ALIAS_VA);
}

/* PG_REMAP moves from FRAME_A to FRAME_B; each flush the SDM guarantees
 * must make the new frame visible (vol. 3A, 4.10.4.1). */
static void check_tlb_flushes(void)
{
	uint64_t *pte = paging64_pte(PG_REMAP);
	volatile uint64_t *p = (volatile uint64_t *)PG_REMAP;
	unsigned long cr4 = read_cr4();

	*(volatile uint64_t *)FRAME_A = 0xa;
	*(volatile uint64_t *)FRAME_B = 0xb;

	set_pte(PG_REMAP, FRAME_A | RW);
	expect_eq("remap: the first frame", *p, 0xa);
	*pte = FRAME_B | RW;
	invlpg((void *)PG_REMAP);
	expect_eq("INVLPG makes a changed PTE visible", *p, 0xb);
	*pte = FRAME_A | RW;
	write_cr3(read_cr3());
	expect_eq("CR3 reload makes a changed non-global PTE visible", *p, 0xa);

	write_cr4(cr4 | CR4_PGE);
	set_pte(PG_REMAP, FRAME_A | RW | PTE_G);
	expect_eq("global page: the first frame", *p, 0xa);
	*pte = FRAME_B | RW | PTE_G;
	invlpg((void *)PG_REMAP);
	expect_eq("INVLPG makes a changed global PTE visible", *p, 0xb);
	*pte = FRAME_A | RW | PTE_G;
	write_cr4(cr4);
	expect_eq("clearing CR4.PGE makes a changed global PTE visible", *p, 0xa);
	set_pte(PG_REMAP, PG_REMAP | RW);
}

int main(void)
{
	kernel64_init();
	printf("Paging tests\n");
	paging64_pte(AREA);
	check_not_present();
	check_write_protect();
	check_user_supervisor();
	check_reserved_bits();
	check_nx();
	check_accessed_dirty();
	check_large_pages();
	check_tlb_flushes();
	test_done();
}
