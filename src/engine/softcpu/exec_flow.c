/* Control transfers: jumps, calls, returns, loops, software interrupts, IRET. */
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/flags.h"
#include "engine/softcpu/events.h"
#include "engine/softcpu/segment.h"
#include "engine/softcpu/stack.h"
#include "x86/descriptor.h"

/* A near branch target: relative to the next instruction or absolute, truncated to
 * the operand size (16-bit code wraps IP at 64 KiB). */
static uint64_t near_target(struct soft_cpu *cpu, const struct insn *in, const struct operand *o)
{
	uint64_t t = o->kind == OK_IMM ? cpu->rip_next + o->imm : op_read(cpu, in, o);

	return in->opsize == 8 ? t : t & size_mask(in->opsize);
}

static void jump_near(struct soft_cpu *cpu, uint64_t target)
{
	/* Outside 64-bit mode the target must lie within CS. */
	if (cpu->mode != MODE_LONG64 && target > cpu->seg[SREG_CS].limit)
		cpu_raise(cpu, EXC_GP, true, 0);
	if (cpu->mode == MODE_LONG64 && !is_canonical(target))
		cpu_raise(cpu, EXC_GP, true, 0);
	cpu->rip_next = target;
}

/* Load CS for a far JMP/CALL/RET to a code segment (no gates, no task switch). */
static void load_cs_far(struct soft_cpu *cpu, uint16_t sel, uint64_t target)
{
	struct x86_segment old_cs = cpu->seg[SREG_CS];

	if (cpu->mode == MODE_REAL)
		x86_segment_real(&cpu->seg[SREG_CS], sel, 0xb);
	else /* JMP and CALL keep the privilege level: RPL := CPL */
		segment_load(cpu, SREG_CS, (uint16_t)((sel & ~3u) | cpu->cpl));
	cpu_update_mode(cpu);
	cpu->rip_next = target & (cpu->mode == MODE_LONG64 ? ~0ull : 0xffffffffull);
	if (cpu->mode != MODE_LONG64 && cpu->rip_next > cpu->seg[SREG_CS].limit) {
		/* The fault belongs to the transfer: CS is still the old one. */
		cpu->seg[SREG_CS] = old_cs;
		cpu_update_mode(cpu);
		cpu_raise(cpu, EXC_GP, true, 0);
	}
}

static void h_jmp(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *o = &in->op[0];

	if (o->kind == OK_FAR) {
		load_cs_far(cpu, o->sel, o->imm);
		return;
	}
	if (o->kind == OK_MEM && (in->flags & INSN_FAR)) { /* JMP m16:16/32, REX.W or not */
		uint64_t off;
		uint16_t sel;

		far_pointer_read(cpu, in, o, &off, &sel);
		load_cs_far(cpu, sel, off);
		return;
	}
	jump_near(cpu, near_target(cpu, in, o));
}

static void h_jcc(struct soft_cpu *cpu, const struct insn *in)
{
	if (flags_cond(cpu, in->cc)) {
		jump_near(cpu, near_target(cpu, in, &in->op[0]));
		if (in->flags & INSN_SIDE_EXIT)
			cpu->leave_block = true;
	}
}

static void h_jcxz(struct soft_cpu *cpu, const struct insn *in)
{
	if (reg_read(cpu, GPR_RCX, in->addrsize) == 0)
		jump_near(cpu, near_target(cpu, in, &in->op[0]));
}

static void do_loop(struct soft_cpu *cpu, const struct insn *in, int need_zf)
{
	uint64_t c = (reg_read(cpu, GPR_RCX, in->addrsize) - 1) & size_mask(in->addrsize);
	bool zf = flags_arith(cpu) & RFLAGS_ZF;
	uint64_t target = near_target(cpu, in, &in->op[0]);

	reg_write(cpu, GPR_RCX, in->addrsize, c);
	if (c != 0 && (need_zf < 0 || zf == (need_zf != 0)))
		jump_near(cpu, target);
}

static void h_loop(struct soft_cpu *cpu, const struct insn *in)
{
	do_loop(cpu, in, -1);
}
static void h_loope(struct soft_cpu *cpu, const struct insn *in)
{
	do_loop(cpu, in, 1);
}
static void h_loopne(struct soft_cpu *cpu, const struct insn *in)
{
	do_loop(cpu, in, 0);
}

static void h_call(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *o = &in->op[0];

	if (o->kind == OK_FAR || (o->kind == OK_MEM && (in->flags & INSN_FAR))) {
		uint64_t off, mask = stack_mask(cpu);
		uint16_t sel;
		struct x86_segment old_cs = cpu->seg[SREG_CS], new_cs;
		uint64_t ret = cpu->rip_next;
		unsigned sz = in->opsize;

		if (o->kind == OK_FAR) {
			sel = o->sel;
			off = o->imm;
		} else {
			/* m16:32 with REX.W too, whose pushes are still 8 bytes each. */
			far_pointer_read(cpu, in, o, &off, &sel);
		}
		/* The AMD host checks the new CS (#GP) before the pushes, and both
		 * pushes (a #PF of CS's slot first) before it writes either: CS is
		 * loaded, put back for the pushes, then taken again. */
		load_cs_far(cpu, sel, off);
		new_cs = cpu->seg[SREG_CS];
		cpu->seg[SREG_CS] = old_cs;
		cpu_update_mode(cpu);
		(void)mem_block_writable(cpu, SREG_SS, (cpu->gpr[GPR_RSP] - sz) & mask, sz, 0);
		(void)mem_block_writable(cpu, SREG_SS, (cpu->gpr[GPR_RSP] - 2 * sz) & mask, sz, 0);
		stack_push(cpu, sz, old_cs.selector);
		stack_push(cpu, sz, ret);
		cpu->seg[SREG_CS] = new_cs;
		cpu_update_mode(cpu);
		return;
	}
	{
		uint64_t target = near_target(cpu, in, o);

		stack_push(cpu, in->opsize, cpu->rip_next & size_mask(in->opsize));
		jump_near(cpu, target);
	}
}

static void h_retf(struct soft_cpu *cpu, const struct insn *in);

static void h_ret(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t target;

	if (in->flags & INSN_FAR) {
		h_retf(cpu, in);
		return;
	}
	target = stack_peek(cpu, in->opsize, 0);

	if (in->opsize != 8)
		target &= size_mask(in->opsize);
	jump_near(cpu, target);
	stack_set_sp(cpu, cpu->gpr[GPR_RSP] + in->opsize + (in->nops ? in->op[0].imm : 0));
	if ((in->flags & INSN_FOLLOWED) && target != insn_next_lin(in, cpu->rip))
		cpu->leave_block = true;
}

/* INT n, INT3, INTO: software interrupts delivered through the IDT with the
 * return address after the instruction. */
static void soft_int(struct soft_cpu *cpu, uint8_t vector, enum x86_event_type type)
{
	/* The frame gets the next instruction's address; a fault while delivering
	 * keeps RIP at this one, where the SDM says a fault points. */
	fault_deliver(cpu, vector, type, false, 0);
	cpu->rip_next = cpu->rip;
}

static void h_int(struct soft_cpu *cpu, const struct insn *in)
{
	soft_int(cpu, (uint8_t)in->op[0].imm, EVENT_SOFTINT);
}

/* INT3 and INTO are software interrupts for delivery: the gate's DPL is checked
 * and EXT is 0 in error codes. */
static void h_int3(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	soft_int(cpu, EXC_BP, EVENT_SOFTINT);
}

/* INT1 (ICEBP, F1): #DB as a trap, without the gate-privilege check of INT n. */
static void h_int1(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	cpu->rip = cpu->rip_next;
	fault_deliver(cpu, EXC_DB, EVENT_EXCEPTION, false, 0);
	cpu->rip_next = cpu->rip;
}

static void h_into(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	if (cpu->mode == MODE_LONG64)
		cpu_raise_ud(cpu);
	if (flags_arith(cpu) & RFLAGS_OF)
		soft_int(cpu, EXC_OF, EVENT_SOFTINT);
}

/* Returning to an outer ring, data segments the new ring may not use become null
 * (the IRET and RET pseudocode: DPL below the CPL, unless conforming code). */
static void null_inaccessible_segments(struct soft_cpu *cpu)
{
	static const unsigned data_segs[] = { SREG_ES, SREG_DS, SREG_FS, SREG_GS };

	for (unsigned i = 0; i < 4; i++) {
		struct x86_segment *s = &cpu->seg[data_segs[i]];
		bool conforming_code = (s->type & 0xc) == 0xc;

		if (!s->unusable && s->s && !conforming_code && s->dpl < cpu->cpl) {
			s->selector = 0;
			s->unusable = 1;
			s->present = 0;
		}
	}
}

static void h_retf(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned sz = in->opsize;
	uint64_t target, imm = in->nops ? in->op[0].imm : 0;
	uint16_t sel;
	uint64_t sp = 0;
	uint16_t ss = 0;
	bool outer;

	/* CS is read before RIP, each slot an access of its own (#SS or #PF
	 * of the CS slot first), as on the AMD host. */
	sel = (uint16_t)stack_peek(cpu, sz, sz);
	target = stack_peek(cpu, sz, 0);
	outer = cpu->mode != MODE_REAL && (sel & 3) > cpu->cpl;

	if (cpu->mode != MODE_REAL && (sel & 3) != cpu->cpl) {
		/* Another ring: SS:RSP of the caller follow CS:RIP (and the bytes
		 * released by RETF imm) on the stack. The AMD host reads them, SS
		 * first, whenever the RPL is not the CPL, so for a return to an
		 * inner ring (a null CS with RPL 0 included) their #PF or #SS comes
		 * before its #GP; a null CS with RPL = CPL is #GP(0) without them
		 * (segment_load). */
		ss = (uint16_t)stack_peek(cpu, sz, 3 * sz + (unsigned)imm);
		sp = stack_peek(cpu, sz, 2 * sz + (unsigned)imm);
	}
	if (cpu->mode != MODE_REAL && (sel & 3) < cpu->cpl)
		cpu_raise(cpu, EXC_GP, true, sel & 0xfffc);
	if (cpu->mode == MODE_REAL) {
		load_cs_far(cpu, sel, target & size_mask(sz));
	} else {
		struct x86_segment old_cs = cpu->seg[SREG_CS];

		segment_load(cpu, SREG_CS, sel); /* the new CPL is the selector's RPL */
		cpu_update_mode(cpu);
		cpu->rip_next = sz == 8 ? target : target & size_mask(sz);
		if (cpu->mode != MODE_LONG64 && cpu->rip_next > cpu->seg[SREG_CS].limit) {
			/* #GP(0) at the RET, with CS as it was (SDM Vol. 2, RET). */
			cpu->seg[SREG_CS] = old_cs;
			cpu_update_mode(cpu);
			cpu_raise(cpu, EXC_GP, true, 0);
		}
	}
	if (outer) {
		segment_load(cpu, SREG_SS, ss);
		cpu->gpr[GPR_RSP] = sz == 8 ? sp : (cpu->gpr[GPR_RSP] & ~size_mask(sz)) | (sp & size_mask(sz));
		stack_set_sp(cpu, cpu->gpr[GPR_RSP] + imm);
		null_inaccessible_segments(cpu);
	} else {
		stack_set_sp(cpu, cpu->gpr[GPR_RSP] + 2 * sz + imm);
	}
	cpu->leave_block = true;
}

/* IRET: real mode and same-privilege or outer-privilege returns in protected and
 * long mode (no task returns, no virtual-8086 mode). */
static void iret_frame(struct soft_cpu *cpu, const struct insn *in)
{
	unsigned sz = in->opsize;
	/* The AMD host reads the slots one at a time, each its own access for
	 * the canonical and paging checks: RFLAGS, CS, RIP, then SS and RSP
	 * (a #PF's CR2 and #SS versus #PF show it, tests/unit). */
	uint64_t fl = stack_peek(cpu, sz, 2 * sz);
	uint16_t cs = (uint16_t)stack_peek(cpu, sz, sz);
	uint64_t ip = stack_peek(cpu, sz, 0);
	uint64_t keep = 0, sp = 0;
	uint16_t ss = 0;
	bool outer;

	if (cpu->mode == MODE_REAL) {
		stack_set_sp(cpu, cpu->gpr[GPR_RSP] + 3 * sz);
		x86_segment_real(&cpu->seg[SREG_CS], cs, 0xb);
		fl = (flags_get(cpu) & ~size_mask(sz)) | (fl & size_mask(sz));
		flags_set_arith(cpu, fl);
		cpu->rflags = (fl & ~0x3000ull) | (cpu->rflags & 0x3000ull) | 0x2;
		cpu->rip_next = ip & size_mask(sz);
		cpu->leave_block = true;
		return;
	}
	if (cpu->rflags & RFLAGS_NT)
		cpu_raise(cpu, EXC_GP, true, 0); /* task return: not modelled */
	outer = (cs & 3) > cpu->cpl;
	if (outer || cpu->mode == MODE_LONG64) {
		ss = (uint16_t)stack_peek(cpu, sz, 4 * sz);
		sp = stack_peek(cpu, sz, 3 * sz);
	}
	if ((cs & 3) < cpu->cpl)
		cpu_raise(cpu, EXC_GP, true, cs & 0xfffc);
	/* Which RFLAGS bits the return may change depends on the privilege. */
	keep = RFLAGS_VM | RFLAGS_VIP | RFLAGS_VIF;
	if (cpu->cpl > 0)
		keep |= RFLAGS_IOPL_MASK;
	if (cpu->cpl > ((cpu->rflags & RFLAGS_IOPL_MASK) >> 12))
		keep |= RFLAGS_IF;
	if (sz == 2)
		fl = (cpu->rflags & ~0xffffull) | (fl & 0xffff);
	segment_load(cpu, SREG_CS, cs);
	fl = (fl & ~keep) | (flags_get(cpu) & keep);
	flags_set_arith(cpu, fl);
	cpu->rflags = (fl & 0x3f7fd7ull) | 0x2;
	cpu_update_mode(cpu);
	if (outer || cpu->mode == MODE_LONG64) {
		segment_load(cpu, SREG_SS, ss);
		cpu->gpr[GPR_RSP] = sz == 8 ? sp : (cpu->gpr[GPR_RSP] & ~size_mask(sz)) | (sp & size_mask(sz));
	} else {
		stack_set_sp(cpu, cpu->gpr[GPR_RSP] + 3 * sz);
	}
	if (outer)
		null_inaccessible_segments(cpu);
	cpu->rip_next = cpu->mode == MODE_LONG64 ? ip : ip & 0xffffffffull;
	cpu->leave_block = true;
}

static void h_iret(struct soft_cpu *cpu, const struct insn *in)
{
	iret_frame(cpu, in);
	/* An IRET that completes ends the blocking of NMIs (SDM Vol. 3, 7.7.1). */
	cpu->nmi_masked = false;
}

const struct dispatch_entry exec_flow_table[] = {
	{ ZYDIS_MNEMONIC_JMP, h_jmp, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JO, h_jcc, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JNO, h_jcc, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JB, h_jcc, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JNB, h_jcc, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JZ, h_jcc, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JNZ, h_jcc, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JBE, h_jcc, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JNBE, h_jcc, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JS, h_jcc, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JNS, h_jcc, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JP, h_jcc, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JNP, h_jcc, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JL, h_jcc, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JNL, h_jcc, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JLE, h_jcc, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JNLE, h_jcc, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JCXZ, h_jcxz, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JECXZ, h_jcxz, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_JRCXZ, h_jcxz, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_LOOP, h_loop, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_LOOPE, h_loope, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_LOOPNE, h_loopne, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_CALL, h_call, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_RET, h_ret, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_INT, h_int, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_INT3, h_int3, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_INT1, h_int1, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_INTO, h_into, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_IRET, h_iret, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_IRETD, h_iret, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_IRETQ, h_iret, INSN_END_BLOCK },
	{ 0, NULL, 0 },
};
