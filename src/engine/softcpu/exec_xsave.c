/* XSAVE-managed state (Intel SDM Vol. 1, chapter 13; Vol. 2, the instructions):
 * XGETBV and XSETBV, XSAVE, XSAVEOPT and XSAVEC and XRSTOR in both formats, for
 * the components of XSAVE_MODEL_XCR0 (x87, SSE, AVX); and VZEROUPPER and
 * VZEROALL, which put the AVX component back in its initial configuration.
 *
 * XINUSE (13.6) is the state compared with its initial configuration, which is
 * what the modelled AMD processor shows (checked on a Zen 3 with XGETBV(1) and
 * the images it stores: an XRSTOR of initial values, a VZEROUPPER, or XORPS
 * zeroing the last non-zero XMM register each clear its bit). XSAVEOPT applies
 * the init optimisation (components not in use are not written) and never the
 * modified one, which the SDM leaves optional. */
#include <string.h>

#include "engine/softcpu/avx.h"
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/legacy_region.h"
#include "engine/softcpu/mem.h"
#include "engine/softcpu/regs.h"
#include "x86/cpu_model.h"
#include "x86/xsave_area.h"

#define MXCSR_INIT 0x1f80u

/* The XSAVE header (13.4.2): XSTATE_BV, XCOMP_BV, then reserved bytes. */
#define HDR_XSTATE_BV 0
#define HDR_XCOMP_BV 8

/* ---- XCR0 ------------------------------------------------------------------------ */

/* #UD without the model's XSAVE or with CR4.OSXSAVE clear (XGETBV, XSETBV and
 * the XSAVE family alike). */
static void osxsave_check(struct soft_cpu *cpu)
{
	if (!cpu_model_has(cpu->model, CPUID_F_XSAVE) || !(cpu->cr4 & CR4_OSXSAVE))
		cpu_raise_ud(cpu);
}

/* XGETBV: ECX = 0 reads XCR0; XINUSE (ECX = 1) is not advertised
 * (CPUID.(EAX=0DH,ECX=1):EAX[2] = 0), so #GP(0) like any other ECX. */
static void h_xgetbv(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	osxsave_check(cpu);
	if ((uint32_t)cpu->gpr[GPR_RCX] != 0)
		cpu_raise_gp0(cpu);
	reg_write(cpu, GPR_RAX, 4, cpu->xcr0 & 0xffffffffu);
	reg_write(cpu, GPR_RDX, 4, cpu->xcr0 >> 32);
}

/* XSETBV: CPL 0, ECX = 0, and a value with x87 set, AVX only with SSE, and no
 * component the model lacks (SDM Vol. 2, XSETBV; Vol. 1, 13.3). */
static void h_xsetbv(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t v = (cpu->gpr[GPR_RDX] << 32) | (uint32_t)cpu->gpr[GPR_RAX];

	(void)in;
	osxsave_check(cpu);
	if (cpu->cpl != 0 || (uint32_t)cpu->gpr[GPR_RCX] != 0)
		cpu_raise_gp0(cpu);
	if (!(v & XCR0_X87) || (v & ~XSAVE_MODEL_XCR0) || ((v & XCR0_AVX) && !(v & XCR0_SSE)))
		cpu_raise_gp0(cpu);
	/* As CR4.OSXSAVE (write_cr4): which VEX instructions fault. */
	if (cpu->xcr0 != v)
		cpu->leave_block = true;
	cpu->xcr0 = v;
}

/* ---- the state ------------------------------------------------------------------- */

/* XMM and YMM registers the XSAVE family touches: 16 in 64-bit mode, else 8. */
static unsigned vector_count(const struct soft_cpu *cpu)
{
	return cpu->mode == MODE_LONG64 ? 16 : 8;
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* The components not in their initial configuration (13.6): SSE's includes
 * MXCSR = 1F80H, as on the AMD processor modelled. */
static uint64_t xinuse(const struct soft_cpu *cpu)
{
	uint64_t v = 0;

	if (!legacy_x87_is_init(cpu))
		v |= XCR0_X87;
	if (cpu->fpu.mxcsr != MXCSR_INIT || !all_zero(cpu->fpu.xmm, sizeof(cpu->fpu.xmm)))
		v |= XCR0_SSE;
	if (!all_zero(cpu->fpu.ymm_hi, sizeof(cpu->fpu.ymm_hi)))
		v |= XCR0_AVX;
	return v;
}

/* ---- XSAVE, XSAVEOPT, XSAVEC -------------------------------------------------------- */

enum save_kind { SAVE_STANDARD, SAVE_OPT, SAVE_COMPACTED };

/* The exceptions of the XSAVE family before the operand: #UD, then #NM with
 * CR0.TS (SDM Vol. 2, XSAVE, "Protected Mode Exceptions"). Returns RFBM, the
 * requested-feature bitmap EDX:EAX AND XCR0. */
static uint64_t xsave_family_check(struct soft_cpu *cpu)
{
	osxsave_check(cpu);
	if (cpu->cr0 & CR0_TS)
		cpu_raise(cpu, EXC_NM, false, 0);
	return ((cpu->gpr[GPR_RDX] << 32) | (uint32_t)cpu->gpr[GPR_RAX]) & cpu->xcr0;
}

static void put_bytes(struct soft_cpu *cpu, const struct insn *in, unsigned at, const void *src, unsigned len)
{
	const struct operand *o = &in->op[0];

	mem_write_block(cpu, o->seg, insn_ea(cpu, in, o) + at, src, len, 0);
}

/* Writes the components of `save` and MXCSR if `mxcsr`; the header is the
 * caller's. The whole area was checked writable first, so nothing faults here. */
static void store_components(struct soft_cpu *cpu, const struct insn *in, uint64_t save, bool mxcsr, bool wide)
{
	uint8_t img[XSAVE_LEGACY_SIZE];
	unsigned n = vector_count(cpu);

	if (save & XCR0_X87) {
		legacy_x87_store(cpu, img, wide);
		put_bytes(cpu, in, 0, img, LEGACY_MXCSR_OFFSET);
		put_bytes(cpu, in, 32, img + 32, 128);
	}
	if (mxcsr) {
		legacy_mxcsr_store(cpu, img);
		put_bytes(cpu, in, LEGACY_MXCSR_OFFSET, img + LEGACY_MXCSR_OFFSET, 8);
	}
	if (save & XCR0_SSE)
		put_bytes(cpu, in, LEGACY_XMM_OFFSET, cpu->fpu.xmm, 16 * n);
	if (save & XCR0_AVX)
		put_bytes(cpu, in, XSAVE_AVX_OFFSET, cpu->fpu.ymm_hi, 16 * n);
}

/* 13.7 (XSAVE), 13.9 (XSAVEOPT), 13.10 (XSAVEC); what each writes as this
 * host's processor does: XSAVE every requested component and MXCSR with SSE
 * or AVX requested, then XSTATE_BV's requested bits (the rest of the header
 * untouched); XSAVEOPT the same but components not in use; XSAVEC only the
 * requested components in use, MXCSR with SSE, and XSTATE_BV and XCOMP_BV
 * whole. */
static void xsave(struct soft_cpu *cpu, const struct insn *in, enum save_kind kind, bool wide)
{
	const struct operand *o = &in->op[0];
	uint64_t rfbm = xsave_family_check(cpu), inuse = xinuse(cpu), save, hdr[2];
	bool mxcsr;

	/* Alignment (#GP), segment and every page of the area the requested
	 * components reach (AVX at 576 in both formats), before any write; the
	 * canonical checks go 64 bytes at a time (mem_check_pieces); the pages
	 * as the AMD host probes them, the area's last byte after its first
	 * (mem_probe_area: CR2 = ea + 575 or ea + 831 where only the end
	 * faults). */
	mem_check_pieces(cpu, o->seg, insn_ea(cpu, in, o), xsave_area_size(rfbm), 64, ACC_WRITE, XSAVE_ALIGN);
	(void)mem_probe_area(cpu, o->seg, insn_ea(cpu, in, o), xsave_area_size(rfbm), 64, ACC_WRITE, XSAVE_ALIGN);
	switch (kind) {
	case SAVE_STANDARD:
		save = rfbm;
		mxcsr = (rfbm & (XCR0_SSE | XCR0_AVX)) != 0;
		break;
	case SAVE_OPT:
		save = rfbm & inuse;
		mxcsr = (rfbm & (XCR0_SSE | XCR0_AVX)) != 0;
		break;
	default:
		save = rfbm & inuse;
		mxcsr = (save & XCR0_SSE) != 0;
		break;
	}
	store_components(cpu, in, save, mxcsr, wide);
	if (kind == SAVE_COMPACTED) {
		hdr[0] = rfbm & inuse;
		hdr[1] = rfbm | XSAVE_COMPACTED;
		put_bytes(cpu, in, XSAVE_HEADER_OFFSET, hdr, sizeof(hdr));
		return;
	}
	mem_read_block(cpu, o->seg, insn_ea(cpu, in, o) + XSAVE_HEADER_OFFSET, &hdr[0], 8, 0);
	hdr[0] = (hdr[0] & ~rfbm) | (inuse & rfbm);
	put_bytes(cpu, in, XSAVE_HEADER_OFFSET, &hdr[0], 8);
}

static void h_xsave(struct soft_cpu *cpu, const struct insn *in)
{
	xsave(cpu, in, SAVE_STANDARD, false);
}

static void h_xsave64(struct soft_cpu *cpu, const struct insn *in)
{
	xsave(cpu, in, SAVE_STANDARD, true);
}

static void h_xsaveopt(struct soft_cpu *cpu, const struct insn *in)
{
	xsave(cpu, in, SAVE_OPT, false);
}

static void h_xsaveopt64(struct soft_cpu *cpu, const struct insn *in)
{
	xsave(cpu, in, SAVE_OPT, true);
}

static void h_xsavec(struct soft_cpu *cpu, const struct insn *in)
{
	xsave(cpu, in, SAVE_COMPACTED, false);
}

static void h_xsavec64(struct soft_cpu *cpu, const struct insn *in)
{
	xsave(cpu, in, SAVE_COMPACTED, true);
}

/* ---- XRSTOR ---------------------------------------------------------------------- */

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* The header checks of XRSTOR (SDM Vol. 2, XRSTOR, #GP(0)): standard form,
 * XSTATE_BV within XCR0 and header bytes 8-23 zero; compacted form, XCOMP_BV
 * within XCR0, XSTATE_BV within XCOMP_BV and bytes 16-63 zero. */
static bool header_valid(const struct soft_cpu *cpu, const uint8_t *hdr)
{
	uint64_t xstate_bv = get_u64(hdr + HDR_XSTATE_BV), xcomp_bv = get_u64(hdr + HDR_XCOMP_BV);

	if (!(xcomp_bv & XSAVE_COMPACTED))
		return !(xstate_bv & ~cpu->xcr0) && all_zero(hdr + 8, 16);
	xcomp_bv &= ~XSAVE_COMPACTED;
	return !(xcomp_bv & ~cpu->xcr0) && !(xstate_bv & ~xcomp_bv) && all_zero(hdr + 16, 48);
}

/* 13.8: each requested component is loaded where XSTATE_BV has it and put in
 * its initial configuration where not. MXCSR: the standard form loads it
 * whenever SSE or AVX is requested; the compacted one with SSE only, and
 * initialises it (1F80H) with SSE's component (both as silicon shows). */
static void xrstor(struct soft_cpu *cpu, const struct insn *in, bool wide)
{
	const struct operand *o = &in->op[0];
	uint64_t rfbm = xsave_family_check(cpu), xstate_bv;
	uint8_t img[XSAVE_LEGACY_SIZE + XSAVE_HEADER_SIZE + XSAVE_AVX_SIZE];
	unsigned n = vector_count(cpu);
	bool compacted, load_mxcsr;
	uint32_t mxcsr;

	/* The AMD host's order, which a #PF's CR2 shows: the area's first bytes,
	 * the header (#GP if invalid), the last byte of the area the requested
	 * components reach and every page of it (mem_probe_area), then MXCSR
	 * (#GP if reserved bits are set). */
	mem_check_pieces(cpu, o->seg, insn_ea(cpu, in, o), XSAVE_LEGACY_SIZE + XSAVE_HEADER_SIZE, 64, ACC_READ,
			 XSAVE_ALIGN);
	(void)mem_probe_area(cpu, o->seg, insn_ea(cpu, in, o), 64, 64, ACC_READ, XSAVE_ALIGN);
	mem_read_block(cpu, o->seg, insn_ea(cpu, in, o) + XSAVE_HEADER_OFFSET, img + XSAVE_HEADER_OFFSET,
		       XSAVE_HEADER_SIZE, 0);
	if (!header_valid(cpu, img + XSAVE_HEADER_OFFSET))
		cpu_raise_gp0(cpu);
	(void)mem_probe_area(cpu, o->seg, insn_ea(cpu, in, o), xsave_area_size(rfbm), 64, ACC_READ, XSAVE_ALIGN);
	mem_read_block(cpu, o->seg, insn_ea(cpu, in, o), img, XSAVE_LEGACY_SIZE, XSAVE_ALIGN);
	xstate_bv = get_u64(img + XSAVE_HEADER_OFFSET + HDR_XSTATE_BV) & rfbm;
	compacted = (get_u64(img + XSAVE_HEADER_OFFSET + HDR_XCOMP_BV) & XSAVE_COMPACTED) != 0;
	mxcsr = legacy_mxcsr(img);
	load_mxcsr = compacted ? (xstate_bv & XCR0_SSE) != 0 : (rfbm & (XCR0_SSE | XCR0_AVX)) != 0;
	if (load_mxcsr && legacy_mxcsr_reserved(mxcsr))
		cpu_raise_gp0(cpu);
	if (xstate_bv & XCR0_AVX)
		mem_read_block(cpu, o->seg, insn_ea(cpu, in, o) + XSAVE_AVX_OFFSET, img + XSAVE_AVX_OFFSET,
			       XSAVE_AVX_SIZE, 0);
	/* Nothing faults from here on. */
	if (rfbm & XCR0_X87) {
		if (xstate_bv & XCR0_X87)
			legacy_x87_load(cpu, img, wide);
		else
			legacy_x87_init(cpu);
	}
	if (rfbm & XCR0_SSE) {
		if (xstate_bv & XCR0_SSE)
			memcpy(cpu->fpu.xmm, img + LEGACY_XMM_OFFSET, 16 * n);
		else
			memset(cpu->fpu.xmm, 0, 16 * n);
		if (compacted && !(xstate_bv & XCR0_SSE))
			mxcsr_set(cpu, MXCSR_INIT);
	}
	if (load_mxcsr)
		mxcsr_set(cpu, mxcsr);
	if (rfbm & XCR0_AVX) {
		if (xstate_bv & XCR0_AVX)
			memcpy(cpu->fpu.ymm_hi, img + XSAVE_AVX_OFFSET, 16 * n);
		else
			memset(cpu->fpu.ymm_hi, 0, 16 * n);
	}
}

static void h_xrstor(struct soft_cpu *cpu, const struct insn *in)
{
	xrstor(cpu, in, false);
}

static void h_xrstor64(struct soft_cpu *cpu, const struct insn *in)
{
	xrstor(cpu, in, true);
}

/* ---- VZEROUPPER, VZEROALL ------------------------------------------------------------- */

/* Outside 64-bit mode only YMM0-7 change (SDM Vol. 2, VZEROUPPER, VZEROALL). */
static void h_vzeroupper(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	avx_check(cpu);
	memset(cpu->fpu.ymm_hi, 0, 16 * vector_count(cpu));
}

static void h_vzeroall(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	avx_check(cpu);
	memset(cpu->fpu.xmm, 0, 16 * vector_count(cpu));
	memset(cpu->fpu.ymm_hi, 0, 16 * vector_count(cpu));
}

const struct dispatch_entry exec_xsave_table[] = {
	{ ZYDIS_MNEMONIC_XGETBV, h_xgetbv, 0 },
	{ ZYDIS_MNEMONIC_XSETBV, h_xsetbv, 0 },
	{ ZYDIS_MNEMONIC_XSAVE, h_xsave, 0 },
	{ ZYDIS_MNEMONIC_XSAVE64, h_xsave64, 0 },
	{ ZYDIS_MNEMONIC_XSAVEOPT, h_xsaveopt, 0 },
	{ ZYDIS_MNEMONIC_XSAVEOPT64, h_xsaveopt64, 0 },
	{ ZYDIS_MNEMONIC_XSAVEC, h_xsavec, 0 },
	{ ZYDIS_MNEMONIC_XSAVEC64, h_xsavec64, 0 },
	{ ZYDIS_MNEMONIC_XRSTOR, h_xrstor, 0 },
	{ ZYDIS_MNEMONIC_XRSTOR64, h_xrstor64, 0 },
	{ ZYDIS_MNEMONIC_VZEROUPPER, h_vzeroupper, 0 },
	{ ZYDIS_MNEMONIC_VZEROALL, h_vzeroall, 0 },
	{ 0, NULL, 0 },
};
