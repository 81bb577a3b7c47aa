/* x87 arithmetic: the four operations and their popping and integer forms,
 * square root, rounding, the transcendental functions, FXTRACT, FPREM,
 * FSCALE, and the comparisons (x87.h has the machinery). */
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/flags.h"
#include "engine/softcpu/x87.h"

/* r = insn(a); env with n = 1. */
#define HOST_X87_UNARY(name, insn)                                                                                     \
	static unsigned name(const struct x87_env *env, const struct f80 *a, struct f80 *r)                            \
	{                                                                                                              \
		struct x87_env saved;                                                                                  \
		uint16_t sw;                                                                                           \
		__asm__ volatile(X87_ENTER "fldt %[a]\n\t" X87_GUEST insn "\n\t" X87_STATUS "fstpt %[r]\n\t" X87_LEAVE \
				 : [r] "=m"(*r), [sw] "=m"(sw), [saved] "=m"(saved)                                    \
				 : [a] "m"(*a), [env] "m"(*env)                                                        \
				 : X87_CLOBBERS);                                                                      \
		return sw;                                                                                             \
	}

/* Only ST(0)-destination register forms: AT&T syntax reverses the others. */
HOST_X87_BINARY(host_fadd, "fadd %%st(1), %%st", KEEP_ONE)
HOST_X87_BINARY(host_fsub, "fsub %%st(1), %%st", KEEP_ONE)
HOST_X87_BINARY(host_fsubr, "fsubr %%st(1), %%st", KEEP_ONE)
HOST_X87_BINARY(host_fmul, "fmul %%st(1), %%st", KEEP_ONE)
HOST_X87_BINARY(host_fdiv, "fdiv %%st(1), %%st", KEEP_ONE)
HOST_X87_BINARY(host_fdivr, "fdivr %%st(1), %%st", KEEP_ONE)
HOST_X87_BINARY(host_fprem, "fprem", KEEP_ONE)
HOST_X87_BINARY(host_fprem1, "fprem1", KEEP_ONE)
HOST_X87_BINARY(host_fscale, "fscale", KEEP_ONE)
HOST_X87_BINARY(host_fpatan, "fpatan", POPPED)
HOST_X87_BINARY(host_fyl2x, "fyl2x", POPPED)
HOST_X87_BINARY(host_fyl2xp1, "fyl2xp1", POPPED)
HOST_X87_UNARY(host_fsqrt, "fsqrt")
HOST_X87_UNARY(host_frndint, "frndint")
HOST_X87_UNARY(host_fsin, "fsin")
HOST_X87_UNARY(host_fcos, "fcos")
HOST_X87_UNARY(host_f2xm1, "f2xm1")
HOST_X87_UNARY(host_fchs, "fchs")
HOST_X87_UNARY(host_fabs, "fabs")

/* One value in, two out (FXTRACT, FPTAN, FSINCOS): *r0 is the new ST(0), *r1
 * the new ST(1); env with n = 1. With C2 set (FPTAN, FSINCOS: out of range)
 * the host pushed nothing and *r0 is the operand unchanged. */
#define HOST_X87_SPLIT(name, insn)                                                                                     \
	static unsigned name(const struct x87_env *env, const struct f80 *a, struct f80 *r0, struct f80 *r1)           \
	{                                                                                                              \
		struct x87_env saved;                                                                                  \
		uint16_t sw;                                                                                           \
		__asm__ volatile(X87_ENTER "fldt %[a]\n\t" X87_GUEST insn "\n\t" X87_STATUS                            \
					   "fstpt %[r0]\n\tfstpt %[r1]\n\t" X87_LEAVE                                  \
				 : [r0] "=m"(*r0), [r1] "=m"(*r1), [sw] "=m"(sw), [saved] "=m"(saved)                  \
				 : [a] "m"(*a), [env] "m"(*env)                                                        \
				 : X87_CLOBBERS);                                                                      \
		return sw;                                                                                             \
	}

typedef unsigned (*split_fn)(const struct x87_env *env, const struct f80 *a, struct f80 *r0, struct f80 *r1);

HOST_X87_SPLIT(host_fxtract, "fxtract")
HOST_X87_SPLIT(host_fptan, "fptan")
HOST_X87_SPLIT(host_fsincos, "fsincos")

/* Status word of comparing a (ST0) with b; env with n = 2. */
#define HOST_X87_COMPARE(name, insn)                                                                                   \
	static unsigned name(const struct x87_env *env, const struct f80 *a, const struct f80 *b)                      \
	{                                                                                                              \
		struct x87_env saved;                                                                                  \
		uint16_t sw;                                                                                           \
		__asm__ volatile(X87_ENTER "fldt %[b]\n\tfldt %[a]\n\t" X87_GUEST insn "\n\t" X87_STATUS X87_LEAVE     \
				 : [sw] "=m"(sw), [saved] "=m"(saved)                                                  \
				 : [a] "m"(*a), [b] "m"(*b), [env] "m"(*env)                                           \
				 : X87_CLOBBERS);                                                                      \
		return sw;                                                                                             \
	}

HOST_X87_COMPARE(host_fcompp, "fcompp")
HOST_X87_COMPARE(host_fucompp, "fucompp")

/* FCOMI/FUCOMI of a (ST0) with b: the status word, and ZF PF CF; env with n = 2. */
#define HOST_X87_COMI(name, insn)                                                                                      \
	static unsigned name(const struct x87_env *env, const struct f80 *a, const struct f80 *b, uint64_t *flags)     \
	{                                                                                                              \
		struct x87_env saved;                                                                                  \
		uint16_t sw;                                                                                           \
		uint8_t z, p, c;                                                                                       \
		__asm__ volatile(X87_ENTER                                                                             \
				 "fldt %[b]\n\tfldt %[a]\n\t" X87_GUEST insn "\n\t" X87_STATUS                         \
				 "setz %[z]\n\tsetp %[p]\n\tsetc %[c]\n\tfstp %%st(0)\n\tfstp %%st(0)\n\t" X87_LEAVE   \
				 : [sw] "=m"(sw), [saved] "=m"(saved), [z] "=qm"(z), [p] "=qm"(p), [c] "=qm"(c)        \
				 : [a] "m"(*a), [b] "m"(*b), [env] "m"(*env)                                           \
				 : X87_CLOBBERS, "cc");                                                                \
		*flags = (z ? RFLAGS_ZF : 0) | (p ? RFLAGS_PF : 0) | (c ? RFLAGS_CF : 0);                              \
		return sw;                                                                                             \
	}

HOST_X87_COMI(host_fcomi, "fcomi %%st(1), %%st")
HOST_X87_COMI(host_fucomi, "fucomi %%st(1), %%st")

/* FTST and FXAM: the status word for one value; env with n = 1. */
#define HOST_X87_EXAMINE(name, insn)                                                                                   \
	static unsigned name(const struct x87_env *env, const struct f80 *a)                                           \
	{                                                                                                              \
		struct x87_env saved;                                                                                  \
		uint16_t sw;                                                                                           \
		__asm__ volatile(X87_ENTER "fldt %[a]\n\t" X87_GUEST insn "\n\t" X87_STATUS X87_LEAVE                  \
				 : [sw] "=m"(sw), [saved] "=m"(saved)                                                  \
				 : [a] "m"(*a), [env] "m"(*env)                                                        \
				 : X87_CLOBBERS);                                                                      \
		return sw;                                                                                             \
	}

HOST_X87_EXAMINE(host_ftst, "ftst")
HOST_X87_EXAMINE(host_fxam, "fxam")

/* r = a op m, the memory operand in its own format (FADD m32, FIADD m16...); env
 * with n = 1. */
#define HOST_X87_MEM_OP(name, insn, type)                                                                              \
	static unsigned name(const struct x87_env *env, const struct f80 *a, uint64_t v, struct f80 *r)                \
	{                                                                                                              \
		struct x87_env saved;                                                                                  \
		uint16_t sw;                                                                                           \
		type m = (type)v;                                                                                      \
		__asm__ volatile(X87_ENTER "fldt %[a]\n\t" X87_GUEST insn " %[m]\n\t" X87_STATUS                       \
					   "fstpt %[r]\n\t" X87_LEAVE                                                  \
				 : [r] "=m"(*r), [sw] "=m"(sw), [saved] "=m"(saved)                                    \
				 : [a] "m"(*a), [m] "m"(m), [env] "m"(*env)                                            \
				 : X87_CLOBBERS);                                                                      \
		return sw;                                                                                             \
	}

enum arith_op { AO_ADD, AO_MUL, AO_SUB, AO_SUBR, AO_DIV, AO_DIVR, AO_COUNT };

HOST_X87_MEM_OP(host_fiadds, "fiadds", uint16_t)
HOST_X87_MEM_OP(host_fimuls, "fimuls", uint16_t)
HOST_X87_MEM_OP(host_fisubs, "fisubs", uint16_t)
HOST_X87_MEM_OP(host_fisubrs, "fisubrs", uint16_t)
HOST_X87_MEM_OP(host_fidivs, "fidivs", uint16_t)
HOST_X87_MEM_OP(host_fidivrs, "fidivrs", uint16_t)
HOST_X87_MEM_OP(host_fiaddl, "fiaddl", uint32_t)
HOST_X87_MEM_OP(host_fimull, "fimull", uint32_t)
HOST_X87_MEM_OP(host_fisubl, "fisubl", uint32_t)
HOST_X87_MEM_OP(host_fisubrl, "fisubrl", uint32_t)
HOST_X87_MEM_OP(host_fidivl, "fidivl", uint32_t)
HOST_X87_MEM_OP(host_fidivrl, "fidivrl", uint32_t)
HOST_X87_MEM_OP(host_fadds, "fadds", uint32_t)
HOST_X87_MEM_OP(host_fmuls, "fmuls", uint32_t)
HOST_X87_MEM_OP(host_fsubs, "fsubs", uint32_t)
HOST_X87_MEM_OP(host_fsubrs, "fsubrs", uint32_t)
HOST_X87_MEM_OP(host_fdivs, "fdivs", uint32_t)
HOST_X87_MEM_OP(host_fdivrs, "fdivrs", uint32_t)
HOST_X87_MEM_OP(host_faddl, "faddl", uint64_t)
HOST_X87_MEM_OP(host_fmull, "fmull", uint64_t)
HOST_X87_MEM_OP(host_fsubl, "fsubl", uint64_t)
HOST_X87_MEM_OP(host_fsubrl, "fsubrl", uint64_t)
HOST_X87_MEM_OP(host_fdivl, "fdivl", uint64_t)
HOST_X87_MEM_OP(host_fdivrl, "fdivrl", uint64_t)

typedef unsigned (*mem_op_fn)(const struct x87_env *env, const struct f80 *a, uint64_t v, struct f80 *r);
static const mem_op_fn host_mem_op[MF_COUNT][AO_COUNT] = {
	[MF_INT16] = { host_fiadds, host_fimuls, host_fisubs, host_fisubrs, host_fidivs, host_fidivrs },
	[MF_INT32] = { host_fiaddl, host_fimull, host_fisubl, host_fisubrl, host_fidivl, host_fidivrl },
	[MF_REAL32] = { host_fadds, host_fmuls, host_fsubs, host_fsubrs, host_fdivs, host_fdivrs },
	[MF_REAL64] = { host_faddl, host_fmull, host_fsubl, host_fsubrl, host_fdivl, host_fdivrl },
};

/* Status word of comparing a (ST0) with a memory operand (FCOM m, FICOM m); env
 * with n = 1. */
#define HOST_X87_MEM_COMPARE(name, insn, type)                                                                         \
	static unsigned name(const struct x87_env *env, const struct f80 *a, uint64_t v)                               \
	{                                                                                                              \
		struct x87_env saved;                                                                                  \
		uint16_t sw;                                                                                           \
		type m = (type)v;                                                                                      \
		__asm__ volatile(X87_ENTER "fldt %[a]\n\t" X87_GUEST insn " %[m]\n\t" X87_STATUS X87_LEAVE             \
				 : [sw] "=m"(sw), [saved] "=m"(saved)                                                  \
				 : [a] "m"(*a), [m] "m"(m), [env] "m"(*env)                                            \
				 : X87_CLOBBERS);                                                                      \
		return sw;                                                                                             \
	}

HOST_X87_MEM_COMPARE(host_ficomps, "ficomps", uint16_t)
HOST_X87_MEM_COMPARE(host_ficompl, "ficompl", uint32_t)
HOST_X87_MEM_COMPARE(host_fcomps, "fcomps", uint32_t)
HOST_X87_MEM_COMPARE(host_fcompl, "fcompl", uint64_t)

typedef unsigned (*mem_compare_fn)(const struct x87_env *env, const struct f80 *a, uint64_t v);
static const mem_compare_fn host_mem_compare[MF_COUNT] = {
	[MF_INT16] = host_ficomps,
	[MF_INT32] = host_ficompl,
	[MF_REAL32] = host_fcomps,
	[MF_REAL64] = host_fcompl,
};

/* ---- arithmetic ---------------------------------------------------------------- */

static enum arith_op arith_op_of(const struct insn *in, bool *pop)
{
	*pop = false;
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_FADDP:
		*pop = true;
		/* fall through */
	case ZYDIS_MNEMONIC_FADD:
	case ZYDIS_MNEMONIC_FIADD:
		return AO_ADD;
	case ZYDIS_MNEMONIC_FMULP:
		*pop = true;
		/* fall through */
	case ZYDIS_MNEMONIC_FMUL:
	case ZYDIS_MNEMONIC_FIMUL:
		return AO_MUL;
	case ZYDIS_MNEMONIC_FSUBP:
		*pop = true;
		/* fall through */
	case ZYDIS_MNEMONIC_FSUB:
	case ZYDIS_MNEMONIC_FISUB:
		return AO_SUB;
	case ZYDIS_MNEMONIC_FSUBRP:
		*pop = true;
		/* fall through */
	case ZYDIS_MNEMONIC_FSUBR:
	case ZYDIS_MNEMONIC_FISUBR:
		return AO_SUBR;
	case ZYDIS_MNEMONIC_FDIVP:
		*pop = true;
		/* fall through */
	case ZYDIS_MNEMONIC_FDIV:
	case ZYDIS_MNEMONIC_FIDIV:
		return AO_DIV;
	case ZYDIS_MNEMONIC_FDIVRP:
		*pop = true;
		/* fall through */
	default: /* FDIVR, FIDIVR */
		return AO_DIVR;
	}
}

/* dest = dest op src for two registers. The host has dest in ST(0) and src in
 * ST(1), the same roles as in the guest instruction, so NaN operands resolve the
 * same way. */
static const binary_fn register_arith[AO_COUNT] = {
	[AO_ADD] = host_fadd,	[AO_MUL] = host_fmul, [AO_SUB] = host_fsub,
	[AO_SUBR] = host_fsubr, [AO_DIV] = host_fdiv, [AO_DIVR] = host_fdivr,
};

/* FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR with their P and I forms: one operand is memory
 * (the destination is ST(0)), or two are registers (destination first). */
static void h_farith(struct soft_cpu *cpu, const struct insn *in)
{
	bool pop, two = in->nops == 2;
	enum arith_op op = arith_op_of(in, &pop);
	unsigned dst = two ? in->op[0].reg : 0, src = two ? in->op[1].reg : 0, sw;
	struct x87_env env;
	struct f80 d, s, r;
	uint64_t m = 0;
	bool underflow;

	x87_check(cpu);
	if (!two)
		m = op_read(cpu, in, &in->op[0]);
	underflow = st_operand(cpu, dst, &d);
	if (two) {
		underflow |= st_operand(cpu, src, &s);
		env = host_env(cpu, 2);
		sw = register_arith[op](&env, &d, &s, &r);
	} else {
		env = host_env(cpu, 1);
		sw = host_mem_op[mem_format(in, &in->op[0])][op](&env, &d, m, &r);
	}
	if (underflow) {
		sw = underflow_status(sw);
		r = f80_indefinite;
	}
	if (!x87_complete(cpu, sw, TO_REGISTER))
		return;
	st_set(cpu, dst, &r);
	if (pop)
		x87_pop(cpu);
}

typedef unsigned (*unary_fn)(const struct x87_env *env, const struct f80 *a, struct f80 *r);

/* ST(0) = fn(ST(0)) */
static void unary(struct soft_cpu *cpu, unary_fn fn)
{
	struct x87_env env;
	struct f80 a, r;
	unsigned sw;

	bool underflow;

	x87_check(cpu);
	env = host_env(cpu, 1);
	underflow = st_operand(cpu, 0, &a);
	sw = fn(&env, &a, &r);
	if (underflow) {
		sw = underflow_status(sw);
		r = f80_indefinite;
	}
	if (x87_complete(cpu, sw, TO_REGISTER))
		st_set(cpu, 0, &r);
}

#define UNARY_HANDLER(name, fn)                                                                                        \
	static void name(struct soft_cpu *cpu, const struct insn *in)                                                  \
	{                                                                                                              \
		(void)in;                                                                                              \
		unary(cpu, fn);                                                                                        \
	}

UNARY_HANDLER(h_fsqrt, host_fsqrt)
UNARY_HANDLER(h_frndint, host_frndint)
UNARY_HANDLER(h_fsin, host_fsin)
UNARY_HANDLER(h_fcos, host_fcos)
UNARY_HANDLER(h_f2xm1, host_f2xm1)
UNARY_HANDLER(h_fchs, host_fchs)
UNARY_HANDLER(h_fabs, host_fabs)

/* ST(0) in, ST(0) replaced by one result and the other pushed (FXTRACT:
 * exponent and significand; FPTAN: tangent and 1; FSINCOS: sine and cosine).
 * FPTAN and FSINCOS out of range set C2 and change nothing else (FXTRACT
 * leaves C2 undefined: the host's). */
static void split(struct soft_cpu *cpu, split_fn fn, bool range_checked)
{
	struct x87_env env;
	struct f80 a, r0, r1;
	unsigned sw;
	bool underflow;

	x87_check(cpu);
	if (!st_empty(cpu, 7)) {
		/* FPTAN and FSINCOS clear C2 (the operand was not found out of
		 * range), C0 and C3 stay: so the AMD host does. */
		if (range_checked)
			cpu->fpu.fsw &= (uint16_t)~FSW_C2;
		if (x87_stack_fault(cpu, true)) {
			st_set(cpu, 0, &f80_indefinite);
			x87_push(cpu, &f80_indefinite);
		}
		return;
	}
	env = host_env(cpu, 1);
	underflow = st_operand(cpu, 0, &a);
	sw = fn(&env, &a, &r0, &r1);
	if (underflow) {
		sw = underflow_status(sw);
		r0 = r1 = f80_indefinite;
	}
	if (!x87_complete(cpu, sw, TO_REGISTER) || (range_checked && (sw & FSW_C2)))
		return;
	st_set(cpu, 0, &r1);
	x87_push(cpu, &r0);
}

#define SPLIT_HANDLER(name, fn, range_checked)                                                                         \
	static void name(struct soft_cpu *cpu, const struct insn *in)                                                  \
	{                                                                                                              \
		(void)in;                                                                                              \
		split(cpu, fn, range_checked);                                                                         \
	}

SPLIT_HANDLER(h_fxtract, host_fxtract, false)
SPLIT_HANDLER(h_fptan, host_fptan, true)
SPLIT_HANDLER(h_fsincos, host_fsincos, true)

/* ST(0) and ST(1) in; the result replaces ST(0), or (pop) ST(1) before a pop. */
static void binary(struct soft_cpu *cpu, binary_fn fn, bool pop)
{
	struct x87_env env;
	struct f80 a, b, r;
	unsigned sw;

	bool underflow;

	x87_check(cpu);
	env = host_env(cpu, 2);
	underflow = st_operand(cpu, 0, &a) | st_operand(cpu, 1, &b);
	sw = fn(&env, &a, &b, &r);
	if (underflow) {
		sw = underflow_status(sw);
		r = f80_indefinite;
	}
	if (!x87_complete(cpu, sw, TO_REGISTER))
		return;
	st_set(cpu, pop ? 1 : 0, &r);
	if (pop)
		x87_pop(cpu);
}

#define BINARY_HANDLER(name, fn, pop)                                                                                  \
	static void name(struct soft_cpu *cpu, const struct insn *in)                                                  \
	{                                                                                                              \
		(void)in;                                                                                              \
		binary(cpu, fn, pop);                                                                                  \
	}

BINARY_HANDLER(h_fprem, host_fprem, false)
BINARY_HANDLER(h_fprem1, host_fprem1, false)
BINARY_HANDLER(h_fscale, host_fscale, false)
BINARY_HANDLER(h_fpatan, host_fpatan, true)
BINARY_HANDLER(h_fyl2x, host_fyl2x, true)
BINARY_HANDLER(h_fyl2xp1, host_fyl2xp1, true)

/* ---- comparisons --------------------------------------------------------------- */

/* The operand ST(0) is compared with: the last visible one, or ST(1) when there is
 * none (FCOMPP, FUCOMPP; FTST compares with zero). */
static const struct operand *compare_source(const struct insn *in)
{
	return in->nops ? &in->op[in->nops - 1] : NULL;
}

static bool is_quiet_compare(const struct insn *in)
{
	return in->mnemonic == ZYDIS_MNEMONIC_FUCOM || in->mnemonic == ZYDIS_MNEMONIC_FUCOMP ||
	       in->mnemonic == ZYDIS_MNEMONIC_FUCOMPP || in->mnemonic == ZYDIS_MNEMONIC_FUCOMI ||
	       in->mnemonic == ZYDIS_MNEMONIC_FUCOMIP;
}

/* Compares ST(0) with the source and takes the host's status word (C3 C2 C0 say
 * greater, less, equal or unordered; a stack underflow compares unordered).
 * Returns false when an unmasked exception keeps the stack from being popped;
 * the result is set even then. */
static bool compare(struct soft_cpu *cpu, const struct insn *in, unsigned *cc)
{
	const struct operand *o = compare_source(in);
	bool ftst = in->mnemonic == ZYDIS_MNEMONIC_FTST, memory = o && o->kind == OK_MEM;
	bool underflow;
	unsigned sw;
	struct x87_env env;
	struct f80 a, b;
	uint64_t m = 0;

	if (memory)
		m = op_read(cpu, in, o);
	underflow = st_operand(cpu, 0, &a);
	if (ftst) {
		env = host_env(cpu, 1);
		sw = host_ftst(&env, &a);
	} else if (memory) {
		env = host_env(cpu, 1);
		sw = host_mem_compare[mem_format(in, o)](&env, &a, m);
	} else {
		underflow |= st_operand(cpu, o ? o->reg : 1, &b);
		env = host_env(cpu, 2);
		sw = is_quiet_compare(in) ? host_fucompp(&env, &a, &b) : host_fcompp(&env, &a, &b);
	}
	if (underflow)
		sw = underflow_status(sw) | FSW_C3 | FSW_C2 | FSW_C0;
	*cc = sw & (FSW_C3 | FSW_C2 | FSW_C0);
	return x87_complete(cpu, sw, TO_REGISTER);
}

static unsigned compare_pops(const struct insn *in)
{
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_FCOMP:
	case ZYDIS_MNEMONIC_FUCOMP:
	case ZYDIS_MNEMONIC_FICOMP:
	case ZYDIS_MNEMONIC_FCOMIP:
	case ZYDIS_MNEMONIC_FUCOMIP:
		return 1;
	case ZYDIS_MNEMONIC_FCOMPP:
	case ZYDIS_MNEMONIC_FUCOMPP:
		return 2;
	default:
		return 0;
	}
}

/* FCOM, FUCOM, FICOM, FTST and their popping forms: C3 C2 C0. */
static void h_fcom(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned cc;

	bool pop;

	x87_check(cpu);
	pop = compare(cpu, in, &cc);
	cpu->fpu.fsw = (uint16_t)((cpu->fpu.fsw & ~(FSW_C3 | FSW_C2 | FSW_C0)) | cc);
	for (unsigned n = pop ? compare_pops(in) : 0; n; n--)
		x87_pop(cpu);
}

/* FCOMI/FUCOMI(P): ZF PF CF (OF SF AF cleared), set even when an unmasked
 * invalid operation stops the pop; a stack underflow compares unordered. */
static void h_fcomi(struct soft_cpu *cpu, const struct insn *in)
{
	struct x87_env env;
	struct f80 a, b;
	uint64_t flags;
	unsigned sw;
	bool underflow;

	x87_check(cpu);
	underflow = st_operand(cpu, 0, &a) | st_operand(cpu, in->op[1].reg, &b);
	env = host_env(cpu, 2);
	sw = (is_quiet_compare(in) ? host_fucomi : host_fcomi)(&env, &a, &b, &flags);
	if (underflow) {
		sw = underflow_status(sw);
		flags = RFLAGS_ZF | RFLAGS_PF | RFLAGS_CF;
	}
	uint16_t c1 = cpu->fpu.fsw & FSW_C1;

	flags_set_arith(cpu, flags);
	if (x87_complete(cpu, sw, TO_REGISTER)) {
		if (compare_pops(in))
			x87_pop(cpu);
	} else if (!underflow) { /* FCOMI keeps C1 when an exception stops it */
		cpu->fpu.fsw = (uint16_t)((cpu->fpu.fsw & ~FSW_C1) | c1);
	}
}

/* FXAM: the class of ST(0) in C3 C2 C0 and its sign in C1; empty is C3 C0. */
static void h_fxam(struct soft_cpu *cpu, const struct insn *in)
{
	struct x87_env env;
	struct f80 a;

	(void)in;
	x87_check(cpu);
	a = st_get(cpu, 0);
	if (st_empty(cpu, 0)) {
		cpu->fpu.fsw = (uint16_t)((cpu->fpu.fsw & ~FSW_CC) | FSW_C3 | FSW_C0 | ((a.b[9] & 0x80) ? FSW_C1 : 0));
		return;
	}
	env = host_env(cpu, 1);
	(void)x87_complete(cpu, host_fxam(&env, &a), TO_REGISTER);
}

const struct dispatch_entry exec_x87_arith_table[] = {
	{ ZYDIS_MNEMONIC_FADD, h_farith, 0 },
	{ ZYDIS_MNEMONIC_FADDP, h_farith, 0 },
	{ ZYDIS_MNEMONIC_FIADD, h_farith, 0 },
	{ ZYDIS_MNEMONIC_FSUB, h_farith, 0 },
	{ ZYDIS_MNEMONIC_FSUBP, h_farith, 0 },
	{ ZYDIS_MNEMONIC_FISUB, h_farith, 0 },
	{ ZYDIS_MNEMONIC_FSUBR, h_farith, 0 },
	{ ZYDIS_MNEMONIC_FSUBRP, h_farith, 0 },
	{ ZYDIS_MNEMONIC_FISUBR, h_farith, 0 },
	{ ZYDIS_MNEMONIC_FMUL, h_farith, 0 },
	{ ZYDIS_MNEMONIC_FMULP, h_farith, 0 },
	{ ZYDIS_MNEMONIC_FIMUL, h_farith, 0 },
	{ ZYDIS_MNEMONIC_FDIV, h_farith, 0 },
	{ ZYDIS_MNEMONIC_FDIVP, h_farith, 0 },
	{ ZYDIS_MNEMONIC_FIDIV, h_farith, 0 },
	{ ZYDIS_MNEMONIC_FDIVR, h_farith, 0 },
	{ ZYDIS_MNEMONIC_FDIVRP, h_farith, 0 },
	{ ZYDIS_MNEMONIC_FIDIVR, h_farith, 0 },
	{ ZYDIS_MNEMONIC_FSQRT, h_fsqrt, 0 },
	{ ZYDIS_MNEMONIC_FRNDINT, h_frndint, 0 },
	{ ZYDIS_MNEMONIC_FSIN, h_fsin, 0 },
	{ ZYDIS_MNEMONIC_FCOS, h_fcos, 0 },
	{ ZYDIS_MNEMONIC_FPTAN, h_fptan, 0 },
	{ ZYDIS_MNEMONIC_FSINCOS, h_fsincos, 0 },
	{ ZYDIS_MNEMONIC_FXTRACT, h_fxtract, 0 },
	{ ZYDIS_MNEMONIC_F2XM1, h_f2xm1, 0 },
	{ ZYDIS_MNEMONIC_FPREM, h_fprem, 0 },
	{ ZYDIS_MNEMONIC_FPREM1, h_fprem1, 0 },
	{ ZYDIS_MNEMONIC_FSCALE, h_fscale, 0 },
	{ ZYDIS_MNEMONIC_FPATAN, h_fpatan, 0 },
	{ ZYDIS_MNEMONIC_FYL2X, h_fyl2x, 0 },
	{ ZYDIS_MNEMONIC_FYL2XP1, h_fyl2xp1, 0 },
	{ ZYDIS_MNEMONIC_FCHS, h_fchs, 0 },
	{ ZYDIS_MNEMONIC_FABS, h_fabs, 0 },
	{ ZYDIS_MNEMONIC_FCOM, h_fcom, 0 },
	{ ZYDIS_MNEMONIC_FCOMP, h_fcom, 0 },
	{ ZYDIS_MNEMONIC_FCOMPP, h_fcom, 0 },
	{ ZYDIS_MNEMONIC_FUCOM, h_fcom, 0 },
	{ ZYDIS_MNEMONIC_FUCOMP, h_fcom, 0 },
	{ ZYDIS_MNEMONIC_FUCOMPP, h_fcom, 0 },
	{ ZYDIS_MNEMONIC_FICOM, h_fcom, 0 },
	{ ZYDIS_MNEMONIC_FICOMP, h_fcom, 0 },
	{ ZYDIS_MNEMONIC_FTST, h_fcom, 0 },
	{ ZYDIS_MNEMONIC_FCOMI, h_fcomi, 0 },
	{ ZYDIS_MNEMONIC_FCOMIP, h_fcomi, 0 },
	{ ZYDIS_MNEMONIC_FUCOMI, h_fcomi, 0 },
	{ ZYDIS_MNEMONIC_FUCOMIP, h_fcomi, 0 },
	{ ZYDIS_MNEMONIC_FXAM, h_fxam, 0 },
	{ 0, NULL, 0 },
};
