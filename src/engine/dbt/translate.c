#include "engine/dbt/translate.h"

#include "engine/dbt/emit.h"

/* Bytes of host code per instruction: two MOV imm64 and one more for the call
 * (30), CALL (2), TEST (2), Jcc with alignment padding (9). */
#define BYTES_PER_CALLOUT 48
#define BYTES_FRAME 24 /* the way out (5), RSP adjust (4), the last JMP with padding (8) */

const uint8_t *translate_callout_run(struct code_cache *cc, void *ctx, const struct insn *insns, unsigned count,
				     callout_fn callout)
{
	size_t room = BYTES_FRAME + (size_t)count * BYTES_PER_CALLOUT;
	uint8_t *buf = code_cache_alloc(cc, room, 16);
	const uint8_t *entry, *out;
	struct emitter e;

	if (!buf)
		return NULL;
	emitter_init(&e, buf, code_cache_rx(cc, buf), room);
	/* The way out comes first, so every leaving jump knows its target. */
	out = emit_here(&e);
	emit_add_rsp(&e, 8);
	emit_ret(&e);
	entry = emit_here(&e);
	/* The SysV ABI wants RSP 16-byte aligned at each call: it is 8 off at entry. */
	emit_add_rsp(&e, -8);
	for (unsigned i = 0; i < count; i++) {
		emit_mov_imm64(&e, H_RDI, (uint64_t)(uintptr_t)ctx);
		emit_mov_imm64(&e, H_RSI, (uint64_t)(uintptr_t)&insns[i]);
		emit_mov_imm64(&e, H_RAX, (uint64_t)(uintptr_t)callout);
		emit_call_reg(&e, H_RAX);
		emit_test_al(&e);
		emit_jcc(&e, CC_E, out);
	}
	emit_jmp(&e, out);
	if (e.overflow)
		return NULL; /* cannot happen: room is counted above */
	code_cache_wrote(cc, buf, e.pos);
	return entry;
}
