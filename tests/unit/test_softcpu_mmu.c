/* The interp engine's page walker and soft TLB (src/engine/softcpu/mem.c) against
 * Intel SDM Vol. 3A, chapter 4 "Paging": 4.3 (32-bit paging), 4.4 (PAE), 4.5
 * (4-level), 4.6 (access rights), 4.7 (page-fault error code, figure 4-12), 4.8
 * (accessed and dirty flags), 4.10 (TLBs and their invalidation).
 *
 * Page tables are built by hand in guest RAM; a fault unwinds through cpu->unwind
 * into icpu_call, which reports the vector and error code as cpu_raise left them.
 * The CPU model has MAXPHYADDR 40, PSE and PAT, no PSE-36 and no 1-GByte pages
 * (src/x86/cpu_model.c). */
#include "softcpu_harness.h"

#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_PWU (PTE_P | PTE_W | PTE_U)

/* Data frames, distinct from the page tables at ICPU_TABLES. */
#define FRAME1 0x400000ull
#define FRAME2 0x401000ull
#define FRAME_2M 0x600000ull   /* 2-MByte aligned */
#define FRAME_4M 0x400000ull   /* 4-MByte aligned */
#define FRAME_2M_B 0x200000ull /* a second 2-MByte frame */

/* Linear addresses: a user-half 4-level address, and 32-bit ones. */
#define LIN64 0x00007f1234567000ull
#define LIN64_2M 0x00007f1234800000ull
#define LIN32 0x12345000ull
#define LIN32_2M 0x40200000ull
#define LIN32_4M 0x40400000ull

#define PF 14

struct paging {
	struct icpu *h;
	enum pt_format fmt;
	uint64_t root;
};

static struct paging paging_new(enum pt_format fmt, bool nxe)
{
	struct paging p;

	p.h = icpu_new();
	p.fmt = fmt;
	p.root = pt_alloc(p.h);
	icpu_paging(p.h, fmt, p.root, nxe);
	return p;
}

static uint64_t map(struct paging *p, uint64_t lin, uint64_t gpa, unsigned level, uint64_t flags)
{
	uint64_t entry = pt_map(p->h, p->fmt, p->root, lin, gpa, level, flags);

	/* PAE paging holds the PDPTEs in registers loaded with CR3 (SDM 4.4.1): after
	 * changing them, software reloads CR3, and so does this. */
	if (p->fmt == PT_PAE)
		mmu_load_pdptes(p->h->cpu, p->h->cpu->cr3);
	return entry;
}

static uint64_t entry_at(struct paging *p, uint64_t lin, unsigned level)
{
	return pt_entry(p->h, p->fmt, p->root, lin, level);
}

static uint64_t get(struct paging *p, uint64_t gpa)
{
	return icpu_get(p->h, gpa, pt_entry_size(p->fmt));
}

static void set(struct paging *p, uint64_t gpa, uint64_t v)
{
	icpu_set(p->h, gpa, v, pt_entry_size(p->fmt));
}

static void expect_translation(struct paging *p, uint64_t lin, unsigned acc, uint64_t want, const char *what)
{
	uint64_t gpa = 0;

	ih_expect_no_fault(icpu_translate(p->h, lin, acc, &gpa), what);
	if (gpa != want)
		fail_msg("%s: 0x%llx translates to 0x%llx, wanted 0x%llx", what, (unsigned long long)lin,
			 (unsigned long long)gpa, (unsigned long long)want);
}

/* #PF with this error code, and CR2 = the faulting linear address (SDM 4.7). */
static void expect_pf(struct paging *p, uint64_t lin, unsigned acc, uint32_t error, const char *what)
{
	uint64_t gpa;

	p->h->cpu->cr2 = 0xdead0000;
	ih_expect_fault(icpu_translate(p->h, lin, acc, &gpa), PF, error, what);
	assert_int_equal(p->h->cpu->cr2, lin);
}

/* ---- 4-level paging ------------------------------------------------------------- */

/* CPL 3 with CR0.AM and RFLAGS.AC uses TLB set 2, which holds nothing: every
 * access takes the slow path and its alignment check. A misaligned load is
 * #AC(0) (SDM vol. 3A, 6.15, interrupt 17); an aligned one reads guest memory.
 * A set left as zeroes once claimed linear page 0 at host address 0, and this
 * load then crashed the host. */
static void test_mmu_alignment_checked_user_accesses_find_no_tlb_entry(void **state)
{
	struct icpu *h = icpu_new();
	struct ih_fault f;
	uint64_t v = 0;

	(void)state;
	icpu_set(h, 0x10, 0x1122334455667788ull, 8);
	h->cpu->cr0 |= CR0_AM;
	h->cpu->rflags |= RFLAGS_AC;
	h->cpu->cpl = 3;
	cpu_update_mode(h->cpu);
	h->cpu->cpl = 3;
	assert_int_equal(h->cpu->user_data_set, TLB_SET_ALIGN_CHECK);
	assert_null(tlb_find(h->cpu, 0x10, ACC_READ));
	assert_null(tlb_find(h->cpu, 0x10, ACC_WRITE));
	f = icpu_read(h, 0x11, 2, &v);
	assert_true(f.raised);
	assert_int_equal(f.vector, EXC_AC);
	assert_int_equal(f.error, 0);
	f = icpu_read(h, 0x10, 8, &v);
	assert_false(f.raised);
	assert_int_equal(v, 0x1122334455667788ull);
	icpu_free(h);
}

static void test_mmu_4level_4k_page_maps_frame_plus_offset(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);

	(void)state;
	map(&p, LIN64, FRAME1, 1, PTE_PWU);
	expect_translation(&p, LIN64 + 0x9ab, ACC_READ, FRAME1 + 0x9ab, "read");
	expect_translation(&p, LIN64 + 0xfff, ACC_WRITE, FRAME1 + 0xfff, "write");
	expect_translation(&p, LIN64, ACC_EXEC, FRAME1, "fetch");
	icpu_free(p.h);
}

/* A PDE with PS maps 2 MBytes: bits 20:0 of the address are the offset (4.5.4). */
static void test_mmu_4level_2m_page_keeps_21_offset_bits(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);

	(void)state;
	map(&p, LIN64_2M, FRAME_2M, 2, PTE_PWU);
	expect_translation(&p, LIN64_2M + 0x1abcde, ACC_READ, FRAME_2M + 0x1abcde, "read in 2M page");
	icpu_free(p.h);
}

/* A clear P flag at any level: #PF with P = 0; W/R and U/S describe the access. */
static void test_mmu_4level_not_present_at_each_level_faults_with_p_clear(void **state)
{
	(void)state;
	for (unsigned level = 4; level >= 1; level--) {
		struct paging p = paging_new(PT_4LEVEL, true);
		uint64_t at;
		char what[64];

		map(&p, LIN64, FRAME1, 1, PTE_PWU);
		at = entry_at(&p, LIN64, level);
		set(&p, at, get(&p, at) & ~PTE_P);
		snprintf(what, sizeof(what), "level %u not present, read", level);
		expect_pf(&p, LIN64 + 8, ACC_READ, 0, what);
		snprintf(what, sizeof(what), "level %u not present, write", level);
		expect_pf(&p, LIN64 + 8, ACC_WRITE, PFEC_W, what);
		p.h->cpu->cpl = 3;
		snprintf(what, sizeof(what), "level %u not present, user write", level);
		expect_pf(&p, LIN64 + 8, ACC_WRITE, PFEC_W | PFEC_U, what);
		icpu_free(p.h);
	}
}

/* Supervisor writes to a read-only page fault only with CR0.WP = 1 (4.6.1). */
static void test_mmu_supervisor_write_to_read_only_page_faults_only_with_wp(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);

	(void)state;
	map(&p, LIN64, FRAME1, 1, PTE_P | PTE_U);
	expect_pf(&p, LIN64, ACC_WRITE, PFEC_P | PFEC_W, "CPL0 write, WP=1");
	expect_translation(&p, LIN64, ACC_READ, FRAME1, "CPL0 read, WP=1");
	p.h->cpu->cr0 &= ~CR0_WP;
	expect_translation(&p, LIN64, ACC_WRITE, FRAME1, "CPL0 write, WP=0");
	icpu_free(p.h);
}

/* User writes to a read-only page fault whatever CR0.WP says (4.6.1). */
static void test_mmu_user_write_to_read_only_page_faults_regardless_of_wp(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);

	(void)state;
	map(&p, LIN64, FRAME1, 1, PTE_P | PTE_U);
	p.h->cpu->cpl = 3;
	expect_pf(&p, LIN64, ACC_WRITE, PFEC_P | PFEC_W | PFEC_U, "CPL3 write, WP=1");
	p.h->cpu->cr0 &= ~CR0_WP;
	expect_pf(&p, LIN64, ACC_WRITE, PFEC_P | PFEC_W | PFEC_U, "CPL3 write, WP=0");
	expect_translation(&p, LIN64, ACC_READ, FRAME1, "CPL3 read");
	icpu_free(p.h);
}

/* R/W and U/S combine over every level: a read-only PDPTE makes the whole 1-GByte
 * region read-only, a supervisor PML4E the whole 512 GBytes supervisor-only. */
static void test_mmu_rights_of_upper_levels_apply_to_the_page(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);
	uint64_t pdpte, pml4e;

	(void)state;
	map(&p, LIN64, FRAME1, 1, PTE_PWU);
	pdpte = entry_at(&p, LIN64, 3);
	set(&p, pdpte, get(&p, pdpte) & ~PTE_W);
	p.h->cpu->cpl = 3;
	expect_pf(&p, LIN64, ACC_WRITE, PFEC_P | PFEC_W | PFEC_U, "user write under read-only PDPTE");
	set(&p, pdpte, get(&p, pdpte) | PTE_W);
	pml4e = entry_at(&p, LIN64, 4);
	set(&p, pml4e, get(&p, pml4e) & ~PTE_U);
	expect_pf(&p, LIN64, ACC_READ, PFEC_P | PFEC_U, "user read under supervisor PML4E");
	icpu_free(p.h);
}

/* User accesses to supervisor pages fault; supervisor ones do not; the CPU's own
 * accesses (descriptor tables, IDT, TSS) are supervisor accesses even at CPL 3
 * (4.6, "implicit supervisor-mode accesses"). */
static void test_mmu_user_access_to_supervisor_page_faults_with_p_and_u(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);

	(void)state;
	map(&p, LIN64, FRAME1, 1, PTE_P | PTE_W);
	p.h->cpu->cpl = 3;
	expect_pf(&p, LIN64, ACC_READ, PFEC_P | PFEC_U, "user read");
	expect_pf(&p, LIN64, ACC_EXEC, PFEC_P | PFEC_U | PFEC_I, "user fetch");
	expect_translation(&p, LIN64, ACC_READ | ACC_SYSTEM, FRAME1, "implicit supervisor read at CPL3");
	p.h->cpu->cpl = 0;
	expect_translation(&p, LIN64, ACC_READ, FRAME1, "supervisor read");
	icpu_free(p.h);
}

/* With EFER.NXE, XD in any entry forbids fetches: #PF with P and I/D (4.6, 4.7). */
static void test_mmu_nx_forbids_fetch_with_id_bit_when_nxe_is_set(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);
	uint64_t pdpte;

	(void)state;
	map(&p, LIN64, FRAME1, 1, PTE_PWU | PTE_NX);
	expect_pf(&p, LIN64, ACC_EXEC, PFEC_P | PFEC_I, "fetch from XD page");
	expect_translation(&p, LIN64, ACC_READ, FRAME1, "read from XD page");
	map(&p, LIN64, FRAME1, 1, PTE_PWU);
	pdpte = entry_at(&p, LIN64, 3);
	set(&p, pdpte, get(&p, pdpte) | PTE_NX);
	expect_pf(&p, LIN64, ACC_EXEC, PFEC_P | PFEC_I, "fetch under XD PDPTE");
	icpu_free(p.h);
}

/* Without EFER.NXE bit 63 is reserved: any access faults with RSVD (and P), and
 * the I/D flag stays clear ("IA32_EFER.NXE = 1" is a condition for it, 4.7). */
static void test_mmu_nx_bit_without_nxe_is_reserved(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, false);

	(void)state;
	map(&p, LIN64, FRAME1, 1, PTE_PWU | PTE_NX);
	expect_pf(&p, LIN64, ACC_READ, PFEC_P | PFEC_RSVD, "read");
	expect_pf(&p, LIN64, ACC_WRITE, PFEC_P | PFEC_RSVD | PFEC_W, "write");
	expect_pf(&p, LIN64, ACC_EXEC, PFEC_P | PFEC_RSVD, "fetch");
	icpu_free(p.h);
}

/* I/D reports a fetch with NXE set even when the page is simply not present. */
static void test_mmu_fetch_fault_reports_id_only_with_nxe(void **state)
{
	struct paging with = paging_new(PT_4LEVEL, true), without = paging_new(PT_4LEVEL, false);

	(void)state;
	expect_pf(&with, LIN64, ACC_EXEC, PFEC_I, "not-present fetch, NXE=1");
	expect_pf(&without, LIN64, ACC_EXEC, 0, "not-present fetch, NXE=0");
	icpu_free(with.h);
	icpu_free(without.h);
}

/* Bits 51:MAXPHYADDR (51:40 here) are reserved at every level, bits 62:52 are
 * ignored (4.5.4, the 4-level entry formats: "51:M Reserved", "62:52 Ignored"). */
static void test_mmu_4level_physical_address_bits_above_maxphyaddr_are_reserved(void **state)
{
	(void)state;
	for (unsigned level = 4; level >= 1; level--) {
		struct paging p = paging_new(PT_4LEVEL, true);
		uint64_t at;
		char what[64];

		map(&p, LIN64, FRAME1, 1, PTE_PWU);
		at = entry_at(&p, LIN64, level);
		set(&p, at, get(&p, at) | (1ull << 40));
		snprintf(what, sizeof(what), "bit 40 at level %u", level);
		expect_pf(&p, LIN64, ACC_READ, PFEC_P | PFEC_RSVD, what);
		set(&p, at, (get(&p, at) & ~(1ull << 40)) | (1ull << 51));
		snprintf(what, sizeof(what), "bit 51 at level %u, write", level);
		expect_pf(&p, LIN64, ACC_WRITE, PFEC_P | PFEC_RSVD | PFEC_W, what);
		set(&p, at, (get(&p, at) & ~(1ull << 51)) | (0x7ffull << 52));
		snprintf(what, sizeof(what), "ignored bits 62:52 at level %u", level);
		expect_translation(&p, LIN64, ACC_READ, FRAME1, what);
		icpu_free(p.h);
	}
}

/* PS is reserved in a PML4E, and in a PDPTE when 1-GByte pages are not supported
 * (CPUID.80000001H:EDX.Page1GB = 0 in the model); bits 20:13 of a 2-MByte PDE are
 * reserved (4.5.4, "Format of a 4-Level Page-Directory Entry that Maps a
 * 2-MByte Page": "20:13 Reserved"). */
static void test_mmu_4level_reserved_ps_and_large_page_bits_fault_rsvd(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);
	uint64_t at;

	(void)state;
	map(&p, LIN64, FRAME1, 1, PTE_PWU);
	at = entry_at(&p, LIN64, 4);
	set(&p, at, get(&p, at) | PTE_PS);
	expect_pf(&p, LIN64, ACC_READ, PFEC_P | PFEC_RSVD, "PS in PML4E");
	set(&p, at, get(&p, at) & ~PTE_PS);
	at = map(&p, LIN64, 0, 3, PTE_PWU);
	expect_pf(&p, LIN64, ACC_READ, PFEC_P | PFEC_RSVD, "1-GByte page without Page1GB");
	icpu_free(p.h);

	p = paging_new(PT_4LEVEL, true);
	at = map(&p, LIN64_2M, FRAME_2M, 2, PTE_PWU);
	set(&p, at, get(&p, at) | (1ull << 13));
	expect_pf(&p, LIN64_2M, ACC_READ, PFEC_P | PFEC_RSVD, "bit 13 in 2-MByte PDE");
	set(&p, at, (get(&p, at) & ~(1ull << 13)) | (1ull << 20));
	expect_pf(&p, LIN64_2M, ACC_READ, PFEC_P | PFEC_RSVD, "bit 20 in 2-MByte PDE");
	icpu_free(p.h);
}

/* 4.8: every entry used for a translation gets A; only the entry that maps the
 * page gets D, and only for a write. */
static void test_mmu_accessed_set_on_every_level_dirty_only_on_leaf_for_writes(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);
	uint64_t at[5];

	(void)state;
	map(&p, LIN64, FRAME1, 1, PTE_PWU);
	for (unsigned l = 1; l <= 4; l++)
		at[l] = entry_at(&p, LIN64, l);
	expect_translation(&p, LIN64, ACC_READ, FRAME1, "read");
	for (unsigned l = 1; l <= 4; l++) {
		assert_true(get(&p, at[l]) & PTE_A);
		assert_false(get(&p, at[l]) & PTE_D);
	}
	expect_translation(&p, LIN64, ACC_WRITE, FRAME1, "write");
	assert_true(get(&p, at[1]) & PTE_D);
	for (unsigned l = 2; l <= 4; l++)
		assert_false(get(&p, at[l]) & PTE_D);
	icpu_free(p.h);
}

static void test_mmu_write_to_2m_page_sets_dirty_in_the_pde(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);
	uint64_t pde = map(&p, LIN64_2M, FRAME_2M, 2, PTE_PWU), pdpte = entry_at(&p, LIN64_2M, 3);

	(void)state;
	expect_translation(&p, LIN64_2M + 0x1000, ACC_WRITE, FRAME_2M + 0x1000, "write");
	assert_int_equal(get(&p, pde) & (PTE_A | PTE_D), PTE_A | PTE_D);
	assert_int_equal(get(&p, pdpte) & (PTE_A | PTE_D), PTE_A);
	icpu_free(p.h);
}

/* A write that faults writes nothing, so it sets no dirty flag. */
static void test_mmu_faulting_write_leaves_dirty_clear(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);
	uint64_t pte = map(&p, LIN64, FRAME1, 1, PTE_P | PTE_U);

	(void)state;
	expect_pf(&p, LIN64, ACC_WRITE, PFEC_P | PFEC_W, "write to read-only page");
	assert_false(get(&p, pte) & PTE_D);
	icpu_free(p.h);
}

/* CR2 changes only on a page fault. */
static void test_mmu_successful_translation_leaves_cr2(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);

	(void)state;
	map(&p, LIN64, FRAME1, 1, PTE_PWU);
	p.h->cpu->cr2 = 0x1234;
	expect_translation(&p, LIN64, ACC_WRITE, FRAME1, "write");
	assert_int_equal(p.h->cpu->cr2, 0x1234);
	icpu_free(p.h);
}

/* With CR0.PG = 0 linear addresses are physical (4.1.1). */
static void test_mmu_paging_off_maps_linear_to_physical(void **state)
{
	struct icpu *h = icpu_new();
	uint64_t gpa = 0;

	(void)state;
	h->cpu->cr0 = CR0_PE | CR0_ET;
	x86_segment_flat(&h->cpu->seg[SREG_CS], BOOT_SEL_CODE32, SEG_TYPE_CODE_RX_ACCESSED, 1, 0);
	cpu_update_mode(h->cpu);
	ih_expect_no_fault(icpu_translate(h, 0x12345678, ACC_WRITE, &gpa), "paging off");
	assert_int_equal(gpa, 0x12345678);
	icpu_free(h);
}

/* ---- PAE paging -------------------------------------------------------------------- */

static void test_mmu_pae_4k_and_2m_pages_translate(void **state)
{
	struct paging p = paging_new(PT_PAE, true);

	(void)state;
	map(&p, LIN32, FRAME1, 1, PTE_PWU);
	map(&p, LIN32_2M, FRAME_2M, 2, PTE_PWU);
	expect_translation(&p, LIN32 + 0x123, ACC_WRITE, FRAME1 + 0x123, "4K page");
	expect_translation(&p, LIN32_2M + 0x1fffff, ACC_READ, FRAME_2M + 0x1fffff, "2M page");
	icpu_free(p.h);
}

/* A not-present PDPTE: #PF with P clear (4.4.1). */
static void test_mmu_pae_not_present_pdpte_faults_with_p_clear(void **state)
{
	struct paging p = paging_new(PT_PAE, true);
	uint64_t pdpte;

	(void)state;
	map(&p, LIN32, FRAME1, 1, PTE_PWU);
	pdpte = entry_at(&p, LIN32, 3);
	set(&p, pdpte, get(&p, pdpte) & ~PTE_P);
	mmu_load_pdptes(p.h->cpu, p.h->cpu->cr3); /* software reloads CR3 after the change */
	expect_pf(&p, LIN32, ACC_WRITE, PFEC_W, "write through not-present PDPTE");
	icpu_free(p.h);
}

static void test_mmu_pae_nx_forbids_fetch_with_id_bit(void **state)
{
	struct paging p = paging_new(PT_PAE, true);

	(void)state;
	map(&p, LIN32, FRAME1, 1, PTE_PWU | PTE_NX);
	expect_pf(&p, LIN32, ACC_EXEC, PFEC_P | PFEC_I, "fetch from XD page");
	expect_translation(&p, LIN32, ACC_READ, FRAME1, "read from XD page");
	icpu_free(p.h);
}

/* PDPTEs have no accessed flag under PAE paging: bit 5 is reserved (table 4-8). */
static void test_mmu_pae_walk_writes_no_accessed_bit_into_pdpte(void **state)
{
	struct paging p = paging_new(PT_PAE, true);
	uint64_t pde, pdpte;

	(void)state;
	map(&p, LIN32, FRAME1, 1, PTE_PWU);
	pde = entry_at(&p, LIN32, 2);
	pdpte = entry_at(&p, LIN32, 3);
	expect_translation(&p, LIN32, ACC_WRITE, FRAME1, "write");
	assert_true(get(&p, pde) & PTE_A);
	assert_int_equal(get(&p, pdpte) & 0x1e6, 0);
	icpu_free(p.h);
}

/* Under PAE paging bits 62:MAXPHYADDR of PDEs and PTEs are reserved (tables 4-9 to
 * 4-11: "62:M Reserved (must be 0)"), unlike 4-level paging where 62:52 are
 * ignored. */
static void test_mmu_pae_bits_62_to_52_are_reserved(void **state)
{
	struct paging p;
	uint64_t pte;

	(void)state;
	p = paging_new(PT_PAE, true);
	pte = map(&p, LIN32, FRAME1, 1, PTE_PWU);
	set(&p, pte, get(&p, pte) | (1ull << 52));
	expect_pf(&p, LIN32, ACC_READ, PFEC_P | PFEC_RSVD, "bit 52 in PAE PTE");
	icpu_free(p.h);
}

/* ---- 32-bit paging ----------------------------------------------------------------- */

static void test_mmu_32bit_4k_page_translates_and_sets_accessed_dirty(void **state)
{
	struct paging p = paging_new(PT_32BIT, false);
	uint64_t pte, pde;

	(void)state;
	pte = map(&p, LIN32, FRAME1, 1, PTE_PWU);
	pde = entry_at(&p, LIN32, 2);
	expect_translation(&p, LIN32 + 0xabc, ACC_WRITE, FRAME1 + 0xabc, "write");
	assert_int_equal(get(&p, pte) & (PTE_A | PTE_D), PTE_A | PTE_D);
	assert_int_equal(get(&p, pde) & (PTE_A | PTE_D), PTE_A);
	icpu_free(p.h);
}

static void test_mmu_32bit_not_present_pde_and_pte_fault_with_p_clear(void **state)
{
	struct paging p = paging_new(PT_32BIT, false);
	uint64_t pte, pde;

	(void)state;
	pte = map(&p, LIN32, FRAME1, 1, PTE_PWU);
	pde = entry_at(&p, LIN32, 2);
	set(&p, pte, 0);
	expect_pf(&p, LIN32, ACC_READ, 0, "not-present PTE");
	set(&p, pte, FRAME1 | PTE_PWU);
	set(&p, pde, get(&p, pde) & ~PTE_P);
	p.h->cpu->cpl = 3;
	expect_pf(&p, LIN32, ACC_WRITE, PFEC_W | PFEC_U, "not-present PDE, user write");
	icpu_free(p.h);
}

/* With CR4.PSE a PDE with PS maps 4 MBytes: bits 21:0 are the offset (4.3). */
static void test_mmu_32bit_4m_page_with_pse(void **state)
{
	struct paging p = paging_new(PT_32BIT, false);

	(void)state;
	p.h->cpu->cr4 |= CR4_PSE;
	map(&p, LIN32_4M, FRAME_4M, 2, PTE_PWU);
	expect_translation(&p, LIN32_4M + 0x3fffff, ACC_READ, FRAME_4M + 0x3fffff, "4M page");
	icpu_free(p.h);
}

/* With CR4.PSE = 0 the PS flag of a PDE is ignored and the PDE references a page
 * table (4.3: "If CR4.PSE = 0 or the PDE's PS flag is 0, a 4-KByte naturally
 * aligned page table is located at ..."; table 4-5). */
static void test_mmu_32bit_ps_flag_is_ignored_without_pse(void **state)
{
	struct paging p;
	uint64_t pde;

	(void)state;
	p = paging_new(PT_32BIT, false);
	map(&p, LIN32, FRAME1, 1, PTE_PWU);
	pde = entry_at(&p, LIN32, 2);
	set(&p, pde, get(&p, pde) | PTE_PS);
	expect_translation(&p, LIN32 + 0x10, ACC_READ, FRAME1 + 0x10, "PS ignored without PSE");
	icpu_free(p.h);
}

/* Without PSE-36 (CPUID.1:EDX bit 17 clear in the model) bits 21:13 of a 4-MByte
 * PDE are reserved (table 4-4, note 2: "If the PSE-36 mechanism is not supported,
 * M is 32"); bit 21 is reserved in any case. */
static void test_mmu_32bit_4m_page_bits_21_to_13_are_reserved(void **state)
{
	struct paging p;
	uint64_t pde;

	(void)state;
	p = paging_new(PT_32BIT, false);
	p.h->cpu->cr4 |= CR4_PSE;
	pde = map(&p, LIN32_4M, FRAME_4M, 2, PTE_PWU);
	set(&p, pde, get(&p, pde) | (1ull << 21));
	expect_pf(&p, LIN32_4M, ACC_READ, PFEC_P | PFEC_RSVD, "bit 21 in 4-MByte PDE");
	set(&p, pde, (get(&p, pde) & ~(1ull << 21)) | (1ull << 13));
	expect_pf(&p, LIN32_4M, ACC_READ, PFEC_P | PFEC_RSVD, "bit 13 in 4-MByte PDE");
	icpu_free(p.h);
}

/* I/D is set only "if CR4.SMEP = 1 or (CR4.PAE = 1 and IA32_EFER.NXE = 1)" (4.7):
 * under 32-bit paging a fetch fault has I/D clear even with EFER.NXE set. */
static void test_mmu_32bit_fetch_fault_has_no_id_bit_even_with_nxe(void **state)
{
	struct paging p;

	(void)state;
	p = paging_new(PT_32BIT, true);
	expect_pf(&p, LIN32, ACC_EXEC, 0, "not-present fetch, 32-bit paging, NXE=1");
	icpu_free(p.h);
}

/* ---- the soft TLB ------------------------------------------------------------------ */

static uint64_t read_u32(struct paging *p, uint64_t lin)
{
	uint64_t v = 0;

	ih_expect_no_fault(icpu_read(p->h, lin, 4, &v), "read");
	return v;
}

/* Two frames with different contents; lin mapped to the first. Returns the leaf. */
static uint64_t tlb_setup(struct paging *p, uint64_t flags)
{
	icpu_set(p->h, FRAME1, 0x11111111, 4);
	icpu_set(p->h, FRAME2, 0x22222222, 4);
	return map(p, LIN64, FRAME1, 1, flags);
}

/* A changed PTE is not used until the TLB entry is invalidated (4.10.4: software
 * must invalidate; until then the processor may use the old translation). */
static void test_tlb_keeps_old_translation_until_flush_page(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);
	uint64_t pte = tlb_setup(&p, PTE_PWU);

	(void)state;
	assert_int_equal(read_u32(&p, LIN64), 0x11111111);
	set(&p, pte, FRAME2 | PTE_PWU);
	assert_int_equal(read_u32(&p, LIN64), 0x11111111);
	tlb_flush_page(p.h->cpu, LIN64);
	assert_int_equal(read_u32(&p, LIN64), 0x22222222);
	icpu_free(p.h);
}

/* MOV to CR3 (tlb_flush keeping globals) drops non-global translations. */
static void test_tlb_flush_drops_non_global_translations(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);
	uint64_t pte = tlb_setup(&p, PTE_PWU | PTE_G);

	(void)state;
	p.h->cpu->cr4 &= ~CR4_PGE; /* G is ignored without CR4.PGE */
	assert_int_equal(read_u32(&p, LIN64), 0x11111111);
	set(&p, pte, FRAME2 | PTE_PWU | PTE_G);
	tlb_flush(p.h->cpu, true);
	assert_int_equal(read_u32(&p, LIN64), 0x22222222);
	icpu_free(p.h);
}

/* A CR3 load drops every non-global translation however many pages were
 * used since the last (the flush empties the rows it listed as filled, and
 * scans when they were too many to list), and again after the next. */
static void test_tlb_flush_drops_translations_of_many_pages(void **state)
{
	static const unsigned counts[] = { 3, TLB_LISTED_MAX, TLB_LISTED_MAX + 40, 5 };
	struct paging p = paging_new(PT_4LEVEL, true);
	uint64_t pte[TLB_LISTED_MAX + 40];

	(void)state;
	icpu_set(p.h, FRAME1, 0x11111111, 4);
	icpu_set(p.h, FRAME2, 0x22222222, 4);
	for (unsigned n = 0; n < TLB_LISTED_MAX + 40; n++)
		pte[n] = map(&p, LIN64 + n * 4096ull, FRAME1, 1, PTE_PWU);
	for (unsigned round = 0; round < sizeof(counts) / sizeof(counts[0]); round++) {
		uint64_t to = round % 2 ? FRAME1 : FRAME2;
		uint32_t expect = round % 2 ? 0x11111111 : 0x22222222;

		for (unsigned n = 0; n < counts[round]; n++)
			assert_int_equal(read_u32(&p, LIN64 + n * 4096ull), expect ^ 0x33333333);
		for (unsigned n = 0; n < TLB_LISTED_MAX + 40; n++)
			set(&p, pte[n], to | PTE_PWU);
		tlb_flush(p.h->cpu, true);
		for (unsigned n = 0; n < counts[round]; n++)
			assert_int_equal(read_u32(&p, LIN64 + n * 4096ull), expect);
	}
	icpu_free(p.h);
}

/* With CR4.PGE, global translations survive a CR3 load (4.10.2.4) but not a full
 * flush (a CR4.PGE toggle). */
static void test_tlb_global_translation_survives_flush_keeping_globals(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);
	uint64_t pte = tlb_setup(&p, PTE_PWU | PTE_G);

	(void)state;
	p.h->cpu->cr4 |= CR4_PGE;
	assert_int_equal(read_u32(&p, LIN64), 0x11111111);
	set(&p, pte, FRAME2 | PTE_PWU | PTE_G);
	tlb_flush(p.h->cpu, true);
	assert_int_equal(read_u32(&p, LIN64), 0x11111111);
	tlb_flush(p.h->cpu, false);
	assert_int_equal(read_u32(&p, LIN64), 0x22222222);
	icpu_free(p.h);
}

/* A supervisor access cached in the TLB does not let a user access through. */
static void test_tlb_supervisor_translation_does_not_serve_user_access(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);
	uint64_t v;

	(void)state;
	tlb_setup(&p, PTE_P | PTE_W);
	assert_int_equal(read_u32(&p, LIN64), 0x11111111);
	p.h->cpu->cpl = 3;
	ih_expect_fault(icpu_read(p.h, LIN64, 4, &v), PF, PFEC_P | PFEC_U, "user read after supervisor read");
	icpu_free(p.h);
}

/* A cached read translation does not make the page writable, and a write after
 * a read still sets the dirty flag. */
static void test_tlb_read_entry_does_not_cover_writes(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);
	uint64_t pte = tlb_setup(&p, PTE_PWU);

	(void)state;
	assert_int_equal(read_u32(&p, LIN64), 0x11111111);
	assert_false(get(&p, pte) & PTE_D);
	ih_expect_no_fault(icpu_write(p.h, LIN64, 4, 0x33333333), "write after read");
	assert_true(get(&p, pte) & PTE_D);
	assert_int_equal(icpu_get(p.h, FRAME1, 4), 0x33333333);
	set(&p, pte, FRAME1 | PTE_P | PTE_U); /* read-only now */
	tlb_flush_page(p.h->cpu, LIN64);
	assert_int_equal(read_u32(&p, LIN64), 0x33333333);
	ih_expect_fault(icpu_write(p.h, LIN64, 4, 0x44444444), PF, PFEC_P | PFEC_W, "write to read-only page");
	assert_int_equal(icpu_get(p.h, FRAME1, 4), 0x33333333);
	icpu_free(p.h);
}

/* INVLPG of any address in a large page invalidates the whole page's translation
 * (4.10.4.1: "If the paging structures map the linear address using a page larger
 * than 4 KBytes and there are multiple TLB entries for that page, the instruction
 * invalidates all of them."). */
static void test_tlb_flush_page_invalidates_whole_2m_page(void **state)
{
	struct paging p;
	uint64_t pde;

	(void)state;
	p = paging_new(PT_4LEVEL, true);
	icpu_set(p.h, FRAME_2M + 0x1000, 0x11111111, 4);
	icpu_set(p.h, FRAME_2M_B + 0x1000, 0x22222222, 4);
	pde = map(&p, LIN64_2M, FRAME_2M, 2, PTE_PWU);
	assert_int_equal(read_u32(&p, LIN64_2M + 0x1000), 0x11111111);
	set(&p, pde, FRAME_2M_B | PTE_PWU | PTE_PS);
	tlb_flush_page(p.h->cpu, LIN64_2M);
	assert_int_equal(read_u32(&p, LIN64_2M + 0x1000), 0x22222222);
	icpu_free(p.h);
}

/* ---- accesses that cross a page -------------------------------------------------- */

/* An access that spans two pages is translated through both; the bytes land in
 * the two frames. */
static void test_mem_page_crossing_write_splits_over_both_frames(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);
	uint64_t v = 0;

	(void)state;
	map(&p, LIN64, FRAME1, 1, PTE_PWU);
	map(&p, LIN64 + 0x1000, FRAME2, 1, PTE_PWU);
	ih_expect_no_fault(icpu_write(p.h, LIN64 + 0xffc, 8, 0x8877665544332211ull), "crossing write");
	assert_int_equal(icpu_get(p.h, FRAME1 + 0xffc, 4), 0x44332211);
	assert_int_equal(icpu_get(p.h, FRAME2, 4), 0x88776655);
	ih_expect_no_fault(icpu_read(p.h, LIN64 + 0xffe, 4, &v), "crossing read");
	assert_int_equal(v, 0x66554433);
	icpu_free(p.h);
}

/* When the second page faults, CR2 is the first byte of that page (the linear
 * address whose translation failed, SDM Vol. 3A, 4.7) and, the store having
 * faulted, the first page is not written either. */
static void test_mem_page_crossing_write_faulting_on_second_page_writes_nothing(void **state)
{
	struct paging p = paging_new(PT_4LEVEL, true);
	uint64_t v;

	(void)state;
	map(&p, LIN64, FRAME1, 1, PTE_PWU);
	map(&p, LIN64 + 0x1000, FRAME2, 1, PTE_P | PTE_U);
	icpu_set(p.h, FRAME1 + 0xff8, 0x1111111111111111ull, 8);
	ih_expect_fault(icpu_write(p.h, LIN64 + 0xffc, 8, 0x8877665544332211ull), PF, PFEC_P | PFEC_W,
			"crossing write into a read-only page");
	assert_int_equal(p.h->cpu->cr2, LIN64 + 0x1000);
	assert_int_equal(icpu_get(p.h, FRAME1 + 0xff8, 8), 0x1111111111111111ull);
	set(&p, entry_at(&p, LIN64 + 0x1000, 1), 0);
	tlb_flush(p.h->cpu, false);
	ih_expect_fault(icpu_read(p.h, LIN64 + 0xffa, 8, &v), PF, 0, "crossing read into a missing page");
	assert_int_equal(p.h->cpu->cr2, LIN64 + 0x1000);
	icpu_free(p.h);
}

/* ---- PAE PDPTE registers, through the engine ---------------------------------------- */

/* A 32-bit protected-mode guest with PAE paging: PDPT at PAE_PDPT, one page
 * directory identity-mapping the first GByte in 2-MByte pages, a 32-bit IDT whose
 * gates lead to the harness's handlers. */
#define PAE_PDPT 0x20000ull
#define PAE_PD 0x21000ull
#define PAE_PDPT_BAD 0x22000ull
#define IDT32 0x23000ull

static void pae_guest(struct ih *h)
{
	for (unsigned i = 0; i < 512; i++)
		ih_put(h, PAE_PD + i * 8, ((uint64_t)i << 21) | PTE_P | PTE_W | PTE_PS, 8);
	for (unsigned i = 0; i < 4; i++) {
		ih_put(h, PAE_PDPT + i * 8, i == 0 ? PAE_PD | PTE_P : 0, 8);
		ih_put(h, PAE_PDPT_BAD + i * 8, i == 0 ? PAE_PD | PTE_P | PTE_W : 0, 8); /* bit 1 is reserved */
	}
	/* 32-bit interrupt gates (SDM Vol. 3A, 7.11, figure 7-2). */
	for (unsigned v = 0; v < 32; v++) {
		uint64_t off = IH_STUBS + v * 16;
		uint64_t gate = (off & 0xffff) | ((uint64_t)BOOT_SEL_CODE32 << 16) | (0x8eull << 40) |
				((off & 0xffff0000ull) << 32);

		ih_put(h, IDT32 + v * 8, gate, 8);
	}
	boot_state_prot32(&h->state, IH_CODE);
	h->state.gpr[GPR_RSP] = IH_STACK_TOP;
	h->state.cr0 |= CR0_PG;
	h->state.cr4 = CR4_PAE;
	h->state.cr3 = PAE_PDPT;
	h->state.idtr.base = IDT32;
	h->state.idtr.limit = 32 * 8 - 1;
}

/* The PAE guest itself: an access through the not-present PDPTE 1 is a #PF
 * delivered through the 32-bit IDT with error code 0, CR2 = the address, and the
 * faulting EIP and CS on the stack (SDM Vol. 3A, 7.12.1, figure 7-4). */
IH_ASM(pae_read_through_absent_pdpte, ".code32\n mov eax, [0x40000000]\n .code64");

static void test_mmu_pae_guest_page_fault_reports_error_code_and_cr2(void **state)
{
	struct ih *h = ih_new();
	uint64_t esp;

	(void)state;
	pae_guest(h);
	ih_load(h, pae_read_through_absent_pdpte, IH_LEN(pae_read_through_absent_pdpte));
	ih_start(h);
	ih_run(h);
	ih_expect_exception(h, PF);
	esp = h->state.gpr[GPR_RSP];
	assert_int_equal(h->state.cr2, 0x40000000);
	assert_int_equal(ih_read(h, esp, 4), 0);		   /* error code: not present, read, CPL 0 */
	assert_int_equal(ih_read(h, esp + 4, 4), IH_CODE);	   /* EIP of the faulting MOV */
	assert_int_equal(ih_read(h, esp + 8, 4), BOOT_SEL_CODE32); /* CS */
	assert_int_equal(esp, IH_STACK_TOP - 16);
	ih_free(h);
}

/* MOV to CR3 under PAE paging loads the four PDPTEs; one with P and a reserved bit
 * set makes the MOV raise #GP(0) (SDM Vol. 3A, 4.4.1). */
IH_ASM(mov_cr3_bad_pdpt, ".code32\n mov eax, 0x22000\n mov cr3, eax\n .code64");

static void test_mmu_pae_mov_cr3_with_reserved_pdpte_bit_raises_gp(void **state)
{
	struct ih *h;

	(void)state;
	h = ih_new();
	pae_guest(h);
	ih_load(h, mov_cr3_bad_pdpt, IH_LEN(mov_cr3_bad_pdpt));
	ih_start(h);
	ih_run(h);
	ih_expect_exception(h, 13);
	assert_int_equal(h->state.cr3, PAE_PDPT);
	ih_free(h);
}

/* The PDPTEs live in registers loaded with CR3: writing the PDPT in memory changes
 * nothing until CR3 is loaded again (SDM Vol. 3A, 4.4.1, "the processor does not
 * use the PDPTEs in memory ... after loading"). Here PDPTE 1 (1-2 GBytes) is
 * cleared in memory and then PDPTE 0 is, and an access through PDPTE 0 follows. */
IH_ASM(clear_pdpte0_then_read, ".code32\n mov dword ptr [0x20000], 0\n mov eax, [0x1000]\n .code64");

static void test_mmu_pae_pdptes_are_not_reread_from_memory_until_cr3_load(void **state)
{
	struct ih *h;

	(void)state;
	h = ih_new();
	pae_guest(h);
	ih_load(h, clear_pdpte0_then_read, IH_LEN(clear_pdpte0_then_read));
	ih_start(h);
	ih_run(h);
	ih_expect_end(h);
	ih_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmu_4level_4k_page_maps_frame_plus_offset),
		cmocka_unit_test(test_mmu_4level_2m_page_keeps_21_offset_bits),
		cmocka_unit_test(test_mmu_4level_not_present_at_each_level_faults_with_p_clear),
		cmocka_unit_test(test_mmu_supervisor_write_to_read_only_page_faults_only_with_wp),
		cmocka_unit_test(test_mmu_user_write_to_read_only_page_faults_regardless_of_wp),
		cmocka_unit_test(test_mmu_rights_of_upper_levels_apply_to_the_page),
		cmocka_unit_test(test_mmu_user_access_to_supervisor_page_faults_with_p_and_u),
		cmocka_unit_test(test_mmu_nx_forbids_fetch_with_id_bit_when_nxe_is_set),
		cmocka_unit_test(test_mmu_nx_bit_without_nxe_is_reserved),
		cmocka_unit_test(test_mmu_fetch_fault_reports_id_only_with_nxe),
		cmocka_unit_test(test_mmu_4level_physical_address_bits_above_maxphyaddr_are_reserved),
		cmocka_unit_test(test_mmu_4level_reserved_ps_and_large_page_bits_fault_rsvd),
		cmocka_unit_test(test_mmu_accessed_set_on_every_level_dirty_only_on_leaf_for_writes),
		cmocka_unit_test(test_mmu_write_to_2m_page_sets_dirty_in_the_pde),
		cmocka_unit_test(test_mmu_faulting_write_leaves_dirty_clear),
		cmocka_unit_test(test_mmu_successful_translation_leaves_cr2),
		cmocka_unit_test(test_mmu_paging_off_maps_linear_to_physical),
		cmocka_unit_test(test_mmu_pae_4k_and_2m_pages_translate),
		cmocka_unit_test(test_mmu_pae_not_present_pdpte_faults_with_p_clear),
		cmocka_unit_test(test_mmu_pae_nx_forbids_fetch_with_id_bit),
		cmocka_unit_test(test_mmu_pae_walk_writes_no_accessed_bit_into_pdpte),
		cmocka_unit_test(test_mmu_pae_bits_62_to_52_are_reserved),
		cmocka_unit_test(test_mmu_32bit_4k_page_translates_and_sets_accessed_dirty),
		cmocka_unit_test(test_mmu_32bit_not_present_pde_and_pte_fault_with_p_clear),
		cmocka_unit_test(test_mmu_32bit_4m_page_with_pse),
		cmocka_unit_test(test_mmu_32bit_ps_flag_is_ignored_without_pse),
		cmocka_unit_test(test_mmu_32bit_4m_page_bits_21_to_13_are_reserved),
		cmocka_unit_test(test_mmu_32bit_fetch_fault_has_no_id_bit_even_with_nxe),
		cmocka_unit_test(test_tlb_keeps_old_translation_until_flush_page),
		cmocka_unit_test(test_tlb_flush_drops_non_global_translations),
		cmocka_unit_test(test_tlb_flush_drops_translations_of_many_pages),
		cmocka_unit_test(test_tlb_global_translation_survives_flush_keeping_globals),
		cmocka_unit_test(test_tlb_supervisor_translation_does_not_serve_user_access),
		cmocka_unit_test(test_tlb_read_entry_does_not_cover_writes),
		cmocka_unit_test(test_tlb_flush_page_invalidates_whole_2m_page),
		cmocka_unit_test(test_mem_page_crossing_write_splits_over_both_frames),
		cmocka_unit_test(test_mem_page_crossing_write_faulting_on_second_page_writes_nothing),
		cmocka_unit_test(test_mmu_pae_guest_page_fault_reports_error_code_and_cr2),
		cmocka_unit_test(test_mmu_pae_mov_cr3_with_reserved_pdpte_bit_raises_gp),
		cmocka_unit_test(test_mmu_pae_pdptes_are_not_reread_from_memory_until_cr3_load),
		cmocka_unit_test(test_mmu_alignment_checked_user_accesses_find_no_tlb_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
