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
	/* Where the last label was taken (emit_label, a jump patched to
	 * here): code may jump there, so nothing before it may be taken
	 * back. */
	size_t label_pos;
	/* translate.c's last give-back of lent scratch registers: the loads
	 * at [at, end) of regs[k] for each bit k of mask, from its spill
	 * slot k. A lend of the same registers right after it, no label
	 * between, drops the loads instead of storing the values back. */
	struct {
		size_t at, end;
		uint8_t regs[3], mask;
	} given_back;
	/* translate.c's vector registers (ident_simd.h), as emitted up to
	 * position at: bit n of lo, host XMM n holds guest XMM n's value; of
	 * hi, host YMM n's bits 128-255 hold guest YMM n's too. Void once a
	 * label is taken at or after at (code may come there from elsewhere). */
	struct {
		uint16_t lo, hi;
		size_t at;
		/* Written by the main line and not stored yet (pending_vex:
		 * by a VEX instruction, bits 128-255 too); stored before
		 * anything that could read the soft CPU's copies. */
		uint16_t pending, pending_vex;
		/* A label every way to which brings the same registers (a
		 * probe's own joins; a slow path's resume point reached
		 * through a reload): the state survives it. */
		size_t label_ok;
		/* Held by a loop all the way round (vectors_hold): always in
		 * the host registers, never pending; the loop's ways out
		 * store them. */
		uint16_t held;
	} vec;
};

static inline void emitter_init(struct emitter *e, uint8_t *buf, const uint8_t *rx, size_t cap)
{
	*e = (struct emitter){ .buf = buf, .rx = rx, .cap = cap, .given_back.end = SIZE_MAX };
}

/* The executable address of the next byte. */
static inline const uint8_t *emit_here(const struct emitter *e)
{
	return e->rx + e->pos;
}

/* The same, as a place code will jump to. */
static inline const uint8_t *emit_label(struct emitter *e)
{
	e->label_pos = e->pos;
	return emit_here(e);
}

void emit_bytes(struct emitter *e, const void *bytes, size_t n);
/* MOV reg, imm64. */
void emit_mov_imm64(struct emitter *e, enum host_reg reg, uint64_t imm);
/* CALL reg. */
void emit_call_reg(struct emitter *e, enum host_reg reg);
/* ADD or SUB RSP, imm8 (stack alignment around calls). */
void emit_add_rsp(struct emitter *e, int8_t imm);
/* TEST AL, AL / TEST RAX, RAX. */
void emit_test_al(struct emitter *e);
void emit_test_rax(struct emitter *e);
/* JMP reg. */
void emit_jmp_reg(struct emitter *e, enum host_reg reg);
void emit_ret(struct emitter *e);
/* PUSH reg / POP reg. */
void emit_push(struct emitter *e, enum host_reg reg);
void emit_pop(struct emitter *e, enum host_reg reg);
/* PUSHFQ / POPFQ. */
void emit_pushfq(struct emitter *e);
void emit_popfq(struct emitter *e);
/* LAHF; SETO AL: the arithmetic flags into AX as flags.h's host image (reads
 * the flags, changes none). */
void emit_flags_to_ax(struct emitter *e);
/* ADD AL, 0x7f; SAHF: the flags from a host image in AX (AL 0 or 1). */
void emit_flags_from_ax(struct emitter *e);
/* MOV AX, GS:[disp] and MOV GS:[disp], AX. */
void emit_gs_load16_ax(struct emitter *e, int32_t disp);
void emit_gs_store16_ax(struct emitter *e, int32_t disp);
/* MOVZX reg32, WORD GS:[disp]: a 16-bit value stored by emit_gs_store16_ax read
 * back at its own size, so the store forwards to the load. */
void emit_gs_load16_zx(struct emitter *e, enum host_reg reg, int32_t disp);

/* The vCPU's state is addressed through GS, whose base the engine points at it
 * on the vCPU's thread: gs:[disp32] with no base or index register, so that no
 * host register is tied up and guest register n can live in host register n. */
/* MOV reg, gs:[disp]. */
void emit_gs_load64(struct emitter *e, enum host_reg reg, int32_t disp);
/* MOV gs:[disp], reg. */
void emit_gs_store64(struct emitter *e, int32_t disp, enum host_reg reg);
/* ADD qword gs:[disp], imm32 (sign-extended). Clobbers the arithmetic flags. */
void emit_gs_add64_imm32(struct emitter *e, int32_t disp, int32_t imm);
/* MOV QWORD GS:[disp], imm32 (sign-extended). */
void emit_gs_store64_imm32(struct emitter *e, int32_t disp, int32_t imm);
/* CMP byte gs:[disp], imm8. */
void emit_gs_cmp8_imm(struct emitter *e, int32_t disp, uint8_t imm);
/* CMP QWORD GS:[disp], imm32 (sign-extended), and CMP reg, QWORD GS:[disp]. */
void emit_gs_cmp64_imm32(struct emitter *e, int32_t disp, int32_t imm);
void emit_gs_cmp64(struct emitter *e, enum host_reg reg, int32_t disp);
/* MOV byte gs:[disp], imm8. */
void emit_gs_mov8_imm(struct emitter *e, int32_t disp, uint8_t imm);
/* Vector registers against the soft CPU's copies (ident_simd.h), 16 bytes
 * at gs:[disp]: MOVDQU (legacy SSE, which leaves bits 128-255 alone) or
 * VMOVDQU (VEX, which zeroes them on a load), xmm n <-> gs:[disp]. */
void emit_gs_vec_load(struct emitter *e, unsigned n, int32_t disp, bool vex);
void emit_gs_vec_store(struct emitter *e, int32_t disp, unsigned n, bool vex);
/* VINSERTF128 ymm n, ymm n, gs:[disp], 1 and VEXTRACTF128 gs:[disp], ymm n, 1:
 * bits 128-255 of YMM n from and to the soft CPU. */
void emit_gs_vec_load_hi(struct emitter *e, unsigned n, int32_t disp);
void emit_gs_vec_store_hi(struct emitter *e, int32_t disp, unsigned n);
/* VZEROUPPER; VPXOR XMM0, XMM0, XMM0. */
void emit_vzeroupper(struct emitter *e);
void emit_vpxor_xmm0(struct emitter *e);
/* MOV dst, src at 2, 4 (zero-extending) or 8 bytes. */
void emit_mov_rr_sized(struct emitter *e, enum host_reg dst, enum host_reg src, unsigned bytes);
/* OR dst, src (64-bit). */
void emit_or_rr(struct emitter *e, enum host_reg dst, enum host_reg src);
void emit_xor_rr(struct emitter *e, enum host_reg dst, enum host_reg src);
/* CMP a, b (64-bit). */
void emit_cmp_rr(struct emitter *e, enum host_reg a, enum host_reg b);

/* For the soft-TLB probe (engine/dbt/translate.c). All 64-bit. */
/* LEA dst, [base + index << scale + disp]; base or index H_NONE when absent
 * (index never RSP). */
#define H_NONE (-1)
void emit_lea(struct emitter *e, enum host_reg dst, int base, int index, unsigned scale, int32_t disp);
/* opcode (REX.W) with ModRM.reg = reg and [base + disp]: CMP reg, [m] (3B),
 * MOV reg, [m] (8B), JMP [m] (FF, reg 4), ... */
void emit_op64_mem(struct emitter *e, uint8_t opcode, unsigned reg, enum host_reg base, int32_t disp);
/* The same against [base + index + disp] (index never RSP). */
void emit_op64_mem_bi(struct emitter *e, uint8_t opcode, unsigned reg, enum host_reg base, enum host_reg index,
		      int32_t disp);
/* opcode (REX.W) with ModRM.reg = ext against [base + index + disp] (index
 * H_NONE or never RSP), then imm32: MOV [m], imm32 (C7 /0) and CMP [m],
 * imm32 (81 /7), the immediate sign-extended to 64 bits. */
void emit_op64_mem_bi_imm32(struct emitter *e, uint8_t opcode, unsigned ext, enum host_reg base, int index,
			    int32_t disp, int32_t imm);
/* MOV reg32, [base] (zero-extended into reg). */
void emit_load32_mem(struct emitter *e, enum host_reg reg, enum host_reg base);
/* MOV [base], reg / MOV reg, [base] (64-bit). */
void emit_store_mem(struct emitter *e, enum host_reg base, enum host_reg reg);
void emit_load_mem(struct emitter *e, enum host_reg reg, enum host_reg base);
/* MOV dst, src. */
void emit_mov_rr(struct emitter *e, enum host_reg dst, enum host_reg src);
/* SHR reg, imm8 / SHL reg, imm8 / AND reg, imm32 (sign-extended). Clobber flags. */
void emit_shr_imm(struct emitter *e, enum host_reg reg, uint8_t imm);
void emit_shl_imm(struct emitter *e, enum host_reg reg, uint8_t imm);
void emit_sar_imm(struct emitter *e, enum host_reg reg, uint8_t imm);
/* RORX dst, src, imm8 (BMI2: dst = src rotated right, flags untouched): a
 * copy and a shift in one; only where emit_host_has_bmi2(). */
void emit_rorx(struct emitter *e, enum host_reg dst, enum host_reg src, uint8_t imm);
bool emit_host_has_bmi2(void);
/* CMP reg, imm8 (sign-extended). */
void emit_cmp_imm8(struct emitter *e, enum host_reg reg, int8_t imm);
void emit_and_imm32(struct emitter *e, enum host_reg reg, int32_t imm);
/* CMP / ADD / MOV reg, gs:[base + disp]; ADD reg, gs:[disp]. */
void emit_gs_cmp_based(struct emitter *e, enum host_reg reg, enum host_reg base, int32_t disp);
void emit_gs_add_based(struct emitter *e, enum host_reg reg, enum host_reg base, int32_t disp);
void emit_gs_load_based(struct emitter *e, enum host_reg reg, enum host_reg base, int32_t disp);
void emit_gs_add(struct emitter *e, enum host_reg reg, int32_t disp);

/* Jcc rel8 with its displacement to be filled in by emit_patch_rel8 once the
 * target is known (a short forward skip). Returns the writable address of the
 * rel8 field, NULL on overflow. */
uint8_t *emit_jcc8(struct emitter *e, enum host_cc cc);
/* Points the rel8 field at the next byte to be emitted (false: out of reach). */
bool emit_patch_rel8_here(struct emitter *e, uint8_t *rel);

/* JMP rel32 / Jcc rel32 to target; the rel32 is 4-byte aligned (NOPs before it)
 * so that emit_patch_rel32 can retarget it with one aligned store. Returns the
 * writable address of the rel32 field, or NULL on overflow. */
uint8_t *emit_jmp(struct emitter *e, const uint8_t *target);
uint8_t *emit_jcc(struct emitter *e, enum host_cc cc, const uint8_t *target);
/* Jcc rel32 with no alignment (never patched): a fixed size, 6 bytes. */
uint8_t *emit_jcc_unaligned(struct emitter *e, enum host_cc cc, const uint8_t *target);
/* CALL rel32 to target (returns its rel32, or NULL when out of reach). */
uint8_t *emit_call(struct emitter *e, const uint8_t *target);
/* JMP QWORD GS:[disp]. */
void emit_gs_jmp_mem(struct emitter *e, int32_t disp);
/* JMP through the quadword at GS:[index * 8 + disp]. */
void emit_gs_jmp_indexed(struct emitter *e, enum host_reg index, int32_t disp);
/* LEA dst, [RIP + rel32]: the rel32 to patch with emit_patch_rel32. */
uint8_t *emit_lea_rip(struct emitter *e, enum host_reg dst);

/* Points the rel32 field at rel (writable view; it runs at rel_rx) to target:
 * one aligned 4-byte store, so code running through it sees the old or the new
 * jump, never a mixture. False if target is out of rel32 reach. */
bool emit_patch_rel32(uint8_t *rel, const uint8_t *rel_rx, const uint8_t *target);

/* A patchable way from one block to the next (chaining): JMP rel32 (its
 * rel32 4-byte aligned), to the next instruction until linked; unlinked:
 * MOV RSI, that rel32's executable address ORed with tag (0-3, the rel32
 * being aligned); JMP stub. Returns the writable address of the rel32 (NULL
 * on overflow). */
uint8_t *emit_link_site(struct emitter *e, const uint8_t *stub, unsigned tag);
/* A link site's rel32 (writable view) is linked with emit_patch_rel32 and
 * goes back to its unlinked way with emit_link_unpatch. Code that may have
 * fetched the old jump must be serialized before it runs again after an
 * unlink (code_cache_serialize). */
void emit_link_unpatch(uint8_t *rel);

/* A link site to a block on another guest page, whose link holds only
 * while what maps that page does not change: the site carries a guard,
 * checked on every pass (RAX clobbered), of a 32-bit word (the block cache's
 * generation for the target: block_cache_find) against the value it had
 * when linked. A changed word, like an unlinked rel32, takes the unlinked
 * way. (Translations run only at the linear address they were made for, so
 * a site's target address is fixed.) Layout and unlinking as
 * emit_link_site's; linked by emit_guarded_link_patch. */
uint8_t *emit_guarded_link_site(struct emitter *e, const uint8_t *stub, unsigned tag);
bool emit_guarded_link_patch(uint8_t *rel, const uint8_t *rel_rx, const uint8_t *target, const uint32_t *word);
/* The bytes a guarded link patch writes: *rel moved to the first, their count. */
size_t emit_guarded_link_span(uint8_t **rel);

#endif
