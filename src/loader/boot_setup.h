/* The structures Ringvisor writes into guest RAM before entering a kernel (a GDT
 * and identity page tables), and the vCPU states of the three entry modes. Where
 * they go is part of docs/guest-abi.md: at the default layout below unless the
 * kernel occupies it (loader/boot_place.h). */
#ifndef RV_BOOT_SETUP_H
#define RV_BOOT_SETUP_H

#include <stdint.h>

#include "engine/vcpu_state.h"

struct guest_memory;

/* The top of the first MiB a PC BIOS keeps for itself: firmware tables. */
#define PLATFORM_FIRMWARE_BASE 0xe0000ull
/* The default layout: GDT at 0x1000, page tables at 0x2000-0x7fff (PML4, PDPT,
 * then four PDs mapping the first 4 GiB in 2 MiB pages), boot information at
 * 0x9000. The tables keep those offsets from wherever they are placed. */
#define BOOT_GDT_ADDR 0x1000ull
#define BOOT_PML4_ADDR 0x2000ull
#define BOOT_INFO_ADDR 0x9000ull
#define BOOT_GDT_SIZE 0x1000ull	   /* one page, of which the GDT uses 32 bytes */
#define BOOT_TABLES_SIZE 0x6000ull /* PML4, PDPT, four PDs */
#define BOOT_PDPT_OFFSET 0x1000ull
#define BOOT_PD_OFFSET 0x2000ull
#define BOOT_INFO_SIZE 0x1000ull /* one page for boot-protocol information */

/* Where one kernel's boot structures are (guest-physical; 0: not written). */
struct boot_layout {
	uint64_t gdt;
	uint64_t tables; /* the PML4; the PDPT and PDs follow */
	uint64_t info;
};
extern const struct boot_layout boot_layout_default;

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

/* Write the GDT, and the identity page tables if l->tables is set; -1 if RAM
 * cannot hold them. */
int boot_write_tables_at(struct guest_memory *mem, const struct boot_layout *l);
/* Both at the default layout. */
int boot_write_tables(struct guest_memory *mem);

/* The entry states, with GDTR (and CR3 in long mode) at the default layout. */
void boot_state_long64(struct vcpu_state *s, uint64_t entry);
void boot_state_prot32(struct vcpu_state *s, uint32_t entry);
void boot_state_real(struct vcpu_state *s, uint16_t cs, uint16_t ip);
/* Points GDTR, and CR3 if paging is on, at the structures of l. */
void boot_state_set_layout(struct vcpu_state *s, const struct boot_layout *l);

#endif
