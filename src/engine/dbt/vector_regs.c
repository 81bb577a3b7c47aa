#include "engine/dbt/vector_regs.h"

#include <stddef.h>

#include "engine/softcpu/cpu.h"

#define GS_OFF(field) ((int32_t)offsetof(struct soft_cpu, field))

/* Whether the host's vector registers are as e->vec says: no label since it
 * was last set, but ones they survive (vectors_keep). */
bool vectors_valid(const struct emitter *e)
{
	return e->label_pos < e->vec.at || e->label_pos == e->vec.label_ok;
}

/* e->vec as it stands here: what held before a label does not hold after
 * it. A label between a write and its store cannot be (every label follows
 * a flush); if it were, a way in would store stale registers: the
 * translation is abandoned. */
static void vectors_settle(struct emitter *e)
{
	if (vectors_valid(e))
		return;
	if (e->vec.pending)
		e->overflow = true;
	/* Every way to any label of a loop brings its held registers. */
	e->vec.lo = e->vec.held;
	e->vec.hi = e->vec.pending = e->vec.pending_vex = 0;
}

void vectors_hold(struct emitter *e, uint16_t regs)
{
	vectors_settle(e);
	e->vec.held = regs;
	e->vec.lo |= regs;
	e->vec.hi &= (uint16_t)~regs;
	e->vec.at = e->pos;
}

void emit_vectors_store(struct emitter *e, uint16_t regs)
{
	for (unsigned n = 0; n < 16; n++)
		if ((regs >> n) & 1)
			emit_gs_vec_store(e, GS_OFF(fpu.xmm) + 16 * (int32_t)n, n, false);
}

/* The label just taken is one every way to which brings the state e->vec
 * says, which held before it (valid). */
void vectors_keep(struct emitter *e, bool valid)
{
	if (valid)
		e->vec.label_ok = e->label_pos;
}

/* Host vector registers n from the soft CPU: bit n of lo, the low 128 bits;
 * of hi, all 256 (VMOVDQU zeroes the upper half, VINSERTF128 fills it). */
void emit_vectors_load(struct emitter *e, uint16_t lo, uint16_t hi)
{
	for (unsigned n = 0; n < 16; n++) {
		if (!((lo >> n) & 1))
			continue;
		emit_gs_vec_load(e, n, GS_OFF(fpu.xmm) + 16 * (int32_t)n, (hi >> n) & 1);
		if ((hi >> n) & 1)
			emit_gs_vec_load_hi(e, n, GS_OFF(fpu.ymm_hi) + 16 * (int32_t)n);
	}
}

/* A vector instruction's registers (ident_simd.h) from the soft CPU into the
 * host registers of the same numbers, those whose old value it needs (a VEX
 * load zeroes bits 128-255, a legacy one keeps them; a VEX.256 one needs
 * them too), unless the host register holds it already: the main line since
 * the last label has loaded or stored it, and no vector register moves but
 * through here. */
void emit_vectors_in(struct emitter *e, const struct ident_use *u)
{
	uint16_t lo, hi;

	vectors_settle(e);
	lo = e->vec.lo;
	hi = e->vec.hi;
	for (unsigned n = 0; n < 16; n++) {
		const uint16_t bit = (uint16_t)(1u << n);

		if (!(u->vec_read & bit))
			continue;
		if (!(lo & bit)) {
			emit_gs_vec_load(e, n, GS_OFF(fpu.xmm) + 16 * (int32_t)n, u->ymm);
			lo |= bit;
			if (u->ymm)
				hi &= (uint16_t)~bit;
		}
		if (u->wide && !(hi & bit)) {
			emit_gs_vec_load_hi(e, n, GS_OFF(fpu.ymm_hi) + 16 * (int32_t)n);
			hi |= bit;
		}
	}
	e->vec.lo = lo;
	e->vec.hi = hi;
	e->vec.at = e->pos;
}

/* Stores the vector registers the main line wrote and has not stored (a VEX
 * writer's bits 128-255 too), before anything that may read the soft CPU's
 * copies or jump to a label: a probe (its slow path runs the core), a
 * branch, the run's end, a slow path's place to resume. */
void emit_vectors_flush(struct emitter *e)
{
	vectors_settle(e);
	for (unsigned n = 0; n < 16; n++) {
		const uint16_t bit = (uint16_t)(1u << n);

		if (!(e->vec.pending & bit))
			continue;
		emit_gs_vec_store(e, GS_OFF(fpu.xmm) + 16 * (int32_t)n, n, (e->vec.pending_vex & bit) != 0);
		if (e->vec.pending_vex & bit)
			emit_gs_vec_store_hi(e, GS_OFF(fpu.ymm_hi) + 16 * (int32_t)n, n);
	}
	e->vec.pending = e->vec.pending_vex = 0;
	e->vec.at = e->pos;
}

/* And back, those it wrote: now (defer false: a memory instruction, whose
 * slow path resumes after it with the core's results in the soft CPU), or
 * at the next emit_vectors_flush, so that a register written again before
 * is stored once. VZEROUPPER zeroes every upper half. The host's upper
 * halves are left clean (VZEROUPPER) after a VEX.256 instruction unless
 * another VEX one follows (more_vex), so that legacy SSE after them, here
 * or in the VMM, pays no state transition on Intel hosts. */
void emit_vectors_out(struct emitter *e, const struct ident_use *u, bool more_vex, bool defer)
{
	if (u->zero_upper) {
		emit_vectors_flush(e);
		emit_vpxor_xmm0(e);
		for (unsigned n = 0; n < 16; n++)
			emit_gs_vec_store(e, GS_OFF(fpu.ymm_hi) + 16 * (int32_t)n, 0, true);
		/* XMM0 is zero now; the host's uppers are not known clean. */
		e->vec.lo &= (uint16_t)~1u;
		e->vec.hi = 0;
		e->vec.at = e->pos;
		return;
	}
	e->vec.lo |= u->vec_written;
	e->vec.pending |= u->vec_written & (uint16_t)~e->vec.held;
	/* A legacy write keeps bits 128-255 of the host register, so the
	 * upper half a VEX write left there (pending_vex) still waits to be
	 * stored. */
	if (u->ymm) {
		e->vec.hi |= u->vec_written;
		e->vec.pending_vex |= u->vec_written;
	}
	if (!defer || (u->wide && !more_vex))
		emit_vectors_flush(e);
	if (u->wide && !more_vex) {
		emit_vzeroupper(e);
		e->vec.hi = 0;
	}
	e->vec.at = e->pos;
}
