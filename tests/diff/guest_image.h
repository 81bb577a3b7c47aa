/* The memory image a differential test runs in: a 64-bit user-mode (CPL 3)
 * environment built directly in guest RAM, with no boot code, because on the
 * nested development host guest kernel-mode code is emulated slowly and not
 * completely while CPL 3 code runs natively.
 *
 * Identity-mapped 4 KiB pages; only the code, data and stack pages are user pages.
 * An exception in the test code enters a one-instruction CPL 0 handler,
 * `out (GI_PORT_VECTOR + vector), al`, so kernel mode runs as little as possible;
 * the exception frame stays on the kernel stack for the comparison. */
#ifndef DIFF_GUEST_IMAGE_H
#define DIFF_GUEST_IMAGE_H

#include <stdint.h>

#include "engine/vcpu_state.h"

struct guest_memory;

#define GI_RAM_SIZE (2ull << 20)

#define GI_GDT 0x1000ull
#define GI_IDT 0x2000ull
#define GI_TSS 0x3000ull
#define GI_PML4 0x4000ull
#define GI_PDPT 0x5000ull
#define GI_PD 0x6000ull
#define GI_PT 0x7000ull
#define GI_HANDLERS 0x8000ull /* handler for vector v at GI_HANDLERS + GI_HANDLER_STRIDE * v */
#define GI_KSTACK 0x9000ull   /* one page; RSP0 is its end */
#define GI_CODE 0x10000ull    /* GI_CODE_PAGES user pages, read and execute only */
#define GI_DATA 0x20000ull    /* the page memory operands address; no neighbours */
#define GI_STACK 0x23000ull   /* the user stack page; no neighbours */

#define GI_CODE_PAGES 2
#define GI_CODE_SIZE (GI_CODE_PAGES * 4096u)
#define GI_HANDLER_STRIDE 4
#define GI_VECTORS 32
#define GI_KSTACK_TOP (GI_KSTACK + 4096)

/* Every sequence ends with INT3: a trap, so the frame holds RF as it was (a fault
 * would push RF = 1), and the only exception a user-mode sequence can raise on
 * purpose without kernel help (its gate has DPL 3). */
#define GI_VECTOR_END 3
#define GI_END_INSN 0xcc
/* The handlers leave through port GI_PORT_VECTOR + vector. */
#define GI_PORT_VECTOR 0x40

/* FS and GS bases: small, so that overridden accesses stay inside the data
 * page, and different, so that the segment an access used shows in the result.
 * Both are user addresses: the native reference sets them with arch_prctl, which
 * refuses kernel addresses (and WRGSBASE is not on every host). */
#define GI_FS_BASE 0x80ull
#define GI_GS_BASE 0xc0ull

/* The GDT has Linux's x86-64 layout (arch/x86/include/asm/segment.h), so
 * that a selector a test loads (LFS, LGS, LSS, far JMP, CALL and RETF: the
 * far-pointer families, gen_far.c) names the same kind of descriptor in the
 * guest as in the native reference's process: 16 entries, the kernel's
 * 32-bit code at 0x08, code at 0x10, data at 0x18; the user's 32-bit code at
 * 0x23, data at 0x2b, code at 0x33; the TSS at 0x40 (16 bytes); the LDT's
 * and the three TLS entries empty (a process without an LDT or TLS
 * descriptors); at 0x7b the per-CPU entry Linux keeps for RDPID-less getcpu,
 * read-only expand-down data of DPL 3 (its limit, the CPU number, no 64-bit
 * load checks). */
#define GI_SEL_KCODE32 0x08
#define GI_SEL_KCODE 0x10
#define GI_SEL_KDATA 0x18
#define GI_SEL_UCODE32 0x23
#define GI_SEL_UDATA 0x2b
#define GI_SEL_UCODE 0x33
#define GI_SEL_TSS 0x40
#define GI_SEL_CPUNODE 0x7b
#define GI_GDT_ENTRIES 16

/* Write the GDT, IDT, TSS, page tables and handlers (once per guest memory). */
int guest_image_write_tables(struct guest_memory *mem);

/* The CPL 3 state a sequence starts in: 64-bit user code, IOPL 0, IF = 1,
 * CR0.AM = 1, RIP at GI_CODE. The caller fills GPRs and the arithmetic flags.
 *
 * IOPL, IF and AM are what the nested development host runs user code with
 * anyway, whatever the guest state says (its CPL 3 runs natively in host user
 * mode): IOPL 3 there would not let an OUT through, IF = 0 would show up as
 * IF = 1 in PUSHF, and with AM = 0 a POPF that sets AC would still get #AC on an
 * unaligned access. IF = 1 is harmless: nothing ever raises an interrupt here. */
void guest_image_user_state(struct vcpu_state *s);

/* The page-table flags (PTE_*) of the 4 KiB page at addr: 0 where nothing is
 * mapped. */
uint64_t guest_image_page_flags(uint64_t addr);

/* Does an exception with this vector push an error code? */
int guest_image_has_error_code(unsigned vector);

#endif
