/* More integer instructions: compare-and-exchange and exchange-and-add (with LOCK,
 * which needs nothing more here: one vCPU executes one instruction at a time),
 * XLAT, ENTER, BOUND and the BCD/ASCII adjustments of legacy modes.
 *
 * LOCK where it is not allowed never reaches these handlers: the decoder turns
 * it into #UD (decode.c). */
#include <string.h>

#include "engine/softcpu/handlers.h"
#include "engine/softcpu/flags.h"
#include "engine/softcpu/mem.h"
#include "engine/softcpu/stack.h"

/* ---- compare and exchange ------------------------------------------------------ */

/* CMPXCHG: compare the accumulator with the destination, flags as CMP. A memory
 * destination is written either way (with its own value when they differ), so a
 * read-only one faults even then; a register destination is written only when
 * they are equal (a 32-bit one keeps its upper half otherwise), and the
 * accumulator only when they differ. */
static void h_cmpxchg(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *d = &in->op[0];
	unsigned size = d->size;
	uint64_t old = op_read(cpu, in, d), acc = reg_read(cpu, GPR_RAX, size);
	bool equal = old == acc;

	if (equal)
		op_write(cpu, in, d, op_read(cpu, in, &in->op[1]));
	else if (d->kind == OK_MEM)
		op_write(cpu, in, d, old);
	if (!equal)
		reg_write(cpu, GPR_RAX, size, old);
	flags_lazy(cpu, LF_SUB, size, (acc - old) & size_mask(size), acc, old);
}

/* XADD: the destination gets the sum, the source the old destination. With both
 * operands the same register the sum wins (it is written last). */
static void h_xadd(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *d = &in->op[0], *s = &in->op[1];
	unsigned size = d->size;
	uint64_t a = op_read(cpu, in, d), b = op_read(cpu, in, s), sum = (a + b) & size_mask(size);

	if (d->kind == OK_MEM) {
		op_write(cpu, in, d, sum);
		op_write(cpu, in, s, a);
	} else {
		op_write(cpu, in, s, a);
		op_write(cpu, in, d, sum);
	}
	flags_lazy(cpu, LF_ADD, size, sum, a, b);
}

/* CMPXCHG8B m64 / CMPXCHG16B m128: rDX:rAX against memory; equal stores rCX:rBX,
 * else the old value is written back and loaded into rDX:rAX. Only ZF changes. */
static void h_cmpxchg_wide(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *o = &in->op[0];
	unsigned half = o->size / 2; /* 4 or 8 */
	uint64_t ea = insn_ea(cpu, in, o), m = size_mask(half);
	uint64_t cur[2] = { 0, 0 }, next[2];
	uint8_t buf[16];
	bool equal;

	/* CMPXCHG16B needs a 16-byte aligned operand: #GP(0) otherwise. The
	 * operand is checked for the write first: the AMD host reports a #PF
	 * of either form as a write (W set) even on a page that is not
	 * present, as for any read-modify-write; a misaligned CMPXCHG8B is
	 * #AC before that, as its read would be. */
	if (half == 4)
		mem_check_alignment(cpu, seg_linear(cpu, o->seg, ea, 8, ACC_WRITE), 8, ACC_WRITE);
	(void)mem_block_writable(cpu, o->seg, ea, o->size, half == 8 ? 16 : 0);
	mem_read_block(cpu, o->seg, ea, buf, o->size, 0);
	memcpy(&cur[0], buf, half);
	memcpy(&cur[1], buf + half, half);
	equal = cur[0] == (cpu->gpr[GPR_RAX] & m) && cur[1] == (cpu->gpr[GPR_RDX] & m);
	next[0] = equal ? cpu->gpr[GPR_RBX] : cur[0];
	next[1] = equal ? cpu->gpr[GPR_RCX] : cur[1];
	memcpy(buf, &next[0], half);
	memcpy(buf + half, &next[1], half);
	mem_write_block(cpu, o->seg, ea, buf, o->size, 0);
	if (!equal) {
		reg_write(cpu, GPR_RAX, half, cur[0]);
		reg_write(cpu, GPR_RDX, half, cur[1]);
	}
	flags_set_arith(cpu, (flags_arith(cpu) & ~RFLAGS_ZF) | (equal ? RFLAGS_ZF : 0));
}

/* ---- table lookup and stack frames --------------------------------------------- */

/* XLAT: AL = [seg:rBX + AL], the sum wrapping at the address size. */
static void h_xlat(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t ea = (cpu->gpr[GPR_RBX] + (cpu->gpr[GPR_RAX] & 0xff)) & size_mask(in->addrsize);

	reg_write(cpu, GPR_RAX, 1, mem_read(cpu, in->seg, ea, 1));
}

/* ENTER size, level: push rBP, copy level-1 frame pointers of the enclosing
 * frames, push the new frame pointer, then allocate. Everything is written before
 * rSP and rBP change, so a fault leaves them as they were. */
static void h_enter(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned osz = in->opsize, level = (unsigned)(in->op[1].imm & 31);
	uint64_t mask = stack_mask(cpu), alloc = in->op[0].imm & 0xffff;
	uint64_t sp = cpu->gpr[GPR_RSP], bp = cpu->gpr[GPR_RBP], frame;

	sp = (sp - osz) & mask;
	mem_write(cpu, SREG_SS, sp, osz, bp);
	frame = sp;
	if (level > 0) {
		for (unsigned i = 1; i < level; i++) {
			bp = (bp - osz) & mask;
			sp = (sp - osz) & mask;
			mem_write(cpu, SREG_SS, sp, osz, mem_read(cpu, SREG_SS, bp, osz));
		}
		sp = (sp - osz) & mask;
		mem_write(cpu, SREG_SS, sp, osz, frame);
	}
	sp = (sp - alloc) & mask;
	/* After the pushes the processor checks the final stack location for writing:
	 * a misaligned (#AC) or unmapped (#PF) frame faults at ENTER with rSP and rBP
	 * unchanged, the pushed words already written (as AMD silicon does). */
	(void)mem_read_lin(cpu, seg_lin(cpu, SREG_SS, sp, osz, ACC_WRITE), osz, ACC_WRITE);
	cpu->gpr[GPR_RBP] = (cpu->gpr[GPR_RBP] & ~mask) | (frame & mask);
	stack_set_sp(cpu, sp);
}

/* BOUND r, m: #BR unless lower <= r <= upper, all signed (16- and 32-bit). */
static void h_bound(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *o = &in->op[1];
	unsigned size = in->op[0].size;
	uint64_t ea = insn_ea(cpu, in, o);
	int64_t idx, lower, upper;

	if (cpu->mode == MODE_LONG64)
		cpu_raise_ud(cpu);
	idx = (int64_t)sign_extend(reg_read(cpu, in->op[0].reg, size), size);
	lower = (int64_t)sign_extend(mem_read(cpu, o->seg, ea, size), size);
	upper = (int64_t)sign_extend(mem_read(cpu, o->seg, (ea + size) & size_mask(in->addrsize), size), size);
	if (idx < lower || idx > upper)
		cpu_raise(cpu, EXC_BR, false, 0);
}

/* ---- BCD and ASCII adjustments (invalid in 64-bit mode) ------------------------ */

static void require_legacy(struct soft_cpu *cpu)
{
	if (cpu->mode == MODE_LONG64)
		cpu_raise_ud(cpu);
}

/* SF, ZF, PF of a byte result. */
static uint64_t szp8(uint8_t v)
{
	return (__builtin_parity(v) ? 0 : RFLAGS_PF) | (v == 0 ? RFLAGS_ZF : 0) | ((v & 0x80) ? RFLAGS_SF : 0);
}

/* AAA/AAS as the current SDM describes them: AX + 106h, or AX - 6 then AH - 1
 * (carries and borrows cross from AL into AH), then AL keeps its low digit. AF
 * and CF tell whether it adjusted; OF, SF, ZF and PF, undefined, are those of
 * the 16-bit addition or subtraction, as the AMD processors do. */
static void ascii_adjust(struct soft_cpu *cpu, bool add)
{
	uint16_t ax = (uint16_t)cpu->gpr[GPR_RAX];
	bool adjust = (ax & 0x0f) > 9 || (flags_arith(cpu) & RFLAGS_AF);
	uint16_t delta = adjust ? 0x106 : 0, res = (uint16_t)(add ? ax + delta : ax - delta);

	reg_write(cpu, GPR_RAX, 2, res & 0xff0f);
	flags_lazy(cpu, add ? LF_ADD : LF_SUB, 2, res, ax, delta);
	flags_set_arith(cpu, (flags_arith(cpu) & ~(RFLAGS_AF | RFLAGS_CF)) | (adjust ? RFLAGS_AF | RFLAGS_CF : 0));
}

static void h_aaa(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	require_legacy(cpu);
	ascii_adjust(cpu, true);
}

static void h_aas(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	require_legacy(cpu);
	ascii_adjust(cpu, false);
}

/* AAM imm8: AH = AL / imm8, AL = AL % imm8 (#DE on 0); SF, ZF, PF follow AL and
 * OF, AF, CF (undefined) are cleared. AAD imm8: AL = AL + AH * imm8, AH = 0; the
 * flags (OF, AF, CF undefined) are those of that 8-bit addition. */
static void h_aam(struct soft_cpu *cpu, const struct insn *in)
{
	uint8_t base = (uint8_t)in->op[0].imm, al = (uint8_t)cpu->gpr[GPR_RAX];

	require_legacy(cpu);
	if (base == 0)
		cpu_raise(cpu, EXC_DE, false, 0);
	reg_write(cpu, GPR_RAX, 2, (uint64_t)(al / base) << 8 | (al % base));
	flags_set_arith(cpu, szp8(al % base));
}

static void h_aad(struct soft_cpu *cpu, const struct insn *in)
{
	uint8_t base = (uint8_t)in->op[0].imm, al = (uint8_t)cpu->gpr[GPR_RAX];
	uint8_t ah = (uint8_t)(cpu->gpr[GPR_RAX] >> 8), r = (uint8_t)(al + ah * base);

	require_legacy(cpu);
	reg_write(cpu, GPR_RAX, 2, r);
	flags_lazy(cpu, LF_ADD, 1, r, al, (uint8_t)(ah * base));
}

/* DAA/DAS (SDM pseudocode): adjust the low digit, then the high one. DAS keeps CF
 * from the first step when the second does not apply; DAA clears it. OF
 * (undefined) is the overflow of adding or subtracting the whole adjustment, as
 * the AMD processors do. */
static void decimal_adjust(struct soft_cpu *cpu, bool add)
{
	uint64_t f = flags_arith(cpu);
	uint8_t old_al = (uint8_t)cpu->gpr[GPR_RAX], al = old_al, adj;
	bool old_cf = f & RFLAGS_CF, cf = false, af = false, of;

	if ((al & 0x0f) > 9 || (f & RFLAGS_AF)) {
		cf = old_cf || (add ? al > 0xff - 6 : al < 6);
		al = (uint8_t)(add ? al + 6 : al - 6);
		af = true;
	}
	if (old_al > 0x99 || old_cf) {
		al = (uint8_t)(add ? al + 0x60 : al - 0x60);
		cf = true;
	} else if (add) {
		cf = false;
	}
	adj = (uint8_t)(add ? al - old_al : old_al - al);
	of = add ? ((old_al ^ al) & (adj ^ al)) >> 7 : ((old_al ^ adj) & (old_al ^ al)) >> 7;
	reg_write(cpu, GPR_RAX, 1, al);
	flags_set_arith(cpu, szp8(al) | (cf ? RFLAGS_CF : 0) | (af ? RFLAGS_AF : 0) | (of ? RFLAGS_OF : 0));
}

static void h_daa(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	require_legacy(cpu);
	decimal_adjust(cpu, true);
}

static void h_das(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	require_legacy(cpu);
	decimal_adjust(cpu, false);
}

const struct dispatch_entry exec_int2_table[] = {
	{ ZYDIS_MNEMONIC_CMPXCHG, h_cmpxchg, 0 },
	{ ZYDIS_MNEMONIC_XADD, h_xadd, 0 },
	{ ZYDIS_MNEMONIC_CMPXCHG8B, h_cmpxchg_wide, 0 },
	{ ZYDIS_MNEMONIC_CMPXCHG16B, h_cmpxchg_wide, 0 },
	{ ZYDIS_MNEMONIC_XLAT, h_xlat, 0 },
	{ ZYDIS_MNEMONIC_ENTER, h_enter, 0 },
	{ ZYDIS_MNEMONIC_BOUND, h_bound, 0 },
	{ ZYDIS_MNEMONIC_AAA, h_aaa, 0 },
	{ ZYDIS_MNEMONIC_AAS, h_aas, 0 },
	{ ZYDIS_MNEMONIC_AAM, h_aam, 0 },
	{ ZYDIS_MNEMONIC_AAD, h_aad, 0 },
	{ ZYDIS_MNEMONIC_DAA, h_daa, 0 },
	{ ZYDIS_MNEMONIC_DAS, h_das, 0 },
	{ 0, NULL, 0 },
};
