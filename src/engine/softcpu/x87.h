/* The x87 FPU's shared machinery, for the files that execute x87
 * instructions: x87.c (the register stack, exceptions, operands),
 * exec_x87_ldst.c (loads and stores), exec_x87_arith.c (arithmetic,
 * transcendental functions, comparisons) and exec_x87_state.c (control and
 * status, register moves, the state images FNSAVE/FRSTOR, FNSTENV/FLDENV,
 * FXSAVE/FXRSTOR).
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
 * (AMD processors do not save them either unless an exception is pending). */
#ifndef RV_SOFTCPU_X87_H
#define RV_SOFTCPU_X87_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/softcpu/insn.h"

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

/* An 80-bit register value, little-endian: significand, then sign and exponent. */
struct f80 {
	uint8_t b[10];
};

/* The indefinite QNaN. */
extern const struct f80 f80_indefinite;

/* Every x87 instruction: #NM with CR0.EM or CR0.TS. */
void x87_check_nowait(struct soft_cpu *cpu);
/* Waiting instructions also report a pending unmasked exception first. */
void x87_check(struct soft_cpu *cpu);

/* ---- the register stack ---- */
unsigned x87_top(const struct soft_cpu *cpu);
unsigned x87_phys(const struct soft_cpu *cpu, unsigned i); /* the physical register of ST(i) */
bool st_empty(const struct soft_cpu *cpu, unsigned i);
struct f80 st_get(const struct soft_cpu *cpu, unsigned i);
void st_set(struct soft_cpu *cpu, unsigned i, const struct f80 *v); /* tags ST(i) valid */
/* TOP - 1 (down) or TOP + 1; st[] rotates with it, tags stay with their registers. */
void x87_rotate(struct soft_cpu *cpu, bool down);
/* A new status word from FNINIT, EMMS or a loaded environment: a new TOP renames
 * the registers, whose contents stay where they are. */
void x87_load_fsw(struct soft_cpu *cpu, uint16_t fsw);
void x87_push(struct soft_cpu *cpu, const struct f80 *v);
void x87_pop(struct soft_cpu *cpu);

/* ---- exceptions ---- */
/* ES (and B, its copy) says whether an unmasked exception flag is set. */
void x87_update_es(struct soft_cpu *cpu);
/* Record exception flags; true if one of them is unmasked. */
bool x87_exceptions(struct soft_cpu *cpu, unsigned exc);
/* Stack underflow (an empty register read) or overflow (a push onto a full one):
 * invalid operation with SF, C1 telling which. True when masked: the operation
 * goes on with the indefinite QNaN as its value. */
bool x87_stack_fault(struct soft_cpu *cpu, bool overflow);

/* Where an operation's result goes, which decides the unmasked exceptions that
 * keep it from being written: invalid operation, denormal operand and divide by
 * zero for all; also overflow and underflow for stores to memory; only invalid
 * operation for loads (a denormal is loaded, as on hardware). */
enum x87_result { TO_REGISTER, TO_MEMORY, LOADED };

#define FSW_PRECOMPUTATION (FSW_IE | FSW_DE | FSW_ZE)
#define FSW_PE 0x0020u

unsigned x87_stoppers(enum x87_result kind);
/* Takes a host operation's status word (x87.c says how); false when an
 * unmasked exception keeps the result from being written. */
bool x87_complete(struct soft_cpu *cpu, unsigned sw, enum x87_result kind);

/* ---- operands ---- */
/* Memory formats: m16/m32/m64 integers, m32/m64/m80 reals, m80 packed BCD. */
enum mem_format { MF_INT16, MF_INT32, MF_INT64, MF_REAL32, MF_REAL64, MF_REAL80, MF_BCD, MF_COUNT };

enum mem_format mem_format(const struct insn *in, const struct operand *o);
/* ST(i) as an operand. An empty register (stack underflow) reads as the
 * indefinite QNaN, so that the host still works out the condition codes the
 * operation leaves; returns true then. */
bool st_operand(const struct soft_cpu *cpu, unsigned i, struct f80 *v);
/* The host's status word after a stack underflow: invalid operation with SF, C1
 * cleared, and otherwise the condition codes the host left. */
unsigned underflow_status(unsigned sw);

/* ---- the host's x87 ---- */
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

/* The environment for an operation on n values. */
struct x87_env host_env(const struct soft_cpu *cpu, unsigned n);

#define X87_ENTER "fnstenv %[saved]\n\tfninit\n\t"
#define X87_GUEST "fldenv %[env]\n\t"
#define X87_STATUS "fnstsw %[sw]\n\t"
#define X87_LEAVE "fldenv %[saved]"
/* FNINIT and the loads touch the whole register stack. */
#define X87_CLOBBERS "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)"

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

#endif
