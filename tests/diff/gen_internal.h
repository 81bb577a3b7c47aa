/* Internals of the test generator, shared by its files: gen_ops.c (values,
 * registers, items, memory operands), gen_arith.c, gen_data.c, gen_control.c, gen_loop.c, gen_walk.c, gen_mmx.c,
 * gen_x87.c, gen_ssse3.c, gen_sse4.c, gen_xsave.c, gen_bmi.c, gen_crypto.c, gen_avx_fp.c, gen_avx_int.c,
 * gen_avx_data.c and gen_far.c (the instruction families), gen.c (the family table and whole cases). */
#ifndef DIFF_GEN_INTERNAL_H
#define DIFF_GEN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <Zydis/Zydis.h>

#include "gen.h"
#include "rng.h"

/* Address registers point into [ADDR_LO, ADDR_HI]; with an index up to +-63
 * scaled by 8, a displacement up to +-0x100, an FS or GS base of 0x80 or 0xc0, an
 * 8-byte access and a BT bit offset up to +-256 bytes, every access stays inside
 * the data page. */
#define ADDR_LO (GI_DATA + 0x480)
#define ADDR_HI (GI_DATA + 0xb00)
#define INDEX_MAX 63
#define DISP_MAX 0x100
#define BITOFF_MAX 2047
/* String instructions: at most STR_COUNT_MAX elements of 8 bytes either way. */
#define STR_LO (GI_DATA + 0x200)
#define STR_HI (GI_DATA + 0xe00)
#define STR_COUNT_MAX 16

/* Register numbers: 0-15 in encoding order; for 8-bit operands 16-19 are AH-BH. */
#define RAX_N 0
#define RCX_N 1
#define RDX_N 2
#define RBX_N 3
#define RSP_N 4 /* never a destination */
#define RBP_N 5
#define RSI_N 6
#define RDI_N 7
#define REG_HIGH8 16

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct gen {
	struct rng r;
	struct seq *s;
	bool faulting;	     /* the unit being made has a memory operand meant to fault */
	bool no_faults;	     /* the unit being made aims no memory operand to fault (gen_mmx.c) */
	bool native_only;    /* the unit being made is aimed at the canonical boundary (item.native_only) */
	uint64_t popf_value; /* the unit being made is a POPF of this value */
	uint8_t prefix[4];   /* raw prefixes for the next item appended */
	unsigned nprefix;
	/* A loop's body being made (gen_loop.c): registers no destination is
	 * chosen from (the loop's count and pointer), and the next memory
	 * operand gen_mem makes, when `moving`: [moving_base + moving_disp]. */
	uint16_t reserved;
	bool moving;
	unsigned moving_base;
	int64_t moving_disp;
};

/* What an instruction does to the arithmetic flags (F_* bits, seq.h). */
struct flag_effect {
	uint16_t rd, def, undef;
};

/* gen_allow_host_state(), gen_allow_noncanonical(), gen_allow_unmasked_simd(),
 * gen_allow_native_only() */
extern bool gen_host_state_allowed, gen_noncanonical_allowed, gen_unmasked_simd_allowed, gen_native_only_allowed;
/* gen_allow_vendor_specific() */
extern bool gen_vendor_specific_allowed;
/* gen_set_raw_simd(): the weight of fam_raw_simd (0: off), and whether it is the only family */
extern unsigned gen_raw_simd_weight;
extern bool gen_raw_simd_only;

/* ---- values and registers (gen_ops.c) ---- */
uint64_t gen_value(struct rng *r);	       /* edge values, small ones, random widths */
int64_t gen_imm(struct rng *r, unsigned bits); /* sign-extended, as the encoder takes it */
unsigned gen_imm_bits(unsigned size);
unsigned gen_size(struct gen *g);     /* 1, 2, 4 or 8 */
unsigned gen_size_no8(struct gen *g); /* 2, 4 or 8 */
int64_t gen_disp(struct gen *g);
ZydisRegister gen_gpr(unsigned size, unsigned n);
/* A register number; destinations are never RSP nor reserved; avoid is a mask
 * of numbers. */
unsigned gen_reg_avoid(struct gen *g, unsigned size, bool dst, unsigned avoid);
unsigned gen_reg(struct gen *g, unsigned size, bool dst);

/* ---- requests and items (gen_ops.c) ---- */
void gen_req_init(ZydisEncoderRequest *q, ZydisMnemonic m);
void gen_add_reg(ZydisEncoderRequest *q, ZydisRegister r);
void gen_add_imm(ZydisEncoderRequest *q, int64_t v);
void gen_add_op(ZydisEncoderRequest *q, const ZydisEncoderOperand *op);
unsigned gen_encoded_length(const ZydisEncoderRequest *q); /* 0: the encoder refuses it */
bool gen_encodable(const ZydisEncoderRequest *q);
/* Appends an item unless the sequence is full, the interpreter lacks the
 * mnemonic, or it is a known bug's form. */
struct item *gen_append(struct gen *g, const ZydisEncoderRequest *q, uint16_t rd, uint16_t def, uint16_t undef);
bool gen_emit(struct gen *g, const ZydisEncoderRequest *q, uint16_t rd, uint16_t def, uint16_t undef);
bool gen_emit_fx(struct gen *g, const ZydisEncoderRequest *q, struct flag_effect e);
/* gen_emit for an instruction that accesses memory: maybe with a raw segment prefix. */
bool gen_emit_accessing(struct gen *g, const ZydisEncoderRequest *q, uint16_t rd, uint16_t def, uint16_t undef,
			bool accesses);
bool gen_emit_plain(struct gen *g, ZydisMnemonic m, uint16_t rd, uint16_t def, uint16_t undef);
/* `mov r64, value` loading a register for the next instruction. */
bool gen_emit_setup(struct gen *g, unsigned n, int64_t value);
bool gen_emit_raw(struct gen *g, const uint8_t *bytes, unsigned len);
/* `m [mem]` with a memory operand of size bytes (gen_x87.c). */
bool gen_emit_mem(struct gen *g, ZydisMnemonic m, unsigned size);
/* unit() made joined (gen_mmx.c, gen_x87.c): no branch lands inside it, no
 * memory operand in it is aimed to fault. */
bool gen_joined_unit(struct gen *g, bool (*unit)(struct gen *g));

/* ---- MMX and XMM registers (gen_mmx.c): registers are not compared, so a
 * unit loads those it reads from GPRs and shows its results in a GPR or
 * memory ---- */
ZydisRegister gen_mm_reg(unsigned n);
ZydisRegister gen_xmm_reg(unsigned n);
bool gen_emit_two(struct gen *g, ZydisMnemonic m, ZydisRegister a, ZydisRegister b);
bool gen_load_mm(struct gen *g, unsigned n);  /* MOVQ mmN from a GPR */
bool gen_load_xmm(struct gen *g, unsigned n); /* MOVQ xmmN from a GPR: the high quadword zero */
/* xmmN = (lo, hi) through a GPR; xmm `tmp` is clobbered. */
bool gen_load_xmm_value(struct gen *g, unsigned n, uint64_t lo, uint64_t hi, unsigned tmp);
bool gen_show(struct gen *g, ZydisRegister reg); /* an MMX register or an XMM register's low quadword */
bool gen_show_xmm(struct gen *g, unsigned n);	 /* both quadwords, one at a time; clobbers the register */
/* An MMX source for q: another register (loaded) or size bytes of memory. */
bool gen_mm_source(struct gen *g, unsigned dst, unsigned size, ZydisEncoderRequest *q);

/* ---- YMM registers (gen_avx_int.c): the units of every YMM family
 * (gen_avx_int.c, gen_avx_data.c, gen_avx_fp.c) use YMM0-YMM13; XMM14 and
 * XMM15 are their temporaries ---- */
#define YMM_USED 14
#define TEMP_LO 14
#define TEMP_HI 15
ZydisRegister gen_vreg(unsigned n, unsigned bytes);			 /* XMMn (16) or YMMn (32) */
bool gen_load_ymm(struct gen *g, unsigned n);				 /* all 256 bits from edge values */
bool gen_load_ymm_value(struct gen *g, unsigned n, const uint64_t q[4]); /* quadwords 0-3 */
bool gen_show_ymm(struct gen *g, unsigned n); /* the high half by VEXTRACTI128 into XMM15, then both */
/* ---- operands (gen_ops.c) ---- */
/* An address meant to fault for an operand of size bytes (gen_mem's, now
 * and then); sets g->faulting, and g->native_only for one at the canonical
 * boundary. */
uint64_t gen_wild_address(struct gen *g, unsigned size);
/* A memory operand of `size` bytes inside the data page (or the stack page), now
 * and then one meant to fault; appends the `mov`s its registers need, chosen
 * outside `avoid`; *used gets them. Or a loop's moving pointer (g->moving), which
 * may fault, unless no_faults or avoid says otherwise. */
bool gen_mem(struct gen *g, unsigned size, unsigned avoid, ZydisEncoderOperand *op, unsigned *used,
	     ZydisInstructionAttributes *prefixes);
/* A register (never RSP as a destination) or memory operand. */
bool gen_rm(struct gen *g, unsigned size, bool dst, bool mem, unsigned avoid, ZydisEncoderOperand *op,
	    ZydisInstructionAttributes *prefixes);

/* ---- small helpers (gen_ops.c) ---- */
uint16_t gen_cc_reads(unsigned cc); /* the flags condition code cc reads */
ZydisMnemonic gen_pick(struct gen *g, const ZydisMnemonic *list, unsigned n);
#define PICK(g, list) gen_pick((g), (list), ARRAY_LEN(list))
void gen_maybe_lock(struct gen *g, ZydisEncoderRequest *q);	       /* LOCK, now and then, on a memory destination */
extern const ZydisMnemonic gen_setcc[16], gen_cmovcc[16], gen_jcc[16]; /* by condition code */

/* ---- SSE and AVX units (gen_sse4.c) ---- */
/* Scratch dwords for MXCSR, below every address the other families use. */
#define CSR_SET (GI_DATA + 0x40)
#define CSR_SEEN (GI_DATA + 0x44)
#define CSR_DEFAULT (GI_DATA + 0x48)
/* Floats (two to a quadword) or a double around rounding ties, signed zeros,
 * denormals, infinities, NaNs and overflow. */
uint64_t gen_fp_value(struct gen *g);
/* Any rounding, DAZ and FZ; exceptions masked, or some unmasked where only
 * the native reference runs. */
uint32_t gen_random_csr(struct gen *g);
/* MOV dword [addr], v; LDMXCSR or STMXCSR (m) of addr. */
bool gen_store_dword(struct gen *g, uint64_t addr, uint32_t v);
bool gen_csr_op(struct gen *g, ZydisMnemonic m, uint64_t addr);
/* `size` bytes in the data page through a loaded base register, 16-aligned
 * when `aligned`; with `may_fault` one in 12 in or into the unmapped page
 * after it. */
bool gen_sse_mem(struct gen *g, unsigned size, bool aligned, bool may_fault, unsigned avoid, ZydisEncoderOperand *op,
		 ZydisInstructionAttributes *prefixes);

/* ---- loops (gen_loop.c) and the pointers they move (gen_walk.c) ---- */
#define LOOP_ROUNDS_MAX 6 /* a loop's count: 1 to this */
struct walk {
	unsigned ptr;	     /* the register, which only the step writes in the loop */
	unsigned stride_reg; /* one holding the stride, which the loop keeps; RSP_N: none */
	int64_t stride;	     /* added once a round */
	int64_t disp;	     /* of the first access */
	uint64_t ptr0;	     /* where it starts */
	bool edge;	     /* it jumps to the canonical boundary (item.native_only) */
};
/* Plans a walk of w->ptr: where it starts, how far it moves a round, the
 * first access's displacement, so that the first access, after the step in
 * its round when `after`, is in the data page in the first round and, unless
 * the walk stays there, reaches the page's end or start or a non-canonical
 * address in a later round (past the last round now and then: no fault). */
void gen_walk_plan(struct gen *g, struct walk *w, bool after);
/* The step: ADD or LEA of the stride register, or ADD, SUB, LEA, INC or DEC
 * of the constant. */
bool gen_walk_step(struct gen *g, const struct walk *w);
/* A unit of a family whose memory operand goes through the pointer: at the
 * first access's displacement, or (first false) near it. */
bool gen_walk_access(struct gen *g, const struct walk *w, bool first);

/* ---- the families: each appends one instruction with its setup; false when the
 * combination drawn cannot be made (the caller draws again) ---- */
bool fam_alu(struct gen *g);
bool fam_unary(struct gen *g);
bool fam_shift(struct gen *g);
bool fam_double_shift(struct gen *g);
bool fam_muldiv(struct gen *g);
bool fam_imul(struct gen *g);
bool fam_bittest(struct gen *g);
bool fam_bitscan(struct gen *g);
bool fam_exchange_arith(struct gen *g);
bool fam_cmpxchg_wide(struct gen *g);
bool fam_setcc(struct gen *g);
bool fam_cmovcc(struct gen *g);
bool fam_extend(struct gen *g);
bool fam_lea(struct gen *g);
bool fam_xchg(struct gen *g);
bool fam_push_pop(struct gen *g);
bool fam_flags_stack(struct gen *g);
bool fam_leave(struct gen *g);
bool fam_enter(struct gen *g);
bool fam_string(struct gen *g);
bool fam_xlat(struct gen *g);
bool fam_misc(struct gen *g);
bool fam_bswap(struct gen *g);
bool fam_long_nop(struct gen *g);
bool fam_branch(struct gen *g);
bool fam_loop(struct gen *g); /* gen_loop.c */
bool fam_faulting(struct gen *g);
bool fam_system_read(struct gen *g);
bool fam_mmx_arith(struct gen *g);
bool fam_mmx_move(struct gen *g);
bool fam_mmx_xmm(struct gen *g);
bool fam_mmx_x87(struct gen *g);
bool fam_x87_bcd_split(struct gen *g);
bool fam_x87_fisttp(struct gen *g);
bool fam_sse3(struct gen *g);
bool fam_ssse3(struct gen *g);
bool fam_popcnt(struct gen *g);
bool fam_sse41_int(struct gen *g);
bool fam_sse41_fp(struct gen *g);
bool fam_sse42_string(struct gen *g);
bool fam_sse42_crc32(struct gen *g);
bool fam_xsave(struct gen *g);
bool fam_save_area_edge(struct gen *g); /* gen_xsave.c: FXSAVE..XRSTOR areas crossing into an unmapped page */
bool fam_bmi1(struct gen *g);
bool fam_bmi2(struct gen *g);
bool fam_movbe(struct gen *g);
bool fam_adx(struct gen *g);
bool fam_aes(struct gen *g);
bool fam_pclmul(struct gen *g);
bool fam_sha(struct gen *g);
bool fam_avx_fp_arith(struct gen *g);
bool fam_avx_fp_data(struct gen *g);
bool fam_avx_fma(struct gen *g);
bool fam_avx_int(struct gen *g);      /* gen_avx_int.c */
bool fam_avx_data(struct gen *g);     /* gen_avx_data.c */
bool fam_far_pointer(struct gen *g);  /* gen_far.c: LFS, LGS, LSS */
bool fam_far_transfer(struct gen *g); /* gen_far.c: far JMP and CALL through memory, RETF */
bool fam_raw_simd(struct gen *g);     /* gen_rawsimd.c */

#endif
