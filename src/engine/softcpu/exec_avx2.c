/* The AVX2 instructions that have no SSE ancestor (SDM Vol. 2, each
 * instruction's page): the integer broadcasts, the cross-lane permutes and
 * 128-bit inserts and extracts, VPBLENDD, the shifts by a count per element,
 * and the masked moves, whose masked-off elements are never accessed and so
 * never fault. (The gathers are in exec_gather.c.) */
#include <string.h>

#include "engine/softcpu/avx.h"
#include "engine/softcpu/avx2_mem.h"
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/simd_ops.h"

/* ---- broadcasts ------------------------------------------------------------------- */

/* VPBROADCASTB/W/D/Q x/ymm1, xmm2/m: the low element of `size` bytes in every
 * element; VBROADCASTI128 ymm1, m128 (size 16) the same with both lanes. */
static void broadcast(struct soft_cpu *cpu, const struct insn *in, unsigned size)
{
	ymm_t s, r;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	for (unsigned i = 0; i < in->op[0].size; i += size)
		memcpy(r.b + i, s.b, size);
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

#define BROADCAST(name, size)                                                                                          \
	static void h_##name(struct soft_cpu *cpu, const struct insn *in)                                              \
	{                                                                                                              \
		broadcast(cpu, in, size);                                                                              \
	}

BROADCAST(vpbroadcastb, 1)
BROADCAST(vpbroadcastw, 2)
BROADCAST(vpbroadcastd, 4)
BROADCAST(vpbroadcastq, 8)
BROADCAST(vbroadcasti128, 16)

/* ---- permutes, inserts, extracts, VPBLENDD ----------------------------------------- */

/* VPERMD ymm1, ymm2, ymm3/m256: doubleword i of ymm3 at ymm2's index i. */
static void h_vpermd(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t idx, s, r;

	avx_check(cpu);
	idx = avx_src(cpu, in, &in->op[1]);
	s = avx_src(cpu, in, &in->op[2]);
	for (unsigned i = 0; i < 8; i++)
		r.d[i] = s.d[idx.d[i] & 7];
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

/* VPERMQ ymm1, ymm2/m256, imm8: quadword i from imm[2i+1:2i]. */
static void h_vpermq(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned imm = (unsigned)in->op[2].imm;
	ymm_t s, r;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	for (unsigned i = 0; i < 4; i++)
		r.q[i] = s.q[(imm >> (2 * i)) & 3];
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

/* VPERM2I128 ymm1, ymm2, ymm3/m256, imm8: each result lane is the lane
 * imm[1:0] (imm[5:4] for the high one) of ymm2:ymm3, zero with imm[3] (imm[7]). */
static void h_vperm2i128(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned imm = (unsigned)in->op[3].imm;
	xmm_t from[4];
	ymm_t a, b, r;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	b = avx_src(cpu, in, &in->op[2]);
	from[0] = a.lane[0];
	from[1] = a.lane[1];
	from[2] = b.lane[0];
	from[3] = b.lane[1];
	for (unsigned i = 0; i < 2; i++) {
		unsigned sel = imm >> (4 * i);

		if (sel & 8)
			memset(&r.lane[i], 0, 16);
		else
			r.lane[i] = from[sel & 3];
	}
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

/* VINSERTI128 ymm1, ymm2, xmm3/m128, imm8: ymm2 with lane imm[0] replaced. */
static void h_vinserti128(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t a, b;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	b = avx_src(cpu, in, &in->op[2]);
	a.lane[in->op[3].imm & 1] = b.lane[0];
	avx_dst(cpu, in, &in->op[0], &a, 0);
}

/* VEXTRACTI128 xmm1/m128, ymm2, imm8: lane imm[0]; an XMM destination has
 * its upper half zeroed. */
static void h_vextracti128(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t s, r;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	memset(&r, 0, sizeof(r));
	r.lane[0] = s.lane[in->op[2].imm & 1];
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

/* VPBLENDD: doubleword i from the r/m operand where imm[i] is set. */
static void h_vpblendd(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t a, b;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	b = avx_src(cpu, in, &in->op[2]);
	simd_blend(a.b, b.b, 4, in->op[0].size / 4u, (uint32_t)in->op[3].imm & 0xff);
	avx_dst(cpu, in, &in->op[0], &a, 0);
}

/* ---- shifts by a count per element ----------------------------------------------------- */

enum vshift { VSHIFT_LEFT, VSHIFT_RIGHT, VSHIFT_ARITH };

/* VPSLLV/VPSRLV D/Q, VPSRAVD: element i of vvvv shifted by element i of r/m
 * (the whole element as an unsigned count); a count of the element's width
 * or more gives 0, or the sign in every bit for VPSRAVD. */
static void shift_variable(struct soft_cpu *cpu, const struct insn *in, unsigned size, enum vshift kind)
{
	unsigned bits = size * 8;
	ymm_t a, c;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	c = avx_src(cpu, in, &in->op[2]);
	for (unsigned i = 0; i < in->op[0].size / size; i++) {
		uint64_t v = size == 4 ? a.d[i] : a.q[i], n = size == 4 ? c.d[i] : c.q[i];
		uint64_t sign = (v >> (bits - 1)) & 1;

		if (kind == VSHIFT_ARITH)
			v = n >= bits ? (sign ? ~0ull : 0) : (uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits + n));
		else if (n >= bits)
			v = 0;
		else
			v = kind == VSHIFT_LEFT ? v << n : v >> n;
		if (size == 4)
			a.d[i] = (uint32_t)v;
		else
			a.q[i] = v;
	}
	avx_dst(cpu, in, &in->op[0], &a, 0);
}

#define SHIFT_VARIABLE(name, size, kind)                                                                               \
	static void h_##name(struct soft_cpu *cpu, const struct insn *in)                                              \
	{                                                                                                              \
		shift_variable(cpu, in, size, kind);                                                                   \
	}

SHIFT_VARIABLE(vpsllvd, 4, VSHIFT_LEFT)
SHIFT_VARIABLE(vpsllvq, 8, VSHIFT_LEFT)
SHIFT_VARIABLE(vpsrlvd, 4, VSHIFT_RIGHT)
SHIFT_VARIABLE(vpsrlvq, 8, VSHIFT_RIGHT)
SHIFT_VARIABLE(vpsravd, 4, VSHIFT_ARITH)

/* ---- masked moves ------------------------------------------------------------------------- */

uint64_t avx2_element_read(struct soft_cpu *cpu, unsigned seg, uint64_t ea, unsigned size)
{
	return mem_read_lin(cpu, seg_lin(cpu, seg, ea, size, ACC_READ), size, ACC_READ | ACC_NO_ALIGN);
}

/* VPMASKMOVD/Q x/ymm1, x/ymm2, m (load): the elements whose mask element
 * (x/ymm2) has its top bit set are read, the others are zero and never
 * accessed. VPMASKMOVD/Q m, x/ymm1 (mask), x/ymm2 (store): only the selected
 * elements are written, every one of them checked before the first is, so a
 * fault writes nothing. No element is alignment-checked (avx2_mem.h). */
static void masked_move(struct soft_cpu *cpu, const struct insn *in, unsigned size)
{
	bool store = in->op[0].kind == OK_MEM;
	const struct operand *m = &in->op[store ? 0 : 2];
	unsigned bytes = in->op[1].size, count = bytes / size;
	uint64_t ea, lin[8];
	uint32_t sel;
	ymm_t mask, v;

	avx_check(cpu);
	mask = avx_src(cpu, in, &in->op[1]);
	sel = simd_blend_select(mask.b, size, count);
	ea = insn_ea(cpu, in, m);
	if (!store) {
		memset(&v, 0, sizeof(v));
		for (unsigned i = 0; i < count; i++) {
			uint64_t x;

			if (!(sel & (1u << i)))
				continue;
			x = avx2_element_read(cpu, m->seg, (ea + i * size) & size_mask(in->addrsize), size);
			memcpy(v.b + i * size, &x, size);
		}
		avx_dst(cpu, in, &in->op[0], &v, 0);
		return;
	}
	v = avx_src(cpu, in, &in->op[2]);
	for (unsigned i = 0; i < count; i++)
		if (sel & (1u << i))
			lin[i] = mem_block_writable(cpu, m->seg, (ea + i * size) & size_mask(in->addrsize), size, 0);
	for (unsigned i = 0; i < count; i++) {
		uint64_t x = 0;

		memcpy(&x, v.b + i * size, size);
		if (sel & (1u << i))
			mem_write_lin(cpu, lin[i], size, x, ACC_WRITE | ACC_NO_ALIGN);
	}
}

static void h_vpmaskmovd(struct soft_cpu *cpu, const struct insn *in)
{
	masked_move(cpu, in, 4);
}

static void h_vpmaskmovq(struct soft_cpu *cpu, const struct insn *in)
{
	masked_move(cpu, in, 8);
}

const struct dispatch_entry exec_avx2_table[] = {
	{ ZYDIS_MNEMONIC_VPBROADCASTB, h_vpbroadcastb, 0 },
	{ ZYDIS_MNEMONIC_VPBROADCASTW, h_vpbroadcastw, 0 },
	{ ZYDIS_MNEMONIC_VPBROADCASTD, h_vpbroadcastd, 0 },
	{ ZYDIS_MNEMONIC_VPBROADCASTQ, h_vpbroadcastq, 0 },
	{ ZYDIS_MNEMONIC_VBROADCASTI128, h_vbroadcasti128, 0 },
	{ ZYDIS_MNEMONIC_VPERMD, h_vpermd, 0 },
	{ ZYDIS_MNEMONIC_VPERMQ, h_vpermq, 0 },
	{ ZYDIS_MNEMONIC_VPERM2I128, h_vperm2i128, 0 },
	{ ZYDIS_MNEMONIC_VINSERTI128, h_vinserti128, 0 },
	{ ZYDIS_MNEMONIC_VEXTRACTI128, h_vextracti128, 0 },
	{ ZYDIS_MNEMONIC_VPBLENDD, h_vpblendd, 0 },
	{ ZYDIS_MNEMONIC_VPSLLVD, h_vpsllvd, 0 },
	{ ZYDIS_MNEMONIC_VPSLLVQ, h_vpsllvq, 0 },
	{ ZYDIS_MNEMONIC_VPSRLVD, h_vpsrlvd, 0 },
	{ ZYDIS_MNEMONIC_VPSRLVQ, h_vpsrlvq, 0 },
	{ ZYDIS_MNEMONIC_VPSRAVD, h_vpsravd, 0 },
	{ ZYDIS_MNEMONIC_VPMASKMOVD, h_vpmaskmovd, 0 },
	{ ZYDIS_MNEMONIC_VPMASKMOVQ, h_vpmaskmovq, 0 },
	{ 0, NULL, 0 },
};
