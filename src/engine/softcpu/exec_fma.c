/* FMA3 (Intel SDM Vol. 2, VFMADD132PS and its neighbours; Vol. 1, 14.5):
 * VFMADD, VFMSUB, VFNMADD, VFNMSUB (132, 213, 231; PS, PD, SS, SD) and
 * VFMADDSUB, VFMSUBADD (PS, PD), at 128 and 256 bits.
 *
 * The operand order names which operands multiply: with dst (also the first
 * source), src2 (VEX.vvvv) and src3 (r/m), 132 is dst * src3 + src2, 213 is
 * src2 * dst + src3 and 231 is src2 * src3 + dst. Each element is one fused
 * multiply-add rounded once, computed in software (soft_fp.c) so that the
 * VMM needs no FMA on the host and DAZ, FZ and the flags are the guest
 * MXCSR's on any host; glibc's fma() would do the arithmetic but not the
 * MXCSR's DAZ, FZ, denormal flag or x86's NaN rules. The flags of every
 * element are folded into MXCSR together; an unmasked one raises #XM and
 * nothing is written. A scalar form keeps bits 32 (64) to 127 of dst and
 * zeroes bits 128-255, as every VEX.128 instruction does. */
#include "engine/softcpu/avx.h"
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/soft_fp.h"

enum fma_order { ORDER_132 = 132, ORDER_213 = 213, ORDER_231 = 231 };

static uint64_t element(const ymm_t *v, unsigned i, bool single)
{
	return single ? v->d[i] : v->q[i];
}

/* neg_even and neg_odd: the negations (soft_fp.h) of the even and odd
 * elements: VFMADDSUB subtracts c in the even ones and adds in the odd
 * ones, VFMSUBADD the other way round. */
static void fused(struct soft_cpu *cpu, const struct insn *in, enum fma_order order, unsigned neg_even,
		  unsigned neg_odd, bool single, bool scalar)
{
	const ymm_t *a, *b, *c;
	ymm_t d, s2, s3, r;
	unsigned n;
	uint32_t flags = 0;

	avx_check(cpu);
	d = avx_src(cpu, in, &in->op[0]);
	s2 = avx_src(cpu, in, &in->op[1]);
	s3 = avx_src(cpu, in, &in->op[2]);
	a = order == ORDER_132 ? &d : &s2;
	b = order == ORDER_213 ? &d : &s3;
	c = order == ORDER_132 ? &s2 : order == ORDER_213 ? &s3 : &d;
	r = d;
	n = scalar ? 1 : in->op[0].size / (single ? 4u : 8u);
	for (unsigned i = 0; i < n; i++) {
		uint64_t v = soft_fma(element(a, i, single), element(b, i, single), element(c, i, single), single,
				      (i & 1) ? neg_odd : neg_even, cpu->fpu.mxcsr, &flags);

		if (single)
			r.d[i] = (uint32_t)v;
		else
			r.q[i] = v;
	}
	fp_commit(cpu, flags);
	avx_dst(cpu, in, &in->op[0], &r, 0);
}

#define FMA_HANDLER(name, order, neg_even, neg_odd, single, scalar)                                                    \
	static void name(struct soft_cpu *cpu, const struct insn *in)                                                  \
	{                                                                                                              \
		fused(cpu, in, order, neg_even, neg_odd, single, scalar);                                              \
	}

FMA_HANDLER(h_vfmadd132ps, 132, 0, 0, true, false)
FMA_HANDLER(h_vfmadd132pd, 132, 0, 0, false, false)
FMA_HANDLER(h_vfmadd132ss, 132, 0, 0, true, true)
FMA_HANDLER(h_vfmadd132sd, 132, 0, 0, false, true)
FMA_HANDLER(h_vfmadd213ps, 213, 0, 0, true, false)
FMA_HANDLER(h_vfmadd213pd, 213, 0, 0, false, false)
FMA_HANDLER(h_vfmadd213ss, 213, 0, 0, true, true)
FMA_HANDLER(h_vfmadd213sd, 213, 0, 0, false, true)
FMA_HANDLER(h_vfmadd231ps, 231, 0, 0, true, false)
FMA_HANDLER(h_vfmadd231pd, 231, 0, 0, false, false)
FMA_HANDLER(h_vfmadd231ss, 231, 0, 0, true, true)
FMA_HANDLER(h_vfmadd231sd, 231, 0, 0, false, true)
FMA_HANDLER(h_vfmsub132ps, 132, FMA_NEG_ADDEND, FMA_NEG_ADDEND, true, false)
FMA_HANDLER(h_vfmsub132pd, 132, FMA_NEG_ADDEND, FMA_NEG_ADDEND, false, false)
FMA_HANDLER(h_vfmsub132ss, 132, FMA_NEG_ADDEND, FMA_NEG_ADDEND, true, true)
FMA_HANDLER(h_vfmsub132sd, 132, FMA_NEG_ADDEND, FMA_NEG_ADDEND, false, true)
FMA_HANDLER(h_vfmsub213ps, 213, FMA_NEG_ADDEND, FMA_NEG_ADDEND, true, false)
FMA_HANDLER(h_vfmsub213pd, 213, FMA_NEG_ADDEND, FMA_NEG_ADDEND, false, false)
FMA_HANDLER(h_vfmsub213ss, 213, FMA_NEG_ADDEND, FMA_NEG_ADDEND, true, true)
FMA_HANDLER(h_vfmsub213sd, 213, FMA_NEG_ADDEND, FMA_NEG_ADDEND, false, true)
FMA_HANDLER(h_vfmsub231ps, 231, FMA_NEG_ADDEND, FMA_NEG_ADDEND, true, false)
FMA_HANDLER(h_vfmsub231pd, 231, FMA_NEG_ADDEND, FMA_NEG_ADDEND, false, false)
FMA_HANDLER(h_vfmsub231ss, 231, FMA_NEG_ADDEND, FMA_NEG_ADDEND, true, true)
FMA_HANDLER(h_vfmsub231sd, 231, FMA_NEG_ADDEND, FMA_NEG_ADDEND, false, true)
FMA_HANDLER(h_vfnmadd132ps, 132, FMA_NEG_PRODUCT, FMA_NEG_PRODUCT, true, false)
FMA_HANDLER(h_vfnmadd132pd, 132, FMA_NEG_PRODUCT, FMA_NEG_PRODUCT, false, false)
FMA_HANDLER(h_vfnmadd132ss, 132, FMA_NEG_PRODUCT, FMA_NEG_PRODUCT, true, true)
FMA_HANDLER(h_vfnmadd132sd, 132, FMA_NEG_PRODUCT, FMA_NEG_PRODUCT, false, true)
FMA_HANDLER(h_vfnmadd213ps, 213, FMA_NEG_PRODUCT, FMA_NEG_PRODUCT, true, false)
FMA_HANDLER(h_vfnmadd213pd, 213, FMA_NEG_PRODUCT, FMA_NEG_PRODUCT, false, false)
FMA_HANDLER(h_vfnmadd213ss, 213, FMA_NEG_PRODUCT, FMA_NEG_PRODUCT, true, true)
FMA_HANDLER(h_vfnmadd213sd, 213, FMA_NEG_PRODUCT, FMA_NEG_PRODUCT, false, true)
FMA_HANDLER(h_vfnmadd231ps, 231, FMA_NEG_PRODUCT, FMA_NEG_PRODUCT, true, false)
FMA_HANDLER(h_vfnmadd231pd, 231, FMA_NEG_PRODUCT, FMA_NEG_PRODUCT, false, false)
FMA_HANDLER(h_vfnmadd231ss, 231, FMA_NEG_PRODUCT, FMA_NEG_PRODUCT, true, true)
FMA_HANDLER(h_vfnmadd231sd, 231, FMA_NEG_PRODUCT, FMA_NEG_PRODUCT, false, true)
FMA_HANDLER(h_vfnmsub132ps, 132, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, true, false)
FMA_HANDLER(h_vfnmsub132pd, 132, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, false, false)
FMA_HANDLER(h_vfnmsub132ss, 132, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, true, true)
FMA_HANDLER(h_vfnmsub132sd, 132, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, false, true)
FMA_HANDLER(h_vfnmsub213ps, 213, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, true, false)
FMA_HANDLER(h_vfnmsub213pd, 213, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, false, false)
FMA_HANDLER(h_vfnmsub213ss, 213, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, true, true)
FMA_HANDLER(h_vfnmsub213sd, 213, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, false, true)
FMA_HANDLER(h_vfnmsub231ps, 231, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, true, false)
FMA_HANDLER(h_vfnmsub231pd, 231, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, false, false)
FMA_HANDLER(h_vfnmsub231ss, 231, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, true, true)
FMA_HANDLER(h_vfnmsub231sd, 231, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, FMA_NEG_PRODUCT | FMA_NEG_ADDEND, false, true)
FMA_HANDLER(h_vfmaddsub132ps, 132, FMA_NEG_ADDEND, 0, true, false)
FMA_HANDLER(h_vfmaddsub132pd, 132, FMA_NEG_ADDEND, 0, false, false)
FMA_HANDLER(h_vfmaddsub213ps, 213, FMA_NEG_ADDEND, 0, true, false)
FMA_HANDLER(h_vfmaddsub213pd, 213, FMA_NEG_ADDEND, 0, false, false)
FMA_HANDLER(h_vfmaddsub231ps, 231, FMA_NEG_ADDEND, 0, true, false)
FMA_HANDLER(h_vfmaddsub231pd, 231, FMA_NEG_ADDEND, 0, false, false)
FMA_HANDLER(h_vfmsubadd132ps, 132, 0, FMA_NEG_ADDEND, true, false)
FMA_HANDLER(h_vfmsubadd132pd, 132, 0, FMA_NEG_ADDEND, false, false)
FMA_HANDLER(h_vfmsubadd213ps, 213, 0, FMA_NEG_ADDEND, true, false)
FMA_HANDLER(h_vfmsubadd213pd, 213, 0, FMA_NEG_ADDEND, false, false)
FMA_HANDLER(h_vfmsubadd231ps, 231, 0, FMA_NEG_ADDEND, true, false)
FMA_HANDLER(h_vfmsubadd231pd, 231, 0, FMA_NEG_ADDEND, false, false)

const struct dispatch_entry exec_fma_table[] = {
	{ ZYDIS_MNEMONIC_VFMADD132PS, h_vfmadd132ps, 0 },
	{ ZYDIS_MNEMONIC_VFMADD132PD, h_vfmadd132pd, 0 },
	{ ZYDIS_MNEMONIC_VFMADD132SS, h_vfmadd132ss, 0 },
	{ ZYDIS_MNEMONIC_VFMADD132SD, h_vfmadd132sd, 0 },
	{ ZYDIS_MNEMONIC_VFMADD213PS, h_vfmadd213ps, 0 },
	{ ZYDIS_MNEMONIC_VFMADD213PD, h_vfmadd213pd, 0 },
	{ ZYDIS_MNEMONIC_VFMADD213SS, h_vfmadd213ss, 0 },
	{ ZYDIS_MNEMONIC_VFMADD213SD, h_vfmadd213sd, 0 },
	{ ZYDIS_MNEMONIC_VFMADD231PS, h_vfmadd231ps, 0 },
	{ ZYDIS_MNEMONIC_VFMADD231PD, h_vfmadd231pd, 0 },
	{ ZYDIS_MNEMONIC_VFMADD231SS, h_vfmadd231ss, 0 },
	{ ZYDIS_MNEMONIC_VFMADD231SD, h_vfmadd231sd, 0 },
	{ ZYDIS_MNEMONIC_VFMSUB132PS, h_vfmsub132ps, 0 },
	{ ZYDIS_MNEMONIC_VFMSUB132PD, h_vfmsub132pd, 0 },
	{ ZYDIS_MNEMONIC_VFMSUB132SS, h_vfmsub132ss, 0 },
	{ ZYDIS_MNEMONIC_VFMSUB132SD, h_vfmsub132sd, 0 },
	{ ZYDIS_MNEMONIC_VFMSUB213PS, h_vfmsub213ps, 0 },
	{ ZYDIS_MNEMONIC_VFMSUB213PD, h_vfmsub213pd, 0 },
	{ ZYDIS_MNEMONIC_VFMSUB213SS, h_vfmsub213ss, 0 },
	{ ZYDIS_MNEMONIC_VFMSUB213SD, h_vfmsub213sd, 0 },
	{ ZYDIS_MNEMONIC_VFMSUB231PS, h_vfmsub231ps, 0 },
	{ ZYDIS_MNEMONIC_VFMSUB231PD, h_vfmsub231pd, 0 },
	{ ZYDIS_MNEMONIC_VFMSUB231SS, h_vfmsub231ss, 0 },
	{ ZYDIS_MNEMONIC_VFMSUB231SD, h_vfmsub231sd, 0 },
	{ ZYDIS_MNEMONIC_VFNMADD132PS, h_vfnmadd132ps, 0 },
	{ ZYDIS_MNEMONIC_VFNMADD132PD, h_vfnmadd132pd, 0 },
	{ ZYDIS_MNEMONIC_VFNMADD132SS, h_vfnmadd132ss, 0 },
	{ ZYDIS_MNEMONIC_VFNMADD132SD, h_vfnmadd132sd, 0 },
	{ ZYDIS_MNEMONIC_VFNMADD213PS, h_vfnmadd213ps, 0 },
	{ ZYDIS_MNEMONIC_VFNMADD213PD, h_vfnmadd213pd, 0 },
	{ ZYDIS_MNEMONIC_VFNMADD213SS, h_vfnmadd213ss, 0 },
	{ ZYDIS_MNEMONIC_VFNMADD213SD, h_vfnmadd213sd, 0 },
	{ ZYDIS_MNEMONIC_VFNMADD231PS, h_vfnmadd231ps, 0 },
	{ ZYDIS_MNEMONIC_VFNMADD231PD, h_vfnmadd231pd, 0 },
	{ ZYDIS_MNEMONIC_VFNMADD231SS, h_vfnmadd231ss, 0 },
	{ ZYDIS_MNEMONIC_VFNMADD231SD, h_vfnmadd231sd, 0 },
	{ ZYDIS_MNEMONIC_VFNMSUB132PS, h_vfnmsub132ps, 0 },
	{ ZYDIS_MNEMONIC_VFNMSUB132PD, h_vfnmsub132pd, 0 },
	{ ZYDIS_MNEMONIC_VFNMSUB132SS, h_vfnmsub132ss, 0 },
	{ ZYDIS_MNEMONIC_VFNMSUB132SD, h_vfnmsub132sd, 0 },
	{ ZYDIS_MNEMONIC_VFNMSUB213PS, h_vfnmsub213ps, 0 },
	{ ZYDIS_MNEMONIC_VFNMSUB213PD, h_vfnmsub213pd, 0 },
	{ ZYDIS_MNEMONIC_VFNMSUB213SS, h_vfnmsub213ss, 0 },
	{ ZYDIS_MNEMONIC_VFNMSUB213SD, h_vfnmsub213sd, 0 },
	{ ZYDIS_MNEMONIC_VFNMSUB231PS, h_vfnmsub231ps, 0 },
	{ ZYDIS_MNEMONIC_VFNMSUB231PD, h_vfnmsub231pd, 0 },
	{ ZYDIS_MNEMONIC_VFNMSUB231SS, h_vfnmsub231ss, 0 },
	{ ZYDIS_MNEMONIC_VFNMSUB231SD, h_vfnmsub231sd, 0 },
	{ ZYDIS_MNEMONIC_VFMADDSUB132PS, h_vfmaddsub132ps, 0 },
	{ ZYDIS_MNEMONIC_VFMADDSUB132PD, h_vfmaddsub132pd, 0 },
	{ ZYDIS_MNEMONIC_VFMADDSUB213PS, h_vfmaddsub213ps, 0 },
	{ ZYDIS_MNEMONIC_VFMADDSUB213PD, h_vfmaddsub213pd, 0 },
	{ ZYDIS_MNEMONIC_VFMADDSUB231PS, h_vfmaddsub231ps, 0 },
	{ ZYDIS_MNEMONIC_VFMADDSUB231PD, h_vfmaddsub231pd, 0 },
	{ ZYDIS_MNEMONIC_VFMSUBADD132PS, h_vfmsubadd132ps, 0 },
	{ ZYDIS_MNEMONIC_VFMSUBADD132PD, h_vfmsubadd132pd, 0 },
	{ ZYDIS_MNEMONIC_VFMSUBADD213PS, h_vfmsubadd213ps, 0 },
	{ ZYDIS_MNEMONIC_VFMSUBADD213PD, h_vfmsubadd213pd, 0 },
	{ ZYDIS_MNEMONIC_VFMSUBADD231PS, h_vfmsubadd231ps, 0 },
	{ ZYDIS_MNEMONIC_VFMSUBADD231PD, h_vfmsubadd231pd, 0 },
	{ 0, NULL, 0 },
};
