/* The instruction handlers (exec_*.c): each file exports a table from Zydis
 * mnemonics to its handlers, which dispatch.c gathers into one lookup. A handler
 * executes one decoded instruction on the soft CPU (insn.h has the contract). */
#ifndef RV_SOFTCPU_HANDLERS_H
#define RV_SOFTCPU_HANDLERS_H

#include <Zydis/Zydis.h>

#include "engine/softcpu/insn.h"

struct dispatch_entry {
	uint16_t mnemonic; /* ZydisMnemonic */
	insn_fn fn;
	uint8_t flags; /* INSN_END_BLOCK when the instruction may change control flow or mode */
};

/* Each exec_*.c file's part of the table, ended by an entry whose fn is NULL. */
extern const struct dispatch_entry exec_int_table[];
extern const struct dispatch_entry exec_muldiv_table[];
extern const struct dispatch_entry exec_flow_table[];
extern const struct dispatch_entry exec_string_table[];
extern const struct dispatch_entry exec_sys_table[];
extern const struct dispatch_entry exec_int2_table[];
extern const struct dispatch_entry exec_sse_table[];
extern const struct dispatch_entry exec_sse_string_alias_table[]; /* SSE2 MOVSD, CMPSD */
extern const struct dispatch_entry exec_x87_ldst_table[];
extern const struct dispatch_entry exec_x87_arith_table[];
extern const struct dispatch_entry exec_x87_state_table[];
extern const struct dispatch_entry exec_mmx_table[];
extern const struct dispatch_entry exec_sse3_table[];
extern const struct dispatch_entry exec_ssse3_table[];
extern const struct dispatch_entry exec_sse41_table[];
extern const struct dispatch_entry exec_sse42_table[];
extern const struct dispatch_entry exec_xsave_table[];
extern const struct dispatch_entry exec_bmi_table[];
extern const struct dispatch_entry exec_adx_table[];
extern const struct dispatch_entry exec_rand_table[];
extern const struct dispatch_entry exec_fsgsbase_table[];
extern const struct dispatch_entry exec_aes_table[];
extern const struct dispatch_entry exec_clmul_table[];
extern const struct dispatch_entry exec_sha_table[];
extern const struct dispatch_entry exec_avx_fp_table[];
extern const struct dispatch_entry exec_avx_move_table[];
extern const struct dispatch_entry exec_avx_perm_table[]; /* AVX/AVX2 data movement, FP and integer mnemonics */
extern const struct dispatch_entry exec_fma_table[];
extern const struct dispatch_entry exec_f16c_table[];
extern const struct dispatch_entry exec_avx_int_table[];      /* VEX forms of the SSE integer instructions */
extern const struct dispatch_entry exec_avx_int_move_table[]; /* VEX integer moves */
extern const struct dispatch_entry exec_avx2_table[];	      /* AVX2's integer-only: variable shifts */
extern const struct dispatch_entry exec_gather_table[];	      /* AVX2 gathers */
extern const struct dispatch_entry exec_mmx_form_table[];     /* MMX forms of MOVD, MOVQ, PEXTRW, ... */
extern const struct dispatch_entry exec_far_table[];	      /* LDS, LES, LFS, LGS, LSS */

/* MOV to or from a control or debug register (exec_sys.c). */
void h_mov_special(struct soft_cpu *cpu, const struct insn *in);

/* The offset's size in a far pointer in memory (m16:16 or m16:32): 2 with a
 * 16-bit operand size, else 4, REX.W or not (as AMD processors read it:
 * exec_far.c). */
static inline unsigned far_offset_size(const struct insn *in)
{
	return in->opsize == 2 ? 2 : 4;
}

/* Reads the far pointer at memory operand o: the offset, then the selector,
 * each its own access (exec_far.c). */
void far_pointer_read(struct soft_cpu *cpu, const struct insn *in, const struct operand *o, uint64_t *off,
		      uint16_t *sel);

/* BSF and BSR (exec_muldiv.c), which TZCNT and LZCNT are where the model
 * lacks BMI1 or LZCNT (exec_bmi.c). */
void h_bsf(struct soft_cpu *cpu, const struct insn *in);
void h_bsr(struct soft_cpu *cpu, const struct insn *in);

/* Tests only: RDRAND and RDSEED fail (CF = 0) as if the host had no
 * randomness to give (exec_rand.c). */
void exec_rand_fail_for_tests(bool fail);

#endif
