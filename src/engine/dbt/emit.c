#include "engine/dbt/emit.h"

#include <string.h>

void emit_bytes(struct emitter *e, const void *bytes, size_t n)
{
	if (e->overflow || n > e->cap - e->pos) {
		e->overflow = true;
		return;
	}
	memcpy(e->buf + e->pos, bytes, n);
	e->pos += n;
}

static void emit_byte(struct emitter *e, uint8_t b)
{
	emit_bytes(e, &b, 1);
}

/* An instruction is built whole, then emitted whole: never half of one. */
struct insn_bytes {
	uint8_t b[16];
	size_t n;
};

static void put(struct insn_bytes *i, uint8_t b)
{
	i->b[i->n++] = b;
}

/* REX with W and B (the register in the low three bits of the opcode or ModRM.rm). */
static void put_rex(struct insn_bytes *i, bool w, enum host_reg rm)
{
	uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | (rm >= H_R8 ? 1 : 0));

	if (rex != 0x40)
		put(i, rex);
}

void emit_mov_imm64(struct emitter *e, enum host_reg reg, uint64_t imm)
{
	struct insn_bytes i = { .n = 0 };

	put_rex(&i, true, reg);
	put(&i, (uint8_t)(0xb8 + (reg & 7)));
	memcpy(i.b + i.n, &imm, 8);
	i.n += 8;
	emit_bytes(e, i.b, i.n);
}

void emit_call_reg(struct emitter *e, enum host_reg reg)
{
	struct insn_bytes i = { .n = 0 };

	put_rex(&i, false, reg);
	put(&i, 0xff);
	put(&i, (uint8_t)(0xc0 | (2 << 3) | (reg & 7))); /* ModRM: mod 11, /2 */
	emit_bytes(e, i.b, i.n);
}

void emit_add_rsp(struct emitter *e, int8_t imm)
{
	const uint8_t add[] = { 0x48, 0x83, 0xc4, (uint8_t)imm }; /* ADD r/m64, imm8: /0, rm = RSP */

	emit_bytes(e, add, sizeof(add));
}

void emit_test_al(struct emitter *e)
{
	const uint8_t test[] = { 0x84, 0xc0 };

	emit_bytes(e, test, sizeof(test));
}

void emit_test_rax(struct emitter *e)
{
	const uint8_t test[] = { 0x48, 0x85, 0xc0 };

	emit_bytes(e, test, sizeof(test));
}

void emit_jmp_reg(struct emitter *e, enum host_reg reg)
{
	struct insn_bytes i = { .n = 0 };

	put_rex(&i, false, reg);
	put(&i, 0xff);
	put(&i, (uint8_t)(0xc0 | (4 << 3) | (reg & 7))); /* ModRM: mod 11, /4 */
	emit_bytes(e, i.b, i.n);
}

void emit_ret(struct emitter *e)
{
	emit_byte(e, 0xc3);
}

void emit_push(struct emitter *e, enum host_reg reg)
{
	struct insn_bytes i = { .n = 0 };

	put_rex(&i, false, reg);
	put(&i, (uint8_t)(0x50 + (reg & 7)));
	emit_bytes(e, i.b, i.n);
}

void emit_pop(struct emitter *e, enum host_reg reg)
{
	struct insn_bytes i = { .n = 0 };

	put_rex(&i, false, reg);
	put(&i, (uint8_t)(0x58 + (reg & 7)));
	emit_bytes(e, i.b, i.n);
}

void emit_pushfq(struct emitter *e)
{
	emit_byte(e, 0x9c);
}

void emit_popfq(struct emitter *e)
{
	emit_byte(e, 0x9d);
}

void emit_flags_to_ax(struct emitter *e)
{
	static const uint8_t lahf_seto[] = { 0x9f, 0x0f, 0x90, 0xc0 };

	emit_bytes(e, lahf_seto, sizeof(lahf_seto));
}

void emit_flags_from_ax(struct emitter *e)
{
	/* AL 1 + 0x7f overflows (OF set), 0 + 0x7f does not; SAHF then sets the
	 * other five and leaves OF. */
	static const uint8_t add_sahf[] = { 0x04, 0x7f, 0x9e };

	emit_bytes(e, add_sahf, sizeof(add_sahf));
}

/* gs:[disp32] after its opcode: ModRM (mod 00, reg n's low three bits, rm
 * 100: a SIB follows), SIB 0x25 (no base, no index: disp32 alone). */
static void put_gs_disp(struct insn_bytes *i, unsigned n, int32_t disp)
{
	put(i, (uint8_t)(((n & 7) << 3) | 4));
	put(i, 0x25);
	memcpy(i->b + i->n, &disp, 4);
	i->n += 4;
}

/* GS segment override, REX (W; R from reg), opcode, gs:[disp32]. */
static void put_gs_modrm(struct insn_bytes *i, bool w, unsigned reg, uint8_t opcode, int32_t disp)
{
	uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | (reg >= 8 ? 4 : 0));

	put(i, 0x65);
	if (rex != 0x40)
		put(i, rex);
	put(i, opcode);
	put_gs_disp(i, reg, disp);
}

/* MOVDQU (F3 0F 6F load, 7F store) or VEX.128.F3.0F 6F/7F: the two-byte VEX
 * (C5) with R inverted in bit 7, no vvvv (1111), L 0 and pp F3 (10). */
static void put_vec_move(struct insn_bytes *i, unsigned n, uint8_t opcode, int32_t disp, bool vex)
{
	put(i, 0x65);
	if (vex) {
		put(i, 0xc5);
		put(i, (uint8_t)((n >= 8 ? 0 : 0x80) | 0x7a));
	} else {
		put(i, 0xf3);
		if (n >= 8)
			put(i, 0x44); /* REX.R */
		put(i, 0x0f);
	}
	put(i, opcode);
	put_gs_disp(i, n, disp);
}

void emit_gs_vec_load(struct emitter *e, unsigned n, int32_t disp, bool vex)
{
	struct insn_bytes i = { .n = 0 };

	put_vec_move(&i, n, 0x6f, disp, vex);
	emit_bytes(e, i.b, i.n);
}

void emit_gs_vec_store(struct emitter *e, int32_t disp, unsigned n, bool vex)
{
	struct insn_bytes i = { .n = 0 };

	put_vec_move(&i, n, 0x7f, disp, vex);
	emit_bytes(e, i.b, i.n);
}

/* VEX.256.66.0F3A.W0 opcode /r ib 1 against gs:[disp]: the three-byte VEX
 * (C4) with R inverted, X and B clear (inverted: set), map 0F3A (00011);
 * then W 0, vvvv inverted, L 1, pp 66 (01). */
static void put_vec_lane(struct insn_bytes *i, unsigned n, unsigned vvvv, uint8_t opcode, int32_t disp)
{
	put(i, 0x65);
	put(i, 0xc4);
	put(i, (uint8_t)((n >= 8 ? 0 : 0x80) | 0x63));
	put(i, (uint8_t)(((~vvvv & 15) << 3) | 0x05));
	put(i, opcode);
	put_gs_disp(i, n, disp);
	put(i, 1);
}

void emit_gs_vec_load_hi(struct emitter *e, unsigned n, int32_t disp)
{
	struct insn_bytes i = { .n = 0 };

	put_vec_lane(&i, n, n, 0x18, disp); /* VINSERTF128 */
	emit_bytes(e, i.b, i.n);
}

void emit_gs_vec_store_hi(struct emitter *e, int32_t disp, unsigned n)
{
	struct insn_bytes i = { .n = 0 };

	put_vec_lane(&i, n, 0, 0x19, disp); /* VEXTRACTF128: no vvvv (0 inverted is 1111) */
	emit_bytes(e, i.b, i.n);
}

void emit_vzeroupper(struct emitter *e)
{
	emit_bytes(e, (const uint8_t[]){ 0xc5, 0xf8, 0x77 }, 3);
}

void emit_vpxor_xmm0(struct emitter *e)
{
	emit_bytes(e, (const uint8_t[]){ 0xc5, 0xf9, 0xef, 0xc0 }, 4);
}

void emit_gs_load64(struct emitter *e, enum host_reg reg, int32_t disp)
{
	struct insn_bytes i = { .n = 0 };

	put_gs_modrm(&i, true, reg, 0x8b, disp);
	emit_bytes(e, i.b, i.n);
}

void emit_gs_load16_ax(struct emitter *e, int32_t disp)
{
	struct insn_bytes i = { .n = 0 };

	put(&i, 0x66);
	put_gs_modrm(&i, false, H_RAX, 0x8b, disp);
	emit_bytes(e, i.b, i.n);
}

void emit_gs_load16_zx(struct emitter *e, enum host_reg reg, int32_t disp)
{
	struct insn_bytes i = { .n = 0 };

	put(&i, 0x65);
	if (reg >= 8)
		put(&i, 0x44); /* REX.R */
	put(&i, 0x0f);
	put(&i, 0xb7); /* MOVZX r32, r/m16 */
	put(&i, (uint8_t)(((reg & 7) << 3) | 4));
	put(&i, 0x25);
	memcpy(i.b + i.n, &disp, 4);
	i.n += 4;
	emit_bytes(e, i.b, i.n);
}

void emit_gs_store16_ax(struct emitter *e, int32_t disp)
{
	struct insn_bytes i = { .n = 0 };

	put(&i, 0x66);
	put_gs_modrm(&i, false, H_RAX, 0x89, disp);
	emit_bytes(e, i.b, i.n);
}

void emit_gs_store64(struct emitter *e, int32_t disp, enum host_reg reg)
{
	struct insn_bytes i = { .n = 0 };

	put_gs_modrm(&i, true, reg, 0x89, disp);
	emit_bytes(e, i.b, i.n);
}

void emit_gs_add64_imm32(struct emitter *e, int32_t disp, int32_t imm)
{
	struct insn_bytes i = { .n = 0 };

	put_gs_modrm(&i, true, 0, 0x81, disp); /* 81 /0 */
	memcpy(i.b + i.n, &imm, 4);
	i.n += 4;
	emit_bytes(e, i.b, i.n);
}

void emit_gs_cmp64_imm32(struct emitter *e, int32_t disp, int32_t imm)
{
	struct insn_bytes i = { .n = 0 };

	put_gs_modrm(&i, true, 7, 0x81, disp); /* 81 /7: CMP r/m64, imm32 (sign-extended) */
	memcpy(i.b + i.n, &imm, 4);
	i.n += 4;
	emit_bytes(e, i.b, i.n);
}

void emit_gs_cmp64(struct emitter *e, enum host_reg reg, int32_t disp)
{
	struct insn_bytes i = { .n = 0 };

	put_gs_modrm(&i, true, reg, 0x3b, disp); /* 3B /r: CMP r64, r/m64 */
	emit_bytes(e, i.b, i.n);
}

void emit_gs_store64_imm32(struct emitter *e, int32_t disp, int32_t imm)
{
	struct insn_bytes i = { .n = 0 };

	put_gs_modrm(&i, true, 0, 0xc7, disp); /* C7 /0: MOV r/m64, imm32 (sign-extended) */
	memcpy(i.b + i.n, &imm, 4);
	i.n += 4;
	emit_bytes(e, i.b, i.n);
}

void emit_gs_cmp8_imm(struct emitter *e, int32_t disp, uint8_t imm)
{
	struct insn_bytes i = { .n = 0 };

	put_gs_modrm(&i, false, 7, 0x80, disp); /* 80 /7 ib */
	put(&i, imm);
	emit_bytes(e, i.b, i.n);
}

void emit_gs_mov8_imm(struct emitter *e, int32_t disp, uint8_t imm)
{
	struct insn_bytes i = { .n = 0 };

	put_gs_modrm(&i, false, 0, 0xc6, disp); /* C6 /0 ib */
	put(&i, imm);
	emit_bytes(e, i.b, i.n);
}

/* REX.W with R from reg, X from index, B from base (each -1 when absent). */
static void put_rex_w(struct insn_bytes *i, int reg, int index, int base)
{
	put(i, (uint8_t)(0x48 | (reg >= 8 ? 4 : 0) | (index >= 8 ? 2 : 0) | (base >= 8 ? 1 : 0)));
}

/* ModRM (and SIB) for [base + index << scale + disp32]: mod 10 always, so RBP
 * and R13 need no special case; a SIB when there is an index, the base is RSP or
 * R12, or there is no base (base 101 with mod 00: disp32 alone). */
static void put_mem(struct insn_bytes *i, unsigned reg, int base, int index, unsigned scale, int32_t disp)
{
	if (base < 0) {
		put(i, (uint8_t)(((reg & 7) << 3) | 4));
		put(i, (uint8_t)((scale << 6) | ((index < 0 ? 4 : index & 7) << 3) | 5));
	} else if (index >= 0 || (base & 7) == 4) {
		put(i, (uint8_t)(0x80 | ((reg & 7) << 3) | 4));
		put(i, (uint8_t)((scale << 6) | ((index < 0 ? 4 : index & 7) << 3) | (base & 7)));
	} else {
		put(i, (uint8_t)(0x80 | ((reg & 7) << 3) | (base & 7)));
	}
	memcpy(i->b + i->n, &disp, 4);
	i->n += 4;
}

/* opcode with REX.W, reg in ModRM.reg and [base + index << scale + disp],
 * GS-relative when gs. */
static void emit_op_mem(struct emitter *e, bool gs, uint8_t opcode, unsigned reg, int base, int index, unsigned scale,
			int32_t disp)
{
	struct insn_bytes i = { .n = 0 };

	if (gs)
		put(&i, 0x65);
	put_rex_w(&i, (int)reg, index, base);
	put(&i, opcode);
	put_mem(&i, reg, base, index, scale, disp);
	emit_bytes(e, i.b, i.n);
}

void emit_mov_rr_sized(struct emitter *e, enum host_reg dst, enum host_reg src, unsigned bytes)
{
	struct insn_bytes i = { .n = 0 };
	uint8_t rex = (uint8_t)(0x40 | (bytes == 8 ? 8 : 0) | (src >= H_R8 ? 4 : 0) | (dst >= H_R8 ? 1 : 0));

	if (bytes == 2)
		put(&i, 0x66);
	if (rex != 0x40)
		put(&i, rex);
	put(&i, 0x89); /* MOV r/m, r */
	put(&i, (uint8_t)(0xc0 | ((src & 7) << 3) | (dst & 7)));
	emit_bytes(e, i.b, i.n);
}

/* An ALU operation r/m64, r64 on two registers. */
static void emit_alu_rr(struct emitter *e, uint8_t opcode, enum host_reg dst, enum host_reg src)
{
	struct insn_bytes i = { .n = 0 };

	put_rex_w(&i, src, -1, dst);
	put(&i, opcode);
	put(&i, (uint8_t)(0xc0 | ((src & 7) << 3) | (dst & 7)));
	emit_bytes(e, i.b, i.n);
}

void emit_or_rr(struct emitter *e, enum host_reg dst, enum host_reg src)
{
	emit_alu_rr(e, 0x09, dst, src); /* OR r/m64, r64 */
}

void emit_xor_rr(struct emitter *e, enum host_reg dst, enum host_reg src)
{
	emit_alu_rr(e, 0x31, dst, src); /* XOR r/m64, r64 */
}

void emit_cmp_rr(struct emitter *e, enum host_reg a, enum host_reg b)
{
	emit_alu_rr(e, 0x39, a, b); /* CMP r/m64, r64 */
}

void emit_op64_mem_bi(struct emitter *e, uint8_t opcode, unsigned reg, enum host_reg base, enum host_reg index,
		      int32_t disp)
{
	emit_op_mem(e, false, opcode, reg, base, index, 0, disp);
}

void emit_op64_mem(struct emitter *e, uint8_t opcode, unsigned reg, enum host_reg base, int32_t disp)
{
	emit_op_mem(e, false, opcode, reg, base, -1, 0, disp);
}

void emit_op64_mem_bi_imm32(struct emitter *e, uint8_t opcode, unsigned ext, enum host_reg base, int index,
			    int32_t disp, int32_t imm)
{
	struct insn_bytes i = { .n = 0 };

	put_rex_w(&i, (int)ext, index, base);
	put(&i, opcode);
	put_mem(&i, ext, base, index, 0, disp);
	memcpy(i.b + i.n, &imm, 4);
	i.n += 4;
	emit_bytes(e, i.b, i.n);
}

void emit_load32_mem(struct emitter *e, enum host_reg reg, enum host_reg base)
{
	struct insn_bytes i = { .n = 0 };

	if (reg >= H_R8 || base >= H_R8)
		put(&i, (uint8_t)(0x40 | (reg >= H_R8 ? 4 : 0) | (base >= H_R8 ? 1 : 0)));
	put(&i, 0x8b); /* MOV r32, r/m32: zero-extends */
	put_mem(&i, reg, base, -1, 0, 0);
	emit_bytes(e, i.b, i.n);
}

void emit_lea(struct emitter *e, enum host_reg dst, int base, int index, unsigned scale, int32_t disp)
{
	emit_op_mem(e, false, 0x8d, dst, base, index, scale, disp);
}

void emit_store_mem(struct emitter *e, enum host_reg base, enum host_reg reg)
{
	emit_op_mem(e, false, 0x89, reg, base, -1, 0, 0);
}

void emit_load_mem(struct emitter *e, enum host_reg reg, enum host_reg base)
{
	emit_op_mem(e, false, 0x8b, reg, base, -1, 0, 0);
}

void emit_mov_rr(struct emitter *e, enum host_reg dst, enum host_reg src)
{
	struct insn_bytes i = { .n = 0 };

	put_rex_w(&i, src, -1, dst);
	put(&i, 0x89); /* MOV r/m64, r64 */
	put(&i, (uint8_t)(0xc0 | ((src & 7) << 3) | (dst & 7)));
	emit_bytes(e, i.b, i.n);
}

static void emit_group2_imm(struct emitter *e, enum host_reg reg, unsigned ext, uint8_t imm)
{
	struct insn_bytes i = { .n = 0 };

	put_rex_w(&i, -1, -1, reg);
	put(&i, 0xc1);
	put(&i, (uint8_t)(0xc0 | (ext << 3) | (reg & 7)));
	put(&i, imm);
	emit_bytes(e, i.b, i.n);
}

void emit_shr_imm(struct emitter *e, enum host_reg reg, uint8_t imm)
{
	emit_group2_imm(e, reg, 5, imm);
}

/* VEX.LZ.F2.0F3A.W1 F0 /r ib (SDM Vol. 2B, RORX): three-byte VEX with R and
 * B inverted, map 0F3A (00011); W1, vvvv unused (1111), L0, pp F2 (11). */
void emit_rorx(struct emitter *e, enum host_reg dst, enum host_reg src, uint8_t imm)
{
	const uint8_t b[] = { 0xc4,
			      (uint8_t)((dst & 8 ? 0 : 0x80) | 0x40 | (src & 8 ? 0 : 0x20) | 0x03),
			      0xfb,
			      0xf0,
			      (uint8_t)(0xc0 | ((dst & 7) << 3) | (src & 7)),
			      imm };

	emit_bytes(e, b, sizeof(b));
}

bool emit_host_has_bmi2(void)
{
	return __builtin_cpu_supports("bmi2");
}

void emit_shl_imm(struct emitter *e, enum host_reg reg, uint8_t imm)
{
	emit_group2_imm(e, reg, 4, imm);
}

void emit_sar_imm(struct emitter *e, enum host_reg reg, uint8_t imm)
{
	emit_group2_imm(e, reg, 7, imm);
}

void emit_cmp_imm8(struct emitter *e, enum host_reg reg, int8_t imm)
{
	struct insn_bytes i = { .n = 0 };

	put_rex_w(&i, -1, -1, reg);
	put(&i, 0x83);
	put(&i, (uint8_t)(0xc0 | (7 << 3) | (reg & 7)));
	put(&i, (uint8_t)imm);
	emit_bytes(e, i.b, i.n);
}

void emit_and_imm32(struct emitter *e, enum host_reg reg, int32_t imm)
{
	struct insn_bytes i = { .n = 0 };

	put_rex_w(&i, -1, -1, reg);
	put(&i, 0x81);
	put(&i, (uint8_t)(0xc0 | (4 << 3) | (reg & 7)));
	memcpy(i.b + i.n, &imm, 4);
	i.n += 4;
	emit_bytes(e, i.b, i.n);
}

void emit_gs_cmp_based(struct emitter *e, enum host_reg reg, enum host_reg base, int32_t disp)
{
	emit_op_mem(e, true, 0x3b, reg, base, -1, 0, disp); /* CMP r64, r/m64 */
}

void emit_gs_add_based(struct emitter *e, enum host_reg reg, enum host_reg base, int32_t disp)
{
	emit_op_mem(e, true, 0x03, reg, base, -1, 0, disp); /* ADD r64, r/m64 */
}

void emit_gs_load_based(struct emitter *e, enum host_reg reg, enum host_reg base, int32_t disp)
{
	emit_op_mem(e, true, 0x8b, reg, base, -1, 0, disp); /* MOV r64, r/m64 */
}

void emit_gs_add(struct emitter *e, enum host_reg reg, int32_t disp)
{
	struct insn_bytes i = { .n = 0 };

	put_gs_modrm(&i, true, reg, 0x03, disp);
	emit_bytes(e, i.b, i.n);
}

uint8_t *emit_jcc8(struct emitter *e, enum host_cc cc)
{
	const uint8_t j[] = { (uint8_t)(0x70 | cc), 0 };

	emit_bytes(e, j, sizeof(j));
	return e->overflow ? NULL : e->buf + e->pos - 1;
}

bool emit_patch_rel8_here(struct emitter *e, uint8_t *rel)
{
	ptrdiff_t d = (e->buf + e->pos) - (rel + 1);

	if (!rel || d < -128 || d > 127)
		return false;
	*rel = (uint8_t)(int8_t)d;
	e->label_pos = e->pos;
	return true;
}

/* NOPs until the byte after the next `opcode_len` bytes is 4-byte aligned. */
static void align_rel32(struct emitter *e, size_t opcode_len)
{
	while (!e->overflow && ((uintptr_t)(e->rx + e->pos + opcode_len) & 3))
		emit_byte(e, 0x90);
}

static uint8_t *emit_rel32_aligned(struct emitter *e, const uint8_t *opcode, size_t opcode_len, const uint8_t *target,
				   bool align)
{
	struct insn_bytes i = { .n = 0 };
	uint8_t *rel;

	if (align)
		align_rel32(e, opcode_len);
	memcpy(i.b, opcode, opcode_len);
	i.n = opcode_len + 4;
	memset(i.b + opcode_len, 0, 4);
	emit_bytes(e, i.b, i.n);
	rel = e->buf + e->pos - 4;
	if (e->overflow || !emit_patch_rel32(rel, e->rx + (rel - e->buf), target)) {
		e->overflow = true;
		return NULL;
	}
	return rel;
}

static uint8_t *emit_rel32(struct emitter *e, const uint8_t *opcode, size_t opcode_len, const uint8_t *target)
{
	return emit_rel32_aligned(e, opcode, opcode_len, target, true);
}

uint8_t *emit_jcc_unaligned(struct emitter *e, enum host_cc cc, const uint8_t *target)
{
	const uint8_t op[] = { 0x0f, (uint8_t)(0x80 | cc) };

	return emit_rel32_aligned(e, op, sizeof(op), target, false);
}

uint8_t *emit_jmp(struct emitter *e, const uint8_t *target)
{
	const uint8_t op[] = { 0xe9 };

	return emit_rel32(e, op, sizeof(op), target);
}

uint8_t *emit_call(struct emitter *e, const uint8_t *target)
{
	const uint8_t op[] = { 0xe8 };

	return emit_rel32(e, op, sizeof(op), target);
}

void emit_gs_jmp_mem(struct emitter *e, int32_t disp)
{
	struct insn_bytes i = { .n = 0 };

	put_gs_modrm(&i, false, 4, 0xff, disp); /* FF /4 */
	emit_bytes(e, i.b, i.n);
}

void emit_gs_jmp_indexed(struct emitter *e, enum host_reg index, int32_t disp)
{
	emit_op_mem(e, true, 0xff, 4, -1, index, 3, disp); /* FF /4 (REX.W: no effect) */
}

uint8_t *emit_lea_rip(struct emitter *e, enum host_reg dst)
{
	const uint8_t op[] = { (uint8_t)(0x48 | (dst >= H_R8 ? 4 : 0)), 0x8d, (uint8_t)(((dst & 7) << 3) | 5) };

	return emit_rel32_aligned(e, op, sizeof(op), emit_here(e), false); /* patched by the caller */
}

uint8_t *emit_jcc(struct emitter *e, enum host_cc cc, const uint8_t *target)
{
	const uint8_t op[] = { 0x0f, (uint8_t)(0x80 | cc) };

	return emit_rel32(e, op, sizeof(op), target);
}

bool emit_patch_rel32(uint8_t *rel, const uint8_t *rel_rx, const uint8_t *target)
{
	int64_t d = (int64_t)((uintptr_t)target - (uintptr_t)(rel_rx + 4));
	int32_t d32 = (int32_t)d;

	if (d != d32)
		return false;
	__atomic_store_n((int32_t *)(void *)rel, d32, __ATOMIC_RELEASE);
	return true;
}

/* A link site's JMP (rel its rel32, NULL if it did not fit) and its unlinked
 * way: the rel32 runs to the next instruction until linked, where RSI = the
 * site's rel32 (executable view) ORed with tag, to the stub. */
static uint8_t *emit_unlinked_way(struct emitter *e, uint8_t *rel, const uint8_t *stub, unsigned tag)
{
	if (!rel)
		return NULL;
	emit_link_unpatch(rel);
	emit_mov_imm64(e, H_RSI, (uint64_t)(uintptr_t)(e->rx + (rel - e->buf)) | (tag & 3));
	if (!emit_jmp(e, stub))
		return NULL;
	return rel;
}

uint8_t *emit_link_site(struct emitter *e, const uint8_t *stub, unsigned tag)
{
	const uint8_t jmp[] = { 0xe9 };

	return emit_unlinked_way(e, emit_rel32(e, jmp, sizeof(jmp), emit_here(e)), stub, tag);
}

/* The guard, at offsets from the JMP's rel32 (which it precedes): */
#define GUARD_BYTES 18
#define GUARD_WORD_FROM_REL (-17) /* MOVABS RAX, word */
#define GUARD_VALUE_FROM_REL (-7) /* CMP DWORD [RAX], value */

uint8_t *emit_guarded_link_site(struct emitter *e, const uint8_t *stub, unsigned tag)
{
	const uint8_t movabs_rax[] = { 0x48, 0xb8 };
	const uint8_t cmp_dword_rax[] = { 0x81, 0x38 }; /* CMP DWORD [RAX], imm32 */
	const uint8_t jne_past[] = { 0x75, 0x05 };	/* past the JMP */
	const uint8_t jmp[] = { 0xe9 };
	const uint32_t zero = 0;
	uint64_t self;
	size_t start;

	align_rel32(e, GUARD_BYTES + sizeof(jmp));
	start = e->pos;
	/* Unlinked, the guard's word is the site's own first bytes: readable. */
	self = (uint64_t)(uintptr_t)emit_here(e);
	emit_bytes(e, movabs_rax, sizeof(movabs_rax));
	emit_bytes(e, &self, sizeof(self));
	emit_bytes(e, cmp_dword_rax, sizeof(cmp_dword_rax));
	emit_bytes(e, &zero, sizeof(zero));
	emit_bytes(e, jne_past, sizeof(jne_past));
	if (!e->overflow && e->pos - start != GUARD_BYTES)
		e->overflow = true; /* cannot happen: GUARD_*_FROM_REL count on it */
	return emit_unlinked_way(e, emit_rel32_aligned(e, jmp, sizeof(jmp), emit_here(e), false), stub, tag);
}

bool emit_guarded_link_patch(uint8_t *rel, const uint8_t *rel_rx, const uint8_t *target, const uint32_t *word)
{
	uint64_t at = (uint64_t)(uintptr_t)word;
	uint32_t value = __atomic_load_n(word, __ATOMIC_RELAXED);

	if (!emit_patch_rel32(rel, rel_rx, target))
		return false;
	memcpy(rel + GUARD_WORD_FROM_REL, &at, sizeof(at));
	__atomic_store_n((uint32_t *)(void *)(rel + GUARD_VALUE_FROM_REL), value, __ATOMIC_RELEASE);
	return true;
}

size_t emit_guarded_link_span(uint8_t **rel)
{
	*rel += GUARD_WORD_FROM_REL;
	return (size_t)(4 - GUARD_WORD_FROM_REL);
}

void emit_link_unpatch(uint8_t *rel)
{
	__atomic_store_n((int32_t *)(void *)rel, 0, __ATOMIC_RELEASE);
}
