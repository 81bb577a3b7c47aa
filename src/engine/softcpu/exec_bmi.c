/* The general-register extensions of x86-64-v3: BMI1 (ANDN, BEXTR, BLSI,
 * BLSMSK, BLSR, TZCNT), BMI2 (BZHI, MULX, PDEP, PEXT, RORX, SARX, SHLX,
 * SHRX), LZCNT and MOVBE (Intel SDM Vol. 2, each instruction's page; AMD APM
 * Vol. 3, the same pages).
 *
 * The VEX-encoded ones are the SDM's "VEX-encoded GPR instructions" (Vol. 2A,
 * 2.8, exception class 13): #UD in real and virtual-8086 mode, and with
 * VEX.L = 1 or a 66, F2, F3, REX or LOCK prefix before VEX (Zydis refuses
 * those encodings); no CR4.OSXSAVE, XCR0 or CR0.TS check, as they touch no
 * SIMD state. In 32-bit modes VEX.W is ignored: the operand size is 32.
 *
 * Where the manuals leave a flag undefined, it is set as the modelled AMD
 * processor (the Zen 3 host) sets it, found by running each instruction
 * there (tests/unit/test_softcpu_bmi.c compares every flag):
 * ANDN, BLSI, BLSMSK, BLSR, BZHI: PF from the result, AF cleared;
 * BEXTR: PF from the result, AF set, SF cleared;
 * TZCNT, LZCNT: SF, AF and PF cleared, OF unchanged. */
#include "engine/softcpu/flags.h"
#include "engine/softcpu/handlers.h"
#include "x86/cpu_model.h"

static void vex_gpr_check(struct soft_cpu *cpu)
{
	if (cpu->mode == MODE_REAL || (cpu->rflags & RFLAGS_VM))
		cpu_raise_ud(cpu);
}

/* PF as the processor computes it: even parity of the result's low byte. */
static uint64_t parity_flag(uint64_t res)
{
	return __builtin_parity((unsigned)(res & 0xff)) ? 0 : RFLAGS_PF;
}

/* SF, ZF and PF of a result of `size` bytes. */
static uint64_t result_flags(uint64_t res, unsigned size)
{
	res &= size_mask(size);
	return (res == 0 ? RFLAGS_ZF : 0) | ((res >> (size * 8 - 1)) & 1 ? RFLAGS_SF : 0) | parity_flag(res);
}

/* op[0] = f(op[1], op[2]) at op[0]'s size. */
static uint64_t src(struct soft_cpu *cpu, const struct insn *in, unsigned i)
{
	return op_read(cpu, in, &in->op[i]) & size_mask(in->op[0].size);
}

/* ---- BMI1 -------------------------------------------------------------------- */

/* ANDN r, vvvv, r/m: ~vvvv & r/m. SF ZF from the result, CF OF cleared. */
static void h_andn(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->op[0].size;
	uint64_t res;

	vex_gpr_check(cpu);
	res = ~src(cpu, in, 1) & src(cpu, in, 2);
	reg_write(cpu, in->op[0].reg, size, res);
	flags_set_arith(cpu, result_flags(res, size));
}

/* BEXTR r, r/m, vvvv: the field of r/m that starts at vvvv[7:0] and is
 * vvvv[15:8] bits long; bits past the operand read as zero. ZF from the
 * result, CF OF cleared. */
static void h_bextr(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->op[0].size, bits = size * 8;
	uint64_t v, ctl, res = 0;
	unsigned start, len;

	vex_gpr_check(cpu);
	v = src(cpu, in, 1);
	ctl = src(cpu, in, 2);
	start = (unsigned)(ctl & 0xff);
	len = (unsigned)((ctl >> 8) & 0xff);
	if (start < bits) {
		res = v >> start;
		if (len < 64)
			res &= (1ull << len) - 1;
	}
	reg_write(cpu, in->op[0].reg, size, res);
	flags_set_arith(cpu, (res == 0 ? RFLAGS_ZF : 0) | parity_flag(res) | RFLAGS_AF);
}

enum bls_op { BLS_ISOLATE, BLS_MASK, BLS_RESET };

/* BLSI (lowest set bit alone; CF = source != 0), BLSMSK (up to and with the
 * lowest set bit; CF = source == 0, ZF cleared), BLSR (lowest set bit
 * cleared; CF = source == 0). The destination is VEX.vvvv, op[0]. */
static void do_bls(struct soft_cpu *cpu, const struct insn *in, enum bls_op op)
{
	unsigned size = in->op[0].size;
	uint64_t v, res, fl;

	vex_gpr_check(cpu);
	v = src(cpu, in, 1);
	switch (op) {
	case BLS_ISOLATE:
		res = v & (0 - v);
		fl = result_flags(res, size) | (v ? RFLAGS_CF : 0);
		break;
	case BLS_MASK:
		res = (v ^ (v - 1)) & size_mask(size);
		fl = (result_flags(res, size) & ~RFLAGS_ZF) | (v ? 0 : RFLAGS_CF);
		break;
	default:
		res = v & (v - 1);
		fl = result_flags(res, size) | (v ? 0 : RFLAGS_CF);
		break;
	}
	reg_write(cpu, in->op[0].reg, size, res);
	flags_set_arith(cpu, fl);
}

static void h_blsi(struct soft_cpu *cpu, const struct insn *in)
{
	do_bls(cpu, in, BLS_ISOLATE);
}
static void h_blsmsk(struct soft_cpu *cpu, const struct insn *in)
{
	do_bls(cpu, in, BLS_MASK);
}
static void h_blsr(struct soft_cpu *cpu, const struct insn *in)
{
	do_bls(cpu, in, BLS_RESET);
}

/* TZCNT and LZCNT: the count of trailing or leading zero bits (the operand
 * size for zero); CF = source == 0, ZF = result == 0. F3 0F BC / BD are BSF
 * and BSR with an ignored prefix on a processor without BMI1 / LZCNT
 * (isa_gate.c lets them through): so they run here where the model lacks
 * the flag. */
static void do_count_zeros(struct soft_cpu *cpu, const struct insn *in, bool leading)
{
	unsigned size = in->op[0].size, bits = size * 8;
	uint64_t v = src(cpu, in, 1);
	unsigned n;

	if (v == 0)
		n = bits;
	else
		n = leading ? (unsigned)__builtin_clzll(v) - (64 - bits) : (unsigned)__builtin_ctzll(v);
	reg_write(cpu, in->op[0].reg, size, n);
	flags_set_arith(cpu, (flags_arith(cpu) & RFLAGS_OF) | (v ? 0 : RFLAGS_CF) | (n ? 0 : RFLAGS_ZF));
}

static void h_tzcnt(struct soft_cpu *cpu, const struct insn *in)
{
	if (!cpu_model_has(cpu->model, CPUID_F_BMI1)) {
		h_bsf(cpu, in);
		return;
	}
	do_count_zeros(cpu, in, false);
}

static void h_lzcnt(struct soft_cpu *cpu, const struct insn *in)
{
	if (!cpu_model_has(cpu->model, CPUID_F_LZCNT)) {
		h_bsr(cpu, in);
		return;
	}
	do_count_zeros(cpu, in, true);
}

/* ---- BMI2 -------------------------------------------------------------------- */

/* BZHI r, r/m, vvvv: r/m with the bits from vvvv[7:0] up cleared; CF set
 * when that index is past the operand (which is then copied whole). SF ZF
 * from the result, OF cleared. */
static void h_bzhi(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->op[0].size, bits = size * 8;
	uint64_t v, res;
	unsigned n;

	vex_gpr_check(cpu);
	v = src(cpu, in, 1);
	n = (unsigned)(src(cpu, in, 2) & 0xff);
	res = n < bits ? v & ((1ull << n) - 1) : v;
	reg_write(cpu, in->op[0].reg, size, res);
	flags_set_arith(cpu, result_flags(res, size) | (n > bits - 1 ? RFLAGS_CF : 0));
}

/* MULX hi, lo, r/m: EDX/RDX times r/m, unsigned; the low half to VEX.vvvv,
 * then the high half to ModRM.reg (which wins when both name one register).
 * Flags unaffected. */
static void h_mulx(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->op[0].size;
	uint64_t a, b, lo, hi;

	vex_gpr_check(cpu);
	a = reg_read(cpu, GPR_RDX, size);
	b = src(cpu, in, 2);
	if (size == 8) {
		unsigned __int128 p = (unsigned __int128)a * b;

		lo = (uint64_t)p;
		hi = (uint64_t)(p >> 64);
	} else {
		uint64_t p = a * b;

		lo = p & 0xffffffff;
		hi = p >> 32;
	}
	reg_write(cpu, in->op[1].reg, size, lo);
	reg_write(cpu, in->op[0].reg, size, hi);
}

/* PDEP r, vvvv, mask: the low bits of vvvv deposited, in order, at the mask's
 * set bits. PEXT r, vvvv, mask: vvvv's bits at the mask's set bits gathered
 * into the low bits. Flags unaffected. */
static void h_pdep(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t v, mask, res = 0, k = 1;

	vex_gpr_check(cpu);
	v = src(cpu, in, 1);
	mask = src(cpu, in, 2);
	for (; mask; mask &= mask - 1, k <<= 1)
		if (v & k)
			res |= mask & (0 - mask);
	reg_write(cpu, in->op[0].reg, in->op[0].size, res);
}

static void h_pext(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t v, mask, res = 0, k = 1;

	vex_gpr_check(cpu);
	v = src(cpu, in, 1);
	mask = src(cpu, in, 2);
	for (; mask; mask &= mask - 1, k <<= 1)
		if (v & mask & (0 - mask))
			res |= k;
	reg_write(cpu, in->op[0].reg, in->op[0].size, res);
}

/* RORX r, r/m, imm8: rotate right by imm8 modulo the operand size. */
static void h_rorx(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->op[0].size, bits = size * 8;
	uint64_t v;
	unsigned n;

	vex_gpr_check(cpu);
	v = src(cpu, in, 1);
	n = (unsigned)in->op[2].imm & (bits - 1);
	if (n)
		v = ((v >> n) | (v << (bits - n))) & size_mask(size);
	reg_write(cpu, in->op[0].reg, size, v);
}

enum shiftx_op { SHIFTX_SAR, SHIFTX_SHL, SHIFTX_SHR };

/* SARX, SHLX, SHRX r, r/m, vvvv: the count is vvvv modulo the operand size;
 * flags unaffected. */
static void do_shiftx(struct soft_cpu *cpu, const struct insn *in, enum shiftx_op op)
{
	unsigned size = in->op[0].size;
	uint64_t v, res;
	unsigned n;

	vex_gpr_check(cpu);
	v = src(cpu, in, 1);
	n = (unsigned)src(cpu, in, 2) & (size * 8 - 1);
	if (op == SHIFTX_SHL)
		res = v << n;
	else if (op == SHIFTX_SHR)
		res = v >> n;
	else
		res = (uint64_t)((int64_t)sign_extend(v, size) >> n);
	reg_write(cpu, in->op[0].reg, size, res & size_mask(size));
}

static void h_sarx(struct soft_cpu *cpu, const struct insn *in)
{
	do_shiftx(cpu, in, SHIFTX_SAR);
}
static void h_shlx(struct soft_cpu *cpu, const struct insn *in)
{
	do_shiftx(cpu, in, SHIFTX_SHL);
}
static void h_shrx(struct soft_cpu *cpu, const struct insn *in)
{
	do_shiftx(cpu, in, SHIFTX_SHR);
}

/* ---- MOVBE -------------------------------------------------------------------- */

/* MOVBE r, m or m, r: a move with the bytes reversed; a register destination
 * of 16 bits keeps its upper bits, one of 32 is zero-extended. One operand
 * is always memory (the register-register form is CRC32's encoding). */
static void h_movbe(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned size = in->op[0].size;
	uint64_t v = op_read(cpu, in, &in->op[1]);

	if (size == 8)
		v = __builtin_bswap64(v);
	else if (size == 4)
		v = __builtin_bswap32((uint32_t)v);
	else
		v = __builtin_bswap16((uint16_t)v);
	op_write(cpu, in, &in->op[0], v);
}

const struct dispatch_entry exec_bmi_table[] = {
	{ ZYDIS_MNEMONIC_ANDN, h_andn, 0 },
	{ ZYDIS_MNEMONIC_BEXTR, h_bextr, 0 },
	{ ZYDIS_MNEMONIC_BLSI, h_blsi, 0 },
	{ ZYDIS_MNEMONIC_BLSMSK, h_blsmsk, 0 },
	{ ZYDIS_MNEMONIC_BLSR, h_blsr, 0 },
	{ ZYDIS_MNEMONIC_TZCNT, h_tzcnt, 0 },
	{ ZYDIS_MNEMONIC_LZCNT, h_lzcnt, 0 },
	{ ZYDIS_MNEMONIC_BZHI, h_bzhi, 0 },
	{ ZYDIS_MNEMONIC_MULX, h_mulx, 0 },
	{ ZYDIS_MNEMONIC_PDEP, h_pdep, 0 },
	{ ZYDIS_MNEMONIC_PEXT, h_pext, 0 },
	{ ZYDIS_MNEMONIC_RORX, h_rorx, 0 },
	{ ZYDIS_MNEMONIC_SARX, h_sarx, 0 },
	{ ZYDIS_MNEMONIC_SHLX, h_shlx, 0 },
	{ ZYDIS_MNEMONIC_SHRX, h_shrx, 0 },
	{ ZYDIS_MNEMONIC_MOVBE, h_movbe, 0 },
	{ 0, NULL, 0 },
};
