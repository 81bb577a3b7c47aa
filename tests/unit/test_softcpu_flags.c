/* The interp engine's condition flags (src/engine/softcpu/flags.c) against the host
 * CPU. Each case runs one real instruction through the engine, followed by all 16
 * SETcc into memory (so flags_cond() is read from the lazy state the handler left),
 * and the same bytes natively on the host from the same registers and RFLAGS; the
 * results, the SETcc bytes and the flags the SDM defines must all agree.
 *
 * Encodings: Intel SDM Vol. 2, the opcode pages of each instruction and table A-6
 * (opcode extensions of groups 1, 3, 4 and 5). ModRM 0xc8 is "op rAX, rCX" in the
 * r/m, reg form. */
#include "softcpu_harness.h"

#define ALL_FLAGS RFLAGS_ARITH_MASK
/* AND, OR, XOR, TEST: "The OF and CF flags are cleared; the SF, ZF, and PF flags are
 * set according to the result. The state of the AF flag is undefined." */
#define LOGIC_FLAGS (RFLAGS_ARITH_MASK & ~RFLAGS_AF)

struct alu_op {
	const char *name;
	uint8_t opcode; /* the 8-bit "r/m, reg" form; the wider form is opcode + 1 */
	int digit;	/* /digit in group 1 (80/81/83); -1 for TEST (F6/F7 /0) */
	uint64_t defined;
	bool uses_carry; /* ADC, SBB: run with CF clear and set */
};

static const struct alu_op op_add = { "add", 0x00, 0, ALL_FLAGS, false };
static const struct alu_op op_adc = { "adc", 0x10, 2, ALL_FLAGS, true };
static const struct alu_op op_sub = { "sub", 0x28, 5, ALL_FLAGS, false };
static const struct alu_op op_sbb = { "sbb", 0x18, 3, ALL_FLAGS, true };
static const struct alu_op op_cmp = { "cmp", 0x38, 7, ALL_FLAGS, false };
static const struct alu_op op_and = { "and", 0x20, 4, LOGIC_FLAGS, false };
static const struct alu_op op_or = { "or", 0x08, 1, LOGIC_FLAGS, false };
static const struct alu_op op_xor = { "xor", 0x30, 6, LOGIC_FLAGS, false };
static const struct alu_op op_test = { "test", 0x84, -1, LOGIC_FLAGS, false };

static const unsigned sizes[] = { 1, 2, 4, 8 };

/* The flags condition code cc reads (SDM Vol. 1, appendix B, table B-1). */
static uint64_t cond_inputs(unsigned cc)
{
	static const uint64_t inputs[8] = { RFLAGS_OF,
					    RFLAGS_CF,
					    RFLAGS_ZF,
					    RFLAGS_CF | RFLAGS_ZF,
					    RFLAGS_SF,
					    RFLAGS_PF,
					    RFLAGS_SF | RFLAGS_OF,
					    RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF };

	return inputs[cc >> 1];
}

/* SETcc byte [rdi + cc] (0F 90+cc, ModRM 01 000 111, disp8) for every cc that
 * reads only flags in `defined`; the bytes of the others stay as they were. */
static size_t emit_setcc(uint8_t *p, uint64_t defined)
{
	size_t n = 0;

	for (unsigned cc = 0; cc < 16; cc++) {
		if (cond_inputs(cc) & ~defined)
			continue;
		p[n++] = 0x0f;
		p[n++] = (uint8_t)(0x90 + cc);
		p[n++] = 0x47;
		p[n++] = (uint8_t)cc;
	}
	return n;
}

/* Edge operands of a size: zero, one, the signed limits and their neighbours, all
 * ones, a nibble edge for AF, and pseudo-random values. */
static unsigned operand_grid(unsigned size, uint64_t *out, uint64_t *seed)
{
	uint64_t m = size == 8 ? ~0ull : (1ull << (size * 8)) - 1, top = 1ull << (size * 8 - 1);
	unsigned n = 0;

	out[n++] = 0;
	out[n++] = 1;
	out[n++] = 2;
	out[n++] = 0x0f;
	out[n++] = 0x10;
	out[n++] = top - 2;
	out[n++] = top - 1;
	out[n++] = top;
	out[n++] = top + 1;
	out[n++] = m - 1;
	out[n++] = m;
	for (int i = 0; i < 3; i++)
		out[n++] = ih_random(seed) & m;
	return n;
}

/* Arithmetic flags with CF forced: the others random, so that a handler that
 * leaks a stale flag shows. */
static uint64_t input_flags(uint64_t *seed, int cf)
{
	uint64_t f = ih_random(seed) & RFLAGS_ARITH_MASK & ~RFLAGS_CF;

	return f | (cf ? RFLAGS_CF : 0);
}

/* Bits above the operand: kept for 8/16-bit operations, cleared for 32-bit ones. */
static uint64_t with_garbage_above(uint64_t v, unsigned size, uint64_t *seed)
{
	return size == 8 ? v : (ih_random(seed) & ~((1ull << (size * 8)) - 1)) | v;
}

static void run_case(struct ih *h, const uint8_t *insn, size_t insn_len, uint64_t a, uint64_t b, uint64_t flags,
		     uint64_t defined, const char *what)
{
	uint8_t body[128];
	struct ih_case c;
	size_t n;

	memcpy(body, insn, insn_len);
	n = insn_len + emit_setcc(body + insn_len, defined);
	memset(&c, 0, sizeof(c));
	memset(c.data, 0xcc, sizeof(c.data)); /* SETcc must write 0 or 1 over this */
	c.regs.gpr[GPR_RAX] = a;
	c.regs.gpr[GPR_RCX] = b;
	c.regs.gpr[GPR_RDI] = 0;
	c.ptr_regs = 1u << GPR_RDI;
	c.regs.rflags = flags;
	ih_compare(h, &c, body, n, defined, what);
}

/* op rAX, rCX over the operand grid at every size. */
static void check_reg_reg(const struct alu_op *op)
{
	struct ih *h = ih_new();
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ op->opcode;

	for (unsigned s = 0; s < 4; s++) {
		unsigned size = sizes[s];
		uint64_t grid[16];
		unsigned n = operand_grid(size, grid, &seed);
		uint8_t insn[3];
		size_t len = ih_size_prefix(insn, size);

		insn[len++] = (uint8_t)(op->opcode + (size == 1 ? 0 : 1));
		insn[len++] = 0xc8;
		for (unsigned i = 0; i < n; i++) {
			for (unsigned j = 0; j < n; j++) {
				for (int cf = 0; cf <= (op->uses_carry ? 1 : 0); cf++) {
					char what[96];
					uint64_t flags =
					    op->uses_carry ? input_flags(&seed, cf) : input_flags(&seed, j & 1);

					snprintf(what, sizeof(what), "%s size %u: 0x%llx, 0x%llx, CF %d", op->name,
						 size, (unsigned long long)grid[i], (unsigned long long)grid[j],
						 (int)(flags & RFLAGS_CF));
					run_case(h, insn, len, with_garbage_above(grid[i], size, &seed),
						 with_garbage_above(grid[j], size, &seed), flags, op->defined, what);
				}
			}
		}
	}
	ih_free(h);
}

static void test_flags_add_matches_host_at_every_size(void **state)
{
	(void)state;
	check_reg_reg(&op_add);
}

static void test_flags_adc_matches_host_with_carry_clear_and_set(void **state)
{
	(void)state;
	check_reg_reg(&op_adc);
}

static void test_flags_sub_matches_host_at_every_size(void **state)
{
	(void)state;
	check_reg_reg(&op_sub);
}

static void test_flags_sbb_matches_host_with_carry_clear_and_set(void **state)
{
	(void)state;
	check_reg_reg(&op_sbb);
}

static void test_flags_cmp_matches_host_and_leaves_operands(void **state)
{
	(void)state;
	check_reg_reg(&op_cmp);
}

static void test_flags_and_clears_cf_of_like_host(void **state)
{
	(void)state;
	check_reg_reg(&op_and);
}

static void test_flags_or_clears_cf_of_like_host(void **state)
{
	(void)state;
	check_reg_reg(&op_or);
}

static void test_flags_xor_clears_cf_of_like_host(void **state)
{
	(void)state;
	check_reg_reg(&op_xor);
}

static void test_flags_test_clears_cf_of_and_leaves_operands(void **state)
{
	(void)state;
	check_reg_reg(&op_test);
}

/* INC, DEC (FE/FF /0, /1) and NEG (F6/F7 /3) on rAX. INC and DEC leave CF alone
 * ("The CF flag is not affected"), so each runs with CF clear and set. */
static void check_unary(const char *name, unsigned digit, bool byte_opcode_fe)
{
	struct ih *h = ih_new();
	uint64_t seed = 0x243f6a8885a308d3ull ^ digit;

	for (unsigned s = 0; s < 4; s++) {
		unsigned size = sizes[s];
		uint64_t grid[16];
		unsigned n = operand_grid(size, grid, &seed);
		uint8_t insn[3];
		size_t len = ih_size_prefix(insn, size);

		insn[len++] = (uint8_t)((byte_opcode_fe ? 0xfe : 0xf6) + (size == 1 ? 0 : 1));
		insn[len++] = (uint8_t)(0xc0 | (digit << 3));
		for (unsigned i = 0; i < n; i++) {
			for (int cf = 0; cf <= 1; cf++) {
				char what[96];

				snprintf(what, sizeof(what), "%s size %u: 0x%llx, CF %d", name, size,
					 (unsigned long long)grid[i], cf);
				run_case(h, insn, len, with_garbage_above(grid[i], size, &seed), ih_random(&seed),
					 input_flags(&seed, cf), ALL_FLAGS, what);
			}
		}
	}
	ih_free(h);
}

static void test_flags_inc_keeps_carry_and_matches_host(void **state)
{
	(void)state;
	check_unary("inc", 0, true);
}

static void test_flags_dec_keeps_carry_and_matches_host(void **state)
{
	(void)state;
	check_unary("dec", 1, true);
}

static void test_flags_neg_matches_host_at_every_size(void **state)
{
	(void)state;
	check_unary("neg", 3, false);
}

/* Group 1 with immediates: 80 /d ib, 83 /d ib (sign-extended to the operand
 * size), 81 /d iw/id (id sign-extended to 64 bits with REX.W); TEST F6/F7 /0. */
static void check_immediates(const struct alu_op *op)
{
	static const uint32_t imm8s[] = { 0, 1, 0x7f, 0x80, 0xff, 0x0f };
	static const uint32_t imm32s[] = { 0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x00008000, 0x12345678 };
	struct ih *h = ih_new();
	uint64_t seed = 0x452821e638d01377ull ^ op->opcode;

	for (unsigned s = 0; s < 4; s++) {
		unsigned size = sizes[s];
		uint64_t grid[16];
		unsigned n = operand_grid(size, grid, &seed);

		for (int wide = 0; wide <= 1; wide++) {
			unsigned nimm = wide ? sizeof(imm32s) / sizeof(imm32s[0]) : sizeof(imm8s) / sizeof(imm8s[0]);

			/* TEST has no sign-extended imm8 form; 8-bit operands have only ib. */
			if ((op->digit < 0 && !wide && size != 1) || (size == 1 && wide))
				continue;
			for (unsigned k = 0; k < nimm; k++) {
				uint8_t insn[8];
				size_t len = ih_size_prefix(insn, size);
				uint32_t imm = wide ? imm32s[k] : imm8s[k];

				if (op->digit < 0)
					insn[len++] = size == 1 ? 0xf6 : 0xf7;
				else
					insn[len++] = size == 1 ? 0x80 : wide ? 0x81 : 0x83;
				insn[len++] = (uint8_t)(0xc0 | ((op->digit < 0 ? 0 : (unsigned)op->digit) << 3));
				if (!wide) {
					insn[len++] = (uint8_t)imm;
				} else if (size == 2) {
					insn[len++] = (uint8_t)imm;
					insn[len++] = (uint8_t)(imm >> 8);
				} else {
					put_le32(insn + len, imm);
					len += 4;
				}
				for (unsigned i = 0; i < n; i++) {
					for (int cf = 0; cf <= 1; cf++) {
						char what[96];

						snprintf(what, sizeof(what), "%s size %u imm 0x%x%s: 0x%llx, CF %d",
							 op->name, size, imm, wide ? " (full)" : " (imm8)",
							 (unsigned long long)grid[i], cf);
						run_case(h, insn, len, with_garbage_above(grid[i], size, &seed), 0,
							 input_flags(&seed, cf), op->defined, what);
					}
				}
			}
		}
	}
	ih_free(h);
}

static void test_flags_immediate_forms_sign_extend_like_host(void **state)
{
	const struct alu_op *ops[] = {
		&op_add, &op_adc, &op_sub, &op_sbb, &op_cmp, &op_and, &op_or, &op_xor, &op_test
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		check_immediates(ops[i]);
}

/* AH, CH as operands (ModRM reg 101 = CH, rm 100 = AH without REX): the result
 * lands in bits 15:8 and the flags are those of the byte operation. */
static void test_flags_high_byte_registers_match_host(void **state)
{
	const struct alu_op *ops[] = { &op_add, &op_adc, &op_sub, &op_sbb, &op_cmp, &op_and, &op_xor };
	struct ih *h = ih_new();
	uint64_t seed = 0x13198a2e03707344ull;
	uint64_t grid[16];
	unsigned n = operand_grid(1, grid, &seed);

	(void)state;
	for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		const uint8_t insn[] = { ops[o]->opcode, 0xec };

		for (unsigned i = 0; i < n; i++) {
			for (unsigned j = 0; j < n; j++) {
				char what[96];

				snprintf(what, sizeof(what), "%s ah, ch: 0x%llx, 0x%llx", ops[o]->name,
					 (unsigned long long)grid[i], (unsigned long long)grid[j]);
				run_case(h, insn, sizeof(insn), (ih_random(&seed) & ~0xff00ull) | grid[i] << 8,
					 (ih_random(&seed) & ~0xff00ull) | grid[j] << 8,
					 input_flags(&seed, (int)(i & 1)), ops[o]->defined, what);
			}
		}
	}
	ih_free(h);
}

/* Group 2 by CL (D2 /d for bytes, D3 /d): SHL /4, SHR /5, SAR /7, ROL /0, ROR /1,
 * RCL /2, RCR /3. The defined flags (SDM Vol. 2, SAL/SAR/SHL/SHR and RCL/RCR/ROL/ROR,
 * "Flags Affected"): for shifts CF (count below the size), SF, ZF, PF, and OF for
 * a count of 1, AF undefined; for rotates CF, OF for a count of 1, and SF, ZF, AF,
 * PF unaffected. */
struct shift_op {
	const char *name;
	unsigned digit;
	bool rotate;
};

static const struct shift_op shift_ops[] = {
	{ "shl", 4, false }, { "shr", 5, false }, { "sar", 7, false }, { "rol", 0, true },
	{ "ror", 1, true },  { "rcl", 2, true },  { "rcr", 3, true },
};

static size_t emit_shift_cl(uint8_t *p, const struct shift_op *op, unsigned size)
{
	size_t len = ih_size_prefix(p, size);

	p[len++] = size == 1 ? 0xd2 : 0xd3;
	p[len++] = (uint8_t)(0xc0 | (op->digit << 3));
	return len;
}

static uint64_t shift_defined_flags(const struct shift_op *op, unsigned count)
{
	uint64_t f = op->rotate ? RFLAGS_ARITH_MASK & ~RFLAGS_OF : RFLAGS_CF | RFLAGS_SF | RFLAGS_ZF | RFLAGS_PF;

	return count == 1 ? f | RFLAGS_OF : f;
}

/* Counts with defined results: every masked count (5 bits, 6 with REX.W), but
 * for SHL and SHR only up to size - 1 ("CF ... is undefined for SHL and SHR
 * instructions where the count is greater than or equal to the size"). */
static unsigned shift_counts(const struct shift_op *op, unsigned size, unsigned *out)
{
	bool shl_shr = op->digit == 4 || op->digit == 5;
	unsigned bits = size * 8, max = shl_shr ? bits - 1 : size == 8 ? 63 : 31, n = 0;

	for (unsigned c = 1; c <= max; c++)
		if (c <= 17 || c >= max - 2 || c % 8 == 0 || c % 8 == 1)
			out[n++] = c;
	return n;
}

static void test_flags_shifts_and_rotates_by_cl_match_host(void **state)
{
	struct ih *h = ih_new();
	uint64_t seed = 0xa4093822299f31d0ull;

	(void)state;
	for (unsigned o = 0; o < sizeof(shift_ops) / sizeof(shift_ops[0]); o++) {
		const struct shift_op *op = &shift_ops[o];

		for (unsigned s = 0; s < 4; s++) {
			unsigned size = sizes[s], counts[64], nc = shift_counts(op, size, counts);
			uint64_t grid[16];
			unsigned n = operand_grid(size, grid, &seed);
			uint8_t insn[4];
			size_t len = emit_shift_cl(insn, op, size);

			for (unsigned i = 0; i < n; i++) {
				for (unsigned k = 0; k < nc; k++) {
					char what[96];
					int cf = (int)((i + k) & 1);

					snprintf(what, sizeof(what), "%s size %u: 0x%llx by %u, CF %d", op->name, size,
						 (unsigned long long)grid[i], counts[k], cf);
					run_case(h, insn, len, with_garbage_above(grid[i], size, &seed),
						 (ih_random(&seed) & ~0xffull) | counts[k], input_flags(&seed, cf),
						 shift_defined_flags(op, counts[k]), what);
				}
			}
		}
	}
	ih_free(h);
}

/* ADC, SBB, INC and DEC read CF from whatever the previous instruction left
 * lazily (flags_cf): run each flag-setting operation followed by an instruction
 * that consumes or keeps its CF. SBB ESI, ESI (19 F6) turns CF into ESI = -CF;
 * INC EBX (FF C3) must keep it; ADC EDX, EBX (11 DA) adds it. */
static void test_flags_carry_of_every_operation_feeds_adc_sbb_inc(void **state)
{
	static const uint8_t consumers[][2] = { { 0x19, 0xf6 }, { 0xff, 0xc3 }, { 0x11, 0xda } };
	const struct alu_op *ops[] = { &op_add, &op_adc, &op_sub, &op_sbb, &op_cmp, &op_and, &op_xor, &op_test };
	struct ih *h = ih_new();
	uint64_t seed = 0x082efa98ec4e6c89ull;

	(void)state;
	for (unsigned s = 0; s < 4; s++) {
		unsigned size = sizes[s];
		uint64_t grid[16];
		unsigned n = operand_grid(size, grid, &seed);

		for (unsigned kind = 0; kind < 8 + 3 + 3; kind++) {
			uint8_t insn[8];
			size_t len = ih_size_prefix(insn, size);
			const char *name;
			bool shift = false;

			if (kind < 8) { /* op rAX, rCX */
				name = ops[kind]->name;
				insn[len++] = (uint8_t)(ops[kind]->opcode + (size == 1 ? 0 : 1));
				insn[len++] = 0xc8;
			} else if (kind < 11) { /* INC, DEC, NEG rAX */
				static const char *const names[] = { "inc", "dec", "neg" };
				static const uint8_t digits[] = { 0, 1, 3 };

				name = names[kind - 8];
				insn[len++] = (uint8_t)((kind < 10 ? 0xfe : 0xf6) + (size == 1 ? 0 : 1));
				insn[len++] = (uint8_t)(0xc0 | (digits[kind - 8] << 3));
			} else { /* SHL, SHR, SAR rAX, CL */
				name = shift_ops[kind - 11].name;
				len = emit_shift_cl(insn, &shift_ops[kind - 11], size);
				shift = true;
			}
			for (unsigned c = 0; c < 3; c++) {
				uint8_t body[16];

				memcpy(body, insn, len);
				memcpy(body + len, consumers[c], 2);
				for (unsigned i = 0; i < n; i++) {
					for (unsigned j = 0; j < n; j++) {
						char what[96];
						uint64_t b = shift ? 1 + grid[j] % (size * 8 - 1) : grid[j];

						snprintf(what, sizeof(what),
							 "%s size %u then consumer %u: 0x%llx, 0x%llx", name, size, c,
							 (unsigned long long)grid[i], (unsigned long long)b);
						run_case(h, body, len + 2, with_garbage_above(grid[i], size, &seed), b,
							 input_flags(&seed, (int)((i + j) & 1)), ALL_FLAGS, what);
					}
				}
			}
		}
	}
	ih_free(h);
}

/* flags_cond() on materialized flags (LF_NONE), for every combination of CF, PF,
 * ZF, SF and OF, against the host's SETcc after POPFQ of the same flags (SDM
 * Vol. 1, appendix B, table B-1). */
static void test_flags_cond_every_code_matches_host_setcc_for_every_flag_combination(void **state)
{
	static const uint64_t bits[] = { RFLAGS_CF, RFLAGS_PF, RFLAGS_ZF, RFLAGS_SF, RFLAGS_OF };
	struct soft_cpu *cpu = calloc(1, sizeof(*cpu));
	uint8_t body[64];
	size_t len = emit_setcc(body, RFLAGS_ARITH_MASK);

	(void)state;
	assert_non_null(cpu);
	for (unsigned combo = 0; combo < 32; combo++) {
		struct ih_regs r;
		uint8_t out[16];
		uint64_t f = 0;

		for (unsigned b = 0; b < 5; b++)
			if (combo & (1u << b))
				f |= bits[b];
		memset(&r, 0, sizeof(r));
		memset(out, 0xcc, sizeof(out));
		r.gpr[GPR_RDI] = (uint64_t)(uintptr_t)out;
		r.rflags = f;
		ih_native_run(&r, body, len);
		/* As rflags, and as translated code keeps them (LF_HOST: the
		 * LAHF/SETO image, lf.size left as it was, here 0). */
		for (unsigned form = 0; form < 2; form++) {
			cpu->rflags = (form ? 0 : f) | RFLAGS_FIXED | RFLAGS_IF;
			cpu->lf = (struct lazy_flags){ .op = form ? LF_HOST : LF_NONE,
						       .res = form ? flags_host_image_mask(f) : 0 };
			for (unsigned cc = 0; cc < 16; cc++) {
				if (flags_cond(cpu, cc) != (out[cc] == 1))
					fail_msg("flags 0x%llx (%s), cc %u: interp says %d, host SETcc gives %u",
						 (unsigned long long)f, form ? "LF_HOST" : "rflags", cc,
						 flags_cond(cpu, cc), out[cc]);
			}
			assert_int_equal(flags_cf(cpu), (f & RFLAGS_CF) != 0);
			assert_int_equal(flags_get(cpu) & RFLAGS_ARITH_MASK, f);
		}
	}
	free(cpu);
}

/* Materializing keeps the flags' values and the bits around them: SUB 0 - 1 on
 * bytes gives 0xff with CF (borrow), SF, AF (borrow from bit 4) and PF (eight ones)
 * set, ZF and OF clear (SDM Vol. 1, 3.4.3.1). IF and DF are not arithmetic flags. */
static void test_flags_materialize_keeps_values_and_other_rflags_bits(void **state)
{
	struct soft_cpu *cpu = calloc(1, sizeof(*cpu));

	(void)state;
	assert_non_null(cpu);
	cpu->rflags = RFLAGS_FIXED | RFLAGS_IF | RFLAGS_DF | RFLAGS_ZF | RFLAGS_OF; /* stale ZF, OF */
	flags_lazy(cpu, LF_SUB, 1, 0xff, 0, 1);
	assert_int_equal(flags_arith(cpu), RFLAGS_CF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF);
	flags_materialize(cpu);
	assert_int_equal(cpu->lf.op, LF_NONE);
	assert_int_equal(cpu->rflags,
			 RFLAGS_FIXED | RFLAGS_IF | RFLAGS_DF | RFLAGS_CF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF);
	flags_set_arith(cpu, RFLAGS_ZF | RFLAGS_OF | RFLAGS_IF);
	assert_int_equal(cpu->rflags, RFLAGS_FIXED | RFLAGS_IF | RFLAGS_DF | RFLAGS_ZF | RFLAGS_OF);
	free(cpu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags_add_matches_host_at_every_size),
		cmocka_unit_test(test_flags_adc_matches_host_with_carry_clear_and_set),
		cmocka_unit_test(test_flags_sub_matches_host_at_every_size),
		cmocka_unit_test(test_flags_sbb_matches_host_with_carry_clear_and_set),
		cmocka_unit_test(test_flags_cmp_matches_host_and_leaves_operands),
		cmocka_unit_test(test_flags_and_clears_cf_of_like_host),
		cmocka_unit_test(test_flags_or_clears_cf_of_like_host),
		cmocka_unit_test(test_flags_xor_clears_cf_of_like_host),
		cmocka_unit_test(test_flags_test_clears_cf_of_and_leaves_operands),
		cmocka_unit_test(test_flags_inc_keeps_carry_and_matches_host),
		cmocka_unit_test(test_flags_dec_keeps_carry_and_matches_host),
		cmocka_unit_test(test_flags_neg_matches_host_at_every_size),
		cmocka_unit_test(test_flags_immediate_forms_sign_extend_like_host),
		cmocka_unit_test(test_flags_high_byte_registers_match_host),
		cmocka_unit_test(test_flags_shifts_and_rotates_by_cl_match_host),
		cmocka_unit_test(test_flags_carry_of_every_operation_feeds_adc_sbb_inc),
		cmocka_unit_test(test_flags_cond_every_code_matches_host_setcc_for_every_flag_combination),
		cmocka_unit_test(test_flags_materialize_keeps_values_and_other_rflags_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
