/* The VEX forms of the SSE2, SSSE3, SSE4.1 and SSE4.2 integer instructions:
 * AVX at 128 bits, AVX2 at 256 (SDM Vol. 2, each instruction's VEX forms;
 * isa_gate.c raises #UD for the width the model lacks).
 *
 * Each operation is the one its legacy file defines (simd_ops.h); what is
 * VEX's own is here: the non-destructive form (destination, VEX.vvvv, r/m),
 * a 128-bit write zeroing bits 128-255 (avx_dst), no alignment for memory
 * operands but VMOVDQA's and the non-temporal moves' (SDM Vol. 2A, 2.5 and
 * table 2-21: exceptions type 4 without the legacy alignment check), and the
 * 256-bit forms running the operation on each 128-bit lane. */
#include <string.h>

#include "engine/softcpu/avx.h"
#include "engine/softcpu/flags.h"
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/simd_ops.h"

static unsigned lanes_of(const struct operand *o)
{
	return o->size == 32 ? 2 : 1;
}

/* ---- three-operand lane operations: r = op(vvvv, r/m) ------------------------- */

static void vex_int_op(struct soft_cpu *cpu, const struct insn *in, simd_int_fn fn)
{
	ymm_t a, b, r;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	b = avx_src(cpu, in, &in->op[2]);
	memset(&r, 0, sizeof(r));
	for (unsigned i = 0; i < lanes_of(&in->op[0]); i++)
		r.lane[i].i = fn(a.lane[i].i, b.lane[i].i);
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

/* Shifts: every lane by the one count in the low quadword of an XMM register,
 * an m128 or an imm8 (the r/m operand is then the value shifted). */
static void vex_shift_op(struct soft_cpu *cpu, const struct insn *in, simd_int_fn fn)
{
	ymm_t a, count, r;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	count = avx_src(cpu, in, &in->op[2]);
	memset(&r, 0, sizeof(r));
	for (unsigned i = 0; i < lanes_of(&in->op[0]); i++)
		r.lane[i].i = fn(a.lane[i].i, count.lane[0].i);
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

/* SSSE3's operations; the absolute values (`unary`) have only an r/m source,
 * VPALIGNR's parameter is its imm8. */
static void vex_ssse3_op(struct soft_cpu *cpu, const struct insn *in, ssse3_fn fn, unsigned param, bool unary)
{
	ymm_t a, b, r;

	avx_check(cpu);
	memset(&a, 0, sizeof(a));
	if (!unary)
		a = avx_src(cpu, in, &in->op[1]);
	b = avx_src(cpu, in, &in->op[unary ? 1 : 2]);
	memset(&r, 0, sizeof(r));
	for (unsigned i = 0; i < lanes_of(&in->op[0]); i++)
		fn(&r.lane[i], &a.lane[i], &b.lane[i], 16, param);
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

static void vex_xmm_op(struct soft_cpu *cpu, const struct insn *in, xmm_binop_fn fn)
{
	ymm_t a, b;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	b = avx_src(cpu, in, &in->op[2]);
	for (unsigned i = 0; i < lanes_of(&in->op[0]); i++)
		fn(&a.lane[i], &b.lane[i]);
	avx_dst(cpu, in, &in->op[0], &a, 0);
}

#define VEX_INT_HANDLER(name, NAME)                                                                                    \
	static void h_v##name(struct soft_cpu *cpu, const struct insn *in)                                             \
	{                                                                                                              \
		vex_int_op(cpu, in, simd_##name);                                                                      \
	}
#define VEX_SHIFT_HANDLER(name, NAME)                                                                                  \
	static void h_v##name(struct soft_cpu *cpu, const struct insn *in)                                             \
	{                                                                                                              \
		vex_shift_op(cpu, in, simd_##name);                                                                    \
	}
#define VEX_SSSE3_HANDLER(name, NAME, fn, param)                                                                       \
	static void h_v##name(struct soft_cpu *cpu, const struct insn *in)                                             \
	{                                                                                                              \
		vex_ssse3_op(cpu, in, fn, param, false);                                                               \
	}
#define VEX_UNARY_HANDLER(name, NAME, fn, param)                                                                       \
	static void h_v##name(struct soft_cpu *cpu, const struct insn *in)                                             \
	{                                                                                                              \
		vex_ssse3_op(cpu, in, fn, param, true);                                                                \
	}
#define VEX_XMM_HANDLER(name, NAME)                                                                                    \
	static void h_v##name(struct soft_cpu *cpu, const struct insn *in)                                             \
	{                                                                                                              \
		vex_xmm_op(cpu, in, simd_##name);                                                                      \
	}

SSE2_LANE_OPS(VEX_INT_HANDLER)
SSE2_SHIFT_OPS(VEX_SHIFT_HANDLER)
SSSE3_LANE_OPS(VEX_SSSE3_HANDLER)
SSSE3_UNARY_OPS(VEX_UNARY_HANDLER)
SSE41_LANE_OPS(VEX_XMM_HANDLER)

static void h_vpalignr(struct soft_cpu *cpu, const struct insn *in)
{
	vex_ssse3_op(cpu, in, simd_palignr, (unsigned)(in->op[3].imm & 0xff), false);
}

/* ---- immediate-controlled, lane by lane ------------------------------------------ */

/* VPSLLDQ/VPSRLDQ ymm1, ymm2, imm8: each lane shifted on its own. */
static void byte_shift(struct soft_cpu *cpu, const struct insn *in, bool left)
{
	ymm_t a;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	for (unsigned i = 0; i < lanes_of(&in->op[0]); i++)
		a.lane[i] = simd_byte_shift(&a.lane[i], (unsigned)(in->op[2].imm & 0xff), left);
	avx_dst(cpu, in, &in->op[0], &a, 0);
}

static void h_vpslldq(struct soft_cpu *cpu, const struct insn *in)
{
	byte_shift(cpu, in, true);
}

static void h_vpsrldq(struct soft_cpu *cpu, const struct insn *in)
{
	byte_shift(cpu, in, false);
}

typedef xmm_t (*shuffle_fn)(const xmm_t *d, const xmm_t *s, unsigned imm);

/* VPSHUFD/HW/LW x/ymm1, x/ymm2/m, imm8: the same imm8 in each lane. */
static void shuffle(struct soft_cpu *cpu, const struct insn *in, shuffle_fn fn)
{
	ymm_t s;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	for (unsigned i = 0; i < lanes_of(&in->op[0]); i++)
		s.lane[i] = fn(NULL, &s.lane[i], (unsigned)in->op[2].imm);
	avx_dst(cpu, in, &in->op[0], &s, 0);
}

static void h_vpshufd(struct soft_cpu *cpu, const struct insn *in)
{
	shuffle(cpu, in, simd_pshufd);
}

static void h_vpshuflw(struct soft_cpu *cpu, const struct insn *in)
{
	shuffle(cpu, in, simd_pshuflw);
}

static void h_vpshufhw(struct soft_cpu *cpu, const struct insn *in)
{
	shuffle(cpu, in, simd_pshufhw);
}

/* VMPSADBW: the low lane by imm[2:0], the high lane by imm[5:3]. */
static void h_vmpsadbw(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned imm = (unsigned)in->op[3].imm;
	ymm_t a, b;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	b = avx_src(cpu, in, &in->op[2]);
	for (unsigned i = 0; i < lanes_of(&in->op[0]); i++)
		a.lane[i] = simd_mpsadbw(&a.lane[i], &b.lane[i], imm >> (3 * i));
	avx_dst(cpu, in, &in->op[0], &a, 0);
}

/* VPBLENDW: imm8 selects the words of each lane alike. */
static void h_vpblendw(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t a, b;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	b = avx_src(cpu, in, &in->op[2]);
	for (unsigned i = 0; i < lanes_of(&in->op[0]); i++)
		simd_blend(a.lane[i].b, b.lane[i].b, 2, 8, (uint32_t)in->op[3].imm & 0xff);
	avx_dst(cpu, in, &in->op[0], &a, 0);
}

/* VPBLENDVB x/ymm1, x/ymm2, x/ymm3/m, x/ymm4: the mask is the fourth operand. */
static void h_vpblendvb(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned n = in->op[0].size;
	ymm_t a, b, mask;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	b = avx_src(cpu, in, &in->op[2]);
	mask = avx_src(cpu, in, &in->op[3]);
	simd_blend(a.b, b.b, 1, n, simd_blend_select(mask.b, 1, n));
	avx_dst(cpu, in, &in->op[0], &a, 0);
}

/* ---- whole-register operations ---------------------------------------------------- */

/* VPMOVSX/VPMOVZX: the 256-bit forms extend twice the elements of an XMM
 * register or memory operand, not lane by lane. */
static void extend(struct soft_cpu *cpu, const struct insn *in, unsigned from, unsigned to, bool is_signed)
{
	ymm_t s, r;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	simd_extend(r.b, s.b, in->op[0].size / to, from, to, is_signed);
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

#define VEX_EXTEND_HANDLER(name, NAME, from, to, is_signed)                                                            \
	static void h_v##name(struct soft_cpu *cpu, const struct insn *in)                                             \
	{                                                                                                              \
		extend(cpu, in, from, to, is_signed);                                                                  \
	}

SSE41_EXTEND_OPS(VEX_EXTEND_HANDLER)

/* VPTEST x/ymm1, x/ymm2/m: flags over the whole width. */
static void h_vptest(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t d, s;

	avx_check(cpu);
	d = avx_src(cpu, in, &in->op[0]);
	s = avx_src(cpu, in, &in->op[1]);
	flags_set_arith(cpu, simd_ptest_flags(d.q, s.q, in->op[0].size / 8u));
}

/* VPHMINPOSUW xmm1, xmm2/m128 (VEX.128 only). */
static void h_vphminposuw(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t s, r;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	memset(&r, 0, sizeof(r));
	simd_phminposuw(&r.lane[0], &s.lane[0]);
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

/* VPMOVMSKB r32/r64, x/ymm: the top bit of each byte; the rest zero. */
static void h_vpmovmskb(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t s;
	uint32_t m;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	m = simd_blend_select(s.b, 1, in->op[1].size);
	reg_write(cpu, in->op[0].reg, in->op[0].size, m);
}

/* ---- element inserts and extracts (VEX.128 only) ------------------------------------ */

#define VEX_EXTRACT(name, size)                                                                                        \
	static void h_##name(struct soft_cpu *cpu, const struct insn *in)                                              \
	{                                                                                                              \
		avx_check(cpu);                                                                                        \
		simd_extract(cpu, in, size);                                                                           \
	}

VEX_EXTRACT(vpextrb, 1)
VEX_EXTRACT(vpextrw, 2)
VEX_EXTRACT(vpextrd, 4)
VEX_EXTRACT(vpextrq, 8)

/* VPINSRx xmm1, xmm2, r32/r64/m, imm8. */
static void insert(struct soft_cpu *cpu, const struct insn *in, unsigned size)
{
	ymm_t d;
	uint64_t v;

	avx_check(cpu);
	d = avx_src(cpu, in, &in->op[1]);
	v = op_read(cpu, in, &in->op[2]);
	simd_insert(&d.lane[0], size, (unsigned)in->op[3].imm, v);
	avx_dst(cpu, in, &in->op[0], &d, 0);
}

#define VEX_INSERT(name, size)                                                                                         \
	static void h_##name(struct soft_cpu *cpu, const struct insn *in)                                              \
	{                                                                                                              \
		insert(cpu, in, size);                                                                                 \
	}

VEX_INSERT(vpinsrb, 1)
VEX_INSERT(vpinsrw, 2)
VEX_INSERT(vpinsrd, 4)
VEX_INSERT(vpinsrq, 8)

/* ---- string compares (VEX.128 only) ------------------------------------------------- */

static void h_vpcmpestri(struct soft_cpu *cpu, const struct insn *in)
{
	simd_str_index(cpu, in, true, true);
}

static void h_vpcmpistri(struct soft_cpu *cpu, const struct insn *in)
{
	simd_str_index(cpu, in, false, true);
}

static void h_vpcmpestrm(struct soft_cpu *cpu, const struct insn *in)
{
	simd_str_mask(cpu, in, true, true);
}

static void h_vpcmpistrm(struct soft_cpu *cpu, const struct insn *in)
{
	simd_str_mask(cpu, in, false, true);
}

#define VEX_ENTRY(name, NAME, ...) { ZYDIS_MNEMONIC_V##NAME, h_v##name, 0 },

const struct dispatch_entry exec_avx_int_table[] = {
	/* clang-format off */
	SSE2_LANE_OPS(VEX_ENTRY)
	SSE2_SHIFT_OPS(VEX_ENTRY)
	SSSE3_LANE_OPS(VEX_ENTRY)
	SSSE3_UNARY_OPS(VEX_ENTRY)
	SSE41_LANE_OPS(VEX_ENTRY)
	SSE41_EXTEND_OPS(VEX_ENTRY)
	/* clang-format on */
	{ ZYDIS_MNEMONIC_VPALIGNR, h_vpalignr, 0 },
	{ ZYDIS_MNEMONIC_VPSLLDQ, h_vpslldq, 0 },
	{ ZYDIS_MNEMONIC_VPSRLDQ, h_vpsrldq, 0 },
	{ ZYDIS_MNEMONIC_VPSHUFD, h_vpshufd, 0 },
	{ ZYDIS_MNEMONIC_VPSHUFLW, h_vpshuflw, 0 },
	{ ZYDIS_MNEMONIC_VPSHUFHW, h_vpshufhw, 0 },
	{ ZYDIS_MNEMONIC_VMPSADBW, h_vmpsadbw, 0 },
	{ ZYDIS_MNEMONIC_VPBLENDW, h_vpblendw, 0 },
	{ ZYDIS_MNEMONIC_VPBLENDVB, h_vpblendvb, 0 },
	{ ZYDIS_MNEMONIC_VPTEST, h_vptest, 0 },
	{ ZYDIS_MNEMONIC_VPHMINPOSUW, h_vphminposuw, 0 },
	{ ZYDIS_MNEMONIC_VPMOVMSKB, h_vpmovmskb, 0 },
	{ ZYDIS_MNEMONIC_VPEXTRB, h_vpextrb, 0 },
	{ ZYDIS_MNEMONIC_VPEXTRW, h_vpextrw, 0 },
	{ ZYDIS_MNEMONIC_VPEXTRD, h_vpextrd, 0 },
	{ ZYDIS_MNEMONIC_VPEXTRQ, h_vpextrq, 0 },
	{ ZYDIS_MNEMONIC_VPINSRB, h_vpinsrb, 0 },
	{ ZYDIS_MNEMONIC_VPINSRW, h_vpinsrw, 0 },
	{ ZYDIS_MNEMONIC_VPINSRD, h_vpinsrd, 0 },
	{ ZYDIS_MNEMONIC_VPINSRQ, h_vpinsrq, 0 },
	{ ZYDIS_MNEMONIC_VPCMPESTRI, h_vpcmpestri, 0 },
	{ ZYDIS_MNEMONIC_VPCMPISTRI, h_vpcmpistri, 0 },
	{ ZYDIS_MNEMONIC_VPCMPESTRM, h_vpcmpestrm, 0 },
	{ ZYDIS_MNEMONIC_VPCMPISTRM, h_vpcmpistrm, 0 },
	{ 0, NULL, 0 },
};
