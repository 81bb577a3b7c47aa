/* PCLMULQDQ and its VEX.128 form VPCLMULQDQ (Intel SDM Vol. 2, PCLMULQDQ):
 * the carry-less product of one quadword of each source, chosen by imm8
 * bit 0 (first source) and bit 4 (second), a 128-bit result. Computed here,
 * so that the host needs no PCLMULQDQ. */
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/xmm_forms.h"

/* The product in GF(2)[x]: a XOR of b shifted by each set bit of a. */
static xmm_t clmul64(uint64_t a, uint64_t b)
{
	xmm_t r = { .q = { 0, 0 } };

	for (unsigned i = 0; i < 64; i++) {
		if (!((a >> i) & 1))
			continue;
		r.q[0] ^= b << i;
		if (i)
			r.q[1] ^= b >> (64 - i);
	}
	return r;
}

static void do_pclmulqdq(struct soft_cpu *cpu, const struct insn *in, bool vex)
{
	xmm_t a, b, r;
	unsigned imm_op = xmm_forms_sources(cpu, in, vex, &a, &b);
	unsigned imm = (unsigned)in->op[imm_op].imm;

	r = clmul64(a.q[imm & 1], b.q[(imm >> 4) & 1]);
	xmm_forms_result(cpu, in, vex, &r);
}

static void h_pclmulqdq(struct soft_cpu *cpu, const struct insn *in)
{
	do_pclmulqdq(cpu, in, false);
}

static void h_vpclmulqdq(struct soft_cpu *cpu, const struct insn *in)
{
	do_pclmulqdq(cpu, in, true);
}

const struct dispatch_entry exec_clmul_table[] = {
	{ ZYDIS_MNEMONIC_PCLMULQDQ, h_pclmulqdq, 0 },
	{ ZYDIS_MNEMONIC_VPCLMULQDQ, h_vpclmulqdq, 0 },
	{ 0, NULL, 0 },
};
