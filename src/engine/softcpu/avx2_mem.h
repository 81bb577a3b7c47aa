/* The element accesses of AVX2's masked moves and gathers (exec_avx2.c):
 * each selected element is its own access, and none is alignment-checked:
 * with CR0.AM and RFLAGS.AC set at CPL 3 the AMD host raises no #AC for a
 * misaligned element of VPMASKMOV or of a gather (found by the differential
 * test), and the SDM's pages for them list none. */
#ifndef RV_SOFTCPU_AVX2_MEM_H
#define RV_SOFTCPU_AVX2_MEM_H

#include "engine/softcpu/insn.h"

/* `size` bytes at seg:ea (ea already reduced to the address size). */
uint64_t avx2_element_read(struct soft_cpu *cpu, unsigned seg, uint64_t ea, unsigned size);

#endif
