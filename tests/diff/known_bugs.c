#include "known_bugs.h"

#include "guest_image.h"

/* ---- instruction forms the generator leaves out --------------------------------- */

static bool is_shift(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_ROL:
	case ZYDIS_MNEMONIC_ROR:
	case ZYDIS_MNEMONIC_RCL:
	case ZYDIS_MNEMONIC_RCR:
	case ZYDIS_MNEMONIC_SHL:
	case ZYDIS_MNEMONIC_SHR:
	case ZYDIS_MNEMONIC_SAR:
		return true;
	default:
		return false;
	}
}

static bool writes_memory_operand(const ZydisEncoderRequest *q)
{
	return q->operand_count > 0 && q->operands[0].type == ZYDIS_OPERAND_TYPE_MEMORY;
}

/* A shift or rotate of a 32-bit register whose masked count may be 0 (by CL, or
 * an immediate that masks to 0). */
static bool shift_r32_count_may_be_zero(const struct form *f)
{
	const ZydisEncoderRequest *q = f->req;
	const ZydisEncoderOperand *count;

	if (!is_shift(q->mnemonic) || q->operand_count < 2 || q->operands[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
	    ZydisRegisterGetClass(q->operands[0].reg.value) != ZYDIS_REGCLASS_GPR32)
		return false;
	count = &q->operands[q->operand_count - 1];
	return count->type == ZYDIS_OPERAND_TYPE_REGISTER || (count->imm.u & 0x1f) == 0;
}

/* Instructions whose memory operand 0 is only read or only written. */
static bool accesses_operand0_once(ZydisMnemonic m)
{
	static const ZydisMnemonic once[] = { ZYDIS_MNEMONIC_MOV, ZYDIS_MNEMONIC_POP,  ZYDIS_MNEMONIC_PUSH,
					      ZYDIS_MNEMONIC_CMP, ZYDIS_MNEMONIC_TEST, ZYDIS_MNEMONIC_BT,
					      ZYDIS_MNEMONIC_NOP };

	for (unsigned i = 0; i < sizeof(once) / sizeof(once[0]); i++)
		if (m == once[i])
			return true;
	return ZydisMnemonicGetString(m)[0] == 's' && ZydisMnemonicGetString(m)[1] == 'e'; /* SETcc */
}

/* A read-modify-write of memory (the destination is read, then written) whose
 * address faults. */
static bool rmw_memory_faulting(const struct form *f)
{
	return f->faulting_memory && writes_memory_operand(f->req) && !accesses_operand0_once(f->req->mnemonic);
}

static bool is_popf(ZydisMnemonic m)
{
	return m == ZYDIS_MNEMONIC_POPF || m == ZYDIS_MNEMONIC_POPFQ;
}

static bool popf_sets_ac(const struct form *f)
{
	return is_popf(f->req->mnemonic) && (f->popf_value & (1ull << 18));
}

static bool popf_sets_tf(const struct form *f)
{
	return is_popf(f->req->mnemonic) && (f->popf_value & (1ull << 8));
}

/* Does the instruction carry an SS override (its only segment prefix: the
 * generator never puts two)? */
static bool ss_override(const struct form *f)
{
	if (f->req->prefixes & ZYDIS_ATTRIB_HAS_SEGMENT_SS)
		return true;
	for (unsigned i = 0; i < f->nprefix; i++)
		if (f->prefix[i] == 0x36)
			return true;
	return false;
}

static bool ss_override_faulting(const struct form *f)
{
	return f->faulting_memory && ss_override(f);
}

static bool is_rdpmc(const struct form *f)
{
	return f->rawlen == 2 && f->raw[0] == 0x0f && f->raw[1] == 0x33;
}

/* LGDT, LIDT, LMSW (0f 01 /2 /3 /6) and LLDT, LTR (0f 00 /2 /3) with a memory
 * operand. */
static bool privileged_load_from_memory(const struct form *f)
{
	unsigned mod, reg;

	if (f->rawlen < 3 || f->raw[0] != 0x0f || (f->raw[1] != 0x00 && f->raw[1] != 0x01))
		return false;
	mod = f->raw[2] >> 6;
	reg = (f->raw[2] >> 3) & 7;
	if (mod == 3)
		return false;
	return f->raw[1] == 0x01 ? reg == 2 || reg == 3 || reg == 6 : reg == 2 || reg == 3;
}

struct form_bug {
	bool (*matches)(const struct form *f);
	const char *what;
};

static const struct form_bug form_bugs[] = {
	/* Reproducer: r14 = 0x19805a62770, rcx = 0; `sar r14d, cl` (41 d3 fe).
	 * Silicon: r14 = 0x5a62770; interp: r14 = 0x19805a62770. A shift by a masked
	 * count of 0 leaves the flags alone but still writes its 32-bit destination,
	 * which zero-extends into the 64-bit register (SDM Vol. 1, 3.4.1.1: 32-bit
	 * operands generate a 32-bit result, zero-extended). exec_muldiv.c do_shift()
	 * returns before writing when the count is 0 (do_double_shift() has been
	 * fixed: SHLD/SHRD are tested again). */
	{ shift_r32_count_may_be_zero,
	  "interp: a shift/rotate of a 32-bit register by a count masking to 0 does not zero bits 63:32" },
	/* Reproducer: r11 = rdx = 0; `shr qword ptr [r11d+edx], 0x24` (67 49 c1 2c
	 * 13 24): #PF at address 0 (not present). Silicon's error code is 6 (user,
	 * write); interp's is 4 (user, read): the read half of the read-modify-write
	 * faults first and is reported as a read. The SDM's W/R bit is "the access
	 * causing the fault was a write" and processors check the destination for
	 * writing before the read. */
	{ rmw_memory_faulting, "interp: #PF error code of a read-modify-write on a not-present page lacks W" },
	/* Reproducer: `push 0x478c3; popfq; mov r9, 0x2149c; imul bp, [r9-0xa9],
	 * 0xa60d` (CR0.AM = 1, CPL 3): silicon raises #AC(0) at the IMUL (unaligned
	 * word at 0x213f3, checked before paging); interp does not check alignment
	 * and takes #PF. SDM Vol. 3A 6.15, interrupt 17: alignment checking is on
	 * when CR0.AM = 1, RFLAGS.AC = 1 and CPL = 3. Nothing in src/engine/interp
	 * raises EXC_AC. */
	{ popf_sets_ac, "interp: no alignment check (#AC) with CR0.AM = 1, RFLAGS.AC = 1 at CPL 3" },
	/* RFLAGS.TF: interp has no single-step trap (#DB after each instruction, SDM
	 * Vol. 3B 17.3.1.4); nothing in src/engine/interp raises #DB for TF. */
	{ popf_sets_tf, "interp: no single-step #DB when RFLAGS.TF = 1" },
	/* Reproducer: rbx = 0x0000800000000000; `ss: mov rax, [rbx]` (36 48 8b 03):
	 * silicon #SS(0), interp #GP(0). In 64-bit mode an SS override adds no base
	 * but still makes the access an SS reference for the canonical check (SDM:
	 * "#SS(0) if a memory address referencing the SS segment is in a
	 * non-canonical form"); DS, ES and CS overrides change nothing (an RBP-based
	 * access with a DS override still gets #SS). Zydis reports DS for an
	 * SS-overridden operand in 64-bit mode and decode.c takes zo->mem.segment as
	 * it is. (Seen on AMD; Intel documents the same #SS rule.) */
	{ ss_override_faulting, "interp: an SS override in 64-bit mode does not make a non-canonical access #SS" },
	/* Reproducer: `rdpmc` (0f 33) at CPL 3 with CR4.PCE = 0: silicon #GP(0),
	 * interp #UD (not implemented). RDPMC has no CPUID bit: every x86-64
	 * processor has it, and at CPL > 0 with CR4.PCE = 0 it raises #GP(0) (SDM
	 * Vol. 2B, RDPMC). */
	{ is_rdpmc, "interp: RDPMC is #UD instead of #GP(0) at CPL 3 with CR4.PCE = 0 (not implemented)" },
	/* Reproducer: rax = 0 (page 0 not present); `lgdt [rax]` (0f 01 10) at CPL 3:
	 * silicon #GP(0), interp #PF(4) at address 0. The privilege check comes
	 * before the operand is read ("#GP(0) if the current privilege level is not
	 * 0" is checked first; SDM Vol. 3A 6.9, exception priorities). exec_sys.c
	 * load_dtable(), load_system_segment() and h_lmsw() read the operand, then
	 * call require_cpl0(). */
	{ privileged_load_from_memory,
	  "interp: LGDT/LIDT/LLDT/LTR/LMSW at CPL 3 read their memory operand before the #GP(0) CPL check" },
};

static bool disabled;

void known_bugs_disable(bool off)
{
	disabled = off;
}

bool known_bug_excludes(const struct form *f)
{
	if (disabled)
		return false;
	for (unsigned i = 0; i < sizeof(form_bugs) / sizeof(form_bugs[0]); i++)
		if (form_bugs[i].matches(f))
			return true;
	return false;
}

/* ---- outcome fields the comparison leaves out ------------------------------------ */

struct frame_bug {
	uint64_t rflags; /* bits to ignore */
	bool faults_only;
	const char *what;
};

static const struct frame_bug frame_bugs[] = {
	/* Reproducer: `xor edx, edx; xor ecx, ecx; div ecx` -> #DE; frame RFLAGS
	 * 0x10046 on silicon, 0x46 on interp. SDM Vol. 3B 17.3.1.1: "For any
	 * fault-class exception except a debug exception generated in response to an
	 * instruction breakpoint, the value pushed for RF is 1." Fix: fault.c should
	 * set RF in the pushed image (old_flags) for fault-class vectors. */
	{ 1ull << 16, true, "interp: RF not set in the RFLAGS image of a fault's frame" },
};

/* Faults among the vectors a user-mode sequence can raise (#DB is left out: its
 * instruction-breakpoint form is the exception to the RF rule). */
static bool is_fault(unsigned vector)
{
	return vector == 0 || vector == 5 || vector == 6 || vector == 7 || (vector >= 10 && vector <= 14) ||
	       vector == 16 || vector == 17 || vector == 19;
}

uint64_t known_bug_frame_flags(unsigned vector)
{
	uint64_t mask = 0;

	if (disabled)
		return 0;
	for (unsigned i = 0; i < sizeof(frame_bugs) / sizeof(frame_bugs[0]); i++)
		if (!frame_bugs[i].faults_only || is_fault(vector))
			mask |= frame_bugs[i].rflags;
	return mask;
}

void known_bugs_print(FILE *f)
{
	fprintf(f, "known interp bugs %s:\n", disabled ? "(checked anyway: --all-bugs)" : "left out of this run");
	for (unsigned i = 0; i < sizeof(form_bugs) / sizeof(form_bugs[0]); i++)
		fprintf(f, "  - %s\n", form_bugs[i].what);
	for (unsigned i = 0; i < sizeof(frame_bugs) / sizeof(frame_bugs[0]); i++)
		fprintf(f, "  - %s\n", frame_bugs[i].what);
}
