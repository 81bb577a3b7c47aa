/* The structures Ringvisor writes into guest RAM before entering a kernel (a GDT
 * and identity page tables), and the vCPU states of the three entry modes. The
 * layout is part of docs/guest-abi.md. */
#ifndef RV_BOOT_SETUP_H
#define RV_BOOT_SETUP_H

#include <stdint.h>

#include "engine/vcpu_state.h"

struct guest_memory;

/* The top of the first MiB a PC BIOS keeps for itself: firmware tables. */
#define PLATFORM_FIRMWARE_BASE 0xe0000ull
#define BOOT_AREA_START 0x1000ull
#define BOOT_AREA_END 0xa000ull /* exclusive */
#define BOOT_GDT_ADDR 0x1000ull
#define BOOT_PML4_ADDR 0x2000ull
#define BOOT_PDPT_ADDR 0x3000ull
#define BOOT_PD_ADDR 0x4000ull	 /* four pages: the first 4 GiB in 2 MiB pages */
#define BOOT_INFO_ADDR 0x9000ull /* one page for boot-protocol information */

#define BOOT_SEL_CODE64 0x08
#define BOOT_SEL_DATA 0x10
#define BOOT_SEL_CODE32 0x18

/* The guest's physical memory map as firmware reports it (e820 / Multiboot types:
 * 1 = RAM, 2 = reserved): conventional memory, the EBDA and BIOS area, RAM above
 * 1 MiB, RAM above 4 GiB. Returns the number of ranges (at most BOOT_MAP_MAX). */
#define BOOT_MAP_MAX 5
#define BOOT_MAP_RAM 1
#define BOOT_MAP_RESERVED 2
struct boot_mem_range {
	uint64_t base, len;
	uint32_t type;
};
unsigned boot_memory_map(const struct guest_memory *mem, struct boot_mem_range *out);

/* Does guest-physical [start, start + len) touch the boot area? */
int boot_area_overlaps(uint64_t start, uint64_t len);

/* Write the GDT and identity page tables; -1 if RAM is too small to hold them. */
int boot_write_tables(struct guest_memory *mem);

void boot_state_long64(struct vcpu_state *s, uint64_t entry);
void boot_state_prot32(struct vcpu_state *s, uint32_t entry);
void boot_state_real(struct vcpu_state *s, uint16_t cs, uint16_t ip);

#endif
