/* struct vcpu_state in the saved-state format (src/engine/vcpu_state_stream.c):
 * a state with every field set to its own value comes back field by field
 * into a zeroed one; values the architecture does not allow in a field (and
 * stored MSRs the model lacks, given twice, or holding bits no WRMSR can
 * set) and payloads cut short are refused. Offsets into the payload follow
 * docs/snapshot-format.md ("vcpu0"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/vcpu_state_stream.h"
#include "unit_helpers.h"
#include "x86/arch.h"

#define SEG_BYTES 23
#define SEG_AT(i) (144 + SEG_BYTES * (i)) /* ES..GS, then LDTR (6) and TR (7) */
#define CR0_AT 348
#define CR8_AT 380
#define XCR0_AT 388
#define EFER_AT 396
#define APIC_BASE_AT 404
#define DR6_AT (412 + 6 * 8)
#define MSR_COUNT_AT 588
#define MSR_PAIR_AT(i) (590 + 12 * (i))
#define FPU_AT MSR_PAIR_AT(MSR_STORED_COUNT)
#define MXCSR_AT (FPU_AT + 23)
#define EVENT_AT (FPU_AT + 27 + 8 * 16 + 16 * 16 + 16 * 16)
#define PENDING_DEBUG_AT (EVENT_AT + 10)
#define PAYLOAD_BYTES (EVENT_AT + 15)

static uint64_t seed;

/* Each call a value no other call gives (a 64-bit odd-multiplier sequence). */
static uint64_t distinct(void)
{
	seed += 0x9e3779b97f4a7c15ull;
	return seed ^ (seed >> 29);
}

static void fill_segment(struct x86_segment *s, unsigned i)
{
	s->base = distinct();
	s->limit = (uint32_t)distinct();
	s->selector = (uint16_t)distinct();
	s->type = (uint8_t)(i * 3 % 16);
	s->s = i & 1;
	s->dpl = (uint8_t)(i % 4);
	s->present = !(i & 1);
	s->avl = (i >> 1) & 1;
	s->l = (i >> 2) & 1;
	s->db = !((i >> 1) & 1);
	s->g = !((i >> 2) & 1);
	s->unusable = i == 5;
}

/* Every stored MSR a value a guest could write there. */
static void fill_stored_msrs(struct msr_store *st)
{
	size_t n;
	const struct msr_def *table = msr_model_table(&n);

	for (size_t i = 0; i < n; i++)
		if (table[i].kind == MSR_KIND_STORED)
			for (unsigned j = 0; j < table[i].count; j++)
				st->v[table[i].slot + j] = distinct() & table[i].writable & ~table[i].gp_bits;
}

/* A state whose every field is set, to values the format accepts. The
 * memset first gives the padding a known value, so two states compare. */
static void fill(struct vcpu_state *s)
{
	memset(s, 0, sizeof(*s));
	seed = 12345;
	for (unsigned i = 0; i < GPR_COUNT; i++)
		s->gpr[i] = distinct();
	s->rip = distinct();
	s->rflags = 0x2d7 | RFLAGS_FIXED | RFLAGS_ID;
	for (unsigned i = 0; i < SREG_COUNT; i++)
		fill_segment(&s->seg[i], i);
	fill_segment(&s->ldtr, 6);
	fill_segment(&s->tr, 7);
	s->gdtr.base = distinct();
	s->gdtr.limit = (uint16_t)distinct();
	s->idtr.base = distinct();
	s->idtr.limit = (uint16_t)distinct();
	s->cr0 = CR0_PG | CR0_PE | CR0_WP | CR0_NE | CR0_ET;
	s->cr2 = distinct();
	s->cr3 = distinct();
	s->cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
	s->cr8 = 9;
	s->xcr0 = XCR0_X87 | XCR0_SSE | XCR0_AVX;
	s->efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	s->apic_base = 0xfee00000ull | 0x900;
	for (unsigned i = 0; i < 8; i++)
		s->dr[i] = i == 6 || i == 7 ? (uint32_t)distinct() : distinct();
	s->msr.star = distinct();
	s->msr.lstar = distinct();
	s->msr.cstar = distinct();
	s->msr.sfmask = distinct();
	s->msr.kernel_gs_base = distinct();
	s->msr.sysenter_cs = distinct();
	s->msr.sysenter_esp = distinct();
	s->msr.sysenter_eip = distinct();
	s->msr.tsc = distinct();
	s->msr.pat = distinct();
	s->msr.misc_enable = distinct();
	s->msr.tsc_aux = distinct();
	s->msr.kvm_system_time = distinct();
	s->msr.kvm_wall_clock = distinct();
	fill_stored_msrs(&s->msr.stored);
	s->fpu.fcw = (uint16_t)distinct();
	s->fpu.fsw = (uint16_t)distinct();
	s->fpu.ftw = (uint8_t)distinct();
	s->fpu.fop = (uint16_t)distinct();
	s->fpu.fip = distinct();
	s->fpu.fdp = distinct();
	s->fpu.mxcsr = (uint16_t)distinct();
	for (unsigned i = 0; i < 8; i++)
		for (unsigned b = 0; b < 16; b++)
			s->fpu.st[i][b] = (uint8_t)distinct();
	for (unsigned i = 0; i < 16; i++)
		for (unsigned b = 0; b < 16; b++) {
			s->fpu.xmm[i][b] = (uint8_t)distinct();
			s->fpu.ymm_hi[i][b] = (uint8_t)distinct();
		}
	s->pending.type = EVENT_EXCEPTION;
	s->pending.vector = 14;
	s->pending.has_error_code = true;
	s->pending.error_code = (uint32_t)distinct();
	s->interrupt_shadow = true;
	s->nmi_masked = true;
	s->nmi_pending = true;
	s->pending_debug = 0x4005;
	s->halted = true;
}

static void write_state(struct state_writer *w, const struct vcpu_state *s)
{
	state_writer_init(w);
	vcpu_state_write(w, s);
	assert_false(w->failed);
}

static int read_state(const uint8_t *p, size_t len, struct vcpu_state *s)
{
	struct state_reader r;

	memset(s, 0, sizeof(*s));
	state_reader_init(&r, p, len);
	if (vcpu_state_read(&r, VCPU_STATE_STREAM_VERSION, s)) {
		assert_true(r.error);
		return -1;
	}
	return state_reader_ok(&r, true) ? 0 : -1;
}

static void test_vcpu_state_round_trips_field_by_field(void **state)
{
	struct vcpu_state *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct state_writer w, w2;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	fill(a);
	write_state(&w, a);
	assert_int_equal(w.len, PAYLOAD_BYTES);
	assert_int_equal(read_state(w.buf, w.len, b), 0);
	/* Field by field, through the struct's members (padding is zero in both). */
	assert_memory_equal(a->gpr, b->gpr, sizeof(a->gpr));
	assert_int_equal(a->rip, b->rip);
	assert_int_equal(a->rflags, b->rflags);
	assert_memory_equal(a->seg, b->seg, sizeof(a->seg));
	assert_memory_equal(&a->ldtr, &b->ldtr, sizeof(a->ldtr));
	assert_memory_equal(&a->tr, &b->tr, sizeof(a->tr));
	assert_int_equal(a->gdtr.base, b->gdtr.base);
	assert_int_equal(a->idtr.limit, b->idtr.limit);
	assert_int_equal(a->cr3, b->cr3);
	assert_int_equal(a->xcr0, b->xcr0);
	assert_memory_equal(&a->msr, &b->msr, sizeof(a->msr));
	assert_memory_equal(&a->fpu, &b->fpu, sizeof(a->fpu));
	assert_memory_equal(&a->pending, &b->pending, sizeof(a->pending));
	assert_int_equal(a->pending_debug, b->pending_debug);
	assert_memory_equal(a, b, sizeof(*a));
	/* And the same bytes again. */
	write_state(&w2, b);
	assert_int_equal(w2.len, w.len);
	assert_memory_equal(w2.buf, w.buf, w.len);
	free(a);
	free(b);
	state_writer_free(&w);
	state_writer_free(&w2);
}

/* The payload of the filled state with len bytes at offset set to v. */
static int read_with(size_t offset, unsigned len, uint64_t v)
{
	struct vcpu_state *s = malloc(sizeof(*s));
	struct state_writer w;
	int ret;

	assert_non_null(s);
	fill(s);
	write_state(&w, s);
	assert_true(offset + len <= w.len);
	for (unsigned i = 0; i < len; i++)
		w.buf[offset + i] = (uint8_t)(v >> (8 * i));
	ret = read_state(w.buf, w.len, s);
	free(s);
	state_writer_free(&w);
	return ret;
}

static void test_vcpu_state_refuses_values_the_architecture_does_not_allow(void **state)
{
	(void)state;
	assert_int_equal(read_with(SEG_AT(1) + 14, 1, 16), -1);		   /* CS type of 5 bits */
	assert_int_equal(read_with(SEG_AT(2) + 16, 1, 4), -1);		   /* SS DPL 4 */
	assert_int_equal(read_with(SEG_AT(7) + 22, 1, 2), -1);		   /* TR unusable 2 */
	assert_int_equal(read_with(136, 8, 0x2 | 0x8), -1);		   /* RFLAGS bit 3 */
	assert_int_equal(read_with(136, 8, 0x2 | (1ull << 22)), -1);	   /* RFLAGS bit 22 */
	assert_int_equal(read_with(CR0_AT, 8, CR0_PG), -1);		   /* paging without protection */
	assert_int_equal(read_with(CR0_AT, 8, CR0_PE | (1ull << 32)), -1); /* CR0 bit 32 */
	assert_int_equal(read_with(CR0_AT + 8 * 3, 8, 1ull << 32), -1);	   /* CR4 bit 32 */
	assert_int_equal(read_with(CR8_AT, 8, 16), -1);
	assert_int_equal(read_with(XCR0_AT, 8, XCR0_SSE), -1);		     /* x87 always on */
	assert_int_equal(read_with(XCR0_AT, 8, XCR0_X87 | XCR0_AVX), -1);    /* AVX without SSE */
	assert_int_equal(read_with(XCR0_AT, 8, XCR0_X87 | (1ull << 3)), -1); /* a component no model has */
	assert_int_equal(read_with(EFER_AT, 8, 1ull << 1), -1);
	assert_int_equal(read_with(APIC_BASE_AT, 8, 0xfee00001ull), -1); /* reserved bit 0 */
	assert_int_equal(read_with(DR6_AT, 8, 1ull << 32), -1);
	assert_int_equal(read_with(MXCSR_AT, 4, 0x10000), -1);
	assert_int_equal(read_with(EVENT_AT, 1, EVENT_SOFTINT + 1), -1);
	assert_int_equal(read_with(EVENT_AT + 2, 1, 2), -1);	    /* has error code 2 */
	assert_int_equal(read_with(PENDING_DEBUG_AT, 4, 0x10), -1); /* only B0-B3, BS */
	assert_int_equal(read_with(PAYLOAD_BYTES - 1, 1, 2), -1);   /* halted 2 */
	/* The same places with allowed values. */
	assert_int_equal(read_with(CR8_AT, 8, 15), 0);
	assert_int_equal(read_with(XCR0_AT, 8, XCR0_X87), 0);
	assert_int_equal(read_with(EVENT_AT, 1, EVENT_NONE), 0);
}

static void test_vcpu_state_refuses_stored_msrs_the_model_lacks_or_could_not_hold(void **state)
{
	(void)state;
	assert_int_equal(read_with(MSR_COUNT_AT, 2, MSR_STORED_COUNT + 1), -1);
	assert_int_equal(read_with(MSR_PAIR_AT(0), 4, MSR_EFER), -1);	    /* the engine's, not stored */
	assert_int_equal(read_with(MSR_PAIR_AT(0), 4, 0x12345678), -1);	    /* no such MSR */
	assert_int_equal(read_with(MSR_PAIR_AT(3), 4, MSR_MCG_STATUS), -1); /* given twice */
	assert_int_equal(read_with(MSR_PAIR_AT(0) + 4, 8, 1ull << 3), -1);  /* MCG_STATUS bit 3 */
	/* Fewer than the model stores: the rest keep their reset values (0),
	 * and the payload is shorter by the pairs left out. */
	{
		struct vcpu_state *s = malloc(sizeof(*s)), *t = malloc(sizeof(*t));
		struct state_writer w;
		uint8_t *shorter;
		size_t cut = 12 * (MSR_STORED_COUNT - 1);

		assert_non_null(s);
		assert_non_null(t);
		fill(s);
		write_state(&w, s);
		shorter = malloc(w.len - cut);
		assert_non_null(shorter);
		memcpy(shorter, w.buf, MSR_PAIR_AT(1));
		memcpy(shorter + MSR_PAIR_AT(1), w.buf + MSR_PAIR_AT(MSR_STORED_COUNT), w.len - FPU_AT);
		shorter[MSR_COUNT_AT] = 1;
		shorter[MSR_COUNT_AT + 1] = 0;
		assert_int_equal(read_state(shorter, w.len - cut, t), 0);
		assert_int_equal(t->msr.stored.v[MSR_SLOT_MCG_STATUS], s->msr.stored.v[MSR_SLOT_MCG_STATUS]);
		assert_int_equal(t->msr.stored.v[MSR_SLOT_MTRR_DEF_TYPE], 0);
		assert_memory_equal(&t->fpu, &s->fpu, sizeof(t->fpu));
		free(shorter);
		free(s);
		free(t);
		state_writer_free(&w);
	}
}

static void test_vcpu_state_cut_short_is_refused(void **state)
{
	struct vcpu_state *s = malloc(sizeof(*s));
	struct state_writer w;

	(void)state;
	assert_non_null(s);
	fill(s);
	write_state(&w, s);
	for (size_t n = 0; n < w.len; n++)
		assert_int_equal(read_state(w.buf, n, s), -1);
	free(s);
	state_writer_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vcpu_state_round_trips_field_by_field),
		cmocka_unit_test(test_vcpu_state_refuses_values_the_architecture_does_not_allow),
		cmocka_unit_test(test_vcpu_state_refuses_stored_msrs_the_model_lacks_or_could_not_hold),
		cmocka_unit_test(test_vcpu_state_cut_short_is_refused),
	};

	return cmocka_run_group_tests_name("vcpu_state_stream", tests, NULL, NULL);
}
