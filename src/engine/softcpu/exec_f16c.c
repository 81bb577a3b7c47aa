/* F16C (Intel SDM Vol. 2, VCVTPH2PS and VCVTPS2PH; Vol. 1, 14.4): the
 * conversions between half and single precision, four or eight elements.
 * Computed in software (soft_fp.c), the host needing no F16C: VCVTPH2PS is
 * exact; VCVTPS2PH rounds as imm8[1:0] says, or as MXCSR.RC when imm8[2] is
 * set, with the other bits ignored. The flags of every element are folded
 * into MXCSR together; an unmasked one raises #XM with nothing written. */
#include "engine/softcpu/avx.h"
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/soft_fp.h"

/* VCVTPH2PS xmm1, xmm2/m64 or ymm1, xmm2/m128. */
static void h_vcvtph2ps(struct soft_cpu *cpu, const struct insn *in)
{
	ymm_t s, r = { .q = { 0, 0, 0, 0 } };
	uint32_t flags = 0;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	for (unsigned i = 0; i < in->op[0].size / 4u; i++)
		r.d[i] = soft_half_to_single(s.w[i], &flags);
	fp_commit(cpu, flags);
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

/* A memory destination of n bytes is checked before the conversion: the
 * AMD host raises #AC (8 bytes misaligned, alignment checking on), then #PF,
 * ahead of an unmasked SIMD exception (found by the differential test). */
static uint64_t writable_destination(struct soft_cpu *cpu, const struct insn *in, const struct operand *d, unsigned n)
{
	uint64_t ea = insn_ea(cpu, in, d);

	mem_check_alignment(cpu, seg_lin(cpu, d->seg, ea, n, ACC_WRITE), n, ACC_WRITE);
	(void)mem_block_writable(cpu, d->seg, ea, n, 0);
	return ea;
}

/* VCVTPS2PH xmm1/m64, xmm2, imm8 or xmm1/m128, ymm2, imm8: a register
 * destination has the rest of its bits zeroed. */
static void h_vcvtps2ph(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *d = &in->op[0];
	unsigned imm = (unsigned)in->op[2].imm, rc = (imm & 4) ? (cpu->fpu.mxcsr >> 13) & 3 : imm & 3;
	unsigned n = in->op[1].size / 4u;
	ymm_t s, r = { .q = { 0, 0, 0, 0 } };
	uint32_t flags = 0;
	uint64_t ea = 0;

	avx_check(cpu);
	s = avx_src(cpu, in, &in->op[1]);
	if (d->kind == OK_MEM)
		ea = writable_destination(cpu, in, d, n * 2);
	for (unsigned i = 0; i < n; i++)
		r.w[i] = soft_single_to_half(s.d[i], rc, cpu->fpu.mxcsr, &flags);
	fp_commit(cpu, flags);
	if (d->kind == OK_XMM)
		ymm_set(cpu, d->reg, &r, 16);
	else
		mem_write_block(cpu, d->seg, ea, &r, n * 2, 0);
}

const struct dispatch_entry exec_f16c_table[] = {
	{ ZYDIS_MNEMONIC_VCVTPH2PS, h_vcvtph2ps, 0 },
	{ ZYDIS_MNEMONIC_VCVTPS2PH, h_vcvtps2ph, 0 },
	{ 0, NULL, 0 },
};
