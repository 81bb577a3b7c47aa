#include "guest_image.h"

#include <string.h>

#include "vm/memory.h"
#include "x86/arch.h"
#include "x86/descriptor.h"

#define PTE_UW (PTE_P | PTE_W | PTE_U)
#define SEG_TYPE_DATA_RO_EXPAND_DOWN_ACCESSED 0x5

static uint64_t flat_descriptor(uint8_t type, int dpl, int db, int l)
{
	struct x86_segment s;

	x86_segment_flat(&s, 0, type, db, l);
	s.dpl = (uint8_t)dpl;
	return x86_descriptor_encode(&s);
}

/* A 64-bit TSS descriptor is 16 bytes: the low half is a system descriptor, the
 * high half holds base bits 32-63 (zero here). */
static uint64_t tss_descriptor_low(void)
{
	struct x86_segment s = { .base = GI_TSS, .limit = 0x67, .type = SEG_TYPE_TSS_BUSY, .present = 1 };

	return x86_descriptor_encode(&s);
}

/* Every descriptor is marked accessed, as Linux's are (its GDT is mapped
 * read-only): a load writes nothing back. */
static int write_gdt(struct guest_memory *mem)
{
	uint64_t gdt[GI_GDT_ENTRIES] = { 0 };

	gdt[GI_SEL_KCODE32 >> 3] = flat_descriptor(SEG_TYPE_CODE_RX_ACCESSED, 0, 1, 0);
	gdt[GI_SEL_KCODE >> 3] = flat_descriptor(SEG_TYPE_CODE_RX_ACCESSED, 0, 0, 1);
	gdt[GI_SEL_KDATA >> 3] = flat_descriptor(SEG_TYPE_DATA_RW_ACCESSED, 0, 1, 0);
	gdt[GI_SEL_UCODE32 >> 3] = flat_descriptor(SEG_TYPE_CODE_RX_ACCESSED, 3, 1, 0);
	gdt[GI_SEL_UDATA >> 3] = flat_descriptor(SEG_TYPE_DATA_RW_ACCESSED, 3, 1, 0);
	gdt[GI_SEL_UCODE >> 3] = flat_descriptor(SEG_TYPE_CODE_RX_ACCESSED, 3, 0, 1);
	gdt[GI_SEL_TSS >> 3] = tss_descriptor_low();
	gdt[GI_SEL_CPUNODE >> 3] = flat_descriptor(SEG_TYPE_DATA_RO_EXPAND_DOWN_ACCESSED, 3, 1, 0);
	return guest_memory_write(mem, GI_GDT, gdt, sizeof(gdt));
}

/* 64-bit interrupt gates (type 0xe) to the handlers; DPL 0, except the gate of
 * the INT3 that ends each sequence. */
static int write_idt(struct guest_memory *mem)
{
	uint64_t idt[GI_VECTORS * 2];

	for (unsigned v = 0; v < GI_VECTORS; v++) {
		uint64_t off = GI_HANDLERS + (uint64_t)v * GI_HANDLER_STRIDE;

		idt[2 * v] = (off & 0xffff) | ((uint64_t)GI_SEL_KCODE << 16) |
			     ((v == GI_VECTOR_END ? 0xeeull : 0x8eull) << 40) | ((off & 0xffff0000ull) << 32);
		idt[2 * v + 1] = off >> 32;
	}
	return guest_memory_write(mem, GI_IDT, idt, sizeof(idt));
}

/* RSP0 at 4; the I/O map base past the limit: no bitmap, every user port access #GPs. */
static int write_tss(struct guest_memory *mem)
{
	uint8_t tss[0x68] = { 0 };
	uint64_t rsp0 = GI_KSTACK_TOP;
	uint16_t iomap = sizeof(tss);

	memcpy(tss + 4, &rsp0, 8);
	memcpy(tss + 0x66, &iomap, 2);
	return guest_memory_write(mem, GI_TSS, tss, sizeof(tss));
}

/* Handler v: `out (GI_PORT_VECTOR + v), al`, then `hlt` (never reached: the test
 * stops at the exit). */
static int write_handlers(struct guest_memory *mem)
{
	uint8_t code[GI_VECTORS * GI_HANDLER_STRIDE];

	memset(code, 0xf4, sizeof(code));
	for (unsigned v = 0; v < GI_VECTORS; v++) {
		code[v * GI_HANDLER_STRIDE] = 0xe6;
		code[v * GI_HANDLER_STRIDE + 1] = (uint8_t)(GI_PORT_VECTOR + v);
	}
	return guest_memory_write(mem, GI_HANDLERS, code, sizeof(code));
}

uint64_t guest_image_page_flags(uint64_t addr)
{
	if (addr >= GI_CODE && addr < GI_CODE + GI_CODE_SIZE)
		return PTE_P | PTE_U;
	if (addr == GI_DATA || addr == GI_STACK)
		return PTE_UW;
	if (addr >= GI_GDT && addr <= GI_KSTACK)
		return PTE_P | PTE_W;
	return 0;
}

static int write_page_tables(struct guest_memory *mem)
{
	uint64_t pt[512], e;

	e = GI_PDPT | PTE_UW;
	if (guest_memory_write(mem, GI_PML4, &e, 8))
		return -1;
	e = GI_PD | PTE_UW;
	if (guest_memory_write(mem, GI_PDPT, &e, 8))
		return -1;
	e = GI_PT | PTE_UW;
	if (guest_memory_write(mem, GI_PD, &e, 8))
		return -1;
	for (uint64_t i = 0; i < 512; i++) {
		uint64_t f = guest_image_page_flags(i << 12);

		pt[i] = f ? (i << 12) | f : 0;
	}
	return guest_memory_write(mem, GI_PT, pt, sizeof(pt));
}

int guest_image_write_tables(struct guest_memory *mem)
{
	if (write_gdt(mem) || write_idt(mem) || write_tss(mem) || write_handlers(mem) || write_page_tables(mem))
		return -1;
	return 0;
}

static void user_segment(struct x86_segment *s, uint16_t sel, uint8_t type, int db, int l)
{
	x86_segment_flat(s, sel, type, db, l);
	s->dpl = 3;
}

void guest_image_user_state(struct vcpu_state *s)
{
	static const enum x86_sreg data[] = { SREG_ES, SREG_SS, SREG_DS, SREG_FS, SREG_GS };

	vcpu_state_reset(s);
	memset(s->gpr, 0, sizeof(s->gpr));
	for (unsigned i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		user_segment(&s->seg[data[i]], GI_SEL_UDATA, SEG_TYPE_DATA_RW_ACCESSED, 1, 0);
	user_segment(&s->seg[SREG_CS], GI_SEL_UCODE, SEG_TYPE_CODE_RX_ACCESSED, 0, 1);
	s->seg[SREG_FS].base = GI_FS_BASE;
	s->seg[SREG_GS].base = GI_GS_BASE;
	s->tr = (struct x86_segment){
		.selector = GI_SEL_TSS, .base = GI_TSS, .limit = 0x67, .type = SEG_TYPE_TSS_BUSY, .present = 1
	};
	s->ldtr = (struct x86_segment){ .type = SEG_TYPE_LDT, .unusable = 1 };
	s->gdtr = (struct x86_dtable){ .base = GI_GDT, .limit = GI_GDT_ENTRIES * 8 - 1 };
	s->idtr = (struct x86_dtable){ .base = GI_IDT, .limit = GI_VECTORS * 16 - 1 };
	s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG;
	s->cr3 = GI_PML4;
	s->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
	s->xcr0 = XCR0_X87 | XCR0_SSE | XCR0_AVX; /* the AVX state on, as Linux has it natively */
	s->efer = EFER_LME | EFER_LMA;
	s->rip = GI_CODE;
	s->rflags = RFLAGS_FIXED | RFLAGS_IF;
}

int guest_image_has_error_code(unsigned vector)
{
	return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 ||
	       vector == 30;
}
