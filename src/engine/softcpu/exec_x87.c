/* The x87 FPU: control and status, the state images (FNSAVE/FRSTOR,
 * FNSTENV/FLDENV, FXSAVE/FXRSTOR), EMMS, and the arithmetic a kernel and a C
 * library use.
 *
 * (EMMS and the MMX view of the registers are in mmx.h and exec_mmx.c.)
 *
 * The register stack lives in cpu->fpu in the FXSAVE order of struct x86_fpu:
 * st[i] is ST(i), TOP is in FSW, and ftw is the abridged tag word, one bit per
 * physical register (R(TOP+i) holds ST(i)). Pushes and pops rotate st[] so that
 * every physical register keeps its contents.
 *
 * Every operation runs on the host's own x87, on memory operands, with the
 * guest's precision and rounding control, its condition codes and every
 * exception masked ("the host's x87" below): results, condition codes and
 * exception flags are the hardware's. What masking hides is worked out here:
 * stack faults, and exceptions the guest left unmasked, which keep the result
 * from being written as x87_complete() says and are reported as #MF by the next
 * waiting instruction when CR0.NE is set (with CR0.NE clear, FERR# would go to
 * an interrupt controller; it is not reported).
 *
 * Not modelled: the last instruction and data pointers and opcode (FIP, FDP,
 * FOP) are kept as loaded by FRSTOR/FXRSTOR and cleared by FNINIT, not updated
 * (AMD processors do not save them either unless an exception is pending);
 * FISTTP (SSE3) raises #UD. */
#include <string.h>

#include "engine/softcpu/handlers.h"
#include "engine/softcpu/flags.h"
#include "engine/softcpu/mem.h"
#include "x86/arch.h"

#define FSW_IE 0x0001u
#define FSW_DE 0x0002u
#define FSW_ZE 0x0004u
#define FSW_OE 0x0008u
#define FSW_UE 0x0010u
#define FSW_EXC 0x003fu
#define FSW_SF 0x0040u
#define FSW_ES 0x0080u
#define FSW_C0 0x0100u
#define FSW_C1 0x0200u
#define FSW_C2 0x0400u
#define FSW_C3 0x4000u
#define FSW_CC (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)
#define FSW_B 0x8000u

/* FCW: the exception masks, precision and rounding control and the (ignored)
 * infinity bit are writable; bit 6 reads as one. */
#define FCW_WRITABLE 0x1f3fu
#define FCW_ONES 0x0040u
#define FCW_INIT 0x037fu

/* The MXCSR bits FXRSTOR accepts, reported as MXCSR_MASK (DAZ included). */
#define MXCSR_MASK 0xffffu

/* An 80-bit register value, little-endian: significand, then sign and exponent. */
struct f80 {
	uint8_t b[10];
};

static const struct f80 f80_indefinite = { { 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff } };

/* ---- checks -------------------------------------------------------------------- */

/* Every x87 instruction: #NM with CR0.EM or CR0.TS. */
static void x87_check_nowait(struct soft_cpu *cpu)
{
	if (cpu->cr0 & (CR0_EM | CR0_TS))
		cpu_raise(cpu, EXC_NM, false, 0);
}

/* Waiting instructions also report a pending unmasked exception first. */
static void x87_check(struct soft_cpu *cpu)
{
	x87_check_nowait(cpu);
	if ((cpu->fpu.fsw & FSW_ES) && (cpu->cr0 & CR0_NE))
		cpu_raise(cpu, EXC_MF, false, 0);
}

/* ---- the register stack -------------------------------------------------------- */

static unsigned x87_top(const struct soft_cpu *cpu)
{
	return (cpu->fpu.fsw >> 11) & 7;
}

static void x87_set_top(struct soft_cpu *cpu, unsigned top)
{
	cpu->fpu.fsw = (uint16_t)((cpu->fpu.fsw & ~0x3800u) | ((top & 7) << 11));
}

static unsigned x87_phys(const struct soft_cpu *cpu, unsigned i)
{
	return (x87_top(cpu) + i) & 7;
}

static bool st_empty(const struct soft_cpu *cpu, unsigned i)
{
	return !(cpu->fpu.ftw & (1u << x87_phys(cpu, i)));
}

static struct f80 st_get(const struct soft_cpu *cpu, unsigned i)
{
	struct f80 v;

	memcpy(&v, cpu->fpu.st[i], sizeof(v));
	return v;
}

static void st_set(struct soft_cpu *cpu, unsigned i, const struct f80 *v)
{
	memcpy(cpu->fpu.st[i], v, sizeof(*v));
	memset(cpu->fpu.st[i] + sizeof(*v), 0, sizeof(cpu->fpu.st[i]) - sizeof(*v));
	cpu->fpu.ftw |= (uint8_t)(1u << x87_phys(cpu, i));
}

/* TOP - 1 (down) or TOP + 1; st[] rotates with it, tags stay with their registers. */
static void x87_rotate(struct soft_cpu *cpu, bool down)
{
	uint8_t keep[16];

	if (down) {
		memcpy(keep, cpu->fpu.st[7], 16);
		memmove(cpu->fpu.st[1], cpu->fpu.st[0], 7 * 16);
		memcpy(cpu->fpu.st[0], keep, 16);
		x87_set_top(cpu, x87_top(cpu) - 1);
	} else {
		memcpy(keep, cpu->fpu.st[0], 16);
		memmove(cpu->fpu.st[0], cpu->fpu.st[1], 7 * 16);
		memcpy(cpu->fpu.st[7], keep, 16);
		x87_set_top(cpu, x87_top(cpu) + 1);
	}
}

/* A new status word from FNINIT, EMMS or a loaded environment: a new TOP renames
 * the registers, whose contents stay where they are. */
static void x87_load_fsw(struct soft_cpu *cpu, uint16_t fsw)
{
	unsigned d = (((fsw >> 11) & 7) - x87_top(cpu)) & 7;
	uint8_t old[8][16];

	memcpy(old, cpu->fpu.st, sizeof(old));
	for (unsigned i = 0; i < 8; i++)
		memcpy(cpu->fpu.st[i], old[(i + d) & 7], 16);
	cpu->fpu.fsw = fsw;
}

static void x87_push(struct soft_cpu *cpu, const struct f80 *v)
{
	x87_rotate(cpu, true);
	st_set(cpu, 0, v);
}

static void x87_pop(struct soft_cpu *cpu)
{
	cpu->fpu.ftw &= (uint8_t) ~(1u << x87_top(cpu));
	x87_rotate(cpu, false);
}

/* ---- exceptions ---------------------------------------------------------------- */

/* ES (and B, its copy) says whether an unmasked exception flag is set. */
static void x87_update_es(struct soft_cpu *cpu)
{
	if (cpu->fpu.fsw & ~cpu->fpu.fcw & FSW_EXC)
		cpu->fpu.fsw |= FSW_ES | FSW_B;
	else
		cpu->fpu.fsw &= (uint16_t) ~(FSW_ES | FSW_B);
}

/* Record exception flags; true if one of them is unmasked. */
static bool x87_exceptions(struct soft_cpu *cpu, unsigned exc)
{
	cpu->fpu.fsw |= (uint16_t)(exc & (FSW_EXC | FSW_SF));
	x87_update_es(cpu);
	return exc & ~cpu->fpu.fcw & FSW_EXC;
}

/* Stack underflow (an empty register read) or overflow (a push onto a full one):
 * invalid operation with SF, C1 telling which. True when masked: the operation
 * goes on with the indefinite QNaN as its value. */
static bool x87_stack_fault(struct soft_cpu *cpu, bool overflow)
{
	cpu->fpu.fsw = (uint16_t)((cpu->fpu.fsw & ~FSW_C1) | (overflow ? FSW_C1 : 0));
	return !x87_exceptions(cpu, FSW_IE | FSW_SF);
}

/* Where an operation's result goes, which decides the unmasked exceptions that
 * keep it from being written: invalid operation, denormal operand and divide by
 * zero for all; also overflow and underflow for stores to memory; only invalid
 * operation for loads (a denormal is loaded, as on hardware). */
enum x87_result { TO_REGISTER, TO_MEMORY, LOADED };

#define FSW_PRECOMPUTATION (FSW_IE | FSW_DE | FSW_ZE)
#define FSW_PE 0x0020u

static unsigned x87_stoppers(enum x87_result kind)
{
	if (kind == LOADED)
		return FSW_IE;
	return kind == TO_MEMORY ? FSW_PRECOMPUTATION | FSW_OE | FSW_UE : FSW_PRECOMPUTATION;
}

/* Take a host operation's status word sw: its condition codes (those it left
 * alone come back as they were) and its exception flags. Returns false when an
 * unmasked exception keeps the result from being written. As the host processor
 * does, an unmasked pre-computation exception (invalid, denormal, zero divide)
 * reports no post-computation ones and clears C1, and a store to memory stopped
 * by an unmasked overflow or underflow reports no precision exception and clears
 * C1. Not exact: a register result with an unmasked overflow or underflow is
 * stored as the masked computation made it (hardware rebiases its exponent). */
static bool x87_complete(struct soft_cpu *cpu, unsigned sw, enum x87_result kind)
{
	unsigned unmasked = sw & ~cpu->fpu.fcw & FSW_EXC;
	bool blocked = unmasked & x87_stoppers(kind);

	if (unmasked & FSW_PRECOMPUTATION)
		sw &= (FSW_PRECOMPUTATION | FSW_SF | FSW_CC) & ~FSW_C1;
	else if (blocked)
		sw &= ~(FSW_PE | FSW_C1);
	cpu->fpu.fsw = (uint16_t)((cpu->fpu.fsw & ~FSW_CC) | (sw & FSW_CC));
	(void)x87_exceptions(cpu, sw & (FSW_EXC | FSW_SF));
	return !blocked;
}

/* ---- the host's x87 ------------------------------------------------------------ */

/* A guest operation runs on the host's x87 between FNSTENV and FLDENV of the
 * host's own environment: FNINIT, the operands loaded with FLD m80 (exact), then
 * FLDENV of this environment (32-bit protected-mode layout): the guest's
 * precision and rounding control with every exception masked, the guest's
 * condition codes, no exception flags, and a stack of exactly the n values
 * loaded. The status word is taken right after the operation, so exception flags
 * and condition codes (those it leaves alone too) are the hardware's own. */
struct x87_env {
	uint32_t fcw, fsw, ftw, fip, fcs, fdp, fds;
};

static struct x87_env host_env(const struct soft_cpu *cpu, unsigned n)
{
	unsigned top = (8 - n) & 7;
	struct x87_env e = {
		.fcw = cpu->fpu.fcw | FSW_EXC,
		.fsw = (cpu->fpu.fsw & FSW_CC) | top << 11,
		.ftw = 0xffff,
	};

	for (unsigned i = 0; i < n; i++)
		e.ftw &= ~(3u << (2 * ((top + i) & 7)));
	return e;
}

#define X87_ENTER "fnstenv %[saved]\n\tfninit\n\t"
#define X87_GUEST "fldenv %[env]\n\t"
#define X87_STATUS "fnstsw %[sw]\n\t"
#define X87_LEAVE "fldenv %[saved]"
/* FNINIT and the loads touch the whole register stack. */
#define X87_CLOBBERS "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)"

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

/* r = insn(ST0 = a, ST1 = b); env with n = 2. KEEP_ONE: the operation leaves both
 * (the result in ST0); POPPED: it leaves only the result. */
#define HOST_X87_BINARY(name, insn, tail)                                                                              \
	static unsigned name(const struct x87_env *env, const struct f80 *a, const struct f80 *b, struct f80 *r)       \
	{                                                                                                              \
		struct x87_env saved;                                                                                  \
		uint16_t sw;                                                                                           \
		__asm__ volatile(X87_ENTER "fldt %[b]\n\tfldt %[a]\n\t" X87_GUEST insn "\n\t" X87_STATUS               \
					   "fstpt %[r]\n\t" tail X87_LEAVE                                             \
				 : [r] "=m"(*r), [sw] "=m"(sw), [saved] "=m"(saved)                                    \
				 : [a] "m"(*a), [b] "m"(*b), [env] "m"(*env)                                           \
				 : X87_CLOBBERS);                                                                      \
		return sw;                                                                                             \
	}
#define KEEP_ONE "fstp %%st(0)\n\t"
#define POPPED ""

typedef unsigned (*binary_fn)(const struct x87_env *env, const struct f80 *a, const struct f80 *b, struct f80 *r);

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
HOST_X87_BINARY(host_fxch, "fxch %%st(1)", KEEP_ONE)
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

/* Instructions that only move TOP or tags, for their status word; env with n = 0. */
#define HOST_X87_STATUS_ONLY(name, insn)                                                                               \
	static unsigned name(const struct x87_env *env)                                                                \
	{                                                                                                              \
		struct x87_env saved;                                                                                  \
		uint16_t sw;                                                                                           \
		__asm__ volatile(X87_ENTER X87_GUEST insn "\n\t" X87_STATUS X87_LEAVE                                  \
				 : [sw] "=m"(sw), [saved] "=m"(saved)                                                  \
				 : [env] "m"(*env)                                                                     \
				 : X87_CLOBBERS);                                                                      \
		return sw;                                                                                             \
	}

HOST_X87_STATUS_ONLY(host_ffree, "ffree %%st(0)")
HOST_X87_STATUS_ONLY(host_fincstp, "fincstp")
HOST_X87_STATUS_ONLY(host_fdecstp, "fdecstp")
HOST_X87_STATUS_ONLY(host_fnop, "fnop")

/* Constants (those other than 0 and 1 round as RC says), shaped like the loads
 * below with nothing to load; env with n = 0. */
#define HOST_X87_CONST(name, insn)                                                                                     \
	static unsigned name(const struct x87_env *env, const void *unused, struct f80 *r)                             \
	{                                                                                                              \
		struct x87_env saved;                                                                                  \
		uint16_t sw;                                                                                           \
		(void)unused;                                                                                          \
		__asm__ volatile(X87_ENTER X87_GUEST insn "\n\t" X87_STATUS "fstpt %[r]\n\t" X87_LEAVE                 \
				 : [r] "=m"(*r), [sw] "=m"(sw), [saved] "=m"(saved)                                    \
				 : [env] "m"(*env)                                                                     \
				 : X87_CLOBBERS);                                                                      \
		return sw;                                                                                             \
	}

HOST_X87_CONST(host_fld1, "fld1")
HOST_X87_CONST(host_fldz, "fldz")
HOST_X87_CONST(host_fldpi, "fldpi")
HOST_X87_CONST(host_fldl2t, "fldl2t")
HOST_X87_CONST(host_fldl2e, "fldl2e")
HOST_X87_CONST(host_fldlg2, "fldlg2")
HOST_X87_CONST(host_fldln2, "fldln2")

/* Memory formats: m16/m32/m64 integers, m32/m64/m80 reals, m80 packed BCD. */
enum mem_format { MF_INT16, MF_INT32, MF_INT64, MF_REAL32, MF_REAL64, MF_REAL80, MF_BCD, MF_COUNT };

/* r = the memory value m in 80 bits (FLD/FILD); env with n = 0. */
#define HOST_X87_LOAD(name, insn, type)                                                                                \
	static unsigned name(const struct x87_env *env, const void *v, struct f80 *r)                                  \
	{                                                                                                              \
		struct x87_env saved;                                                                                  \
		uint16_t sw;                                                                                           \
		type m;                                                                                                \
		memcpy(&m, v, sizeof(m));                                                                              \
		__asm__ volatile(X87_ENTER X87_GUEST insn " %[m]\n\t" X87_STATUS "fstpt %[r]\n\t" X87_LEAVE            \
				 : [r] "=m"(*r), [sw] "=m"(sw), [saved] "=m"(saved)                                    \
				 : [m] "m"(m), [env] "m"(*env)                                                         \
				 : X87_CLOBBERS);                                                                      \
		return sw;                                                                                             \
	}

HOST_X87_LOAD(host_filds, "filds", uint16_t)
HOST_X87_LOAD(host_fildl, "fildl", uint32_t)
HOST_X87_LOAD(host_fildll, "fildll", uint64_t)
HOST_X87_LOAD(host_flds, "flds", uint32_t)
HOST_X87_LOAD(host_fldl, "fldl", uint64_t)
HOST_X87_LOAD(host_fldt, "fldt", struct f80)
HOST_X87_LOAD(host_fbld, "fbld", struct f80)

typedef unsigned (*load_fn)(const struct x87_env *env, const void *v, struct f80 *r);
static const load_fn host_load[MF_COUNT] = { host_filds, host_fildl, host_fildll, host_flds,
					     host_fldl,	 host_fldt,  host_fbld };

/* *v = a in a memory format (FST/FIST, popping the host's copy); env with n = 1. */
#define HOST_X87_STORE(name, insn, type)                                                                               \
	static unsigned name(const struct x87_env *env, const struct f80 *a, void *v)                                  \
	{                                                                                                              \
		struct x87_env saved;                                                                                  \
		uint16_t sw;                                                                                           \
		type m;                                                                                                \
		__asm__ volatile(X87_ENTER "fldt %[a]\n\t" X87_GUEST insn " %[m]\n\t" X87_STATUS X87_LEAVE             \
				 : [m] "=m"(m), [sw] "=m"(sw), [saved] "=m"(saved)                                     \
				 : [a] "m"(*a), [env] "m"(*env)                                                        \
				 : X87_CLOBBERS);                                                                      \
		memcpy(v, &m, sizeof(m));                                                                              \
		return sw;                                                                                             \
	}

HOST_X87_STORE(host_fistps, "fistps", uint16_t)
HOST_X87_STORE(host_fistpl, "fistpl", uint32_t)
HOST_X87_STORE(host_fistpll, "fistpll", uint64_t)
HOST_X87_STORE(host_fstps, "fstps", uint32_t)
HOST_X87_STORE(host_fstpl, "fstpl", uint64_t)
HOST_X87_STORE(host_fstpt, "fstpt", struct f80)
/* Packed BCD: the host's own rounding, its invalid operation for a value beyond
 * 18 digits, a NaN or an infinity, and its packed BCD indefinite for it. */
HOST_X87_STORE(host_fbstp, "fbstp", struct f80)

typedef unsigned (*store_fn)(const struct x87_env *env, const struct f80 *a, void *v);
static const store_fn host_store[MF_COUNT] = { host_fistps, host_fistpl, host_fistpll, host_fstps,
					       host_fstpl,  host_fstpt,	 host_fbstp };

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

/* ---- operands ------------------------------------------------------------------ */

static bool is_integer_form(const struct insn *in);

static enum mem_format mem_format(const struct insn *in, const struct operand *o)
{
	if (in->mnemonic == ZYDIS_MNEMONIC_FBLD || in->mnemonic == ZYDIS_MNEMONIC_FBSTP)
		return MF_BCD;
	if (is_integer_form(in))
		return o->size == 2 ? MF_INT16 : o->size == 4 ? MF_INT32 : MF_INT64;
	return o->size == 4 ? MF_REAL32 : o->size == 8 ? MF_REAL64 : MF_REAL80;
}

static bool is_integer_form(const struct insn *in)
{
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_FILD:
	case ZYDIS_MNEMONIC_FIST:
	case ZYDIS_MNEMONIC_FISTP:
	case ZYDIS_MNEMONIC_FIADD:
	case ZYDIS_MNEMONIC_FIMUL:
	case ZYDIS_MNEMONIC_FISUB:
	case ZYDIS_MNEMONIC_FISUBR:
	case ZYDIS_MNEMONIC_FIDIV:
	case ZYDIS_MNEMONIC_FIDIVR:
	case ZYDIS_MNEMONIC_FICOM:
	case ZYDIS_MNEMONIC_FICOMP:
		return true;
	default:
		return false;
	}
}

/* ST(i) as an operand. An empty register (stack underflow) reads as the
 * indefinite QNaN, so that the host still works out the condition codes the
 * operation leaves; returns true then. */
static bool st_operand(const struct soft_cpu *cpu, unsigned i, struct f80 *v)
{
	if (st_empty(cpu, i)) {
		*v = f80_indefinite;
		return true;
	}
	*v = st_get(cpu, i);
	return false;
}

/* The host's status word after a stack underflow: invalid operation with SF, C1
 * cleared, and otherwise the condition codes the host left. */
static unsigned underflow_status(unsigned sw)
{
	return (sw & ~(FSW_C1 | FSW_EXC)) | FSW_IE | FSW_SF;
}

/* ---- loads and stores ---------------------------------------------------------- */

/* Push the value fn makes (a conversion or a constant), or on a full stack the
 * indefinite QNaN when the overflow is masked. */
static void push_converted(struct soft_cpu *cpu, load_fn fn, const void *src)
{
	struct x87_env env;
	struct f80 v;
	unsigned sw;

	if (!st_empty(cpu, 7)) {
		if (x87_stack_fault(cpu, true))
			x87_push(cpu, &f80_indefinite);
		return;
	}
	env = host_env(cpu, 0);
	sw = fn(&env, src, &v);
	if (x87_complete(cpu, sw, LOADED))
		x87_push(cpu, &v);
}

/* FLD/FILD/FBLD: a register, or memory in any format. */
static void h_fld(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *o = &in->op[0];
	uint8_t buf[10];
	enum mem_format fmt = MF_REAL80;

	x87_check(cpu);
	if (o->kind == OK_ST) {
		/* An empty source: the underflow is reported and, masked, the indefinite
		 * QNaN pushed whatever the register below holds. */
		if (st_empty(cpu, o->reg)) {
			if (x87_stack_fault(cpu, false))
				x87_push(cpu, &f80_indefinite);
			return;
		}
		memcpy(buf, cpu->fpu.st[o->reg], 10);
	} else {
		fmt = mem_format(in, o);
		mem_read_block(cpu, o->seg, insn_ea(cpu, in, o), buf, o->size, 0);
	}
	push_converted(cpu, host_load[fmt], buf);
}

static void push_constant(struct soft_cpu *cpu, load_fn fn)
{
	x87_check(cpu);
	push_converted(cpu, fn, NULL);
}

/* FLD1, FLDZ, FLDPI, FLDL2T, FLDL2E, FLDLG2, FLDLN2: the host loads the same
 * constant, rounded by the guest's control word. */
static void h_fld_constant(struct soft_cpu *cpu, const struct insn *in)
{
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_FLD1:
		push_constant(cpu, host_fld1);
		break;
	case ZYDIS_MNEMONIC_FLDZ:
		push_constant(cpu, host_fldz);
		break;
	case ZYDIS_MNEMONIC_FLDPI:
		push_constant(cpu, host_fldpi);
		break;
	case ZYDIS_MNEMONIC_FLDL2T:
		push_constant(cpu, host_fldl2t);
		break;
	case ZYDIS_MNEMONIC_FLDL2E:
		push_constant(cpu, host_fldl2e);
		break;
	case ZYDIS_MNEMONIC_FLDLG2:
		push_constant(cpu, host_fldlg2);
		break;
	default:
		push_constant(cpu, host_fldln2);
		break;
	}
}

/* An unmasked underflow is raised for every tiny result, exact or not, where a
 * masked one needs it inexact too: with UM clear, a denormal single or double
 * stored is an underflow the masked host run did not report. */
static unsigned tiny_store(const struct soft_cpu *cpu, enum mem_format fmt, const uint8_t *buf)
{
	uint64_t v = 0;

	if (cpu->fpu.fcw & FSW_UE) /* UM: the mask bit has the flag's position */
		return 0;
	if (fmt == MF_REAL32) {
		memcpy(&v, buf, 4);
		return !(v & 0x7f800000u) && (v & 0x7fffffu) ? FSW_UE : 0;
	}
	if (fmt == MF_REAL64) {
		memcpy(&v, buf, 8);
		return !(v & 0x7ff0000000000000ull) && (v << 12) ? FSW_UE : 0;
	}
	return 0;
}

/* FST/FSTP/FIST/FISTP/FBSTP: ST(0) to a register or to memory in any format. The
 * memory write comes before the FPU state changes, so a fault leaves it whole. */
static void store(struct soft_cpu *cpu, const struct insn *in, bool pop)
{
	const struct operand *o = &in->op[0];
	enum mem_format fmt = o->kind == OK_ST ? MF_REAL80 : mem_format(in, o);
	struct x87_env env;
	struct f80 a;
	uint8_t buf[10];
	unsigned sw;
	enum x87_result kind = o->kind == OK_MEM ? TO_MEMORY : TO_REGISTER;
	bool underflow;

	x87_check(cpu);
	env = host_env(cpu, 1);
	underflow = st_operand(cpu, 0, &a);
	sw = host_store[fmt](&env, &a, buf) | tiny_store(cpu, fmt, buf);
	if (underflow)
		sw = underflow_status(sw);
	/* The memory write comes first: if it faults, nothing has changed. */
	if (kind == TO_MEMORY && !(sw & ~cpu->fpu.fcw & x87_stoppers(kind)))
		mem_write_block(cpu, o->seg, insn_ea(cpu, in, o), buf, o->size, 0);
	if (!x87_complete(cpu, sw, kind))
		return;
	if (o->kind == OK_ST) {
		memcpy(&a, buf, sizeof(a));
		st_set(cpu, o->reg, &a);
	}
	if (pop)
		x87_pop(cpu);
}

static void h_fst(struct soft_cpu *cpu, const struct insn *in)
{
	store(cpu, in, false);
}

static void h_fstp(struct soft_cpu *cpu, const struct insn *in)
{
	store(cpu, in, true);
}

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

/* ---- register moves ------------------------------------------------------------ */

static void h_fxch(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned i = in->nops ? in->op[0].reg : 1;
	struct x87_env env;
	struct f80 a, b, r;

	unsigned sw;

	bool underflow;

	x87_check(cpu);
	env = host_env(cpu, 2);
	underflow = st_operand(cpu, 0, &a) | st_operand(cpu, i, &b);
	sw = host_fxch(&env, &a, &b, &r);
	if (underflow)
		sw = underflow_status(sw);
	if (!x87_complete(cpu, sw, TO_REGISTER))
		return;
	st_set(cpu, 0, &b);
	st_set(cpu, i, &a);
}

typedef unsigned (*status_fn)(const struct x87_env *env);

static void status_only(struct soft_cpu *cpu, status_fn fn)
{
	struct x87_env env = host_env(cpu, 0);

	(void)x87_complete(cpu, fn(&env), TO_REGISTER);
}

static void h_ffree(struct soft_cpu *cpu, const struct insn *in)
{
	x87_check(cpu);
	status_only(cpu, host_ffree);
	cpu->fpu.ftw &= (uint8_t) ~(1u << x87_phys(cpu, in->op[0].reg));
}

/* FFREEP (D F C0+i): FFREE ST(i), then a pop. */
static void h_ffreep(struct soft_cpu *cpu, const struct insn *in)
{
	h_ffree(cpu, in);
	x87_pop(cpu);
}

/* FNENI, FNDISI, FNSETPM: 8087 and 80287 controls that every processor since
 * the 80387 executes as no-ops; being x87 instructions, they still take #NM. */
static void h_x87_legacy_nop(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	x87_check_nowait(cpu);
}

static void h_fincstp(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	x87_check(cpu);
	status_only(cpu, host_fincstp);
	x87_rotate(cpu, false);
}

static void h_fdecstp(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	x87_check(cpu);
	status_only(cpu, host_fdecstp);
	x87_rotate(cpu, true);
}

static void h_fnop(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	x87_check(cpu);
	status_only(cpu, host_fnop);
}

/* FCMOVcc ST(0), ST(i): the conditions of JB, JE, JBE, JP and their negations. */
static bool fcmov_condition(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t f = flags_arith(cpu);

	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_FCMOVB:
		return f & RFLAGS_CF;
	case ZYDIS_MNEMONIC_FCMOVE:
		return f & RFLAGS_ZF;
	case ZYDIS_MNEMONIC_FCMOVBE:
		return f & (RFLAGS_CF | RFLAGS_ZF);
	case ZYDIS_MNEMONIC_FCMOVU:
		return f & RFLAGS_PF;
	case ZYDIS_MNEMONIC_FCMOVNB:
		return !(f & RFLAGS_CF);
	case ZYDIS_MNEMONIC_FCMOVNE:
		return !(f & RFLAGS_ZF);
	case ZYDIS_MNEMONIC_FCMOVNBE:
		return !(f & (RFLAGS_CF | RFLAGS_ZF));
	default: /* FCMOVNU */
		return !(f & RFLAGS_PF);
	}
}

static void h_fcmov(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned i = in->op[1].reg;
	struct f80 b;

	x87_check(cpu);
	if (st_empty(cpu, 0) || st_empty(cpu, i)) {
		if (x87_stack_fault(cpu, false))
			st_set(cpu, 0, &f80_indefinite);
		return;
	}
	b = st_get(cpu, i);
	if (fcmov_condition(cpu, in))
		st_set(cpu, 0, &b);
}

/* ---- control and status -------------------------------------------------------- */

static void x87_init(struct soft_cpu *cpu)
{
	cpu->fpu.fcw = FCW_INIT;
	x87_load_fsw(cpu, 0);
	cpu->fpu.ftw = 0;
	cpu->fpu.fop = 0;
	cpu->fpu.fip = 0;
	cpu->fpu.fdp = 0;
}

static void h_fninit(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	x87_check_nowait(cpu);
	x87_init(cpu);
}

static void h_fnclex(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	x87_check_nowait(cpu);
	cpu->fpu.fsw &= (uint16_t) ~(FSW_EXC | FSW_SF | FSW_ES | FSW_B);
}

/* FNSTSW AX or m16. */
static void h_fnstsw(struct soft_cpu *cpu, const struct insn *in)
{
	x87_check_nowait(cpu);
	op_write(cpu, in, &in->op[0], cpu->fpu.fsw);
}

static void h_fnstcw(struct soft_cpu *cpu, const struct insn *in)
{
	x87_check_nowait(cpu);
	op_write(cpu, in, &in->op[0], cpu->fpu.fcw);
}

/* FLDCW, a waiting instruction, may itself unmask a pending exception: the next
 * waiting instruction reports that one. */
static void h_fldcw(struct soft_cpu *cpu, const struct insn *in)
{
	uint16_t v;

	x87_check(cpu);
	v = (uint16_t)op_read(cpu, in, &in->op[0]);
	cpu->fpu.fcw = (uint16_t)((v & FCW_WRITABLE) | FCW_ONES);
	x87_update_es(cpu);
}

/* WAIT/FWAIT: #NM only with both CR0.MP and CR0.TS; reports pending exceptions. */
static void h_fwait(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	if ((cpu->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
		cpu_raise(cpu, EXC_NM, false, 0);
	if ((cpu->fpu.fsw & FSW_ES) && (cpu->cr0 & CR0_NE))
		cpu_raise(cpu, EXC_MF, false, 0);
}

/* ---- environment and state images ---------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* The full tag word (two bits per physical register: valid, zero, special,
 * empty), worked out from the contents as FNSTENV and FNSAVE store it. */
static uint16_t full_tag_word(const struct soft_cpu *cpu)
{
	uint16_t tw = 0;

	for (unsigned p = 0; p < 8; p++) {
		struct f80 v = st_get(cpu, (p - x87_top(cpu)) & 7);
		unsigned exp = ((v.b[9] & 0x7fu) << 8) | v.b[8], tag;
		uint64_t sig;

		memcpy(&sig, v.b, 8);
		if (!(cpu->fpu.ftw & (1u << p)))
			tag = 3;
		else if (exp == 0x7fff || (exp == 0 && sig != 0) || (exp != 0 && !(sig >> 63)))
			tag = 2; /* NaN, infinity, denormal, unnormal */
		else if (exp == 0)
			tag = 1;
		else
			tag = 0;
		tw |= (uint16_t)(tag << (2 * p));
	}
	return tw;
}

static uint8_t abridged_tag_word(uint16_t tw)
{
	uint8_t ftw = 0;

	for (unsigned p = 0; p < 8; p++)
		if (((tw >> (2 * p)) & 3) != 3)
			ftw |= (uint8_t)(1u << p);
	return ftw;
}

/* The environment image (SDM Vol. 1, 8.1.10): 28 bytes for a 32-bit operand size,
 * 14 for a 16-bit one, in the real-mode or protected-mode layout. The selectors
 * of the instruction and data pointers are kept in bits 32-47 of fip and fdp.
 * Reserved halves read as ones, as on hardware. */
static unsigned env_size(const struct insn *in)
{
	return in->opsize == 2 ? 14 : 28;
}

static void env_store(const struct soft_cpu *cpu, const struct insn *in, uint8_t *buf)
{
	uint32_t fip = (uint32_t)cpu->fpu.fip, fdp = (uint32_t)cpu->fpu.fdp, fop = cpu->fpu.fop & 0x7ffu;
	uint16_t fcs = (uint16_t)(cpu->fpu.fip >> 32), fds = (uint16_t)(cpu->fpu.fdp >> 32);
	bool real = cpu->mode == MODE_REAL;

	if (env_size(in) == 28) {
		put32(buf + 0, 0xffff0000u | cpu->fpu.fcw);
		put32(buf + 4, 0xffff0000u | cpu->fpu.fsw);
		put32(buf + 8, 0xffff0000u | full_tag_word(cpu));
		if (real) {
			put32(buf + 12, 0xffff0000u | (fip & 0xffff));
			put32(buf + 16, ((fip >> 16) << 12) | fop);
			put32(buf + 20, 0xffff0000u | (fdp & 0xffff));
			put32(buf + 24, (fdp >> 16) << 12);
		} else {
			put32(buf + 12, fip);
			put32(buf + 16, fcs | (fop << 16));
			put32(buf + 20, fdp);
			put32(buf + 24, 0xffff0000u | fds);
		}
		return;
	}
	put16(buf + 0, cpu->fpu.fcw);
	put16(buf + 2, cpu->fpu.fsw);
	put16(buf + 4, full_tag_word(cpu));
	put16(buf + 6, (uint16_t)fip);
	put16(buf + 8, real ? (uint16_t)(((fip >> 16) & 0xf) << 12 | fop) : fcs);
	put16(buf + 10, (uint16_t)fdp);
	put16(buf + 12, real ? (uint16_t)(((fdp >> 16) & 0xf) << 12) : fds);
}

static void env_load(struct soft_cpu *cpu, const struct insn *in, const uint8_t *buf)
{
	bool real = cpu->mode == MODE_REAL;
	uint16_t tw;

	if (env_size(in) == 28) {
		cpu->fpu.fcw = (uint16_t)((get16(buf + 0) & FCW_WRITABLE) | FCW_ONES);
		x87_load_fsw(cpu, get16(buf + 4));
		tw = get16(buf + 8);
		if (real) {
			cpu->fpu.fip = (get32(buf + 12) & 0xffff) | ((get32(buf + 16) >> 12 & 0xffff) << 16);
			cpu->fpu.fop = (uint16_t)(get32(buf + 16) & 0x7ff);
			cpu->fpu.fdp = (get32(buf + 20) & 0xffff) | ((get32(buf + 24) >> 12 & 0xffff) << 16);
		} else {
			cpu->fpu.fip = get32(buf + 12) | (uint64_t)get16(buf + 16) << 32;
			cpu->fpu.fop = (uint16_t)((get32(buf + 16) >> 16) & 0x7ff);
			cpu->fpu.fdp = get32(buf + 20) | (uint64_t)get16(buf + 24) << 32;
		}
	} else {
		cpu->fpu.fcw = (uint16_t)((get16(buf + 0) & FCW_WRITABLE) | FCW_ONES);
		x87_load_fsw(cpu, get16(buf + 2));
		tw = get16(buf + 4);
		if (real) {
			cpu->fpu.fip = get16(buf + 6) | (uint64_t)(get16(buf + 8) >> 12) << 16;
			cpu->fpu.fop = get16(buf + 8) & 0x7ff;
			cpu->fpu.fdp = get16(buf + 10) | (uint64_t)(get16(buf + 12) >> 12) << 16;
		} else {
			cpu->fpu.fip = get16(buf + 6) | (uint64_t)get16(buf + 8) << 32;
			cpu->fpu.fdp = get16(buf + 10) | (uint64_t)get16(buf + 12) << 32;
		}
	}
	cpu->fpu.ftw = abridged_tag_word(tw);
	x87_update_es(cpu);
}

/* FNSTENV stores the environment, then masks every exception. */
static void h_fnstenv(struct soft_cpu *cpu, const struct insn *in)
{
	uint8_t buf[28];

	x87_check_nowait(cpu);
	env_store(cpu, in, buf);
	mem_write_block(cpu, in->op[0].seg, insn_ea(cpu, in, &in->op[0]), buf, env_size(in), 0);
	cpu->fpu.fcw |= FSW_EXC;
	x87_update_es(cpu);
}

static void h_fldenv(struct soft_cpu *cpu, const struct insn *in)
{
	uint8_t buf[28];

	x87_check(cpu);
	mem_read_block(cpu, in->op[0].seg, insn_ea(cpu, in, &in->op[0]), buf, env_size(in), 0);
	env_load(cpu, in, buf);
}

/* FNSAVE: the environment and ST(0)..ST(7), 10 bytes each; then as FNINIT. */
static void h_fnsave(struct soft_cpu *cpu, const struct insn *in)
{
	uint8_t buf[28 + 80];
	unsigned env = env_size(in);

	x87_check_nowait(cpu);
	env_store(cpu, in, buf);
	for (unsigned i = 0; i < 8; i++)
		memcpy(buf + env + 10 * i, cpu->fpu.st[i], 10);
	mem_write_block(cpu, in->op[0].seg, insn_ea(cpu, in, &in->op[0]), buf, env + 80, 0);
	x87_init(cpu);
}

static void h_frstor(struct soft_cpu *cpu, const struct insn *in)
{
	uint8_t buf[28 + 80];
	unsigned env = env_size(in);

	x87_check(cpu);
	mem_read_block(cpu, in->op[0].seg, insn_ea(cpu, in, &in->op[0]), buf, env + 80, 0);
	env_load(cpu, in, buf);
	for (unsigned i = 0; i < 8; i++) {
		memcpy(cpu->fpu.st[i], buf + env + 10 * i, 10);
		memset(cpu->fpu.st[i] + 10, 0, 6);
	}
}

/* FXSAVE/FXRSTOR (SDM Vol. 1, table 10-2): 512 bytes, 16-byte aligned. The 64-bit
 * form keeps 64-bit instruction and data pointers; the other keeps 32-bit offsets
 * and selectors. XMM8-15 only in 64-bit mode; XMM registers and MXCSR only with
 * CR4.OSFXSR. Bytes the processor does not define are left alone. */
#define FXSAVE_SIZE 512
#define FXSAVE_XMM 160

static unsigned fxsave_xmm_count(const struct soft_cpu *cpu)
{
	if (!(cpu->cr4 & CR4_OSFXSR))
		return 0;
	return cpu->mode == MODE_LONG64 ? 16 : 8;
}

static void fxsave(struct soft_cpu *cpu, const struct insn *in, bool wide)
{
	const struct operand *o = &in->op[0];
	uint8_t img[FXSAVE_SIZE];
	unsigned nxmm = fxsave_xmm_count(cpu);

	x87_check_nowait(cpu);
	/* The segment checks cover the whole image, written or not. */
	(void)seg_linear(cpu, o->seg, insn_ea(cpu, in, o), FXSAVE_SIZE, ACC_WRITE);
	memset(img, 0, sizeof(img));
	put16(img + 0, cpu->fpu.fcw);
	put16(img + 2, cpu->fpu.fsw);
	img[4] = cpu->fpu.ftw;
	put16(img + 6, cpu->fpu.fop & 0x7ff);
	if (wide) {
		put64(img + 8, cpu->fpu.fip);
		put64(img + 16, cpu->fpu.fdp);
	} else {
		put32(img + 8, (uint32_t)cpu->fpu.fip);
		put16(img + 12, (uint16_t)(cpu->fpu.fip >> 32));
		put32(img + 16, (uint32_t)cpu->fpu.fdp);
		put16(img + 20, (uint16_t)(cpu->fpu.fdp >> 32));
	}
	if (nxmm) {
		put32(img + 24, cpu->fpu.mxcsr);
		put32(img + 28, MXCSR_MASK);
	}
	for (unsigned i = 0; i < 8; i++)
		memcpy(img + 32 + 16 * i, cpu->fpu.st[i], 10);
	memcpy(img + FXSAVE_XMM, cpu->fpu.xmm, 16 * nxmm);
	mem_write_block(cpu, o->seg, insn_ea(cpu, in, o), img, FXSAVE_XMM + 16 * nxmm, 16);
}

static void fxrstor(struct soft_cpu *cpu, const struct insn *in, bool wide)
{
	const struct operand *o = &in->op[0];
	uint8_t img[FXSAVE_SIZE];
	unsigned nxmm = fxsave_xmm_count(cpu);

	x87_check_nowait(cpu);
	mem_read_block(cpu, o->seg, insn_ea(cpu, in, o), img, FXSAVE_SIZE, 16);
	if (nxmm && (get32(img + 24) & ~MXCSR_MASK))
		cpu_raise_gp0(cpu);
	cpu->fpu.fcw = (uint16_t)((get16(img + 0) & FCW_WRITABLE) | FCW_ONES);
	cpu->fpu.fsw = get16(img + 2);
	cpu->fpu.ftw = img[4];
	cpu->fpu.fop = get16(img + 6) & 0x7ff;
	if (wide) {
		cpu->fpu.fip = get64(img + 8);
		cpu->fpu.fdp = get64(img + 16);
	} else {
		cpu->fpu.fip = get32(img + 8) | (uint64_t)get16(img + 12) << 32;
		cpu->fpu.fdp = get32(img + 16) | (uint64_t)get16(img + 20) << 32;
	}
	for (unsigned i = 0; i < 8; i++) {
		memcpy(cpu->fpu.st[i], img + 32 + 16 * i, 10);
		memset(cpu->fpu.st[i] + 10, 0, 6);
	}
	if (nxmm) {
		cpu->fpu.mxcsr = get32(img + 24);
		memcpy(cpu->fpu.xmm, img + FXSAVE_XMM, 16 * nxmm);
	}
	x87_update_es(cpu);
}

static void h_fxsave(struct soft_cpu *cpu, const struct insn *in)
{
	fxsave(cpu, in, false);
}

static void h_fxsave64(struct soft_cpu *cpu, const struct insn *in)
{
	fxsave(cpu, in, true);
}

static void h_fxrstor(struct soft_cpu *cpu, const struct insn *in)
{
	fxrstor(cpu, in, false);
}

static void h_fxrstor64(struct soft_cpu *cpu, const struct insn *in)
{
	fxrstor(cpu, in, true);
}

const struct dispatch_entry exec_x87_table[] = {
	/* control, status, state */
	{ ZYDIS_MNEMONIC_FNINIT, h_fninit, 0 },
	{ ZYDIS_MNEMONIC_FNCLEX, h_fnclex, 0 },
	{ ZYDIS_MNEMONIC_FNSTSW, h_fnstsw, 0 },
	{ ZYDIS_MNEMONIC_FNSTCW, h_fnstcw, 0 },
	{ ZYDIS_MNEMONIC_FLDCW, h_fldcw, 0 },
	{ ZYDIS_MNEMONIC_FWAIT, h_fwait, 0 },
	{ ZYDIS_MNEMONIC_FNSTENV, h_fnstenv, 0 },
	{ ZYDIS_MNEMONIC_FLDENV, h_fldenv, 0 },
	{ ZYDIS_MNEMONIC_FNSAVE, h_fnsave, 0 },
	{ ZYDIS_MNEMONIC_FRSTOR, h_frstor, 0 },
	{ ZYDIS_MNEMONIC_FXSAVE, h_fxsave, 0 },
	{ ZYDIS_MNEMONIC_FXSAVE64, h_fxsave64, 0 },
	{ ZYDIS_MNEMONIC_FXRSTOR, h_fxrstor, 0 },
	{ ZYDIS_MNEMONIC_FXRSTOR64, h_fxrstor64, 0 },
	{ ZYDIS_MNEMONIC_FNOP, h_fnop, 0 },
	{ ZYDIS_MNEMONIC_FENI8087_NOP, h_x87_legacy_nop, 0 },
	{ ZYDIS_MNEMONIC_FDISI8087_NOP, h_x87_legacy_nop, 0 },
	{ ZYDIS_MNEMONIC_FSETPM287_NOP, h_x87_legacy_nop, 0 },
	/* loads and stores */
	{ ZYDIS_MNEMONIC_FLD, h_fld, 0 },
	{ ZYDIS_MNEMONIC_FILD, h_fld, 0 },
	{ ZYDIS_MNEMONIC_FLD1, h_fld_constant, 0 },
	{ ZYDIS_MNEMONIC_FLDZ, h_fld_constant, 0 },
	{ ZYDIS_MNEMONIC_FLDPI, h_fld_constant, 0 },
	{ ZYDIS_MNEMONIC_FLDL2T, h_fld_constant, 0 },
	{ ZYDIS_MNEMONIC_FLDL2E, h_fld_constant, 0 },
	{ ZYDIS_MNEMONIC_FLDLG2, h_fld_constant, 0 },
	{ ZYDIS_MNEMONIC_FLDLN2, h_fld_constant, 0 },
	{ ZYDIS_MNEMONIC_FST, h_fst, 0 },
	{ ZYDIS_MNEMONIC_FSTP, h_fstp, 0 },
	{ ZYDIS_MNEMONIC_FIST, h_fst, 0 },
	{ ZYDIS_MNEMONIC_FISTP, h_fstp, 0 },
	{ ZYDIS_MNEMONIC_FSTPNCE, h_fstp, 0 },
	{ ZYDIS_MNEMONIC_FBLD, h_fld, 0 },
	{ ZYDIS_MNEMONIC_FBSTP, h_fstp, 0 },
	{ ZYDIS_MNEMONIC_FXCH, h_fxch, 0 },
	{ ZYDIS_MNEMONIC_FFREE, h_ffree, 0 },
	{ ZYDIS_MNEMONIC_FFREEP, h_ffreep, 0 },
	{ ZYDIS_MNEMONIC_FINCSTP, h_fincstp, 0 },
	{ ZYDIS_MNEMONIC_FDECSTP, h_fdecstp, 0 },
	{ ZYDIS_MNEMONIC_FCMOVB, h_fcmov, 0 },
	{ ZYDIS_MNEMONIC_FCMOVE, h_fcmov, 0 },
	{ ZYDIS_MNEMONIC_FCMOVBE, h_fcmov, 0 },
	{ ZYDIS_MNEMONIC_FCMOVU, h_fcmov, 0 },
	{ ZYDIS_MNEMONIC_FCMOVNB, h_fcmov, 0 },
	{ ZYDIS_MNEMONIC_FCMOVNE, h_fcmov, 0 },
	{ ZYDIS_MNEMONIC_FCMOVNBE, h_fcmov, 0 },
	{ ZYDIS_MNEMONIC_FCMOVNU, h_fcmov, 0 },
	/* arithmetic */
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
	/* comparisons */
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
