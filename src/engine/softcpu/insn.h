/* The decoded, executable form of one guest instruction, kept in the decode cache
 * so that each instruction is decoded once. */
#ifndef RV_SOFTCPU_INSN_H
#define RV_SOFTCPU_INSN_H

#include <stdint.h>

#include "engine/softcpu/cpu.h"
#include "engine/softcpu/mem.h"
#include "engine/softcpu/regs.h"

struct insn;
typedef void (*insn_fn)(struct soft_cpu *cpu, const struct insn *in);

enum operand_kind { OK_NONE, OK_REG, OK_MEM, OK_IMM, OK_SREG, OK_CR, OK_DR, OK_FAR, OK_XMM, OK_ST, OK_MM };

#define NOREG 0xff
#define REG_RIP 16 /* as a memory base: RIP-relative */

struct operand {
	uint8_t kind; /* enum operand_kind */
	uint8_t size; /* bytes */
	uint8_t reg;  /* OK_REG: GPR number (16-19 = AH..BH for size 1); OK_SREG/CR/DR/XMM: number;
		       * OK_ST: i of ST(i); OK_MM: n of MMn */
	uint8_t seg;  /* OK_MEM */
	uint8_t base; /* OK_MEM: GPR, REG_RIP or NOREG */
	uint8_t index;
	uint8_t scale; /* shift count: 0-3 */
	uint8_t vsib;  /* OK_MEM: a gather's VSIB index (XMM number; insn_ea leaves it out), else NOREG */
	int64_t disp;  /* OK_MEM */
	uint64_t imm;  /* OK_IMM: masked to size; OK_FAR: offset; relative branches: target delta */
	uint16_t sel;  /* OK_FAR: selector */
};

/* insn.flags */
#define INSN_END_BLOCK 0x01 /* control may leave the straight line: end the block here */
#define INSN_LOCK 0x02
#define INSN_REP 0x04 /* REP / REPE */
#define INSN_REPNE 0x08
#define INSN_FAR 0x10 /* far JMP/CALL/RET */
#define INSN_RMW 0x20 /* op[0] is memory read and written: its read needs write rights */
/* A Jcc inside a block (decode_run): the block goes on after it, and taken it
 * leaves the block (the core's handler sets leave_block). */
#define INSN_SIDE_EXIT 0x40
/* A direct JMP or CALL (rel, 64-bit operand size), or a RET (no imm16),
 * whose block goes on where it goes (decode_run followed it: a trace): the
 * next instruction of the block is the target, as a delta from the
 * instruction's end in op[1].imm. A RET's is a prediction, the return
 * address of a CALL earlier in the block: taken elsewhere, it leaves the
 * block (the core's handler sets leave_block), as a taken side exit does. */
#define INSN_FOLLOWED 0x80

struct insn {
	insn_fn fn;
	uint8_t len;
	uint8_t opsize;	  /* operand size in bytes */
	uint8_t addrsize; /* address size in bytes */
	uint8_t flags;
	uint8_t nops;
	uint8_t cc;  /* condition code for Jcc/SETcc/CMOVcc */
	uint8_t seg; /* string instructions: the source segment (DS or an override) */
	uint16_t mnemonic;
	uint8_t index; /* in its block (block.h: block_of_insn) */
	/* VEX forms have up to four: dst, VEX.vvvv, r/m, and an imm8 or an
	 * is4 register (VBLENDVPS, VINSERTF128, VSHUFPS...). */
	struct operand op[4];
};

/* Where a block goes on after `in` at linear lin: a followed branch's
 * target (INSN_FOLLOWED), else the next byte. */
static inline uint64_t insn_next_lin(const struct insn *in, uint64_t lin)
{
	return lin + in->len + ((in->flags & INSN_FOLLOWED) ? in->op[1].imm : 0);
}

/* Effective address (offset within the segment) of a memory operand. */
static inline uint64_t insn_ea(const struct soft_cpu *cpu, const struct insn *in, const struct operand *o)
{
	uint64_t a = (uint64_t)o->disp;

	if (o->base != NOREG)
		a += o->base == REG_RIP ? cpu->rip_next : cpu->gpr[o->base];
	if (o->index != NOREG)
		a += cpu->gpr[o->index] << o->scale;
	return a & size_mask(in->addrsize);
}

/* Memory operands, out of line so that the register paths below stay small
 * enough to be inlined into every handler. */
uint64_t op_read_mem(struct soft_cpu *cpu, const struct insn *in, const struct operand *o);
void op_write_mem(struct soft_cpu *cpu, const struct insn *in, const struct operand *o, uint64_t v);

static inline __attribute__((always_inline)) uint64_t op_read(struct soft_cpu *cpu, const struct insn *in,
							      const struct operand *o)
{
	if (o->kind == OK_REG)
		return reg_read(cpu, o->reg, o->size);
	if (o->kind == OK_IMM)
		return o->imm;
	return op_read_mem(cpu, in, o);
}

static inline __attribute__((always_inline)) void op_write(struct soft_cpu *cpu, const struct insn *in,
							   const struct operand *o, uint64_t v)
{
	if (o->kind == OK_REG)
		reg_write(cpu, o->reg, o->size, v);
	else
		op_write_mem(cpu, in, o, v);
}

#endif
