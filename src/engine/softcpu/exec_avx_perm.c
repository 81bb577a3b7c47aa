/* The AVX and AVX2 data movement that has no SSE ancestor (Intel SDM Vol. 2,
 * each instruction's page): broadcasts, 128-bit inserts and extracts, lane
 * and element permutes, and the masked moves. Moving bits is the same
 * whether they are floats or integers, so each operation has one handler
 * here, registered under both its floating-point and its integer mnemonic
 * (VPERMPS and VPERMD, VMASKMOVPS and VPMASKMOVD, ...). No floating-point
 * arithmetic: done in C, raising no SIMD exception. */
#include <string.h>

#include "engine/softcpu/avx.h"
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/simd_ops.h"

/* ---- broadcasts ------------------------------------------------------------------- */

/* The low element of `size` bytes of the source in every element: an XMM
 * register's low element (AVX2) or an element in memory (VBROADCASTSS/SD
 * also in AVX); VBROADCASTF128/I128 (size 16) m128 into both lanes. */
static void broadcast(struct soft_cpu *cpu, const struct insn *in, unsigned size)
{
	const struct operand *d = &in->op[0];
	ymm_t s, r;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	for (unsigned i = 0; i < d->size; i += size)
		memcpy(r.b + i, s.b, size);
	avx_dst(cpu, in, d, &r, 0);
}

/* VPBROADCASTB */
static void h_broadcast_byte(struct soft_cpu *cpu, const struct insn *in)
{
	broadcast(cpu, in, 1);
}

/* VPBROADCASTW */
static void h_broadcast_word(struct soft_cpu *cpu, const struct insn *in)
{
	broadcast(cpu, in, 2);
}

/* VBROADCASTSS, VPBROADCASTD */
static void h_broadcast_dword(struct soft_cpu *cpu, const struct insn *in)
{
	broadcast(cpu, in, 4);
}

/* VBROADCASTSD, VPBROADCASTQ */
static void h_broadcast_qword(struct soft_cpu *cpu, const struct insn *in)
{
	broadcast(cpu, in, 8);
}

/* VBROADCASTF128, VBROADCASTI128 */
static void h_broadcast_lane(struct soft_cpu *cpu, const struct insn *in)
{
	broadcast(cpu, in, 16);
}

/* ---- 128-bit lanes -------------------------------------------------------------------- */

/* VINSERTF128/I128 ymm1, ymm2, xmm3/m128, imm8: ymm2 with lane imm[0]
 * replaced. */
static void h_insert_lane(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t a, b;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	b = avx_src(cpu, in, &in->op[2]);
	a.lane[in->op[3].imm & 1] = b.lane[0];
	avx_dst(cpu, in, &in->op[0], &a, 0);
}

/* VEXTRACTF128/I128 xmm1/m128, ymm2, imm8: lane imm[0]; an XMM destination
 * has its upper half zeroed. */
static void h_extract_lane(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t s, r;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	memset(&r, 0, sizeof(r));
	r.lane[0] = s.lane[in->op[2].imm & 1];
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

/* VPERM2F128/I128 ymm1, ymm2, ymm3/m256, imm8: each result lane is the lane
 * imm[1:0] (imm[5:4] for the high one) of ymm2:ymm3, zero with imm[3]
 * (imm[7]). */
static void h_permute_lanes(struct soft_cpu *cpu, const struct insn *in)
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

/* ---- element permutes ----------------------------------------------------------------- */

/* VPERMILPS/PD: each element from its own lane, chosen by the imm8 (ymm1,
 * ymm2/m256, imm8: for VPERMILPS two bits per element, the same for both
 * lanes; for VPERMILPD bit i for element i) or by the control element in the
 * same position (ymm1, ymm2, ymm3/m256: its bits 1:0, or bit 1 for PD). */
static void permute_in_lanes(struct soft_cpu *cpu, const struct insn *in, bool single)
{
	bool by_imm = in->op[2].kind == OK_IMM;
	unsigned per_lane = single ? 4 : 2;
	ymm_t s, c, r;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	if (!by_imm)
		c = avx_src(cpu, in, &in->op[2]);
	for (unsigned i = 0; i < 2 * per_lane; i++) {
		unsigned base = i & ~(per_lane - 1), sel;

		if (by_imm)
			sel = single ? (unsigned)(in->op[2].imm >> (2 * (i & 3))) : (unsigned)(in->op[2].imm >> i);
		else
			sel = single ? c.d[i] : (unsigned)(c.q[i] >> 1);
		sel &= per_lane - 1;
		if (single)
			r.d[i] = s.d[base + sel];
		else
			r.q[i] = s.q[base + sel];
	}
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

static void h_vpermilps(struct soft_cpu *cpu, const struct insn *in)
{
	permute_in_lanes(cpu, in, true);
}

static void h_vpermilpd(struct soft_cpu *cpu, const struct insn *in)
{
	permute_in_lanes(cpu, in, false);
}

/* VPERMPS/VPERMD ymm1, ymm2, ymm3/m256: doubleword i of ymm3 at index
 * ymm2[i] mod 8, across lanes. */
static void h_permute_dwords(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t idx, s, r;

	avx_check(cpu);
	idx = avx_src(cpu, in, &in->op[1]);
	s = avx_src(cpu, in, &in->op[2]);
	for (unsigned i = 0; i < 8; i++)
		r.d[i] = s.d[idx.d[i] & 7];
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

/* VPERMPD/VPERMQ ymm1, ymm2/m256, imm8: quadword i from imm[2i+1:2i]. */
static void h_permute_qwords(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned imm = (unsigned)in->op[2].imm;
	ymm_t s, r;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	for (unsigned i = 0; i < 4; i++)
		r.q[i] = s.q[(imm >> (2 * i)) & 3];
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

/* ---- masked moves ------------------------------------------------------------------------- */

/* VMASKMOVPS/PD and VPMASKMOVD/Q x/ymm1, x/ymm2, m (load): the elements
 * whose mask element (x/ymm2) has its top bit set are read, the others are
 * zero and never accessed. m, x/ymm1 (mask), x/ymm2 (store): only the
 * selected elements are written, every one of them checked before the first
 * is, so a fault writes nothing. A masked-off element cannot fault (SDM Vol.
 * 2, VMASKMOV, VPMASKMOV); no element is alignment-checked (avx.h). */
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
			x = avx_element_read(cpu, m->seg, (ea + i * size) & size_mask(in->addrsize), size);
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

/* VMASKMOVPS, VPMASKMOVD */
static void h_masked_move_dwords(struct soft_cpu *cpu, const struct insn *in)
{
	masked_move(cpu, in, 4);
}

/* VMASKMOVPD, VPMASKMOVQ */
static void h_masked_move_qwords(struct soft_cpu *cpu, const struct insn *in)
{
	masked_move(cpu, in, 8);
}

const struct dispatch_entry exec_avx_perm_table[] = {
	{ ZYDIS_MNEMONIC_VPBROADCASTB, h_broadcast_byte, 0 },
	{ ZYDIS_MNEMONIC_VPBROADCASTW, h_broadcast_word, 0 },
	{ ZYDIS_MNEMONIC_VBROADCASTSS, h_broadcast_dword, 0 },
	{ ZYDIS_MNEMONIC_VPBROADCASTD, h_broadcast_dword, 0 },
	{ ZYDIS_MNEMONIC_VBROADCASTSD, h_broadcast_qword, 0 },
	{ ZYDIS_MNEMONIC_VPBROADCASTQ, h_broadcast_qword, 0 },
	{ ZYDIS_MNEMONIC_VBROADCASTF128, h_broadcast_lane, 0 },
	{ ZYDIS_MNEMONIC_VBROADCASTI128, h_broadcast_lane, 0 },
	{ ZYDIS_MNEMONIC_VINSERTF128, h_insert_lane, 0 },
	{ ZYDIS_MNEMONIC_VINSERTI128, h_insert_lane, 0 },
	{ ZYDIS_MNEMONIC_VEXTRACTF128, h_extract_lane, 0 },
	{ ZYDIS_MNEMONIC_VEXTRACTI128, h_extract_lane, 0 },
	{ ZYDIS_MNEMONIC_VPERM2F128, h_permute_lanes, 0 },
	{ ZYDIS_MNEMONIC_VPERM2I128, h_permute_lanes, 0 },
	{ ZYDIS_MNEMONIC_VPERMILPS, h_vpermilps, 0 },
	{ ZYDIS_MNEMONIC_VPERMILPD, h_vpermilpd, 0 },
	{ ZYDIS_MNEMONIC_VPERMPS, h_permute_dwords, 0 },
	{ ZYDIS_MNEMONIC_VPERMD, h_permute_dwords, 0 },
	{ ZYDIS_MNEMONIC_VPERMPD, h_permute_qwords, 0 },
	{ ZYDIS_MNEMONIC_VPERMQ, h_permute_qwords, 0 },
	{ ZYDIS_MNEMONIC_VMASKMOVPS, h_masked_move_dwords, 0 },
	{ ZYDIS_MNEMONIC_VPMASKMOVD, h_masked_move_dwords, 0 },
	{ ZYDIS_MNEMONIC_VMASKMOVPD, h_masked_move_qwords, 0 },
	{ ZYDIS_MNEMONIC_VPMASKMOVQ, h_masked_move_qwords, 0 },
	{ 0, NULL, 0 },
};
