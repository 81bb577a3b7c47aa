/* Far pointers in memory: LDS, LES, LFS, LGS and LSS, and the reading of an
 * m16:16 or m16:32 operand that they share with far JMP and CALL through
 * memory (exec_flow.c).
 *
 * What the AMD development host (EPYC, Zen 3) does, run natively from CPL 3
 * (docs/cpu-model.md has the table):
 * - REX.W does not make the pointer m16:64: LFS, LGS, LSS and far JMP and
 *   CALL (FF /5, FF /3) read an m16:32 (the selector at offset 4), and LxS
 *   writes the 32-bit offset zero-extended into the 64-bit register. Intel's
 *   SDM documents m16:64 for these; AMD's APM has only m16:32 in 64-bit mode.
 *   A far CALL with REX.W still pushes 8-byte CS and RIP.
 * - The offset is read first, then the selector, two accesses: a #PF of the
 *   offset comes before the selector's non-canonical #GP.
 * - The destination register is written only once the segment register is
 *   loaded: a #GP for the selector leaves it as it was.
 * - LSS does not hold back interrupts or debug traps for the next
 *   instruction, as MOV SS and POP SS do (a TF trap comes right after it).
 *   The SDM says so too (Vol. 2, MOV: only MOV SS and POP SS). */
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/mem.h"
#include "engine/softcpu/segment.h"

void far_pointer_read(struct soft_cpu *cpu, const struct insn *in, const struct operand *o, uint64_t *off,
		      uint16_t *sel)
{
	unsigned osz = far_offset_size(in);
	uint64_t ea = insn_ea(cpu, in, o);

	*off = mem_read(cpu, o->seg, ea, osz);
	*sel = (uint16_t)mem_read(cpu, o->seg, (ea + osz) & size_mask(in->addrsize), 2);
}

/* LDS, LES, LFS, LGS, LSS r16/r32, m16:16/m16:32 (SDM Vol. 2, LDS/LES/LFS/
 * LGS/LSS): segment_load makes the protected-mode checks (a null selector is
 * #GP(0) for SS but at CPL < 3 in 64-bit mode with RPL = CPL, and loads a
 * null FS, GS, DS or ES; #GP(selector) for the type and privilege, #SS or #NP
 * for a segment not present). */
static void load_far_pointer(struct soft_cpu *cpu, const struct insn *in, unsigned sreg)
{
	uint64_t off;
	uint16_t sel;

	far_pointer_read(cpu, in, &in->op[1], &off, &sel);
	segment_load(cpu, sreg, sel);
	reg_write(cpu, in->op[0].reg, far_offset_size(in), off);
}

static void h_lds(struct soft_cpu *cpu, const struct insn *in)
{
	load_far_pointer(cpu, in, SREG_DS);
}

static void h_les(struct soft_cpu *cpu, const struct insn *in)
{
	load_far_pointer(cpu, in, SREG_ES);
}

static void h_lfs(struct soft_cpu *cpu, const struct insn *in)
{
	load_far_pointer(cpu, in, SREG_FS);
}

static void h_lgs(struct soft_cpu *cpu, const struct insn *in)
{
	load_far_pointer(cpu, in, SREG_GS);
}

/* A new SS may change the stack's size outside 64-bit mode: the block ends. */
static void h_lss(struct soft_cpu *cpu, const struct insn *in)
{
	load_far_pointer(cpu, in, SREG_SS);
	cpu->leave_block = true;
}

const struct dispatch_entry exec_far_table[] = {
	{ ZYDIS_MNEMONIC_LDS, h_lds, 0 }, { ZYDIS_MNEMONIC_LES, h_les, 0 }, { ZYDIS_MNEMONIC_LFS, h_lfs, 0 },
	{ ZYDIS_MNEMONIC_LGS, h_lgs, 0 }, { ZYDIS_MNEMONIC_LSS, h_lss, 0 }, { 0, NULL, 0 },
};
