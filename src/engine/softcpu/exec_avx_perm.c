/* The AVX and AVX2 floating-point data movement that has no SSE form (Intel
 * SDM Vol. 2): VBROADCASTSS/SD/F128, VINSERTF128, VEXTRACTF128, VPERM2F128,
 * VPERMILPS/PD, VPERMPS, VPERMPD and VMASKMOVPS/PD. No floating-point
 * arithmetic: done in C, raising no SIMD exception. */
#include "engine/softcpu/avx.h"
#include "engine/softcpu/handlers.h"

#include <string.h>

/* VBROADCASTSS/SD: an element of m32/m64 (AVX) or the low one of an XMM
 * register (AVX2) into every element; VBROADCASTF128: m128 into both lanes. */
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

static void h_vbroadcastss(struct soft_cpu *cpu, const struct insn *in)
{
	broadcast(cpu, in, 4);
}

static void h_vbroadcastsd(struct soft_cpu *cpu, const struct insn *in)
{
	broadcast(cpu, in, 8);
}

static void h_vbroadcastf128(struct soft_cpu *cpu, const struct insn *in)
{
	broadcast(cpu, in, 16);
}

/* VINSERTF128 ymm1, ymm2, xmm3/m128, imm8: ymm2 with lane imm[0] replaced. */
static void h_vinsertf128(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t a, b;

	avx_check(cpu);
	a = avx_src(cpu, in, &in->op[1]);
	b = avx_src(cpu, in, &in->op[2]);
	a.lane[in->op[3].imm & 1] = b.lane[0];
	avx_dst(cpu, in, &in->op[0], &a, 0);
}

/* VEXTRACTF128 xmm1/m128, ymm2, imm8: lane imm[0]. */
static void h_vextractf128(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t s, r = { .q = { 0, 0, 0, 0 } };

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	r.lane[0] = s.lane[in->op[2].imm & 1];
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

/* VPERM2F128 ymm1, ymm2, ymm3/m256, imm8: each lane one of the four source
 * lanes (imm[1:0], imm[5:4]) or zero (imm[3], imm[7]). */
static void h_vperm2f128(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned imm = (unsigned)in->op[3].imm;
	ymm_t src[2], r;

	avx_check(cpu);
	src[0] = avx_src(cpu, in, &in->op[1]);
	src[1] = avx_src(cpu, in, &in->op[2]);
	for (unsigned l = 0; l < 2; l++) {
		unsigned sel = imm >> (4 * l);

		if (sel & 8)
			memset(&r.lane[l], 0, 16);
		else
			r.lane[l] = src[(sel >> 1) & 1].lane[sel & 1];
	}
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

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

/* VPERMPS ymm1, ymm2, ymm3/m256 (AVX2): doubleword i of ymm3 at index ymm2[i]
 * mod 8, across lanes. */
static void h_vpermps(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t idx, s, r;

	avx_check(cpu);
	idx = avx_src(cpu, in, &in->op[1]);
	s = avx_src(cpu, in, &in->op[2]);
	for (unsigned i = 0; i < 8; i++)
		r.d[i] = s.d[idx.d[i] & 7];
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

/* VPERMPD ymm1, ymm2/m256, imm8 (AVX2): quadword i from imm[2i+1:2i]. */
static void h_vpermpd(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned imm = (unsigned)in->op[2].imm;
	ymm_t s, r;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	for (unsigned i = 0; i < 4; i++)
		r.q[i] = s.q[(imm >> (2 * i)) & 3];
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

/* VMASKMOVPS/PD: the elements whose mask element has its sign set are loaded
 * (the others zero) or stored (the others untouched); a masked-off element
 * is not accessed, so it cannot fault (SDM Vol. 2, VMASKMOV). A store checks
 * every selected element before it writes any. */
static void masked_move(struct soft_cpu *cpu, const struct insn *in, unsigned size)
{
	bool load = in->op[0].kind == OK_XMM;
	const struct operand *m = load ? &in->op[2] : &in->op[0];
	unsigned bytes = load ? in->op[0].size : in->op[2].size;
	uint64_t ea, mask_addr = size_mask(in->addrsize);
	ymm_t mask, v, r = { .q = { 0, 0, 0, 0 } };

	avx_check(cpu);
	mask = avx_src(cpu, in, &in->op[1]);
	ea = insn_ea(cpu, in, m);
	if (load) {
		for (unsigned i = 0; i < bytes; i += size)
			if (mask.b[i + size - 1] & 0x80)
				mem_read_block(cpu, m->seg, (ea + i) & mask_addr, r.b + i, size, 0);
		avx_dst(cpu, in, &in->op[0], &r, 0);
		return;
	}
	v = avx_src(cpu, in, &in->op[2]);
	for (unsigned i = 0; i < bytes; i += size)
		if (mask.b[i + size - 1] & 0x80)
			mem_block_writable(cpu, m->seg, (ea + i) & mask_addr, size, 0);
	for (unsigned i = 0; i < bytes; i += size)
		if (mask.b[i + size - 1] & 0x80)
			mem_write_block(cpu, m->seg, (ea + i) & mask_addr, v.b + i, size, 0);
}

static void h_vmaskmovps(struct soft_cpu *cpu, const struct insn *in)
{
	masked_move(cpu, in, 4);
}

static void h_vmaskmovpd(struct soft_cpu *cpu, const struct insn *in)
{
	masked_move(cpu, in, 8);
}

const struct dispatch_entry exec_avx_perm_table[] = {
	{ ZYDIS_MNEMONIC_VBROADCASTSS, h_vbroadcastss, 0 },
	{ ZYDIS_MNEMONIC_VBROADCASTSD, h_vbroadcastsd, 0 },
	{ ZYDIS_MNEMONIC_VBROADCASTF128, h_vbroadcastf128, 0 },
	{ ZYDIS_MNEMONIC_VINSERTF128, h_vinsertf128, 0 },
	{ ZYDIS_MNEMONIC_VEXTRACTF128, h_vextractf128, 0 },
	{ ZYDIS_MNEMONIC_VPERM2F128, h_vperm2f128, 0 },
	{ ZYDIS_MNEMONIC_VPERMILPS, h_vpermilps, 0 },
	{ ZYDIS_MNEMONIC_VPERMILPD, h_vpermilpd, 0 },
	{ ZYDIS_MNEMONIC_VPERMPS, h_vpermps, 0 },
	{ ZYDIS_MNEMONIC_VPERMPD, h_vpermpd, 0 },
	{ ZYDIS_MNEMONIC_VMASKMOVPS, h_vmaskmovps, 0 },
	{ ZYDIS_MNEMONIC_VMASKMOVPD, h_vmaskmovpd, 0 },
	{ 0, NULL, 0 },
};
