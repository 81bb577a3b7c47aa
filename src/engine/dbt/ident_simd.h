/* Which SSE and AVX instructions the dbt engine runs as themselves: the
 * integer, logical, shuffle and move forms, which read no MXCSR and raise no
 * exception but a memory operand's (so what the host computes is what the
 * core computes: both are this CPU's, or the SDM's), where the host has the
 * extension. The guest's vector registers stay in the soft CPU
 * (fpu.xmm/ymm_hi): translated code loads the ones an instruction names into
 * the host registers of the same numbers just before it and stores those it
 * writes just after, so no host vector register holds guest state across
 * instructions, slow paths or callouts. */
#ifndef RV_DBT_IDENT_SIMD_H
#define RV_DBT_IDENT_SIMD_H

#include <stdbool.h>
#include <stdint.h>

#include <Zydis/Zydis.h>

/* The guest CPU state a class of vector instructions needs to run without a
 * fault (sse_check, avx_check): translations are made for the classes the
 * CPU allows when they are made (translate_env.simd). */
#define IDENT_SIMD_SSE 1u /* legacy-encoded SSE to SSE4.2 */
#define IDENT_SIMD_AVX 2u /* VEX-encoded AVX, AVX2, FMA, F16C */
/* With one of those: floating-point arithmetic, which runs under the guest's
 * MXCSR (guest_mxcsr.h) and only while it masks every exception (a host
 * SIMD exception would be SIGFPE). */
#define IDENT_SIMD_MXCSR 4u

/* The classes zi needs, or 0 when it is not one the engine copies here: not
 * on the lists, or an extension this host lacks. */
unsigned ident_simd_class(const ZydisDecodedInstruction *zi);

/* XMMn or YMMn: n; anything else -1. */
int ident_vector_number(ZydisRegister r);

/* The alignment a memory operand of mem_bytes must have for the host not to
 * raise #GP (SDM Vol. 1, 14.9 and 15.7: legacy 16-byte operands but the
 * explicitly unaligned moves and the string compares; VEX only the aligned
 * moves), 0 for none. */
uint8_t ident_simd_align(const ZydisDecodedInstruction *zi, unsigned mem_bytes);

/* Flags zi clears that Zydis's flag table leaves out (VPTEST, VTESTPS and
 * VTESTPD clear AF, OF, PF and SF as PTEST does: SDM Vol. 2, each
 * instruction's "Flags Affected"), as RFLAGS bits. */
uint32_t ident_simd_flags_cleared(const ZydisDecodedInstruction *zi);

#endif
