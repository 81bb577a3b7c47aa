#include "engine/dbt/translate.h"

#include "engine/dbt/emit.h"

/* Bytes of host code per instruction: two MOV imm64 and one more for the call
 * (30), CALL (2), TEST (2), Jcc with alignment padding (9). */
#define BYTES_PER_CALLOUT 48
#define BYTES_FRAME 16

const uint8_t *translate_callout_run(struct code_cache *cc, void *ctx, const struct insn *insns, unsigned count,
				     callout_fn callout)
{
	size_t room = BYTES_FRAME + (size_t)count * BYTES_PER_CALLOUT;
	uint8_t *buf = code_cache_alloc(cc, room, 16);
	const uint8_t *entry, *out;
	uint8_t *leave[64];
	unsigned nleave = 0;
	struct emitter e;

	if (!buf || count > sizeof(leave) / sizeof(leave[0]))
		return NULL;
	emitter_init(&e, buf, code_cache_rx(cc, buf), room);
	entry = emit_here(&e);
	/* The SysV ABI wants RSP 16-byte aligned at each call: it is 8 off at entry. */
	emit_add_rsp(&e, -8);
	for (unsigned i = 0; i < count; i++) {
		emit_mov_imm64(&e, H_RDI, (uint64_t)(uintptr_t)ctx);
		emit_mov_imm64(&e, H_RSI, (uint64_t)(uintptr_t)&insns[i]);
		emit_mov_imm64(&e, H_RAX, (uint64_t)(uintptr_t)callout);
		emit_call_reg(&e, H_RAX);
		emit_test_al(&e);
		/* Patched to the exit below once it is known. */
		leave[nleave] = emit_jcc(&e, CC_E, emit_here(&e));
		if (leave[nleave])
			nleave++;
	}
	out = emit_here(&e);
	emit_add_rsp(&e, 8);
	emit_ret(&e);
	if (e.overflow)
		return NULL; /* cannot happen: room is counted above */
	for (unsigned i = 0; i < nleave; i++)
		emit_patch_rel32(leave[i], code_cache_rx(cc, leave[i]), out);
	code_cache_wrote(cc, buf, e.pos);
	return entry;
}
