/* The XSAVE family (x86-64-v3): XSAVE, XSAVEOPT and XSAVEC and their REX.W
 * forms, XRSTOR, XGETBV, VZEROUPPER and VZEROALL at CPL 3, with the images
 * stored on the data page and compared with silicon byte for byte.
 *
 * Registers are not compared and the native child's x87, XMM and YMM state is
 * whatever earlier sequences left, so a unit first puts every component in a
 * known state: eight x87 constant loads (every physical register written, one
 * of them non-zero so that the x87 component is in use on both, XINUSE being
 * tracked on the host and compared with the initial values in the model,
 * docs/cpu-model.md), VZEROALL, MXCSR 1F80H, some XMM registers loaded, and
 * now and then the YMM upper halves restored from the data page (XRSTOR of
 * the AVX component alone) and maybe zeroed again with VZEROUPPER. It then
 * saves with a random requested-feature bitmap into a second area whose
 * header was prepared (XSTATE_BV random within the model's bits or beyond the
 * host's XCR0 as well, which both keep; XCOMP_BV and the reserved bytes zero
 * so that a restore of it is valid), and maybe restores that area and saves
 * everything again. MXCSR stays 1F80H throughout (the host and the model
 * differ on SSE's XINUSE bit after a restore of another MXCSR), and the
 * x87 pointers of the second area are zero before the save, so that a restore
 * from it loads no FIP or FDP (AMD stores them only with an exception
 * pending). XGETBV's XCR0 is masked to the model's bits: the host's has PKRU.
 * An XSETBV at CPL 3 ends the sequence with #GP(0); a misaligned area with
 * #GP(0), only where no kvm reference runs (README.md). */
#include "gen_internal.h"

#include <cpuid.h>
#include <string.h>

#include "guest_image.h"
#include "x86/arch.h"

#define AREA_A (GI_DATA + 0x000)
#define AREA_B (GI_DATA + 0x400)

/* XSAVEOPT and XSAVEC on the host (CPUID.(EAX=0DH,ECX=1):EAX bits 0, 1): the
 * native reference runs them, so without them they are not generated. */
static unsigned host_xsave_variants(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid_count(0xd, 1, &a, &b, &c, &d))
		return 0;
	return a & 3;
}

static bool raw(struct gen *g, const uint8_t *bytes, unsigned len)
{
	return gen_emit_raw(g, bytes, len);
}

#define RAW(g, ...) raw((g), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* `mov qword [reg + disp32], imm32` (REX.W C7 /0, mod 10); reg is RDI or RSI. */
static bool store_qword(struct gen *g, unsigned reg, uint32_t disp, int32_t imm)
{
	uint8_t b[11] = { 0x48, 0xc7, (uint8_t)(0x80 | reg) };

	memcpy(b + 3, &disp, 4);
	memcpy(b + 7, &imm, 4);
	return raw(g, b, sizeof(b));
}

/* FNINIT, then eight loads of x87 constants, the first FLD1; maybe FNINIT. */
static bool x87_known(struct gen *g)
{
	static const uint8_t constants[] = { 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee }; /* FLD1 .. FLDZ (D9 xx) */

	if (!RAW(g, 0xdb, 0xe3))
		return false;
	for (unsigned i = 0; i < 8; i++)
		if (!RAW(g, 0xd9, i ? constants[rng_below(&g->r, ARRAY_LEN(constants))] : 0xe8))
			return false;
	return rng_chance(&g->r, 1, 3) ? RAW(g, 0xdb, 0xe3) : true;
}

static bool xmm_known(struct gen *g)
{
	unsigned count = rng_below(&g->r, 3);

	if (!RAW(g, 0xc5, 0xfc, 0x77)) /* VZEROALL */
		return false;
	for (unsigned i = 0; i < count; i++) {
		unsigned n = rng_below(&g->r, 16);

		if (!gen_load_xmm_value(g, n, rng_next(&g->r) | 1, rng_next(&g->r), (n + 1) & 15))
			return false;
	}
	return true;
}

/* RDI = area A with MXCSR 1F80H at +24, loaded; maybe the AVX component
 * restored from A (its header written; the upper halves are the data page's
 * bytes), maybe zeroed again. */
static bool mxcsr_and_avx(struct gen *g)
{
	if (!gen_emit_setup(g, RDI_N, (int64_t)AREA_A) || !RAW(g, 0xc7, 0x47, 0x18, 0x80, 0x1f, 0x00, 0x00) ||
	    !RAW(g, 0x0f, 0xae, 0x57, 0x18)) /* mov dword [rdi+24], 1F80H; ldmxcsr [rdi+24] */
		return false;
	if (rng_chance(&g->r, 1, 3))
		return true;
	if (!store_qword(g, RDI_N, 512, 4) || !store_qword(g, RDI_N, 520, 0) || !store_qword(g, RDI_N, 528, 0) ||
	    !gen_emit_setup(g, RAX_N, 4) || !gen_emit_setup(g, RDX_N, 0) ||
	    !RAW(g, 0x0f, 0xae, 0x2f)) /* xrstor [rdi] */
		return false;
	return rng_chance(&g->r, 1, 3) ? RAW(g, 0xc5, 0xf8, 0x77) : true; /* VZEROUPPER */
}

static bool xgetbv_masked(struct gen *g)
{
	ZydisEncoderRequest q;

	if (!gen_emit_setup(g, RCX_N, 0) || !RAW(g, 0x0f, 0x01, 0xd0))
		return false;
	gen_req_init(&q, ZYDIS_MNEMONIC_AND);
	gen_add_reg(&q, ZYDIS_REGISTER_EAX);
	gen_add_imm(&q, 7);
	return gen_emit(g, &q, 0, F_ALL & ~F_AF, F_AF);
}

/* The area at RSI: x87 pointers zero, MXCSR 1F80H, the header prepared. */
static bool prepare_b(struct gen *g, bool misaligned)
{
	int32_t bv = rng_chance(&g->r, 1, 8) ? (int32_t)(rng_next(&g->r) & 0x7ffffdf8) : (int32_t)rng_below(&g->r, 8);

	if (!gen_emit_setup(g, RSI_N, (int64_t)(AREA_B + (misaligned ? 16 * (1 + rng_below(&g->r, 3)) : 0))))
		return false;
	return store_qword(g, RSI_N, 0, 0x037f) && store_qword(g, RSI_N, 8, 0) && store_qword(g, RSI_N, 16, 0) &&
	       RAW(g, 0xc7, 0x46, 0x18, 0x80, 0x1f, 0x00, 0x00) && store_qword(g, RSI_N, 512, bv) &&
	       store_qword(g, RSI_N, 520, 0) && store_qword(g, RSI_N, 528, 0);
}

/* One of the save instructions on [rsi] (0F AE /4, /6; 0F C7 /4; REX.W maybe). */
static bool save(struct gen *g, unsigned variants)
{
	static const uint8_t forms[][2] = { { 0xae, 0x26 }, { 0xae, 0x36 }, { 0xc7, 0x26 } };
	uint8_t b[4] = { 0x48, 0x0f };
	bool wide = rng_chance(&g->r, 1, 2);
	unsigned f;

	do
		f = rng_below(&g->r, 3);
	while (f && !(variants & (1u << (f - 1))));
	b[2] = forms[f][0];
	b[3] = forms[f][1];
	return wide ? raw(g, b, 4) : raw(g, b + 1, 3);
}

/* MXCSR_MASK's bit 17 cleared at [reg + 28]: the host's MXCSR_MASK has AMD's
 * MM bit (misaligned SSE exceptions), which the model does not implement
 * (docs/cpu-model.md). */
static bool mask_mxcsr_mask(struct gen *g, unsigned reg)
{
	ZydisEncoderRequest q;
	ZydisEncoderOperand m;

	memset(&m, 0, sizeof(m));
	m.type = ZYDIS_OPERAND_TYPE_MEMORY;
	m.mem.base = gen_gpr(8, reg);
	m.mem.displacement = 28;
	m.mem.size = 4;
	gen_req_init(&q, ZYDIS_MNEMONIC_AND);
	gen_add_op(&q, &m);
	gen_add_imm(&q, (int64_t)(int32_t)0xfffdffff);
	/* Not "accessing": no segment prefix moves it off the area. */
	return gen_emit_accessing(g, &q, 0, F_ALL & ~F_AF, F_AF, false);
}

static bool xsave_unit(struct gen *g)
{
	unsigned variants = host_xsave_variants();
	bool misaligned = !gen_host_state_allowed && rng_chance(&g->r, 1, 16);
	/* Requested bits 3-8 are in neither XCR0 (the host's is 0x207): ignored. */
	int64_t rfbm = rng_below(&g->r, 8) | (rng_chance(&g->r, 1, 4) ? (int64_t)(rng_next(&g->r) & 0x1f8) : 0);

	if (!x87_known(g) || !xmm_known(g) || !mxcsr_and_avx(g))
		return false;
	if (rng_chance(&g->r, 1, 4) && !xgetbv_masked(g))
		return false;
	if (!prepare_b(g, misaligned) || !gen_emit_setup(g, RAX_N, rfbm) || !gen_emit_setup(g, RDX_N, 0) ||
	    !save(g, variants) || !mask_mxcsr_mask(g, RSI_N))
		return false;
	if (rng_chance(&g->r, 1, 2)) {
		/* Everything back from B (either format), then saved whole to A. */
		if (!gen_emit_setup(g, RAX_N, rng_below(&g->r, 8)) || !RAW(g, 0x48, 0x0f, 0xae, 0x2e) ||
		    !gen_emit_setup(g, RAX_N, 7) || !RAW(g, 0x48, 0x0f, 0xae, 0x27) || !mask_mxcsr_mask(g, RDI_N))
			return false;
	}
	return RAW(g, 0xdb, 0xe3); /* FNINIT: no full x87 stack for the units after */
}

bool fam_xsave(struct gen *g)
{
	if (rng_chance(&g->r, 1, 32))
		return RAW(g, 0x0f, 0x01, 0xd1); /* XSETBV at CPL 3: #GP(0) */
	return gen_joined_unit(g, xsave_unit);
}

/* A save or restore whose area runs from the data page into the unmapped
 * page after it: FXSAVE, FXRSTOR, FNSAVE, FRSTOR, FNSTENV, FLDENV (32- and
 * 16-bit images), XSAVE and XRSTOR (a random requested-feature bitmap), with
 * and without REX.W. Each faults, so nothing of the native child's stale x87
 * registers is stored: #PF with CR2 where the host puts it (the area's last
 * byte, or the first field's crossing, docs/cpu-model.md), or XRSTOR's #GP
 * for the random header on the data page, which comes before the probe of
 * the area's end. Only where the native reference runs. */
static bool save_area_edge_unit(struct gen *g)
{
	static const struct {
		uint8_t op[3], len, size16, align;
		uint16_t size;
		bool rex_w, xsave;
	} forms[] = {
		{ { 0x0f, 0xae, 0x07 }, 3, 0, 16, 512, true, false }, /* fxsave */
		{ { 0x0f, 0xae, 0x0f }, 3, 0, 16, 512, true, false }, /* fxrstor */
		{ { 0xdd, 0x37 }, 2, 94, 1, 108, false, false },      /* fnsave */
		{ { 0xdd, 0x27 }, 2, 94, 1, 108, false, false },      /* frstor */
		{ { 0xd9, 0x37 }, 2, 14, 1, 28, false, false },	      /* fnstenv */
		{ { 0xd9, 0x27 }, 2, 14, 1, 28, false, false },	      /* fldenv */
		{ { 0x0f, 0xae, 0x27 }, 3, 0, 64, 0, true, true },    /* xsave */
		{ { 0x0f, 0xae, 0x2f }, 3, 0, 64, 0, true, true },    /* xrstor */
	};
	unsigned k = rng_below(&g->r, ARRAY_LEN(forms)), size = forms[k].size, n = 0;
	uint64_t rfbm = rng_below(&g->r, 8);
	uint8_t b[6];

	if (forms[k].xsave)
		size = (rfbm & XCR0_AVX) ? 832 : 576;
	if (forms[k].size16 && rng_chance(&g->r, 1, 3)) {
		size = forms[k].size16;
		b[n++] = 0x66;
	}
	if (forms[k].rex_w && rng_chance(&g->r, 1, 2))
		b[n++] = 0x48;
	memcpy(b + n, forms[k].op, forms[k].len);
	n += forms[k].len;
	/* From the area's first byte in the last aligned slot of the page to its
	 * last byte on the page: every start from which the area crosses. */
	{
		unsigned slots = (size - 1) / forms[k].align;
		uint64_t at = GI_DATA + PAGE - (uint64_t)forms[k].align * (1 + rng_below(&g->r, slots));

		if (!gen_emit_setup(g, RDI_N, (int64_t)at))
			return false;
	}
	if (forms[k].xsave && (!gen_emit_setup(g, RAX_N, (int64_t)rfbm) || !gen_emit_setup(g, RDX_N, 0)))
		return false;
	return raw(g, b, n);
}

bool fam_save_area_edge(struct gen *g)
{
	unsigned start = g->s->n;

	if (!gen_native_only_allowed || !save_area_edge_unit(g))
		return false;
	for (unsigned i = start; i < g->s->n; i++)
		g->s->it[i].native_only = 1;
	return true;
}
