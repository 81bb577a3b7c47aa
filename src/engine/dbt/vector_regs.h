/* The guest's vector registers around the instructions dbt runs as
 * themselves (ident_simd.h), as translate.c emits them: kept in the soft
 * CPU (fpu.xmm, fpu.ymm_hi), loaded into the host registers of the same
 * numbers when an instruction needs them, stored when it wrote them. The
 * emitter (emit.h: struct emitter.vec) remembers along the main line which
 * host registers hold the guest's values and which wait to be stored, so
 * that a run loads each register once and stores it once per stretch
 * between probes: any label but the ones declared survivable voids that. */
#ifndef RV_DBT_VECTOR_REGS_H
#define RV_DBT_VECTOR_REGS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/dbt/emit.h"
#include "engine/dbt/ident.h"

/* Whether the host's vector registers are as e->vec says. */
bool vectors_valid(const struct emitter *e);
/* The label just taken is one every way to which brings the state e->vec
 * says, which held before it (valid). */
void vectors_keep(struct emitter *e, bool valid);
/* Host vector registers from the soft CPU: bit n of lo, the low 128 bits;
 * of hi, all 256. */
void emit_vectors_load(struct emitter *e, uint16_t lo, uint16_t hi);
/* Before instruction u: the registers whose old value it needs. */
void emit_vectors_in(struct emitter *e, const struct ident_use *u);
/* After it: those it wrote, stored now or (defer) at the next flush;
 * more_vex: a VEX instruction follows in the run. */
void emit_vectors_out(struct emitter *e, const struct ident_use *u, bool more_vex, bool defer);
/* Every register written and not stored yet, stored: before anything that
 * reads the soft CPU's copies or takes a label. */
void emit_vectors_flush(struct emitter *e);
/* A loop's registers (legacy SSE: low halves only), loaded before its start
 * and held from its start label on (vectors_hold): no store but on the
 * loop's ways out (emit_vectors_store), no load but after a slow path's
 * core run. vectors_hold(e, 0) ends that, the registers stored already. */
void vectors_hold(struct emitter *e, uint16_t regs);
/* The low halves of regs into the soft CPU. */
void emit_vectors_store(struct emitter *e, uint16_t regs);

#endif
