/* x87 control and state: FNINIT, FNCLEX, the control and status words, WAIT,
 * the register moves (FXCH, FFREE, FINCSTP, FDECSTP, FCMOVcc), and the state
 * images FNSTENV/FLDENV, FNSAVE/FRSTOR and FXSAVE/FXRSTOR (x87.h has the
 * machinery), whose legacy region XSAVE shares (legacy_region.h). */
#include <string.h>

#include "engine/softcpu/handlers.h"
#include "engine/softcpu/legacy_region.h"
#include "engine/softcpu/flags.h"
#include "engine/softcpu/mem.h"
#include "engine/softcpu/sse.h"
#include "engine/softcpu/x87.h"
#include "x86/arch.h"

/* FCW: the exception masks, precision and rounding control and the (ignored)
 * infinity bit are writable; bit 6 reads as one. */
#define FCW_WRITABLE 0x1f3fu
#define FCW_ONES 0x0040u
#define FCW_INIT 0x037fu

/* The MXCSR bits FXRSTOR accepts, reported as MXCSR_MASK (DAZ included). */
#define MXCSR_MASK 0xffffu

HOST_X87_BINARY(host_fxch, "fxch %%st(1)", KEEP_ONE)

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

/* The environment and the FSAVE image move a field at a time, 7 fields of 4
 * bytes or 2 in the 16-bit format, as the AMD host shows: alignment checking
 * (#AC(0) at CPL 3 with CR0.AM and RFLAGS.AC) wants the image aligned to its
 * fields, and comes before any #PF (an FNSAVE 6 bytes before an unmapped page
 * is #AC there); the canonical checks go a field at a time
 * (mem_check_pieces); the pages are probed the first field first, then the
 * last byte (mem_probe_area), which a #PF's CR2 shows. Every check is made
 * before the first byte moves. */
static uint64_t image_check(struct soft_cpu *cpu, const struct insn *in, unsigned len, unsigned acc)
{
	unsigned piece = env_size(in) / 7;
	uint64_t ea = insn_ea(cpu, in, &in->op[0]);

	mem_check_alignment(cpu, seg_linear(cpu, in->op[0].seg, ea, piece, acc), piece, acc);
	mem_check_pieces(cpu, in->op[0].seg, ea, len, piece, acc, 0);
	(void)mem_probe_area(cpu, in->op[0].seg, ea, len, piece, acc, 0);
	return ea;
}

static void image_write(struct soft_cpu *cpu, const struct insn *in, const uint8_t *buf, unsigned len)
{
	unsigned piece = env_size(in) / 7;
	uint64_t ea = image_check(cpu, in, len, ACC_WRITE);

	for (unsigned at = 0; at < len; at += piece) {
		uint64_t v = 0;

		memcpy(&v, buf + at, piece);
		mem_write(cpu, in->op[0].seg, (ea + at) & size_mask(in->addrsize), piece, v);
	}
}

static void image_read(struct soft_cpu *cpu, const struct insn *in, uint8_t *buf, unsigned len)
{
	unsigned piece = env_size(in) / 7;
	uint64_t ea = image_check(cpu, in, len, ACC_READ);

	for (unsigned at = 0; at < len; at += piece) {
		uint64_t v = mem_read(cpu, in->op[0].seg, (ea + at) & size_mask(in->addrsize), piece);

		memcpy(buf + at, &v, piece);
	}
}

/* FNSTENV stores the environment, then masks every exception. */
static void h_fnstenv(struct soft_cpu *cpu, const struct insn *in)
{
	uint8_t buf[28];

	x87_check_nowait(cpu);
	env_store(cpu, in, buf);
	image_write(cpu, in, buf, env_size(in));
	cpu->fpu.fcw |= FSW_EXC;
	x87_update_es(cpu);
}

static void h_fldenv(struct soft_cpu *cpu, const struct insn *in)
{
	uint8_t buf[28];

	x87_check(cpu);
	image_read(cpu, in, buf, env_size(in));
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
	image_write(cpu, in, buf, env + 80);
	x87_init(cpu);
}

static void h_frstor(struct soft_cpu *cpu, const struct insn *in)
{
	uint8_t buf[28 + 80];
	unsigned env = env_size(in);

	x87_check(cpu);
	image_read(cpu, in, buf, env + 80);
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
#define FXSAVE_XMM LEGACY_XMM_OFFSET

static unsigned fxsave_xmm_count(const struct soft_cpu *cpu)
{
	if (!(cpu->cr4 & CR4_OSFXSR))
		return 0;
	return cpu->mode == MODE_LONG64 ? 16 : 8;
}

void legacy_x87_store(const struct soft_cpu *cpu, uint8_t *img, bool wide)
{
	memset(img, 0, LEGACY_MXCSR_OFFSET);
	memset(img + 32, 0, 128);
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
	for (unsigned i = 0; i < 8; i++)
		memcpy(img + 32 + 16 * i, cpu->fpu.st[i], 10);
}

void legacy_x87_load(struct soft_cpu *cpu, const uint8_t *img, bool wide)
{
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
	x87_update_es(cpu);
}

void legacy_x87_init(struct soft_cpu *cpu)
{
	x87_init(cpu);
	memset(cpu->fpu.st, 0, sizeof(cpu->fpu.st));
	x87_update_es(cpu);
}

bool legacy_x87_is_init(const struct soft_cpu *cpu)
{
	static const uint8_t zero[sizeof(cpu->fpu.st)];

	return cpu->fpu.fcw == FCW_INIT && cpu->fpu.fsw == 0 && cpu->fpu.ftw == 0 && cpu->fpu.fop == 0 &&
	       cpu->fpu.fip == 0 && cpu->fpu.fdp == 0 && memcmp(cpu->fpu.st, zero, sizeof(zero)) == 0;
}

void legacy_mxcsr_store(const struct soft_cpu *cpu, uint8_t *img)
{
	put32(img + LEGACY_MXCSR_OFFSET, cpu->fpu.mxcsr);
	put32(img + LEGACY_MXCSR_OFFSET + 4, MXCSR_MASK);
}

uint32_t legacy_mxcsr(const uint8_t *img)
{
	return get32(img + LEGACY_MXCSR_OFFSET);
}

bool legacy_mxcsr_reserved(uint32_t mxcsr)
{
	return (mxcsr & ~MXCSR_MASK) != 0;
}

/* The FXSAVE image's checks in the AMD host's order: in 64-bit mode the
 * first 4 bytes' canonical form (#SS through RBP), then the alignment (#GP,
 * also for an image that only crosses the canonical boundary), then the
 * whole image, written or not, its pages probed first to last byte
 * (mem_probe_area: CR2 = ea + 511 where only the image's end faults), all
 * before FXRSTOR's MXCSR check; mem_*_block check the alignment again. */
static void fxsave_area_check(struct soft_cpu *cpu, const struct insn *in, unsigned acc)
{
	const struct operand *o = &in->op[0];
	uint64_t ea = insn_ea(cpu, in, o);

	if (cpu->mode == MODE_LONG64 && (seg_linear(cpu, o->seg, ea, 4, acc) & 15))
		cpu_raise_gp0(cpu);
	(void)mem_probe_area(cpu, o->seg, ea, FXSAVE_SIZE, 4, acc, 16);
}

static void fxsave(struct soft_cpu *cpu, const struct insn *in, bool wide)
{
	const struct operand *o = &in->op[0];
	uint8_t img[FXSAVE_SIZE];
	unsigned nxmm = fxsave_xmm_count(cpu);

	x87_check_nowait(cpu);
	fxsave_area_check(cpu, in, ACC_WRITE);
	memset(img, 0, sizeof(img));
	legacy_x87_store(cpu, img, wide);
	if (nxmm)
		legacy_mxcsr_store(cpu, img);
	memcpy(img + FXSAVE_XMM, cpu->fpu.xmm, 16 * nxmm);
	mem_write_block(cpu, o->seg, insn_ea(cpu, in, o), img, FXSAVE_XMM + 16 * nxmm, 16);
}

static void fxrstor(struct soft_cpu *cpu, const struct insn *in, bool wide)
{
	const struct operand *o = &in->op[0];
	uint8_t img[FXSAVE_SIZE];
	unsigned nxmm = fxsave_xmm_count(cpu);

	x87_check_nowait(cpu);
	fxsave_area_check(cpu, in, ACC_READ);
	mem_read_block(cpu, o->seg, insn_ea(cpu, in, o), img, FXSAVE_SIZE, 16);
	if (nxmm && legacy_mxcsr_reserved(legacy_mxcsr(img)))
		cpu_raise_gp0(cpu);
	legacy_x87_load(cpu, img, wide);
	if (nxmm) {
		mxcsr_set(cpu, legacy_mxcsr(img));
		memcpy(cpu->fpu.xmm, img + FXSAVE_XMM, 16 * nxmm);
	}
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

const struct dispatch_entry exec_x87_state_table[] = {
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
	{ 0, NULL, 0 },
};
