#include "support/cpu_world.h"

#include <string.h>

#include "x86/arch.h"
#include "x86/descriptor.h"

/* Where each structure sits inside its region (RAM at WORLD_RAM_AREA, or a window). */
#define WORLD_RAM_AREA 0x40000ull
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
static const uint64_t slot[WS_COUNT] = {
	[WS_IDT] = 0x0000,    [WS_GDT] = 0x1000, [WS_TSS] = 0x2000, [WS_STACK] = 0x4000 /* the top */,
	[WS_PAGING] = 0x8000,
};

/* GDT selectors, laid out for SYSCALL/SYSRET (STAR below). */
#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS 0x18 /* 16 bytes in long mode */
#define SEL_UCODE32 0x28
#define SEL_UDATA 0x30
#define SEL_UCODE64 0x38
#define SEL_CODE16 0x40
#define GDT_LIMIT 0x47
#define TSS_LIMIT 0x67

void world_init(struct world *w)
{
	static const struct guarded_region ram = { 0, WORLD_RAM_SIZE };

	guarded_ram_init(&w->ram, &ram, 1);
}

bool world_is_ram(const struct world *w, uint64_t gpa, uint64_t len)
{
	return guest_memory_ptr(&w->ram.mem, gpa, len) != NULL;
}

static uint8_t *window_byte(struct world *w, uint64_t gpa)
{
	if (gpa >= WORLD_BEYOND && gpa - WORLD_BEYOND < WORLD_WINDOW_SIZE)
		return &w->window[0][gpa - WORLD_BEYOND];
	if (gpa >= WORLD_HOLE && gpa - WORLD_HOLE < WORLD_WINDOW_SIZE)
		return &w->window[1][gpa - WORLD_HOLE];
	return NULL;
}

void world_mmio(struct world *w, uint64_t gpa, unsigned size, bool is_write, uint8_t *data)
{
	for (unsigned i = 0; i < size; i++) {
		uint8_t *b = window_byte(w, gpa + i);

		if (is_write && b)
			*b = data[i];
		else if (!is_write)
			data[i] = b ? *b : 0xff;
	}
}

/* Writes what the guest will find at gpa: RAM, a window, or nowhere. */
static void put_bytes(struct world *w, uint64_t gpa, const void *src, size_t len)
{
	const uint8_t *s = src;

	for (size_t i = 0; i < len; i++) {
		uint8_t *r = guest_memory_ptr(&w->ram.mem, gpa + i, 1);
		uint8_t *b = r ? r : window_byte(w, gpa + i);

		if (b)
			*b = s[i];
	}
}

static void put(struct world *w, uint64_t gpa, uint64_t v, unsigned size)
{
	put_bytes(w, gpa, &v, size);
}

static unsigned gate_size(unsigned mode)
{
	return mode == WM_REAL ? 4 : mode == WM_LONG64 ? 16 : 8;
}

/* How far before the end of RAM a structure starts when it straddles it: chosen
 * so that the part the CPU reads first (a gate, a descriptor, a TSS field, the
 * top of the stack, a table) is cut in two. */
static uint64_t straddle_delta(const struct world_spec *s, unsigned which)
{
	static const uint8_t vectors[8] = { 0, 0, 6, 13, 14, 8, 32, 3 };
	static const uint8_t selectors[8] = { 0, SEL_CODE, SEL_DATA, SEL_TSS, SEL_TSS + 8, SEL_UCODE64, SEL_UDATA, 0 };
	static const uint8_t tss_fields[8] = { 0, 4, 8, 0x24, 0x2c, 0x0c, 0x1c, 0x64 };
	unsigned v = s->variant[which] & 7, gs = gate_size(s->mode);

	switch (which) {
	case WS_IDT:
		return v ? vectors[v] * gs + gs / 2 : 0;
	case WS_GDT:
		return v ? selectors[v] + 4u : 0;
	case WS_TSS:
		return v ? tss_fields[v] + 2u : 0;
	case WS_STACK:
		return v * 4ull; /* the top is this far beyond the end */
	default:
		return v * 0x1000ull;
	}
}

/* The guest-physical address of a structure (of the stack: its top). */
static uint64_t place_of(const struct world_spec *s, unsigned which)
{
	switch (s->place[which] % PLACE_COUNT) {
	case PLACE_RAM_END:
		if (which == WS_STACK)
			return WORLD_RAM_SIZE + straddle_delta(s, which);
		return WORLD_RAM_SIZE - straddle_delta(s, which);
	case PLACE_BEYOND:
		return WORLD_BEYOND + slot[which];
	case PLACE_HOLE:
		/* Real mode cannot put its stack above 1 MiB + 64 KiB. */
		if (s->mode == WM_REAL && which == WS_STACK)
			return WORLD_BEYOND + slot[which];
		return WORLD_HOLE + slot[which];
	case PLACE_UNBACKED:
		/* Real mode: below 1 MiB, above the window beyond RAM. */
		if (s->mode == WM_REAL)
			return WORLD_BEYOND + WORLD_WINDOW_SIZE + slot[which];
		return WORLD_UNBACKED + slot[which];
	default:
		return WORLD_RAM_AREA + slot[which];
	}
}

static uint64_t segment_desc(uint64_t base, uint32_t limit, uint8_t type, unsigned dpl, bool db, bool l)
{
	struct x86_segment seg;

	x86_segment_flat(&seg, 0, type, db, l);
	seg.base = base;
	seg.limit = limit;
	seg.dpl = (uint8_t)dpl;
	seg.g = limit > 0xfffff;
	if (seg.g)
		seg.limit = limit | 0xfff;
	return x86_descriptor_encode(&seg);
}

static void build_gdt(struct world *w, const struct world_spec *s, uint64_t gdt, uint64_t tss)
{
	bool lng = s->mode == WM_LONG64;
	uint64_t tss_lo = (TSS_LIMIT & 0xffff) | ((tss & 0xffffff) << 16) | (0x9ull << 40) | (1ull << 47) |
			  (((tss >> 24) & 0xff) << 56);

	put(w, gdt, 0, 8);
	put(w, gdt + SEL_CODE, segment_desc(0, 0xffffffff, 0xb, 0, !lng, lng), 8);
	put(w, gdt + SEL_DATA, segment_desc(0, 0xffffffff, 0x3, 0, true, false), 8);
	put(w, gdt + SEL_TSS, tss_lo, 8);
	put(w, gdt + SEL_TSS + 8, lng ? tss >> 32 : 0, 8);
	put(w, gdt + SEL_UCODE32, segment_desc(0, 0xffffffff, 0xb, 3, true, false), 8);
	put(w, gdt + SEL_UDATA, segment_desc(0, 0xffffffff, 0x3, 3, true, false), 8);
	put(w, gdt + SEL_UCODE64, segment_desc(0, 0xffffffff, 0xb, 3, !lng, lng), 8);
	put(w, gdt + SEL_CODE16, segment_desc(0, 0xffff, 0xb, 0, false, false), 8);
}

static void build_idt(struct world *w, const struct world_spec *s, uint64_t idt)
{
	for (unsigned v = 0; v < 256; v++) {
		uint64_t h = WORLD_HANDLER, lo;

		if (s->mode == WM_REAL) {
			put(w, idt + v * 4, (WORLD_HANDLER >> 4) << 16, 4);
			continue;
		}
		/* Interrupt gates (type 0xe), DPL 3 so that INT n works from CPL 3. */
		lo = (h & 0xffff) | ((uint64_t)SEL_CODE << 16) | (0xeull << 40) | (3ull << 45) | (1ull << 47) |
		     ((h & 0xffff0000ull) << 32);
		if (s->mode == WM_LONG64) {
			if (s->flags & WF_IST)
				lo |= (uint64_t)(v % 8) << 32;
			put(w, idt + v * 16, lo, 8);
			put(w, idt + v * 16 + 8, h >> 32, 8);
		} else {
			put(w, idt + v * 8, lo, 8);
		}
	}
}

/* The ring-0 stack and, in long mode, the IST stacks below it. */
static void build_tss(struct world *w, const struct world_spec *s, uint64_t tss, uint64_t stack_top)
{
	if (s->mode == WM_LONG64) {
		put(w, tss + 4, stack_top, 8);
		for (unsigned i = 0; i < 7; i++)
			put(w, tss + 0x24 + i * 8, stack_top - 0x100 * (i + 1), 8);
		put(w, tss + 0x66, TSS_LIMIT + 1, 2); /* no I/O permission bitmap */
	} else {
		put(w, tss + 4, stack_top, 4);
		put(w, tss + 8, SEL_DATA, 4);
	}
}

/* Identity maps of the low 4 GiB: 2 MiB pages under a PML4 and a PDPT (long
 * mode), or 4 MiB pages (32-bit paging with CR4.PSE); the first large page is
 * mapped by a page table of 4 KiB pages, one of which may be missing. Long mode
 * uses 7 pages (PML4, PDPT, 4 PDs, the PT), 32-bit paging 2 (PD, PT). */
static void build_paging(struct world *w, const struct world_spec *s, uint64_t t)
{
	const uint64_t f = PTE_P | PTE_W | PTE_U;
	bool lng = s->mode == WM_LONG64;
	unsigned esize = lng ? 8 : 4;
	uint64_t pt = lng ? t + 0x6000 : t + 0x1000;

	for (unsigned i = 0; i < 512; i++)
		put(w, pt + i * esize, (i << 12) | f, esize);
	if (!(s->missing_page & 0x80))
		put(w, pt + s->missing_page * esize, 0, esize);
	if (!lng) {
		put(w, t, pt | f, 4);
		for (unsigned i = 1; i < 1024; i++)
			put(w, t + i * 4, ((uint64_t)i << 22) | f | PTE_PS, 4);
		return;
	}
	put(w, t, (t + 0x1000) | f, 8);
	for (unsigned i = 0; i < 4; i++) {
		put(w, t + 0x1000 + i * 8, (t + 0x2000 + i * 0x1000) | f, 8);
		for (unsigned j = 0; j < 512; j++)
			put(w, t + 0x2000 + i * 0x1000 + j * 8, ((uint64_t)i << 30 | (uint64_t)j << 21) | f | PTE_PS,
			    8);
	}
	put(w, t + 0x2000, pt | f, 8);
}

static uint64_t palette(const struct world_spec *s, unsigned reg)
{
	static const uint64_t values[8] = {
		0, 1, ~0ull, WORLD_CODE, WORLD_DATA, WORLD_RAM_SIZE - 8, WORLD_HOLE, 0xfee00000ull,
	};

	return values[s->regs[reg] & 7];
}

static void set_segments(struct vcpu_state *st, const struct world_spec *s, uint64_t tss)
{
	bool lng = s->mode == WM_LONG64, user = s->flags & WF_USER;
	uint16_t cs = user ? (lng ? SEL_UCODE64 : SEL_UCODE32) | 3 : SEL_CODE;
	uint16_t ds = user ? SEL_UDATA | 3 : SEL_DATA;

	for (unsigned i = 0; i < SREG_COUNT; i++) {
		x86_segment_flat(&st->seg[i], ds, SEG_TYPE_DATA_RW_ACCESSED, 1, 0);
		st->seg[i].dpl = user ? 3 : 0;
	}
	x86_segment_flat(&st->seg[SREG_CS], cs, SEG_TYPE_CODE_RX_ACCESSED, !lng, lng);
	st->seg[SREG_CS].dpl = user ? 3 : 0;
	if (s->cs_limit && !lng) {
		st->seg[SREG_CS].limit = (uint32_t)(WORLD_CODE + 4u * s->cs_limit - 1);
		st->seg[SREG_CS].g = 0;
	}
	memset(&st->tr, 0, sizeof(st->tr));
	st->tr.selector = SEL_TSS;
	st->tr.base = tss;
	st->tr.limit = TSS_LIMIT;
	st->tr.type = SEG_TYPE_TSS_BUSY;
	st->tr.present = 1;
}

static void set_real_mode(struct vcpu_state *st, uint64_t stack_top, uint64_t code)
{
	uint64_t ss_base = (stack_top - 0x8000) & ~0xfull;

	for (unsigned i = 0; i < SREG_COUNT; i++)
		x86_segment_real(&st->seg[i], (uint16_t)(WORLD_DATA >> 4), SEG_TYPE_DATA_RW_ACCESSED);
	x86_segment_real(&st->seg[SREG_SS], (uint16_t)(ss_base >> 4), SEG_TYPE_DATA_RW_ACCESSED);
	x86_segment_real(&st->seg[SREG_CS], (uint16_t)((code & ~0xffffull) >> 4), SEG_TYPE_CODE_RX_ACCESSED);
	st->gpr[GPR_RSP] = stack_top - ss_base;
	st->rip = code & 0xffff;
}

void world_build(struct world *w, const struct world_spec *s, struct vcpu_state *st)
{
	uint64_t at[WS_COUNT], code;
	/* Every gate leads to OUT 0xe5 first, so that each completed delivery shows
	 * as an exit and a retired instruction: a guest stuck delivering events
	 * makes progress that way, a vCPU stuck in a broken delivery does not. */
	static const uint8_t trampoline[] = { 0xe6, WORLD_PORT_DELIVERED };
	static const uint8_t hlt = 0xf4;

	memset(w->ram.mem.region[0].hva, 0, WORLD_RAM_SIZE);
	memset(w->window, 0, sizeof(w->window));
	for (unsigned i = 0; i < WS_COUNT; i++)
		at[i] = place_of(s, i);
	code = s->flags & WF_CODE_AT_END ? WORLD_RAM_SIZE - s->code_len : WORLD_CODE;
	put_bytes(w, code, s->code, s->code_len);
	put_bytes(w, WORLD_HANDLER, trampoline, sizeof(trampoline));
	if (s->handler_len)
		put_bytes(w, WORLD_HANDLER + sizeof(trampoline), s->handler, s->handler_len);
	else
		put_bytes(w, WORLD_HANDLER + sizeof(trampoline), &hlt, 1);
	build_idt(w, s, at[WS_IDT]);
	build_gdt(w, s, at[WS_GDT], at[WS_TSS]);
	build_tss(w, s, at[WS_TSS], at[WS_STACK]);
	if (s->mode == WM_LONG64 || s->mode == WM_PROT32_PAGED)
		build_paging(w, s, at[WS_PAGING]);

	vcpu_state_reset(st);
	for (unsigned i = 0; i < GPR_COUNT; i++)
		st->gpr[i] = palette(s, i);
	st->rflags = RFLAGS_FIXED | (s->flags & WF_IF ? RFLAGS_IF : 0) | (s->flags & WF_TF ? RFLAGS_TF : 0);
	st->gdtr = (struct x86_dtable){ at[WS_GDT], GDT_LIMIT };
	st->idtr = (struct x86_dtable){ at[WS_IDT], (uint16_t)(256 * gate_size(s->mode) - 1) };
	st->msr.star = ((uint64_t)SEL_CODE << 32) | ((uint64_t)(SEL_UCODE32 | 3) << 48);
	st->msr.lstar = st->msr.cstar = WORLD_HANDLER;
	st->msr.sysenter_cs = SEL_CODE;
	st->msr.sysenter_eip = WORLD_HANDLER;
	st->msr.sysenter_esp = at[WS_STACK];
	if (s->mode == WM_REAL) {
		st->cr0 = CR0_ET;
		set_real_mode(st, at[WS_STACK], code);
		return;
	}
	set_segments(st, s, at[WS_TSS]);
	st->gpr[GPR_RSP] = at[WS_STACK] - (s->flags & WF_USER ? 0x800 : 0);
	st->rip = code;
	st->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | (s->flags & WF_WP ? CR0_WP : 0);
	st->cr4 = s->flags & WF_SSE ? CR4_OSFXSR | CR4_OSXMMEXCPT : 0;
	st->efer = EFER_SCE | (s->flags & WF_NXE ? EFER_NXE : 0);
	if (s->mode == WM_PROT32_PAGED) {
		st->cr0 |= CR0_PG;
		st->cr4 |= CR4_PSE;
		st->cr3 = at[WS_PAGING];
	} else if (s->mode == WM_LONG64) {
		st->cr0 |= CR0_PG;
		st->cr4 |= CR4_PAE;
		st->efer |= EFER_LME | EFER_LMA;
		st->cr3 = at[WS_PAGING];
	}
}
