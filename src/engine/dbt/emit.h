/* Host code for the dbt engine's fixed sequences (block entries, callouts,
 * exits, chain jumps), written as x86-64 encodings from the Intel SDM Vol. 2.
 *
 * Why hand-written: no C-callable x86 assembler is packaged in Debian 12 (asmjit
 * and xbyak are C++; GNU lightning, sljit, DynASM and MIR are not packaged), and
 * encoding these few fixed shapes with Zydis's encoder costs about 116 ns per
 * instruction where a template costs a copy; chaining also rewrites a jump's
 * rel32 in place, so its position and 4-byte alignment must be ours. Guest
 * instructions that need rewriting go through Zydis's encoder instead. Every
 * sequence here is decoded back with Zydis by tests/unit/test_dbt_emit.c. */
#ifndef RV_DBT_EMIT_H
#define RV_DBT_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Host registers in encoding order. */
enum host_reg {
	H_RAX,
	H_RCX,
	H_RDX,
	H_RBX,
	H_RSP,
	H_RBP,
	H_RSI,
	H_RDI,
	H_R8,
	H_R9,
	H_R10,
	H_R11,
	H_R12,
	H_R13,
	H_R14,
	H_R15
};

/* Condition codes of Jcc (the low nibble of 0F 8x). */
enum host_cc { CC_O, CC_NO, CC_B, CC_AE, CC_E, CC_NE, CC_BE, CC_A, CC_S, CC_NS, CC_P, CC_NP, CC_L, CC_GE, CC_LE, CC_G };

/* Writes into buf (the cache's writable view) code that runs at rx. Running out
 * of room sets overflow and writes nothing more; the caller checks it once. */
struct emitter {
	uint8_t *buf;
	const uint8_t *rx;
	size_t pos, cap;
	bool overflow;
};

static inline void emitter_init(struct emitter *e, uint8_t *buf, const uint8_t *rx, size_t cap)
{
	*e = (struct emitter){ .buf = buf, .rx = rx, .cap = cap };
}

/* The executable address of the next byte. */
static inline const uint8_t *emit_here(const struct emitter *e)
{
	return e->rx + e->pos;
}

void emit_bytes(struct emitter *e, const void *bytes, size_t n);
/* MOV reg, imm64. */
void emit_mov_imm64(struct emitter *e, enum host_reg reg, uint64_t imm);
/* CALL reg. */
void emit_call_reg(struct emitter *e, enum host_reg reg);
/* ADD or SUB RSP, imm8 (stack alignment around calls). */
void emit_add_rsp(struct emitter *e, int8_t imm);
/* TEST AL, AL. */
void emit_test_al(struct emitter *e);
void emit_ret(struct emitter *e);
/* JMP rel32 / Jcc rel32 to target; the rel32 is 4-byte aligned (NOPs before it)
 * so that emit_patch_rel32 can retarget it with one aligned store. Returns the
 * writable address of the rel32 field, or NULL on overflow. */
uint8_t *emit_jmp(struct emitter *e, const uint8_t *target);
uint8_t *emit_jcc(struct emitter *e, enum host_cc cc, const uint8_t *target);

/* Points the rel32 field at rel (writable view; it runs at rel_rx) to target:
 * one aligned 4-byte store, so code running through it sees the old or the new
 * jump, never a mixture. False if target is out of rel32 reach. */
bool emit_patch_rel32(uint8_t *rel, const uint8_t *rel_rx, const uint8_t *target);

#endif
