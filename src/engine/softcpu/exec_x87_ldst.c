/* x87 loads and stores: FLD/FILD/FBLD, the constants, FST/FIST/FBSTP and
 * their popping forms, and SSE3's FISTTP (x87.h has the machinery). */
#include <string.h>

#include "engine/softcpu/handlers.h"
#include "engine/softcpu/mem.h"
#include "engine/softcpu/x87.h"

#define FCW_RC_CHOP 0x0c00u /* rounding control: toward zero */

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
		/* An m80 is read as 8 bytes, then 2 (mem_check_pieces). */
		mem_check_pieces(cpu, o->seg, insn_ea(cpu, in, o), o->size, 8, ACC_READ, 0);
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

/* FST/FSTP/FIST/FISTP/FISTTP/FBSTP: ST(0) to a register or to memory in any format. The
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
	/* FISTTP (SSE3) is FISTP rounding toward zero whatever RC says: the host's
	 * FISTP with RC = chop gives its result, exceptions and C1. */
	if (in->mnemonic == ZYDIS_MNEMONIC_FISTTP)
		env.fcw |= FCW_RC_CHOP;
	underflow = st_operand(cpu, 0, &a);
	sw = host_store[fmt](&env, &a, buf) | tiny_store(cpu, fmt, buf);
	if (underflow)
		sw = underflow_status(sw);
	/* The memory write comes first: if it faults, nothing has changed. */
	if (kind == TO_MEMORY && !(sw & ~cpu->fpu.fcw & x87_stoppers(kind))) {
		mem_check_pieces(cpu, o->seg, insn_ea(cpu, in, o), o->size, 8, ACC_WRITE, 0);
		mem_write_block(cpu, o->seg, insn_ea(cpu, in, o), buf, o->size, 0);
	}
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

const struct dispatch_entry exec_x87_ldst_table[] = {
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
	{ ZYDIS_MNEMONIC_FISTTP, h_fstp, 0 },
	{ ZYDIS_MNEMONIC_FSTPNCE, h_fstp, 0 },
	{ ZYDIS_MNEMONIC_FBLD, h_fld, 0 },
	{ ZYDIS_MNEMONIC_FBSTP, h_fstp, 0 },
	{ 0, NULL, 0 },
};
