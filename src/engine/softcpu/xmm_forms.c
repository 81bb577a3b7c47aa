#include "engine/softcpu/xmm_forms.h"

#include <string.h>

#include "engine/softcpu/avx.h"

unsigned xmm_forms_sources(struct soft_cpu *cpu, const struct insn *in, bool vex, xmm_t *a, xmm_t *b)
{
	/* One-source forms have the source at op[1] in both encodings. */
	unsigned last = a && vex ? 2 : 1;
	ymm_t v;

	if (!vex) {
		sse_check(cpu);
		if (a)
			*a = xmm_get(cpu, in->op[0].reg);
		*b = sse_src(cpu, in, &in->op[last], false);
		return last + 1;
	}
	avx_check(cpu);
	if (in->op[0].size != 16)
		cpu_raise_ud(cpu);
	if (a)
		*a = xmm_get(cpu, in->op[1].reg);
	v = avx_src(cpu, in, &in->op[last]);
	memcpy(b, &v.lane[0], sizeof(*b));
	return last + 1;
}

void xmm_forms_result(struct soft_cpu *cpu, const struct insn *in, bool vex, const xmm_t *r)
{
	ymm_t v;

	if (!vex) {
		xmm_set(cpu, in->op[0].reg, r);
		return;
	}
	memset(&v, 0, sizeof(v));
	memcpy(&v.lane[0], r, sizeof(*r));
	ymm_set(cpu, in->op[0].reg, &v, 16);
}
