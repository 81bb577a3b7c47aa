/* Code written by the page walker: the processor sets the accessed flag
 * (bit 5) in every paging-structure entry a translation uses, and the dirty
 * flag (bit 6) in the entry that maps the page when the access is a write
 * (Intel SDM vol. 3A, 4.8 "Accessed and Dirty Flags"; a locked update of the
 * entry in memory, 8.1.2.1). When that entry lies on a page that also holds
 * code, the update changes the code. A translating engine must then drop
 * what it made of the old bytes, as for any other write (11.6
 * "Self-Modifying Code").
 *
 * What the processor guarantees, and when: the note in 4.8 says the accesses
 * that set these flags may or may not be seen by the self-modifying-code
 * detection logic, so code that is already running may or may not change at
 * once. After a serializing instruction it must: CPUID "guarantees that any
 * modifications to flags, registers, and memory for previous instructions
 * are completed before the next instruction is fetched and executed" (vol.
 * 2A, CPUID), and a serializing operation resynchronizes the instruction
 * cache and prefetch queue (vol. 3A, 11.6; 8.3 "Serializing Instructions";
 * 8.1.3 makes code another agent modified safe to run the same way). So
 * every check executes CPUID after the access that sets the flag and before
 * the changed code runs, and the expected values are exactly what memory
 * holds: the entry as stored, ORed with A, and with D for a write to the
 * page the entry maps.
 *
 * The layout: in a paging structure (a page of 512 8-byte entries), entries
 * K-2 to K+1 hold a small function around entry K, the entry under test:
 *
 *   K-2: 90 90 53 31 c0 8b 0f 0f   nop; nop; push rbx; xor eax, eax;
 *                                  mov ecx, [rdi] (89 0f: mov [rdi], ecx);
 *   K-1: a2 5b 90 90 90 90 48 b8   cpuid (0f a2); pop rbx; nop x4;
 *                                  mov rax, imm64 (48 b8) ...
 *   K:   the entry                 ... whose imm64 is entry K
 *   K+1: c2 00 00 00 00 00 00 00   ret 0
 *
 * Entries K-2, K-1 and K+1 start with an even byte, so they are not present
 * (P, bit 0, clear); nothing uses the linear addresses they would map. The
 * function from K-1 byte 6 on (mov rax, imm64; ret 0) returns entry K as
 * memory holds it: a change of A flips bit 5 of the immediate's first byte,
 * a change of D bit 6. The function from K-2 byte 0 on does an access at
 * [rdi] first, then CPUID, then the same MOV and RET, all in one straight
 * line: an access whose walk changes a later instruction of the block that
 * is running.
 *
 * The structure that holds the code sits at each level of the walk, each a
 * page of its own in this guest's identity-mapped (and executable: no NX)
 * memory:
 *   - a page table: entry K maps a 4 KiB page (a leaf: A and D);
 *   - a page directory whose entry K maps a 2 MiB page (a leaf: A and D);
 *   - a page directory whose entry K references a page table; a page-
 *     directory-pointer table and a PML4 (the latter loaded in CR3 for its
 *     case), whose entry K references the next structure: not leaves, so
 *     they get A only. Bit 6 of an entry that references a paging structure
 *     is ignored (tables 4-15, 4-17 and 4-19), and D is set only in the entry
 *     that identifies the final physical address (4.8).
 * The accesses through entry K: a read, a write, a locked read-modify-write
 * (a write for paging), an instruction fetch (a CALL to a RET in the page
 * mapped), the read and the write inside the straight-line function, and,
 * at the leaves, a write with A already set (D alone changes).
 *
 * Each case, ROUNDS times:
 *   1. store entry K with the flags under test clear: a store into the
 *      function, so itself self-modifying code (11.6), and the way software
 *      clears these flags (4.8: they are sticky; only software clears them);
 *   2. INVLPG the linear address, so that the next access walks the paging
 *      structures again and uses entry K (4.8: while the translation is
 *      cached, the processor might not set a flag software cleared; INVLPG
 *      also empties the paging-structure caches, 4.10.4.1);
 *   3. call the function: it returns the entry as stored (no translation
 *      has used the entry since the store), and an engine now holds it
 *      decoded or translated (the straight-line function makes its access
 *      on a variable elsewhere this time);
 *   4. the access, then CPUID (inside the function for the straight-line
 *      cases, called again with the address under test);
 *   5. call the function again: it returns the entry with the flags the
 *      access set.
 *
 * Checked by hand on QEMU 7.2's TCG (linked for Multiboot): every case
 * passes but the two inside the running function, where QEMU finishes its
 * translated block with the old bytes, CPUID notwithstanding.
 *
 * Status 1 through the debug exit if every check passed. */
#include <stdbool.h>
#include <stdint.h>

#include "kernel64.h"
#include "paging64.h"
#include "sysreg.h"
#include "test.h"

#define ROUNDS 300
/* The entry under test; the function spans entries K-2 to K+1, bytes 72 to
 * 103 of the page: all in one 64-byte line. */
#define K 11
#define RW (PTE_P | PTE_W)
/* Where the reads and writes go in the page mapped; its byte 0 is a RET. */
#define DATA_OFF 0x800
#define RET_OPCODE 0xc3
#define MOV_LOAD 0x8b	/* mov ecx, [rdi] */
#define MOV_STORE 0x89	/* mov [rdi], ecx */
#define MOV_OPCODE_AT 5 /* its place in entry K-2 */

/* The bytes of entries K-2 and K-1 (see above). */
static const uint8_t code_head[16] = {
	0x90,	  0x90,		    /* nop; nop */
	0x53,			    /* push rbx (CPUID writes EBX) */
	0x31,	  0xc0,		    /* xor eax, eax (CPUID leaf 0) */
	MOV_LOAD, 0x0f,		    /* mov ecx, [rdi]: the access */
	0x0f,	  0xa2,		    /* cpuid: serializing */
	0x5b,			    /* pop rbx */
	0x90,	  0x90, 0x90, 0x90, /* nop x4 */
	0x48,	  0xb8,		    /* mov rax, imm64: entry K */
};
#define RET_IMM16 0xc2ull /* entry K+1: ret 0 (c2 00 00) */

/* The structures that hold code, and plain ones below them. */
static uint64_t pt_code[512] __attribute__((aligned(4096)));
static uint64_t pd_big_code[512] __attribute__((aligned(4096)));
static uint64_t pd_code[512] __attribute__((aligned(4096)));
static uint64_t pdpt_code[512] __attribute__((aligned(4096)));
static uint64_t pml4_code[512] __attribute__((aligned(4096)));
static uint64_t pt_plain[512] __attribute__((aligned(4096)));
static uint64_t pd_plain[512] __attribute__((aligned(4096)));
static uint64_t pdpt_plain[512] __attribute__((aligned(4096)));
/* The 4 KiB page the page tables map. */
static uint8_t frame[4096] __attribute__((aligned(4096)));
/* The 2 MiB page the leaf PDEs map: physical 64 MiB, which nothing else uses. */
#define BIG_FRAME 0x4000000ull

/* Linear addresses whose walk uses entry K of each structure, in regions
 * nothing else in this guest uses. */
#define LIN_PT (0x30000000ull + K * PAGE_SIZE)	      /* pd[384] -> pt_code */
#define LIN_PD (0x40000000ull + K * LARGE_PAGE_SIZE)  /* pdpt[1] -> pd_code */
#define LIN_BIG (0x80000000ull + K * LARGE_PAGE_SIZE) /* pdpt[2] -> pd_big_code */
#define LIN_PDPT (0x8000000000ull + K * (1ull << 30)) /* pml4[1] -> pdpt_code */
#define LIN_PML4 (K * 0x8000000000ull)		      /* pml4_code[K], CR3 = pml4_code */

struct level {
	const char *name;
	uint64_t *page; /* the structure that holds the function */
	uint64_t entry; /* entry K as stored, A and D clear */
	uint64_t lin;
	bool leaf; /* entry K maps the page: a write sets D in it */
};

enum access { READ, WRITE, RMW, FETCH, INLINE_READ, INLINE_WRITE, DIRTY_ONLY };

/* What the access sets in entry K, by access and by whether entry K maps
 * the page (4.8). */
static const char *const access_name[][2] = {
	[READ] = { "a read sets A", "a read sets A" },
	[WRITE] = { "a write sets A, not D", "a write sets A and D" },
	[RMW] = { "a locked read-modify-write sets A, not D", "a locked read-modify-write sets A and D" },
	[FETCH] = { "an instruction fetch sets A", "an instruction fetch sets A" },
	[INLINE_READ] = { "a read earlier in the running function sets A",
			  "a read earlier in the running function sets A" },
	[INLINE_WRITE] = { "a write earlier in the running function sets A, not D",
			   "a write earlier in the running function sets A and D" },
	[DIRTY_ONLY] = { "", "a write with A already set sets D" },
};

static volatile uint32_t scratch; /* what the function touches in step 3 */

static uint64_t call_fn(const uint64_t *page)
{
	return ((uint64_t(*)(void))((const uint8_t *)&page[K - 1] + 6))();
}

static uint64_t call_inline(const uint64_t *page, volatile void *at)
{
	return ((uint64_t(*)(volatile void *))(uintptr_t)&page[K - 2])(at);
}

/* CPUID: serializing at any privilege level (SDM vol. 3A, 8.3). */
static void serialize(void)
{
	uint32_t a = 0, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : : "memory");
}

static void access(enum access a, uint64_t lin)
{
	volatile uint32_t *p = (volatile uint32_t *)(lin + DATA_OFF);

	switch (a) {
	case READ:
		(void)*p;
		break;
	case WRITE:
	case DIRTY_ONLY:
		*p = 1;
		break;
	case RMW:
		__asm__ volatile("lock addl $1, %0" : "+m"(*p));
		break;
	case FETCH:
		((void (*)(void))lin)();
		break;
	default:
		break;
	}
}

/* Puts the function around entry K of page (see the layout above). */
static void install(uint64_t *page, uint64_t entry)
{
	uint8_t *bytes = (uint8_t *)&page[K - 2];

	for (unsigned i = 0; i < 512; i++)
		page[i] = 0;
	for (unsigned i = 0; i < sizeof(code_head); i++)
		bytes[i] = code_head[i];
	page[K] = entry;
	page[K + 1] = RET_IMM16;
}

static void run_case(const struct level *l, enum access a)
{
	volatile uint64_t *e = &l->page[K];
	uint64_t before = l->entry, after, got_before, got_after;
	bool inline_access = a == INLINE_READ || a == INLINE_WRITE;
	unsigned wrong = 0, first = 0;
	uint64_t first_before = 0, first_after = 0;

	after = before | PTE_A;
	if (a == DIRTY_ONLY)
		before |= PTE_A;
	if (l->leaf && (a == WRITE || a == RMW || a == INLINE_WRITE || a == DIRTY_ONLY))
		after |= PTE_D;
	/* The function's own access: load or store (a store into the code, too). */
	((volatile uint8_t *)&l->page[K - 2])[MOV_OPCODE_AT] = a == INLINE_WRITE ? MOV_STORE : MOV_LOAD;
	for (unsigned i = 0; i < ROUNDS; i++) {
		*e = before;
		invlpg((void *)l->lin);
		if (inline_access) {
			got_before = call_inline(l->page, &scratch);
			got_after = call_inline(l->page, (volatile void *)(l->lin + DATA_OFF));
		} else {
			got_before = call_fn(l->page);
			access(a, l->lin);
			serialize();
			got_after = call_fn(l->page);
		}
		if (got_before != before || got_after != after) {
			if (!wrong++) {
				first = i;
				first_before = got_before;
				first_after = got_after;
			}
		}
	}
	if (!wrong) {
		printf("PASS: %s: %s\n", l->name, access_name[a][l->leaf]);
		return;
	}
	fail(l->name,
	     "%s: %u of %u rounds wrong; round %u returned 0x%llx before the access (want 0x%llx), "
	     "0x%llx after (want 0x%llx)",
	     access_name[a][l->leaf], wrong, ROUNDS, first, (unsigned long long)first_before,
	     (unsigned long long)before, (unsigned long long)first_after, (unsigned long long)after);
}

/* Hangs each structure that holds code into the walk of its linear address. */
static void build(struct level *levels)
{
	frame[0] = RET_OPCODE;
	*(volatile uint8_t *)BIG_FRAME = RET_OPCODE;
	for (unsigned i = 0; i < 512; i++)
		pt_plain[i] = pd_plain[i] = pdpt_plain[i] = 0;
	pt_plain[0] = (uint64_t)(uintptr_t)frame | RW;
	pd_plain[0] = BIG_FRAME | RW | PTE_PS;
	pdpt_plain[0] = (uint64_t)(uintptr_t)pd_plain | RW;

	levels[0] = (struct level){ "PTE", pt_code, (uint64_t)(uintptr_t)frame | RW, LIN_PT, true };
	levels[1] = (struct level){ "PDE of a 2 MiB page", pd_big_code, BIG_FRAME | RW | PTE_PS, LIN_BIG, true };
	levels[2] = (struct level){ "PDE of a page table", pd_code, (uint64_t)(uintptr_t)pt_plain | RW, LIN_PD, false };
	levels[3] = (struct level){ "PDPTE", pdpt_code, (uint64_t)(uintptr_t)pd_plain | RW, LIN_PDPT, false };
	levels[4] = (struct level){ "PML4E", pml4_code, (uint64_t)(uintptr_t)pdpt_plain | RW, LIN_PML4, false };
	for (unsigned i = 0; i < 5; i++)
		install(levels[i].page, levels[i].entry);
	pd[LIN_PT >> 21] = (uint64_t)(uintptr_t)pt_code | RW;
	pdpt[LIN_BIG >> 30] = (uint64_t)(uintptr_t)pd_big_code | RW;
	pdpt[LIN_PD >> 30] = (uint64_t)(uintptr_t)pd_code | RW;
	pml4[LIN_PDPT >> 39] = (uint64_t)(uintptr_t)pdpt_code | RW;
	/* The PML4 that holds code is a copy of the one in use, entry K and the
	 * code around it apart; CR3 points at it during its cases. */
	for (unsigned i = 0; i < 512; i++)
		if (i < K - 2 || i > K + 1)
			pml4_code[i] = pml4[i];
	write_cr3(read_cr3());
}

int main(void)
{
	static const enum access leaf_accesses[] = { READ, WRITE, RMW, FETCH, INLINE_READ, INLINE_WRITE, DIRTY_ONLY };
	static const enum access table_accesses[] = { READ, WRITE, RMW, FETCH, INLINE_READ, INLINE_WRITE };
	struct level levels[5];

	kernel64_init();
	printf("Page walker writing A/D into code tests\n");
	build(levels);
	for (unsigned i = 0; i < 5; i++) {
		const struct level *l = &levels[i];
		bool own_cr3 = l->page == pml4_code;

		if (own_cr3)
			write_cr3((uintptr_t)pml4_code);
		if (l->leaf)
			for (unsigned j = 0; j < sizeof(leaf_accesses) / sizeof(leaf_accesses[0]); j++)
				run_case(l, leaf_accesses[j]);
		else
			for (unsigned j = 0; j < sizeof(table_accesses) / sizeof(table_accesses[0]); j++)
				run_case(l, table_accesses[j]);
		if (own_cr3)
			write_cr3((uintptr_t)pml4);
	}
	test_done();
}
