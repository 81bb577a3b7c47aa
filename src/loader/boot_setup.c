#include "loader/boot_setup.h"

#include <string.h>

#include "vm/memory.h"
#include "x86/arch.h"
#include "x86/descriptor.h"

unsigned boot_memory_map(const struct guest_memory *mem, struct boot_mem_range *e)
{
	uint64_t low_end = guest_memory_low_end(mem);
	unsigned n = 0;

	e[n++] = (struct boot_mem_range){ 0, 0x9fc00, BOOT_MAP_RAM };
	e[n++] = (struct boot_mem_range){ 0x9fc00, 0x400, BOOT_MAP_RESERVED };
	/* The BIOS area, where the ACPI tables are (vm/platform.c). */
	e[n++] =
	    (struct boot_mem_range){ PLATFORM_FIRMWARE_BASE, 0x100000 - PLATFORM_FIRMWARE_BASE, BOOT_MAP_RESERVED };
	if (low_end > 0x100000)
		e[n++] = (struct boot_mem_range){ 0x100000, low_end - 0x100000, BOOT_MAP_RAM };
	if (mem->nregions > 1)
		e[n++] = (struct boot_mem_range){ mem->region[1].gpa, mem->region[1].size, BOOT_MAP_RAM };
	return n;
}

const struct boot_layout boot_layout_default = {
	.gdt = BOOT_GDT_ADDR,
	.tables = BOOT_PML4_ADDR,
	.info = BOOT_INFO_ADDR,
};

int boot_write_tables_at(struct guest_memory *mem, const struct boot_layout *l)
{
	uint64_t pdpt = l->tables + BOOT_PDPT_OFFSET, pd = l->tables + BOOT_PD_OFFSET;
	void *tables;
	struct x86_segment seg;
	uint64_t gdt[4] = { 0 };
	uint64_t entry;

	x86_segment_flat(&seg, BOOT_SEL_CODE64, SEG_TYPE_CODE_RX_ACCESSED, 0, 1);
	gdt[1] = x86_descriptor_encode(&seg);
	x86_segment_flat(&seg, BOOT_SEL_DATA, SEG_TYPE_DATA_RW_ACCESSED, 1, 0);
	gdt[2] = x86_descriptor_encode(&seg);
	x86_segment_flat(&seg, BOOT_SEL_CODE32, SEG_TYPE_CODE_RX_ACCESSED, 1, 0);
	gdt[3] = x86_descriptor_encode(&seg);
	if (guest_memory_write(mem, l->gdt, gdt, sizeof(gdt)))
		return -1;
	if (!l->tables)
		return 0;

	/* The whole table pages: entries beyond those written are not present. */
	tables = guest_memory_ptr(mem, l->tables, BOOT_TABLES_SIZE);
	if (!tables)
		return -1;
	memset(tables, 0, BOOT_TABLES_SIZE);
	entry = pdpt | PTE_P | PTE_W;
	if (guest_memory_write(mem, l->tables, &entry, sizeof(entry)))
		return -1;
	for (uint64_t i = 0; i < 4; i++) {
		entry = (pd + i * 4096) | PTE_P | PTE_W;
		if (guest_memory_write(mem, pdpt + i * 8, &entry, sizeof(entry)))
			return -1;
	}
	for (uint64_t i = 0; i < 4 * 512; i++) {
		entry = (i << 21) | PTE_P | PTE_W | PTE_PS;
		if (guest_memory_write(mem, pd + i * 8, &entry, sizeof(entry)))
			return -1;
	}
	return 0;
}

int boot_write_tables(struct guest_memory *mem)
{
	return boot_write_tables_at(mem, &boot_layout_default);
}

void boot_state_set_layout(struct vcpu_state *s, const struct boot_layout *l)
{
	s->gdtr.base = l->gdt;
	if (s->cr0 & CR0_PG)
		s->cr3 = l->tables;
}

static void set_data_segments(struct vcpu_state *s)
{
	static const enum x86_sreg data[] = { SREG_ES, SREG_SS, SREG_DS, SREG_FS, SREG_GS };

	for (unsigned i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		x86_segment_flat(&s->seg[data[i]], BOOT_SEL_DATA, SEG_TYPE_DATA_RW_ACCESSED, 1, 0);
	s->gdtr.base = BOOT_GDT_ADDR;
	s->gdtr.limit = 4 * 8 - 1;
	s->idtr.base = 0;
	s->idtr.limit = 0;
}

void boot_state_long64(struct vcpu_state *s, uint64_t entry)
{
	vcpu_state_reset(s);
	set_data_segments(s);
	x86_segment_flat(&s->seg[SREG_CS], BOOT_SEL_CODE64, SEG_TYPE_CODE_RX_ACCESSED, 0, 1);
	s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s->cr3 = BOOT_PML4_ADDR;
	s->cr4 = CR4_PAE;
	s->efer = EFER_LME | EFER_LMA;
	s->rip = entry;
	s->gpr[GPR_RDX] = 0;
}

void boot_state_prot32(struct vcpu_state *s, uint32_t entry)
{
	vcpu_state_reset(s);
	set_data_segments(s);
	x86_segment_flat(&s->seg[SREG_CS], BOOT_SEL_CODE32, SEG_TYPE_CODE_RX_ACCESSED, 1, 0);
	s->cr0 = CR0_PE | CR0_ET;
	s->rip = entry;
	s->gpr[GPR_RDX] = 0;
}

void boot_state_real(struct vcpu_state *s, uint16_t cs, uint16_t ip)
{
	vcpu_state_reset(s);
	for (int i = 0; i < SREG_COUNT; i++)
		x86_segment_real(&s->seg[i], 0, SEG_TYPE_DATA_RW_ACCESSED);
	x86_segment_real(&s->seg[SREG_CS], cs, SEG_TYPE_CODE_RX_ACCESSED);
	s->cr0 = CR0_ET;
	s->rip = ip;
	s->gpr[GPR_RDX] = 0;
}
