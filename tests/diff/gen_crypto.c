/* The extensions beyond x86-64-v3 that compute (model max has them, which
 * the engines under test run): ADX (ADCX, ADOX at 32 and 64 bits, register and memory sources),
 * and AES-NI, PCLMULQDQ and SHA in their legacy forms and, for AES and
 * PCLMULQDQ, their VEX.128 forms, on random 128-bit operands (imm8 random
 * where there is one). RDRAND, RDSEED, RDTSCP and RDPID give values no two
 * runs share, and FSGSBASE would move the native reference's own FS and GS:
 * the unit tests cover those (test_softcpu_beyond_v3.c).
 *
 * As gen_sse4.c's, each SIMD unit loads every XMM register it reads (whole,
 * through XMM15), shows the result in GPRs or memory, and is joined. A
 * memory source is 16-byte aligned for legacy AES and PCLMULQDQ (a
 * misaligned one is #GP(0), generated only where no kvm reference runs,
 * README.md) and at any address but 8 past a 16-byte boundary for the VEX
 * forms and SHA, which the host runs misaligned (the host's #AC there,
 * gen_sse4.c); now and then it lies in the unmapped page after the data
 * page (#PF). */
#include "gen_internal.h"

#include <string.h>

#include "guest_image.h"
#include "seq.h"

#define XMM_TEMP 15

/* ---- ADX ------------------------------------------------------------------------ */

bool fam_adx(struct gen *g)
{
	bool adox = rng_chance(&g->r, 1, 2);
	uint16_t flag = adox ? F_OF : F_CF;
	unsigned size = rng_chance(&g->r, 1, 2) ? 4 : 8;
	ZydisEncoderOperand src;
	ZydisEncoderRequest q;

	g->no_faults = gen_host_state_allowed; /* as POPCNT's (gen_ssse3.c) */
	gen_req_init(&q, adox ? ZYDIS_MNEMONIC_ADOX : ZYDIS_MNEMONIC_ADCX);
	gen_add_reg(&q, gen_gpr(size, gen_reg(g, size, true)));
	if (!gen_rm(g, size, false, rng_chance(&g->r, 1, 3), 0, &src, &q.prefixes))
		return false;
	gen_add_op(&q, &src);
	return gen_emit(g, &q, flag, flag, 0);
}

/* ---- the SIMD units ------------------------------------------------------------------ */

/* 16 bytes in the data page through a loaded base register: aligned, or not
 * (never 8 past a boundary); one in 12 at or across the end of the page. */
static bool m128(struct gen *g, bool aligned, ZydisEncoderOperand *op)
{
	unsigned base = gen_reg(g, 8, true);
	int64_t addr;

	memset(op, 0, sizeof(*op));
	op->type = ZYDIS_OPERAND_TYPE_MEMORY;
	op->mem.size = 16;
	if (rng_chance(&g->r, 1, 12)) {
		g->faulting = true;
		addr = (int64_t)(GI_DATA + 4096) - (aligned ? 0 : (int64_t)rng_range(&g->r, 1, 7));
	} else {
		addr = (int64_t)rng_range(&g->r, ADDR_LO, ADDR_HI);
		if (aligned)
			addr &= ~15ll;
		else if ((addr & 15) == 8)
			addr++;
	}
	if (!gen_emit_setup(g, base, addr))
		return false;
	op->mem.base = gen_gpr(8, base);
	return true;
}

static bool load_random_xmm(struct gen *g, unsigned n)
{
	return gen_load_xmm_value(g, n, gen_value(&g->r) ^ rng_next(&g->r), rng_next(&g->r), XMM_TEMP);
}

/* The last source: a loaded register or m128. Where it must be aligned
 * (legacy AES and PCLMULQDQ) it is misaligned (#GP(0)) one time in 16 where
 * no kvm reference runs; elsewhere (VEX, SHA) at any address. */
static bool last_source(struct gen *g, ZydisEncoderRequest *q, bool any_address, unsigned avoid_reg)
{
	ZydisEncoderOperand m;
	unsigned r;

	if (rng_chance(&g->r, 2, 3)) {
		do
			r = rng_below(&g->r, XMM_TEMP);
		while (r == avoid_reg && rng_chance(&g->r, 3, 4));
		if (!load_random_xmm(g, r))
			return false;
		gen_add_reg(q, gen_xmm_reg(r));
		return true;
	}
	if (!m128(g, !any_address && (gen_host_state_allowed || !rng_chance(&g->r, 1, 16)), &m))
		return false;
	gen_add_op(q, &m);
	return true;
}

/* op dst, [src1,] src2 [, imm8]: `sources` is 1 for AESIMC-like forms; an
 * m128 at any address where any_address (last_source). */
static bool simd_unit(struct gen *g, ZydisMnemonic m, bool vex, bool any_address, unsigned sources, bool imm)
{
	ZydisEncoderRequest q;
	unsigned dst = rng_below(&g->r, XMM_TEMP), src1 = dst;

	if (!load_random_xmm(g, dst))
		return false;
	gen_req_init(&q, m);
	gen_add_reg(&q, gen_xmm_reg(dst));
	if (vex && sources == 2) {
		src1 = rng_below(&g->r, XMM_TEMP);
		if (src1 != dst && !load_random_xmm(g, src1))
			return false;
		gen_add_reg(&q, gen_xmm_reg(src1));
	}
	if (!last_source(g, &q, any_address, dst))
		return false;
	if (imm)
		gen_add_imm(&q, (int64_t)rng_below(&g->r, 256));
	return gen_emit_accessing(g, &q, 0, 0, 0,
				  q.operands[q.operand_count - 1 - imm].type == ZYDIS_OPERAND_TYPE_MEMORY) &&
	       gen_show_xmm(g, dst);
}

static bool aes_unit(struct gen *g)
{
	static const ZydisMnemonic rounds[] = { ZYDIS_MNEMONIC_AESENC, ZYDIS_MNEMONIC_AESENCLAST, ZYDIS_MNEMONIC_AESDEC,
						ZYDIS_MNEMONIC_AESDECLAST };
	static const ZydisMnemonic vex_rounds[] = { ZYDIS_MNEMONIC_VAESENC, ZYDIS_MNEMONIC_VAESENCLAST,
						    ZYDIS_MNEMONIC_VAESDEC, ZYDIS_MNEMONIC_VAESDECLAST };
	bool vex = rng_chance(&g->r, 1, 3);

	switch (rng_below(&g->r, 4)) {
	case 0:
		return simd_unit(g, vex ? ZYDIS_MNEMONIC_VAESIMC : ZYDIS_MNEMONIC_AESIMC, vex, vex, 1, false);
	case 1:
		return simd_unit(g, vex ? ZYDIS_MNEMONIC_VAESKEYGENASSIST : ZYDIS_MNEMONIC_AESKEYGENASSIST, vex, vex, 1,
				 true);
	default:
		return simd_unit(g, vex ? PICK(g, vex_rounds) : PICK(g, rounds), vex, vex, 2, false);
	}
}

static bool pclmul_unit(struct gen *g)
{
	bool vex = rng_chance(&g->r, 1, 3);

	return simd_unit(g, vex ? ZYDIS_MNEMONIC_VPCLMULQDQ : ZYDIS_MNEMONIC_PCLMULQDQ, vex, vex, 2, true);
}

static bool sha_unit(struct gen *g)
{
	static const ZydisMnemonic ops[] = {
		ZYDIS_MNEMONIC_SHA1NEXTE,  ZYDIS_MNEMONIC_SHA1MSG1,   ZYDIS_MNEMONIC_SHA1MSG2,
		ZYDIS_MNEMONIC_SHA256MSG1, ZYDIS_MNEMONIC_SHA256MSG2,
	};

	/* Misaligned: none on the modelled AMD processor, #GP on Intel's. */
	const bool any = gen_vendor_specific_allowed;

	if (rng_chance(&g->r, 1, 5))
		return simd_unit(g, ZYDIS_MNEMONIC_SHA1RNDS4, false, any, 2, true);
	/* SHA256RNDS2 reads XMM0 as well. */
	if (rng_chance(&g->r, 1, 4))
		return load_random_xmm(g, 0) && simd_unit(g, ZYDIS_MNEMONIC_SHA256RNDS2, false, any, 2, false);
	return simd_unit(g, PICK(g, ops), false, any, 2, false);
}

bool fam_aes(struct gen *g)
{
	return gen_joined_unit(g, aes_unit);
}

bool fam_pclmul(struct gen *g)
{
	return gen_joined_unit(g, pclmul_unit);
}

bool fam_sha(struct gen *g)
{
	return gen_joined_unit(g, sha_unit);
}
