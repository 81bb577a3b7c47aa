/* The state beyond KVM_GET/SET_FPU: the YMM upper halves (the AVX component of
 * the XSAVE area, at XSAVE_AVX_OFFSET of KVM's standard-format image) through
 * KVM_GET/SET_XSAVE, and XCR0 through KVM_GET/SET_XCRS, where the host KVM has
 * KVM_CAP_XSAVE and KVM_CAP_XCRS (Documentation/virt/kvm/api.rst). Without
 * them the state has neither: YMM upper halves zero and XCR0 = 1, as after
 * reset, which is all a model without XSAVE can have. */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "engine/kvm/kvm_internal.h"
#include "x86/xsave_area.h"

static void probe(struct engine *e)
{
	if (e->xstate_probed)
		return;
	e->has_xsave = ioctl(e->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0;
	e->has_xcrs = ioctl(e->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0;
	e->xstate_probed = true;
}

static uint64_t xstate_bv(const struct kvm_xsave *x)
{
	uint64_t bv;

	memcpy(&bv, (const uint8_t *)x->region + XSAVE_HEADER_OFFSET, 8);
	return bv;
}

int kvm_xstate_get(struct engine_vcpu *v, struct vcpu_state *s)
{
	struct kvm_xsave *x;
	struct kvm_xcrs xcrs;

	probe(v->kvm);
	s->xcr0 = XCR0_X87;
	memset(s->fpu.ymm_hi, 0, sizeof(s->fpu.ymm_hi));
	if (v->kvm->has_xcrs) {
		if (ioctl(v->fd, KVM_GET_XCRS, &xcrs))
			return -1;
		for (uint32_t i = 0; i < xcrs.nr_xcrs && i < KVM_MAX_XCRS; i++)
			if (xcrs.xcrs[i].xcr == 0)
				s->xcr0 = xcrs.xcrs[i].value;
	}
	if (!v->kvm->has_xsave)
		return 0;
	x = malloc(sizeof(*x));
	if (!x || ioctl(v->fd, KVM_GET_XSAVE, x)) {
		free(x);
		return -1;
	}
	/* XSTATE_BV[2] clear: the component is in its initial configuration. */
	if (xstate_bv(x) & XCR0_AVX)
		memcpy(s->fpu.ymm_hi, (const uint8_t *)x->region + XSAVE_AVX_OFFSET, sizeof(s->fpu.ymm_hi));
	free(x);
	return 0;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* After KVM_SET_FPU, which wrote the x87 and SSE state: the image as KVM now
 * has it, with the AVX component put in. */
int kvm_xstate_set(struct engine_vcpu *v, const struct vcpu_state *s)
{
	struct kvm_xcrs xcrs = { .nr_xcrs = 1, .xcrs = { { .xcr = 0, .value = s->xcr0 } } };
	struct kvm_xsave *x;
	bool upper = !all_zero(&s->fpu.ymm_hi[0][0], sizeof(s->fpu.ymm_hi));
	uint64_t bv;
	int rc = -1;

	probe(v->kvm);
	if (v->kvm->has_xcrs ? ioctl(v->fd, KVM_SET_XCRS, &xcrs) != 0 : s->xcr0 != XCR0_X87)
		return -1;
	if (!v->kvm->has_xsave)
		return upper ? -1 : 0;
	x = malloc(sizeof(*x));
	if (!x || ioctl(v->fd, KVM_GET_XSAVE, x))
		goto out;
	bv = (xstate_bv(x) & ~XCR0_AVX) | (upper ? XCR0_AVX : 0);
	memcpy((uint8_t *)x->region + XSAVE_HEADER_OFFSET, &bv, 8);
	memcpy((uint8_t *)x->region + XSAVE_AVX_OFFSET, s->fpu.ymm_hi, sizeof(s->fpu.ymm_hi));
	rc = ioctl(v->fd, KVM_SET_XSAVE, x) ? -1 : 0;
out:
	free(x);
	return rc;
}
