/* The packed integer operations of SSE2, SSSE3, SSE4.1 and SSE4.2, each
 * written once in its legacy file (exec_sse.c, exec_ssse3.c, exec_sse41.c,
 * exec_sse42.c) on one 128-bit lane, and run by both encodings: the legacy
 * handler on its XMM destination and source, the VEX one (exec_avx_int.c) on
 * VEX.vvvv and r/m into a third register, once per 128-bit lane of a 256-bit
 * operand, since AVX2 defines these instructions lane by lane (SDM Vol. 2,
 * each instruction's VEX.256 operation).
 *
 * The lists name each operation (lowercase, as the function is named) and its
 * legacy mnemonic; the VEX mnemonic is the same with a V in front. */
#ifndef RV_SOFTCPU_SIMD_OPS_H
#define RV_SOFTCPU_SIMD_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/softcpu/mmx.h"
#include "engine/softcpu/sse.h"

/* exec_sse.c: r = op(a, b), a the first source (the legacy destination). */
#define SSE2_LANE_OPS(X)                                                                                               \
	X(pand, PAND)                                                                                                  \
	X(pandn, PANDN)                                                                                                \
	X(por, POR)                                                                                                    \
	X(pxor, PXOR)                                                                                                  \
	X(paddb, PADDB)                                                                                                \
	X(paddw, PADDW)                                                                                                \
	X(paddd, PADDD)                                                                                                \
	X(paddq, PADDQ)                                                                                                \
	X(psubb, PSUBB)                                                                                                \
	X(psubw, PSUBW)                                                                                                \
	X(psubd, PSUBD)                                                                                                \
	X(psubq, PSUBQ)                                                                                                \
	X(paddsb, PADDSB)                                                                                              \
	X(paddsw, PADDSW)                                                                                              \
	X(psubsb, PSUBSB)                                                                                              \
	X(psubsw, PSUBSW)                                                                                              \
	X(paddusb, PADDUSB)                                                                                            \
	X(paddusw, PADDUSW)                                                                                            \
	X(psubusb, PSUBUSB)                                                                                            \
	X(psubusw, PSUBUSW)                                                                                            \
	X(pcmpeqb, PCMPEQB)                                                                                            \
	X(pcmpeqw, PCMPEQW)                                                                                            \
	X(pcmpeqd, PCMPEQD)                                                                                            \
	X(pcmpgtb, PCMPGTB)                                                                                            \
	X(pcmpgtw, PCMPGTW)                                                                                            \
	X(pcmpgtd, PCMPGTD)                                                                                            \
	X(pminub, PMINUB)                                                                                              \
	X(pmaxub, PMAXUB)                                                                                              \
	X(pminsw, PMINSW)                                                                                              \
	X(pmaxsw, PMAXSW)                                                                                              \
	X(pavgb, PAVGB)                                                                                                \
	X(pavgw, PAVGW)                                                                                                \
	X(psadbw, PSADBW)                                                                                              \
	X(pmullw, PMULLW)                                                                                              \
	X(pmulhw, PMULHW)                                                                                              \
	X(pmulhuw, PMULHUW)                                                                                            \
	X(pmuludq, PMULUDQ)                                                                                            \
	X(pmaddwd, PMADDWD)                                                                                            \
	X(packuswb, PACKUSWB)                                                                                          \
	X(packsswb, PACKSSWB)                                                                                          \
	X(packssdw, PACKSSDW)                                                                                          \
	X(punpcklbw, PUNPCKLBW)                                                                                        \
	X(punpcklwd, PUNPCKLWD)                                                                                        \
	X(punpckldq, PUNPCKLDQ)                                                                                        \
	X(punpcklqdq, PUNPCKLQDQ)                                                                                      \
	X(punpckhbw, PUNPCKHBW)                                                                                        \
	X(punpckhwd, PUNPCKHWD)                                                                                        \
	X(punpckhdq, PUNPCKHDQ)                                                                                        \
	X(punpckhqdq, PUNPCKHQDQ)

/* exec_sse.c: shifts of a by the count in b's low quadword (or an imm8).
 * A 256-bit form shifts both lanes by the one count of its XMM or m128
 * operand. */
#define SSE2_SHIFT_OPS(X)                                                                                              \
	X(psllw, PSLLW)                                                                                                \
	X(pslld, PSLLD)                                                                                                \
	X(psllq, PSLLQ)                                                                                                \
	X(psrlw, PSRLW)                                                                                                \
	X(psrld, PSRLD)                                                                                                \
	X(psrlq, PSRLQ)                                                                                                \
	X(psraw, PSRAW)                                                                                                \
	X(psrad, PSRAD)

#define SIMD_DECLARE_INT_OP(name, NAME) __m128i simd_##name(__m128i a, __m128i b);
SSE2_LANE_OPS(SIMD_DECLARE_INT_OP)
SSE2_SHIFT_OPS(SIMD_DECLARE_INT_OP)

/* PSLLDQ/PSRLDQ on one lane: n bytes; 16 or more clears. */
xmm_t simd_byte_shift(const xmm_t *a, unsigned n, bool left);
/* PSHUFD/PSHUFLW/PSHUFHW: s shuffled by imm8 (d is unused). */
xmm_t simd_pshufd(const xmm_t *d, const xmm_t *s, unsigned imm);
xmm_t simd_pshuflw(const xmm_t *d, const xmm_t *s, unsigned imm);
xmm_t simd_pshufhw(const xmm_t *d, const xmm_t *s, unsigned imm);

/* exec_ssse3.c: r = op(a, b) on n bytes (8 for the MMX forms, 16 for a
 * lane), p the imm8 (PALIGNR) or the operation's parameter (enum hop). The
 * list gives (operation, mnemonic, function, parameter). */
enum hop { HOP_ADD, HOP_SUB, HOP_ADD_SATURATE, HOP_SUB_SATURATE };
typedef void (*ssse3_fn)(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p);
#define SSSE3_LANE_OPS(X)                                                                                              \
	X(pshufb, PSHUFB, simd_pshufb, 0)                                                                              \
	X(phaddw, PHADDW, simd_horizontal_words, HOP_ADD)                                                              \
	X(phaddd, PHADDD, simd_horizontal_dwords, HOP_ADD)                                                             \
	X(phaddsw, PHADDSW, simd_horizontal_words, HOP_ADD_SATURATE)                                                   \
	X(phsubw, PHSUBW, simd_horizontal_words, HOP_SUB)                                                              \
	X(phsubd, PHSUBD, simd_horizontal_dwords, HOP_SUB)                                                             \
	X(phsubsw, PHSUBSW, simd_horizontal_words, HOP_SUB_SATURATE)                                                   \
	X(pmaddubsw, PMADDUBSW, simd_pmaddubsw, 0)                                                                     \
	X(pmulhrsw, PMULHRSW, simd_pmulhrsw, 0)                                                                        \
	X(psignb, PSIGNB, simd_psignb, 0)                                                                              \
	X(psignw, PSIGNW, simd_psignw, 0)                                                                              \
	X(psignd, PSIGND, simd_psignd, 0)

/* The absolute values read only b. */
#define SSSE3_UNARY_OPS(X)                                                                                             \
	X(pabsb, PABSB, simd_pabsb, 0)                                                                                 \
	X(pabsw, PABSW, simd_pabsw, 0)                                                                                 \
	X(pabsd, PABSD, simd_pabsd, 0)

void simd_pshufb(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p);
void simd_palignr(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm);
void simd_horizontal_words(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p);
void simd_horizontal_dwords(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p);
void simd_pmaddubsw(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p);
void simd_pmulhrsw(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p);
void simd_psignb(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p);
void simd_psignw(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p);
void simd_psignd(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p);
void simd_pabsb(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p);
void simd_pabsw(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p);
void simd_pabsd(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned p);

/* exec_sse41.c and exec_sse42.c: d = op(d, s). */
typedef void (*xmm_binop_fn)(xmm_t *d, const xmm_t *s);
#define SSE41_LANE_OPS(X)                                                                                              \
	X(pminsb, PMINSB)                                                                                              \
	X(pminsd, PMINSD)                                                                                              \
	X(pminuw, PMINUW)                                                                                              \
	X(pminud, PMINUD)                                                                                              \
	X(pmaxsb, PMAXSB)                                                                                              \
	X(pmaxsd, PMAXSD)                                                                                              \
	X(pmaxuw, PMAXUW)                                                                                              \
	X(pmaxud, PMAXUD)                                                                                              \
	X(pmuldq, PMULDQ)                                                                                              \
	X(pmulld, PMULLD)                                                                                              \
	X(pcmpeqq, PCMPEQQ)                                                                                            \
	X(packusdw, PACKUSDW)                                                                                          \
	X(pcmpgtq, PCMPGTQ)

#define SIMD_DECLARE_XMM_OP(name, NAME) void simd_##name(xmm_t *d, const xmm_t *s);
SSE41_LANE_OPS(SIMD_DECLARE_XMM_OP)
/* PHMINPOSUW: 128 bits only. */
void simd_phminposuw(xmm_t *d, const xmm_t *s);

/* MPSADBW on one lane, imm[2:0]. */
xmm_t simd_mpsadbw(const xmm_t *d, const xmm_t *s, unsigned imm);
/* PMOVSX/PMOVZX: (operation, mnemonic, element bytes from, to, signed). */
#define SSE41_EXTEND_OPS(X)                                                                                            \
	X(pmovsxbw, PMOVSXBW, 1, 2, true)                                                                              \
	X(pmovsxbd, PMOVSXBD, 1, 4, true)                                                                              \
	X(pmovsxbq, PMOVSXBQ, 1, 8, true)                                                                              \
	X(pmovsxwd, PMOVSXWD, 2, 4, true)                                                                              \
	X(pmovsxwq, PMOVSXWQ, 2, 8, true)                                                                              \
	X(pmovsxdq, PMOVSXDQ, 4, 8, true)                                                                              \
	X(pmovzxbw, PMOVZXBW, 1, 2, false)                                                                             \
	X(pmovzxbd, PMOVZXBD, 1, 4, false)                                                                             \
	X(pmovzxbq, PMOVZXBQ, 1, 8, false)                                                                             \
	X(pmovzxwd, PMOVZXWD, 2, 4, false)                                                                             \
	X(pmovzxwq, PMOVZXWQ, 2, 8, false)                                                                             \
	X(pmovzxdq, PMOVZXDQ, 4, 8, false)
/* PMOVSX/PMOVZX: the low count elements of `from` bytes of s, extended to
 * `to` bytes into r. */
void simd_extend(uint8_t *r, const uint8_t *s, unsigned count, unsigned from, unsigned to, bool is_signed);
/* Element i (of count, each of size bytes) of d replaced by s's where bit i
 * of sel is set; simd_blend_select makes sel from the top bit of each of
 * mask's elements (PBLENDVB and BLENDVPS/PD). */
void simd_blend(uint8_t *d, const uint8_t *s, unsigned size, unsigned count, uint32_t sel);
uint32_t simd_blend_select(const uint8_t *mask, unsigned size, unsigned count);
/* PTEST's RFLAGS over `quads` quadwords of d and s. */
uint64_t simd_ptest_flags(const uint64_t *d, const uint64_t *s, unsigned quads);
/* PEXTRx r/m, xmm, imm8 (no check: the caller's), and an element insert. */
void simd_extract(struct soft_cpu *cpu, const struct insn *in, unsigned size);
void simd_insert(xmm_t *d, unsigned size, unsigned imm, uint64_t v);

/* The string compares (exec_sse42.c), checks included: ECX or XMM0 (the VEX
 * form zeroing YMM0's upper half). */
void simd_str_index(struct soft_cpu *cpu, const struct insn *in, bool explicit_len, bool vex);
void simd_str_mask(struct soft_cpu *cpu, const struct insn *in, bool explicit_len, bool vex);

#endif
