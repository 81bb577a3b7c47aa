#include "engine/vcpu_state_stream.h"

#include <stdbool.h>
#include <stddef.h>

#include "x86/arch.h"
#include "x86/xsave_area.h"

/* Version 1, in this order (every number little-endian, docs/snapshot-format.md):
 *   GPRs RAX..R15, RIP, RFLAGS                        u64 each
 *   ES, CS, SS, DS, FS, GS, LDTR, TR                  segment (below)
 *   GDTR, IDTR                                        base u64, limit u16
 *   CR0, CR2, CR3, CR4, CR8, XCR0, EFER, APIC_BASE    u64 each
 *   DR0..DR7                                          u64 each
 *   STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE, SYSENTER_CS/ESP/EIP, TSC,
 *   PAT, MISC_ENABLE, TSC_AUX, KVM system time, KVM wall clock   u64 each
 *   the model's stored MSRs: a count u16, then (index u32, value u64) each
 *   FCW u16, FSW u16, abridged FTW u8, FOP u16, FIP u64, FDP u64, MXCSR u32,
 *   ST0..7 16 bytes each, XMM0..15 16 bytes each, YMM0..15 bits 255:128
 *   16 bytes each
 *   pending event: type u8, vector u8, has error code u8, error code u32
 *   interrupt shadow, NMI masked, NMI pending u8 each; pending #DB u32;
 *   halted u8
 * A segment: base u64, limit u32, selector u16, then type, S, DPL, P, AVL, L,
 * D/B, G, unusable u8 each.
 * The stored MSRs go by index, not by their slot in struct msr_store, so that
 * a build whose model stores more keeps reading this version (the ones a
 * payload lacks keep their reset values). */

#define RFLAGS_RESERVED (~0x3fffffull | (1ull << 3) | (1ull << 5) | (1ull << 15))
#define EFER_MODEL (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
#define APIC_BASE_RESERVED 0x2ffull  /* bits 7:0 and 9 */
#define PENDING_DEBUG_BITS 0x400full /* B0-B3, BS */
#define MXCSR_BITS 0xffffull

static void put_segment(struct state_writer *w, const struct x86_segment *s)
{
	state_put_u64(w, s->base);
	state_put_u32(w, s->limit);
	state_put_u16(w, s->selector);
	state_put_u8(w, s->type);
	state_put_u8(w, s->s);
	state_put_u8(w, s->dpl);
	state_put_u8(w, s->present);
	state_put_u8(w, s->avl);
	state_put_u8(w, s->l);
	state_put_u8(w, s->db);
	state_put_u8(w, s->g);
	state_put_u8(w, s->unusable);
}

static void put_dtable(struct state_writer *w, const struct x86_dtable *t)
{
	state_put_u64(w, t->base);
	state_put_u16(w, t->limit);
}

/* The model's stored MSRs, each with its index, in the table's order. */
static void put_stored_msrs(struct state_writer *w, const struct msr_store *st)
{
	size_t n;
	const struct msr_def *table = msr_model_table(&n);
	uint16_t count = 0;

	for (size_t i = 0; i < n; i++)
		if (table[i].kind == MSR_KIND_STORED)
			count = (uint16_t)(count + table[i].count);
	state_put_u16(w, count);
	for (size_t i = 0; i < n; i++) {
		if (table[i].kind != MSR_KIND_STORED)
			continue;
		for (unsigned j = 0; j < table[i].count; j++) {
			state_put_u32(w, table[i].first + j * table[i].stride);
			state_put_u64(w, st->v[table[i].slot + j]);
		}
	}
}

static void put_msrs(struct state_writer *w, const struct x86_msrs *m)
{
	const uint64_t v[] = { m->star,	       m->lstar,	m->cstar,	    m->sfmask,	      m->kernel_gs_base,
			       m->sysenter_cs, m->sysenter_esp, m->sysenter_eip,    m->tsc,	      m->pat,
			       m->misc_enable, m->tsc_aux,	m->kvm_system_time, m->kvm_wall_clock };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		state_put_u64(w, v[i]);
	put_stored_msrs(w, &m->stored);
}

static void put_fpu(struct state_writer *w, const struct x86_fpu *f)
{
	state_put_u16(w, f->fcw);
	state_put_u16(w, f->fsw);
	state_put_u8(w, f->ftw);
	state_put_u16(w, f->fop);
	state_put_u64(w, f->fip);
	state_put_u64(w, f->fdp);
	state_put_u32(w, f->mxcsr);
	for (unsigned i = 0; i < 8; i++)
		state_put_bytes(w, f->st[i], sizeof(f->st[i]));
	for (unsigned i = 0; i < 16; i++)
		state_put_bytes(w, f->xmm[i], sizeof(f->xmm[i]));
	for (unsigned i = 0; i < 16; i++)
		state_put_bytes(w, f->ymm_hi[i], sizeof(f->ymm_hi[i]));
}

void vcpu_state_write(struct state_writer *w, const struct vcpu_state *s)
{
	for (unsigned i = 0; i < GPR_COUNT; i++)
		state_put_u64(w, s->gpr[i]);
	state_put_u64(w, s->rip);
	state_put_u64(w, s->rflags);
	for (unsigned i = 0; i < SREG_COUNT; i++)
		put_segment(w, &s->seg[i]);
	put_segment(w, &s->ldtr);
	put_segment(w, &s->tr);
	put_dtable(w, &s->gdtr);
	put_dtable(w, &s->idtr);
	state_put_u64(w, s->cr0);
	state_put_u64(w, s->cr2);
	state_put_u64(w, s->cr3);
	state_put_u64(w, s->cr4);
	state_put_u64(w, s->cr8);
	state_put_u64(w, s->xcr0);
	state_put_u64(w, s->efer);
	state_put_u64(w, s->apic_base);
	for (unsigned i = 0; i < 8; i++)
		state_put_u64(w, s->dr[i]);
	put_msrs(w, &s->msr);
	put_fpu(w, &s->fpu);
	state_put_u8(w, s->pending.type);
	state_put_u8(w, s->pending.vector);
	state_put_bool(w, s->pending.has_error_code);
	state_put_u32(w, s->pending.error_code);
	state_put_bool(w, s->interrupt_shadow);
	state_put_bool(w, s->nmi_masked);
	state_put_bool(w, s->nmi_pending);
	state_put_u32(w, s->pending_debug);
	state_put_bool(w, s->halted);
}

/* A descriptor field of `bits` bits. */
static uint8_t get_field(struct state_reader *r, unsigned bits)
{
	uint8_t v = state_get_u8(r);

	if (v >> bits)
		state_reader_fail(r);
	return v;
}

static void get_segment(struct state_reader *r, struct x86_segment *s)
{
	s->base = state_get_u64(r);
	s->limit = state_get_u32(r);
	s->selector = state_get_u16(r);
	s->type = get_field(r, 4);
	s->s = get_field(r, 1);
	s->dpl = get_field(r, 2);
	s->present = get_field(r, 1);
	s->avl = get_field(r, 1);
	s->l = get_field(r, 1);
	s->db = get_field(r, 1);
	s->g = get_field(r, 1);
	s->unusable = get_field(r, 1);
}

static void get_dtable(struct state_reader *r, struct x86_dtable *t)
{
	t->base = state_get_u64(r);
	t->limit = state_get_u16(r);
}

/* Each one a stored MSR of the model, given once, holding a value a guest
 * could have written there (written into a reset store and read back). */
static void get_stored_msrs(struct state_reader *r, struct msr_store *st)
{
	uint16_t count = state_get_u16(r);
	bool seen[MSR_STORED_COUNT] = { false };

	msr_model_reset(st);
	if (count > MSR_STORED_COUNT)
		state_reader_fail(r);
	for (unsigned i = 0; i < count && !r->error; i++) {
		uint32_t index = state_get_u32(r);
		uint64_t value = state_get_u64(r), back;
		const struct msr_def *d = msr_model_find(index);
		unsigned slot;

		if (!d || d->kind != MSR_KIND_STORED) {
			state_reader_fail(r);
			return;
		}
		slot = d->slot + (index - d->first) / d->stride;
		if (seen[slot] || !msr_model_write(st, index, value) || !msr_model_read(st, index, &back) ||
		    back != value) {
			state_reader_fail(r);
			return;
		}
		seen[slot] = true;
	}
}

static void get_msrs(struct state_reader *r, struct x86_msrs *m)
{
	uint64_t *v[] = { &m->star,	   &m->lstar,	     &m->cstar,		  &m->sfmask,	     &m->kernel_gs_base,
			  &m->sysenter_cs, &m->sysenter_esp, &m->sysenter_eip,	  &m->tsc,	     &m->pat,
			  &m->misc_enable, &m->tsc_aux,	     &m->kvm_system_time, &m->kvm_wall_clock };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		*v[i] = state_get_u64(r);
	get_stored_msrs(r, &m->stored);
}

static void get_fpu(struct state_reader *r, struct x86_fpu *f)
{
	f->fcw = state_get_u16(r);
	f->fsw = state_get_u16(r);
	f->ftw = state_get_u8(r);
	f->fop = state_get_u16(r);
	f->fip = state_get_u64(r);
	f->fdp = state_get_u64(r);
	f->mxcsr = state_get_u32(r);
	for (unsigned i = 0; i < 8; i++)
		state_get_bytes(r, f->st[i], sizeof(f->st[i]));
	for (unsigned i = 0; i < 16; i++)
		state_get_bytes(r, f->xmm[i], sizeof(f->xmm[i]));
	for (unsigned i = 0; i < 16; i++)
		state_get_bytes(r, f->ymm_hi[i], sizeof(f->ymm_hi[i]));
}

static bool control_registers_valid(const struct vcpu_state *s)
{
	if ((s->cr0 >> 32) || ((s->cr0 & CR0_PG) && !(s->cr0 & CR0_PE)) || ((s->cr0 & CR0_NW) && !(s->cr0 & CR0_CD)))
		return false;
	if ((s->cr4 >> 32) || s->cr8 > 15 || (s->efer & ~EFER_MODEL) || (s->apic_base & APIC_BASE_RESERVED))
		return false;
	if (!(s->xcr0 & XCR0_X87) || (s->xcr0 & ~XSAVE_MODEL_XCR0) || ((s->xcr0 & XCR0_AVX) && !(s->xcr0 & XCR0_SSE)))
		return false;
	return !(s->rflags & RFLAGS_RESERVED) && !(s->dr[6] >> 32) && !(s->dr[7] >> 32) &&
	       !(s->fpu.mxcsr & ~MXCSR_BITS);
}

int vcpu_state_read(struct state_reader *r, uint32_t version, struct vcpu_state *s)
{
	if (version < 1 || version > VCPU_STATE_STREAM_VERSION)
		state_reader_fail(r);
	for (unsigned i = 0; i < GPR_COUNT; i++)
		s->gpr[i] = state_get_u64(r);
	s->rip = state_get_u64(r);
	s->rflags = state_get_u64(r);
	for (unsigned i = 0; i < SREG_COUNT; i++)
		get_segment(r, &s->seg[i]);
	get_segment(r, &s->ldtr);
	get_segment(r, &s->tr);
	get_dtable(r, &s->gdtr);
	get_dtable(r, &s->idtr);
	s->cr0 = state_get_u64(r);
	s->cr2 = state_get_u64(r);
	s->cr3 = state_get_u64(r);
	s->cr4 = state_get_u64(r);
	s->cr8 = state_get_u64(r);
	s->xcr0 = state_get_u64(r);
	s->efer = state_get_u64(r);
	s->apic_base = state_get_u64(r);
	for (unsigned i = 0; i < 8; i++)
		s->dr[i] = state_get_u64(r);
	get_msrs(r, &s->msr);
	get_fpu(r, &s->fpu);
	s->pending.type = state_get_u8(r);
	s->pending.vector = state_get_u8(r);
	s->pending.has_error_code = state_get_bool(r);
	s->pending.error_code = state_get_u32(r);
	s->interrupt_shadow = state_get_bool(r);
	s->nmi_masked = state_get_bool(r);
	s->nmi_pending = state_get_bool(r);
	s->pending_debug = state_get_u32(r);
	s->halted = state_get_bool(r);
	if (s->pending.type > EVENT_SOFTINT || (s->pending_debug & ~PENDING_DEBUG_BITS) || !control_registers_valid(s))
		state_reader_fail(r);
	return state_reader_ok(r, false) ? 0 : -1;
}
