/* What the VEX-encoded (AVX, AVX2, FMA, F16C) handler files share: the checks
 * every VEX instruction makes, the YMM register as two XMM lanes, and its
 * operands at 128 or 256 bits (the operand's size says which: a YMM register
 * decodes as OK_XMM of size 32).
 *
 * A VEX instruction that writes an XMM register zeroes bits 128-255 of the
 * YMM register (VEX.128); a legacy SSE one leaves them (xmm_set), SDM Vol. 1,
 * 14.1.4. */
#ifndef RV_SOFTCPU_AVX_H
#define RV_SOFTCPU_AVX_H

#include "engine/softcpu/sse.h"

typedef union {
	xmm_t lane[2]; /* lane[1]: bits 128-255 */
	uint8_t b[32];
	uint16_t w[16];
	uint32_t d[8];
	uint64_t q[4];
} ymm_t;

/* The exceptions of a VEX instruction before its operands (SDM Vol. 2A,
 * 2.8, table 2-21): #UD in real mode, without CR4.OSXSAVE, or with XCR0's
 * SSE or AVX component disabled; then #NM with CR0.TS. */
void avx_check(struct soft_cpu *cpu);
/* Whether avx_check passes now. */
bool avx_allowed(const struct soft_cpu *cpu);

ymm_t ymm_get(const struct soft_cpu *cpu, unsigned n);
/* Writes bytes (16 or 32) of v to YMMn; 16 zeroes the upper half. */
void ymm_set(struct soft_cpu *cpu, unsigned n, const ymm_t *v, unsigned bytes);

/* A source operand: an XMM or YMM register (o->size bytes, the rest zero), or
 * o->size bytes of memory, or a GPR or an immediate, zero-extended. VEX
 * memory operands need no alignment (the aligned moves check their own). */
ymm_t avx_src(struct soft_cpu *cpu, const struct insn *in, const struct operand *o);
/* Writes the destination: a register as ymm_set with o->size bytes, memory
 * o->size bytes; align is 0 or the alignment that raises #GP(0). */
void avx_dst(struct soft_cpu *cpu, const struct insn *in, const struct operand *o, const ymm_t *v, unsigned align);

/* The full-width moves, handlers of both the floating-point
 * (exec_avx_move.c) and the integer (exec_avx_int_move.c) mnemonics: dst =
 * src, 16 or 32 bytes; the aligned one raises #GP(0) for a memory operand not
 * aligned to its size. */
void avx_move_aligned(struct soft_cpu *cpu, const struct insn *in);
void avx_move_unaligned(struct soft_cpu *cpu, const struct insn *in);

/* One element of a masked move (exec_avx_perm.c) or of a gather
 * (exec_gather.c): `size` bytes at seg:ea (ea already reduced to the address
 * size), an access of its own. No element is alignment-checked: with CR0.AM
 * and RFLAGS.AC set at CPL 3 the AMD host raises no #AC for a misaligned
 * element of VMASKMOVPS/PD, VPMASKMOVD/Q or a gather (found by the
 * differential test), and the SDM's pages for them list none. */
uint64_t avx_element_read(struct soft_cpu *cpu, unsigned seg, uint64_t ea, unsigned size);

#endif
