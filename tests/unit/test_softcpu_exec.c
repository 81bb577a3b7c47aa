/* The interp engine executing instructions, through its ops table: a 64-bit guest
 * (Ringvisor's boot GDT and identity page tables) runs code that ends with
 * `out 0xe9, al`; exceptions land in handlers that exit on port 0xe5 from an
 * address that names the vector (interp_harness.h).
 *
 * Expected values: for user-level instructions the host CPU runs the same bytes
 * from the same registers (ih_compare), comparing only the flags the SDM defines;
 * the rest is derived by hand from the Intel SDM, cited at each test. */
#include <pthread.h>
#include <time.h>

#include "softcpu_harness.h"

#define DE 0
#define BP 3
#define UD 6
#define DF 8
#define NP 11
#define GP 13
#define PF 14

#define ALL_FLAGS RFLAGS_ARITH_MASK

static const unsigned sizes[] = { 1, 2, 4, 8 };

static uint64_t size_mask_of(unsigned size)
{
	return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* A case with RAX, RCX, RDX set and nothing else. */
static void set_case(struct ih_case *c, uint64_t rax, uint64_t rcx, uint64_t rdx, uint64_t flags)
{
	memset(c, 0, sizeof(*c));
	c->regs.gpr[GPR_RAX] = rax;
	c->regs.gpr[GPR_RCX] = rcx;
	c->regs.gpr[GPR_RDX] = rdx;
	c->regs.rflags = flags;
}

/* Loads body, runs, and expects the handler of vector. */
static struct vcpu_state *run_to_exception(struct ih *h, const uint8_t *body, size_t len, uint8_t vector)
{
	ih_load(h, body, len);
	ih_start(h);
	ih_run(h);
	return ih_expect_exception(h, vector);
}

/* ---- divide ------------------------------------------------------------------------ */

/* Would DIV (or IDIV) of hi:lo by d fault? Only to pick the cases that may run on
 * the host; the results come from the host. */
static bool divide_faults(unsigned size, bool is_signed, uint64_t hi, uint64_t lo, uint64_t d)
{
	unsigned bits = size * 8;
	uint64_t m = size_mask_of(size);

	if ((d & m) == 0)
		return true;
	if (!is_signed) {
		unsigned __int128 n = ((unsigned __int128)(hi & m) << bits) | (lo & m);

		return n / (d & m) > m;
	}
	{
		unsigned __int128 raw = ((unsigned __int128)(hi & m) << bits) | (lo & m);
		__int128 n = (__int128)(raw << (128 - 2 * bits)) >> (128 - 2 * bits);
		__int128 sd = (__int128)((int64_t)((d & m) << (64 - bits)) >> (64 - bits));
		__int128 min = -((__int128)1 << (bits - 1)), max = ((__int128)1 << (bits - 1)) - 1, q;

		if (sd == -1) /* q = -n, without negating a possible INT128_MIN */
			return n < -max || n > -min;
		q = n / sd;
		return q > max || q < min;
	}
}

/* DIV F6/F7 /6, IDIV F6/F7 /7 with rCX as the divisor: AX / CL for bytes, rDX:rAX
 * / rCX otherwise. Flags are undefined (SDM Vol. 2, DIV and IDIV). */
static void test_exec_div_and_idiv_match_host_when_quotient_fits(void **state)
{
	struct ih *h = ih_new();
	uint64_t seed = 0x3243f6a8885a308dull;
	unsigned cases = 0;

	(void)state;
	for (unsigned s = 0; s < 4; s++) {
		unsigned size = sizes[s];
		uint64_t m = size_mask_of(size), top = 1ull << (size * 8 - 1);
		const uint64_t divisors[] = { 1, 2, 3, 7, 10, top - 1, top, top + 1, m, m - 1, ih_random(&seed) & m };
		const uint64_t lows[] = { 0, 1, top - 1, top, m, ih_random(&seed) & m, ih_random(&seed) & m };
		const uint64_t highs[] = { 0, 1, 2, top - 1, m, m - 1, ih_random(&seed) & m };

		for (int is_signed = 0; is_signed <= 1; is_signed++) {
			uint8_t body[3];
			size_t len = ih_size_prefix(body, size);

			body[len++] = size == 1 ? 0xf6 : 0xf7;
			body[len++] = is_signed ? 0xf9 : 0xf1;
			for (unsigned d = 0; d < sizeof(divisors) / sizeof(divisors[0]); d++) {
				for (unsigned i = 0; i < sizeof(lows) / sizeof(lows[0]); i++) {
					for (unsigned j = 0; j < sizeof(highs) / sizeof(highs[0]); j++) {
						struct ih_case c;
						char what[128];
						uint64_t lo = lows[i], hi = highs[j], rax, rdx;

						if (size == 1) {
							/* the dividend is AX: AH is the high half */
							if (divide_faults(1, is_signed, hi, lo, divisors[d]))
								continue;
							rax = (ih_random(&seed) & ~0xffffull) | (hi & 0xff) << 8 | lo;
							rdx = ih_random(&seed);
						} else {
							if (divide_faults(size, is_signed, hi, lo, divisors[d]))
								continue;
							rax = (ih_random(&seed) & ~m) | lo;
							rdx = (ih_random(&seed) & ~m) | hi;
						}
						set_case(&c, rax, (ih_random(&seed) & ~m) | divisors[d], rdx, 0);
						snprintf(what, sizeof(what), "%s size %u: 0x%llx:0x%llx / 0x%llx",
							 is_signed ? "idiv" : "div", size, (unsigned long long)hi,
							 (unsigned long long)lo, (unsigned long long)divisors[d]);
						ih_compare(h, &c, body, len, 0, what);
						cases++;
					}
				}
			}
		}
	}
	assert_true(cases > 300);
	ih_free(h);
}

/* #DE is a fault: the frame holds the RIP of the divide, no error code, and RAX,
 * RDX are unchanged (SDM Vol. 3A, 7.15 "Interrupt 0"; Vol. 2 DIV: "#DE If the
 * source operand (divisor) is 0. If the quotient is too large for the designated
 * register."). */
static void expect_divide_error(const uint8_t *body, size_t len, uint64_t rax, uint64_t rdx, uint64_t rcx)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	h->state.gpr[GPR_RAX] = rax;
	h->state.gpr[GPR_RDX] = rdx;
	h->state.gpr[GPR_RCX] = rcx;
	s = run_to_exception(h, body, len, DE);
	assert_int_equal(ih_frame(h, 0), IH_CODE);	      /* RIP of the DIV */
	assert_int_equal(ih_frame(h, 1), BOOT_SEL_CODE64);    /* CS: no error code below it */
	assert_int_equal(s->gpr[GPR_RSP], IH_STACK_TOP - 40); /* RIP, CS, RFLAGS, RSP, SS */
	assert_int_equal(s->gpr[GPR_RAX], rax);
	assert_int_equal(s->gpr[GPR_RDX], rdx);
	ih_free(h);
}

IH_ASM(div_ecx, "div ecx");
IH_ASM(div_cl, "div cl");
IH_ASM(div_rcx, "div rcx");
IH_ASM(idiv_cl, "idiv cl");
IH_ASM(idiv_cx, "idiv cx");
IH_ASM(idiv_ecx, "idiv ecx");
IH_ASM(idiv_rcx, "idiv rcx");

static void test_exec_divide_by_zero_raises_de_at_the_divide(void **state)
{
	(void)state;
	expect_divide_error(div_ecx, IH_LEN(div_ecx), 0x1234, 0, 0xffffffff00000000ull); /* ECX = 0 */
	expect_divide_error(idiv_rcx, IH_LEN(idiv_rcx), 5, 0, 0);
}

static void test_exec_divide_quotient_too_large_raises_de(void **state)
{
	(void)state;
	expect_divide_error(div_cl, IH_LEN(div_cl), 0x100, 0, 1);	   /* 0x100 / 1 does not fit AL */
	expect_divide_error(div_ecx, IH_LEN(div_ecx), 0, 1, 1);		   /* 2^32 / 1 */
	expect_divide_error(div_rcx, IH_LEN(div_rcx), 0, 5, 5);		   /* RDX >= divisor */
	expect_divide_error(idiv_rcx, IH_LEN(idiv_rcx), 1ull << 63, 0, 1); /* +2^63 does not fit */
}

/* The most negative dividend divided by -1: the quotient +2^(n-1) does not fit. */
static void test_exec_idiv_most_negative_by_minus_one_raises_de(void **state)
{
	(void)state;
	expect_divide_error(idiv_cl, IH_LEN(idiv_cl), 0xff80, 0, 0xff);			     /* -128 / -1 */
	expect_divide_error(idiv_cx, IH_LEN(idiv_cx), 0x8000, 0xffff, 0xffff);		     /* -2^31 / -1 */
	expect_divide_error(idiv_ecx, IH_LEN(idiv_ecx), 0x80000000, 0xffffffff, 0xffffffff); /* -2^63 / -1 */
}

static void test_exec_idiv64_most_negative_by_minus_one_raises_de(void **state)
{
	(void)state;
	expect_divide_error(idiv_rcx, IH_LEN(idiv_rcx), 0, 1ull << 63, ~0ull);
}

/* ---- multiply ------------------------------------------------------------------------ */

/* MUL F6/F7 /4 and IMUL /5 (rCX), IMUL 0F AF (r, r/m), 6B (imm8), 69 (imm16/32).
 * CF and OF are defined (the high half is significant); SF, ZF, AF, PF are not
 * (SDM Vol. 2, MUL and IMUL). */
static void test_exec_mul_and_imul_forms_match_host_with_cf_of(void **state)
{
	static const uint8_t imm8s[] = { 0, 1, 3, 0x7f, 0x80, 0xff };
	static const uint32_t imm32s[] = { 0, 2, 0x7fffffff, 0x80000000, 0xffffffff, 0x12345 };
	struct ih *h = ih_new();
	uint64_t seed = 0xb7e151628aed2a6bull;

	(void)state;
	for (unsigned s = 0; s < 4; s++) {
		unsigned size = sizes[s];
		uint64_t m = size_mask_of(size), top = 1ull << (size * 8 - 1);
		const uint64_t grid[] = { 0,
					  1,
					  2,
					  3,
					  top - 1,
					  top,
					  top + 1,
					  m,
					  m - 1,
					  m >> 1 | 1,
					  ih_random(&seed) & m,
					  ih_random(&seed) & m };
		unsigned n = sizeof(grid) / sizeof(grid[0]);

		for (unsigned form = 0; form < 5; form++) {
			unsigned nimm = form == 3 ? sizeof(imm8s) : form == 4 ? sizeof(imm32s) / 4 : 1;

			if (size == 1 && form >= 2)
				continue; /* no byte forms of the two- and three-operand IMUL */
			for (unsigned k = 0; k < nimm; k++) {
				uint8_t body[12];
				size_t len = ih_size_prefix(body, size);

				switch (form) {
				case 0: /* MUL rCX */
				case 1: /* IMUL rCX */
					body[len++] = size == 1 ? 0xf6 : 0xf7;
					body[len++] = form == 0 ? 0xe1 : 0xe9;
					break;
				case 2: /* IMUL eax, ecx */
					body[len++] = 0x0f;
					body[len++] = 0xaf;
					body[len++] = 0xc1;
					break;
				case 3: /* IMUL eax, ecx, imm8 */
					body[len++] = 0x6b;
					body[len++] = 0xc1;
					body[len++] = imm8s[k];
					break;
				default: /* IMUL eax, ecx, imm16/imm32 */
					body[len++] = 0x69;
					body[len++] = 0xc1;
					put_le32(body + len, imm32s[k]);
					len += size == 2 ? 2 : 4;
					break;
				}
				for (unsigned i = 0; i < n; i++) {
					for (unsigned j = 0; j < n; j++) {
						struct ih_case c;
						char what[96];

						set_case(&c, (ih_random(&seed) & ~m) | grid[i],
							 (ih_random(&seed) & ~m) | grid[j], ih_random(&seed),
							 ih_random(&seed));
						snprintf(what, sizeof(what),
							 "mul form %u size %u imm #%u: 0x%llx * 0x%llx", form, size, k,
							 (unsigned long long)grid[i], (unsigned long long)grid[j]);
						ih_compare(h, &c, body, len, RFLAGS_CF | RFLAGS_OF, what);
					}
				}
			}
		}
	}
	ih_free(h);
}

/* ---- shifts and rotates -------------------------------------------------------------- */

/* Group 2 by CL (D2/D3 /d) and by imm8 (C0/C1 /d ib) on rAX. */
static size_t emit_group2(uint8_t *p, unsigned size, unsigned digit, int imm)
{
	size_t len = ih_size_prefix(p, size);

	if (imm < 0) {
		p[len++] = size == 1 ? 0xd2 : 0xd3;
		p[len++] = (uint8_t)(0xc0 | (digit << 3));
	} else {
		p[len++] = size == 1 ? 0xc0 : 0xc1;
		p[len++] = (uint8_t)(0xc0 | (digit << 3));
		p[len++] = (uint8_t)imm;
	}
	return len;
}

/* "If the count is 0, the flags are not affected" (SAL/SAR/SHL/SHR, RCL/RCR/ROL/
 * ROR); the count is masked to 5 bits (6 with REX.W) first, so 32 is 0 for 8- and
 * 16-bit operands. Byte, word and quadword operands keep their value. */
static void test_exec_shift_and_rotate_by_zero_keep_flags_and_operand(void **state)
{
	static const unsigned digits[] = { 0, 1, 2, 3, 4, 5, 7 }; /* ROL ROR RCL RCR SHL SHR SAR */
	static const unsigned wide_sizes[] = { 1, 2, 8 };
	struct ih *h = ih_new();
	uint64_t seed = 0xdeadbeefcafef00dull;

	(void)state;
	for (unsigned s = 0; s < 3; s++) {
		unsigned size = wide_sizes[s];

		for (unsigned d = 0; d < sizeof(digits) / sizeof(digits[0]); d++) {
			/* CL = 0, imm8 0, and counts that the mask turns into 0, by CL and imm8 */
			const unsigned masked_zero = size == 8 ? 64 : 32;
			const int imms[] = { -1, 0, -1, (int)masked_zero };
			const unsigned cls[] = { 0, 0, masked_zero, 0 };

			for (unsigned k = 0; k < 4; k++) {
				for (uint64_t flags = 0; flags <= RFLAGS_ARITH_MASK; flags += 0x111) {
					uint8_t body[8];
					size_t len = emit_group2(body, size, digits[d], imms[k]);
					struct ih_case c;
					char what[96];

					set_case(&c, ih_random(&seed), (ih_random(&seed) & ~0xffull) | cls[k], 0,
						 flags & RFLAGS_ARITH_MASK);
					snprintf(what, sizeof(what), "group 2 /%u size %u count form %u flags 0x%llx",
						 digits[d], size, k, (unsigned long long)flags);
					ih_compare(h, &c, body, len, ALL_FLAGS, what);
				}
			}
		}
	}
	ih_free(h);
}

/* A 32-bit destination register is written even by a zero count: the host clears
 * bits 63:32 of RAX after SHL EAX, 0 (SDM Vol. 1, 3.4.1.1: "32-bit operands
 * generate a 32-bit result, zero-extended to a 64-bit result in the destination
 * general-purpose register"). */
IH_ASM(shl_eax_0, "shl eax, 0");
IH_ASM(rol_eax_cl, "rol eax, cl");
IH_ASM(rcr_eax_cl, "rcr eax, cl");
IH_ASM(shld_eax_edx_cl, "shld eax, edx, cl");

static void test_exec_shift_by_zero_of_32bit_register_zero_extends_like_host(void **state)
{
	struct ih *h;
	struct ih_case c;

	(void)state;
	h = ih_new();
	set_case(&c, 0xffffffff12345678ull, 0xffffffff00000000ull, 0xabcdef, RFLAGS_CF | RFLAGS_ZF);
	ih_compare(h, &c, shl_eax_0, IH_LEN(shl_eax_0), ALL_FLAGS, "shl eax, 0");
	ih_compare(h, &c, rol_eax_cl, IH_LEN(rol_eax_cl), ALL_FLAGS, "rol eax, cl=0");
	ih_compare(h, &c, rcr_eax_cl, IH_LEN(rcr_eax_cl), ALL_FLAGS, "rcr eax, cl=0");
	ih_compare(h, &c, shld_eax_edx_cl, IH_LEN(shld_eax_edx_cl), ALL_FLAGS, "shld eax, edx, cl=0");
	ih_free(h);
}

/* RCL/RCR rotate through CF (SDM Vol. 2, RCL/RCR/ROL/ROR operation): a 9-bit
 * rotation for bytes, 17-bit for words (count mod 9 / mod 17). OF for a 1-bit
 * rotate: RCL: MSB(result) XOR CF; RCR: XOR of the two top bits of the result. */
IH_ASM(rcl_al_1, "rcl al, 1");
IH_ASM(rcr_al_1, "rcr al, 1");
IH_ASM(rcl_al_9, "rcl al, 9");
IH_ASM(rcl_ax_cl, "rcl ax, cl");
IH_ASM(rcr_rax_cl, "rcr rax, cl");

static void test_exec_rcl_rcr_rotate_through_carry(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	h->state.gpr[GPR_RAX] = 0x80;
	h->state.rflags |= RFLAGS_CF;
	s = ih_exec(h, rcl_al_1, IH_LEN(rcl_al_1));
	assert_int_equal(s->gpr[GPR_RAX], 0x01); /* bit 7 -> CF, old CF -> bit 0 */
	assert_int_equal(s->rflags & (RFLAGS_CF | RFLAGS_OF), RFLAGS_CF | RFLAGS_OF);

	h->state = h->entry;
	h->state.gpr[GPR_RAX] = 0x01;
	s = ih_exec(h, rcr_al_1, IH_LEN(rcr_al_1));
	assert_int_equal(s->gpr[GPR_RAX], 0x00); /* bit 0 -> CF, CF (0) -> bit 7 */
	assert_int_equal(s->rflags & (RFLAGS_CF | RFLAGS_OF), RFLAGS_CF);

	h->state = h->entry;
	h->state.gpr[GPR_RAX] = 0x5a;
	h->state.rflags |= RFLAGS_CF;
	s = ih_exec(h, rcl_al_9, IH_LEN(rcl_al_9)); /* 9 mod 9 = 0: nothing moves */
	assert_int_equal(s->gpr[GPR_RAX], 0x5a);
	assert_true(s->rflags & RFLAGS_CF);

	h->state = h->entry;
	h->state.gpr[GPR_RAX] = 0x8001;
	h->state.gpr[GPR_RCX] = 16; /* 17-bit rotate left by 16 = right by 1 */
	s = ih_exec(h, rcl_ax_cl, IH_LEN(rcl_ax_cl));
	assert_int_equal(s->gpr[GPR_RAX], 0x4000);
	assert_true(s->rflags & RFLAGS_CF); /* bit 0 went to CF */

	h->state = h->entry;
	h->state.gpr[GPR_RAX] = 0x3;
	h->state.gpr[GPR_RCX] = 2;
	h->state.rflags |= RFLAGS_CF;
	s = ih_exec(h, rcr_rax_cl, IH_LEN(rcr_rax_cl)); /* 65-bit rotate: CF=1,bit1,bit0 rotate in at the top */
	assert_int_equal(s->gpr[GPR_RAX], 0xc000000000000000ull);
	assert_true(s->rflags & RFLAGS_CF);
	ih_free(h);
}

/* SHLD/SHRD (0F A4/A5, 0F AC/AD): CF is the last bit shifted out, SF ZF PF follow
 * the result, OF is defined for a count of 1, AF is undefined; counts above the
 * operand size are undefined for 16-bit operands (SDM Vol. 2, SHLD and SHRD). */
static void test_exec_shld_shrd_match_host(void **state)
{
	static const unsigned wide_sizes[] = { 2, 4, 8 };
	struct ih *h = ih_new();
	uint64_t seed = 0x6a09e667f3bcc909ull;

	(void)state;
	for (unsigned s = 0; s < 3; s++) {
		unsigned size = wide_sizes[s], bits = size * 8;
		uint64_t m = size_mask_of(size), top = 1ull << (bits - 1);
		const uint64_t grid[] = { 0, 1, top, m, top - 1, 0x5555555555555555ull & m, ih_random(&seed) & m };

		for (unsigned op = 0; op < 4; op++) { /* SHLD imm, SHLD CL, SHRD imm, SHRD CL */
			for (unsigned count = 1; count < bits; count += count < 4 || count > bits - 4 ? 1 : 5) {
				uint8_t body[8];
				size_t len = ih_size_prefix(body, size);

				body[len++] = 0x0f;
				body[len++] = (uint8_t)((op < 2 ? 0xa4 : 0xac) + (op & 1));
				body[len++] = 0xd0; /* r/m = rAX, reg = rDX */
				if (!(op & 1))
					body[len++] = (uint8_t)count;
				for (unsigned i = 0; i < sizeof(grid) / sizeof(grid[0]); i++) {
					for (unsigned j = 0; j < sizeof(grid) / sizeof(grid[0]); j++) {
						struct ih_case c;
						char what[96];

						set_case(&c, (ih_random(&seed) & ~m) | grid[i], count,
							 (ih_random(&seed) & ~m) | grid[j], ih_random(&seed));
						snprintf(what, sizeof(what), "%s size %u count %u: 0x%llx, 0x%llx",
							 op < 2 ? "shld" : "shrd", size, count,
							 (unsigned long long)grid[i], (unsigned long long)grid[j]);
						ih_compare(h, &c, body, len,
							   RFLAGS_CF | RFLAGS_SF | RFLAGS_ZF | RFLAGS_PF |
							       (count == 1 ? RFLAGS_OF : 0),
							   what);
					}
				}
			}
		}
	}
	ih_free(h);
}

/* ---- bit operations -------------------------------------------------------------------- */

/* BT/BTS/BTR/BTC m, r (0F A3/AB/B3/BB): with a register bit offset the operand is a
 * bit string that starts at the address and reaches anywhere, in both directions
 * (SDM Vol. 2, BT: "the bit offset ... -2^31 to 2^31 - 1 for a register offset").
 * RSI points into the middle of the compared buffer. CF is the only defined flag. */
static void test_exec_bt_family_register_offset_reaches_outside_the_operand(void **state)
{
	static const uint8_t opcodes[] = { 0xa3, 0xab, 0xb3, 0xbb };
	static const int32_t offsets[] = { 0,	 5,  15, 16,  31,  32,	63,  64,  100,	500,
					   1000, -1, -8, -16, -17, -33, -64, -65, -513, -1000 };
	static const unsigned wide_sizes[] = { 2, 4, 8 };
	struct ih *h = ih_new();

	(void)state;
	for (unsigned s = 0; s < 3; s++) {
		for (unsigned o = 0; o < 4; o++) {
			uint8_t body[4];
			size_t len = ih_size_prefix(body, wide_sizes[s]);

			body[len++] = 0x0f;
			body[len++] = opcodes[o];
			body[len++] = 0x0e; /* [rsi], rCX */
			for (unsigned k = 0; k < sizeof(offsets) / sizeof(offsets[0]); k++) {
				struct ih_case c;
				char what[64];

				set_case(&c, 0, (uint64_t)(int64_t)offsets[k], 0, 0);
				for (unsigned i = 0; i < IH_CMP_DATA; i++)
					c.data[i] = (uint8_t)(i * 37 + 11);
				c.regs.gpr[GPR_RSI] = 128;
				c.ptr_regs = 1u << GPR_RSI;
				snprintf(what, sizeof(what), "0f %02x size %u offset %d", opcodes[o], wide_sizes[s],
					 offsets[k]);
				ih_compare(h, &c, body, len, RFLAGS_CF, what);
			}
		}
	}
	ih_free(h);
}

/* An immediate bit offset is taken modulo the operand size, in memory as in a
 * register; so is a register offset with a register operand. */
IH_ASM(bt_mem_imm, "bt dword ptr [rsi], 35");
IH_ASM(bts_mem_imm64, "bts qword ptr [rsi], 70");
IH_ASM(btc_reg_reg, "btc eax, ecx");
IH_ASM(btr_reg16_reg, "btr ax, cx");

static void test_exec_bt_immediate_and_register_operand_offsets_wrap(void **state)
{
	const struct {
		const uint8_t *code;
		size_t len;
	} forms[] = {
		{ bt_mem_imm, IH_LEN(bt_mem_imm) },
		{ bts_mem_imm64, IH_LEN(bts_mem_imm64) },
		{ btc_reg_reg, IH_LEN(btc_reg_reg) },
		{ btr_reg16_reg, IH_LEN(btr_reg16_reg) },
	};
	struct ih *h = ih_new();

	(void)state;
	for (unsigned f = 0; f < 4; f++) {
		for (uint64_t off = 0; off < 200; off += 13) {
			struct ih_case c;

			set_case(&c, 0xf0f0f0f0a5a5a5a5ull, off, 0, 0);
			for (unsigned i = 0; i < IH_CMP_DATA; i++)
				c.data[i] = (uint8_t)(i * 91 + 3);
			c.regs.gpr[GPR_RSI] = 64;
			c.ptr_regs = 1u << GPR_RSI;
			ih_compare(h, &c, forms[f].code, forms[f].len, RFLAGS_CF, "bt wraps");
		}
	}
	ih_free(h);
}

/* BSF/BSR (0F BC/BD): a zero source sets ZF and, as AMD documents and the host
 * (the model's vendor) does, leaves the destination unchanged; otherwise ZF is
 * clear and the destination is the bit index. Other flags are undefined. */
static void test_exec_bsf_bsr_zero_source_sets_zf_and_keeps_destination(void **state)
{
	static const unsigned wide_sizes[] = { 2, 4, 8 };
	struct ih *h = ih_new();
	uint64_t seed = 0xbb67ae8584caa73bull;

	(void)state;
	for (unsigned s = 0; s < 3; s++) {
		uint64_t m = size_mask_of(wide_sizes[s]);
		const uint64_t sources[] = { 0, 1, 0x80, m, (m >> 1) + 1, 0x100, ih_random(&seed) & m };

		for (unsigned r = 0; r < 2; r++) {
			uint8_t body[4];
			size_t len = ih_size_prefix(body, wide_sizes[s]);

			body[len++] = 0x0f;
			body[len++] = r ? 0xbd : 0xbc;
			body[len++] = 0xc1; /* eax, ecx */
			for (unsigned i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
				struct ih_case c;

				/* the upper bits of the source must not count */
				set_case(&c, 0xfedcba9876543210ull, (ih_random(&seed) & ~m) | sources[i], 0, 0);
				ih_compare(h, &c, body, len, RFLAGS_ZF, r ? "bsr" : "bsf");
			}
		}
	}
	ih_free(h);
}

/* ---- conditional moves and branches ------------------------------------------------------ */

/* CMOVcc (0F 40+cc): "In 64-bit mode, CMOVcc with a 32-bit operand size will clear
 * the upper 32 bits of the destination register even if the condition is false"
 * (SDM Vol. 2, CMOVcc); 16-bit destinations keep their upper bits. */
static void test_exec_cmov_32bit_destination_zero_extends_even_when_false(void **state)
{
	static const unsigned wide_sizes[] = { 2, 4, 8 };
	struct ih *h = ih_new();

	(void)state;
	for (unsigned s = 0; s < 3; s++) {
		for (unsigned cc = 0; cc < 16; cc++) {
			uint8_t body[4];
			size_t len = ih_size_prefix(body, wide_sizes[s]);

			body[len++] = 0x0f;
			body[len++] = (uint8_t)(0x40 + cc);
			body[len++] = 0xc1; /* eax, ecx */
			for (uint64_t flags = 0; flags < 0x1000; flags += 0x2c5) {
				struct ih_case c;
				char what[64];

				set_case(&c, 0xaaaaaaaabbbbbbbbull, 0xccccccccddddddddull, 0,
					 flags & RFLAGS_ARITH_MASK);
				snprintf(what, sizeof(what), "cmov cc %u size %u flags 0x%llx", cc, wide_sizes[s],
					 (unsigned long long)flags);
				ih_compare(h, &c, body, len, ALL_FLAGS, what);
			}
		}
	}
	ih_free(h);
}

/* The source is read whatever the condition ("temp := SRC" comes first in the
 * operation of CMOVcc), so a non-canonical source faults even when false. */
IH_ASM(cmovz_from_non_canonical, "mov rsi, 0x0000800000000000\n test rsi, rsi\n cmovz eax, dword ptr [rsi]");

static void test_exec_cmov_reads_its_memory_source_even_when_false(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	run_to_exception(h, cmovz_from_non_canonical, IH_LEN(cmovz_from_non_canonical), GP);
	assert_int_equal(ih_frame(h, 0), 0); /* error code */
	ih_free(h);
}

/* Jcc rel8 (70+cc) and rel32 (0F 80+cc) after a CMP, over all 16 conditions: the
 * branch skips MOV EBX, 1 exactly when the host's does. */
static void test_exec_jcc_branches_exactly_when_host_does(void **state)
{
	struct ih *h = ih_new();
	uint64_t seed = 0x510e527fade682d1ull;
	const uint64_t values[] = { 0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x12345678 };

	(void)state;
	for (unsigned cc = 0; cc < 16; cc++) {
		for (int near = 0; near <= 1; near++) {
			uint8_t body[24];
			size_t len = 0;

			body[len++] = 0xbb; /* mov ebx, 0 */
			put_le32(body + len, 0);
			len += 4;
			body[len++] = 0x39; /* cmp eax, ecx */
			body[len++] = 0xc8;
			if (near) {
				body[len++] = 0x0f;
				body[len++] = (uint8_t)(0x80 + cc);
				put_le32(body + len, 5);
				len += 4;
			} else {
				body[len++] = (uint8_t)(0x70 + cc);
				body[len++] = 5;
			}
			body[len++] = 0xbb; /* mov ebx, 1 */
			put_le32(body + len, 1);
			len += 4;
			for (unsigned i = 0; i < 6; i++) {
				for (unsigned j = 0; j < 6; j++) {
					struct ih_case c;
					char what[64];

					set_case(&c, values[i], values[j], 0, ih_random(&seed));
					snprintf(what, sizeof(what), "j%s cc %u: 0x%llx vs 0x%llx", near ? " near" : "",
						 cc, (unsigned long long)values[i], (unsigned long long)values[j]);
					ih_compare(h, &c, body, len, ALL_FLAGS, what);
				}
			}
		}
	}
	ih_free(h);
}

/* LOOP/LOOPE/LOOPNE decrement rCX without touching flags and branch while it is
 * not zero (and ZF says so); JRCXZ tests all of RCX, JECXZ (67 E3) only ECX, and
 * an address-size prefix makes LOOP count in ECX (SDM Vol. 2, LOOPcc, Jcc). */
IH_ASM(loop_sum, "1: add eax, ecx\n loop 1b");
IH_ASM(loopne_until_equal, "1: inc eax\n cmp eax, ebx\n loopne 1b");
IH_ASM(loope_while_equal, "1: dec ebx\n cmp eax, eax\n loope 1b");
IH_ASM(jrcxz_skip, "jrcxz 1f\n mov bl, 1\n 1: nop");
IH_ASM(jecxz_skip, "jecxz 1f\n mov bl, 1\n 1: nop");
IH_ASM(loop_ecx, "1: inc eax\n addr32 loop 1b");

static void test_exec_loop_family_and_jrcxz_match_host(void **state)
{
	const struct {
		const char *name;
		const uint8_t *code;
		size_t len;
		uint64_t rcx, rbx;
	} cases[] = {
		{ "loop", loop_sum, IH_LEN(loop_sum), 5, 0 },
		{ "loopne", loopne_until_equal, IH_LEN(loopne_until_equal), 10, 3 },
		{ "loopne runs out", loopne_until_equal, IH_LEN(loopne_until_equal), 2, 30 },
		{ "loope", loope_while_equal, IH_LEN(loope_while_equal), 7, 100 },
		{ "jrcxz, RCX = 2^32", jrcxz_skip, IH_LEN(jrcxz_skip), 1ull << 32, 0 },
		{ "jrcxz, RCX = 0", jrcxz_skip, IH_LEN(jrcxz_skip), 0, 0 },
		{ "jecxz, RCX = 2^32", jecxz_skip, IH_LEN(jecxz_skip), 1ull << 32, 0 },
		{ "jecxz, RCX = 1", jecxz_skip, IH_LEN(jecxz_skip), 1, 0 },
		{ "addr32 loop", loop_ecx, IH_LEN(loop_ecx), 0x700000003ull, 0 },
	};
	struct ih *h = ih_new();

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ih_case c;

		set_case(&c, 0, cases[i].rcx, 0, RFLAGS_ZF | RFLAGS_CF);
		c.regs.gpr[GPR_RBX] = cases[i].rbx;
		ih_compare(h, &c, cases[i].code, cases[i].len, ALL_FLAGS, cases[i].name);
	}
	ih_free(h);
}

/* CALL rel32 pushes the address of the next instruction; RET imm16 pops it and
 * then releases imm16 more bytes, imm16 being unsigned (SDM Vol. 2, CALL, RET). */
IH_ASM(call_ret16, "call 1f\n jmp 2f\n 1: ret 16\n 2: nop");
IH_ASM(call_ret8000, "call 1f\n jmp 2f\n 1: ret 0x8000\n 2: nop");
IH_ASM(call_through_rax, "lea rax, [rip + 1f]\n call rax\n jmp 2f\n 1: mov ebx, 7\n ret\n 2: nop");

static void test_exec_call_pushes_return_address_and_ret_imm_releases_bytes(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	s = ih_exec(h, call_ret16, IH_LEN(call_ret16));
	assert_int_equal(s->gpr[GPR_RSP], IH_STACK_TOP + 16);
	assert_int_equal(ih_read(h, IH_STACK_TOP - 8, 8), IH_CODE + 5); /* after the 5-byte CALL */
	assert_int_equal(s->rip, IH_CODE + IH_LEN(call_ret16));

	h->state = h->entry;
	s = ih_exec(h, call_ret8000, IH_LEN(call_ret8000));
	assert_int_equal(s->gpr[GPR_RSP], IH_STACK_TOP + 0x8000);

	h->state = h->entry;
	s = ih_exec(h, call_through_rax, IH_LEN(call_through_rax));
	assert_int_equal(s->gpr[GPR_RBX], 7);
	assert_int_equal(s->gpr[GPR_RSP], IH_STACK_TOP);
	ih_free(h);
}

/* ---- the stack ------------------------------------------------------------------------ */

#define STACK_SLOT (IH_STACK_TOP - 64)

/* PUSH m: "If the source operand is a memory operand that references the SP
 * register, the address is computed before the decrement"; PUSH RSP pushes the
 * value before the instruction (SDM Vol. 2, PUSH). */
IH_ASM(push_mem_rsp, "push qword ptr [rsp]");
IH_ASM(push_mem_rsp8, "push qword ptr [rsp + 8]");
IH_ASM(push_rsp, "push rsp");

static void test_exec_push_of_memory_through_rsp_reads_before_decrement(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	ih_put(h, STACK_SLOT, 0x1111, 8);
	ih_put(h, STACK_SLOT + 8, 0x2222, 8);
	h->state.gpr[GPR_RSP] = STACK_SLOT;
	s = ih_exec(h, push_mem_rsp, IH_LEN(push_mem_rsp));
	assert_int_equal(s->gpr[GPR_RSP], STACK_SLOT - 8);
	assert_int_equal(ih_read(h, STACK_SLOT - 8, 8), 0x1111);

	h->state = h->entry;
	h->state.gpr[GPR_RSP] = STACK_SLOT;
	s = ih_exec(h, push_mem_rsp8, IH_LEN(push_mem_rsp8));
	assert_int_equal(ih_read(h, STACK_SLOT - 8, 8), 0x2222);

	h->state = h->entry;
	h->state.gpr[GPR_RSP] = STACK_SLOT;
	s = ih_exec(h, push_rsp, IH_LEN(push_rsp));
	assert_int_equal(ih_read(h, STACK_SLOT - 8, 8), STACK_SLOT);
	ih_free(h);
}

/* POP m: "If the ESP register is used as a base register for addressing a
 * destination operand in memory, the POP instruction computes the effective
 * address of the operand after it increments the ESP register"; POP RSP leaves
 * RSP = the popped value (SDM Vol. 2, POP). */
IH_ASM(pop_mem_rsp, "pop qword ptr [rsp]");
IH_ASM(pop_mem_rsp8, "pop qword ptr [rsp + 8]");
IH_ASM(pop_rsp, "pop rsp");

static void test_exec_pop_to_memory_through_rsp_uses_incremented_rsp(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	ih_put(h, STACK_SLOT, 0xaaaa, 8);
	ih_put(h, STACK_SLOT + 8, 0xbbbb, 8);
	ih_put(h, STACK_SLOT + 16, 0xcccc, 8);
	h->state.gpr[GPR_RSP] = STACK_SLOT;
	s = ih_exec(h, pop_mem_rsp, IH_LEN(pop_mem_rsp));
	assert_int_equal(s->gpr[GPR_RSP], STACK_SLOT + 8);
	assert_int_equal(ih_read(h, STACK_SLOT + 8, 8), 0xaaaa);

	ih_put(h, STACK_SLOT, 0xdddd, 8);
	h->state = h->entry;
	h->state.gpr[GPR_RSP] = STACK_SLOT;
	s = ih_exec(h, pop_mem_rsp8, IH_LEN(pop_mem_rsp8));
	assert_int_equal(s->gpr[GPR_RSP], STACK_SLOT + 8);
	assert_int_equal(ih_read(h, STACK_SLOT + 16, 8), 0xdddd);

	ih_put(h, STACK_SLOT, 0x123450, 8);
	h->state = h->entry;
	h->state.gpr[GPR_RSP] = STACK_SLOT;
	s = ih_exec(h, pop_rsp, IH_LEN(pop_rsp));
	assert_int_equal(s->gpr[GPR_RSP], 0x123450);
	ih_free(h);
}

/* LEAVE: RSP := RBP, then POP RBP (SDM Vol. 2, LEAVE). */
IH_ASM(leave64, "leave");

static void test_exec_leave_restores_rsp_from_rbp_and_pops_rbp(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	ih_put(h, STACK_SLOT, 0x7777, 8);
	h->state.gpr[GPR_RBP] = STACK_SLOT;
	h->state.gpr[GPR_RSP] = STACK_SLOT - 0x100;
	s = ih_exec(h, leave64, IH_LEN(leave64));
	assert_int_equal(s->gpr[GPR_RSP], STACK_SLOT + 8);
	assert_int_equal(s->gpr[GPR_RBP], 0x7777);
	ih_free(h);
}

/* ---- strings, exchanges, extensions --------------------------------------------------- */

IH_ASM(rep_movsb, "rep movsb");
IH_ASM(rep_movsw, "rep movsw");
IH_ASM(rep_movsq, "rep movsq");
IH_ASM(rep_stosq, "rep stosq");
IH_ASM(rep_stosd, "rep stosd");
IH_ASM(rep_stosw, "rep stosw");
IH_ASM(repe_cmpsb, "repe cmpsb");
IH_ASM(repne_scasb, "repne scasb");
IH_ASM(repe_scasw, "repe scasw");
IH_ASM(lodsq1, "lodsq");
IH_ASM(movsd1, "movsd");

/* String instructions with REP prefixes and both directions (SDM Vol. 2, MOVS,
 * STOS, CMPS, SCAS, LODS, REP/REPE/REPNE): RSI, RDI and RCX are compared as offsets
 * into the buffer, flags as CMP sets them. */
static void test_exec_string_instructions_match_host(void **state)
{
	const struct {
		const char *name;
		const uint8_t *code;
		size_t len;
		uint64_t rsi, rdi, rcx, rax;
		bool df;
	} cases[] = {
		{ "rep movsb forward", rep_movsb, IH_LEN(rep_movsb), 0, 128, 100, 0, false },
		{ "rep movsb backward", rep_movsb, IH_LEN(rep_movsb), 99, 227, 100, 0, true },
		{ "rep movsb overlapping", rep_movsb, IH_LEN(rep_movsb), 0, 1, 60, 0, false },
		{ "rep movsb with rcx 0", rep_movsb, IH_LEN(rep_movsb), 0, 128, 0, 0, false },
		{ "rep movsw backward", rep_movsw, IH_LEN(rep_movsw), 100, 200, 20, 0, true },
		{ "rep movsq", rep_movsq, IH_LEN(rep_movsq), 8, 136, 12, 0, false },
		{ "rep stosq", rep_stosq, IH_LEN(rep_stosq), 0, 16, 16, 0x0123456789abcdefull, false },
		{ "rep stosd backward", rep_stosd, IH_LEN(rep_stosd), 0, 252, 20, 0xfeedface, true },
		/* One byte repeated (a memset in bulk) and nearly so (not). */
		{ "rep stosq of zeros", rep_stosq, IH_LEN(rep_stosq), 0, 8, 20, 0, false },
		{ "rep stosw of one byte", rep_stosw, IH_LEN(rep_stosw), 0, 2, 60, 0x1234ffff5a5aull, false },
		{ "rep stosd of nearly one byte", rep_stosd, IH_LEN(rep_stosd), 0, 4, 40, 0x5a5a005aull, false },
		{ "repe cmpsb stops at the difference", repe_cmpsb, IH_LEN(repe_cmpsb), 0, 128, 64, 0, false },
		{ "repe cmpsb backward", repe_cmpsb, IH_LEN(repe_cmpsb), 63, 191, 64, 0, true },
		{ "repne scasb finds the byte", repne_scasb, IH_LEN(repne_scasb), 0, 10, 200, 0x5a, false },
		{ "repne scasb runs out", repne_scasb, IH_LEN(repne_scasb), 0, 10, 30, 0x5a, false },
		{ "repe scasw", repe_scasw, IH_LEN(repe_scasw), 0, 200, 25, 0x0b04, false },
		{ "lodsq", lodsq1, IH_LEN(lodsq1), 24, 0, 7, 0, false },
		{ "movsd backward", movsd1, IH_LEN(movsd1), 40, 80, 7, 0, true },
	};
	struct ih *h = ih_new();

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ih_case c;

		set_case(&c, cases[i].rax, cases[i].rcx, 0, cases[i].df ? RFLAGS_DF : 0);
		c.regs.gpr[GPR_RSI] = cases[i].rsi;
		c.regs.gpr[GPR_RDI] = cases[i].rdi;
		c.ptr_regs = 1u << GPR_RSI | 1u << GPR_RDI;
		for (unsigned b = 0; b < 128; b++)
			c.data[b] = c.data[b + 128] = (uint8_t)(b * 7 + 3);
		c.data[128 + 37] ^= 0x40; /* the first difference between the halves */
		c.data[128 + 60 - 37] ^= 0x01;
		c.data[77] = 0x5a;
		for (unsigned b = 200; b < 240; b += 2) { /* words 0x0b04 for repe scasw */
			c.data[b] = 0x04;
			c.data[b + 1] = 0x0b;
		}
		ih_compare(h, &c, cases[i].code, cases[i].len, ALL_FLAGS | RFLAGS_DF, cases[i].name);
	}
	ih_free(h);
}

/* A REP string instruction longer than the engine's batch runs to completion. */
IH_ASM(rep_stosb, "rep stosb");

static void test_exec_long_rep_stosb_completes(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;
	uint8_t buf[10002];

	(void)state;
	memset(buf, 0, sizeof(buf));
	ih_write(h, IH_DATA, buf, sizeof(buf));
	h->state.gpr[GPR_RAX] = 0xab;
	h->state.gpr[GPR_RCX] = 10000;
	h->state.gpr[GPR_RDI] = IH_DATA + 1;
	s = ih_exec(h, rep_stosb, IH_LEN(rep_stosb));
	assert_int_equal(s->gpr[GPR_RCX], 0);
	assert_int_equal(s->gpr[GPR_RDI], IH_DATA + 10001);
	assert_int_equal(guest_memory_read(&h->mem, IH_DATA, buf, sizeof(buf)), 0);
	assert_int_equal(buf[0], 0);
	for (unsigned i = 1; i <= 10000; i++)
		assert_int_equal(buf[i], 0xab);
	assert_int_equal(buf[10001], 0);
	ih_free(h);
}

/* REP STOSW/D/Q over pages in bulk: a value of one byte repeated is a
 * memset, any other is stored element by element; what lands is the value,
 * little-endian, every element, and nothing beyond. */
static void test_exec_long_rep_stos_of_wide_values(void **state)
{
	const struct {
		const uint8_t *code;
		size_t len;
		unsigned size;
		uint64_t rax;
	} cases[] = {
		{ rep_stosq, IH_LEN(rep_stosq), 8, 0 },
		{ rep_stosw, IH_LEN(rep_stosw), 2, 0x1234ffff5a5aull },
		{ rep_stosd, IH_LEN(rep_stosd), 4, 0x5a5a005aull },
		{ rep_stosq, IH_LEN(rep_stosq), 8, 0x0123456789abcdefull },
	};
	uint8_t buf[10000];

	(void)state;
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct ih *h = ih_new();
		const unsigned n = 9000 / cases[k].size;
		struct vcpu_state *s;

		memset(buf, 0xee, sizeof(buf));
		ih_write(h, IH_DATA, buf, sizeof(buf));
		h->state.gpr[GPR_RAX] = cases[k].rax;
		h->state.gpr[GPR_RCX] = n;
		h->state.gpr[GPR_RDI] = IH_DATA + 8;
		s = ih_exec(h, cases[k].code, cases[k].len);
		assert_int_equal(s->gpr[GPR_RCX], 0);
		assert_int_equal(s->gpr[GPR_RDI], IH_DATA + 8 + n * cases[k].size);
		assert_int_equal(guest_memory_read(&h->mem, IH_DATA, buf, sizeof(buf)), 0);
		for (unsigned i = 0; i < sizeof(buf); i++) {
			unsigned at = i - 8;
			uint8_t want = i < 8 || at >= n * cases[k].size
					   ? 0xee
					   : (uint8_t)(cases[k].rax >> (at % cases[k].size * 8));

			assert_int_equal(buf[i], want);
		}
		ih_free(h);
	}
}

/* XCHG in its forms; 87 C0 (XCHG EAX, EAX) zero-extends RAX, 90 (NOP) does not,
 * REX.B 90 is XCHG R8, RAX (SDM Vol. 2, XCHG and NOP). */
IH_ASM(xchg_eax_eax, "xchg eax, eax");
IH_ASM(xchg_ecx_eax, "xchg ecx, eax");
IH_ASM(xchg_rcx_rax, "xchg rcx, rax");
IH_ASM(xchg_ax_cx, "xchg ax, cx");
IH_ASM(xchg_al_ch, "xchg al, ch");
IH_ASM(xchg_mem_ecx, "xchg dword ptr [rsi], ecx");
IH_ASM(xchg_r8_rax, "xchg r8, rax");
IH_ASM(nop90, "nop");

static void test_exec_xchg_forms_match_host(void **state)
{
	const struct {
		const char *name;
		const uint8_t *code;
		size_t len;
	} forms[] = {
		{ "xchg eax, eax", xchg_eax_eax, IH_LEN(xchg_eax_eax) },
		{ "xchg ecx, eax", xchg_ecx_eax, IH_LEN(xchg_ecx_eax) },
		{ "xchg rcx, rax", xchg_rcx_rax, IH_LEN(xchg_rcx_rax) },
		{ "xchg ax, cx", xchg_ax_cx, IH_LEN(xchg_ax_cx) },
		{ "xchg al, ch", xchg_al_ch, IH_LEN(xchg_al_ch) },
		{ "xchg [rsi], ecx", xchg_mem_ecx, IH_LEN(xchg_mem_ecx) },
		{ "xchg r8, rax", xchg_r8_rax, IH_LEN(xchg_r8_rax) },
		{ "nop", nop90, IH_LEN(nop90) },
	};
	struct ih *h = ih_new();

	(void)state;
	assert_int_equal(xchg_eax_eax[0], 0x87); /* not the 90 that would be NOP */
	for (unsigned f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		struct ih_case c;

		set_case(&c, 0x1122334455667788ull, 0x99aabbccddeeff00ull, 0, 0);
		c.regs.gpr[GPR_R8] = 0x0102030405060708ull;
		c.regs.gpr[GPR_RSI] = 16;
		c.ptr_regs = 1u << GPR_RSI;
		for (unsigned i = 0; i < IH_CMP_DATA; i++)
			c.data[i] = (uint8_t)(0xf0 - i);
		ih_compare(h, &c, forms[f].code, forms[f].len, ALL_FLAGS, forms[f].name);
	}
	ih_free(h);
}

/* MOVZX, MOVSX and MOVSXD with every source and destination width, including a
 * high-byte source and a 16-bit destination that keeps bits 63:16. */
IH_ASM(movzx_eax_bl, "movzx eax, bl");
IH_ASM(movzx_eax_bh, "movzx eax, bh");
IH_ASM(movzx_ax_bl, "movzx ax, bl");
IH_ASM(movzx_rax_bx, "movzx rax, bx");
IH_ASM(movsx_eax_bl, "movsx eax, bl");
IH_ASM(movsx_ax_bl, "movsx ax, bl");
IH_ASM(movsx_rax_bl, "movsx rax, bl");
IH_ASM(movsx_rax_bx, "movsx rax, bx");
IH_ASM(movsx_eax_bx, "movsx eax, bx");
IH_ASM(movsxd_rax_ebx, "movsxd rax, ebx");
IH_ASM(movzx_r9d_mem, "movzx r9d, byte ptr [rsi + 3]");
IH_ASM(movsx_r10_mem, "movsx r10, word ptr [rsi + 6]");

static void test_exec_movsx_movzx_match_host(void **state)
{
	const struct {
		const char *name;
		const uint8_t *code;
		size_t len;
	} forms[] = {
		{ "movzx eax, bl", movzx_eax_bl, IH_LEN(movzx_eax_bl) },
		{ "movzx eax, bh", movzx_eax_bh, IH_LEN(movzx_eax_bh) },
		{ "movzx ax, bl", movzx_ax_bl, IH_LEN(movzx_ax_bl) },
		{ "movzx rax, bx", movzx_rax_bx, IH_LEN(movzx_rax_bx) },
		{ "movsx eax, bl", movsx_eax_bl, IH_LEN(movsx_eax_bl) },
		{ "movsx ax, bl", movsx_ax_bl, IH_LEN(movsx_ax_bl) },
		{ "movsx rax, bl", movsx_rax_bl, IH_LEN(movsx_rax_bl) },
		{ "movsx rax, bx", movsx_rax_bx, IH_LEN(movsx_rax_bx) },
		{ "movsx eax, bx", movsx_eax_bx, IH_LEN(movsx_eax_bx) },
		{ "movsxd rax, ebx", movsxd_rax_ebx, IH_LEN(movsxd_rax_ebx) },
		{ "movzx r9d, byte [rsi + 3]", movzx_r9d_mem, IH_LEN(movzx_r9d_mem) },
		{ "movsx r10, word [rsi + 6]", movsx_r10_mem, IH_LEN(movsx_r10_mem) },
	};
	static const uint64_t sources[] = { 0x0000000000000000ull, 0x7f7f7f7f7f7f7f7full, 0x8080808080808080ull,
					    0x12345678e5c3f18aull, 0xffffffffffffffffull };
	struct ih *h = ih_new();

	(void)state;
	for (unsigned f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		for (unsigned i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
			struct ih_case c;

			set_case(&c, 0xa5a5a5a5a5a5a5a5ull, 0, 0, 0);
			c.regs.gpr[GPR_RBX] = sources[i];
			c.regs.gpr[GPR_R9] = c.regs.gpr[GPR_R10] = ~0ull;
			c.regs.gpr[GPR_RSI] = 0;
			c.ptr_regs = 1u << GPR_RSI;
			memcpy(c.data, &sources[i], 8);
			ih_compare(h, &c, forms[f].code, forms[f].len, ALL_FLAGS, forms[f].name);
		}
	}
	ih_free(h);
}

/* ---- events that belong to the state ------------------------------------------------------ */

IH_ASM(one_nop, "nop");

/* An NMI injected but not yet delivered is part of the vCPU state: get_state
 * reports it, a state without it drops it, a state with it has it delivered
 * through vector 2 before the next instruction. */
static void test_state_carries_a_pending_nmi(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	if (!h->ops->inject_nmi) {
		ih_free(h);
		skip();
	}
	ih_load(h, one_nop, IH_LEN(one_nop));
	h->state = h->entry;
	ih_start(h);
	assert_int_equal(h->ops->inject_nmi(h->vcpu), 0);
	assert_true(ih_sync(h)->nmi_pending);

	h->state.nmi_pending = false;
	ih_start(h);
	ih_run(h);
	ih_expect_end(h);

	h->state = h->entry;
	h->state.nmi_pending = true;
	ih_start(h);
	ih_run(h);
	ih_expect_exception(h, 2);
	assert_int_equal(ih_frame(h, 0), IH_CODE); /* before the first instruction */
	assert_false(h->state.nmi_pending);
	assert_true(h->state.nmi_masked);
	ih_free(h);
}

/* A #DB held back by MOV SS (the state's pending_debug, as the VMCS holds it)
 * is delivered after the next instruction completes, with its DR6 bits. */
static void test_state_carries_a_held_debug_exception(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	ih_load(h, one_nop, IH_LEN(one_nop));
	h->state = h->entry;
	h->state.pending_debug = (1u << 14) | 0x2; /* BS and B1 */
	ih_start(h);
	ih_run(h);
	ih_expect_exception(h, 1);
	assert_int_equal(ih_frame(h, 0), IH_CODE + IH_LEN(one_nop)); /* a trap after the NOP */
	assert_int_equal(h->state.dr[6] & 0x400f, 0x4002);
	assert_int_equal(h->state.pending_debug, 0);
	ih_free(h);
}

/* ---- exits and their replay ------------------------------------------------------------ */

static uint64_t instructions_retired(struct ih *h)
{
	struct engine_stats st = { 0 };

	h->ops->stats(h->vcpu, &st);
	return st.instructions;
}

/* IN exits with the port and width; the answer written into exit.io.data before
 * the next run() lands in AL/AX/EAX (EAX zero-extended into RAX, AL and AX merged,
 * SDM Vol. 1, 3.4.1.1) and the IN retires once: RIP moves past it exactly once. */
IH_ASM(in_al_imm, "in al, 0x71");
IH_ASM(in_ax_dx, "in ax, dx");
IH_ASM(in_eax_dx, "in eax, dx");

static void test_exec_in_answer_lands_in_accumulator_and_rip_advances_once(void **state)
{
	const struct {
		const uint8_t *code;
		size_t len;
		uint16_t port;
		uint8_t size;
		uint64_t want_rax;
	} cases[] = {
		{ in_al_imm, IH_LEN(in_al_imm), 0x71, 1, 0x11223344556677f4ull },
		{ in_ax_dx, IH_LEN(in_ax_dx), 0x3f8, 2, 0x112233445566f3f4ull },
		{ in_eax_dx, IH_LEN(in_eax_dx), 0x3f8, 4, 0x00000000f1f2f3f4ull },
	};

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		struct ih *h = ih_new();
		struct vcpu_state *s;
		static const uint8_t answer[4] = { 0xf4, 0xf3, 0xf2, 0xf1 };

		h->state.gpr[GPR_RAX] = 0x1122334455667788ull;
		h->state.gpr[GPR_RDX] = 0xffff0000000003f8ull;
		ih_load(h, cases[i].code, cases[i].len);
		ih_start(h);
		assert_int_equal(ih_run(h), EXIT_IO);
		assert_false(h->exit.io.is_write);
		assert_int_equal(h->exit.io.port, cases[i].port);
		assert_int_equal(h->exit.io.size, cases[i].size);
		assert_int_equal(h->exit.io.count, 1);
		assert_int_equal(h->exit.rip, IH_CODE);
		memcpy(h->exit.io.data, answer, cases[i].size);
		ih_run(h);
		s = ih_expect_end(h);
		assert_int_equal(s->gpr[GPR_RAX], cases[i].want_rax);
		assert_int_equal(s->rip, IH_CODE + cases[i].len);
		assert_int_equal(instructions_retired(h), 1);
		ih_free(h);
	}
}

/* An OUT exits with the value; after the exit it retires without exiting again. */
IH_ASM(out_dx_ax, "out dx, ax");

static void test_exec_out_exits_once_with_port_width_and_value(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	h->state.gpr[GPR_RAX] = 0xdead1234;
	h->state.gpr[GPR_RDX] = 0x3f9;
	ih_load(h, out_dx_ax, IH_LEN(out_dx_ax));
	ih_start(h);
	assert_int_equal(ih_run(h), EXIT_IO);
	assert_true(h->exit.io.is_write);
	assert_int_equal(h->exit.io.port, 0x3f9);
	assert_int_equal(h->exit.io.size, 2);
	assert_int_equal(h->exit.io.data[0], 0x34);
	assert_int_equal(h->exit.io.data[1], 0x12);
	ih_run(h);
	s = ih_expect_end(h);
	assert_int_equal(s->rip, IH_CODE + IH_LEN(out_dx_ax));
	ih_free(h);
}

/* REP INSB / REP OUTSB exit once per element (exit.io.count is 1 here); each
 * answer lands at ES:RDI, which advances, and RCX counts down (SDM Vol. 2, INS and
 * OUTS); the instruction retires once, after the last element. */
IH_ASM(rep_insb, "rep insb");
IH_ASM(rep_outsb, "rep outsb");

static void test_exec_rep_ins_exits_per_element_and_stores_each_answer(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	ih_put(h, IH_DATA, 0, 8);
	h->state.gpr[GPR_RDX] = 0x60;
	h->state.gpr[GPR_RCX] = 3;
	h->state.gpr[GPR_RDI] = IH_DATA + 1;
	ih_load(h, rep_insb, IH_LEN(rep_insb));
	ih_start(h);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(ih_run(h), EXIT_IO);
		assert_false(h->exit.io.is_write);
		assert_int_equal(h->exit.io.port, 0x60);
		assert_int_equal(h->exit.io.size, 1);
		h->exit.io.data[0] = (uint8_t)(0xa0 + i);
	}
	ih_run(h);
	s = ih_expect_end(h);
	assert_int_equal(ih_read(h, IH_DATA, 8), 0xa2a1a000ull);
	assert_int_equal(s->gpr[GPR_RDI], IH_DATA + 4);
	assert_int_equal(s->gpr[GPR_RCX], 0);
	assert_int_equal(s->rip, IH_CODE + IH_LEN(rep_insb));
	assert_int_equal(instructions_retired(h), 1);
	ih_free(h);
}

static void test_exec_rep_outs_exits_per_element_in_order(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	ih_put(h, IH_DATA, 0x44332211, 4);
	h->state.gpr[GPR_RDX] = 0x61;
	h->state.gpr[GPR_RCX] = 3;
	h->state.gpr[GPR_RSI] = IH_DATA + 2;
	h->state.rflags |= RFLAGS_DF; /* backwards: 0x33, 0x22, 0x11 */
	ih_load(h, rep_outsb, IH_LEN(rep_outsb));
	ih_start(h);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(ih_run(h), EXIT_IO);
		assert_true(h->exit.io.is_write);
		assert_int_equal(h->exit.io.port, 0x61);
		assert_int_equal(h->exit.io.data[0], 0x33 - 0x11 * i);
	}
	ih_run(h);
	s = ih_expect_end(h);
	assert_int_equal(s->gpr[GPR_RSI], IH_DATA - 1);
	assert_int_equal(s->gpr[GPR_RCX], 0);
	ih_free(h);
}

/* Guest-physical addresses in the 3-4 GiB hole are MMIO (docs/architecture.md,
 * "Memory"); the boot page tables map them 1:1. */
#define MMIO_GPA 0xc0000000ull

IH_ASM(mmio_read32, "mov ecx, 0xc0000000\n mov eax, dword ptr [rcx]");
IH_ASM(mmio_read64, "mov ecx, 0xc0000000\n mov rax, qword ptr [rcx + 8]");
IH_ASM(mmio_write32, "mov ecx, 0xc0000000\n mov dword ptr [rcx + 4], 0xdeadbeef");
IH_ASM(mmio_add, "mov ecx, 0xc0000000\n add dword ptr [rcx], eax");

static void test_exec_mmio_read_is_answered_on_the_next_run(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;
	static const uint8_t answer[8] = { 0x78, 0x56, 0x34, 0x12, 0xf0, 0xde, 0xbc, 0x9a };

	(void)state;
	h->state.gpr[GPR_RAX] = ~0ull;
	ih_load(h, mmio_read32, IH_LEN(mmio_read32));
	ih_start(h);
	assert_int_equal(ih_run(h), EXIT_MMIO);
	assert_false(h->exit.mmio.is_write);
	assert_int_equal(h->exit.mmio.gpa, MMIO_GPA);
	assert_int_equal(h->exit.mmio.size, 4);
	memcpy(h->exit.mmio.data, answer, 8);
	ih_run(h);
	s = ih_expect_end(h);
	assert_int_equal(s->gpr[GPR_RAX], 0x12345678); /* zero-extended */
	assert_int_equal(s->rip, IH_CODE + IH_LEN(mmio_read32));

	h->state = h->entry;
	ih_load(h, mmio_read64, IH_LEN(mmio_read64));
	ih_start(h);
	assert_int_equal(ih_run(h), EXIT_MMIO);
	assert_int_equal(h->exit.mmio.gpa, MMIO_GPA + 8);
	assert_int_equal(h->exit.mmio.size, 8);
	memcpy(h->exit.mmio.data, answer, 8);
	ih_run(h);
	s = ih_expect_end(h);
	assert_int_equal(s->gpr[GPR_RAX], 0x9abcdef012345678ull);
	ih_free(h);
}

static void test_exec_mmio_write_exits_with_address_size_and_value(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	ih_load(h, mmio_write32, IH_LEN(mmio_write32));
	ih_start(h);
	assert_int_equal(ih_run(h), EXIT_MMIO);
	assert_true(h->exit.mmio.is_write);
	assert_int_equal(h->exit.mmio.gpa, MMIO_GPA + 4);
	assert_int_equal(h->exit.mmio.size, 4);
	assert_int_equal(get_le32(h->exit.mmio.data), 0xdeadbeef);
	ih_run(h);
	s = ih_expect_end(h);
	assert_int_equal(s->rip, IH_CODE + IH_LEN(mmio_write32));
	ih_free(h);
}

/* A read-modify-write of MMIO exits twice (read, then write with the sum) and
 * then retires once, with ADD's flags. */
static void test_exec_mmio_read_modify_write_replays_both_accesses(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	h->state.gpr[GPR_RAX] = 0xfffffff5; /* -11 */
	ih_load(h, mmio_add, IH_LEN(mmio_add));
	ih_start(h);
	assert_int_equal(ih_run(h), EXIT_MMIO);
	assert_false(h->exit.mmio.is_write);
	put_le32(h->exit.mmio.data, 11);
	assert_int_equal(ih_run(h), EXIT_MMIO);
	assert_true(h->exit.mmio.is_write);
	assert_int_equal(h->exit.mmio.gpa, MMIO_GPA);
	assert_int_equal(get_le32(h->exit.mmio.data), 0);
	ih_run(h);
	s = ih_expect_end(h);
	/* 11 + (-11) = 0 with a carry out: CF, ZF, PF, AF (0xb + 0x5 carries out of bit 3) */
	assert_int_equal(s->rflags & ALL_FLAGS, RFLAGS_CF | RFLAGS_ZF | RFLAGS_PF | RFLAGS_AF);
	assert_int_equal(s->rip, IH_CODE + IH_LEN(mmio_add));
	assert_int_equal(instructions_retired(h), 2);
	ih_free(h);
}

/* The hypercall port (docs/guest-abi.md): a write to 0xe8 exits with the number
 * from RAX and arguments from RBX, RCX, RDX, RSI (all 64 bits in 64-bit mode); the
 * result the VMM puts in the exit lands in RAX and the OUT retires once. */
IH_ASM(hypercall_out, "out 0xe8, al");

static void test_exec_hypercall_port_exits_with_args_and_result_lands_in_rax(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	h->state.gpr[GPR_RAX] = 7;
	h->state.gpr[GPR_RBX] = 0x100000001ull;
	h->state.gpr[GPR_RCX] = 2;
	h->state.gpr[GPR_RDX] = 3;
	h->state.gpr[GPR_RSI] = 0xfffffffffffffffcull;
	ih_load(h, hypercall_out, IH_LEN(hypercall_out));
	ih_start(h);
	assert_int_equal(ih_run(h), EXIT_HYPERCALL);
	assert_int_equal(h->exit.hypercall.nr, 7);
	assert_int_equal(h->exit.hypercall.args[0], 0x100000001ull);
	assert_int_equal(h->exit.hypercall.args[1], 2);
	assert_int_equal(h->exit.hypercall.args[2], 3);
	assert_int_equal(h->exit.hypercall.args[3], 0xfffffffffffffffcull);
	h->exit.hypercall.result = 0xabcdef0123ull;
	ih_run(h);
	s = ih_expect_end(h);
	assert_int_equal(s->gpr[GPR_RAX], 0xabcdef0123ull);
	assert_int_equal(s->rip, IH_CODE + IH_LEN(hypercall_out));
	assert_int_equal(instructions_retired(h), 1);
	ih_free(h);
}

/* ---- self-modifying code ------------------------------------------------------------------ */

/* A store into the next instruction's immediate: the processor executes what is in
 * memory after the store (SDM Vol. 3A, 11.6 "Self-Modifying Code"). */
IH_ASM(smc_next, "mov byte ptr [rip + smc_next_insn + 1], 0x42\n smc_next_insn: mov al, 0x11");
/* Code that already ran is changed and runs again: the second pass must see the
 * new immediate. */
IH_ASM(smc_loop, "mov ecx, 2\n"
		 "smc_loop_top: smc_loop_insn: mov al, 0x11\n"
		 " add bl, al\n"
		 " mov byte ptr [rip + smc_loop_insn + 1], 0x22\n"
		 " loop smc_loop_top");

static void test_exec_store_over_the_next_instruction_executes_the_new_one(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	assert_int_equal(ih_exec(h, smc_next, IH_LEN(smc_next))->gpr[GPR_RAX] & 0xff, 0x42);
	ih_free(h);
}

static void test_exec_code_changed_after_it_ran_runs_changed(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	assert_int_equal(ih_exec(h, smc_loop, IH_LEN(smc_loop))->gpr[GPR_RBX] & 0xff, 0x11 + 0x22);
	ih_free(h);
}

/* The VMM changing guest code behind the engine's back (a loader) is covered by
 * set_state, which drops decoded code (engine.h: a new state replaces the old). */
IH_ASM(mov_eax_1, "mov eax, 1");
IH_ASM(mov_eax_2, "mov eax, 2");

static void test_exec_set_state_drops_code_decoded_before(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	assert_int_equal(ih_exec(h, mov_eax_1, IH_LEN(mov_eax_1))->gpr[GPR_RAX], 1);
	h->state = h->entry;
	assert_int_equal(ih_exec(h, mov_eax_2, IH_LEN(mov_eax_2))->gpr[GPR_RAX], 2);
	ih_free(h);
}

/* ---- halting and interrupts --------------------------------------------------------------- */

IH_ASM(hlt1, "hlt");

/* HLT exits with RFLAGS.IF reported and RIP after the HLT (SDM Vol. 2, HLT: on
 * resumption by an interrupt "the saved instruction pointer points to the
 * instruction following the HLT"); running again without an event stays halted. */
static void test_exec_hlt_exits_with_interrupt_flag_and_rip_after_hlt(void **state)
{
	(void)state;
	for (int irq_on = 0; irq_on <= 1; irq_on++) {
		struct ih *h = ih_new();
		struct vcpu_state *s;

		if (irq_on)
			h->state.rflags |= RFLAGS_IF;
		ih_load(h, hlt1, IH_LEN(hlt1));
		ih_start(h);
		assert_int_equal(ih_run(h), EXIT_HLT);
		assert_int_equal(h->exit.hlt.interrupts_enabled, irq_on);
		s = ih_sync(h);
		assert_true(s->halted);
		assert_int_equal(s->rip, IH_CODE + 1);
		assert_int_equal(ih_run(h), EXIT_HLT);
		assert_int_equal(ih_sync(h)->rip, IH_CODE + 1);
		ih_free(h);
	}
}

IH_ASM(three_nops, "nop\n nop\n nop");

/* An external interrupt through a 64-bit interrupt gate: RSP aligned down to 16,
 * then SS, RSP, RFLAGS, CS, RIP pushed, no error code, IF cleared (SDM Vol. 3A,
 * 7.14.2 "64-Bit Mode Stack Frame", 7.12.1.3 "Flag Usage By Exception- or
 * Interrupt-Handler Procedure"). */
static void test_exec_injected_interrupt_is_delivered_through_the_gate_with_its_frame(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;
	uint64_t old_rsp = IH_STACK_TOP - 8;

	(void)state;
	h->state.gpr[GPR_RSP] = old_rsp;
	h->state.rflags = RFLAGS_FIXED | RFLAGS_IF | RFLAGS_CF;
	ih_load(h, three_nops, IH_LEN(three_nops));
	ih_start(h);
	assert_int_equal(h->ops->inject_interrupt(h->vcpu, 0x40), 0);
	ih_run(h);
	s = ih_expect_exception(h, 0x40);
	assert_int_equal(s->gpr[GPR_RSP], (old_rsp & ~0xfull) - 40);
	assert_int_equal(ih_frame(h, 0), IH_CODE); /* nothing ran before it */
	assert_int_equal(ih_frame(h, 1), BOOT_SEL_CODE64);
	assert_int_equal(ih_frame(h, 2), RFLAGS_FIXED | RFLAGS_IF | RFLAGS_CF);
	assert_int_equal(ih_frame(h, 3), old_rsp);
	assert_int_equal(ih_frame(h, 4), BOOT_SEL_DATA);
	assert_false(s->rflags & RFLAGS_IF);
	assert_int_equal(s->seg[SREG_CS].selector, BOOT_SEL_CODE64);
	assert_int_equal(s->rip, IH_STUBS + 0x40 * 16); /* at the handler's OUT */
	ih_free(h);
}

static void test_exec_inject_refused_while_interrupts_are_disabled(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	ih_load(h, three_nops, IH_LEN(three_nops));
	ih_start(h);
	assert_int_equal(h->ops->inject_interrupt(h->vcpu, 0x40), -1);
	ih_run(h);
	ih_expect_end(h);
	ih_free(h);
}

/* STI: "the processor responds to interrupts after executing the next
 * instruction" (SDM Vol. 2, STI). With an interrupt already pending the handler
 * runs after INC ECX and before INC EDX. */
IH_ASM(sti_inc_inc, "nop\n sti\n inc ecx\n inc edx");

static void set_pending_interrupt(struct ih *h, uint8_t vector)
{
	h->state.pending = (struct x86_event){ .type = EVENT_EXTINT, .vector = vector };
}

static void test_exec_sti_delays_a_pending_interrupt_by_one_instruction(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	set_pending_interrupt(h, 0x41);
	ih_load(h, sti_inc_inc, IH_LEN(sti_inc_inc));
	ih_start(h);
	ih_run(h);
	s = ih_expect_exception(h, 0x41);
	assert_int_equal(ih_frame(h, 0), IH_CODE + 1 + 1 + 2); /* RIP of INC EDX */
	assert_int_equal(s->gpr[GPR_RCX], 1);
	assert_int_equal(s->gpr[GPR_RDX], 0);
	ih_free(h);
}

/* STI; HLT: the interrupt pending at STI ends the halt right away, returning to
 * the instruction after the HLT. */
IH_ASM(sti_hlt, "sti\n hlt");

static void test_exec_sti_hlt_with_pending_interrupt_returns_after_the_hlt(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	set_pending_interrupt(h, 0x42);
	ih_load(h, sti_hlt, IH_LEN(sti_hlt));
	ih_start(h);
	ih_run(h);
	ih_expect_exception(h, 0x42);
	assert_int_equal(ih_frame(h, 0), IH_CODE + 2);
	ih_free(h);
}

/* A halted vCPU with IF set wakes on an injected interrupt. */
static void test_exec_interrupt_injected_while_halted_resumes_after_the_hlt(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	ih_load(h, sti_hlt, IH_LEN(sti_hlt));
	ih_start(h);
	assert_int_equal(ih_run(h), EXIT_HLT);
	assert_true(h->exit.hlt.interrupts_enabled);
	assert_int_equal(h->ops->inject_interrupt(h->vcpu, 0x43), 0);
	ih_run(h);
	ih_expect_exception(h, 0x43);
	assert_int_equal(ih_frame(h, 0), IH_CODE + 2);
	assert_false(h->state.halted);
	ih_free(h);
}

/* An interrupt window opens only once STI's shadow has passed. */
static void test_exec_interrupt_window_exit_comes_after_the_sti_shadow(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	ih_load(h, sti_inc_inc, IH_LEN(sti_inc_inc));
	ih_start(h);
	h->ops->request_interrupt_window(h->vcpu, 1);
	assert_int_equal(ih_run(h), EXIT_INTERRUPT_WINDOW);
	assert_int_equal(ih_sync(h)->rip, IH_CODE + 1 + 1 + 2); /* after INC ECX */
	assert_int_equal(h->state.gpr[GPR_RCX], 1);
	ih_free(h);
}

/* The vector of an injected interrupt that is still pending is part of the state
 * (vcpu_state.h: "pending: being delivered"; a get_state/set_state round trip, as a
 * snapshot does, must not lose it). */
static void test_exec_get_state_reports_an_interrupt_not_yet_delivered(void **state)
{
	struct ih *h;
	struct vcpu_state *s;

	(void)state;
	h = ih_new();
	set_pending_interrupt(h, 0x44);
	ih_load(h, three_nops, IH_LEN(three_nops));
	ih_start(h);
	s = ih_sync(h);
	assert_int_equal(s->pending.type, EVENT_EXTINT);
	assert_int_equal(s->pending.vector, 0x44);
	ih_free(h);
}

/* ---- kick ------------------------------------------------------------------------------------ */

static void test_exec_kick_before_run_returns_interrupted_without_executing(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	ih_load(h, mov_eax_1, IH_LEN(mov_eax_1));
	ih_start(h);
	h->ops->kick(h->vcpu);
	assert_int_equal(ih_run(h), EXIT_INTERRUPTED);
	s = ih_sync(h);
	assert_int_equal(s->rip, IH_CODE);
	assert_int_equal(s->gpr[GPR_RAX], 0);
	ih_run(h);
	assert_int_equal(ih_expect_end(h)->gpr[GPR_RAX], 1);
	ih_free(h);
}

IH_ASM(spin, "spin_here: jmp spin_here");

static void *kick_later(void *arg)
{
	struct ih *h = arg;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	h->ops->kick(h->vcpu);
	return NULL;
}

static void test_exec_kick_from_another_thread_stops_a_spinning_guest(void **state)
{
	struct ih *h = ih_new();
	pthread_t t;

	(void)state;
	ih_load(h, spin, IH_LEN(spin));
	ih_start(h);
	assert_int_equal(pthread_create(&t, NULL, kick_later, h), 0);
	assert_int_equal(ih_run(h), EXIT_INTERRUPTED);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(ih_sync(h)->rip, IH_CODE);
	ih_free(h);
}

/* ---- state ------------------------------------------------------------------------------------ */

static void expect_same_segment(const struct x86_segment *a, const struct x86_segment *b)
{
	assert_int_equal(a->base, b->base);
	assert_int_equal(a->limit, b->limit);
	assert_int_equal(a->selector, b->selector);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->s, b->s);
	assert_int_equal(a->dpl, b->dpl);
	assert_int_equal(a->present, b->present);
	assert_int_equal(a->avl, b->avl);
	assert_int_equal(a->l, b->l);
	assert_int_equal(a->db, b->db);
	assert_int_equal(a->g, b->g);
	assert_int_equal(a->unusable, b->unusable);
}

/* Everything set_state loads comes back from get_state (engine.h: the state is
 * the whole architectural state); the TSC keeps running from the value loaded. */
static void test_exec_get_state_returns_what_set_state_loaded(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state in = h->entry, out;

	(void)state;
	for (unsigned i = 0; i < GPR_COUNT; i++)
		in.gpr[i] = 0x0101010101010101ull * (i + 1) ^ 0x8000000000000000ull;
	in.rip = IH_CODE + 0x123;
	in.rflags = RFLAGS_FIXED | RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF | RFLAGS_DF |
		    RFLAGS_IF;
	in.seg[SREG_FS].base = 0xffff888012345000ull;
	in.seg[SREG_GS].base = 0x00007f0012340000ull;
	in.ldtr = (struct x86_segment){ .base = 0x5000, .limit = 0x7f, .selector = 0x28, .type = 2, .present = 1 };
	in.tr = (struct x86_segment){ .base = 0x6000, .limit = 0x67, .selector = 0x30, .type = 0xb, .present = 1 };
	in.gdtr = (struct x86_dtable){ 0x1000, 0x1f };
	in.cr2 = 0xffffffff81234567ull;
	in.cr8 = 5;
	in.efer |= EFER_NXE | EFER_SCE;
	in.dr[0] = 0x1000;
	in.dr[3] = 0x4000;
	in.dr[6] = 0xffff0ff1;
	in.dr[7] = 0x401;
	in.msr.star = 0x0023001000000000ull;
	in.msr.lstar = 0xffffffff81000000ull;
	in.msr.cstar = 0xffffffff81000100ull;
	in.msr.sfmask = 0x47700;
	in.msr.kernel_gs_base = 0xffff888000000000ull;
	in.msr.sysenter_cs = 0x10;
	in.msr.sysenter_esp = 0x9000;
	in.msr.sysenter_eip = 0xa000;
	in.msr.tsc = 1000000000;
	in.msr.misc_enable = 1;
	in.fpu.fcw = 0x27f;
	in.fpu.mxcsr = 0x1fa0;
	in.fpu.xmm[3][7] = 0x5a;
	in.fpu.st[2][9] = 0x40;
	in.interrupt_shadow = true;
	in.nmi_masked = true;
	in.halted = true;
	assert_int_equal(h->ops->set_state(h->vcpu, &in), 0);
	assert_int_equal(h->ops->get_state(h->vcpu, &out), 0);
	assert_memory_equal(out.gpr, in.gpr, sizeof(in.gpr));
	assert_int_equal(out.rip, in.rip);
	assert_int_equal(out.rflags, in.rflags);
	for (unsigned i = 0; i < SREG_COUNT; i++)
		expect_same_segment(&out.seg[i], &in.seg[i]);
	expect_same_segment(&out.ldtr, &in.ldtr);
	expect_same_segment(&out.tr, &in.tr);
	assert_int_equal(out.gdtr.base, in.gdtr.base);
	assert_int_equal(out.gdtr.limit, in.gdtr.limit);
	assert_int_equal(out.idtr.base, in.idtr.base);
	assert_int_equal(out.idtr.limit, in.idtr.limit);
	assert_int_equal(out.cr0, in.cr0);
	assert_int_equal(out.cr2, in.cr2);
	assert_int_equal(out.cr3, in.cr3);
	assert_int_equal(out.cr4, in.cr4);
	assert_int_equal(out.cr8, in.cr8);
	assert_int_equal(out.efer, in.efer);
	assert_int_equal(out.apic_base, in.apic_base);
	assert_memory_equal(out.dr, in.dr, sizeof(in.dr));
	assert_true(out.msr.tsc >= in.msr.tsc && out.msr.tsc - in.msr.tsc < 1000000000000ull); /* it runs on */
	out.msr.tsc = in.msr.tsc;
	assert_memory_equal(&out.msr, &in.msr, sizeof(in.msr));
	assert_int_equal(out.fpu.fcw, in.fpu.fcw);
	assert_int_equal(out.fpu.fsw, in.fpu.fsw);
	assert_int_equal(out.fpu.ftw, in.fpu.ftw);
	assert_int_equal(out.fpu.mxcsr, in.fpu.mxcsr);
	assert_memory_equal(out.fpu.st, in.fpu.st, sizeof(in.fpu.st));
	assert_memory_equal(out.fpu.xmm, in.fpu.xmm, sizeof(in.fpu.xmm));
	assert_int_equal(out.interrupt_shadow, in.interrupt_shadow);
	assert_int_equal(out.nmi_masked, in.nmi_masked);
	assert_int_equal(out.halted, in.halted);
	ih_free(h);
}

/* ---- exceptions -------------------------------------------------------------------------------- */

IH_ASM(ud2_after_nop, "nop\n ud2");

/* #UD is a fault without an error code: the frame's RIP is the UD2's. */
static void test_exec_ud2_raises_ud_with_rip_of_the_ud2(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	s = run_to_exception(h, ud2_after_nop, IH_LEN(ud2_after_nop), UD);
	assert_int_equal(ih_frame(h, 0), IH_CODE + 1);
	assert_int_equal(s->gpr[GPR_RSP], IH_STACK_TOP - 40);
	ih_free(h);
}

/* #PF: error code on the stack (here W = 1, P = 0), CR2 = the address, RIP of the
 * faulting store (SDM Vol. 3A, 7.15 "Interrupt 14"). The boot page tables map
 * only the first 4 GiB. */
IH_ASM(store_above_4g, "mov rax, 0x100000010\n mov dword ptr [rax], 1");

static void test_exec_page_fault_pushes_error_code_and_sets_cr2(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	s = run_to_exception(h, store_above_4g, IH_LEN(store_above_4g), PF);
	assert_int_equal(ih_frame(h, 0), PFEC_W);
	assert_int_equal(ih_frame(h, 1), IH_CODE + 10); /* after the 10-byte MOV RAX, imm64 */
	assert_int_equal(s->cr2, 0x100000010ull);
	assert_int_equal(s->gpr[GPR_RSP], IH_STACK_TOP - 48);
	ih_free(h);
}

/* A non-canonical data address is #GP(0) (SDM Vol. 3A, 3.3.7.1). */
IH_ASM(load_non_canonical, "mov rax, 0x0000800000000000\n mov rbx, qword ptr [rax]");

static void test_exec_non_canonical_access_raises_gp0(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	run_to_exception(h, load_non_canonical, IH_LEN(load_non_canonical), GP);
	assert_int_equal(ih_frame(h, 0), 0);
	assert_int_equal(ih_frame(h, 1), IH_CODE + 10);
	ih_free(h);
}

/* INT3 is a trap: the saved RIP is the next instruction's. */
IH_ASM(int3_then_nop, "int3\n nop");

static void test_exec_int3_saves_the_address_after_it(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	run_to_exception(h, int3_then_nop, IH_LEN(int3_then_nop), BP);
	assert_int_equal(ih_frame(h, 0), IH_CODE + 1);
	ih_free(h);
}

/* A not-present gate raises #NP with the IDT error code: vector * 8 + IDT (2) +
 * EXT (1, an earlier event was being delivered) (SDM Vol. 3A, 7.13 figure 7-6). */
static void test_exec_not_present_gate_raises_np_with_idt_error_code(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	ih_set_gate(h, UD, IH_STUBS + UD * 16, 0xe, 0, false);
	run_to_exception(h, ud2_after_nop, IH_LEN(ud2_after_nop), NP);
	assert_int_equal(ih_frame(h, 0), UD * 8 + 2 + 1);
	assert_int_equal(ih_frame(h, 1), IH_CODE + 1);
	ih_free(h);
}

/* With no usable IDT, #UD -> #GP -> #DF -> shutdown (SDM Vol. 3A, 7.15
 * "Interrupt 8": "If another exception occurs while attempting to call the
 * double-fault handler, the processor enters shutdown mode"). */
static void test_exec_exception_without_idt_ends_in_shutdown(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	h->state.idtr.limit = 0;
	ih_load(h, ud2_after_nop, IH_LEN(ud2_after_nop));
	ih_start(h);
	assert_int_equal(ih_run(h), EXIT_SHUTDOWN);
	ih_free(h);
}

/* Table 7-5 ("Conditions for Generating a Double Fault") pairs a first and a
 * second *exception*; a fault while delivering an external interrupt is handled
 * serially, whatever the interrupt's vector number. An external interrupt with
 * vector 13 through a not-present gate is therefore #NP, error 13 * 8 + 2 + 1. */
static void test_exec_fault_delivering_external_interrupt_13_is_not_a_double_fault(void **state)
{
	struct ih *h;

	(void)state;
	h = ih_new();
	ih_set_gate(h, GP, IH_STUBS + GP * 16, 0xe, 0, false);
	h->state.rflags |= RFLAGS_IF;
	ih_load(h, three_nops, IH_LEN(three_nops));
	ih_start(h);
	assert_int_equal(h->ops->inject_interrupt(h->vcpu, GP), 0);
	ih_run(h);
	ih_expect_exception(h, NP);
	assert_int_equal(ih_frame(h, 0), GP * 8 + 2 + 1);
	ih_free(h);
}

/* #UD (benign) whose gate is absent raises #NP, delivered serially; that #NP's gate
 * being absent too is contributory-on-contributory: #DF, whose handler runs
 * (table 7-5). */
static void test_exec_np_while_delivering_np_after_ud_is_a_double_fault(void **state)
{
	struct ih *h;

	(void)state;
	h = ih_new();
	ih_set_gate(h, UD, IH_STUBS + UD * 16, 0xe, 0, false);
	ih_set_gate(h, NP, IH_STUBS + NP * 16, 0xe, 0, false);
	run_to_exception(h, ud2_after_nop, IH_LEN(ud2_after_nop), DF);
	assert_int_equal(ih_frame(h, 0), 0);
	ih_free(h);
}

/* ---- LAR, LSL, VERR, VERW, RETF to an outer ring, INT1 --------------------------- */

/* The boot GDT (docs/guest-abi.md): 0x08 = 0x00af9b000000ffff (64-bit code, DPL 0),
 * 0x10 = 0x00cf93000000ffff (flat data). LAR keeps bits 23:20 and 15:8 of the high
 * dword (SDM Vol. 2A, LAR): 0x00a09b00 and 0x00c09300; LSL gives the byte limit of
 * a G=1 limit of 0xfffff pages: 0xffffffff. */
IH_ASM(lar_lsl_boot_gdt, "mov ecx, 0x08\n lar eax, ecx\n lsl rbx, rcx\n mov edx, 0x10\n lar esi, edx");

static void test_exec_lar_lsl_read_the_boot_gdt_descriptors(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	s = ih_exec(h, lar_lsl_boot_gdt, IH_LEN(lar_lsl_boot_gdt));
	assert_int_equal(s->gpr[GPR_RAX], 0x00a09b00);
	assert_int_equal(s->gpr[GPR_RBX], 0xffffffffull);
	assert_int_equal(s->gpr[GPR_RSI], 0x00c09300);
	assert_true(s->rflags & RFLAGS_ZF);
	ih_free(h);
}

/* A null selector and one beyond the GDT limit (31) fail without faulting: ZF = 0
 * and the destination keeps its value. CMP first sets ZF so that clearing shows. */
IH_ASM(lar_lsl_bad_selectors, "mov eax, 0x12345678\n mov ebx, eax\n xor ecx, ecx\n cmp ecx, ecx\n"
			      " lar eax, ecx\n setz dl\n mov ecx, 0x40\n cmp ecx, ecx\n lsl ebx, ecx\n setz dh");

static void test_exec_lar_lsl_of_null_or_out_of_table_selector_clear_zf(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	s = ih_exec(h, lar_lsl_bad_selectors, IH_LEN(lar_lsl_bad_selectors));
	assert_int_equal(s->gpr[GPR_RAX], 0x12345678);
	assert_int_equal(s->gpr[GPR_RBX], 0x12345678);
	assert_int_equal(s->gpr[GPR_RDX] & 0xffff, 0);
	ih_free(h);
}

/* VERR: data or readable code; VERW: writable data only (SDM Vol. 2B, VERR/VERW).
 * 0x08 is readable code (type 0xb): readable, not writable; 0x10 is RW data. */
IH_ASM(verr_verw, "mov ecx, 0x08\n verr cx\n setz al\n verw cx\n setz bl\n"
		  " mov ecx, 0x10\n verr cx\n setz dl\n verw cx\n setz sil");

static void test_exec_verr_verw_on_code_and_data_segments(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	s = ih_exec(h, verr_verw, IH_LEN(verr_verw));
	assert_int_equal(s->gpr[GPR_RAX] & 0xff, 1);
	assert_int_equal(s->gpr[GPR_RBX] & 0xff, 0);
	assert_int_equal(s->gpr[GPR_RDX] & 0xff, 1);
	assert_int_equal(s->gpr[GPR_RSI] & 0xff, 1);
	ih_free(h);
}

/* RETF (REX.W) to ring 3: pops RIP, CS, then RSP and SS of the outer ring, and
 * nulls DS/ES, whose DPL 0 the new CPL may not use (SDM Vol. 2B, RET: "return to
 * outer privilege level"). */
IH_ASM(retf_to_ring3, "push 0x2b\n push 0x1ff000\n push 0x23\n lea rax, [rip + 1f]\n push rax\n"
		      " .byte 0x48, 0xcb\n 1:");

static void test_exec_retf_to_an_outer_ring_loads_ss_rsp_and_nulls_data_segments(void **state)
{
	static const uint64_t gdt[] = {
		0,
		0x00af9b000000ffffull, /* 0x08 64-bit code, DPL 0 */
		0x00cf93000000ffffull, /* 0x10 data, DPL 0 */
		0,
		0x00affb000000ffffull, /* 0x20 64-bit code, DPL 3 */
		0x00cff3000000ffffull, /* 0x28 data, DPL 3 */
	};
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	ih_write(h, IH_DATA, gdt, sizeof(gdt));
	h->state.gdtr.base = IH_DATA;
	h->state.gdtr.limit = sizeof(gdt) - 1;
	/* Ring 3 runs the end (out 0xe9 at the label): user pages for the first 2 MiB
	 * and IOPL 3. */
	ih_put(h, 0x2000, ih_read(h, 0x2000, 8) | 4, 8);
	ih_put(h, 0x3000, ih_read(h, 0x3000, 8) | 4, 8);
	ih_put(h, 0x4000, ih_read(h, 0x4000, 8) | 4, 8);
	h->state.rflags |= 0x3000;
	s = ih_exec(h, retf_to_ring3, IH_LEN(retf_to_ring3));
	assert_int_equal(s->seg[SREG_CS].selector, 0x23);
	assert_int_equal(s->seg[SREG_CS].dpl, 3);
	assert_int_equal(s->seg[SREG_SS].selector, 0x2b);
	assert_int_equal(s->gpr[GPR_RSP], 0x1ff000);
	assert_int_equal(s->seg[SREG_DS].selector, 0);
	assert_true(s->seg[SREG_DS].unusable);
	assert_int_equal(s->seg[SREG_ES].selector, 0);
	ih_free(h);
}

/* INT1 (ICEBP, F1) delivers #DB as a trap: the frame holds the next address. */
IH_ASM(int1_then_nop, ".byte 0xf1\n nop");

static void test_exec_int1_raises_db_with_the_next_address(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	run_to_exception(h, int1_then_nop, IH_LEN(int1_then_nop), 1);
	assert_int_equal(ih_frame(h, 0), IH_CODE + 1);
	ih_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_div_and_idiv_match_host_when_quotient_fits),
		cmocka_unit_test(test_exec_divide_by_zero_raises_de_at_the_divide),
		cmocka_unit_test(test_exec_divide_quotient_too_large_raises_de),
		cmocka_unit_test(test_exec_idiv_most_negative_by_minus_one_raises_de),
		cmocka_unit_test(test_exec_idiv64_most_negative_by_minus_one_raises_de),
		cmocka_unit_test(test_exec_mul_and_imul_forms_match_host_with_cf_of),
		cmocka_unit_test(test_exec_shift_and_rotate_by_zero_keep_flags_and_operand),
		cmocka_unit_test(test_exec_shift_by_zero_of_32bit_register_zero_extends_like_host),
		cmocka_unit_test(test_exec_rcl_rcr_rotate_through_carry),
		cmocka_unit_test(test_exec_shld_shrd_match_host),
		cmocka_unit_test(test_exec_bt_family_register_offset_reaches_outside_the_operand),
		cmocka_unit_test(test_exec_bt_immediate_and_register_operand_offsets_wrap),
		cmocka_unit_test(test_exec_bsf_bsr_zero_source_sets_zf_and_keeps_destination),
		cmocka_unit_test(test_exec_cmov_32bit_destination_zero_extends_even_when_false),
		cmocka_unit_test(test_exec_cmov_reads_its_memory_source_even_when_false),
		cmocka_unit_test(test_exec_jcc_branches_exactly_when_host_does),
		cmocka_unit_test(test_exec_loop_family_and_jrcxz_match_host),
		cmocka_unit_test(test_exec_call_pushes_return_address_and_ret_imm_releases_bytes),
		cmocka_unit_test(test_exec_push_of_memory_through_rsp_reads_before_decrement),
		cmocka_unit_test(test_exec_pop_to_memory_through_rsp_uses_incremented_rsp),
		cmocka_unit_test(test_exec_leave_restores_rsp_from_rbp_and_pops_rbp),
		cmocka_unit_test(test_exec_string_instructions_match_host),
		cmocka_unit_test(test_exec_long_rep_stosb_completes),
		cmocka_unit_test(test_exec_long_rep_stos_of_wide_values),
		cmocka_unit_test(test_exec_xchg_forms_match_host),
		cmocka_unit_test(test_exec_movsx_movzx_match_host),
		cmocka_unit_test(test_state_carries_a_pending_nmi),
		cmocka_unit_test(test_state_carries_a_held_debug_exception),
		cmocka_unit_test(test_exec_in_answer_lands_in_accumulator_and_rip_advances_once),
		cmocka_unit_test(test_exec_out_exits_once_with_port_width_and_value),
		cmocka_unit_test(test_exec_rep_ins_exits_per_element_and_stores_each_answer),
		cmocka_unit_test(test_exec_rep_outs_exits_per_element_in_order),
		cmocka_unit_test(test_exec_mmio_read_is_answered_on_the_next_run),
		cmocka_unit_test(test_exec_mmio_write_exits_with_address_size_and_value),
		cmocka_unit_test(test_exec_mmio_read_modify_write_replays_both_accesses),
		cmocka_unit_test(test_exec_hypercall_port_exits_with_args_and_result_lands_in_rax),
		cmocka_unit_test(test_exec_store_over_the_next_instruction_executes_the_new_one),
		cmocka_unit_test(test_exec_code_changed_after_it_ran_runs_changed),
		cmocka_unit_test(test_exec_set_state_drops_code_decoded_before),
		cmocka_unit_test(test_exec_hlt_exits_with_interrupt_flag_and_rip_after_hlt),
		cmocka_unit_test(test_exec_injected_interrupt_is_delivered_through_the_gate_with_its_frame),
		cmocka_unit_test(test_exec_inject_refused_while_interrupts_are_disabled),
		cmocka_unit_test(test_exec_sti_delays_a_pending_interrupt_by_one_instruction),
		cmocka_unit_test(test_exec_sti_hlt_with_pending_interrupt_returns_after_the_hlt),
		cmocka_unit_test(test_exec_interrupt_injected_while_halted_resumes_after_the_hlt),
		cmocka_unit_test(test_exec_interrupt_window_exit_comes_after_the_sti_shadow),
		cmocka_unit_test(test_exec_get_state_reports_an_interrupt_not_yet_delivered),
		cmocka_unit_test(test_exec_kick_before_run_returns_interrupted_without_executing),
		cmocka_unit_test(test_exec_kick_from_another_thread_stops_a_spinning_guest),
		cmocka_unit_test(test_exec_get_state_returns_what_set_state_loaded),
		cmocka_unit_test(test_exec_ud2_raises_ud_with_rip_of_the_ud2),
		cmocka_unit_test(test_exec_page_fault_pushes_error_code_and_sets_cr2),
		cmocka_unit_test(test_exec_non_canonical_access_raises_gp0),
		cmocka_unit_test(test_exec_int3_saves_the_address_after_it),
		cmocka_unit_test(test_exec_not_present_gate_raises_np_with_idt_error_code),
		cmocka_unit_test(test_exec_exception_without_idt_ends_in_shutdown),
		cmocka_unit_test(test_exec_fault_delivering_external_interrupt_13_is_not_a_double_fault),
		cmocka_unit_test(test_exec_np_while_delivering_np_after_ud_is_a_double_fault),
		cmocka_unit_test(test_exec_lar_lsl_read_the_boot_gdt_descriptors),
		cmocka_unit_test(test_exec_lar_lsl_of_null_or_out_of_table_selector_clear_zf),
		cmocka_unit_test(test_exec_verr_verw_on_code_and_data_segments),
		cmocka_unit_test(test_exec_retf_to_an_outer_ring_loads_ss_rsp_and_nulls_data_segments),
		cmocka_unit_test(test_exec_int1_raises_db_with_the_next_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
