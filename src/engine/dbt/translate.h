/* Translation, stage 1 of docs/dbt-design.md: a run of decoded instructions
 * becomes host code that calls the core's handler of each instruction in turn
 * (a "callout"), stopping as soon as the core asks to leave the run. No guest
 * instruction is copied yet; the point is the frame every later stage keeps:
 * host code entered from C, leaving by return or, when a handler raises or
 * exits, by longjmp through it (it keeps nothing in registers across calls). */
#ifndef RV_DBT_TRANSLATE_H
#define RV_DBT_TRANSLATE_H

#include <stdbool.h>

#include "engine/dbt/code_cache.h"
#include "engine/softcpu/insn.h"

/* Runs one instruction for the translated code: returns false to leave the run
 * (the core's leave_block). ctx is what translate_callout_run was given. */
typedef bool (*callout_fn)(void *ctx, const struct insn *in);

/* Host code for insns[0..count) (which must outlive it): for each, callout(ctx,
 * &insns[i]), leaving after the first that returns false. Returns its
 * executable entry, a function taking and returning nothing, or NULL when the
 * cache is full (reset it and translate again). */
const uint8_t *translate_callout_run(struct code_cache *cc, void *ctx, const struct insn *insns, unsigned count,
				     callout_fn callout);

/* Enters translated code at entry. */
static inline void translate_enter(const uint8_t *entry)
{
	((void (*)(void))(uintptr_t)entry)();
}

#endif
