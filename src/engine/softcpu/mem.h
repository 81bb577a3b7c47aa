/* The soft MMU: guest memory as the soft CPU sees it — segmentation, the page
 * walker, the soft TLB with its inline fast path, and the slow path, where MMIO
 * exits through the replay log (replay.h), code pages report writes
 * (code_pages.h) and data breakpoints are checked (watchpoints.h). */
#ifndef RV_SOFTCPU_MEM_H
#define RV_SOFTCPU_MEM_H

#include <string.h>

#include "engine/softcpu/cpu.h"

/* Access flags beyond the kind: the access is the CPU's own (descriptor tables,
 * TSS, IDT), made with supervisor rights whatever the CPL. */
#define ACC_SYSTEM 0x10
/* A CPL-3 store that alignment checking leaves alone (SGDT, SIDT, SMSW on AMD). */
#define ACC_NO_ALIGN 0x20
#define ACC_KIND(acc) ((acc)&0x3)

/* #PF error code bits. */
#define PFEC_P 0x01
#define PFEC_W 0x02
#define PFEC_U 0x04
#define PFEC_RSVD 0x08
#define PFEC_I 0x10

/* Linear address of seg:offset for an access of size bytes, with the segment's
 * checks (limit, type, canonical form): raises #GP or #SS. */
uint64_t seg_linear(struct soft_cpu *cpu, unsigned sreg, uint64_t offset, unsigned size, unsigned acc);

/* Guest-physical address of a linear one, walking the page tables and setting
 * accessed/dirty bits; raises #PF. */
uint64_t mmu_translate(struct soft_cpu *cpu, uint64_t lin, unsigned acc);
/* mmu_translate for an instruction fetch, through the soft TLB's execute
 * entries (filled here, for RAM; flushed with the rest of the TLB). */
uint64_t mmu_translate_fetch(struct soft_cpu *cpu, uint64_t lin);
/* mmu_translate_fetch that does not fault: false where the fetch would
 * (then nothing changes). Used to decode ahead, as a processor fetches ahead
 * of execution: its walk sets accessed bits and fills the soft TLB. */
bool mmu_translate_fetch_try(struct soft_cpu *cpu, uint64_t lin, uint64_t *gpa);
/* The same translation without side effects (no A/D bits, no fault): for
 * looking at guest memory from outside an instruction. */
bool mmu_probe(struct soft_cpu *cpu, uint64_t lin, unsigned acc, uint64_t *gpa);

uint64_t mem_read_slow(struct soft_cpu *cpu, uint64_t lin, unsigned size, unsigned acc);
void mem_write_slow(struct soft_cpu *cpu, uint64_t lin, unsigned size, uint64_t value, unsigned acc);

void tlb_flush(struct soft_cpu *cpu, bool keep_global);
/* PAE paging (not long mode): load the four PDPTEs from CR3 as MOV CR3 and the
 * paging-mode changes do; raises #GP(0) when one has reserved bits set. */
void mmu_load_pdptes(struct soft_cpu *cpu, uint64_t cr3);
/* Whether the CPU is in PAE paging (CR0.PG, CR4.PAE, not long mode). */
bool mmu_pae_paging(const struct soft_cpu *cpu, uint64_t cr0, uint64_t cr4);
void tlb_flush_page(struct soft_cpu *cpu, uint64_t lin);
/* Drop write entries for one guest-physical page (it now holds cached code). */
void tlb_flush_gpa_writes(struct soft_cpu *cpu, uint64_t gpa_page);
/* Forget every write entry: each page's next write comes to the slow path
 * (dirty logging's new round, vm/dirty_log.h). */
void tlb_flush_writes(struct soft_cpu *cpu);

static inline unsigned tlb_set(const struct soft_cpu *cpu, unsigned acc)
{
	if (cpu->cpl != 3 || (acc & ACC_SYSTEM))
		return 0;
	return ACC_KIND(acc) == ACC_EXEC ? 1 : cpu->user_data_set;
}

/* The ways of lin's index for acc. */
static inline struct tlb_entry *tlb_slot(struct soft_cpu *cpu, uint64_t lin, unsigned acc)
{
	return cpu->tlb.e[tlb_set(cpu, acc)][ACC_KIND(acc)][(lin >> 12) & (TLB_SIZE - 1)];
}

/* The entry holding lin's page for acc, or NULL. */
static inline const struct tlb_entry *tlb_find(struct soft_cpu *cpu, uint64_t lin, unsigned acc)
{
	const struct tlb_entry *e = tlb_slot(cpu, lin, acc);
	uint64_t page = lin & ~0xfffull;

	_Static_assert(TLB_WAYS == 2, "two ways");
	if (__builtin_expect(e[0].tag == page, 1))
		return &e[0];
	return e[1].tag == page ? &e[1] : NULL;
}

/* Whether entry e (of cpu->tlb.e) came from a global page. */
static inline bool tlb_entry_global(const struct soft_cpu *cpu, const struct tlb_entry *e)
{
	return (&cpu->tlb.global[0][0][0][0])[e - &cpu->tlb.e[0][0][0][0]];
}

/* The guest-physical address of a fetch at lin if the soft TLB's execute
 * entry holds its page (no walk, no fault). */
static inline bool tlb_fetch_gpa(struct soft_cpu *cpu, uint64_t lin, uint64_t *gpa)
{
	const struct tlb_entry *e = tlb_find(cpu, lin, ACC_EXEC);

	if (!e)
		return false;
	*gpa = e->gpa_page | (lin & 0xfff);
	return true;
}

/* The fast path: a TLB hit on an access that stays inside one page. */
static inline uint64_t mem_read_lin(struct soft_cpu *cpu, uint64_t lin, unsigned size, unsigned acc)
{
	const struct tlb_entry *e = tlb_find(cpu, lin, acc);
	uint64_t v = 0;

	if (__builtin_expect(e && (lin & 0xfff) <= 4096 - size, 1)) {
		memcpy(&v, (const void *)(uintptr_t)(lin + e->host_minus_linear), size);
		cpu->tlb.hits++;
		return v;
	}
	return mem_read_slow(cpu, lin, size, acc);
}

static inline void mem_write_lin(struct soft_cpu *cpu, uint64_t lin, unsigned size, uint64_t value, unsigned acc)
{
	const struct tlb_entry *e = tlb_find(cpu, lin, (acc & ~3u) | ACC_WRITE);

	if (__builtin_expect(e && (lin & 0xfff) <= 4096 - size, 1)) {
		memcpy((void *)(uintptr_t)(lin + e->host_minus_linear), &value, size);
		cpu->tlb.hits++;
		return;
	}
	mem_write_slow(cpu, lin, size, value, (acc & ~3u) | ACC_WRITE);
}

/* seg_linear's common case inline: in 64-bit mode ES, CS, SS and DS have base 0
 * and only the canonical check remains (one compare: adding 2^47 maps both
 * canonical halves onto [0, 2^48)). */
static inline uint64_t seg_lin(struct soft_cpu *cpu, unsigned sreg, uint64_t offset, unsigned size, unsigned acc)
{
	if (__builtin_expect(cpu->mode == MODE_LONG64 && sreg < SREG_FS, 1) &&
	    offset + (1ull << 47) <= (1ull << 48) - size)
		return offset;
	return seg_linear(cpu, sreg, offset, size, acc);
}

static inline uint64_t mem_read(struct soft_cpu *cpu, unsigned sreg, uint64_t offset, unsigned size)
{
	return mem_read_lin(cpu, seg_lin(cpu, sreg, offset, size, ACC_READ), size, ACC_READ);
}

static inline void mem_write(struct soft_cpu *cpu, unsigned sreg, uint64_t offset, unsigned size, uint64_t value)
{
	mem_write_lin(cpu, seg_lin(cpu, sreg, offset, size, ACC_WRITE), size, value, ACC_WRITE);
}

/* Memory operands wider than 8 bytes: seg:ea to seg:ea+len-1, checked whole
 * before any byte moves, so a fault leaves memory and registers unchanged. align
 * (0 or a power of two) is the alignment whose violation raises #GP(0). */
void mem_read_block(struct soft_cpu *cpu, unsigned sreg, uint64_t ea, void *buf, unsigned len, unsigned align);
void mem_write_block(struct soft_cpu *cpu, unsigned sreg, uint64_t ea, const void *buf, unsigned len, unsigned align);
/* The checks of mem_write_block without the write: the segment, the alignment,
 * and every page of the operand accepting the write. Returns the linear address. */
uint64_t mem_block_writable(struct soft_cpu *cpu, unsigned sreg, uint64_t ea, unsigned len, unsigned align);

/* The checks of mem_read_block (acc ACC_READ) or mem_block_writable
 * (ACC_WRITE) for a save area of len bytes, with its pages translated in the
 * order the AMD host probes them: the first `first` bytes, then the last
 * byte, then every page from the start. So where only the area's end is on a
 * page that faults, CR2 is the address of its last byte, not of that page's
 * first (FXSAVE at 16 bytes before an unmapped page: CR2 = ea + 511), while a
 * first field that crosses into it reports the page's first byte. FXSAVE,
 * FXRSTOR, FNSAVE, FRSTOR, FNSTENV, FLDENV and the XSAVE family do this.
 * Returns the linear address. */
uint64_t mem_probe_area(struct soft_cpu *cpu, unsigned sreg, uint64_t ea, unsigned len, unsigned first, unsigned acc,
			unsigned align);

/* The canonical checks of an operand that silicon accesses in pieces of
 * `piece` bytes, in order: in 64-bit mode, each piece's bytes are checked
 * (#GP or #SS) and its pages translated for acc (#PF) before the next piece
 * is checked, so the first piece's #PF comes before a later piece's #GP.
 * The AMD host does so for x87 m80 operands (8 then 2 bytes), the x87
 * environment and FSAVE image (4 bytes, 2 in the 16-bit format),
 * MASKMOVDQU (two 8-byte halves, whatever the mask) and XSAVE/XRSTOR (at
 * most 64 bytes), which raise #GP(0) for a misaligned operand first (align:
 * 0 or a power of two). Nothing happens unless the operand crosses the
 * canonical boundary; the caller's whole-operand checks and access follow. */
void mem_check_pieces(struct soft_cpu *cpu, unsigned sreg, uint64_t ea, unsigned len, unsigned piece, unsigned acc,
		      unsigned align);

/* #AC(0) for a misaligned access of size 2 to 8 while alignment checking is on
 * (CR0.AM, RFLAGS.AC, CPL 3): for accesses made in smaller pieces (MASKMOVQ). */
void mem_check_alignment(struct soft_cpu *cpu, uint64_t lin, unsigned size, unsigned acc);

/* lin + n as the linear address wraps: at 2^64 in 64-bit mode, else at 2^32. */
static inline uint64_t mem_lin_add(const struct soft_cpu *cpu, uint64_t lin, uint64_t n)
{
	return cpu->mode == MODE_LONG64 ? lin + n : (lin + n) & 0xffffffffull;
}

/* After a write to CR0/CR3/CR4/EFER: flush what the architecture says and leave
 * the block (translations and the mode may have changed). */
void cpu_paging_changed(struct soft_cpu *cpu, bool keep_global);

#endif
