/* The debug architecture of the soft CPU (see debug.h). Facts from the Intel SDM
 * Vol. 3, chapter 17 (sections 17.2, debug registers, and 17.3, debug exceptions)
 * and Vol. 2 (MOV DR), and the AMD APM Vol. 2, chapter 13, which agree on
 * everything modelled here:
 *
 * - DR6 bits 4-11 and 16-31 read as 1, bit 12 as 0; DR7 bit 10 reads as 1 and bits
 *   11, 12, 14 and 15 as 0. Writing 1 to bits 63:32 of DR6 or DR7 is #GP(0).
 * - DR4 and DR5 are DR6 and DR7 while CR4.DE is clear, and #UD while it is set.
 *   MOV DR needs CPL 0 (#GP(0)); with DR7.GD set it raises a #DB fault with
 *   DR6.BD instead, and GD is cleared as the #DB is delivered.
 * - Instruction breakpoints are faults, checked before the instruction unless
 *   RFLAGS.RF is set; RF is cleared at the start of every instruction after that
 *   check. Data breakpoints (R/W 01: writes, 11: reads and writes) and I/O
 *   breakpoints (R/W 10 with CR4.DE) are traps after the access's instruction, or
 *   after the iteration of a repeated string instruction. LEN 00, 01, 11, 10: 1,
 *   2, 4, 8 bytes; the low address bits that LEN covers are ignored.
 * - B0-B3 report the breakpoints met; the SDM allows them to be set for matching
 *   breakpoints that are not enabled as well, and a handler must not rely on
 *   either, so only enabled ones are reported here. Every #DB but ICEBP's sets
 *   B0-B3 to the breakpoints it reports (so a single-step or general-detect #DB
 *   clears them); BD, BS and BT are only ever set by the processor, never
 *   cleared (kvm-unit-tests' x86/debug.c checks both on hardware).
 * - Single-step: a #DB trap with DR6.BS after an instruction that began with TF
 *   set, so POPF and IRET that set TF trap only after the next instruction, and
 *   ones that clear it still trap. Exceptions and INT n/INT3/INTO/INT1 clear TF as
 *   they are delivered, without a single-step trap. SYSCALL and SYSRET are the
 *   exceptions: the trap follows the TF they leave (a SYSCALL whose SFMASK clears
 *   TF does not trap in the kernel; a SYSRET that restores TF traps at once, in
 *   user mode). A repeated string instruction traps after each iteration, and a
 *   trap after an iteration that is not the last pushes RF = 1.
 * - MOV SS and POP SS hold back the #DB traps they cause (single-step, data
 *   breakpoints on the load) until the next instruction has completed, which
 *   then reports them along with its own. STI holds back interrupts only. If
 *   that next instruction is ICEBP, its #DB is the only one (DR6 as ICEBP
 *   leaves it); if it is INT n, INT3 or SYSCALL, the held #DB comes at the first
 *   instruction of the handler; if it faults, the held #DB is dropped. These are
 *   what kvm-unit-tests' x86/debug.c finds on hardware. */
#include "engine/softcpu/debug.h"

#include <Zydis/Zydis.h>

#include "engine/softcpu/events.h"
#include "engine/softcpu/mem.h"
#include "engine/softcpu/regs.h"
#include "engine/softcpu/watchpoints.h"

#define DR6_FIXED_ONES 0xffff0ff0ull
#define DR6_WRITABLE 0xe00full /* B0-B3, BD, BS, BT */
#define DR7_FIXED_ONES 0x400ull
#define DR7_WRITABLE 0xffff23ffull /* L0-G3, LE, GE, GD, R/W and LEN */

void debug_update(struct soft_cpu *cpu)
{
	struct debug_state *d = &cpu->dbg;
	uint8_t old_data = d->write_bps;

	cpu->dr[6] = (cpu->dr[6] & DR6_WRITABLE) | DR6_FIXED_ONES;
	cpu->dr[7] = (cpu->dr[7] & DR7_WRITABLE) | DR7_FIXED_ONES;
	d->exec_bps = d->write_bps = d->read_bps = d->io_bps = 0;
	for (unsigned n = 0; n < 4; n++) {
		uint8_t bit = (uint8_t)(1u << n);

		if (!((cpu->dr[7] >> (2 * n)) & 3))
			continue;
		switch ((cpu->dr[7] >> (16 + 4 * n)) & 3) {
		case 0:
			d->exec_bps |= bit;
			break;
		case 1:
			d->write_bps |= bit;
			break;
		case 2: /* I/O with CR4.DE; undefined without it: no breakpoint */
			if (cpu->cr4 & CR4_DE)
				d->io_bps |= bit;
			break;
		default:
			d->write_bps |= bit;
			d->read_bps |= bit;
			break;
		}
	}
	/* Pages watched before or now: let the soft TLB forget them. */
	if (old_data || d->write_bps)
		tlb_flush(cpu, false);
}

/* ---- MOV DR -------------------------------------------------------------------- */

static unsigned dr_number(struct soft_cpu *cpu, unsigned reg)
{
	if (reg > 7)
		cpu_raise_ud(cpu);
	if (reg == 4 || reg == 5) {
		if (cpu->cr4 & CR4_DE)
			cpu_raise_ud(cpu);
		return reg + 2;
	}
	return reg;
}

void debug_mov_dr(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *d = &in->op[0], *s = &in->op[1];
	bool to_dr = d->kind == OK_DR;
	unsigned n;

	if (cpu->cpl > 0)
		cpu_raise_gp0(cpu);
	n = dr_number(cpu, to_dr ? d->reg : s->reg);
	if (cpu->dr[7] & DR7_GD) {
		/* General detect: a fault, so the pushed RF is 1 (SDM 17.3.1.1). */
		cpu->dr[6] = (cpu->dr[6] & ~0xfull) | DR6_BD;
		cpu->dr[7] &= ~DR7_GD;
		cpu->rflags |= RFLAGS_RF;
		cpu_raise(cpu, EXC_DB, false, 0);
	}
	if (!to_dr) {
		reg_write(cpu, d->reg, d->size, cpu->dr[n]);
		return;
	}
	{
		uint64_t v = reg_read(cpu, s->reg, s->size);

		if (n >= 6 && (v >> 32))
			cpu_raise_gp0(cpu);
		cpu->dr[n] = v;
		debug_update(cpu);
		/* The rest of the block may hold an instruction breakpoint just armed:
		 * leave it, so that the run loop asks debug_slow_path() again. */
		cpu->leave_block = true;
	}
}

/* ---- breakpoints and traps ------------------------------------------------------- */

void debug_before_insn(struct soft_cpu *cpu)
{
	if (cpu->dbg.exec_bps && !(cpu->rflags & RFLAGS_RF)) {
		uint64_t lin = cpu->seg[SREG_CS].base + cpu->rip;
		uint8_t hits;

		if (cpu->mode != MODE_LONG64)
			lin &= 0xffffffffull;
		hits = debug_match(cpu, cpu->dbg.exec_bps, lin, 1);
		if (hits) {
			cpu->dr[6] = (cpu->dr[6] & ~0xfull) | hits;
			cpu_raise(cpu, EXC_DB, false, 0);
		}
	}
	cpu->rflags &= ~RFLAGS_RF;
}

static bool is_software_interrupt(const struct insn *in)
{
	return in->mnemonic == ZYDIS_MNEMONIC_INT || in->mnemonic == ZYDIS_MNEMONIC_INT3 ||
	       in->mnemonic == ZYDIS_MNEMONIC_INTO || in->mnemonic == ZYDIS_MNEMONIC_INT1;
}

void debug_after_insn(struct soft_cpu *cpu, const struct insn *in, bool tf_before)
{
	struct debug_state *d = &cpu->dbg;
	uint8_t hits = d->hits;
	bool delivered = d->delivered, rep_unfinished = d->rep_unfinished, step;

	d->hits = 0;
	d->delivered = false;
	d->rep_unfinished = false;
	if (in->mnemonic == ZYDIS_MNEMONIC_SYSCALL || in->mnemonic == ZYDIS_MNEMONIC_SYSRET)
		step = cpu->rflags & RFLAGS_TF;
	else
		step = tf_before && !(delivered && is_software_interrupt(in));

	if (d->held && in->mnemonic == ZYDIS_MNEMONIC_INT1 && delivered) {
		/* ICEBP's #DB stands for the held one too. */
		d->held = d->held_step = false;
		d->held_hits = 0;
		return;
	}
	if (d->held) {
		hits |= d->held_hits;
		step |= d->held_step;
		d->held = d->held_step = false;
		d->held_hits = 0;
	} else if (cpu->interrupt_shadow && in->mnemonic != ZYDIS_MNEMONIC_STI) {
		/* MOV SS or POP SS: after the next instruction. */
		if (hits || step) {
			d->held = true;
			d->held_step = step;
			d->held_hits = hits;
		}
		return;
	}
	if (!hits && !step)
		return;
	cpu->dr[6] = (cpu->dr[6] & ~0xfull) | hits;
	if (step)
		cpu->dr[6] |= DR6_BS;
	if (rep_unfinished && (in->flags & (INSN_REP | INSN_REPNE)))
		cpu->rflags |= RFLAGS_RF;
	cpu_deliver_event(cpu, EXC_DB, EVENT_EXCEPTION, false, 0);
}
