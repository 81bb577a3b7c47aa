/* Segmentation, the page walker, the soft TLB and its slow path. An access only
 * the VMM can perform (MMIO) goes through the replay log (replay.h). */
#include "engine/softcpu/mem.h"

#include "engine/softcpu/replay.h"
#include "engine/softcpu/watchpoints.h"
#include "engine/softcpu/write_log.h"
#include "engine/softcpu/regs.h"
#include "vm/memory.h"
#include "x86/arch.h"
#include "x86/cpu_model.h"

/* ---- segmentation ---------------------------------------------------------- */

static __attribute__((noreturn)) void seg_fault(struct soft_cpu *cpu, unsigned sreg)
{
	cpu_raise(cpu, sreg == SREG_SS ? EXC_SS : EXC_GP, true, 0);
}

/* In 64-bit mode an access is #GP(0) (#SS(0) through SS) when any of its bytes
 * is not canonical, checked before paging: an access that begins below
 * 2^47 and ends above it is #GP even where its first page is not present.
 * That is what the AMD host (EPYC, Zen 3) does natively for every access it
 * makes as one: loads, stores, read-modify-writes locked or not, SSE and AVX
 * operands, FXSAVE and FXRSTOR (tests/diff, and the unit tests' cases). The
 * manuals speak of an address, not of the bytes: SDM Vol. 1, 3.3.7.1 ("If a
 * linear-memory reference is not in canonical form, the implementation
 * should generate an exception") and APM Vol. 2, 5.3.1 say nothing of an
 * access that crosses the boundary, so silicon is the reference here. An
 * instruction that silicon splits into several accesses is checked one
 * access at a time (mem_check_pieces). */
uint64_t seg_linear(struct soft_cpu *cpu, unsigned sreg, uint64_t offset, unsigned size, unsigned acc)
{
	const struct x86_segment *s = &cpu->seg[sreg];
	uint64_t last, top;

	if (cpu->mode == MODE_LONG64) {
		uint64_t lin = offset + ((sreg == SREG_FS || sreg == SREG_GS) ? s->base : 0);

		/* Through FS or GS the effective address must be canonical too:
		 * the AMD host raises #GP for fs:[0xffff7ffffffffffa] with base
		 * 0x80, whose linear address is canonical (the manuals check the
		 * linear address only). */
		if (!is_canonical(lin) || !is_canonical(lin + size - 1) || !is_canonical(offset))
			seg_fault(cpu, sreg);
		return lin;
	}
	if (cpu->mode != MODE_REAL) {
		if (s->unusable || !s->present)
			seg_fault(cpu, sreg);
		if (s->type & 0x8) { /* code: never writable, readable only with R */
			if (ACC_KIND(acc) == ACC_WRITE || (ACC_KIND(acc) == ACC_READ && !(s->type & 0x2)))
				seg_fault(cpu, sreg);
		} else if (ACC_KIND(acc) == ACC_WRITE && !(s->type & 0x2)) {
			seg_fault(cpu, sreg);
		}
	}
	last = offset + size - 1;
	if (!(s->type & 0x8) && (s->type & 0x4)) { /* expand-down data */
		top = s->db ? 0xffffffffull : 0xffffull;
		if (offset <= s->limit || last > top)
			seg_fault(cpu, sreg);
	} else if (last > s->limit || last < offset) {
		seg_fault(cpu, sreg);
	}
	return (s->base + offset) & 0xffffffffull;
}

/* ---- the page walker ------------------------------------------------------- */

#define PHYS_MASK (((1ull << CPU_MODEL_PHYS_BITS) - 1) & ~0xfffull)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)

struct walk {
	uint64_t gpa;
	uint64_t span_mask;
	bool global;
	uint32_t error; /* #PF error code when the walk failed */
	bool fault;
};

/* Reads a paging-structure entry; a table outside RAM reads all ones, which then
 * faults with reserved bits set. */
static uint64_t read_entry(struct soft_cpu *cpu, uint64_t gpa, unsigned size, uint64_t **where)
{
	uint64_t *p = guest_memory_ptr(cpu->mem, gpa, size);

	*where = p;
	if (!p)
		return ~0ull;
	return size == 8 ? *p : *(uint32_t *)p;
}

/* Sets accessed or dirty in the entry at where (guest-physical gpa): a write
 * like any other, so code decoded from the same page is dropped. */
static void set_bits(struct soft_cpu *cpu, uint64_t *where, uint64_t gpa, unsigned size, uint64_t bits)
{
	uint64_t old;

	if (!where)
		return;
	old = size == 8 ? *where : *(uint32_t *)where;
	if ((old & bits) == bits)
		return;
	if (size == 8)
		*where |= bits;
	else
		*(uint32_t *)where |= (uint32_t)bits;
	guest_memory_mark_dirty(cpu->mem, gpa, size);
	if (code_pages_has_code(&cpu->code, gpa & ~0xfffull))
		cpu_code_written(cpu, gpa, size);
}

static void walk(struct soft_cpu *cpu, uint64_t lin, unsigned acc, struct walk *w, bool update)
{
	bool user = cpu->cpl == 3 && !(acc & ACC_SYSTEM);
	bool write = ACC_KIND(acc) == ACC_WRITE, fetch = ACC_KIND(acc) == ACC_EXEC;
	bool nxe = cpu->efer & EFER_NXE;
	uint64_t *where[4] = { 0 }, at[4] = { 0 };
	unsigned esize, levels, shift, n = 0;
	uint64_t table, entry = 0, rsvd_hi, allow_rw = 1, allow_us = 1, nx = 0;
	/* I/D reports a fetch only where NX exists: PAE or long mode with EFER.NXE. */
	uint32_t err = (write ? PFEC_W : 0) | (user ? PFEC_U : 0) | (fetch && nxe && (cpu->cr4 & CR4_PAE) ? PFEC_I : 0);

	memset(w, 0, sizeof(*w));
	if (cpu->efer & EFER_LMA) {
		esize = 8, levels = 4, shift = 39, table = cpu->cr3 & PHYS_MASK;
		/* Bits from the physical width up to 51 are reserved; 52-62 are the OS's. */
		rsvd_hi = (0x000ffffffffff000ull & ~PHYS_MASK) | (nxe ? 0 : PTE_NX);
	} else if (cpu->cr4 & CR4_PAE) {
		/* The PDPTEs were loaded (and checked) with CR3. */
		uint64_t pdpte = cpu->pdpte[(lin >> 30) & 3];

		if (!(pdpte & PTE_P))
			goto not_present;
		esize = 8, levels = 2, shift = 21, table = pdpte & PHYS_MASK;
		/* PAE entries reserve every bit from the physical width to 62. */
		rsvd_hi = (0x7ffffffffffff000ull & ~PHYS_MASK) | (nxe ? 0 : PTE_NX);
	} else {
		esize = 4, levels = 2, shift = 22, table = cpu->cr3 & 0xfffff000ull;
		rsvd_hi = 0;
	}

	for (unsigned level = levels; level > 0; level--, shift -= (esize == 8 ? 9 : 10)) {
		unsigned index_bits = esize == 8 ? 9 : 10;
		uint64_t idx = (lin >> shift) & ((1ull << index_bits) - 1);
		bool large;

		at[n] = table + idx * esize;
		entry = read_entry(cpu, at[n], esize, &where[n]);
		n++;
		if (!(entry & PTE_P))
			goto not_present;
		if (entry & rsvd_hi)
			goto reserved;
		allow_rw &= (entry >> 1) & 1;
		allow_us &= (entry >> 2) & 1;
		nx |= esize == 8 ? entry >> 63 : 0;
		/* 32-bit paging ignores PS without CR4.PSE: the entry maps a page table. */
		large = level > 1 && (entry & PTE_PS) && (esize == 8 || (cpu->cr4 & CR4_PSE));
		if (large) {
			uint64_t page_mask = (1ull << shift) - 1;

			/* A 1 GiB page (PDPTE PS) is not in the CPU model; PS in a PML4E is reserved. */
			if (esize == 8 && level >= 3)
				goto reserved;
			/* Bits 13 up to the page size are reserved (bit 12 is PAT); in a 4 MiB page
			 * bits 13-21 would be PSE-36 address bits, which the model lacks. */
			if (entry & page_mask & ~0x1fffull)
				goto reserved;
			w->gpa = (entry & (esize == 8 ? PHYS_MASK : 0xffc00000ull) & ~page_mask) | (lin & page_mask);
			w->span_mask = ~page_mask;
			break;
		}
		if (level == 1) {
			w->gpa = (entry & (esize == 8 ? PHYS_MASK : 0xfffff000ull)) | (lin & 0xfff);
			w->span_mask = ~0xfffull;
			break;
		}
		table = entry & (esize == 8 ? PHYS_MASK : 0xfffff000ull);
	}

	/* Rights: user needs U/S and, to write, R/W everywhere; the kernel needs R/W to
	 * write only when CR0.WP is set. */
	if ((user && !allow_us) || (write && !allow_rw && (user || (cpu->cr0 & CR0_WP))) || (fetch && nxe && nx)) {
		w->fault = true;
		w->error = err | PFEC_P;
		return;
	}
	for (unsigned i = 0; update && i < n; i++)
		set_bits(cpu, where[i], at[i], esize, PTE_A);
	if (update && write)
		set_bits(cpu, where[n - 1], at[n - 1], esize, PTE_D);
	w->global = (entry & PTE_G) && (cpu->cr4 & CR4_PGE);
	return;
not_present:
	w->fault = true;
	w->error = err;
	return;
reserved:
	w->fault = true;
	w->error = err | PFEC_P | PFEC_RSVD;
}

bool mmu_pae_paging(const struct soft_cpu *cpu, uint64_t cr0, uint64_t cr4)
{
	return (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(cpu->efer & EFER_LME);
}

void mmu_load_pdptes(struct soft_cpu *cpu, uint64_t cr3)
{
	uint64_t v[4];

	for (unsigned i = 0; i < 4; i++) {
		uint64_t *where;

		v[i] = read_entry(cpu, (cr3 & 0xffffffe0ull) + i * 8, 8, &where);
		/* PDPTE bits 1-2 and 5-8 are reserved, and so is everything from the
		 * physical address width up, NX included. */
		if ((v[i] & PTE_P) && (v[i] & ((~PHYS_MASK & ~0xfffull) | 0x1e6ull)))
			cpu_raise(cpu, EXC_GP, true, 0);
	}
	memcpy(cpu->pdpte, v, sizeof(v));
}

struct translation {
	uint64_t gpa;
	uint64_t span_mask;
	bool global;
};

/* lin's translation for acc, walking the page tables; a fault is raised, or
 * with may_fault false makes it return false with nothing changed. */
static bool translate_walk(struct soft_cpu *cpu, uint64_t lin, unsigned acc, struct translation *t, bool may_fault)
{
	struct walk w;

	if (!(cpu->cr0 & CR0_PG)) {
		t->gpa = cpu->mode == MODE_LONG64 ? lin : lin & 0xffffffffull;
		t->span_mask = ~0xfffull;
		t->global = false;
		return true;
	}
	walk(cpu, lin, acc, &w, true);
	if (w.fault) {
		if (!may_fault)
			return false;
		cpu->cr2 = lin;
		cpu_raise(cpu, EXC_PF, true, w.error);
	}
	t->gpa = w.gpa;
	t->span_mask = w.span_mask;
	t->global = w.global;
	return true;
}

static void translate(struct soft_cpu *cpu, uint64_t lin, unsigned acc, struct translation *t)
{
	translate_walk(cpu, lin, acc, t, true);
}

bool mmu_probe(struct soft_cpu *cpu, uint64_t lin, unsigned acc, uint64_t *gpa)
{
	struct walk w;

	if (!(cpu->cr0 & CR0_PG)) {
		*gpa = cpu->mode == MODE_LONG64 ? lin : lin & 0xffffffffull;
		return true;
	}
	walk(cpu, lin, acc, &w, false);
	*gpa = w.gpa;
	return !w.fault;
}

uint64_t mmu_translate(struct soft_cpu *cpu, uint64_t lin, unsigned acc)
{
	struct translation t;

	translate(cpu, lin, acc, &t);
	return t.gpa;
}

static void tlb_install(struct soft_cpu *cpu, uint64_t lin, const struct translation *t, unsigned acc, uint8_t *host);

static bool translate_fetch(struct soft_cpu *cpu, uint64_t lin, uint64_t *gpa, bool may_fault)
{
	struct translation t;
	uint8_t *host;

	if (tlb_fetch_gpa(cpu, lin, gpa))
		return true;
	if (!translate_walk(cpu, lin, ACC_EXEC, &t, may_fault))
		return false;
	host = guest_memory_ptr(cpu->mem, t.gpa & ~0xfffull, 4096);
	if (host)
		tlb_install(cpu, lin, &t, ACC_EXEC, host);
	*gpa = t.gpa;
	return true;
}

uint64_t mmu_translate_fetch(struct soft_cpu *cpu, uint64_t lin)
{
	uint64_t gpa;

	translate_fetch(cpu, lin, &gpa, true);
	return gpa;
}

bool mmu_translate_fetch_try(struct soft_cpu *cpu, uint64_t lin, uint64_t *gpa)
{
	return translate_fetch(cpu, lin, gpa, false);
}

/* ---- the soft TLB ------------------------------------------------------------ */

void cpu_paging_changed(struct soft_cpu *cpu, bool keep_global)
{
	tlb_flush(cpu, keep_global);
	cpu->leave_block = true;
}

static void translations_flushed(struct soft_cpu *cpu, bool keep_global)
{
	if (cpu->hooks && cpu->hooks->translations_flushed)
		cpu->hooks->translations_flushed(cpu, keep_global);
}

/* The non-global ways of row (tlb_install's numbering) emptied. */
static void tlb_empty_row(struct soft_cpu *cpu, unsigned row)
{
	struct tlb_entry *e = &cpu->tlb.e[0][0][0][0] + (size_t)row * TLB_WAYS;
	const bool *global = &cpu->tlb.global[0][0][0][0] + (size_t)row * TLB_WAYS;

	for (unsigned w = 0; w < TLB_WAYS; w++)
		if (!global[w])
			e[w].tag = TLB_INVALID;
}

void tlb_flush(struct soft_cpu *cpu, bool keep_global)
{
	struct tlb *t = &cpu->tlb;

	translations_flushed(cpu, keep_global);
	if (keep_global && !t->overflow) {
		for (unsigned k = 0; k < t->nlisted; k++) {
			tlb_empty_row(cpu, t->listed[k]);
			t->is_listed[t->listed[k] / 64] &= ~(1ull << (t->listed[k] % 64));
		}
		t->nlisted = 0;
		return;
	}
	if (!keep_global)
		t->has_large = false;
	/* Set 2 never gets an entry (tlb_install), but it starts as zeroes, which
	 * would claim linear page 0 at host address 0: a full flush (reset and
	 * state loads are) empties it too. */
	for (unsigned s = 0; s < (keep_global ? 2u : 3u); s++)
		for (unsigned k = 0; k < ACC_KINDS; k++)
			for (unsigned i = 0; i < TLB_SIZE; i++)
				for (unsigned w = 0; w < TLB_WAYS; w++)
					if (!keep_global || !t->global[s][k][i][w])
						t->e[s][k][i][w].tag = TLB_INVALID;
	t->nlisted = 0;
	t->overflow = false;
	memset(t->is_listed, 0, sizeof(t->is_listed));
}

void tlb_flush_page(struct soft_cpu *cpu, uint64_t lin)
{
	unsigned i = (lin >> 12) & (TLB_SIZE - 1);

	translations_flushed(cpu, false);
	if (cpu->tlb.has_large) {
		/* Entries are per 4 KiB; a large page's other pieces sit in other slots,
		 * and INVLPG drops the whole page (SDM Vol. 3, 4.10.4.1). */
		for (unsigned s = 0; s < 2; s++)
			for (unsigned k = 0; k < ACC_KINDS; k++)
				for (unsigned j = 0; j < TLB_SIZE; j++)
					for (unsigned w = 0; w < TLB_WAYS; w++) {
						struct tlb_entry *e = &cpu->tlb.e[s][k][j][w];

						if ((e->tag & e->span_mask) == (lin & e->span_mask))
							e->tag = TLB_INVALID;
					}
		return;
	}
	for (unsigned s = 0; s < 2; s++)
		for (unsigned k = 0; k < ACC_KINDS; k++)
			for (unsigned w = 0; w < TLB_WAYS; w++)
				if (cpu->tlb.e[s][k][i][w].tag == (lin & ~0xfffull))
					cpu->tlb.e[s][k][i][w].tag = TLB_INVALID;
}

void tlb_flush_gpa_writes(struct soft_cpu *cpu, uint64_t gpa_page)
{
	for (unsigned s = 0; s < 2; s++)
		for (unsigned i = 0; i < TLB_SIZE; i++)
			for (unsigned w = 0; w < TLB_WAYS; w++)
				if (cpu->tlb.e[s][ACC_WRITE][i][w].gpa_page == gpa_page)
					cpu->tlb.e[s][ACC_WRITE][i][w].tag = TLB_INVALID;
}

void tlb_flush_writes(struct soft_cpu *cpu)
{
	for (unsigned s = 0; s < 3; s++)
		for (unsigned i = 0; i < TLB_SIZE; i++)
			for (unsigned w = 0; w < TLB_WAYS; w++)
				cpu->tlb.e[s][ACC_WRITE][i][w].tag = TLB_INVALID;
}

/* Row (of tlb.e, as a flat array of rows) now holds a non-global entry. */
static void tlb_list_row(struct tlb *t, unsigned row)
{
	if (t->is_listed[row / 64] & (1ull << (row % 64)))
		return;
	if (t->nlisted == TLB_LISTED_MAX) {
		t->overflow = true;
		return;
	}
	t->is_listed[row / 64] |= 1ull << (row % 64);
	t->listed[t->nlisted++] = (uint16_t)row;
}

/* The new entry goes to way 0; what was there moves to way 1, unless way 1
 * holds the same page (stale: refilled after a fault or a flush of way 0). */
static void tlb_install(struct soft_cpu *cpu, uint64_t lin, const struct translation *t, unsigned acc, uint8_t *host)
{
	struct tlb_entry *e = tlb_slot(cpu, lin, acc);
	unsigned row = (tlb_set(cpu, acc) * ACC_KINDS + ACC_KIND(acc)) * TLB_SIZE + ((lin >> 12) & (TLB_SIZE - 1));
	bool *global = &cpu->tlb.global[0][0][0][0] + (size_t)row * TLB_WAYS;
	uint64_t page = lin & ~0xfffull;

	if (tlb_set(cpu, acc) == TLB_SET_ALIGN_CHECK)
		return;
	/* Writes being recorded must all come to mem_write_slow. */
	if (__builtin_expect(cpu->write_log != NULL, 0) && ACC_KIND(acc) == ACC_WRITE)
		return;
	/* A page a data breakpoint watches keeps every access on the slow path. */
	if (__builtin_expect(cpu->dbg.write_bps, 0) && debug_page_watched(cpu, lin, ACC_KIND(acc)))
		return;
	/* Dirty logging: the writes this entry lets through never come back
	 * here, so the page counts as written from now on (tlb_flush_writes
	 * starts each round afresh). */
	if (ACC_KIND(acc) == ACC_WRITE)
		guest_memory_mark_dirty(cpu->mem, t->gpa, 1);
	if (e[0].tag != page && e[1].tag != page) {
		e[1] = e[0];
		global[1] = global[0];
	} else if (e[1].tag == page) {
		e[1].tag = TLB_INVALID;
	}
	e[0].tag = page;
	e[0].host_minus_linear = (uintptr_t)host - (uintptr_t)page;
	e[0].gpa_page = t->gpa & ~0xfffull;
	e[0].span_mask = t->span_mask;
	if (t->span_mask != ~0xfffull)
		cpu->tlb.has_large = true;
	global[0] = t->global;
	if (!t->global)
		tlb_list_row(&cpu->tlb, row);
}

/* ---- slow paths ------------------------------------------------------------ */

static bool crosses_page(uint64_t lin, unsigned size)
{
	return (lin & 0xfff) > 4096 - size;
}

/* Alignment checking (CR0.AM, RFLAGS.AC, CPL 3): a misaligned data access raises
 * #AC(0), before paging is consulted (SDM Vol. 3, 6.15, interrupt 17). */
void mem_check_alignment(struct soft_cpu *cpu, uint64_t lin, unsigned size, unsigned acc)
{
	if (tlb_set(cpu, acc) == TLB_SET_ALIGN_CHECK && !(acc & ACC_NO_ALIGN) && size > 1 && size <= 8 &&
	    (lin & (size - 1)))
		cpu_raise(cpu, EXC_AC, true, 0);
}

uint64_t mem_read_slow(struct soft_cpu *cpu, uint64_t lin, unsigned size, unsigned acc)
{
	struct translation t;
	uint64_t v = 0;
	uint8_t *host;

	cpu->tlb.misses++;
	mem_check_alignment(cpu, lin, size, acc);
	if (__builtin_expect(cpu->dbg.write_bps, 0) && !(acc & ACC_SYSTEM))
		debug_data_access(cpu, lin, size, ACC_KIND(acc));
	if (crosses_page(lin, size)) {
		for (unsigned i = 0; i < size; i++)
			v |= mem_read_lin(cpu, lin + i, 1, acc) << (8 * i);
		return v;
	}
	translate(cpu, lin, acc, &t);
	host = guest_memory_ptr(cpu->mem, t.gpa & ~0xfffull, 4096);
	if (!host)
		return replay_access(cpu, REPLAY_MMIO_READ, t.gpa, size, 0) & size_mask(size);
	/* A read made for a write (read-modify-write) fills the write TLB; never for a
	 * page holding code, whose writes must keep coming to the slow path. */
	if (ACC_KIND(acc) != ACC_WRITE || !code_pages_has_code(&cpu->code, t.gpa & ~0xfffull))
		tlb_install(cpu, lin, &t, acc, host);
	memcpy(&v, host + (t.gpa & 0xfff), size);
	return v;
}

void mem_write_slow(struct soft_cpu *cpu, uint64_t lin, unsigned size, uint64_t value, unsigned acc)
{
	struct translation t;
	uint8_t *host;

	cpu->tlb.misses++;
	mem_check_alignment(cpu, lin, size, acc);
	if (__builtin_expect(cpu->dbg.write_bps, 0) && !(acc & ACC_SYSTEM))
		debug_data_access(cpu, lin, size, ACC_KIND(acc));
	if (crosses_page(lin, size)) {
		uint64_t second = (lin | 0xfff) + 1;

		/* Both pages must be writable before either is written: no partial stores. */
		translate(cpu, lin, acc, &t);
		translate(cpu, second, acc, &t);
		for (unsigned i = 0; i < size; i++)
			mem_write_lin(cpu, lin + i, 1, value >> (8 * i), acc);
		return;
	}
	translate(cpu, lin, acc, &t);
	host = guest_memory_ptr(cpu->mem, t.gpa & ~0xfffull, 4096);
	if (!host) {
		replay_access(cpu, REPLAY_MMIO_WRITE, t.gpa, size, value & size_mask(size));
		return;
	}
	if (__builtin_expect(cpu->write_log != NULL, 0))
		write_log_record(cpu->write_log, host + (t.gpa & 0xfff), t.gpa, size);
	memcpy(host + (t.gpa & 0xfff), &value, size);
	guest_memory_mark_dirty(cpu->mem, t.gpa, size);
	/* A page holding decoded code never gets a write entry: each write to it comes
	 * here and drops the blocks decoded from it. */
	if (code_pages_has_code(&cpu->code, t.gpa & ~0xfffull))
		cpu_code_written(cpu, t.gpa, size);
	else
		tlb_install(cpu, lin, &t, acc, host);
}

/* ---- wide memory operands ------------------------------------------------------ */

void mem_check_pieces(struct soft_cpu *cpu, unsigned sreg, uint64_t ea, unsigned len, unsigned piece, unsigned acc,
		      unsigned align)
{
	uint64_t base = sreg == SREG_FS || sreg == SREG_GS ? cpu->seg[sreg].base : 0;

	/* Only an operand that crosses the canonical boundary can tell. */
	if (cpu->mode != MODE_LONG64 || (is_canonical(ea + base) && is_canonical(ea + base + len - 1)))
		return;
	if (align && ((ea + base) & (align - 1)))
		cpu_raise_gp0(cpu);
	for (unsigned at = 0; at < len; at += piece) {
		unsigned n = len - at < piece ? len - at : piece;
		uint64_t lin = seg_linear(cpu, sreg, ea + at, n, acc);

		(void)mmu_translate(cpu, lin, acc);
		if (crosses_page(lin, n))
			(void)mmu_translate(cpu, (lin | 0xfff) + 1, acc);
	}
}

/* Segment checks for the whole operand and the alignment check. In 64-bit
 * mode the AMD host checks the alignment first: MOVAPS, VMOVAPS and
 * CMPXCHG16B through a misaligned RBP are #GP(0), not #SS(0), whether the
 * address is non-canonical or only crosses the boundary. */
static uint64_t block_linear(struct soft_cpu *cpu, unsigned sreg, uint64_t ea, unsigned len, unsigned acc,
			     unsigned align)
{
	uint64_t base = sreg == SREG_FS || sreg == SREG_GS ? cpu->seg[sreg].base : 0;
	uint64_t lin;

	if (cpu->mode == MODE_LONG64 && align && ((ea + base) & (align - 1)))
		cpu_raise_gp0(cpu);
	lin = seg_linear(cpu, sreg, ea, len, acc);
	if (align && (lin & (align - 1)))
		cpu_raise_gp0(cpu);
	return lin;
}

static unsigned chunk(unsigned left)
{
	return left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
}

void mem_read_block(struct soft_cpu *cpu, unsigned sreg, uint64_t ea, void *buf, unsigned len, unsigned align)
{
	uint64_t lin = block_linear(cpu, sreg, ea, len, ACC_READ, align);
	uint8_t *p = buf;

	for (unsigned i = 0, n; i < len; i += n) {
		uint64_t v;

		n = chunk(len - i);
		v = mem_read_lin(cpu, mem_lin_add(cpu, lin, i), n, ACC_READ);
		memcpy(p + i, &v, n);
	}
}

uint64_t mem_block_writable(struct soft_cpu *cpu, unsigned sreg, uint64_t ea, unsigned len, unsigned align)
{
	uint64_t lin = block_linear(cpu, sreg, ea, len, ACC_WRITE, align);

	for (uint64_t off = 0; off < len; off += 4096 - (mem_lin_add(cpu, lin, off) & 0xfff))
		(void)mmu_translate(cpu, mem_lin_add(cpu, lin, off), ACC_WRITE);
	return lin;
}

uint64_t mem_probe_area(struct soft_cpu *cpu, unsigned sreg, uint64_t ea, unsigned len, unsigned first, unsigned acc,
			unsigned align)
{
	uint64_t lin = block_linear(cpu, sreg, ea, len, acc, align);
	uint64_t first_end = mem_lin_add(cpu, lin, (first < len ? first : len) - 1);

	(void)mmu_translate(cpu, lin, acc);
	if ((first_end ^ lin) & ~0xfffull)
		(void)mmu_translate(cpu, first_end & ~0xfffull, acc);
	(void)mmu_translate(cpu, mem_lin_add(cpu, lin, len - 1), acc);
	for (uint64_t off = 0; off < len; off += 4096 - (mem_lin_add(cpu, lin, off) & 0xfff))
		(void)mmu_translate(cpu, mem_lin_add(cpu, lin, off), acc);
	return lin;
}

void mem_write_block(struct soft_cpu *cpu, unsigned sreg, uint64_t ea, const void *buf, unsigned len, unsigned align)
{
	uint64_t lin = mem_block_writable(cpu, sreg, ea, len, align);
	const uint8_t *p = buf;

	for (unsigned i = 0, n; i < len; i += n) {
		uint64_t v = 0;

		n = chunk(len - i);
		memcpy(&v, p + i, n);
		mem_write_lin(cpu, mem_lin_add(cpu, lin, i), n, v, ACC_WRITE);
	}
}
