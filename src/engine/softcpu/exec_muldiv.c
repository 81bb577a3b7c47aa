/* Multiply, divide, shifts, rotates and bit operations. Flags the SDM leaves
 * undefined follow docs/cpu-model.md ("Undefined flags"). */
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/flags.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

/* MUL/IMUL set CF = OF = (the upper half is significant); SF, ZF, AF, PF are
 * undefined: here SF, ZF and PF follow the low half and AF is cleared. */
static void mul_flags(struct soft_cpu *cpu, unsigned size, uint64_t low, bool overflow)
{
	flags_lazy(cpu, LF_LOGIC, size, low, 0, 0);
	flags_set_arith(cpu, flags_arith(cpu) | (overflow ? RFLAGS_CF | RFLAGS_OF : 0));
}

/* One-operand forms: rDX:rAX = rAX * src (AX = AL * src for bytes). */
static void h_mul(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->op[0].size;
	uint64_t m = size_mask(size), a = reg_read(cpu, GPR_RAX, size), b = op_read(cpu, in, &in->op[0]);
	u128 r = (u128)a * b;
	uint64_t lo = (uint64_t)r & m, hi = size == 8 ? (uint64_t)(r >> 64) : (uint64_t)(r >> (size * 8)) & m;

	if (size == 1) {
		reg_write(cpu, GPR_RAX, 2, (uint64_t)r & 0xffff);
	} else {
		reg_write(cpu, GPR_RAX, size, lo);
		reg_write(cpu, GPR_RDX, size, hi);
	}
	mul_flags(cpu, size, lo, hi != 0);
}

static void h_imul(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->op[0].size;
	uint64_t m = size_mask(size);
	s128 a, b, r;
	uint64_t lo;

	if (in->nops == 1) {
		a = (int64_t)sign_extend(reg_read(cpu, GPR_RAX, size), size);
		b = (int64_t)sign_extend(op_read(cpu, in, &in->op[0]), size);
		r = a * b;
		lo = (uint64_t)r & m;
		if (size == 1) {
			reg_write(cpu, GPR_RAX, 2, (uint64_t)r & 0xffff);
		} else {
			reg_write(cpu, GPR_RAX, size, lo);
			reg_write(cpu, GPR_RDX, size, (uint64_t)(r >> (size * 8)) & m);
		}
	} else {
		const struct operand *s1 = in->nops == 3 ? &in->op[1] : &in->op[0];
		const struct operand *s2 = in->nops == 3 ? &in->op[2] : &in->op[1];

		a = (int64_t)sign_extend(op_read(cpu, in, s1), size);
		b = (int64_t)sign_extend(op_read(cpu, in, s2) & m, size);
		r = a * b;
		lo = (uint64_t)r & m;
		reg_write(cpu, in->op[0].reg, size, lo);
	}
	/* Overflow when the full product differs from the sign-extended low half. */
	mul_flags(cpu, size, lo, r != (s128)(int64_t)sign_extend(lo, size));
}

/* DIV/IDIV: #DE on a zero divisor or a quotient that does not fit. Flags are
 * undefined: left unchanged here. */
static void h_div(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->op[0].size;
	uint64_t m = size_mask(size), d = op_read(cpu, in, &in->op[0]);
	u128 n;

	if (d == 0)
		cpu_raise(cpu, EXC_DE, false, 0);
	if (size == 1)
		n = reg_read(cpu, GPR_RAX, 2);
	else
		n = ((u128)reg_read(cpu, GPR_RDX, size) << (size * 8)) | reg_read(cpu, GPR_RAX, size);
	if (n / d > m)
		cpu_raise(cpu, EXC_DE, false, 0);
	if (size == 1) {
		reg_write(cpu, GPR_RAX, 2, (uint64_t)((n % d) << 8 | (n / d)));
	} else {
		reg_write(cpu, GPR_RAX, size, (uint64_t)(n / d));
		reg_write(cpu, GPR_RDX, size, (uint64_t)(n % d));
	}
}

static void h_idiv(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->op[0].size, bits = size * 8;
	s128 d = (int64_t)sign_extend(op_read(cpu, in, &in->op[0]), size), n, q, r;
	s128 max = ((s128)1 << (bits - 1)) - 1, min = -((s128)1 << (bits - 1));

	if (d == 0)
		cpu_raise(cpu, EXC_DE, false, 0);
	if (size == 1) {
		n = (int16_t)reg_read(cpu, GPR_RAX, 2);
	} else {
		u128 hi = reg_read(cpu, GPR_RDX, size), lo = reg_read(cpu, GPR_RAX, size);
		u128 raw = (hi << bits) | lo;

		/* Sign-extend the 2*size-bit dividend. */
		n = (s128)(raw << (128 - 2 * bits)) >> (128 - 2 * bits);
	}
	/* -2^127 / -1 does not fit in 128 bits (undefined in C); its quotient is out of
	 * range for a 64-bit IDIV anyway. */
	if (d == -1 && n == (s128)((u128)1 << 127))
		cpu_raise(cpu, EXC_DE, false, 0);
	q = n / d;
	r = n % d;
	if (q > max || q < min)
		cpu_raise(cpu, EXC_DE, false, 0);
	if (size == 1) {
		reg_write(cpu, GPR_RAX, 2, (((uint64_t)r & 0xff) << 8) | ((uint64_t)q & 0xff));
	} else {
		reg_write(cpu, GPR_RAX, size, (uint64_t)q);
		reg_write(cpu, GPR_RDX, size, (uint64_t)r);
	}
}

/* ---- shifts and rotates ----------------------------------------------------- */

/* The count operand (CL or an immediate, or 1), masked as the hardware does. */
static unsigned shift_count(struct soft_cpu *cpu, const struct insn *in, unsigned size)
{
	uint64_t c = in->nops > 1 ? op_read(cpu, in, &in->op[1]) : 1;

	return (unsigned)(c & (size == 8 ? 0x3f : 0x1f));
}

static uint64_t szp(uint64_t r, unsigned size)
{
	uint64_t f = __builtin_parity((unsigned)(r & 0xff)) ? 0 : RFLAGS_PF;

	if ((r & size_mask(size)) == 0)
		f |= RFLAGS_ZF;
	if ((r >> (size * 8 - 1)) & 1)
		f |= RFLAGS_SF;
	return f;
}

enum shift_kind { SH_SHL, SH_SHR, SH_SAR, SH_ROL, SH_ROR, SH_RCL, SH_RCR };

static void do_shift(struct soft_cpu *cpu, const struct insn *in, enum shift_kind k)
{
	unsigned size = in->op[0].size, bits = size * 8, n = shift_count(cpu, in, size);
	uint64_t m = size_mask(size), a, r, f = 0;
	uint64_t top = 1ull << (bits - 1);
	bool cf = false, of;

	if (n == 0) {
		/* A zero count changes no flag, but the destination is still written: a
		 * 32-bit register is zero-extended, as for every 32-bit write. */
		uint64_t v = op_read(cpu, in, &in->op[0]);

		if (in->op[0].kind == OK_REG && size == 4)
			reg_write(cpu, in->op[0].reg, 4, v);
		return;
	}
	a = r = op_read(cpu, in, &in->op[0]) & m;
	/* Rotates keep SF, ZF, AF, PF and the rotates through carry read CF. */
	if (k >= SH_ROL) {
		f = flags_arith(cpu);
		cf = f & RFLAGS_CF;
	}
	switch (k) {
	case SH_SHL:
		/* Plain shifts set every flag from the operand and count: lazily. */
		r = n < bits ? (a << n) & m : 0;
		op_write(cpu, in, &in->op[0], r);
		flags_lazy(cpu, LF_SHL, size, r, a, n);
		return;
	case SH_SHR:
		r = n < bits ? a >> n : 0;
		op_write(cpu, in, &in->op[0], r);
		flags_lazy(cpu, LF_SHR, size, r, a, n);
		return;
	case SH_SAR:
		r = (uint64_t)((int64_t)sign_extend(a, size) >> (n < bits ? n : bits - 1)) & m;
		op_write(cpu, in, &in->op[0], r);
		flags_lazy(cpu, LF_SAR, size, r, a, n);
		return;
	case SH_ROL: {
		unsigned s = n % bits;

		r = s ? ((a << s) | (a >> (bits - s))) & m : a;
		cf = r & 1;
		of = ((r & top) != 0) != cf;
		f = (f & ~(RFLAGS_CF | RFLAGS_OF)) | (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0);
		break;
	}
	case SH_ROR: {
		unsigned s = n % bits;

		r = s ? ((a >> s) | (a << (bits - s))) & m : a;
		cf = (r & top) != 0;
		of = ((r >> (bits - 1)) ^ (r >> (bits - 2))) & 1;
		f = (f & ~(RFLAGS_CF | RFLAGS_OF)) | (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0);
		break;
	}
	case SH_RCL:
	case SH_RCR: {
		/* Rotate through carry: a (bits+1)-bit rotation; the count is taken modulo
		 * bits + 1 for 8- and 16-bit operands. */
		unsigned s = size <= 2 ? n % (bits + 1) : n;

		for (unsigned i = 0; i < s; i++) {
			bool out;

			if (k == SH_RCL) {
				out = (r & top) != 0;
				r = ((r << 1) | (cf ? 1 : 0)) & m;
			} else {
				out = r & 1;
				r = (r >> 1) | (cf ? top : 0);
			}
			cf = out;
		}
		of = k == SH_RCL ? (((r & top) != 0) != cf) : (((r >> (bits - 1)) ^ (r >> (bits - 2))) & 1);
		f = (f & ~(RFLAGS_CF | RFLAGS_OF)) | (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0);
		break;
	}
	}
	op_write(cpu, in, &in->op[0], r);
	flags_set_arith(cpu, f);
}

static void h_shl(struct soft_cpu *cpu, const struct insn *in)
{
	do_shift(cpu, in, SH_SHL);
}
static void h_shr(struct soft_cpu *cpu, const struct insn *in)
{
	do_shift(cpu, in, SH_SHR);
}
static void h_sar(struct soft_cpu *cpu, const struct insn *in)
{
	do_shift(cpu, in, SH_SAR);
}
static void h_rol(struct soft_cpu *cpu, const struct insn *in)
{
	do_shift(cpu, in, SH_ROL);
}
static void h_ror(struct soft_cpu *cpu, const struct insn *in)
{
	do_shift(cpu, in, SH_ROR);
}
static void h_rcl(struct soft_cpu *cpu, const struct insn *in)
{
	do_shift(cpu, in, SH_RCL);
}
static void h_rcr(struct soft_cpu *cpu, const struct insn *in)
{
	do_shift(cpu, in, SH_RCR);
}

/* SHLD/SHRD: shift op0, filling from op1; count in op2. */
static void do_double_shift(struct soft_cpu *cpu, const struct insn *in, bool left)
{
	unsigned size = in->op[0].size, bits = size * 8;
	unsigned n = (unsigned)(op_read(cpu, in, &in->op[2]) & (size == 8 ? 0x3f : 0x1f));
	uint64_t m = size_mask(size), a = op_read(cpu, in, &in->op[0]) & m, b = op_read(cpu, in, &in->op[1]) & m;
	uint64_t r, f;
	bool cf, of;

	if (n == 0 || n > bits) {
		/* Zero count: no flag changes, but a 32-bit register destination is still
		 * zero-extended. 16-bit operands with counts 17-31: undefined, kept. */
		if (in->op[0].kind == OK_REG && size == 4)
			reg_write(cpu, in->op[0].reg, 4, a);
		return;
	}
	if (left) {
		r = n == bits ? b : ((a << n) | (b >> (bits - n))) & m;
		cf = (a >> (bits - n)) & 1;
	} else {
		r = n == bits ? b : ((a >> n) | (b << (bits - n))) & m;
		cf = (a >> (n - 1)) & 1;
	}
	of = ((r ^ a) >> (bits - 1)) & 1; /* sign changed */
	f = szp(r, size) | (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0);
	op_write(cpu, in, &in->op[0], r);
	flags_set_arith(cpu, f);
}

static void h_shld(struct soft_cpu *cpu, const struct insn *in)
{
	do_double_shift(cpu, in, true);
}
static void h_shrd(struct soft_cpu *cpu, const struct insn *in)
{
	do_double_shift(cpu, in, false);
}

/* ---- bit operations ----------------------------------------------------------- */

enum bt_kind { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };

static void do_bt(struct soft_cpu *cpu, const struct insn *in, enum bt_kind k)
{
	const struct operand *d = &in->op[0];
	unsigned size = d->size, bits = size * 8;
	uint64_t off = op_read(cpu, in, &in->op[1]), v, bit;
	uint64_t ea = 0;
	bool cf;

	if (d->kind == OK_MEM && in->op[1].kind == OK_REG) {
		/* A register bit offset reaches beyond the operand: signed, whole memory. */
		int64_t so = (int64_t)sign_extend(off, in->op[1].size);

		ea = (insn_ea(cpu, in, d) + (uint64_t)((so >> (size == 8   ? 6
							       : size == 4 ? 5
									   : 4)) *
						       (int64_t)size)) &
		     size_mask(in->addrsize);
		bit = (uint64_t)so & (bits - 1);
		/* BTS/BTR/BTC read for a write: checked with write rights, like any RMW. */
		if (k == BT_TEST)
			v = mem_read(cpu, d->seg, ea, size);
		else
			v = mem_read_lin(cpu, seg_lin(cpu, d->seg, ea, size, ACC_WRITE), size, ACC_WRITE);
	} else {
		bit = off & (bits - 1);
		v = op_read(cpu, in, d);
		if (d->kind == OK_MEM)
			ea = insn_ea(cpu, in, d);
	}
	cf = (v >> bit) & 1;
	if (k != BT_TEST) {
		if (k == BT_SET)
			v |= 1ull << bit;
		else if (k == BT_RESET)
			v &= ~(1ull << bit);
		else
			v ^= 1ull << bit;
		if (d->kind == OK_MEM)
			mem_write(cpu, d->seg, ea, size, v);
		else
			reg_write(cpu, d->reg, size, v);
	}
	flags_set_arith(cpu, (flags_arith(cpu) & ~RFLAGS_CF) | (cf ? RFLAGS_CF : 0));
}

static void h_bt(struct soft_cpu *cpu, const struct insn *in)
{
	do_bt(cpu, in, BT_TEST);
}
static void h_bts(struct soft_cpu *cpu, const struct insn *in)
{
	do_bt(cpu, in, BT_SET);
}
static void h_btr(struct soft_cpu *cpu, const struct insn *in)
{
	do_bt(cpu, in, BT_RESET);
}
static void h_btc(struct soft_cpu *cpu, const struct insn *in)
{
	do_bt(cpu, in, BT_COMPLEMENT);
}

/* BSF/BSR: ZF = (source == 0), and then the destination is left unchanged (as
 * AMD documents it); other flags undefined: cleared with ZF kept. */
static void do_bitscan(struct soft_cpu *cpu, const struct insn *in, bool reverse)
{
	unsigned size = in->op[0].size;
	uint64_t v = op_read(cpu, in, &in->op[1]) & size_mask(size);

	if (v == 0) {
		flags_set_arith(cpu, RFLAGS_ZF);
		return;
	}
	reg_write(cpu, in->op[0].reg, size,
		  reverse ? 63u - (unsigned)__builtin_clzll(v) : (unsigned)__builtin_ctzll(v));
	flags_set_arith(cpu, 0);
}

void h_bsf(struct soft_cpu *cpu, const struct insn *in)
{
	do_bitscan(cpu, in, false);
}
void h_bsr(struct soft_cpu *cpu, const struct insn *in)
{
	do_bitscan(cpu, in, true);
}

/* POPCNT: the number of set bits; ZF says whether the source is zero, CF OF
 * SF AF PF are cleared. */
static void h_popcnt(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->op[0].size;
	uint64_t v = op_read(cpu, in, &in->op[1]) & size_mask(size);

	reg_write(cpu, in->op[0].reg, size, (uint64_t)__builtin_popcountll(v));
	flags_set_arith(cpu, v ? 0 : RFLAGS_ZF);
}

static void h_bswap(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->op[0].size;
	uint64_t v = reg_read(cpu, in->op[0].reg, size);

	/* BSWAP of a 16-bit register is undefined; it clears the low word, as AMD and
	 * Intel processors do. */
	v = size == 8 ? __builtin_bswap64(v) : size == 4 ? __builtin_bswap32((uint32_t)v) : 0;
	reg_write(cpu, in->op[0].reg, size, v);
}

const struct dispatch_entry exec_muldiv_table[] = {
	{ ZYDIS_MNEMONIC_MUL, h_mul, 0 },
	{ ZYDIS_MNEMONIC_IMUL, h_imul, 0 },
	{ ZYDIS_MNEMONIC_DIV, h_div, 0 },
	{ ZYDIS_MNEMONIC_IDIV, h_idiv, 0 },
	{ ZYDIS_MNEMONIC_SHL, h_shl, 0 },
	{ ZYDIS_MNEMONIC_SHR, h_shr, 0 },
	{ ZYDIS_MNEMONIC_SAR, h_sar, 0 },
	{ ZYDIS_MNEMONIC_ROL, h_rol, 0 },
	{ ZYDIS_MNEMONIC_ROR, h_ror, 0 },
	{ ZYDIS_MNEMONIC_RCL, h_rcl, 0 },
	{ ZYDIS_MNEMONIC_RCR, h_rcr, 0 },
	{ ZYDIS_MNEMONIC_SHLD, h_shld, 0 },
	{ ZYDIS_MNEMONIC_SHRD, h_shrd, 0 },
	{ ZYDIS_MNEMONIC_BT, h_bt, 0 },
	{ ZYDIS_MNEMONIC_BTS, h_bts, 0 },
	{ ZYDIS_MNEMONIC_BTR, h_btr, 0 },
	{ ZYDIS_MNEMONIC_BTC, h_btc, 0 },
	{ ZYDIS_MNEMONIC_BSF, h_bsf, 0 },
	{ ZYDIS_MNEMONIC_BSR, h_bsr, 0 },
	/* LZCNT and TZCNT are exec_bmi.c's, which runs them as BSR and BSF where
	 * the CPU model lacks LZCNT or BMI1 (the F3 prefix is then ignored). */
	{ ZYDIS_MNEMONIC_POPCNT, h_popcnt, 0 },
	{ ZYDIS_MNEMONIC_BSWAP, h_bswap, 0 },
	{ 0, NULL, 0 },
};
