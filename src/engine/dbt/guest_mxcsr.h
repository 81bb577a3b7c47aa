/* The guest's MXCSR in the host while translated code runs SSE and AVX
 * floating-point arithmetic as itself (ident_simd.h, IDENT_SIMD_MXCSR): the
 * guest's control bits (rounding, FZ, DAZ; every exception masked, or no
 * such code is translated) and, from a clean start, the flags the guest's
 * instructions raise. At every way from translated code into C that may
 * read the guest's MXCSR (a callout or a slow path's core run; the return
 * to the dispatch loop) the flags are ORed into the soft CPU's and the
 * VMM's MXCSR comes back; a longjmp out of the core finds it back already.
 * Why not keep the VMM's value and merge after each instruction: a store,
 * a mask, an OR and a load again per instruction, against two per way out. */
#ifndef RV_DBT_GUEST_MXCSR_H
#define RV_DBT_GUEST_MXCSR_H

#include <xmmintrin.h>

#include "engine/softcpu/cpu.h"

#define MXCSR_FLAGS 0x3fu /* IE DE ZE OE UE PE */

static inline void guest_mxcsr_load(struct soft_cpu *cpu)
{
	cpu->host_mxcsr = _mm_getcsr();
	_mm_setcsr(cpu->fpu.mxcsr & ~MXCSR_FLAGS);
	cpu->mxcsr_in_host = true;
}

static inline void guest_mxcsr_unload(struct soft_cpu *cpu)
{
	if (!cpu->mxcsr_in_host)
		return;
	cpu->fpu.mxcsr |= _mm_getcsr() & MXCSR_FLAGS;
	_mm_setcsr(cpu->host_mxcsr);
	cpu->mxcsr_in_host = false;
}

#endif
