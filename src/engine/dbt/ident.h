/* Which guest instructions the dbt engine runs as themselves ("ident", stage 2
 * of docs/dbt-design.md): in 64-bit mode, an allowlist of integer instructions
 * whose operands are all general registers (never RSP) or immediates, which
 * cannot fault, read host state or change control flow, and which the guest CPU
 * model implements exactly as the host does — and the same instructions with
 * one explicit memory operand (stage 3), which translated code reaches through
 * an inline probe of the soft TLB and re-issues against the host address, so
 * that only a TLB hit runs as itself and anything else (a miss, a page fault,
 * MMIO, code or watched pages) is the core's. What they read and write
 * (registers, arithmetic flags, memory) comes from Zydis's full decode of the
 * same bytes, implicit operands included. */
#ifndef RV_DBT_IDENT_H
#define RV_DBT_IDENT_H

#include <stdbool.h>
#include <stdint.h>

#include <Zydis/Zydis.h>

#include "engine/softcpu/insn.h"

struct ident_use {
	uint16_t gpr_read, gpr_written; /* bit n: guest GPR n (RAX = 0 ... R15 = 15) */
	uint16_t flags_read;		/* RFLAGS_ARITH_MASK bits the result depends on */
	uint16_t flags_written;		/* RFLAGS_ARITH_MASK bits it always sets */
	/* The explicit memory operand, if any: [base + index << scale + disp] in
	 * segment seg (64-bit addressing). base may be GPR_RSP (which is not in
	 * gpr_read: it never lives in a host register) or REG_RIP (disp is then
	 * from the end of the instruction); index is never RSP. */
	bool mem;
	bool mem_write;				/* written (read-modify-write too): the write TLB */
	uint16_t mem_size;			/* bytes accessed: 1, 2, 4 or 8; 16 or 32 for vectors */
	uint8_t mem_align;			/* 16 or 32: the host raises #GP unless so aligned (ident_simd.h) */
	uint8_t mem_seg;			/* SREG_* */
	uint8_t mem_base, mem_index, mem_scale; /* NOREG where absent */
	int32_t mem_disp;
	/* RSP as an explicit register operand (not with a memory operand): the
	 * instruction is re-encoded with a scratch register in its place
	 * (ident_rewrite_rsp), loaded from the soft CPU first if read, stored
	 * after if written. */
	bool rsp_reg, rsp_read, rsp_written;
	/* LEA from RSP or RIP (64-bit addressing): the address [mem_base +
	 * mem_index << mem_scale + mem_disp] (mem is false: nothing is accessed)
	 * goes to register lea_dst at lea_bytes (2, 4 or 8) of operand size. */
	bool lea_base;
	uint8_t lea_dst, lea_bytes;
	/* PUSH r64 (+1) or POP r64 (-1), register stack_reg (never RSP): the
	 * memory operand is [RSP - 8] or [RSP] in SS, and RSP moves after it. */
	int8_t stack;
	uint8_t stack_reg;
	/* A block's last instruction, JMP or Jcc rel, CALL rel32 or RET [imm16]
	 * with a 64-bit IP: host code branches itself; target = the end of the
	 * instruction + rel (RET: popped). CALL and RET have the memory operand
	 * of a PUSH (stack 1) or POP (stack -1) of no register (stack_reg NOREG):
	 * the return address. */
	bool branch;
	bool call, ret;
	uint8_t cc; /* Jcc's condition (the low nibble of its opcode); 0xff for JMP, CALL, RET */
	int32_t rel;
	uint16_t ret_pop; /* RET imm16: bytes released above the return address */
	/* A vector instruction (ident_simd.h): the IDENT_SIMD_* class the guest
	 * state must allow, the XMM/YMM registers it names (bit n: register n:
	 * loaded into host register n before it) and those it writes (stored
	 * after it); ymm: VEX, whose writes zero or set bits 128-255, which
	 * move too (for VEX.256 sources, loaded too: wide). VZEROUPPER names
	 * none and zeroes every upper half (zero_upper). */
	uint8_t simd;
	bool ymm, wide, zero_upper;
	uint16_t vec_used, vec_written;
	/* Of vec_used, those whose old value it needs: read, or written only
	 * in part by a legacy instruction (which keeps the rest). */
	uint16_t vec_read;
};

/* True when `in`, decoded in 64-bit mode from the bytes at code (in->len of
 * them), can be copied into host code unchanged; *use says what it touches. */
bool ident_classify(const struct insn *in, const uint8_t *code, struct ident_use *use);

/* The Zydis encoder request of an instruction with an explicit memory
 * operand, kept from its classification so that re-encoding it against a
 * host register (ident_encode_mem) needs no second decode: translation
 * decoded each memory instruction three times. ok: the request is there. */
struct ident_mem_request {
	ZydisEncoderRequest req;
	bool ok;
};

/* ident_classify, also filling *mem for an instruction with use->mem. */
bool ident_classify_mem(const struct insn *in, const uint8_t *code, struct ident_use *use,
			struct ident_mem_request *mem);

/* The bytes of the instruction of a kept request with its memory operand
 * replaced by [host base register] (no segment, no displacement). Returns
 * the length written to out (room for 15), 0 if it cannot be encoded so. */
unsigned ident_encode_mem(const struct ident_mem_request *mem, unsigned host_base, uint8_t *out);

/* The same with the memory operand [host_base + host_index + disp] (64-bit
 * registers; host_index IDENT_NO_INDEX for none). */
#define IDENT_NO_INDEX 0xffu
unsigned ident_encode_mem_at(const struct ident_mem_request *mem, unsigned host_base, unsigned host_index, int32_t disp,
			     uint8_t *out);

/* The same with host_index scaled: [host_base + host_index << shift + disp]
 * (shift 0 to 3). */
unsigned ident_encode_mem_scaled(const struct ident_mem_request *mem, unsigned host_base, unsigned host_index,
				 unsigned shift, int32_t disp, uint8_t *out);

/* True when `in` (64-bit mode, bytes at code) is a JMP, Jcc, CALL rel32 or RET
 * that host code can take itself; *use gives the flags it tests, the branch
 * and, for CALL and RET, the stack operand. */
bool ident_branch(const struct insn *in, const uint8_t *code, struct ident_use *use);

/* The bytes of the same instruction with RSP (at whatever size) replaced by
 * host register host_reg; the length written to out (room for 15), 0 if it
 * cannot be encoded so. */
unsigned ident_rewrite_rsp(const uint8_t *code, unsigned len, unsigned host_reg, uint8_t *out);

#endif
