/* The x87 register stack, its exceptions and operands, and the environment
 * the host's x87 runs a guest operation in (x87.h). */
#include "engine/softcpu/x87.h"

#include <string.h>

#include <Zydis/Zydis.h>

#include "x86/arch.h"

const struct f80 f80_indefinite = { { 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff } };

/* ---- checks -------------------------------------------------------------------- */

/* Every x87 instruction: #NM with CR0.EM or CR0.TS. */
void x87_check_nowait(struct soft_cpu *cpu)
{
	if (cpu->cr0 & (CR0_EM | CR0_TS))
		cpu_raise(cpu, EXC_NM, false, 0);
}

/* Waiting instructions also report a pending unmasked exception first. */
void x87_check(struct soft_cpu *cpu)
{
	x87_check_nowait(cpu);
	if ((cpu->fpu.fsw & FSW_ES) && (cpu->cr0 & CR0_NE))
		cpu_raise(cpu, EXC_MF, false, 0);
}

/* ---- the register stack -------------------------------------------------------- */

unsigned x87_top(const struct soft_cpu *cpu)
{
	return (cpu->fpu.fsw >> 11) & 7;
}

static void x87_set_top(struct soft_cpu *cpu, unsigned top)
{
	cpu->fpu.fsw = (uint16_t)((cpu->fpu.fsw & ~0x3800u) | ((top & 7) << 11));
}

unsigned x87_phys(const struct soft_cpu *cpu, unsigned i)
{
	return (x87_top(cpu) + i) & 7;
}

bool st_empty(const struct soft_cpu *cpu, unsigned i)
{
	return !(cpu->fpu.ftw & (1u << x87_phys(cpu, i)));
}

struct f80 st_get(const struct soft_cpu *cpu, unsigned i)
{
	struct f80 v;

	memcpy(&v, cpu->fpu.st[i], sizeof(v));
	return v;
}

void st_set(struct soft_cpu *cpu, unsigned i, const struct f80 *v)
{
	memcpy(cpu->fpu.st[i], v, sizeof(*v));
	memset(cpu->fpu.st[i] + sizeof(*v), 0, sizeof(cpu->fpu.st[i]) - sizeof(*v));
	cpu->fpu.ftw |= (uint8_t)(1u << x87_phys(cpu, i));
}

/* TOP - 1 (down) or TOP + 1; st[] rotates with it, tags stay with their registers. */
void x87_rotate(struct soft_cpu *cpu, bool down)
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
void x87_load_fsw(struct soft_cpu *cpu, uint16_t fsw)
{
	unsigned d = (((fsw >> 11) & 7) - x87_top(cpu)) & 7;
	uint8_t old[8][16];

	memcpy(old, cpu->fpu.st, sizeof(old));
	for (unsigned i = 0; i < 8; i++)
		memcpy(cpu->fpu.st[i], old[(i + d) & 7], 16);
	cpu->fpu.fsw = fsw;
}

void x87_push(struct soft_cpu *cpu, const struct f80 *v)
{
	x87_rotate(cpu, true);
	st_set(cpu, 0, v);
}

void x87_pop(struct soft_cpu *cpu)
{
	cpu->fpu.ftw &= (uint8_t) ~(1u << x87_top(cpu));
	x87_rotate(cpu, false);
}

/* ---- exceptions ---------------------------------------------------------------- */

/* ES (and B, its copy) says whether an unmasked exception flag is set. */
void x87_update_es(struct soft_cpu *cpu)
{
	if (cpu->fpu.fsw & ~cpu->fpu.fcw & FSW_EXC)
		cpu->fpu.fsw |= FSW_ES | FSW_B;
	else
		cpu->fpu.fsw &= (uint16_t) ~(FSW_ES | FSW_B);
}

/* Record exception flags; true if one of them is unmasked. */
bool x87_exceptions(struct soft_cpu *cpu, unsigned exc)
{
	cpu->fpu.fsw |= (uint16_t)(exc & (FSW_EXC | FSW_SF));
	x87_update_es(cpu);
	return exc & ~cpu->fpu.fcw & FSW_EXC;
}

/* Stack underflow (an empty register read) or overflow (a push onto a full one):
 * invalid operation with SF, C1 telling which. True when masked: the operation
 * goes on with the indefinite QNaN as its value. */
bool x87_stack_fault(struct soft_cpu *cpu, bool overflow)
{
	cpu->fpu.fsw = (uint16_t)((cpu->fpu.fsw & ~FSW_C1) | (overflow ? FSW_C1 : 0));
	return !x87_exceptions(cpu, FSW_IE | FSW_SF);
}

unsigned x87_stoppers(enum x87_result kind)
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
bool x87_complete(struct soft_cpu *cpu, unsigned sw, enum x87_result kind)
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

struct x87_env host_env(const struct soft_cpu *cpu, unsigned n)
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

/* ---- operands ------------------------------------------------------------------ */

static bool is_integer_form(const struct insn *in)
{
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_FILD:
	case ZYDIS_MNEMONIC_FIST:
	case ZYDIS_MNEMONIC_FISTP:
	case ZYDIS_MNEMONIC_FISTTP:
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

enum mem_format mem_format(const struct insn *in, const struct operand *o)
{
	if (in->mnemonic == ZYDIS_MNEMONIC_FBLD || in->mnemonic == ZYDIS_MNEMONIC_FBSTP)
		return MF_BCD;
	if (is_integer_form(in))
		return o->size == 2 ? MF_INT16 : o->size == 4 ? MF_INT32 : MF_INT64;
	return o->size == 4 ? MF_REAL32 : o->size == 8 ? MF_REAL64 : MF_REAL80;
}

/* ST(i) as an operand. An empty register (stack underflow) reads as the
 * indefinite QNaN, so that the host still works out the condition codes the
 * operation leaves; returns true then. */
bool st_operand(const struct soft_cpu *cpu, unsigned i, struct f80 *v)
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
unsigned underflow_status(unsigned sw)
{
	return (sw & ~(FSW_C1 | FSW_EXC)) | FSW_IE | FSW_SF;
}
