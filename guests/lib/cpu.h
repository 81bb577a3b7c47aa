/* Privileged-register reads and the halt idiom, for 32- and 64-bit guests. */
#ifndef GUEST_CPU_H
#define GUEST_CPU_H

#include <stdint.h>

#define CR0_PE (1ul << 0)
#define CR0_PG (1ul << 31)
#define EFLAGS_IF (1ul << 9)

static inline unsigned long read_cr0(void)
{
	unsigned long v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline unsigned long read_flags(void)
{
	unsigned long v;

	__asm__ volatile("pushf; pop %0" : "=r"(v));
	return v;
}

#define READ_SEG(name)                                                                                                 \
	static inline uint16_t read_##name(void)                                                                       \
	{                                                                                                              \
		uint16_t v;                                                                                            \
		__asm__ volatile("mov %%" #name ", %0" : "=r"(v));                                                     \
		return v;                                                                                              \
	}
READ_SEG(cs)
READ_SEG(ds)
READ_SEG(es)
READ_SEG(ss)
READ_SEG(fs)
READ_SEG(gs)
#undef READ_SEG

struct gdtr {
	uint16_t limit;
	unsigned long base;
} __attribute__((packed));

static inline struct gdtr read_gdtr(void)
{
	struct gdtr g;

	__asm__ volatile("sgdt %0" : "=m"(g));
	return g;
}

/* Stop for good: with interrupts off nothing can wake the CPU, so
 * Ringvisor ends the run with status 0. */
static inline __attribute__((noreturn)) void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

#endif
