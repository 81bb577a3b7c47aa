/* The AVX2 gathers, integer and floating point alike (SDM Vol. 2, VPGATHERDD/
 * VPGATHERQD, VPGATHERDQ/VPGATHERQQ, VGATHERDPS/VGATHERQPS, VGATHERDPD/
 * VGATHERQPD): element j of the destination is loaded from base + disp +
 * (index element j, sign-extended) * scale where the top bit of mask element
 * j is set, in element order.
 *
 * Elements are taken in order, each (loaded or not) clearing its mask
 * element as it is done, so that a fault on element j leaves the elements
 * before it loaded and their mask elements clear, and restarting the
 * instruction gathers only the rest. Once every element is in, the whole
 * mask register is zero and the destination's bits above the elements used
 * are cleared. Until then nothing else changes: the AMD host leaves the mask
 * elements from the faulting one on as they were (not made all ones or all
 * zeros first, as the SDM's operation writes it) and both registers' upper
 * halves in place, checked on the host with a fault's signal frame. Any two
 * of the destination, index and mask registers being the same is #UD.
 * Reading a floating-point element raises no SIMD exception: these are
 * plain moves.
 * Element loads are not alignment-checked (avx_element_read, avx.h). */
#include <string.h>

#include "engine/softcpu/avx.h"
#include "engine/softcpu/handlers.h"

static uint64_t element(const ymm_t *v, unsigned size, unsigned j)
{
	return size == 4 ? v->d[j] : v->q[j];
}

static void set_element(ymm_t *v, unsigned size, unsigned j, uint64_t x)
{
	if (size == 4)
		v->d[j] = (uint32_t)x;
	else
		v->q[j] = x;
}

/* The offset of element j: the index element sign-extended, scaled. */
static uint64_t index_offset(const ymm_t *idx, unsigned index_size, unsigned j, unsigned scale)
{
	uint64_t x = element(idx, index_size, j);

	if (index_size == 4)
		x = (uint64_t)(int64_t)(int32_t)x;
	return x << scale;
}

/* op[0] the destination, op[1] the VSIB memory operand (its size is the
 * element's), op[2] the mask; the destination's size covers the elements
 * gathered. */
static void gather(struct soft_cpu *cpu, const struct insn *in, unsigned index_size)
{
	const struct operand *d = &in->op[0], *m = &in->op[1], *k = &in->op[2];
	unsigned size = m->size, count = d->size / size;
	uint64_t base;
	ymm_t dst, mask, idx;

	if (m->vsib == NOREG || d->reg == k->reg || d->reg == m->vsib || k->reg == m->vsib)
		cpu_raise_ud(cpu);
	avx_check(cpu);
	dst = ymm_get(cpu, d->reg);
	idx = ymm_get(cpu, m->vsib);
	mask = ymm_get(cpu, k->reg);
	base = insn_ea(cpu, in, m);
	for (unsigned j = 0; j < count; j++) {
		uint64_t ea = (base + index_offset(&idx, index_size, j, m->scale)) & size_mask(in->addrsize);

		if (element(&mask, size, j) >> (8 * size - 1)) {
			set_element(&dst, size, j, avx_element_read(cpu, m->seg, ea, size));
			ymm_set(cpu, d->reg, &dst, 32);
		}
		set_element(&mask, size, j, 0);
		ymm_set(cpu, k->reg, &mask, 32);
	}
	memset(&mask, 0, sizeof(mask));
	ymm_set(cpu, k->reg, &mask, 32);
	memset(dst.b + d->size, 0, 32 - d->size);
	ymm_set(cpu, d->reg, &dst, 32);
}

static void h_gather_dword_index(struct soft_cpu *cpu, const struct insn *in)
{
	gather(cpu, in, 4);
}

static void h_gather_qword_index(struct soft_cpu *cpu, const struct insn *in)
{
	gather(cpu, in, 8);
}

const struct dispatch_entry exec_gather_table[] = {
	{ ZYDIS_MNEMONIC_VPGATHERDD, h_gather_dword_index, 0 },
	{ ZYDIS_MNEMONIC_VPGATHERDQ, h_gather_dword_index, 0 },
	{ ZYDIS_MNEMONIC_VGATHERDPS, h_gather_dword_index, 0 },
	{ ZYDIS_MNEMONIC_VGATHERDPD, h_gather_dword_index, 0 },
	{ ZYDIS_MNEMONIC_VPGATHERQD, h_gather_qword_index, 0 },
	{ ZYDIS_MNEMONIC_VPGATHERQQ, h_gather_qword_index, 0 },
	{ ZYDIS_MNEMONIC_VGATHERQPS, h_gather_qword_index, 0 },
	{ ZYDIS_MNEMONIC_VGATHERQPD, h_gather_qword_index, 0 },
	{ 0, NULL, 0 },
};
