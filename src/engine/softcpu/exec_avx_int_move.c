/* The VEX integer moves (SDM Vol. 2: MOVD/MOVQ, MOVDQA/MOVDQU, MOVNTDQ,
 * MOVNTDQA, LDDQU, MASKMOVDQU, each in its VEX forms): AVX at 128 bits, AVX2
 * for VMOVNTDQA's 256-bit form. Every write to a register zeroes what lies
 * above the operand, up to bit 255. Only VMOVDQA and the non-temporal moves
 * need their memory operand aligned to its size (#GP(0), SDM Vol. 2A, table
 * 2-18); the full-width moves are avx.c's, shared with the floating-point
 * ones. */
#include "engine/softcpu/avx.h"
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/mmx.h"

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
	{ ZYDIS_MNEMONIC_VMOVDQA, avx_move_aligned, 0 },
	{ ZYDIS_MNEMONIC_VMOVNTDQ, avx_move_aligned, 0 },
	{ ZYDIS_MNEMONIC_VMOVNTDQA, avx_move_aligned, 0 },
	{ ZYDIS_MNEMONIC_VMOVDQU, avx_move_unaligned, 0 },
	{ ZYDIS_MNEMONIC_VLDDQU, avx_move_unaligned, 0 },
	{ ZYDIS_MNEMONIC_VMOVD, h_vmovd_vmovq, 0 },
	{ ZYDIS_MNEMONIC_VMOVQ, h_vmovd_vmovq, 0 },
	{ ZYDIS_MNEMONIC_VMASKMOVDQU, h_vmaskmovdqu, 0 },
	{ 0, NULL, 0 },
};
