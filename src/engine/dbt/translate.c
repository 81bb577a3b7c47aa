#include "engine/dbt/translate.h"

#include <stddef.h>
#include <stdlib.h>

#include "engine/dbt/emit.h"
#include "engine/dbt/ident.h"
#include "engine/softcpu/flags.h"

/* Bytes of host code per callout: two MOV imm64 and one more for the call
 * (30), CALL (2), TEST (2), Jcc with alignment padding (9). */
#define BYTES_PER_CALLOUT 48
/* An ident instruction is at most 15 bytes. Around each run of them: flags in
 * (materialize 33, load 16), up to 15 register loads and stores (9 each),
 * flags out (38), RIP and icount (26). */
#define BYTES_PER_IDENT 16
#define BYTES_PER_IDENT_RUN (33 + 16 + 30 * 9 + 38 + 26)
/* Entry: six pushes and the RSP adjust (14); the way out: the adjust, six pops,
 * RET (14); the last JMP with padding (8). */
#define BYTES_FRAME 40

#define ARITH ((uint16_t)RFLAGS_ARITH_MASK)

/* SysV callee-saved registers, which ident code may use as guest registers. */
static const enum host_reg saved[] = { H_RBX, H_RBP, H_R12, H_R13, H_R14, H_R15 };

#define GS_OFF(field) ((int32_t)offsetof(struct soft_cpu, field))

static void emit_callout(struct emitter *e, const struct translate_env *env, const struct insn *in, const uint8_t *out)
{
	emit_mov_imm64(e, H_RDI, (uint64_t)(uintptr_t)env->ctx);
	emit_mov_imm64(e, H_RSI, (uint64_t)(uintptr_t)in);
	emit_mov_imm64(e, H_RAX, (uint64_t)(uintptr_t)env->callout);
	emit_call_reg(e, H_RAX);
	emit_test_al(e);
	emit_jcc(e, CC_E, out);
}

/* The guest's arithmetic flags into host RFLAGS: materialized first if the core
 * holds them lazily (a C call: before any guest register is loaded). Host TF,
 * DF and AC stay 0 (a host TF traps, AC faults, C code needs DF clear); the
 * guest's live in the soft CPU, and no ident instruction reads them. */
static void emit_flags_in(struct emitter *e, const struct translate_env *env)
{
	uint8_t *skip;

	emit_gs_cmp8_imm(e, GS_OFF(lf.op), LF_NONE);
	skip = emit_jcc8(e, CC_E);
	emit_mov_imm64(e, H_RDI, (uint64_t)(uintptr_t)env->cpu);
	emit_mov_imm64(e, H_RAX, (uint64_t)(uintptr_t)flags_materialize);
	emit_call_reg(e, H_RAX);
	if (!emit_patch_rel8_here(e, skip))
		e->overflow = true;
	emit_gs_load64(e, H_RAX, GS_OFF(rflags));
	emit_and_eax_imm32(e, ARITH);
	emit_push(e, H_RAX);
	emit_popfq(e);
}

/* Host RFLAGS' arithmetic flags back into the soft CPU (RAX is free: the guest's
 * registers are stored already). */
static void emit_flags_out(struct emitter *e)
{
	emit_pushfq(e);
	emit_pop(e, H_RAX);
	emit_and_eax_imm32(e, ARITH);
	emit_gs_and64_imm32(e, GS_OFF(rflags), (int32_t) ~(uint32_t)ARITH);
	emit_gs_or64_reg(e, GS_OFF(rflags), H_RAX);
	emit_gs_mov8_imm(e, GS_OFF(lf.op), LF_NONE);
}

/* What translation decided about one instruction. */
struct slot {
	struct ident_use use;
	size_t code_off; /* of its first byte, from the run's */
	bool ident;
};

/* insns[first, last) copied as themselves; slot[] says what each touches. */
static void emit_ident_run(struct emitter *e, const struct translate_env *env, const struct insn *insns,
			   const struct slot *slot, unsigned first, unsigned last)
{

	uint16_t regs_used = 0, regs_written = 0, written = 0, live_in = 0;
	uint32_t bytes = 0;

	for (unsigned i = first; i < last; i++) {
		const struct ident_use *use = &slot[i].use;

		live_in |= use->flags_read & ~written;
		written |= use->flags_written;
		regs_used |= use->gpr_read | use->gpr_written;
		regs_written |= use->gpr_written;
		bytes += insns[i].len;
	}
	/* Flags the run does not write but stores back must be the guest's too. */
	if (live_in || (written && (written & ARITH) != ARITH))
		emit_flags_in(e, env);
	for (unsigned r = 0; r < 16; r++)
		if (regs_used & (1u << r))
			emit_gs_load64(e, (enum host_reg)r, GS_OFF(gpr[r]));
	emit_bytes(e, env->code + slot[first].code_off, bytes);
	for (unsigned r = 0; r < 16; r++)
		if (regs_written & (1u << r))
			emit_gs_store64(e, GS_OFF(gpr[r]), (enum host_reg)r);
	if (written)
		emit_flags_out(e);
	/* Last, as they clobber the flags: where the core's step leaves RIP and icount. */
	emit_gs_add64_imm32(e, GS_OFF(rip), (int32_t)bytes);
	emit_gs_add64_imm32(e, GS_OFF(icount), (int32_t)(last - first));
}

size_t translate_max_bytes(unsigned count)
{
	/* The worst case: every instruction an ident run of its own, aligned to 16. */
	return BYTES_FRAME + 15 +
	       (size_t)count * (BYTES_PER_IDENT + BYTES_PER_IDENT_RUN > BYTES_PER_CALLOUT
				    ? BYTES_PER_IDENT + BYTES_PER_IDENT_RUN
				    : BYTES_PER_CALLOUT);
}

const uint8_t *translate_run(struct code_cache *cc, const struct translate_env *env, const struct insn *insns,
			     unsigned count, unsigned *ident)
{
	struct slot local[64], *slot = count <= 64 ? local : malloc(count * sizeof(*slot));
	size_t room = BYTES_FRAME, off = 0;
	const uint8_t *entry, *out;
	unsigned nident = 0;
	struct emitter e;
	uint8_t *buf;

	if (!slot)
		abort(); /* out of host memory */
	for (unsigned i = 0; i < count; i++) {
		slot[i].code_off = off;
		off += insns[i].len;
		slot[i].ident = env->code && ident_classify(&insns[i], env->code + slot[i].code_off, &slot[i].use);
		if (slot[i].ident) {
			nident++;
			room += BYTES_PER_IDENT;
			if (i == 0 || !slot[i - 1].ident)
				room += BYTES_PER_IDENT_RUN;
		} else {
			room += BYTES_PER_CALLOUT;
		}
	}
	buf = code_cache_alloc(cc, room, 16);
	if (!buf) {
		if (slot != local)
			free(slot);
		return NULL;
	}
	emitter_init(&e, buf, code_cache_rx(cc, buf), room);
	/* The way out comes first, so every leaving jump knows its target. */
	out = emit_here(&e);
	emit_add_rsp(&e, 8);
	for (int i = (int)(sizeof(saved) / sizeof(saved[0])) - 1; i >= 0; i--)
		emit_pop(&e, saved[i]);
	emit_ret(&e);
	entry = emit_here(&e);
	for (unsigned i = 0; i < sizeof(saved) / sizeof(saved[0]); i++)
		emit_push(&e, saved[i]);
	/* The SysV ABI wants RSP 16-byte aligned at each call: 8 off at entry, and
	 * the six pushes keep it so. */
	emit_add_rsp(&e, -8);
	for (unsigned i = 0; i < count;) {
		if (slot[i].ident) {
			unsigned j = i;

			while (j < count && slot[j].ident)
				j++;
			emit_ident_run(&e, env, insns, slot, i, j);
			i = j;
		} else {
			emit_callout(&e, env, &insns[i], out);
			i++;
		}
	}
	emit_jmp(&e, out);
	if (slot != local)
		free(slot);
	if (e.overflow)
		return NULL; /* cannot happen: room is counted above */
	code_cache_shrink_last(cc, buf, e.pos);
	code_cache_wrote(cc, buf, e.pos);
	if (ident)
		*ident = nident;
	return entry;
}

const uint8_t *translate_callout_run(struct code_cache *cc, void *ctx, const struct insn *insns, unsigned count,
				     callout_fn callout)
{
	const struct translate_env env = { .ctx = ctx, .callout = callout };

	return translate_run(cc, &env, insns, count, NULL);
}
