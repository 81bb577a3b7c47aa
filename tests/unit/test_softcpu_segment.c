/* The interp engine's segmentation (seg_linear in src/engine/softcpu/mem.c) and
 * segment-register loads (src/engine/softcpu/segment.c) against Intel SDM Vol. 3A:
 * 3.4.5 (descriptors and types), 5.3 (limit checking, expand-down segments),
 * 5.4 (type checking), 5.7 (privilege checks for data and stack segments), 3.3.7.1
 * and 5.3.1 (canonical addresses in 64-bit mode), and Vol. 2's MOV/POP pages
 * (the exceptions of a segment-register load). Paging is off: linear addresses
 * are physical, so the GDT and LDT are plain guest RAM. */
#include "softcpu_harness.h"

#define GP 13
#define SS_FAULT 12
#define NP 11

#define GDT 0x1000ull
#define LDT 0x3000ull

/* Descriptor types (S = 1), SDM Vol. 3A, table 3-1. */
#define T_DATA_RO 0x1
#define T_DATA_RW 0x3
#define T_DATA_RW_DOWN 0x7
#define T_CODE_XO 0x9
#define T_CODE_RX 0xb
#define T_CODE_RX_CONFORMING 0xf

/* The GDT of the segment_load tests. */
enum {
	SEL_CODE0 = 0x08,
	SEL_DATA0 = 0x10,
	SEL_DATA3 = 0x18,
	SEL_DATA0_RO = 0x20,
	SEL_CODE0_XO = 0x28,
	SEL_DATA0_ABSENT = 0x30,
	SEL_CODE0_CONFORMING = 0x38,
	SEL_LDT = 0x40,
	SEL_CODE3 = 0x48,
	GDT_ENTRIES = 10,
};
/* LDT selectors (TI = 1). */
#define SEL_LDT_DATA0 0x0c
#define SEL_LDT_ABSENT 0x14

static struct x86_segment descriptor(uint8_t type, unsigned dpl, uint64_t base, uint32_t limit, bool present)
{
	struct x86_segment s = { 0 };

	s.type = type;
	s.s = 1;
	s.dpl = (uint8_t)dpl;
	s.base = base;
	s.limit = limit;
	s.present = present;
	s.db = 1;
	return s;
}

static void put_descriptor(struct icpu *h, uint64_t table, uint16_t sel, const struct x86_segment *s)
{
	icpu_set(h, table + (sel & 0xfff8), x86_descriptor_encode(s), 8);
}

/* A vCPU in 32-bit protected mode at CPL 0, paging off, with the GDT and LDT. */
static struct icpu *prot32(void)
{
	struct icpu *h = icpu_new();
	struct soft_cpu *cpu = h->cpu;
	struct x86_segment s;

	cpu->cr0 = CR0_PE | CR0_ET;
	x86_segment_flat(&cpu->seg[SREG_CS], SEL_CODE0, T_CODE_RX, 1, 0);
	for (unsigned i = 0; i < SREG_COUNT; i++)
		if (i != SREG_CS)
			x86_segment_flat(&cpu->seg[i], SEL_DATA0, T_DATA_RW, 1, 0);
	cpu_update_mode(cpu);

	s = descriptor(T_CODE_RX, 0, 0, 0xfffff, true);
	put_descriptor(h, GDT, SEL_CODE0, &s);
	s = descriptor(T_DATA_RW, 0, 0x10000, 0xffff, true);
	put_descriptor(h, GDT, SEL_DATA0, &s);
	s = descriptor(T_DATA_RW, 3, 0x20000, 0xffff, true);
	put_descriptor(h, GDT, SEL_DATA3, &s);
	s = descriptor(T_DATA_RO, 0, 0, 0xffff, true);
	put_descriptor(h, GDT, SEL_DATA0_RO, &s);
	s = descriptor(T_CODE_XO, 0, 0, 0xffff, true);
	put_descriptor(h, GDT, SEL_CODE0_XO, &s);
	s = descriptor(T_DATA_RW, 0, 0, 0xffff, false);
	put_descriptor(h, GDT, SEL_DATA0_ABSENT, &s);
	s = descriptor(T_CODE_RX_CONFORMING, 0, 0x30000, 0xffff, true);
	put_descriptor(h, GDT, SEL_CODE0_CONFORMING, &s);
	s = descriptor(SEG_TYPE_LDT, 0, LDT, 3 * 8 - 1, true);
	s.s = 0;
	s.db = 0;
	put_descriptor(h, GDT, SEL_LDT, &s);
	s = descriptor(T_CODE_RX, 3, 0, 0xffff, true);
	put_descriptor(h, GDT, SEL_CODE3, &s);
	cpu->gdtr.base = GDT;
	cpu->gdtr.limit = GDT_ENTRIES * 8 - 1;

	s = descriptor(T_DATA_RW, 0, 0x123000, 0xfff, true);
	put_descriptor(h, LDT, SEL_LDT_DATA0, &s);
	s = descriptor(T_DATA_RW, 0, 0, 0xfff, false);
	put_descriptor(h, LDT, SEL_LDT_ABSENT, &s);
	x86_descriptor_decode(icpu_get(h, GDT + SEL_LDT, 8), SEL_LDT, &cpu->ldtr);
	return h;
}

static void long64(struct icpu *h)
{
	struct soft_cpu *cpu = h->cpu;

	cpu->cr0 = CR0_PE | CR0_ET; /* paging stays off: the walker is not under test */
	cpu->efer = EFER_LME | EFER_LMA;
	x86_segment_flat(&cpu->seg[SREG_CS], SEL_CODE0, T_CODE_RX, 0, 1);
	cpu_update_mode(cpu);
	assert_int_equal(cpu->mode, MODE_LONG64);
}

/* ---- seg_linear under icpu_call --------------------------------------------------- */

struct lin_call {
	unsigned sreg, size, acc;
	uint64_t offset, lin;
};

static void do_seg_linear(struct soft_cpu *cpu, void *arg)
{
	struct lin_call *c = arg;

	c->lin = seg_linear(cpu, c->sreg, c->offset, c->size, c->acc);
}

static uint64_t lin_ok(struct icpu *h, unsigned sreg, uint64_t offset, unsigned size, unsigned acc)
{
	struct lin_call c = { sreg, size, acc, offset, 0 };
	char what[96];

	snprintf(what, sizeof(what), "sreg %u offset 0x%llx size %u acc %u", sreg, (unsigned long long)offset, size,
		 acc);
	ih_expect_no_fault(icpu_call(h->cpu, do_seg_linear, &c), what);
	return c.lin;
}

static void lin_fault(struct icpu *h, unsigned sreg, uint64_t offset, unsigned size, unsigned acc, uint8_t vector)
{
	struct lin_call c = { sreg, size, acc, offset, 0 };
	char what[96];

	snprintf(what, sizeof(what), "sreg %u offset 0x%llx size %u acc %u", sreg, (unsigned long long)offset, size,
		 acc);
	ih_expect_fault(icpu_call(h->cpu, do_seg_linear, &c), vector, 0, what);
}

static void set_segment(struct icpu *h, unsigned sreg, uint8_t type, uint64_t base, uint32_t limit, bool big)
{
	struct x86_segment *s = &h->cpu->seg[sreg];

	*s = descriptor(type, 0, base, limit, true);
	s->selector = SEL_DATA0;
	s->db = big;
}

/* Expand-up: offsets 0..limit; the last byte of the access counts (5.3). */
static void test_seg_expand_up_limit_covers_last_byte_of_access(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	set_segment(h, SREG_DS, T_DATA_RW, 0x10000, 0xfff, true);
	assert_int_equal(lin_ok(h, SREG_DS, 0xffc, 4, ACC_READ), 0x10ffc);
	assert_int_equal(lin_ok(h, SREG_DS, 0xfff, 1, ACC_WRITE), 0x10fff);
	lin_fault(h, SREG_DS, 0xffe, 4, ACC_READ, GP);
	lin_fault(h, SREG_DS, 0x1000, 1, ACC_READ, GP);
	icpu_free(h);
}

/* A stack-segment limit violation is #SS(0), not #GP (5.3; Vol. 2, "Protected
 * Mode Exceptions" of any instruction with a stack-segment memory operand). */
static void test_seg_stack_segment_limit_violation_is_ss_fault(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	set_segment(h, SREG_SS, T_DATA_RW, 0, 0xfff, true);
	lin_fault(h, SREG_SS, 0xffd, 4, ACC_WRITE, SS_FAULT);
	lin_fault(h, SREG_SS, 0x2000, 2, ACC_READ, SS_FAULT);
	assert_int_equal(lin_ok(h, SREG_SS, 0xffc, 4, ACC_WRITE), 0xffc);
	icpu_free(h);
}

/* 16-bit segment with a 64-KByte limit: a word at 0xffff crosses it. */
static void test_seg_16bit_segment_word_at_ffff_crosses_limit(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	set_segment(h, SREG_ES, T_DATA_RW, 0x50000, 0xffff, false);
	assert_int_equal(lin_ok(h, SREG_ES, 0xfffe, 2, ACC_READ), 0x5fffe);
	lin_fault(h, SREG_ES, 0xffff, 2, ACC_READ, GP);
	icpu_free(h);
}

/* Expand-down with B = 1: valid offsets are limit + 1 .. 0xffffffff (5.3). */
static void test_seg_expand_down_32bit_valid_from_limit_plus_one_to_4g(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	set_segment(h, SREG_DS, T_DATA_RW_DOWN, 0, 0xfff, true);
	lin_fault(h, SREG_DS, 0xfff, 1, ACC_READ, GP);
	lin_fault(h, SREG_DS, 0, 4, ACC_READ, GP);
	assert_int_equal(lin_ok(h, SREG_DS, 0x1000, 4, ACC_READ), 0x1000);
	assert_int_equal(lin_ok(h, SREG_DS, 0xfffffffc, 4, ACC_WRITE), 0xfffffffc);
	lin_fault(h, SREG_DS, 0xfffffffe, 4, ACC_READ, GP);
	icpu_free(h);
}

/* Expand-down with B = 0: the upper bound is 0xffff (5.3). */
static void test_seg_expand_down_16bit_upper_bound_is_ffff(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	set_segment(h, SREG_DS, T_DATA_RW_DOWN, 0x10000, 0x7fff, false);
	lin_fault(h, SREG_DS, 0x7fff, 1, ACC_READ, GP);
	assert_int_equal(lin_ok(h, SREG_DS, 0x8000, 2, ACC_READ), 0x18000);
	assert_int_equal(lin_ok(h, SREG_DS, 0xfffe, 2, ACC_READ), 0x1fffe);
	lin_fault(h, SREG_DS, 0xffff, 2, ACC_READ, GP);
	lin_fault(h, SREG_DS, 0x10000, 1, ACC_READ, GP);
	icpu_free(h);
}

/* An expand-down stack (the classic growing-down SS) faults with #SS. */
static void test_seg_expand_down_stack_violation_is_ss_fault(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	set_segment(h, SREG_SS, T_DATA_RW_DOWN, 0, 0xffff, true);
	lin_fault(h, SREG_SS, 0xfffc, 4, ACC_WRITE, SS_FAULT);
	assert_int_equal(lin_ok(h, SREG_SS, 0x10000, 4, ACC_WRITE), 0x10000);
	icpu_free(h);
}

/* Type checks (5.4): code segments are never writable, execute-only code is not
 * readable, read-only data is not writable. */
static void test_seg_write_to_code_segment_faults(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	lin_fault(h, SREG_CS, 0x100, 4, ACC_WRITE, GP);
	assert_int_equal(lin_ok(h, SREG_CS, 0x100, 4, ACC_READ), 0x100); /* CS is readable (type 0xb) */
	set_segment(h, SREG_DS, T_CODE_RX, 0, 0xffffffff, true);
	lin_fault(h, SREG_DS, 0x100, 1, ACC_WRITE, GP);
	icpu_free(h);
}

static void test_seg_read_from_execute_only_code_faults_but_fetch_does_not(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	set_segment(h, SREG_CS, T_CODE_XO, 0, 0xffffffff, true);
	lin_fault(h, SREG_CS, 0x100, 4, ACC_READ, GP);
	assert_int_equal(lin_ok(h, SREG_CS, 0x100, 4, ACC_EXEC), 0x100);
	icpu_free(h);
}

static void test_seg_write_to_read_only_data_faults(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	set_segment(h, SREG_FS, T_DATA_RO, 0, 0xffff, true);
	lin_fault(h, SREG_FS, 0x10, 2, ACC_WRITE, GP);
	assert_int_equal(lin_ok(h, SREG_FS, 0x10, 2, ACC_READ), 0x10);
	icpu_free(h);
}

/* A memory access through a segment register holding a null selector is #GP(0)
 * (3.4.2, "null segment selector"). */
static void test_seg_access_through_null_selector_faults(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	memset(&h->cpu->seg[SREG_GS], 0, sizeof(h->cpu->seg[SREG_GS]));
	h->cpu->seg[SREG_GS].unusable = 1;
	lin_fault(h, SREG_GS, 0, 1, ACC_READ, GP);
	icpu_free(h);
}

/* Outside 64-bit mode base + offset wraps at 4 GBytes. */
static void test_seg_linear_address_wraps_at_4g(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	set_segment(h, SREG_DS, T_DATA_RW, 0xfffff000, 0xffffffff, true);
	assert_int_equal(lin_ok(h, SREG_DS, 0x2000, 4, ACC_READ), 0x1000);
	icpu_free(h);
}

/* Real mode: base = selector * 16 and the 64-KByte limit still applies (a word at
 * 0xffff is #GP, or #SS through SS: SDM Vol. 2, "Real-Address Mode Exceptions"). */
static void test_seg_real_mode_uses_selector_times_16_and_64k_limit(void **state)
{
	struct icpu *h = icpu_new();
	struct soft_cpu *cpu = h->cpu;

	(void)state;
	cpu->cr0 = CR0_ET;
	for (unsigned i = 0; i < SREG_COUNT; i++)
		x86_segment_real(&cpu->seg[i], 0x1234, i == SREG_CS ? T_CODE_RX : T_DATA_RW);
	cpu_update_mode(cpu);
	assert_int_equal(cpu->mode, MODE_REAL);
	assert_int_equal(lin_ok(h, SREG_DS, 0x10, 2, ACC_WRITE), 0x12350);
	lin_fault(h, SREG_DS, 0xffff, 2, ACC_READ, GP);
	lin_fault(h, SREG_SS, 0xffff, 2, ACC_READ, SS_FAULT);
	icpu_free(h);
}

/* 64-bit mode (3.2.4, 5.2.1): CS, DS, ES and SS have base 0 and no limit or type
 * checks; FS and GS add their bases; the resulting address, up to its last byte,
 * must be canonical, else #GP(0), or #SS(0) through SS. */
static void test_seg_64bit_ignores_base_limit_and_type_except_fs_gs_base(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	long64(h);
	set_segment(h, SREG_DS, T_DATA_RO, 0x5000, 0xff, true);
	assert_int_equal(lin_ok(h, SREG_DS, 0x123456789ull, 8, ACC_WRITE), 0x123456789ull);
	memset(&h->cpu->seg[SREG_ES], 0, sizeof(h->cpu->seg[SREG_ES]));
	h->cpu->seg[SREG_ES].unusable = 1;
	assert_int_equal(lin_ok(h, SREG_ES, 0x1000, 4, ACC_READ), 0x1000);
	h->cpu->seg[SREG_FS].base = 0xffff800000000000ull;
	assert_int_equal(lin_ok(h, SREG_FS, 0x10, 8, ACC_READ), 0xffff800000000010ull);
	h->cpu->seg[SREG_GS].base = 0xfffffffffffff000ull; /* base + offset wraps to canonical 0x1000 */
	assert_int_equal(lin_ok(h, SREG_GS, 0x2000, 8, ACC_READ), 0x1000);
	icpu_free(h);
}

static void test_seg_64bit_non_canonical_address_faults_gp_or_ss(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	long64(h);
	lin_fault(h, SREG_DS, 0x0000800000000000ull, 1, ACC_READ, GP);
	lin_fault(h, SREG_SS, 0xffff7ffffffffff8ull, 8, ACC_WRITE, SS_FAULT);
	lin_fault(h, SREG_DS, 0x00007ffffffffffcull, 8, ACC_READ, GP); /* the last byte is not canonical */
	assert_int_equal(lin_ok(h, SREG_DS, 0x00007ffffffffff8ull, 8, ACC_READ), 0x00007ffffffffff8ull);
	h->cpu->seg[SREG_FS].base = 0x00007ffffffff000ull;
	lin_fault(h, SREG_FS, 0x1000, 1, ACC_READ, GP);
	icpu_free(h);
}

/* ---- segment_load ------------------------------------------------------------------ */

struct load_call {
	unsigned sreg;
	uint16_t selector;
};

static void do_segment_load(struct soft_cpu *cpu, void *arg)
{
	const struct load_call *c = arg;

	segment_load(cpu, c->sreg, c->selector);
}

static void load_ok(struct icpu *h, unsigned sreg, uint16_t selector)
{
	struct load_call c = { sreg, selector };
	char what[64];

	snprintf(what, sizeof(what), "load sreg %u with 0x%x", sreg, selector);
	ih_expect_no_fault(icpu_call(h->cpu, do_segment_load, &c), what);
	assert_int_equal(h->cpu->seg[sreg].selector, selector);
}

static void load_fault(struct icpu *h, unsigned sreg, uint16_t selector, uint8_t vector, uint32_t error)
{
	struct load_call c = { sreg, selector };
	struct x86_segment before = h->cpu->seg[sreg];
	char what[64];

	snprintf(what, sizeof(what), "load sreg %u with 0x%x", sreg, selector);
	ih_expect_fault(icpu_call(h->cpu, do_segment_load, &c), vector, error, what);
	/* A faulting load leaves the register as it was. */
	assert_memory_equal(&h->cpu->seg[sreg], &before, sizeof(before));
}

static void as_cpl3(struct icpu *h)
{
	h->cpu->seg[SREG_CS].dpl = 3;
	h->cpu->seg[SREG_CS].selector = SEL_CODE3 | 3;
	cpu_update_mode(h->cpu);
	assert_int_equal(h->cpu->cpl, 3);
}

/* A data-segment load fills the hidden part from the descriptor. */
static void test_seg_load_data_segment_fills_descriptor_cache(void **state)
{
	struct icpu *h = prot32();
	const struct x86_segment *ds = &h->cpu->seg[SREG_DS];

	(void)state;
	load_ok(h, SREG_DS, SEL_DATA0);
	assert_int_equal(ds->base, 0x10000);
	assert_int_equal(ds->limit, 0xffff);
	assert_int_equal(ds->type & 0xe, T_DATA_RW & 0xe);
	assert_int_equal(ds->dpl, 0);
	assert_true(ds->present);
	assert_false(ds->unusable);
	icpu_free(h);
}

/* MOV DS: "IF segment selector's RPL > DPL or CPL > DPL ... #GP(selector)" for a
 * data or nonconforming code segment (5.7, Vol. 2 MOV). */
static void test_seg_load_data_checks_cpl_and_rpl_against_dpl(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	load_fault(h, SREG_DS, SEL_DATA0 | 3, GP, SEL_DATA0); /* RPL 3 > DPL 0 */
	load_ok(h, SREG_DS, SEL_DATA3 | 3);
	as_cpl3(h);
	load_fault(h, SREG_ES, SEL_DATA0, GP, SEL_DATA0);     /* CPL 3 > DPL 0 */
	load_fault(h, SREG_ES, SEL_DATA0 | 3, GP, SEL_DATA0); /* both */
	load_ok(h, SREG_ES, SEL_DATA3 | 3);
	icpu_free(h);
}

/* Readable code may be loaded into a data register; conforming code bypasses the
 * privilege check, execute-only code is refused (Vol. 2 MOV: "IF segment is not a
 * data or readable code segment ... #GP(selector)"). */
static void test_seg_load_ds_takes_readable_code_and_refuses_execute_only(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	load_fault(h, SREG_DS, SEL_CODE0_XO, GP, SEL_CODE0_XO);
	as_cpl3(h);
	load_ok(h, SREG_DS, SEL_CODE0_CONFORMING | 3);
	assert_int_equal(h->cpu->seg[SREG_DS].base, 0x30000);
	load_ok(h, SREG_FS, SEL_CODE3 | 3);
	icpu_free(h);
}

/* A system descriptor (S = 0) in a data register: #GP(selector). */
static void test_seg_load_system_descriptor_into_ds_faults(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	load_fault(h, SREG_DS, SEL_LDT, GP, SEL_LDT);
	icpu_free(h);
}

/* A not-present data segment: #NP(selector) (Vol. 2 MOV). */
static void test_seg_load_not_present_data_segment_raises_np_with_selector(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	load_fault(h, SREG_GS, SEL_DATA0_ABSENT, NP, SEL_DATA0_ABSENT);
	icpu_free(h);
}

/* A selector whose descriptor lies beyond the GDT limit: #GP(selector); the error
 * code keeps the index and TI bits, not the RPL (7.13, figure 7-6). */
static void test_seg_load_selector_beyond_gdt_limit_faults_with_selector(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	load_fault(h, SREG_DS, (uint16_t)(GDT_ENTRIES * 8 | 3), GP, GDT_ENTRIES * 8);
	icpu_free(h);
}

/* MOV SS: RPL and DPL must equal CPL and the segment must be writable data, else
 * #GP(selector); not present is #SS(selector); null is #GP(0) (Vol. 2 MOV). */
static void test_seg_load_ss_requires_writable_data_at_cpl(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	load_fault(h, SREG_SS, SEL_DATA0 | 3, GP, SEL_DATA0);	/* RPL != CPL */
	load_fault(h, SREG_SS, SEL_DATA3 | 0, GP, SEL_DATA3);	/* DPL != CPL */
	load_fault(h, SREG_SS, SEL_DATA0_RO, GP, SEL_DATA0_RO); /* not writable */
	load_fault(h, SREG_SS, SEL_CODE0, GP, SEL_CODE0);	/* code */
	load_fault(h, SREG_SS, SEL_DATA0_ABSENT, SS_FAULT, SEL_DATA0_ABSENT);
	load_fault(h, SREG_SS, 0, GP, 0);
	load_fault(h, SREG_SS, 3, GP, 0);
	load_ok(h, SREG_SS, SEL_DATA0);
	as_cpl3(h);
	load_ok(h, SREG_SS, SEL_DATA3 | 3);
	icpu_free(h);
}

/* Null selectors in DS..GS are allowed and make the register unusable; the first
 * access through it faults. */
static void test_seg_load_null_into_ds_is_allowed_and_later_use_faults(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	load_ok(h, SREG_DS, 0);
	assert_true(h->cpu->seg[SREG_DS].unusable);
	lin_fault(h, SREG_DS, 0, 4, ACC_READ, GP);
	icpu_free(h);
}

/* In 64-bit mode a null SS may be loaded below ring 3 with RPL = CPL; at CPL 3 it
 * is #GP(0) (Vol. 2 MOV, "64-Bit Mode Exceptions"). */
static void test_seg_load_null_ss_in_64bit_mode_only_below_ring3(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	long64(h);
	load_ok(h, SREG_SS, 0);
	load_fault(h, SREG_SS, 3, GP, 0);
	as_cpl3(h);
	load_fault(h, SREG_SS, 3, GP, 0);
	icpu_free(h);
}

/* TI = 1 selects the LDT (3.4.2): the descriptor comes from LDTR's base; errors
 * keep TI in the error code. */
static void test_seg_load_ldt_selector_reads_the_ldt(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	load_ok(h, SREG_ES, SEL_LDT_DATA0);
	assert_int_equal(h->cpu->seg[SREG_ES].base, 0x123000);
	assert_int_equal(h->cpu->seg[SREG_ES].limit, 0xfff);
	load_fault(h, SREG_ES, SEL_LDT_ABSENT, NP, SEL_LDT_ABSENT);
	load_fault(h, SREG_ES, 0x1c, GP, 0x1c); /* index 3: beyond the LDT's limit of 3 entries */
	icpu_free(h);
}

static void test_seg_load_ldt_selector_without_ldt_faults(void **state)
{
	struct icpu *h = prot32();

	(void)state;
	memset(&h->cpu->ldtr, 0, sizeof(h->cpu->ldtr));
	h->cpu->ldtr.unusable = 1;
	load_fault(h, SREG_DS, SEL_LDT_DATA0, GP, SEL_LDT_DATA0 & 0xfffc);
	icpu_free(h);
}

/* Real mode: a load sets the selector and base = selector * 16 only (Vol. 2 MOV,
 * "IF in real-address mode"); the limit cached in protected mode stays, which is
 * why SDM Vol. 3A, 9.9.2 has software load 64-KByte limits before leaving
 * protected mode ("unreal mode" relies on the opposite). */
static void test_seg_load_real_mode_sets_base_and_keeps_limit(void **state)
{
	struct icpu *h = icpu_new();
	struct soft_cpu *cpu = h->cpu;

	(void)state;
	cpu->cr0 = CR0_ET;
	for (unsigned i = 0; i < SREG_COUNT; i++)
		x86_segment_real(&cpu->seg[i], 0, i == SREG_CS ? T_CODE_RX : T_DATA_RW);
	cpu->seg[SREG_DS].limit = 0xffffffff;
	cpu_update_mode(cpu);
	load_ok(h, SREG_DS, 0xb800);
	assert_int_equal(cpu->seg[SREG_DS].base, 0xb8000);
	assert_int_equal(cpu->seg[SREG_DS].limit, 0xffffffff);
	icpu_free(h);
}

/* "The processor sets this bit whenever it loads a segment selector for the
 * segment into a segment register" (SDM Vol. 3A, 3.4.5.1, the accessed bit A). */
static void test_seg_load_sets_accessed_bit_in_descriptor(void **state)
{
	struct icpu *h;

	(void)state;
	h = prot32();
	icpu_set(h, GDT + SEL_DATA0, icpu_get(h, GDT + SEL_DATA0, 8) & ~(1ull << 40), 8); /* type 3 -> 2 */
	load_ok(h, SREG_DS, SEL_DATA0);
	assert_true(icpu_get(h, GDT + SEL_DATA0, 8) & (1ull << 40));
	icpu_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seg_expand_up_limit_covers_last_byte_of_access),
		cmocka_unit_test(test_seg_stack_segment_limit_violation_is_ss_fault),
		cmocka_unit_test(test_seg_16bit_segment_word_at_ffff_crosses_limit),
		cmocka_unit_test(test_seg_expand_down_32bit_valid_from_limit_plus_one_to_4g),
		cmocka_unit_test(test_seg_expand_down_16bit_upper_bound_is_ffff),
		cmocka_unit_test(test_seg_expand_down_stack_violation_is_ss_fault),
		cmocka_unit_test(test_seg_write_to_code_segment_faults),
		cmocka_unit_test(test_seg_read_from_execute_only_code_faults_but_fetch_does_not),
		cmocka_unit_test(test_seg_write_to_read_only_data_faults),
		cmocka_unit_test(test_seg_access_through_null_selector_faults),
		cmocka_unit_test(test_seg_linear_address_wraps_at_4g),
		cmocka_unit_test(test_seg_real_mode_uses_selector_times_16_and_64k_limit),
		cmocka_unit_test(test_seg_64bit_ignores_base_limit_and_type_except_fs_gs_base),
		cmocka_unit_test(test_seg_64bit_non_canonical_address_faults_gp_or_ss),
		cmocka_unit_test(test_seg_load_data_segment_fills_descriptor_cache),
		cmocka_unit_test(test_seg_load_data_checks_cpl_and_rpl_against_dpl),
		cmocka_unit_test(test_seg_load_ds_takes_readable_code_and_refuses_execute_only),
		cmocka_unit_test(test_seg_load_system_descriptor_into_ds_faults),
		cmocka_unit_test(test_seg_load_not_present_data_segment_raises_np_with_selector),
		cmocka_unit_test(test_seg_load_selector_beyond_gdt_limit_faults_with_selector),
		cmocka_unit_test(test_seg_load_ss_requires_writable_data_at_cpl),
		cmocka_unit_test(test_seg_load_null_into_ds_is_allowed_and_later_use_faults),
		cmocka_unit_test(test_seg_load_null_ss_in_64bit_mode_only_below_ring3),
		cmocka_unit_test(test_seg_load_ldt_selector_reads_the_ldt),
		cmocka_unit_test(test_seg_load_ldt_selector_without_ldt_faults),
		cmocka_unit_test(test_seg_load_real_mode_sets_base_and_keeps_limit),
		cmocka_unit_test(test_seg_load_sets_accessed_bit_in_descriptor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
