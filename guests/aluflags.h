/* The integer ALU operations of the aluflags guest and their checksums,
 * shared with tests/guests/aluflags-host.c, which runs the very same
 * instructions natively on the development host to produce the expected
 * checksums. Plain C and x86-64 inline assembly, no library.
 *
 * For every operation and operand size (8, 16, 32, 64 bits) it runs the
 * instruction on every pair of edge operands (and every shift count), from
 * two RFLAGS states (arithmetic flags all clear, all set), and hashes the
 * result and the flags the Intel SDM vol. 2 defines for that instruction
 * and operands ("Flags Affected"): flags it leaves unaffected are defined
 * too (they must keep their input values); undefined ones are masked out:
 *   ADD ADC SUB SBB CMP NEG: OF SF ZF AF PF CF
 *   AND OR XOR: OF SF ZF PF CF (AF undefined)
 *   INC DEC: OF SF ZF AF PF, CF unaffected
 *   SHL SHR SAR (count masked to 5 bits, 6 for 64-bit): count 0 leaves
 *     every flag; else SF ZF PF, CF (except SHL/SHR with count >= size),
 *     OF only for count 1; AF undefined
 *   ROL ROR RCL RCR: count 0 leaves every flag; else CF, OF only for count
 *     1; SF ZF AF PF unaffected
 *   MUL IMUL: OF CF; SF ZF AF PF undefined
 * The asm steps over the 128-byte red zone before PUSHF/POPF, so the file
 * is safe in code compiled with or without one. */
#ifndef GUEST_ALUFLAGS_H
#define GUEST_ALUFLAGS_H

#include <stdint.h>

#define ALU_CF 0x001u
#define ALU_PF 0x004u
#define ALU_AF 0x010u
#define ALU_ZF 0x040u
#define ALU_SF 0x080u
#define ALU_OF 0x800u
#define ALU_ALL (ALU_CF | ALU_PF | ALU_AF | ALU_ZF | ALU_SF | ALU_OF)

enum alu_class {
	ALU_ARITH,  /* all six flags */
	ALU_LOGIC,  /* AF undefined */
	ALU_SHIFT,  /* SHL, SHR */
	ALU_SAR,    /* CF defined for every nonzero count */
	ALU_ROTATE, /* ROL ROR RCL RCR */
	ALU_MUL,    /* OF CF */
};

enum alu_form {
	ALU_BINARY, /* dst = dst op src */
	ALU_UNARY,  /* dst = op dst */
	ALU_BY_CL,  /* dst = dst op CL */
	ALU_WIDE,   /* (hi:lo) = a op b, one-operand MUL/IMUL */
};

struct alu_out {
	uint64_t lo, hi, rflags;
};

typedef void (*alu_fn)(uint64_t a, uint64_t b, uint64_t rflags, struct alu_out *out);

struct alu_op {
	const char *name;
	unsigned int width;
	enum alu_form form;
	enum alu_class cls;
	alu_fn fn;
};

#define ALU_ENTER                                                                                                      \
	"leaq -128(%%rsp), %%rsp\n\t"                                                                                  \
	"pushq %[fl]\n\t"                                                                                              \
	"popfq\n\t"
#define ALU_LEAVE                                                                                                      \
	"\n\tpushfq\n\t"                                                                                               \
	"popq %[fl]\n\t"                                                                                               \
	"leaq 128(%%rsp), %%rsp"

/* One function per instruction and size; `insn` is the AT&T mnemonic with
 * its size suffix, `T` the operand type, `C` the register constraint. */
#define ALU_BINARY_FN(fn, insn, T, C)                                                                                  \
	static void fn(uint64_t a, uint64_t b, uint64_t rflags, struct alu_out *out)                                   \
	{                                                                                                              \
		T r = (T)a;                                                                                            \
		__asm__(ALU_ENTER insn " %[s], %[r]" ALU_LEAVE                                                         \
			: [r] "+" C(r), [fl] "+r"(rflags)                                                              \
			: [s] C((T)b)                                                                                  \
			: "cc");                                                                                       \
		out->lo = r;                                                                                           \
		out->hi = 0;                                                                                           \
		out->rflags = rflags;                                                                                  \
	}

#define ALU_UNARY_FN(fn, insn, T, C)                                                                                   \
	static void fn(uint64_t a, uint64_t b, uint64_t rflags, struct alu_out *out)                                   \
	{                                                                                                              \
		T r = (T)a;                                                                                            \
		(void)b;                                                                                               \
		__asm__(ALU_ENTER insn " %[r]" ALU_LEAVE : [r] "+" C(r), [fl] "+r"(rflags) : : "cc");                  \
		out->lo = r;                                                                                           \
		out->hi = 0;                                                                                           \
		out->rflags = rflags;                                                                                  \
	}

#define ALU_BY_CL_FN(fn, insn, T, C)                                                                                   \
	static void fn(uint64_t a, uint64_t b, uint64_t rflags, struct alu_out *out)                                   \
	{                                                                                                              \
		T r = (T)a;                                                                                            \
		__asm__(ALU_ENTER insn " %%cl, %[r]" ALU_LEAVE                                                         \
			: [r] "+" C(r), [fl] "+r"(rflags)                                                              \
			: "c"((uint8_t)b)                                                                              \
			: "cc");                                                                                       \
		out->lo = r;                                                                                           \
		out->hi = 0;                                                                                           \
		out->rflags = rflags;                                                                                  \
	}

/* MUL/IMUL r/m8: AX = AL * src. */
#define ALU_WIDE8_FN(fn, insn)                                                                                         \
	static void fn(uint64_t a, uint64_t b, uint64_t rflags, struct alu_out *out)                                   \
	{                                                                                                              \
		uint16_t ax = (uint8_t)a;                                                                              \
		__asm__(ALU_ENTER insn " %[s]" ALU_LEAVE : "+a"(ax), [fl] "+r"(rflags) : [s] "q"((uint8_t)b) : "cc");  \
		out->lo = ax;                                                                                          \
		out->hi = 0;                                                                                           \
		out->rflags = rflags;                                                                                  \
	}

/* MUL/IMUL r/m16-64: rDX:rAX = rAX * src. */
#define ALU_WIDE_FN(fn, insn, T)                                                                                       \
	static void fn(uint64_t a, uint64_t b, uint64_t rflags, struct alu_out *out)                                   \
	{                                                                                                              \
		T lo = (T)a, hi;                                                                                       \
		__asm__(ALU_ENTER insn " %[s]" ALU_LEAVE                                                               \
			: "+a"(lo), "=d"(hi), [fl] "+r"(rflags)                                                        \
			: [s] "r"((T)b)                                                                                \
			: "cc");                                                                                       \
		out->lo = lo;                                                                                          \
		out->hi = hi;                                                                                          \
		out->rflags = rflags;                                                                                  \
	}

#define ALU_BINARY_ALL(op)                                                                                             \
	ALU_BINARY_FN(alu_##op##8, #op "b", uint8_t, "q")                                                              \
	ALU_BINARY_FN(alu_##op##16, #op "w", uint16_t, "r")                                                            \
	ALU_BINARY_FN(alu_##op##32, #op "l", uint32_t, "r")                                                            \
	ALU_BINARY_FN(alu_##op##64, #op "q", uint64_t, "r")
#define ALU_UNARY_ALL(op)                                                                                              \
	ALU_UNARY_FN(alu_##op##8, #op "b", uint8_t, "q")                                                               \
	ALU_UNARY_FN(alu_##op##16, #op "w", uint16_t, "r")                                                             \
	ALU_UNARY_FN(alu_##op##32, #op "l", uint32_t, "r")                                                             \
	ALU_UNARY_FN(alu_##op##64, #op "q", uint64_t, "r")
#define ALU_BY_CL_ALL(op)                                                                                              \
	ALU_BY_CL_FN(alu_##op##8, #op "b", uint8_t, "q")                                                               \
	ALU_BY_CL_FN(alu_##op##16, #op "w", uint16_t, "r")                                                             \
	ALU_BY_CL_FN(alu_##op##32, #op "l", uint32_t, "r")                                                             \
	ALU_BY_CL_FN(alu_##op##64, #op "q", uint64_t, "r")
/* The one-operand shift and rotate forms (D0/D1 /n): by 1. */
#define ALU_BY_1_ALL(op)                                                                                               \
	ALU_UNARY_FN(alu_##op##1_8, #op "b", uint8_t, "q")                                                             \
	ALU_UNARY_FN(alu_##op##1_16, #op "w", uint16_t, "r")                                                           \
	ALU_UNARY_FN(alu_##op##1_32, #op "l", uint32_t, "r")                                                           \
	ALU_UNARY_FN(alu_##op##1_64, #op "q", uint64_t, "r")
#define ALU_WIDE_ALL(op)                                                                                               \
	ALU_WIDE8_FN(alu_##op##8, #op "b")                                                                             \
	ALU_WIDE_FN(alu_##op##16, #op "w", uint16_t)                                                                   \
	ALU_WIDE_FN(alu_##op##32, #op "l", uint32_t)                                                                   \
	ALU_WIDE_FN(alu_##op##64, #op "q", uint64_t)

ALU_BINARY_ALL(add)
ALU_BINARY_ALL(adc)
ALU_BINARY_ALL(sub)
ALU_BINARY_ALL(sbb)
ALU_BINARY_ALL(cmp)
ALU_BINARY_ALL(and)
ALU_BINARY_ALL(or)
ALU_BINARY_ALL(xor)
ALU_UNARY_ALL(inc)
ALU_UNARY_ALL(dec)
ALU_UNARY_ALL(neg)
ALU_BY_CL_ALL(shl)
ALU_BY_CL_ALL(shr)
ALU_BY_CL_ALL(sar)
ALU_BY_CL_ALL(rol)
ALU_BY_CL_ALL(ror)
ALU_BY_CL_ALL(rcl)
ALU_BY_CL_ALL(rcr)
ALU_BY_1_ALL(shl)
ALU_BY_1_ALL(shr)
ALU_BY_1_ALL(sar)
ALU_BY_1_ALL(rol)
ALU_BY_1_ALL(ror)
ALU_BY_1_ALL(rcl)
ALU_BY_1_ALL(rcr)
ALU_WIDE_ALL(mul)
ALU_WIDE_ALL(imul)
/* Two-operand IMUL (0F AF) has no 8-bit form. */
ALU_BINARY_FN(alu_imul2_16, "imulw", uint16_t, "r")
ALU_BINARY_FN(alu_imul2_32, "imull", uint32_t, "r")
ALU_BINARY_FN(alu_imul2_64, "imulq", uint64_t, "r")

#define ALU_OPS4(op, form, cls)                                                                                        \
	{ #op "8", 8, form, cls, alu_##op##8 }, { #op "16", 16, form, cls, alu_##op##16 },                             \
	    { #op "32", 32, form, cls, alu_##op##32 },                                                                 \
	{                                                                                                              \
#op "64", 64, form, cls, alu_##op##64                                                                  \
	}
/* By-1 forms count as a shift by CL = 1 for the defined flags. */
#define ALU_OPS4_BY_1(op, cls)                                                                                         \
	{ #op "8 by 1", 8, ALU_UNARY, cls, alu_##op##1_8 }, { #op "16 by 1", 16, ALU_UNARY, cls, alu_##op##1_16 },     \
	    { #op "32 by 1", 32, ALU_UNARY, cls, alu_##op##1_32 },                                                     \
	{                                                                                                              \
#op "64 by 1", 64, ALU_UNARY, cls, alu_##op##1_64                                                      \
	}

static const struct alu_op alu_ops[] = {
	ALU_OPS4(add, ALU_BINARY, ALU_ARITH),
	ALU_OPS4(adc, ALU_BINARY, ALU_ARITH),
	ALU_OPS4(sub, ALU_BINARY, ALU_ARITH),
	ALU_OPS4(sbb, ALU_BINARY, ALU_ARITH),
	ALU_OPS4(cmp, ALU_BINARY, ALU_ARITH),
	ALU_OPS4(and, ALU_BINARY, ALU_LOGIC),
	ALU_OPS4(or, ALU_BINARY, ALU_LOGIC),
	ALU_OPS4(xor, ALU_BINARY, ALU_LOGIC),
	ALU_OPS4(inc, ALU_UNARY, ALU_ARITH),
	ALU_OPS4(dec, ALU_UNARY, ALU_ARITH),
	ALU_OPS4(neg, ALU_UNARY, ALU_ARITH),
	ALU_OPS4(shl, ALU_BY_CL, ALU_SHIFT),
	ALU_OPS4(shr, ALU_BY_CL, ALU_SHIFT),
	ALU_OPS4(sar, ALU_BY_CL, ALU_SAR),
	ALU_OPS4(rol, ALU_BY_CL, ALU_ROTATE),
	ALU_OPS4(ror, ALU_BY_CL, ALU_ROTATE),
	ALU_OPS4(rcl, ALU_BY_CL, ALU_ROTATE),
	ALU_OPS4(rcr, ALU_BY_CL, ALU_ROTATE),
	ALU_OPS4_BY_1(shl, ALU_SHIFT),
	ALU_OPS4_BY_1(shr, ALU_SHIFT),
	ALU_OPS4_BY_1(sar, ALU_SAR),
	ALU_OPS4_BY_1(rol, ALU_ROTATE),
	ALU_OPS4_BY_1(ror, ALU_ROTATE),
	ALU_OPS4_BY_1(rcl, ALU_ROTATE),
	ALU_OPS4_BY_1(rcr, ALU_ROTATE),
	ALU_OPS4(mul, ALU_WIDE, ALU_MUL),
	ALU_OPS4(imul, ALU_WIDE, ALU_MUL),
	{ "imul16 two-operand", 16, ALU_BINARY, ALU_MUL, alu_imul2_16 },
	{ "imul32 two-operand", 32, ALU_BINARY, ALU_MUL, alu_imul2_32 },
	{ "imul64 two-operand", 64, ALU_BINARY, ALU_MUL, alu_imul2_64 },
};

#define ALU_NOPS (sizeof(alu_ops) / sizeof(alu_ops[0]))

/* Edge operands; each operation truncates them to its size. */
static const uint64_t alu_values[] = {
	0x0,
	0x1,
	0x2,
	0x7f,
	0x80,
	0xff,
	0x100,
	0x7fff,
	0x8000,
	0xffff,
	0x7fffffff,
	0x80000000,
	0xffffffff,
	0x100000000,
	0x7fffffffffffffff,
	0x8000000000000000,
	0x8000000000000001,
	0xffffffffffffffff,
	0x0123456789abcdef,
	0xfedcba9876543210,
	0x5555555555555555,
	0xaaaaaaaaaaaaaaaa,
};

#define ALU_NVALUES (sizeof(alu_values) / sizeof(alu_values[0]))

/* Counts for the shifts and rotates by CL, masked counts around every
 * size included (CL is 8 bits: 255 is masked to 31 or 63). */
static const uint8_t alu_counts[] = {
	0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 18, 31, 32, 33, 63, 64, 65, 255,
};

#define ALU_NCOUNTS (sizeof(alu_counts) / sizeof(alu_counts[0]))

/* The input RFLAGS: bit 1 (always set) and the arithmetic flags all clear
 * or all set. */
static const uint64_t alu_flags_in[] = { 0x2, 0x2 | ALU_ALL };

/* The flags SDM vol. 2 defines for this operation (see the top). */
static uint64_t alu_defined_flags(const struct alu_op *op, unsigned int count)
{
	unsigned int c = count & (op->width == 64 ? 63 : 31);
	uint64_t m;

	switch (op->cls) {
	case ALU_ARITH:
		return ALU_ALL;
	case ALU_LOGIC:
		return ALU_ALL & ~ALU_AF;
	case ALU_MUL:
		return ALU_OF | ALU_CF;
	case ALU_SHIFT:
	case ALU_SAR:
		if (!c)
			return ALU_ALL;
		m = ALU_SF | ALU_ZF | ALU_PF;
		if (op->cls == ALU_SAR || c < op->width)
			m |= ALU_CF;
		if (c == 1)
			m |= ALU_OF;
		return m;
	case ALU_ROTATE:
		if (!c)
			return ALU_ALL;
		return c == 1 ? ALU_ALL : ALU_ALL & ~ALU_OF;
	}
	return 0;
}

static uint64_t alu_mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x100000001b3ull;
	return h ^ (h >> 32);
}

static uint64_t alu_run_one(uint64_t h, const struct alu_op *op, uint64_t a, uint64_t b, unsigned int count)
{
	struct alu_out out;

	for (unsigned int f = 0; f < 2; f++) {
		op->fn(a, b, alu_flags_in[f], &out);
		h = alu_mix(h, out.lo);
		h = alu_mix(h, out.hi);
		h = alu_mix(h, out.rflags & alu_defined_flags(op, count));
	}
	return h;
}

/* The checksum of one operation over all its operands. */
static uint64_t alu_checksum(const struct alu_op *op)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (unsigned int i = 0; i < ALU_NVALUES; i++) {
		uint64_t a = alu_values[i];

		switch (op->form) {
		case ALU_UNARY:
			/* Shifts by 1 are defined as shifts by a count of 1. */
			h = alu_run_one(h, op, a, 0, 1);
			break;
		case ALU_BY_CL:
			for (unsigned int j = 0; j < ALU_NCOUNTS; j++)
				h = alu_run_one(h, op, a, alu_counts[j], alu_counts[j]);
			break;
		case ALU_BINARY:
		case ALU_WIDE:
			for (unsigned int j = 0; j < ALU_NVALUES; j++)
				h = alu_run_one(h, op, a, alu_values[j], 0);
			break;
		}
	}
	return h;
}

#endif
