/* Segment descriptors, gates and task-state segments as the Intel SDM,
 * vol. 3A, lays them out (figures 3-8, 6-2, 6-8, 7-2 and 8-11), with
 * helpers to build and load them. For 32- and 64-bit guests. */
#ifndef GUEST_DESC_H
#define GUEST_DESC_H

#include <stdint.h>

#include "cpu.h"

/* Access byte (descriptor bits 47:40): type, S, DPL, P. */
#define ACC_P 0x80
#define ACC_DPL(n) ((n) << 5)
#define ACC_S 0x10 /* code or data (not a system segment) */
#define ACC_CODE 0x08
#define ACC_CONFORMING 0x04 /* code */
#define ACC_READ 0x02	    /* code */
#define ACC_WRITE 0x02	    /* data */
#define ACC_ACCESSED 0x01
#define ACC_CODE_XR (ACC_P | ACC_S | ACC_CODE | ACC_READ)
#define ACC_DATA_RW (ACC_P | ACC_S | ACC_WRITE)
/* System types (S = 0). */
#define ACC_TSS_AVAIL 0x09 /* 32-bit TSS; in long mode, 64-bit TSS */
#define ACC_TSS_BUSY 0x0b
#define ACC_INT_GATE 0x0e /* 32-bit interrupt gate; in long mode, 64-bit */
#define ACC_TRAP_GATE 0x0f

/* Flags nibble (descriptor bits 55:52). */
#define DF_L 0x2  /* 64-bit code */
#define DF_DB 0x4 /* 32-bit default operand size / big stack */
#define DF_G 0x8  /* limit in 4 KiB units */

static inline uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	return (limit & 0xffffull) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)access << 40) |
	       ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)(flags & 0xf) << 52) |
	       ((uint64_t)(base >> 24) << 56);
}

/* A 64-bit TSS descriptor takes two GDT slots (SDM figure 8-4). */
static inline void tss64_desc(uint64_t *slot, uint64_t base, uint32_t limit)
{
	slot[0] = seg_desc((uint32_t)base, limit, ACC_P | ACC_TSS_AVAIL, 0);
	slot[1] = base >> 32;
}

struct gate64 {
	uint16_t offset0;
	uint16_t selector;
	uint8_t ist;
	uint8_t attr; /* P, DPL, type */
	uint16_t offset1;
	uint32_t offset2;
	uint32_t reserved;
} __attribute__((packed));

struct gate32 {
	uint16_t offset0;
	uint16_t selector;
	uint8_t zero;
	uint8_t attr;
	uint16_t offset1;
} __attribute__((packed));

static inline void gate64_set(struct gate64 *g, uint64_t handler, uint16_t sel, uint8_t ist, uint8_t attr)
{
	g->offset0 = (uint16_t)handler;
	g->selector = sel;
	g->ist = ist;
	g->attr = attr;
	g->offset1 = (uint16_t)(handler >> 16);
	g->offset2 = (uint32_t)(handler >> 32);
	g->reserved = 0;
}

static inline void gate32_set(struct gate32 *g, uint32_t handler, uint16_t sel, uint8_t attr)
{
	g->offset0 = (uint16_t)handler;
	g->selector = sel;
	g->zero = 0;
	g->attr = attr;
	g->offset1 = (uint16_t)(handler >> 16);
}

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	/* ist[0] is the reserved quadword at offset 0x1c, so that ist[n] is
	 * the stack of IST number n (1-7). */
	uint64_t ist[8];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS layout");

struct tss32 {
	uint16_t link, r0;
	uint32_t esp0;
	uint16_t ss0, r1;
	uint32_t esp1;
	uint16_t ss1, r2;
	uint32_t esp2;
	uint16_t ss2, r3;
	uint32_t cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint16_t es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9, ldt, r10;
	uint16_t trap, iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss32) == 104, "32-bit TSS layout");

static inline void lgdt(const void *base, uint16_t limit)
{
	struct gdtr r = { limit, (unsigned long)base };

	__asm__ volatile("lgdt %0" : : "m"(r) : "memory");
}

static inline void lidt(const void *base, uint16_t limit)
{
	struct gdtr r = { limit, (unsigned long)base };

	__asm__ volatile("lidt %0" : : "m"(r) : "memory");
}

static inline struct gdtr read_idtr(void)
{
	struct gdtr r;

	__asm__ volatile("sidt %0" : "=m"(r));
	return r;
}

static inline void ltr(uint16_t sel)
{
	__asm__ volatile("ltr %0" : : "r"(sel) : "memory");
}

static inline uint16_t read_tr(void)
{
	uint16_t v;

	__asm__ volatile("str %0" : "=r"(v));
	return v;
}

#endif
