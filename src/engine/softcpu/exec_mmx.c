/* The MMX instructions that are not a packed integer operation (those share
 * their handler with the SSE2 form, exec_sse.c): moves, the word inserts and
 * extracts, PSHUFW, the non-temporal and masked stores, the moves between MMX
 * and XMM registers, and EMMS. The registers and the x87 state they alias are
 * in mmx.h. */
#include <string.h>

#include "engine/softcpu/handlers.h"
#include "engine/softcpu/mmx.h"

/* MOVD/MOVQ into an MMX register zero-extend a doubleword; out of one, the low
 * 32 or 64 bits go to a GPR or memory. MOVQ mm, mm/m64 and MOVQ mm/m64, mm and
 * MOVNTQ are the same moves. */
static void h_mmx_move(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *d = &in->op[0];
	uint64_t v;

	mmx_check(cpu);
	v = mmx_src(cpu, in, &in->op[1]);
	if (d->kind == OK_MM) {
		mmx_write(cpu, d->reg, v);
		return;
	}
	op_write(cpu, in, d, v & size_mask(d->size));
	mmx_enter(cpu);
}

static void h_pinsrw_mmx(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned shift = 16 * (unsigned)(in->op[2].imm & 3);
	uint64_t v, d;

	mmx_check(cpu);
	v = op_read(cpu, in, &in->op[1]) & 0xffff;
	d = mmx_read(cpu, in->op[0].reg);
	mmx_write(cpu, in->op[0].reg, (d & ~(0xffffull << shift)) | (v << shift));
}

static void h_pextrw_mmx(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t v;

	mmx_check(cpu);
	v = mmx_read(cpu, in->op[1].reg) >> (16 * (in->op[2].imm & 3));
	mmx_enter(cpu);
	reg_write(cpu, in->op[0].reg, in->op[0].size, v & 0xffff);
}

static void h_pmovmskb_mmx(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t v;
	unsigned mask = 0;

	mmx_check(cpu);
	v = mmx_read(cpu, in->op[1].reg);
	for (unsigned i = 0; i < 8; i++)
		mask |= (unsigned)((v >> (8 * i + 7)) & 1) << i;
	mmx_enter(cpu);
	reg_write(cpu, in->op[0].reg, in->op[0].size, mask);
}

/* PSHUFW: result word i is source word imm[2i+1:2i]. */
static void h_pshufw(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned imm = (unsigned)in->op[2].imm;
	uint64_t s, r = 0;

	mmx_check(cpu);
	s = mmx_src(cpu, in, &in->op[1]);
	for (unsigned i = 0; i < 4; i++)
		r |= ((s >> (16 * ((imm >> (2 * i)) & 3))) & 0xffff) << (16 * i);
	mmx_write(cpu, in->op[0].reg, r);
}

static void h_maskmovq(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t v, mask;
	uint8_t vb[8], mb[8];

	mmx_check(cpu);
	v = mmx_read(cpu, in->op[0].reg);
	mask = mmx_read(cpu, in->op[1].reg);
	memcpy(vb, &v, sizeof(vb));
	memcpy(mb, &mask, sizeof(mb));
	simd_masked_store(cpu, in, vb, mb, 8);
	mmx_enter(cpu);
}

/* MOVQ2DQ xmm, mm: zero-extended; MOVDQ2Q mm, xmm: the low quadword. */
static void h_movq2dq(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t v[2] = { 0, 0 };

	mmx_sse_check(cpu);
	v[0] = mmx_read(cpu, in->op[1].reg);
	mmx_enter(cpu);
	memcpy(cpu->fpu.xmm[in->op[0].reg], v, sizeof(v));
}

static void h_movdq2q(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t v;

	mmx_sse_check(cpu);
	memcpy(&v, cpu->fpu.xmm[in->op[1].reg], sizeof(v));
	mmx_write(cpu, in->op[0].reg, v);
}

/* EMMS: every register empty and TOP 0 (SDM Vol. 1, table 9-3). */
static void h_emms(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	mmx_check(cpu);
	mmx_enter(cpu);
	cpu->fpu.ftw = 0;
}

const struct dispatch_entry exec_mmx_table[] = {
	{ ZYDIS_MNEMONIC_MOVNTQ, h_mmx_move, 0 },
	{ ZYDIS_MNEMONIC_PSHUFW, h_pshufw, 0 },
	{ ZYDIS_MNEMONIC_MASKMOVQ, h_maskmovq, 0 },
	{ ZYDIS_MNEMONIC_MOVQ2DQ, h_movq2dq, 0 },
	{ ZYDIS_MNEMONIC_MOVDQ2Q, h_movdq2q, 0 },
	{ ZYDIS_MNEMONIC_EMMS, h_emms, 0 },
	{ 0, NULL, 0 },
};

/* Looked up only for an instruction with an MMX register operand
 * (dispatch_find_decoded). */
const struct dispatch_entry exec_mmx_form_table[] = {
	{ ZYDIS_MNEMONIC_MOVD, h_mmx_move, 0 },		{ ZYDIS_MNEMONIC_MOVQ, h_mmx_move, 0 },
	{ ZYDIS_MNEMONIC_PINSRW, h_pinsrw_mmx, 0 },	{ ZYDIS_MNEMONIC_PEXTRW, h_pextrw_mmx, 0 },
	{ ZYDIS_MNEMONIC_PMOVMSKB, h_pmovmskb_mmx, 0 }, { 0, NULL, 0 },
};
