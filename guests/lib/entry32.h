/* Registers as Ringvisor left them at the entry of a plain ELF32 guest
 * (saved by entry32.S before anything else runs). */
#ifndef GUEST_ENTRY32_H
#define GUEST_ENTRY32_H

#include <stdint.h>

struct boot_regs {
	uint32_t eax, ebx, ecx, edx, esi, edi, ebp, esp;
	uint32_t eflags;
};

extern const struct boot_regs boot_regs;

#endif
