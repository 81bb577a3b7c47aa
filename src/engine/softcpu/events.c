/* Delivering exceptions and interrupts (Intel SDM Vol. 3, chapter 7): the real-mode
 * vector table, protected-mode gates with a stack switch from the TSS, long-mode
 * gates with the IST, and the double- and triple-fault rules. Task gates and
 * virtual-8086 mode are not modelled: a task gate raises #GP. Then what happens
 * between instructions: NMIs, external interrupts, the interrupt window, HLT. */
#include "engine/softcpu/events.h"

#include <string.h>

#include "engine/softcpu/flags.h"
#include "engine/softcpu/replay.h"
#include "engine/softcpu/segment.h"
#include "engine/softcpu/stack.h"
#include "x86/descriptor.h"

/* Exceptions that can turn a second one into #DF (SDM table 7-4). */
static bool contributory(uint8_t v)
{
	return v == EXC_DE || v == EXC_TS || v == EXC_NP || v == EXC_SS || v == EXC_GP;
}

static uint64_t sys_read(struct soft_cpu *cpu, uint64_t lin, unsigned size)
{
	return mem_read_lin(cpu, lin, size, ACC_READ | ACC_SYSTEM);
}

static void push_sys(struct soft_cpu *cpu, uint64_t *sp, uint64_t ss_base, unsigned size, uint64_t v, uint64_t mask)
{
	*sp = (*sp - size) & mask;
	mem_write_lin(cpu, (ss_base + *sp) & (cpu->efer & (1ull << 10) ? ~0ull : 0xffffffffull), size, v,
		      ACC_WRITE | ACC_SYSTEM);
}

/* Real mode: FLAGS, CS, IP pushed through SS. SP is committed only after the
 * whole frame is written, so that a delivery abandoned for an exit (the stack in
 * MMIO) runs again from its start with nothing changed. */
static void deliver_real(struct soft_cpu *cpu, uint8_t vector, uint64_t ret)
{
	uint64_t entry, sp = cpu->gpr[GPR_RSP];
	uint64_t mask = stack_mask(cpu);

	if ((uint64_t)vector * 4 + 3 > cpu->idtr.limit)
		cpu_raise(cpu, EXC_GP, true, (uint32_t)vector * 8 + 2);
	entry = sys_read(cpu, cpu->idtr.base + vector * 4u, 4);
	sp = (sp - 2) & mask;
	mem_write(cpu, SREG_SS, sp, 2, flags_get(cpu));
	sp = (sp - 2) & mask;
	mem_write(cpu, SREG_SS, sp, 2, cpu->seg[SREG_CS].selector);
	sp = (sp - 2) & mask;
	mem_write(cpu, SREG_SS, sp, 2, ret);
	stack_set_sp(cpu, sp);
	cpu->rflags &= ~(RFLAGS_IF | RFLAGS_TF | RFLAGS_AC | RFLAGS_RF);
	x86_segment_real(&cpu->seg[SREG_CS], (uint16_t)(entry >> 16), 0xb);
	cpu->rip = entry & 0xffff;
}

/* The target code segment of a gate, checked; returns its descriptor. */
static uint64_t gate_target(struct soft_cpu *cpu, uint16_t sel, uint32_t ext)
{
	struct x86_segment cs;
	uint64_t d;

	if ((sel & 0xfffc) == 0)
		cpu_raise(cpu, EXC_GP, true, ext);
	d = segment_descriptor(cpu, sel, EXC_GP);
	x86_descriptor_decode(d, sel, &cs);
	if (!cs.s || !(cs.type & 0x8) || cs.dpl > cpu->cpl)
		cpu_raise(cpu, EXC_GP, true, (sel & 0xfffc) | ext);
	if (!cs.present)
		cpu_raise(cpu, EXC_NP, true, (sel & 0xfffc) | ext);
	return d;
}

static void deliver_protected(struct soft_cpu *cpu, uint8_t vector, enum x86_event_type type, bool has_error,
			      uint32_t error, uint64_t ret)
{
	bool long_mode = cpu->efer & (1ull << 10);
	unsigned gsize = long_mode ? 16 : 8;
	uint32_t ext = type == EVENT_SOFTINT ? 0 : 1;
	uint32_t idt_err = (uint32_t)vector * 8 + 2 + ext;
	uint64_t lo, hi = 0, offset, desc, sp, ss_base, old_sp = cpu->gpr[GPR_RSP], old_flags = flags_get(cpu);
	/* A fault pushes RF = 1, so that IRET back to the instruction does not stop
	 * on its instruction breakpoint again (SDM 17.3.1.1); traps and interrupts
	 * push it as it is. */
	uint64_t pushed_flags =
	    old_flags |
	    (type == EVENT_EXCEPTION && vector != EXC_DB && vector != EXC_BP && vector != EXC_OF ? RFLAGS_RF : 0);
	uint16_t sel, old_cs = cpu->seg[SREG_CS].selector, old_ss = cpu->seg[SREG_SS].selector, new_ss = 0;
	struct x86_segment cs, ss;
	unsigned gtype, gdpl, ist, dpl, psize;
	bool to_inner;

	if ((uint64_t)vector * gsize + gsize - 1 > cpu->idtr.limit)
		cpu_raise(cpu, EXC_GP, true, idt_err);
	lo = sys_read(cpu, cpu->idtr.base + (uint64_t)vector * gsize, 8);
	if (long_mode)
		hi = sys_read(cpu, cpu->idtr.base + (uint64_t)vector * gsize + 8, 8);
	/* Type and S together: an entry with S = 1 (a code or data descriptor, or
	 * all ones read from MMIO) is no gate. */
	if ((lo >> 44) & 1)
		cpu_raise(cpu, EXC_GP, true, idt_err);
	gtype = (lo >> 40) & 0xf;
	gdpl = (lo >> 45) & 3;
	ist = long_mode ? (lo >> 32) & 7 : 0;
	sel = (uint16_t)(lo >> 16);
	offset = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ull) | (long_mode ? (hi & 0xffffffffull) << 32 : 0);
	/* Interrupt (x110) and trap (x111) gates; 16-bit ones only outside long mode. */
	if (long_mode ? (gtype != 0xe && gtype != 0xf) : (gtype != 0xe && gtype != 0xf && gtype != 0x6 && gtype != 0x7))
		cpu_raise(cpu, EXC_GP, true, idt_err);
	if (type == EVENT_SOFTINT && gdpl < cpu->cpl)
		cpu_raise(cpu, EXC_GP, true, idt_err);
	if (!((lo >> 47) & 1))
		cpu_raise(cpu, EXC_NP, true, idt_err);
	/* A long-mode handler address must be canonical (SDM Vol. 3, 7.14.1: #GP). */
	if (long_mode && (uint64_t)((int64_t)(offset << 16) >> 16) != offset)
		cpu_raise(cpu, EXC_GP, true, ext);
	desc = gate_target(cpu, sel, ext);
	x86_descriptor_decode(desc, sel, &cs);
	if (long_mode && (!cs.l || cs.db))
		cpu_raise(cpu, EXC_GP, true, (sel & 0xfffc) | ext);
	/* Outside long mode the handler must lie within its code segment. */
	if (!long_mode && (offset & (gtype & 0x8 ? 0xffffffffull : 0xffffull)) > cs.limit)
		cpu_raise(cpu, EXC_GP, true, ext);
	dpl = (cs.type & 0x4) ? cpu->cpl : cs.dpl; /* conforming code keeps the CPL */
	to_inner = dpl < cpu->cpl;
	psize = long_mode ? 8 : (gtype & 0x8) ? 4 : 2;

	if (long_mode) {
		if (ist)
			sp = sys_read(cpu, cpu->tr.base + 0x24 + (ist - 1) * 8, 8);
		else if (to_inner)
			sp = sys_read(cpu, cpu->tr.base + 4 + dpl * 8, 8);
		else
			sp = old_sp;
		sp &= ~0xfull; /* the frame is 16-byte aligned */
		ss_base = 0;
	} else if (to_inner) {
		struct x86_segment nss;

		/* 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n. */
		sp = sys_read(cpu, cpu->tr.base + 4 + dpl * 8, 4);
		new_ss = (uint16_t)sys_read(cpu, cpu->tr.base + 8 + dpl * 8, 2);
		if ((new_ss & 0xfffc) == 0)
			cpu_raise(cpu, EXC_TS, true, ext);
		x86_descriptor_decode(segment_descriptor(cpu, new_ss, EXC_TS), new_ss, &nss);
		if ((new_ss & 3) != dpl || nss.dpl != dpl || !nss.s || (nss.type & 0xa) != 0x2)
			cpu_raise(cpu, EXC_TS, true, (new_ss & 0xfffc) | ext);
		if (!nss.present)
			cpu_raise(cpu, EXC_SS, true, (new_ss & 0xfffc) | ext);
		ss = nss;
		ss_base = ss.base;
	} else {
		sp = old_sp;
		ss_base = cpu->seg[SREG_SS].base;
	}

	{
		uint64_t mask = long_mode ? ~0ull : (to_inner ? (ss.db ? 0xffffffffull : 0xffffull) : stack_mask(cpu));

		if (long_mode || to_inner) {
			push_sys(cpu, &sp, ss_base, psize, old_ss, mask);
			push_sys(cpu, &sp, ss_base, psize, old_sp, mask);
		}
		push_sys(cpu, &sp, ss_base, psize, pushed_flags, mask);
		push_sys(cpu, &sp, ss_base, psize, old_cs, mask);
		push_sys(cpu, &sp, ss_base, psize, ret, mask);
		if (has_error)
			push_sys(cpu, &sp, ss_base, psize, error, mask);
	}

	/* Commit: the frame is written. */
	x86_descriptor_decode(desc, (uint16_t)((sel & 0xfffc) | dpl), &cpu->seg[SREG_CS]);
	cpu->seg[SREG_CS].dpl = (uint8_t)dpl;
	if (long_mode) {
		if (to_inner) {
			/* A null SS with RPL = the new CPL. */
			memset(&cpu->seg[SREG_SS], 0, sizeof(cpu->seg[SREG_SS]));
			cpu->seg[SREG_SS].selector = (uint16_t)dpl;
			cpu->seg[SREG_SS].unusable = 1;
			cpu->seg[SREG_SS].dpl = (uint8_t)dpl;
		}
		cpu->gpr[GPR_RSP] = sp;
	} else if (to_inner) {
		cpu->seg[SREG_SS] = ss;
		cpu->gpr[GPR_RSP] = sp;
	} else {
		stack_set_sp(cpu, sp);
	}
	cpu->rflags = old_flags & ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM);
	cpu->lf.op = LF_NONE;
	if (!(gtype & 1))
		cpu->rflags &= ~RFLAGS_IF; /* interrupt gate */
	cpu_update_mode(cpu);
	cpu->rip = long_mode ? offset : offset & (psize == 2 ? 0xffff : 0xffffffff);
}

/* Delivers cpu->delivering; fault_depth is 1 meanwhile, so that a fault on the
 * way is combined with it (fault_deliver). */
static void deliver_current(struct soft_cpu *cpu)
{
	const struct x86_event *ev = &cpu->delivering;
	uint64_t ret = ev->type == EVENT_SOFTINT ? cpu->rip_next : cpu->rip;

	cpu->fault_depth = 1;
	flags_materialize(cpu);
	if (cpu->mode == MODE_REAL)
		deliver_real(cpu, ev->vector, ret);
	else
		deliver_protected(cpu, ev->vector, (enum x86_event_type)ev->type, ev->has_error_code, ev->error_code,
				  ret);
	cpu->fault_depth = 0;
	cpu->halted = false;
	cpu->leave_block = true;
	cpu->dbg.delivered = true;
	cpu->dbg.hits = 0; /* the delivery's own stack writes (real mode) hit no breakpoint */
	cpu->dbg.rep_unfinished = false;
}

void fault_deliver(struct soft_cpu *cpu, uint8_t vector, enum x86_event_type type, bool has_error, uint32_t error)
{
	/* SDM Vol. 3, table 7-5: only a hardware exception followed by another turns
	 * into #DF; after an interrupt or a benign exception the second one is
	 * delivered serially (and becomes the event being delivered). */
	if (cpu->fault_depth > 0 && type == EVENT_EXCEPTION && cpu->delivering.type == EVENT_EXCEPTION) {
		uint8_t first = cpu->delivering.vector;

		if (first == EXC_DF) {
			/* A fault while delivering #DF: the processor shuts down. */
			cpu->fault_depth = 0;
			memset(&cpu->exit, 0, sizeof(cpu->exit));
			cpu->exit.reason = EXIT_SHUTDOWN;
			cpu->exit.rip = cpu->rip;
			cpu->exit_ready = true;
			cpu->leave_block = true;
			return;
		}
		if ((contributory(first) && contributory(vector)) ||
		    (first == EXC_PF && (contributory(vector) || vector == EXC_PF))) {
			vector = EXC_DF;
			has_error = true;
			error = 0;
		}
	}
	cpu->delivering = (struct x86_event){ (uint8_t)type, vector, has_error, error };
	deliver_current(cpu);
}

void fault_deliver_again(struct soft_cpu *cpu)
{
	deliver_current(cpu);
}

void cpu_deliver_event(struct soft_cpu *cpu, uint8_t vector, enum x86_event_type type, bool has_error, uint32_t error)
{
	cpu->event_in_flight = true;
	fault_deliver(cpu, vector, type, has_error, error);
	cpu->event_in_flight = false;
	replay_commit(cpu);
}

/* ---- between instructions ------------------------------------------------------ */

bool events_at_boundary_slow(struct soft_cpu *cpu)
{
	if (__atomic_exchange_n(&cpu->kicked, 0, __ATOMIC_ACQ_REL)) {
		replay_take_exit(cpu, EXIT_INTERRUPTED);
		return true;
	}
	/* NMI before external interrupts; blocked while an NMI handler runs (until
	 * IRET) and by the MOV SS / STI shadow. */
	if (cpu->nmi_pending && !cpu->nmi_masked && !cpu->interrupt_shadow) {
		cpu->nmi_pending = false;
		cpu->nmi_masked = true;
		cpu->halted = false;
		cpu_deliver_event(cpu, EXC_NMI, EVENT_NMI, false, 0);
		if (cpu->exit_ready)
			return true;
	}
	if (cpu->pending_irq >= 0 && events_interrupts_open(cpu)) {
		uint8_t vector = (uint8_t)cpu->pending_irq;

		cpu->pending_irq = -1;
		cpu->halted = false;
		/* After an iteration of a REP string instruction but the last, the
		 * pushed RF is 1 (SDM 17.3.1.1), so that an instruction breakpoint on it
		 * does not fire again when it resumes. */
		if (cpu->dbg.rep_unfinished)
			cpu->rflags |= RFLAGS_RF;
		cpu_deliver_event(cpu, vector, EVENT_EXTINT, false, 0);
		if (cpu->exit_ready)
			return true;
	}
	if (cpu->want_irq_window && events_interrupts_open(cpu) && cpu->pending_irq < 0) {
		cpu->want_irq_window = false;
		replay_take_exit(cpu, EXIT_INTERRUPT_WINDOW);
		return true;
	}
	if (cpu->halted) {
		replay_take_exit(cpu, EXIT_HLT);
		cpu->exit.hlt.interrupts_enabled = (cpu->rflags & RFLAGS_IF) != 0;
		return true;
	}
	return false;
}

int events_inject_interrupt(struct soft_cpu *cpu, uint8_t vector)
{
	if (!events_interrupts_open(cpu) || cpu->pending_irq >= 0)
		return -1;
	cpu->pending_irq = vector;
	return 0;
}

void events_inject_nmi(struct soft_cpu *cpu)
{
	cpu->nmi_pending = true;
}

void events_kick(struct soft_cpu *cpu)
{
	__atomic_store_n(&cpu->kicked, 1, __ATOMIC_RELEASE);
}
