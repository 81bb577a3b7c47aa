/* AVX2's integer-only instructions with no SSE ancestor (SDM Vol. 2, each
 * instruction's page): the shifts by a count per element. AVX2's data
 * movement, the same for integers as for floats (broadcasts, permutes,
 * 128-bit inserts and extracts, masked moves), is in exec_avx_perm.c under
 * both mnemonics; VPBLENDD is VBLENDPS's handler (exec_avx_move.c); the
 * gathers are in exec_gather.c. */
#include "engine/softcpu/avx.h"
#include "engine/softcpu/handlers.h"

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

const struct dispatch_entry exec_avx2_table[] = {
	{ ZYDIS_MNEMONIC_VPSLLVD, h_vpsllvd, 0 }, { ZYDIS_MNEMONIC_VPSLLVQ, h_vpsllvq, 0 },
	{ ZYDIS_MNEMONIC_VPSRLVD, h_vpsrlvd, 0 }, { ZYDIS_MNEMONIC_VPSRLVQ, h_vpsrlvq, 0 },
	{ ZYDIS_MNEMONIC_VPSRAVD, h_vpsravd, 0 }, { 0, NULL, 0 },
};
