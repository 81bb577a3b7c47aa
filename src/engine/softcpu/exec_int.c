/* General-purpose integer instructions: moves, arithmetic and logic with their
 * exact flags, shifts and rotates, multiply and divide, bit operations, stack. */
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/flags.h"
#include "engine/softcpu/segment.h"
#include "engine/softcpu/stack.h"

/* ---- moves ------------------------------------------------------------------- */

static void h_mov(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *d = &in->op[0], *s = &in->op[1];

	if (d->kind == OK_SREG) {
		/* CS cannot be loaded with MOV. */
		if (d->reg == SREG_CS)
			cpu_raise_ud(cpu);
		segment_load(cpu, d->reg, (uint16_t)op_read(cpu, in, s));
		if (d->reg == SREG_SS) {
			cpu->interrupt_shadow = true;
			cpu->leave_block = true;
		}
		return;
	}
	if (d->kind == OK_CR || d->kind == OK_DR || s->kind == OK_CR || s->kind == OK_DR) {
		h_mov_special(cpu, in);
		return;
	}
	if (s->kind == OK_SREG) {
		/* To a register with a 32/64-bit operand size the selector zero-extends. */
		op_write(cpu, in, d, cpu->seg[s->reg].selector);
		return;
	}
	op_write(cpu, in, d, op_read(cpu, in, s));
}

static void h_movzx(struct soft_cpu *cpu, const struct insn *in)
{
	op_write(cpu, in, &in->op[0], op_read(cpu, in, &in->op[1]));
}

static void h_movsx(struct soft_cpu *cpu, const struct insn *in)
{
	op_write(cpu, in, &in->op[0], sign_extend(op_read(cpu, in, &in->op[1]), in->op[1].size));
}

static void h_lea(struct soft_cpu *cpu, const struct insn *in)
{
	reg_write(cpu, in->op[0].reg, in->op[0].size, insn_ea(cpu, in, &in->op[1]));
}

static void h_xchg(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t a = op_read(cpu, in, &in->op[0]), b = op_read(cpu, in, &in->op[1]);

	/* Memory first: if the store faults, the register is unchanged. */
	if (in->op[0].kind == OK_MEM) {
		op_write(cpu, in, &in->op[0], b);
		op_write(cpu, in, &in->op[1], a);
	} else {
		op_write(cpu, in, &in->op[1], a);
		op_write(cpu, in, &in->op[0], b);
	}
}

static void h_nop(struct soft_cpu *cpu, const struct insn *in)
{
	(void)cpu;
	(void)in;
}

/* ---- arithmetic and logic ---------------------------------------------------- */

/* The source of a two-operand ALU instruction, extended to the destination size
 * (immediates come sign-extended from the decoder). */
static inline __attribute__((always_inline)) uint64_t alu_src(struct soft_cpu *cpu, const struct insn *in)
{
	return op_read(cpu, in, &in->op[1]) & size_mask(in->op[0].size);
}

#define ALU_HANDLER(name, expr, lop, writes)                                                                           \
	static void name(struct soft_cpu *cpu, const struct insn *in)                                                  \
	{                                                                                                              \
		unsigned size = in->op[0].size;                                                                        \
		uint64_t a = op_read(cpu, in, &in->op[0]), b = alu_src(cpu, in);                                       \
		uint64_t r = (expr)&size_mask(size);                                                                   \
		if (writes)                                                                                            \
			op_write(cpu, in, &in->op[0], r);                                                              \
		flags_lazy(cpu, lop, size, r, a, b);                                                                   \
	}

ALU_HANDLER(h_add, a + b, LF_ADD, 1)
ALU_HANDLER(h_sub, a - b, LF_SUB, 1)
ALU_HANDLER(h_cmp, a - b, LF_SUB, 0)
ALU_HANDLER(h_and, a &b, LF_LOGIC, 1)
ALU_HANDLER(h_or, a | b, LF_LOGIC, 1)
ALU_HANDLER(h_xor, a ^ b, LF_LOGIC, 1)
ALU_HANDLER(h_test, a &b, LF_LOGIC, 0)

static void h_adc(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->op[0].size;
	uint64_t a = op_read(cpu, in, &in->op[0]), b = alu_src(cpu, in), c = flags_cf(cpu);
	uint64_t r = (a + b + c) & size_mask(size);

	op_write(cpu, in, &in->op[0], r);
	flags_lazy(cpu, LF_ADC, size, r, a, b);
	cpu->lf.cf_in = (uint8_t)c;
}

static void h_sbb(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->op[0].size;
	uint64_t a = op_read(cpu, in, &in->op[0]), b = alu_src(cpu, in), c = flags_cf(cpu);
	uint64_t r = (a - b - c) & size_mask(size);

	op_write(cpu, in, &in->op[0], r);
	flags_lazy(cpu, LF_SBB, size, r, a, b);
	cpu->lf.cf_in = (uint8_t)c;
}

static void h_inc(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->op[0].size;
	uint64_t a = op_read(cpu, in, &in->op[0]), c = flags_cf(cpu), r = (a + 1) & size_mask(size);

	op_write(cpu, in, &in->op[0], r);
	flags_lazy(cpu, LF_INC, size, r, a, 1);
	cpu->lf.cf_in = (uint8_t)c;
}

static void h_dec(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->op[0].size;
	uint64_t a = op_read(cpu, in, &in->op[0]), c = flags_cf(cpu), r = (a - 1) & size_mask(size);

	op_write(cpu, in, &in->op[0], r);
	flags_lazy(cpu, LF_DEC, size, r, a, 1);
	cpu->lf.cf_in = (uint8_t)c;
}

static void h_neg(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->op[0].size;
	uint64_t b = op_read(cpu, in, &in->op[0]), r = (0 - b) & size_mask(size);

	op_write(cpu, in, &in->op[0], r);
	flags_lazy(cpu, LF_NEG, size, r, 0, b);
}

static void h_not(struct soft_cpu *cpu, const struct insn *in)
{
	op_write(cpu, in, &in->op[0], ~op_read(cpu, in, &in->op[0]));
}

/* ---- stack --------------------------------------------------------------------- */

static void h_push(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *s = &in->op[0];
	uint64_t v = s->kind == OK_SREG ? cpu->seg[s->reg].selector : op_read(cpu, in, s);

	stack_push(cpu, in->opsize, v);
}

static void h_pop(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *d = &in->op[0];
	uint64_t v = stack_peek(cpu, in->opsize, 0);

	if (d->kind == OK_SREG) {
		segment_load(cpu, d->reg, (uint16_t)v);
		stack_set_sp(cpu, cpu->gpr[GPR_RSP] + in->opsize);
		if (d->reg == SREG_SS) {
			cpu->interrupt_shadow = true;
			cpu->leave_block = true;
		}
		return;
	}
	if (d->kind == OK_MEM) {
		/* The destination's address is computed with RSP already incremented,
		 * but RSP changes only once the store has succeeded. */
		uint64_t old = cpu->gpr[GPR_RSP], ea;

		stack_set_sp(cpu, old + in->opsize);
		ea = insn_ea(cpu, in, d);
		cpu->gpr[GPR_RSP] = old;
		mem_write(cpu, d->seg, ea, d->size, v);
		stack_set_sp(cpu, old + in->opsize);
		return;
	}
	stack_set_sp(cpu, cpu->gpr[GPR_RSP] + in->opsize);
	reg_write(cpu, d->reg, in->opsize, v);
}

/* PUSHA/POPA (not in 64-bit mode, where they are #UD: Zydis decodes them only
 * outside it). PUSHA stores the SP from before the first push. */
static void h_pusha(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned sz = in->opsize;
	uint64_t sp = cpu->gpr[GPR_RSP], m = stack_mask(cpu);

	/* All eight stores must be possible before any register changes. */
	(void)seg_linear(cpu, SREG_SS, (sp - 8 * sz) & m, 8 * sz, ACC_WRITE);
	for (unsigned r = GPR_RAX; r <= GPR_RDI; r++)
		stack_push(cpu, sz, r == GPR_RSP ? sp : cpu->gpr[r]);
}

static void h_popa(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned sz = in->opsize;
	uint64_t v[8];

	for (unsigned i = 0; i < 8; i++)
		v[i] = stack_peek(cpu, sz, i * sz);
	/* DI, SI, BP, (SP skipped), BX, DX, CX, AX in pop order. */
	for (unsigned i = 0; i < 8; i++)
		if (GPR_RDI - i != GPR_RSP)
			reg_write(cpu, GPR_RDI - i, sz, v[i]);
	stack_set_sp(cpu, cpu->gpr[GPR_RSP] + 8 * sz);
}

static void h_leave(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t bp = cpu->gpr[GPR_RBP] & stack_mask(cpu);
	uint64_t v = mem_read(cpu, SREG_SS, bp, in->opsize);

	stack_set_sp(cpu, bp + in->opsize);
	reg_write(cpu, GPR_RBP, in->opsize, v);
}

/* ---- flags --------------------------------------------------------------------- */

static void h_clc(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	flags_set_arith(cpu, flags_arith(cpu) & ~RFLAGS_CF);
}

static void h_stc(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	flags_set_arith(cpu, flags_arith(cpu) | RFLAGS_CF);
}

static void h_cmc(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	flags_set_arith(cpu, flags_arith(cpu) ^ RFLAGS_CF);
}

static void h_cld(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	cpu->rflags &= ~RFLAGS_DF;
}

static void h_std(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	cpu->rflags |= RFLAGS_DF;
}

static void h_lahf(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	reg_write(cpu, REG_AH, 1, (flags_get(cpu) & 0xd5) | 0x02);
}

static void h_sahf(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	flags_set_arith(cpu, (flags_arith(cpu) & RFLAGS_OF) | (reg_read(cpu, REG_AH, 1) & 0xd5));
}

/* ---- conditions ---------------------------------------------------------------- */

static void h_setcc(struct soft_cpu *cpu, const struct insn *in)
{
	op_write(cpu, in, &in->op[0], flags_cond(cpu, in->cc));
}

static void h_cmovcc(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t v = op_read(cpu, in, &in->op[1]);

	/* The source is read (and may fault) either way; a 32-bit destination is
	 * zero-extended even when the condition is false. */
	if (flags_cond(cpu, in->cc))
		reg_write(cpu, in->op[0].reg, in->op[0].size, v);
	else if (in->op[0].size == 4)
		reg_write(cpu, in->op[0].reg, 4, reg_read(cpu, in->op[0].reg, 4));
}

/* ---- conversions --------------------------------------------------------------- */

static void h_cbw_family(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->opsize;

	reg_write(cpu, GPR_RAX, size, sign_extend(cpu->gpr[GPR_RAX], size / 2));
}

static void h_cwd_family(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->opsize;
	uint64_t a = reg_read(cpu, GPR_RAX, size);

	reg_write(cpu, GPR_RDX, size, ((a >> (size * 8 - 1)) & 1) ? ~0ull : 0);
}

const struct dispatch_entry exec_int_table[] = {
	{ ZYDIS_MNEMONIC_MOV, h_mov, 0 },	  { ZYDIS_MNEMONIC_MOVZX, h_movzx, 0 },
	{ ZYDIS_MNEMONIC_MOVSX, h_movsx, 0 },	  { ZYDIS_MNEMONIC_MOVSXD, h_movsx, 0 },
	{ ZYDIS_MNEMONIC_LEA, h_lea, 0 },	  { ZYDIS_MNEMONIC_XCHG, h_xchg, 0 },
	{ ZYDIS_MNEMONIC_NOP, h_nop, 0 },	  { ZYDIS_MNEMONIC_PAUSE, h_nop, 0 },
	{ ZYDIS_MNEMONIC_ENDBR64, h_nop, 0 },	  { ZYDIS_MNEMONIC_ENDBR32, h_nop, 0 },
	{ ZYDIS_MNEMONIC_ADD, h_add, 0 },	  { ZYDIS_MNEMONIC_ADC, h_adc, 0 },
	{ ZYDIS_MNEMONIC_SUB, h_sub, 0 },	  { ZYDIS_MNEMONIC_SBB, h_sbb, 0 },
	{ ZYDIS_MNEMONIC_CMP, h_cmp, 0 },	  { ZYDIS_MNEMONIC_AND, h_and, 0 },
	{ ZYDIS_MNEMONIC_OR, h_or, 0 },		  { ZYDIS_MNEMONIC_XOR, h_xor, 0 },
	{ ZYDIS_MNEMONIC_TEST, h_test, 0 },	  { ZYDIS_MNEMONIC_INC, h_inc, 0 },
	{ ZYDIS_MNEMONIC_DEC, h_dec, 0 },	  { ZYDIS_MNEMONIC_NEG, h_neg, 0 },
	{ ZYDIS_MNEMONIC_NOT, h_not, 0 },	  { ZYDIS_MNEMONIC_PUSH, h_push, 0 },
	{ ZYDIS_MNEMONIC_POP, h_pop, 0 },	  { ZYDIS_MNEMONIC_LEAVE, h_leave, 0 },
	{ ZYDIS_MNEMONIC_PUSHA, h_pusha, 0 },	  { ZYDIS_MNEMONIC_PUSHAD, h_pusha, 0 },
	{ ZYDIS_MNEMONIC_POPA, h_popa, 0 },	  { ZYDIS_MNEMONIC_POPAD, h_popa, 0 },
	{ ZYDIS_MNEMONIC_CLC, h_clc, 0 },	  { ZYDIS_MNEMONIC_STC, h_stc, 0 },
	{ ZYDIS_MNEMONIC_CMC, h_cmc, 0 },	  { ZYDIS_MNEMONIC_CLD, h_cld, 0 },
	{ ZYDIS_MNEMONIC_STD, h_std, 0 },	  { ZYDIS_MNEMONIC_LAHF, h_lahf, 0 },
	{ ZYDIS_MNEMONIC_SAHF, h_sahf, 0 },	  { ZYDIS_MNEMONIC_SETO, h_setcc, 0 },
	{ ZYDIS_MNEMONIC_SETNO, h_setcc, 0 },	  { ZYDIS_MNEMONIC_SETB, h_setcc, 0 },
	{ ZYDIS_MNEMONIC_SETNB, h_setcc, 0 },	  { ZYDIS_MNEMONIC_SETZ, h_setcc, 0 },
	{ ZYDIS_MNEMONIC_SETNZ, h_setcc, 0 },	  { ZYDIS_MNEMONIC_SETBE, h_setcc, 0 },
	{ ZYDIS_MNEMONIC_SETNBE, h_setcc, 0 },	  { ZYDIS_MNEMONIC_SETS, h_setcc, 0 },
	{ ZYDIS_MNEMONIC_SETNS, h_setcc, 0 },	  { ZYDIS_MNEMONIC_SETP, h_setcc, 0 },
	{ ZYDIS_MNEMONIC_SETNP, h_setcc, 0 },	  { ZYDIS_MNEMONIC_SETL, h_setcc, 0 },
	{ ZYDIS_MNEMONIC_SETNL, h_setcc, 0 },	  { ZYDIS_MNEMONIC_SETLE, h_setcc, 0 },
	{ ZYDIS_MNEMONIC_SETNLE, h_setcc, 0 },	  { ZYDIS_MNEMONIC_CMOVO, h_cmovcc, 0 },
	{ ZYDIS_MNEMONIC_CMOVNO, h_cmovcc, 0 },	  { ZYDIS_MNEMONIC_CMOVB, h_cmovcc, 0 },
	{ ZYDIS_MNEMONIC_CMOVNB, h_cmovcc, 0 },	  { ZYDIS_MNEMONIC_CMOVZ, h_cmovcc, 0 },
	{ ZYDIS_MNEMONIC_CMOVNZ, h_cmovcc, 0 },	  { ZYDIS_MNEMONIC_CMOVBE, h_cmovcc, 0 },
	{ ZYDIS_MNEMONIC_CMOVNBE, h_cmovcc, 0 },  { ZYDIS_MNEMONIC_CMOVS, h_cmovcc, 0 },
	{ ZYDIS_MNEMONIC_CMOVNS, h_cmovcc, 0 },	  { ZYDIS_MNEMONIC_CMOVP, h_cmovcc, 0 },
	{ ZYDIS_MNEMONIC_CMOVNP, h_cmovcc, 0 },	  { ZYDIS_MNEMONIC_CMOVL, h_cmovcc, 0 },
	{ ZYDIS_MNEMONIC_CMOVNL, h_cmovcc, 0 },	  { ZYDIS_MNEMONIC_CMOVLE, h_cmovcc, 0 },
	{ ZYDIS_MNEMONIC_CMOVNLE, h_cmovcc, 0 },  { ZYDIS_MNEMONIC_CBW, h_cbw_family, 0 },
	{ ZYDIS_MNEMONIC_CWDE, h_cbw_family, 0 }, { ZYDIS_MNEMONIC_CDQE, h_cbw_family, 0 },
	{ ZYDIS_MNEMONIC_CWD, h_cwd_family, 0 },  { ZYDIS_MNEMONIC_CDQ, h_cwd_family, 0 },
	{ ZYDIS_MNEMONIC_CQO, h_cwd_family, 0 },  { 0, NULL, 0 },
};
