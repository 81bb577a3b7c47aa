/* The VEX integer moves (SDM Vol. 2: MOVD/MOVQ, MOVDQA/MOVDQU, MOVNTDQ,
 * MOVNTDQA, LDDQU, MASKMOVDQU, each in its VEX forms): AVX at 128 bits, AVX2
 * for VMOVNTDQA's 256-bit form. Every write to a register zeroes what lies
 * above the operand, up to bit 255. Only VMOVDQA and the non-temporal moves
 * need their memory operand aligned to its size (#GP(0), SDM Vol. 2A, table
 * 2-18). */
#include <string.h>

#include "engine/softcpu/avx.h"
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/mmx.h"

/* dst = src, align being 0 or the operand's size. */
static void move(struct soft_cpu *cpu, const struct insn *in, bool aligned)
{
	const struct operand *s = &in->op[1];
	unsigned align = aligned ? in->op[0].size : 0;
	ymm_t v;

	avx_check(cpu);
	if (s->kind == OK_MEM) {
		memset(&v, 0, sizeof(v));
		mem_read_block(cpu, s->seg, insn_ea(cpu, in, s), &v, s->size, align);
	} else {
		v = avx_src(cpu, in, s);
	}
	avx_dst(cpu, in, &in->op[0], &v, align);
}

static void h_vmove_aligned(struct soft_cpu *cpu, const struct insn *in)
{
	move(cpu, in, true);
}

static void h_vmove_unaligned(struct soft_cpu *cpu, const struct insn *in)
{
	move(cpu, in, false);
}

/* VMOVD/VMOVQ: into an XMM register zero-extended to 256 bits (VMOVQ xmm,
 * xmm takes the low quadword only); out of one, the low 32 or 64 bits to a
 * GPR or memory. */
static void h_vmovd_vmovq(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *d = &in->op[0], *s = &in->op[1];
	ymm_t v;

	avx_check(cpu);
	if (d->kind == OK_XMM) {
		v = avx_src(cpu, in, s);
		if (s->kind == OK_XMM)
			v.q[1] = 0;
		ymm_set(cpu, d->reg, &v, 16);
		return;
	}
	op_write(cpu, in, d, ymm_get(cpu, s->reg).q[0] & size_mask(d->size));
}

/* VMASKMOVDQU xmm1, xmm2: as MASKMOVDQU, the bytes of xmm1 whose byte in
 * xmm2 has its top bit set to DS:rDI. */
static void h_vmaskmovdqu(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t v, mask;

	avx_check(cpu);
	v = ymm_get(cpu, in->op[0].reg);
	mask = ymm_get(cpu, in->op[1].reg);
	simd_masked_store(cpu, in, v.b, mask.b, 16);
}

const struct dispatch_entry exec_avx_int_move_table[] = {
	{ ZYDIS_MNEMONIC_VMOVDQA, h_vmove_aligned, 0 },
	{ ZYDIS_MNEMONIC_VMOVNTDQ, h_vmove_aligned, 0 },
	{ ZYDIS_MNEMONIC_VMOVNTDQA, h_vmove_aligned, 0 },
	{ ZYDIS_MNEMONIC_VMOVDQU, h_vmove_unaligned, 0 },
	{ ZYDIS_MNEMONIC_VLDDQU, h_vmove_unaligned, 0 },
	{ ZYDIS_MNEMONIC_VMOVD, h_vmovd_vmovq, 0 },
	{ ZYDIS_MNEMONIC_VMOVQ, h_vmovd_vmovq, 0 },
	{ ZYDIS_MNEMONIC_VMASKMOVDQU, h_vmaskmovdqu, 0 },
	{ 0, NULL, 0 },
};
